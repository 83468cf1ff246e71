//! Off-the-job compliance: the minimum the funding rules require, what the learner planned,
//! what they should have done by now and what they have logged. The rule is chosen by the
//! enrolment's start date, as the English funding rules change with it (DOMAIN.md, "Funding
//! rules"); every figure says which rule and which inputs (and for the actual hours, which
//! entries) produced it.
//!
//! Hours are exact: whole hundredths of an hour ([`Hours`]), as the database stores planned
//! and contracted hours, and time-log entries are whole minutes. Each figure is computed
//! from its inputs as one fraction and rounded once: the required minimum **up** to whole
//! hours, the official return's actual hours (OTJActHours) to the **nearest** whole hour,
//! the rest half up to the hundredth.
//!
//! The rules as applied, each documented at its function:
//! - statutory leave, 5.6 weeks a year pro rata (days × 28 / 365 / 5 weeks, rule P43.2), is
//!   deducted from the practical period before a weekly minimum is applied
//!   ([`weeks_less_leave`]);
//! - a week is 7 days and the planned duration is `planned end − start` in days;
//! - for part-time learners before August 2025 the planned dates are taken to already
//!   include the extended duration, and the minimum duration is extended pro rata
//!   ([`minimum_duration`]);
//! - from August 2025 the minimum is the standard's published one, at least 187, less
//!   recognised prior learning; before then prior learning shortens the planned dates
//!   themselves, so nothing more is deducted ([`required_minimum`]);
//! - expected to date uses the fixed planned end date and the progress clock, which pauses
//!   for breaks in learning and stops at the actual end ([`expected_to_date`]);
//! - actual hours count only up to gateway, for every start date, and never English and
//!   maths, progress reviews or assessments ([`exclusion`]).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::enrolment::EnrolmentStatus;
use crate::progress::{Break, clock_date, learning_days};
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

    /// Whole hours, rounded half up: 12.50 is 13, 12.49 is 12.
    pub fn nearest_whole(self) -> i64 {
        (self.0 + 50).div_euclid(100)
    }

    /// Whole hours, rounded up: 278.01 is 279.
    pub fn whole_up(self) -> i64 {
        (self.0 + 99).div_euclid(100)
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

/// `n / d` rounded up, on the same terms as [`div_round`].
fn div_up(n: i128, d: i128) -> i64 {
    if n < 0 || d <= 0 {
        return 0;
    }
    i64::try_from((n + d - 1) / d).unwrap_or(i64::MAX)
}

/// Weeks less statutory leave in `days` days, as the exact fraction `days × 1629 / 12775`:
/// `days / 7` weeks less `days × 28 / 365 / 5` weeks of leave (5.6 weeks a year pro rata,
/// funding rule P43.2) is `days × (1825 − 196) / 12775`.
const LEAVE_FREE_WEEKS: (i128, i128) = (1629, 12775);

/// The weeks and the leave in words, for an explanation: "364 days = 52.00 weeks, less
/// 5.58 weeks' statutory leave = 46.42 weeks".
pub fn weeks_less_leave(days: i64) -> String {
    let d = i128::from(days.max(0));
    let weeks = Hours(div_round(d * 100, 7));
    let leave = Hours(div_round(d * 560, 365));
    let net = Hours(div_round(d * 100 * LEAVE_FREE_WEEKS.0, LEAVE_FREE_WEEKS.1));
    format!(
        "{days} days = {weeks} weeks, less {leave} weeks' statutory leave (5.6 a year pro rata) = {net} weeks"
    )
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
            OtjRule::TwentyPercent => {
                "starts before 1 Aug 2022: 20% of contracted hours over the practical period \
                 less statutory leave; minimum duration 12 months"
            }
            OtjRule::SixHoursAWeek => {
                "starts 1 Aug 2022 – 31 Jul 2025: 6 hours a week over the practical period less \
                 statutory leave for 30+ contracted hours a week, 20% of contracted hours \
                 below 30 with the duration extended pro rata; minimum duration 12 months"
            }
            OtjRule::StandardMinimum => {
                "starts from 1 Aug 2025: the published minimum for the apprenticeship \
                 standard, at least 187 hours, reduced only by recognised prior learning; \
                 minimum duration 8 months"
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

/// "6 hours a week … for 30+ contracted hours; below 30 h, 20% of contracted hours."
const SIX_HOURS_THRESHOLD_HUNDREDTHS: i64 = 3000;

/// The published minimum off-the-job hours of the enrolment's apprenticeship standard, in
/// force at its start date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedMinimum {
    /// Whole hours.
    pub hours: i64,
    /// Where it comes from, in words ("standard ST0118 v1.0, from 2025-08-01").
    pub source: String,
}

/// The minimum the rule requires, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredMinimum {
    /// The hours, whole (rounded up), if the rule yields a figure.
    pub hours: Option<Hours>,
    /// The rule's inputs and arithmetic, in words.
    pub explanation: String,
}

/// The off-the-job minimum an enrolment's rule requires over its planned duration, rounded
/// **up** to whole hours ("the required minimum is rounded up"):
///
/// - 20% rule: 20% of contracted hours a week × weeks less statutory leave
///   ([`LEAVE_FREE_WEEKS`]) = `contracted × days × 1629 / (5 × 12775)`.
/// - six-hour rule: 6 hours × weeks less leave for 30+ contracted hours a week; below 30,
///   20% of contracted hours a week × weeks less leave (the same as 6 × contracted / 30).
///   The planned dates are taken as already extended for a part-time learner ("with the
///   duration extended pro rata"): the planned end date is fixed at start from that plan,
///   and [`minimum_duration`] checks it.
/// - standard rule: the standard's published minimum in force at the start date
///   (`published`), raised to 187 if lower ("at least 187"), less the hours of recognised
///   prior learning (`rpl`, "reduced only by recorded RPL"), never below zero. Without a
///   published minimum there is no figure, and the explanation says why.
///
/// Prior learning counts only under the standard rule: before August 2025 it shortened the
/// planned duration, and the minimum follows from those dates already.
pub fn required_minimum(
    rule: OtjRule,
    start: NaiveDate,
    planned_end: NaiveDate,
    contracted_per_week: Hours,
    published: Option<&PublishedMinimum>,
    rpl: Hours,
) -> RequiredMinimum {
    let days = (planned_end - start).num_days().max(0);
    let c = i128::from(contracted_per_week.hundredths().max(0));
    let d = i128::from(days);
    let (n, m) = LEAVE_FREE_WEEKS;
    let weeks = weeks_less_leave(days);
    let period = format!("{start} to {planned_end}: {weeks}");
    // 20% of c/100 hours a week over d × n / m weeks, in hours: c × d × n / (500 × m).
    let twenty_percent = |exact_hundredths: i64| {
        let hours = div_up(c * d * n, 500 * m);
        (Hours::whole(hours), Hours(exact_hundredths))
    };
    match rule {
        OtjRule::TwentyPercent => {
            let (hours, exact) = twenty_percent(div_round(c * d * n, 5 * m));
            RequiredMinimum {
                hours: Some(hours),
                explanation: format!(
                    "20% × {contracted_per_week} contracted hours a week × ({period}) \
                     = {exact}, rounded up: {hours} hours"
                ),
            }
        }
        OtjRule::SixHoursAWeek => {
            if c >= i128::from(SIX_HOURS_THRESHOLD_HUNDREDTHS) {
                let exact = Hours(div_round(600 * d * n, m));
                let hours = Hours::whole(div_up(6 * d * n, m));
                RequiredMinimum {
                    hours: Some(hours),
                    explanation: format!(
                        "6 hours a week (30 or more contracted hours) × ({period}) = {exact}, \
                         rounded up: {hours} hours"
                    ),
                }
            } else {
                let (hours, exact) = twenty_percent(div_round(c * d * n, 5 * m));
                RequiredMinimum {
                    hours: Some(hours),
                    explanation: format!(
                        "below 30 contracted hours: 20% × {contracted_per_week} = {} hours a \
                         week × ({period}) = {exact}, rounded up: {hours} hours",
                        Hours(div_round(c, 5))
                    ),
                }
            }
        }
        OtjRule::StandardMinimum => {
            let Some(published) = published else {
                return RequiredMinimum {
                    hours: None,
                    explanation: "no published minimum for the course's apprenticeship \
                                  standard at the start date: an admin sets the course's \
                                  standard, and a platform operator imports the published \
                                  minimums"
                        .to_owned(),
                };
            };
            let floor = published.hours.max(STANDARD_MINIMUM_FLOOR);
            let raised = if published.hours < STANDARD_MINIMUM_FLOOR {
                format!(", raised to the rule's floor of {STANDARD_MINIMUM_FLOOR}")
            } else {
                String::new()
            };
            let less = Hours::whole(floor).hundredths() - rpl.hundredths().max(0);
            let hours = Hours::whole(Hours(less.max(0)).whole_up());
            let rpl_words = if rpl.hundredths() > 0 {
                format!(", less {rpl} hours of recognised prior learning, rounded up")
            } else {
                String::new()
            };
            RequiredMinimum {
                hours: Some(hours),
                explanation: format!(
                    "{} hours published for {}{raised}{rpl_words}: {hours} hours",
                    published.hours, published.source
                ),
            }
        }
    }
}

/// The shortest planned duration the rule allows, and whether the plan keeps to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinimumDuration {
    /// The earliest planned end date the rule allows.
    pub earliest_end: NaiveDate,
    /// Whether the planned end date is on or after it.
    pub met: bool,
    /// The rule and arithmetic, in words.
    pub explanation: String,
}

