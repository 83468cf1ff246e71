//! `/api/v1/enrolments/{id}/gateway`: a learner's gateway readiness checklist, and the
//! learner's and employer's agreement that they are ready.

use chrono::{DateTime, Utc};
use folio_app::gateway::{self, Readiness};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use uuid::Uuid;

use crate::AppState;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum GatewayTag {
    /// Gateway readiness: the checklist and the parties' agreement.
    Gateway,
}

/// `/api/v1/enrolments/{id}/gateway`.
pub struct GatewayApi(pub AppState);

/// One line of the checklist.
#[derive(Debug, Object)]
struct CheckBody {
    /// `mandatory_criteria` (every criterion of the learner's units, mandatory and chosen
    /// optional, signed off; unmet while there are none),
    /// `off_the_job_minimum` (the hours counted for the funding return, to the nearest
    /// whole hour, at least the rule's minimum), `english_maths` (every criterion of the
    /// course's English and maths aims signed off; met when it has none),
    /// `learner_agrees`, `employer_agrees` (the employer's manager now).
    key: String,
    /// Whether it is met.
    met: bool,
    /// What was found, in words.
    detail: String,
}

/// A party's recorded agreement.
#[derive(Debug, Object)]
struct AgreementBody {
    /// `learner` or `employer`.
    party: String,
    /// Who agreed.
    agreed_by_name: String,
    /// When.
    agreed_at: DateTime<Utc>,
}

/// A learner's gateway readiness, as of now.
#[derive(Debug, Object)]
struct GatewayBody {
    /// The enrolment.
    enrolment_id: Uuid,
    /// Every check met.
    ready: bool,
    /// The checklist, in reading order.
    checks: Vec<CheckBody>,
    /// The agreements recorded, learner first.
    agreements: Vec<AgreementBody>,
    /// Whether you may record your own agreement now (the learner, or the employer's
    /// manager, who has not yet agreed, while the programme is in progress).
    you_may_agree: bool,
}

fn body(r: Readiness) -> GatewayBody {
    GatewayBody {
        enrolment_id: r.enrolment_id,
        ready: r.ready,
        checks: r
            .checks
            .into_iter()
            .map(|c| CheckBody {
                key: c.key.as_str().to_owned(),
                met: c.met,
                detail: c.detail,
            })
            .collect(),
        agreements: r
            .agreements
            .into_iter()
            .map(|a| AgreementBody {
                party: a.party,
                agreed_by_name: a.agreed_by_name,
                agreed_at: a.agreed_at,
            })
            .collect(),
        you_may_agree: r.caller_may_agree.is_some(),
    }
}

#[OpenApi(prefix_path = "/api/v1/enrolments", tag = "GatewayTag::Gateway")]
impl GatewayApi {
    /// The learner's gateway readiness checklist, worked out from the portfolio as it
    /// stands: mandatory criteria signed off, the off-the-job minimum, English and maths,
    /// and the learner's and employer's agreement. Anyone who may see the enrolment; 404
    /// for anyone else.
    #[oai(path = "/:id/gateway", method = "get")]
    async fn readiness(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<GatewayBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let readiness = gateway::readiness(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(body(readiness)))
    }

    /// Agree that the learner is ready for gateway, as the learner or as their employer's
    /// manager (403 for anyone else who may see the enrolment; 409 once the programme has
    /// ended). Agreeing again keeps the first agreement. Answers the checklist.
    #[oai(path = "/:id/gateway/agreement", method = "post")]
    async fn agree(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<GatewayBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let readiness = gateway::agree(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(body(readiness)))
    }
}
