//! Two-step sign-in: each person's sealed TOTP secret, their recovery codes (hashed) and
//! the challenges between a right password and a code.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// A person's second step, locked until the transaction ends.
#[derive(Debug, Clone, FromRow)]
pub struct Enrolment {
    /// The secret, sealed.
    pub secret_sealed: String,
    /// When the person confirmed it with a code (unconfirmed: not yet asked for).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The last time step a code was accepted for.
    pub last_step: i64,
    /// Wrong codes since the last right one (or the last lock).
    pub failed_codes: i32,
    /// Until when no code is checked, after too many wrong ones.
    pub locked_until: Option<DateTime<Utc>>,
}

/// The person's second step, if they started one, locked.
pub async fn lock(tx: &mut TenantTx, user_id: Uuid) -> DbResult<Option<Enrolment>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select secret_sealed, confirmed_at, last_step, failed_codes, locked_until
         from two_factor where tenant_id = $1 and user_id = $2 for update",
    )
    .bind(tenant.0)
    .bind(user_id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Starts (or starts again) an unconfirmed enrolment with this sealed secret.
pub async fn start(tx: &mut TenantTx, user_id: Uuid, secret_sealed: &str) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into two_factor (tenant_id, user_id, secret_sealed) values ($1, $2, $3)
         on conflict (tenant_id, user_id) do update
         set secret_sealed = excluded.secret_sealed, confirmed_at = null, last_step = 0,
             created_at = now()",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(secret_sealed)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records that a code for `step` was accepted (and confirms the enrolment).
pub async fn accept_step(tx: &mut TenantTx, user_id: Uuid, step: i64) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update two_factor
         set last_step = $3, confirmed_at = coalesce(confirmed_at, now()), failed_codes = 0,
             locked_until = null
         where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(step)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records a wrong code: the count so far, and a lock if it has been reached.
pub async fn record_wrong_code(
    tx: &mut TenantTx,
    user_id: Uuid,
    failed_codes: i32,
    locked_until: Option<DateTime<Utc>>,
) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update two_factor set failed_codes = $3, locked_until = $4
         where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(failed_codes)
    .bind(locked_until)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Replaces the person's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    tx: &mut TenantTx,
    user_id: Uuid,
    hashes: &[[u8; 32]],
) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("delete from two_factor_recovery_codes where tenant_id = $1 and user_id = $2")
        .bind(tenant.0)
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    let hashes: Vec<Vec<u8>> = hashes.iter().map(|h| h.to_vec()).collect();
    sqlx::query(
        "insert into two_factor_recovery_codes (tenant_id, user_id, code_hash)
         select $1, $2, h from unnest($3::bytea[]) as h",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(&hashes)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Uses an unused recovery code of the person; whether there was one.
pub async fn use_recovery_code(
    tx: &mut TenantTx,
    user_id: Uuid,
    hash: &[u8; 32],
) -> DbResult<bool> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update two_factor_recovery_codes set used_at = now()
         where tenant_id = $1 and user_id = $2 and code_hash = $3 and used_at is null",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(&hash[..])
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// How many unused recovery codes the person has.
pub async fn recovery_codes_left(tx: &mut TenantTx, user_id: Uuid) -> DbResult<i64> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select count(*) from two_factor_recovery_codes
         where tenant_id = $1 and user_id = $2 and used_at is null",
    )
    .bind(tenant.0)
    .bind(user_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Turns the person's second step off: secret, codes and pending challenges go.
pub async fn remove(tx: &mut TenantTx, user_id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    for statement in [
        "delete from two_factor_challenges where tenant_id = $1 and user_id = $2",
        "delete from two_factor_recovery_codes where tenant_id = $1 and user_id = $2",
        "delete from two_factor where tenant_id = $1 and user_id = $2",
    ] {
        sqlx::query(statement)
            .bind(tenant.0)
            .bind(user_id)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

/// Stores a challenge: the person gave the right password and must now give a code. Any
/// earlier challenge of theirs ends: one is open at a time.
pub async fn create_challenge(
    tx: &mut TenantTx,
    id: Uuid,
    user_id: Uuid,
    token_hash: &[u8; 32],
    expires_at: DateTime<Utc>,
) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("delete from two_factor_challenges where tenant_id = $1 and user_id = $2")
        .bind(tenant.0)
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "insert into two_factor_challenges (tenant_id, id, user_id, token_hash, expires_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(user_id)
    .bind(&token_hash[..])
    .bind(expires_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A pending challenge.
#[derive(Debug, Clone, FromRow)]
pub struct Challenge {
    /// Its id.
    pub id: Uuid,
    /// Who must give a code.
    pub user_id: Uuid,
    /// Until when.
    pub expires_at: DateTime<Utc>,
    /// Wrong codes given so far.
    pub attempts: i32,
}

/// The challenge with this token hash, locked.
pub async fn lock_challenge(
    tx: &mut TenantTx,
    token_hash: &[u8; 32],
) -> DbResult<Option<Challenge>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, user_id, expires_at, attempts from two_factor_challenges
         where tenant_id = $1 and token_hash = $2 for update",
    )
    .bind(tenant.0)
    .bind(&token_hash[..])
    .fetch_optional(tx.conn())
    .await?)
}

/// Counts a wrong code against a challenge.
pub async fn count_wrong_code(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update two_factor_challenges set attempts = attempts + 1 where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Removes a challenge (answered, or given up), and any that have expired.
pub async fn end_challenge(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "delete from two_factor_challenges
         where tenant_id = $1 and (id = $2 or expires_at < now())",
    )
    .bind(tenant.0)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether the person has a confirmed second step.
pub async fn is_on(tx: &mut TenantTx, user_id: Uuid) -> DbResult<bool> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from two_factor
                        where tenant_id = $1 and user_id = $2 and confirmed_at is not null)",
    )
    .bind(tenant.0)
    .bind(user_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Every sealed secret of the tenant, locked (for sealing again under a new key).
pub async fn lock_all_sealed(tx: &mut TenantTx) -> DbResult<Vec<(Uuid, String)>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select user_id, secret_sealed from two_factor where tenant_id = $1 for update",
    )
    .bind(tenant.0)
    .fetch_all(tx.conn())
    .await?)
}

/// Replaces a person's sealed secret (the same secret, sealed again).
pub async fn set_sealed(tx: &mut TenantTx, user_id: Uuid, secret_sealed: &str) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("update two_factor set secret_sealed = $3 where tenant_id = $1 and user_id = $2")
        .bind(tenant.0)
        .bind(user_id)
        .bind(secret_sealed)
        .execute(tx.conn())
        .await?;
    Ok(())
}
