//! The learning plan: sessions an assessor books with a learner, what recording their
//! outcome causes, and the actions (targets) set for the learner.
//!
//! Choices made here that DOMAIN.md leaves open, each documented at its function:
//! - the off-the-job activity type of a session's entry: out of the workplace is
//!   "trainer or assessor led training", a 1:1 face-to-face teaching session is the
//!   "traditional face-to-face session" (see [`outcome_effects`]);
//! - an outcome that says the session happened (or was missed by the learner) cannot be
//!   recorded before it starts (see [`check_outcome`]);
//! - a session "has outstanding actions" when one of its actions is still `outstanding`,
//!   the red state (see [`ActionStatus::is_outstanding`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::enrolment::{EnrolmentStatus, StatusChange};
use crate::text::InvalidValue;
use crate::time_log::ActivityType;

/// The kinds of session of the assessor's guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionType {
    /// Evidence of the first day of learning.
    Initial,
    /// The induction, booked against all aims; attending it starts learning.
    Induction,
    /// A progress review.
    Review,
    /// Training away from work; attending it logs off-the-job time.
    OutOfWorkplace,
    /// An ordinary 1:1 teaching or coaching session.
    Teaching,
}

/// What became of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionOutcome {
    /// It took place with the learner.
    Attended,
    /// Called off (by agreement, or by the learner in advance).
    Cancelled,
    /// The learner did not turn up.
    LearnerDidNotAttend,
    /// The assessor called it off.
    AssessorCancelled,
}

/// Where an action is: red, yellow, green.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Not started (red).
    Outstanding,
    /// The learner is working on it (yellow).
    InProgress,
    /// Done, as the assessor confirmed (green).
    Complete,
}

/// Stable names for the enums of this module, as stored and sent over the API.
macro_rules! named {
    ($ty:ident, $what:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $ty {
            /// Every value.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stable name, as stored and sent over the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = InvalidValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| InvalidValue::new(format!(concat!("unknown ", $what, " `{}`"), s)))
            }
        }
    };
}

named!(SessionType, "session type", [
    Initial => "initial",
    Induction => "induction",
    Review => "review",
    OutOfWorkplace => "out_of_workplace",
    Teaching => "teaching",
]);

named!(SessionOutcome, "session outcome", [
    Attended => "attended",
    Cancelled => "cancelled",
    LearnerDidNotAttend => "learner_did_not_attend",
    AssessorCancelled => "assessor_cancelled",
]);

named!(ActionStatus, "action status", [
    Outstanding => "outstanding",
    InProgress => "in_progress",
    Complete => "complete",
]);

impl SessionOutcome {
    /// Whether the outcome says something about a session that has begun: that it took
    /// place, or that the learner did not come to it.
    pub fn needs_session_started(self) -> bool {
        matches!(
            self,
            SessionOutcome::Attended | SessionOutcome::LearnerDidNotAttend
        )
    }
}

impl ActionStatus {
    /// "A session shows a red marker when it has outstanding actions": red is
    /// `outstanding`, so an action the learner has started (yellow) no longer makes its
    /// session red.
    pub fn is_outstanding(self) -> bool {
        self == ActionStatus::Outstanding
    }
}

/// "A past session without an outcome is an unclosed session (a compliance flag)": it
/// started before `now` and no outcome has been recorded.
pub fn is_unclosed(
    starts_at: DateTime<Utc>,
    outcome: Option<SessionOutcome>,
    now: DateTime<Utc>,
) -> bool {
    starts_at < now && outcome.is_none()
}

/// Why an outcome was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    /// `attended` or `learner_did_not_attend` for a session that has not started.
    #[error("cannot be {0} before the session has started")]
    NotStartedYet(SessionOutcome),
}

/// Checks an outcome against the time: a session can be cancelled at any time, but
/// nobody can have attended (or failed to attend) a session that has not begun, and
/// recording so early would log off-the-job time or start learning in the future.
pub fn check_outcome(
    outcome: SessionOutcome,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), OutcomeError> {
    if outcome.needs_session_started() && starts_at > now {
        return Err(OutcomeError::NotStartedYet(outcome));
    }
    Ok(())
}

/// The off-the-job time-log entry an attended session writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTimeLog {
    /// The entry's activity type.
    pub activity: ActivityType,
    /// The session's day.
    pub date: NaiveDate,
    /// The session's length.
    pub minutes: i32,
}

/// What recording an outcome causes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutcomeEffects {
    /// The status change to apply, if any.
    pub status_change: Option<StatusChange>,
    /// The time-log entry the session must have; `None` means it must have none (an
    /// entry written by an earlier `attended` is removed).
    pub time_log: Option<SessionTimeLog>,
}

/// A session as [`outcome_effects`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFacts {
    /// Its type.
    pub session_type: SessionType,
    /// Face to face (rather than remote).
    pub face_to_face: bool,
    /// The day it took place.
    pub date: NaiveDate,
    /// Its length in minutes.
    pub duration_minutes: i32,
}

