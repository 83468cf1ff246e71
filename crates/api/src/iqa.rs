//! IQA sampling: `/api/v1/enrolments/{id}/iqa-samples` (the programme's IQA samples its
//! sign-offs, evidence and sessions; staff who read them list them),
//! `/api/v1/iqa-samples/{id}/answer` (its assessor answers), `/api/v1/iqa-sampling-record`
//! (the record as a workbook) and `/api/v1/iqa-plans` (sampling plans, with planned
//! against done and what is overdue).

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::iqa::{self, RecordFilter, Sample, Sampling};
use folio_app::iqa_plans::{self, PlanInput, PlanView};
use folio_domain::iqa::PlanAccess;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::iqa_record;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;
use crate::time_log_export::{WorkbookResponse, workbook};

#[derive(Tags)]
enum IqaTag {
    /// Internal quality assurance: samples of assessors' decisions.
    Iqa,
}

/// `/api/v1/…/iqa-samples`.
pub struct IqaApi(pub AppState);

/// What an IQA records.
#[derive(Debug, Object, Deserialize)]
struct SampleRequest {
    /// `interim` (during learning) or `summative` (at the end).
    stage: String,
    /// `agree` (the sign-offs stand), `disagree` (they are reopened: withdrawn, to be
    /// assessed again) or `refer` (back to the assessor to act on; they stand meanwhile).
    decision: String,
    /// The criteria sampled, each signed off for the learner (up to 1,000). At least one
    /// criterion, piece of evidence or session is sampled.
    #[oai(default)]
    #[serde(default)]
    criterion_ids: Vec<Uuid>,
    /// The learner's evidence sampled, at its current version (up to 100).
    #[oai(default)]
    #[serde(default)]
    evidence_ids: Vec<Uuid>,
    /// The learner's sessions sampled, each with its outcome recorded (up to 100).
    #[oai(default)]
    #[serde(default)]
    session_ids: Vec<Uuid>,
    /// The assessment method looked at: `observation`, `professional_discussion`,
    /// `questioning`, `product_of_work`, `witness_testimony` or `written_assessment`.
    method: Option<String>,
    /// What you found (needed to disagree or refer; up to 5,000 characters).
    feedback: Option<String>,
    /// What the assessor must do (up to 2,000 characters).
    action_for_assessor: Option<String>,
}

/// The assessor's answer.
#[derive(Debug, Object, Deserialize)]
struct AnswerRequest {
    /// What they did or say (1 to 5,000 characters).
    response: String,
}

/// A sign-off a sample looked at, as it was then.
#[derive(Debug, Object)]
struct SampledCriterion {
    /// The criterion.
    criterion_id: Uuid,
    /// Its code.
    code: String,
    /// Who had signed it off.
    signed_off_by_name: String,
    /// When.
    signed_off_at: DateTime<Utc>,
    /// Whether the sample reopened its sign-off.
    reopened: bool,
}

/// Evidence a sample looked at.
#[derive(Debug, Object)]
struct SampledEvidenceBody {
    /// The evidence.
    evidence_id: Uuid,
    /// Its title.
    title: String,
    /// The version looked at.
    version: i32,
}

/// A session a sample looked at.
#[derive(Debug, Object)]
struct SampledSessionBody {
    /// The session.
    session_id: Uuid,
    /// Its type.
    session_type: String,
    /// When it started.
    starts_at: DateTime<Utc>,
}

