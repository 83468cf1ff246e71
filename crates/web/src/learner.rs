//! The units page (where staff also choose optional units) and the person's own profile.

use folio_app::{notifications, profile, routes};
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;
use serde_json::json;

use super::{Flash, PageResult, Web, merge, needed};

#[handler]
pub(super) async fn units_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let viewer = web.viewer(req).await?;
    let id = super::uuid_path(&web, &viewer, &id)?;
    let base = format!("/api/v1/enrolments/{id}");
    let data = web
        .gather(
            &viewer,
            vec![
                ("units", needed(format!("{base}/units"))),
                ("overview", needed(format!("{base}/overview"))),
                ("enrolment", needed(base.clone())),
            ],
        )
        .await?;
    // Staff choose the optional units from the course's whole structure.
    let course = match (
        viewer.is_staff(),
        data.pointer("/enrolment/course/id")
            .and_then(|c| c.as_str()),
    ) {
        (true, Some(course)) => {
            web.fetch_optional(&viewer, &format!("/api/v1/courses/{course}"))
                .await?
        }
        _ => None,
    };
    // Its optional units, in course order, to choose from.
    let optional_units: Vec<serde_json::Value> = course
        .as_ref()
        .and_then(|c| c.get("components"))
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .filter_map(|component| component.get("units").and_then(|u| u.as_array()))
        .flatten()
        .filter(|unit| unit.get("optional").and_then(serde_json::Value::as_bool) == Some(true))
        .cloned()
        .collect();
    let mut data = merge(
        data,
        json!({ "id": id, "course": course, "optional_units": optional_units }),
    );
    Ok(web.page(&viewer, "units", "Units", data, flash))
}

#[handler]
pub(super) async fn profile_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let (viewer, (mine, digests)) = web
        .read_page(req, async |uow, _| {
            Ok((
                profile::mine(uow).await?,
                notifications::digests(uow).await?,
            ))
        })
        .await?;
    let view = ProfilePage {
        photo: mine
            .has_photo()
            .then(|| format!("/api/v1/users/{}/profile/photo", mine.user_id)),
        phone: mine.profile.phone,
        personal_statement: mine.profile.personal_statement,
        employment_history: mine.profile.employment_history,
        qualifications: mine.profile.qualifications,
        skills: mine.profile.skills,
        interests: mine.profile.interests,
        digests,
        page: routes::PROFILE.pattern(),
    };
    Ok(web.typed_page(&viewer, "profile", "Profile", &view, flash))
}

/// The viewer's own profile page.
#[derive(Debug, Serialize)]
struct ProfilePage {
    /// Their photo, if they have one.
    photo: Option<String>,
    phone: Option<String>,
    personal_statement: Option<String>,
    employment_history: Option<String>,
    qualifications: Option<String>,
    skills: Option<String>,
    interests: Option<String>,
    /// Whether they receive the daily digests.
    digests: bool,
    /// This page.
    page: &'static str,
}
