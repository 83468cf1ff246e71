//! `folio work`: the apalis workers. One worker consumes the job queue in Redis; one runs
//! the scheduler's tick on a cron schedule. Both are named after the host and process, so
//! a worker restarted after a crash is a new worker and is never refused as "still active",
//! while the crashed one's jobs go back to the queue once its heartbeats have lapsed.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::layers::limit::ConcurrencyLimitLayer;
use apalis::prelude::{BackendExt, BoxDynError, Data, Monitor, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use chrono::Utc;

use crate::JobContext;
use crate::health::{Role, WorkerHealth};
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
    /// The default name: host, process id and a random suffix, unique per process ever
    /// started (a container restarted keeps its host name and often its pid 1).
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
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        format!("{host}-{}-{}", std::process::id(), &suffix[..6])
    }
}

/// Runs a job in a task of its own: if the worker is torn down meanwhile (its connection
/// to Redis dropped), the job is not cancelled halfway through its emails but finishes and
/// records its outcome, and a second delivery of it then finds it done.
async fn handle_job(
    job: TenantJob,
    ctx: Data<JobContext>,
    process: Data<ProcessName>,
) -> Result<(), BoxDynError> {
    let ctx = JobContext::clone(&ctx);
    let ProcessName(process) = ProcessName::clone(&process);
    match tokio::spawn(async move { execute(&ctx, &job, &process).await }).await {
        Ok(outcome) => outcome.map(drop).map_err(Into::into),
        Err(e) => Err(format!("the job's task ended abnormally: {e}").into()),
    }
}

