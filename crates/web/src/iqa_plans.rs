//! IQA sampling plans: `/app/iqa-plans` (each plan's planned against done, what is
//! overdue, and the form that makes one) and `/app/iqa-plans/{id}` (the samples it asks
//! for, learner by learner, the units and methods, and the forms that change or delete
//! it). Who sees and does what is the use cases' (`folio_app::iqa_plans`).

use chrono::NaiveDate;
use folio_app::iqa_plans::{self, PlanView};
use folio_app::routes;
use folio_domain::iqa::{Method, PlanAccess};
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;
use uuid::Uuid;

use super::{Flash, PageResult, Web, path_id};

/// A plan as its row and its page head show it.
#[derive(Debug, Serialize)]
struct PlanRow {
    id: Uuid,
    open: String,
    course_title: String,
    assessor_name: String,
    /// Which learners, in words.
    strategy: String,
    learners: usize,
    learners_planned: usize,
    planned: usize,
    done: usize,
    overdue: usize,
    units: usize,
    units_sampled: usize,
    methods_planned: usize,
    methods_sampled: usize,
    hidden_learners: usize,
    created_by_name: String,
}

fn strategy_words(v: &PlanView) -> String {
    let timing = format!(
        "interim {}% of the way through, summative {} weeks before the end",
        v.plan.interim_at_percent, v.plan.summative_weeks_before_end
    );
    match v.plan.percentage {
        Some(p) => format!("{p}% of the learners; {timing}"),
        None => format!("Every learner; {timing}"),
    }
}

impl From<&PlanView> for PlanRow {
    fn from(v: &PlanView) -> Self {
        let s = v.summary;
        Self {
            id: v.plan.id,
            open: routes::iqa_plan(v.plan.id),
            course_title: v.plan.course_title.clone(),
            assessor_name: v.plan.assessor_name.clone(),
            strategy: strategy_words(v),
            learners: s.learners,
            learners_planned: s.learners_planned,
            planned: s.planned,
            done: s.done,
            overdue: s.overdue,
            units: s.units,
            units_sampled: s.units_sampled,
            methods_planned: s.methods_planned,
            methods_sampled: s.methods_sampled,
            hidden_learners: s.hidden_learners,
            created_by_name: v.plan.created_by_name.clone(),
        }
    }
}

/// Something to choose.
#[derive(Debug, Serialize)]
struct Choice {
    id: Uuid,
    name: String,
}

/// A method to tick.
#[derive(Debug, Serialize)]
struct MethodChoice {
    value: &'static str,
    words: &'static str,
    checked: bool,
}

fn method_choices(chosen: &[String]) -> Vec<MethodChoice> {
    Method::ALL
        .into_iter()
        .map(|m| MethodChoice {
            value: m.as_str(),
            words: m.words(),
            checked: chosen.iter().any(|c| c == m.as_str()),
        })
        .collect()
}

/// `/app/iqa-plans`.
#[derive(Debug, Serialize)]
struct PlansPage {
    plans: Vec<PlanRow>,
    /// For those who may plan: what to choose from.
    may_plan: bool,
    courses: Vec<Choice>,
    assessors: Vec<Choice>,
    methods: Vec<MethodChoice>,
    link: &'static str,
}

/// `/app/iqa-plans`: every plan the reader may read with planned against done and what
/// is overdue; for IQAs and admins, the form that makes one.
#[handler]
pub(super) async fn plans_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let (viewer, page) = web
        .read_page(req, async |uow, _| {
            let plans = iqa_plans::list(uow).await?;
            let may_plan = iqa_plans::may_plan(uow);
            let (courses, assessors) = if may_plan {
                iqa_plans::choices(uow).await?
            } else {
                Default::default()
            };
            let choice = |c: iqa_plans::Choice| Choice {
                id: c.id,
                name: c.name,
            };
            Ok(PlansPage {
                plans: plans.iter().map(PlanRow::from).collect(),
                may_plan,
                courses: courses.into_iter().map(choice).collect(),
                assessors: assessors.into_iter().map(choice).collect(),
                methods: method_choices(&[]),
                link: routes::IQA_PLANS.pattern(),
            })
        })
        .await?;
    Ok(web.typed_page(&viewer, "iqa_plans", "IQA sampling plans", &page, flash))
}

/// A planned sample's row.
#[derive(Debug, Serialize)]
struct SampleRow {
    learner_name: String,
    /// The learner's IQA tab.
    open: String,
    stage: &'static str,
    due_on: NaiveDate,
    done_on: Option<NaiveDate>,
    overdue: bool,
}

/// A unit's or a method's row.
#[derive(Debug, Serialize)]
struct CoverageRow {
    name: String,
    planned: bool,
    samples: i64,
}

/// `/app/iqa-plans/{id}`.
#[derive(Debug, Serialize)]
struct PlanPage {
    plan: PlanRow,
    samples: Vec<SampleRow>,
    units: Vec<CoverageRow>,
    methods: Vec<CoverageRow>,
    /// For those who may change it: the form's values.
    may_change: bool,
    api: String,
    every_learner: bool,
    percentage: Option<i16>,
    interim_at_percent: i16,
    summative_weeks_before_end: i16,
    method_choices: Vec<MethodChoice>,
    back: String,
    list: &'static str,
}

/// `/app/iqa-plans/{id}`: the samples the plan asks for, learner by learner (each
/// linking to the learner's IQA tab), what is done and overdue, every unit and method
/// with its samples; for IQAs and admins, the forms that change and delete it.
#[handler]
pub(super) async fn plan_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, page) = web
        .read_page(req, async |uow, _| {
            let id = path_id(&id)?;
            let v = iqa_plans::get(uow, id).await?;
            Ok(PlanPage {
                plan: PlanRow::from(&v),
                samples: v
                    .samples
                    .iter()
                    .map(|s| SampleRow {
                        learner_name: s.learner_name.clone(),
                        open: routes::iqa(s.enrolment_id),
                        stage: s.stage.words(),
                        due_on: s.due_on,
                        done_on: s.done_on,
                        overdue: s.overdue,
                    })
                    .collect(),
                units: v
                    .units
                    .iter()
                    .map(|u| CoverageRow {
                        name: format!("{} {}", u.key, u.title),
                        planned: true,
                        samples: u.samples,
                    })
                    .collect(),
                methods: v
                    .methods
                    .iter()
                    .map(|m| CoverageRow {
                        name: m.method.words().to_owned(),
                        planned: m.planned,
                        samples: m.samples,
                    })
                    .collect(),
                may_change: v.access == PlanAccess::Manage,
                api: format!("/api/v1/iqa-plans/{id}"),
                every_learner: v.plan.percentage.is_none(),
                percentage: v.plan.percentage,
                interim_at_percent: v.plan.interim_at_percent,
                summative_weeks_before_end: v.plan.summative_weeks_before_end,
                method_choices: method_choices(&v.plan.methods),
                back: routes::iqa_plan(id),
                list: routes::IQA_PLANS.pattern(),
            })
        })
        .await?;
    let title = format!(
        "Sampling plan: {}, {}",
        page.plan.assessor_name, page.plan.course_title
    );
    Ok(web.typed_page(&viewer, "iqa_plan", &title, &page, flash))
}
