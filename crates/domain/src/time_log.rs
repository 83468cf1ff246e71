//! The time log: what kinds of learning a learner records, and which of them are off the
//! job and count towards the off-the-job minimum.
//!
//! Choices made here that DOMAIN.md leaves open, each documented at its function:
//! - whether an entry is off the job follows its activity type; only staff may record an
//!   exception, and only with a reason ([`off_the_job_of`]);
//! - English and maths are not an activity type but a flag on the curriculum's component
//!   (`folio_domain::off_the_job::exclusion`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text::InvalidValue;

/// The longest a day can be: no day's entries may add up to more.
pub const MINUTES_PER_DAY: u32 = 24 * 60;

/// The seven kinds of activity of the learner's guide, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityType {
    /// Traditional face-to-face session (1:1 with the training adviser; logged
    /// automatically by an attended session).
    FaceToFaceSession,
    /// Trainer or assessor led training (e.g. day release).
    TrainerLedTraining,
    /// Electronic / distance learning / self study.
    DistanceLearning,
    /// Coaching or mentoring.
    CoachingMentoring,
    /// Gaining technical experience by doing my job.
    TechnicalExperience,
    /// Review / feedback / support (1:1 with the manager, appraisals).
    ReviewFeedbackSupport,
    /// Assessment or examination.
    AssessmentExamination,
}

impl ActivityType {
    /// Every activity type.
    pub const ALL: [ActivityType; 7] = [
        ActivityType::FaceToFaceSession,
        ActivityType::TrainerLedTraining,
        ActivityType::DistanceLearning,
        ActivityType::CoachingMentoring,
        ActivityType::TechnicalExperience,
        ActivityType::ReviewFeedbackSupport,
        ActivityType::AssessmentExamination,
    ];

    /// The stable name, as stored and sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityType::FaceToFaceSession => "face_to_face_session",
            ActivityType::TrainerLedTraining => "trainer_led_training",
            ActivityType::DistanceLearning => "distance_learning",
            ActivityType::CoachingMentoring => "coaching_mentoring",
            ActivityType::TechnicalExperience => "technical_experience",
            ActivityType::ReviewFeedbackSupport => "review_feedback_support",
            ActivityType::AssessmentExamination => "assessment_examination",
        }
    }

    /// The name people read, in the learner's guide's words (spreadsheets, pages, emails).
    pub fn label(self) -> &'static str {
        match self {
            ActivityType::FaceToFaceSession => "Traditional face-to-face session",
            ActivityType::TrainerLedTraining => "Trainer or assessor led training",
            ActivityType::DistanceLearning => "Electronic or distance learning or self-study",
            ActivityType::CoachingMentoring => "Coaching or mentoring",
            ActivityType::TechnicalExperience => "Gaining technical experience by doing my job",
            ActivityType::ReviewFeedbackSupport => "Review/feedback/support",
            ActivityType::AssessmentExamination => "Assessment or examination",
        }
    }

    /// Whether an entry of this type is off the job unless the learner says otherwise,
    /// from DOMAIN.md's table: "face-to-face session: yes; trainer or assessor led
    /// training: yes; electronic / distance learning / self study: yes; coaching or
    /// mentoring: yes; gaining technical experience by doing my job: no; review /
    /// feedback / support: no; assessment or examination: yes".
    pub fn off_the_job_by_default(self) -> bool {
        !matches!(
            self,
            ActivityType::TechnicalExperience | ActivityType::ReviewFeedbackSupport
        )
    }

    /// Whether off-the-job time of this type counts towards the off-the-job minimum:
    /// "English/maths, progress reviews and assessments do not count towards the minimum".
    /// Review / feedback / support (progress reviews, appraisals) and assessment or
    /// examination therefore never count, even when marked off the job. Every other type
    /// counts when its entry is off the job: training, study, coaching and mentoring are
    /// what off-the-job training is, and technical experience the learner marks off the
    /// job (say, shadowing outside their normal duties) is their declaration that it was
    /// training rather than work.
    ///
    /// English and maths are not an activity type: an hour of Functional Skills is
    /// recorded as training or self study like any other. Nothing here can tell it apart,
    /// so it is counted; excluding it needs a per-component flag the curriculum does not
    /// have yet.
    pub fn counts_towards_minimum(self) -> bool {
        !matches!(
            self,
            ActivityType::ReviewFeedbackSupport | ActivityType::AssessmentExamination
        )
    }
}

impl fmt::Display for ActivityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActivityType {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActivityType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| InvalidValue::new(format!("unknown activity type `{s}`")))
    }
}

