//! Password sign-in and sign-out.

use chrono::Utc;
use folio_db::audit::{self, Actor, Event};
use folio_db::{TenantTx, auth, platform, sso, users};
use folio_domain::{EmailAddress, Password, TenantSlug};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::json_body::JsonBody;
use folio_app::CredentialId;
use folio_app::credentials::{TokenKind, mint, verify_password};

use crate::principal::Credentials;
use crate::problem::{ApiResult, AppError, AppResult, Fields, checked};
use crate::schema::{TenantBody, UserBody};
use crate::{ApiSettings, AppState};

#[derive(Tags)]
enum SignInTag {
    /// Signing in and out.
    Authentication,
}

pub struct SignInApi(pub AppState);

/// Password sign-in.
/// No `Debug`: it holds a password.
#[derive(Object, Deserialize)]
struct LoginRequest {
    /// The organisation's slug, e.g. `northgate-training`.
    tenant: String,
    /// E-mail address (any case).
    email: String,
    /// Password.
    password: String,
}

/// A new session.
#[derive(Debug, Object)]
struct LoginResult {
    /// The session token, for `Authorization: Bearer`; browsers use the cookie instead.
    token: String,
    /// Always `Bearer`.
    token_type: String,
    /// When the session ends.
    expires_at: chrono::DateTime<Utc>,
    /// Who signed in.
    user: UserBody,
    /// Their organisation.
    tenant: TenantBody,
}

