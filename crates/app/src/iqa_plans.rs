//! IQA sampling plans (issue 23, item 1): for one assessor on one course, which learners
//! are sampled (every one, or a per cent), when (an interim point and weeks before the
//! end), and which assessment methods at least once; every unit of the course the learners
//! study is to be sampled at least once. What each plan asks for, what is done and what
//! is overdue is worked out when read (`folio_domain::iqa::schedule`) over all the plan's
//! learners (a plan is the organisation's, whoever reads it); each reader is shown the rows
//! of the learners they may see, the rest only counted. Who may do what is
//! `folio_domain::iqa::plan_access`; an auditor of a sample reads only the plans that reach
//! a learner of it.

use chrono::NaiveDate;
use folio_db::iqa::{self as queries, Coverage, Plan, PlanSettings};

pub use folio_db::iqa::Choice;
use folio_domain::Role;
use folio_domain::iqa::{
    Method, PlanAccess, PlanLearner, Stage, Strategy, Timing, plan_access, schedule,
};
use serde_json::json;
use uuid::Uuid;

use crate::{Error, Fields, Result, UnitOfWork, checked};

/// A plan as asked for: on creation every field; on change the course and the assessor
/// are left out (a plan is theirs for good: make another for someone else).
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// The course (creation only).
    pub course_id: Option<Uuid>,
    /// The assessor (creation only).
    pub assessor_id: Option<Uuid>,
    /// `every_learner` or `percentage`.
    pub strategy: String,
    /// For `percentage`: 1 to 100.
    pub percentage: Option<i64>,
    /// Interim point, per cent of the programme (10 to 90; 50 if left out).
    pub interim_at_percent: Option<i64>,
    /// Summative sample, weeks before the planned end (0 to 52; 4 if left out).
    pub summative_weeks_before_end: Option<i64>,
    /// Methods to sample at least once.
    pub methods: Vec<String>,
}

/// One sample a plan asks for.
#[derive(Debug, Clone)]
pub struct PlannedSample {
    /// The programme.
    pub enrolment_id: Uuid,
    /// The learner.
    pub learner_name: String,
    /// Interim or summative.
    pub stage: Stage,
    /// When it falls due.
    pub due_on: NaiveDate,
    /// When it was done.
    pub done_on: Option<NaiveDate>,
    /// Not done and due before today.
    pub overdue: bool,
}

/// A method the plan names, or one sampled, and how often it was.
#[derive(Debug, Clone)]
pub struct MethodCoverage {
    /// Which.
    pub method: Method,
    /// Whether the plan asks for it.
    pub planned: bool,
    /// Samples that looked at it.
    pub samples: i64,
}

/// Planned against done, in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Learners in reach (on the course with the assessor, not withdrawn, visible).
    pub learners: usize,
    /// Of them, learners the plan samples.
    pub learners_planned: usize,
    /// Samples planned (two per learner planned).
    pub planned: usize,
    /// Of them, done.
    pub done: usize,
    /// Of them, not done and past due.
    pub overdue: usize,
    /// Units to sample.
    pub units: usize,
    /// Of them, sampled at least once.
    pub units_sampled: usize,
    /// Of the learners planned, those the reader may not see (counted, not shown).
    pub hidden_learners: usize,
    /// Methods the plan names.
    pub methods_planned: usize,
    /// Of them, sampled at least once.
    pub methods_sampled: usize,
}

/// A plan with what it asks for and what is done, as the reader may see it.
#[derive(Debug, Clone)]
pub struct PlanView {
    /// The plan.
    pub plan: Plan,
    /// What the reader may do with it.
    pub access: PlanAccess,
    /// The samples planned of the learners the reader may see, in learner order (start
    /// date), interim before summative.
    pub samples: Vec<PlannedSample>,
    /// Each unit and its samples, in course order.
    pub units: Vec<Coverage>,
    /// Each method planned or sampled.
    pub methods: Vec<MethodCoverage>,
    /// In numbers, over all the plan's learners.
    pub summary: Summary,
    /// Whether the reader may see any of its learners.
    pub sees_learners: bool,
}

fn access_to(uow: &UnitOfWork, plan: &Plan) -> PlanAccess {
    plan_access(
        &uow.principal.roles,
        plan.assessor_id == uow.principal.user_id,
    )
}

