//! Progress reviews: how often they are due, by the funding rule of the learner's start
//! date or the frequency agreed with the employer, and when the next one is due, with the
//! days of breaks in learning left out.
//!
//! Choices made here that DOMAIN.md leaves open, each documented at its function:
//! - the organisation's own review frequency (a setting, default 12 weeks) applies when it
//!   is stricter than the rule ([`ReviewRule::for_enrolment`]);
//! - a frequency agreed with the employer replaces both, as the 2025-26 rules allow;
//! - the clock starts at the last attended review, else the start of learning, else the
//!   start date, and pauses for every day of a break ([`next_review_due`]).

use std::fmt;

use chrono::{Days, Months, NaiveDate};

use crate::progress::{Break, paused_days};

/// How often progress reviews are due for one enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewRule {
    /// Every so many weeks: 12 for starts before 1 August 2025, or the organisation's own
    /// shorter frequency.
    Weeks(u32),
    /// Every 3 calendar months: starts from 1 August 2025 (2025-26 rule 92).
    CalendarMonths(u32),
    /// The frequency agreed with the employer for this apprentice, in weeks.
    Agreed(u32),
}

/// The first start date under the 2025-26 review rule.
fn calendar_months_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 8, 1).unwrap_or(NaiveDate::MAX)
}

/// Whether a review frequency agreed with the employer may replace the rule's: only for
/// starts from 1 August 2025 (2025-26 rule 92).
pub fn agreement_allowed(start: NaiveDate) -> bool {
    start >= calendar_months_from()
}

impl ReviewRule {
    /// "At least every 12 weeks for starts before Aug 2025; at least every 3 calendar
    /// months from Aug 2025, or the alternative frequency agreed with the employer for that
    /// apprentice." The organisation's own frequency (`organisation_weeks`) applies where
    /// it is stricter: shorter than 12 weeks before August 2025, shorter than 12 weeks
    /// (three months being at least 12 weeks and 5 days) from it.
    pub fn for_enrolment(
        start: NaiveDate,
        organisation_weeks: u32,
        agreed_weeks: Option<u32>,
    ) -> Self {
        // An agreed frequency counts only for starts from August 2025, the rule that
        // allows it: before then it cannot loosen the 12 weeks.
        if let Some(weeks) = agreed_weeks.filter(|_| agreement_allowed(start)) {
            ReviewRule::Agreed(weeks)
        } else if organisation_weeks < 12 {
            ReviewRule::Weeks(organisation_weeks)
        } else if start < calendar_months_from() {
            ReviewRule::Weeks(12)
        } else {
            ReviewRule::CalendarMonths(3)
        }
    }

    /// `from` plus one interval of the rule.
    fn after(self, from: NaiveDate) -> NaiveDate {
        match self {
            ReviewRule::Weeks(w) | ReviewRule::Agreed(w) => from
                .checked_add_days(Days::new(u64::from(w) * 7))
                .unwrap_or(NaiveDate::MAX),
            ReviewRule::CalendarMonths(m) => from
                .checked_add_months(Months::new(m))
                .unwrap_or(NaiveDate::MAX),
        }
    }
}

impl fmt::Display for ReviewRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewRule::Weeks(w) => write!(f, "every {w} weeks"),
            ReviewRule::CalendarMonths(m) => write!(f, "every {m} calendar months"),
            ReviewRule::Agreed(w) => write!(f, "every {w} weeks, as agreed with the employer"),
        }
    }
}

