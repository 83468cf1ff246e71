//! The learning plan: sessions an assessor books with a learner (booking, notes, the
//! outcome and what it causes, upcoming sessions) and the actions set for the learner
//! (set, listed with overdue flags and counts, progressed by the learner, completed by
//! the assessor).
//!
//! Visibility is the enrolment's: every endpoint loads it through
//! `folio_db::enrolments::get_visible`, so whoever cannot see the enrolment (another
//! learner, another caseload, another organisation) gets 404, for a session or an action
//! as for the enrolment itself. Sessions and actions are written by staff who manage the
//! enrolment (admins, its assessor); the learner only reports progress on their actions.
//! Everyone else who can see the enrolment (IQA, employer, auditor) gets 403 on writes.
//!
//! Recording an outcome applies its effects (`folio_domain::learning_plan::outcome_effects`)
//! in the same transaction, under the enrolment's row lock: the status change of an
//! attended induction and the off-the-job entry of an attended session commit or roll back
//! with the outcome itself.

use chrono::{DateTime, NaiveDate, Utc};
use folio_db::enrolments::{self, Enrolment};
use folio_db::learning_plan::{
    self as queries, Action, NewAction, NewSession, Session, SessionEntry, SessionFields,
    UpcomingSession,
};
use folio_domain::learning_plan::{
    ActionActor, ActionStatus, ActionTransitionError, SessionFacts, SessionOutcome, SessionType,
    check_action_transition, check_outcome, is_overdue, is_unclosed, outcome_effects,
};
use folio_domain::{OptionalText, Role, TransitionError, check_transition};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::pagination::page_limit;
use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiResult, AppError, AppResult, FieldError, Fields, checked};
use crate::progress::today;

#[derive(Tags)]
enum LearningPlanTag {
    /// Sessions and actions of a learner's learning plan.
    LearningPlan,
}

/// `/api/v1/enrolments/{id}/sessions`, `/api/v1/sessions/{id}…`,
/// `/api/v1/me/upcoming-sessions`, `/api/v1/enrolments/{id}/actions` and
/// `/api/v1/actions/{id}…`.
pub struct LearningPlanApi(pub AppState);

/// The longest notes, feedback or description kept.
const MAX_TEXT_CHARS: usize = 5000;
/// The longest action title.
const MAX_TITLE_CHARS: usize = 200;
/// The most time a learner may report on one action: 100 000 minutes (about 1 667 hours)
/// is far beyond any real target, and keeps the figure a sane integer.
const MAX_TIME_SPENT_MINUTES: i64 = 100_000;

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

fn session_type_of(s: &Session) -> AppResult<SessionType> {
    s.session_type
        .parse()
        .map_err(|_| AppError::Internal(format!("unknown session type `{}`", s.session_type)))
}

fn outcome_of(s: &Session) -> AppResult<Option<SessionOutcome>> {
    s.outcome
        .as_deref()
        .map(|o| {
            o.parse()
                .map_err(|_| AppError::Internal(format!("unknown outcome `{o}`")))
        })
        .transpose()
}