/// "Minimum duration 12 months" before August 2025 and "8 months" from it. A period of
/// 12 months from 1 September ends on 31 August (the day before the same date a year on),
/// so the earliest planned end is `start + months − 1 day`. Before August 2025 a learner
/// contracted for fewer than 30 hours a week has the duration extended pro rata: the days
/// × 30 / contracted hours, rounded up to a whole day.
pub fn minimum_duration(
    rule: OtjRule,
    start: NaiveDate,
    planned_end: NaiveDate,
    contracted_per_week: Hours,
) -> MinimumDuration {
    let months = if rule == OtjRule::StandardMinimum {
        8
    } else {
        12
    };
    let plain = start
        .checked_add_months(chrono::Months::new(months))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start);
    let days = (plain - start).num_days();
    let c = contracted_per_week.hundredths();
    let (earliest_end, how) =
        if rule != OtjRule::StandardMinimum && c > 0 && c < SIX_HOURS_THRESHOLD_HUNDREDTHS {
            let extended = div_up(
                i128::from(days) * i128::from(SIX_HOURS_THRESHOLD_HUNDREDTHS),
                i128::from(c),
            );
            let end = start
                .checked_add_days(chrono::Days::new(u64::try_from(extended).unwrap_or(0)))
                .unwrap_or(plain);
            (
                end,
                format!(
                    "{months} months ({days} days) extended pro rata for {contracted_per_week} \
                 contracted hours a week: {days} × 30 / {contracted_per_week} = {extended} days"
                ),
            )
        } else {
            (plain, format!("{months} months"))
        };
    let met = planned_end >= earliest_end;
    MinimumDuration {
        earliest_end,
        met,
        explanation: format!(
            "minimum duration {how}: a planned end on or after {earliest_end}; planned \
             {planned_end}{}",
            if met { "" } else { ", too short" }
        ),
    }
}

