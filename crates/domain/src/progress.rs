//! Progress through a programme: the progress bars, track status, projected completion and
//! record of achievement. Each figure has one function here; the database supplies the
//! counts (set-based) and the API supplies "today", so every figure can be computed by hand.
//!
//! Choices made here that DOMAIN.md leaves open, each documented at its function:
//! - zero criteria is 0% (never NaN);
//! - the clock pauses for every day of a break in learning ([`learning_days`]) and stops at
//!   the actual end date of a withdrawn or completed enrolment ([`clock_date`]);
//! - track status is judged against the *planned* end date (the fixed, funded one) and is
//!   `not_applicable` once an enrolment is withdrawn or completed ([`track_status`]);
//! - a unit without criteria is never achieved ([`unit_achieved_on`]).

use std::fmt;
use std::iter::Sum;
use std::ops::Add;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::enrolment::EnrolmentStatus;
use crate::settings::{TrackBasis, TrackRule};

/// Percentages computed from different fractions (criteria, days) can miss an exact tie by
/// a rounding error of the last bit; a tie must count as "at least", so comparisons allow
/// this much (far below the one decimal place anyone is shown).
const TIE_TOLERANCE: f64 = 1e-9;

/// Where one criterion stands for one enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionState {
    /// No evidence mapped (red).
    None,
    /// Evidence mapped, not signed off (orange).
    Mapped,
    /// Signed off by the assessor (green).
    SignedOff,
}

impl CriterionState {
    /// "`signed_off` if the criterion has a sign-off; else `mapped` if at least one piece of
    /// evidence is mapped to it; else `none`." A sign-off wins even if its evidence was
    /// unmapped later: the assessor's decision stands.
    pub fn of(signed_off: bool, has_mapping: bool) -> Self {
        match (signed_off, has_mapping) {
            (true, _) => CriterionState::SignedOff,
            (false, true) => CriterionState::Mapped,
            (false, false) => CriterionState::None,
        }
    }

    /// The stable name, as sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CriterionState::None => "none",
            CriterionState::Mapped => "mapped",
            CriterionState::SignedOff => "signed_off",
        }
    }
}

impl fmt::Display for CriterionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many of a set of criteria (a unit's, a component's, a whole programme's) are in
/// each state. Counts add up, so a component's counts are the sum of its units'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CriterionCounts {
    /// Every criterion that counts.
    pub total: u32,
    /// Those in state `mapped`: evidence mapped, not yet signed off.
    pub mapped: u32,
    /// Those in state `signed_off`.
    pub signed_off: u32,
}

impl Add for CriterionCounts {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            total: self.total + other.total,
            mapped: self.mapped + other.mapped,
            signed_off: self.signed_off + other.signed_off,
        }
    }
}

impl Sum for CriterionCounts {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), Add::add)
    }
}

/// The two progress bars of a set of criteria, as percentages from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Percentages {
    /// Green bar: signed off.
    pub signed_off: f64,
    /// Orange bar: evidence mapped, signed off or not. The seed product's orange bar
    /// "shows the percentage of course criteria that has evidence mapped against it", and a
    /// signed-off criterion has, so this is never below `signed_off`.
    pub mapped: f64,
}

impl Percentages {
    /// The figure a track rule compares with time elapsed.
    pub fn on_basis(self, basis: TrackBasis) -> f64 {
        match basis {
            TrackBasis::Mapped => self.mapped,
            TrackBasis::SignedOff => self.signed_off,
        }
    }
}

/// "`signed_off %` = signed-off criteria / criteria × 100; `mapped %` = criteria with
/// evidence mapped (mapped or signed off) / criteria × 100." With zero criteria both are
/// 0%: nothing has been achieved, and a figure must never be NaN.
pub fn percentages(counts: CriterionCounts) -> Percentages {
    if counts.total == 0 {
        return Percentages::default();
    }
    let total = f64::from(counts.total);
    // Multiplying before dividing keeps whole results exact (30 of 100 is 30.0, not
    // 30.000000000000004), so hand-computed ties stay ties.
    Percentages {
        signed_off: f64::from(counts.signed_off) * 100.0 / total,
        mapped: f64::from(counts.mapped + counts.signed_off) * 100.0 / total,
    }
}

/// A percentage as shown: one decimal place (33.3, not 33.333333333333336).
pub fn shown(percent: f64) -> f64 {
    (percent * 10.0).round() / 10.0
}

