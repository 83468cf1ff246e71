//! The organisation's single sign-on settings (admins only, `Permission::ManageSettings`):
//! which OpenID Connect provider, Folio's client there, which claims carry the e-mail
//! address and roles, who may be admitted, and whether password sign-in stays on. The
//! client secret is write-only: nothing handed out here and no audit record carries it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use folio_db::platform;
use folio_db::sso::{self as db, SsoSettings};
use folio_domain::{Permission, Role};

use crate::outbound::OutboundPolicy;
use crate::secrets::{SecretError, SecretKeys};
use crate::{CredentialId, Error, Fields, Result, UnitOfWork, admins};

/// What the client secret is sealed for: its organisation and field, so a sealed value
/// copied to another organisation's row does not open.
fn secret_context(tenant: folio_domain::TenantId) -> String {
    format!("{}/sso_settings.client_secret", tenant.0)
}

fn secret_error(e: SecretError) -> Error {
    match e {
        SecretError::NoKey => Error::Unavailable(
            "Single sign-on cannot be set up or used until the operator sets \
             FOLIO_SECRET_KEY, the key Folio seals client secrets with."
                .into(),
        ),
        other => Error::Internal(format!("SSO client secret: {other}")),
    }
}

/// The organisation's SSO settings with the client secret opened, if SSO is set up.
pub(crate) async fn load(
    tx: &mut folio_db::TenantTx,
    keys: &SecretKeys,
) -> Result<Option<SsoSettings>> {
    let tenant = tx.tenant();
    let Some(mut settings) = db::get_settings(tx).await? else {
        return Ok(None);
    };
    settings.client_secret = keys
        .open(&secret_context(tenant), &settings.client_secret)
        .map_err(secret_error)?;
    Ok(Some(settings))
}

/// Stores the organisation's SSO settings with the client secret sealed.
async fn store(
    tx: &mut folio_db::TenantTx,
    keys: &SecretKeys,
    settings: &SsoSettings,
) -> Result<SsoSettings> {
    let sealed = SsoSettings {
        client_secret: keys
            .seal(&secret_context(tx.tenant()), &settings.client_secret)
            .map_err(secret_error)?,
        ..settings.clone()
    };
    Ok(db::put_settings(tx, &sealed).await?)
}

/// Seals the organisation's stored client secret again under the current key, if it is
/// stored in clear (earlier versions) or under a previous key; returns whether it was.
pub(crate) async fn reseal(tx: &mut folio_db::TenantTx, keys: &SecretKeys) -> Result<bool> {
    let Some(stored) = db::get_settings(tx).await? else {
        return Ok(false);
    };
    if !keys.configured() || !keys.needs_resealing(&stored.client_secret) {
        return Ok(false);
    }
    let opened = load(tx, keys).await?.ok_or(Error::NotFound)?;
    let tenant = tx.tenant();
    let sealed = keys
        .seal(&secret_context(tenant), &opened.client_secret)
        .map_err(secret_error)?;
    db::set_client_secret(tx, &sealed).await?;
    Ok(true)
}

/// How recent a single sign-on must be for its admin to turn password sign-in off.
const FRESH_SSO_SIGN_IN: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Refuses unless the caller signed in through single sign-on at `issuer` within the last
/// hour (so an admin is known to get in that way before the password way closes).
async fn require_fresh_sso_session(uow: &mut UnitOfWork, issuer: &str) -> Result<()> {
    let start = match uow.principal.credential {
        CredentialId::Session(id) => {
            folio_db::auth::session_start(&mut uow.tx, uow.principal.user_id, id).await?
        }
        CredentialId::ApiToken(_) => None,
    };
    let fresh = start.is_some_and(|s| {
        s.method == "sso"
            && s.sso_issuer.as_deref() == Some(issuer)
            && Utc::now() - s.created_at <= FRESH_SSO_SIGN_IN
    });
    if fresh {
        return Ok(());
    }
    Err(Error::LastAdmin {
        field: Some("password_sign_in".into()),
        detail: "Password sign-in can be turned off only by an admin who has just signed in \
                 through this identity provider (within the last hour), so that an admin is \
                 known to get in that way. Sign in with single sign-on and try again."
            .into(),
    })
}

