//! The web application: server-rendered pages from `templates/pages/`, served by the same
//! process as the API (which takes these routes, see `folio_api::app`).
//!
//! Pages hold no rules of their own. Every page reads through the use cases of
//! `folio-app` in one unit of work and renders a typed view strictly, so it shows exactly
//! what its user may see through `/api/v1`; sign-in and sign-out are use cases too. Every
//! change is an API call: the browser script (`/static/folio.js`) sends a form as JSON
//! straight to the API and shows the API's problem details beside the fields they name;
//! without a script, the same form posts to `/app/do`, which makes the same call to the
//! API service in-process ([`client::ApiClient`]) and comes back to the page with the
//! problem's message. Forms name their JSON fields with [`forms::to_json`]'s convention.

mod admin;
mod bell;
mod charts;
mod client;
mod exports;
mod forms;
mod gateway;
mod home;
mod inbox;
mod iqa;
mod iqa_plans;
mod learner;
mod overview;
mod passwords;
mod plan;
mod portfolio;
mod refill;
mod reminders;
mod render;
mod resources;
mod time_log;
mod two_step;
mod units;
mod upload;

use folio_app::routes::local_path;
use std::sync::Arc;

use folio_app::{Disclaimer, UnitOfWork, routes};
use poem::endpoint::BoxEndpoint;
use poem::http::{Method, StatusCode, header};
use poem::web::{Data, Form, Query};
use poem::{EndpointExt, IntoResponse, Request, Response, Route, get, handler, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use client::{ApiClient, Reply};
use render::Pages;

use folio_app::Error as AppError;
use folio_app::browser::SESSION_COOKIE;

/// What the pages need of the process: the database their units of work run in, and how
/// cookies are set.
#[derive(Clone)]
pub struct WebState {
    /// PostgreSQL.
    pub db: folio_app::Database,
    /// Whether cookies the pages set are marked `Secure` (as the API's session cookie is).
    pub cookie_secure: bool,
    /// The address people reach Folio at, when configured (else the request's `Host`):
    /// for the single sign-on addresses the settings page shows.
    pub public_url: Option<String>,
    /// How long a session started on the sign-in page lasts (as one the API starts).
    pub session_ttl: std::time::Duration,
    /// The sign-in lock-out policy (the API's: the count is kept in the database, so an
    /// address is locked out on both).
    pub login_throttle: folio_domain::LoginThrottle,
    /// The keys that seal the token of a link to set a password in its queued e-mail.
    pub secrets: folio_app::secrets::SecretKeys,
}

/// What the page handlers share.
#[derive(Clone)]
struct Web {
    api: ApiClient,
    pages: Arc<Pages>,
    /// The e-mail templates: a notification says what its e-mail's subject said.
    mail: Arc<folio_mail::Templates>,
    state: WebState,
    /// The `/app` pages themselves, to render a page again in-process with a refused form
    /// filled in (see [`refill`]); set once the routes are built. Weak: the route tree
    /// owns them, and they own this.
    app: Arc<std::sync::OnceLock<std::sync::Weak<BoxEndpoint<'static, Response>>>>,
}

/// The `/app` pages as one endpoint.
type AppPages = Arc<BoxEndpoint<'static, Response>>;

const CSS: &str = include_str!("../../../templates/pages/static/folio.css");
const JS: &str = include_str!("../../../templates/pages/static/folio.js");

/// The pages' routes; the forms posted without the script reach `api` (the API service,
/// answering refusals as problem responses) in-process through `/app/do`.
pub fn routes(state: &WebState, api: BoxEndpoint<'static, Response>) -> Route {
    let pages = match Pages::load() {
        Ok(p) => Arc::new(p),
        // The templates are compiled into the binary and checked by a unit test.
        Err(e) => panic!("page templates do not compile: {e}"),
    };
    let mail = match folio_mail::Templates::load() {
        Ok(m) => Arc::new(m),
        // Compiled into the binary and checked by folio-mail's unit tests.
        Err(e) => panic!("e-mail templates do not compile: {e}"),
    };
    let web = Web {
        api: ApiClient::new(api),
        pages,
        mail,
        state: state.clone(),
        app: Arc::default(),
    };
    let app_pages = Route::new()
        .at(routes::APP_PREFIX, get(home::home_page))
        .at(routes::HOME.pattern(), get(home::home_page))
        .at(routes::DISCLAIMER.pattern(), get(disclaimer_page))
        .at(routes::FORM_SUBMIT.pattern(), post(form_submit))
        .at(routes::TILE.pattern(), get(home::tile_page))
        .at(
            routes::CASELOAD_LIST.pattern(),
            get(reminders::caseload_page),
        )
        .at(routes::ENROLMENT.pattern(), get(overview::overview_page))
        .at(
            routes::EVIDENCE_LIST.pattern(),
            get(portfolio::evidence_list_page),
        )
        .at(
            routes::PROGRESS_MAP.pattern(),
            get(portfolio::progress_map_page),
        )
        .at(routes::TIME_LOG.pattern(), get(time_log::time_log_page))
        .at(
            routes::TIME_LOG_ENTRY.pattern(),
            get(time_log::time_log_entry_page),
        )
        .at(routes::EVIDENCE.pattern(), get(portfolio::evidence_page))
        .at(routes::EXPORTS.pattern(), get(exports::exports_page))
        .at(routes::DOCUMENTS.pattern(), get(inbox::documents_page))
        .at(routes::MESSAGES.pattern(), get(inbox::messages_page))
        .at(routes::MESSAGE.pattern(), get(inbox::message_page))
        .at(
            routes::MY_OVERDUE_ACTIONS.pattern(),
            get(reminders::my_overdue_actions_page),
        )
        .at(routes::SESSION.pattern(), get(plan::session_page))
        .at(routes::ACTION.pattern(), get(plan::action_page))
        .at(routes::PROFILE.pattern(), get(learner::profile_page))
        .at(
            routes::TWO_STEP.pattern(),
            get(two_step::settings_page).post(two_step::settings_submit),
        )
        .at(routes::UNITS.pattern(), get(units::units_page))
        .at(routes::GATEWAY.pattern(), get(gateway::gateway_page))
        .at(routes::IQA.pattern(), get(iqa::iqa_page))
        .at(routes::IQA_PLANS.pattern(), get(iqa_plans::plans_page))
        .at(routes::IQA_PLAN.pattern(), get(iqa_plans::plan_page))
        .at(routes::ADMIN_PEOPLE.pattern(), get(admin::people_page))
        .at(routes::ADMIN_COURSES.pattern(), get(admin::courses_page))
        .at(routes::ADMIN_COURSE.pattern(), get(admin::course_page))
        .at(
            routes::ADMIN_ENROLMENTS.pattern(),
            get(admin::enrolments_page),
        )
        .at(routes::ADMIN_SETTINGS.pattern(), get(admin::settings_page))
        .at(
            routes::ADMIN_AUDITOR_ACCESS.pattern(),
            get(admin::auditor_access_page),
        )
        .at(routes::RESOURCES.pattern(), get(resources::resources_page))
        .at(
            routes::NOTIFICATIONS.pattern(),
            get(bell::notifications_page),
        )
        .at(routes::NOTIFICATION.pattern(), get(bell::open_notification));
    Route::new()
        .at(
            routes::SIGN_IN.pattern(),
            get(sign_in_page)
                .post(sign_in_submit)
                .around(page_posts)
                .data(web.clone()),
        )
        .at(
            routes::FORGOT_PASSWORD.pattern(),
            get(passwords::forgot_page)
                .post(passwords::forgot_submit)
                .around(page_posts)
                .data(web.clone()),
        )
        .at(
            routes::SET_PASSWORD.pattern(),
            get(passwords::set_password_page)
                .post(passwords::set_password_submit)
                .around(page_posts)
                .data(web.clone()),
        )
        .at(
            routes::SIGN_IN_CODE.pattern(),
            post(two_step::code_submit)
                .around(page_posts)
                .data(web.clone()),
        )
        .at(
            routes::SIGN_OUT.pattern(),
            post(sign_out).around(page_posts).data(web.clone()),
        )
        .nest_no_strip(routes::APP_PREFIX, {
            let app: AppPages = Arc::new(
                app_pages
                    .around(detours)
                    .around(page_posts)
                    .data(web.clone())
                    .with(poem::middleware::CookieJarManager::new())
                    .boxed(),
            );
            // Only ever set here, once.
            let _ = web.app.set(Arc::downgrade(&app));
            app
        })
        .at("/static/folio.css", get(css))
        .at("/static/folio.js", get(js))
}

#[handler]
fn css() -> Response {
    static_file(CSS, "text/css; charset=utf-8")
}

#[handler]
fn js() -> Response {
    static_file(JS, "text/javascript; charset=utf-8")
}

fn static_file(body: &'static str, content_type: &str) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .body(body)
}

fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

/// The browser's address: the client the HTTP application found behind the operator's
/// trusted proxies, else the connection's peer (see `folio_app::client_address`).
fn client_ip(req: &Request) -> Option<std::net::IpAddr> {
    match req
        .extensions()
        .get::<folio_app::client_address::ClientAddress>()
    {
        Some(found) => found.0,
        None => req
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_canonical()),
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The signed-in person, as `GET /api/v1/me` describes them, and their organisation's time
/// zone (for showing and reading times).
struct Viewer {
    token: String,
    me: Value,
    tz: chrono_tz::Tz,
    /// Their organisation's slug (its sign-in addresses carry it).
    slug: String,
    /// The browser's address.
    peer: Option<std::net::IpAddr>,
    /// Their unread notifications (the bell), up to `notifications::UNREAD_CAP`.
    unread: i64,
    /// An auditor's grants in force (the banner on every page they read): `scope`,
    /// `ends_on`, `purpose` each; empty for everyone else.
    auditing: Value,
}

impl Viewer {
    fn roles(&self) -> Vec<String> {
        self.me
            .get("roles")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn has(&self, role: &str) -> bool {
        self.roles().iter().any(|r| r == role)
    }

    fn is_staff(&self) -> bool {
        ["admin", "assessor", "iqa", "auditor"]
            .iter()
            .any(|r| self.has(r))
    }
}

/// `?cursor=`: which page of a long list (the API's `next_cursor`, passed back as it is).
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    cursor: Option<String>,
}

/// The heading of the page that says a page was refused with `status`.
fn refusal_title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
        StatusCode::INSUFFICIENT_STORAGE => "No room to store files",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    }
}

