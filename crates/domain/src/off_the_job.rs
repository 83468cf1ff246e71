//! Off-the-job compliance: the minimum the funding rules require, what the learner planned,
//! what they should have done by now and what they have logged. The rule is chosen by the
//! enrolment's start date, as the English funding rules change with it; every figure says
//! which rule and which inputs (and for the actual hours, which entries) produced it.
//!
//! Hours are exact: whole hundredths of an hour ([`Hours`]), as the database stores planned
//! and contracted hours, and time-log entries are whole minutes. Each figure is computed
//! from its inputs as one fraction and rounded once, half up, to the hundredth.
//!
//! Choices made here that DOMAIN.md leaves open, each documented at its function:
//! - a week is 7 days and the planned duration is `planned end − start` in days (so a year
//!   is 365 / 7 = 52.14 weeks); statutory leave is not deducted ([`required_minimum`]);
//! - for part-time learners on the 2022–2025 rule the planned dates are taken to already
//!   include the extended duration;
//! - a course minimum below 187 hours is raised to 187;
//! - expected to date uses the planned end date and the progress clock, which stops at the
//!   actual end of a withdrawn or completed enrolment ([`expected_to_date`]);
//! - only the 2022–2025 rule stops counting at gateway, as DOMAIN.md says
//!   ([`exclusion`]).

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::enrolment::EnrolmentStatus;
use crate::progress::clock_date;
use crate::time_log::ActivityType;

/// A number of hours, exactly, in hundredths of an hour (as `numeric(…, 2)` holds them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hours(i64);

impl Hours {
    /// Hours from hundredths of an hour: `Hours::from_hundredths(3750)` is 37.50 hours.
    pub fn from_hundredths(hundredths: i64) -> Self {
        Self(hundredths)
    }

    /// Whole hours.
    pub fn whole(hours: i64) -> Self {
        Self(hours.saturating_mul(100))
    }

    /// Minutes as hours, rounded half up to the hundredth (10 minutes is 0.17 hours).
    pub fn from_minutes(minutes: i64) -> Self {
        Self(div_round(i128::from(minutes) * 5, 3))
    }

    /// The hours in hundredths.
    pub fn hundredths(self) -> i64 {
        self.0
    }

    /// Whole hours, rounded down: what the official return (ILR) records as actual
    /// off-the-job hours, where a part-hour has not been completed.
    pub fn whole_hours(self) -> i64 {
        self.0.div_euclid(100)
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// `n / d` rounded half up, for a non-negative `n` and positive `d`; 0 for anything else
/// (no figure here is negative, and a zero duration has no fraction to take).
fn div_round(n: i128, d: i128) -> i64 {
    if n < 0 || d <= 0 {
        return 0;
    }
    i64::try_from((2 * n + d) / (2 * d)).unwrap_or(i64::MAX)
}

/// The funding rule that decides an enrolment's off-the-job minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtjRule {
    /// Starts before 1 August 2022: 20% of contracted hours.
    TwentyPercent,
    /// Starts 1 August 2022 – 31 July 2025: 6 hours a week, pro rata below 30 hours.
    SixHoursAWeek,
    /// Starts from 1 August 2025: the apprenticeship standard's minimum (a course setting).
    StandardMinimum,
}

impl OtjRule {
    /// The stable name, as sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            OtjRule::TwentyPercent => "twenty_percent",
            OtjRule::SixHoursAWeek => "six_hours_a_week",
            OtjRule::StandardMinimum => "standard_minimum",
        }
    }

    /// The rule as DOMAIN.md states it.
    pub fn text(self) -> &'static str {
        match self {
            OtjRule::TwentyPercent => "starts before 1 Aug 2022: 20% of contracted hours",
            OtjRule::SixHoursAWeek => {
                "starts 1 Aug 2022 – 31 Jul 2025: at least 6 hours a week on average for 30+ \
                 contracted hours a week, pro rata below 30; counts only up to gateway"
            }
            OtjRule::StandardMinimum => {
                "starts from 1 Aug 2025: a minimum number of hours set per apprenticeship \
                 standard (a course setting), at least 187"
            }
        }
    }
}

