//! The signed-in person: who they are, and their personal API tokens.

use chrono::{DateTime, Utc};
use folio_db::audit::{self, Event};
use folio_db::{auth, platform, users};
use folio_domain::TokenName;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use folio_app::CredentialId;
use folio_app::credentials::{TokenKind, mint};

use crate::principal::Credentials;
use crate::problem::{ApiResult, AppError, Fields, checked};
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

impl From<auth::ApiToken> for ApiTokenBody {
    fn from(t: auth::ApiToken) -> Self {
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
        let mut authed = self.0.authenticate_before_disclaimer(&credentials).await?;
        let user = users::get(&mut authed.tx, authed.principal.user_id).await?;
        let tenant = platform::current(&mut authed.tx).await?;
        authed.tx.commit().await?;
        Ok(Json(MeBody {
            roles: authed.principal.roles.iter().map(|&r| r.into()).collect(),
            user: user.into(),
            tenant: tenant.into(),
        }))
    }

    /// My personal API tokens, newest first, revoked ones included.
    #[oai(path = "/tokens", method = "get")]
    async fn list_tokens(&self, credentials: Credentials) -> ApiResult<Json<Vec<ApiTokenBody>>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let tokens = auth::list_api_tokens(&mut authed.tx, authed.principal.user_id).await?;
        authed.tx.commit().await?;
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
        let mut authed = self.0.authenticate(&credentials).await?;
        // A token that could mint tokens could outlive its own expiry and revocation.
        if !matches!(authed.principal.credential, CredentialId::Session(_)) {
            return Err(AppError::Forbidden.into());
        }
        let req = body.0;
        let mut fields = Fields::default();
        let name = fields.check("name", TokenName::parse(&req.name));
        let days = req.expires_in_days.unwrap_or(90);
        fields.require(
            "expires_in_days",
            (1..=366).contains(&days),
            "must be between 1 and 366",
        );
        fields.finish()?;
        let name = checked(name)?;

        let minted = mint(TokenKind::ApiToken, authed.principal.tenant);
        let id = Uuid::now_v7();
        let expires_at = Utc::now() + chrono::Duration::days(days);
        let user_id = authed.principal.user_id;
        let token = auth::create_api_token(
            &mut authed.tx,
            id,
            user_id,
            &name,
            &minted.hash,
            Some(expires_at),
        )
        .await?;
        audit::record(
            &mut authed.tx,
            Event {
                actor: authed.principal.actor(),
                action: "api_token.create",
                entity_type: "api_token",
                entity_id: Some(id),
                details: serde_json::json!({ "expires_in_days": days }),
            },
        )
        .await?;
        authed.tx.commit().await?;
        Ok(CreateTokenResponse::Created(Json(CreatedApiToken {
            token: minted.token,
            api_token: token.into(),
        })))
    }

    /// Revoke one of my API tokens; it stops working at once.
    #[oai(path = "/tokens/:id", method = "delete")]
    async fn revoke_token(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<RevokeTokenResponse> {
        let mut authed = self.0.authenticate(&credentials).await?;
        auth::revoke_api_token(&mut authed.tx, authed.principal.user_id, id.0).await?;
        audit::record(
            &mut authed.tx,
            Event {
                actor: authed.principal.actor(),
                action: "api_token.revoke",
                entity_type: "api_token",
                entity_id: Some(id.0),
                details: serde_json::json!({}),
            },
        )
        .await?;
        authed.tx.commit().await?;
        Ok(RevokeTokenResponse::Revoked)
    }
}