#[derive(ApiResponse)]
enum LoginResponse {
    /// Signed in: the token is in the body and in an HttpOnly cookie.
    #[oai(status = 200)]
    SignedIn(Json<LoginResult>, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum LogoutResponse {
    /// Signed out; the cookie is cleared.
    #[oai(status = 204)]
    SignedOut(#[oai(header = "Set-Cookie")] String),
}

impl SignInApi {
    fn cookie(&self, value: &str, max_age_secs: u64) -> String {
        session_cookie(&self.0.settings, value, max_age_secs)
    }
}

/// The `Set-Cookie` value for the session cookie (empty value and 0 to clear it).
pub(crate) fn session_cookie(settings: &ApiSettings, value: &str, max_age_secs: u64) -> String {
    folio_app::browser::session_cookie(settings.cookie_secure, value, max_age_secs)
}

/// A session just started.
pub(crate) struct StartedSession {
    /// The token, for the client (and the cookie).
    pub token: String,
    /// When it ends.
    pub expires_at: chrono::DateTime<Utc>,
    /// Who signed in.
    pub user: users::User,
}

/// Starts a session for a person whose sign-in succeeded, however they proved who they are
/// (`method`: `password`, `sso`): the session row, their last sign-in and the audit record,
/// all in the caller's tenant transaction, which the caller commits.
pub(crate) async fn start_session(
    state: &AppState,
    tx: &mut TenantTx,
    user_id: Uuid,
    method: &str,
) -> AppResult<StartedSession> {
    let minted = mint(TokenKind::Session, tx.tenant());
    let ttl = chrono::Duration::from_std(state.settings.session_ttl)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let expires_at = Utc::now() + ttl;
    let session_id = Uuid::now_v7();
    auth::create_session(tx, session_id, user_id, &minted.hash, expires_at).await?;
    users::record_login(tx, user_id).await?;
    audit::record(
        tx,
        Event {
            actor: Actor::User(user_id),
            action: "session.create",
            entity_type: "session",
            entity_id: Some(session_id),
            details: serde_json::json!({ "method": method }),
        },
    )
    .await?;
    let user = users::get(tx, user_id).await?;
    Ok(StartedSession {
        token: minted.token,
        expires_at,
        user,
    })
}

#[OpenApi(prefix_path = "/api/v1/auth", tag = "SignInTag::Authentication")]
impl SignInApi {
    /// Sign in with an organisation, e-mail address and password.
    ///
    /// A wrong organisation, address or password all answer the same 401, so the response
    /// never tells whether an address has an account. After repeated failures for one
    /// address, sign-in is refused with 429 for a while. An organisation that signs its
    /// people in only through its identity provider refuses password sign-in with 403
    /// `password-sign-in-disabled` (use `GET /auth/{tenant}/sso/login`).
    #[oai(path = "/login", method = "post")]
    async fn login(&self, body: JsonBody<LoginRequest>) -> ApiResult<LoginResponse> {
        let req = body.0;
        let mut fields = Fields::default();
        let slug = fields.check("tenant", TenantSlug::parse(&req.tenant));
        let email = fields.check("email", EmailAddress::parse(&req.email));
        fields.require("password", !req.password.is_empty(), "must not be empty");
        fields.require(
            "password",
            req.password.len() <= Password::MAX_BYTES,
            "must be at most 1024 bytes",
        );
        fields.finish()?;
        let (slug, email) = (checked(slug)?, checked(email)?);

        let state = &self.0;
        let tenant = platform::find_by_slug(state.db.pool(), slug.as_str())
            .await?
            .filter(|t| t.status == "active");
        let Some(tenant) = tenant else {
            // Same work as a real attempt, so timing does not reveal unknown organisations.
            verify_password(&req.password, None).await;
            return Err(AppError::InvalidCredentials.into());
        };
        let throttle = state.settings.login_throttle;
        let now = Utc::now();

        // The attempt is counted as a failure before the password is checked, in a short
        // transaction holding the address's throttle row: a burst of parallel guesses is
        // counted one by one and cannot outrun the lock, and no connection is held while
        // argon2 runs. A successful sign-in clears the count.
        let mut tx = state.db.begin_tenant(tenant.tenant_id()).await?;
        if !sso::password_sign_in_enabled(&mut tx).await? {
            tracing::info!(tenant_id = %tenant.id, "password sign-in refused: SSO only");
            return Err(AppError::PasswordSignInDisabled.into());
        }
        let previous = auth::lock_throttle_state(&mut tx, &email, now).await?;
        if let Some(until) = throttle.locked_until(Some(&previous), now) {
            let retry_after_secs = u64::try_from((until - now).num_seconds())
                .unwrap_or(0)
                .max(1);
            return Err(AppError::TooManyAttempts { retry_after_secs }.into());
        }
        let counted = throttle.record_failure(Some(&previous), now);
        auth::save_throttle_state(&mut tx, &email, &counted).await?;
        let candidate = users::find_sign_in_candidate(&mut tx, &email).await?;
        tx.commit().await?;

        let hash = candidate.as_ref().and_then(|c| c.password_hash.as_deref());
        let password_ok = verify_password(&req.password, hash).await;
        let user_id = match candidate {
            Some(c) if password_ok && c.active => c.id,
            _ => {
                tracing::info!(tenant_id = %tenant.id, "sign-in refused");
                return Err(AppError::InvalidCredentials.into());
            }
        };

        let mut tx = state.db.begin_tenant(tenant.tenant_id()).await?;
        auth::clear_throttle(&mut tx, &email).await?;
        let session = start_session(state, &mut tx, user_id, "password").await?;
        tx.commit().await?;

        let cookie = self.cookie(&session.token, state.settings.session_ttl.as_secs());
        Ok(LoginResponse::SignedIn(
            Json(LoginResult {
                token: session.token,
                token_type: "Bearer".into(),
                expires_at: session.expires_at,
                user: session.user.into(),
                tenant: tenant.into(),
            }),
            cookie,
        ))
    }

    /// Sign out: ends the session presented and clears the cookie. A personal API token
    /// stays valid (revoke it under `/api/v1/me/tokens`).
    #[oai(path = "/logout", method = "post")]
    async fn logout(&self, credentials: Credentials) -> ApiResult<LogoutResponse> {
        let mut authed = self.0.authenticate_before_disclaimer(&credentials).await?;
        if let CredentialId::Session(id) = authed.principal.credential {
            auth::delete_session(&mut authed.tx, id).await?;
            audit::record(
                &mut authed.tx,
                Event {
                    actor: authed.principal.actor(),
                    action: "session.delete",
                    entity_type: "session",
                    entity_id: Some(id),
                    details: serde_json::json!({}),
                },
            )
            .await?;
        }
        authed.tx.commit().await?;
        Ok(LogoutResponse::SignedOut(self.cookie("", 0)))
    }
}
