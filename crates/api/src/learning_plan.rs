//! The learning plan: sessions an assessor books with a learner (booking, notes, the
//! outcome and what it causes, upcoming sessions) and the actions set for the learner
//! (set, listed with overdue flags and counts, progressed by the learner, completed by
//! the assessor).
//!
//! Adapters over `folio_app::learning_plan`, where who may read and write a plan, the
//! checks on every field and the effects of an outcome are written.

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::learning_plan::{self as plan, ActionView, SessionView};
use folio_domain::learning_plan::{ActionStatus, SessionOutcome, SessionType};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum LearningPlanTag {
    /// Sessions and actions of a learner's learning plan.
    LearningPlan,
}

/// `/api/v1/enrolments/{id}/sessions`, `/api/v1/sessions/{id}…`,
/// `/api/v1/me/upcoming-sessions`, `/api/v1/enrolments/{id}/actions` and
/// `/api/v1/actions/{id}…`.
pub struct LearningPlanApi(pub AppState);

/// A kind of session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum SessionTypeName {
    /// Evidence of the first day of learning.
    Initial,
    /// The induction: attending it moves the enrolment from `awaiting_induction` to
    /// `in_learning`.
    Induction,
    /// A progress review.
    Review,
    /// Training out of the workplace: attending it logs off-the-job time (trainer or
    /// assessor led training).
    OutOfWorkplace,
    /// An ordinary 1:1 teaching or coaching session: attending it face to face logs
    /// off-the-job time (a traditional face-to-face session).
    Teaching,
}

impl From<SessionTypeName> for SessionType {
    fn from(t: SessionTypeName) -> Self {
        match t {
            SessionTypeName::Initial => SessionType::Initial,
            SessionTypeName::Induction => SessionType::Induction,
            SessionTypeName::Review => SessionType::Review,
            SessionTypeName::OutOfWorkplace => SessionType::OutOfWorkplace,
            SessionTypeName::Teaching => SessionType::Teaching,
        }
    }
}

impl From<SessionType> for SessionTypeName {
    fn from(t: SessionType) -> Self {
        match t {
            SessionType::Initial => SessionTypeName::Initial,
            SessionType::Induction => SessionTypeName::Induction,
            SessionType::Review => SessionTypeName::Review,
            SessionType::OutOfWorkplace => SessionTypeName::OutOfWorkplace,
            SessionType::Teaching => SessionTypeName::Teaching,
        }
    }
}

/// What became of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum OutcomeName {
    /// It took place (not before it starts).
    Attended,
    /// Called off.
    Cancelled,
    /// The learner did not come (not before it starts).
    LearnerDidNotAttend,
    /// The assessor called it off.
    AssessorCancelled,
}

impl From<OutcomeName> for SessionOutcome {
    fn from(o: OutcomeName) -> Self {
        match o {
            OutcomeName::Attended => SessionOutcome::Attended,
            OutcomeName::Cancelled => SessionOutcome::Cancelled,
            OutcomeName::LearnerDidNotAttend => SessionOutcome::LearnerDidNotAttend,
            OutcomeName::AssessorCancelled => SessionOutcome::AssessorCancelled,
        }
    }
}

impl From<SessionOutcome> for OutcomeName {
    fn from(o: SessionOutcome) -> Self {
        match o {
            SessionOutcome::Attended => OutcomeName::Attended,
            SessionOutcome::Cancelled => OutcomeName::Cancelled,
            SessionOutcome::LearnerDidNotAttend => OutcomeName::LearnerDidNotAttend,
            SessionOutcome::AssessorCancelled => OutcomeName::AssessorCancelled,
        }
    }
}

/// Where an action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum ActionStatusName {
    /// Not started (red).
    Outstanding,
    /// The learner is working on it (yellow).
    InProgress,
    /// Done, as the assessor confirmed (green).
    Complete,
}

impl From<ActionStatusName> for ActionStatus {
    fn from(s: ActionStatusName) -> Self {
        match s {
            ActionStatusName::Outstanding => ActionStatus::Outstanding,
            ActionStatusName::InProgress => ActionStatus::InProgress,
            ActionStatusName::Complete => ActionStatus::Complete,
        }
    }
}

impl From<ActionStatus> for ActionStatusName {
    fn from(s: ActionStatus) -> Self {
        match s {
            ActionStatus::Outstanding => ActionStatusName::Outstanding,
            ActionStatus::InProgress => ActionStatusName::InProgress,
            ActionStatus::Complete => ActionStatusName::Complete,
        }
    }
}

