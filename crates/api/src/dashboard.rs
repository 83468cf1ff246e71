//! Dashboards: the provider admin's figures across the organisation and the assessor's
//! homepage figures for their caseload, each a tile with the list behind it.
//!
//! Adapters over `folio_app::dashboard`, where who sees which enrolments is written.

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::dashboard::{self, Reach, Row, Tile};
use folio_domain::off_the_job::Hours;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use uuid::Uuid;

use crate::AppState;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum DashboardTag {
    /// Admin and assessor dashboards: figures and the lists behind them.
    Dashboards,
}

/// `/api/v1/dashboard` and `/api/v1/dashboard/{key}`.
pub struct DashboardApi(pub AppState);

/// A dashboard figure, or (`learners`) a list only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
enum DashboardKey {
    /// Enrolments in progress (awaiting induction, in learning, on a break).
    Caseload,
    /// Off track on the stored track figures (worked out each night and again whenever
    /// a sign-off, mapping, date or course changes).
    OffTrack,
    /// On track on the stored track figures.
    OnTrack,
    /// Ahead on the stored track figures.
    Ahead,
    /// Evidence submitted or resubmitted and not yet mapped to any criterion (nor so
    /// signed off), and not returned for improvement.
    NewEvidenceToReview,
    /// Actions the learner has moved to `in_progress` (with their feedback and time
    /// spent), waiting for the assessor to mark them complete.
    ActionsNeedingCompletion,
    /// Sessions starting within 14 days without an outcome.
    UpcomingSessions,
    /// Learners in learning whose next progress review is overdue (last attended review,
    /// else start of learning, plus `review_frequency_weeks`).
    ReviewsOverdue,
    /// Learners awaiting induction `induction_within_days` after their start.
    InductionsOverdue,
    /// Sessions that have ended without an outcome.
    UnclosedSessions,
    /// Actual off-the-job hours below expected to date (the rule chosen by start date).
    OtjBehindPlan,
    /// Still in progress after the planned end date.
    PastPlannedEnd,
    /// Every learner in scope with their last sign-in, never or longest ago first (a list
    /// only: its count is the caseload's).
    Learners,
}

impl From<Tile> for DashboardKey {
    fn from(t: Tile) -> Self {
        match t {
            Tile::Caseload => Self::Caseload,
            Tile::OffTrack => Self::OffTrack,
            Tile::OnTrack => Self::OnTrack,
            Tile::Ahead => Self::Ahead,
            Tile::NewEvidenceToReview => Self::NewEvidenceToReview,
            Tile::ActionsNeedingCompletion => Self::ActionsNeedingCompletion,
            Tile::UpcomingSessions => Self::UpcomingSessions,
            Tile::ReviewsOverdue => Self::ReviewsOverdue,
            Tile::InductionsOverdue => Self::InductionsOverdue,
            Tile::UnclosedSessions => Self::UnclosedSessions,
            Tile::OtjBehindPlan => Self::OtjBehindPlan,
            Tile::PastPlannedEnd => Self::PastPlannedEnd,
            Tile::Learners => Self::Learners,
        }
    }
}

/// Whose enrolments the dashboard counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
enum DashboardScope {
    /// The whole organisation (admins, auditors).
    Organisation,
    /// The enrolments I assess or quality-assure.
    Caseload,
}

/// One figure.
#[derive(Debug, Object)]
struct TileBody {
    /// Which; `GET /api/v1/dashboard/{key}` lists what it counts.
    key: DashboardKey,
    /// How many.
    count: i64,
}

/// The dashboard.
#[derive(Debug, Object)]
struct DashboardBody {
    /// Whose enrolments are counted.
    scope: DashboardScope,
    /// The organisation's local date the figures are for.
    today: NaiveDate,
    /// The day whose time elapsed the track figures `off_track`, `on_track` and `ahead`
    /// count are judged on (the night's run); their progress is as of now. Absent until
    /// the first recalculation.
    figures_as_of: Option<NaiveDate>,
    /// Every figure.
    tiles: Vec<TileBody>,
}