/// Who an SSO sign-in may admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioning {
    /// Only people who already have a Folio account.
    InviteOnly,
    /// Also people new to Folio, with the roles the role mapping gives them.
    Create,
}

impl Provisioning {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Provisioning::InviteOnly => "invite_only",
            Provisioning::Create => "create",
        }
    }
}

/// The scopes requested when none are set.
pub const DEFAULT_SCOPES: &[&str] = &["openid", "email", "profile"];

/// The ID token claim read for the e-mail address when none is set.
pub const DEFAULT_EMAIL_CLAIM: &str = "email";

/// SSO settings to store: fields left out take their defaults, except `client_secret`,
/// which is kept when left out (it is required the first time). No `Debug`: it may hold
/// the client secret.
pub struct SsoInput {
    /// The provider's issuer URL.
    pub issuer: String,
    /// Folio's client id at the provider.
    pub client_id: String,
    /// Folio's client secret at the provider.
    pub client_secret: Option<String>,
    /// Scopes to request (default `openid email profile`; `openid` is always sent).
    pub scopes: Option<Vec<String>>,
    /// The ID token claim carrying the e-mail address (default `email`).
    pub email_claim: Option<String>,
    /// The ID token claim carrying group or role values.
    pub role_claim: Option<String>,
    /// Claim value → the Folio roles it grants.
    pub role_mapping: Option<BTreeMap<String, Vec<Role>>>,
    /// Who may be admitted (default invite only).
    pub provisioning: Option<Provisioning>,
    /// E-mail domains allowed to sign in; empty or absent allows any.
    pub allowed_email_domains: Option<Vec<String>>,
    /// Whether password sign-in stays enabled (default true).
    pub password_sign_in: Option<bool>,
    /// Whether a first sign-in may be linked by e-mail address to an existing account
    /// although the provider does not say the address is verified (default false).
    pub trust_unverified_emails: Option<bool>,
}

/// The organisation's SSO settings as an admin sees them: without the secret.
#[derive(Debug, Clone)]
pub struct SsoView {
    /// The provider's issuer URL.
    pub issuer: String,
    /// Folio's client id at the provider.
    pub client_id: String,
    /// Whether a secret is stored.
    pub client_secret_set: bool,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// The claim carrying the e-mail address.
    pub email_claim: String,
    /// The claim carrying role values, if any.
    pub role_claim: Option<String>,
    /// Claim value → Folio roles.
    pub role_mapping: BTreeMap<String, Vec<Role>>,
    /// Who may be admitted.
    pub provisioning: Provisioning,
    /// Allowed e-mail domains (empty: any).
    pub allowed_email_domains: Vec<String>,
    /// Whether password sign-in is enabled.
    pub password_sign_in: bool,
    /// Whether unverified provider addresses are trusted for a first link.
    pub trust_unverified_emails: bool,
    /// When the settings last changed.
    pub updated_at: DateTime<Utc>,
    /// The organisation's slug, which its sign-in addresses carry.
    pub slug: String,
}

fn stored_mapping_error() -> Error {
    Error::Internal("stored SSO role mapping is not claim value → role names".into())
}

