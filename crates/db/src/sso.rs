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
    /// Whether a first sign-in may be linked by e-mail address to an account although the
    /// provider does not say the address is verified.
    pub trust_unverified_emails: bool,
    /// When the settings last changed.
    pub updated_at: DateTime<Utc>,
}

const SETTINGS_COLUMNS: &str = "issuer, client_id, client_secret, scopes, email_claim, role_claim,
    role_mapping, provisioning, allowed_email_domains, password_sign_in, trust_unverified_emails,
    updated_at";

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
             password_sign_in, trust_unverified_emails)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         on conflict (tenant_id) do update set
             issuer = excluded.issuer, client_id = excluded.client_id,
             client_secret = excluded.client_secret, scopes = excluded.scopes,
             email_claim = excluded.email_claim, role_claim = excluded.role_claim,
             role_mapping = excluded.role_mapping, provisioning = excluded.provisioning,
             allowed_email_domains = excluded.allowed_email_domains,
             password_sign_in = excluded.password_sign_in,
             trust_unverified_emails = excluded.trust_unverified_emails, updated_at = now()
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
    .bind(s.trust_unverified_emails)
    .fetch_one(tx.conn())
    .await?)
}

/// Replaces the stored client secret (already sealed), leaving the rest as it is.
pub async fn set_client_secret(tx: &mut TenantTx, client_secret: &str) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("update sso_settings set client_secret = $2 where tenant_id = $1")
        .bind(tenant.0)
        .bind(client_secret)
        .execute(tx.conn())
        .await?;
    Ok(())
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
    pub state_hash: [u8; 32],
    /// The nonce sent in the authorization request.
    pub nonce: &'a str,
    /// The PKCE code verifier.
    pub pkce_verifier: &'a str,
    /// The issuer the sign-in was started with.
    pub issuer: &'a str,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// The signed-in person whose account this sign-in links to the provider, when it was
    /// started to link one rather than to sign in.
    pub link_user_id: Option<Uuid>,
    /// The local path to go on to once signed in.
    pub return_to: Option<&'a str>,
    /// Who started it (a client key, see `folio_app::client_address::throttle_key`).
    pub client: &'a str,
}

/// Records a pending sign-in, and forgets those that have expired.
pub async fn create_login_state(tx: &mut TenantTx, s: &NewLoginState<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("delete from sso_login_states where tenant_id = $1 and expires_at < now()")
        .bind(tenant.0)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "insert into sso_login_states
             (tenant_id, id, state_hash, nonce, pkce_verifier, issuer, expires_at, link_user_id,
              return_to, client)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(&s.state_hash[..])
    .bind(s.nonce)
    .bind(s.pkce_verifier)
    .bind(s.issuer)
    .bind(s.expires_at)
    .bind(s.link_user_id)
    .bind(s.return_to)
    .bind(s.client)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Pending (unexpired) sign-ins started by `client`.
pub async fn pending_logins(tx: &mut TenantTx, client: &str) -> DbResult<i64> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select count(*) from sso_login_states
         where tenant_id = $1 and client = $2 and expires_at > now()",
    )
    .bind(tenant.0)
    .bind(client)
    .fetch_one(tx.conn())
    .await?)
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
    /// The account this sign-in links, when it was started to link one.
    pub link_user_id: Option<Uuid>,
    /// The local path to go on to once signed in.
    pub return_to: Option<String>,
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

/// Takes a pending sign-in by its state hash, marking it used and clearing its nonce and
/// verifier (once only, even when two callbacks race: the update locks the row).
pub async fn take_login_state(tx: &mut TenantTx, state_hash: &[u8]) -> DbResult<StateLookup> {
    let tenant = tx.tenant();
    // The nonce and verifier are handed out once and cleared in the same statement.
    let taken: Option<LoginState> = sqlx::query_as(
        "update sso_login_states s
         set used_at = now(), nonce = null, pkce_verifier = null
         from (select id, nonce, pkce_verifier from sso_login_states
               where tenant_id = $1 and state_hash = $2 and used_at is null
               for update) old
         where s.tenant_id = $1 and s.id = old.id
         returning old.nonce, old.pkce_verifier, s.issuer, s.expires_at, s.link_user_id,
                   s.return_to",
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
    /// Their role names.
    pub roles: Vec<String>,
}

const CANDIDATE_ROLES: &str = "array(select r.role from user_roles r
    where r.tenant_id = u.tenant_id and r.user_id = u.id order by r.role) as roles";

/// The person linked to this provider subject.
pub async fn find_by_identity(
    tx: &mut TenantTx,
    issuer: &str,
    subject: &str,
) -> DbResult<Option<Candidate>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select u.id, u.status = 'active' as active, {CANDIDATE_ROLES}
         from user_identities i
         join users u on u.tenant_id = i.tenant_id and u.id = i.user_id
         where i.tenant_id = $1 and i.issuer = $2 and i.subject = $3"
    )))
    .bind(tenant.0)
    .bind(issuer)
    .bind(subject)
    .fetch_optional(tx.conn())
    .await?)
}