/// What went wrong on the way to a page: where to send the browser instead.
enum Detour {
    SignIn,
    Disclaimer,
    /// The organisation requires two-step sign-in for staff: set it up first.
    TwoStep,
    Page(Box<Response>),
}

impl IntoResponse for Detour {
    fn into_response(self) -> Response {
        match self {
            Detour::SignIn => redirect(routes::SIGN_IN.pattern()),
            Detour::Disclaimer => redirect(routes::DISCLAIMER.pattern()),
            Detour::TwoStep => redirect(routes::TWO_STEP.pattern()),
            Detour::Page(r) => *r,
        }
    }
}

impl From<Detour> for poem::Error {
    fn from(d: Detour) -> Self {
        poem::Error::from_response(d.into_response())
    }
}

type PageResult = Result<Response, Detour>;

/// Turns a page's detour (carried as a `poem::Error` holding its response) back into that
/// response before the API's error mapping sees it.
/// Also clears the flash cookie once a page has been shown with it.
async fn detours<E: poem::Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let had_flash = req.cookie().get(FLASH_COOKIE).is_some();
    // A page opened from a link (an e-mail's, say) before signing in is where sign-in
    // goes on to.
    let here = (req.method() == Method::GET)
        .then(|| req.uri().path_and_query().map(|p| p.as_str().to_owned()))
        .flatten();
    let mut response = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    if let Some(here) = here
        && response.status() == StatusCode::SEE_OTHER
        && response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            == Some(routes::SIGN_IN.pattern())
        && let Ok(to) = routes::sign_in(Some(&here)).parse()
    {
        response.headers_mut().insert(header::LOCATION, to);
    }
    // A redirect carries a new flash on to its page; anything else has shown it.
    if had_flash
        && !response.status().is_redirection()
        && let Ok(clear) = format!("{FLASH_COOKIE}=; Path=/; Max-Age=0").parse()
    {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    Ok(response)
}

