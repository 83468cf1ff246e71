//! The signed-in person: who they are, and their personal API tokens.
//!
//! Adapters over `folio_app::account::whoami` and `folio_app::api_tokens`.

use chrono::{DateTime, Utc};
use folio_app::account;
use folio_app::api_tokens::{self, ApiToken};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;
use crate::schema::{RoleName, TenantBody, UserBody};

#[derive(Tags)]
enum MeTag {
    /// The signed-in person.
    Me,
}

pub struct MeApi(pub AppState);

/// The signed-in person, their organisation and roles.
#[derive(Debug, Object)]
struct MeBody {
    /// The person.
    user: UserBody,
    /// Their organisation.
    tenant: TenantBody,
    /// Their roles.
    roles: Vec<RoleName>,
}

/// A personal API token (never its secret).
#[derive(Debug, Object)]
struct ApiTokenBody {
    /// Id.
    id: Uuid,
    /// Label.
    name: String,
    /// Created.
    created_at: DateTime<Utc>,
    /// Stops working at.
    expires_at: Option<DateTime<Utc>>,
    /// Last used (to the minute).
    last_used_at: Option<DateTime<Utc>>,
    /// Revoked at.
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for ApiTokenBody {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new personal API token.
#[derive(Debug, Object, Deserialize)]
struct NewApiToken {
    /// What it is for, e.g. "MIS sync".
    name: String,
    /// Days until it expires (1-366, default 90).
    expires_in_days: Option<i64>,
}

/// A created token: the secret is shown this once.
#[derive(Debug, Object)]
struct CreatedApiToken {
    /// The secret, for `Authorization: Bearer`. Store it now: it cannot be shown again.
    token: String,
    /// The token's details.
    api_token: ApiTokenBody,
}

#[derive(ApiResponse)]
enum CreateTokenResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<CreatedApiToken>),
}

#[derive(ApiResponse)]
enum RevokeTokenResponse {
    /// Revoked (or already revoked).
    #[oai(status = 204)]
    Revoked,
}

#[OpenApi(prefix_path = "/api/v1/me", tag = "MeTag::Me")]
impl MeApi {
    /// Who is signed in: the person, their organisation and their roles.
    #[oai(path = "/", method = "get")]
    async fn me(&self, credentials: Credentials) -> ApiResult<Json<MeBody>> {
        let mut uow = self.0.authenticate_before_disclaimer(&credentials).await?;
        let me = account::whoami(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(MeBody {
            roles: me.roles.into_iter().map(Into::into).collect(),
            user: me.person.into(),
            tenant: me.tenant.into(),
        }))
    }

    /// My personal API tokens, newest first, revoked ones included.
    #[oai(path = "/tokens", method = "get")]
    async fn list_tokens(&self, credentials: Credentials) -> ApiResult<Json<Vec<ApiTokenBody>>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let tokens = api_tokens::mine(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(tokens.into_iter().map(Into::into).collect()))
    }

    /// Create a personal API token. It acts with my roles; the secret is returned once.
    /// Only a signed-in session can create one (403 for an API token).
    #[oai(path = "/tokens", method = "post")]
    async fn create_token(
        &self,
        credentials: Credentials,
        body: JsonBody<NewApiToken>,
    ) -> ApiResult<CreateTokenResponse> {
        let req = body.0;
        let mut uow = self.0.authenticate(&credentials).await?;
        let created = api_tokens::create(&mut uow, &req.name, req.expires_in_days).await?;
        uow.commit().await?;
        Ok(CreateTokenResponse::Created(Json(CreatedApiToken {
            token: created.token,
            api_token: created.api_token.into(),
        })))
    }

    /// Revoke one of my API tokens; it stops working at once.
    #[oai(path = "/tokens/:id", method = "delete")]
    async fn revoke_token(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<RevokeTokenResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        api_tokens::revoke(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(RevokeTokenResponse::Revoked)
    }
}