impl fmt::Display for OtjRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "The rule is chosen by start date": before 1 Aug 2022 20% of contracted hours; from
/// 1 Aug 2022 to 31 Jul 2025 six hours a week; from 1 Aug 2025 the standard's minimum.
pub fn rule_for(start: NaiveDate) -> OtjRule {
    let six_hours_from = NaiveDate::from_ymd_opt(2022, 8, 1).unwrap_or(NaiveDate::MIN);
    let standard_from = NaiveDate::from_ymd_opt(2025, 8, 1).unwrap_or(NaiveDate::MAX);
    if start < six_hours_from {
        OtjRule::TwentyPercent
    } else if start < standard_from {
        OtjRule::SixHoursAWeek
    } else {
        OtjRule::StandardMinimum
    }
}

/// "Starts from 1 Aug 2025: … at least 187" hours.
pub const STANDARD_MINIMUM_FLOOR: i64 = 187;

/// "At least 6 hours a week on average for 30+ contracted hours a week, pro rata below 30."
const SIX_HOURS_THRESHOLD_HUNDREDTHS: i64 = 3000;

/// The minimum the rule requires, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredMinimum {
    /// The hours, if the rule yields a figure.
    pub hours: Option<Hours>,
    /// The rule's inputs and arithmetic, in words.
    pub explanation: String,
}

/// The off-the-job minimum an enrolment's rule requires over its planned duration:
///
/// - 20% rule: "20% of contracted hours" = 0.2 × contracted hours a week × weeks, with
///   weeks = (planned end − start) days / 7. No statutory leave is deducted: the seed
///   product does not, and the planned hours fixed at start are what the provider
///   committed to; a provider deducting leave plans above this figure anyway.
/// - six-hour rule: "at least 6 hours a week on average for 30+ contracted hours a week,
///   pro rata below 30" = 6 (or 6 × contracted / 30 below 30) × weeks. The planned dates
///   are taken as already extended for a part-time learner ("with the duration
///   extended"), since the planned end date is fixed at start from that plan.
/// - standard rule: the course's `off_the_job_minimum_hours`, raised to 187 if set lower
///   ("at least 187"); without one set there is no figure, and the explanation says so.
pub fn required_minimum(
    rule: OtjRule,
    start: NaiveDate,
    planned_end: NaiveDate,
    contracted_per_week: Hours,
    course_minimum_hours: Option<i32>,
) -> RequiredMinimum {
    let days = (planned_end - start).num_days().max(0);
    let c = i128::from(contracted_per_week.hundredths().max(0));
    let duration = format!("{days} days = {days}/7 weeks ({start} to {planned_end})");
    match rule {
        OtjRule::TwentyPercent => {
            // 0.2 × (c / 100 h) × days / 7, in hundredths: c × days / 35.
            let hours = Hours(div_round(c * i128::from(days), 35));
            RequiredMinimum {
                hours: Some(hours),
                explanation: format!(
                    "20% × {contracted_per_week} contracted hours a week × {duration} \
                     = {hours} hours (no leave deducted)"
                ),
            }
        }
        OtjRule::SixHoursAWeek => {
            let (hours, weekly) = if c >= i128::from(SIX_HOURS_THRESHOLD_HUNDREDTHS) {
                (
                    Hours(div_round(600 * i128::from(days), 7)),
                    "6 hours a week (30 or more contracted hours)".to_owned(),
                )
            } else {
                // 6 × (c / 100) / 30 hours a week = c / 5 hundredths a week.
                (
                    Hours(div_round(c * i128::from(days), 35)),
                    format!(
                        "6 × {contracted_per_week} / 30 = {} hours a week (pro rata below 30 contracted hours)",
                        Hours(div_round(c, 5))
                    ),
                )
            };
            RequiredMinimum {
                hours: Some(hours),
                explanation: format!("{weekly} × {duration} = {hours} hours"),
            }
        }
        OtjRule::StandardMinimum => match course_minimum_hours {
            None => RequiredMinimum {
                hours: None,
                explanation: "the course has no off-the-job minimum set \
                              (off_the_job_minimum_hours); an admin sets it from the \
                              apprenticeship standard"
                    .to_owned(),
            },
            Some(set) if i64::from(set) < STANDARD_MINIMUM_FLOOR => RequiredMinimum {
                hours: Some(Hours::whole(STANDARD_MINIMUM_FLOOR)),
                explanation: format!(
                    "the course's minimum is {set} hours, below the rule's floor: \
                     {STANDARD_MINIMUM_FLOOR}.00 hours"
                ),
            },
            Some(set) => RequiredMinimum {
                hours: Some(Hours::whole(i64::from(set))),
                explanation: format!("the course's minimum: {set}.00 hours"),
            },
        },
    }
}

