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

/// Status of one dependency.
#[derive(Debug, Object)]
struct Check {
    /// `postgres` or `redis`.
    name: String,
    /// Whether it answered.
    ok: bool,
    /// Why not, when it did not (details are in the server's log).
    error: Option<String>,
}

/// Readiness: every dependency and whether it answered.
#[derive(Debug, Object)]
struct Readiness {
    /// `ready` or `unavailable`.
    status: String,
    /// One entry per dependency.
    checks: Vec<Check>,
    /// What is down, for people reading it.
    detail: Option<String>,
}

#[derive(ApiResponse)]
enum ReadyResponse {
    /// PostgreSQL and Redis answer.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// Something this process needs is down; `detail` names it.
    #[oai(status = 503)]
    Unavailable(Json<Readiness>),
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

async fn check_postgres(state: &AppState) -> Result<(), String> {
    match tokio::time::timeout(CHECK_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: postgres");
            Err("not answering".into())
        }
        Err(_) => Err("timed out".into()),
    }
}

async fn check_redis(state: &AppState) -> Result<(), String> {
    let ping = async {
        let mut conn = state.redis.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(CHECK_TIMEOUT, ping).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: redis");
            Err("not answering".into())
        }
        Err(_) => Err("timed out".into()),
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
    #[oai(path = "/readyz", method = "get")]
    async fn readyz(&self) -> ReadyResponse {
        let (pg, redis) = tokio::join!(check_postgres(&self.0), check_redis(&self.0));
        let checks: Vec<Check> = [("postgres", pg), ("redis", redis)]
            .into_iter()
            .map(|(name, result)| Check {
                name: name.into(),
                ok: result.is_ok(),
                error: result.err(),
            })
            .collect();
        let down: Vec<&str> = checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_str())
            .collect();
        if down.is_empty() {
            ReadyResponse::Ready(Json(Readiness {
                status: "ready".into(),
                checks,
                detail: None,
            }))
        } else {
            tracing::warn!(down = ?down, "not ready");
            let detail = Some(format!("unavailable: {}", down.join(", ")));
            ReadyResponse::Unavailable(Json(Readiness {
                status: "unavailable".into(),
                checks,
                detail,
            }))
        }
    }
}
