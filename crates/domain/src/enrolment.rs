//! Enrolments: a learner on a course, and how its status may change.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::text::InvalidValue;

/// Where a learner is in their programme. These are also the completion statuses the
/// official return (ILR) needs: continuing, break in learning, withdrawn, completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStatus {
    /// Enrolled; the induction session has not been attended yet.
    AwaitingInduction,
    /// Learning.
    InLearning,
    /// Paused, e.g. for illness; resumes with a new end date.
    BreakInLearning,
    /// Left before completing.
    Withdrawn,
    /// Reached gateway / completed.
    Completed,
}

impl EnrolmentStatus {
    /// Every status.
    pub const ALL: [EnrolmentStatus; 5] = [
        EnrolmentStatus::AwaitingInduction,
        EnrolmentStatus::InLearning,
        EnrolmentStatus::BreakInLearning,
        EnrolmentStatus::Withdrawn,
        EnrolmentStatus::Completed,
    ];

    /// The stable name, as stored and sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            EnrolmentStatus::AwaitingInduction => "awaiting_induction",
            EnrolmentStatus::InLearning => "in_learning",
            EnrolmentStatus::BreakInLearning => "break_in_learning",
            EnrolmentStatus::Withdrawn => "withdrawn",
            EnrolmentStatus::Completed => "completed",
        }
    }

    /// Whether the enrolment has ended for good.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            EnrolmentStatus::Withdrawn | EnrolmentStatus::Completed
        )
    }
}

impl fmt::Display for EnrolmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EnrolmentStatus {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EnrolmentStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| InvalidValue::new(format!("unknown enrolment status `{s}`")))
    }
}

/// Why a learner takes a break in learning. The official return records a break as
/// completion status 6 with its dates; the reason is the provider's record of why, in the
/// words of the ILR's own reason list where one fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// Injury or illness.
    Illness,
    /// Maternity, paternity, adoption or shared parental leave.
    ParentalLeave,
    /// Other personal reasons (caring, bereavement…).
    Personal,
    /// The employer asked for it, or the learner is between employers.
    Employer,
    /// Financial reasons.
    Financial,
    /// Anything else.
    Other,
}

impl BreakReason {
    /// Every reason, in the order people choose from.
    pub const ALL: [BreakReason; 6] = [
        BreakReason::Illness,
        BreakReason::ParentalLeave,
        BreakReason::Personal,
        BreakReason::Employer,
        BreakReason::Financial,
        BreakReason::Other,
    ];

    /// The stable name, as stored and sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakReason::Illness => "illness",
            BreakReason::ParentalLeave => "parental_leave",
            BreakReason::Personal => "personal",
            BreakReason::Employer => "employer",
            BreakReason::Financial => "financial",
            BreakReason::Other => "other",
        }
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            BreakReason::Illness => "Injury or illness",
            BreakReason::ParentalLeave => "Parental leave",
            BreakReason::Personal => "Other personal reasons",
            BreakReason::Employer => "Employer's request or change of employer",
            BreakReason::Financial => "Financial reasons",
            BreakReason::Other => "Other",
        }
    }
}

impl FromStr for BreakReason {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BreakReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| InvalidValue::new(format!("unknown break reason `{s}`")))
    }
}

/// "On return the revised end date moves by the break's length (the original planned end
/// date never changes)": the current end (the revised one if any, else the planned one)
/// plus the days from the break's first day to the first day back.
pub fn revised_end_on_return(
    planned_end: NaiveDate,
    revised_end: Option<NaiveDate>,
    break_from: NaiveDate,
    back_on: NaiveDate,
) -> NaiveDate {
    let length = u64::try_from((back_on - break_from).num_days()).unwrap_or(0);
    let end = revised_end.unwrap_or(planned_end);
    end.checked_add_days(chrono::Days::new(length))
        .unwrap_or(end)
}

/// A requested change of status, with the date it took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    /// Learning began (normally recorded by an attended induction).
    StartLearning {
        /// The day learning began.
        on: NaiveDate,
    },
    /// A break in learning began.
    StartBreak {
        /// First day of the break.
        on: NaiveDate,
        /// Why.
        reason: BreakReason,
        /// The return agreed with the learner and employer: the expected first day back.
        expected_return: NaiveDate,
    },
    /// The learner returned from a break.
    Resume {
        /// First day back.
        on: NaiveDate,
    },
    /// The learner withdrew.
    Withdraw {
        /// Last day of learning.
        on: NaiveDate,
        /// Why (required by the official return).
        reason: String,
    },
    /// The learner reached gateway / completed.
    Complete {
        /// The actual end date.
        on: NaiveDate,
    },
}

