//! The organisation's single sign-on settings (admins only): which OpenID Connect provider,
//! Folio's client there, which claims carry the e-mail address and roles, who may be
//! admitted, and whether password sign-in stays on. The client secret is write-only: no
//! response and no audit record carries it.
//!
//! Adapters over `folio_app::sso_settings`, where who may read and change them is written.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use folio_app::sso_settings::{self, SsoInput, SsoView};
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use serde::Deserialize;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;
use crate::schema::RoleName;
use crate::sso::test_connection;
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

impl From<Provisioning> for sso_settings::Provisioning {
    fn from(p: Provisioning) -> Self {
        match p {
            Provisioning::InviteOnly => sso_settings::Provisioning::InviteOnly,
            Provisioning::Create => sso_settings::Provisioning::Create,
        }
    }
}

impl From<sso_settings::Provisioning> for Provisioning {
    fn from(p: sso_settings::Provisioning) -> Self {
        match p {
            sso_settings::Provisioning::InviteOnly => Provisioning::InviteOnly,
            sso_settings::Provisioning::Create => Provisioning::Create,
        }
    }
}

/// SSO settings to store. `PUT` replaces them; fields left out take their defaults, except
/// `client_secret`, which is kept when left out (it is required the first time).
/// No `Debug`: it holds the client secret.
#[derive(Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SsoSettingsInput {
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
    /// false, `POST /api/v1/auth/login` answers 403 `password-sign-in-disabled`. Turning it
    /// off is refused (409 `last-admin`) unless the admin doing it signed in through this
    /// provider within the last hour, and whenever no active admin could sign in through
    /// it afterwards.
    password_sign_in: Option<bool>,
    /// Whether a person's first single sign-on may be linked, by e-mail address, to an
    /// existing Folio account although the provider does not say the address is verified
    /// (default false). Some providers (Microsoft Entra ID) never send `email_verified`.
    /// The risk: anyone who can give themself that address at the provider signs in as
    /// that person. Admin accounts are never linked by address either way.
    trust_unverified_emails: Option<bool>,
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
    /// Whether unverified provider addresses are trusted for a first link by address.
    trust_unverified_emails: bool,
    /// Where people start signing in: `GET` this in a browser.
    login_url: String,
    /// The redirect URI to register at the provider.
    redirect_uri: String,
    /// When the settings last changed.
    updated_at: DateTime<Utc>,
}

impl From<SsoSettingsInput> for SsoInput {
    fn from(i: SsoSettingsInput) -> Self {
        Self {
            issuer: i.issuer,
            client_id: i.client_id,
            client_secret: i.client_secret,
            scopes: i.scopes,
            email_claim: i.email_claim,
            role_claim: i.role_claim,
            role_mapping: i.role_mapping.map(|m| {
                m.into_iter()
                    .map(|(k, v)| (k, v.into_iter().map(Into::into).collect()))
                    .collect()
            }),
            provisioning: i.provisioning.map(Into::into),
            allowed_email_domains: i.allowed_email_domains,
            password_sign_in: i.password_sign_in,
            trust_unverified_emails: i.trust_unverified_emails,
        }
    }
}

fn body(s: SsoView, base: &str) -> SsoSettingsBody {
    SsoSettingsBody {
        login_url: format!("{base}{}", folio_app::routes::sso_login(&s.slug)),
        redirect_uri: callback_url(base, &s.slug),
        issuer: s.issuer,
        client_id: s.client_id,
        client_secret_set: s.client_secret_set,
        scopes: s.scopes,
        email_claim: s.email_claim,
        role_claim: s.role_claim,
        role_mapping: s
            .role_mapping
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().map(RoleName::from).collect()))
            .collect(),
        provisioning: s.provisioning.into(),
        allowed_email_domains: s.allowed_email_domains,
        password_sign_in: s.password_sign_in,
        trust_unverified_emails: s.trust_unverified_emails,
        updated_at: s.updated_at,
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let settings = sso_settings::current(&mut uow).await?;
        uow.commit().await?;
        let base = public_url(&self.0.settings, req);
        Ok(Json(body(settings, &base)))
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let policy = self.0.settings.outbound;
        let keys = &self.0.settings.secrets;
        let checked = sso_settings::check(&mut uow, input.0.into(), policy, keys).await?;
        let base = public_url(&self.0.settings, req);
        let redirect = callback_url(&base, checked.slug());
        test_connection(checked.settings(), &redirect, policy).await?;
        let settings = sso_settings::save(&mut uow, checked, keys).await?;
        uow.commit().await?;
        Ok(Json(body(settings, &base)))
    }
}
