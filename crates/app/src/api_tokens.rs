//! Personal API tokens: a person lists, creates and revokes their own. A token acts with
//! its owner's roles; only a signed-in session creates one (403 for an API token), since a
//! token that could mint tokens could outlive its own expiry and revocation.

use chrono::Utc;
use folio_db::auth;
use folio_domain::TokenName;
use uuid::Uuid;

pub use folio_db::auth::ApiToken;

use crate::credentials::{TokenKind, mint};
use crate::{CredentialId, Error, Fields, Result, UnitOfWork, checked};

/// How long a token lasts when nothing is said, in days.
const DEFAULT_DAYS: i64 = 90;

/// A token just created, with its secret: shown this once.
#[derive(Debug)]
pub struct Created {
    /// The secret, for `Authorization: Bearer`.
    pub token: String,
    /// The token's details.
    pub api_token: ApiToken,
}

/// The caller's tokens, newest first, revoked ones included.
pub async fn mine(uow: &mut UnitOfWork) -> Result<Vec<ApiToken>> {
    let me = uow.principal.user_id;
    Ok(auth::list_api_tokens(&mut uow.tx, me).await?)
}

/// Creates a token for the caller, named `name`, lasting `expires_in_days` (1–366,
/// default 90); only from a signed-in session.
pub async fn create(
    uow: &mut UnitOfWork,
    name: &str,
    expires_in_days: Option<i64>,
) -> Result<Created> {
    if !matches!(uow.principal.credential, CredentialId::Session(_)) {
        return Err(Error::Forbidden);
    }
    let mut fields = Fields::default();
    let name = fields.check("name", TokenName::parse(name));
    let days = expires_in_days.unwrap_or(DEFAULT_DAYS);
    fields.require(
        "expires_in_days",
        (1..=366).contains(&days),
        "must be between 1 and 366",
    );
    fields.finish()?;
    let name = checked(name)?;
    let minted = mint(TokenKind::ApiToken, uow.tenant());
    let id = Uuid::now_v7();
    let expires_at = Utc::now() + chrono::Duration::days(days);
    let user_id = uow.principal.user_id;
    let api_token = auth::create_api_token(
        &mut uow.tx,
        id,
        user_id,
        &name,
        &minted.hash,
        Some(expires_at),
    )
    .await?;
    uow.audit(
        "api_token.create",
        "api_token",
        id,
        serde_json::json!({ "expires_in_days": days }),
    )
    .await?;
    Ok(Created {
        token: minted.token,
        api_token,
    })
}

/// Revokes one of the caller's tokens; it stops working at once (revoking one already
/// revoked changes nothing).
pub async fn revoke(uow: &mut UnitOfWork, id: Uuid) -> Result<()> {
    let me = uow.principal.user_id;
    auth::revoke_api_token(&mut uow.tx, me, id).await?;
    uow.audit("api_token.revoke", "api_token", id, serde_json::json!({}))
        .await
}
