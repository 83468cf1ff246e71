//! `folio work`: the apalis workers. One worker consumes the job queue in Redis; one runs
//! the scheduler's tick on a cron schedule. Both are named after the host and process, so
//! a worker restarted after a crash is a new worker and is never refused as "still active",
//! while the crashed one's jobs go back to the queue once its heartbeats have lapsed.

use std::future::Future;
use std::time::Duration;

use apalis::layers::limit::ConcurrencyLimitLayer;
use apalis::prelude::{BackendExt, BoxDynError, Data, Monitor, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use chrono::Utc;

use crate::JobContext;
use crate::queue::JobQueue;
use crate::run::{TenantJob, execute};
use crate::scheduler;

/// How the workers run.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// This process's name among the workers, e.g. `host-1234`.
    pub name: String,
    /// Jobs run at once by this process.
    pub concurrency: usize,
    /// How often an idle worker looks for new jobs.
    pub poll_interval: Duration,
    /// When the scheduler ticks (cron with a seconds field first).
    pub tick: cron::Schedule,
    /// How long a graceful shutdown waits for jobs in progress.
    pub shutdown_timeout: Duration,
}

impl WorkerOptions {
    /// The default name: host and process id, unique per running process.
    pub fn process_name() -> String {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_owned())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "folio".into());
        format!("{host}-{}", std::process::id())
    }
}

async fn handle_job(job: TenantJob, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    execute(&ctx, &job).await.map(drop).map_err(Into::into)
}

async fn handle_tick(
    tick: Tick,
    ctx: Data<JobContext>,
    queue: Data<JobQueue>,
    sweep: Data<SweepEvery>,
) -> Result<(), BoxDynError> {
    let _ = tick;
    let SweepEvery(every) = *sweep;
    let result = scheduler::tick(&ctx, &queue, Utc::now(), every).await;
    match queue.depth().await {
        Ok(depth) => folio_app::telemetry::queue_depth(depth),
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "cannot read the queue's depth"),
    }
    match result {
        Ok(report) => {
            if report.scheduled + report.queued + report.sweeps + report.failed > 0 {
                tracing::info!(
                    tenants = report.tenants,
                    scheduled = report.scheduled,
                    queued = report.queued,
                    sweeps = report.sweeps,
                    failed = report.failed,
                    "scheduler tick"
                );
            }
            Ok(())
        }
        // Logged and dropped: the next tick is the retry.
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "scheduler tick failed");
            Ok(())
        }
    }
}

/// How long an email sweep claim lasts (see [`JobQueue::claim_sweep`]).
#[derive(Clone, Copy)]
struct SweepEvery(Duration);

/// Runs the workers until `shutdown` resolves, then lets jobs in progress finish (up to
/// the shutdown timeout); a job cut off is returned to the queue by the next worker's
/// heartbeat, and its idempotence makes running it again harmless.
pub async fn run(
    ctx: JobContext,
    queue: JobQueue,
    options: WorkerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let poll = options.poll_interval;
    let concurrency = options.concurrency.max(1);
    let sweep = SweepEvery(poll.max(Duration::from_secs(30)));
    let jobs_name = format!("{}-jobs", options.name);
    let tick_name = format!("{}-scheduler", options.name);
    let (jobs_ctx, jobs_queue) = (ctx.clone(), queue.clone());
    let schedule = options.tick.clone();
    folio_app::telemetry::install();
    tracing::info!(worker = %options.name, concurrency, "workers starting");
    Monitor::new()
        .register(move |_restarts| {
            WorkerBuilder::new(jobs_name.as_str())
                .backend(jobs_queue.storage().poll_with_interval(poll))
                .layer(ConcurrencyLimitLayer::new(concurrency))
                .data(jobs_ctx.clone())
                .build(handle_job)
        })
        .register(move |_restarts| {
            WorkerBuilder::new(tick_name.as_str())
                .backend(CronScheduler::new(schedule.clone()))
                .data(ctx.clone())
                .data(queue.clone())
                .data(sweep)
                .build(handle_tick)
        })
        .shutdown_timeout(options.shutdown_timeout)
        .run_with_signal(async move {
            shutdown.await;
            tracing::info!("workers stopping");
            Ok(())
        })
        .await?;
    Ok(())
}