/// A sample.
#[derive(Debug, Object)]
struct SampleBody {
    /// Its id.
    id: Uuid,
    /// The programme.
    enrolment_id: Uuid,
    /// The assessor whose decisions were sampled.
    assessor_name: Option<String>,
    /// The IQA.
    iqa_name: String,
    /// `interim` or `summative`.
    stage: String,
    /// `agree`, `disagree` or `refer`.
    decision: String,
    /// What the IQA found.
    feedback: Option<String>,
    /// What the assessor must do.
    action_for_assessor: Option<String>,
    /// When.
    sampled_at: DateTime<Utc>,
    /// The criteria sampled, in course order.
    criteria: Vec<SampledCriterion>,
    /// The assessment method looked at.
    method: Option<String>,
    /// The evidence sampled, by title.
    evidence: Vec<SampledEvidenceBody>,
    /// The sessions sampled, by time.
    sessions: Vec<SampledSessionBody>,
    /// The assessor's answer.
    response: Option<String>,
    /// Who answered.
    responded_by_name: Option<String>,
    /// When.
    responded_at: Option<DateTime<Utc>>,
}

impl From<Sample> for SampleBody {
    fn from(s: Sample) -> Self {
        let criteria = s
            .criteria
            .0
            .into_iter()
            .map(|c| SampledCriterion {
                criterion_id: c.criterion_id,
                code: c.code,
                signed_off_by_name: c.signed_off_by_name,
                signed_off_at: c.signed_off_at,
                reopened: c.reopened,
            })
            .collect();
        Self {
            id: s.id,
            enrolment_id: s.enrolment_id,
            assessor_name: s.assessor_name,
            iqa_name: s.iqa_name,
            stage: s.stage,
            decision: s.decision,
            feedback: s.feedback,
            action_for_assessor: s.action_for_assessor,
            sampled_at: s.sampled_at,
            criteria,
            method: s.method,
            evidence: s
                .evidence
                .0
                .into_iter()
                .map(|e| SampledEvidenceBody {
                    evidence_id: e.evidence_id,
                    title: e.title,
                    version: e.version,
                })
                .collect(),
            sessions: s
                .sessions
                .0
                .into_iter()
                .map(|l| SampledSessionBody {
                    session_id: l.session_id,
                    session_type: l.session_type,
                    starts_at: l.starts_at,
                })
                .collect(),
            response: s.response,
            responded_by_name: s.responded_by_name,
            responded_at: s.responded_at,
        }
    }
}

/// A programme's samples.
#[derive(Debug, Object)]
struct SampleList {
    /// Newest first.
    items: Vec<SampleBody>,
}

#[derive(ApiResponse)]
enum CreatedSample {
    /// Recorded.
    #[oai(status = 201)]
    Created(Json<SampleBody>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "IqaTag::Iqa")]
impl IqaApi {
    /// Sample the programme's sign-offs, evidence and sessions and record your decision
    /// (its IQA; 403 for other staff who read its samples; 404 for anyone else). A
    /// disagreement reopens the sampled sign-offs; the assessor is told by e-mail and in
    /// the app; 422 names every field at fault.
    #[oai(path = "/enrolments/:id/iqa-samples", method = "post")]
    async fn sample(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<SampleRequest>,
    ) -> ApiResult<CreatedSample> {
        let req = body.0;
        let mut uow = self.0.authenticate(&credentials).await?;
        let sample = iqa::sample(
            &mut uow,
            id.0,
            Sampling {
                stage: req.stage,
                decision: req.decision,
                criterion_ids: req.criterion_ids,
                evidence_ids: req.evidence_ids,
                session_ids: req.session_ids,
                method: req.method,
                feedback: req.feedback,
                action_for_assessor: req.action_for_assessor,
            },
        )
        .await?;
        uow.commit().await?;
        Ok(CreatedSample::Created(Json(sample.into())))
    }

    /// The programme's samples, newest first (its IQA and assessor, admins and auditors;
    /// 404 for anyone else, the learner and employers included).
    #[oai(path = "/enrolments/:id/iqa-samples", method = "get")]
    async fn list(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<SampleList>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let samples = iqa::of_enrolment(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(SampleList {
            items: samples.into_iter().map(Into::into).collect(),
        }))
    }

