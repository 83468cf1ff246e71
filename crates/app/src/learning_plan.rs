//! The learning plan: sessions an assessor books with a learner (booking, notes, the
//! outcome and what it causes, upcoming sessions) and the actions set for the learner
//! (set, listed with overdue flags and counts, progressed by the learner, completed by
//! the assessor).
//!
//! Who may do what, once: whoever can see the enrolment reads its plan (anyone else gets
//! 404, for a session or an action as for the enrolment itself); staff who manage the
//! enrolment (admins, its assessor) write sessions and actions, under the enrolment's lock;
//! the learner only reports progress on their actions. Everyone else who can see the
//! enrolment (IQA, employer, auditor) gets 403 on writes.
//!
//! Recording an outcome applies its effects (`folio_domain::learning_plan::outcome_effects`)
//! in the same unit of work: the status change of an attended induction and the
//! off-the-job entry of an attended session commit or roll back with the outcome itself.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use folio_db::enrolments::{self, Enrolment};
use folio_db::learning_plan::{
    self as queries, Action, NewAction, NewSession, Session, SessionEntry, SessionFields,
};
use folio_domain::jobs::local_date;
use folio_domain::learning_plan::{
    ActionActor, ActionStatus, ActionTransitionError, SessionFacts, SessionOutcome, SessionType,
    check_action_transition, check_outcome, is_overdue, is_unclosed, outcome_effects,
};
use folio_domain::{OptionalText, Role, TransitionError, check_transition};
use uuid::Uuid;

use crate::progress::today;
use crate::{Error, FieldError, Fields, Result, UnitOfWork, checked};

/// The longest notes, feedback or description kept.
const MAX_TEXT_CHARS: usize = 5000;
/// The longest action title.
const MAX_TITLE_CHARS: usize = 200;
/// The most time a learner may report on one action: 100 000 minutes (about 1 667 hours)
/// is far beyond any real target, and keeps the figure a sane integer.
const MAX_TIME_SPENT_MINUTES: i64 = 100_000;

/// A session as people see it.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// The stored session.
    pub session: Session,
    /// Its type.
    pub session_type: SessionType,
    /// Its outcome, once recorded.
    pub outcome: Option<SessionOutcome>,
    /// Started in the past with no outcome recorded (a compliance flag).
    pub unclosed: bool,
}

impl SessionView {
    fn new(s: Session, now: DateTime<Utc>) -> Result<Self> {
        let session_type = session_type_of(&s)?;
        let outcome = outcome_of(&s)?;
        Ok(Self {
            unclosed: is_unclosed(s.starts_at, outcome, now),
            session: s,
            session_type,
            outcome,
        })
    }
}

/// A learner's sessions.
#[derive(Debug)]
pub struct Sessions {
    /// Every session, in time order.
    pub items: Vec<SessionView>,
    /// The next planned session: the soonest that has not started and has no outcome.
    pub next_session: Option<SessionView>,
    /// How many are unclosed.
    pub unclosed: u32,
}

/// A session coming up on an assessor's caseload.
#[derive(Debug)]
pub struct Upcoming {
    /// The session.
    pub session: SessionView,
    /// The learner.
    pub learner_id: Uuid,
    /// Their name.
    pub learner_name: String,
    /// Their course.
    pub course_title: String,
}

/// A session to book.
#[derive(Debug, Clone)]
pub struct Booking {
    /// Its type.
    pub session_type: SessionType,
    /// When it starts; not before the enrolment's start date.
    pub starts_at: DateTime<Utc>,
    /// Length in whole minutes, 1–1440.
    pub duration_minutes: i64,
    /// Face to face (default true).
    pub face_to_face: Option<bool>,
    /// Planning notes.
    pub planning_notes: Option<String>,
}

/// A session's new time, length and notes.
#[derive(Debug, Clone)]
pub struct SessionChange {
    /// When it starts; not before the enrolment's start date.
    pub starts_at: DateTime<Utc>,
    /// Length in whole minutes, 1–1440.
    pub duration_minutes: i64,
    /// Face to face (default true).
    pub face_to_face: Option<bool>,
    /// Planning notes.
    pub planning_notes: Option<String>,
    /// Session feedback.
    pub feedback: Option<String>,
}

/// An action as people see it.
#[derive(Debug, Clone)]
pub struct ActionView {
    /// The stored action.
    pub action: Action,
    /// Its state.
    pub status: ActionStatus,
    /// Target date passed and not complete.
    pub overdue: bool,
}

