//! A portfolio's gateway page (`/app/enrolments/{id}/gateway`): the readiness checklist
//! worked out from the portfolio as it stands, who has agreed, and, for the learner or
//! their employer's manager who has not yet, the form to agree.

use chrono::{DateTime, Utc};
use folio_app::{gateway, progress, routes};
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;
use uuid::Uuid;

use super::portfolio::OverviewView;
use super::{Flash, PageResult, Web, path_id};

/// One line of the checklist.
#[derive(Debug, Serialize)]
struct CheckRow {
    key: &'static str,
    title: &'static str,
    met: bool,
    detail: String,
}

/// A recorded agreement.
#[derive(Debug, Serialize)]
struct AgreementRow {
    who: &'static str,
    name: String,
    agreed_at: DateTime<Utc>,
}

/// The agree form.
#[derive(Debug, Serialize)]
struct Agreeing {
    api: String,
    back: String,
    /// Agreeing as the learner (else as the employer's manager).
    as_learner: bool,
}

/// The gateway page.
#[derive(Debug, Serialize)]
struct GatewayPage {
    /// The enrolment.
    id: Uuid,
    overview: OverviewView,
    ready: bool,
    checks: Vec<CheckRow>,
    agreements: Vec<AgreementRow>,
    agreeing: Option<Agreeing>,
}

fn title(key: folio_domain::gateway::CheckKey) -> &'static str {
    use folio_domain::gateway::CheckKey::*;
    match key {
        MandatoryCriteria => "Every criterion of the learner's units signed off",
        OffTheJobMinimum => "Off-the-job minimum met",
        EnglishMaths => "English and maths achieved",
        LearnerAgrees => "The learner agrees",
        EmployerAgrees => "The employer agrees",
    }
}

/// `/app/enrolments/{id}/gateway`.
#[handler]
pub(super) async fn gateway_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, page) = web
        .read_page(req, async |uow, _| {
            let id = path_id(&id)?;
            let overview = progress::overview(uow, id).await?;
            let r = gateway::readiness(uow, id).await?;
            Ok(GatewayPage {
                id,
                overview: OverviewView::from(overview),
                ready: r.ready,
                checks: r
                    .checks
                    .into_iter()
                    .map(|c| CheckRow {
                        key: c.key.as_str(),
                        title: title(c.key),
                        met: c.met,
                        detail: c.detail,
                    })
                    .collect(),
                agreements: r
                    .agreements
                    .into_iter()
                    .map(|a| AgreementRow {
                        who: if a.party == "learner" {
                            "The learner"
                        } else {
                            "The employer"
                        },
                        name: a.agreed_by_name,
                        agreed_at: a.agreed_at,
                    })
                    .collect(),
                agreeing: r.caller_may_agree.map(|party| Agreeing {
                    api: format!("/api/v1/enrolments/{id}/gateway/agreement"),
                    back: routes::gateway(id),
                    as_learner: party == "learner",
                }),
            })
        })
        .await?;
    Ok(web.typed_page(&viewer, "gateway", "Gateway", &page, flash))
}
