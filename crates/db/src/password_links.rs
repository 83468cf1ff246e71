//! Single-use links to set a password (invitations and resets): only the token's hash is
//! stored.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new person's first password.
    Invitation,
    /// "Forgot password?".
    Reset,
}

impl Purpose {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::Reset => "reset",
        }
    }
}

/// A new link.
#[derive(Debug, Clone)]
pub struct NewLink<'a> {
    /// Its id.
    pub id: Uuid,
    /// Whose password it sets.
    pub user_id: Uuid,
    /// Why.
    pub purpose: Purpose,
    /// SHA-256 of the token.
    pub token_hash: &'a [u8; 32],
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Stores a new link, after withdrawing the person's unused links of the same purpose (a
/// link sent again replaces the last one).
pub async fn replace(tx: &mut TenantTx, link: &NewLink<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update password_links set used_at = now()
         where tenant_id = $1 and user_id = $2 and purpose = $3 and used_at is null",
    )
    .bind(tenant.0)
    .bind(link.user_id)
    .bind(link.purpose.as_str())
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into password_links (tenant_id, id, user_id, purpose, token_hash, expires_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.0)
    .bind(link.id)
    .bind(link.user_id)
    .bind(link.purpose.as_str())
    .bind(&link.token_hash[..])
    .bind(link.expires_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// How many links of `purpose` were made for a person since `since`.
pub async fn count_since(
    tx: &mut TenantTx,
    user_id: Uuid,
    purpose: Purpose,
    since: DateTime<Utc>,
) -> DbResult<i64> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select count(*) from password_links
         where tenant_id = $1 and user_id = $2 and purpose = $3 and created_at > $4",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(since)
    .fetch_one(tx.conn())
    .await?)
}

/// A stored link, as found by its token.
#[derive(Debug, Clone, FromRow)]
pub struct Link {
    /// Its id.
    pub id: Uuid,
    /// Whose password it sets.
    pub user_id: Uuid,
    /// `invitation` or `reset`.
    pub purpose: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was used (or withdrawn).
    pub used_at: Option<DateTime<Utc>>,
    /// Whether the person's account is active.
    pub user_active: bool,
}

/// The link with this token hash, locked until the transaction ends (so it is used once,
/// however many times it is posted at once).
pub async fn lock_by_token(tx: &mut TenantTx, token_hash: &[u8; 32]) -> DbResult<Option<Link>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select l.id, l.user_id, l.purpose, l.expires_at, l.used_at,
                u.status = 'active' as user_active
         from password_links l
         join users u on u.tenant_id = l.tenant_id and u.id = l.user_id
         where l.tenant_id = $1 and l.token_hash = $2
         for update of l",
    )
    .bind(tenant.0)
    .bind(&token_hash[..])
    .fetch_optional(tx.conn())
    .await?)
}

/// Marks every unused link of a person used (the one just used among them).
pub async fn use_all(tx: &mut TenantTx, user_id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update password_links set used_at = now()
         where tenant_id = $1 and user_id = $2 and used_at is null",
    )
    .bind(tenant.0)
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}
