//! What the `folio work` processes report about themselves, for every process's health
//! checks: a platform table (no tenant's data), one row per process, written on every
//! heartbeat. A process that stops cleanly says so; one that dies stops being seen.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::DbResult;

/// One worker process's report.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkerProcess {
    /// Host and process id, e.g. `worker-7d9f-1`.
    pub name: String,
    /// Folio's version in that process.
    pub version: String,
    /// When the process started.
    pub started_at: DateTime<Utc>,
    /// When it last reported.
    pub seen_at: DateTime<Utc>,
    /// How often it reports, in seconds.
    pub beat_secs: i32,
    /// Whether its job worker is running (not restarting after a failure).
    pub jobs_running: bool,
    /// Whether its scheduler is running.
    pub scheduler_running: bool,
    /// Times its workers were restarted after failing.
    pub restarts: i64,
    /// The longest gap between its scheduler's ticks, in seconds.
    pub tick_period_secs: i32,
    /// Its scheduler's last tick that went through.
    pub last_tick_at: Option<DateTime<Utc>>,
    /// Emails waiting, in every tenant, as of that tick.
    pub outbox_pending: Option<i64>,
    /// Of those due, when the one that has waited longest became due.
    pub outbox_oldest_at: Option<DateTime<Utc>>,
    /// When it stopped, if it stopped cleanly.
    pub stopped_at: Option<DateTime<Utc>>,
}

/// Records a process's report (`seen_at` is the database's clock).
pub async fn report(pool: &PgPool, p: &WorkerProcess) -> DbResult<()> {
    sqlx::query(
        "insert into worker_processes (name, version, started_at, seen_at, beat_secs,
             jobs_running, scheduler_running, restarts, tick_period_secs, last_tick_at,
             outbox_pending, outbox_oldest_at, stopped_at)
         values ($1, $2, $3, now(), $4, $5, $6, $7, $8, $9, $10, $11, $12)
         on conflict (name) do update set version = excluded.version,
             started_at = excluded.started_at, seen_at = excluded.seen_at, beat_secs = excluded.beat_secs,
             jobs_running = excluded.jobs_running,
             scheduler_running = excluded.scheduler_running, restarts = excluded.restarts,
             tick_period_secs = excluded.tick_period_secs,
             last_tick_at = excluded.last_tick_at, outbox_pending = excluded.outbox_pending,
             outbox_oldest_at = excluded.outbox_oldest_at, stopped_at = excluded.stopped_at",
    )
    .bind(&p.name)
    .bind(&p.version)
    .bind(p.started_at)
    .bind(p.beat_secs)
    .bind(p.jobs_running)
    .bind(p.scheduler_running)
    .bind(p.restarts)
    .bind(p.tick_period_secs)
    .bind(p.last_tick_at)
    .bind(p.outbox_pending)
    .bind(p.outbox_oldest_at)
    .bind(p.stopped_at)
    .execute(pool)
    .await?;
    // Processes gone for a day are history nobody reads.
    sqlx::query("delete from worker_processes where seen_at < now() - interval '1 day'")
        .execute(pool)
        .await?;
    Ok(())
}

/// The processes seen within the last `within` (stopped ones included: a deployment
/// whose workers were all stopped has no background work), newest first, and the
/// database's clock, to judge them by.
pub async fn recent(
    pool: &PgPool,
    within: std::time::Duration,
) -> DbResult<(Vec<WorkerProcess>, DateTime<Utc>)> {
    let secs = f64::from(u32::try_from(within.as_secs()).unwrap_or(u32::MAX));
    let rows = sqlx::query_as(
        "select name, version, started_at, seen_at, beat_secs, jobs_running,
                scheduler_running, restarts, tick_period_secs, last_tick_at, outbox_pending,
                outbox_oldest_at, stopped_at
         from worker_processes
         where seen_at > now() - make_interval(secs => $1)
         order by seen_at desc",
    )
    .bind(secs)
    .fetch_all(pool)
    .await?;
    let now = sqlx::query_scalar("select now()").fetch_one(pool).await?;
    Ok((rows, now))
}