/// The figures people are shown for a set of criteria, the same on every page, export and
/// API answer: the counts, and the percentages to one decimal place ([`shown`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShownFigures {
    /// Every criterion that counts.
    pub criteria: u32,
    /// Those signed off.
    pub signed_off: u32,
    /// Those with evidence: signed off, or mapped and awaiting sign-off.
    pub with_evidence: u32,
    /// The green bar.
    pub signed_off_percent: f64,
    /// The orange bar.
    pub mapped_percent: f64,
}

impl ShownFigures {
    /// The figures of `counts`.
    pub fn of(counts: CriterionCounts) -> Self {
        let pct = percentages(counts);
        Self {
            criteria: counts.total,
            signed_off: counts.signed_off,
            with_evidence: counts.signed_off + counts.mapped,
            signed_off_percent: shown(pct.signed_off),
            mapped_percent: shown(pct.mapped),
        }
    }
}

/// The day the progress clock reads up to. While the enrolment continues (awaiting
/// induction, in learning, or on a break in learning) it is today; the days of a break are
/// then left out by [`learning_days`], so the clock pauses for the break ("every clock
/// pauses during it"). Once withdrawn or completed, the clock stops at the actual end date
/// (`ended_on`: the withdrawal or completion date), so a finished learner's figures stay as
/// they were when they left instead of drifting past 100% for ever.
pub fn clock_date(
    today: NaiveDate,
    status: EnrolmentStatus,
    ended_on: Option<NaiveDate>,
) -> NaiveDate {
    match ended_on {
        Some(end) if status.is_final() => end.min(today),
        _ => today,
    }
}

/// A break in learning: from its first day up to, not including, the first day back
/// (`until`); a break still going on has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Break {
    /// The first day of the break.
    pub from: NaiveDate,
    /// The first day back (or of whatever ended it, such as a withdrawal), if it has ended.
    pub until: Option<NaiveDate>,
}

impl Break {
    /// Its days in `[start, on)`: the days it paused a clock that ran from `start` to `on`.
    fn days_within(&self, start: NaiveDate, on: NaiveDate) -> i64 {
        let from = self.from.max(start);
        let until = self.until.map_or(on, |u| u.min(on));
        (until - from).num_days().max(0)
    }

    /// Its length in days, once it has ended.
    pub fn length_days(&self) -> Option<i64> {
        self.until.map(|u| (u - self.from).num_days().max(0))
    }
}

/// Breaks from the two arrays the database reads them as: first days, and the first days
/// back (none while a break lasts), in the same order.
pub fn breaks_from(starts: &[NaiveDate], ends: &[Option<NaiveDate>]) -> Vec<Break> {
    starts
        .iter()
        .zip(ends)
        .map(|(&from, &until)| Break { from, until })
        .collect()
}

/// Days the breaks paused a clock running from `start` up to, not including, `on`.
/// Breaks do not overlap (a new one can only start after the last has ended).
pub fn paused_days(start: NaiveDate, on: NaiveDate, breaks: &[Break]) -> i64 {
    breaks.iter().map(|b| b.days_within(start, on)).sum()
}

/// Days of learning from `start` up to, not including, `on` (the [`clock_date`]): every
/// day, less the days of the breaks in between. Nothing before the start.
pub fn learning_days(start: NaiveDate, on: NaiveDate, breaks: &[Break]) -> i64 {
    ((on - start).num_days() - paused_days(start, on, breaks)).max(0)
}

/// How far through its planned duration an enrolment is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeElapsed {
    /// Percent of the duration elapsed: 0 before the start, over 100 past the end.
    pub percent: f64,
    /// The end date has passed: the blue bar turns red.
    pub past_end: bool,
    /// Days from the clock date to the end date; negative once past it.
    pub days_to_end: i64,
}

/// "Time elapsed % = (today − start) / (planned end − start) × 100", with the days of
/// breaks in learning left out of the elapsed days (`paused`, from [`paused_days`]): the
/// clock pauses for a break. Clamped at 0 before the start but not above: a learner past
/// the end date shows more than 100% and `past_end`. `on` is the [`clock_date`]; `end` is
/// the planned end date, or a revised one when that figure is wanted beside it. An end not
/// after the start (which the database refuses) reads as 100% from the end date on, never
/// as a division by zero.
pub fn time_elapsed(start: NaiveDate, end: NaiveDate, on: NaiveDate, paused: i64) -> TimeElapsed {
    let duration = (end - start).num_days();
    let elapsed = ((on - start).num_days() - paused).max(0);
    let percent = if duration > 0 {
        // Whole days times 100 first, for the same exactness as in `percentages`.
        (elapsed as f64) * 100.0 / (duration as f64)
    } else if on >= end {
        100.0
    } else {
        0.0
    };
    TimeElapsed {
        percent,
        past_end: elapsed > duration,
        days_to_end: duration - elapsed,
    }
}

