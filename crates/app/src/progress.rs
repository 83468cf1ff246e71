//! A learner's progress, for whoever may see the enrolment (anyone else gets 404): the
//! progress bars overall and per component, the units page, the progress map (gap
//! analysis), the record of achievement and the overview. Every figure is computed by
//! `folio_domain::progress` from counts the database makes set-based; the use cases here
//! load them in the caller's unit of work and compose them.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use folio_db::enrolments::Enrolment;
use folio_db::progress::{self as queries, MapCriterion, UnitCounts};
use folio_domain::TrackRule;
use folio_domain::jobs::local_date;
use folio_domain::progress::{
    self, CriterionCounts, CriterionState, ProgressBars, Timeline, TrackStatus,
};
use uuid::Uuid;

use crate::{Error, Result, UnitOfWork};

/// The one place "today" is read for progress, plans and the time log: the provider's
/// local date (the `timezone` setting), as the nightly jobs and the dashboards read it, so
/// a learner in London logging time at 00:30 logs it for the day it is there. Everything
/// below takes the date as an argument, so the domain functions are tested with fixed
/// dates.
pub async fn today(uow: &mut UnitOfWork) -> Result<NaiveDate> {
    let tz = uow.settings().await?.tz();
    Ok(local_date(&tz, Utc::now()))
}

/// Sign-offs are instants; the record of achievement and projections speak in days, taken
/// in the provider's time zone.
fn day(tz: &Tz, at: Option<DateTime<Utc>>) -> Option<NaiveDate> {
    at.map(|t| local_date(tz, t))
}

fn timeline(enrolment: &Enrolment) -> Result<Timeline> {
    let status = enrolment
        .status()
        .ok_or_else(|| Error::Internal(format!("unknown status `{}`", enrolment.status)))?;
    Ok(Timeline {
        start: enrolment.start_date,
        planned_end: enrolment.planned_end_date,
        revised_end: enrolment.revised_end_date,
        status,
        ended_on: enrolment.completed_on.or(enrolment.withdrawn_on),
        breaks: enrolment.breaks(),
    })
}

/// One of the learner's units with its criterion counts.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The unit.
    pub id: Uuid,
    /// Its code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Optional (chosen for this learner) rather than mandatory.
    pub optional: bool,
    /// The group an optional unit was chosen from.
    pub optional_group: Option<String>,
    /// Its criteria by state.
    pub counts: CriterionCounts,
    /// The day of its latest sign-off.
    pub last_sign_off: Option<NaiveDate>,
}

impl Unit {
    /// The day its last criterion was signed off, once all are.
    pub fn achieved_on(&self) -> Option<NaiveDate> {
        progress::unit_achieved_on(self.counts, self.last_sign_off)
    }
}

/// A component of the course with the learner's units in it (none: an empty group).
#[derive(Debug, Clone)]
pub struct Component<T> {
    /// The component.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Its items, in order.
    pub items: Vec<T>,
}

/// The dates the time bar is drawn from.
#[derive(Debug, Clone, Copy)]
pub struct TimeFigures {
    /// The day the figures are for: today, or the withdrawal or completion date of a
    /// learner who has left or finished (their clock stops there).
    pub as_of: NaiveDate,
    /// First day of learning.
    pub start_date: NaiveDate,
    /// Planned end date.
    pub planned_end_date: NaiveDate,
    /// Time elapsed against the planned end date, one decimal place.
    pub time_elapsed_percent: f64,
    /// The planned end date has passed.
    pub past_planned_end: bool,
    /// Days until the planned end date; negative once past it.
    pub days_to_planned_end: i64,
    /// A revised end date recorded beside the planned one.
    pub revised_end_date: Option<NaiveDate>,
    /// Time elapsed against the revised end date, one decimal place.
    pub time_elapsed_percent_of_revised: Option<f64>,
    /// The revised end date has passed.
    pub past_revised_end: Option<bool>,
}

/// The progress page's figures: overall and per component.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The enrolment.
    pub enrolment: Enrolment,
    /// The organisation's track rule the statuses were judged by.
    pub rule: TrackRule,
    /// The dates behind the time bars.
    pub time: TimeFigures,
    /// The whole programme.
    pub overall: ProgressBars,
    /// Each component of the course, in order; one without any of the learner's units
    /// has no criteria and shows 0%.
    pub components: Vec<ComponentBars>,
}

