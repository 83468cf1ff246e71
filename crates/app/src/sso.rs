//! Single sign-on's use cases, below the OpenID Connect protocol (which the API speaks):
//! the organisation and its settings, the pending sign-ins (single use, expiring), and
//! signing a person in once the provider has vouched for them.
//!
//! A person is who the provider's (issuer, subject) is linked to. An identity the
//! organisation has never seen is linked by e-mail address only to an account that has
//! never been linked, only when the provider says the address is verified (or the
//! organisation chose to trust its provider's addresses), and never to an admin's account:
//! its owner links it from a session they signed in to with their password. Every link,
//! unlink and role change is audited, and roles mapped from the provider never take the
//! last admin's role away.

use folio_db::audit::Actor;
use folio_db::auth::SessionOrigin;
use folio_db::sso as queries;
use folio_db::users::{self, NewUser};
use folio_db::{Database, TenantTx};
use folio_domain::{EmailAddress, PersonName, Role};
use uuid::Uuid;

pub use folio_db::platform::Tenant;
pub use folio_db::sso::{NewLoginState, SsoSettings, StateLookup};

use crate::account::{StartedSession, start_session};
use crate::unit_of_work::record_audit;
use crate::{Error, Result, SsoFailure, admins};

/// The active organisation named by `slug`; 404 otherwise.
pub async fn tenant(db: &Database, slug: &str) -> Result<Tenant> {
    folio_db::platform::find_by_slug(db.pool(), slug)
        .await?
        .filter(|t| t.status == "active")
        .ok_or(Error::NotFound)
}

/// The organisation's single sign-on settings, client secret opened with `keys`;
/// `sso-not-configured` without them.
pub async fn settings(
    db: &Database,
    tenant: &Tenant,
    keys: &crate::secrets::SecretKeys,
) -> Result<SsoSettings> {
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    let settings = crate::sso_settings::load(&mut tx, keys).await?;
    tx.commit().await?;
    settings.ok_or(Error::Sso(SsoFailure::NotConfigured))
}

/// Pending sign-ins one client may have started in an organisation (each lasts 10
/// minutes): far more than a person's retries, far fewer than a flood.
pub const PENDING_PER_CLIENT: i64 = 30;
/// Records a sign-in just started, to be finished (once) by the callback. One client
/// with [`PENDING_PER_CLIENT`] pending is refused (429) until some expire. (No cap for the
/// whole organisation: a few hundred clients could then keep everyone from signing in.)
pub async fn record_login_state(
    db: &Database,
    tenant: &Tenant,
    state: &NewLoginState<'_>,
) -> Result<()> {
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    let mine = queries::pending_logins(&mut tx, state.client).await?;
    if mine >= PENDING_PER_CLIENT {
        tracing::warn!(tenant_id = %tenant.id, mine, "SSO sign-in start refused: too many pending");
        return Err(Error::TooManySignInsStarted {
            retry_after_secs: 600,
        });
    }
    queries::create_login_state(&mut tx, state).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a sign-in started by the signed-in caller to link their own account to the
/// organisation's provider (`state.link_user_id` is set to them), in their unit of work.
pub async fn record_link_state(
    uow: &mut crate::UnitOfWork,
    tenant: &Tenant,
    state: NewLoginState<'_>,
) -> Result<()> {
    if uow.principal.tenant != tenant.tenant_id() {
        return Err(Error::Unauthenticated);
    }
    let state = NewLoginState {
        link_user_id: Some(uow.principal.user_id),
        ..state
    };
    queries::create_login_state(&mut uow.tx, &state).await?;
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
    /// Whether the provider says the address is verified (`email_verified: true`); a
    /// provider that omits the claim does not.
    pub email_verified: bool,
    /// The name, if given.
    pub name: Option<String>,
    /// The Folio roles its role claim maps to, when a role claim is configured.
    pub roles: Option<Vec<Role>>,
}

/// Reads the ID token's claims as this tenant's settings say: refused if the e-mail
/// address is missing, said to be unverified or of a domain not allowed.
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
    // Some providers send the boolean as a string.
    let email_verified = match &claims["email_verified"] {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s == "true" => Some(true),
        serde_json::Value::String(s) if s == "false" => Some(false),
        _ => None,
    };
    if email_verified == Some(false) {
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
        email_verified: email_verified == Some(true),
        name,
        roles,
    })
}

