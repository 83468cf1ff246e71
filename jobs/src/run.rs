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
/// already succeeded; one that a live worker process is running is handed back to the
/// queue to try later. So a job delivered twice (its acknowledgement lost with Redis,
/// pushed again after the queue lost it, or handed on when its worker restarted while the
/// job went on) runs once, and one whose process died runs again. `worker` names this
/// process (its entry in `worker_processes`).
pub async fn execute(ctx: &JobContext, job: &TenantJob, worker: &str) -> anyhow::Result<Value> {
    let tenant = TenantId(job.tenant_id);
    if let Some(id) = job.run_id {
        let mut work = SystemWork::begin(&ctx.db, tenant).await?;
        let started = runs::start(&mut work, id, worker).await?;
        work.commit().await?;
        match started {
            Start::Started(_) => {}
            Start::AlreadyDone => {
                tracing::info!(tenant_id = %tenant, run_id = %id, "job run already done; skipped");
                folio_app::telemetry::job_skipped(job.kind);
                return Ok(Value::Null);
            }
            // Given back to the queue, which tries again with growing delays (for some
            // minutes): by then the run is done (and this delivery is skipped), or its
            // process has stopped reporting, having died with it, and this one runs it.
            Start::AlreadyRunning => {
                tracing::info!(tenant_id = %tenant, run_id = %id, "job run is running in a live worker process; trying again later");
                anyhow::bail!("the run is running in another worker process; trying again later");
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
        record_outcome(ctx, tenant, id, outcome).await;
    }
    match &result {
        Ok(_) => tracing::info!(tenant_id = %tenant, job = %job.kind, on = %job.run_on, "job done"),
        Err(e) => {
            tracing::warn!(tenant_id = %tenant, job = %job.kind, on = %job.run_on, error = %format!("{e:#}"), "job failed")
        }
    }
    result
}

/// How long the outcome of a run is retried when PostgreSQL is away as the job ends.
const RECORD_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// Records how a run ended. PostgreSQL may be what failed, or be restarting as the job
/// ends: while it is unreachable the record is tried again (0.5 s, doubling to 8 s) for up
/// to [`RECORD_FOR`], so
/// that a job that did its work is not left `running`, to be run again when it counts as
/// stalled. If it still cannot be written the run is left for that rule.
async fn record_outcome(
    ctx: &JobContext,
    tenant: TenantId,
    id: Uuid,
    outcome: Result<&Value, &str>,
) {
    let started = std::time::Instant::now();
    let mut wait = std::time::Duration::from_millis(500);
    loop {
        let recorded = async {
            let mut work = SystemWork::begin(&ctx.db, tenant).await?;
            runs::finish(&mut work, id, outcome).await?;
            work.commit().await
        }
        .await;
        match recorded {
            Ok(()) => return,
            Err(e @ folio_app::Error::Outage(_)) if started.elapsed() + wait <= RECORD_FOR => {
                tracing::info!(tenant_id = %tenant, run_id = %id, error = %e, "recording the job's outcome; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(8));
            }
            Err(e) => {
                tracing::warn!(tenant_id = %tenant, run_id = %id, error = %e, "could not record the job's outcome");
                return;
            }
        }
    }
}