/// A component's progress bars.
#[derive(Debug, Clone)]
pub struct ComponentBars {
    /// The component.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Its bars.
    pub bars: ProgressBars,
}

/// The progress map: the criteria of the learner's units by component.
#[derive(Debug, Clone)]
pub struct ProgressMap {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// Only criteria not yet signed off are listed.
    pub non_completed_only: bool,
    /// Components with criteria to show, in order, each with its units in order.
    pub components: Vec<Component<MapUnit>>,
}

/// A unit on the progress map.
#[derive(Debug, Clone)]
pub struct MapUnit {
    /// The unit.
    pub id: Uuid,
    /// Its code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Optional (chosen for this learner) rather than mandatory.
    pub optional: bool,
    /// Its criteria to show, in order.
    pub criteria: Vec<MapCriterionState>,
}

/// A criterion on the progress map, with its state.
#[derive(Debug, Clone)]
pub struct MapCriterionState {
    /// The criterion.
    pub id: Uuid,
    /// Its code.
    pub code: String,
    /// What it asks.
    pub text: String,
    /// Red, orange or green.
    pub state: CriterionState,
    /// The evidence mapped to it for this enrolment, oldest first.
    pub evidence_ids: Vec<Uuid>,
    /// When it was signed off, if it was.
    pub signed_off_at: Option<DateTime<Utc>>,
}

/// A component's progress-map rows (ordered by unit) gathered into units.
fn map_units(rows: Vec<MapCriterion>) -> Vec<MapUnit> {
    let mut units: Vec<MapUnit> = Vec::new();
    for row in rows {
        let criterion = MapCriterionState {
            id: row.criterion_id,
            code: row.criterion_code,
            text: row.criterion_text,
            state: CriterionState::of(row.signed_off_at.is_some(), !row.evidence_ids.is_empty()),
            evidence_ids: row.evidence_ids,
            signed_off_at: row.signed_off_at,
        };
        match units.last_mut() {
            Some(unit) if unit.id == row.unit_id => unit.criteria.push(criterion),
            _ => units.push(MapUnit {
                id: row.unit_id,
                code: row.unit_code,
                title: row.unit_title,
                optional: row.optional,
                criteria: vec![criterion],
            }),
        }
    }
    units
}

/// The overview's figures.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The enrolment (learner, course, status, dates).
    pub enrolment: Enrolment,
    /// The programme's bars.
    pub bars: ProgressBars,
    /// Whether the reader reads the programme's IQA samples (its tab is offered).
    pub reads_iqa_samples: bool,
}

/// Rows ordered by component, gathered into one group per component, keeping the order.
fn by_component<R, T>(
    rows: Vec<R>,
    key: impl Fn(&R) -> (Uuid, &str),
    mut item: impl FnMut(R) -> Option<T>,
) -> Vec<Component<T>> {
    let mut groups: Vec<Component<T>> = Vec::new();
    for row in rows {
        let (id, title) = key(&row);
        let title = title.to_owned();
        let item = item(row);
        match groups.last_mut() {
            Some(group) if group.id == id => group.items.extend(item),
            _ => groups.push(Component {
                id,
                title,
                items: item.into_iter().collect(),
            }),
        }
    }
    groups
}

/// A unit of the learner's, taken from a counts row that has one.
fn unit(tz: &Tz, row: UnitCounts) -> Option<Unit> {
    let counts = row.counts();
    Some(Unit {
        id: row.unit_id?,
        code: row.unit_code?,
        title: row.unit_title?,
        optional: row.optional.unwrap_or_default(),
        optional_group: row.optional_group,
        counts,
        last_sign_off: day(tz, row.last_signed_off_at),
    })
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
    let on = timeline.on(today);
    let planned = timeline.elapsed(today);
    let revised = timeline.elapsed_of_revised(today);
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

/// The units page (and the record of achievement): the enrolment, if the caller may see
/// it, and the learner's mandatory and chosen optional units by component.
pub async fn units(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
) -> Result<(Enrolment, Vec<Component<Unit>>)> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?.into_inner();
    let tz = uow.settings().await?.tz();
    let rows = queries::unit_counts(&mut uow.tx, enrolment_id).await?;
    let components = by_component(
        rows,
        |r| (r.component_id, r.component_title.as_str()),
        |r| unit(&tz, r),
    );
    Ok((enrolment, components))
}

