//! What the nightly reminders are about, found in one place for the jobs that e-mail about
//! it and for the pages those e-mails link to: each list's query and parameters (the
//! organisation's settings, the rule's constants) and the words of each line.
//!
//! A digest e-mail and the page its link opens are built from [`find`] with the same day,
//! so the page shows what the e-mail said (as it stands when the page is opened).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use folio_db::reminders;
use folio_db::{TenantTx, settings};
use folio_domain::jobs::{REVIEW_DUE_WITHIN_DAYS, local_date};
use folio_domain::progress::{Break, breaks_from};
use folio_domain::reviews::{ReviewRule, next_review_due};
use folio_domain::{Role, TrackBasis};
use uuid::Uuid;

pub use folio_db::reminders::{
    Inactive, InductionOverdue, Learner, OffTrack, OverdueAction, UnclosedSession,
};

/// A learner whose next progress review is due soon or overdue.
#[derive(Debug, Clone)]
pub struct ReviewDue {
    /// Whose it is.
    pub learner: Learner,
    /// The last attended review, if any.
    pub last_review: Option<NaiveDate>,
    /// When the next one is due, by the review rule of the learner's start date or the
    /// frequency agreed with the employer, breaks in learning left out.
    pub next_due: NaiveDate,
    /// The rule, in words ("every 3 calendar months").
    pub rule: String,
    /// The next review booked and not yet held, if any.
    pub booked: Option<NaiveDate>,
}

/// Learners in learning whose next review is overdue on `on`, or due within
/// `within_days` and not yet booked, soonest first: each due date from
/// `folio_domain::reviews` (rule era or agreed frequency, breaks paused).
async fn reviews_due(
    tx: &mut TenantTx,
    on: NaiveDate,
    organisation_weeks: u32,
    within_days: i64,
) -> Result<Vec<ReviewDue>> {
    let mut due: Vec<ReviewDue> = reminders::review_candidates(tx, on)
        .await?
        .into_iter()
        .filter_map(|c| {
            let rule = ReviewRule::for_enrolment(
                c.start_date,
                organisation_weeks,
                c.agreed_review_weeks.and_then(|w| u32::try_from(w).ok()),
            );
            let breaks: Vec<Break> = breaks_from(&c.break_starts, &c.break_ends);
            let next_due = next_review_due(rule, c.since, &breaks)?;
            let soon = (next_due - on).num_days() <= within_days && c.booked.is_none();
            (next_due < on || soon).then(|| ReviewDue {
                learner: c.learner,
                last_review: c.last_review,
                next_due,
                rule: rule.to_string(),
                booked: c.booked,
            })
        })
        .collect();
    due.sort_by(|a, b| {
        (a.next_due, &a.learner.learner_name, a.learner.enrolment_id).cmp(&(
            b.next_due,
            &b.learner.learner_name,
            b.learner.enrolment_id,
        ))
    });
    Ok(due)
}

use crate::routes;
use crate::system::SystemWork;
use crate::{Error, Result, UnitOfWork};

/// A list a nightly reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderList {
    /// Learners off track on the night's figures.
    OffTrack,
    /// Actions past their target dates.
    OverdueActions,
    /// Progress reviews overdue, or due soon and not booked.
    ReviewsDue,
    /// Learners awaiting an induction past its deadline.
    InductionsOverdue,
    /// Sessions that ended without an outcome.
    UnclosedSessions,
    /// Learners with no active learning for weeks.
    NoActiveLearning,
}

impl ReminderList {
    /// Every list.
    pub const ALL: [ReminderList; 6] = [
        ReminderList::OffTrack,
        ReminderList::OverdueActions,
        ReminderList::ReviewsDue,
        ReminderList::InductionsOverdue,
        ReminderList::UnclosedSessions,
        ReminderList::NoActiveLearning,
    ];

    /// Its name in a page's path, e.g. `off-track`.
    pub fn slug(self) -> &'static str {
        match self {
            ReminderList::OffTrack => "off-track",
            ReminderList::OverdueActions => "overdue-actions",
            ReminderList::ReviewsDue => "reviews-due",
            ReminderList::InductionsOverdue => "inductions-overdue",
            ReminderList::UnclosedSessions => "unclosed-sessions",
            ReminderList::NoActiveLearning => "no-active-learning",
        }
    }

    /// The list named `slug`.
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.slug() == slug)
    }

    /// Its heading.
    pub fn title(self) -> &'static str {
        match self {
            ReminderList::OffTrack => "Learners off track",
            ReminderList::OverdueActions => "Overdue actions",
            ReminderList::ReviewsDue => "Progress reviews due",
            ReminderList::InductionsOverdue => "Inductions overdue",
            ReminderList::UnclosedSessions => "Sessions without an outcome",
            ReminderList::NoActiveLearning => "Learners without active learning",
        }
    }
}