/// "Positive durations, no more than 24 h on one day": an entry's own minutes must be
/// more than 0, and with the day's other entries (`others_that_day`, already logged for
/// the same enrolment on the same date, without the entry being changed) at most
/// [`MINUTES_PER_DAY`]. Returns the day's new total.
pub fn check_day_total(minutes: i64, others_that_day: i64) -> Result<i64, DurationError> {
    if minutes <= 0 {
        return Err(DurationError::NotPositive);
    }
    let day = i64::from(MINUTES_PER_DAY);
    if minutes > day {
        return Err(DurationError::LongerThanADay);
    }
    let total = others_that_day.saturating_add(minutes);
    if total > day {
        return Err(DurationError::DayOverfull {
            already: others_that_day,
        });
    }
    Ok(total)
}

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Zero or negative.
    #[error("must be more than 0 minutes")]
    NotPositive,
    /// More than a day on its own.
    #[error("must be at most 1440 minutes (24 hours)")]
    LongerThanADay,
    /// Together with the day's other entries, more than a day.
    #[error(
        "{already} minutes are already logged on this day; a day holds at most 1440 minutes (24 hours)"
    )]
    DayOverfull {
        /// Minutes already logged that day.
        already: i64,
    },
}

/// The longest reason for recording an entry on or off the job against its type.
pub const MAX_OFF_THE_JOB_REASON_CHARS: usize = 500;

/// Why an entry's on/off-the-job choice was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OffTheJobError {
    /// A learner asked for the opposite of what the activity type says.
    #[error(
        "follows the activity: \"{activity}\" is {which} the job; your assessor can record an exception with a reason"
    )]
    LearnerException {
        /// The activity type's label.
        activity: &'static str,
        /// "off" or "on".
        which: &'static str,
    },
    /// Staff recorded an exception without a reason (or with one too long).
    #[error("is needed, 1 to 500 characters, to record \"{activity}\" as {which} the job")]
    ReasonNeeded {
        /// The activity type's label.
        activity: &'static str,
        /// "off" or "on": what the exception records.
        which: &'static str,
    },
}

impl OffTheJobError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            OffTheJobError::LearnerException { .. } => "off_the_job",
            OffTheJobError::ReasonNeeded { .. } => "off_the_job_reason",
        }
    }
}

fn on_or_off(off_the_job: bool) -> &'static str {
    if off_the_job { "off" } else { "on" }
}

