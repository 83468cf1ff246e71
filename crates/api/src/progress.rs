//! A learner's progress: the progress bars, the units page, the progress map (gap
//! analysis), the record of achievement and the learner overview. Every figure is computed
//! by `folio_domain::progress` from counts the database makes set-based; this module only
//! loads, composes and shapes them.
//!
//! Each endpoint answers exactly whoever may see the enrolment: it is loaded through
//! `folio_db::enrolments::get_visible`, so anyone else (another learner, an assessor
//! without it on their caseload, another organisation) gets 404.

use chrono::{DateTime, NaiveDate, Utc};
use folio_db::enrolments::Enrolment;
use folio_db::progress::{self as queries, MapCriterion, UnitCounts};
use folio_db::settings;
use folio_domain::TrackRule;
use folio_domain::progress::{
    self, CriterionCounts, CriterionState, ProgressBars, Timeline, TrackStatus,
};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use uuid::Uuid;

use crate::AppState;
use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiResult, AppError, AppResult};
use crate::settings::TrackRuleBody;

#[derive(Tags)]
enum ProgressTag {
    /// Progress bars, units, progress map, record of achievement, learner overview.
    Progress,
}

/// `/api/v1/enrolments/{id}/…` progress views.
pub struct ProgressApi(pub AppState);

/// The one place "today" is read. Everything below takes the date as an argument, so the
/// domain functions are tested with fixed dates and the API tests choose enrolment dates
/// relative to this day. Time-log dates are checked against it too.
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Loads the enrolment if the caller may see it (404 otherwise), through the one query
/// that decides visibility.
async fn visible(authed: &mut Authenticated, id: Uuid) -> AppResult<Enrolment> {
    authed
        .visible_enrolment(id)
        .await
        .map(folio_app::Visible::into_inner)
}

fn timeline(enrolment: &Enrolment) -> AppResult<Timeline> {
    let status = enrolment
        .status()
        .ok_or_else(|| AppError::Internal(format!("unknown status `{}`", enrolment.status)))?;
    Ok(Timeline {
        start: enrolment.start_date,
        planned_end: enrolment.planned_end_date,
        revised_end: enrolment.revised_end_date,
        status,
        ended_on: enrolment.completed_on.or(enrolment.withdrawn_on),
    })
}

/// Sign-offs are instants; the record of achievement and projections speak in days, taken
/// in UTC like every date Folio stores.
fn day(at: Option<DateTime<Utc>>) -> Option<NaiveDate> {
    at.map(|t| t.date_naive())
}

/// Whether a learner is keeping pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
enum TrackStatusName {
    /// Behind: time elapsed leads progress by the tenant's margin (red).
    OffTrack,
    /// Neither behind nor ahead (amber).
    OnTrack,
    /// Progress leads time elapsed by the margin (green).
    Ahead,
    /// Withdrawn or completed: not judged.
    NotApplicable,
}

impl From<TrackStatus> for TrackStatusName {
    fn from(t: TrackStatus) -> Self {
        match t {
            TrackStatus::OffTrack => TrackStatusName::OffTrack,
            TrackStatus::OnTrack => TrackStatusName::OnTrack,
            TrackStatus::Ahead => TrackStatusName::Ahead,
            TrackStatus::NotApplicable => TrackStatusName::NotApplicable,
        }
    }
}

/// Where a criterion stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
enum CriterionStateName {
    /// No evidence mapped (red).
    None,
    /// Evidence mapped, not signed off (orange).
    Mapped,
    /// Signed off (green).
    SignedOff,
}

impl From<CriterionState> for CriterionStateName {
    fn from(s: CriterionState) -> Self {
        match s {
            CriterionState::None => CriterionStateName::None,
            CriterionState::Mapped => CriterionStateName::Mapped,
            CriterionState::SignedOff => CriterionStateName::SignedOff,
        }
    }
}

/// One set of progress bars: a component's or the whole programme's. Percentages have one
/// decimal place.
#[derive(Debug, Object)]
struct ProgressFigures {
    /// The learner's criteria (mandatory units and chosen optional units).
    criteria: u32,
    /// Of those, signed off.
    criteria_signed_off: u32,
    /// Of those, with evidence mapped, signed off or not.
    criteria_with_evidence: u32,
    /// Green bar: signed off / criteria × 100 (0 with no criteria).
    signed_off_percent: f64,
    /// Orange bar: with evidence mapped (signed off or not) / criteria × 100.
    mapped_percent: f64,
    /// Blue bar: (today − start) / (planned end − start) × 100; 0 before the start, over
    /// 100 past the planned end.
    time_elapsed_percent: f64,
    /// The planned end date has passed: the time bar is red.
    past_planned_end: bool,
    /// Days until the planned end date; negative once past it.
    days_to_planned_end: i64,
    /// Progress against time elapsed, by the organisation's track rule.
    track_status: TrackStatusName,
    /// When 100% would be signed off at the pace so far (signed-off % per week); the date
    /// of the last sign-off once everything is signed off; absent with nothing signed off
    /// yet, before the first day, or for a withdrawn or completed learner short of 100%.
    projected_completion_date: Option<NaiveDate>,
}

