//! More of a learner's screens: documents to sign, messages, the units page (where staff
//! also choose optional units) and the profile. Who sees what is the API's decision.

use poem::web::{Data, Path};
use poem::{Request, handler};
use serde_json::json;

use super::{Flash, PageResult, Web, if_allowed, merge, needed};

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
    let viewer = web.viewer(req).await?;
    let mut data = web
        .gather(
            &viewer,
            vec![
                ("profile", needed("/api/v1/me/profile")),
                ("notifications", if_allowed("/api/v1/me/notifications")),
            ],
        )
        .await?;
    Ok(web.page(&viewer, "profile", "Profile", data, flash))
}

/// A learning-plan session: its details, notes and feedback (edited by staff) and files.
#[handler]
pub(super) async fn session_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let viewer = web.viewer(req).await?;
    let id = super::uuid_path(&web, &viewer, &id)?;
    let data = web
        .gather(
            &viewer,
            vec![
                ("session", needed(format!("/api/v1/sessions/{id}"))),
                ("files", needed(format!("/api/v1/sessions/{id}/files"))),
            ],
        )
        .await?;
    let enrolment = web.enrolment_of(&viewer, &data, "/session/enrolment_id")?;
    let overview = web
        .fetch(&viewer, &format!("/api/v1/enrolments/{enrolment}/overview"))
        .await?;
    // The start as the `datetime-local` field shows it, in the organisation's time zone.
    let starts_local = data
        .pointer("/session/starts_at")
        .and_then(|s| s.as_str())
        .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok())
        .map(|t| {
            t.with_timezone(&viewer.tz)
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        });
    let mut data = merge(
        data,
        json!({ "id": enrolment, "overview": overview, "starts_local": starts_local }),
    );
    Ok(web.page(&viewer, "session", "Session", data, flash))
}

/// One action of a learner's plan: what to do, its progress and its files. (The API has
/// no read of one action: it is taken from the enrolment's list.)
#[handler]
pub(super) async fn action_page(
    req: &Request,
    web: Data<&Web>,
    Path((enrolment, action)): Path<(String, String)>,
    flash: Flash,
) -> PageResult {
    let viewer = web.viewer(req).await?;
    let enrolment = super::uuid_path(&web, &viewer, &enrolment)?;
    let action = super::uuid_path(&web, &viewer, &action)?;
    let base = format!("/api/v1/enrolments/{enrolment}");
    let data = web
        .gather(
            &viewer,
            vec![
                ("actions", needed(format!("{base}/actions"))),
                ("overview", needed(format!("{base}/overview"))),
                ("files", needed(format!("/api/v1/actions/{action}/files"))),
            ],
        )
        .await?;
    let found = data
        .pointer("/actions/items")
        .and_then(|a| a.as_array())
        .and_then(|items| {
            items
                .iter()
                .find(|a| a.get("id").and_then(|i| i.as_str()) == Some(action.as_str()))
        })
        .cloned();
    let Some(found) = found else {
        return Err(super::Detour::Page(Box::new(web.error_page(
            Some(&viewer),
            poem::http::StatusCode::NOT_FOUND,
            "Not found",
            "There is no such action.",
        ))));
    };
    let mut data = merge(data, json!({ "id": enrolment, "action": found }));
    Ok(web.page(&viewer, "action", "Action", data, flash))
}