/// "Expected to date = planned × elapsed fraction of the practical period, breaks
/// excluded": the fraction is the days of learning up to `on` ([`learning_days`]: the days
/// of breaks left out) over the planned duration (start to the fixed planned end date),
/// clamped to [0, 1]: nothing is expected before the start, and no more than planned once
/// the planned days of learning are done. `on` is the progress clock ([`clock_date`]),
/// which stops at the actual end date of a withdrawn or completed enrolment.
pub fn expected_to_date(
    planned: Hours,
    start: NaiveDate,
    planned_end: NaiveDate,
    on: NaiveDate,
    breaks: &[Break],
) -> Hours {
    let duration = (planned_end - start).num_days();
    if duration <= 0 {
        return planned;
    }
    let elapsed = learning_days(start, on, breaks).clamp(0, duration);
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
    /// Logged against an English or maths component (a curriculum flag).
    pub english_maths: bool,
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
    /// English or maths, which never count.
    EnglishMaths,
    /// Dated after gateway: the practical period had ended.
    AfterGateway,
}

/// Whether an entry counts towards the actual off-the-job hours, and if not why: it must
/// be off the job, of a type that counts (not a progress review or an assessment), not
/// English or maths ("English and maths … never count"), and dated no later than the
/// gateway date ("actual hours count only up to gateway, for every start date").
pub fn exclusion(gateway: Option<NaiveDate>, entry: &LoggedTime) -> Option<Exclusion> {
    if !entry.off_the_job {
        Some(Exclusion::OnTheJob)
    } else if !entry.activity.counts_towards_minimum() {
        Some(Exclusion::DoesNotCount)
    } else if entry.english_maths {
        Some(Exclusion::EnglishMaths)
    } else if gateway.is_some_and(|g| entry.date > g) {
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
    /// The same to the nearest whole hour, half up: the official return's OTJActHours
    /// ("to the nearest whole hour"), computed from the minutes so it is rounded once.
    pub ilr_hours: i64,
    /// The entries summed, oldest first.
    pub counted: Vec<Uuid>,
    /// Entries left out as on the job.
    pub on_the_job: u32,
    /// Entries left out as reviews or assessments.
    pub not_counting: u32,
    /// Entries left out as English or maths.
    pub english_maths: u32,
    /// Entries left out as after gateway.
    pub after_gateway: u32,
}

/// Sums the entries that count ([`exclusion`]) and notes how many were left out and why.
pub fn actual(gateway: Option<NaiveDate>, entries: &[LoggedTime]) -> Actual {
    let mut sorted: Vec<&LoggedTime> = entries.iter().collect();
    sorted.sort_by_key(|e| (e.date, e.id));
    let mut out = Actual::default();
    for entry in sorted {
        match exclusion(gateway, entry) {
            None => {
                out.minutes += entry.minutes;
                out.counted.push(entry.id);
            }
            Some(Exclusion::OnTheJob) => out.on_the_job += 1,
            Some(Exclusion::DoesNotCount) => out.not_counting += 1,
            Some(Exclusion::EnglishMaths) => out.english_maths += 1,
            Some(Exclusion::AfterGateway) => out.after_gateway += 1,
        }
    }
    out.hours = Hours::from_minutes(out.minutes);
    out.ilr_hours = div_round(i128::from(out.minutes), 60);
    out
}

/// An enrolment, as far as off-the-job hours care.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The standard's published minimum at the start date, if known.
    pub published_minimum: Option<PublishedMinimum>,
    /// Off-the-job hours recognised prior learning took off the minimum.
    pub rpl: Hours,
    /// Breaks in learning, ended or not.
    pub breaks: Vec<Break>,
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
    /// Whether the plan, in the whole hours of the official return (PHours), meets the
    /// minimum; unknown without a minimum.
    pub planned_meets_minimum: Option<bool>,
    /// Whether the planned duration is long enough.
    pub minimum_duration: MinimumDuration,
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
        e.published_minimum.as_ref(),
        e.rpl,
    );
    let on = clock_date(today, e.status, e.ended_on);
    let expected = expected_to_date(e.planned, e.start, e.planned_end, on, &e.breaks);
    let duration = (e.planned_end - e.start).num_days();
    let calendar = (on - e.start).num_days().max(0);
    let elapsed = learning_days(e.start, on, &e.breaks).clamp(0, duration.max(0));
    let paused = calendar - learning_days(e.start, on, &e.breaks);
    let breaks = if paused > 0 {
        format!(", less {paused} days of breaks in learning")
    } else {
        String::new()
    };
    let actual = actual(e.gateway, entries);
    let cut_off = match e.gateway {
        Some(g) => format!(", {} after gateway ({g})", actual.after_gateway),
        None => String::new(),
    };
    let actual_explanation = format!(
        "{} minutes = {} hours (official return: {} whole hours, to the nearest hour) from \
         {} off-the-job entries of types that count; left out: {} on the job, {} reviews or \
         assessments, {} English or maths{cut_off}",
        actual.minutes,
        actual.hours,
        actual.ilr_hours,
        actual.counted.len(),
        actual.on_the_job,
        actual.not_counting,
        actual.english_maths,
    );
    OtjFigures {
        rule,
        planned: e.planned,
        // The plan as the official return records it (PHours, a whole number) against the
        // whole-hour minimum, so the workbook and this verdict never disagree.
        planned_meets_minimum: required
            .hours
            .map(|r| Hours::whole(e.planned.nearest_whole()) >= r),
        required,
        minimum_duration: minimum_duration(rule, e.start, e.planned_end, e.contracted_per_week),
        expected_to_date: expected,
        as_of: on,
        behind_expected: actual.hours < expected,
        expected_explanation: format!(
            "{} planned hours × {elapsed}/{duration} days of learning ({calendar} days from \
             {} to {on}{breaks}; planned {} to {}) = {expected} hours",
            e.planned, e.start, e.start, e.planned_end
        ),
        actual_explanation,
        actual,
    }
}