impl Web {
    fn token(req: &Request) -> Option<String> {
        req.cookie()
            .get(SESSION_COOKIE)
            .map(|c| c.value_str().to_owned())
            .filter(|t| !t.is_empty())
    }

    /// The signed-in person, or a detour to sign in: read in a unit of work of its own
    /// (for the pages still read through the API; a learner who has not accepted the
    /// disclaimer yet is a viewer too, the disclaimer page needs one).
    async fn viewer(&self, req: &Request) -> Result<Viewer, Detour> {
        let (uow, viewer) = self.signed_in(req, Disclaimer::NotYetNeeded).await?;
        uow.commit()
            .await
            .map_err(|e| self.app_refusal(Some(&viewer), &e))?;
        Ok(viewer)
    }

    /// The signed-in person's unit of work for a page read through the use cases, with
    /// what the layout shows read in the same transaction: one transaction per page.
    async fn work(&self, req: &Request) -> Result<(UnitOfWork, Viewer), Detour> {
        self.signed_in(req, Disclaimer::MustBeAccepted).await
    }

    /// A unit of work for the session cookie's owner, and the viewer it describes.
    async fn signed_in(
        &self,
        req: &Request,
        disclaimer: Disclaimer,
    ) -> Result<(UnitOfWork, Viewer), Detour> {
        let token = Self::token(req).ok_or(Detour::SignIn)?;
        let mut uow = UnitOfWork::authenticate(&self.state.db, &token, disclaimer)
            .await
            .map_err(|e| self.app_refusal(None, &e))?;
        let me = folio_app::account::signed_in(&mut uow)
            .await
            .map_err(|e| self.app_refusal(None, &e))?;
        // A page a notification links to, opened however the person got there, reads it:
        // the bell agrees with the page (before it is counted for the layout).
        let unread = async {
            if req.method() == poem::http::Method::GET {
                folio_app::notifications::opened(&mut uow, req.uri().path()).await?;
            }
            folio_app::notifications::unread(&mut uow).await
        }
        .await
        .map_err(|e| self.app_refusal(None, &e))?;
        let auditing = folio_app::auditor_access::in_force(&mut uow)
            .await
            .map_err(|e| self.app_refusal(None, &e))?
            .into_iter()
            .map(|g| {
                let scope = if g.all_learners {
                    "every learner of the organisation".to_owned()
                } else if g.sample_size == 1 {
                    "a sample of 1 learner's programme".to_owned()
                } else {
                    format!("a sample of {} learners' programmes", g.sample_size)
                };
                json!({ "scope": scope, "ends_on": g.ends_on, "purpose": g.purpose })
            })
            .collect();
        let viewer = Viewer {
            token,
            me: json!({
                "user": { "id": me.user.id, "name": me.user.name, "email": me.user.email },
                "tenant": { "id": me.tenant.id, "name": me.tenant.name, "slug": me.tenant.slug },
                "roles": uow.principal.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            }),
            tz: me.timezone,
            slug: me.tenant.slug.clone(),
            peer: client_ip(req),
            unread,
            auditing,
        };
        Ok((uow, viewer))
    }

    /// A page's reads, in one unit of work: the viewer signed in (their disclaimer
    /// accepted), `read` run with them, the work committed; a refusal on the way is the
    /// page a person should see.
    async fn read_page<T>(
        &self,
        req: &Request,
        read: impl AsyncFnOnce(&mut UnitOfWork, &Viewer) -> Result<T, AppError>,
    ) -> Result<(Viewer, T), Detour> {
        let (mut uow, viewer) = self.work(req).await?;
        // Nothing changes while a page is read: its panels share the settings and the
        // portfolio checks they each make.
        uow.remember_reads();
        let read = read(&mut uow, &viewer).await;
        let value = self.read(&viewer, read)?;
        self.finish(&viewer, uow).await?;
        Ok((viewer, value))
    }

