//! The scheduler's tick: for every active tenant, record the scheduled runs that have come
//! due in the provider's time zone, queue every run that is waiting (scheduled or asked
//! for by an admin while Redis was away), queue an email sweep if mail is due, and delete
//! exports past their retention.
//!
//! Every instance of `folio work` ticks; the records in PostgreSQL make the effect the
//! same as one tick: a scheduled run is recorded once per (tenant, job, local date), a
//! waiting run is taken by one scheduler (`for update skip locked`), and a sweep is
//! claimed once per interval in Redis.

use std::time::Duration;

use chrono::{DateTime, Utc};
use folio_app::system::{self, SystemWork};
use folio_app::{delivery, runs};
use folio_domain::TenantId;
use folio_domain::jobs::{JobKind, due_runs, local_date};
use serde::Serialize;

use crate::JobContext;
use crate::queue::JobQueue;
use crate::run::TenantJob;

/// Runs taken from PostgreSQL per tenant per tick.
const BATCH: i64 = 100;

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TickReport {
    /// Tenants looked at.
    pub tenants: usize,
    /// Scheduled runs newly recorded.
    pub scheduled: usize,
    /// Runs pushed to the queue.
    pub queued: usize,
    /// Email sweeps pushed.
    pub sweeps: usize,
    /// Exports past their retention, deleted.
    pub expired: usize,
    /// Runs put back to waiting because the queue lost them (Redis restarted empty).
    pub recovered: usize,
    /// Emails waiting to be delivered, in all tenants looked at.
    pub outbox_pending: i64,
    /// Of those due, when the one that has waited longest became due.
    pub outbox_oldest: Option<DateTime<Utc>>,
    /// Tenants that failed (logged; the next tick tries again).
    pub failed: usize,
}

/// One tick at `now`. A tenant that fails is logged and skipped: one broken tenant never
/// stops the others' night.
///
/// If the queue lost what it held (Redis restarted empty), every tenant's runs queued
/// before then are put back to waiting and pushed again in this same tick; the queue is
/// marked whole only once every tenant's have been, so a tenant that failed is retried.
pub async fn tick(
    ctx: &JobContext,
    queue: &JobQueue,
    now: DateTime<Utc>,
    sweep_every: Duration,
) -> anyhow::Result<TickReport> {
    let mut report = TickReport::default();
    let lost = queue.lost_since().await.unwrap_or_else(|e| {
        // A Redis that refuses TIME or INFO (some proxies do) still gets its jobs: runs it
        // lost are then left to the stalled-run rule.
        tracing::warn!(error = %format!("{e:#}"), "cannot tell whether the job queue lost its jobs");
        None
    });
    if let Some(since) = lost {
        tracing::warn!(%since, "the job queue lost what it held; pushing its runs again");
    }
    for tenant in system::active_tenants(&ctx.db).await? {
        report.tenants += 1;
        let id = tenant.tenant_id();
        match tick_tenant(ctx, queue, id, now, sweep_every, lost).await {
            Ok(r) => {
                report.scheduled += r.scheduled;
                report.queued += r.queued;
                report.sweeps += r.sweeps;
                report.expired += r.expired;
                report.recovered += r.recovered;
                report.outbox_pending += r.outbox_pending;
                report.outbox_oldest = match (report.outbox_oldest, r.outbox_oldest) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            Err(e) => {
                report.failed += 1;
                tracing::warn!(tenant_id = %id, error = %format!("{e:#}"), "scheduler tick failed for a tenant");
            }
        }
    }
    if lost.is_some() && report.failed == 0 {
        queue.mark_whole().await?;
    }
    Ok(report)
}

async fn tick_tenant(
    ctx: &JobContext,
    queue: &JobQueue,
    tenant: TenantId,
    now: DateTime<Utc>,
    sweep_every: Duration,
    lost: Option<DateTime<Utc>>,
) -> anyhow::Result<TickReport> {
    let mut report = TickReport::default();
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    let tz = system::settings(&mut work).await?.tz();
    for due in due_runs(&tz, now) {
        if runs::schedule(&mut work, due.kind, due.on).await? {
            report.scheduled += 1;
        }
    }
    runs::requeue_stalled(&mut work).await?;
    if let Some(before) = lost {
        let recovered = runs::requeue_lost(&mut work, before).await?;
        report.recovered += usize::try_from(recovered).unwrap_or(usize::MAX);
    }
    // The runs are committed before any is pushed: a worker that takes a pushed job at
    // once must find its run. (Its `start` then waits on the row lock below until this
    // tick commits.) Pushed before the second commit: if a push fails, that transaction
    // rolls back and the runs stay waiting for the next tick; if the commit fails after a
    // push, the run is pushed again later, which the jobs' idempotence makes harmless.
    work.commit().await?;
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    for run in runs::take_requested(&mut work, BATCH).await? {
        let Ok(kind) = run.kind.parse::<JobKind>() else {
            tracing::warn!(tenant_id = %tenant, run_id = %run.id, kind = %run.kind, "unknown job kind; left waiting");
            continue;
        };
        queue
            .push(TenantJob {
                tenant_id: tenant.0,
                kind,
                run_on: run.run_on,
                run_id: Some(run.id),
            })
            .await?;
        report.queued += 1;
    }
    let backlog = delivery::backlog(&mut work).await?;
    report.outbox_pending = backlog.pending;
    report.outbox_oldest = backlog.oldest_due;
    work.commit().await?;
    report.expired += crate::exports::expire(ctx, tenant, now).await?;
    // Deleted time-log entries past their day of undo are forgotten, in a transaction of
    // their own: a failure is logged and the tick goes on.
    if let Err(err) = purge_trash(ctx, tenant).await {
        tracing::warn!(tenant_id = %tenant, error = %err, "could not empty the time-log trash");
    }
    if backlog.due && queue.claim_sweep(tenant, sweep_every).await? {
        queue
            .push(TenantJob {
                tenant_id: tenant.0,
                kind: JobKind::SendEmails,
                run_on: local_date(&tz, now),
                run_id: None,
            })
            .await?;
        report.sweeps += 1;
    }
    Ok(report)
}

/// Forgets a tenant's time-log entries deleted longer ago than they can be brought back.
async fn purge_trash(ctx: &JobContext, tenant: TenantId) -> anyhow::Result<u64> {
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    let purged = folio_app::time_log::purge_trash(&mut work).await?;
    work.commit().await?;
    Ok(purged)
}