/// "Expected to date = planned × elapsed fraction", the fraction being days elapsed over
/// the planned duration (start to the fixed planned end date), clamped to [0, 1]: nothing
/// is expected before the start, and no more than planned after the planned end. `on` is
/// the progress clock ([`clock_date`]), which stops at the end date of a withdrawn or
/// completed enrolment.
pub fn expected_to_date(
    planned: Hours,
    start: NaiveDate,
    planned_end: NaiveDate,
    on: NaiveDate,
) -> Hours {
    let duration = (planned_end - start).num_days();
    if duration <= 0 {
        return planned;
    }
    let elapsed = (on - start).num_days().clamp(0, duration);
    Hours(div_round(
        i128::from(planned.hundredths()) * i128::from(elapsed),
        i128::from(duration),
    ))
}

/// One time-log entry, as far as off-the-job hours care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedTime {
    /// The entry.
    pub id: Uuid,
    /// The day it was logged for.
    pub date: NaiveDate,
    /// What kind of activity.
    pub activity: ActivityType,
    /// Whether it was off the job.
    pub off_the_job: bool,
    /// How long, in minutes.
    pub minutes: i64,
}

/// Why an entry is left out of the actual off-the-job hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exclusion {
    /// Recorded as on the job.
    OnTheJob,
    /// Its activity type does not count towards the minimum (reviews, assessments).
    DoesNotCount,
    /// Dated after gateway, under a rule that counts only up to it.
    AfterGateway,
}

/// Whether an entry counts towards the actual off-the-job hours, and if not why: it must
/// be off the job, of a type that "counts towards the minimum", and, under the 2022–2025
/// rule ("counts only up to gateway"), dated no later than the gateway (completion) date.
/// The other rules as DOMAIN.md states them have no such cut-off, so nothing is cut there;
/// entries after a withdrawal cannot be logged in the first place.
pub fn exclusion(
    rule: OtjRule,
    gateway: Option<NaiveDate>,
    entry: &LoggedTime,
) -> Option<Exclusion> {
    if !entry.off_the_job {
        Some(Exclusion::OnTheJob)
    } else if !entry.activity.counts_towards_minimum() {
        Some(Exclusion::DoesNotCount)
    } else if rule == OtjRule::SixHoursAWeek && gateway.is_some_and(|g| entry.date > g) {
        Some(Exclusion::AfterGateway)
    } else {
        None
    }
}

/// The actual off-the-job time and the entries it was summed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actual {
    /// Minutes summed.
    pub minutes: i64,
    /// The same in hours, rounded half up to the hundredth.
    pub hours: Hours,
    /// The entries summed, oldest first.
    pub counted: Vec<Uuid>,
    /// Entries left out as on the job.
    pub on_the_job: u32,
    /// Entries left out as reviews or assessments.
    pub not_counting: u32,
    /// Entries left out as after gateway.
    pub after_gateway: u32,
}