impl SessionBody {
    fn new(s: Session, now: DateTime<Utc>) -> AppResult<Self> {
        let session_type = session_type_of(&s)?;
        let outcome = outcome_of(&s)?;
        Ok(Self {
            id: s.id,
            enrolment_id: s.enrolment_id,
            assessor_id: s.assessor_id,
            session_type: session_type.into(),
            starts_at: s.starts_at,
            duration_minutes: s.duration_minutes,
            face_to_face: s.face_to_face,
            planning_notes: s.planning_notes,
            feedback: s.feedback,
            outcome: outcome.map(Into::into),
            outcome_recorded_at: s.outcome_recorded_at,
            unclosed: is_unclosed(s.starts_at, outcome, now),
            has_outstanding_actions: s.has_outstanding_actions,
            created_by: s.created_by,
            created_at: s.created_at,
            updated_at: s.updated_at,
        })
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

fn status_of(a: &Action) -> AppResult<ActionStatus> {
    a.status
        .parse()
        .map_err(|_| AppError::Internal(format!("unknown action status `{}`", a.status)))
}

impl ActionBody {
    fn new(a: Action, today: NaiveDate) -> AppResult<Self> {
        let status = status_of(&a)?;
        Ok(Self {
            id: a.id,
            enrolment_id: a.enrolment_id,
            session_id: a.session_id,
            title: a.title,
            description: a.description,
            target_date: a.target_date,
            status: status.into(),
            overdue: is_overdue(a.target_date, status, today),
            learner_feedback: a.learner_feedback,
            time_spent_minutes: a.time_spent_minutes,
            completed_at: a.completed_at,
            completed_by: a.completed_by,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
        })
    }
}

/// How many actions are in each state.
#[derive(Debug, Object, Default)]
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

async fn visible(authed: &mut Authenticated, id: Uuid) -> AppResult<Enrolment> {
    authed
        .visible_enrolment(id)
        .await
        .map(folio_app::Visible::into_inner)
}

/// Locks the enrolment and loads it if the caller manages it: 404 if they cannot see it,
/// 403 if they can see but not manage it. The row stays locked until the transaction
/// ends, so an outcome and its effects, and every other change to the learner's plan,
/// happen one after the other.
async fn manageable(authed: &mut Authenticated, id: Uuid) -> AppResult<Enrolment> {
    enrolments::lock(&mut authed.tx, id).await?;
    let enrolment = visible(authed, id).await?;
    if !authed.principal.manages(&enrolment) {
        return Err(AppError::Forbidden);
    }
    Ok(enrolment)
}

/// Loads a session for a change: its enrolment locked and managed by the caller (404 if
/// either cannot be seen, 403 if it cannot be managed), the session read under the lock.
async fn changeable_session(
    authed: &mut Authenticated,
    session_id: Uuid,
) -> AppResult<(Enrolment, Session)> {
    // A session's enrolment never changes, so it can be read before the lock; the session
    // itself is read again under it, in case a concurrent request changed its outcome.
    let enrolment_id = queries::get_session(&mut authed.tx, session_id)
        .await?
        .enrolment_id;
    let enrolment = manageable(authed, enrolment_id).await?;
    let session = queries::get_session(&mut authed.tx, session_id).await?;
    Ok((enrolment, session))
}

/// Loads an action for a change, its enrolment locked and visible (404 otherwise); the
/// caller decides who may make the change.
async fn locked_action(
    authed: &mut Authenticated,
    action_id: Uuid,
) -> AppResult<(Enrolment, Action)> {
    let enrolment_id = queries::get_action(&mut authed.tx, action_id)
        .await?
        .enrolment_id;
    enrolments::lock(&mut authed.tx, enrolment_id).await?;
    let enrolment = visible(authed, enrolment_id).await?;
    let action = queries::get_action(&mut authed.tx, action_id).await?;
    Ok((enrolment, action))
}

/// Checks a session's time, length and notes against its enrolment, naming every field
/// at fault.
fn session_fields(
    enrolment: &Enrolment,
    starts_at: DateTime<Utc>,
    duration_minutes: i64,
    face_to_face: Option<bool>,
    planning_notes: Option<&str>,
    feedback: Option<&str>,
) -> AppResult<SessionFields> {
    let mut fields = Fields::default();
    // The session's day is its UTC date: the same day the time log records for it.
    let day = starts_at.date_naive();
    fields.date("starts_at", day);
    if day < enrolment.start_date {
        fields.add(
            "starts_at",
            format!(
                "must not be before the enrolment's start date ({})",
                enrolment.start_date
            ),
        );
    }
    fields.require(
        "duration_minutes",
        (1..=1440).contains(&duration_minutes),
        "must be 1 to 1440 minutes",
    );
    let planning_notes = fields.check(
        "planning_notes",
        OptionalText::parse(planning_notes, MAX_TEXT_CHARS),
    );
    let feedback = fields.check("feedback", OptionalText::parse(feedback, MAX_TEXT_CHARS));
    fields.finish()?;
    let duration_minutes = i32::try_from(duration_minutes)
        .map_err(|_| AppError::invalid("duration_minutes", "must be 1 to 1440 minutes"))?;
    Ok(SessionFields {
        starts_at,
        duration_minutes,
        face_to_face: face_to_face.unwrap_or(true),
        planning_notes: checked(planning_notes)?.into_inner(),
        feedback: checked(feedback)?.into_inner(),
    })
}

fn transition_error(e: TransitionError) -> AppError {
    // The induction's date is the only input of the status change the caller chose.
    AppError::Validation(vec![FieldError::new(
        "outcome",
        format!("the enrolment's status cannot change: {e}"),
    )])
}

fn action_transition_error(e: ActionTransitionError) -> AppError {
    match e {
        ActionTransitionError::NotPermitted => AppError::Forbidden,
        ActionTransitionError::NotAllowed { .. } => AppError::Conflict {
            field: Some("status".into()),
            detail: e.to_string(),
        },
    }
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = manageable(&mut authed, id.0).await?;
        let req = body.0;
        let fields = session_fields(
            &enrolment,
            req.starts_at,
            req.duration_minutes,
            req.face_to_face,
            req.planning_notes.as_deref(),
            None,
        )?;
        let user = authed.principal.user_id;
        let session_type = SessionType::from(req.session_type);
        let session_id = Uuid::now_v7();
        let new = NewSession {
            id: session_id,
            enrolment_id: enrolment.id,
            assessor_id: enrolment.assessor_id.unwrap_or(user),
            session_type: session_type.as_str().to_owned(),
            fields,
            created_by: user,
        };
        queries::insert_session(&mut authed.tx, &new).await?;
        let details = serde_json::json!({
            "enrolment_id": enrolment.id,
            "session_type": session_type.as_str(),
            "starts_at": new.fields.starts_at,
            "duration_minutes": new.fields.duration_minutes,
        });
        authed
            .audit(
                "learning_session.create",
                "learning_session",
                session_id,
                details,
            )
            .await?;
        let session = queries::get_session(&mut authed.tx, session_id).await?;
        authed.tx.commit().await?;
        Ok(CreatedSession::Created(Json(SessionBody::new(
            session,
            Utc::now(),
        )?)))
    }

    /// A learner's sessions in time order, each flagged when unclosed or with outstanding
    /// actions, and the next planned one.
    #[oai(path = "/enrolments/:id/sessions", method = "get")]
    async fn list_sessions(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<SessionList>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let rows = queries::list_sessions(&mut authed.tx, enrolment.id).await?;
        authed.tx.commit().await?;
        let now = Utc::now();
        let items = rows
            .into_iter()
            .map(|s| SessionBody::new(s, now))
            .collect::<AppResult<Vec<_>>>()?;
        let next_session = items
            .iter()
            .find(|s| s.starts_at >= now && s.outcome.is_none())
            .cloned();
        let unclosed = items.iter().filter(|s| s.unclosed).count();
        Ok(Json(SessionList {
            items,
            next_session,
            unclosed: u32::try_from(unclosed).unwrap_or(u32::MAX),
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
        let mut authed = self.0.authenticate(&credentials).await?;
        if !authed.principal.roles.contains(&Role::Assessor) {
            return Err(AppError::Forbidden.into());
        }
        let limit = page_limit(limit.0)?;
        let now = Utc::now();
        let user = authed.principal.user_id;
        let rows = queries::upcoming_for_assessor(&mut authed.tx, user, now, limit).await?;
        authed.tx.commit().await?;
        Ok(Json(UpcomingList {
            items: rows
                .into_iter()
                .map(|r: UpcomingSession| {
                    Ok(UpcomingBody {
                        session: SessionBody::new(r.session, now)?,
                        learner_id: r.learner_id,
                        learner_name: r.learner_name,
                        course_title: r.course_title,
                    })
                })
                .collect::<AppResult<_>>()?,
        }))
    }

    /// One session of a learner I may see.
    #[oai(path = "/sessions/:id", method = "get")]
    async fn get_session(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<SessionBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let session = queries::get_session(&mut authed.tx, id.0).await?;
        visible(&mut authed, session.enrolment_id).await?;
        authed.tx.commit().await?;
        Ok(Json(SessionBody::new(session, Utc::now())?))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (enrolment, session) = changeable_session(&mut authed, id.0).await?;
        let req = body.0;
        let fields = session_fields(
            &enrolment,
            req.starts_at,
            req.duration_minutes,
            req.face_to_face,
            req.planning_notes.as_deref(),
            req.feedback.as_deref(),
        )?;
        let timing_changed = fields.starts_at != session.starts_at
            || fields.duration_minutes != session.duration_minutes
            || fields.face_to_face != session.face_to_face;
        if session.outcome.is_some() && timing_changed {
            return Err(AppError::Conflict {
                field: None,
                detail: "the session's outcome is recorded: its time, length and face-to-face \
                         flag are fixed"
                    .into(),
            }
            .into());
        }
        queries::update_session(&mut authed.tx, id.0, &fields).await?;
        let details = serde_json::json!({
            "enrolment_id": enrolment.id,
            "starts_at": fields.starts_at,
            "duration_minutes": fields.duration_minutes,
            "face_to_face": fields.face_to_face,
        });
        authed
            .audit("learning_session.update", "learning_session", id.0, details)
            .await?;
        let session = queries::get_session(&mut authed.tx, id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(SessionBody::new(session, Utc::now())?))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (enrolment, session) = changeable_session(&mut authed, id.0).await?;
        let outcome = SessionOutcome::from(body.0.outcome);
        let now = Utc::now();
        check_outcome(outcome, session.starts_at, now)
            .map_err(|e| AppError::invalid("outcome", e))?;
        let previous = outcome_of(&session)?;
        let status = enrolment
            .status()
            .ok_or_else(|| AppError::Internal(format!("unknown status `{}`", enrolment.status)))?;
        let facts = SessionFacts {
            session_type: session_type_of(&session)?,
            face_to_face: session.face_to_face,
            date: session.starts_at.date_naive(),
            duration_minutes: session.duration_minutes,
        };
        let effects = outcome_effects(facts, outcome, status);
        queries::set_outcome(&mut authed.tx, id.0, outcome.as_str()).await?;
        let mut status_changed = None;
        if let Some(change) = effects.status_change {
            let next = check_transition(
                status,
                enrolment.start_date,
                enrolment.break_started_on,
                &change,
            )
            .map_err(transition_error)?;
            enrolments::apply_status(&mut authed.tx, enrolment.id, next, change.on(), None).await?;
            let details = serde_json::json!({
                "from": status.as_str(), "to": next.as_str(), "on": change.on(), "session_id": id.0,
            });
            authed
                .audit("enrolment.status", "enrolment", enrolment.id, details)
                .await?;
            status_changed = Some(next.as_str());
        }
        let user = authed.principal.user_id;
        let (entry_written, entry_removed) = match &effects.time_log {
            Some(t) => {
                let entry = SessionEntry {
                    session_id: id.0,
                    enrolment_id: enrolment.id,
                    entry_date: t.date,
                    activity_type: t.activity.as_str().to_owned(),
                    minutes: t.minutes,
                    created_by: user,
                };
                (
                    queries::insert_session_entry(&mut authed.tx, &entry).await?,
                    false,
                )
            }
            None => (
                false,
                queries::delete_session_entry(&mut authed.tx, id.0).await?,
            ),
        };
        let details = serde_json::json!({
            "enrolment_id": enrolment.id,
            "from": previous.map(SessionOutcome::as_str),
            "to": outcome.as_str(),
            "status_changed_to": status_changed,
            "time_log_entry_written": entry_written,
            "time_log_entry_removed": entry_removed,
        });
        authed
            .audit(
                "learning_session.outcome",
                "learning_session",
                id.0,
                details,
            )
            .await?;
        let session = queries::get_session(&mut authed.tx, id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(SessionBody::new(session, now)?))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = manageable(&mut authed, id.0).await?;
        let req = body.0;
        let mut fields = Fields::default();
        let title = fields.check(
            "title",
            OptionalText::parse(Some(&req.title), MAX_TITLE_CHARS),
        );
        if let Some(t) = &title
            && t.as_deref().is_none()
        {
            fields.add("title", "must not be empty");
        }
        let description = fields.check(
            "description",
            OptionalText::parse(req.description.as_deref(), MAX_TEXT_CHARS),
        );
        fields.date("target_date", req.target_date);
        if let Some(session_id) = req.session_id
            && !queries::session_of_enrolment(&mut authed.tx, enrolment.id, session_id).await?
        {
            fields.add("session_id", "is not one of this learner's sessions");
        }
        fields.finish()?;
        let title = checked(checked(title)?.into_inner())?;
        let user = authed.principal.user_id;
        let new = NewAction {
            id: Uuid::now_v7(),
            enrolment_id: enrolment.id,
            session_id: req.session_id,
            title,
            description: checked(description)?.into_inner(),
            target_date: req.target_date,
            created_by: user,
        };
        let action = queries::insert_action(&mut authed.tx, &new).await?;
        let details = serde_json::json!({
            "enrolment_id": enrolment.id,
            "session_id": new.session_id,
            "title": new.title,
            "target_date": new.target_date,
        });
        authed
            .audit("action.create", "action", new.id, details)
            .await?;
        authed.tx.commit().await?;
        Ok(CreatedAction::Created(Json(ActionBody::new(
            action,
            today(),
        )?)))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let rows = queries::list_actions(&mut authed.tx, enrolment.id, session_id.0).await?;
        authed.tx.commit().await?;
        let today = today();
        let items = rows
            .into_iter()
            .map(|a| ActionBody::new(a, today))
            .collect::<AppResult<Vec<_>>>()?;
        let mut counts = ActionCounts::default();
        for a in &items {
            match a.status {
                ActionStatusName::Outstanding => counts.outstanding += 1,
                ActionStatusName::InProgress => counts.in_progress += 1,
                ActionStatusName::Complete => counts.complete += 1,
            }
            if a.overdue {
                counts.overdue += 1;
            }
        }
        Ok(Json(ActionList { items, counts }))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (enrolment, action) = locked_action(&mut authed, id.0).await?;
        let p = &authed.principal;
        if !p.is_learner_of(&enrolment) {
            return Err(AppError::Forbidden.into());
        }
        let req = body.0;
        let to = req
            .status
            .map_or(ActionStatus::InProgress, ActionStatus::from);
        check_action_transition(ActionActor::Learner, status_of(&action)?, to)
            .map_err(action_transition_error)?;
        let mut fields = Fields::default();
        let feedback = fields.check(
            "learner_feedback",
            OptionalText::parse(req.learner_feedback.as_deref(), MAX_TEXT_CHARS),
        );
        if let Some(m) = req.time_spent_minutes {
            fields.require(
                "time_spent_minutes",
                (0..=MAX_TIME_SPENT_MINUTES).contains(&m),
                "must be 0 to 100000 minutes",
            );
        }
        fields.finish()?;
        let minutes = req
            .time_spent_minutes
            .map(i32::try_from)
            .transpose()
            .map_err(|_| AppError::invalid("time_spent_minutes", "must be 0 to 100000 minutes"))?;
        let feedback = checked(feedback)?.into_inner();
        let updated = queries::update_progress(
            &mut authed.tx,
            id.0,
            to.as_str(),
            feedback.as_deref(),
            minutes,
        )
        .await?;
        let details = serde_json::json!({
            "enrolment_id": enrolment.id,
            "from": action.status,
            "to": to.as_str(),
            "time_spent_minutes": minutes,
        });
        authed
            .audit("action.progress", "action", id.0, details)
            .await?;
        authed.tx.commit().await?;
        Ok(Json(ActionBody::new(updated, today())?))
    }

    /// Mark an action complete (admins and the learner's assessor; the learner gets 403);
    /// 409 if it already is.
    #[oai(path = "/actions/:id/complete", method = "post")]
    async fn complete(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ActionBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (enrolment, action) = locked_action(&mut authed, id.0).await?;
        let actor = if authed.principal.manages(&enrolment) {
            ActionActor::Manager
        } else {
            return Err(AppError::Forbidden.into());
        };
        let from = status_of(&action)?;
        check_action_transition(actor, from, ActionStatus::Complete)
            .map_err(action_transition_error)?;
        let user = authed.principal.user_id;
        let updated = queries::complete_action(&mut authed.tx, id.0, user).await?;
        let details = serde_json::json!({ "enrolment_id": enrolment.id, "from": from.as_str() });
        authed
            .audit("action.complete", "action", id.0, details)
            .await?;
        authed.tx.commit().await?;
        Ok(Json(ActionBody::new(updated, today())?))
    }
}