    /// The sampling record as an Excel workbook (`.xlsx`): every sample of the programmes
    /// whose samples you read (IQAs and assessors theirs, admins and auditors as far as
    /// they see), oldest first, with what was looked at, the decision, the feedback and
    /// the answer; 403 for learners and employers. 422 when `from` is after `to` or more
    /// than 50,000 samples match.
    #[oai(path = "/iqa-sampling-record", method = "get")]
    async fn record(
        &self,
        credentials: Credentials,
        /// Samples taken on or after this day (the organisation's).
        from: Query<Option<NaiveDate>>,
        /// Samples taken on or before this day.
        to: Query<Option<NaiveDate>>,
        /// Only samples of this assessor's decisions.
        assessor_id: Query<Option<Uuid>>,
        /// Only samples on this course.
        course_id: Query<Option<Uuid>>,
    ) -> ApiResult<WorkbookResponse> {
        let filter = RecordFilter {
            from: from.0,
            to: to.0,
            assessor_id: assessor_id.0,
            course_id: course_id.0,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let record = iqa::sampling_record(&mut uow, filter).await?;
        uow.commit().await?;
        let exported_at = Utc::now();
        let mut said = Vec::new();
        if let Some(from) = filter.from {
            said.push(format!("from {from}"));
        }
        if let Some(to) = filter.to {
            said.push(format!("to {to}"));
        }
        if let Some(a) = filter.assessor_id {
            said.push(format!("assessor {a}"));
        }
        if let Some(c) = filter.course_id {
            said.push(format!("course {c}"));
        }
        let heading = iqa_record::Heading {
            organisation: record.organisation,
            filters: if said.is_empty() {
                "None: every sample you may read".to_owned()
            } else {
                said.join("; ")
            },
            exported_at,
        };
        let tz = record.tz;
        let name = format!(
            "iqa-sampling-record-{}.xlsx",
            exported_at.with_timezone(&tz).date_naive()
        );
        let rows = record.rows;
        Ok(workbook(&name, move |sheet| {
            iqa_record::write_sheet(sheet, &heading, &rows, |at| {
                at.with_timezone(&tz).date_naive()
            })
        })
        .await?)
    }

    /// Answer a sample of your decisions (the programme's assessor; 403 for other staff who
    /// read it, 404 for anyone else; 409 once answered).
    #[oai(path = "/iqa-samples/:id/answer", method = "post")]
    async fn answer(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<AnswerRequest>,
    ) -> ApiResult<Json<SampleBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let sample = iqa::answer(&mut uow, id.0, &body.0.response).await?;
        uow.commit().await?;
        Ok(Json(sample.into()))
    }
}

/// A sampling plan as asked for.
#[derive(Debug, Object, Deserialize)]
struct PlanRequest {
    /// The course (when making a plan; a plan stays on its course).
    course_id: Option<Uuid>,
    /// The assessor whose decisions are sampled (when making a plan; not yourself).
    assessor_id: Option<Uuid>,
    /// `every_learner` (a new assessor) or `percentage` (an experienced one).
    strategy: String,
    /// For `percentage`: the per cent of the assessor's learners on the course, rounded
    /// up (1 to 100).
    percentage: Option<i64>,
    /// The interim sample falls due this far into each programme, per cent (10 to 90;
    /// 50 if left out).
    interim_at_percent: Option<i64>,
    /// The summative sample falls due this many weeks before the planned end (0 to 52;
    /// 4 if left out).
    summative_weeks_before_end: Option<i64>,
    /// Assessment methods to sample at least once: `observation`,
    /// `professional_discussion`, `questioning`, `product_of_work`, `witness_testimony`,
    /// `written_assessment`.
    #[oai(default)]
    #[serde(default)]
    methods: Vec<String>,
}

impl From<PlanRequest> for PlanInput {
    fn from(r: PlanRequest) -> Self {
        Self {
            course_id: r.course_id,
            assessor_id: r.assessor_id,
            strategy: r.strategy,
            percentage: r.percentage,
            interim_at_percent: r.interim_at_percent,
            summative_weeks_before_end: r.summative_weeks_before_end,
            methods: r.methods,
        }
    }
}