/// A session.
#[derive(Debug, Clone, Object)]
struct SessionBody {
    /// Id.
    id: Uuid,
    /// The enrolment.
    enrolment_id: Uuid,
    /// Who runs it.
    assessor_id: Uuid,
    /// Its type.
    session_type: SessionTypeName,
    /// When it starts.
    starts_at: DateTime<Utc>,
    /// Length in minutes.
    duration_minutes: i32,
    /// Face to face (rather than remote).
    face_to_face: bool,
    /// Planning notes.
    planning_notes: Option<String>,
    /// Session feedback.
    feedback: Option<String>,
    /// The outcome, once recorded.
    outcome: Option<OutcomeName>,
    /// When the outcome was recorded.
    outcome_recorded_at: Option<DateTime<Utc>>,
    /// Started in the past with no outcome recorded (a compliance flag).
    unclosed: bool,
    /// One of the actions set in it is still outstanding (the red marker).
    has_outstanding_actions: bool,
    /// Who booked it.
    created_by: Uuid,
    /// Created.
    created_at: DateTime<Utc>,
    /// Last changed.
    updated_at: DateTime<Utc>,
}

impl From<SessionView> for SessionBody {
    fn from(v: SessionView) -> Self {
        let s = v.session;
        Self {
            id: s.id,
            enrolment_id: s.enrolment_id,
            assessor_id: s.assessor_id,
            session_type: v.session_type.into(),
            starts_at: s.starts_at,
            duration_minutes: s.duration_minutes,
            face_to_face: s.face_to_face,
            planning_notes: s.planning_notes,
            feedback: s.feedback,
            outcome: v.outcome.map(Into::into),
            outcome_recorded_at: s.outcome_recorded_at,
            unclosed: v.unclosed,
            has_outstanding_actions: s.has_outstanding_actions,
            created_by: s.created_by,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A learner's sessions.
#[derive(Debug, Object)]
struct SessionList {
    /// Every session, in time order.
    items: Vec<SessionBody>,
    /// The next planned session: the soonest that has not started and has no outcome.
    next_session: Option<SessionBody>,
    /// How many are unclosed.
    unclosed: u32,
}

/// A session coming up on my caseload.
#[derive(Debug, Object)]
struct UpcomingBody {
    /// The session.
    session: SessionBody,
    /// The learner.
    learner_id: Uuid,
    /// Their name.
    learner_name: String,
    /// Their course.
    course_title: String,
}

/// My caseload's coming sessions.
#[derive(Debug, Object)]
struct UpcomingList {
    /// Soonest first.
    items: Vec<UpcomingBody>,
}

/// A session to book.
#[derive(Debug, Object, Deserialize)]
struct NewSessionRequest {
    /// Its type.
    session_type: SessionTypeName,
    /// When it starts; not before the enrolment's start date.
    starts_at: DateTime<Utc>,
    /// Length in whole minutes, 1–1440.
    duration_minutes: i64,
    /// Face to face (default true).
    face_to_face: Option<bool>,
    /// Planning notes, at most 5000 characters.
    planning_notes: Option<String>,
}

/// A session's replacement: time, length and notes. Its type and outcome are not
/// changed here; once an outcome is recorded, its time, length and face-to-face flag are
/// fixed, since the outcome's effects were computed from them.
#[derive(Debug, Object, Deserialize)]
struct SessionUpdateRequest {
    /// When it starts; not before the enrolment's start date.
    starts_at: DateTime<Utc>,
    /// Length in whole minutes, 1–1440.
    duration_minutes: i64,
    /// Face to face (default true).
    face_to_face: Option<bool>,
    /// Planning notes, at most 5000 characters.
    planning_notes: Option<String>,
    /// Session feedback, at most 5000 characters.
    feedback: Option<String>,
}

/// An outcome to record.
#[derive(Debug, Object, Deserialize)]
struct OutcomeRequest {
    /// The outcome.
    outcome: OutcomeName,
}

/// An action.
#[derive(Debug, Object)]
struct ActionBody {
    /// Id.
    id: Uuid,
    /// The enrolment.
    enrolment_id: Uuid,
    /// The session it was set in.
    session_id: Option<Uuid>,
    /// Title.
    title: String,
    /// Description.
    description: Option<String>,
    /// Target date.
    target_date: NaiveDate,
    /// Status.
    status: ActionStatusName,
    /// Target date passed and not complete.
    overdue: bool,
    /// The learner's feedback.
    learner_feedback: Option<String>,
    /// Time the learner spent, in minutes.
    time_spent_minutes: Option<i32>,
    /// When it was marked complete.
    completed_at: Option<DateTime<Utc>>,
    /// Who marked it complete.
    completed_by: Option<Uuid>,
    /// Who set it.
    created_by: Uuid,
    /// Created.
    created_at: DateTime<Utc>,
    /// Last changed.
    updated_at: DateTime<Utc>,
}

impl From<ActionView> for ActionBody {
    fn from(v: ActionView) -> Self {
        let a = v.action;
        Self {
            id: a.id,
            enrolment_id: a.enrolment_id,
            session_id: a.session_id,
            title: a.title,
            description: a.description,
            target_date: a.target_date,
            status: v.status.into(),
            overdue: v.overdue,
            learner_feedback: a.learner_feedback,
            time_spent_minutes: a.time_spent_minutes,
            completed_at: a.completed_at,
            completed_by: a.completed_by,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// How many actions are in each state.
#[derive(Debug, Object)]
struct ActionCounts {
    /// Outstanding (red).
    outstanding: u32,
    /// In progress (yellow).
    in_progress: u32,
    /// Complete (green).
    complete: u32,
    /// Overdue (of the outstanding and in progress ones).
    overdue: u32,
}

/// A learner's actions.
#[derive(Debug, Object)]
struct ActionList {
    /// By target date.
    items: Vec<ActionBody>,
    /// Counts by state.
    counts: ActionCounts,
}

/// An action to set.
#[derive(Debug, Object, Deserialize)]
struct NewActionRequest {
    /// Title, 1–200 characters.
    title: String,
    /// Description, at most 5000 characters.
    description: Option<String>,
    /// Target date.
    target_date: NaiveDate,
    /// The session it is set in: one of the same learner's.
    session_id: Option<Uuid>,
}

/// The learner's progress on an action.
#[derive(Debug, Object, Deserialize)]
struct ProgressRequest {
    /// Feedback, at most 5000 characters.
    learner_feedback: Option<String>,
    /// Time spent on it so far, in whole minutes, 0–100000.
    time_spent_minutes: Option<i64>,
    /// `in_progress` (the default); only the assessor marks an action complete.
    status: Option<ActionStatusName>,
}

#[derive(ApiResponse)]
enum CreatedSession {
    /// Booked.
    #[oai(status = 201)]
    Created(Json<SessionBody>),
}

#[derive(ApiResponse)]
enum CreatedAction {
    /// Set.
    #[oai(status = 201)]
    Created(Json<ActionBody>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "LearningPlanTag::LearningPlan")]
impl LearningPlanApi {
    /// Book a session for a learner (admins and the learner's assessor). It is run by the
    /// enrolment's assessor (by the booker when the learner has none).
    #[oai(path = "/enrolments/:id/sessions", method = "post")]
    async fn create_session(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<NewSessionRequest>,
    ) -> ApiResult<CreatedSession> {
        let req = body.0;
        let booking = plan::Booking {
            session_type: req.session_type.into(),
            starts_at: req.starts_at,
            duration_minutes: req.duration_minutes,
            face_to_face: req.face_to_face,
            planning_notes: req.planning_notes,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let session = plan::book_session(&mut uow, id.0, booking).await?;
        uow.commit().await?;
        Ok(CreatedSession::Created(Json(session.into())))
    }

    /// A learner's sessions in time order, each flagged when unclosed or with outstanding
    /// actions, and the next planned one.
    #[oai(path = "/enrolments/:id/sessions", method = "get")]
    async fn list_sessions(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<SessionList>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let sessions = plan::sessions(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(SessionList {
            items: sessions.items.into_iter().map(Into::into).collect(),
            next_session: sessions.next_session.map(Into::into),
            unclosed: sessions.unclosed,
        }))
    }

    /// Sessions coming up on my caseload (assessors): those without an outcome from now
    /// on, soonest first.
    #[oai(path = "/me/upcoming-sessions", method = "get")]
    async fn upcoming(
        &self,
        credentials: Credentials,
        /// At most this many, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<UpcomingList>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let rows = plan::upcoming(&mut uow, limit.0).await?;
        uow.commit().await?;
        Ok(Json(UpcomingList {
            items: rows
                .into_iter()
                .map(|r| UpcomingBody {
                    session: r.session.into(),
                    learner_id: r.learner_id,
                    learner_name: r.learner_name,
                    course_title: r.course_title,
                })
                .collect(),
        }))
    }

    /// One session of a learner I may see.
    #[oai(path = "/sessions/:id", method = "get")]
    async fn get_session(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<SessionBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let session = plan::session(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(session.into()))
    }

    /// Replace a session's time, length, planning notes and feedback (admins and the
    /// learner's assessor); 409 for a change of time, length or face-to-face once an
    /// outcome is recorded.
    #[oai(path = "/sessions/:id", method = "put")]
    async fn replace_session(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<SessionUpdateRequest>,
    ) -> ApiResult<Json<SessionBody>> {
        let req = body.0;
        let change = plan::SessionChange {
            starts_at: req.starts_at,
            duration_minutes: req.duration_minutes,
            face_to_face: req.face_to_face,
            planning_notes: req.planning_notes,
            feedback: req.feedback,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let session = plan::change_session(&mut uow, id.0, change).await?;
        uow.commit().await?;
        Ok(Json(session.into()))
    }

    /// Record a session's outcome (admins and the learner's assessor) and apply what it
    /// causes, in one transaction: an attended induction moves an enrolment awaiting
    /// induction into learning, dated the session's day; an attended out-of-workplace
    /// session, or an attended face-to-face teaching session, logs one off-the-job entry of
    /// the session's length on its day. Saving `attended` again changes nothing; changing
    /// it to another outcome removes the session's entry. `attended` and
    /// `learner_did_not_attend` cannot be recorded before the session starts (422).
    #[oai(path = "/sessions/:id/outcome", method = "post")]
    async fn record_outcome(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<OutcomeRequest>,
    ) -> ApiResult<Json<SessionBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let session = plan::record_outcome(&mut uow, id.0, body.0.outcome.into()).await?;
        uow.commit().await?;
        Ok(Json(session.into()))
    }

    /// Set an action for a learner (admins and the learner's assessor), on its own or in
    /// one of the learner's sessions.
    #[oai(path = "/enrolments/:id/actions", method = "post")]
    async fn create_action(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<NewActionRequest>,
    ) -> ApiResult<CreatedAction> {
        let req = body.0;
        let input = plan::NewActionInput {
            title: req.title,
            description: req.description,
            target_date: req.target_date,
            session_id: req.session_id,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let action = plan::set_action(&mut uow, id.0, input).await?;
        uow.commit().await?;
        Ok(CreatedAction::Created(Json(action.into())))
    }

    /// A learner's actions by target date (only a session's, with `session_id`), each
    /// flagged when overdue, with counts by state.
    #[oai(path = "/enrolments/:id/actions", method = "get")]
    async fn list_actions(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        /// Only the actions set in this session.
        session_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<ActionList>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let actions = plan::actions(&mut uow, id.0, session_id.0).await?;
        uow.commit().await?;
        let c = actions.counts;
        Ok(Json(ActionList {
            items: actions.items.into_iter().map(Into::into).collect(),
            counts: ActionCounts {
                outstanding: c.outstanding,
                in_progress: c.in_progress,
                complete: c.complete,
                overdue: c.overdue,
            },
        }))
    }

    /// Report progress on an action (the learner themself): feedback, time spent, and the
    /// move to `in_progress`. Only the assessor marks it complete (403); a complete action
    /// is final (409).
    #[oai(path = "/actions/:id/progress", method = "put")]
    async fn progress(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<ProgressRequest>,
    ) -> ApiResult<Json<ActionBody>> {
        let req = body.0;
        let report = plan::ProgressReport {
            learner_feedback: req.learner_feedback,
            time_spent_minutes: req.time_spent_minutes,
            status: req.status.map(Into::into),
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let action = plan::report_progress(&mut uow, id.0, report).await?;
        uow.commit().await?;
        Ok(Json(action.into()))
    }

    /// Mark an action complete (admins and the learner's assessor; the learner gets 403);
    /// 409 if it already is.
    #[oai(path = "/actions/:id/complete", method = "post")]
    async fn complete(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ActionBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let action = plan::complete_action(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(action.into()))
    }
}
