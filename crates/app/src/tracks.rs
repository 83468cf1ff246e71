//! The nightly track recalculation: every enrolment's figures (progress, time elapsed,
//! track status) for the provider's day, with history, which the off-track e-mails and the
//! pages read.

use chrono::NaiveDate;
use folio_db::{reminders, settings, tracks};

pub use folio_db::tracks::RecalcReport;

use crate::Result;
use crate::system::SystemWork;

/// Recalculates every enrolment's figures for the provider's day `on` by the
/// organisation's track rule.
pub async fn recalculate(work: &mut SystemWork, on: NaiveDate) -> Result<RecalcReport> {
    let settings = settings::get(&mut work.tx).await?;
    Ok(tracks::recalculate(&mut work.tx, on, &settings).await?)
}

/// Whether some enrolment in progress has no figures for `on` yet (the night's
/// recalculation has not run, or has not reached a new enrolment).
pub async fn needs_recalculation(work: &mut SystemWork, on: NaiveDate) -> Result<bool> {
    Ok(reminders::needs_recalculation(&mut work.tx, on).await?)
}