/// A sample a plan asks for.
#[derive(Debug, Object)]
struct PlannedSampleBody {
    /// The programme.
    enrolment_id: Uuid,
    /// The learner.
    learner_name: String,
    /// `interim` or `summative`.
    stage: String,
    /// When it falls due.
    due_on: NaiveDate,
    /// When it was done (the organisation's day of the first such sample).
    done_on: Option<NaiveDate>,
    /// Not done and due before today.
    overdue: bool,
}

/// A unit and how often it has been sampled.
#[derive(Debug, Object)]
struct UnitCoverageBody {
    /// The unit.
    unit_id: Uuid,
    /// Its code.
    code: String,
    /// Its title.
    title: String,
    /// Samples that looked at its criteria.
    samples: i64,
}

/// A method planned or sampled.
#[derive(Debug, Object)]
struct MethodCoverageBody {
    /// Its name.
    method: String,
    /// Whether the plan asks for it.
    planned: bool,
    /// Samples of it.
    samples: i64,
}

/// Planned against done, in numbers.
#[derive(Debug, Object)]
struct PlanSummaryBody {
    /// The plan's learners: on the course with the assessor, not withdrawn (all of them,
    /// whoever reads the plan).
    learners: u64,
    /// Of them, the learners the plan samples.
    learners_planned: u64,
    /// Samples planned (an interim and a summative one per learner planned).
    planned: u64,
    /// Of them, done.
    done: u64,
    /// Of them, not done and past due.
    overdue: u64,
    /// Units to sample at least once (mandatory ones, and optional ones a learner studies).
    units: u64,
    /// Of them, sampled.
    units_sampled: u64,
    /// Of the learners planned, those you may not see: counted here, not listed.
    hidden_learners: u64,
    /// Methods the plan names.
    methods_planned: u64,
    /// Of them, sampled.
    methods_sampled: u64,
}