async fn handle_tick(
    tick: Tick,
    ctx: Data<JobContext>,
    queue: Data<JobQueue>,
    sweep: Data<SweepEvery>,
    health: Data<Arc<WorkerHealth>>,
) -> Result<(), BoxDynError> {
    let _ = tick;
    let SweepEvery(every) = *sweep;
    let now = Utc::now();
    let result = scheduler::tick(&ctx, &queue, now, every).await;
    match queue.depth().await {
        Ok(depth) => folio_app::telemetry::queue_depth(depth),
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "cannot read the queue's depth"),
    }
    match result {
        Ok(report) => {
            health.ticked(now, &report);
            if report.scheduled + report.queued + report.sweeps + report.recovered + report.failed
                > 0
            {
                tracing::info!(
                    tenants = report.tenants,
                    scheduled = report.scheduled,
                    queued = report.queued,
                    recovered = report.recovered,
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

/// This process's name among the workers (its entry in `worker_processes`).
#[derive(Clone)]
struct ProcessName(String);

/// How long an email sweep claim lasts (see [`JobQueue::claim_sweep`]).
#[derive(Clone, Copy)]
struct SweepEvery(Duration);

/// The first wait before restarting a worker that failed, doubled on each failure in a
/// row up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between restarts: Redis away for an hour is retried twice a minute.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A worker that ran this long before failing starts its backoff afresh.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// Runs the workers until `shutdown` resolves, then lets jobs in progress finish (up to
/// the shutdown timeout); a job cut off is returned to the queue by the next worker's
/// heartbeat, and its idempotence makes running it again harmless.
///
/// Each worker is supervised on its own: one that fails (Redis restarted, a connection
/// dropped) is restarted after a backoff, under a new name (the queue refuses a name whose
/// heartbeat is still fresh), while the other goes on; the process never runs on with a
/// dead worker. `health` follows them and is reported to PostgreSQL every heartbeat.
pub async fn run(
    ctx: JobContext,
    queue: JobQueue,
    options: WorkerOptions,
    health: Arc<WorkerHealth>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let poll = options.poll_interval;
    let concurrency = options.concurrency.max(1);
    let sweep = SweepEvery(poll.max(Duration::from_secs(30)));
    folio_app::telemetry::install();
    tracing::info!(worker = %options.name, concurrency, "workers starting");
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let beat = tokio::spawn(crate::health::beat(
        ctx.db.clone(),
        health.clone(),
        stop.clone(),
    ));
    let jobs = {
        let (ctx, queue, name) = (ctx.clone(), queue.clone(), options.name.clone());
        supervise(
            Role::Jobs,
            health.clone(),
            stop.clone(),
            options.shutdown_timeout,
            move |generation| {
                let (ctx, queue, process) = (ctx.clone(), queue.clone(), ProcessName(name.clone()));
                let name = format!("{name}-jobs-{generation}");
                Monitor::new().register(move |_| {
                    WorkerBuilder::new(name.as_str())
                        .backend(queue.storage().poll_with_interval(poll))
                        .layer(ConcurrencyLimitLayer::new(concurrency))
                        .data(ctx.clone())
                        .data(process.clone())
                        .build(handle_job)
                })
            },
        )
    };
    let ticks = {
        let (schedule, name, state) = (options.tick.clone(), options.name.clone(), health.clone());
        supervise(
            Role::Scheduler,
            health.clone(),
            stop.clone(),
            options.shutdown_timeout,
            move |generation| {
                let (ctx, queue, schedule, state) =
                    (ctx.clone(), queue.clone(), schedule.clone(), state.clone());
                let name = format!("{name}-scheduler-{generation}");
                Monitor::new().register(move |_| {
                    WorkerBuilder::new(name.as_str())
                        .backend(CronScheduler::new(schedule.clone()))
                        .data(ctx.clone())
                        .data(queue.clone())
                        .data(sweep)
                        .data(state.clone())
                        .build(handle_tick)
                })
            },
        )
    };
    let signal = async move {
        shutdown.await;
        tracing::info!("workers stopping");
        let _ = stop_tx.send(true);
    };
    let ((), jobs, ticks) = tokio::join!(signal, jobs, ticks);
    if let Err(e) = beat.await {
        tracing::warn!(error = %e, "the health heartbeat ended abnormally");
    }
    jobs.and(ticks)
}

/// Runs the monitor `make` builds (given how many times the worker has been restarted)
/// until `stop` fires, restarting it with a growing backoff whenever it ends by itself.
async fn supervise(
    role: Role,
    health: Arc<WorkerHealth>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    shutdown_timeout: Duration,
    make: impl Fn(u64) -> Monitor,
) -> anyhow::Result<()> {
    let mut backoff = FIRST_BACKOFF;
    for generation in 0.. {
        let monitor = make(generation);
        let control = monitor.context();
        let started = Instant::now();
        health.set_running(role, true);
        let run = monitor.run();
        tokio::pin!(run);
        let ended = tokio::select! {
            ended = &mut run => Some(ended),
            _ = stop.wait_for(|s| *s) => None,
        };
        let Some(ended) = ended else {
            // Asked to stop: let the jobs in progress finish, up to the timeout.
            let _ = control.shutdown();
            let finished = tokio::time::timeout(shutdown_timeout, run).await;
            health.set_running(role, false);
            return match finished {
                Ok(Ok(())) => Ok(()),
                // Stopping as asked, whatever its last error (Redis away as the signal
                // came, say): a clean exit, not a crash for the orchestrator to count.
                Ok(Err(e)) => {
                    tracing::warn!(worker = role.as_str(), error = %e, "a worker stopped with an error while shutting down");
                    Ok(())
                }
                Err(_) => {
                    tracing::warn!(
                        worker = role.as_str(),
                        "jobs still running at the shutdown timeout; the queue hands them to another worker"
                    );
                    Ok(())
                }
            };
        };
        health.set_running(role, false);
        if started.elapsed() >= HEALTHY_RUN {
            backoff = FIRST_BACKOFF;
        }
        let why = match ended {
            Ok(()) => "it ended".to_owned(),
            Err(e) => format!("{e}"),
        };
        tracing::warn!(worker = role.as_str(), error = %why, retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX), "a worker stopped; restarting it");
        health.restarted(role);
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|s| *s) => return Ok(()),
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    Ok(())
}
