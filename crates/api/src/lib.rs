//! Folio's HTTP API: poem + poem-openapi under `/api/v1`, the spec at `/api/openapi.json`,
//! the docs UI at `/api/docs`, `/healthz` and `/readyz` for orchestrators, and `/metrics`
//! for Prometheus. The web application's pages (crate `folio-web`) are served beside it:
//! [`app`] takes their routes.

mod audit_log;
mod auditor_access;
mod comments;
mod course_resources;
mod curriculum;
mod dashboard;
pub mod document;
mod documents;
mod employers;
mod enrolments;
mod evidence;
mod exports;
mod form;
mod gateway;
pub mod health;
mod iqa;
mod iqa_record;
mod jobs;
mod json_body;
mod learning_plan;
mod learning_plan_files;
mod me;
mod messages;
pub mod metrics;
mod notifications;
mod pagination;
mod principal;
pub mod problem;
mod profile;
mod progress;
mod request_context;
mod schema;
pub mod security;
mod settings;
mod sign_in;
mod sso;
mod sso_settings;
mod time_log;
mod time_log_export;
mod two_factor;
mod users;

use std::time::Duration;

use folio_app::Database;
use folio_domain::LoginThrottle;
use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem::middleware::{CatchPanic, CookieJarManager};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route};
use poem_openapi::OpenApiService;

pub use principal::{Authenticated, Credentials, SESSION_COOKIE};
pub use request_context::REQUEST_ID_HEADER;
pub use sso::verify_id_token;

/// How the API behaves, from the process configuration.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// How long a sign-in session lasts.
    pub session_ttl: Duration,
    /// Whether the session cookie is marked `Secure` (HTTPS only; browsers treat
    /// `http://localhost` as secure too).
    pub cookie_secure: bool,
    /// Failed sign-in limits.
    pub login_throttle: LoginThrottle,
    /// The address people reach Folio at, e.g. `https://folio.example.com`: single sign-on
    /// callbacks are built on it. `None` takes it from each request's `Host` (plain HTTP;
    /// fine locally, set it in production).
    pub public_url: Option<String>,
    /// The bearer token `GET /metrics` requires; `None`: the API does not serve
    /// `/metrics` (404).
    pub metrics_token: Option<String>,
    /// Which addresses Folio may call (identity providers): public https only, unless
    /// development allows any.
    pub outbound: folio_app::outbound::OutboundPolicy,
    /// The keys stored secrets (SSO client secrets) are sealed with.
    pub secrets: folio_app::secrets::SecretKeys,
    /// The operator's proxies, whose `X-Forwarded-For` names the client (none: the
    /// connection's peer is the client).
    pub trusted_proxies: folio_app::client_address::TrustedProxies,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            cookie_secure: true,
            login_throttle: LoginThrottle::default(),
            public_url: None,
            metrics_token: None,
            outbound: folio_app::outbound::OutboundPolicy::PublicHttpsOnly,
            secrets: folio_app::secrets::SecretKeys::default(),
            trusted_proxies: folio_app::client_address::TrustedProxies::default(),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// PostgreSQL.
    pub db: Database,
    /// Redis, checked by `/readyz` (the job queue's store).
    pub redis: redis::Client,
    /// Files: evidence and course resources.
    pub storage: folio_storage::Storage,
    /// Draws pages of PDF evidence for the viewer, in child processes.
    pub pdf_drawer: folio_app::pdf_drawer::PdfDrawer,
    /// Where runs people ask for (a job run now, an export) are pushed for the workers.
    pub runs: std::sync::Arc<dyn folio_app::RunQueue>,
    /// Behaviour settings.
    pub settings: ApiSettings,
}

/// The title and version in the OpenAPI document.
pub const API_TITLE: &str = "Folio API";