    /// What a page's use cases read, or their refusal as the page a person should see.
    fn read<T>(&self, viewer: &Viewer, read: Result<T, AppError>) -> Result<T, Detour> {
        read.map_err(|e| self.app_refusal(Some(viewer), &e))
    }

    /// Ends a page's unit of work (its reads are consistent with one another).
    async fn finish(&self, viewer: &Viewer, uow: UnitOfWork) -> Result<(), Detour> {
        uow.commit()
            .await
            .map(|_| ())
            .map_err(|e| self.app_refusal(Some(viewer), &e))
    }

    /// A use case's refusal as the detour a person should see.
    fn app_refusal(&self, viewer: Option<&Viewer>, err: &AppError) -> Detour {
        match err {
            AppError::Unauthenticated => Detour::SignIn,
            AppError::DisclaimerRequired => Detour::Disclaimer,
            AppError::TwoFactorSetupRequired => Detour::TwoStep,
            err => {
                let status = StatusCode::from_u16(err.problem().status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                if let AppError::Internal(details) = err {
                    tracing::error!(error = %details, "internal error on a page");
                }
                let mut page =
                    self.error_page(viewer, status, refusal_title(status), &err.detail());
                if let Some(secs) = err.retry_after_secs()
                    && let Ok(v) = secs.to_string().parse()
                {
                    page.headers_mut().insert(header::RETRY_AFTER, v);
                }
                Detour::Page(Box::new(page))
            }
        }
    }

    /// The page that asks before a form that deletes or takes something away goes
    /// ahead: its `question`, a button that sends the form's `fields` again confirmed
    /// (labelled by `_confirm_button`), and a way back to `back` that changes nothing.
    fn confirm_page(
        &self,
        viewer: &Viewer,
        question: &str,
        back: &str,
        fields: &[(String, String)],
    ) -> Response {
        let button = forms::field(fields, "_confirm_button").unwrap_or("Yes, go ahead");
        let kept: Vec<Value> = fields
            .iter()
            .filter(|(name, _)| name != "_confirmed")
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect();
        self.render(
            Some(viewer),
            "confirm",
            "Are you sure?",
            json!({ "question": question, "button": button, "back": back, "fields": kept }),
        )
    }

    fn error_page(
        &self,
        viewer: Option<&Viewer>,
        status: StatusCode,
        title: &str,
        message: &str,
    ) -> Response {
        let mut response = self.render(
            viewer,
            "error",
            title,
            json!({ "message": message, "status": status.as_u16() }),
        );
        response.set_status(status);
        response
    }

    /// The page `name` with `data`, inside the layout with the organisation's name and
    /// the viewer's navigation.
    fn render(&self, viewer: Option<&Viewer>, name: &str, title: &str, data: Value) -> Response {
        self.render_page(viewer, name, title, data, false)
    }

    /// A signed-in page rendered strictly from a typed view, with the last form's message.
    fn typed_page(
        &self,
        viewer: &Viewer,
        name: &str,
        title: &str,
        view: &impl serde::Serialize,
        flash: Flash,
    ) -> Response {
        let mut data = match serde_json::to_value(view) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(page = name, error = %e, "page view did not serialise");
                return self.error_page(
                    Some(viewer),
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "This page could not be shown. Please try again later.",
                );
            }
        };
        flash.insert_into(&mut data);
        self.render_page(Some(viewer), name, title, data, true)
    }

    fn render_page(
        &self,
        viewer: Option<&Viewer>,
        name: &str,
        title: &str,
        data: Value,
        strict: bool,
    ) -> Response {
        let mut context = match data {
            Value::Object(m) => m,
            other => {
                let mut m = Map::new();
                m.insert("data".into(), other);
                m
            }
        };
        context.insert("title".into(), json!(title));
        if let Some(v) = viewer {
            context.insert("tz".into(), json!(v.tz.name()));
            context.insert("me".into(), v.me.clone());
            context.insert(
                "tenant_name".into(),
                v.me.pointer("/tenant/name").cloned().unwrap_or(Value::Null),
            );
            context.insert("is_learner".into(), json!(v.has("learner")));
            context.insert("is_staff".into(), json!(v.is_staff()));
            context.insert("is_admin".into(), json!(v.has("admin")));
            context.insert("bell_unread".into(), json!(v.unread));
            let label = if v.unread >= folio_app::notifications::UNREAD_CAP {
                format!("{}+", folio_app::notifications::UNREAD_CAP - 1)
            } else {
                v.unread.to_string()
            };
            context.insert("bell_label".into(), json!(label));
            context.insert("is_assessor".into(), json!(v.has("assessor")));
            context.insert("auditing".into(), v.auditing.clone());
        }
        for key in ["tenant_name", "problem", "notice", "auditing"] {
            context.entry(key).or_insert(Value::Null);
        }
        context.entry("me").or_insert(Value::Null);
        match self.pages.render(name, &Value::Object(context), strict) {
            Ok(html) => Response::builder()
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .header(header::CACHE_CONTROL, "no-store")
                .body(html),
            Err(e) => {
                tracing::error!(page = name, error = %e, "page did not render");
                Response::builder()
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
                    .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                    .body("This page could not be shown. Please try again later.")
            }
        }
    }
}

