//! Running one job for one tenant, however it was started, and keeping its record.

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::SystemWork;
use folio_app::runs;
use folio_app::runs::Start;
use folio_domain::TenantId;
use folio_domain::jobs::JobKind;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{JobContext, reminders, send_emails, tracks};

/// How many emails one sender run delivers at once. Each sender holds a database
/// connection while it talks to the SMTP server, and several jobs run at once in a worker
/// process: two keeps a worker's jobs well inside the connection pool.
pub const SEND_CONCURRENCY: usize = 2;

/// A job as it travels through the queue: which work, for which tenant and day, and the
/// run it is recorded as (none for the scheduler's own email sweeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantJob {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The work.
    pub kind: JobKind,
    /// The provider's local date the work is for.
    pub run_on: NaiveDate,
    /// Its record in `job_runs`.
    pub run_id: Option<Uuid>,
}

/// Does the work of `kind` for `tenant` on the provider's day `on` (`now` is the instant,
/// for what is judged to the minute, such as a session that has ended) and reports what it
/// did. Every job that queues email also delivers it, so the night's email goes out as
/// soon as it is written rather than at the scheduler's next sweep.
pub async fn perform(
    ctx: &JobContext,
    tenant: TenantId,
    kind: JobKind,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<Value> {
    perform_run(ctx, tenant, kind, on, now, None).await
}

/// [`perform`] for a recorded run (an export needs its run to find what to write).
pub async fn perform_run(
    ctx: &JobContext,
    tenant: TenantId,
    kind: JobKind,
    on: NaiveDate,
    now: DateTime<Utc>,
    run_id: Option<Uuid>,
) -> anyhow::Result<Value> {
    let queued = match kind {
        JobKind::Export => {
            let run_id = run_id.ok_or_else(|| anyhow::anyhow!("an export job needs its run"))?;
            return crate::exports::run(ctx, tenant, run_id, on).await;
        }
        JobKind::SendEmails => {
            let sent = send_emails::run(ctx, tenant, SEND_CONCURRENCY).await?;
            return Ok(json!({ "delivery": sent }));
        }
        JobKind::RecalculateTracks => {
            let report = tracks::recalculate(ctx, tenant, on).await?;
            return Ok(serde_json::to_value(report)?);
        }
        JobKind::OffTrackEmails => tracks::off_track_emails(ctx, tenant, on, now).await?,
        JobKind::OverdueActions => reminders::overdue_actions(ctx, tenant, on, now).await?,
        JobKind::ReviewChecks => reminders::review_checks(ctx, tenant, on, now).await?,
        JobKind::InductionOverdue => reminders::induction_overdue(ctx, tenant, on, now).await?,
        JobKind::UnclosedSessions => reminders::unclosed_sessions(ctx, tenant, on, now).await?,
        JobKind::NoActiveLearning => reminders::no_active_learning(ctx, tenant, on, now).await?,
    };
    let sent = send_emails::run(ctx, tenant, SEND_CONCURRENCY).await?;
    Ok(json!({ "emails": queued, "delivery": sent }))
}

/// Runs a queued job and records the attempt in its run: `running`, then `succeeded` with
/// the report or `failed` with the error, which is also returned so that the queue retries
/// it. A run the tenant does not have (deleted meanwhile) is skipped, and so is one that
/// already succeeded: a job delivered twice (its acknowledgement lost with Redis, or pushed
/// again after the queue lost it) runs once.
pub async fn execute(ctx: &JobContext, job: &TenantJob) -> anyhow::Result<Value> {
    let tenant = TenantId(job.tenant_id);
    if let Some(id) = job.run_id {
        let mut work = SystemWork::begin(&ctx.db, tenant).await?;
        let started = runs::start(&mut work, id).await?;
        work.commit().await?;
        match started {
            Start::Started(_) => {}
            Start::AlreadyDone => {
                tracing::info!(tenant_id = %tenant, run_id = %id, "job run already done; skipped");
                folio_app::telemetry::job_skipped(job.kind);
                return Ok(Value::Null);
            }
            Start::Missing => {
                tracing::warn!(tenant_id = %tenant, run_id = %id, "job run not found; skipped");
                folio_app::telemetry::job_skipped(job.kind);
                return Ok(Value::Null);
            }
        }
    }
    let started = std::time::Instant::now();
    let result = perform_run(ctx, tenant, job.kind, job.run_on, Utc::now(), job.run_id).await;
    folio_app::telemetry::job_finished(job.kind, result.is_ok(), started.elapsed());
    if let Some(id) = job.run_id {
        let error = result.as_ref().err().map(|e| format!("{e:#}"));
        let outcome = match (&result, &error) {
            (Ok(report), _) => Ok(report),
            (Err(_), Some(e)) => Err(e.as_str()),
            (Err(_), None) => Err("failed"),
        };
        // The record is best effort: PostgreSQL may be what failed.
        let recorded = async {
            let mut work = SystemWork::begin(&ctx.db, tenant).await?;
            runs::finish(&mut work, id, outcome).await?;
            work.commit().await
        }
        .await;
        if let Err(e) = recorded {
            tracing::warn!(tenant_id = %tenant, run_id = %id, error = %e, "could not record the job's outcome");
        }
    }
    match &result {
        Ok(_) => tracing::info!(tenant_id = %tenant, job = %job.kind, on = %job.run_on, "job done"),
        Err(e) => {
            tracing::warn!(tenant_id = %tenant, job = %job.kind, on = %job.run_on, error = %format!("{e:#}"), "job failed")
        }
    }
    result
}