impl From<ProgressBars> for ProgressFigures {
    fn from(b: ProgressBars) -> Self {
        Self {
            criteria: b.counts.total,
            criteria_signed_off: b.counts.signed_off,
            criteria_with_evidence: b.counts.signed_off + b.counts.mapped,
            signed_off_percent: progress::shown(b.percentages.signed_off),
            mapped_percent: progress::shown(b.percentages.mapped),
            time_elapsed_percent: progress::shown(b.elapsed.percent),
            past_planned_end: b.elapsed.past_end,
            days_to_planned_end: b.elapsed.days_to_end,
            track_status: b.track.into(),
            projected_completion_date: b.projected_completion,
        }
    }
}

/// The dates the time bar is drawn from.
#[derive(Debug, Object)]
struct TimeFigures {
    /// The day the figures are computed for: today, or the withdrawal or completion date
    /// of a learner who has left or finished (their clock stops there). The clock runs on
    /// through a break in learning.
    as_of: NaiveDate,
    /// First day of learning.
    start_date: NaiveDate,
    /// Planned end date: fixed at start; the time bar and track status use it.
    planned_end_date: NaiveDate,
    /// Time elapsed against the planned end date, as in the progress bars.
    time_elapsed_percent: f64,
    /// The planned end date has passed.
    past_planned_end: bool,
    /// Days until the planned end date; negative once past it.
    days_to_planned_end: i64,
    /// A revised end date recorded beside the planned one, if any.
    revised_end_date: Option<NaiveDate>,
    /// Time elapsed against the revised end date, if one is recorded (for information:
    /// track status stays against the planned date).
    time_elapsed_percent_of_revised: Option<f64>,
    /// The revised end date has passed.
    past_revised_end: Option<bool>,
}

/// A component's progress bars.
#[derive(Debug, Object)]
struct ComponentProgress {
    /// The component.
    component_id: Uuid,
    /// Its title.
    title: String,
    /// Its bars.
    #[oai(flatten)]
    figures: ProgressFigures,
}

/// The progress page: overall and per component.
#[derive(Debug, Object)]
struct ProgressBody {
    /// The enrolment.
    enrolment_id: Uuid,
    /// Its status: `awaiting_induction`, `in_learning`, `break_in_learning`, `withdrawn`
    /// or `completed`.
    status: String,
    /// The dates behind the time bars.
    time: TimeFigures,
    /// The organisation's track rule the statuses were judged by.
    track_rule: TrackRuleBody,
    /// The whole programme.
    overall: ProgressFigures,
    /// Each component of the course, in order; one without any of the learner's units has
    /// no criteria and shows 0%.
    components: Vec<ComponentProgress>,
}

/// A unit on the units page.
#[derive(Debug, Object)]
struct UnitProgress {
    /// The unit.
    unit_id: Uuid,
    /// Its code.
    code: String,
    /// Its title.
    title: String,
    /// Optional (chosen for this learner) rather than mandatory.
    optional: bool,
    /// The group an optional unit was chosen from.
    optional_group: Option<String>,
    /// Its criteria.
    criteria: u32,
    /// Of those, signed off.
    criteria_signed_off: u32,
    /// Of those, with evidence mapped, signed off or not.
    criteria_with_evidence: u32,
    /// Signed off / criteria × 100 (0 with no criteria).
    signed_off_percent: f64,
    /// With evidence mapped / criteria × 100.
    mapped_percent: f64,
    /// The day its last criterion was signed off, once all are.
    achieved_on: Option<NaiveDate>,
}

/// A component on the units page.
#[derive(Debug, Object)]
struct UnitsComponent {
    /// The component.
    component_id: Uuid,
    /// Its title.
    title: String,
    /// The learner's units in it, in order.
    units: Vec<UnitProgress>,
}

/// The units page: the learner's units (mandatory and chosen optional) by component.
#[derive(Debug, Object)]
struct UnitsBody {
    /// The enrolment.
    enrolment_id: Uuid,
    /// Each component of the course, in order.
    components: Vec<UnitsComponent>,
}