/// A row of a dashboard list: the learner's enrolment, and the fields of the list's own
/// (absent for other lists).
#[derive(Debug, Object)]
struct DashboardItem {
    /// The enrolment.
    enrolment_id: Uuid,
    /// The learner.
    learner_id: Uuid,
    /// Their name.
    learner_name: String,
    /// The course's title.
    course_title: String,
    /// The assessor, if any.
    assessor_id: Option<Uuid>,
    /// Their name.
    assessor_name: Option<String>,
    /// The enrolment's status.
    enrolment_status: String,
    /// Start date.
    start_date: NaiveDate,
    /// Planned end date.
    planned_end_date: NaiveDate,
    /// The learner's last sign-in; absent if never.
    last_login_at: Option<DateTime<Utc>>,
    /// The evidence (`new_evidence_to_review`), action (`actions_needing_completion`) or
    /// session (`upcoming_sessions`, `unclosed_sessions`).
    item_id: Option<Uuid>,
    /// The evidence's or action's title.
    title: Option<String>,
    /// The session's type.
    session_type: Option<String>,
    /// When the session starts.
    starts_at: Option<DateTime<Utc>>,
    /// When the evidence's latest version was uploaded.
    submitted_at: Option<DateTime<Utc>>,
    /// The review's or induction's due date, the action's target date, or the planned end
    /// date (`past_planned_end`).
    due_date: Option<NaiveDate>,
    /// The last attended review (`reviews_overdue`).
    last_review: Option<NaiveDate>,
    /// The next review or induction booked and not yet held.
    booked: Option<NaiveDate>,
    /// Track status on the stored track figures (as the learner's overview shows it).
    track_status: Option<String>,
    /// While off track: the first night of the current off-track spell, as the nightly
    /// run found it; absent for a learner a change since that run took off track.
    off_track_since: Option<NaiveDate>,
    /// Time elapsed, percent.
    elapsed_percent: Option<f64>,
    /// Progress on the organisation's track basis, percent.
    progress_percent: Option<f64>,
    /// The day the track figures are for.
    computed_on: Option<NaiveDate>,
    /// Time the learner reports spending on the action, minutes.
    time_spent_minutes: Option<i32>,
    /// Off-the-job hours expected to date (`otj_behind_plan`).
    otj_expected_hours: Option<f64>,
    /// Off-the-job hours logged that count (`otj_behind_plan`).
    otj_actual_hours: Option<f64>,
}

fn hours(h: Hours) -> f64 {
    // Only for the JSON number: hundredths / 100 is the nearest double to the exact figure.
    (h.hundredths() as f64) / 100.0
}

impl From<Row> for DashboardItem {
    fn from(r: Row) -> Self {
        Self {
            enrolment_id: r.enrolment_id,
            learner_id: r.learner_id,
            learner_name: r.learner_name,
            course_title: r.course_title,
            assessor_id: r.assessor_id,
            assessor_name: r.assessor_name,
            enrolment_status: r.enrolment_status,
            start_date: r.start_date,
            planned_end_date: r.planned_end_date,
            last_login_at: r.last_login_at,
            item_id: r.item_id,
            title: r.title,
            session_type: r.session_type,
            starts_at: r.starts_at,
            submitted_at: r.submitted_at,
            due_date: r.due_date,
            last_review: r.last_review,
            booked: r.booked,
            track_status: r.track_status,
            off_track_since: r.off_track_since,
            elapsed_percent: r.elapsed_percent,
            progress_percent: r.progress_percent,
            computed_on: r.computed_on,
            time_spent_minutes: r.time_spent_minutes,
            otj_expected_hours: r.otj_expected.map(hours),
            otj_actual_hours: r.otj_actual.map(hours),
        }
    }
}

/// A page of a dashboard list.
#[derive(Debug, Object)]
struct DashboardList {
    /// Which list.
    key: DashboardKey,
    /// The organisation's local date the list is for.
    today: NaiveDate,
    /// The rows.
    items: Vec<DashboardItem>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

impl From<Reach> for DashboardScope {
    fn from(r: Reach) -> Self {
        match r {
            Reach::Organisation => Self::Organisation,
            Reach::Caseload => Self::Caseload,
        }
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "DashboardTag::Dashboards")]
impl DashboardApi {
    /// My dashboard's figures: the whole organisation for admins and auditors, my caseload
    /// for assessors (and IQAs, the learners assigned to them). Learners and employers get
    /// 403.
    #[oai(path = "/dashboard", method = "get")]
    async fn dashboard(&self, credentials: Credentials) -> ApiResult<Json<DashboardBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let figures = dashboard::figures(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(DashboardBody {
            scope: figures.reach.into(),
            today: figures.today,
            figures_as_of: figures.figures_as_of,
            tiles: figures
                .tiles
                .into_iter()
                .map(|(tile, count)| TileBody {
                    key: tile.into(),
                    count,
                })
                .collect(),
        }))
    }

    /// The list behind one figure (or `learners`: everyone in scope with their last
    /// sign-in), in the figure's order: most urgent first. 404 for an unknown key.
    #[oai(path = "/dashboard/:key", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        key: Path<String>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<DashboardList>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let list = dashboard::list(&mut uow, &key.0, cursor.0.as_deref(), limit.0).await?;
        uow.commit().await?;
        Ok(Json(DashboardList {
            key: list.tile.into(),
            today: list.today,
            next_cursor: list.next_cursor,
            items: list.items.into_iter().map(Into::into).collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_names_each_list_by_its_key() {
        use poem_openapi::types::ToJSON;
        for tile in Tile::LISTS {
            let name = DashboardKey::from(tile).to_json();
            assert_eq!(name, Some(serde_json::Value::from(tile.key())));
        }
    }
}
