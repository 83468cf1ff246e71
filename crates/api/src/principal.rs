//! Who is calling: credentials in, an authenticated principal and its tenant transaction out.

use folio_app::{Disclaimer, UnitOfWork};
use folio_domain::Permission;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};

use crate::AppState;
use crate::problem::AppError;

pub use folio_app::browser::SESSION_COOKIE;

/// `Authorization: Bearer <token>`: a session token from sign-in or a personal API token.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "opaque")]
pub struct BearerToken(Bearer);

/// The HttpOnly session cookie a browser gets at sign-in.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "folio_session", key_in = "cookie")]
pub struct SessionCookie(ApiKey);

/// Either way of presenting a credential.
#[derive(SecurityScheme)]
pub enum Credentials {
    /// A bearer token.
    Bearer(BearerToken),
    /// The session cookie.
    Cookie(SessionCookie),
}

impl Credentials {
    fn token(&self) -> &str {
        match self {
            Credentials::Bearer(b) => &b.0.token,
            Credentials::Cookie(c) => &c.0.key,
        }
    }
}

/// A request's unit of work: the principal and the tenant transaction it was authenticated
/// in; handlers do their work in it.
pub type Authenticated = UnitOfWork;

impl AppState {
    /// Checks credentials and opens the caller's tenant transaction. Any failure is 401:
    /// the response does not say whether the token was malformed, unknown, expired or
    /// revoked, or whether its owner was deactivated. A learner who has not accepted the
    /// organisation's current disclaimer gets 403 `disclaimer-required`.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<Authenticated, AppError> {
        UnitOfWork::authenticate(&self.db, credentials.token(), Disclaimer::MustBeAccepted).await
    }

    /// [`AppState::authenticate`] without the disclaimer check: only for what a learner
    /// must reach before accepting it (who they are, the disclaimer, signing out).
    pub async fn authenticate_before_disclaimer(
        &self,
        credentials: &Credentials,
    ) -> Result<Authenticated, AppError> {
        UnitOfWork::authenticate(&self.db, credentials.token(), Disclaimer::NotYetNeeded).await
    }

    /// [`AppState::authenticate`], then 403 unless the principal has `permission`.
    pub async fn authorize(
        &self,
        credentials: &Credentials,
        permission: Permission,
    ) -> Result<Authenticated, AppError> {
        UnitOfWork::authorize(&self.db, credentials.token(), permission).await
    }
}
