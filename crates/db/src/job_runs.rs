//! The record of background job runs (see `migrations/0014_job_runs.sql`): a run is
//! written here before it is queued, so a run asked for while Redis is away is kept, and a
//! scheduled run is recorded once per tenant, job and local date however many schedulers
//! tick.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

const COLUMNS: &str =
    "id, kind, run_on, trigger, requested_by, status, attempts, report, last_error,
     requested_at, queued_at, started_at, finished_at";

/// One run of a job for the tenant.
#[derive(Debug, Clone, FromRow)]
pub struct JobRun {
    /// The run.
    pub id: Uuid,
    /// The job's name, e.g. `overdue-actions`.
    pub kind: String,
    /// The provider's local date the run acts for.
    pub run_on: NaiveDate,
    /// `schedule`, `admin` or `operator`.
    pub trigger: String,
    /// The admin who asked for it.
    pub requested_by: Option<Uuid>,
    /// `requested`, `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// Attempts started so far.
    pub attempts: i32,
    /// What the run did, once it has succeeded.
    pub report: Option<serde_json::Value>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// When it was put on the queue.
    pub queued_at: Option<DateTime<Utc>>,
    /// When its latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When its latest attempt ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Who asks for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The workers' schedule.
    Schedule,
    /// An admin, through the API.
    Admin(Uuid),
    /// An operator, on the command line.
    Operator,
    /// A person asking for something made for them (an export).
    User(Uuid),
}

impl Trigger {
    fn name(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Admin(_) => "admin",
            Trigger::Operator => "operator",
            Trigger::User(_) => "user",
        }
    }

    fn user(self) -> Option<Uuid> {
        match self {
            Trigger::Admin(id) | Trigger::User(id) => Some(id),
            Trigger::Schedule | Trigger::Operator => None,
        }
    }
}

/// Records a run asked for by `trigger`. A scheduled run that is already recorded for this
/// job and date is not recorded again: `None`.
pub async fn request(
    tx: &mut TenantTx,
    kind: &str,
    run_on: NaiveDate,
    trigger: Trigger,
) -> DbResult<Option<JobRun>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into job_runs (tenant_id, id, kind, run_on, trigger, requested_by)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (tenant_id, kind, run_on) where trigger = 'schedule' do nothing
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(kind)
    .bind(run_on)
    .bind(trigger.name())
    .bind(trigger.user())
    .fetch_optional(tx.conn())
    .await?)
}

/// Marks every run still `requested` as `queued` and returns them, oldest first, for the
/// caller to push to the queue before it commits: if the push fails the transaction rolls
/// back and the runs stay `requested` for the next attempt. Locked rows are skipped, so two
/// schedulers never queue the same run.
pub async fn take_requested(tx: &mut TenantTx, limit: i64) -> DbResult<Vec<JobRun>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update job_runs set status = 'queued', queued_at = now()
         where tenant_id = $1 and id in (
             select id from job_runs
             where tenant_id = $1 and status = 'requested'
               -- A run someone asked for through the API is pushed by the API itself;
               -- the scheduler takes it only if that has not happened within a minute.
               and (trigger not in ('admin', 'user') or requested_at < now() - interval '1 minute')
             order by requested_at
             limit $2
             for update skip locked)
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Puts stalled runs back to `requested` for the scheduler to queue again, so a night's
/// run is not lost when the queue's own retries run out (PostgreSQL away longer than they
/// last) or Redis loses what it held: runs failed more than 10 minutes ago (after the
/// queue's retries, at most 10 attempts in all), queued for more than 30 minutes without
/// starting, or running for more than 2 hours (their worker died with them). Returns how
/// many. Running a run again is safe: every job is idempotent.
pub async fn requeue_stalled(tx: &mut TenantTx) -> DbResult<u64> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "update job_runs set status = 'requested'
         where tenant_id = $1
           and ((status = 'failed' and finished_at < now() - interval '10 minutes' and attempts < 10)
                or (status = 'queued' and queued_at < now() - interval '30 minutes')
                or (status = 'running' and started_at < now() - interval '2 hours'))",
    )
    .bind(tenant.0)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// Marks one run `queued` (after the API pushed it itself).
pub async fn mark_queued(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update job_runs set status = 'queued', queued_at = now()
         where tenant_id = $1 and id = $2 and status = 'requested'",
    )
    .bind(tenant.0)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What became of a request to start an attempt of a run.
