//! Reading back what the nightly recalculation (`folio_db::tracks::recalculate`) stores:
//! an enrolment's latest figures (`enrolment_tracks`) and its daily history
//! (`enrolment_track_history`). Only the tests read them one enrolment at a time, so these
//! queries live here rather than in `folio-db`.

use chrono::{DateTime, NaiveDate, Utc};
use folio_db::TenantTx;
use folio_domain::progress::TrackStatus;
use sqlx::FromRow;
use uuid::Uuid;

/// The latest figures of one enrolment.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct TrackRow {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// The tenant-local day the figures are for.
    pub computed_on: NaiveDate,
    /// The learner's criteria (mandatory and chosen optional units).
    pub criteria: i32,
    /// Of those, mapped but not signed off.
    pub mapped: i32,
    /// Of those, signed off.
    pub signed_off: i32,
    /// Criteria with evidence mapped (signed off or not), in percent.
    pub mapped_percent: f64,
    /// Criteria signed off, in percent.
    pub signed_off_percent: f64,
    /// Time elapsed against the planned end date, in percent.
    pub elapsed_percent: f64,
    /// The planned end date has passed.
    pub past_end: bool,
    /// `off_track`, `on_track`, `ahead` or `not_applicable`.
    pub track_status: String,
    /// Projected completion date from pace so far.
    pub projected_completion: Option<NaiveDate>,
    /// First day of the current unbroken off-track run; `None` unless off track.
    pub off_track_since: Option<NaiveDate>,
    /// When the row was last written.
    pub updated_at: DateTime<Utc>,
}

impl TrackRow {
    /// The stored track status as the domain's.
    pub fn track(&self) -> Option<TrackStatus> {
        parse_track(&self.track_status)
    }
}

/// One day's figures of one enrolment.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct TrackHistoryRow {
    /// The day.
    pub computed_on: NaiveDate,
    /// The learner's criteria.
    pub criteria: i32,
    /// Of those, mapped but not signed off.
    pub mapped: i32,
    /// Of those, signed off.
    pub signed_off: i32,
    /// Mapped %, signed off or not.
    pub mapped_percent: f64,
    /// Signed off %.
    pub signed_off_percent: f64,
    /// Time elapsed %, against the planned end date.
    pub elapsed_percent: f64,
    /// The planned end date had passed.
    pub past_end: bool,
    /// `off_track`, `on_track`, `ahead` or `not_applicable`.
    pub track_status: String,
    /// Projected completion date.
    pub projected_completion: Option<NaiveDate>,
}

impl TrackHistoryRow {
    /// The stored track status as the domain's.
    pub fn track(&self) -> Option<TrackStatus> {
        parse_track(&self.track_status)
    }
}

fn parse_track(name: &str) -> Option<TrackStatus> {
    [
        TrackStatus::OffTrack,
        TrackStatus::OnTrack,
        TrackStatus::Ahead,
        TrackStatus::NotApplicable,
    ]
    .into_iter()
    .find(|t| t.as_str() == name)
}

/// The enrolment's newest `days` daily figures (one row per day recalculated), oldest
/// first, ready to draw as a trend.
pub async fn history(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    days: i64,
) -> sqlx::Result<Vec<TrackHistoryRow>> {
    let tenant = tx.tenant();
    let mut rows: Vec<TrackHistoryRow> = sqlx::query_as(
        "select computed_on, criteria, mapped, signed_off, mapped_percent, signed_off_percent,
                elapsed_percent, past_end, track_status, projected_completion
         from enrolment_track_history
         where tenant_id = $1 and enrolment_id = $2
         order by computed_on desc
         limit greatest($3, 0)",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(days)
    .fetch_all(tx.conn())
    .await?;
    rows.reverse();
    Ok(rows)
}

/// The enrolment's latest figures; `None` before its first recalculation (or for another
/// tenant's enrolment).
pub async fn current(tx: &mut TenantTx, enrolment_id: Uuid) -> sqlx::Result<Option<TrackRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "select enrolment_id, computed_on, criteria, mapped, signed_off, mapped_percent,
                signed_off_percent, elapsed_percent, past_end, track_status,
                projected_completion, off_track_since, updated_at
         from enrolment_tracks
         where tenant_id = $1 and enrolment_id = $2",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_optional(tx.conn())
    .await
}
