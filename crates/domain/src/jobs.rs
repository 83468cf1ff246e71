//! Background work: what jobs there are, when each runs in a provider's own time, and how
//! often a reminder repeats. The workers (crate `folio-jobs`) do the work; this is the
//! timetable, free of I/O so that it can be tested by hand.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::InvalidValue;

/// A job: a piece of work over one tenant's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobKind {
    /// Deliver the tenant's due emails from the outbox.
    SendEmails,
    /// Recalculate every enrolment's progress and track status, kept as history.
    RecalculateTracks,
    /// Tell learners who have gone off track, and each assessor who on their caseload is.
    OffTrackEmails,
    /// Remind learners of overdue actions, with a digest to each assessor.
    OverdueActions,
    /// Tell assessors whose progress reviews are due within 14 days or overdue.
    ReviewChecks,
    /// Tell assessors whose learners have no attended induction past the deadline.
    InductionOverdue,
    /// Tell assessors about past sessions without an outcome.
    UnclosedSessions,
    /// Tell assessors whose learners have shown no active learning for weeks.
    NoActiveLearning,
    /// Write an export someone asked for (its run names it); never run by name.
    Export,
}

impl JobKind {
    /// Every job that can be run by name (by an admin, an operator or the schedule), in
    /// the order a night runs them.
    pub const ALL: [JobKind; 8] = [
        JobKind::RecalculateTracks,
        JobKind::OffTrackEmails,
        JobKind::OverdueActions,
        JobKind::ReviewChecks,
        JobKind::InductionOverdue,
        JobKind::UnclosedSessions,
        JobKind::NoActiveLearning,
        JobKind::SendEmails,
    ];

    /// The stable name, as in the API, the command line and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::SendEmails => "send-emails",
            JobKind::RecalculateTracks => "recalculate-tracks",
            JobKind::OffTrackEmails => "off-track-emails",
            JobKind::OverdueActions => "overdue-actions",
            JobKind::ReviewChecks => "review-checks",
            JobKind::InductionOverdue => "induction-overdue",
            JobKind::UnclosedSessions => "unclosed-sessions",
            JobKind::NoActiveLearning => "no-active-learning",
            JobKind::Export => "export",
        }
    }

    /// When the job runs each day in the provider's time zone, if it is scheduled. The
    /// recalculation runs first, in the small hours; the emails go out at 06:00, before the
    /// working day, and read the night's figures. Email delivery has no time of day: the
    /// workers drain the outbox whenever it holds due mail.
    pub fn daily_at(self) -> Option<NaiveTime> {
        match self {
            JobKind::SendEmails | JobKind::Export => None,
            JobKind::RecalculateTracks => NaiveTime::from_hms_opt(1, 0, 0),
            _ => NaiveTime::from_hms_opt(6, 0, 0),
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = InvalidValue;

    /// Any job's name, `export` included: what the queue and the run records carry. Where
    /// a person names a job to run, only [`JobKind::ALL`] may be named.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobKind::ALL
            .into_iter()
            .chain([JobKind::Export])
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = JobKind::ALL.iter().map(|k| k.as_str()).collect();
                InvalidValue::new(format!("must be one of {}", names.join(", ")))
            })
    }
}

/// A scheduled run that is due: the job, and the provider's day it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueRun {
    /// The job.
    pub kind: JobKind,
    /// The provider's local date the run is for (its dedup key with the job).
    pub on: NaiveDate,
}

/// The scheduled runs due at `now` for a provider in time zone `tz`: each job whose time
/// of day has come on the provider's local date. A schedule that ticks often asks this
/// again and again through the day; the caller records each (job, date) once, so a run is
/// started once per day however many ticks, instances or restarts see it due, and a tick
/// missed at the exact time (a deploy, a stopped worker) is made up by the next one.
pub fn due_runs<Tz: TimeZone>(tz: &Tz, now: DateTime<Utc>) -> Vec<DueRun> {
    let local = now.with_timezone(tz).naive_local();
    JobKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let at = kind.daily_at()?;
            (local.time() >= at).then_some(DueRun {
                kind,
                on: local.date(),
            })
        })
        .collect()
}

/// The provider's local date at `now`: the "today" against which due dates are judged.
pub fn local_date<Tz: TimeZone>(tz: &Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(tz).date_naive()
}

/// Whether a learner is reminded of something `days_overdue` days late: on the first day it
/// is late, then once a week while it stays late. Daily email about the same thing is
/// ignored within a week; weekly keeps it in view without nagging.
pub fn learner_reminder_due(days_overdue: i64) -> bool {
    days_overdue >= 1 && (days_overdue - 1) % 7 == 0
}

/// How soon a progress review counts as "due": within this many days.
pub const REVIEW_DUE_WITHIN_DAYS: i64 = 14;

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::Europe::London;

    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap_or_default()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn names_round_trip() {
        for kind in JobKind::ALL {
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::json!(kind.as_str()))
            );
        }
        assert!("reticulate-splines".parse::<JobKind>().is_err());
    }

    #[test]
    fn runs_fall_due_in_the_providers_time() {
        // 00:30 UTC in British Summer Time is 01:30 in London: the recalculation is due,
        // the 06:00 emails are not.
        let summer = due_runs(&London, utc(2026, 7, 1, 0, 30));
        assert_eq!(
            summer,
            vec![DueRun {
                kind: JobKind::RecalculateTracks,
                on: date(2026, 7, 1)
            }]
        );
        // The same UTC instant in winter is 00:30 in London: nothing yet.
        assert!(due_runs(&London, utc(2026, 12, 1, 0, 30)).is_empty());
        // At 06:00 every scheduled job is due, each for the local date.
        let morning = due_runs(&London, utc(2026, 12, 1, 6, 0));
        assert_eq!(morning.len(), 7);
        assert!(morning.iter().all(|r| r.on == date(2026, 12, 1)));
        assert!(!morning.iter().any(|r| r.kind == JobKind::SendEmails));
    }

    #[test]
    fn a_late_evening_in_utc_can_be_the_next_day_locally() {
        let tokyo = chrono_tz::Asia::Tokyo;
        // 22:00 UTC on 1 December is 07:00 on 2 December in Tokyo.
        let runs = due_runs(&tokyo, utc(2026, 12, 1, 22, 0));
        assert!(runs.iter().all(|r| r.on == date(2026, 12, 2)));
        assert_eq!(
            local_date(&tokyo, utc(2026, 12, 1, 22, 0)),
            date(2026, 12, 2)
        );
    }

    #[test]
    fn reminders_on_the_first_late_day_then_weekly() {
        let due: Vec<i64> = (-3..=30).filter(|d| learner_reminder_due(*d)).collect();
        assert_eq!(due, vec![1, 8, 15, 22, 29]);
    }
}
