//! Single sign-on with each organisation's own OpenID Connect provider: authorization code
//! with PKCE (S256), `state` and `nonce` kept server-side (single use, expiring in minutes,
//! bound to the tenant in the path and to the browser by a cookie), and the ID token
//! validated by `openidconnect` (signature from the provider's JWKS, issuer equal to the
//! tenant's configured issuer, audience, expiry, nonce).
//!
//! Discovery documents and key sets are cached per issuer for an hour, and fetched again
//! at once when an ID token is signed with a key id the cached set does not have (the
//! provider rotated its keys). Only a token the provider's own token endpoint just issued
//! can cause that refresh, so it cannot be used to make Folio hammer a provider.
//!
//! Nothing here logs a code, token, nonce, verifier or client secret: failures are logged
//! with the tenant and the problem type only.
//!
//! The protocol is spoken here; the organisation, its settings, the pending sign-ins and
//! signing the person in are `folio_app::sso`'s.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use folio_app::outbound::OutboundPolicy;
use folio_app::routes;
use folio_app::sso::{self, SsoSettings, StateLookup, Tenant};
use openidconnect::DiscoveryError;
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreGenderClaim,
    CoreIdToken, CoreJsonWebKey, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EmptyAdditionalClaims, IdTokenVerifier, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse,
};
use poem::Request;
use poem::http::header;
use poem_openapi::param::{Cookie, Path, Query};
use poem_openapi::{ApiResponse, OpenApi, Tags};
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, ApiResult, AppError, AppResult, SsoFailure};
use crate::sign_in::session_cookie;
use crate::{ApiSettings, AppState};

/// How long a started sign-in may take.
const LOGIN_TTL_MINUTES: i64 = 10;
/// How long a discovery document and key set are trusted without asking again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// The cookie binding a pending sign-in to the browser that started it.
pub const STATE_COOKIE: &str = "folio_sso_state";

type Metadata = ProviderMetadataWithLogout;

#[derive(Tags)]
enum SsoTag {
    /// Single sign-on through the organisation's own identity provider.
    SingleSignOn,
}

/// `/auth/{tenant}/sso/…`: browser navigations, not API calls.
pub struct SsoApi(pub AppState);

#[derive(ApiResponse)]
enum Redirect {
    /// Go to the `Location`.
    #[oai(status = 302)]
    Found(
        #[oai(header = "Location")] String,
        #[oai(header = "Set-Cookie")] String,
    ),
}

/// An HTTP client for providers: never follows redirects (a redirect could lead anywhere),
/// and gives up rather than hang a sign-in. Under `PublicHttpsOnly` its resolver connects
/// only to public addresses, whatever a name resolves to at the time.
fn http_client(policy: OutboundPolicy) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10));
    let builder = if policy.allows_private() {
        builder
    } else {
        builder.dns_resolver(std::sync::Arc::new(PublicAddressesOnly))
    };
    builder.build().unwrap_or_else(|_| reqwest::Client::new())
}

static STRICT_HTTP: LazyLock<reqwest::Client> =
    LazyLock::new(|| http_client(OutboundPolicy::PublicHttpsOnly));
static DEVELOPMENT_HTTP: LazyLock<reqwest::Client> =
    LazyLock::new(|| http_client(OutboundPolicy::DevelopmentAnyAddress));

