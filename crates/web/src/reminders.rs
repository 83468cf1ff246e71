//! The pages the nightly e-mails link to: a digest's list for the member of staff it went
//! to, and a learner's own overdue actions. Each is read through the use case that finds
//! what the e-mail was about, in one unit of work, and rendered from a typed view.

use chrono::Utc;
use folio_app::Error as AppError;
use folio_app::reminders::{self, Line, ReminderList};
use poem::handler;
use poem::web::{Data, Path};
use serde::Serialize;

use super::{Flash, PageResult, Web};

/// One line of a list, as shown.
#[derive(Debug, Serialize)]
struct LineView {
    learner_name: String,
    course_title: String,
    /// The learner's portfolio.
    enrolment_link: String,
    detail: String,
    /// The thing itself (the action, the session, the progress map…).
    link: String,
}

impl From<Line> for LineView {
    fn from(line: Line) -> Self {
        Self {
            enrolment_link: folio_app::routes::enrolment(line.learner.enrolment_id),
            learner_name: line.learner.learner_name,
            course_title: line.learner.course_title,
            detail: line.detail,
            link: line.link,
        }
    }
}

/// A digest's list page.
#[derive(Debug, Serialize)]
struct CaseloadView {
    /// The day the list is for, as people write it; absent when there are no figures yet.
    on: Option<String>,
    /// Whether the list is of nightly figures (off track) rather than of today.
    nightly: bool,
    lines: Vec<LineView>,
}

/// `/app/caseload/{list}`: the list a digest e-mail is about, for the person it went to.
#[handler]
pub(super) async fn caseload_page(
    req: &poem::Request,
    web: Data<&Web>,
    Path(slug): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, (list, found)) = web
        .read_page(req, async |uow, _| {
            let list = ReminderList::from_slug(&slug).ok_or(AppError::NotFound)?;
            Ok((list, reminders::caseload_list(uow, list, Utc::now()).await?))
        })
        .await?;
    let view = CaseloadView {
        on: found.on.map(reminders::uk_date),
        nightly: list == ReminderList::OffTrack,
        lines: found.lines.into_iter().map(LineView::from).collect(),
    };
    Ok(web.typed_page(&viewer, "caseload_list", list.title(), &view, flash))
}

/// A learner's overdue actions page.
#[derive(Debug, Serialize)]
struct MyActionsView {
    lines: Vec<LineView>,
}

/// `/app/actions/overdue`: a learner's own actions past their target dates.
#[handler]
pub(super) async fn my_overdue_actions_page(
    req: &poem::Request,
    web: Data<&Web>,
    flash: Flash,
) -> PageResult {
    let (viewer, lines) = web
        .read_page(req, async |uow, _| {
            reminders::my_overdue_actions(uow, Utc::now()).await
        })
        .await?;
    let view = MyActionsView {
        lines: lines.into_iter().map(LineView::from).collect(),
    };
    Ok(web.typed_page(
        &viewer,
        "my_overdue_actions",
        "My overdue actions",
        &view,
        flash,
    ))
}