fn role_names(roles: &[Role]) -> Vec<&'static str> {
    roles.iter().map(|r| r.as_str()).collect()
}

/// Signs in the person the provider vouched for (`who`), starting a session of `ttl`.
///
/// The account linked to their (issuer, subject) is theirs. Without one, the account with
/// their e-mail address is linked to them only if it has never been linked, is not an
/// admin's, and the provider says the address is verified (or the organisation trusts its
/// provider's addresses); without an account, one is created if the organisation admits
/// people its provider knows. A deactivated account is refused. When the provider says
/// which roles they have, their roles are brought up to date (audited), except that the
/// last admin who can sign in keeps the admin role.
pub async fn sign_in(
    db: &Database,
    ttl: std::time::Duration,
    tenant: &Tenant,
    settings: &SsoSettings,
    who: &Identity,
    id_token_sealed: Option<&str>,
) -> Result<StartedSession> {
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    let user_id = match queries::find_by_identity(&mut tx, &settings.issuer, &who.subject).await? {
        Some(c) if !c.active => return Err(Error::Sso(SsoFailure::UserDeactivated)),
        Some(c) => {
            if let Some(roles) = &who.roles {
                apply_mapped_roles(&mut tx, c.id, roles).await?;
            }
            c.id
        }
        None => match queries::find_by_email(&mut tx, who.email.as_str()).await? {
            Some(c) => {
                link_by_email(&mut tx, settings, who, &c).await?;
                if let Some(roles) = &who.roles {
                    apply_mapped_roles(&mut tx, c.id, roles).await?;
                }
                c.id
            }
            None if settings.provisioning == "create" => provision(&mut tx, settings, who).await?,
            None => return Err(Error::Sso(SsoFailure::NotProvisioned)),
        },
    };
    queries::note_identity_sign_in(&mut tx, &settings.issuer, &who.subject).await?;
    let origin = SessionOrigin::Sso {
        issuer: &settings.issuer,
        id_token_sealed,
    };
    let session = start_session(&mut tx, ttl, user_id, origin).await?;
    tx.commit().await?;
    Ok(session)
}

/// Links an identity new to the organisation to the account with its e-mail address, if
/// the rules above allow.
async fn link_by_email(
    tx: &mut TenantTx,
    settings: &SsoSettings,
    who: &Identity,
    account: &queries::Candidate,
) -> Result<()> {
    let refuse = |f| Err(Error::Sso(f));
    if !account.active {
        return refuse(SsoFailure::UserDeactivated);
    }
    if queries::is_linked(tx, account.id).await? {
        return refuse(SsoFailure::AccountLinkedElsewhere);
    }
    if account.roles.iter().any(|r| r == Role::Admin.as_str()) {
        return refuse(SsoFailure::AdminLinkNeedsPassword);
    }
    if !who.email_verified && !settings.trust_unverified_emails {
        return refuse(SsoFailure::LinkNeedsVerifiedEmail);
    }
    queries::link_identity(tx, account.id, &settings.issuer, &who.subject).await?;
    let trusted = if who.email_verified {
        "verified"
    } else {
        "trusted"
    };
    record_audit(
        tx,
        Actor::User(account.id),
        "user.sso_link",
        "user",
        account.id,
        serde_json::json!({
            "issuer": settings.issuer,
            "subject": who.subject,
            "by": "email",
            "email": trusted,
        }),
    )
    .await
}