/// Resolves names to their public addresses only; a name with none is an error.
struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| folio_app::outbound::is_public(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Why a call to a provider did not happen or failed.
#[derive(Debug, thiserror::Error)]
enum OutboundError {
    /// The policy does not allow calling this URL.
    #[error("{0}")]
    NotAllowed(String),
    /// The call failed.
    #[error(transparent)]
    Http(#[from] openidconnect::HttpClientError<reqwest::Error>),
}

/// Makes one call to a provider, if `policy` allows its URL (every call: discovery, keys,
/// token, userinfo), with the client for the policy.
async fn outbound(
    policy: OutboundPolicy,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, OutboundError> {
    let url = url::Url::parse(&request.uri().to_string())
        .map_err(|e| OutboundError::NotAllowed(format!("is not a URL ({e})")))?;
    if let Some(why) = policy.refusal(&url) {
        return Err(OutboundError::NotAllowed(format!("{url} {why}")));
    }
    let client: &reqwest::Client = if policy.allows_private() {
        &DEVELOPMENT_HTTP
    } else {
        &STRICT_HTTP
    };
    Ok(openidconnect::AsyncHttpClient::call(client, request).await?)
}

struct Cached {
    metadata: Metadata,
    fetched_at: Instant,
}

static PROVIDERS: LazyLock<Mutex<HashMap<String, Cached>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Why the provider's own addresses may not be called under `policy`: the issuer and every
/// endpoint its discovery document names.
fn endpoint_refusal(issuer: &str, metadata: &Metadata, policy: OutboundPolicy) -> Option<String> {
    let extra = metadata.additional_metadata();
    let endpoints = [
        ("issuer", Some(issuer.to_owned())),
        (
            "token endpoint",
            metadata.token_endpoint().map(|u| u.to_string()),
        ),
        ("key set (jwks_uri)", Some(metadata.jwks_uri().to_string())),
        (
            "userinfo endpoint",
            metadata.userinfo_endpoint().map(|u| u.to_string()),
        ),
        (
            "sign-out endpoint",
            extra.end_session_endpoint.as_ref().map(|u| u.to_string()),
        ),
    ];
    endpoints.into_iter().find_map(|(what, url)| {
        let url = url::Url::parse(&url?).ok()?;
        policy
            .refusal(&url)
            .map(|why| format!("its {what} {url} {why}"))
    })
}

/// An error and its causes, in one line.
fn words(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// Fetches the provider's discovery document and keys, or says what is wrong, in words
/// for the admin who set the issuer.
async fn discover(issuer: &str, policy: OutboundPolicy) -> Result<Metadata, String> {
    let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| format!("is not a URL ({e})"))?;
    let http = |request| outbound(policy, request);
    Metadata::discover_async(url, &http)
        .await
        .map_err(|e| match e {
            DiscoveryError::Request(e) => format!("could not be reached: {}", words(&e)),
            DiscoveryError::Response(status, _, _) => format!(
                "answered {status} for its discovery document \
             ({issuer}/.well-known/openid-configuration) or key set; is the issuer URL right?"
            ),
            DiscoveryError::Parse(_) => "did not answer with an OpenID Connect discovery \
             document; is the issuer URL right?"
                .into(),
            DiscoveryError::Validation(why) => format!(
                "names another issuer in its discovery document ({why}); enter the issuer exactly \
             as the document states it"
            ),
            other => words(&other),
        })
}

/// Tries the settings against the provider before they are saved, and says what is wrong
/// in words, naming the field: the issuer unreachable, not OpenID Connect, stating another
/// issuer, or pointing an endpoint where Folio may not call; the client id and secret
/// refused (a token request with a code that cannot be valid: a provider that checks the
/// client first answers `invalid_client` for bad credentials and `invalid_grant` for good
/// ones). On success the discovery document is cached for sign-ins.
pub(crate) async fn test_connection(
    settings: &SsoSettings,
    redirect: &str,
    policy: OutboundPolicy,
) -> AppResult<()> {
    let issuer = &settings.issuer;
    let invalid = |field: &str, why: String| AppError::invalid(field, why);
    let metadata = discover(issuer, policy)
        .await
        .map_err(|why| invalid("issuer", format!("the provider at {issuer} {why}")))?;
    if let Some(why) = endpoint_refusal(issuer, &metadata, policy) {
        return Err(invalid(
            "issuer",
            format!("Folio may not call the provider: {why}"),
        ));
    }
    let client = client(metadata.clone(), settings, redirect)?;
    let http = |request| outbound(policy, request);
    let attempt = client
        .exchange_code(AuthorizationCode::new("folio-connection-test".into()))
        .map_err(|_| invalid("issuer", "the provider names no token endpoint".into()))?
        .request_async(&http)
        .await;
    match attempt {
        Err(RequestTokenError::ServerResponse(r))
            if matches!(
                r.error(),
                CoreErrorResponseType::InvalidClient | CoreErrorResponseType::UnauthorizedClient
            ) =>
        {
            return Err(invalid(
                "client_secret",
                format!(
                    "the provider refused Folio's client id and secret ({}); check both",
                    r.error()
                ),
            ));
        }
        Err(RequestTokenError::Request(e)) => {
            return Err(invalid(
                "issuer",
                format!(
                    "the provider's token endpoint could not be reached: {}",
                    words(&e)
                ),
            ));
        }
        _ => {}
    }
    if let Ok(mut cache) = PROVIDERS.lock() {
        cache.insert(
            issuer.clone(),
            Cached {
                metadata,
                fetched_at: Instant::now(),
            },
        );
    }
    Ok(())
}

/// The provider's discovery document and keys, from the cache unless stale or `refresh`,
/// with the issuer and each endpoint allowed by `policy`.
async fn provider(
    issuer: &str,
    refresh: bool,
    policy: OutboundPolicy,
) -> Result<Metadata, SsoFailure> {
    let refused = |detail: String| SsoFailure::ProviderNotAllowed { detail };
    let cached = if refresh {
        None
    } else {
        PROVIDERS.lock().ok().and_then(|cache| {
            cache
                .get(issuer)
                .filter(|c| c.fetched_at.elapsed() < DISCOVERY_TTL)
                .map(|c| c.metadata.clone())
        })
    };
    let metadata = match cached {
        Some(m) => m,
        None => {
            let unavailable = || SsoFailure::ProviderUnavailable {
                issuer: issuer.to_owned(),
            };
            if let Some(why) = url::Url::parse(issuer)
                .ok()
                .and_then(|u| policy.refusal(&u))
            {
                return Err(refused(format!("the issuer {issuer} {why}")));
            }
            let metadata = discover(issuer, policy).await.map_err(|why| {
                tracing::warn!(issuer, error = %why, "OpenID Connect discovery failed");
                unavailable()
            })?;
            if let Ok(mut cache) = PROVIDERS.lock() {
                cache.insert(
                    issuer.to_owned(),
                    Cached {
                        metadata: metadata.clone(),
                        fetched_at: Instant::now(),
                    },
                );
            }
            metadata
        }
    };
    match endpoint_refusal(issuer, &metadata, policy) {
        Some(why) => Err(refused(why)),
        None => Ok(metadata),
    }
}

fn client(
    metadata: Metadata,
    settings: &SsoSettings,
    redirect: &str,
) -> AppResult<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
> {
    let redirect = RedirectUrl::new(redirect.to_owned())
        .map_err(|e| AppError::Internal(format!("callback URL: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.clone()),
        Some(ClientSecret::new(settings.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// The address Folio is reached at: the configured one, else this request's host.
pub(crate) fn public_url(settings: &ApiSettings, req: &Request) -> String {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    routes::public_base(settings.public_url.as_deref(), host)
}

/// The callback URL to register at the provider for a tenant.
pub(crate) fn callback_url(base: &str, slug: &str) -> String {
    routes::sso_callback(base, slug)
}

/// Whether the ID token lacks a claim the settings read (the e-mail address, the roles),
/// which a provider may give only at its userinfo endpoint.
fn lacks_claims(settings: &SsoSettings, claims: &serde_json::Value) -> bool {
    claims.get(&settings.email_claim).is_none()
        || settings
            .role_claim
            .as_ref()
            .is_some_and(|c| claims.get(c).is_none())
}

/// The ID token's claims with those the userinfo endpoint adds (never replacing one the
/// signed ID token carries). Its answer counts only if it is about the same subject (as
/// OpenID Connect requires); a provider that cannot be asked leaves the claims as they
/// are, and the sign-in then says what is missing.
async fn with_userinfo(
    mut claims: serde_json::Value,
    endpoint: &url::Url,
    access_token: &str,
    policy: OutboundPolicy,
) -> serde_json::Value {
    let request = openidconnect::http::Request::builder()
        .method(openidconnect::http::Method::GET)
        .uri(endpoint.as_str())
        .header(
            header::AUTHORIZATION.as_str(),
            format!("Bearer {access_token}"),
        )
        .header(header::ACCEPT.as_str(), "application/json")
        .body(Vec::new());
    let answer = match request {
        Ok(request) => outbound(policy, request).await,
        Err(_) => return claims,
    };
    let extra: Option<serde_json::Map<String, serde_json::Value>> = match answer {
        Ok(r) if r.status().is_success() => serde_json::from_slice(r.body()).ok(),
        Ok(r) => {
            tracing::warn!(status = %r.status(), "userinfo endpoint refused");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "userinfo endpoint unreachable");
            None
        }
    };
    let Some(extra) = extra else {
        return claims;
    };
    if extra.get("sub") != claims.get("sub") {
        tracing::warn!("userinfo answered about another subject: ignored");
        return claims;
    }
    if let Some(own) = claims.as_object_mut() {
        for (name, value) in extra {
            own.entry(name).or_insert(value);
        }
    }
    claims
}

/// What the provider sends the browser back with, and the browser's cookies.
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
    browser_state: Option<String>,
    session: Option<String>,
}

/// Whether the request is a browser's navigation (it accepts HTML), which gets a page
/// rather than a problem document.
fn wants_page(req: &Request) -> bool {
    req.header(header::ACCEPT)
        .is_some_and(|accept| accept.contains("text/html"))
}

/// A sign-in about to start: what the callback needs kept, and the browser's state. Not
/// `Debug`: it holds the nonce and verifier.
struct PendingState {
    state: String,
    nonce: String,
    verifier: String,
    issuer: String,
    return_to: Option<String>,
    /// Who started it (the throttle key of the client's address).
    client: String,
}

impl PendingState {
    fn record(&self, link_user_id: Option<uuid::Uuid>) -> sso::NewLoginState<'_> {
        sso::NewLoginState {
            state_hash: sha256(&self.state),
            nonce: &self.nonce,
            pkce_verifier: &self.verifier,
            issuer: &self.issuer,
            expires_at: Utc::now() + chrono::Duration::minutes(LOGIN_TTL_MINUTES),
            link_user_id,
            return_to: self.return_to.as_deref(),
            client: &self.client,
        }
    }
}

fn sha256(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// Verifies a raw ID token as the callback does (signature from the issuer's keys, issuer,
/// audience `client_id`, expiry at `now`, nonce) and returns its claims as JSON. The
/// issuer's keys come from the same cache, refreshed once when the token's key id is
/// unknown. Public so that tests can present real tokens from one provider to another
/// organisation's settings.
pub async fn verify_id_token(
    issuer: &str,
    client_id: &str,
    raw: &str,
    nonce: &str,
    now: DateTime<Utc>,
    policy: OutboundPolicy,
) -> Result<serde_json::Value, SsoFailure> {
    let token: CoreIdToken = raw.parse().map_err(|_| SsoFailure::InvalidToken)?;
    let nonce = Nonce::new(nonce.to_owned());
    let mut refreshed = false;
    loop {
        let metadata = provider(issuer, refreshed, policy).await?;
        let verifier: IdTokenVerifier<'_, CoreJsonWebKey> = IdTokenVerifier::new_public_client(
            ClientId::new(client_id.to_owned()),
            IssuerUrl::new(issuer.to_owned()).map_err(|_| SsoFailure::WrongIssuer)?,
            metadata.jwks().clone(),
        )
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::RsaSsaPssSha384,
            CoreJwsSigningAlgorithm::RsaSsaPssSha512,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            CoreJwsSigningAlgorithm::EdDsa,
        ])
        .set_time_fn(move || now);
        let checked: Result<
            &openidconnect::IdTokenClaims<EmptyAdditionalClaims, CoreGenderClaim>,
            _,
        > = token.claims(&verifier, &nonce);
        match checked {
            Ok(_) => break,
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) if !refreshed => refreshed = true,
            Err(e) => return Err(verification_failure(&e)),
        }
    }
    // The signature is good: read every claim (the email and role claims are configurable,
    // so not all are standard ones).
    let payload = raw.split('.').nth(1).ok_or(SsoFailure::InvalidToken)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| SsoFailure::InvalidToken)?;
    serde_json::from_slice(&bytes).map_err(|_| SsoFailure::InvalidToken)
}

fn verification_failure(e: &ClaimsVerificationError) -> SsoFailure {
    match e {
        ClaimsVerificationError::Expired(_) => SsoFailure::TokenExpired,
        ClaimsVerificationError::InvalidAudience(_) => SsoFailure::WrongAudience,
        ClaimsVerificationError::InvalidIssuer(_) => SsoFailure::WrongIssuer,
        ClaimsVerificationError::InvalidNonce(_) => SsoFailure::NonceMismatch,
        ClaimsVerificationError::SignatureVerification(_) => SsoFailure::BadSignature,
        _ => SsoFailure::InvalidToken,
    }
}

impl SsoApi {
    async fn tenant(&self, slug: &str) -> AppResult<Tenant> {
        sso::tenant(&self.0.db, slug).await
    }

    async fn settings(&self, tenant: &Tenant) -> AppResult<SsoSettings> {
        sso::settings(&self.0.db, tenant, &self.0.settings.secrets).await
    }

    fn state_cookie(&self, slug: &str, value: &str, max_age_secs: i64) -> String {
        let secure = if self.0.settings.cookie_secure {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{STATE_COOKIE}={value}; Path=/auth/{slug}/sso; HttpOnly; SameSite=Lax; \
             Max-Age={max_age_secs}{secure}"
        )
    }

    /// The provider's authorization URL for a new sign-in, the pending sign-in to record
    /// (not yet linking anyone) and the state for the browser's cookie.
    /// Linking (`link`) asks the provider to have the person sign in afresh (`prompt=login`),
    /// so an account someone else left signed in at the provider in this browser is not
    /// linked unseen.
    async fn authorization(
        &self,
        tenant: &Tenant,
        req: &Request,
        link: bool,
    ) -> AppResult<(String, PendingState)> {
        let settings = self.settings(tenant).await?;
        let metadata = provider(&settings.issuer, false, self.0.settings.outbound)
            .await
            .map_err(AppError::Sso)?;
        let redirect = callback_url(&public_url(&self.0.settings, req), &tenant.slug);
        let client = client(metadata, &settings, &redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        if link {
            request = request.add_prompt(CoreAuthPrompt::Login);
        }
        let (url, state, nonce) = request
            .add_scopes(
                settings
                    .scopes
                    .iter()
                    .filter(|s| s.as_str() != "openid")
                    .map(|s| Scope::new(s.clone())),
            )
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            PendingState {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
                issuer: settings.issuer,
                return_to: None,
                client: folio_app::client_address::throttle_key(crate::request_context::client_ip(
                    req,
                )),
            },
        ))
    }

    async fn start(&self, slug: &str, next: Option<&str>, req: &Request) -> AppResult<Redirect> {
        let tenant = self.tenant(slug).await?;
        let (url, mut pending) = self.authorization(&tenant, req, false).await?;
        pending.return_to = routes::local_path(next).map(str::to_owned);
        sso::record_login_state(&self.0.db, &tenant, &pending.record(None)).await?;
        let cookie = self.state_cookie(&tenant.slug, &pending.state, LOGIN_TTL_MINUTES * 60);
        Ok(Redirect::Found(url, cookie))
    }

    async fn start_link(&self, slug: &str, session: &str, req: &Request) -> AppResult<Redirect> {
        // A page of another site must not start linking the signed-in person's account to
        // whichever provider account that site arranged for this browser.
        if !folio_app::browser::from_same_site(
            req.header("sec-fetch-site"),
            req.header(header::ORIGIN),
            req.header(header::HOST),
            self.0.settings.public_url.as_deref(),
        ) {
            return Err(AppError::ForbiddenBecause(
                "Linking your organisation account must be started from your profile page \
                 in Folio, not from another site."
                    .into(),
            ));
        }
        let tenant = self.tenant(slug).await?;
        let mut uow = folio_app::UnitOfWork::authenticate(
            &self.0.db,
            session,
            folio_app::Disclaimer::NotYetNeeded,
        )
        .await?;
        let (url, pending) = self.authorization(&tenant, req, true).await?;
        sso::record_link_state(&mut uow, &tenant, pending.record(None)).await?;
        uow.commit().await?;
        let cookie = self.state_cookie(&tenant.slug, &pending.state, LOGIN_TTL_MINUTES * 60);
        Ok(Redirect::Found(url, cookie))
    }

    /// Who the browser's session cookie signs in, in this organisation; `None` when it
    /// signs in no one (ended, expired, another organisation's).
    async fn session_user(&self, tenant: &Tenant, session: Option<&str>) -> Option<uuid::Uuid> {
        let uow = folio_app::UnitOfWork::authenticate(
            &self.0.db,
            session?,
            folio_app::Disclaimer::NotYetNeeded,
        )
        .await
        .ok()?;
        (uow.principal.tenant == tenant.tenant_id()).then_some(uow.principal.user_id)
    }

    async fn finish(&self, tenant: &Tenant, req: &Request, back: Callback) -> AppResult<Redirect> {
        let Callback {
            code,
            state,
            error,
            iss,
            browser_state,
            session,
        } = back;
        let sso = |f: SsoFailure| AppError::Sso(f);
        // Whatever happens next, the state presented is used up.
        let lookup = match &state {
            Some(s) => Some(sso::take_login_state(&self.0.db, tenant, &sha256(s)).await?),
            None => None,
        };
        if let Some(error) = error {
            return Err(sso(if error == "access_denied" {
                SsoFailure::AccessDenied
            } else {
                SsoFailure::ProviderRefused {
                    error: error
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .take(64)
                        .collect(),
                }
            }));
        }
        let (Some(state), Some(code), Some(lookup)) = (state, code, lookup) else {
            return Err(sso(SsoFailure::StateUnknown));
        };
        let pending = match lookup {
            StateLookup::Unknown => return Err(sso(SsoFailure::StateUnknown)),
            StateLookup::Used => return Err(sso(SsoFailure::StateReplayed)),
            StateLookup::Fresh(pending) => pending,
        };
        if browser_state.as_deref() != Some(state.as_str()) {
            return Err(sso(SsoFailure::StateMismatch));
        }
        if pending.expires_at <= Utc::now() {
            return Err(sso(SsoFailure::StateExpired));
        }
        let settings = self.settings(tenant).await?;
        // RFC 9207: a provider that says who sends the browser back must be this one (a
        // mix-up with another provider's response is refused before its code is used).
        if iss.as_ref().is_some_and(|iss| *iss != settings.issuer) {
            return Err(sso(SsoFailure::WrongIssuer));
        }
        if settings.issuer != pending.issuer {
            // The provider changed while this sign-in was under way.
            return Err(sso(SsoFailure::StateUnknown));
        }

        let metadata = provider(&settings.issuer, false, self.0.settings.outbound)
            .await
            .map_err(sso)?;
        let redirect = callback_url(&public_url(&self.0.settings, req), &tenant.slug);
        let userinfo_endpoint = metadata.userinfo_endpoint().map(|u| u.url().clone());
        let client = client(metadata, &settings, &redirect)?;
        let request = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|_| sso(SsoFailure::ProviderError))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier));
        let policy = self.0.settings.outbound;
        let http = |request| outbound(policy, request);
        let response = request.request_async(&http).await.map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => {
                tracing::info!(tenant_id = %tenant.id, error = %r.error(), "token endpoint refused the code");
                sso(SsoFailure::CodeRejected)
            }
            RequestTokenError::Request(e) => {
                tracing::warn!(tenant_id = %tenant.id, error = %e, "token endpoint unreachable");
                sso(SsoFailure::ProviderUnavailable {
                    issuer: settings.issuer.clone(),
                })
            }
            _ => sso(SsoFailure::ProviderError),
        })?;
        let raw = response
            .id_token()
            .ok_or(sso(SsoFailure::InvalidToken))?
            .to_string();
        let claims = verify_id_token(
            &settings.issuer,
            &settings.client_id,
            &raw,
            &pending.nonce,
            Utc::now(),
            self.0.settings.outbound,
        )
        .await
        .map_err(sso)?;
        let claims = match userinfo_endpoint {
            Some(endpoint) if lacks_claims(&settings, &claims) => {
                let token = openidconnect::OAuth2TokenResponse::access_token(&response).secret();
                with_userinfo(claims, &endpoint, token, policy).await
            }
            _ => claims,
        };
        let who = sso::identity(&settings, &claims).map_err(sso)?;

        if let Some(started_by) = pending.link_user_id {
            let session_user = self.session_user(tenant, session.as_deref()).await;
            sso::link_signed_in(
                &self.0.db,
                tenant,
                &settings,
                started_by,
                session_user,
                &who,
            )
            .await?;
            tracing::info!(tenant_id = %tenant.id, user_id = %started_by, "linked an SSO identity");
            return Ok(Redirect::Found(
                routes::profile(),
                self.state_cookie(&tenant.slug, "", 0),
            ));
        }

        let ttl = self.0.settings.session_ttl;
        // Kept sealed on the session, for the provider's `id_token_hint` at sign-out.
        let id_token_sealed = self
            .0
            .settings
            .secrets
            .seal(folio_app::account::ID_TOKEN_SEAL_CONTEXT, &raw)
            .ok();
        let session = sso::sign_in(
            &self.0.db,
            ttl,
            tenant,
            &settings,
            &who,
            id_token_sealed.as_deref(),
        )
        .await?;
        tracing::info!(tenant_id = %tenant.id, user_id = %session.user.id, "signed in through SSO");
        let cookie = session_cookie(
            &self.0.settings,
            &session.token,
            self.0.settings.session_ttl.as_secs(),
        );
        let to = pending.return_to.unwrap_or_else(|| "/".into());
        Ok(Redirect::Found(to, cookie))
    }
}

