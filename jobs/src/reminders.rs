//! The nightly reminder emails. Each job reads what it is about in one query, works out
//! every email in memory, and queues them all in the outbox in one transaction, each under
//! a dedup key naming the recipient (or the thing) and the day: a job run again the same
//! day, by a retry, a second scheduler or an admin, queues nothing new.
//!
//! Learners hear about their own work (going off track, overdue actions); the emails that
//! summarise many learners go to each assessor as one digest a day, which they can turn off.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use folio_db::outbox::{self, NewEmail};
use folio_db::reminders::{self, Learner};
use folio_db::{TenantTx, settings};
use folio_domain::TenantId;
use folio_domain::jobs::{REVIEW_DUE_WITHIN_DAYS, learner_reminder_due};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::JobContext;

/// What a reminder job queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReminderReport {
    /// Things found (actions, learners, sessions).
    pub found: usize,
    /// Emails newly queued.
    pub queued: usize,
    /// Emails this run would send that an earlier run already queued.
    pub already_queued: usize,
    /// Digests not sent because the assessor turned digests off.
    pub opted_out: usize,
}

/// One email to queue.
pub(crate) struct Email {
    pub(crate) dedup_key: String,
    pub(crate) to: Uuid,
    pub(crate) template: &'static str,
    pub(crate) context: Value,
}

/// A line of a digest: the learner and what is the matter.
#[derive(Serialize)]
struct DigestRow {
    learner: String,
    detail: String,
}

/// Digests by assessor, in the order their lines were found.
#[derive(Default)]
pub(crate) struct Digests(BTreeMap<Uuid, Vec<DigestRow>>);

impl Digests {
    pub(crate) fn add(&mut self, to: Option<Uuid>, learner: &Learner, detail: String) {
        if let Some(to) = to {
            self.0.entry(to).or_default().push(DigestRow {
                learner: format!("{} ({})", learner.learner_name, learner.course_title),
                detail,
            });
        }
    }

    /// One digest email per assessor, keyed `{kind}:{assessor}:{day}`.
    pub(crate) fn emails(self, kind: &str, on: NaiveDate, text: &DigestText) -> Vec<Email> {
        self.0
            .into_iter()
            .map(|(to, rows)| {
                let intro = if rows.len() == 1 {
                    text.intro_one.to_owned()
                } else {
                    text.intro_many.replace("{n}", &rows.len().to_string())
                };
                Email {
                    dedup_key: format!("{kind}:{to}:{on}"),
                    to,
                    template: "digest",
                    context: json!({
                        "subject": format!("{} ({})", text.subject, rows.len()),
                        "intro": intro,
                        "rows": rows,
                        "link_path": text.link_path,
                    }),
                }
            })
            .collect()
    }
}

/// The words of one kind of digest.
pub(crate) struct DigestText {
    pub(crate) subject: &'static str,
    pub(crate) intro_one: &'static str,
    /// `{n}` is replaced by the count.
    pub(crate) intro_many: &'static str,
    pub(crate) link_path: &'static str,
}