/// One point of an enrolment's off-the-job trend: by `on`, what the plan expected, what
/// the rule's minimum asks at the same pace, and what had been done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtjTrendPoint {
    /// The day.
    pub on: NaiveDate,
    /// Planned hours expected by then ([`expected_to_date`] of the plan).
    pub planned: Hours,
    /// The minimum's hours expected by then at the same pace ([`expected_to_date`] of the
    /// required minimum); none when the rule yields no figure.
    pub required: Option<Hours>,
    /// Actual hours by then: the entries dated on or before it that count ([`exclusion`]).
    pub actual: Hours,
}

/// The off-the-job trend for a chart: a point at the start date, at the last day of every
/// month after it, and at the progress clock's date ([`clock_date`]: today, or the end
/// date of a finished enrolment). Each figure is the one its function above computes for
/// that day: the last point's planned hours are [`figures`]'s expected to date, and its
/// actual hours are [`figures`]'s unless entries are dated after the clock's date.
pub fn trend(e: &OtjEnrolment, entries: &[LoggedTime], today: NaiveDate) -> Vec<OtjTrendPoint> {
    let on = clock_date(today, e.status, e.ended_on);
    let required = required_minimum(
        rule_for(e.start),
        e.start,
        e.planned_end,
        e.contracted_per_week,
        e.published_minimum.as_ref(),
        e.rpl,
    )
    .hours;
    let mut days = vec![e.start];
    let mut month_end = last_of_month(e.start);
    while month_end < on {
        if month_end > e.start {
            days.push(month_end);
        }
        month_end = last_of_month(month_end + chrono::Days::new(1));
    }
    if on > e.start {
        days.push(on);
    }
    let mut counted: Vec<&LoggedTime> = entries
        .iter()
        .filter(|entry| exclusion(e.gateway, entry).is_none())
        .collect();
    counted.sort_by_key(|entry| entry.date);
    let mut next = 0;
    let mut minutes = 0;
    days.into_iter()
        .map(|day| {
            while let Some(entry) = counted.get(next).filter(|entry| entry.date <= day) {
                minutes += entry.minutes;
                next += 1;
            }
            let pace = |hours| expected_to_date(hours, e.start, e.planned_end, day, &e.breaks);
            OtjTrendPoint {
                on: day,
                planned: pace(e.planned),
                required: required.map(pace),
                actual: Hours::from_minutes(minutes),
            }
        })
        .collect()
}

