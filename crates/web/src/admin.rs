//! The admin's screens: people and their roles, courses (with CSV import), enrolments,
//! the organisation's settings and auditor access. Each reads through the use cases in one unit of work,
//! which decide who may (anyone else gets the refusal as a page), and renders a typed view.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::curriculum::{self, Course};
use folio_app::{
    Error as AppError, UnitOfWork, auditor_access, course_resources, employers, enrolments, paging,
    profile, routes, settings, sso_settings, users,
};
use folio_domain::{Permission, Role, TenantSettings};
use poem::http::header;
use poem::web::{Data, Path, Query};
use poem::{Request, handler};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Flash, PageQuery, PageResult, Web, path_id};

#[derive(Debug, Default, Deserialize)]
struct PeopleQuery {
    q: Option<String>,
    role: Option<String>,
    cursor: Option<String>,
}

const ROLES: &[(&str, &str)] = &[
    ("admin", "Admin"),
    ("assessor", "Assessor"),
    ("iqa", "IQA"),
    ("employer", "Employer"),
    ("learner", "Learner"),
    ("auditor", "Auditor"),
];

/// A role to tick, as the people page offers it.
#[derive(Debug, Serialize)]
struct RoleChoice {
    value: &'static str,
    label: &'static str,
}

/// A person on the people page.
#[derive(Debug, Serialize)]
struct PersonRow {
    id: Uuid,
    name: String,
    email: String,
    roles: Vec<&'static str>,
    /// The same as people read them ("IQA", "Employer's manager"…).
    role_names: Vec<&'static str>,
    /// `active` or `deactivated`.
    status: &'static str,
    last_login_at: Option<DateTime<Utc>>,
}

/// An employer to link a new person to.
#[derive(Debug, Serialize)]
struct EmployerChoice {
    id: Uuid,
    name: String,
}

/// The people page.
#[derive(Debug, Serialize)]
struct PeopleView {
    people: Vec<PersonRow>,
    /// The next page's cursor, on all but the last.
    next_cursor: Option<String>,
    /// This page, to page on from.
    link: &'static str,
    /// The search as typed, and the role filter.
    q: Option<String>,
    role: Option<String>,
    roles: Vec<RoleChoice>,
    /// Employers (for admins; none for those who may not read them).
    employers: Vec<EmployerChoice>,
    /// This page with its search, filter and place: where its forms come back to.
    back: String,
}

/// How many people a page of the list shows.
const PEOPLE_PER_PAGE: i64 = 50;

/// `/app/admin/people`: people by name, searched and filtered by role, a page at a time,
/// with the forms that change them; one unit of work.
#[handler]
pub(super) async fn people_page(
    req: &Request,
    web: Data<&Web>,
    Query(q): Query<PeopleQuery>,
    flash: Flash,
) -> PageResult {
    let (viewer, (page, employers)) = web
        .read_page(req, async |uow, _| {
            let role = match q.role.as_deref().filter(|r| !r.is_empty()) {
                Some(r) => Some(
                    r.parse::<Role>()
                        .map_err(|e| AppError::invalid("role", e))?,
                ),
                None => None,
            };
            let search = q.q.clone().filter(|s| !s.trim().is_empty());
            let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
            let query = users::ListQuery::parse(search, role, None, cursor, Some(PEOPLE_PER_PAGE))?;
            let page = users::list(uow, &query).await?;
            let all = employers::ListQuery::parse(None, None, Some(200))?;
            let employers = match employers::list(uow, &all).await {
                Ok(list) => list.items,
                Err(AppError::Forbidden) => Vec::new(),
                Err(e) => return Err(e),
            };
            Ok((page, employers))
        })
        .await?;
    let view = PeopleView {
        people: page
            .items
            .into_iter()
            .map(|p| PersonRow {
                id: p.user.id,
                name: p.user.name,
                email: p.user.email,
                roles: p.roles.iter().map(|r| r.as_str()).collect(),
                role_names: p
                    .roles
                    .iter()
                    .map(|r| {
                        ROLES
                            .iter()
                            .find(|(value, _)| *value == r.as_str())
                            .map_or(r.as_str(), |(_, label)| label)
                    })
                    .collect(),
                status: p.status.as_str(),
                last_login_at: p.user.last_login_at,
            })
            .collect(),
        next_cursor: page.next_cursor,
        link: routes::ADMIN_PEOPLE.pattern(),
        back: {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in [("q", &q.q), ("role", &q.role), ("cursor", &q.cursor)] {
                if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                    query.append_pair(name, v);
                }
            }
            let query = query.finish();
            if query.is_empty() {
                routes::ADMIN_PEOPLE.pattern().to_owned()
            } else {
                format!("{}?{query}", routes::ADMIN_PEOPLE.pattern())
            }
        },
        q: q.q,
        role: q.role,
        roles: ROLES
            .iter()
            .map(|&(value, label)| RoleChoice { value, label })
            .collect(),
        employers: employers
            .into_iter()
            .map(|e| EmployerChoice {
                id: e.id,
                name: e.name,
            })
            .collect(),
    };
    Ok(web.typed_page(&viewer, "admin_people", "People", &view, flash))
}

