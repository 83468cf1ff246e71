//! A learner's progress: the progress bars, the units page, the progress map (gap
//! analysis), the record of achievement and the learner overview. Every figure is computed
//! by `folio_domain::progress` from counts the database makes set-based; this module only
//! loads, composes and shapes them.
//!
//! Each endpoint answers exactly whoever may see the enrolment: it is loaded through
//! `folio_db::enrolments::get_visible`, so anyone else (another learner, an assessor
//! without it on their caseload, another organisation) gets 404.

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::progress::{self, TimeFigures};
use folio_domain::progress::{
    self as domain_progress, CriterionState, ProgressBars, ShownFigures, TrackStatus,
};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use uuid::Uuid;

use crate::AppState;
use crate::principal::Credentials;
use crate::problem::ApiResult;
use crate::settings::TrackRuleBody;

#[derive(Tags)]
enum ProgressTag {
    /// Progress bars, units, progress map, record of achievement, learner overview.
    Progress,
}

/// `/api/v1/enrolments/{id}/…` progress views.
pub struct ProgressApi(pub AppState);

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
        let shown = b.shown();
        Self {
            criteria: shown.criteria,
            criteria_signed_off: shown.signed_off,
            criteria_with_evidence: shown.with_evidence,
            signed_off_percent: shown.signed_off_percent,
            mapped_percent: shown.mapped_percent,
            time_elapsed_percent: b.elapsed_shown(),
            past_planned_end: b.elapsed.past_end,
            days_to_planned_end: b.elapsed.days_to_end,
            track_status: b.track.into(),
            projected_completion_date: b.projected_completion,
        }
    }
}

/// The dates the time bar is drawn from.
#[derive(Debug, Object)]
#[oai(rename = "TimeFigures")]
struct TimeBody {
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
    time: TimeBody,
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

impl From<TimeFigures> for TimeBody {
    fn from(t: TimeFigures) -> Self {
        Self {
            as_of: t.as_of,
            start_date: t.start_date,
            planned_end_date: t.planned_end_date,
            time_elapsed_percent: t.time_elapsed_percent,
            past_planned_end: t.past_planned_end,
            days_to_planned_end: t.days_to_planned_end,
            revised_end_date: t.revised_end_date,
            time_elapsed_percent_of_revised: t.time_elapsed_percent_of_revised,
            past_revised_end: t.past_revised_end,
        }
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let p = progress::progress(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(ProgressBody {
            enrolment_id: p.enrolment.id,
            status: p.enrolment.status,
            time: p.time.into(),
            track_rule: p.rule.into(),
            overall: p.overall.into(),
            components: p
                .components
                .into_iter()
                .map(|c| ComponentProgress {
                    component_id: c.id,
                    title: c.title,
                    figures: c.bars.into(),
                })
                .collect(),
        }))
    }

    /// The units page: the learner's mandatory and chosen optional units by component,
    /// each with its percentages and the day it was achieved.
    #[oai(path = "/:id/units", method = "get")]
    async fn units(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<UnitsBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let (enrolment, components) = progress::units(&mut uow, id.0).await?;
        uow.commit().await?;
        let components = components
            .into_iter()
            .map(|c| UnitsComponent {
                component_id: c.id,
                title: c.title,
                units: c
                    .items
                    .into_iter()
                    .map(|u| {
                        let shown = ShownFigures::of(u.counts);
                        UnitProgress {
                            achieved_on: u.achieved_on(),
                            unit_id: u.id,
                            code: u.code,
                            title: u.title,
                            optional: u.optional,
                            optional_group: u.optional_group,
                            criteria: shown.criteria,
                            criteria_signed_off: shown.signed_off,
                            criteria_with_evidence: shown.with_evidence,
                            signed_off_percent: shown.signed_off_percent,
                            mapped_percent: shown.mapped_percent,
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let map = progress::progress_map(&mut uow, id.0, non_completed.0.unwrap_or(false)).await?;
        uow.commit().await?;
        Ok(Json(ProgressMapBody {
            enrolment_id: map.enrolment_id,
            non_completed_only: map.non_completed_only,
            components: map
                .components
                .into_iter()
                .map(|c| MapComponent {
                    component_id: c.id,
                    title: c.title,
                    units: c
                        .items
                        .into_iter()
                        .map(|u| MapUnit {
                            unit_id: u.id,
                            code: u.code,
                            title: u.title,
                            optional: u.optional,
                            criteria: u
                                .criteria
                                .into_iter()
                                .map(|c| MapCriterionBody {
                                    criterion_id: c.id,
                                    code: c.code,
                                    text: c.text,
                                    state: c.state.into(),
                                    evidence_ids: c.evidence_ids,
                                    signed_off_at: c.signed_off_at,
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let (enrolment, components) = progress::units(&mut uow, id.0).await?;
        uow.commit().await?;
        let components = components
            .into_iter()
            .map(|c| {
                let dates: Vec<Option<NaiveDate>> =
                    c.items.iter().map(|u| u.achieved_on()).collect();
                let achieved: Vec<UnitAchievement> = c
                    .items
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
                    component_id: c.id,
                    title: c.title,
                    achieved_on: domain_progress::component_achieved_on(dates.iter().copied()),
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let progress::Overview {
            enrolment, bars, ..
        } = progress::overview(&mut uow, id.0).await?;
        uow.commit().await?;
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
            signed_off_percent: bars.shown().signed_off_percent,
            mapped_percent: bars.shown().mapped_percent,
            days_to_planned_end: bars.elapsed.days_to_end,
            past_planned_end: bars.elapsed.past_end,
            track_status: bars.track.into(),
        }))
    }

    /// The learner's progress over time as the nightly recalculation recorded it, oldest
    /// first: every night of the last three months, and the last night of each month
    /// before them.
    #[oai(path = "/:id/progress/history", method = "get")]
    async fn history(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<NightBody>>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let nights = progress::history(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(
            nights
                .into_iter()
                .map(|n| NightBody {
                    on: n.on,
                    signed_off_percent: n.signed_off_percent,
                    mapped_percent: n.mapped_percent,
                    time_elapsed_percent: n.elapsed_percent,
                    past_planned_end: n.past_end,
                    track_status: n.track.into(),
                })
                .collect(),
        ))
    }
}

/// One night's recorded progress figures.
#[derive(Debug, Object)]
struct NightBody {
    /// The provider's local day the figures are for.
    on: NaiveDate,
    /// Criteria signed off, in percent (the green bar).
    signed_off_percent: f64,
    /// Criteria with evidence, signed off or not, in percent (the orange bar).
    mapped_percent: f64,
    /// Planned duration elapsed, in percent (the blue bar); over 100 past the planned end.
    time_elapsed_percent: f64,
    /// Past the planned end date.
    past_planned_end: bool,
    /// Track status that night.
    track_status: TrackStatusName,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