#[derive(Debug)]
pub enum Start {
    /// It is `running` now, one more attempt: do the work.
    Started(Box<JobRun>),
    /// It already succeeded (its job was delivered again, after a lost acknowledgement or
    /// a queue that was pushed twice): nothing to do.
    AlreadyDone,
    /// Another process that has not been seen to die is running it now (its job was
    /// delivered a second time): nothing to do here.
    AlreadyRunning,
    /// This tenant has no such run (deleted meanwhile).
    Missing,
}

/// Starts an attempt of a run in the worker process `worker`: `running`, one more
/// attempt, unless it already succeeded or another process may still be running it: one
/// that has not been seen to die (stopped, or silent for three of its heartbeats). A
/// process that has not yet made its first report counts as alive: it starts taking jobs
/// a moment before that report lands, and should it die first, its run is taken up by the
/// stalled-run rule ([`requeue_stalled`]). A run left `running` by a process that died is
/// started again. The row is locked first, so two deliveries of one run cannot both see
/// it free and both start it.
pub async fn start(tx: &mut TenantTx, id: Uuid, worker: &str) -> DbResult<Start> {
    let tenant = tx.tenant();
    let found: Option<(String, bool, Option<String>, Option<f64>)> = sqlx::query_as(
        "select r.status,
                r.status = 'running' and not exists (
                    select 1 from worker_processes p
                    where p.name = r.worker
                      and (p.stopped_at is not null
                           or p.seen_at <= now() - make_interval(secs => p.beat_secs * 3))),
                r.worker,
                (select extract(epoch from now() - p.seen_at)::float8
                 from worker_processes p where p.name = r.worker)
         from job_runs r where r.tenant_id = $1 and r.id = $2 for update of r",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    match found {
        None => return Ok(Start::Missing),
        Some((status, ..)) if status == "succeeded" => return Ok(Start::AlreadyDone),
        Some((_, true, ..)) => return Ok(Start::AlreadyRunning),
        Some((status, false, previous, silent_for)) if status == "running" => {
            // Taken over: its process stopped, or went silent for three beats.
            tracing::warn!(
                run_id = %id,
                previous_worker = previous.as_deref().unwrap_or("unknown"),
                silent_for_secs = silent_for.unwrap_or(f64::NAN),
                "a run left running by a process that stopped or went silent is started again"
            );
        }
        Some(_) => {}
    }
    let run: JobRun = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update job_runs set status = 'running', attempts = attempts + 1, started_at = now(),
                finished_at = null, queued_at = coalesce(queued_at, now()), worker = $3
         where tenant_id = $1 and id = $2
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(worker)
    .fetch_one(tx.conn())
    .await?;
    Ok(Start::Started(Box::new(run)))
}

/// Puts back to `requested` the runs that were `queued` before `before`, the moment the
/// queue lost what it held (Redis restarted without its data): their jobs are gone, and
/// the scheduler pushes them again at once rather than after [`requeue_stalled`]'s half
/// hour. Runs queued since are in the new queue and left alone. Returns how many.
pub async fn requeue_lost(
    tx: &mut TenantTx,
    before: chrono::DateTime<chrono::Utc>,
) -> DbResult<u64> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "update job_runs set status = 'requested'
         where tenant_id = $1 and status = 'queued' and queued_at < $2",
    )
    .bind(tenant.0)
    .bind(before)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// Records the end of an attempt: `succeeded` with what it did, or `failed` with why.
pub async fn finish(
    tx: &mut TenantTx,
    id: Uuid,
    outcome: Result<&serde_json::Value, &str>,
) -> DbResult<()> {
    let tenant = tx.tenant();
    let (status, report, error) = match outcome {
        Ok(report) => ("succeeded", Some(report), None),
        Err(error) => ("failed", None, Some(truncate(error, 2000))),
    };
    sqlx::query(
        "update job_runs set status = $3, report = coalesce($4, report), last_error = $5,
                finished_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(status)
    .bind(report)
    .bind(error)
    .execute(tx.conn())
    .await?;
    Ok(())
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// One run of the tenant's.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<Option<JobRun>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from job_runs where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// The tenant's runs, newest first, optionally of one job.
pub async fn list(tx: &mut TenantTx, kind: Option<&str>, limit: i64) -> DbResult<Vec<JobRun>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from job_runs
         where tenant_id = $1 and ($2::text is null or kind = $2)
         order by requested_at desc, id desc
         limit $3"
    )))
    .bind(tenant.0)
    .bind(kind)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}