#[OpenApi(prefix_path = "/auth", tag = "SsoTag::SingleSignOn")]
impl SsoApi {
    /// Start signing in through the organisation's identity provider: redirects (302) to
    /// the provider with an authorization code request (PKCE S256, `state`, `nonce`). The
    /// sign-in must finish within 10 minutes, in the same browser. 404 `sso-not-configured`
    /// when the organisation has no SSO; 502 `sso-provider-unavailable` when its provider
    /// cannot be reached.
    #[oai(path = "/:tenant/sso/login", method = "get")]
    async fn login(
        &self,
        tenant: Path<String>,
        next: Query<Option<String>>,
        req: &Request,
    ) -> ApiResult<Redirect> {
        let result = self.start(&tenant.0, next.0.as_deref(), req).await;
        if let Err(AppError::Sso(f)) = &result {
            tracing::warn!(tenant = %tenant.0, reason = f.kind(), "SSO sign-in could not start");
        }
        result.map_err(ApiError::from)
    }

    /// Where the identity provider sends the browser back. On success: a session starts
    /// (the `folio_session` cookie, exactly as after password sign-in) and the browser is
    /// redirected (302) to `/`. Otherwise a problem document whose type names the reason:
    /// `sso-access-denied`, `sso-state-unknown`, `sso-state-expired`, `sso-state-replayed`,
    /// `sso-state-mismatch`, `sso-code-rejected`, `sso-wrong-issuer`, `sso-wrong-audience`,
    /// `sso-token-expired`, `sso-nonce-mismatch`, `sso-bad-signature`, `sso-invalid-token`,
    /// `sso-email-missing`, `sso-email-unverified`, `sso-email-domain-not-allowed`,
    /// `sso-no-roles`, `sso-user-deactivated`, `sso-not-provisioned`,
    /// `sso-provider-unavailable`, `sso-provider-error`, `sso-provider-refused`.
    #[oai(path = "/:tenant/sso/callback", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn callback(
        &self,
        tenant: Path<String>,
        code: Query<Option<String>>,
        state: Query<Option<String>>,
        error: Query<Option<String>>,
        iss: Query<Option<String>>,
        #[oai(name = "folio_sso_state")] browser_state: Cookie<Option<String>>,
        #[oai(name = "folio_session")] session: Cookie<Option<String>>,
        req: &Request,
    ) -> ApiResult<Redirect> {
        let t = self.tenant(&tenant.0).await?;
        let back = Callback {
            code: code.0,
            state: state.0,
            error: error.0,
            iss: iss.0,
            browser_state: browser_state.0,
            session: session.0,
        };
        let result = self.finish(&t, req, back).await;
        if let Err(AppError::Sso(f)) = &result {
            tracing::warn!(tenant_id = %t.id, reason = f.kind(), "SSO sign-in refused");
            if wants_page(req) {
                // A person in a browser gets the sign-in page saying what went wrong.
                return Ok(Redirect::Found(
                    routes::sign_in_refused(&t.slug, f.kind()),
                    self.state_cookie(&t.slug, "", 0),
                ));
            }
        }
        result.map_err(ApiError::from)
    }

    /// Link the signed-in person's Folio account to their account at the organisation's
    /// identity provider: the same redirect (302) as `login`, for a browser that presents
    /// its Folio session cookie. When the provider sends the browser back, the identity it
    /// vouches for is linked to this account (audited) and the browser goes to the profile
    /// page; refused with `sso-identity-linked-elsewhere` when that identity is another
    /// person's, `sso-account-linked-elsewhere` when this account is linked to another
    /// identity there, `sso-link-session-ended` when the session ended meanwhile. This is
    /// how an admin's account, never linked by e-mail address, is linked. 401 without a
    /// session.
    #[oai(path = "/:tenant/sso/link", method = "get")]
    async fn link(
        &self,
        tenant: Path<String>,
        #[oai(name = "folio_session")] session: Cookie<Option<String>>,
        req: &Request,
    ) -> ApiResult<Redirect> {
        let Some(session) = session.0 else {
            return Err(ApiError::from(AppError::Unauthenticated));
        };
        let result = self.start_link(&tenant.0, &session, req).await;
        if let Err(AppError::Sso(f)) = &result {
            tracing::warn!(tenant = %tenant.0, reason = f.kind(), "SSO link could not start");
        }
        result.map_err(ApiError::from)
    }

    /// Sign out, at the identity provider too (RP-initiated logout): ends the Folio
    /// session the `folio_session` cookie carries (and clears the cookie), then redirects
    /// (302) to the provider's `end_session_endpoint` with the session's ID token as
    /// `id_token_hint`, which returns the browser to Folio's `/`; or straight to `/` when
    /// the provider advertises none. The pages' "Sign out" comes here for a single sign-on
    /// session.
    #[oai(path = "/:tenant/sso/logout", method = "get")]
    async fn logout(
        &self,
        tenant: Path<String>,
        #[oai(name = "folio_session")] session: Cookie<Option<String>>,
        req: &Request,
    ) -> ApiResult<Redirect> {
        let t = self.tenant(&tenant.0).await?;
        let mut hint = None;
        if let Some(token) = session.0.as_deref() {
            let signed_in = folio_app::UnitOfWork::authenticate(
                &self.0.db,
                token,
                folio_app::Disclaimer::NotYetNeeded,
            )
            .await;
            if let Ok(mut uow) = signed_in
                && uow.principal.tenant == t.tenant_id()
            {
                hint =
                    folio_app::account::sign_out_of_sso(&mut uow, &self.0.settings.secrets).await?;
                uow.commit().await?;
            }
        }
        let cleared = session_cookie(&self.0.settings, "", 0);
        let settings = self.settings(&t).await?;
        let metadata = provider(&settings.issuer, false, self.0.settings.outbound)
            .await
            .map_err(AppError::Sso)?;
        let Some(end) = metadata.additional_metadata().end_session_endpoint.clone() else {
            return Ok(Redirect::Found("/".into(), cleared));
        };
        let back = format!("{}/", public_url(&self.0.settings, req));
        let mut logout = openidconnect::LogoutRequest::from(end)
            .set_client_id(ClientId::new(settings.client_id.clone()));
        if let Ok(back) = PostLogoutRedirectUrl::new(back) {
            logout = logout.set_post_logout_redirect_uri(back);
        }
        if let Some(id_token) = hint.as_deref().and_then(|t| t.parse::<CoreIdToken>().ok()) {
            logout = logout.set_id_token_hint(&id_token);
        }
        Ok(Redirect::Found(logout.http_get_url().to_string(), cleared))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A discovery document naming these endpoints.
    fn metadata(token: &str, jwks: &str) -> Metadata {
        serde_json::from_value(serde_json::json!({
            "issuer": "https://idp.example.com",
            "authorization_endpoint": "https://idp.example.com/authorize",
            "token_endpoint": token,
            "jwks_uri": jwks,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }))
        .unwrap()
    }

    #[test]
    fn a_discovery_document_cannot_point_folio_at_internal_addresses() {
        let strict = OutboundPolicy::PublicHttpsOnly;
        let issuer = "https://idp.example.com";
        let good = metadata(
            "https://idp.example.com/token",
            "https://idp.example.com/jwks",
        );
        assert_eq!(endpoint_refusal(issuer, &good, strict), None);
        for (token, jwks, named) in [
            (
                "https://169.254.169.254/latest/meta-data",
                "https://idp.example.com/jwks",
                "token endpoint",
            ),
            (
                "http://idp.example.com/token",
                "https://idp.example.com/jwks",
                "token endpoint",
            ),
            (
                "https://idp.example.com/token",
                "https://[fd00::1]/jwks",
                "key set",
            ),
            (
                "https://idp.example.com/token",
                "https://localhost:6379/",
                "key set",
            ),
        ] {
            let why = endpoint_refusal(issuer, &metadata(token, jwks), strict)
                .unwrap_or_else(|| panic!("{token} {jwks} allowed"));
            assert!(why.contains(named), "{why}");
        }
        let local = metadata("http://127.0.0.1:9/token", "http://127.0.0.1:9/jwks");
        assert_eq!(
            endpoint_refusal(
                "http://127.0.0.1:9",
                &local,
                OutboundPolicy::DevelopmentAnyAddress
            ),
            None
        );
    }

    /// A name that resolves to a private address is not connected to, however the URL got
    /// past the checks (a DNS answer that changes between check and use): the resolver of
    /// the production client keeps only public addresses.
    #[tokio::test]
    async fn the_production_client_connects_to_public_addresses_only() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
            }
        });
        let url = format!("http://localhost:{port}/");
        let development = http_client(OutboundPolicy::DevelopmentAnyAddress);
        let answered = development.get(&url).send().await.unwrap();
        assert_eq!(answered.status(), 200);
        let production = http_client(OutboundPolicy::PublicHttpsOnly);
        let refused = production.get(&url).send().await.unwrap_err();
        assert!(
            words(&refused).contains("resolves to no public address"),
            "{}",
            words(&refused)
        );
        // And the policy refuses the URL before any connection is tried.
        let mut request = openidconnect::HttpRequest::new(Vec::new());
        *request.uri_mut() = url.parse().unwrap();
        let not_allowed = outbound(OutboundPolicy::PublicHttpsOnly, request)
            .await
            .unwrap_err();
        assert!(matches!(not_allowed, OutboundError::NotAllowed(_)));
    }
}