/// A criterion on the progress map.
#[derive(Debug, Object)]
struct MapCriterionBody {
    /// The criterion.
    criterion_id: Uuid,
    /// Its code.
    code: String,
    /// What it asks.
    text: String,
    /// `none` (red), `mapped` (orange) or `signed_off` (green).
    state: CriterionStateName,
    /// The evidence mapped to it, oldest first.
    evidence_ids: Vec<Uuid>,
    /// When it was signed off.
    signed_off_at: Option<DateTime<Utc>>,
}

/// A unit on the progress map.
#[derive(Debug, Object)]
struct MapUnit {
    /// The unit.
    unit_id: Uuid,
    /// Its code.
    code: String,
    /// Its title.
    title: String,
    /// Optional (chosen for this learner) rather than mandatory.
    optional: bool,
    /// Its criteria, in order.
    criteria: Vec<MapCriterionBody>,
}

/// A component on the progress map.
#[derive(Debug, Object)]
struct MapComponent {
    /// The component.
    component_id: Uuid,
    /// Its title.
    title: String,
    /// The learner's units in it with criteria to show, in order.
    units: Vec<MapUnit>,
}

/// The progress map (gap analysis).
#[derive(Debug, Object)]
struct ProgressMapBody {
    /// The enrolment.
    enrolment_id: Uuid,
    /// Only criteria not yet signed off are listed.
    non_completed_only: bool,
    /// Components with criteria to show, in order.
    components: Vec<MapComponent>,
}

/// An achieved unit.
#[derive(Debug, Object)]
struct UnitAchievement {
    /// The unit.
    unit_id: Uuid,
    /// Its code.
    code: String,
    /// Its title.
    title: String,
    /// The day its last criterion was signed off.
    achieved_on: NaiveDate,
}

/// A component's record of achievement.
#[derive(Debug, Object)]
struct ComponentAchievement {
    /// The component.
    component_id: Uuid,
    /// Its title.
    title: String,
    /// The day its last unit was achieved, once every one of the learner's units in it is.
    achieved_on: Option<NaiveDate>,
    /// The learner's units in it.
    units_total: u32,
    /// Those achieved, listed in `units`.
    units_achieved: u32,
    /// The achieved units, in order.
    units: Vec<UnitAchievement>,
}

/// The record of achievement: completed units and components with their dates.
#[derive(Debug, Object)]
struct AchievementsBody {
    /// The enrolment.
    enrolment_id: Uuid,
    /// Each component of the course, in order.
    components: Vec<ComponentAchievement>,
}

/// The learner in an overview.
#[derive(Debug, Object)]
struct OverviewLearner {
    /// Id.
    id: Uuid,
    /// Name.
    name: String,
}

/// The course in an overview.
#[derive(Debug, Object)]
struct OverviewCourse {
    /// Id.
    id: Uuid,
    /// Code.
    code: String,
    /// Title.
    title: String,
}

/// The learner overview. (Photo, next planned session, documents to sign and outstanding
/// actions join it as those features arrive.)
#[derive(Debug, Object)]
struct LearnerOverview {
    /// The enrolment.
    enrolment_id: Uuid,
    /// The learner.
    learner: OverviewLearner,
    /// The course.
    course: OverviewCourse,
    /// Status: `awaiting_induction`, `in_learning`, `break_in_learning`, `withdrawn` or
    /// `completed`.
    status: String,
    /// Planned end date.
    planned_end_date: NaiveDate,
    /// Overall signed off %, one decimal place.
    signed_off_percent: f64,
    /// Overall mapped % (evidence mapped, signed off or not).
    mapped_percent: f64,
    /// Days until the planned end date; negative once past it.
    days_to_planned_end: i64,
    /// The planned end date has passed.
    past_planned_end: bool,
    /// On or off track.
    track_status: TrackStatusName,
}

/// Rows ordered by component, gathered into one group per component, keeping the order.
fn by_component<R, T>(
    rows: Vec<R>,
    key: impl Fn(&R) -> (Uuid, &str),
    mut item: impl FnMut(R) -> Option<T>,
) -> Vec<(Uuid, String, Vec<T>)> {
    let mut groups: Vec<(Uuid, String, Vec<T>)> = Vec::new();
    for row in rows {
        let (id, title) = key(&row);
        let title = title.to_owned();
        let item = item(row);
        match groups.last_mut() {
            Some(group) if group.0 == id => group.2.extend(item),
            _ => groups.push((id, title, item.into_iter().collect())),
        }
    }
    groups
}