/// Whether a learner is keeping pace with time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackStatus {
    /// Behind: time elapsed leads progress by the margin (red).
    OffTrack,
    /// Neither behind nor ahead (amber).
    OnTrack,
    /// Progress leads time elapsed by the margin (green).
    Ahead,
    /// Withdrawn or completed, or no criteria to work on: there is no pace to keep.
    NotApplicable,
}

impl TrackStatus {
    /// The stable name, as sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackStatus::OffTrack => "off_track",
            TrackStatus::OnTrack => "on_track",
            TrackStatus::Ahead => "ahead",
            TrackStatus::NotApplicable => "not_applicable",
        }
    }

    /// The status of a stable name ([`TrackStatus::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            TrackStatus::OffTrack,
            TrackStatus::OnTrack,
            TrackStatus::Ahead,
            TrackStatus::NotApplicable,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }
}

impl fmt::Display for TrackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "Off track when elapsed % is at least `margin` points ahead of progress %, judged only
/// once `grace` % of the duration has elapsed; ahead when progress % leads elapsed % by the
/// margin; otherwise on track." Progress % is mapped % or signed-off % as the rule's basis
/// says (seed product: mapped, 10 points, 25%). `elapsed_percent` is against the planned
/// end date, the fixed one the learner was funded on, so a revised plan does not hide a
/// learner falling behind it.
///
/// Off track is decided first, so with a zero margin a tie past the grace period is off
/// track. Being ahead needs no grace period. Withdrawn and completed enrolments are
/// `not_applicable`: their pace no longer matters and they must not count among the off
/// track. Awaiting induction and breaks in learning are judged like learning, since the
/// clock runs on for them (see [`clock_date`]).
pub fn track_status(
    rule: &TrackRule,
    status: EnrolmentStatus,
    elapsed_percent: f64,
    progress: Percentages,
) -> TrackStatus {
    if status.is_final() {
        return TrackStatus::NotApplicable;
    }
    let progress = progress.on_basis(rule.basis);
    let past_grace = elapsed_percent + TIE_TOLERANCE >= rule.grace_percent;
    if past_grace && elapsed_percent + TIE_TOLERANCE >= progress + rule.margin_points {
        TrackStatus::OffTrack
    } else if progress + TIE_TOLERANCE >= elapsed_percent + rule.margin_points {
        TrackStatus::Ahead
    } else {
        TrackStatus::OnTrack
    }
}

/// "Projected completion date from the learner's pace: signed-off % per week so far." At
/// a pace of `p` % a week, 100% takes `100 / p` weeks from the start. With `d` days
/// elapsed and `s` of `n` criteria signed off, `p = (s / n × 100) / (d / 7)`, so the whole
/// takes `d × n / s` days, counted here in whole days and rounded up (a part-day still has
/// to be worked). Days rather than weeks are only exactness; the date is the same. The
/// days of breaks in learning (`paused`, from [`paused_days`]) are neither pace nor
/// learning: they are left out of `d` and added back to the date, as the learner will
/// not learn on them.
///
/// None when nothing is signed off yet, no day has elapsed (`on` is the [`clock_date`]),
/// there are no criteria, or the enrolment was withdrawn or completed short of 100%: there
/// is no pace to project. Once every criterion is signed off the date is that of the last
/// sign-off, the day the learner actually got there.
pub fn projected_completion(
    start: NaiveDate,
    on: NaiveDate,
    status: EnrolmentStatus,
    counts: CriterionCounts,
    last_sign_off: Option<NaiveDate>,
    paused: i64,
) -> Option<NaiveDate> {
    if counts.total > 0 && counts.signed_off >= counts.total {
        return last_sign_off;
    }
    let days = u64::try_from((on - start).num_days() - paused).ok()?;
    if days == 0 || counts.signed_off == 0 || status.is_final() {
        return None;
    }
    let (n, s) = (u64::from(counts.total), u64::from(counts.signed_off));
    let total_days = (days * n).div_ceil(s) + u64::try_from(paused).unwrap_or(0);
    start.checked_add_days(Days::new(total_days))
}

