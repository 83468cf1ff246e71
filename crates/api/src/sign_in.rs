//! Password sign-in and sign-out: adapters over `folio_app::account`.

use chrono::Utc;
use folio_app::account::{self, PasswordSignIn};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;

use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;
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
///
/// (The validators below only state the rules in the document: the body is read and
/// checked by the sign-in use case, which names each field at fault.)
struct LoginRequest {
    /// The organisation's slug, e.g. `northgate-training`.
    #[oai(validator(min_length = 2, max_length = 63, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    tenant: String,
    /// E-mail address (any case).
    #[oai(validator(
        max_length = 254,
        pattern = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
    ))]
    email: String,
    /// Password: up to 256 characters always fit (longer ones are taken up to 1,024 bytes).
    #[oai(validator(min_length = 1, max_length = 256))]
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

#[OpenApi(prefix_path = "/api/v1/auth", tag = "SignInTag::Authentication")]
impl SignInApi {
    /// Sign in with an organisation, e-mail address and password.
    ///
    /// A wrong organisation, address or password all answer the same 401, so the response
    /// never tells whether an address has an account. After repeated failures for one
    /// address from one client, or for many addresses from one client, sign-in from that
    /// client is refused with 429 for a while (the same address from elsewhere is not). An organisation that signs its
    /// people in only through its identity provider refuses password sign-in with 403
    /// `password-sign-in-disabled` (use `GET /auth/{tenant}/sso/login`).
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
        http: &poem::Request,
        body: JsonBody<LoginRequest>,
    ) -> ApiResult<LoginResponse> {
        let req = body.0;
        let state = &self.0;
        let request = PasswordSignIn {
            tenant: &req.tenant,
            email: &req.email,
            password: &req.password,
            client: crate::request_context::caller_ip(http),
        };
        let settings = &state.settings;
        let account::PasswordSignedIn { session, tenant } = account::sign_in_with_password(
            &state.db,
            &settings.login_throttle,
            settings.session_ttl,
            &request,
        )
        .await?;

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
        let mut uow = self.0.authenticate_before_disclaimer(&credentials).await?;
        account::sign_out(&mut uow).await?;
        uow.commit().await?;
        Ok(LogoutResponse::SignedOut(self.cookie("", 0)))
    }
}