/// The person with this (lower-case) address.
pub async fn find_by_email(tx: &mut TenantTx, email: &str) -> DbResult<Option<Candidate>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select u.id, u.status = 'active' as active, {CANDIDATE_ROLES}
         from users u where u.tenant_id = $1 and u.email = $2"
    )))
    .bind(tenant.0)
    .bind(email)
    .fetch_optional(tx.conn())
    .await?)
}

/// The subject an account is linked to at `issuer`, if any.
pub async fn subject_of(
    tx: &mut TenantTx,
    user_id: Uuid,
    issuer: &str,
) -> DbResult<Option<String>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select subject from user_identities
         where tenant_id = $1 and user_id = $2 and issuer = $3",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(issuer)
    .fetch_optional(tx.conn())
    .await?)
}

/// Whether an account has ever been linked to a provider (at any issuer) and still is.
pub async fn is_linked(tx: &mut TenantTx, user_id: Uuid) -> DbResult<bool> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from user_identities where tenant_id = $1 and user_id = $2)",
    )
    .bind(tenant.0)
    .bind(user_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Links a provider subject to a person; returns the link's id. The caller has checked
/// that neither the subject nor the person (at this issuer) is linked already: the unique
/// constraints refuse a second link either way.
pub async fn link_identity(
    tx: &mut TenantTx,
    user_id: Uuid,
    issuer: &str,
    subject: &str,
) -> DbResult<Uuid> {
    let tenant = tx.tenant();
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into user_identities (tenant_id, id, user_id, issuer, subject)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(user_id)
    .bind(issuer)
    .bind(subject)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Notes a sign-in through a linked identity.
pub async fn note_identity_sign_in(tx: &mut TenantTx, issuer: &str, subject: &str) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update user_identities set last_login_at = now()
         where tenant_id = $1 and issuer = $2 and subject = $3",
    )
    .bind(tenant.0)
    .bind(issuer)
    .bind(subject)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A provider identity linked to a person.
#[derive(Debug, Clone, FromRow)]
pub struct LinkedIdentity {
    /// The link's id.
    pub id: Uuid,
    /// The provider's issuer.
    pub issuer: String,
    /// The provider's subject.
    pub subject: String,
    /// When it was linked.
    pub created_at: DateTime<Utc>,
    /// When it was last used to sign in.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// The identities linked to a person, oldest first.
pub async fn identities_of(tx: &mut TenantTx, user_id: Uuid) -> DbResult<Vec<LinkedIdentity>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, issuer, subject, created_at, last_login_at from user_identities
         where tenant_id = $1 and user_id = $2 order by created_at, id",
    )
    .bind(tenant.0)
    .bind(user_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Removes one of a person's links; returns it, or `None` when the person has no such link.
pub async fn unlink_identity(
    tx: &mut TenantTx,
    user_id: Uuid,
    id: Uuid,
) -> DbResult<Option<LinkedIdentity>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "delete from user_identities where tenant_id = $1 and user_id = $2 and id = $3
         returning id, issuer, subject, created_at, last_login_at",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// How many active admins of the tenant can sign in as things stand in this transaction:
/// with a password while password sign-in is on, or through the configured provider with
/// an identity linked at its issuer.
///
/// Takes the tenant's admin lock first (held to the end of the transaction), so two
/// changes that would each leave the other's admin as the last one are decided one after
/// the other: the second, reading after the first commits, sees no admin left.
pub async fn admins_able_to_sign_in(tx: &mut TenantTx) -> DbResult<i64> {
    let tenant = tx.tenant();
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('folio.admins.' || $1::text, 0))")
        .bind(tenant.0)
        .execute(tx.conn())
        .await?;
    Ok(sqlx::query_scalar(
        "select count(*) from users u
         left join sso_settings s on s.tenant_id = u.tenant_id
         where u.tenant_id = $1 and u.status = 'active'
           and exists (select 1 from user_roles r
                       where r.tenant_id = u.tenant_id and r.user_id = u.id and r.role = 'admin')
           and ((coalesce(s.password_sign_in, true) and u.password_hash is not null)
                or exists (select 1 from user_identities i
                           where i.tenant_id = u.tenant_id and i.user_id = u.id
                             and i.issuer = s.issuer))",
    )
    .bind(tenant.0)
    .fetch_one(tx.conn())
    .await?)
}

/// Turns password sign-in on where single sign-on settings had it off; returns whether it
/// was off.
pub async fn turn_password_sign_in_on(tx: &mut TenantTx) -> DbResult<bool> {
    let tenant = tx.tenant();
    let changed = sqlx::query(
        "update sso_settings set password_sign_in = true, updated_at = now()
         where tenant_id = $1 and not password_sign_in",
    )
    .bind(tenant.0)
    .execute(tx.conn())
    .await?;
    Ok(changed.rows_affected() > 0)
}