/// Whether `path` is one `/app/do` may send a form to: under Folio's API, going nowhere
/// else by `..`.
fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/v1/") && !path.contains("..")
}

/// The flash cookie: the message to show on the next page after a form, set by `/app/do`
/// (or by the script) and cleared by the page that shows it. A cookie, not a query
/// parameter, so a link made elsewhere cannot put its own words in the page's alert.
pub(crate) const FLASH_COOKIE: &str = "folio_flash";

/// The last form's outcome: `n:` a notice or `p:` a problem, then the text URL-encoded;
/// or `u:` a notice with a way to undo what was done: the text, the API path that undoes
/// it and the page to come back to, each URL-encoded, joined by `|`.
#[derive(Debug, Default)]
struct Flash {
    problem: Option<String>,
    notice: Option<String>,
    undo: Option<Undo>,
}

/// The Undo button a notice offers: a form that posts `api` through `/app/do`.
#[derive(Debug, serde::Serialize)]
struct Undo {
    api: String,
    back: String,
}

impl Flash {
    fn insert_into(self, data: &mut Value) {
        if let Value::Object(m) = data {
            m.insert("problem".into(), json!(self.problem));
            m.insert("notice".into(), json!(self.notice));
            m.insert("undo".into(), json!(self.undo));
        }
    }

    fn parse(raw: &str) -> Self {
        let decoded = |t: &str| -> String {
            url::form_urlencoded::parse(format!("v={t}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        match raw.split_at_checked(2) {
            Some(("n:", text)) => Self {
                notice: Some(decoded(text)),
                ..Self::default()
            },
            Some(("p:", text)) => Self {
                problem: Some(decoded(text)),
                ..Self::default()
            },
            Some(("u:", rest)) => {
                let mut parts = rest.splitn(3, '|').map(decoded);
                let (Some(text), Some(api), Some(back)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Self::default();
                };
                // Only an undo `/app/do` would send anyway (an API path ending
                // `/restore`) and a page of Folio's to come back to.
                let undo = (is_api_path(&api) && api.ends_with("/restore"))
                    .then_some(())
                    .and(local_path(Some(&back)))
                    .map(|back| Undo {
                        api: api.clone(),
                        back: back.to_owned(),
                    });
                Self {
                    notice: Some(text),
                    undo,
                    ..Self::default()
                }
            }
            _ => Self::default(),
        }
    }

    /// The `Set-Cookie` value of a notice with an Undo button (see [`Flash`]).
    fn undo_cookie(text: &str, undo_api: &str, back: &str, secure: bool) -> String {
        let value = format!("u:{}|{}|{}", encode(text), encode(undo_api), encode(back));
        Self::set_cookie(&value, secure)
    }

    /// The `Set-Cookie` value that carries `text` (a problem when `problem`) to the next page.
    fn cookie(problem: bool, text: &str, secure: bool) -> String {
        let kind = if problem { "p" } else { "n" };
        Self::set_cookie(&format!("{kind}:{}", encode(text)), secure)
    }

    /// The `Set-Cookie` value that carries a flash's `value` (its kind, then its parts).
    fn set_cookie(value: &str, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!("{FLASH_COOKIE}={value}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax{secure}")
    }
}

impl<'a> poem::FromRequest<'a> for Flash {
    async fn from_request(req: &'a Request, _body: &mut poem::RequestBody) -> poem::Result<Self> {
        Ok(req
            .cookie()
            .get(FLASH_COOKIE)
            .map(|c| Flash::parse(c.value_str()))
            .unwrap_or_default())
    }
}

/// The largest form a page posts (a CSV course import is the largest).
const MAX_FORM_BYTES: u64 = 2 * 1024 * 1024;

/// The most a form with a file may declare (without the script): the largest upload limit
/// an organisation can set, and the form around it.
const MAX_UPLOAD_FORM_BYTES: u64 = folio_domain::TenantSettings::MAX_EVIDENCE_BYTES + (1 << 20);

/// Guards every page that takes a POST (sign-in, sign-out, `/app/do`): the request must
/// come from Folio's own pages ([`folio_app::browser::from_same_site`], the rule the API's
/// cookie-authenticated writes follow too) and its body must be small and of a stated
/// length, so nothing unbounded is read before the sender is known.
async fn page_posts<E: poem::Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let refuse = |status: StatusCode, message: &str| {
        Ok(Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(message.to_owned()))
    };
    // The pages' state is added outside this guard (see `routes`).
    let web = req.data::<Web>();
    let same_site = folio_app::browser::from_same_site(
        req.header("sec-fetch-site"),
        req.header(header::ORIGIN),
        req.header(header::HOST),
        web.and_then(|w| w.state.public_url.as_deref()),
    );
    if !same_site {
        return refuse(
            StatusCode::FORBIDDEN,
            "This form was sent from another site. Open Folio and try again there.",
        );
    }
    let length = req
        .header(header::CONTENT_LENGTH)
        .and_then(|l| l.parse::<u64>().ok());
    match length {
        Some(n) if n <= MAX_FORM_BYTES => next.call(req).await.map(IntoResponse::into_response),
        // A file sent without the script: streamed on to the API, which holds it to the
        // organisation's upload limit as it arrives.
        Some(n)
            if n <= MAX_UPLOAD_FORM_BYTES
                && is_multipart(&req)
                && req.uri().path() == routes::FORM_SUBMIT.pattern() =>
        {
            next.call(req).await.map(IntoResponse::into_response)
        }
        Some(_) => refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "That is more than a form can send (2 MiB).",
        ),
        None => refuse(
            StatusCode::LENGTH_REQUIRED,
            "The form was sent without its length.",
        ),
    }
}