impl ActionView {
    fn new(a: Action, today: NaiveDate) -> Result<Self> {
        let status = status_of(&a)?;
        Ok(Self {
            overdue: is_overdue(a.target_date, status, today),
            action: a,
            status,
        })
    }
}

/// How many actions are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionCounts {
    /// Outstanding (red).
    pub outstanding: u32,
    /// In progress (yellow).
    pub in_progress: u32,
    /// Complete (green).
    pub complete: u32,
    /// Overdue (of the outstanding and in progress ones).
    pub overdue: u32,
}

/// A learner's actions.
#[derive(Debug)]
pub struct Actions {
    /// By target date.
    pub items: Vec<ActionView>,
    /// Counts by state.
    pub counts: ActionCounts,
}

/// An action to set.
#[derive(Debug, Clone)]
pub struct NewActionInput {
    /// Title, 1–200 characters.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Target date.
    pub target_date: NaiveDate,
    /// The session it is set in: one of the same learner's.
    pub session_id: Option<Uuid>,
}

/// The learner's progress on an action.
#[derive(Debug, Clone)]
pub struct ProgressReport {
    /// Feedback.
    pub learner_feedback: Option<String>,
    /// Time spent on it so far, in whole minutes, 0–100000.
    pub time_spent_minutes: Option<i64>,
    /// The state it moves to (in progress when not said).
    pub status: Option<ActionStatus>,
}

fn session_type_of(s: &Session) -> Result<SessionType> {
    s.session_type
        .parse()
        .map_err(|_| Error::Internal(format!("unknown session type `{}`", s.session_type)))
}

fn outcome_of(s: &Session) -> Result<Option<SessionOutcome>> {
    s.outcome
        .as_deref()
        .map(|o| {
            o.parse()
                .map_err(|_| Error::Internal(format!("unknown outcome `{o}`")))
        })
        .transpose()
}

fn status_of(a: &Action) -> Result<ActionStatus> {
    a.status
        .parse()
        .map_err(|_| Error::Internal(format!("unknown action status `{}`", a.status)))
}

/// A session for a change: its enrolment locked and managed by the caller (404 if either
/// cannot be seen, 403 if it cannot be managed), the session read under the lock.
async fn changeable_session(
    uow: &mut UnitOfWork,
    session_id: Uuid,
) -> Result<(Enrolment, Session)> {
    // A session's enrolment never changes, so it can be read before the lock; the session
    // itself is read again under it, in case a concurrent request changed its outcome.
    let enrolment_id = queries::get_session(&mut uow.tx, session_id)
        .await?
        .enrolment_id;
    let enrolment = uow.managed_enrolment(enrolment_id).await?.into_inner();
    let session = queries::get_session(&mut uow.tx, session_id).await?;
    Ok((enrolment, session))
}

/// An action for a change, its enrolment locked and visible (404 otherwise); the use case
/// decides who may make the change.
async fn locked_action(uow: &mut UnitOfWork, action_id: Uuid) -> Result<(Enrolment, Action)> {
    let enrolment_id = queries::get_action(&mut uow.tx, action_id)
        .await?
        .enrolment_id;
    uow.lock_enrolment(enrolment_id).await?;
    let enrolment = uow.visible_enrolment(enrolment_id).await?.into_inner();
    let action = queries::get_action(&mut uow.tx, action_id).await?;
    Ok((enrolment, action))
}

/// Checks a session's time, length and notes against its enrolment, naming every field
/// at fault.
fn session_fields(
    enrolment: &Enrolment,
    tz: Tz,
    starts_at: DateTime<Utc>,
    duration_minutes: i64,
    face_to_face: Option<bool>,
    planning_notes: Option<&str>,
    feedback: Option<&str>,
) -> Result<SessionFields> {
    let mut fields = Fields::default();
    // The session's day is its date in the provider's time zone: the same day the time
    // log records for it.
    let day = local_date(&tz, starts_at);
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
        .map_err(|_| Error::invalid("duration_minutes", "must be 1 to 1440 minutes"))?;
    Ok(SessionFields {
        starts_at,
        duration_minutes,
        face_to_face: face_to_face.unwrap_or(true),
        planning_notes: checked(planning_notes)?.into_inner(),
        feedback: checked(feedback)?.into_inner(),
    })
}