/// A sampling plan with what it asks for and what is done.
#[derive(Debug, Object)]
struct PlanBody {
    /// Its id.
    id: Uuid,
    /// The course.
    course_id: Uuid,
    /// Its title.
    course_title: String,
    /// The assessor.
    assessor_id: Uuid,
    /// Their name.
    assessor_name: String,
    /// `every_learner` or `percentage`.
    strategy: String,
    /// For `percentage`.
    percentage: Option<i16>,
    /// Interim point, per cent of the programme.
    interim_at_percent: i16,
    /// Summative sample, weeks before the planned end.
    summative_weeks_before_end: i16,
    /// Methods to sample at least once.
    methods: Vec<String>,
    /// Who made it.
    created_by_name: String,
    /// When it last changed.
    updated_at: DateTime<Utc>,
    /// Whether you may change it.
    may_change: bool,
    /// Planned against done.
    summary: PlanSummaryBody,
    /// The samples planned of the learners you may see, by learner (start date order),
    /// interim then summative.
    samples: Vec<PlannedSampleBody>,
    /// The units, in course order.
    units: Vec<UnitCoverageBody>,
    /// The methods planned or sampled.
    method_coverage: Vec<MethodCoverageBody>,
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl From<PlanView> for PlanBody {
    fn from(v: PlanView) -> Self {
        let s = v.summary;
        Self {
            id: v.plan.id,
            course_id: v.plan.course_id,
            course_title: v.plan.course_title,
            assessor_id: v.plan.assessor_id,
            assessor_name: v.plan.assessor_name,
            strategy: v.plan.strategy,
            percentage: v.plan.percentage,
            interim_at_percent: v.plan.interim_at_percent,
            summative_weeks_before_end: v.plan.summative_weeks_before_end,
            methods: v.plan.methods,
            created_by_name: v.plan.created_by_name,
            updated_at: v.plan.updated_at,
            may_change: v.access == PlanAccess::Manage,
            summary: PlanSummaryBody {
                learners: count(s.learners),
                learners_planned: count(s.learners_planned),
                planned: count(s.planned),
                done: count(s.done),
                overdue: count(s.overdue),
                hidden_learners: count(s.hidden_learners),
                units: count(s.units),
                units_sampled: count(s.units_sampled),
                methods_planned: count(s.methods_planned),
                methods_sampled: count(s.methods_sampled),
            },
            samples: v
                .samples
                .into_iter()
                .map(|p| PlannedSampleBody {
                    enrolment_id: p.enrolment_id,
                    learner_name: p.learner_name,
                    stage: p.stage.as_str().to_owned(),
                    due_on: p.due_on,
                    done_on: p.done_on,
                    overdue: p.overdue,
                })
                .collect(),
            units: v
                .units
                .into_iter()
                .map(|u| UnitCoverageBody {
                    unit_id: u.unit_id.unwrap_or_default(),
                    code: u.key,
                    title: u.title,
                    samples: u.samples,
                })
                .collect(),
            method_coverage: v
                .methods
                .into_iter()
                .map(|m| MethodCoverageBody {
                    method: m.method.as_str().to_owned(),
                    planned: m.planned,
                    samples: m.samples,
                })
                .collect(),
        }
    }
}

/// The plans you may read.
#[derive(Debug, Object)]
struct PlanList {
    /// By course, then assessor.
    items: Vec<PlanBody>,
}

#[derive(ApiResponse)]
enum CreatedPlan {
    /// Made.
    #[oai(status = 201)]
    Created(Json<PlanBody>),
}

#[derive(ApiResponse)]
enum DeletedPlan {
    /// Deleted; the samples taken stay.
    #[oai(status = 204)]
    Deleted,
}

/// `/api/v1/iqa-plans`.
pub struct IqaPlanApi(pub AppState);

#[OpenApi(prefix_path = "/api/v1", tag = "IqaTag::Iqa")]
impl IqaPlanApi {
    /// Make a sampling plan for an assessor on a course (IQAs and admins, for anyone but
    /// themselves; 403 for anyone else). 422 names every field at fault; 409 when the
    /// assessor already has a plan on the course.
    #[oai(path = "/iqa-plans", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        body: JsonBody<PlanRequest>,
    ) -> ApiResult<CreatedPlan> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let plan = iqa_plans::create(&mut uow, body.0.into()).await?;
        uow.commit().await?;
        Ok(CreatedPlan::Created(Json(plan.into())))
    }

    /// The sampling plans you may read, each with planned against done and what is
    /// overdue over all its learners, and the rows of the learners you may see (IQAs,
    /// admins and auditors of the whole organisation: every plan; an auditor of a sample:
    /// the plans reaching a learner of it; an assessor: the plans of their decisions; 403
    /// for anyone else).
    #[oai(path = "/iqa-plans", method = "get")]
    async fn list(&self, credentials: Credentials) -> ApiResult<Json<PlanList>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let plans = iqa_plans::list(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(PlanList {
            items: plans.into_iter().map(Into::into).collect(),
        }))
    }

    /// One sampling plan (404 for anyone who may not read it).
    #[oai(path = "/iqa-plans/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<PlanBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let plan = iqa_plans::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(plan.into()))
    }

    /// Change a plan's strategy, timing and methods (IQAs and admins; its assessor and
    /// auditors get 403, anyone else 404; 422 as when making it).
    #[oai(path = "/iqa-plans/:id", method = "put")]
    async fn update(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<PlanRequest>,
    ) -> ApiResult<Json<PlanBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let plan = iqa_plans::update(&mut uow, id.0, body.0.into()).await?;
        uow.commit().await?;
        Ok(Json(plan.into()))
    }

    /// Delete a plan; the samples taken stay (as for changing it).
    #[oai(path = "/iqa-plans/:id", method = "delete")]
    async fn delete(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<DeletedPlan> {
        let mut uow = self.0.authenticate(&credentials).await?;
        iqa_plans::delete(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(DeletedPlan::Deleted)
    }
}