#[derive(Debug, Default, Deserialize)]
struct SignInQuery {
    org: Option<String>,
    next: Option<String>,
    /// Why a single sign-on was just refused (a problem type's last part).
    sso_error: Option<String>,
    /// Set after a password was set with a link.
    password_set: Option<String>,
}

/// The organisation named by its slug, if it exists: for its name on the sign-in page.
async fn organisation(web: &Web, slug: Option<&str>) -> Value {
    let Some(slug) = slug.filter(|s| !s.is_empty()) else {
        return Value::Null;
    };
    match folio_app::account::sign_in_options(&web.state.db, slug).await {
        Some(o) => {
            json!({ "slug": o.slug, "name": o.name, "sso": o.sso, "password": o.password })
        }
        None => Value::Null,
    }
}

fn sign_in_form(
    web: &Web,
    org: Value,
    slug: &str,
    email: &str,
    next: &str,
    problem: Option<&str>,
    notice: Option<&str>,
) -> Response {
    let tenant_name = org.get("name").cloned().unwrap_or(Value::Null);
    let sso = org
        .get("slug")
        .and_then(Value::as_str)
        .filter(|_| org.get("sso").and_then(Value::as_bool) == Some(true))
        .map(|slug| routes::sso_login_then(slug, Some(next).filter(|n| *n != routes::APP_PREFIX)));
    let password = org.get("password").and_then(Value::as_bool) != Some(false);
    web.render(
        None,
        "sign_in",
        "Sign in",
        json!({
            "tenant_name": tenant_name,
            "org": org,
            "slug": slug,
            "email": email,
            "next": next,
            "sso_url": sso,
            "password": password,
            "problem": problem,
            "notice": notice,
            "forgot_url": if slug.is_empty() {
                routes::FORGOT_PASSWORD.pattern().to_owned()
            } else {
                routes::forgot_password(slug)
            },
        }),
    )
}

#[handler]
async fn sign_in_page(web: Data<&Web>, Query(q): Query<SignInQuery>) -> Response {
    let org = organisation(&web, q.org.as_deref()).await;
    let next = local_path(q.next.as_deref()).unwrap_or(routes::APP_PREFIX);
    let refused = q
        .sso_error
        .as_deref()
        .and_then(folio_app::SsoFailure::for_kind)
        .map(|f| f.detail());
    sign_in_form(
        &web,
        org,
        q.org.as_deref().unwrap_or(""),
        "",
        next,
        refused.as_deref(),
        q.password_set
            .is_some()
            .then_some("Your password is set. Sign in with it now."),
    )
}

#[derive(Deserialize)]
struct SignInForm {
    tenant: String,
    email: String,
    password: String,
    next: Option<String>,
}

