//! The nightly track recalculation, and the off-track emails that read its figures.

use chrono::{DateTime, Days, NaiveDate, Utc};
use folio_app::SystemWork;
use folio_app::reminders::{self, Found, ReminderList, uk_date};
use folio_app::tracks::{self, RecalcReport};
use folio_domain::TenantId;
use serde_json::json;

use crate::JobContext;
use crate::reminders::{DigestText, Digests, Email, ReminderReport, queue};

/// How long after a learner goes off track they are still told: a night missed (workers
/// down, a failed run) still sends their email when the workers come back.
const TELL_WITHIN_DAYS: u64 = 7;

/// Recalculates every enrolment's figures for the provider's day `on`, with history.
pub async fn recalculate(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
) -> anyhow::Result<RecalcReport> {
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    let report = tracks::recalculate(&mut work, on).await?;
    work.commit().await?;
    Ok(report)
}

/// Off-track emails for day `on`: each learner once per off-track spell (keyed by the day
/// it began), and each assessor a digest of their caseload's off-track learners. Runs the
/// recalculation first if the night's has not run, so the emails never read stale figures.
pub async fn off_track_emails(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<ReminderReport> {
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    if tracks::needs_recalculation(&mut work, on).await? {
        drop(work);
        recalculate(ctx, tenant, on).await?;
        work = SystemWork::begin(&ctx.db, tenant).await?;
    }
    let lines = reminders::lines(&mut work, ReminderList::OffTrack, on, now).await?;
    let off = reminders::digests_off(&mut work).await?;
    let recent = on
        .checked_sub_days(Days::new(TELL_WITHIN_DAYS))
        .unwrap_or(on);

    let mut emails = Vec::new();
    for line in &lines {
        let Found::OffTrack(learner) = &line.found else {
            continue;
        };
        // One who went off track after the night's run (a change during the day) is told
        // by the next night, which sets the first day of the spell.
        let Some(since) = learner.off_track_since else {
            continue;
        };
        if since > recent {
            emails.push(Email {
                dedup_key: format!("off-track:{}:{since}", learner.learner.enrolment_id),
                to: learner.learner.learner_id,
                template: "off_track_learner",
                context: json!({
                    "course_title": learner.learner.course_title,
                    "enrolment_id": learner.learner.enrolment_id,
                    "elapsed_percent": format!("{:.0}", learner.elapsed_percent),
                    "progress_percent": format!("{:.0}", learner.progress_percent),
                    "planned_end": uk_date(learner.planned_end_date),
                    "assessor_name": learner.learner.assessor_name,
                    "link_path": line.link,
                }),
            });
        }
    }
    emails.extend(Digests::of(&lines).emails(
        ReminderList::OffTrack,
        on,
        &DigestText {
            kind: "off-track-digest",
            subject: "Learners off track on your caseload",
            intro_one: "One learner on your caseload is off track:",
            intro_many: "{n} learners on your caseload are off track:",
        },
    ));
    queue(work, lines.len(), emails, &off).await
}