/// The checked settings, or every field at fault.
fn settings(fields: &mut Fields, input: &PlanInput) -> Option<(Strategy, Timing, Vec<Method>)> {
    let strategy = match Strategy::parse(&input.strategy, input.percentage) {
        Ok(s) => Some(s),
        Err((field, e)) => {
            fields.add(field, e);
            None
        }
    };
    let interim = input
        .interim_at_percent
        .map_or(Some(Timing::DEFAULT.interim_at_percent), |p| {
            fields.check("interim_at_percent", Timing::interim(p))
        });
    let weeks = input
        .summative_weeks_before_end
        .map_or(Some(Timing::DEFAULT.summative_weeks_before_end), |w| {
            fields.check("summative_weeks_before_end", Timing::weeks(w))
        });
    let mut methods = Vec::new();
    for (i, m) in input.methods.iter().enumerate() {
        if let Some(m) = fields.check(&format!("methods[{i}]"), Method::parse(m)) {
            if methods.contains(&m) {
                fields.add(format!("methods[{i}]"), "is named twice");
            }
            methods.push(m);
        }
    }
    methods.sort_unstable();
    Some((
        strategy?,
        Timing {
            interim_at_percent: interim?,
            summative_weeks_before_end: weeks?,
        },
        methods,
    ))
}