/// A unit of the learner's, taken from a counts row that has one.
struct Unit {
    id: Uuid,
    code: String,
    title: String,
    optional: bool,
    optional_group: Option<String>,
    counts: CriterionCounts,
    last_sign_off: Option<NaiveDate>,
}

fn unit(row: UnitCounts) -> Option<Unit> {
    let counts = row.counts();
    Some(Unit {
        id: row.unit_id?,
        code: row.unit_code?,
        title: row.unit_title?,
        optional: row.optional.unwrap_or_default(),
        optional_group: row.optional_group,
        counts,
        last_sign_off: day(row.last_signed_off_at),
    })
}

/// The learner's units grouped by component (a component without any is an empty group).
async fn units_by_component(
    authed: &mut Authenticated,
    enrolment_id: Uuid,
) -> AppResult<Vec<(Uuid, String, Vec<Unit>)>> {
    let rows = queries::unit_counts(&mut authed.tx, enrolment_id).await?;
    Ok(by_component(
        rows,
        |r| (r.component_id, r.component_title.as_str()),
        unit,
    ))
}

/// The counts of a set of units and the latest sign-off among them.
fn totals<'a>(units: impl IntoIterator<Item = &'a Unit>) -> (CriterionCounts, Option<NaiveDate>) {
    units
        .into_iter()
        .fold((CriterionCounts::default(), None), |(counts, last), u| {
            (counts + u.counts, last.max(u.last_sign_off))
        })
}

fn time_figures(timeline: &Timeline, today: NaiveDate) -> TimeFigures {
    let on = progress::clock_date(today, timeline.status, timeline.ended_on);
    let planned = progress::time_elapsed(timeline.start, timeline.planned_end, on);
    let revised = timeline
        .revised_end
        .map(|end| progress::time_elapsed(timeline.start, end, on));
    TimeFigures {
        as_of: on,
        start_date: timeline.start,
        planned_end_date: timeline.planned_end,
        time_elapsed_percent: progress::shown(planned.percent),
        past_planned_end: planned.past_end,
        days_to_planned_end: planned.days_to_end,
        revised_end_date: timeline.revised_end,
        time_elapsed_percent_of_revised: revised.map(|r| progress::shown(r.percent)),
        past_revised_end: revised.map(|r| r.past_end),
    }
}

