//! Runs of background work asked for by people (an admin's "run now", an export): recorded
//! in PostgreSQL in the asker's unit of work, then pushed to the queue.
//!
//! The record is what counts. If the queue cannot be reached the run stays `requested` and
//! the workers' scheduler queues it on its next tick, so nothing asked for is lost; the
//! push only saves waiting for that tick.

use std::sync::Arc;

use chrono::NaiveDate;
use folio_db::Database;
use folio_db::job_runs::{self, JobRun};
use folio_domain::TenantId;
use folio_domain::jobs::JobKind;
use futures_util::future::BoxFuture;
use uuid::Uuid;

use crate::Result;

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
