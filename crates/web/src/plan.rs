//! A learning plan's own pages: a session (its details, notes and feedback, edited by
//! staff, and its files) and an action (what to do, its progress and its files). Each
//! read through the use cases in one unit of work and rendered from a typed view.

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::learning_plan::{self, ActionView, SessionView};
use folio_app::learning_plan_files::{self, Attachee, LearningPlanFile};
use folio_app::progress;
use folio_app::{Error as AppError, routes};
use folio_domain::learning_plan::ActionStatus;
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;
use uuid::Uuid;

use super::portfolio::OverviewView;
use super::{Flash, PageResult, Web, path_id};

/// A file attached to a session or an action.
#[derive(Debug, Serialize)]
struct FileRow {
    file_name: String,
    uploaded_at: DateTime<Utc>,
    /// Its download (through the API, as an attachment).
    download: String,
}

fn file_rows(files: Vec<LearningPlanFile>) -> Vec<FileRow> {
    files
        .into_iter()
        .map(|f| FileRow {
            download: format!("/api/v1/learning-plan-files/{}/file", f.id),
            file_name: f.file_name,
            uploaded_at: f.uploaded_at,
        })
        .collect()
}

/// A session, as its page shows it.
#[derive(Debug, Serialize)]
struct SessionFacts {
    id: Uuid,
    session_type: &'static str,
    face_to_face: bool,
    starts_at: DateTime<Utc>,
    /// The start as the `datetime-local` field takes it, in the organisation's time zone.
    starts_local: String,
    duration_minutes: i32,
    outcome: Option<&'static str>,
    unclosed: bool,
    planning_notes: Option<String>,
    feedback: Option<String>,
}

/// A session's page.
#[derive(Debug, Serialize)]
struct SessionPage {
    /// The enrolment.
    id: Uuid,
    overview: OverviewView,
    session: SessionFacts,
    files: Vec<FileRow>,
    /// The portfolio's overview, and this page.
    back: String,
    link: String,
    /// The session in the API, for the forms.
    api: String,
    /// The viewer manages the learner (their assessor, an admin): offered the changes;
    /// an IQA, auditor, employer or the learner reads.
    may_manage: bool,
    /// The viewer may attach a file here.
    may_attach: bool,
    /// The actions set at this session, and how many are not complete (the marker).
    actions: Vec<SessionAction>,
    open_actions: usize,
}

/// An action set at a session, as its page lists it.
#[derive(Debug, Serialize)]
struct SessionAction {
    link: String,
    title: String,
    target_date: NaiveDate,
    /// `outstanding` (red), `in_progress` (yellow) or `complete` (green).
    status: &'static str,
    overdue: bool,
}

/// `/app/sessions/{id}`.
#[handler]
pub(super) async fn session_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, (session, overview, files, (may_manage, may_attach), actions)) = web
        .read_page(req, async |uow, _| {
            let id = path_id(&id)?;
            let session = learning_plan::session(uow, id).await?;
            let enrolment = session.session.enrolment_id;
            let overview = progress::overview(uow, enrolment).await?;
            let files = learning_plan_files::list(uow, Attachee::Session(id)).await?;
            let may_manage = uow.manages_enrolment(enrolment).await?;
            let may_attach = learning_plan_files::may_attach_to(uow, Attachee::Session(id)).await?;
            let actions = learning_plan::actions(uow, enrolment, Some(id)).await?;
            Ok((session, overview, files, (may_manage, may_attach), actions))
        })
        .await?;
    let open_actions = actions
        .items
        .iter()
        .filter(|v| v.status != ActionStatus::Complete)
        .count();
    let actions: Vec<SessionAction> = actions
        .items
        .into_iter()
        .map(|v| SessionAction {
            link: routes::action(v.action.enrolment_id, v.action.id),
            title: v.action.title,
            target_date: v.action.target_date,
            status: v.status.as_str(),
            overdue: v.overdue,
        })
        .collect();
    let SessionView {
        session: s,
        session_type,
        outcome,
        unclosed,
    } = session;
    let view = SessionPage {
        id: s.enrolment_id,
        overview: overview.into(),
        back: routes::enrolment(s.enrolment_id),
        link: routes::session(s.id),
        api: format!("/api/v1/sessions/{}", s.id),
        may_manage,
        may_attach,
        files: file_rows(files),
        open_actions,
        actions,
        session: SessionFacts {
            id: s.id,
            session_type: session_type.as_str(),
            face_to_face: s.face_to_face,
            starts_local: s
                .starts_at
                .with_timezone(&viewer.tz)
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
            starts_at: s.starts_at,
            duration_minutes: s.duration_minutes,
            outcome: outcome.map(|o| o.as_str()),
            unclosed,
            planning_notes: s.planning_notes,
            feedback: s.feedback,
        },
    };
    Ok(web.typed_page(&viewer, "session", "Session", &view, flash))
}

/// An action, as its page shows it.
#[derive(Debug, Serialize)]
struct ActionFacts {
    id: Uuid,
    title: String,
    description: Option<String>,
    target_date: NaiveDate,
    /// `outstanding`, `in_progress` or `complete`.
    status: &'static str,
    overdue: bool,
    learner_feedback: Option<String>,
    time_spent_minutes: Option<i32>,
}

/// An action's page.
#[derive(Debug, Serialize)]
struct ActionPage {
    /// The enrolment.
    id: Uuid,
    overview: OverviewView,
    action: ActionFacts,
    files: Vec<FileRow>,
    back: String,
    link: String,
    /// The action in the API, for the forms.
    api: String,
    /// The viewer manages the learner (their assessor, an admin): offered "Mark complete".
    may_manage: bool,
    /// The viewer may attach a file here (a manager, or the learner to their own action).
    may_attach: bool,
}

/// `/app/enrolments/{id}/actions/{action}`: one action of the learner's plan (found in
/// their plan, so an action of another learner's is not found here).
#[handler]
pub(super) async fn action_page(
    req: &Request,
    web: Data<&Web>,
    Path((enrolment, action)): Path<(String, String)>,
    flash: Flash,
) -> PageResult {
    let (viewer, (enrolment, found, overview, files, may_manage, may_attach)) = web
        .read_page(req, async |uow, _| {
            let enrolment = path_id(&enrolment)?;
            let action = path_id(&action)?;
            let plan = learning_plan::actions(uow, enrolment, None).await?;
            let found = plan
                .items
                .into_iter()
                .find(|a| a.action.id == action)
                .ok_or(AppError::NotFound)?;
            let overview = progress::overview(uow, enrolment).await?;
            let files = learning_plan_files::list(uow, Attachee::Action(action)).await?;
            let may_manage = uow.manages_enrolment(enrolment).await?;
            let may_attach =
                learning_plan_files::may_attach_to(uow, Attachee::Action(action)).await?;
            Ok((enrolment, found, overview, files, may_manage, may_attach))
        })
        .await?;
    let ActionView {
        action: a,
        status,
        overdue,
    } = found;
    let view = ActionPage {
        id: enrolment,
        overview: overview.into(),
        back: routes::enrolment(enrolment),
        link: routes::action(enrolment, a.id),
        api: format!("/api/v1/actions/{}", a.id),
        may_manage,
        may_attach,
        files: file_rows(files),
        action: ActionFacts {
            id: a.id,
            title: a.title,
            description: a.description,
            target_date: a.target_date,
            status: status.as_str(),
            overdue,
            learner_feedback: a.learner_feedback,
            time_spent_minutes: a.time_spent_minutes,
        },
    };
    Ok(web.typed_page(&viewer, "action", "Action", &view, flash))
}