/// A date as people in the UK write it: 5 March 2026.
pub(crate) fn uk_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// Queues the emails in one transaction; digests to people who turned them off are dropped.
pub(crate) async fn queue(
    mut tx: TenantTx,
    found: usize,
    emails: Vec<Email>,
    digests_off: &HashSet<Uuid>,
) -> anyhow::Result<ReminderReport> {
    let mut report = ReminderReport {
        found,
        ..ReminderReport::default()
    };
    for email in emails {
        if email.template == "digest" && digests_off.contains(&email.to) {
            report.opted_out += 1;
            continue;
        }
        let queued = outbox::enqueue(
            &mut tx,
            &NewEmail {
                dedup_key: &email.dedup_key,
                to_user_id: email.to,
                template: email.template,
                context: email.context,
            },
        )
        .await?;
        if queued {
            report.queued += 1;
        } else {
            report.already_queued += 1;
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Overdue actions: each learner with an action newly overdue (its first late day, then
/// weekly) gets one email listing all their overdue actions; each assessor gets a digest of
/// every overdue action on their caseload.
pub async fn overdue_actions(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
) -> anyhow::Result<ReminderReport> {
    let mut tx = ctx.db.begin_tenant(tenant).await?;
    let actions = reminders::overdue_actions(&mut tx, on).await?;
    let off = reminders::digests_off(&mut tx).await?;

    let mut by_learner: BTreeMap<Uuid, Vec<&reminders::OverdueAction>> = BTreeMap::new();
    let mut digests = Digests::default();
    for action in &actions {
        let late = (on - action.target_date).num_days();
        by_learner
            .entry(action.learner.learner_id)
            .or_default()
            .push(action);
        digests.add(
            action.learner.assessor_id,
            &action.learner,
            format!(
                "\"{}\", due {}, {} overdue",
                action.title,
                uk_date(action.target_date),
                days(late)
            ),
        );
    }
    let mut emails = Vec::new();
    for (learner, list) in by_learner {
        if !list
            .iter()
            .any(|a| learner_reminder_due((on - a.target_date).num_days()))
        {
            continue;
        }
        let items: Vec<Value> = list
            .iter()
            .map(|a| {
                json!({
                    "title": a.title,
                    "course_title": a.learner.course_title,
                    "target_date": uk_date(a.target_date),
                    "overdue": format!("{} overdue", days((on - a.target_date).num_days())),
                })
            })
            .collect();
        emails.push(Email {
            dedup_key: format!("overdue-actions:{learner}:{on}"),
            to: learner,
            template: "overdue_actions_learner",
            context: json!({ "count": items.len(), "actions": items }),
        });
    }
    emails.extend(digests.emails(
        "overdue-actions-digest",
        on,
        &DigestText {
            subject: "Overdue actions on your caseload",
            intro_one: "One action on your caseload is past its target date:",
            intro_many: "{n} actions on your caseload are past their target dates:",
            link_path: "/caseload/overdue-actions",
        },
    ));
    queue(tx, actions.len(), emails, &off).await
}

/// Progress reviews overdue, or due within 14 days and not booked: a digest per assessor.
pub async fn review_checks(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
) -> anyhow::Result<ReminderReport> {
    let mut tx = ctx.db.begin_tenant(tenant).await?;
    let settings = settings::get(&mut tx).await?;
    let due = reminders::reviews_due(
        &mut tx,
        on,
        settings.review_frequency_weeks,
        REVIEW_DUE_WITHIN_DAYS,
    )
    .await?;
    let off = reminders::digests_off(&mut tx).await?;
    let mut digests = Digests::default();
    for review in &due {
        let last = review.last_review.map_or_else(
            || "no review yet".to_owned(),
            |d| format!("last {}", uk_date(d)),
        );
        let when = if review.next_due < on {
            format!("review overdue since {} ({last})", uk_date(review.next_due))
        } else {
            format!("review due by {} ({last})", uk_date(review.next_due))
        };
        let detail = match review.booked {
            Some(b) => format!("{when}; booked for {}", uk_date(b)),
            None => format!("{when}; not booked"),
        };
        digests.add(review.learner.assessor_id, &review.learner, detail);
    }
    let emails = digests.emails(
        "review-checks",
        on,
        &DigestText {
            subject: "Progress reviews due",
            intro_one: "One learner on your caseload needs a progress review:",
            intro_many: "{n} learners on your caseload need a progress review:",
            link_path: "/caseload/reviews-due",
        },
    );
    queue(tx, due.len(), emails, &off).await
}

/// Learners still awaiting induction past the deadline: a digest per assessor.
pub async fn induction_overdue(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
) -> anyhow::Result<ReminderReport> {
    let mut tx = ctx.db.begin_tenant(tenant).await?;
    let settings = settings::get(&mut tx).await?;
    let overdue =
        reminders::inductions_overdue(&mut tx, on, settings.induction_within_days).await?;
    let off = reminders::digests_off(&mut tx).await?;
    let mut digests = Digests::default();
    for learner in &overdue {
        let booked = learner.booked.map_or_else(
            || "not booked".to_owned(),
            |b| format!("booked for {}", uk_date(b)),
        );
        digests.add(
            learner.learner.assessor_id,
            &learner.learner,
            format!(
                "started {}, induction was due by {}; {booked}",
                uk_date(learner.start_date),
                uk_date(learner.due)
            ),
        );
    }
    let emails = digests.emails(
        "induction-overdue",
        on,
        &DigestText {
            subject: "Inductions overdue",
            intro_one: "One learner on your caseload has not had an induction in time:",
            intro_many: "{n} learners on your caseload have not had an induction in time:",
            link_path: "/caseload/inductions-overdue",
        },
    );
    queue(tx, overdue.len(), emails, &off).await
}

/// Sessions that ended without an outcome: a digest to the assessor each session is with.
pub async fn unclosed_sessions(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<ReminderReport> {
    let mut tx = ctx.db.begin_tenant(tenant).await?;
    let sessions = reminders::unclosed_sessions(&mut tx, now).await?;
    let off = reminders::digests_off(&mut tx).await?;
    let mut digests = Digests::default();
    for session in &sessions {
        digests.add(
            Some(session.session_assessor_id),
            &session.learner,
            format!(
                "{} session on {} has no outcome recorded",
                session.session_type.replace('_', "-"),
                uk_date(session.starts_at.date_naive())
            ),
        );
    }
    let emails = digests.emails(
        "unclosed-sessions",
        on,
        &DigestText {
            subject: "Sessions without an outcome",
            intro_one: "One of your past sessions has no outcome recorded:",
            intro_many: "{n} of your past sessions have no outcome recorded:",
            link_path: "/caseload/unclosed-sessions",
        },
    );
    queue(tx, sessions.len(), emails, &off).await
}

/// Learners with no active learning for the tenant's number of weeks: a digest per
/// assessor, who decides whether a break in learning is due.
pub async fn no_active_learning(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
) -> anyhow::Result<ReminderReport> {
    let mut tx = ctx.db.begin_tenant(tenant).await?;
    let settings = settings::get(&mut tx).await?;
    let inactive =
        reminders::without_active_learning(&mut tx, on, settings.active_learning_weeks).await?;
    let off = reminders::digests_off(&mut tx).await?;
    let mut digests = Digests::default();
    for learner in &inactive {
        let detail = match learner.last_activity {
            Some(d) => format!(
                "no active learning since {} ({})",
                uk_date(d),
                days((on - d).num_days())
            ),
            None => "no active learning recorded yet".to_owned(),
        };
        digests.add(learner.learner.assessor_id, &learner.learner, detail);
    }
    let emails = digests.emails(
        "no-active-learning",
        on,
        &DigestText {
            subject: "Learners without active learning",
            intro_one: "One learner on your caseload has shown no active learning for weeks; consider a break in learning:",
            intro_many: "{n} learners on your caseload have shown no active learning for weeks; consider a break in learning:",
            link_path: "/caseload/no-active-learning",
        },
    );
    queue(tx, inactive.len(), emails, &off).await
}
