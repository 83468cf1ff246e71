//! The organisation's single sign-on settings (admins only): which OpenID Connect provider,
//! Folio's client there, which claims carry the e-mail address and roles, who may be
//! admitted, and whether password sign-in stays on. The client secret is write-only: no
//! response and no audit record carries it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use folio_db::platform;
use folio_db::sso::{self as db, SsoSettings};
use folio_domain::Permission;
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use serde::Deserialize;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::{ApiResult, AppError, AppResult, Fields};
use crate::schema::{RoleName, roles_from};
use crate::sso::{callback_url, public_url};

#[derive(Tags)]
enum SsoSettingsTag {
    /// The organisation's single sign-on settings.
    Settings,
}

/// `/api/v1/settings/sso`.
pub struct SsoSettingsApi(pub AppState);

/// Who an SSO sign-in may admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum Provisioning {
    /// Only people who already have a Folio account (matched by e-mail address on their
    /// first SSO sign-in, then by the provider's subject).
    InviteOnly,
    /// Also people new to Folio: their account is created on first sign-in, with the roles
    /// the role mapping gives them.
    Create,
}

impl Provisioning {
    fn as_str(self) -> &'static str {
        match self {
            Provisioning::InviteOnly => "invite_only",
            Provisioning::Create => "create",
        }
    }
}

/// SSO settings to store. `PUT` replaces them; fields left out take their defaults, except
/// `client_secret`, which is kept when left out (it is required the first time).
/// No `Debug`: it holds the client secret.
#[derive(Object, Deserialize)]
#[serde(deny_unknown_fields)]
struct SsoSettingsInput {
    /// The provider's issuer URL, exactly as its discovery document states it (ID tokens
    /// must carry this `iss`).
    issuer: String,
    /// Folio's client id at the provider.
    client_id: String,
    /// Folio's client secret at the provider. Write-only: never returned.
    client_secret: Option<String>,
    /// Scopes to request (default `openid email profile`; `openid` is always sent).
    scopes: Option<Vec<String>>,
    /// The ID token claim carrying the e-mail address (default `email`).
    email_claim: Option<String>,
    /// The ID token claim carrying group or role values (a string or an array of strings),
    /// e.g. `groups`. When set, a person's Folio roles are set from it at every sign-in.
    role_claim: Option<String>,
    /// Claim value → the Folio roles it grants, e.g. `{"tutors": ["assessor"]}`.
    role_mapping: Option<BTreeMap<String, Vec<RoleName>>>,
    /// Who may be admitted (default `invite_only`).
    provisioning: Option<Provisioning>,
    /// E-mail domains allowed to sign in, e.g. `["northgate.ac.uk"]`; empty or absent
    /// allows any.
    allowed_email_domains: Option<Vec<String>>,
    /// Whether password sign-in stays enabled for the organisation (default true). When
    /// false, `POST /api/v1/auth/login` answers 403 `password-sign-in-disabled`.
    password_sign_in: Option<bool>,
}

/// The organisation's SSO settings, without the secret.
#[derive(Debug, Object)]
struct SsoSettingsBody {
    /// The provider's issuer URL.
    issuer: String,
    /// Folio's client id at the provider.
    client_id: String,
    /// Always true: a secret is stored (it is never shown).
    client_secret_set: bool,
    /// Scopes requested.
    scopes: Vec<String>,
    /// The claim carrying the e-mail address.
    email_claim: String,
    /// The claim carrying role values, if any.
    role_claim: Option<String>,
    /// Claim value → Folio roles.
    role_mapping: BTreeMap<String, Vec<RoleName>>,
    /// Who may be admitted.
    provisioning: Provisioning,
    /// Allowed e-mail domains (empty: any).
    allowed_email_domains: Vec<String>,
    /// Whether password sign-in is enabled.
    password_sign_in: bool,
    /// Where people start signing in: `GET` this in a browser.
    login_url: String,
    /// The redirect URI to register at the provider.
    redirect_uri: String,
    /// When the settings last changed.
    updated_at: DateTime<Utc>,
}