/// The most pages a form's list of choices follows (at 200 a page): 5,000 choices.
const CHOICE_PAGES: usize = 25;

/// Walks a paged list for a form's choices, page after page (up to [`CHOICE_PAGES`]):
/// `while let Some(cursor) = pages.next() { …read after cursor…; pages.then(next) }`.
#[derive(Debug, Default)]
struct Pages {
    cursor: Option<String>,
    read: usize,
    done: bool,
}

impl Pages {
    /// The cursor to read after (`None` for the first page); `None` once done.
    fn next(&mut self) -> Option<Option<String>> {
        (!self.done && self.read < CHOICE_PAGES).then(|| {
            self.read += 1;
            self.cursor.take()
        })
    }

    /// The page just read ended at `next` (`None` on the last page).
    fn then(&mut self, next: Option<String>) {
        self.done = next.is_none();
        self.cursor = next;
    }
}

/// A page of courses by title, matching `search`, after `cursor`.
async fn courses(
    uow: &mut UnitOfWork,
    search: Option<&str>,
    cursor: Option<&str>,
) -> Result<(Vec<Course>, Option<String>), AppError> {
    let after = paging::decode_name_cursor(cursor)?;
    let page = curriculum::list_courses(uow, search, after.as_ref(), paging::MAX_LIMIT).await?;
    let next = paging::next_name_cursor(&page, |c| (&c.title, c.id));
    Ok((page.items, next))
}

/// A course in the list.
#[derive(Debug, Serialize)]
struct CourseRow {
    code: String,
    title: String,
    off_the_job_minimum_hours: Option<i32>,
    /// Its page.
    link: String,
}