/// What an outcome causes, from the assessor's guide and DOMAIN.md:
/// - "Induction … will remove the awaiting induction status": an attended induction moves
///   an enrolment that is `awaiting_induction` to `in_learning`, dated the session's day.
///   Any other status is left alone, so saving `attended` again changes nothing.
/// - "an attended out-of-workplace session writes an off-the-job entry to the learner's
///   time log automatically", and so does "a 1:1 face-to-face session" (the time log's
///   "traditional face-to-face session (1:1 with training adviser; logged
///   automatically)"): an attended `out_of_workplace` session is logged as trainer or
///   assessor led training, an attended face-to-face `teaching` session as a traditional
///   face-to-face session, each with the session's length and day.
///
/// Any outcome other than `attended` asks for no entry, so changing `attended` to
/// `cancelled` removes the one written before. The status change is never undone: the
/// enrolment's status has its own history and its own endpoint.
pub fn outcome_effects(
    session: SessionFacts,
    outcome: SessionOutcome,
    enrolment_status: EnrolmentStatus,
) -> OutcomeEffects {
    if outcome != SessionOutcome::Attended {
        return OutcomeEffects::default();
    }
    let status_change = (session.session_type == SessionType::Induction
        && enrolment_status == EnrolmentStatus::AwaitingInduction)
        .then_some(StatusChange::StartLearning { on: session.date });
    let activity = match session.session_type {
        SessionType::OutOfWorkplace => Some(ActivityType::TrainerLedTraining),
        SessionType::Teaching if session.face_to_face => Some(ActivityType::FaceToFaceSession),
        _ => None,
    };
    OutcomeEffects {
        status_change,
        time_log: activity.map(|activity| SessionTimeLog {
            activity,
            date: session.date,
            minutes: session.duration_minutes,
        }),
    }
}

/// "Overdue = target date passed and not complete": the target date is before `today`
/// (an action due today is not overdue yet) and the action is not complete.
pub fn is_overdue(target_date: NaiveDate, status: ActionStatus, today: NaiveDate) -> bool {
    target_date < today && status != ActionStatus::Complete
}

/// Who is moving an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionActor {
    /// The learner the action was set for.
    Learner,
    /// Staff who manage the enrolment (admins, its assessor).
    Manager,
}

/// Why an action's move was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionTransitionError {
    /// The actor may not make this move (a learner completing an action).
    #[error("only the assessor marks an action complete")]
    NotPermitted,
    /// The move does not follow from the current status.
    #[error("cannot go from {from} to {to}")]
    NotAllowed {
        /// Current status.
        from: ActionStatus,
        /// Requested status.
        to: ActionStatus,
    },
}

