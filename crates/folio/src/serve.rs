//! `folio serve`: the HTTP API.

use std::time::Duration;

use anyhow::Context;
use folio_api::{ApiSettings, AppState};
use folio_app::{Database, DatabaseSettings};
use folio_domain::LoginThrottle;
use poem::Server;
use poem::listener::{Acceptor, Listener, TcpListener};

use crate::config::Config;

/// Builds the shared state from configuration, refusing to continue unless PostgreSQL
/// enforces tenant isolation for the application role.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db = Database::connect_lazy(&DatabaseSettings {
        url: config.database_url.clone(),
        max_connections: config.database_max_connections,
        acquire_timeout: Duration::from_millis(config.database_acquire_timeout_ms),
    })
    .context("database configuration")?;
    db.verify_isolation().await.map_err(|reason| {
        anyhow::anyhow!("refusing to start: tenant isolation is not guaranteed: {reason}")
    })?;
    let redis = redis::Client::open(config.redis_url.as_str()).context("FOLIO_REDIS_URL")?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating FOLIO_DATA_DIR {}", config.data_dir.display()))?;
    let storage = folio_storage::Storage::new(&config.storage_config()?).context("file storage")?;
    let secrets = config.secret_keys()?;
    if !secrets.configured() {
        tracing::warn!("FOLIO_SECRET_KEY is not set: single sign-on cannot be set up or used");
    }
    Ok(AppState {
        db,
        redis,
        storage,
        pdf_drawer: folio_app::pdf_drawer::PdfDrawer::this_binary()
            .context("finding the folio binary (it draws PDF pages in a child process)")?,
        runs: std::sync::Arc::new(folio_jobs::queue::QueueHandle::new(
            &config.redis_url,
            &config.redis_namespace,
            config.heartbeat(),
        )),
        settings: ApiSettings {
            session_ttl: Duration::from_secs(config.session_ttl_minutes * 60),
            cookie_secure: config.cookie_secure,
            login_throttle: LoginThrottle::default(),
            public_url: Some(config.public_url.trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty()),
            metrics_token: Some(config.metrics_token.clone()).filter(|t| !t.is_empty()),
            outbound: config.outbound(),
            secrets,
            trusted_proxies: config.trusted_proxies()?,
        },
    })
}

/// How long `folio serve` lets in-flight requests finish after SIGINT or SIGTERM. The
/// Kubernetes API Deployment's grace period (infra/k8s) covers it, checked by
/// `tests/infra.rs`.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the API until SIGINT or SIGTERM, then lets in-flight requests finish (up to
/// [`SHUTDOWN_TIMEOUT`]).
/// `on_listening` is told the bound address (the port may have been 0).
pub async fn serve(
    config: &Config,
    on_listening: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    serve_until(config, on_listening, shutdown_signal()).await
}

/// The whole HTTP application: the JSON API with the pages beside it, the pages calling
/// the API service in-process for the forms posted without the script (`/app/do`).
pub fn http_app(state: AppState) -> impl poem::Endpoint {
    let web = folio_web::WebState {
        db: state.db.clone(),
        cookie_secure: state.settings.cookie_secure,
        public_url: state.settings.public_url.clone(),
        session_ttl: state.settings.session_ttl,
        login_throttle: state.settings.login_throttle,
        secrets: state.settings.secrets.clone(),
    };
    let pages = folio_web::routes(&web, folio_api::in_process(&state));
    folio_api::app(state, pages)
}

/// Serves the API until `shutdown` resolves.
pub async fn serve_until(
    config: &Config,
    on_listening: impl FnOnce(std::net::SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = state(config).await?;
    let acceptor = TcpListener::bind(config.listen.as_str())
        .into_acceptor()
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("listener has no address")?;
    tracing::info!(%addr, "listening");
    on_listening(addr);
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(http_app(state), shutdown, Some(SHUTDOWN_TIMEOUT))
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// One shutdown signal for several parts of a process (`folio demo`'s API and workers):
/// registered at once, so a signal that arrives while a part is still starting is not
/// lost to it, and each part waits on its own copy.
pub(crate) fn shared_shutdown_signal() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let signal = shutdown_signal();
    tokio::spawn(async move {
        signal.await;
        let _ = tx.send(true);
    });
    rx
}

/// Resolves once a [`shared_shutdown_signal`] has fired.
pub(crate) async fn wait_for(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Registers for SIGINT and SIGTERM at once (a signal that arrives before the returned
/// future is first polled still counts) and resolves on the first of them.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let (Ok(mut interrupt), Ok(mut terminate)) = (interrupt, terminate) else {
            tracing::warn!("cannot listen for shutdown signals");
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutting down");
    }
}