/// "A unit is achieved when all its criteria are signed off", on the date of the last
/// sign-off. A unit without criteria is not achieved: there is nothing it was achieved by,
/// and no date to record.
pub fn unit_achieved_on(
    counts: CriterionCounts,
    last_sign_off: Option<NaiveDate>,
) -> Option<NaiveDate> {
    (counts.total > 0 && counts.signed_off >= counts.total)
        .then_some(last_sign_off)
        .flatten()
}

/// "A component is achieved when all the learner's units in it are achieved", on the date
/// the last of them was (pass each unit's [`unit_achieved_on`]). A component in which the
/// learner has no units is not achieved.
pub fn component_achieved_on(
    units: impl IntoIterator<Item = Option<NaiveDate>>,
) -> Option<NaiveDate> {
    let mut latest: Option<NaiveDate> = None;
    for unit in units {
        let achieved = unit?;
        latest = Some(latest.map_or(achieved, |l| l.max(achieved)));
    }
    latest
}

/// An enrolment's dates and status: what the time figures need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// First day of learning.
    pub start: NaiveDate,
    /// Planned end date, fixed at start.
    pub planned_end: NaiveDate,
    /// A changed plan recorded beside it, if any.
    pub revised_end: Option<NaiveDate>,
    /// Current status.
    pub status: EnrolmentStatus,
    /// The withdrawal or completion date of a finished enrolment.
    pub ended_on: Option<NaiveDate>,
    /// Its breaks in learning, ended or not.
    pub breaks: Vec<Break>,
}

impl Timeline {
    /// The day the clock reads up to on `today` ([`clock_date`]).
    pub fn on(&self, today: NaiveDate) -> NaiveDate {
        clock_date(today, self.status, self.ended_on)
    }

    /// Time elapsed against the planned end date on `today`, breaks left out.
    pub fn elapsed(&self, today: NaiveDate) -> TimeElapsed {
        let on = self.on(today);
        time_elapsed(
            self.start,
            self.planned_end,
            on,
            paused_days(self.start, on, &self.breaks),
        )
    }

    /// Time elapsed against the revised end date, if one is recorded. A break that has
    /// ended has already moved the revised end date by its length (see
    /// `folio_domain::enrolment`), so only the days of a break still going on are left out.
    pub fn elapsed_of_revised(&self, today: NaiveDate) -> Option<TimeElapsed> {
        let on = self.on(today);
        let open: Vec<Break> = self
            .breaks
            .iter()
            .filter(|b| b.until.is_none())
            .copied()
            .collect();
        self.revised_end
            .map(|end| time_elapsed(self.start, end, on, paused_days(self.start, on, &open)))
    }
}

/// Every figure of one set of progress bars (a component's, or the whole programme's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressBars {
    /// The criteria counted.
    pub counts: CriterionCounts,
    /// Green and orange bars.
    pub percentages: Percentages,
    /// Blue (red once past) bar, against the planned end date.
    pub elapsed: TimeElapsed,
    /// The same against the revised end date, if one is recorded.
    pub elapsed_revised: Option<TimeElapsed>,
    /// Track status against the planned end date.
    pub track: TrackStatus,
    /// Projected completion date from pace so far.
    pub projected_completion: Option<NaiveDate>,
}

impl ProgressBars {
    /// The counts and percentages as shown.
    pub fn shown(&self) -> ShownFigures {
        ShownFigures::of(self.counts)
    }

    /// The time bar as shown (to one decimal place).
    pub fn elapsed_shown(&self) -> f64 {
        shown(self.elapsed.percent)
    }
}

