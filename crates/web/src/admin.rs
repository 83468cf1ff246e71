//! The admin's screens: people and their roles, courses (with CSV import), enrolments,
//! and the organisation's settings. Like every page, they read and change everything
//! through the API, which decides who may (anyone else gets its refusal as a page).

use chrono::{DateTime, Utc};
use folio_app::{Error as AppError, employers, routes, users};
use folio_domain::Role;
use poem::web::{Data, Path, Query};
use poem::{Request, handler};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{Flash, PageQuery, PageResult, Web, every, if_allowed, merge, needed};

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
}

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
            let query = users::ListQuery::parse(search, role, None, cursor, Some(200))?;
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
                status: p.status.as_str(),
                last_login_at: p.user.last_login_at,
            })
            .collect(),
        next_cursor: page.next_cursor,
        link: routes::ADMIN_PEOPLE.pattern(),
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

#[handler]
pub(super) async fn courses_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let viewer = web.viewer(req).await?;
    let courses = web.fetch(&viewer, "/api/v1/courses?limit=200").await?;
    let mut data = json!({ "courses": courses });
    Ok(web.page(&viewer, "admin_courses", "Courses", data, flash))
}

#[handler]
pub(super) async fn course_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let viewer = web.viewer(req).await?;
    let id = super::uuid_path(&web, &viewer, &id)?;
    let course = web.fetch(&viewer, &format!("/api/v1/courses/{id}")).await?;
    let mut data = json!({ "id": id, "course": course });
    Ok(web.page(&viewer, "admin_course", "Course", data, flash))
}

#[handler]
pub(super) async fn enrolments_page(
    req: &Request,
    web: Data<&Web>,
    Query(page): Query<PageQuery>,
    flash: Flash,
) -> PageResult {
    let viewer = web.viewer(req).await?;
    // The choices the enrolment form offers, every one of them; the API checks each one's
    // role again.
    let by_role = |role: &str| every(format!("/api/v1/users?role={role}&status=active&limit=200"));
    let data = web
        .gather(
            &viewer,
            vec![
                (
                    "enrolments",
                    needed(format!("/api/v1/enrolments?limit=100{}", page.param())),
                ),
                ("learners", by_role("learner")),
                ("assessors", by_role("assessor")),
                ("iqas", by_role("iqa")),
                ("managers", by_role("employer")),
                ("courses", every("/api/v1/courses?limit=200")),
                ("employers", if_allowed("/api/v1/employers?limit=200")),
            ],
        )
        .await?;
    let today = folio_app::progress::today().to_string();
    let mut data = merge(data, json!({ "today": today }));
    Ok(web.page(&viewer, "admin_enrolments", "Enrolments", data, flash))
}

#[handler]
pub(super) async fn settings_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let viewer = web.viewer(req).await?;
    let mut data = web
        .gather(
            &viewer,
            vec![
                ("settings", needed("/api/v1/settings")),
                ("disclaimer", needed("/api/v1/settings/disclaimer")),
                ("sso", if_allowed("/api/v1/settings/sso")),
            ],
        )
        .await?;
    Ok(web.page(&viewer, "admin_settings", "Settings", data, flash))
}
