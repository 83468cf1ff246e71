//! Password sign-in and sign-out: adapters over `folio_app::account`.

use chrono::Utc;
use folio_app::account::{self, PasswordSignIn};
use folio_app::password_links;
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

/// The password was right; the person has two-step sign-in on.
#[derive(Object)]
struct TwoFactorRequired {
    /// Send it with the code to `POST /api/v1/auth/login/two-factor`.
    challenge: String,
    /// Until when (five minutes; five wrong codes end it sooner).
    expires_at: chrono::DateTime<Utc>,
}

/// The second step of a sign-in. No `Debug`: it holds a code.
#[derive(Object, Deserialize)]
struct TwoFactorRequest {
    /// `challenge` from the sign-in's 202 answer.
    challenge: String,
    /// The six-digit code the authenticator app shows now, or a recovery code.
    code: String,
}

#[derive(ApiResponse)]
#[expect(
    clippy::large_enum_variant,
    reason = "one answer per sign-in, built and sent at once"
)]
enum LoginResponse {
    /// Signed in: the token is in the body and in an HttpOnly cookie.
    #[oai(status = 200)]
    SignedIn(Json<LoginResult>, #[oai(header = "Set-Cookie")] String),
    /// The password is right and a code is needed: send it with the challenge to
    /// `POST /api/v1/auth/login/two-factor`.
    #[oai(status = 202)]
    TwoFactorRequired(Json<TwoFactorRequired>),
}

#[derive(ApiResponse)]
enum TwoFactorLoginResponse {
    /// Signed in: the token is in the body and in an HttpOnly cookie.
    #[oai(status = 200)]
    SignedIn(Json<LoginResult>, #[oai(header = "Set-Cookie")] String),
}

/// "Forgot password?". No `Debug`: it names a person.
#[derive(Object, Deserialize)]
struct PasswordResetRequest {
    /// The organisation's slug, e.g. `northgate-training`.
    tenant: String,
    /// E-mail address (any case).
    email: String,
}

/// A new password with the token of an invitation or reset link. No `Debug`: it holds a
/// password and a token.
#[derive(Object, Deserialize)]
struct SetPasswordRequest {
    /// The `token` parameter of the link in the e-mail.
    token: String,
    /// The new password: at least 10 characters.
    password: String,
}

/// Where to sign in now.
#[derive(Debug, Object)]
struct PasswordSet {
    /// The organisation's slug.
    tenant: String,
}

#[derive(ApiResponse)]
enum ResetResponse {
    /// Taken: if the address belongs to someone who signs in with a password, they are
    /// e-mailed a link. The answer is the same whether or not it does.
    #[oai(status = 202)]
    Accepted,
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

    /// The answer to a finished sign-in: the session in the body and its cookie.
    fn signed_in(&self, signed_in: account::PasswordSignedIn) -> (Json<LoginResult>, String) {
        let account::PasswordSignedIn { session, tenant } = signed_in;
        let cookie = self.cookie(&session.token, self.0.settings.session_ttl.as_secs());
        (
            Json(LoginResult {
                token: session.token,
                token_type: "Bearer".into(),
                expires_at: session.expires_at,
                user: session.user.into(),
                tenant: tenant.into(),
            }),
            cookie,
        )
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
    /// `password-sign-in-disabled` (use `GET /auth/{tenant}/sso/login`). For a person with
    /// two-step sign-in on, the right password answers 202 with a challenge to send with
    /// their code to `POST /api/v1/auth/login/two-factor`.
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
        let outcome = account::sign_in_with_password(
            &state.db,
            &settings.login_throttle,
            settings.session_ttl,
            &request,
        )
        .await?;
        Ok(match outcome {
            account::PasswordOutcome::SignedIn(signed_in) => {
                let (result, cookie) = self.signed_in(*signed_in);
                LoginResponse::SignedIn(result, cookie)
            }
            account::PasswordOutcome::TwoFactorRequired(challenge) => {
                LoginResponse::TwoFactorRequired(Json(TwoFactorRequired {
                    challenge: challenge.token,
                    expires_at: challenge.expires_at,
                }))
            }
        })
    }

    /// The second step of signing in, for a person with two-step sign-in on: the
    /// challenge from the sign-in's 202 answer and the code their authenticator app shows
    /// now (or a recovery code, each good once). A wrong code is 401
    /// `two-factor-code-wrong`; after five, or five minutes, the challenge ends: 401
    /// `two-factor-expired`, sign in again with the password.
    #[oai(path = "/login/two-factor", method = "post")]
    async fn login_two_factor(
        &self,
        body: JsonBody<TwoFactorRequest>,
    ) -> ApiResult<TwoFactorLoginResponse> {
        let req = body.0;
        let state = &self.0;
        let signed_in = folio_app::two_factor::finish_sign_in(
            &state.db,
            &state.settings.secrets,
            state.settings.session_ttl,
            &req.challenge,
            &req.code,
        )
        .await?;
        let (result, cookie) = self.signed_in(signed_in);
        Ok(TwoFactorLoginResponse::SignedIn(result, cookie))
    }

    /// "Forgot password?": e-mails a single-use link, valid 30 minutes, to set a new
    /// password, if the address belongs to an active person of an organisation that signs
    /// people in with passwords (at most three such e-mails an hour). The answer is 202
    /// whether or not an e-mail is sent, so it never tells whether an address has an
    /// account; only a malformed organisation or address is refused (422).
    #[oai(path = "/password-reset", method = "post")]
    async fn request_reset(
        &self,
        body: JsonBody<PasswordResetRequest>,
    ) -> ApiResult<ResetResponse> {
        let req = body.0;
        let request = password_links::ResetRequest {
            tenant: &req.tenant,
            email: &req.email,
        };
        password_links::request_reset(&self.0.db, &self.0.settings.secrets, &request).await?;
        Ok(ResetResponse::Accepted)
    }

    /// Set a password with the token of an invitation or reset link. The link then stops
    /// working, and every session and API token of the person ends. 410 `link-not-usable`
    /// for a link that has expired, has been used or never existed; 422 naming `password`
    /// for one that is too short (the link still works).
    #[oai(path = "/password", method = "post")]
    async fn set_password(
        &self,
        body: JsonBody<SetPasswordRequest>,
    ) -> ApiResult<Json<PasswordSet>> {
        let req = body.0;
        let request = password_links::SetPassword {
            token: &req.token,
            password: &req.password,
        };
        let tenant = password_links::set_password(&self.0.db, &request).await?;
        Ok(Json(PasswordSet { tenant }))
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
