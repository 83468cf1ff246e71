//! Single sign-on: a tenant's OpenID Connect settings, pending sign-ins and the identities
//! that link a provider's subject to a person.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// A tenant's SSO settings, secret included. Not `Debug`: it holds the client secret.
#[derive(Clone, FromRow)]
pub struct SsoSettings {
    /// The provider's issuer URL.
    pub issuer: String,
    /// Folio's client id at the provider.
    pub client_id: String,
    /// Folio's client secret at the provider (never returned by the API, never logged).
    pub client_secret: String,
    /// Scopes requested (`openid` is always among them).
    pub scopes: Vec<String>,
    /// The claim carrying the e-mail address.
    pub email_claim: String,
    /// The claim carrying role values, if roles come from the provider.
    pub role_claim: Option<String>,
    /// Claim value → Folio role names.
    pub role_mapping: serde_json::Value,
    /// `invite_only` or `create`.
    pub provisioning: String,
    /// E-mail domains allowed to sign in; empty allows any.
    pub allowed_email_domains: Vec<String>,
    /// Whether password sign-in stays enabled.
    pub password_sign_in: bool,
    /// When the settings last changed.
    pub updated_at: DateTime<Utc>,
}

const SETTINGS_COLUMNS: &str = "issuer, client_id, client_secret, scopes, email_claim, role_claim,
    role_mapping, provisioning, allowed_email_domains, password_sign_in, updated_at";

/// The tenant's SSO settings, if SSO is configured.
pub async fn get_settings(tx: &mut TenantTx) -> DbResult<Option<SsoSettings>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {SETTINGS_COLUMNS} from sso_settings where tenant_id = $1"
    )))
    .bind(tenant.0)
    .fetch_optional(tx.conn())
    .await?)
}

/// Creates or replaces the tenant's SSO settings (already validated).
pub async fn put_settings(tx: &mut TenantTx, s: &SsoSettings) -> DbResult<SsoSettings> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into sso_settings (tenant_id, issuer, client_id, client_secret, scopes,
             email_claim, role_claim, role_mapping, provisioning, allowed_email_domains,
             password_sign_in)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (tenant_id) do update set
             issuer = excluded.issuer, client_id = excluded.client_id,
             client_secret = excluded.client_secret, scopes = excluded.scopes,
             email_claim = excluded.email_claim, role_claim = excluded.role_claim,
             role_mapping = excluded.role_mapping, provisioning = excluded.provisioning,
             allowed_email_domains = excluded.allowed_email_domains,
             password_sign_in = excluded.password_sign_in, updated_at = now()
         returning {SETTINGS_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(&s.issuer)
    .bind(&s.client_id)
    .bind(&s.client_secret)
    .bind(&s.scopes)
    .bind(&s.email_claim)
    .bind(&s.role_claim)
    .bind(&s.role_mapping)
    .bind(&s.provisioning)
    .bind(&s.allowed_email_domains)
    .bind(s.password_sign_in)
    .fetch_one(tx.conn())
    .await?)
}

/// Whether password sign-in is enabled for the tenant (it is unless SSO settings turn it
/// off).
pub async fn password_sign_in_enabled(tx: &mut TenantTx) -> DbResult<bool> {
    let tenant = tx.tenant();
    let enabled: Option<bool> =
        sqlx::query_scalar("select password_sign_in from sso_settings where tenant_id = $1")
            .bind(tenant.0)
            .fetch_optional(tx.conn())
            .await?;
    Ok(enabled.unwrap_or(true))
}

/// A sign-in in progress. Not `Debug`: it holds the nonce and PKCE verifier.
pub struct NewLoginState<'a> {
    /// SHA-256 of the `state` parameter.
    pub state_hash: &'a [u8],
    /// The nonce sent in the authorization request.
    pub nonce: &'a str,
    /// The PKCE code verifier.
    pub pkce_verifier: &'a str,
    /// The issuer the sign-in was started with.
    pub issuer: &'a str,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// Records a pending sign-in, and forgets those that expired more than a day ago.
pub async fn create_login_state(tx: &mut TenantTx, s: &NewLoginState<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "delete from sso_login_states
         where tenant_id = $1 and expires_at < now() - interval '1 day'",
    )
    .bind(tenant.0)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into sso_login_states
             (tenant_id, id, state_hash, nonce, pkce_verifier, issuer, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(s.state_hash)
    .bind(s.nonce)
    .bind(s.pkce_verifier)
    .bind(s.issuer)
    .bind(s.expires_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A pending sign-in as the callback finds it.
#[derive(FromRow)]
pub struct LoginState {
    /// The nonce sent.
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// The issuer the sign-in was started with.
    pub issuer: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// What became of a `state` presented at the callback.
pub enum StateLookup {
    /// Unused until now; it is now used.
    Fresh(LoginState),
    /// Used before: a replay.
    Used,
    /// Never issued for this tenant.
    Unknown,
}

/// Takes a pending sign-in by its state hash, marking it used (once only, even when two
/// callbacks race: the update locks the row).
pub async fn take_login_state(tx: &mut TenantTx, state_hash: &[u8]) -> DbResult<StateLookup> {
    let tenant = tx.tenant();
    let taken: Option<LoginState> = sqlx::query_as(
        "update sso_login_states set used_at = now()
         where tenant_id = $1 and state_hash = $2 and used_at is null
         returning nonce, pkce_verifier, issuer, expires_at",
    )
    .bind(tenant.0)
    .bind(state_hash)
    .fetch_optional(tx.conn())
    .await?;
    if let Some(state) = taken {
        return Ok(StateLookup::Fresh(state));
    }
    let exists: bool = sqlx::query_scalar(
        "select exists (select 1 from sso_login_states where tenant_id = $1 and state_hash = $2)",
    )
    .bind(tenant.0)
    .bind(state_hash)
    .fetch_one(tx.conn())
    .await?;
    Ok(if exists {
        StateLookup::Used
    } else {
        StateLookup::Unknown
    })
}

/// A person an SSO sign-in may be for.
#[derive(Debug, FromRow)]
pub struct Candidate {
    /// Their id.
    pub id: Uuid,
    /// Whether they are active.
    pub active: bool,
}

/// The person linked to this provider subject.
pub async fn find_by_identity(
    tx: &mut TenantTx,
    issuer: &str,
    subject: &str,
) -> DbResult<Option<Candidate>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select u.id, u.status = 'active' as active
         from user_identities i
         join users u on u.tenant_id = i.tenant_id and u.id = i.user_id
         where i.tenant_id = $1 and i.issuer = $2 and i.subject = $3",
    )
    .bind(tenant.0)
    .bind(issuer)
    .bind(subject)
    .fetch_optional(tx.conn())
    .await?)
}

/// The person with this (lower-case) address.
pub async fn find_by_email(tx: &mut TenantTx, email: &str) -> DbResult<Option<Candidate>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, status = 'active' as active from users where tenant_id = $1 and email = $2",
    )
    .bind(tenant.0)
    .bind(email)
    .fetch_optional(tx.conn())
    .await?)
}

/// Links a provider subject to a person (or notes another sign-in through it).
pub async fn link_identity(
    tx: &mut TenantTx,
    user_id: Uuid,
    issuer: &str,
    subject: &str,
) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into user_identities (tenant_id, id, user_id, issuer, subject, last_login_at)
         values ($1, $2, $3, $4, $5, now())
         on conflict (tenant_id, issuer, subject) do update set last_login_at = now()",
    )
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(user_id)
    .bind(issuer)
    .bind(subject)
    .execute(tx.conn())
    .await?;
    Ok(())
}