fn body(s: &SsoSettings, base: &str, slug: &str) -> SsoSettingsBody {
    let role_mapping = s
        .role_mapping
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let roles = v
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|r| r.as_str()?.parse::<folio_domain::Role>().ok())
                                .map(RoleName::from)
                                .collect()
                        })
                        .unwrap_or_default();
                    (k.clone(), roles)
                })
                .collect()
        })
        .unwrap_or_default();
    SsoSettingsBody {
        issuer: s.issuer.clone(),
        client_id: s.client_id.clone(),
        client_secret_set: !s.client_secret.is_empty(),
        scopes: s.scopes.clone(),
        email_claim: s.email_claim.clone(),
        role_claim: s.role_claim.clone(),
        role_mapping,
        provisioning: if s.provisioning == "create" {
            Provisioning::Create
        } else {
            Provisioning::InviteOnly
        },
        allowed_email_domains: s.allowed_email_domains.clone(),
        password_sign_in: s.password_sign_in,
        login_url: format!("{base}/auth/{slug}/sso/login"),
        redirect_uri: callback_url(base, slug),
        updated_at: s.updated_at,
    }
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
    })
}

fn claim_name(fields: &mut Fields, field: &str, value: &str) {
    fields.require(
        field,
        !value.is_empty() && value.len() <= 100 && !value.chars().any(char::is_whitespace),
        "must be 1-100 characters without spaces",
    );
}

impl SsoSettingsInput {
    fn validate(self, existing: Option<&SsoSettings>) -> AppResult<SsoSettings> {
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
            .unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]);
        for (i, scope) in scopes.iter().enumerate() {
            claim_name(&mut fields, &format!("scopes[{i}]"), scope);
        }
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        scopes.dedup();
        let email_claim = self.email_claim.unwrap_or_else(|| "email".into());
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
                .iter()
                .map(|(k, v)| {
                    let roles = roles_from(v)
                        .iter()
                        .map(|r| serde_json::Value::String(r.as_str().into()))
                        .collect();
                    (k.clone(), serde_json::Value::Array(roles))
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
            updated_at: Utc::now(),
        })
    }
}

#[OpenApi(prefix_path = "/api/v1/settings/sso", tag = "SsoSettingsTag::Settings")]
impl SsoSettingsApi {
    /// The organisation's SSO settings, without the client secret (admins). 404
    /// `not-found` when SSO is not set up.
    #[oai(path = "/", method = "get")]
    async fn get(
        &self,
        credentials: Credentials,
        req: &Request,
    ) -> ApiResult<Json<SsoSettingsBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageSettings)
            .await?;
        let settings = db::get_settings(&mut authed.tx)
            .await?
            .ok_or(AppError::NotFound)?;
        let tenant = platform::current(&mut authed.tx).await?;
        authed.tx.commit().await?;
        let base = public_url(&self.0.settings, req);
        Ok(Json(body(&settings, &base, &tenant.slug)))
    }

    /// Set up or replace the organisation's SSO settings (admins). The client secret is
    /// required the first time and kept when left out later; it is never returned. A field
    /// out of range is 422 naming it.
    #[oai(path = "/", method = "put")]
    async fn put(
        &self,
        credentials: Credentials,
        input: JsonBody<SsoSettingsInput>,
        req: &Request,
    ) -> ApiResult<Json<SsoSettingsBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageSettings)
            .await?;
        let before = db::get_settings(&mut authed.tx).await?;
        let secret_changed = input.0.client_secret.is_some();
        let new = input.0.validate(before.as_ref())?;
        let stored = db::put_settings(&mut authed.tx, &new).await?;
        let tenant = authed.tx.tenant();
        authed
            .audit(
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
        let t = platform::current(&mut authed.tx).await?;
        authed.tx.commit().await?;
        let base = public_url(&self.0.settings, req);
        Ok(Json(body(&stored, &base, &t.slug)))
    }
}