/// The stored settings as shown; a stored mapping or provisioning Folio cannot read is an
/// internal error.
fn view(s: &SsoSettings, slug: String) -> Result<SsoView> {
    let role_mapping = s
        .role_mapping
        .as_object()
        .ok_or_else(stored_mapping_error)?
        .iter()
        .map(|(k, v)| {
            let roles = v
                .as_array()
                .ok_or_else(stored_mapping_error)?
                .iter()
                .map(|r| {
                    r.as_str()
                        .and_then(|r| r.parse::<Role>().ok())
                        .ok_or_else(stored_mapping_error)
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((k.clone(), roles))
        })
        .collect::<Result<_>>()?;
    let provisioning = match s.provisioning.as_str() {
        "invite_only" => Provisioning::InviteOnly,
        "create" => Provisioning::Create,
        other => {
            return Err(Error::Internal(format!(
                "unknown SSO provisioning `{other}`"
            )));
        }
    };
    Ok(SsoView {
        issuer: s.issuer.clone(),
        client_id: s.client_id.clone(),
        client_secret_set: !s.client_secret.is_empty(),
        scopes: s.scopes.clone(),
        email_claim: s.email_claim.clone(),
        role_claim: s.role_claim.clone(),
        role_mapping,
        provisioning,
        allowed_email_domains: s.allowed_email_domains.clone(),
        password_sign_in: s.password_sign_in,
        trust_unverified_emails: s.trust_unverified_emails,
        updated_at: s.updated_at,
        slug,
    })
}

/// The settings as an audit record shows them: everything but the secret.
fn audited(s: &SsoSettings) -> serde_json::Value {
    serde_json::json!({
        "issuer": s.issuer,
        "client_id": s.client_id,
        "scopes": s.scopes,
        "email_claim": s.email_claim,
        "role_claim": s.role_claim,
        "role_mapping": s.role_mapping,
        "provisioning": s.provisioning,
        "allowed_email_domains": s.allowed_email_domains,
        "password_sign_in": s.password_sign_in,
        "trust_unverified_emails": s.trust_unverified_emails,
    })
}

fn claim_name(fields: &mut Fields, field: &str, value: &str) {
    fields.require(
        field,
        !value.is_empty() && value.len() <= 100 && !value.chars().any(char::is_whitespace),
        "must be 1-100 characters without spaces",
    );
}

impl SsoInput {
    fn validate(self, existing: Option<&SsoSettings>) -> Result<SsoSettings> {
        let mut fields = Fields::default();
        let issuer = self.issuer.trim().to_owned();
        let issuer_ok = url::Url::parse(&issuer).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.query().is_none()
                && u.fragment().is_none()
        });
        fields.require(
            "issuer",
            issuer_ok && issuer.len() <= 500,
            "must be an http(s) URL without query or fragment, at most 500 characters",
        );
        let client_id = self.client_id.trim().to_owned();
        fields.require(
            "client_id",
            !client_id.is_empty() && client_id.len() <= 500,
            "must be 1-500 characters",
        );
        let client_secret = match (self.client_secret, existing) {
            (Some(secret), _) => {
                fields.require(
                    "client_secret",
                    !secret.is_empty() && secret.len() <= 1000,
                    "must be 1-1000 characters",
                );
                secret
            }
            (None, Some(e)) => e.client_secret.clone(),
            (None, None) => {
                fields.add("client_secret", "is required when SSO is first set up");
                String::new()
            }
        };
        let mut scopes = self
            .scopes
            .unwrap_or_else(|| DEFAULT_SCOPES.iter().map(|&s| s.to_owned()).collect());
        for (i, scope) in scopes.iter().enumerate() {
            claim_name(&mut fields, &format!("scopes[{i}]"), scope);
        }
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        scopes.dedup();
        let email_claim = self
            .email_claim
            .unwrap_or_else(|| DEFAULT_EMAIL_CLAIM.to_owned());
        claim_name(&mut fields, "email_claim", &email_claim);
        if let Some(role_claim) = &self.role_claim {
            claim_name(&mut fields, "role_claim", role_claim);
        }
        let mapping = self.role_mapping.unwrap_or_default();
        for value in mapping.keys() {
            fields.require(
                "role_mapping",
                !value.is_empty() && value.len() <= 200,
                "claim values must be 1-200 characters",
            );
        }
        let role_mapping = serde_json::Value::Object(
            mapping
                .into_iter()
                .map(|(k, mut roles)| {
                    // Duplicates removed, in a stable order.
                    roles.sort();
                    roles.dedup();
                    let roles = roles
                        .iter()
                        .map(|r| serde_json::Value::String(r.as_str().into()))
                        .collect();
                    (k, serde_json::Value::Array(roles))
                })
                .collect(),
        );
        let mut domains = Vec::new();
        for (i, d) in self
            .allowed_email_domains
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let d = d.trim().to_lowercase();
            fields.require(
                &format!("allowed_email_domains[{i}]"),
                !d.is_empty() && d.len() <= 253 && !d.contains('@') && !d.contains(' '),
                "must be a domain such as example.ac.uk",
            );
            domains.push(d);
        }
        fields.finish()?;
        Ok(SsoSettings {
            issuer,
            client_id,
            client_secret,
            scopes,
            email_claim,
            role_claim: self.role_claim,
            role_mapping,
            provisioning: self
                .provisioning
                .unwrap_or(Provisioning::InviteOnly)
                .as_str()
                .into(),
            allowed_email_domains: domains,
            password_sign_in: self.password_sign_in.unwrap_or(true),
            trust_unverified_emails: self.trust_unverified_emails.unwrap_or(false),
            updated_at: Utc::now(),
        })
    }
}