fn write<'a>(strategy: Strategy, timing: Timing, methods: &'a [&'a str]) -> PlanSettings<'a> {
    PlanSettings {
        strategy: strategy.as_str(),
        percentage: match strategy {
            Strategy::Percentage(p) => Some(i16::from(p)),
            Strategy::EveryLearner => None,
        },
        interim_at_percent: i16::from(timing.interim_at_percent),
        summative_weeks_before_end: i16::from(timing.summative_weeks_before_end),
        methods,
    }
}

/// Makes a plan (IQAs and admins; 403 for anyone else). 422 names every field at fault:
/// an unknown course, someone who is not an active assessor, the caller themselves
/// (nobody plans the sampling of their own decisions), a strategy or per cent, timing or
/// method out of range. 409 when the assessor already has a plan on the course.
pub async fn create(uow: &mut UnitOfWork, input: PlanInput) -> Result<PlanView> {
    let roles = &uow.principal.roles;
    if !(roles.contains(&Role::Iqa) || roles.contains(&Role::Admin)) || uow.principal.is_auditing()
    {
        return Err(Error::Forbidden);
    }
    let mut fields = Fields::default();
    let course = match input.course_id {
        None => {
            fields.add("course_id", "choose the course the plan is for");
            None
        }
        Some(id) => match folio_db::curriculum::get_course(&mut uow.tx, id).await {
            Ok(c) => Some(c.id),
            Err(folio_db::DbError::NotFound) => {
                fields.add("course_id", "there is no such course here");
                None
            }
            Err(e) => return Err(e.into()),
        },
    };
    let assessor = match input.assessor_id {
        None => {
            fields.add(
                "assessor_id",
                "choose the assessor whose decisions are sampled",
            );
            None
        }
        Some(id) if id == uow.principal.user_id => {
            fields.add(
                "assessor_id",
                "you cannot plan the sampling of your own decisions: another IQA must",
            );
            None
        }
        Some(id) => {
            if folio_db::enrolments::is_active_with_role(&mut uow.tx, id, Role::Assessor).await? {
                Some(id)
            } else {
                fields.add(
                    "assessor_id",
                    "must be an active person with the assessor role",
                );
                None
            }
        }
    };
    let checked_settings = settings(&mut fields, &input);
    fields.finish()?;
    let (course, assessor) = (checked(course)?, checked(assessor)?);
    let (strategy, timing, methods) = checked(checked_settings)?;
    let names: Vec<&'static str> = methods.iter().map(|m| m.as_str()).collect();
    let id = Uuid::now_v7();
    let me = uow.principal.user_id;
    if !queries::insert_plan(
        &mut uow.tx,
        id,
        course,
        assessor,
        me,
        &write(strategy, timing, &names),
    )
    .await?
    {
        return Err(Error::Conflict {
            field: Some("assessor_id".into()),
            detail: "this assessor already has a sampling plan on this course: change that one"
                .into(),
        });
    }
    uow.audit(
        "iqa.plan_create",
        "iqa_plan",
        id,
        json!({ "course_id": course, "assessor_id": assessor,
                "strategy": strategy.as_str(), "methods": names }),
    )
    .await?;
    get(uow, id).await
}

/// The plan if the caller may manage it: 404 if they may not read it, 403 if they only
/// read it.
async fn managed(uow: &mut UnitOfWork, id: Uuid) -> Result<Plan> {
    let plan = queries::plan(&mut uow.tx, id).await?;
    let access = access_to(uow, &plan);
    if access == PlanAccess::Manage && !uow.principal.is_auditing() {
        return Ok(plan);
    }
    // Anyone else who reads it is refused; anyone who does not learns nothing of it.
    let today = crate::progress::today(uow).await?;
    if readable_view(uow, plan, today).await?.is_some() {
        Err(Error::Forbidden)
    } else {
        Err(Error::NotFound)
    }
}

/// Whether the reader reads the plan only through the learners they may see: an auditor
/// whose access is a sample reads a plan only when it reaches one of their learners.
fn reads_through_learners(uow: &UnitOfWork, plan: &Plan, access: PlanAccess) -> bool {
    access == PlanAccess::Read
        && plan.assessor_id != uow.principal.user_id
        && !uow.principal.sees_whole_organisation()
}

/// The plan's view if the caller may read it.
async fn readable_view(
    uow: &mut UnitOfWork,
    plan: Plan,
    today: NaiveDate,
) -> Result<Option<PlanView>> {
    let access = access_to(uow, &plan);
    if access == PlanAccess::None {
        return Ok(None);
    }
    let narrow = reads_through_learners(uow, &plan, access);
    let v = view(uow, plan, today).await?;
    Ok((!narrow || v.sees_learners).then_some(v))
}

/// Changes a plan's strategy, timing and methods (IQAs and admins, not about themselves;
/// 403 for its other readers, 404 for anyone else; 422 as for [`create`]).
pub async fn update(uow: &mut UnitOfWork, id: Uuid, input: PlanInput) -> Result<PlanView> {
    let plan = managed(uow, id).await?;
    let mut fields = Fields::default();
    if input.course_id.is_some_and(|c| c != plan.course_id) {
        fields.add(
            "course_id",
            "a plan stays on its course: make a new plan for another",
        );
    }
    if input.assessor_id.is_some_and(|a| a != plan.assessor_id) {
        fields.add(
            "assessor_id",
            "a plan stays with its assessor: make a new plan for another",
        );
    }
    let checked_settings = settings(&mut fields, &input);
    fields.finish()?;
    let (strategy, timing, methods) = checked(checked_settings)?;
    let names: Vec<&'static str> = methods.iter().map(|m| m.as_str()).collect();
    queries::update_plan(&mut uow.tx, id, &write(strategy, timing, &names)).await?;
    uow.audit(
        "iqa.plan_update",
        "iqa_plan",
        id,
        json!({ "strategy": strategy.as_str(), "methods": names }),
    )
    .await?;
    get(uow, id).await
}

/// Deletes a plan; the samples taken stay (IQAs and admins, as for [`update`]).
pub async fn delete(uow: &mut UnitOfWork, id: Uuid) -> Result<()> {
    let plan = managed(uow, id).await?;
    queries::delete_plan(&mut uow.tx, id).await?;
    uow.audit(
        "iqa.plan_delete",
        "iqa_plan",
        id,
        json!({ "course_id": plan.course_id, "assessor_id": plan.assessor_id }),
    )
    .await?;
    Ok(())
}

/// One plan with what it asks for and what is done (404 for anyone who may not read it).
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<PlanView> {
    let plan = queries::plan(&mut uow.tx, id).await?;
    let today = crate::progress::today(uow).await?;
    readable_view(uow, plan, today)
        .await?
        .ok_or(Error::NotFound)
}

/// The plans the caller may read (IQAs, admins and auditors of the whole organisation:
/// all; an auditor of a sample: those reaching a learner of it; an assessor: those of
/// their decisions; 403 for anyone else), by course and assessor.
pub async fn list(uow: &mut UnitOfWork) -> Result<Vec<PlanView>> {
    let p = &uow.principal;
    let all = [Role::Iqa, Role::Admin, Role::Auditor]
        .iter()
        .any(|r| p.has(*r));
    let only = if all {
        None
    } else if p.has(Role::Assessor) {
        Some(p.user_id)
    } else {
        return Err(Error::Forbidden);
    };
    let plans = queries::plans(&mut uow.tx, only).await?;
    let today = crate::progress::today(uow).await?;
    let mut views = Vec::with_capacity(plans.len());
    for plan in plans {
        if let Some(v) = readable_view(uow, plan, today).await? {
            views.push(v);
        }
    }
    Ok(views)
}

/// Whether the caller may make plans (what a page offers).
pub fn may_plan(uow: &UnitOfWork) -> bool {
    let p = &uow.principal;
    (p.has(Role::Iqa) || p.has(Role::Admin)) && !p.is_auditing()
}

/// What a plan can be made for: the courses, by title, and the active assessors other
/// than the caller, by name (for those who may plan; 403 otherwise).
pub async fn choices(uow: &mut UnitOfWork) -> Result<(Vec<Choice>, Vec<Choice>)> {
    if !may_plan(uow) {
        return Err(Error::Forbidden);
    }
    let me = uow.principal.user_id;
    let (courses, mut assessors) = queries::plan_choices(&mut uow.tx).await?;
    assessors.retain(|a| a.id != me);
    Ok((courses, assessors))
}

async fn view(uow: &mut UnitOfWork, plan: Plan, today: NaiveDate) -> Result<PlanView> {
    // Samples are staff records: a plan shows a learner's rows only through the staff
    // relationships (never the reader's own programme, nor an employer's view).
    let mut viewer = uow.principal.viewer();
    viewer.scope.as_learner = false;
    viewer.scope.as_employer = false;
    let reach = queries::plan_reach(&mut uow.tx, &viewer, plan.course_id, plan.assessor_id).await?;
    let strategy = match plan.percentage {
        Some(p) => Strategy::Percentage(u8::try_from(p).unwrap_or(100)),
        None => Strategy::EveryLearner,
    };
    let timing = Timing {
        interim_at_percent: u8::try_from(plan.interim_at_percent).unwrap_or(50),
        summative_weeks_before_end: u8::try_from(plan.summative_weeks_before_end).unwrap_or(4),
    };
    let learners: Vec<PlanLearner<Uuid>> = reach
        .learners
        .iter()
        .map(|l| PlanLearner {
            id: l.enrolment_id,
            start: l.start_date,
            planned_end: l.end_date,
            interim_on: l.interim_on,
            summative_on: l.summative_on,
        })
        .collect();
    let planned = schedule(strategy, timing, &learners);
    let shown = |id: Uuid| {
        reach
            .learners
            .iter()
            .any(|l| l.enrolment_id == id && l.visible)
    };
    let samples: Vec<PlannedSample> = planned
        .iter()
        .filter(|p| shown(p.id))
        .map(|p| PlannedSample {
            enrolment_id: p.id,
            learner_name: reach
                .learners
                .iter()
                .find(|l| l.enrolment_id == p.id)
                .map(|l| l.learner_name.clone())
                .unwrap_or_default(),
            stage: p.stage,
            due_on: p.due_on,
            done_on: p.done_on,
            overdue: p.overdue(today),
        })
        .collect();
    let planned_methods: Vec<Method> = plan
        .methods
        .iter()
        .filter_map(|m| Method::parse(m).ok())
        .collect();
    let methods: Vec<MethodCoverage> = Method::ALL
        .into_iter()
        .map(|m| MethodCoverage {
            method: m,
            planned: planned_methods.contains(&m),
            samples: reach
                .methods
                .iter()
                .find(|c| c.key == m.as_str())
                .map_or(0, |c| c.samples),
        })
        .filter(|c| c.planned || c.samples > 0)
        .collect();
    let summary = Summary {
        learners: learners.len(),
        learners_planned: planned.len() / 2,
        planned: planned.len(),
        done: planned.iter().filter(|p| p.done_on.is_some()).count(),
        overdue: planned.iter().filter(|p| p.overdue(today)).count(),
        hidden_learners: planned.iter().filter(|p| !shown(p.id)).count() / 2,
        units: reach.units.len(),
        units_sampled: reach.units.iter().filter(|u| u.samples > 0).count(),
        methods_planned: methods.iter().filter(|m| m.planned).count(),
        methods_sampled: methods
            .iter()
            .filter(|m| m.planned && m.samples > 0)
            .count(),
    };
    Ok(PlanView {
        sees_learners: reach.learners.iter().any(|l| l.visible),
        access: access_to(uow, &plan),
        plan,
        samples,
        units: reach.units,
        methods,
        summary,
    })
}
