//! The nightly reminder emails. Each job reads what it is about in one query, works out
//! every email in memory, and queues them all in the outbox in one transaction, each under
//! a dedup key naming the recipient (or the thing) and the day: a job run again the same
//! day, by a retry, a second scheduler or an admin, queues nothing new.
//!
//! Learners hear about their own work (going off track, overdue actions); the emails that
//! summarise many learners go to each assessor as one digest a day, which they can turn off.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
pub(crate) use folio_app::reminders::uk_date;
use folio_app::reminders::{self, Found, Line, OverdueAction, ReminderList, days};
use folio_app::routes;
use folio_app::system::{NewEmail, SystemWork};
use folio_domain::TenantId;
use folio_domain::jobs::learner_reminder_due;
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
    /// Every line of a list, each to the member of staff it is for.
    pub(crate) fn of(lines: &[Line]) -> Self {
        let mut digests = Self::default();
        for line in lines {
            if let Some(to) = line.assessor_id {
                digests.0.entry(to).or_default().push(DigestRow {
                    learner: format!(
                        "{} ({})",
                        line.learner.learner_name, line.learner.course_title
                    ),
                    detail: line.detail.clone(),
                });
            }
        }
        digests
    }

    /// One digest email per assessor, keyed `{kind}:{assessor}:{day}`, linking to the
    /// list's page.
    pub(crate) fn emails(self, list: ReminderList, on: NaiveDate, text: &DigestText) -> Vec<Email> {
        self.0
            .into_iter()
            .map(|(to, rows)| {
                let intro = if rows.len() == 1 {
                    text.intro_one.to_owned()
                } else {
                    text.intro_many.replace("{n}", &rows.len().to_string())
                };
                Email {
                    dedup_key: format!("{}:{to}:{on}", text.kind),
                    to,
                    template: "digest",
                    context: json!({
                        "subject": format!("{} ({})", text.subject, rows.len()),
                        "intro": intro,
                        "rows": rows,
                        "link_path": routes::caseload_list(list),
                        "settings_path": routes::notification_settings(),
                    }),
                }
            })
            .collect()
    }
}

/// The words of one kind of digest.
pub(crate) struct DigestText {
    /// The first part of its dedup key.
    pub(crate) kind: &'static str,
    pub(crate) subject: &'static str,
    pub(crate) intro_one: &'static str,
    /// `{n}` is replaced by the count.
    pub(crate) intro_many: &'static str,
}

/// Queues the emails in one transaction; digests to people who turned them off are dropped.
pub(crate) async fn queue(
    mut work: SystemWork,
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
        let queued = work
            .queue_email(&NewEmail {
                dedup_key: &email.dedup_key,
                to_user_id: email.to,
                template: email.template,
                context: email.context,
            })
            .await?;
        if queued {
            report.queued += 1;
        } else {
            report.already_queued += 1;
        }
    }
    work.commit().await?;
    Ok(report)
}

/// Overdue actions: each learner with an action newly overdue (its first late day, then
/// weekly) gets one email listing all their overdue actions; each assessor gets a digest of
/// every overdue action on their caseload.
pub async fn overdue_actions(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<ReminderReport> {
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    let lines = reminders::lines(&mut work, ReminderList::OverdueActions, on, now).await?;
    let off = reminders::digests_off(&mut work).await?;

    let mut by_learner: BTreeMap<Uuid, Vec<(&OverdueAction, &str)>> = BTreeMap::new();
    for line in &lines {
        if let Found::OverdueAction(action) = &line.found {
            by_learner
                .entry(action.learner.learner_id)
                .or_default()
                .push((action, &line.link));
        }
    }
    let mut emails = Vec::new();
    for (learner, list) in by_learner {
        if !list
            .iter()
            .any(|(a, _)| learner_reminder_due((on - a.target_date).num_days()))
        {
            continue;
        }
        let items: Vec<Value> = list
            .iter()
            .map(|(a, link)| {
                json!({
                    "title": a.title,
                    "course_title": a.learner.course_title,
                    "target_date": uk_date(a.target_date),
                    "overdue": format!("{} overdue", days((on - a.target_date).num_days())),
                    "link_path": link,
                })
            })
            .collect();
        emails.push(Email {
            dedup_key: format!("overdue-actions:{learner}:{on}"),
            to: learner,
            template: "overdue_actions_learner",
            context: json!({
                "count": items.len(),
                "actions": items,
                "link_path": routes::my_overdue_actions(),
            }),
        });
    }
    emails.extend(Digests::of(&lines).emails(
        ReminderList::OverdueActions,
        on,
        &DigestText {
            kind: "overdue-actions-digest",
            subject: "Overdue actions on your caseload",
            intro_one: "One action on your caseload is past its target date:",
            intro_many: "{n} actions on your caseload are past their target dates:",
        },
    ));
    queue(work, lines.len(), emails, &off).await
}

/// A digest per assessor of one list, nothing to learners.
async fn digest_only(
    ctx: &JobContext,
    tenant: TenantId,
    list: ReminderList,
    on: NaiveDate,
    now: DateTime<Utc>,
    text: &DigestText,
) -> anyhow::Result<ReminderReport> {
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    let lines = reminders::lines(&mut work, list, on, now).await?;
    let off = reminders::digests_off(&mut work).await?;
    let emails = Digests::of(&lines).emails(list, on, text);
    queue(work, lines.len(), emails, &off).await
}

/// Progress reviews overdue, or due within 14 days and not booked: a digest per assessor.
pub async fn review_checks(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<ReminderReport> {
    digest_only(
        ctx,
        tenant,
        ReminderList::ReviewsDue,
        on,
        now,
        &DigestText {
            kind: "review-checks",
            subject: "Progress reviews due",
            intro_one: "One learner on your caseload needs a progress review:",
            intro_many: "{n} learners on your caseload need a progress review:",
        },
    )
    .await
}

/// Learners still awaiting induction past the deadline: a digest per assessor.
pub async fn induction_overdue(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<ReminderReport> {
    digest_only(
        ctx,
        tenant,
        ReminderList::InductionsOverdue,
        on,
        now,
        &DigestText {
            kind: "induction-overdue",
            subject: "Inductions overdue",
            intro_one: "One learner on your caseload has not had an induction in time:",
            intro_many: "{n} learners on your caseload have not had an induction in time:",
        },
    )
    .await
}

/// Sessions that ended without an outcome: a digest to the assessor each session is with.
pub async fn unclosed_sessions(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<ReminderReport> {
    digest_only(
        ctx,
        tenant,
        ReminderList::UnclosedSessions,
        on,
        now,
        &DigestText {
            kind: "unclosed-sessions",
            subject: "Sessions without an outcome",
            intro_one: "One of your past sessions has no outcome recorded:",
            intro_many: "{n} of your past sessions have no outcome recorded:",
        },
    )
    .await
}

/// Learners with no active learning for the tenant's number of weeks: a digest per
/// assessor, who decides whether a break in learning is due.
pub async fn no_active_learning(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<ReminderReport> {
    digest_only(ctx, tenant, ReminderList::NoActiveLearning, on, now, &DigestText {
        kind: "no-active-learning",
        subject: "Learners without active learning",
        intro_one: "One learner on your caseload has shown no active learning for weeks; consider a break in learning:",
        intro_many: "{n} learners on your caseload have shown no active learning for weeks; consider a break in learning:",
    })
    .await
}