fn transition_error(e: TransitionError) -> Error {
    // The induction's date is the only input of the status change the caller chose.
    Error::Validation(vec![FieldError::new(
        "outcome",
        format!("the enrolment's status cannot change: {e}"),
    )])
}

fn action_transition_error(e: ActionTransitionError) -> Error {
    match e {
        ActionTransitionError::NotPermitted => Error::Forbidden,
        ActionTransitionError::NotAllowed { .. } => Error::Conflict {
            field: Some("status".into()),
            detail: e.to_string(),
        },
    }
}

/// Books a session for a learner (admins and the learner's assessor). It is run by the
/// enrolment's assessor (by the booker when the learner has none).
pub async fn book_session(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    booking: Booking,
) -> Result<SessionView> {
    let enrolment = uow.managed_enrolment(enrolment_id).await?;
    let tz = uow.settings().await?.tz();
    let fields = session_fields(
        &enrolment,
        tz,
        booking.starts_at,
        booking.duration_minutes,
        booking.face_to_face,
        booking.planning_notes.as_deref(),
        None,
    )?;
    let user = uow.principal.user_id;
    let session_id = Uuid::now_v7();
    let new = NewSession {
        id: session_id,
        enrolment_id: enrolment.id,
        assessor_id: enrolment.assessor_id.unwrap_or(user),
        session_type: booking.session_type.as_str().to_owned(),
        fields,
        created_by: user,
    };
    queries::insert_session(&mut uow.tx, &new).await?;
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "session_type": booking.session_type.as_str(),
        "starts_at": new.fields.starts_at,
        "duration_minutes": new.fields.duration_minutes,
    });
    uow.audit(
        "learning_session.create",
        "learning_session",
        session_id,
        details,
    )
    .await?;
    let session = queries::get_session(&mut uow.tx, session_id).await?;
    SessionView::new(session, Utc::now())
}

/// A learner's sessions in time order, each flagged when unclosed, and the next planned one.
pub async fn sessions(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Sessions> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    let rows = queries::list_sessions(&mut uow.tx, enrolment.id).await?;
    let now = Utc::now();
    let items = rows
        .into_iter()
        .map(|s| SessionView::new(s, now))
        .collect::<Result<Vec<_>>>()?;
    let next_session = items
        .iter()
        .find(|s| s.session.starts_at >= now && s.outcome.is_none())
        .cloned();
    let unclosed = items.iter().filter(|s| s.unclosed).count();
    Ok(Sessions {
        items,
        next_session,
        unclosed: u32::try_from(unclosed).unwrap_or(u32::MAX),
    })
}

/// Sessions coming up on the caller's caseload (assessors): those without an outcome from
/// now on, soonest first; `limit` as for every list.
pub async fn upcoming(uow: &mut UnitOfWork, limit: Option<i64>) -> Result<Vec<Upcoming>> {
    if !uow.principal.has(Role::Assessor) {
        return Err(Error::Forbidden);
    }
    let limit = crate::paging::page_limit(limit)?;
    let now = Utc::now();
    let user = uow.principal.user_id;
    queries::upcoming_for_assessor(&mut uow.tx, user, now, limit)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Upcoming {
                session: SessionView::new(r.session, now)?,
                learner_id: r.learner_id,
                learner_name: r.learner_name,
                course_title: r.course_title,
            })
        })
        .collect()
}

/// One session of a learner the caller may see.
pub async fn session(uow: &mut UnitOfWork, id: Uuid) -> Result<SessionView> {
    let session = queries::get_session(&mut uow.tx, id).await?;
    uow.visible_enrolment(session.enrolment_id).await?;
    SessionView::new(session, Utc::now())
}

/// Replaces a session's time, length, planning notes and feedback (admins and the
/// learner's assessor); a conflict for a change of time, length or face-to-face once an
/// outcome is recorded (its effects were computed from them).
pub async fn change_session(
    uow: &mut UnitOfWork,
    id: Uuid,
    change: SessionChange,
) -> Result<SessionView> {
    let (enrolment, session) = changeable_session(uow, id).await?;
    let tz = uow.settings().await?.tz();
    let fields = session_fields(
        &enrolment,
        tz,
        change.starts_at,
        change.duration_minutes,
        change.face_to_face,
        change.planning_notes.as_deref(),
        change.feedback.as_deref(),
    )?;
    let timing_changed = fields.starts_at != session.starts_at
        || fields.duration_minutes != session.duration_minutes
        || fields.face_to_face != session.face_to_face;
    if session.outcome.is_some() && timing_changed {
        return Err(Error::Conflict {
            field: None,
            detail: "the session's outcome is recorded: its time, length and face-to-face \
                     flag are fixed"
                .into(),
        });
    }
    queries::update_session(&mut uow.tx, id, &fields).await?;
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "starts_at": fields.starts_at,
        "duration_minutes": fields.duration_minutes,
        "face_to_face": fields.face_to_face,
    });
    uow.audit("learning_session.update", "learning_session", id, details)
        .await?;
    let session = queries::get_session(&mut uow.tx, id).await?;
    SessionView::new(session, Utc::now())
}