/// The last day of `day`'s month.
fn last_of_month(day: NaiveDate) -> NaiveDate {
    let first = day.with_day(1).unwrap_or(day);
    (first + chrono::Months::new(1)).pred_opt().unwrap_or(day)
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
            english_maths: false,
            minutes,
        }
    }

    fn published(hours: i64) -> PublishedMinimum {
        PublishedMinimum {
            hours,
            source: "standard ST0118 v1.0, from 2025-08-01".into(),
        }
    }

    #[test]
    fn hours_are_exact_hundredths_and_round_as_the_return_needs() {
        assert_eq!(h(3750).to_string(), "37.50");
        assert_eq!(h(5).to_string(), "0.05");
        assert_eq!(Hours::whole(187).to_string(), "187.00");
        // 10 minutes = 0.1666… hours: 0.17; 90 minutes = 1.50; 1 minute = 0.0166…: 0.02.
        assert_eq!(Hours::from_minutes(10), h(17));
        assert_eq!(Hours::from_minutes(90), h(150));
        assert_eq!(Hours::from_minutes(1), h(2));
        // Nearest whole hour, half up: 12.49 is 12, 12.50 is 13, 12.99 is 13.
        assert_eq!(h(1249).nearest_whole(), 12);
        assert_eq!(h(1250).nearest_whole(), 13);
        assert_eq!(h(1299).nearest_whole(), 13);
        // Up: 278.01 is 279; 279.00 stays 279.
        assert_eq!(h(27801).whole_up(), 279);
        assert_eq!(h(27900).whole_up(), 279);
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

    /// "Starts before 1 Aug 2022: minimum 20% of contracted hours over the practical
    /// period less leave", leave being 5.6 weeks a year pro rata; rounded up.
    #[test]
    fn twenty_percent_of_contracted_hours_less_statutory_leave() {
        let required = |start, end, contracted| {
            required_minimum(
                OtjRule::TwentyPercent,
                start,
                end,
                h(contracted),
                None,
                h(0),
            )
        };
        // 2021-09-01 to 2022-08-31: 364 days = 52 weeks; leave 5.6 × 364/365 = 5.5847
        // weeks; 46.4153 weeks. 20% × 37.5 = 7.5 h a week × 46.4153 = 348.115 → 349.
        let r = required(date(2021, 9, 1), date(2022, 8, 31), 3750);
        assert_eq!(r.hours, Some(Hours::whole(349)));
        assert!(
            r.explanation
                .contains("364 days = 52.00 weeks, less 5.58 weeks"),
            "{}",
            r.explanation
        );
        assert!(
            r.explanation.contains("= 348.12, rounded up: 349.00"),
            "{}",
            r.explanation
        );
        // 365 days: 52.142857 − 5.6 = 46.542857 weeks × 7.5 = 349.07 → 350.
        let r = required(date(2021, 1, 1), date(2022, 1, 1), 3750);
        assert_eq!(r.hours, Some(Hours::whole(350)));
        // Part-time, 20 h: 4 h a week × 46.4153 = 185.66 → 186.
        let r = required(date(2021, 9, 1), date(2022, 8, 31), 2000);
        assert_eq!(r.hours, Some(Hours::whole(186)));
    }

    /// "6 hours a week × (weeks less leave) for 30+ contracted hours; below 30 h, 20% of
    /// contracted hours."
    #[test]
    fn six_hours_a_week_less_leave_and_twenty_percent_below_thirty() {
        let (start, end) = (date(2023, 9, 1), date(2024, 8, 30));
        assert_eq!((end - start).num_days(), 364);
        let required = |contracted| {
            required_minimum(
                OtjRule::SixHoursAWeek,
                start,
                end,
                h(contracted),
                None,
                h(0),
            )
            .hours
        };
        // 37.5 h: 6 × 46.4153 weeks = 278.49 → 279 (not 6 × 52 = 312).
        assert_eq!(required(3750), Some(Hours::whole(279)));
        // Exactly 30 h: still 6 h a week.
        assert_eq!(required(3000), Some(Hours::whole(279)));
        // 20 h: 20% = 4 h a week × 46.4153 = 185.66 → 186.
        assert_eq!(required(2000), Some(Hours::whole(186)));
        // 29.5 h: 5.9 h a week × 46.4153 = 273.85 → 274.
        assert_eq!(required(2950), Some(Hours::whole(274)));
        let r = required_minimum(OtjRule::SixHoursAWeek, start, end, h(2000), None, h(0));
        assert!(
            r.explanation.contains("4.00 hours a week"),
            "{}",
            r.explanation
        );
        // The 12-month plan: 2022-08-01 to 2023-08-01, 365 days, 40 h:
        // 6 × (52.142857 − 5.6) = 6 × 46.542857 = 279.257 → 280 (was 312.86).
        let r = required_minimum(
            OtjRule::SixHoursAWeek,
            date(2022, 8, 1),
            date(2023, 8, 1),
            h(4000),
            None,
            h(0),
        );
        assert_eq!(r.hours, Some(Hours::whole(280)));
        // Prior learning is not deducted under this rule: it shortened the dates.
        let r = required_minimum(OtjRule::SixHoursAWeek, start, end, h(3750), None, h(5000));
        assert_eq!(r.hours, Some(Hours::whole(279)));
    }

    /// "The published minimum for the standard, at least 187 h, reduced only by recorded
    /// recognised prior learning."
    #[test]
    fn the_standards_published_minimum_at_least_187_less_prior_learning() {
        let (start, end) = (date(2025, 9, 1), date(2026, 9, 1));
        let required = |p: Option<PublishedMinimum>, rpl| {
            required_minimum(
                OtjRule::StandardMinimum,
                start,
                end,
                h(3750),
                p.as_ref(),
                h(rpl),
            )
        };
        assert_eq!(
            required(Some(published(250)), 0).hours,
            Some(Hours::whole(250))
        );
        assert_eq!(
            required(Some(published(187)), 0).hours,
            Some(Hours::whole(187))
        );
        // Published below the floor: raised to 187.
        let low = required(Some(published(150)), 0);
        assert_eq!(low.hours, Some(Hours::whole(187)));
        assert!(low.explanation.contains("raised"), "{}", low.explanation);
        // 300 less 40.50 hours of prior learning = 259.50, rounded up: 260.
        let rpl = required(Some(published(300)), 4050);
        assert_eq!(rpl.hours, Some(Hours::whole(260)));
        assert!(
            rpl.explanation
                .contains("less 40.50 hours of recognised prior learning"),
            "{}",
            rpl.explanation
        );
        assert!(rpl.explanation.contains("ST0118"), "{}", rpl.explanation);
        // Prior learning may take it below 187 (only the published figure is floored):
        // 187 − 50 = 137.
        assert_eq!(
            required(Some(published(187)), 5000).hours,
            Some(Hours::whole(137))
        );
        // No published minimum: no figure, and the reason.
        let none = required(None, 0);
        assert_eq!(none.hours, None);
        assert!(
            none.explanation.contains("no published minimum"),
            "{}",
            none.explanation
        );
    }

    /// "Minimum duration 12 months" before August 2025 (extended pro rata below 30
    /// contracted hours), "8 months" from it.
    #[test]
    fn minimum_duration_by_rule() {
        let start = date(2023, 9, 1);
        // 12 months from 2023-09-01 end on 2024-08-31.
        let d = minimum_duration(OtjRule::SixHoursAWeek, start, date(2024, 8, 31), h(3750));
        assert_eq!((d.earliest_end, d.met), (date(2024, 8, 31), true));
        let d = minimum_duration(OtjRule::SixHoursAWeek, start, date(2024, 8, 30), h(3750));
        assert!(!d.met);
        assert!(d.explanation.contains("too short"), "{}", d.explanation);
        // 20 contracted hours: 2023-09-01 to 2024-08-31 is 365 days (2024 is a leap year);
        // × 30 / 20 = 547.5 → 548 days: 2023-09-01 + 366 = 2024-09-01, + 182 = 2025-03-02.
        let d = minimum_duration(OtjRule::SixHoursAWeek, start, date(2025, 3, 1), h(2000));
        assert_eq!((d.earliest_end, d.met), (date(2025, 3, 2), false));
        assert!(d.explanation.contains("548 days"), "{}", d.explanation);
        // Before 2022 also 12 months.
        let d = minimum_duration(
            OtjRule::TwentyPercent,
            date(2021, 9, 1),
            date(2022, 8, 31),
            h(3750),
        );
        assert_eq!((d.earliest_end, d.met), (date(2022, 8, 31), true));
        // From August 2025: 8 months, 2025-09-01 to 2026-04-30, no pro rata.
        let d = minimum_duration(
            OtjRule::StandardMinimum,
            date(2025, 9, 1),
            date(2026, 4, 30),
            h(2000),
        );
        assert_eq!((d.earliest_end, d.met), (date(2026, 4, 30), true));
    }

    /// "Expected to date: planned × elapsed fraction of the practical period, breaks
    /// excluded."
    #[test]
    fn expected_to_date_is_planned_times_the_fraction_of_learning_days() {
        let (start, end) = (date(2026, 1, 1), date(2026, 4, 11));
        // 100 days; 400 planned hours. Day 25: 100.00; day 70: 280.00.
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2026, 1, 26), &[]),
            h(10000)
        );
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2026, 3, 12), &[]),
            h(28000)
        );
        // Before the start: nothing; past the end: all of it, no more.
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2025, 12, 1), &[]),
            h(0)
        );
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2027, 1, 1), &[]),
            h(40000)
        );
        // 1/3 of 100 hours (33.333…) rounds to 33.33; 2/3 (66.666…) to 66.67.
        let (s, e) = (date(2026, 1, 1), date(2026, 1, 4));
        assert_eq!(
            expected_to_date(h(10000), s, e, date(2026, 1, 2), &[]),
            h(3333)
        );
        assert_eq!(
            expected_to_date(h(10000), s, e, date(2026, 1, 3), &[]),
            h(6667)
        );
        // A break of 20 days (2026-02-01, back 2026-02-21): on day 70, 50 days of
        // learning: 400 × 50/100 = 200.00; a break still going on since 2026-03-02 holds
        // it at 60 days, 240.00, for as long as it lasts.
        let back = Break {
            from: date(2026, 2, 1),
            until: Some(date(2026, 2, 21)),
        };
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2026, 3, 12), &[back]),
            h(20000)
        );
        let open = Break {
            from: date(2026, 3, 2),
            until: None,
        };
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2026, 3, 12), &[open]),
            h(24000)
        );
        assert_eq!(
            expected_to_date(h(40000), start, end, date(2026, 12, 25), &[open]),
            h(24000)
        );
    }

    /// "English and maths, progress reviews and assessments never count"; "actual hours
    /// count only up to gateway, for every start date"; only off-the-job time counts.
    #[test]
    fn only_off_the_job_time_that_counts_is_summed_up_to_gateway() {
        let gateway = Some(date(2024, 6, 28));
        let mut maths = entry(9, date(2024, 1, 14), DistanceLearning, true, 120);
        maths.english_maths = true;
        let entries = [
            entry(1, date(2024, 1, 10), TrainerLedTraining, true, 420),
            entry(2, date(2024, 1, 11), DistanceLearning, true, 90),
            // On the job: left out.
            entry(3, date(2024, 1, 12), TechnicalExperience, false, 480),
            // Technical experience staff marked off the job counts.
            entry(4, date(2024, 1, 13), TechnicalExperience, true, 60),
            // A review and an assessment, even off the job: left out.
            entry(5, date(2024, 2, 1), ReviewFeedbackSupport, true, 60),
            entry(6, date(2024, 3, 1), AssessmentExamination, true, 120),
            // On the gateway day: counts; the day after: not.
            entry(7, date(2024, 6, 28), CoachingMentoring, true, 30),
            entry(8, date(2024, 6, 29), CoachingMentoring, true, 45),
            // Functional Skills maths: left out.
            maths,
        ];
        // 420 + 90 + 60 + 30 = 600 minutes = 10.00 hours.
        let a = actual(gateway, &entries);
        assert_eq!((a.minutes, a.hours, a.ilr_hours), (600, h(1000), 10));
        assert_eq!(a.counted, [1, 2, 4, 7].map(Uuid::from_u128).to_vec());
        assert_eq!(
            (
                a.on_the_job,
                a.not_counting,
                a.english_maths,
                a.after_gateway
            ),
            (1, 2, 1, 1)
        );
        // Without a gateway: 600 + 45 = 645 minutes = 10.75 hours; 11 to the nearest hour.
        let a = actual(None, &entries);
        assert_eq!(
            (a.minutes, a.hours, a.ilr_hours, a.after_gateway),
            (645, h(1075), 11, 0)
        );
        // 629 minutes = 10.483 hours: 10.48, and 10 whole; 630 = 10.50: 11 (half up).
        let a = actual(
            None,
            &[entry(1, date(2024, 1, 1), CoachingMentoring, true, 629)],
        );
        assert_eq!((a.hours, a.ilr_hours), (h(1048), 10));
        let a = actual(
            None,
            &[entry(1, date(2024, 1, 1), CoachingMentoring, true, 630)],
        );
        assert_eq!((a.hours, a.ilr_hours), (h(1050), 11));
    }

    fn pre_2025_part_time() -> OtjEnrolment {
        OtjEnrolment {
            start: date(2023, 9, 1),
            planned_end: date(2024, 8, 30),
            status: EnrolmentStatus::Completed,
            ended_on: Some(date(2024, 6, 28)),
            gateway: Some(date(2024, 6, 28)),
            contracted_per_week: h(2000),
            planned: h(20800),
            published_minimum: None,
            rpl: h(0),
            breaks: vec![],
        }
    }

    /// A point at the start, at each month's end and today; the planned and required
    /// hours paced by days, actual summed from the entries that count by each day.
    #[test]
    fn trend_by_month_end() {
        let e = OtjEnrolment {
            start: date(2025, 9, 1),
            planned_end: date(2026, 8, 31),
            status: EnrolmentStatus::InLearning,
            ended_on: None,
            gateway: None,
            contracted_per_week: h(3750),
            planned: h(30000),
            published_minimum: Some(published(280)),
            rpl: h(0),
            breaks: vec![],
        };
        let entries = [
            entry(1, date(2025, 9, 10), TrainerLedTraining, true, 120),
            // On the month's last day: counted by that point.
            entry(2, date(2025, 9, 30), TrainerLedTraining, true, 60),
            // On the job: never counted.
            entry(3, date(2025, 10, 5), TrainerLedTraining, false, 600),
            entry(4, date(2025, 11, 1), TrainerLedTraining, true, 90),
        ];
        let points = trend(&e, &entries, date(2025, 11, 15));
        let shown: Vec<_> = points
            .iter()
            .map(|p| (p.on, p.planned, p.required, p.actual))
            .collect();
        // 364 planned days. Planned 300 h, required 280 h (the standard's minimum).
        assert_eq!(
            shown,
            [
                (date(2025, 9, 1), h(0), Some(h(0)), h(0)),
                // 29 days: 30000 × 29 / 364 = 2390.1 → 23.90; 28000 × 29 / 364 = 2230.8
                // → 22.31; 120 + 60 minutes = 3 h.
                (date(2025, 9, 30), h(2390), Some(h(2231)), h(300)),
                // 60 days: 30000 × 60 / 364 = 4945.1 → 49.45; 28000 × 60 / 364 = 4615.4
                // → 46.15; the on-the-job 600 minutes left out.
                (date(2025, 10, 31), h(4945), Some(h(4615)), h(300)),
                // 75 days: 30000 × 75 / 364 = 6181.3 → 61.81; 28000 × 75 / 364 = 5769.2
                // → 57.69; 180 + 90 minutes = 4.5 h.
                (date(2025, 11, 15), h(6181), Some(h(5769)), h(450)),
            ]
        );
    }

    /// An enrolment that starts in the future has one point, at its start.
    #[test]
    fn trend_before_the_start() {
        let e = OtjEnrolment {
            start: date(2026, 1, 5),
            planned_end: date(2027, 1, 4),
            status: EnrolmentStatus::InLearning,
            ended_on: None,
            gateway: None,
            contracted_per_week: h(3750),
            planned: h(30000),
            published_minimum: None,
            rpl: h(0),
            breaks: vec![],
        };
        let points = trend(&e, &[], date(2025, 12, 1));
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].on, date(2026, 1, 5));
        assert_eq!(points[0].planned, h(0));
    }

    /// 2022–25 era, part-time, completed at gateway.
    #[test]
    fn figures_of_a_part_time_learner_at_gateway() {
        // A 2023 part-time start (20 h), 364 days, 208 planned hours, completed (gateway)
        // on 2024-06-28, day 301.
        let e = pre_2025_part_time();
        let entries = [
            entry(1, date(2023, 10, 2), TrainerLedTraining, true, 6000),
            entry(2, date(2024, 7, 1), TrainerLedTraining, true, 600),
        ];
        let f = figures(&e, &entries, date(2026, 3, 1));
        assert_eq!(f.rule, OtjRule::SixHoursAWeek);
        // 20% × 20 h = 4 h a week × 46.4153 weeks = 185.66 → 186.
        assert_eq!(f.required.hours, Some(Hours::whole(186)));
        assert_eq!(f.planned_meets_minimum, Some(true));
        // 364 days against 548 needed at 20 h a week (see minimum_duration_by_rule).
        assert!(!f.minimum_duration.met);
        // The clock stopped at gateway: 208 × 301 / 364 = 172.00 hours.
        assert_eq!((date(2024, 6, 28) - date(2023, 9, 1)).num_days(), 301);
        assert_eq!(f.as_of, date(2024, 6, 28));
        assert_eq!(f.expected_to_date, h(17200));
        // 6000 minutes = 100 hours; the entry after gateway is left out.
        assert_eq!((f.actual.hours, f.actual.ilr_hours), (h(10000), 100));
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
    }

    /// Before 2022, gateway now stops actual hours too.
    #[test]
    fn figures_before_2022_stop_at_gateway() {
        // 2021-09-01 to 2022-08-31, 37.5 h: 349 required (see the 20% test).
        let e = OtjEnrolment {
            start: date(2021, 9, 1),
            planned_end: date(2022, 8, 31),
            contracted_per_week: h(3750),
            planned: h(36000),
            gateway: Some(date(2022, 8, 1)),
            ended_on: Some(date(2022, 8, 1)),
            ..pre_2025_part_time()
        };
        let entries = [
            entry(1, date(2022, 7, 1), TrainerLedTraining, true, 600),
            entry(2, date(2022, 8, 2), TrainerLedTraining, true, 600),
        ];
        let f = figures(&e, &entries, date(2026, 3, 1));
        assert_eq!(f.rule, OtjRule::TwentyPercent);
        assert_eq!(f.required.hours, Some(Hours::whole(349)));
        assert_eq!(f.planned_meets_minimum, Some(true));
        assert!(f.minimum_duration.met);
        // Only the entry before gateway: 600 minutes = 10 hours.
        assert_eq!((f.actual.minutes, f.actual.after_gateway), (600, 1));
    }

    /// From August 2025: the standard's minimum less prior learning, a break in the middle,
    /// English and maths left out.
    #[test]
    fn figures_from_august_2025_with_a_break_and_prior_learning() {
        let e = OtjEnrolment {
            start: date(2025, 9, 1),
            planned_end: date(2026, 8, 31),
            status: EnrolmentStatus::InLearning,
            ended_on: None,
            gateway: None,
            contracted_per_week: h(3750),
            planned: h(30000),
            published_minimum: Some(published(280)),
            rpl: h(2000),
            // 2025-12-01 to the first day back 2026-01-12: 42 days.
            breaks: vec![Break {
                from: date(2025, 12, 1),
                until: Some(date(2026, 1, 12)),
            }],
        };
        let mut maths = entry(3, date(2026, 2, 2), DistanceLearning, true, 240);
        maths.english_maths = true;
        let entries = [
            entry(1, date(2025, 9, 10), TrainerLedTraining, true, 600),
            entry(2, date(2026, 1, 20), CoachingMentoring, true, 29),
            maths,
            entry(4, date(2026, 2, 3), TechnicalExperience, false, 480),
        ];
        let f = figures(&e, &entries, date(2026, 3, 1));
        assert_eq!(f.rule, OtjRule::StandardMinimum);
        // 280 published less 20 hours of prior learning = 260.
        assert_eq!(f.required.hours, Some(Hours::whole(260)));
        assert_eq!(f.planned_meets_minimum, Some(true));
        // 2025-09-01 to 2026-08-31 is 364 days; 8 months end on 2026-04-30.
        assert!(f.minimum_duration.met);
        // 2025-09-01 to 2026-03-01: 30 + 31 + 30 + 31 + 31 + 28 = 181 days, less the
        // 42-day break = 139 days of learning: 300 × 139 / 364 = 114.56 hours.
        assert_eq!(f.expected_to_date, h(11456));
        assert!(
            f.expected_explanation.contains("139/364"),
            "{}",
            f.expected_explanation
        );
        assert!(
            f.expected_explanation.contains("less 42 days of breaks"),
            "{}",
            f.expected_explanation
        );
        // 600 + 29 = 629 minutes = 10.48 hours, 10 for the return; maths and on the job out.
        assert_eq!(
            (f.actual.minutes, f.actual.hours, f.actual.ilr_hours),
            (629, h(1048), 10)
        );
        assert_eq!((f.actual.english_maths, f.actual.on_the_job), (1, 1));
        assert!(f.behind_expected);

        // Without a published minimum: no figure, so no verdict on the plan.
        let f = figures(
            &OtjEnrolment {
                published_minimum: None,
                ..e
            },
            &[],
            date(2026, 3, 1),
        );
        assert_eq!(f.required.hours, None);
        assert_eq!(f.planned_meets_minimum, None);
    }

    /// PHours is a whole number: 278.60 planned hours is 279 against a minimum of 279.
    #[test]
    fn the_plan_is_judged_in_the_returns_whole_hours() {
        // 2023-09-01 to 2024-08-30 at 37.5 h: 279 required (six-hour test above).
        let e = OtjEnrolment {
            contracted_per_week: h(3750),
            planned: h(27860),
            ..pre_2025_part_time()
        };
        let f = figures(&e, &[], date(2026, 3, 1));
        assert_eq!(f.required.hours, Some(Hours::whole(279)));
        assert_eq!(f.planned_meets_minimum, Some(true));
        let f = figures(
            &OtjEnrolment {
                planned: h(27849),
                ..e
            },
            &[],
            date(2026, 3, 1),
        );
        assert_eq!(f.planned_meets_minimum, Some(false), "278.49 is 278");
    }
}
