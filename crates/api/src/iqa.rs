//! IQA sampling: `/api/v1/enrolments/{id}/iqa-samples` (the programme's IQA samples its
//! sign-offs; staff who read them list them) and `/api/v1/iqa-samples/{id}/answer` (its
//! assessor answers).

use chrono::{DateTime, Utc};
use folio_app::iqa::{self, Sample, Sampling};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

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
    /// The criteria sampled, each signed off for the learner (1 to 1,000).
    criterion_ids: Vec<Uuid>,
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
    /// Sample the programme's sign-offs and record your decision (its IQA; 403 for other
    /// staff who read its samples; 404 for anyone else). A disagreement reopens the
    /// sampled sign-offs; 422 names every field at fault.
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
