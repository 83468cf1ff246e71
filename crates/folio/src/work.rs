//! `folio work`: the background workers.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use folio_jobs::health::WorkerHealth;
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
    let tick = config.schedule()?;
    let name = WorkerOptions::process_name();
    let health = Arc::new(WorkerHealth::new(&name, config.heartbeat().interval, &tick));
    let options = WorkerOptions {
        name,
        concurrency: config.worker_concurrency,
        poll_interval: Duration::from_millis(config.worker_poll_ms),
        tick,
        shutdown_timeout: SHUTDOWN_TIMEOUT,
    };
    let listener = if config.worker_metrics_listen.is_empty() {
        None
    } else {
        let token = Some(config.metrics_token.as_str());
        let probe = Probe {
            health: health.clone(),
            db: ctx.db.clone(),
            queue: queue.clone(),
        };
        Some(
            serve_metrics(&config.worker_metrics_listen, token, Some(probe))
                .await?
                .1,
        )
    };
    let result = worker::run(ctx, queue, options, health, shutdown).await;
    if let Some(server) = listener {
        server.abort();
    }
    result
}

/// What a worker process's health endpoints look at.
#[derive(Clone)]
pub struct Probe {
    /// The process's workers.
    pub health: Arc<WorkerHealth>,
    /// PostgreSQL.
    pub db: folio_app::Database,
    /// The job queue in Redis.
    pub queue: JobQueue,
}

impl Probe {
    /// Every check, by name: PostgreSQL and Redis answer, and this process's workers,
    /// scheduler and outbox as [`folio_app::background`] judges them.
    async fn checks(&self) -> Vec<(String, Option<String>)> {
        use folio_api::health::answers;
        let (pg, redis) = tokio::join!(
            answers("postgres", self.db.ping()),
            answers("redis", self.queue.depth())
        );
        let mut checks = vec![
            ("postgres".to_owned(), pg.err()),
            ("redis".to_owned(), redis.err()),
        ];
        checks.extend(
            self.health
                .findings()
                .into_iter()
                .map(|f| (f.name.to_owned(), f.detail)),
        );
        checks
    }
}

/// `GET /readyz` of a worker process: 200 when PostgreSQL and Redis answer and its workers
/// and scheduler are as they should be; 503 naming what is not. An outbox whose oldest
/// email has waited too long is reported (`degraded`, still 200): it is the deployment's
/// symptom (an SMTP server refusing mail, say), not this process's, and an unready worker
/// would only hold up the rollout that may fix it.
#[poem::handler]
async fn worker_readyz(probe: poem::web::Data<&Probe>) -> poem::Response {
    let checks = probe.checks().await;
    let failing = |deployment_wide: bool| -> Vec<&str> {
        checks
            .iter()
            .filter(|(name, error)| error.is_some() && (name == "outbox") == deployment_wide)
            .map(|(name, _)| name.as_str())
            .collect()
    };
    let (down, degraded) = (failing(false), failing(true));
    let (status, word, detail) = if !down.is_empty() {
        tracing::warn!(down = ?down, "worker not ready");
        (
            poem::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Some(format!("unavailable: {}", down.join(", "))),
        )
    } else if !degraded.is_empty() {
        (
            poem::http::StatusCode::OK,
            "degraded",
            Some(format!("degraded: {}", degraded.join(", "))),
        )
    } else {
        (poem::http::StatusCode::OK, "ready", None)
    };
    let body = serde_json::json!({
        "status": word,
        "checks": checks.iter().map(|(name, error)| serde_json::json!({
            "name": name, "ok": error.is_none(), "error": error,
        })).collect::<Vec<_>>(),
        "detail": detail,
    });
    poem::Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// `GET /healthz` of a worker process: it answers, so its runtime and the supervisors
/// that restart its workers are alive. A worker that failed is restarted inside the
/// process, and `/readyz` says so meanwhile.
#[poem::handler]
fn worker_healthz() -> poem::web::Json<serde_json::Value> {
    poem::web::Json(serde_json::json!({ "status": "ok" }))
}

/// Serves this process's `GET /metrics` on `listen` (`FOLIO_WORKER_METRICS_LISTEN`) in the
/// background, behind `token` if one is given (`FOLIO_METRICS_TOKEN`; else open: the
/// listener's address keeps it private), with `GET /healthz` and `GET /readyz` beside it
/// (always open: probes carry no token) when given what they `probe`; returns the bound
/// address and the server's task.
pub async fn serve_metrics(
    listen: &str,
    token: Option<&str>,
    probe: Option<Probe>,
) -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    use poem::EndpointExt;
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
    let mut app = poem::Route::new().at(
        "/metrics",
        poem::get(folio_api::metrics::MetricsEndpoint::own_listener(token)),
    );
    if let Some(probe) = probe {
        app = app
            .at("/healthz", poem::get(worker_healthz))
            .at("/readyz", poem::get(worker_readyz.data(probe)));
    }
    tracing::info!(%addr, "serving metrics and health");
    let server = tokio::spawn(async move {
        if let Err(e) = poem::Server::new_with_acceptor(acceptor).run(app).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    Ok((addr, server))
}
