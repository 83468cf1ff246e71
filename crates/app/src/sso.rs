//! Single sign-on's use cases, below the OpenID Connect protocol (which the API speaks):
//! the organisation and its settings, the pending sign-ins (single use, expiring), and
//! signing a person in once the provider has vouched for them: matched by their identity
//! or e-mail address, their roles brought up to date, or (where the organisation admits
//! people the provider knows) their account created, and a session started.

use folio_db::Database;
use folio_db::audit;
use folio_db::sso as queries;
use folio_db::users::{self, NewUser};
use folio_domain::{EmailAddress, PersonName, Role};
use uuid::Uuid;

pub use folio_db::platform::Tenant;
pub use folio_db::sso::{NewLoginState, SsoSettings, StateLookup};

use crate::account::{StartedSession, start_session};
use crate::{Error, Result, SsoFailure};

/// The active organisation named by `slug`; 404 otherwise.
pub async fn tenant(db: &Database, slug: &str) -> Result<Tenant> {
    folio_db::platform::find_by_slug(db.pool(), slug)
        .await?
        .filter(|t| t.status == "active")
        .ok_or(Error::NotFound)
}

/// The organisation's single sign-on settings; `sso-not-configured` without them.
pub async fn settings(db: &Database, tenant: &Tenant) -> Result<SsoSettings> {
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    let settings = queries::get_settings(&mut tx).await?;
    tx.commit().await?;
    settings.ok_or(Error::Sso(SsoFailure::NotConfigured))
}

/// Records a sign-in just started, to be finished (once) by the callback.
pub async fn record_login_state(
    db: &Database,
    tenant: &Tenant,
    state: &NewLoginState<'_>,
) -> Result<()> {
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    queries::create_login_state(&mut tx, state).await?;
    tx.commit().await?;
    Ok(())
}

/// Takes the pending sign-in whose state hashes to `state_hash`: used up whatever happens
/// next.
pub async fn take_login_state(
    db: &Database,
    tenant: &Tenant,
    state_hash: &[u8],
) -> Result<StateLookup> {
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    let lookup = queries::take_login_state(&mut tx, state_hash).await?;
    tx.commit().await?;
    Ok(lookup)
}

/// What the ID token says about the person, as this tenant's settings read it.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The provider's subject.
    pub subject: String,
    /// The e-mail address.
    pub email: EmailAddress,
    /// The name, if given.
    pub name: Option<String>,
    /// The Folio roles its role claim maps to, when a role claim is configured.
    pub roles: Option<Vec<Role>>,
}

/// Reads the ID token's claims as this tenant's settings say: refused if the e-mail
/// address is missing, unverified or of a domain not allowed.
pub fn identity(
    settings: &SsoSettings,
    claims: &serde_json::Value,
) -> Result<Identity, SsoFailure> {
    let subject = claims["sub"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or(SsoFailure::InvalidToken)?
        .to_owned();
    let email = claims[settings.email_claim.as_str()]
        .as_str()
        .and_then(|e| EmailAddress::parse(e).ok())
        .ok_or(SsoFailure::EmailMissing)?;
    if claims["email_verified"] == serde_json::Value::Bool(false) {
        return Err(SsoFailure::EmailUnverified);
    }
    if !settings.allowed_email_domains.is_empty() {
        let domain = email.as_str().rsplit('@').next().unwrap_or_default();
        if !settings
            .allowed_email_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
        {
            return Err(SsoFailure::DomainNotAllowed);
        }
    }
    let roles = settings.role_claim.as_deref().map(|claim| {
        let values: Vec<&str> = match &claims[claim] {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
            _ => vec![],
        };
        let mut roles: Vec<Role> = values
            .iter()
            .filter_map(|v| settings.role_mapping.get(*v))
            .filter_map(|mapped| mapped.as_array())
            .flatten()
            .filter_map(|r| r.as_str()?.parse().ok())
            .collect();
        roles.sort();
        roles.dedup();
        roles
    });
    let name = claims["name"]
        .as_str()
        .map(str::to_owned)
        .filter(|n| !n.trim().is_empty());
    Ok(Identity {
        subject,
        email,
        name,
        roles,
    })
}

/// Signs in the person the provider vouched for (`who`), starting a session of `ttl`:
/// matched by their identity at this issuer, else by e-mail address; a deactivated
/// account is refused; their roles are brought up to date when the provider says which
/// they have; without an account, one is created if the organisation admits people its
/// provider knows, and refused otherwise.
pub async fn sign_in(
    db: &Database,
    ttl: std::time::Duration,
    tenant: &Tenant,
    settings: &SsoSettings,
    who: &Identity,
) -> Result<StartedSession> {
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    let existing = match queries::find_by_identity(&mut tx, &settings.issuer, &who.subject).await? {
        Some(c) => Some(c),
        None => queries::find_by_email(&mut tx, who.email.as_str()).await?,
    };
    let user_id = match existing {
        Some(c) if !c.active => return Err(Error::Sso(SsoFailure::UserDeactivated)),
        Some(c) => {
            if let Some(roles) = &who.roles {
                if roles.is_empty() {
                    return Err(Error::Sso(SsoFailure::NoRoles));
                }
                users::set_roles(&mut tx, c.id, roles).await?;
            }
            c.id
        }
        None if settings.provisioning == "create" => {
            let roles = who.roles.clone().unwrap_or_default();
            if roles.is_empty() {
                return Err(Error::Sso(SsoFailure::NoRoles));
            }
            let name = who
                .name
                .as_deref()
                .and_then(|n| PersonName::parse(n).ok())
                .or_else(|| PersonName::parse(who.email.as_str()).ok())
                .ok_or(Error::Sso(SsoFailure::EmailMissing))?;
            let id = Uuid::now_v7();
            users::insert(
                &mut tx,
                &NewUser {
                    id,
                    email: &who.email,
                    name: &name,
                    password_hash: None,
                    employer_id: None,
                },
            )
            .await?;
            users::set_roles(&mut tx, id, &roles).await?;
            audit::record(
                &mut tx,
                audit::Event {
                    actor: audit::Actor::User(id),
                    action: "user.create",
                    entity_type: "user",
                    entity_id: Some(id),
                    details: serde_json::json!({
                        "method": "sso",
                        "roles": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    }),
                },
            )
            .await?;
            id
        }
        None => return Err(Error::Sso(SsoFailure::NotProvisioned)),
    };
    queries::link_identity(&mut tx, user_id, &settings.issuer, &who.subject).await?;
    let session = start_session(&mut tx, ttl, user_id, "sso").await?;
    tx.commit().await?;
    Ok(session)
}