/// What one line of a list is about, as found.
#[derive(Debug, Clone)]
pub enum Found {
    /// A learner off track.
    OffTrack(OffTrack),
    /// An overdue action.
    OverdueAction(OverdueAction),
    /// A review due.
    ReviewDue(ReviewDue),
    /// An induction overdue.
    InductionOverdue(InductionOverdue),
    /// A session without an outcome.
    UnclosedSession(UnclosedSession),
    /// A learner without active learning.
    Inactive(Inactive),
}

/// One line of a list: whose it is, whom it is for, what is the matter and where to see it.
#[derive(Debug, Clone)]
pub struct Line {
    /// The enrolment and the people around it.
    pub learner: Learner,
    /// The member of staff the line is for: the enrolment's assessor, or for a session the
    /// assessor it is with.
    pub assessor_id: Option<Uuid>,
    /// What is the matter, in words.
    pub detail: String,
    /// The page that shows the thing itself.
    pub link: String,
    /// The row as found.
    pub found: Found,
}

/// A date as people in the UK write it: 5 March 2026.
pub fn uk_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// `n` days, in words.
pub fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// Every line of `list` in the tenant on the provider's day `on` (`now` for what is judged
/// to the minute), as a nightly job e-mails it. Off-track lines are read from the figures
/// recalculated for `on`.
pub async fn lines(
    work: &mut SystemWork,
    list: ReminderList,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Line>> {
    find(&mut work.tx, list, on, now).await
}

/// The people in the organisation who have turned the daily digests off.
pub async fn digests_off(work: &mut SystemWork) -> Result<HashSet<Uuid>> {
    Ok(reminders::digests_off(&mut work.tx).await?)
}

/// Every line of `list` in the tenant on the provider's day `on` (`now` for what is judged
/// to the minute). Off-track lines are read from the figures recalculated for `on`.
async fn find(
    tx: &mut TenantTx,
    list: ReminderList,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Line>> {
    let settings = settings::get(tx).await?;
    let line = |learner: &Learner, assessor_id, detail: String, link: String, found| Line {
        learner: learner.clone(),
        assessor_id,
        detail,
        link,
        found,
    };
    Ok(match list {
        ReminderList::OffTrack => {
            let signed_off = settings.track.basis == TrackBasis::SignedOff;
            reminders::off_track(tx, on, signed_off)
                .await?
                .into_iter()
                .map(|t| {
                    let since = match t.off_track_since {
                        Some(day) if day == on => "off track from today".to_owned(),
                        Some(day) => format!("off track since {}", uk_date(day)),
                        None => "off track after a change today".to_owned(),
                    };
                    let detail = format!(
                        "{:.0}% of the time elapsed, {:.0}% progress; {since}",
                        t.elapsed_percent, t.progress_percent
                    );
                    let link = routes::progress_map(t.learner.enrolment_id);
                    line(
                        &t.learner,
                        t.learner.assessor_id,
                        detail,
                        link,
                        Found::OffTrack(t.clone()),
                    )
                })
                .collect()
        }
        ReminderList::OverdueActions => reminders::overdue_actions(tx, on)
            .await?
            .into_iter()
            .map(|a| {
                let detail = format!(
                    "\"{}\", due {}, {} overdue",
                    a.title,
                    uk_date(a.target_date),
                    days((on - a.target_date).num_days())
                );
                let link = routes::action(a.learner.enrolment_id, a.action_id);
                line(
                    &a.learner,
                    a.learner.assessor_id,
                    detail,
                    link,
                    Found::OverdueAction(a.clone()),
                )
            })
            .collect(),
        ReminderList::ReviewsDue => reviews_due(
            tx,
            on,
            settings.review_frequency_weeks,
            REVIEW_DUE_WITHIN_DAYS,
        )
        .await?
        .into_iter()
        .map(|r| {
            let last = r.last_review.map_or_else(
                || "no review yet".to_owned(),
                |d| format!("last {}", uk_date(d)),
            );
            let when = if r.next_due < on {
                format!("review overdue since {} ({last})", uk_date(r.next_due))
            } else {
                format!("review due by {} ({last})", uk_date(r.next_due))
            };
            let detail = match r.booked {
                Some(b) => format!("{when}; booked for {}", uk_date(b)),
                None => format!("{when}; not booked"),
            };
            let link = routes::enrolment(r.learner.enrolment_id);
            line(
                &r.learner,
                r.learner.assessor_id,
                detail,
                link,
                Found::ReviewDue(r.clone()),
            )
        })
        .collect(),
        ReminderList::InductionsOverdue => {
            reminders::inductions_overdue(tx, on, settings.induction_within_days)
                .await?
                .into_iter()
                .map(|i| {
                    let booked = i.booked.map_or_else(
                        || "not booked".to_owned(),
                        |b| format!("booked for {}", uk_date(b)),
                    );
                    let detail = format!(
                        "started {}, induction was due by {}; {booked}",
                        uk_date(i.start_date),
                        uk_date(i.due)
                    );
                    let link = routes::enrolment(i.learner.enrolment_id);
                    line(
                        &i.learner,
                        i.learner.assessor_id,
                        detail,
                        link,
                        Found::InductionOverdue(i.clone()),
                    )
                })
                .collect()
        }
        ReminderList::UnclosedSessions => reminders::unclosed_sessions(tx, now)
            .await?
            .into_iter()
            .map(|s| {
                let detail = format!(
                    "{} session on {} has no outcome recorded",
                    s.session_type.replace('_', "-"),
                    uk_date(local_date(&settings.tz(), s.starts_at))
                );
                let link = routes::session(s.session_id);
                line(
                    &s.learner,
                    Some(s.session_assessor_id),
                    detail,
                    link,
                    Found::UnclosedSession(s.clone()),
                )
            })
            .collect(),
        ReminderList::NoActiveLearning => {
            reminders::without_active_learning(tx, on, settings.active_learning_weeks)
                .await?
                .into_iter()
                .map(|i| {
                    let detail = match i.last_activity {
                        Some(d) => format!(
                            "no active learning since {} ({})",
                            uk_date(d),
                            days((on - d).num_days())
                        ),
                        None => "no active learning recorded yet".to_owned(),
                    };
                    let link = routes::enrolment(i.learner.enrolment_id);
                    line(
                        &i.learner,
                        i.learner.assessor_id,
                        detail,
                        link,
                        Found::Inactive(i.clone()),
                    )
                })
                .collect()
        }
    })
}

/// A list as a member of staff sees it on its page: the day it is for and their lines.
#[derive(Debug, Clone)]
pub struct CaseloadList {
    /// Which list.
    pub list: ReminderList,
    /// The provider's day it is for; for off-track learners, the day of the latest
    /// figures (absent when none have been recalculated yet).
    pub on: Option<NaiveDate>,
    /// The lines: an admin's or auditor's, every one; an assessor's, those they are the
    /// assessor for.
    pub lines: Vec<Line>,
}

/// The caseload page of a digest: staff only (learners and employers get 403). Admins and
/// auditors see the whole organisation; an assessor the lines a digest would send them.
pub async fn caseload_list(
    uow: &mut UnitOfWork,
    list: ReminderList,
    now: DateTime<Utc>,
) -> Result<CaseloadList> {
    let everyone = uow.principal.sees_whole_organisation();
    if !everyone && !uow.principal.has(Role::Assessor) {
        return Err(Error::Forbidden);
    }
    let today = folio_domain::jobs::local_date(&uow.settings().await?.tz(), now);
    let on = match list {
        ReminderList::OffTrack => folio_db::tracks::latest_figures_on(&mut uow.tx, today).await?,
        _ => Some(today),
    };
    let Some(on) = on else {
        return Ok(CaseloadList {
            list,
            on: None,
            lines: Vec::new(),
        });
    };
    let me = uow.principal.user_id;
    let lines = find(&mut uow.tx, list, on, now)
        .await?
        .into_iter()
        .filter(|l| everyone || l.assessor_id == Some(me))
        .collect();
    Ok(CaseloadList {
        list,
        on: Some(on),
        lines,
    })
}

/// A learner's own actions past their target dates today, oldest first: the list their
/// overdue-actions e-mail is about.
pub async fn my_overdue_actions(uow: &mut UnitOfWork, now: DateTime<Utc>) -> Result<Vec<Line>> {
    if !uow.principal.has(Role::Learner) {
        return Err(Error::Forbidden);
    }
    let today = folio_domain::jobs::local_date(&uow.settings().await?.tz(), now);
    let me = uow.principal.user_id;
    Ok(find(&mut uow.tx, ReminderList::OverdueActions, today, now)
        .await?
        .into_iter()
        .filter(|l| l.learner.learner_id == me)
        .collect())
}