/// The progress bars of a set of criteria on `today`, every figure from its one function
/// above; `last_sign_off` is the date of the latest sign-off among them.
pub fn progress_bars(
    counts: CriterionCounts,
    last_sign_off: Option<NaiveDate>,
    timeline: &Timeline,
    rule: &TrackRule,
    today: NaiveDate,
) -> ProgressBars {
    let on = timeline.on(today);
    let percentages = percentages(counts);
    let elapsed = timeline.elapsed(today);
    ProgressBars {
        counts,
        percentages,
        elapsed,
        elapsed_revised: timeline.elapsed_of_revised(today),
        // Nothing to do is not falling behind: a component (or programme) without any of
        // the learner's criteria must not turn red and be emailed about every night.
        track: if counts.total == 0 {
            TrackStatus::NotApplicable
        } else {
            track_status(rule, timeline.status, elapsed.percent, percentages)
        },
        projected_completion: projected_completion(
            timeline.start,
            on,
            timeline.status,
            counts,
            last_sign_off,
            paused_days(timeline.start, on, &timeline.breaks),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnrolmentStatus::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn shown_figures_count_evidence_as_mapped_or_signed_off_and_round_to_one_place() {
        // 7 criteria: 2 signed off, 3 more mapped, 2 with nothing.
        let shown = ShownFigures::of(counts(7, 3, 2));
        assert_eq!(
            shown,
            ShownFigures {
                criteria: 7,
                signed_off: 2,
                with_evidence: 5,         // 2 signed off + 3 mapped
                signed_off_percent: 28.6, // 2 / 7 = 28.571…%
                mapped_percent: 71.4,     // 5 / 7 = 71.428…%
            }
        );
        // No criteria: nothing achieved, never NaN.
        let none = ShownFigures::of(counts(0, 0, 0));
        assert_eq!((none.signed_off_percent, none.mapped_percent), (0.0, 0.0));
    }

    fn counts(total: u32, mapped: u32, signed_off: u32) -> CriterionCounts {
        CriterionCounts {
            total,
            mapped,
            signed_off,
        }
    }

    fn pct(mapped: f64, signed_off: f64) -> Percentages {
        Percentages { signed_off, mapped }
    }

    #[test]
    fn states_follow_sign_off_then_mapping() {
        assert_eq!(CriterionState::of(true, true), CriterionState::SignedOff);
        assert_eq!(CriterionState::of(true, false), CriterionState::SignedOff);
        assert_eq!(CriterionState::of(false, true), CriterionState::Mapped);
        assert_eq!(CriterionState::of(false, false), CriterionState::None);
        assert_eq!(CriterionState::SignedOff.as_str(), "signed_off");
    }

    #[test]
    fn percentages_count_signed_off_criteria_as_mapped_too() {
        // 8 criteria: 2 signed off, 3 mapped only, 3 with nothing.
        // signed off 2/8 = 25%; mapped (3 + 2)/8 = 62.5%.
        assert_eq!(percentages(counts(8, 3, 2)), pct(62.5, 25.0));
        // 3 criteria, 1 signed off: 33.333…%, shown as 33.3.
        let third = percentages(counts(3, 0, 1));
        assert_eq!(shown(third.signed_off), 33.3);
        assert_eq!(shown(third.mapped), 33.3);
        assert_eq!(percentages(counts(10, 0, 10)), pct(100.0, 100.0));
        // Whole figures are exact, so ties stay ties: 3 of 10 is 30.0.
        assert_eq!(percentages(counts(10, 3, 0)).mapped, 30.0);
    }

    #[test]
    fn zero_criteria_is_zero_percent_never_nan() {
        assert_eq!(percentages(counts(0, 0, 0)), pct(0.0, 0.0));
    }

    #[test]
    fn counts_add_up_units_into_components() {
        let sum: CriterionCounts = [counts(4, 1, 1), counts(6, 2, 3)].into_iter().sum();
        assert_eq!(sum, counts(10, 3, 4));
    }

    #[test]
    fn time_elapsed_is_clamped_below_but_not_above() {
        // 2026-01-01 to 2026-04-11 is 100 days.
        let (start, end) = (date(2026, 1, 1), date(2026, 4, 11));
        let quarter = time_elapsed(start, end, date(2026, 1, 26), 0);
        assert_eq!(quarter.percent, 25.0);
        assert!(!quarter.past_end);
        assert_eq!(quarter.days_to_end, 75);
        // Before the start: 0%, not negative.
        assert_eq!(time_elapsed(start, end, date(2025, 12, 1), 0).percent, 0.0);
        // On the end date: 100% and not yet past it.
        let last_day = time_elapsed(start, end, end, 0);
        assert_eq!((last_day.percent, last_day.past_end), (100.0, false));
        // 20 days past the end: 120%, past the end, -20 days to go.
        let late = time_elapsed(start, end, date(2026, 5, 1), 0);
        assert_eq!(late.percent, 120.0);
        assert!(late.past_end);
        assert_eq!(late.days_to_end, -20);
        // 1 of 3 days: 33.3%.
        assert_eq!(
            shown(time_elapsed(start, date(2026, 1, 4), date(2026, 1, 2), 0).percent),
            33.3
        );
    }

    #[test]
    fn an_end_not_after_the_start_never_divides_by_zero() {
        let day = date(2026, 1, 1);
        assert_eq!(time_elapsed(day, day, day, 0).percent, 100.0);
        assert_eq!(time_elapsed(day, day, date(2025, 12, 31), 0).percent, 0.0);
    }

    /// "Every clock pauses during [a break]": elapsed time, track status and the pace.
    #[test]
    fn a_break_in_learning_pauses_the_clock() {
        // 2026-01-01 to 2026-04-11 is 100 days. A break from 2026-02-01 (day 31) with the
        // first day back 2026-02-21: 20 days paused. On 2026-03-12 (70 calendar days in),
        // 70 - 20 = 50 days of learning: 50%, 50 days to the end.
        let start = date(2026, 1, 1);
        let back = Break {
            from: date(2026, 2, 1),
            until: Some(date(2026, 2, 21)),
        };
        let on = date(2026, 3, 12);
        assert_eq!(paused_days(start, on, &[back]), 20);
        assert_eq!(learning_days(start, on, &[back]), 50);
        let timeline = Timeline {
            start,
            planned_end: date(2026, 4, 11),
            // The return moved the revised end date by the break: 2026-04-11 + 20 days.
            revised_end: Some(date(2026, 5, 1)),
            status: InLearning,
            ended_on: None,
            breaks: vec![back],
        };
        let elapsed = timeline.elapsed(on);
        assert_eq!((elapsed.percent, elapsed.days_to_end), (50.0, 50));
        // Against the revised end (120 days), whose date already holds the break:
        // 70 calendar days / 120 = 58.33…%.
        assert_eq!(
            timeline.elapsed_of_revised(on).map(|e| shown(e.percent)),
            Some(58.3)
        );
        // 20 criteria, 5 mapped, 4 signed off: mapped 45% against 50% elapsed is on track
        // (it would be off track at 70%, the figure without the pause).
        let bars = progress_bars(counts(20, 5, 4), None, &timeline, &TrackRule::default(), on);
        assert_eq!(bars.track, TrackStatus::OnTrack);
        // Pace: 4/20 in 50 learning days, so 100% takes 50 × 20 / 4 = 250 learning days;
        // with the 20 paused days, 270 days from 2026-01-01: 2026-09-28.
        assert_eq!(bars.projected_completion, Some(date(2026, 9, 28)));

        // A break still going on, since 2026-03-02 (day 60): the clock stands at 60 days,
        // 60%, on 2026-03-12 and on any day after it.
        let open = Break {
            from: date(2026, 3, 2),
            until: None,
        };
        let on_break = Timeline {
            status: BreakInLearning,
            revised_end: None,
            breaks: vec![open],
            ..timeline.clone()
        };
        assert_eq!(on_break.elapsed(date(2026, 3, 12)).percent, 60.0);
        assert_eq!(on_break.elapsed(date(2026, 9, 1)).percent, 60.0);
        // A break before the start pauses nothing of it.
        let before = Break {
            from: date(2025, 12, 1),
            until: Some(date(2025, 12, 20)),
        };
        assert_eq!(paused_days(start, on, &[before]), 0);
    }

    #[test]
    fn the_clock_reads_today_until_the_actual_end() {
        let today = date(2026, 6, 1);
        let left = Some(date(2026, 3, 1));
        assert_eq!(clock_date(today, InLearning, None), today);
        assert_eq!(clock_date(today, BreakInLearning, None), today);
        assert_eq!(clock_date(today, AwaitingInduction, None), today);
        assert_eq!(clock_date(today, Withdrawn, left), date(2026, 3, 1));
        assert_eq!(clock_date(today, Completed, left), date(2026, 3, 1));
        // A completion recorded ahead of today does not move the clock forward.
        assert_eq!(clock_date(today, Completed, Some(date(2026, 7, 1))), today);
    }

    #[test]
    fn track_status_with_the_seed_products_rule() {
        // Mapped %, 10 points, judged once 25% has elapsed.
        let rule = TrackRule::default();
        let judge = |elapsed, mapped| track_status(&rule, InLearning, elapsed, pct(mapped, 0.0));
        // 20% elapsed, 5% mapped: 15 points behind but still within the grace period.
        assert_eq!(judge(20.0, 5.0), TrackStatus::OnTrack);
        // 25% elapsed, 15% mapped: exactly 10 points behind at exactly 25%: off track.
        assert_eq!(judge(25.0, 15.0), TrackStatus::OffTrack);
        // 30% elapsed, 20% mapped: 30 ≥ 20 + 10: off track.
        assert_eq!(judge(30.0, 20.0), TrackStatus::OffTrack);
        // 30% elapsed, 21% mapped: 9 points behind: on track.
        assert_eq!(judge(30.0, 21.0), TrackStatus::OnTrack);
        // 30% elapsed, 40% mapped: 40 ≥ 30 + 10: ahead.
        assert_eq!(judge(30.0, 40.0), TrackStatus::Ahead);
        // 30% elapsed, 39% mapped: 9 points ahead: on track.
        assert_eq!(judge(30.0, 39.0), TrackStatus::OnTrack);
        // Ahead needs no grace period: 10% elapsed, 25% mapped.
        assert_eq!(judge(10.0, 25.0), TrackStatus::Ahead);
        // Past the end: 120% elapsed, 100% mapped: 20 points behind.
        assert_eq!(judge(120.0, 100.0), TrackStatus::OffTrack);
        // Ties computed from different fractions still count: 1/3 of the criteria mapped
        // (33.333…%) against 43.333…% of the time (130 of 300 days).
        let elapsed = time_elapsed(date(2026, 1, 1), date(2026, 10, 28), date(2026, 5, 11), 0);
        assert_eq!(shown(elapsed.percent), 43.3);
        let third = percentages(counts(3, 1, 0));
        assert_eq!(
            track_status(&rule, InLearning, elapsed.percent, third),
            TrackStatus::OffTrack
        );
    }

    #[test]
    fn track_status_follows_a_changed_rule() {
        let strict = TrackRule {
            basis: TrackBasis::SignedOff,
            margin_points: 5.0,
            grace_percent: 10.0,
        };
        // 30% elapsed, 50% mapped but 24% signed off: off track on signed off (30 ≥ 29),
        // ahead on the default mapped basis (50 ≥ 40).
        let progress = pct(50.0, 24.0);
        assert_eq!(
            track_status(&strict, InLearning, 30.0, progress),
            TrackStatus::OffTrack
        );
        assert_eq!(
            track_status(&TrackRule::default(), InLearning, 30.0, progress),
            TrackStatus::Ahead
        );
        // 12% elapsed, nothing signed off: past a 10% grace period, within the default 25%.
        assert_eq!(
            track_status(&strict, InLearning, 12.0, pct(0.0, 0.0)),
            TrackStatus::OffTrack
        );
        assert_eq!(
            track_status(&TrackRule::default(), InLearning, 12.0, pct(0.0, 0.0)),
            TrackStatus::OnTrack
        );
        // A zero margin: a tie past the grace period is off track, since that is decided
        // first.
        let zero = TrackRule {
            margin_points: 0.0,
            ..TrackRule::default()
        };
        assert_eq!(
            track_status(&zero, InLearning, 50.0, pct(50.0, 0.0)),
            TrackStatus::OffTrack
        );
        assert_eq!(
            track_status(&zero, InLearning, 50.0, pct(50.1, 0.0)),
            TrackStatus::Ahead
        );
    }

    #[test]
    fn breaks_are_judged_and_finished_enrolments_are_not() {
        let rule = TrackRule::default();
        let behind = pct(0.0, 0.0);
        assert_eq!(
            track_status(&rule, BreakInLearning, 50.0, behind),
            TrackStatus::OffTrack
        );
        assert_eq!(
            track_status(&rule, AwaitingInduction, 50.0, behind),
            TrackStatus::OffTrack
        );
        assert_eq!(
            track_status(&rule, Withdrawn, 50.0, behind),
            TrackStatus::NotApplicable
        );
        assert_eq!(
            track_status(&rule, Completed, 50.0, behind),
            TrackStatus::NotApplicable
        );
    }

    #[test]
    fn projected_completion_from_pace_so_far() {
        let start = date(2026, 1, 1);
        // 70 days (10 weeks) in, 4 of 20 signed off: 20% in 10 weeks is 2% a week, so
        // 100% takes 50 weeks = 350 days: 2026-01-01 + 350 days = 2026-12-17.
        let on = date(2026, 3, 12);
        assert_eq!((on - start).num_days(), 70);
        assert_eq!(
            projected_completion(start, on, InLearning, counts(20, 5, 4), None, 0),
            Some(date(2026, 12, 17))
        );
        // 10 days in, 1 of 3 signed off: 30 days in all, 2026-01-31.
        assert_eq!(
            projected_completion(
                start,
                date(2026, 1, 11),
                InLearning,
                counts(3, 0, 1),
                None,
                0
            ),
            Some(date(2026, 1, 31))
        );
        // 10 days in, 3 of 7 signed off: 70 / 3 = 23.3 days, rounded up to 24: 2026-01-25.
        assert_eq!(
            projected_completion(
                start,
                date(2026, 1, 11),
                InLearning,
                counts(7, 0, 3),
                None,
                0
            ),
            Some(date(2026, 1, 25))
        );
    }

    #[test]
    fn no_projection_without_pace() {
        let start = date(2026, 1, 1);
        let on = date(2026, 3, 12);
        // Nothing signed off (mapping alone is no pace).
        assert_eq!(
            projected_completion(start, on, InLearning, counts(20, 5, 0), None, 0),
            None
        );
        // Not started yet, or on the first day.
        assert_eq!(
            projected_completion(
                start,
                date(2025, 12, 1),
                InLearning,
                counts(20, 0, 4),
                None,
                0
            ),
            None
        );
        assert_eq!(
            projected_completion(start, start, InLearning, counts(20, 0, 4), None, 0),
            None
        );
        // No criteria.
        assert_eq!(
            projected_completion(start, on, InLearning, counts(0, 0, 0), None, 0),
            None
        );
        // Left short of 100%.
        assert_eq!(
            projected_completion(start, on, Withdrawn, counts(20, 0, 4), None, 0),
            None
        );
    }

    #[test]
    fn at_one_hundred_percent_the_projection_is_the_last_sign_off() {
        let start = date(2026, 1, 1);
        let last = Some(date(2026, 2, 14));
        assert_eq!(
            projected_completion(
                start,
                date(2026, 3, 12),
                InLearning,
                counts(5, 0, 5),
                last,
                0
            ),
            last
        );
        assert_eq!(
            projected_completion(
                start,
                date(2026, 3, 12),
                Completed,
                counts(5, 0, 5),
                last,
                0
            ),
            last
        );
    }

    #[test]
    fn a_unit_is_achieved_when_every_criterion_is_signed_off() {
        let last = Some(date(2026, 2, 14));
        assert_eq!(unit_achieved_on(counts(3, 0, 3), last), last);
        assert_eq!(unit_achieved_on(counts(3, 1, 2), last), None);
        // No criteria: nothing to achieve it by.
        assert_eq!(unit_achieved_on(counts(0, 0, 0), None), None);
    }

    #[test]
    fn a_component_is_achieved_when_every_unit_is() {
        let (a, b) = (date(2026, 2, 14), date(2026, 3, 1));
        assert_eq!(component_achieved_on([Some(a), Some(b)]), Some(b));
        assert_eq!(component_achieved_on([Some(b), Some(a)]), Some(b));
        assert_eq!(component_achieved_on([Some(a), None]), None);
        assert_eq!(component_achieved_on([]), None);
    }

    #[test]
    fn progress_bars_put_the_figures_together() {
        // 2026-01-01 to 2026-04-11 (100 days), revised to 2026-07-20 (200 days); today is
        // 2026-03-12, day 70. 20 criteria: 4 signed off, 5 mapped only.
        let timeline = Timeline {
            start: date(2026, 1, 1),
            planned_end: date(2026, 4, 11),
            revised_end: Some(date(2026, 7, 20)),
            status: InLearning,
            ended_on: None,
            breaks: vec![],
        };
        let bars = progress_bars(
            counts(20, 5, 4),
            Some(date(2026, 3, 1)),
            &timeline,
            &TrackRule::default(),
            date(2026, 3, 12),
        );
        assert_eq!(bars.percentages, pct(45.0, 20.0));
        assert_eq!(bars.elapsed.percent, 70.0);
        assert_eq!(bars.elapsed.days_to_end, 30);
        assert_eq!(bars.elapsed_revised.map(|e| e.percent), Some(35.0));
        // 70% elapsed against 45% mapped: off track (on the planned date, not the revised).
        assert_eq!(bars.track, TrackStatus::OffTrack);
        assert_eq!(bars.projected_completion, Some(date(2026, 12, 17)));

        // Withdrawn on day 50: the clock stopped there.
        let withdrawn = Timeline {
            status: Withdrawn,
            ended_on: Some(date(2026, 2, 20)),
            ..timeline.clone()
        };
        let bars = progress_bars(
            counts(20, 5, 4),
            None,
            &withdrawn,
            &TrackRule::default(),
            date(2026, 6, 1),
        );
        assert_eq!(bars.elapsed.percent, 50.0);
        assert_eq!(bars.track, TrackStatus::NotApplicable);
        assert_eq!(bars.projected_completion, None);

        // No criteria at all, 70% elapsed: nothing to fall behind on.
        let bars = progress_bars(
            counts(0, 0, 0),
            None,
            &timeline,
            &TrackRule::default(),
            date(2026, 3, 12),
        );
        assert_eq!(bars.track, TrackStatus::NotApplicable);
    }
}