#[OpenApi(prefix_path = "/api/v1/enrolments", tag = "ProgressTag::Progress")]
impl ProgressApi {
    /// Progress bars overall and per component: signed off %, mapped %, time elapsed %,
    /// track status and projected completion (whoever may see the enrolment).
    #[oai(path = "/:id/progress", method = "get")]
    async fn progress(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ProgressBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let rule: TrackRule = settings::get(&mut authed.tx).await?.track;
        let components = units_by_component(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        let timeline = timeline(&enrolment)?;
        let today = today();
        let bars = |(counts, last)| progress::progress_bars(counts, last, &timeline, &rule, today);
        let overall = bars(totals(components.iter().flat_map(|c| &c.2)));
        Ok(Json(ProgressBody {
            enrolment_id: enrolment.id,
            status: enrolment.status.clone(),
            time: time_figures(&timeline, today),
            track_rule: rule.into(),
            overall: overall.into(),
            components: components
                .iter()
                .map(|(component_id, title, units)| ComponentProgress {
                    component_id: *component_id,
                    title: title.clone(),
                    figures: bars(totals(units)).into(),
                })
                .collect(),
        }))
    }

    /// The units page: the learner's mandatory and chosen optional units by component,
    /// each with its percentages and the day it was achieved.
    #[oai(path = "/:id/units", method = "get")]
    async fn units(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<UnitsBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let components = units_by_component(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        let components = components
            .into_iter()
            .map(|(component_id, title, units)| UnitsComponent {
                component_id,
                title,
                units: units
                    .into_iter()
                    .map(|u| {
                        let pct = progress::percentages(u.counts);
                        UnitProgress {
                            achieved_on: progress::unit_achieved_on(u.counts, u.last_sign_off),
                            unit_id: u.id,
                            code: u.code,
                            title: u.title,
                            optional: u.optional,
                            optional_group: u.optional_group,
                            criteria: u.counts.total,
                            criteria_signed_off: u.counts.signed_off,
                            criteria_with_evidence: u.counts.signed_off + u.counts.mapped,
                            signed_off_percent: progress::shown(pct.signed_off),
                            mapped_percent: progress::shown(pct.mapped),
                        }
                    })
                    .collect(),
            })
            .collect();
        Ok(Json(UnitsBody {
            enrolment_id: enrolment.id,
            components,
        }))
    }

    /// The progress map (gap analysis): every criterion of the learner's units with its
    /// state and mapped evidence; `non_completed=true` lists only those not signed off.
    #[oai(path = "/:id/progress-map", method = "get")]
    async fn progress_map(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        /// Only criteria not yet signed off (default false).
        non_completed: Query<Option<bool>>,
    ) -> ApiResult<Json<ProgressMapBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let non_completed_only = non_completed.0.unwrap_or(false);
        let rows = queries::progress_map(&mut authed.tx, id.0, non_completed_only).await?;
        authed.tx.commit().await?;
        let components = by_component(rows, |r| (r.component_id, r.component_title.as_str()), Some)
            .into_iter()
            .map(|(component_id, title, criteria)| MapComponent {
                component_id,
                title,
                units: map_units(criteria),
            })
            .collect();
        Ok(Json(ProgressMapBody {
            enrolment_id: enrolment.id,
            non_completed_only,
            components,
        }))
    }

    /// The record of achievement: each component with the learner's achieved units and
    /// their dates, and the component's own date once all its units are achieved.
    #[oai(path = "/:id/achievements", method = "get")]
    async fn achievements(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<AchievementsBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let components = units_by_component(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        let components = components
            .into_iter()
            .map(|(component_id, title, units)| {
                let dates: Vec<Option<NaiveDate>> = units
                    .iter()
                    .map(|u| progress::unit_achieved_on(u.counts, u.last_sign_off))
                    .collect();
                let achieved: Vec<UnitAchievement> = units
                    .into_iter()
                    .zip(&dates)
                    .filter_map(|(u, date)| {
                        date.map(|achieved_on| UnitAchievement {
                            unit_id: u.id,
                            code: u.code,
                            title: u.title,
                            achieved_on,
                        })
                    })
                    .collect();
                ComponentAchievement {
                    component_id,
                    title,
                    achieved_on: progress::component_achieved_on(dates.iter().copied()),
                    units_total: count(dates.len()),
                    units_achieved: count(achieved.len()),
                    units: achieved,
                }
            })
            .collect();
        Ok(Json(AchievementsBody {
            enrolment_id: enrolment.id,
            components,
        }))
    }

    /// The learner overview: name, course, status, overall progress, days until the
    /// planned end date and track status.
    #[oai(path = "/:id/overview", method = "get")]
    async fn overview(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<LearnerOverview>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let rule = settings::get(&mut authed.tx).await?.track;
        let overall = queries::overall_counts(&mut authed.tx, id.0).await?;
        authed.tx.commit().await?;
        let timeline = timeline(&enrolment)?;
        let bars = progress::progress_bars(
            overall.counts(),
            day(overall.last_signed_off_at),
            &timeline,
            &rule,
            today(),
        );
        Ok(Json(LearnerOverview {
            enrolment_id: enrolment.id,
            learner: OverviewLearner {
                id: enrolment.learner_id,
                name: enrolment.learner_name,
            },
            course: OverviewCourse {
                id: enrolment.course_id,
                code: enrolment.course_code,
                title: enrolment.course_title,
            },
            status: enrolment.status,
            planned_end_date: enrolment.planned_end_date,
            signed_off_percent: progress::shown(bars.percentages.signed_off),
            mapped_percent: progress::shown(bars.percentages.mapped),
            days_to_planned_end: bars.elapsed.days_to_end,
            past_planned_end: bars.elapsed.past_end,
            track_status: bars.track.into(),
        }))
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A component's progress-map rows (ordered by unit) gathered into units.
fn map_units(rows: Vec<MapCriterion>) -> Vec<MapUnit> {
    let mut units: Vec<MapUnit> = Vec::new();
    for row in rows {
        let criterion = MapCriterionBody {
            criterion_id: row.criterion_id,
            code: row.criterion_code,
            text: row.criterion_text,
            state: CriterionState::of(row.signed_off_at.is_some(), !row.evidence_ids.is_empty())
                .into(),
            evidence_ids: row.evidence_ids,
            signed_off_at: row.signed_off_at,
        };
        match units.last_mut() {
            Some(unit) if unit.unit_id == row.unit_id => unit.criteria.push(criterion),
            _ => units.push(MapUnit {
                unit_id: row.unit_id,
                code: row.unit_code,
                title: row.unit_title,
                optional: row.optional,
                criteria: vec![criterion],
            }),
        }
    }
    units
}