/// The OpenAPI service with every resource.
pub fn openapi(state: &AppState) -> OpenApiService<impl poem_openapi::OpenApi, ()> {
    OpenApiService::new(
        (
            health::HealthApi(state.clone()),
            (
                sign_in::SignInApi(state.clone()),
                sso::SsoApi(state.clone()),
                sso_settings::SsoSettingsApi(state.clone()),
            ),
            (
                me::MeApi(state.clone()),
                notifications::NotificationsApi(state.clone()),
                two_factor::TwoFactorApi(state.clone()),
            ),
            users::UsersApi(state.clone()),
            employers::EmployersApi(state.clone()),
            curriculum::CurriculumApi(state.clone()),
            course_resources::CourseResourcesApi(state.clone()),
            enrolments::EnrolmentsApi(state.clone()),
            (
                evidence::EvidenceApi(state.clone()),
                exports::ExportsApi(state.clone()),
            ),
            (
                progress::ProgressApi(state.clone()),
                dashboard::DashboardApi(state.clone()),
                gateway::GatewayApi(state.clone()),
                iqa::IqaApi(state.clone()),
                iqa::IqaPlanApi(state.clone()),
            ),
            time_log::TimeLogApi(state.clone()),
            // poem-openapi implements OpenApi for tuples of up to 16: related resources
            // share one element as a nested tuple.
            (
                learning_plan::LearningPlanApi(state.clone()),
                learning_plan_files::LearningPlanFilesApi(state.clone()),
            ),
            (
                messages::MessagesApi(state.clone()),
                comments::CommentsApi(state.clone()),
            ),
            documents::DocumentsApi(state.clone()),
            (
                settings::SettingsApi(state.clone()),
                profile::ProfileApi(state.clone()),
            ),
            (
                audit_log::AuditLogApi(state.clone()),
                auditor_access::AuditorAccessApi(state.clone()),
                jobs::JobsApi(state.clone()),
            ),
        ),
        API_TITLE,
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Folio: e-portfolio for apprenticeship training providers. Errors are \
         `application/problem+json` (RFC 9457); validation errors are 422 and name the field.",
    )
}

/// The API service as the pages call it in-process (with its own cookie jar, as the
/// browser's cookie travels in the request they build); a refusal is the problem response
/// the network would get.
pub fn in_process(state: &AppState) -> BoxEndpoint<'static, Response> {
    openapi(state)
        .with(CookieJarManager::new())
        .catch_all_error(|e| async move { problem::into_problem_response(e) })
        .boxed()
}

/// The whole HTTP application: `pages` (the web application's routes), the API under
/// `/api/v1`, its document and docs, `/metrics`, and around them all the request id and
/// span, the client's address (behind the trusted proxies), metrics, panics as problems,
/// cookies, the same-site rule for the API's
/// cookie-authenticated writes and, outermost, the security headers
/// ([`security`]), so every response carries them.
pub fn app(state: AppState, pages: Route) -> impl Endpoint {
    let api = openapi(&state);
    let document = document::served(&api.spec(), &document::closed_bodies());
    let routes = metrics::RouteNames::from_spec(&document);
    let spec = poem::endpoint::make_sync(move |_| {
        poem::Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(document.clone())
    });
    let docs = api.swagger_ui().around(security::docs_policy);
    let metrics = metrics::MetricsEndpoint::public(state.settings.metrics_token.as_deref());
    let public_url: std::sync::Arc<str> =
        state.settings.public_url.clone().unwrap_or_default().into();
    let surface = security::SurfaceSettings::for_public_url(state.settings.public_url.as_deref());
    let proxies = std::sync::Arc::new(state.settings.trusted_proxies.clone());
    pages
        .at("/api/openapi.json", poem::get(spec))
        .nest("/api/docs", docs)
        .at("/metrics", poem::get(metrics))
        .nest("/", api)
        .around(root)
        .around(move |next, req| {
            let public_url = public_url.clone();
            async move {
                let public_url = Some(&*public_url).filter(|u| !u.is_empty());
                security::same_site_writes(next, req, public_url).await
            }
        })
        .with(CookieJarManager::new())
        .with(CatchPanic::new().with_handler(|_| {
            problem::ApiError::response(problem::AppError::Internal("handler panicked".into()))
        }))
        .around(move |next, req| metrics::track(next, req, routes.clone()))
        .around(request_context::request_context)
        .around(move |next, req| request_context::client_address(next, req, proxies.clone()))
        .around(move |next, req| security::headers(next, req, surface))
}

/// `GET /` goes to the pages' home (which sends someone not signed in on to sign in). A
/// middleware, as the API service is nested at `/` and would answer it with a 404.
async fn root<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    if req.uri().path() == "/" && req.method() == Method::GET {
        return Ok(poem::Response::builder()
            .status(poem::http::StatusCode::SEE_OTHER)
            .header(poem::http::header::LOCATION, folio_app::routes::APP_PREFIX)
            .finish());
    }
    next.call(req).await.map(IntoResponse::into_response)
}