/// The organisation's SSO settings, without the client secret (admins); 404 when SSO is
/// not set up.
pub async fn current(uow: &mut UnitOfWork) -> Result<SsoView> {
    uow.principal.require(Permission::ManageSettings)?;
    let settings = db::get_settings(&mut uow.tx)
        .await?
        .ok_or(Error::NotFound)?;
    let tenant = platform::current(&mut uow.tx).await?;
    view(&settings, tenant.slug)
}

/// SSO settings checked field by field and ready to store, with what they replace. No
/// `Debug`: they hold the client secret.
pub struct Checked {
    new: SsoSettings,
    before: Option<SsoSettings>,
    secret_changed: bool,
    slug: String,
}

impl Checked {
    /// The settings to store: for a test of the connection to the provider before they are.
    pub fn settings(&self) -> &SsoSettings {
        &self.new
    }

    /// The organisation's slug, which its sign-in addresses carry.
    pub fn slug(&self) -> &str {
        &self.slug
    }
}

/// Checks SSO settings to set up or replace the organisation's (admins): a field out of
/// range is 422 naming it; the client secret is required the first time and kept when left
/// out later; an issuer the outbound `policy` does not allow Folio to call is refused.
/// Store them with [`save`], in the same unit of work.
pub async fn check(
    uow: &mut UnitOfWork,
    input: SsoInput,
    policy: OutboundPolicy,
    keys: &SecretKeys,
) -> Result<Checked> {
    uow.principal.require(Permission::ManageSettings)?;
    let before = load(&mut uow.tx, keys).await?;
    let secret_changed = input.client_secret.is_some();
    let new = input.validate(before.as_ref())?;
    if let Some(why) = url::Url::parse(&new.issuer)
        .ok()
        .and_then(|u| policy.refusal(&u))
    {
        return Err(Error::invalid("issuer", why));
    }
    let slug = platform::current(&mut uow.tx).await?.slug;
    Ok(Checked {
        new,
        before,
        secret_changed,
        slug,
    })
}

/// Stores settings [`check`]ed in this unit of work (admins), audited without the secret.
/// Turning password sign-in off needs an admin who has just signed in through the provider,
/// and no change may leave the organisation without an admin who can sign in.
pub async fn save(uow: &mut UnitOfWork, checked: Checked, keys: &SecretKeys) -> Result<SsoView> {
    uow.principal.require(Permission::ManageSettings)?;
    let Checked {
        new,
        before,
        secret_changed,
        slug,
    } = checked;
    let turns_password_off = !new.password_sign_in
        && before
            .as_ref()
            .is_none_or(|b| b.password_sign_in || b.issuer != new.issuer);
    if turns_password_off {
        require_fresh_sso_session(uow, &new.issuer).await?;
    }
    let stored = store(&mut uow.tx, keys, &new).await?;
    admins::ensure_one_can_sign_in(
        &mut uow.tx,
        Some("password_sign_in"),
        "Turning password sign-in off (or moving to another provider while it is off)",
    )
    .await?;
    let tenant = uow.tenant();
    uow.audit(
        "sso_settings.update",
        "sso_settings",
        tenant.0,
        serde_json::json!({
            "before": before.as_ref().map(audited),
            "after": audited(&stored),
            "client_secret_changed": secret_changed,
        }),
    )
    .await?;
    view(&stored, slug)
}