/// Creates the account of a person new to Folio, with the roles the provider gives them,
/// linked to their identity.
async fn provision(tx: &mut TenantTx, settings: &SsoSettings, who: &Identity) -> Result<Uuid> {
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
        tx,
        &NewUser {
            id,
            email: &who.email,
            name: &name,
            password_hash: None,
            employer_id: None,
        },
    )
    .await?;
    users::set_roles(tx, id, &roles).await?;
    queries::link_identity(tx, id, &settings.issuer, &who.subject).await?;
    record_audit(
        tx,
        Actor::User(id),
        "user.create",
        "user",
        id,
        serde_json::json!({
            "method": "sso",
            "roles": role_names(&roles),
            "issuer": settings.issuer,
            "subject": who.subject,
        }),
    )
    .await?;
    Ok(id)
}

/// Makes `mapped` (the roles the provider's claims map to) the person's roles, audited,
/// unless it would take the admin role from the last admin who can sign in: they keep it,
/// and the audit record says so.
async fn apply_mapped_roles(tx: &mut TenantTx, user_id: Uuid, mapped: &[Role]) -> Result<()> {
    if mapped.is_empty() {
        return Err(Error::Sso(SsoFailure::NoRoles));
    }
    let same = |a: &[Role], b: &[Role]| {
        a.iter().collect::<std::collections::BTreeSet<_>>()
            == b.iter().collect::<std::collections::BTreeSet<_>>()
    };
    let before = users::get(tx, user_id).await?.roles();
    if same(&before, mapped) {
        return Ok(());
    }
    users::set_roles(tx, user_id, mapped).await?;
    let mut after = mapped.to_vec();
    let mut kept_admin = false;
    if before.contains(&Role::Admin)
        && !after.contains(&Role::Admin)
        && !admins::one_can_sign_in(tx).await?
    {
        after.push(Role::Admin);
        after.sort();
        users::set_roles(tx, user_id, &after).await?;
        kept_admin = true;
        tracing::warn!(
            tenant_id = %tx.tenant().0,
            %user_id,
            "SSO role mapping would remove the last admin: admin role kept"
        );
    }
    if same(&before, &after) {
        return Ok(());
    }
    record_audit(
        tx,
        Actor::User(user_id),
        "user.set_roles",
        "user",
        user_id,
        serde_json::json!({
            "roles": role_names(&after),
            "before": role_names(&before),
            "source": "sso",
            "kept_admin_role": kept_admin,
        }),
    )
    .await
}

/// Links the signed-in person `user_id` to the identity the provider vouched for: the
/// sign-in was started from their session to link their account (`started_by`), and the
/// browser still presents that session (`session_user`). Refused when the identity is
/// linked to someone else, or the account to another subject at this provider. Audited.
pub async fn link_signed_in(
    db: &Database,
    tenant: &Tenant,
    settings: &SsoSettings,
    started_by: Uuid,
    session_user: Option<Uuid>,
    who: &Identity,
) -> Result<()> {
    if session_user != Some(started_by) {
        return Err(Error::Sso(SsoFailure::LinkSessionEnded));
    }
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    match queries::find_by_identity(&mut tx, &settings.issuer, &who.subject).await? {
        Some(c) if c.id == started_by => return Ok(()),
        Some(_) => return Err(Error::Sso(SsoFailure::IdentityLinkedElsewhere)),
        None => {}
    }
    if queries::subject_of(&mut tx, started_by, &settings.issuer)
        .await?
        .is_some()
    {
        return Err(Error::Sso(SsoFailure::AccountLinkedElsewhere));
    }
    queries::link_identity(&mut tx, started_by, &settings.issuer, &who.subject).await?;
    record_audit(
        &mut tx,
        Actor::User(started_by),
        "user.sso_link",
        "user",
        started_by,
        serde_json::json!({
            "issuer": settings.issuer,
            "subject": who.subject,
            "by": "signed-in session",
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