/// Records a session's outcome (admins and the learner's assessor) and applies what it
/// causes: an attended induction moves an enrolment awaiting induction into learning,
/// dated the session's day; an attended out-of-workplace session, or an attended
/// face-to-face teaching session, logs one off-the-job entry of the session's length on
/// its day. Saving `attended` again changes nothing; changing it to another outcome
/// removes the session's entry. `attended` and `learner_did_not_attend` cannot be
/// recorded before the session starts.
pub async fn record_outcome(
    uow: &mut UnitOfWork,
    id: Uuid,
    outcome: SessionOutcome,
) -> Result<SessionView> {
    let (enrolment, session) = changeable_session(uow, id).await?;
    let now = Utc::now();
    check_outcome(outcome, session.starts_at, now).map_err(|e| Error::invalid("outcome", e))?;
    let previous = outcome_of(&session)?;
    let status = enrolment
        .status()
        .ok_or_else(|| Error::Internal(format!("unknown status `{}`", enrolment.status)))?;
    let facts = SessionFacts {
        session_type: session_type_of(&session)?,
        face_to_face: session.face_to_face,
        date: local_date(&uow.settings().await?.tz(), session.starts_at),
        duration_minutes: session.duration_minutes,
    };
    let effects = outcome_effects(facts, outcome, status);
    queries::set_outcome(&mut uow.tx, id, outcome.as_str()).await?;
    let mut status_changed = None;
    if let Some(change) = effects.status_change {
        let next = check_transition(
            status,
            enrolment.start_date,
            enrolment.break_started_on,
            enrolment.last_break_ended_on(),
            &change,
        )
        .map_err(transition_error)?;
        enrolments::apply_status(
            &mut uow.tx,
            enrolment.id,
            next,
            change.on(),
            None,
            None,
            None,
        )
        .await?;
        let details = serde_json::json!({
            "from": status.as_str(), "to": next.as_str(), "on": change.on(), "session_id": id,
        });
        uow.audit("enrolment.status", "enrolment", enrolment.id, details)
            .await?;
        status_changed = Some(next.as_str());
    }
    let user = uow.principal.user_id;
    let (entry_written, entry_removed) = match &effects.time_log {
        Some(t) => {
            let entry = SessionEntry {
                session_id: id,
                enrolment_id: enrolment.id,
                entry_date: t.date,
                activity_type: t.activity.as_str().to_owned(),
                minutes: t.minutes,
                created_by: user,
            };
            (
                queries::insert_session_entry(&mut uow.tx, &entry).await?,
                false,
            )
        }
        None => (false, queries::delete_session_entry(&mut uow.tx, id).await?),
    };
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "from": previous.map(SessionOutcome::as_str),
        "to": outcome.as_str(),
        "status_changed_to": status_changed,
        "time_log_entry_written": entry_written,
        "time_log_entry_removed": entry_removed,
    });
    uow.audit("learning_session.outcome", "learning_session", id, details)
        .await?;
    let session = queries::get_session(&mut uow.tx, id).await?;
    SessionView::new(session, now)
}

