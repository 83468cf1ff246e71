//! Liveness and readiness for load balancers and Kubernetes.

use std::time::Duration;

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use crate::AppState;

#[derive(Tags)]
enum HealthTag {
    /// Process health.
    Health,
}

pub struct HealthApi(pub AppState);

/// Status of one dependency or of the background work.
#[derive(Debug, Object)]
struct Check {
    /// `postgres` or `redis` (this process's dependencies); `workers` (a `folio work`
    /// process is alive and none has a worker restarting after a failure), `scheduler`
    /// (it has ticked within its period and a grace) or `outbox` (no email has waited
    /// more than 30 minutes), judged from what the worker processes report.
    name: String,
    /// Whether it answered.
    ok: bool,
    /// Why not, when it did not (details are in the server's log).
    error: Option<String>,
}

/// Readiness: every dependency and whether it answered, and whether the background work
/// is alive.
#[derive(Debug, Object)]
struct Readiness {
    /// `ready`; `degraded` when this process can serve but the background work is not as
    /// it should be (a `workers`, `scheduler` or `outbox` check failed); `unavailable` when
    /// PostgreSQL or Redis does not answer.
    status: String,
    /// One entry per dependency.
    checks: Vec<Check>,
    /// What is down, for people reading it.
    detail: Option<String>,
}

#[derive(ApiResponse)]
enum ReadyResponse {
    /// PostgreSQL and Redis answer; `status` says whether the background work is alive
    /// too (`ready`) or not (`degraded`, naming what is wrong): a load balancer keeps
    /// sending requests either way, since this process can serve them.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// Something this process needs is down; `detail` names it.
    #[oai(status = 503)]
    Unavailable(Json<Readiness>),
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether a dependency answered `ping` within the checks' timeout: `Err` says, in the
/// words a probe shows, that it did not answer or timed out (the driver's error goes to the
/// log under `what`, never to the response). A worker's own `/readyz` checks the same way.
pub async fn answers<T, E: std::fmt::Display>(
    what: &str,
    ping: impl std::future::Future<Output = Result<T, E>>,
) -> Result<(), String> {
    match tokio::time::timeout(CHECK_TIMEOUT, ping).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, dependency = what, "readiness: not answering");
            Err("not answering".into())
        }
        Err(_) => Err("timed out".into()),
    }
}

async fn check_postgres(state: &AppState) -> Result<(), String> {
    answers("postgres", state.db.ping()).await
}

async fn check_redis(state: &AppState) -> Result<(), String> {
    answers("redis", async {
        let mut conn = state.redis.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    })
    .await
}

/// The background work as the worker processes report it; empty if the reports cannot be
/// read (PostgreSQL's own check then says why).
async fn check_background(state: &AppState) -> Vec<Check> {
    match tokio::time::timeout(CHECK_TIMEOUT, folio_app::background::check(&state.db)).await {
        Ok(Ok(findings)) => findings
            .into_iter()
            .map(|f| Check {
                name: f.name.into(),
                ok: f.ok,
                error: f.detail,
            })
            .collect(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the worker processes' reports");
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}

#[OpenApi(tag = "HealthTag::Health")]
impl HealthApi {
    /// Liveness: the process is up and serving.
    #[oai(path = "/healthz", method = "get")]
    async fn healthz(&self) -> Json<serde_json::Value> {
        Json(serde_json::json!({ "status": "ok" }))
    }

    /// Readiness: PostgreSQL and Redis both answer; 503 naming what is down otherwise.
    /// The background work is reported beside them: `degraded` (still 200) when no worker
    /// process is alive, one is restarting a worker, the scheduler has stopped ticking or
    /// an email has waited too long.
    #[oai(path = "/readyz", method = "get")]
    async fn readyz(&self) -> ReadyResponse {
        let (pg, redis) = tokio::join!(check_postgres(&self.0), check_redis(&self.0));
        let background = if pg.is_ok() {
            check_background(&self.0).await
        } else {
            Vec::new()
        };
        let checks: Vec<Check> = [("postgres", pg), ("redis", redis)]
            .into_iter()
            .map(|(name, result)| Check {
                name: name.into(),
                ok: result.is_ok(),
                error: result.err(),
            })
            .chain(background)
            .collect();
        let failing = |names: &[&str]| -> Vec<String> {
            checks
                .iter()
                .filter(|c| !c.ok && names.contains(&c.name.as_str()))
                .map(|c| c.name.clone())
                .collect()
        };
        let down = failing(&["postgres", "redis"]);
        let degraded = failing(&["workers", "scheduler", "outbox"]);
        if !down.is_empty() {
            tracing::warn!(down = ?down, "not ready");
            let detail = Some(format!("unavailable: {}", down.join(", ")));
            return ReadyResponse::Unavailable(Json(Readiness {
                status: "unavailable".into(),
                checks,
                detail,
            }));
        }
        let (status, detail) = if degraded.is_empty() {
            ("ready", None)
        } else {
            tracing::warn!(degraded = ?degraded, "background work degraded");
            (
                "degraded",
                Some(format!("degraded: {}", degraded.join(", "))),
            )
        };
        ReadyResponse::Ready(Json(Readiness {
            status: status.into(),
            checks,
            detail,
        }))
    }
}