/// Progress bars overall and per component: signed off %, mapped %, time elapsed %, track
/// status and projected completion.
pub async fn progress(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Progress> {
    let (enrolment, components) = units(uow, enrolment_id).await?;
    let rule: TrackRule = uow.settings().await?.track;
    let timeline = timeline(&enrolment)?;
    let today = today(uow).await?;
    let bars = |(counts, last)| progress::progress_bars(counts, last, &timeline, &rule, today);
    let overall = bars(totals(components.iter().flat_map(|c| &c.items)));
    let components = components
        .iter()
        .map(|c| ComponentBars {
            id: c.id,
            title: c.title.clone(),
            bars: bars(totals(&c.items)),
        })
        .collect();
    Ok(Progress {
        time: time_figures(&timeline, today),
        enrolment,
        rule,
        overall,
        components,
    })
}

/// The progress map (gap analysis): every criterion of the learner's units with its
/// mapped evidence; with `non_completed_only`, only those not signed off.
pub async fn progress_map(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    non_completed_only: bool,
) -> Result<ProgressMap> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    let rows = queries::progress_map(&mut uow.tx, enrolment.id, non_completed_only).await?;
    Ok(ProgressMap {
        enrolment_id: enrolment.id,
        non_completed_only,
        components: by_component(rows, |r| (r.component_id, r.component_title.as_str()), Some)
            .into_iter()
            .map(|c| Component {
                id: c.id,
                title: c.title,
                items: map_units(c.items),
            })
            .collect(),
    })
}

/// The learner overview's figures: overall progress, days to the planned end and track
/// status.
pub async fn overview(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Overview> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?.into_inner();
    let settings = uow.settings().await?;
    let tz = settings.tz();
    let overall = queries::overall_counts(&mut uow.tx, enrolment.id).await?;
    let timeline = timeline(&enrolment)?;
    let bars = progress::progress_bars(
        overall.counts(),
        day(&tz, overall.last_signed_off_at),
        &timeline,
        &settings.track,
        local_date(&tz, Utc::now()),
    );
    let reads_iqa_samples = crate::iqa::reads_samples(&uow.principal, &enrolment);
    Ok(Overview {
        enrolment,
        bars,
        reads_iqa_samples,
    })
}

/// One night's recorded progress figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Night {
    /// The provider's local day the figures are for.
    pub on: NaiveDate,
    /// Signed off, in percent.
    pub signed_off_percent: f64,
    /// With evidence (signed off or not), in percent.
    pub mapped_percent: f64,
    /// Planned duration elapsed, in percent; over 100 past the planned end.
    pub elapsed_percent: f64,
    /// Past the planned end date.
    pub past_end: bool,
    /// Track status that night.
    pub track: TrackStatus,
}

/// Nights shown one by one in a progress history; before them, one night a month.
const DAILY_HISTORY_DAYS: u32 = 92;

/// A learner's progress over time, oldest first, as the nightly recalculation recorded it
/// (signed off, mapped and time elapsed): every night of the last three months and the
/// last night of each month before. The figures are the nightly ones, not recomputed: the
/// page says so.
pub async fn history(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Vec<Night>> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    let today = today(uow).await?;
    folio_db::tracks::history(&mut uow.tx, enrolment.id, today, DAILY_HISTORY_DAYS)
        .await?
        .into_iter()
        .map(|row| {
            Ok(Night {
                on: row.computed_on,
                signed_off_percent: row.signed_off_percent,
                mapped_percent: row.mapped_percent,
                elapsed_percent: row.elapsed_percent,
                past_end: row.past_end,
                track: TrackStatus::from_name(&row.track_status).ok_or_else(|| {
                    Error::Internal(format!("unknown track status `{}`", row.track_status))
                })?,
            })
        })
        .collect()
}