/// Sums the entries that count ([`exclusion`]) and notes how many were left out and why.
pub fn actual(rule: OtjRule, gateway: Option<NaiveDate>, entries: &[LoggedTime]) -> Actual {
    let mut sorted: Vec<&LoggedTime> = entries.iter().collect();
    sorted.sort_by_key(|e| (e.date, e.id));
    let mut out = Actual::default();
    for entry in sorted {
        match exclusion(rule, gateway, entry) {
            None => {
                out.minutes += entry.minutes;
                out.counted.push(entry.id);
            }
            Some(Exclusion::OnTheJob) => out.on_the_job += 1,
            Some(Exclusion::DoesNotCount) => out.not_counting += 1,
            Some(Exclusion::AfterGateway) => out.after_gateway += 1,
        }
    }
    out.hours = Hours::from_minutes(out.minutes);
    out
}

/// An enrolment, as far as off-the-job hours care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtjEnrolment {
    /// First day of learning: chooses the rule.
    pub start: NaiveDate,
    /// Planned end date, fixed at start.
    pub planned_end: NaiveDate,
    /// Current status.
    pub status: EnrolmentStatus,
    /// The withdrawal or completion date of a finished enrolment.
    pub ended_on: Option<NaiveDate>,
    /// The gateway (completion) date, if reached.
    pub gateway: Option<NaiveDate>,
    /// Contracted hours a week.
    pub contracted_per_week: Hours,
    /// Planned off-the-job hours, fixed at start.
    pub planned: Hours,
    /// The course's off-the-job minimum in whole hours, if set.
    pub course_minimum_hours: Option<i32>,
}

/// Every off-the-job figure of an enrolment, each with the words that explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtjFigures {
    /// The rule chosen by the start date.
    pub rule: OtjRule,
    /// Planned off-the-job hours, fixed at start.
    pub planned: Hours,
    /// The rule's minimum, if it yields one.
    pub required: RequiredMinimum,
    /// Whether the plan meets the minimum; unknown without a minimum.
    pub planned_meets_minimum: Option<bool>,
    /// What should have been done by the clock date.
    pub expected_to_date: Hours,
    /// The day the figures are for: today, or the end date of a finished enrolment.
    pub as_of: NaiveDate,
    /// What has been done.
    pub actual: Actual,
    /// Actual is below expected to date.
    pub behind_expected: bool,
    /// How expected to date was computed.
    pub expected_explanation: String,
    /// How actual was computed.
    pub actual_explanation: String,
}