/// When the next progress review is due: one interval of the rule after `since` (the last
/// attended review, else the start of learning, else the start date), moved on by every
/// day of a break in learning inside it ("every clock pauses during it": a break of three
/// weeks moves the due date three weeks). None while a break lasts: nothing is due until
/// the learner is back.
pub fn next_review_due(rule: ReviewRule, since: NaiveDate, breaks: &[Break]) -> Option<NaiveDate> {
    if breaks.iter().any(|b| b.until.is_none() && b.from >= since) {
        return None;
    }
    let plain = rule.after(since);
    let mut due = plain;
    // A break the moved date now reaches moves it again; breaks do not overlap, so this
    // settles after at most one round per break.
    for _ in 0..=breaks.len() {
        let paused = paused_days(since, due, breaks);
        let moved = plain
            .checked_add_days(Days::new(u64::try_from(paused).unwrap_or(0)))
            .unwrap_or(NaiveDate::MAX);
        if moved == due {
            break;
        }
        due = moved;
    }
    Some(due)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// "At least every 12 weeks for starts before Aug 2025; at least every 3 calendar
    /// months from Aug 2025, or the alternative frequency agreed with the employer."
    #[test]
    fn the_rule_follows_the_start_date_the_agreement_and_a_stricter_organisation() {
        assert_eq!(
            ReviewRule::for_enrolment(date(2025, 7, 31), 12, None),
            ReviewRule::Weeks(12)
        );
        assert_eq!(
            ReviewRule::for_enrolment(date(2025, 8, 1), 12, None),
            ReviewRule::CalendarMonths(3)
        );
        assert_eq!(
            ReviewRule::for_enrolment(date(2025, 8, 1), 8, None),
            ReviewRule::Weeks(8)
        );
        // An organisation setting longer than the rule does not loosen it.
        assert_eq!(
            ReviewRule::for_enrolment(date(2024, 1, 1), 20, None),
            ReviewRule::Weeks(12)
        );
        assert_eq!(
            ReviewRule::for_enrolment(date(2025, 9, 1), 12, Some(16)),
            ReviewRule::Agreed(16)
        );
        // Before August 2025 an agreement cannot loosen the 12 weeks.
        assert_eq!(
            ReviewRule::for_enrolment(date(2024, 9, 1), 12, Some(52)),
            ReviewRule::Weeks(12)
        );
        assert_eq!(
            ReviewRule::Agreed(16).to_string(),
            "every 16 weeks, as agreed with the employer"
        );
    }

    #[test]
    fn the_next_review_is_one_interval_after_the_last() {
        // 12 weeks = 84 days after 2024-01-10: 2024-04-03 (Jan 21 + Feb 29 + Mar 31 = 81
        // days to 2024-03-31, 3 more).
        assert_eq!(
            next_review_due(ReviewRule::Weeks(12), date(2024, 1, 10), &[]),
            Some(date(2024, 4, 3))
        );
        // 3 calendar months after 2025-09-15: 2025-12-15; after 2025-11-30: 2026-02-28
        // (February has no 30th).
        let months = ReviewRule::CalendarMonths(3);
        assert_eq!(
            next_review_due(months, date(2025, 9, 15), &[]),
            Some(date(2025, 12, 15))
        );
        assert_eq!(
            next_review_due(months, date(2025, 11, 30), &[]),
            Some(date(2026, 2, 28))
        );
        // Agreed every 16 weeks = 112 days after 2025-09-15: 2026-01-05 (Sep 15 + 15 = Sep
        // 30, + 31 + 30 + 31 = Dec 31 is 107 days, + 5).
        assert_eq!(
            next_review_due(ReviewRule::Agreed(16), date(2025, 9, 15), &[]),
            Some(date(2026, 1, 5))
        );
    }

    /// "Every clock pauses during [a break] (… reviews due …)."
    #[test]
    fn a_break_moves_the_next_review_by_its_length_and_none_is_due_during_it() {
        let months = ReviewRule::CalendarMonths(3);
        // Last review 2025-09-15, due 2025-12-15. A break from 2025-10-01 to the first day
        // back 2025-10-22 (21 days): due 2025-12-15 + 21 days = 2026-01-05.
        let back = Break {
            from: date(2025, 10, 1),
            until: Some(date(2025, 10, 22)),
        };
        assert_eq!(
            next_review_due(months, date(2025, 9, 15), &[back]),
            Some(date(2026, 1, 5))
        );
        // A second break the moved date reaches: 2025-12-20 to 2026-01-03 (14 days) lies
        // before 2026-01-05 once moved, so 2026-01-05 + 14 days = 2026-01-19.
        let second = Break {
            from: date(2025, 12, 20),
            until: Some(date(2026, 1, 3)),
        };
        assert_eq!(
            next_review_due(months, date(2025, 9, 15), &[back, second]),
            Some(date(2026, 1, 19))
        );
        // A break before the last review moves nothing.
        let before = Break {
            from: date(2025, 6, 1),
            until: Some(date(2025, 7, 1)),
        };
        assert_eq!(
            next_review_due(months, date(2025, 9, 15), &[before]),
            Some(date(2025, 12, 15))
        );
        // On a break now: nothing is due.
        let open = Break {
            from: date(2025, 11, 1),
            until: None,
        };
        assert_eq!(next_review_due(months, date(2025, 9, 15), &[open]), None);
    }
}
