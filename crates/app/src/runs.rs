//! Runs of background work asked for by people (an admin's "run now", an export): recorded
//! in PostgreSQL in the asker's unit of work, then pushed to the queue.
//!
//! The record is what counts. If the queue cannot be reached the run stays `requested` and
//! the workers' scheduler queues it on its next tick, so nothing asked for is lost; the
//! push only saves waiting for that tick.

use std::sync::Arc;

use chrono::{Days, NaiveDate, NaiveTime, Utc};
use folio_db::job_runs::{self, Trigger};
use folio_db::outbox;
use folio_db::{Database, settings};
use folio_domain::jobs::{JobKind, local_date};
use folio_domain::{Permission, TenantId};
use futures_util::future::BoxFuture;
use uuid::Uuid;

pub use folio_db::job_runs::{JobRun, Start};
pub use folio_db::outbox::OutboxEntry;

use crate::system::SystemWork;
use crate::{Error, Result, UnitOfWork};

/// A recorded run, as pushed to the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedRun {
    /// The tenant.
    pub tenant: TenantId,
    /// The work.
    pub kind: JobKind,
    /// The provider's local date it is for.
    pub run_on: NaiveDate,
    /// Its record in `job_runs`.
    pub run_id: Uuid,
}

/// Where recorded runs are pushed for the workers (the Redis queue in `folio-jobs`).
pub trait RunQueue: Send + Sync {
    /// Pushes one run; an error leaves it to the scheduler.
    fn push(&self, run: QueuedRun) -> BoxFuture<'_, anyhow::Result<()>>;
}

/// Pushes a run recorded (and committed) by a use case, and marks it queued; if the queue
/// is away the run is returned as it was, still `requested`, for the scheduler.
pub async fn push(
    db: &Database,
    queue: &Arc<dyn RunQueue>,
    tenant: TenantId,
    kind: JobKind,
    run: JobRun,
) -> Result<JobRun> {
    let pushed = queue
        .push(QueuedRun {
            tenant,
            kind,
            run_on: run.run_on,
            run_id: run.id,
        })
        .await;
    if let Err(e) = pushed {
        tracing::warn!(
            tenant_id = %tenant,
            run_id = %run.id,
            error = %format!("{e:#}"),
            "job queue unreachable; the run waits for the scheduler"
        );
        return Ok(run);
    }
    let mut tx = db.begin_tenant(tenant).await?;
    job_runs::mark_queued(&mut tx, run.id).await?;
    let now = job_runs::get(&mut tx, run.id).await?;
    tx.commit().await?;
    Ok(now.unwrap_or(run))
}

/// A background job and when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledJob {
    /// The job.
    pub kind: JobKind,
    /// When it runs each day in the organisation's time zone; none for email delivery,
    /// which runs whenever email is waiting.
    pub daily_at: Option<NaiveTime>,
    /// The organisation's time zone.
    pub timezone: String,
}

/// Every background job and when it runs in the organisation's time zone (admins).
pub async fn timetable(uow: &mut UnitOfWork) -> Result<Vec<ScheduledJob>> {
    uow.principal.require(Permission::RunJobs)?;
    let timezone = uow.settings().await?.timezone;
    Ok(JobKind::ALL
        .into_iter()
        .map(|kind| ScheduledJob {
            kind,
            daily_at: kind.daily_at(),
            timezone: timezone.clone(),
        })
        .collect())
}

/// The job named `name`; 404 for a name that is not one of them.
fn job_kind(name: &str) -> Result<JobKind> {
    name.parse()
        .ok()
        .filter(|k| JobKind::ALL.contains(k))
        .ok_or(Error::NotFound)
}