/// Every figure on `today`, each from its one function above.
pub fn figures(e: &OtjEnrolment, entries: &[LoggedTime], today: NaiveDate) -> OtjFigures {
    let rule = rule_for(e.start);
    let required = required_minimum(
        rule,
        e.start,
        e.planned_end,
        e.contracted_per_week,
        e.course_minimum_hours,
    );
    let on = clock_date(today, e.status, e.ended_on);
    let expected = expected_to_date(e.planned, e.start, e.planned_end, on);
    let duration = (e.planned_end - e.start).num_days();
    let elapsed = (on - e.start).num_days().clamp(0, duration.max(0));
    let actual = actual(rule, e.gateway, entries);
    let cut_off = match (rule, e.gateway) {
        (OtjRule::SixHoursAWeek, Some(g)) => {
            format!(", {} after gateway ({g})", actual.after_gateway)
        }
        _ => String::new(),
    };
    let actual_explanation = format!(
        "{} minutes = {} hours from {} off-the-job entries of types that count; left out: {} \
         on the job, {} reviews or assessments{cut_off}",
        actual.minutes,
        actual.hours,
        actual.counted.len(),
        actual.on_the_job,
        actual.not_counting,
    );
    OtjFigures {
        rule,
        planned: e.planned,
        planned_meets_minimum: required.hours.map(|r| e.planned >= r),
        required,
        expected_to_date: expected,
        as_of: on,
        behind_expected: actual.hours < expected,
        expected_explanation: format!(
            "{} planned hours × {elapsed}/{duration} days elapsed ({} to {on}, of {} to {}) \
             = {expected} hours",
            e.planned, e.start, e.start, e.planned_end
        ),
        actual_explanation,
        actual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActivityType::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn h(hundredths: i64) -> Hours {
        Hours::from_hundredths(hundredths)
    }

    fn entry(
        n: u128,
        date: NaiveDate,
        activity: ActivityType,
        off: bool,
        minutes: i64,
    ) -> LoggedTime {
        LoggedTime {
            id: Uuid::from_u128(n),
            date,
            activity,
            off_the_job: off,
            minutes,
        }
    }

    #[test]
    fn hours_are_exact_hundredths() {
        assert_eq!(h(3750).to_string(), "37.50");
        assert_eq!(h(5).to_string(), "0.05");
        assert_eq!(Hours::whole(187).to_string(), "187.00");
        // 10 minutes = 0.1666… hours: 0.17; 90 minutes = 1.50; 1 minute = 0.0166…: 0.02.
        assert_eq!(Hours::from_minutes(10), h(17));
        assert_eq!(Hours::from_minutes(90), h(150));
        assert_eq!(Hours::from_minutes(1), h(2));
        // The official return counts whole hours: 12.99 is 12.
        assert_eq!(h(1299).whole_hours(), 12);
    }

    /// "Starts before 1 Aug 2022: 20%; 1 Aug 2022 – 31 Jul 2025: 6 hours a week; from
    /// 1 Aug 2025: the standard's minimum."
    #[test]
    fn the_rule_is_chosen_by_start_date() {
        assert_eq!(rule_for(date(2019, 5, 1)), OtjRule::TwentyPercent);
        assert_eq!(rule_for(date(2022, 7, 31)), OtjRule::TwentyPercent);
        assert_eq!(rule_for(date(2022, 8, 1)), OtjRule::SixHoursAWeek);
        assert_eq!(rule_for(date(2025, 7, 31)), OtjRule::SixHoursAWeek);
        assert_eq!(rule_for(date(2025, 8, 1)), OtjRule::StandardMinimum);
        assert_eq!(rule_for(date(2027, 1, 1)), OtjRule::StandardMinimum);
    }

    /// "Starts before 1 Aug 2022: 20% of contracted hours."
    #[test]
    fn twenty_percent_of_contracted_hours() {
        // 2021-09-01 to 2022-08-31: 364 days = 52 weeks. 37.5 h × 20% = 7.5 h a week;
        // × 52 = 390.00 hours.
        let r = required_minimum(
            OtjRule::TwentyPercent,
            date(2021, 9, 1),
            date(2022, 8, 31),
            h(3750),
            None,
        );
        assert_eq!(r.hours, Some(h(39000)));
        assert!(r.explanation.contains("364 days"), "{}", r.explanation);
        // A year of 365 days is 52.142857 weeks: 7.5 × 365 / 7 = 391.0714… = 391.07.
        let r = required_minimum(
            OtjRule::TwentyPercent,
            date(2021, 1, 1),
            date(2022, 1, 1),
            h(3750),
            None,
        );
        assert_eq!(r.hours, Some(h(39107)));
        // Part-time, 20 h: 4 h a week × 52 weeks = 208.00.
        let r = required_minimum(
            OtjRule::TwentyPercent,
            date(2021, 9, 1),
            date(2022, 8, 31),
            h(2000),
            None,
        );
        assert_eq!(r.hours, Some(h(20800)));
    }

    /// "At least 6 hours a week on average for 30+ contracted hours a week, pro rata below
    /// 30."
    #[test]
    fn six_hours_a_week_pro_rata_below_thirty() {
        let (start, end) = (date(2023, 9, 1), date(2024, 8, 30));
        assert_eq!((end - start).num_days(), 364);
        let required = |contracted| {
            required_minimum(OtjRule::SixHoursAWeek, start, end, h(contracted), None).hours
        };
        // 37.5 h: 6 h × 52 weeks = 312.00.
        assert_eq!(required(3750), Some(h(31200)));
        // Exactly 30 h: still 6 h a week.
        assert_eq!(required(3000), Some(h(31200)));
        // 20 h: 6 × 20 / 30 = 4 h a week × 52 = 208.00.
        assert_eq!(required(2000), Some(h(20800)));
        // 29.5 h: 5.9 h a week × 52 = 306.80.
        assert_eq!(required(2950), Some(h(30680)));
        let r = required_minimum(OtjRule::SixHoursAWeek, start, end, h(2000), None);
        assert!(
            r.explanation.contains("4.00 hours a week"),
            "{}",
            r.explanation
        );
        // 2022-08-01 to 2023-08-01: 365 days; 6 × 365 / 7 = 312.857… = 312.86.
        let r = required_minimum(
            OtjRule::SixHoursAWeek,
            date(2022, 8, 1),
            date(2023, 8, 1),
            h(4000),
            None,
        );
        assert_eq!(r.hours, Some(h(31286)));
    }

    /// "A minimum number of hours set per apprenticeship standard (a course setting), at
    /// least 187."
    #[test]
    fn the_standards_minimum_at_least_187() {
        let (start, end) = (date(2025, 9, 1), date(2026, 9, 1));
        let required = |set| required_minimum(OtjRule::StandardMinimum, start, end, h(3750), set);
        assert_eq!(required(Some(250)).hours, Some(h(25000)));
        assert_eq!(required(Some(187)).hours, Some(h(18700)));
        // Set below the floor: raised to 187.
        let low = required(Some(150));
        assert_eq!(low.hours, Some(h(18700)));
        assert!(low.explanation.contains("below"), "{}", low.explanation);
        // Not set: no figure, and the reason.
        let none = required(None);
        assert_eq!(none.hours, None);
        assert!(
            none.explanation.contains("no off-the-job minimum set"),
            "{}",
            none.explanation
        );
    }

    /// "Expected to date (planned × elapsed fraction by default)."
    #[test]
    fn expected_to_date_is_planned_times_elapsed_fraction() {
        let (start, end) = (date(2026, 1, 1), date(2026, 4, 11));
        // 100 days; 400 planned hours. Day 25: 100.00; day 70: 280.00.
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2026, 1, 26)),
            h(10000)
        );
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2026, 3, 12)),
            h(28000)
        );
        // Before the start: nothing; past the end: all of it, no more.
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2025, 12, 1)),
            h(0)
        );
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2027, 1, 1)),
            h(40000)
        );
        // 1/3 of 100 hours (33.333…) rounds to 33.33; 2/3 (66.666…) to 66.67.
        let (s, e) = (date(2026, 1, 1), date(2026, 1, 4));
        assert_eq!(expected_to_date(h(10000), s, e, date(2026, 1, 2)), h(3333));
        assert_eq!(expected_to_date(h(10000), s, e, date(2026, 1, 3)), h(6667));
    }

    /// "English/maths, progress reviews and assessments do not count towards the minimum";
    /// the 2022–2025 rule "counts only up to gateway".
    #[test]
    fn only_off_the_job_time_that_counts_is_summed() {
        let gateway = Some(date(2024, 6, 28));
        let entries = [
            entry(1, date(2024, 1, 10), TrainerLedTraining, true, 420),
            entry(2, date(2024, 1, 11), DistanceLearning, true, 90),
            // On the job: left out.
            entry(3, date(2024, 1, 12), TechnicalExperience, false, 480),
            // Technical experience marked off the job counts.
            entry(4, date(2024, 1, 13), TechnicalExperience, true, 60),
            // A review and an assessment, even off the job: left out.
            entry(5, date(2024, 2, 1), ReviewFeedbackSupport, true, 60),
            entry(6, date(2024, 3, 1), AssessmentExamination, true, 120),
            // On the gateway day: counts; the day after: not under the 2022–2025 rule.
            entry(7, date(2024, 6, 28), CoachingMentoring, true, 30),
            entry(8, date(2024, 6, 29), CoachingMentoring, true, 45),
        ];
        // 420 + 90 + 60 + 30 = 600 minutes = 10.00 hours.
        let a = actual(OtjRule::SixHoursAWeek, gateway, &entries);
        assert_eq!(a.minutes, 600);
        assert_eq!(a.hours, h(1000));
        assert_eq!(a.counted, [1, 2, 4, 7].map(Uuid::from_u128).to_vec(),);
        assert_eq!((a.on_the_job, a.not_counting, a.after_gateway), (1, 2, 1));
        // The other rules have no gateway cut-off: 600 + 45 = 645 minutes = 10.75 hours.
        let a = actual(OtjRule::TwentyPercent, gateway, &entries);
        assert_eq!((a.minutes, a.hours, a.after_gateway), (645, h(1075), 0));
        let a = actual(OtjRule::StandardMinimum, gateway, &entries);
        assert_eq!(a.minutes, 645);
    }

    #[test]
    fn figures_put_it_together_with_their_explanations() {
        // A 2023 part-time start (20 h), 364 days, 208 planned hours, completed (gateway)
        // on 2024-06-28, day 301.
        let e = OtjEnrolment {
            start: date(2023, 9, 1),
            planned_end: date(2024, 8, 30),
            status: EnrolmentStatus::Completed,
            ended_on: Some(date(2024, 6, 28)),
            gateway: Some(date(2024, 6, 28)),
            contracted_per_week: h(2000),
            planned: h(20800),
            course_minimum_hours: None,
        };
        let entries = [
            entry(1, date(2023, 10, 2), TrainerLedTraining, true, 6000),
            entry(2, date(2024, 7, 1), TrainerLedTraining, true, 600),
        ];
        let f = figures(&e, &entries, date(2026, 3, 1));
        assert_eq!(f.rule, OtjRule::SixHoursAWeek);
        assert_eq!(f.required.hours, Some(h(20800)));
        assert_eq!(f.planned_meets_minimum, Some(true));
        // The clock stopped at gateway: 208 × 301 / 364 = 172.00 hours.
        assert_eq!((date(2024, 6, 28) - date(2023, 9, 1)).num_days(), 301);
        assert_eq!(f.as_of, date(2024, 6, 28));
        assert_eq!(f.expected_to_date, h(17200));
        // 6000 minutes = 100 hours; the entry after gateway is left out.
        assert_eq!(f.actual.hours, h(10000));
        assert!(f.behind_expected);
        assert!(
            f.expected_explanation.contains("301/364"),
            "{}",
            f.expected_explanation
        );
        assert!(
            f.actual_explanation.contains("1 after gateway"),
            "{}",
            f.actual_explanation
        );

        // From Aug 2025 without a course minimum: no figure, so no verdict on the plan.
        let e = OtjEnrolment {
            start: date(2025, 9, 1),
            planned_end: date(2026, 9, 1),
            status: EnrolmentStatus::InLearning,
            ended_on: None,
            gateway: None,
            course_minimum_hours: None,
            ..e
        };
        let f = figures(&e, &[], date(2026, 3, 1));
        assert_eq!(f.rule, OtjRule::StandardMinimum);
        assert_eq!(f.required.hours, None);
        assert_eq!(f.planned_meets_minimum, None);
        // 181 of 365 days: 208 × 181 / 365 = 103.145… = 103.15 hours.
        assert_eq!(f.expected_to_date, h(10315));
        assert!(f.behind_expected);
    }
}
