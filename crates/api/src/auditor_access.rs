//! `/api/v1/auditor-access`: an admin's grants of read-only access to an external auditor,
//! for a range of the organisation's days, to every learner or a sample of enrolments.
//! Access ends by itself on the day after the last; every request the auditor makes is in
//! the audit log (`auditor.read`).

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::auditor_access::{self, Grant, GrantView, Granting};
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
enum AuditorAccessTag {
    /// Time-limited, read-only access for external auditors.
    AuditorAccess,
}

/// `/api/v1/auditor-access`.
pub struct AuditorAccessApi(pub AppState);

/// What an admin grants.
#[derive(Debug, Object, Deserialize)]
struct GrantRequest {
    /// The auditor: an active person of the organisation holding the auditor role.
    auditor_id: Uuid,
    /// What the access is for, in words the auditor and admins read (1 to 200
    /// characters), e.g. "ESFA funding audit, December 2026".
    purpose: String,
    /// The first day of access (the organisation's date).
    starts_on: NaiveDate,
    /// The last day of access: it ends at the following midnight, the organisation's
    /// time; access lasts at most 366 days and must not have ended already.
    ends_on: NaiveDate,
    /// `all_learners` (every learner of the organisation, as an admin reads them: people,
    /// employers and the audit log included) or `sample` (only the programmes named by
    /// `enrolment_ids` and `learner_emails`, 1 to 1,000).
    scope: String,
    /// The sample: enrolments the auditor may read.
    enrolment_ids: Option<Vec<Uuid>>,
    /// The sample by learners' e-mail addresses: every programme of each learner.
    learner_emails: Option<Vec<String>>,
}

/// One enrolment of a sample.
#[derive(Debug, Object)]
struct SampledBody {
    /// The enrolment.
    enrolment_id: Uuid,
    /// Its learner.
    learner_name: String,
    /// Its course.
    course_title: String,
}

/// A grant.
#[derive(Debug, Object)]
struct GrantBody {
    /// Its id.
    id: Uuid,
    /// The auditor.
    auditor_id: Uuid,
    /// Their name.
    auditor_name: String,
    /// What it is for.
    purpose: String,
    /// The first day of access.
    starts_on: NaiveDate,
    /// The last day of access.
    ends_on: NaiveDate,
    /// `all_learners` or `sample`.
    scope: String,
    /// How many enrolments the sample holds (0 for every learner).
    sample_size: i64,
    /// `upcoming`, `in_force`, `ended` or `withdrawn`, now.
    state: String,
    /// Who granted it.
    granted_by_name: String,
    /// When.
    granted_at: DateTime<Utc>,
    /// When it was withdrawn, if it was.
    withdrawn_at: Option<DateTime<Utc>>,
    /// The sample's enrolments by learner name (only when one grant is asked for; empty
    /// for every learner).
    #[oai(skip_serializing_if_is_none)]
    sample: Option<Vec<SampledBody>>,
}

impl From<Grant> for GrantBody {
    fn from(g: Grant) -> Self {
        Self {
            id: g.id,
            auditor_id: g.auditor_id,
            auditor_name: g.auditor_name,
            purpose: g.purpose,
            starts_on: g.starts_on,
            ends_on: g.ends_on,
            scope: if g.all_learners {
                "all_learners"
            } else {
                "sample"
            }
            .into(),
            sample_size: g.sample_size,
            state: g.state,
            granted_by_name: g.granted_by_name,
            granted_at: g.granted_at,
            withdrawn_at: g.withdrawn_at,
            sample: None,
        }
    }
}

impl From<GrantView> for GrantBody {
    fn from(v: GrantView) -> Self {
        let sample = v
            .sample
            .into_iter()
            .map(|s| SampledBody {
                enrolment_id: s.enrolment_id,
                learner_name: s.learner_name,
                course_title: s.course_title,
            })
            .collect();
        Self {
            sample: Some(sample),
            ..v.grant.into()
        }
    }
}

/// The grants the caller may read.
#[derive(Debug, Object)]
struct GrantList {
    /// Newest first.
    items: Vec<GrantBody>,
}

#[derive(ApiResponse)]
enum CreateGrantResponse {
    /// Granted.
    #[oai(status = 201)]
    Created(Json<GrantBody>),
}

#[OpenApi(
    prefix_path = "/api/v1/auditor-access",
    tag = "AuditorAccessTag::AuditorAccess"
)]
impl AuditorAccessApi {
    /// Grant an auditor read-only access for a range of days, to every learner or a
    /// sample of enrolments (admins; 403 otherwise). 422 names every field that is wrong.
    #[oai(path = "/", method = "post")]
    async fn grant(
        &self,
        credentials: Credentials,
        body: JsonBody<GrantRequest>,
    ) -> ApiResult<CreateGrantResponse> {
        let req = body.0;
        let mut uow = self.0.authenticate(&credentials).await?;
        let view = auditor_access::grant(
            &mut uow,
            Granting {
                auditor_id: req.auditor_id,
                purpose: req.purpose,
                starts_on: req.starts_on,
                ends_on: req.ends_on,
                scope: req.scope,
                enrolment_ids: req.enrolment_ids,
                learner_emails: req.learner_emails,
            },
        )
        .await?;
        uow.commit().await?;
        Ok(CreateGrantResponse::Created(Json(view.into())))
    }

    /// The grants you may read, newest first: every one for admins, your own for an
    /// auditor (past ones included), none for anyone else.
    #[oai(path = "/", method = "get")]
    async fn list(&self, credentials: Credentials) -> ApiResult<Json<GrantList>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let grants = auditor_access::list(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(GrantList {
            items: grants.into_iter().map(Into::into).collect(),
        }))
    }

    /// One grant with its sample (an admin, or the auditor it was granted to while it is
    /// in force; 404 for anyone else).
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<GrantBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let view = auditor_access::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(view.into()))
    }

    /// Withdraw a grant at once (admins; 403 otherwise; 409 once it has ended or was
    /// withdrawn). The auditor's next request is refused.
    #[oai(path = "/:id/withdrawal", method = "post")]
    async fn withdraw(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<GrantBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let view = auditor_access::withdraw(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(view.into()))
    }
}
