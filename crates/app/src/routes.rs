//! The one table of page routes. The web application registers its pages from these
//! patterns, and every link Folio emits (in an e-mail, on a page, in a redirect) is built
//! here from the same pattern, so a link cannot point at a page that is not served.

use std::fmt::Display;

use uuid::Uuid;

/// A page's route: its pattern, with `:name` for each path parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRoute(&'static str);

impl PageRoute {
    /// The pattern, as the router takes it (`/app/evidence/:id`).
    pub const fn pattern(self) -> &'static str {
        self.0
    }

    /// The path with each parameter, in order, put in its place. Parameters are ids and
    /// slugs of the route table's own; anything else is percent-encoded.
    fn fill(self, args: &[&dyn Display]) -> String {
        let mut args = args.iter();
        self.0
            .split('/')
            .map(|segment| match segment.strip_prefix(':') {
                Some(_) => args
                    .next()
                    .map(|a| encode_segment(&a.to_string()))
                    .unwrap_or_default(),
                None => segment.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Signing in (`?next=` a local path to go on to).
pub const SIGN_IN: PageRoute = PageRoute("/sign-in");
/// Asking for an e-mail with a link to set a new password.
pub const FORGOT_PASSWORD: PageRoute = PageRoute("/sign-in/forgot");
/// Setting a password with the single-use link from an invitation or reset e-mail
/// (`?token=`).
pub const SET_PASSWORD: PageRoute = PageRoute("/sign-in/set-password");
/// The second step of signing in: the code from the authenticator app (a form post).
pub const SIGN_IN_CODE: PageRoute = PageRoute("/sign-in/code");
/// Turning two-step sign-in on and off.
pub const TWO_STEP: PageRoute = PageRoute("/app/profile/two-step");
/// Signing out (a form post).
pub const SIGN_OUT: PageRoute = PageRoute("/sign-out");
/// Everything below is under this prefix and needs a signed-in person.
pub const APP_PREFIX: &str = "/app";
/// The home page: a learner's portfolio overview, staff's dashboard.
pub const HOME: PageRoute = PageRoute("/app/");
/// The organisation's disclaimer, to accept before anything else.
pub const DISCLAIMER: PageRoute = PageRoute("/app/disclaimer");
/// Where forms post when the browser runs no script.
pub const FORM_SUBMIT: PageRoute = PageRoute("/app/do");
/// The list behind a dashboard figure.
pub const TILE: PageRoute = PageRoute("/app/tiles/:key");
/// The lists the nightly digests are about, for the person's caseload.
pub const CASELOAD_LIST: PageRoute = PageRoute("/app/caseload/:list");
/// A learner's portfolio overview.
pub const ENROLMENT: PageRoute = PageRoute("/app/enrolments/:id");
/// A portfolio's evidence library.
pub const EVIDENCE_LIST: PageRoute = PageRoute("/app/enrolments/:id/evidence");
/// A portfolio's progress map.
pub const PROGRESS_MAP: PageRoute = PageRoute("/app/enrolments/:id/progress-map");
/// A portfolio's off-the-job time log.
pub const TIME_LOG: PageRoute = PageRoute("/app/enrolments/:id/time-log");
/// A portfolio's units (optional ones chosen).
pub const UNITS: PageRoute = PageRoute("/app/enrolments/:id/units");
/// A portfolio's gateway readiness checklist.
pub const GATEWAY: PageRoute = PageRoute("/app/enrolments/:id/gateway");
/// A portfolio's IQA samples (staff).
pub const IQA: PageRoute = PageRoute("/app/enrolments/:id/iqa");
/// An action of a learning plan.
pub const ACTION: PageRoute = PageRoute("/app/enrolments/:id/actions/:action");
/// One time-log entry.
pub const TIME_LOG_ENTRY: PageRoute = PageRoute("/app/time-log/:id");
/// One piece of evidence.
pub const EVIDENCE: PageRoute = PageRoute("/app/evidence/:id");
/// Exports.
pub const EXPORTS: PageRoute = PageRoute("/app/exports");
/// Documents to sign.
pub const DOCUMENTS: PageRoute = PageRoute("/app/documents");
/// Messages, received and sent.
pub const MESSAGES: PageRoute = PageRoute("/app/messages");
/// One message.
pub const MESSAGE: PageRoute = PageRoute("/app/messages/:id");
/// A learner's own actions that are past their target dates.
pub const MY_OVERDUE_ACTIONS: PageRoute = PageRoute("/app/actions/overdue");
/// A learning-plan session.
pub const SESSION: PageRoute = PageRoute("/app/sessions/:id");
/// The person's profile and notification settings.
pub const PROFILE: PageRoute = PageRoute("/app/profile");
/// Admin: people.
pub const ADMIN_PEOPLE: PageRoute = PageRoute("/app/admin/people");
/// Admin: courses.
pub const ADMIN_COURSES: PageRoute = PageRoute("/app/admin/courses");
/// Admin: one course.
pub const ADMIN_COURSE: PageRoute = PageRoute("/app/admin/courses/:id");
/// Admin: enrolments.
pub const ADMIN_ENROLMENTS: PageRoute = PageRoute("/app/admin/enrolments");
/// Admin: auditor access.
pub const ADMIN_AUDITOR_ACCESS: PageRoute = PageRoute("/app/admin/auditor-access");
/// IQA sampling plans.
pub const IQA_PLANS: PageRoute = PageRoute("/app/iqa-plans");
/// One IQA sampling plan.
pub const IQA_PLAN: PageRoute = PageRoute("/app/iqa-plans/:id");
/// Admin: the organisation's settings.
pub const ADMIN_SETTINGS: PageRoute = PageRoute("/app/admin/settings");

/// A portfolio's files from its course (course resources).
pub const RESOURCES: PageRoute = PageRoute("/app/enrolments/:id/resources");

/// The signed-in person's notifications (the bell).
pub const NOTIFICATIONS: PageRoute = PageRoute("/app/notifications");

/// One notification: opening it marks it read and goes on to its page.
pub const NOTIFICATION: PageRoute = PageRoute("/app/notifications/:id");

/// Every page route, for checks that each is served.
pub const ALL: &[PageRoute] = &[
    SIGN_IN,
    SIGN_OUT,
    FORGOT_PASSWORD,
    SET_PASSWORD,
    SIGN_IN_CODE,
    TWO_STEP,
    HOME,
    DISCLAIMER,
    FORM_SUBMIT,
    TILE,
    CASELOAD_LIST,
    ENROLMENT,
    EVIDENCE_LIST,
    PROGRESS_MAP,
    TIME_LOG,
    UNITS,
    GATEWAY,
    IQA,
    ACTION,
    TIME_LOG_ENTRY,
    EVIDENCE,
    EXPORTS,
    DOCUMENTS,
    MESSAGES,
    MESSAGE,
    MY_OVERDUE_ACTIONS,
    SESSION,
    PROFILE,
    ADMIN_PEOPLE,
    ADMIN_COURSES,
    ADMIN_COURSE,
    ADMIN_ENROLMENTS,
    ADMIN_SETTINGS,
    ADMIN_AUDITOR_ACCESS,
    IQA_PLANS,
    IQA_PLAN,
    NOTIFICATIONS,
    NOTIFICATION,
    RESOURCES,
];

/// The signed-in person's notifications.
pub fn notifications() -> String {
    NOTIFICATIONS.fill(&[])
}

/// One notification, opened.
pub fn notification(id: Uuid) -> String {
    NOTIFICATION.fill(&[&id])
}

/// The home page.
pub fn home() -> String {
    HOME.fill(&[])
}

/// The list behind a dashboard figure.
pub fn tile(tile: crate::dashboard::Tile) -> String {
    TILE.fill(&[&tile.key()])
}

/// A portfolio's time log.
pub fn time_log(enrolment: Uuid) -> String {
    TIME_LOG.fill(&[&enrolment])
}

/// A portfolio's units.
pub fn units(enrolment: Uuid) -> String {
    UNITS.fill(&[&enrolment])
}

/// A portfolio's gateway readiness checklist.
pub fn gateway(enrolment: Uuid) -> String {
    GATEWAY.fill(&[&enrolment])
}

/// One IQA sampling plan.
pub fn iqa_plan(id: Uuid) -> String {
    IQA_PLAN.fill(&[&id])
}

/// A portfolio's IQA samples.
pub fn iqa(enrolment: Uuid) -> String {
    IQA.fill(&[&enrolment])
}

/// One entry of a time log.
pub fn time_log_entry(id: Uuid) -> String {
    TIME_LOG_ENTRY.fill(&[&id])
}

/// A piece of evidence.
pub fn evidence(id: Uuid) -> String {
    EVIDENCE.fill(&[&id])
}

/// A portfolio's evidence library.
pub fn evidence_list(enrolment: Uuid) -> String {
    EVIDENCE_LIST.fill(&[&enrolment])
}

/// A portfolio's overview.
pub fn enrolment(id: Uuid) -> String {
    ENROLMENT.fill(&[&id])
}

/// A portfolio's progress map.
pub fn progress_map(enrolment: Uuid) -> String {
    PROGRESS_MAP.fill(&[&enrolment])
}

/// An action of a learning plan.
pub fn action(enrolment: Uuid, action: Uuid) -> String {
    ACTION.fill(&[&enrolment, &action])
}

/// A learning-plan session.
pub fn session(id: Uuid) -> String {
    SESSION.fill(&[&id])
}

/// One message.
pub fn message(id: Uuid) -> String {
    MESSAGE.fill(&[&id])
}

/// A learner's own overdue actions.
pub fn my_overdue_actions() -> String {
    MY_OVERDUE_ACTIONS.fill(&[])
}

/// The person's notification settings (on their profile page).
pub fn notification_settings() -> String {
    format!("{}#notifications", PROFILE.fill(&[]))
}

/// A list a nightly digest is about.
pub fn caseload_list(list: crate::reminders::ReminderList) -> String {
    CASELOAD_LIST.fill(&[&list.slug()])
}

/// An admin's page of one course.
pub fn admin_course(id: Uuid) -> String {
    ADMIN_COURSE.fill(&[&id])
}

/// Where a person of the organisation `slug` starts signing in through its identity
/// provider (a path of the API's `/auth` routes, not a page).
pub fn sso_login(slug: &str) -> String {
    format!("/auth/{}/sso/login", encode_segment(slug))
}

/// Signing out of a single sign-on session, at the provider too.
pub fn sso_logout(slug: &str) -> String {
    format!("/auth/{}/sso/logout", encode_segment(slug))
}

/// Where the identity provider sends people back (`base` is Folio's public address): the
/// redirect URI to register at the provider.
pub fn sso_callback(base: &str, slug: &str) -> String {
    format!("{base}/auth/{}/sso/callback", encode_segment(slug))
}

/// Folio's public address, without a trailing `/`: the configured one, or else the
/// address the request was made to (`host`, its `Host` header).
pub fn public_base(configured: Option<&str>, host: Option<&str>) -> String {
    match configured {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", host.unwrap_or("localhost")),
    }
}

/// The sign-in page, going on to `next` (a local path) once signed in.
pub fn sign_in(next: Option<&str>) -> String {
    match next {
        Some(next) => format!("{}?next={}", SIGN_IN.fill(&[]), encode_segment(next)),
        None => SIGN_IN.fill(&[]),
    }
}

/// `next` if it is a plain local path to follow after signing in (`/…`, not `//…`),
/// else `None`: never another site. Browsers drop tabs and newlines from a URL and read
/// `\` as `/`, so `/\t/evil.example` would be `//evil.example`: a path with either, or
/// any space or control character, is refused outright.
pub fn local_path(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && n.len() <= 2000
            && n.chars()
                .all(|c| !c.is_control() && !c.is_whitespace() && c != '\\')
    })
}

/// Single sign-on for the organisation `slug`, going on to `next` (a local path) once
/// signed in.
pub fn sso_login_then(slug: &str, next: Option<&str>) -> String {
    match local_path(next) {
        Some(next) => format!("{}?next={}", sso_login(slug), encode_segment(next)),
        None => sso_login(slug),
    }
}

/// The page that sets a password with a link's token (the token is added by the e-mail
/// sender, which alone can open it).
pub fn set_password() -> String {
    SET_PASSWORD.fill(&[])
}

/// "Forgot password?" for the organisation `slug`.
pub fn forgot_password(slug: &str) -> String {
    format!("{}?org={}", FORGOT_PASSWORD.fill(&[]), encode_segment(slug))
}

/// The sign-in page of the organisation `slug`, saying the password has been set.
pub fn password_set(slug: &str) -> String {
    format!("{}&password_set=1", sign_in_at(slug))
}

/// The sign-in page of the organisation `slug`.
pub fn sign_in_at(slug: &str) -> String {
    format!("{}?org={}", SIGN_IN.fill(&[]), encode_segment(slug))
}

/// The sign-in page of the organisation `slug`, saying why a single sign-on was refused
/// (`kind`, the problem type's last part).
pub fn sign_in_refused(slug: &str, kind: &str) -> String {
    format!(
        "{}?org={}&sso_error={}",
        SIGN_IN.fill(&[]),
        encode_segment(slug),
        encode_segment(kind)
    )
}

/// The person's own profile page.
pub fn profile() -> String {
    PROFILE.fill(&[])
}

/// Where a signed-in person starts linking their account to the organisation's identity
/// provider.
pub fn sso_link(slug: &str) -> String {
    format!("/auth/{}/sso/link", encode_segment(slug))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_fill_their_segments_in_order() {
        let (e, a) = (
            Uuid::parse_str("0190b3a0-0000-7000-8000-000000000001").unwrap(),
            Uuid::parse_str("0190b3a0-0000-7000-8000-000000000002").unwrap(),
        );
        assert_eq!(
            action(e, a),
            "/app/enrolments/0190b3a0-0000-7000-8000-000000000001/actions/0190b3a0-0000-7000-8000-000000000002"
        );
        assert_eq!(home(), "/app/");
        assert_eq!(
            sign_in(Some("/app/evidence/x?y=1")),
            "/sign-in?next=%2Fapp%2Fevidence%2Fx%3Fy%3D1"
        );
    }

    #[test]
    fn every_route_is_a_local_path_and_listed_once() {
        for (i, r) in ALL.iter().enumerate() {
            assert!(r.pattern().starts_with('/'), "{r:?}");
            assert!(!ALL[..i].contains(r), "{r:?} listed twice");
        }
    }
}
