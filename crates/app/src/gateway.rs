//! Gateway readiness (issue 23): the checklist a learner passes before gateway, worked out
//! from the portfolio as it stands ([`folio_domain::gateway::checklist`]), and the
//! learner's and employer's agreement, recorded by each of them.

use chrono::{DateTime, Utc};
use folio_db::gateway as queries;
use folio_domain::Role;
use folio_domain::gateway::{self as rules, Check, GatewayInput, Tally};
use serde_json::json;
use uuid::Uuid;

use crate::progress::units;
use crate::time_log::off_the_job;
use crate::{Error, Result, UnitOfWork};

/// One party's recorded agreement.
#[derive(Debug, Clone)]
pub struct Agreement {
    /// `learner` or `employer`.
    pub party: String,
    /// Who agreed, by name.
    pub agreed_by_name: String,
    /// When.
    pub agreed_at: DateTime<Utc>,
}

/// A learner's gateway readiness.
#[derive(Debug, Clone)]
pub struct Readiness {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// Every check, in reading order.
    pub checks: Vec<Check>,
    /// Whether every check is met.
    pub ready: bool,
    /// The agreements recorded.
    pub agreements: Vec<Agreement>,
    /// The party the caller may record their own agreement as now (the learner, or the
    /// employer's manager, who has not yet agreed, while the enrolment is in progress).
    pub caller_may_agree: Option<&'static str>,
}

/// The party the caller agrees as, if they are one of the enrolment's.
fn party_of(uow: &UnitOfWork, enrolment: &folio_db::enrolments::Enrolment) -> Option<&'static str> {
    let p = &uow.principal;
    if p.is_learner_of(enrolment) {
        Some("learner")
    } else if p.has(Role::Employer) && enrolment.manager_id == Some(p.user_id) {
        Some("employer")
    } else {
        None
    }
}

/// The checklist of an enrolment the caller may see (404 otherwise), as of now.
pub async fn readiness(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Readiness> {
    let (enrolment, components) = units(uow, enrolment_id).await?;
    let english_maths = queries::english_maths_components(&mut uow.tx, enrolment.course_id).await?;
    let mut mandatory = Tally::default();
    let mut aims: Option<Tally> = (!english_maths.is_empty()).then(Tally::default);
    // The learner's units: the mandatory ones and the optional ones chosen for them.
    for component in &components {
        let is_aim = english_maths.contains(&component.id);
        for unit in &component.items {
            let tally = match (is_aim, aims.as_mut()) {
                (true, Some(aims)) => aims,
                _ => &mut mandatory,
            };
            tally.done += unit.counts.signed_off;
            tally.of += unit.counts.total;
        }
    }
    let otj = off_the_job(uow, enrolment_id).await?;
    let agreements = queries::agreements(&mut uow.tx, enrolment_id).await?;
    // Agreed by who is that party now: a manager who has since been replaced does not
    // agree for the next one.
    let party_now = |party: &str| match party {
        "learner" => Some(enrolment.learner_id),
        _ => enrolment.manager_id,
    };
    let agreed = |party: &str| {
        agreements
            .iter()
            .any(|a| a.party == party && Some(a.agreed_by) == party_now(party))
    };
    let input = GatewayInput {
        mandatory,
        english_maths: aims,
        otj_actual_whole_hours: otj.figures.actual.ilr_hours,
        otj_required: otj.figures.required.hours,
        has_employer: enrolment.manager_id.is_some(),
        learner_agreed: agreed("learner"),
        employer_agreed: agreed("employer"),
    };
    let checks = rules::checklist(&input);
    let in_progress = enrolment.status().is_some_and(|s| !s.is_final());
    let caller_may_agree = party_of(uow, &enrolment).filter(|party| in_progress && !agreed(party));
    Ok(Readiness {
        enrolment_id,
        ready: checks.iter().all(|c| c.met),
        checks,
        agreements: agreements
            .into_iter()
            .map(|a| Agreement {
                party: a.party,
                agreed_by_name: a.agreed_by_name,
                agreed_at: a.agreed_at,
            })
            .collect(),
        caller_may_agree,
    })
}

/// Records that the caller, the enrolment's learner or its employer's manager, agrees the
/// learner is ready for gateway; anyone else who can see it gets 403, and an enrolment
/// that has ended 409. Agreeing twice keeps the first agreement; a new manager's replaces
/// their predecessor's. Returns the checklist.
pub async fn agree(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Readiness> {
    // Seen first (404 without a lock taken), then locked and read again.
    uow.visible_enrolment(enrolment_id).await?;
    uow.lock_enrolment(enrolment_id).await?;
    let enrolment = uow.visible_enrolment(enrolment_id).await?.into_inner();
    let party = party_of(uow, &enrolment).ok_or(Error::Forbidden)?;
    if enrolment.status().is_none_or(|s| s.is_final()) {
        return Err(Error::Conflict {
            field: None,
            detail: "this learner's programme has ended; there is no gateway to agree to".into(),
        });
    }
    let user_id = uow.principal.user_id;
    if queries::agree(&mut uow.tx, enrolment_id, party, user_id).await? {
        uow.audit(
            "gateway.agreed",
            "enrolment",
            enrolment_id,
            json!({ "party": party }),
        )
        .await?;
    }
    readiness(uow, enrolment_id).await
}