/// Checks a move of an action, from DOMAIN.md: "status `outstanding` (red) →
/// `in_progress` (yellow) → `complete` (green; only the assessor marks complete)".
/// The learner moves it to `in_progress` (and may keep updating it there); only a
/// manager marks it complete, from either open state. A complete action is final.
pub fn check_action_transition(
    actor: ActionActor,
    from: ActionStatus,
    to: ActionStatus,
) -> Result<(), ActionTransitionError> {
    use ActionStatus::*;
    if to == Complete && actor != ActionActor::Manager {
        return Err(ActionTransitionError::NotPermitted);
    }
    let allowed = match actor {
        ActionActor::Learner => matches!((from, to), (Outstanding | InProgress, InProgress)),
        ActionActor::Manager => matches!((from, to), (Outstanding | InProgress, Complete)),
    };
    if allowed {
        Ok(())
    } else {
        Err(ActionTransitionError::NotAllowed { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, h, 0, 0).single().unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn facts(session_type: SessionType, face_to_face: bool) -> SessionFacts {
        SessionFacts {
            session_type,
            face_to_face,
            date: day(10),
            duration_minutes: 90,
        }
    }

    #[test]
    fn names_round_trip() {
        for t in SessionType::ALL {
            assert_eq!(t.as_str().parse::<SessionType>(), Ok(*t));
        }
        for o in SessionOutcome::ALL {
            assert_eq!(o.as_str().parse::<SessionOutcome>(), Ok(*o));
        }
        for s in ActionStatus::ALL {
            assert_eq!(s.as_str().parse::<ActionStatus>(), Ok(*s));
        }
        assert!("workshop".parse::<SessionType>().is_err());
    }

    /// "A past session without an outcome is an unclosed session."
    #[test]
    fn a_past_session_without_an_outcome_is_unclosed() {
        let now = at(12);
        assert!(is_unclosed(at(9), None, now));
        assert!(!is_unclosed(at(9), Some(SessionOutcome::Cancelled), now));
        assert!(!is_unclosed(at(9), Some(SessionOutcome::Attended), now));
        // Not yet started: still open, not unclosed.
        assert!(!is_unclosed(at(15), None, now));
    }

    #[test]
    fn attendance_cannot_be_recorded_before_the_session_starts() {
        let now = at(12);
        assert_eq!(
            check_outcome(SessionOutcome::Attended, at(15), now),
            Err(OutcomeError::NotStartedYet(SessionOutcome::Attended))
        );
        assert!(check_outcome(SessionOutcome::LearnerDidNotAttend, at(15), now).is_err());
        assert!(check_outcome(SessionOutcome::Cancelled, at(15), now).is_ok());
        assert!(check_outcome(SessionOutcome::AssessorCancelled, at(15), now).is_ok());
        assert!(check_outcome(SessionOutcome::Attended, at(9), now).is_ok());
    }

    /// "Induction … will remove the awaiting induction status."
    #[test]
    fn an_attended_induction_starts_learning_once() {
        let induction = facts(SessionType::Induction, true);
        let effects = outcome_effects(
            induction,
            SessionOutcome::Attended,
            EnrolmentStatus::AwaitingInduction,
        );
        assert_eq!(
            effects.status_change,
            Some(StatusChange::StartLearning { on: day(10) })
        );
        assert_eq!(effects.time_log, None);
        // Saved again: the enrolment is in learning now, so nothing changes.
        let again = outcome_effects(
            induction,
            SessionOutcome::Attended,
            EnrolmentStatus::InLearning,
        );
        assert_eq!(again.status_change, None);
        // Missed: nothing.
        let missed = outcome_effects(
            induction,
            SessionOutcome::LearnerDidNotAttend,
            EnrolmentStatus::AwaitingInduction,
        );
        assert_eq!(missed, OutcomeEffects::default());
    }

    /// "An attended out-of-workplace session writes an off-the-job entry to the learner's
    /// time log automatically" (and so does a 1:1 face-to-face session).
    #[test]
    fn attended_out_of_workplace_and_face_to_face_teaching_log_off_the_job_time() {
        let status = EnrolmentStatus::InLearning;
        let out = outcome_effects(
            facts(SessionType::OutOfWorkplace, false),
            SessionOutcome::Attended,
            status,
        );
        assert_eq!(
            out.time_log,
            Some(SessionTimeLog {
                activity: ActivityType::TrainerLedTraining,
                date: day(10),
                minutes: 90
            })
        );
        let f2f = outcome_effects(
            facts(SessionType::Teaching, true),
            SessionOutcome::Attended,
            status,
        );
        assert_eq!(
            f2f.time_log.map(|t| t.activity),
            Some(ActivityType::FaceToFaceSession)
        );
        // Remote teaching, reviews, initial sessions and inductions log nothing.
        for (t, f) in [
            (SessionType::Teaching, false),
            (SessionType::Review, true),
            (SessionType::Initial, true),
            (SessionType::Induction, true),
        ] {
            let e = outcome_effects(facts(t, f), SessionOutcome::Attended, status);
            assert_eq!(e.time_log, None, "{t}");
        }
        // Changed to cancelled: the session must have no entry.
        let cancelled = outcome_effects(
            facts(SessionType::OutOfWorkplace, true),
            SessionOutcome::Cancelled,
            status,
        );
        assert_eq!(cancelled.time_log, None);
    }

    /// "Overdue = target date passed and not complete."
    #[test]
    fn overdue_means_target_passed_and_not_complete() {
        let today = day(10);
        assert!(is_overdue(day(9), ActionStatus::Outstanding, today));
        assert!(is_overdue(day(9), ActionStatus::InProgress, today));
        assert!(!is_overdue(day(9), ActionStatus::Complete, today));
        assert!(!is_overdue(day(10), ActionStatus::Outstanding, today));
        assert!(!is_overdue(day(11), ActionStatus::Outstanding, today));
    }

    /// "`outstanding` (red) → `in_progress` (yellow) → `complete` (green; only the
    /// assessor marks complete)."
    #[test]
    fn only_managers_complete_actions() {
        use ActionActor::*;
        use ActionStatus::*;
        assert_eq!(
            check_action_transition(Learner, Outstanding, InProgress),
            Ok(())
        );
        assert_eq!(
            check_action_transition(Learner, InProgress, InProgress),
            Ok(())
        );
        assert_eq!(
            check_action_transition(Learner, InProgress, Complete),
            Err(ActionTransitionError::NotPermitted)
        );
        assert_eq!(
            check_action_transition(Learner, Complete, InProgress),
            Err(ActionTransitionError::NotAllowed {
                from: Complete,
                to: InProgress
            })
        );
        assert_eq!(
            check_action_transition(Manager, Outstanding, Complete),
            Ok(())
        );
        assert_eq!(
            check_action_transition(Manager, InProgress, Complete),
            Ok(())
        );
        assert!(check_action_transition(Manager, Complete, Complete).is_err());
    }

    #[test]
    fn only_outstanding_actions_make_a_session_red() {
        assert!(ActionStatus::Outstanding.is_outstanding());
        assert!(!ActionStatus::InProgress.is_outstanding());
        assert!(!ActionStatus::Complete.is_outstanding());
    }
}
