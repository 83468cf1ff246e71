//! The admin's screens: people and their roles, courses (with CSV import), enrolments,
//! and the organisation's settings. Like every page, they read and change everything
//! through the API, which decides who may (anyone else gets its refusal as a page).

use poem::web::{Data, Path, Query};
use poem::{Request, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Flash, PageQuery, PageResult, Web, encode, every, if_allowed, merge, needed};

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

fn roles_list() -> Value {
    Value::Array(
        ROLES
            .iter()
            .map(|(value, label)| json!({ "value": value, "label": label }))
            .collect(),
    )
}

#[handler]
pub(super) async fn people_page(
    req: &Request,
    web: Data<&Web>,
    Query(q): Query<PeopleQuery>,
    flash: Flash,
) -> PageResult {
    let viewer = web.viewer(req).await?;
    let mut path = "/api/v1/users?limit=200".to_owned();
    if let Some(search) = q.q.as_deref().filter(|s| !s.trim().is_empty()) {
        path.push_str(&format!("&q={}", encode(search.trim())));
    }
    if let Some(role) = q.role.as_deref().filter(|s| !s.is_empty()) {
        path.push_str(&format!("&role={}", encode(role)));
    }
    if let Some(cursor) = q.cursor.as_deref().filter(|s| !s.is_empty()) {
        path.push_str(&format!("&cursor={}", encode(cursor)));
    }
    let data = web
        .gather(
            &viewer,
            vec![
                ("users", needed(path)),
                ("employers", if_allowed("/api/v1/employers?limit=200")),
            ],
        )
        .await?;
    let mut data = merge(
        data,
        json!({ "roles": roles_list(), "q": q.q, "role": q.role }),
    );
    Ok(web.page(&viewer, "admin_people", "People", data, flash))
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