#[handler]
async fn sign_in_submit(req: &Request, web: Data<&Web>, Form(form): Form<SignInForm>) -> Response {
    let (tenant, email) = (form.tenant.trim(), form.email.trim());
    let request = folio_app::account::PasswordSignIn {
        tenant,
        email,
        password: &form.password,
        client: client_ip(req),
    };
    let state = &web.state;
    let signed_in = folio_app::account::sign_in_with_password(
        &state.db,
        &state.login_throttle,
        state.session_ttl,
        &request,
    )
    .await;
    let next = local_path(form.next.as_deref()).unwrap_or(routes::APP_PREFIX);
    let err = match signed_in {
        Ok(folio_app::account::PasswordOutcome::SignedIn(signed_in)) => {
            return signed_in_response(state, &signed_in.session.token, next);
        }
        Ok(folio_app::account::PasswordOutcome::TwoFactorRequired(challenge)) => {
            return two_step::code_page(&web, &challenge.token, next, None);
        }
        Err(e) => e,
    };
    let message = match &err {
        AppError::InvalidCredentials => {
            "The organisation, e-mail address or password is not right. Check them and try again."
                .to_owned()
        }
        AppError::Validation(errors) => field_messages(errors),
        AppError::Internal(details) => {
            tracing::error!(error = %details, "sign-in failed");
            "Signing in is not possible just now. Please try again in a minute.".to_owned()
        }
        other => other.detail(),
    };
    let org = organisation(&web, Some(tenant)).await;
    let mut response = sign_in_form(&web, org, tenant, email, next, Some(&message), None);
    let status =
        StatusCode::from_u16(err.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.set_status(if status.is_server_error() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        status
    });
    if let Some(secs) = err.retry_after_secs()
        && let Ok(v) = secs.to_string().parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// Signed in: the session cookie set, on to `next`.
fn signed_in_response(state: &WebState, token: &str, next: &str) -> Response {
    let mut response = redirect(next);
    let cookie =
        folio_app::browser::session_cookie(state.cookie_secure, token, state.session_ttl.as_secs());
    if let Ok(cookie) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// Field errors as one sentence a person can act on.
fn field_messages(errors: &[folio_app::FieldError]) -> String {
    let errors: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", forms::field_words(&e.field), e.detail))
        .collect();
    format!("Please correct: {}.", errors.join("; "))
}

/// A 422 answer's field errors as one sentence (the forms posted through the API).
fn reply_field_messages(reply: &Reply) -> String {
    let errors: Vec<folio_app::FieldError> = reply
        .field_errors()
        .into_iter()
        .map(|(field, detail)| folio_app::FieldError::new(field, detail))
        .collect();
    if errors.is_empty() {
        reply.message()
    } else {
        field_messages(&errors)
    }
}

/// Ends the session the cookie carries and clears the cookie, then goes to the sign-in
/// page of the person's organisation; a single sign-on session goes on to
/// `/auth/{organisation}/sso/logout`, which ends it and the provider's session.
#[handler]
async fn sign_out(req: &Request, web: Data<&Web>) -> Response {
    let mut slug = None;
    if let Ok((mut uow, viewer)) = web.signed_in(req, Disclaimer::NotYetNeeded).await {
        // A single sign-on session is ended where the provider's session is ended too.
        // Not by redirecting this form post there: the pages' `form-action 'self'` would
        // stop a form's redirect to the provider. A page that goes on by itself instead.
        if let Ok(true) = folio_app::account::signed_in_through_sso(&mut uow).await {
            let to = routes::sso_logout(&viewer.slug);
            return web.render(
                None,
                "signing_out",
                "Signing out",
                json!({ "refresh_to": to, "continue_url": to }),
            );
        }
        if folio_app::account::sign_out(&mut uow).await.is_ok() && uow.commit().await.is_ok() {
            slug = Some(viewer.slug);
        }
    }
    let to = match slug {
        Some(s) => format!("{}?org={}", routes::SIGN_IN.pattern(), encode(&s)),
        None => routes::SIGN_IN.pattern().into(),
    };
    let mut response = redirect(&to);
    let cleared = folio_app::browser::session_cookie(web.state.cookie_secure, "", 0);
    if let Ok(v) = cleared.parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

#[handler]
async fn disclaimer_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    // Reachable before it is accepted: that is what the page is for.
    let (mut uow, viewer) = web.signed_in(req, Disclaimer::NotYetNeeded).await?;
    let mine = folio_app::profile::my_disclaimer(&mut uow).await;
    let mine = web.read(&viewer, mine)?;
    web.finish(&viewer, uow).await?;
    let view = DisclaimerView {
        text: mine.text,
        version: mine.version,
        accepted_at: mine.accepted_at,
        home: routes::home(),
        page: routes::DISCLAIMER.pattern(),
    };
    Ok(web.typed_page(&viewer, "disclaimer", "Before you start", &view, flash))
}

/// The disclaimer page.
#[derive(Debug, serde::Serialize)]
struct DisclaimerView {
    text: Option<String>,
    version: Option<i32>,
    accepted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where accepting it goes on to, and this page.
    home: String,
    page: &'static str,
}

/// The generic form handler for browsers without the script: makes the API call the form
/// names (`_method`, `_api`, only under `/api/v1/`) with its fields as JSON, then goes to
/// `_next` (where `{id}` is the new resource's id) or back to `_back` with the problem.
#[handler]
async fn form_submit(req: &Request, web: Data<&Web>, body: poem::Body) -> PageResult {
    let mut body = poem::RequestBody::new(body);
    let viewer = web.viewer(req).await?;
    let unreadable = |message: &str| {
        web.error_page(
            Some(&viewer),
            StatusCode::BAD_REQUEST,
            "That did not work",
            message,
        )
    };
    // A form with a file comes as multipart: its text fields are read, and the file
    // streams on to the API with them (see `upload`).
    let (fields, api_form) = if is_multipart(req) {
        match upload::read(req, &mut body).await {
            Ok(u) => (u.fields, u.api_form),
            Err(message) => return Ok(unreadable(message)),
        }
    } else {
        match <Form<Vec<(String, String)>> as poem::FromRequest>::from_request(req, &mut body).await
        {
            Ok(Form(fields)) => (fields, None),
            Err(_) => {
                return Ok(unreadable(
                    "The form could not be read. Reload the page and try again.",
                ));
            }
        }
    };
    let back = local_path(forms::field(&fields, "_back"))
        .unwrap_or("/app")
        .to_owned();
    // A form that deletes or takes something away says so in `_confirm`: it is asked
    // first, on a page of its own that sends the same fields again with `_confirmed`.
    if let Some(question) = forms::field(&fields, "_confirm")
        && forms::field(&fields, "_confirmed") != Some("yes")
    {
        return Ok(web.confirm_page(&viewer, question, &back, &fields));
    }
    let api = forms::field(&fields, "_api").unwrap_or("");
    if !is_api_path(api) {
        return Ok(web.error_page(
            Some(&viewer),
            StatusCode::BAD_REQUEST,
            "That did not work",
            "The form did not say where to send it.",
        ));
    }
    let method = match forms::field(&fields, "_method").unwrap_or("POST") {
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        _ => Method::POST,
    };
    // The body: the form's one `_body` field as it is (a CSV import), or the fields as JSON.
    let body = match (
        api_form,
        forms::field(&fields, "_content_type"),
        forms::field(&fields, "_body"),
    ) {
        (Some((content_type, form)), _, _) => Some((content_type, form)),
        (None, Some(content_type), Some(raw)) => {
            Some((content_type.to_owned(), raw.to_owned().into()))
        }
        _ if method == Method::DELETE => None,
        _ => Some((
            "application/json".to_owned(),
            serde_json::to_vec(&forms::to_json(&fields, viewer.tz))
                .unwrap_or_default()
                .into(),
        )),
    };
    let reply = web
        .api
        .call_with(method, api, Some(&viewer.token), viewer.peer, body)
        .await;
    let secure = web.state.cookie_secure;
    let with_flash = |to: &str, cookie: String| {
        let mut response = redirect(to);
        if let Ok(v) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
        response
    };
    if reply.ok() {
        let next = local_path(forms::field(&fields, "_next")).unwrap_or(&back);
        let id = reply
            .body
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let next = next.replace("{id}", id);
        let notice = forms::field(&fields, "_notice").unwrap_or("Saved.");
        // A form whose change can be undone names the API path that undoes it.
        let cookie = match forms::field(&fields, "_undo") {
            Some(undo) => Flash::undo_cookie(notice, undo, &next, secure),
            None => Flash::cookie(false, notice, secure),
        };
        return Ok(with_flash(&next, cookie));
    }
    match (reply.status, reply.problem()) {
        (StatusCode::UNAUTHORIZED, _) => Err(Detour::SignIn),
        (_, Some("disclaimer-required")) => Err(Detour::Disclaimer),
        (_, Some("two-factor-required")) => Err(Detour::TwoStep),
        // Refused for what was typed, or for a file larger than the organisation takes:
        // the form comes back as it was filled in, with why.
        (StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PAYLOAD_TOO_LARGE, _) => {
            let summary = reply_field_messages(&reply);
            let sent = Sent {
                api,
                method: forms::field(&fields, "_method").unwrap_or("POST"),
                fields: &fields,
            };
            match web.refilled(req, &back, &sent, &reply, &summary).await {
                Some(page) => Ok(page),
                None => Ok(with_flash(&back, Flash::cookie(true, &summary, secure))),
            }
        }
        _ => Ok(with_flash(
            &back,
            Flash::cookie(true, &reply.message(), secure),
        )),
    }
}

/// Whether a request is a form with a file (`multipart/form-data`).
fn is_multipart(req: &Request) -> bool {
    req.content_type().is_some_and(|t| {
        t.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    })
}

/// A form as it was sent to `/app/do`.
struct Sent<'a> {
    api: &'a str,
    method: &'a str,
    fields: &'a [(String, String)],
}

impl Web {
    /// The page `back` (where the form was) rendered again for the same person, with the
    /// refused form filled in with what they typed and its errors marked, answered with
    /// 422; `None` when that cannot be done (the form is not on that page, say), and the
    /// caller goes back with the message alone.
    async fn refilled(
        &self,
        req: &Request,
        back: &str,
        sent: &Sent<'_>,
        reply: &Reply,
        summary: &str,
    ) -> Option<Response> {
        let app = self.app.get()?.upgrade()?;
        let mut get = Request::builder()
            .method(Method::GET)
            .uri(back.parse().ok()?);
        // Every cookie the browser sent (HTTP/2 may split them over several headers).
        let cookies: Vec<&str> = req
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|c| c.to_str().ok())
            .collect();
        if !cookies.is_empty() {
            get = get.header(header::COOKIE, cookies.join("; "));
        }
        let page = poem::Endpoint::call(app.as_ref(), get.finish())
            .await
            .ok()?;
        if page.status() != StatusCode::OK {
            return None;
        }
        let (mut parts, body) = page.into_parts();
        let html = body.into_string().await.ok()?;
        let problems: Vec<refill::FieldProblem> = reply
            .field_errors()
            .into_iter()
            .map(|(field, detail)| refill::FieldProblem { field, detail })
            .collect();
        let html = refill::refill(
            &html,
            sent.api,
            sent.method,
            sent.fields,
            &problems,
            summary,
        )?;
        parts.status = StatusCode::UNPROCESSABLE_ENTITY;
        parts.headers.remove(header::CONTENT_LENGTH);
        Some(Response::from_parts(parts, poem::Body::from_string(html)))
    }
}

