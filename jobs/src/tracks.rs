//! The nightly track recalculation, and the off-track emails that read its figures.

use chrono::{Days, NaiveDate};
use folio_db::tracks::RecalcReport;
use folio_db::{reminders, settings};
use folio_domain::{TenantId, TrackBasis};
use serde_json::json;

use crate::JobContext;
use crate::reminders::{DigestText, Digests, Email, ReminderReport, queue, uk_date};

/// How long after a learner goes off track they are still told: a night missed (workers
/// down, a failed run) still sends their email when the workers come back.
const TELL_WITHIN_DAYS: u64 = 7;

/// Recalculates every enrolment's figures for the provider's day `on`, with history.
pub async fn recalculate(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
) -> anyhow::Result<RecalcReport> {
    let mut tx = ctx.db.begin_tenant(tenant).await?;
    let settings = settings::get(&mut tx).await?;
    let report = folio_db::tracks::recalculate(&mut tx, on, &settings.track).await?;
    tx.commit().await?;
    Ok(report)
}

/// Off-track emails for day `on`: each learner once per off-track spell (keyed by the day
/// it began), and each assessor a digest of their caseload's off-track learners. Runs the
/// recalculation first if the night's has not run, so the emails never read stale figures.
pub async fn off_track_emails(
    ctx: &JobContext,
    tenant: TenantId,
    on: NaiveDate,
) -> anyhow::Result<ReminderReport> {
    let mut tx = ctx.db.begin_tenant(tenant).await?;
    if reminders::needs_recalculation(&mut tx, on).await? {
        drop(tx);
        recalculate(ctx, tenant, on).await?;
        tx = ctx.db.begin_tenant(tenant).await?;
    }
    let settings = settings::get(&mut tx).await?;
    let signed_off = settings.track.basis == TrackBasis::SignedOff;
    let off_track = reminders::off_track(&mut tx, on, signed_off).await?;
    let off = reminders::digests_off(&mut tx).await?;
    let recent = on
        .checked_sub_days(Days::new(TELL_WITHIN_DAYS))
        .unwrap_or(on);

    let mut emails = Vec::new();
    let mut digests = Digests::default();
    for learner in &off_track {
        let elapsed = format!("{:.0}", learner.elapsed_percent);
        let progress = format!("{:.0}", learner.progress_percent);
        let new = learner.off_track_since > recent;
        if new {
            emails.push(Email {
                dedup_key: format!(
                    "off-track:{}:{}",
                    learner.learner.enrolment_id, learner.off_track_since
                ),
                to: learner.learner.learner_id,
                template: "off_track_learner",
                context: json!({
                    "course_title": learner.learner.course_title,
                    "enrolment_id": learner.learner.enrolment_id,
                    "elapsed_percent": elapsed,
                    "progress_percent": progress,
                    "planned_end": uk_date(learner.planned_end_date),
                    "assessor_name": learner.learner.assessor_name,
                }),
            });
        }
        let since = if learner.off_track_since == on {
            "off track from today".to_owned()
        } else {
            format!("off track since {}", uk_date(learner.off_track_since))
        };
        digests.add(
            learner.learner.assessor_id,
            &learner.learner,
            format!("{elapsed}% of the time elapsed, {progress}% progress; {since}"),
        );
    }
    emails.extend(digests.emails(
        "off-track-digest",
        on,
        &DigestText {
            subject: "Learners off track on your caseload",
            intro_one: "One learner on your caseload is off track:",
            intro_many: "{n} learners on your caseload are off track:",
            link_path: "/caseload/off-track",
        },
    ));
    queue(tx, off_track.len(), emails, &off).await
}