/// Sets an action for a learner (admins and the learner's assessor), on its own or in one
/// of the learner's sessions.
pub async fn set_action(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    input: NewActionInput,
) -> Result<ActionView> {
    let enrolment = uow.managed_enrolment(enrolment_id).await?;
    let mut fields = Fields::default();
    let title = fields.check(
        "title",
        OptionalText::parse(Some(&input.title), MAX_TITLE_CHARS),
    );
    if let Some(t) = &title
        && t.as_deref().is_none()
    {
        fields.add("title", "must not be empty");
    }
    let description = fields.check(
        "description",
        OptionalText::parse(input.description.as_deref(), MAX_TEXT_CHARS),
    );
    fields.date("target_date", input.target_date);
    if let Some(session_id) = input.session_id
        && !queries::session_of_enrolment(&mut uow.tx, enrolment.id, session_id).await?
    {
        fields.add("session_id", "is not one of this learner's sessions");
    }
    fields.finish()?;
    let title = checked(checked(title)?.into_inner())?;
    let new = NewAction {
        id: Uuid::now_v7(),
        enrolment_id: enrolment.id,
        session_id: input.session_id,
        title,
        description: checked(description)?.into_inner(),
        target_date: input.target_date,
        created_by: uow.principal.user_id,
    };
    let action = queries::insert_action(&mut uow.tx, &new).await?;
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "session_id": new.session_id,
        "title": new.title,
        "target_date": new.target_date,
    });
    uow.audit("action.create", "action", new.id, details)
        .await?;
    let today = today(uow).await?;
    ActionView::new(action, today)
}

/// A learner's actions by target date (only a session's, with `session_id`), each flagged
/// when overdue, with counts by state.
pub async fn actions(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    session_id: Option<Uuid>,
) -> Result<Actions> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    let rows = queries::list_actions(&mut uow.tx, enrolment.id, session_id).await?;
    let today = today(uow).await?;
    let items = rows
        .into_iter()
        .map(|a| ActionView::new(a, today))
        .collect::<Result<Vec<_>>>()?;
    let mut counts = ActionCounts::default();
    for a in &items {
        match a.status {
            ActionStatus::Outstanding => counts.outstanding += 1,
            ActionStatus::InProgress => counts.in_progress += 1,
            ActionStatus::Complete => counts.complete += 1,
        }
        if a.overdue {
            counts.overdue += 1;
        }
    }
    Ok(Actions { items, counts })
}

/// Reports progress on an action (the learner themself): feedback, time spent, and the
/// move to in progress. Only the assessor marks it complete (403); a complete action is
/// final (conflict).
pub async fn report_progress(
    uow: &mut UnitOfWork,
    id: Uuid,
    report: ProgressReport,
) -> Result<ActionView> {
    let (enrolment, action) = locked_action(uow, id).await?;
    if !uow.principal.is_learner_of(&enrolment) {
        return Err(Error::Forbidden);
    }
    let to = report.status.unwrap_or(ActionStatus::InProgress);
    check_action_transition(ActionActor::Learner, status_of(&action)?, to)
        .map_err(action_transition_error)?;
    let mut fields = Fields::default();
    let feedback = fields.check(
        "learner_feedback",
        OptionalText::parse(report.learner_feedback.as_deref(), MAX_TEXT_CHARS),
    );
    if let Some(m) = report.time_spent_minutes {
        fields.require(
            "time_spent_minutes",
            (0..=MAX_TIME_SPENT_MINUTES).contains(&m),
            "must be 0 to 100000 minutes",
        );
    }
    fields.finish()?;
    let minutes = report
        .time_spent_minutes
        .map(i32::try_from)
        .transpose()
        .map_err(|_| Error::invalid("time_spent_minutes", "must be 0 to 100000 minutes"))?;
    let feedback = checked(feedback)?.into_inner();
    let updated =
        queries::update_progress(&mut uow.tx, id, to.as_str(), feedback.as_deref(), minutes)
            .await?;
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "from": action.status,
        "to": to.as_str(),
        "time_spent_minutes": minutes,
    });
    uow.audit("action.progress", "action", id, details).await?;
    let today = today(uow).await?;
    ActionView::new(updated, today)
}

/// Marks an action complete (admins and the learner's assessor; anyone else 403); a
/// conflict if it already is.
pub async fn complete_action(uow: &mut UnitOfWork, id: Uuid) -> Result<ActionView> {
    let (enrolment, action) = locked_action(uow, id).await?;
    if !uow.principal.manages(&enrolment) {
        return Err(Error::Forbidden);
    }
    let from = status_of(&action)?;
    check_action_transition(ActionActor::Manager, from, ActionStatus::Complete)
        .map_err(action_transition_error)?;
    let user = uow.principal.user_id;
    let updated = queries::complete_action(&mut uow.tx, id, user).await?;
    let details = serde_json::json!({ "enrolment_id": enrolment.id, "from": from.as_str() });
    uow.audit("action.complete", "action", id, details).await?;
    let today = today(uow).await?;
    ActionView::new(updated, today)
}