/// Whether an entry is off the job, and the reason when that goes against its activity
/// type: "off the job follows the activity type (DOMAIN.md's table); staff may override
/// with a reason, recorded and shown".
///
/// - Nothing asked, or what the type says: the type's answer, no reason; except that an
///   exception staff already recorded on this entry (`kept`: its value and reason, given
///   only while the activity type is unchanged) stays whatever a learner asks (only staff
///   may undo it), and stays for staff who ask nothing new.
/// - The opposite of the type: staff (`by_staff`) with a reason record an exception; a
///   learner is refused, as is staff without a reason.
pub fn off_the_job_of(
    activity: ActivityType,
    asked: Option<bool>,
    reason: Option<&str>,
    by_staff: bool,
    kept: Option<(bool, &str)>,
) -> Result<(bool, Option<String>), OffTheJobError> {
    let by_type = activity.off_the_job_by_default();
    if let Some((value, kept_reason)) = kept
        && (!by_staff
            || (asked.is_none_or(|a| a == value) && reason.is_none_or(|r| r.trim().is_empty())))
    {
        return Ok((value, Some(kept_reason.to_owned())));
    }
    // Staff giving a new reason without saying on or off keep the exception's value.
    let asked = asked.or(kept.map(|(value, _)| value));
    match asked {
        None => Ok((by_type, None)),
        Some(a) if a == by_type => Ok((by_type, None)),
        Some(_) if !by_staff => Err(OffTheJobError::LearnerException {
            activity: activity.label(),
            which: on_or_off(by_type),
        }),
        Some(a) => match reason.map(str::trim) {
            Some(r)
                if !r.is_empty()
                    && r.chars().count() <= MAX_OFF_THE_JOB_REASON_CHARS
                    && !r.chars().any(|c| c.is_control() && c != '\n') =>
            {
                Ok((a, Some(r.to_owned())))
            }
            _ => Err(OffTheJobError::ReasonNeeded {
                activity: activity.label(),
                which: on_or_off(a),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActivityType::*;

    #[test]
    fn activity_types_round_trip_through_their_names() {
        for t in ActivityType::ALL {
            assert_eq!(t.as_str().parse::<ActivityType>(), Ok(t));
        }
        assert!("day_release".parse::<ActivityType>().is_err());
    }

    /// DOMAIN.md's table, written out.
    #[test]
    fn off_the_job_defaults_follow_the_table() {
        let table = [
            (FaceToFaceSession, true),
            (TrainerLedTraining, true),
            (DistanceLearning, true),
            (CoachingMentoring, true),
            (TechnicalExperience, false),
            (ReviewFeedbackSupport, false),
            (AssessmentExamination, true),
        ];
        for (t, off) in table {
            assert_eq!(t.off_the_job_by_default(), off, "{t}");
        }
    }

    #[test]
    fn progress_reviews_and_assessments_do_not_count_towards_the_minimum() {
        assert!(!ReviewFeedbackSupport.counts_towards_minimum());
        assert!(!AssessmentExamination.counts_towards_minimum());
        for t in [
            FaceToFaceSession,
            TrainerLedTraining,
            DistanceLearning,
            CoachingMentoring,
            TechnicalExperience,
        ] {
            assert!(t.counts_towards_minimum(), "{t}");
        }
    }

    #[test]
    fn a_day_holds_at_most_24_hours() {
        assert_eq!(check_day_total(0, 0), Err(DurationError::NotPositive));
        assert_eq!(check_day_total(-30, 0), Err(DurationError::NotPositive));
        assert_eq!(check_day_total(1441, 0), Err(DurationError::LongerThanADay));
        assert_eq!(check_day_total(1440, 0), Ok(1440));
        // 20 h already, 4 h more: exactly 24 h is allowed; 4 h 1 min is not.
        assert_eq!(check_day_total(240, 1200), Ok(1440));
        assert_eq!(
            check_day_total(241, 1200),
            Err(DurationError::DayOverfull { already: 1200 })
        );
    }

    /// "Off the job follows the activity type; staff may override with a reason."
    #[test]
    fn off_the_job_follows_the_activity_type_and_staff_record_exceptions() {
        use ActivityType::*;
        // Nothing asked: the type decides (DOMAIN.md's table).
        assert_eq!(
            off_the_job_of(TrainerLedTraining, None, None, false, None),
            Ok((true, None))
        );
        assert_eq!(
            off_the_job_of(TechnicalExperience, None, None, false, None),
            Ok((false, None))
        );
        assert_eq!(
            off_the_job_of(ReviewFeedbackSupport, None, None, true, None),
            Ok((false, None))
        );
        assert_eq!(
            off_the_job_of(AssessmentExamination, None, None, false, None),
            Ok((true, None))
        );
        // Asking what the type says is the same.
        assert_eq!(
            off_the_job_of(TechnicalExperience, Some(false), None, false, None),
            Ok((false, None))
        );
        // A learner cannot claim doing their job as off the job.
        let refused = off_the_job_of(
            TechnicalExperience,
            Some(true),
            Some("shadowing"),
            false,
            None,
        );
        assert_eq!(
            refused,
            Err(OffTheJobError::LearnerException {
                activity: "Gaining technical experience by doing my job",
                which: "on"
            })
        );
        assert_eq!(refused.unwrap_err().field(), "off_the_job");
        // Staff can, with a reason, and only with one.
        assert_eq!(
            off_the_job_of(
                TechnicalExperience,
                Some(true),
                Some(" Shadowing at the test lab "),
                true,
                None
            ),
            Ok((true, Some("Shadowing at the test lab".into())))
        );
        let no_reason = off_the_job_of(TechnicalExperience, Some(true), Some("  "), true, None);
        assert_eq!(
            no_reason.clone().map_err(|e| e.field()),
            Err("off_the_job_reason")
        );
        assert!(
            no_reason
                .unwrap_err()
                .to_string()
                .contains("as off the job")
        );
        let long = "x".repeat(501);
        assert!(off_the_job_of(DistanceLearning, Some(false), Some(&long), true, None).is_err());
        // An exception already recorded stays through a learner's edit, whatever they ask;
        // staff asking for what the type says undo it.
        let kept = Some((true, "Shadowing"));
        assert_eq!(
            off_the_job_of(TechnicalExperience, None, None, false, kept),
            Ok((true, Some("Shadowing".into())))
        );
        assert_eq!(
            off_the_job_of(TechnicalExperience, Some(true), None, false, kept),
            Ok((true, Some("Shadowing".into())))
        );
        assert_eq!(
            off_the_job_of(TechnicalExperience, Some(false), None, false, kept),
            Ok((true, Some("Shadowing".into())))
        );
        assert_eq!(
            off_the_job_of(TechnicalExperience, Some(false), None, true, kept),
            Ok((false, None))
        );
        // Staff may give a new reason for it, with or without saying on or off again.
        assert_eq!(
            off_the_job_of(TechnicalExperience, None, Some("Lab week"), true, kept),
            Ok((true, Some("Lab week".into())))
        );
        assert_eq!(
            off_the_job_of(
                TechnicalExperience,
                Some(true),
                Some("Lab week"),
                true,
                kept
            ),
            Ok((true, Some("Lab week".into())))
        );
    }
}
