//! `folio work`: the background workers.

use std::time::Duration;

use anyhow::Context;
use folio_jobs::queue::JobQueue;
use folio_jobs::worker::{self, WorkerOptions};

use crate::config::{Config, redact};
use crate::operator;

/// Connects to Redis and returns the job queue of this deployment.
pub async fn queue(config: &Config) -> anyhow::Result<JobQueue> {
    JobQueue::connect(
        &config.redis_url,
        &config.redis_namespace,
        config.heartbeat(),
    )
    .await
    .with_context(|| format!("cannot reach Redis at {}", redact(&config.redis_url)))
}

/// Runs the workers until SIGINT or SIGTERM; jobs in progress then get 30 s to finish.
pub async fn work(config: &Config) -> anyhow::Result<()> {
    work_until(config, crate::serve::shutdown_signal()).await
}

/// Runs the workers until `shutdown` resolves.
pub async fn work_until(
    config: &Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let db = operator::connect(config)?;
    db.verify_isolation().await.map_err(|reason| {
        anyhow::anyhow!("refusing to start: tenant isolation is not guaranteed: {reason}")
    })?;
    let ctx = operator::job_context(config, db)?;
    let queue = queue(config).await?;
    let options = WorkerOptions {
        name: WorkerOptions::process_name(),
        concurrency: config.worker_concurrency,
        poll_interval: Duration::from_millis(config.worker_poll_ms),
        tick: config.schedule()?,
        shutdown_timeout: Duration::from_secs(30),
    };
    worker::run(ctx, queue, options, shutdown).await
}
