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

/// How long jobs in progress get to finish after SIGINT or SIGTERM; a job cut off goes back
/// to the queue once this worker's heartbeats lapse. The Kubernetes worker Deployment's
/// grace period (infra/k8s) covers it, checked by `tests/infra.rs`.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the workers until SIGINT or SIGTERM; jobs in progress then get
/// [`SHUTDOWN_TIMEOUT`] to finish.
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
        shutdown_timeout: SHUTDOWN_TIMEOUT,
    };
    let metrics = if config.worker_metrics_listen.is_empty() {
        None
    } else {
        let token = Some(config.metrics_token.as_str());
        Some(serve_metrics(&config.worker_metrics_listen, token).await?.1)
    };
    let result = worker::run(ctx, queue, options, shutdown).await;
    if let Some(server) = metrics {
        server.abort();
    }
    result
}

/// Serves this process's `GET /metrics` on `listen` (`FOLIO_WORKER_METRICS_LISTEN`) in the
/// background, behind `token` if one is given (`FOLIO_METRICS_TOKEN`; else open: the
/// listener's address keeps it private), and returns the bound address and the server's
/// task.
pub async fn serve_metrics(
    listen: &str,
    token: Option<&str>,
) -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    use poem::listener::{Acceptor, Listener, TcpListener};
    let acceptor = TcpListener::bind(listen)
        .into_acceptor()
        .await
        .with_context(|| format!("cannot listen on FOLIO_WORKER_METRICS_LISTEN {listen}"))?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("metrics listener has no address")?;
    let app = poem::Route::new().at(
        "/metrics",
        poem::get(folio_api::metrics::MetricsEndpoint::own_listener(token)),
    );
    tracing::info!(%addr, "serving metrics");
    let server = tokio::spawn(async move {
        if let Err(e) = poem::Server::new_with_acceptor(acceptor).run(app).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    Ok((addr, server))
}