/// An id from a page's path: anything but a UUID is a page that is not there (404).
fn path_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_local_paths_are_followed() {
        for ok in ["/app", "/app/enrolments/1?view=calendar", "/sign-in?org=a"] {
            assert_eq!(local_path(Some(ok)), Some(ok), "{ok}");
        }
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/ /evil",
            "app",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(local_path(None), None);
    }

    #[test]
    fn the_flash_cookie_carries_its_text_and_kind() {
        let text = "Please correct: minutes: must be between 1 and 1440; a+b & c=d.";
        for problem in [true, false] {
            let cookie = Flash::cookie(problem, text, true);
            assert!(cookie.ends_with("; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure"));
            let value = cookie
                .strip_prefix("folio_flash=")
                .and_then(|c| c.split(';').next())
                .expect("a value");
            assert!(!value.contains([' ', ';', ',']), "cookie-safe: {value}");
            let flash = Flash::parse(value);
            let shown = if problem { flash.problem } else { flash.notice };
            assert_eq!(shown.as_deref(), Some(text));
        }
        // What the script sets (encodeURIComponent) reads back the same.
        let flash = Flash::parse("n:Time%20logged.%20a%2Bb");
        assert_eq!(flash.notice.as_deref(), Some("Time logged. a+b"));
        assert!(Flash::parse("x:anything").notice.is_none());
    }
}