/// The courses page.
#[derive(Debug, Serialize)]
struct CoursesView {
    courses: Vec<CourseRow>,
    /// The next page's cursor, on all but the last.
    next_cursor: Option<String>,
    /// This page, to search and page on from.
    link: &'static str,
    /// The search as typed.
    q: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CoursesQuery {
    q: Option<String>,
    cursor: Option<String>,
}

/// `/app/admin/courses`: courses by title, searched by code or title, a page at a time,
/// with the forms that add one; one unit of work.
#[handler]
pub(super) async fn courses_page(
    req: &Request,
    web: Data<&Web>,
    Query(q): Query<CoursesQuery>,
    flash: Flash,
) -> PageResult {
    let (viewer, (items, next_cursor)) = web
        .read_page(req, async |uow, _| {
            let search = paging::search_term(q.q.clone())?;
            let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
            courses(uow, search.as_deref(), cursor).await
        })
        .await?;
    let view = CoursesView {
        courses: items
            .into_iter()
            .map(|c| CourseRow {
                link: routes::admin_course(c.id),
                code: c.code,
                title: c.title,
                off_the_job_minimum_hours: c.off_the_job_minimum_hours,
            })
            .collect(),
        next_cursor,
        link: routes::ADMIN_COURSES.pattern(),
        q: q.q,
    };
    Ok(web.typed_page(&viewer, "admin_courses", "Courses", &view, flash))
}

/// A criterion of a unit.
#[derive(Debug, Serialize)]
struct CriterionRow {
    id: Uuid,
    code: String,
    text: String,
}

/// A unit of a component, with its criteria.
#[derive(Debug, Serialize)]
struct UnitRow {
    id: Uuid,
    code: String,
    title: String,
    optional: bool,
    optional_group: Option<String>,
    criteria: Vec<CriterionRow>,
}

/// A component of the course, with its units.
#[derive(Debug, Serialize)]
struct ComponentRow {
    id: Uuid,
    title: String,
    units: Vec<UnitRow>,
}

/// A course's own fields.
#[derive(Debug, Serialize)]
struct CourseFields {
    id: Uuid,
    code: String,
    title: String,
    description: Option<String>,
    off_the_job_minimum_hours: Option<i32>,
    standard_code: Option<String>,
    standard_version: Option<String>,
}

/// A course's page: its fields and its whole structure, with the forms that change them.
#[derive(Debug, Serialize)]
struct CourseView {
    /// (Not at the top: the layout's `title` is the page's.)
    course: CourseFields,
    components: Vec<ComponentRow>,
    /// This page (where its forms come back to), and the list of courses.
    page: String,
    courses: &'static str,
    /// Its files from course, which the admin adds and removes here.
    resources: Vec<super::resources::ResourceRow>,
    may_manage: bool,
}

impl From<curriculum::CourseStructure> for CourseView {
    fn from(s: curriculum::CourseStructure) -> Self {
        let mut criteria = s.criteria;
        let mut units = s.units;
        let components = s
            .components
            .into_iter()
            .map(|component| {
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut units)
                    .into_iter()
                    .partition(|u| u.component_id == component.id);
                units = rest;
                ComponentRow {
                    id: component.id,
                    title: component.title,
                    units: mine
                        .into_iter()
                        .map(|unit| {
                            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut criteria)
                                .into_iter()
                                .partition(|c| c.unit_id == unit.id);
                            criteria = rest;
                            UnitRow {
                                id: unit.id,
                                code: unit.code,
                                title: unit.title,
                                optional: unit.optional,
                                optional_group: unit.optional_group,
                                criteria: mine
                                    .into_iter()
                                    .map(|c| CriterionRow {
                                        id: c.id,
                                        code: c.code,
                                        text: c.text,
                                    })
                                    .collect(),
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        let course = s.course;
        Self {
            page: routes::admin_course(course.id),
            courses: routes::ADMIN_COURSES.pattern(),
            resources: Vec::new(),
            may_manage: false,
            course: CourseFields {
                id: course.id,
                code: course.code,
                title: course.title,
                description: course.description,
                off_the_job_minimum_hours: course.off_the_job_minimum_hours,
                standard_code: course.standard_code,
                standard_version: course.standard_version,
            },
            components,
        }
    }
}

/// `/app/admin/courses/{id}`: one course and its structure; one unit of work.
#[handler]
pub(super) async fn course_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, (structure, resources)) = web
        .read_page(req, async |uow, _| {
            let structure = curriculum::course(uow, path_id(&id)?).await?;
            let resources = course_resources::list(uow, structure.course.id).await?;
            Ok((structure, resources))
        })
        .await?;
    let mut view = CourseView::from(structure);
    view.resources = super::resources::rows(resources);
    // The course's page is the admins' (who manage the curriculum).
    view.may_manage = viewer.has("admin");
    let title = format!("{} {}", view.course.code, view.course.title);
    Ok(web.typed_page(&viewer, "admin_course", &title, &view, flash))
}

/// An enrolment in the list.
#[derive(Debug, Serialize)]
struct EnrolmentRow {
    learner_name: String,
    course_code: String,
    course_title: String,
    start_date: NaiveDate,
    planned_end_date: NaiveDate,
    status: &'static str,
    /// The portfolio's page.
    link: String,
}

/// A person to choose in the enrolment form.
#[derive(Debug, Serialize)]
struct PersonChoice {
    id: Uuid,
    name: String,
    email: String,
}

/// A course to choose in the enrolment form.
#[derive(Debug, Serialize)]
struct CourseChoice {
    id: Uuid,
    code: String,
    title: String,
}

/// The enrolments page.
#[derive(Debug, Serialize)]
struct EnrolmentsView {
    enrolments: Vec<EnrolmentRow>,
    /// The next page's cursor, on all but the last.
    next_cursor: Option<String>,
    /// This page, to page on from.
    link: &'static str,
    /// The People page, where a new learner is added before they are enrolled.
    people_link: &'static str,
    /// The enrolment form's choices (the learner is typed by e-mail address: a provider
    /// has thousands): active staff of each role, every course, and the employers (none
    /// for those who may not read them).
    assessors: Vec<PersonChoice>,
    iqas: Vec<PersonChoice>,
    managers: Vec<PersonChoice>,
    courses: Vec<CourseChoice>,
    employers: Vec<EmployerChoice>,
    /// The start date the form suggests.
    today: NaiveDate,
}

/// Every active person with `role`, by name.
async fn active_people(uow: &mut UnitOfWork, role: Role) -> Result<Vec<PersonChoice>, AppError> {
    let mut people = Vec::new();
    let mut pages = Pages::default();
    while let Some(cursor) = pages.next() {
        let query = users::ListQuery::parse(
            None,
            Some(role),
            Some(users::Status::Active),
            cursor.as_deref(),
            Some(paging::MAX_LIMIT),
        )?;
        let page = users::list(uow, &query).await?;
        people.extend(page.items.into_iter().map(|p| PersonChoice {
            id: p.user.id,
            name: p.user.name,
            email: p.user.email,
        }));
        pages.then(page.next_cursor);
    }
    Ok(people)
}

/// Every course, by title.
async fn all_courses(uow: &mut UnitOfWork) -> Result<Vec<CourseChoice>, AppError> {
    let mut all = Vec::new();
    let mut pages = Pages::default();
    while let Some(cursor) = pages.next() {
        let (items, next) = courses(uow, None, cursor.as_deref()).await?;
        all.extend(items.into_iter().map(|c| CourseChoice {
            id: c.id,
            code: c.code,
            title: c.title,
        }));
        pages.then(next);
    }
    Ok(all)
}

/// Every employer, by name; none for those who may not read them.
async fn all_employers(uow: &mut UnitOfWork) -> Result<Vec<EmployerChoice>, AppError> {
    let mut all = Vec::new();
    let mut pages = Pages::default();
    while let Some(cursor) = pages.next() {
        let query = employers::ListQuery::parse(None, cursor.as_deref(), Some(paging::MAX_LIMIT))?;
        let page = match employers::list(uow, &query).await {
            Ok(page) => page,
            Err(AppError::Forbidden) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        all.extend(page.items.into_iter().map(|e| EmployerChoice {
            id: e.id,
            name: e.name,
        }));
        pages.then(page.next_cursor);
    }
    Ok(all)
}

/// `/app/admin/enrolments`: enrolments by learner, a page at a time, and the form that
/// enrols a learner with every choice it offers; one unit of work.
#[handler]
pub(super) async fn enrolments_page(
    req: &Request,
    web: Data<&Web>,
    Query(page): Query<PageQuery>,
    flash: Flash,
) -> PageResult {
    let view = web
        .read_page(req, async |uow, viewer| {
            let cursor = page.cursor.as_deref().filter(|c| !c.is_empty());
            let list = enrolments::list(uow, &Default::default(), cursor, Some(100)).await?;
            Ok(EnrolmentsView {
                enrolments: list
                    .items
                    .into_iter()
                    .map(|v| EnrolmentRow {
                        link: routes::enrolment(v.enrolment.id),
                        status: v.status.as_str(),
                        learner_name: v.enrolment.learner_name,
                        course_code: v.enrolment.course_code,
                        course_title: v.enrolment.course_title,
                        start_date: v.enrolment.start_date,
                        planned_end_date: v.enrolment.planned_end_date,
                    })
                    .collect(),
                next_cursor: list.next_cursor,
                link: routes::ADMIN_ENROLMENTS.pattern(),
                people_link: routes::ADMIN_PEOPLE.pattern(),
                assessors: active_people(uow, Role::Assessor).await?,
                iqas: active_people(uow, Role::Iqa).await?,
                managers: active_people(uow, Role::Employer).await?,
                courses: all_courses(uow).await?,
                employers: all_employers(uow).await?,
                // The provider's date, not UTC's.
                today: Utc::now().with_timezone(&viewer.tz).date_naive(),
            })
        })
        .await?;
    let (viewer, view) = view;
    Ok(web.typed_page(&viewer, "admin_enrolments", "Enrolments", &view, flash))
}

/// The organisation's disclaimer, as the settings form shows it.
#[derive(Debug, Serialize)]
struct DisclaimerForm {
    /// The current version (0 when none was ever set).
    version: i32,
    /// Its text; none when it is off.
    text: Option<String>,
}

/// The single sign-on form: the stored settings, or the defaults when not set up.
#[derive(Debug, Serialize)]
struct SsoForm {
    /// Whether it is set up.
    configured: bool,
    issuer: String,
    client_id: String,
    client_secret_set: bool,
    scopes: Vec<String>,
    email_claim: String,
    role_claim: Option<String>,
    role_mapping: BTreeMap<String, Vec<&'static str>>,
    provisioning: &'static str,
    allowed_email_domains: Vec<String>,
    password_sign_in: bool,
    /// Where people start signing in, and the redirect URI to register at the provider.
    login_url: String,
    redirect_uri: String,
}

impl SsoForm {
    fn new(stored: Option<sso_settings::SsoView>, base: &str, slug: &str) -> Self {
        let login_url = format!("{base}{}", routes::sso_login(slug));
        let redirect_uri = routes::sso_callback(base, slug);
        match stored {
            Some(s) => Self {
                configured: true,
                issuer: s.issuer,
                client_id: s.client_id,
                client_secret_set: s.client_secret_set,
                scopes: s.scopes,
                email_claim: s.email_claim,
                role_claim: s.role_claim,
                role_mapping: s
                    .role_mapping
                    .into_iter()
                    .map(|(k, v)| (k, v.into_iter().map(Role::as_str).collect()))
                    .collect(),
                provisioning: s.provisioning.as_str(),
                allowed_email_domains: s.allowed_email_domains,
                password_sign_in: s.password_sign_in,
                login_url,
                redirect_uri,
            },
            None => Self {
                configured: false,
                issuer: String::new(),
                client_id: String::new(),
                client_secret_set: false,
                scopes: sso_settings::DEFAULT_SCOPES
                    .iter()
                    .map(|&s| s.to_owned())
                    .collect(),
                email_claim: sso_settings::DEFAULT_EMAIL_CLAIM.to_owned(),
                role_claim: None,
                role_mapping: BTreeMap::new(),
                provisioning: sso_settings::Provisioning::InviteOnly.as_str(),
                allowed_email_domains: Vec::new(),
                password_sign_in: true,
                login_url,
                redirect_uri,
            },
        }
    }
}

/// The settings page.
#[derive(Debug, Serialize)]
struct SettingsView {
    settings: TenantSettings,
    disclaimer: DisclaimerForm,
    /// Single sign-on, for those who may change it (admins).
    sso: Option<SsoForm>,
    /// Whether the viewer may change the settings (others see them read-only).
    can_change: bool,
    /// This page, where its forms come back to.
    page: &'static str,
}

/// `/app/admin/settings`: the organisation's settings, its disclaimer and its single
/// sign-on; one unit of work.
#[handler]
pub(super) async fn settings_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let host = req.header(header::HOST).map(str::to_owned);
    let base = routes::public_base(web.state.public_url.as_deref(), host.as_deref());
    let (viewer, view) = web
        .read_page(req, async |uow, viewer| {
            let current = settings::current(uow).await?;
            let disclaimer = profile::disclaimer(uow).await?;
            let can_change = uow.principal.may(Permission::ManageSettings);
            let sso = if can_change {
                let stored = match sso_settings::current(uow).await {
                    Ok(s) => Some(s),
                    Err(AppError::NotFound) => None,
                    Err(e) => return Err(e),
                };
                Some(SsoForm::new(stored, &base, &viewer.slug))
            } else {
                None
            };
            Ok(SettingsView {
                settings: current,
                disclaimer: DisclaimerForm {
                    version: disclaimer.as_ref().map_or(0, |d| d.version),
                    text: disclaimer.and_then(|d| d.body),
                },
                sso,
                can_change,
                page: routes::ADMIN_SETTINGS.pattern(),
            })
        })
        .await?;
    Ok(web.typed_page(&viewer, "admin_settings", "Settings", &view, flash))
}

/// A grant of auditor access, as its row on the admin's page.
#[derive(Debug, Serialize)]
struct GrantRow {
    auditor_name: String,
    purpose: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    /// Which learners, in words.
    learners: String,
    /// Where it stands now, in words.
    state: &'static str,
    /// The API path that withdraws it, while it has not ended or been withdrawn.
    withdraw_api: Option<String>,
}

impl From<auditor_access::Grant> for GrantRow {
    fn from(g: auditor_access::Grant) -> Self {
        let (state, withdrawable) = match g.state.as_str() {
            "upcoming" => ("Not begun yet", true),
            "in_force" => ("In force", true),
            "withdrawn" => ("Withdrawn", false),
            _ => ("Ended", false),
        };
        Self {
            learners: if g.all_learners {
                "Every learner".to_owned()
            } else if g.sample_size == 1 {
                "A sample of 1 programme".to_owned()
            } else {
                format!("A sample of {} programmes", g.sample_size)
            },
            withdraw_api: withdrawable
                .then(|| format!("/api/v1/auditor-access/{}/withdrawal", g.id)),
            auditor_name: g.auditor_name,
            purpose: g.purpose,
            starts_on: g.starts_on,
            ends_on: g.ends_on,
            state,
        }
    }
}

/// The admin's page of auditor access.
#[derive(Debug, Serialize)]
struct AuditorAccessView {
    grants: Vec<GrantRow>,
    /// The active people holding the auditor role, to choose from.
    auditors: Vec<PersonChoice>,
    link: &'static str,
    people_link: &'static str,
    /// The organisation's today, the form's first day.
    today: NaiveDate,
}

/// `/app/admin/auditor-access`: the grants of auditor access, newest first, with a
/// withdraw button on those not ended, and the forms that grant access to every learner
/// or to a sample named by the learners' e-mail addresses (admins; 403 otherwise).
#[handler]
pub(super) async fn auditor_access_page(
    req: &Request,
    web: Data<&Web>,
    flash: Flash,
) -> PageResult {
    let (viewer, view) = web
        .read_page(req, async |uow, viewer| {
            uow.principal.require(Permission::ManageAuditorAccess)?;
            let grants = auditor_access::list(uow).await?;
            Ok(AuditorAccessView {
                grants: grants.into_iter().map(GrantRow::from).collect(),
                auditors: active_people(uow, Role::Auditor).await?,
                link: routes::ADMIN_AUDITOR_ACCESS.pattern(),
                people_link: routes::ADMIN_PEOPLE.pattern(),
                today: Utc::now().with_timezone(&viewer.tz).date_naive(),
            })
        })
        .await?;
    Ok(web.typed_page(
        &viewer,
        "admin_auditor_access",
        "Auditor access",
        &view,
        flash,
    ))
}