/// The day a run is for: `requested`, checked against today in the organisation's time
/// zone, or today there.
fn run_date(requested: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate> {
    let Some(date) = requested else {
        return Ok(today);
    };
    if date > today {
        return Err(Error::invalid(
            "date",
            format!("must not be after today ({today}) in the organisation's time zone"),
        ));
    }
    match today.checked_sub_days(Days::new(366)) {
        Some(earliest) if date < earliest => Err(Error::invalid(
            "date",
            format!("must not be before {earliest}"),
        )),
        _ => Ok(date),
    }
}

/// The day a run of `kind` may be for, by the same rule whoever asks (an admin or the
/// operator): [`run_date`]'s, and the recalculation only ever for today.
fn checked_run_date(
    kind: JobKind,
    requested: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<NaiveDate> {
    let on = run_date(requested, today)?;
    if kind == JobKind::RecalculateTracks && on != today {
        // The figures are counted from the portfolio as it is now: written under a past
        // date they would rewrite that day's history with today's progress.
        return Err(Error::invalid(
            "date",
            "the recalculation is always for today: past days keep the figures they had",
        ));
    }
    Ok(on)
}

/// Runs the job named `name` now for the organisation (admins; 404 for an unknown job),
/// for `date` (default: today there; up to a year back, never a future day). The run is
/// recorded and audited, the unit of work committed, then the run pushed to the queue;
/// returns it as it then stands (`requested` if the queue is away).
pub async fn request(
    mut uow: UnitOfWork,
    db: &Database,
    queue: &Arc<dyn RunQueue>,
    name: &str,
    date: Option<NaiveDate>,
) -> Result<JobRun> {
    uow.principal.require(Permission::RunJobs)?;
    let kind = job_kind(name)?;
    let tz = uow.settings().await?.tz();
    let on = checked_run_date(kind, date, local_date(&tz, Utc::now()))?;
    let admin = uow.principal.user_id;
    let run = job_runs::request(&mut uow.tx, kind.as_str(), on, Trigger::Admin(admin))
        .await?
        .ok_or_else(|| Error::Internal("an admin's run was not recorded".into()))?;
    let details = serde_json::json!({ "job": kind.as_str(), "run_on": on });
    uow.audit("job_run.request", "job_run", run.id, details)
        .await?;
    let tenant = uow.tenant();
    uow.commit().await?;
    push(db, queue, tenant, kind, run).await
}

/// The organisation's job runs, newest first, at most `limit`, optionally only those of
/// the job named `job` (admins; an unknown name is a validation error).
pub async fn list(uow: &mut UnitOfWork, job: Option<&str>, limit: i64) -> Result<Vec<JobRun>> {
    uow.principal.require(Permission::RunJobs)?;
    let kind = match job {
        None => None,
        Some(name) => Some(
            name.parse::<JobKind>()
                .map_err(|e| Error::invalid("job", e))?,
        ),
    };
    Ok(job_runs::list(&mut uow.tx, kind.map(JobKind::as_str), limit).await?)
}

/// One job run (admins; 404 for another organisation's).
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<JobRun> {
    uow.principal.require(Permission::RunJobs)?;
    job_runs::get(&mut uow.tx, id).await?.ok_or(Error::NotFound)
}

/// Records the scheduled run of `kind` for the provider's day `on`; false when that day's
/// run was already recorded (every scheduler ticks, one records it).
pub async fn schedule(work: &mut SystemWork, kind: JobKind, on: NaiveDate) -> Result<bool> {
    Ok(
        job_runs::request(&mut work.tx, kind.as_str(), on, Trigger::Schedule)
            .await?
            .is_some(),
    )
}

/// Records a run of `kind` the platform operator asked for (`folio job run`), for the
/// provider's day `date` (default: today there), by the same rule as an admin's run (never
/// a future day: a run for 2030 once made the dashboards show 2030's figures). `None` if
/// it was not recorded.
pub async fn request_as_operator(
    work: &mut SystemWork,
    kind: JobKind,
    date: Option<NaiveDate>,
) -> Result<Option<JobRun>> {
    let tz = settings::get(&mut work.tx).await?.tz();
    let on = checked_run_date(kind, date, local_date(&tz, Utc::now()))?;
    Ok(job_runs::request(&mut work.tx, kind.as_str(), on, Trigger::Operator).await?)
}

/// Puts runs whose worker went away back to waiting, for the scheduler to queue again.
pub async fn requeue_stalled(work: &mut SystemWork) -> Result<u64> {
    Ok(job_runs::requeue_stalled(&mut work.tx).await?)
}

/// Takes up to `limit` waiting runs to push to the queue, marking them queued; runs another
/// scheduler holds are skipped.
pub async fn take_requested(work: &mut SystemWork, limit: i64) -> Result<Vec<JobRun>> {
    Ok(job_runs::take_requested(&mut work.tx, limit).await?)
}

/// Starts an attempt of a run in the worker process `worker`: `running`, one more
/// attempt; a run that already succeeded, or that a live worker process is running, is
/// not started again, and one the tenant does not have (deleted meanwhile) is missing.
pub async fn start(work: &mut SystemWork, id: Uuid, worker: &str) -> Result<Start> {
    Ok(job_runs::start(&mut work.tx, id, worker).await?)
}

/// Puts the runs queued before `before`, when the queue lost what it held, back to
/// waiting for the scheduler to push again.
pub async fn requeue_lost(
    work: &mut SystemWork,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<u64> {
    Ok(job_runs::requeue_lost(&mut work.tx, before).await?)
}

/// Records the end of an attempt: `succeeded` with what it did, or `failed` with why.
pub async fn finish(
    work: &mut SystemWork,
    id: Uuid,
    outcome: std::result::Result<&serde_json::Value, &str>,
) -> Result<()> {
    Ok(job_runs::finish(&mut work.tx, id, outcome).await?)
}

/// An email's delivery state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailStatus {
    /// Waiting to be sent, or to be tried again.
    Pending,
    /// Delivered to the mail server.
    Sent,
    /// Given up on.
    Failed,
}

impl EmailStatus {
    fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Pending => "pending",
            EmailStatus::Sent => "sent",
            EmailStatus::Failed => "failed",
        }
    }
}

/// The organisation's emails in one delivery state, newest first, at most `limit`
/// (admins).
pub async fn emails(
    uow: &mut UnitOfWork,
    status: EmailStatus,
    limit: i64,
) -> Result<Vec<OutboxEntry>> {
    uow.principal.require(Permission::RunJobs)?;
    Ok(outbox::list(&mut uow.tx, status.as_str(), limit).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_run_is_for_today_or_a_past_day_within_a_year() {
        let today = date("2026-11-23");
        assert_eq!(run_date(None, today).ok(), Some(today));
        assert_eq!(
            run_date(Some(date("2026-11-01")), today).ok(),
            Some(date("2026-11-01"))
        );
        assert!(run_date(Some(date("2026-11-24")), today).is_err());
        assert!(run_date(Some(date("2025-11-01")), today).is_err());
    }
}