impl StatusChange {
    /// The date the change took effect.
    pub fn on(&self) -> NaiveDate {
        match self {
            StatusChange::StartLearning { on }
            | StatusChange::StartBreak { on, .. }
            | StatusChange::Resume { on }
            | StatusChange::Withdraw { on, .. }
            | StatusChange::Complete { on } => *on,
        }
    }

    /// The status the change leads to.
    pub fn target(&self) -> EnrolmentStatus {
        match self {
            StatusChange::StartLearning { .. } | StatusChange::Resume { .. } => {
                EnrolmentStatus::InLearning
            }
            StatusChange::StartBreak { .. } => EnrolmentStatus::BreakInLearning,
            StatusChange::Withdraw { .. } => EnrolmentStatus::Withdrawn,
            StatusChange::Complete { .. } => EnrolmentStatus::Completed,
        }
    }
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The change does not follow from the current status.
    #[error("cannot go from {from} to {to}")]
    NotAllowed {
        /// Current status.
        from: EnrolmentStatus,
        /// Requested status.
        to: EnrolmentStatus,
    },
    /// The date is before the enrolment started or before the current break began.
    #[error("the date must not be before {earliest}")]
    TooEarly {
        /// The earliest acceptable date.
        earliest: NaiveDate,
    },
    /// A withdrawal needs a reason.
    #[error("a withdrawal needs a reason")]
    MissingReason,
    /// The expected return of a break must come after its first day.
    #[error("the expected return must be after the first day of the break ({on})")]
    ReturnNotAfterStart {
        /// The break's first day.
        on: NaiveDate,
    },
}

