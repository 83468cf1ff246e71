//! Sign-in sessions, personal API tokens and the failed sign-in throttle.
//!
//! Tokens are looked up by the SHA-256 of the presented secret inside a transaction bound to
//! the tenant the token names, so even authentication runs under row-level security.

use chrono::{DateTime, Utc};
use folio_domain::{EmailAddress, ThrottleState, TokenName};
use sqlx::FromRow;
use uuid::Uuid;

use crate::users::found;
use crate::{DbResult, TenantTx};

/// Who a valid credential belongs to.
#[derive(Debug, Clone, FromRow)]
pub struct CredentialOwner {
    /// The session or token id.
    pub credential_id: Uuid,
    /// The person.
    pub user_id: Uuid,
    /// Their role names: the auditor role only while one of their grants is in force
    /// (the view `user_roles_in_force`), so that access ends by itself.
    pub roles: Vec<String>,
    /// How far their auditor grants in force reach: `organisation`, `sample`, or `None`
    /// when none is.
    pub audit_reach: Option<String>,
    /// A password session of someone whose organisation requires two-step sign-in for
    /// staff, who has not set it up (whether they are staff is the caller's to judge).
    pub two_factor_missing: bool,
}

/// The statement of [`find_session`]: `$1` tenant, `$2` the token's hash. Public so that
/// `folio-bench` can run the very same SQL through `pgbench`.
pub const FIND_SESSION_SQL: &str = "select s.id as credential_id, u.id as user_id,
                array(select r.role from user_roles_in_force r
                      where r.tenant_id = u.tenant_id and r.user_id = u.id order by r.role) as roles,
                (select a.reach from auditor_reach a
                 where a.tenant_id = u.tenant_id and a.auditor_id = u.id) as audit_reach,
                (s.method = 'password'
                 and coalesce((select (ts.settings ->> 'require_two_factor_for_staff')::boolean
                               from tenant_settings ts where ts.tenant_id = s.tenant_id), false)
                 and not exists (select 1 from two_factor f
                                 where f.tenant_id = u.tenant_id and f.user_id = u.id
                                   and f.confirmed_at is not null)) as two_factor_missing
         from sessions s
         join users u on u.tenant_id = s.tenant_id and u.id = s.user_id
         join tenants t on t.id = s.tenant_id
         where s.tenant_id = $1 and s.token_hash = $2 and s.expires_at > now()
           and u.status = 'active' and t.status = 'active'";

/// The owner of an unexpired session with this hash, if the person is active.
pub async fn find_session(
    tx: &mut TenantTx,
    token_hash: &[u8],
) -> DbResult<Option<CredentialOwner>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(FIND_SESSION_SQL)
        .bind(tenant.0)
        .bind(token_hash)
        .fetch_optional(tx.conn())
        .await?)
}

/// The owner of an unrevoked, unexpired API token with this hash, if the person is active.
/// Notes the use, at most once a minute, so token lists show when each was last used.
pub async fn find_api_token(
    tx: &mut TenantTx,
    token_hash: &[u8],
) -> DbResult<Option<CredentialOwner>> {
    let tenant = tx.tenant();
    let owner: Option<CredentialOwner> = sqlx::query_as(
        "select k.id as credential_id, u.id as user_id,
                array(select r.role from user_roles_in_force r
                      where r.tenant_id = u.tenant_id and r.user_id = u.id order by r.role) as roles,
                (select a.reach from auditor_reach a
                 where a.tenant_id = u.tenant_id and a.auditor_id = u.id) as audit_reach,
                false as two_factor_missing
         from api_tokens k
         join users u on u.tenant_id = k.tenant_id and u.id = k.user_id
         join tenants t on t.id = k.tenant_id
         where k.tenant_id = $1 and k.token_hash = $2 and k.revoked_at is null
           and (k.expires_at is null or k.expires_at > now())
           and u.status = 'active' and t.status = 'active'",
    )
    .bind(tenant.0)
    .bind(token_hash)
    .fetch_optional(tx.conn())
    .await?;
    if let Some(owner) = &owner {
        sqlx::query(
            "update api_tokens set last_used_at = now()
             where tenant_id = $1 and id = $2
               and (last_used_at is null or last_used_at < now() - interval '1 minute')",
        )
        .bind(tenant.0)
        .bind(owner.credential_id)
        .execute(tx.conn())
        .await?;
    }
    Ok(owner)
}