/// Checks a status change: `awaiting_induction → in_learning | withdrawn`,
/// `in_learning → break_in_learning | withdrawn | completed`,
/// `break_in_learning → in_learning (resume) | withdrawn`; withdrawn and completed are
/// final. No change may be dated before the start date, and nothing that ends a break
/// (a return or a withdrawal) before the break began.
/// A new break cannot begin before the last one ended (`last_break_ended_on`): breaks in
/// learning never overlap, so no day is paused twice.
pub fn check_transition(
    current: EnrolmentStatus,
    start_date: NaiveDate,
    open_break_started_on: Option<NaiveDate>,
    last_break_ended_on: Option<NaiveDate>,
    change: &StatusChange,
) -> Result<EnrolmentStatus, TransitionError> {
    use EnrolmentStatus::*;
    let to = change.target();
    let allowed = matches!(
        (current, change),
        (AwaitingInduction, StatusChange::StartLearning { .. })
            | (AwaitingInduction, StatusChange::Withdraw { .. })
            | (InLearning, StatusChange::StartBreak { .. })
            | (InLearning, StatusChange::Withdraw { .. })
            | (InLearning, StatusChange::Complete { .. })
            | (BreakInLearning, StatusChange::Resume { .. })
            | (BreakInLearning, StatusChange::Withdraw { .. })
    );
    if !allowed {
        return Err(TransitionError::NotAllowed { from: current, to });
    }
    // Leaving a break (by returning or by withdrawing) cannot predate the break itself.
    let earliest = match (current, change) {
        (BreakInLearning, _) => open_break_started_on.unwrap_or(start_date).max(start_date),
        (_, StatusChange::StartBreak { .. }) => {
            last_break_ended_on.unwrap_or(start_date).max(start_date)
        }
        _ => start_date,
    };
    if change.on() < earliest {
        return Err(TransitionError::TooEarly { earliest });
    }
    if let StatusChange::Withdraw { reason, .. } = change
        && reason.trim().is_empty()
    {
        return Err(TransitionError::MissingReason);
    }
    if let StatusChange::StartBreak {
        on,
        expected_return,
        ..
    } = change
        && expected_return <= on
    {
        return Err(TransitionError::ReturnNotAfterStart { on: *on });
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnrolmentStatus::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap_or_default()
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in EnrolmentStatus::ALL {
            assert_eq!(status.as_str().parse::<EnrolmentStatus>(), Ok(status));
        }
    }

    #[test]
    fn the_allowed_transitions_and_only_those() {
        let changes = [
            StatusChange::StartLearning { on: day(10) },
            StatusChange::StartBreak {
                on: day(10),
                reason: BreakReason::Illness,
                expected_return: day(20),
            },
            StatusChange::Resume { on: day(10) },
            StatusChange::Withdraw {
                on: day(10),
                reason: "moved away".into(),
            },
            StatusChange::Complete { on: day(10) },
        ];
        let allowed: &[(EnrolmentStatus, &[EnrolmentStatus])] = &[
            (AwaitingInduction, &[InLearning, Withdrawn]),
            (InLearning, &[BreakInLearning, Withdrawn, Completed]),
            (BreakInLearning, &[InLearning, Withdrawn]),
            (Withdrawn, &[]),
            (Completed, &[]),
        ];
        for (from, targets) in allowed {
            for change in &changes {
                let result = check_transition(*from, day(1), Some(day(5)), None, change);
                // Resume and StartLearning both lead to in_learning; only the right one is allowed.
                let expected = targets.contains(&change.target())
                    && !matches!(
                        (from, change),
                        (AwaitingInduction, StatusChange::Resume { .. })
                            | (BreakInLearning, StatusChange::StartLearning { .. })
                    );
                assert_eq!(
                    result.is_ok(),
                    expected,
                    "{from} with {change:?}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn dates_before_the_start_or_the_break_are_refused() {
        let early = check_transition(
            InLearning,
            day(5),
            None,
            None,
            &StatusChange::StartBreak {
                on: day(4),
                reason: BreakReason::Other,
                expected_return: day(30),
            },
        );
        assert_eq!(early, Err(TransitionError::TooEarly { earliest: day(5) }));
        let resume = check_transition(
            BreakInLearning,
            day(1),
            Some(day(10)),
            None,
            &StatusChange::Resume { on: day(9) },
        );
        assert_eq!(resume, Err(TransitionError::TooEarly { earliest: day(10) }));
        assert_eq!(
            check_transition(
                BreakInLearning,
                day(1),
                Some(day(10)),
                None,
                &StatusChange::Resume { on: day(10) }
            ),
            Ok(InLearning)
        );
    }

    #[test]
    fn a_withdrawal_during_a_break_cannot_predate_the_break() {
        let change = StatusChange::Withdraw {
            on: day(9),
            reason: "moved away".into(),
        };
        assert_eq!(
            check_transition(BreakInLearning, day(1), Some(day(10)), None, &change),
            Err(TransitionError::TooEarly { earliest: day(10) })
        );
    }

    #[test]
    fn a_withdrawal_needs_a_reason() {
        let change = StatusChange::Withdraw {
            on: day(3),
            reason: "  ".into(),
        };
        assert_eq!(
            check_transition(InLearning, day(1), None, None, &change),
            Err(TransitionError::MissingReason)
        );
    }

    #[test]
    fn a_break_needs_a_return_after_it_starts() {
        let change = |expected_return| StatusChange::StartBreak {
            on: day(10),
            reason: BreakReason::ParentalLeave,
            expected_return,
        };
        assert_eq!(
            check_transition(InLearning, day(1), None, None, &change(day(10))),
            Err(TransitionError::ReturnNotAfterStart { on: day(10) })
        );
        assert_eq!(
            check_transition(InLearning, day(1), None, None, &change(day(11))),
            Ok(BreakInLearning)
        );
        for reason in BreakReason::ALL {
            assert_eq!(reason.as_str().parse::<BreakReason>(), Ok(reason));
        }
    }

    /// "On return the revised end date moves by the break's length."
    #[test]
    fn a_return_moves_the_revised_end_by_the_breaks_length() {
        // Planned end 2026-01-31; a break from 2026-01-05 to the first day back
        // 2026-01-15 is 10 days: 2026-02-10.
        let planned = day(31);
        let moved = revised_end_on_return(planned, None, day(5), day(15));
        assert_eq!(
            moved,
            NaiveDate::from_ymd_opt(2026, 2, 10).unwrap_or_default()
        );
        // A revised end already recorded moves from there: 2026-02-10 + 10 = 2026-02-20.
        let again = revised_end_on_return(planned, Some(moved), day(5), day(15));
        assert_eq!(
            again,
            NaiveDate::from_ymd_opt(2026, 2, 20).unwrap_or_default()
        );
    }

    /// Breaks never overlap: a new one starts on or after the last one ended.
    #[test]
    fn a_new_break_cannot_start_inside_the_last_one() {
        let change = StatusChange::StartBreak {
            on: day(12),
            reason: BreakReason::Illness,
            expected_return: day(20),
        };
        assert_eq!(
            check_transition(InLearning, day(1), None, Some(day(15)), &change),
            Err(TransitionError::TooEarly { earliest: day(15) })
        );
        assert_eq!(
            check_transition(InLearning, day(1), None, Some(day(12)), &change),
            Ok(BreakInLearning)
        );
    }
}