/// How a session was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionOrigin<'a> {
    /// With a password.
    Password,
    /// Through single sign-on at this issuer.
    Sso {
        /// The provider's issuer.
        issuer: &'a str,
        /// The ID token it started with, sealed (for signing out at the provider).
        id_token_sealed: Option<&'a str>,
    },
}

impl SessionOrigin<'_> {
    /// Its stored name: `password` or `sso`.
    pub fn method(self) -> &'static str {
        match self {
            SessionOrigin::Password => "password",
            SessionOrigin::Sso { .. } => "sso",
        }
    }
}

/// Starts a session.
pub async fn create_session(
    tx: &mut TenantTx,
    id: Uuid,
    user_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
    origin: SessionOrigin<'_>,
) -> DbResult<()> {
    let tenant = tx.tenant();
    let (issuer, id_token_sealed) = match origin {
        SessionOrigin::Password => (None, None),
        SessionOrigin::Sso {
            issuer,
            id_token_sealed,
        } => (Some(issuer), id_token_sealed),
    };
    sqlx::query(
        "insert into sessions
             (tenant_id, id, user_id, token_hash, expires_at, method, sso_issuer,
              sso_id_token_sealed)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(user_id)
    .bind(token_hash)
    .bind(expires_at)
    .bind(origin.method())
    .bind(issuer)
    .bind(id_token_sealed)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// How a live session was started, as stored.
#[derive(Debug, Clone, FromRow)]
pub struct SessionStart {
    /// `password` or `sso`.
    pub method: String,
    /// The provider's issuer, for an `sso` session.
    pub sso_issuer: Option<String>,
    /// When it started.
    pub created_at: DateTime<Utc>,
}

/// The sealed ID token a live single sign-on session started with, if it has one.
pub async fn session_id_token(tx: &mut TenantTx, id: Uuid) -> DbResult<Option<String>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "select sso_id_token_sealed from sessions where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .flatten())
}

/// How the session `id` of `user_id` was started; `None` if it has ended.
pub async fn session_start(
    tx: &mut TenantTx,
    user_id: Uuid,
    id: Uuid,
) -> DbResult<Option<SessionStart>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select method, sso_issuer, created_at from sessions
         where tenant_id = $1 and user_id = $2 and id = $3 and expires_at > now()",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Ends one session.
pub async fn delete_session(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("delete from sessions where tenant_id = $1 and id = $2")
        .bind(tenant.0)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Ends every session of a person and revokes their API tokens.
pub async fn revoke_all_credentials(tx: &mut TenantTx, user_id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("delete from sessions where tenant_id = $1 and user_id = $2")
        .bind(tenant.0)
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "update api_tokens set revoked_at = now()
         where tenant_id = $1 and user_id = $2 and revoked_at is null",
    )
    .bind(tenant.0)
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A personal API token, without its secret.
#[derive(Debug, Clone, FromRow)]
pub struct ApiToken {
    /// Its id.
    pub id: Uuid,
    /// Its label.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_COLUMNS: &str = "id, name, created_at, expires_at, last_used_at, revoked_at";

/// Stores a new API token's hash.
pub async fn create_api_token(
    tx: &mut TenantTx,
    id: Uuid,
    user_id: Uuid,
    name: &TokenName,
    token_hash: &[u8],
    expires_at: Option<DateTime<Utc>>,
) -> DbResult<ApiToken> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into api_tokens (tenant_id, id, user_id, name, token_hash, expires_at)
         values ($1, $2, $3, $4, $5, $6)
         returning {TOKEN_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(user_id)
    .bind(name.as_str())
    .bind(token_hash)
    .bind(expires_at)
    .fetch_one(tx.conn())
    .await?)
}

/// A person's API tokens, newest first, revoked ones included.
pub async fn list_api_tokens(tx: &mut TenantTx, user_id: Uuid) -> DbResult<Vec<ApiToken>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {TOKEN_COLUMNS} from api_tokens
         where tenant_id = $1 and user_id = $2 order by id desc"
    )))
    .bind(tenant.0)
    .bind(user_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Revokes one of a person's tokens; revoking twice is harmless. Fails with
/// [`crate::DbError::NotFound`] when the person has no such token.
pub async fn revoke_api_token(tx: &mut TenantTx, user_id: Uuid, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update api_tokens set revoked_at = coalesce(revoked_at, now())
         where tenant_id = $1 and user_id = $2 and id = $3",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(id)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

#[derive(FromRow)]
struct ThrottleRow {
    failures: i32,
    window_started_at: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

/// What failed sign-ins are counted under: an address typed from one client, or one
/// client's failures for any address ([`ThrottleKey::client`]).
#[derive(Debug, Clone, Copy)]
pub struct ThrottleKey<'a> {
    email: &'a str,
    client: &'a str,
}

impl<'a> ThrottleKey<'a> {
    /// `email` typed from `client` (a key from `folio_app::client_address::throttle_key`).
    pub fn address(email: &'a EmailAddress, client: &'a str) -> Self {
        Self {
            email: email.as_str(),
            client,
        }
    }

    /// Everything `client` typed, whatever the address (stored with the empty address,
    /// which no real address is).
    pub fn client(client: &'a str) -> Self {
        Self { email: "", client }
    }
}

/// Recent failed sign-ins under `key`, with its row locked until the transaction ends
/// (the row is created, with no failures, on the first attempt), so concurrent attempts
/// are counted one after another.
pub async fn lock_throttle_state(
    tx: &mut TenantTx,
    key: ThrottleKey<'_>,
    now: DateTime<Utc>,
) -> DbResult<ThrottleState> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into login_throttle (tenant_id, email, client, failures, window_started_at)
         values ($1, $2, $3, 0, $4)
         on conflict (tenant_id, email, client) do nothing",
    )
    .bind(tenant.0)
    .bind(key.email)
    .bind(key.client)
    .bind(now)
    .execute(tx.conn())
    .await?;
    let row: ThrottleRow = sqlx::query_as(
        "select failures, window_started_at, locked_until from login_throttle
         where tenant_id = $1 and email = $2 and client = $3
         for update",
    )
    .bind(tenant.0)
    .bind(key.email)
    .bind(key.client)
    .fetch_one(tx.conn())
    .await?;
    Ok(ThrottleState {
        failures: u32::try_from(row.failures).unwrap_or(0),
        window_started_at: row.window_started_at,
        locked_until: row.locked_until,
    })
}

/// Stores the throttle state under `key` (its row locked by [`lock_throttle_state`]).
pub async fn save_throttle_state(
    tx: &mut TenantTx,
    key: ThrottleKey<'_>,
    state: &ThrottleState,
) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update login_throttle
         set failures = $4, window_started_at = $5, locked_until = $6
         where tenant_id = $1 and email = $2 and client = $3",
    )
    .bind(tenant.0)
    .bind(key.email)
    .bind(key.client)
    .bind(i32::try_from(state.failures).unwrap_or(i32::MAX))
    .bind(state.window_started_at)
    .bind(state.locked_until)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Forgets failed sign-ins under `key` after a successful one.
pub async fn clear_throttle(tx: &mut TenantTx, key: ThrottleKey<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("delete from login_throttle where tenant_id = $1 and email = $2 and client = $3")
        .bind(tenant.0)
        .bind(key.email)
        .bind(key.client)
        .execute(tx.conn())
        .await?;
    Ok(())
}
