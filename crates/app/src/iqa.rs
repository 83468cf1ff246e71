//! IQA sampling (issue 23): the programme's IQA samples the sign-offs its assessor made
//! and records a decision (agree, disagree, refer) with feedback and what the assessor must
//! do; a disagreement reopens the sampled sign-offs (withdrawn, to be assessed again, the
//! sample keeping who signed each off and when). The assessor answers. Who may do what is
//! `folio_domain::iqa::sample_access`: admins and auditors read, learners and employers
//! get 404.

use folio_db::enrolments::Enrolment;
use folio_db::iqa::{self as queries, NewSample};
use folio_domain::iqa::{Decision, Method, SampleAccess, SampleText, Stage, sample_access};
use serde_json::json;
use uuid::Uuid;

use chrono::Datelike;
use folio_db::outbox::NewEmail;
use folio_domain::Role;

use crate::{Error, FieldError, Fields, Result, UnitOfWork, checked, routes};

pub use folio_db::iqa::{
    RecordFilter, RecordRow, Samplable, Sample, SampledEvidence, SampledSession, SignedOffCriterion,
};

/// What an IQA records.
#[derive(Debug, Clone)]
pub struct Sampling {
    /// `interim` or `summative`.
    pub stage: String,
    /// `agree`, `disagree` or `refer`.
    pub decision: String,
    /// The criteria sampled: each signed off for the learner.
    pub criterion_ids: Vec<Uuid>,
    /// The learner's evidence sampled.
    pub evidence_ids: Vec<Uuid>,
    /// The learner's sessions sampled, each with its outcome recorded.
    pub session_ids: Vec<Uuid>,
    /// The assessment method looked at, if the IQA says.
    pub method: Option<String>,
    /// What the IQA found (needed unless they agree).
    pub feedback: Option<String>,
    /// What the assessor must do.
    pub action_for_assessor: Option<String>,
}

/// Whether `principal` reads the enrolment's samples (its IQA tab is offered to them).
pub fn reads_samples(principal: &crate::Principal, enrolment: &Enrolment) -> bool {
    sample_access(&principal.roles, principal.relation_to(enrolment)) != SampleAccess::None
}

/// The enrolment and what the caller may do with its samples: 404 if they cannot see it
/// or may not read its samples.
async fn enrolment_for_samples(
    uow: &mut UnitOfWork,
    id: Uuid,
) -> Result<(Enrolment, SampleAccess)> {
    let enrolment = uow.visible_enrolment(id).await?;
    let relation = uow.principal.relation_to(&enrolment);
    match sample_access(&uow.principal.roles, relation) {
        SampleAccess::None => Err(Error::NotFound),
        access => Ok((enrolment.into_inner(), access)),
    }
}

fn text(
    fields: &mut Fields,
    field: &str,
    raw: Option<&str>,
    parse: fn(&str) -> std::result::Result<SampleText, folio_domain::InvalidValue>,
) -> Option<SampleText> {
    let raw = raw.map(str::trim).filter(|t| !t.is_empty())?;
    fields.check(field, parse(raw))
}

/// Records a sample of the programme's sign-offs (its IQA; 403 for anyone else who reads
/// its samples, 404 for anyone who does not). What is sampled is any of: criteria signed
/// off (up to 1,000), the learner's evidence (at its current version) and sessions with an
/// outcome (up to 100 each), never the IQA's own sign-offs or sessions. 422 names every
/// field at fault: an unknown stage, decision or method, nothing sampled, a criterion not
/// signed off for this learner (only a decision made can be sampled), another learner's
/// evidence or session, a session still open, a disagreement with no sign-offs to reopen,
/// feedback missing for a disagreement or a referral. The assessor is told (bell and
/// e-mail).
pub async fn sample(uow: &mut UnitOfWork, enrolment_id: Uuid, s: Sampling) -> Result<Sample> {
    uow.lock_enrolment(enrolment_id).await?;
    let (enrolment, access) = enrolment_for_samples(uow, enrolment_id).await?;
    if access != SampleAccess::Sample {
        return Err(Error::Forbidden);
    }
    let mut fields = Fields::default();
    let stage = fields.check("stage", Stage::parse(&s.stage));
    let decision = fields.check("decision", Decision::parse(&s.decision));
    let feedback = text(
        &mut fields,
        "feedback",
        s.feedback.as_deref(),
        SampleText::parse,
    );
    let action = text(
        &mut fields,
        "action_for_assessor",
        s.action_for_assessor.as_deref(),
        SampleText::parse_action,
    );
    let feedback_given = s.feedback.as_deref().is_some_and(|f| !f.trim().is_empty());
    if decision.is_some_and(Decision::needs_feedback) && !feedback_given {
        fields.add(
            "feedback",
            "say what you found: the assessor acts on it when you disagree or refer",
        );
    }
    let method = s
        .method
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .and_then(|m| fields.check("method", Method::parse(m)));
    let mut criteria = s.criterion_ids.clone();
    criteria.sort_unstable();
    criteria.dedup();
    let mut evidence_ids = s.evidence_ids.clone();
    evidence_ids.sort_unstable();
    evidence_ids.dedup();
    let mut session_ids = s.session_ids.clone();
    session_ids.sort_unstable();
    session_ids.dedup();
    let me = uow.principal.user_id;
    let sign_offs = if criteria.is_empty() && evidence_ids.is_empty() && session_ids.is_empty() {
        fields.add(
            "criterion_ids",
            "choose what you sampled: criteria signed off, evidence or sessions",
        );
        Vec::new()
    } else if criteria.len() > 1000 {
        fields.add("criterion_ids", "choose at most 1,000 criteria");
        Vec::new()
    } else {
        let found = queries::signed_off(&mut uow.tx, enrolment.id, &criteria).await?;
        for (i, c) in s.criterion_ids.iter().enumerate() {
            match found.iter().find(|f| f.criterion_id == *c) {
                None => fields.add(
                    format!("criterion_ids[{i}]"),
                    "is not signed off for this learner: only a decision made can be sampled",
                ),
                // An IQA who signed it off (as an admin, or as the learner's assessor
                // before) does not quality-assure their own decision.
                Some(f) if f.signed_off_by == me => fields.add(
                    format!("criterion_ids[{i}]"),
                    "you signed this off yourself: another IQA must sample it",
                ),
                Some(_) => {}
            }
        }
        found
    };
    // A disagreement reopens sign-offs: it needs some to reopen.
    if decision.is_some_and(Decision::reopens_sign_offs)
        && criteria.is_empty()
        && !(evidence_ids.is_empty() && session_ids.is_empty())
    {
        fields.add(
            "criterion_ids",
            "choose the sign-offs you disagree with: a disagreement reopens them (refer the evidence or sessions back instead)",
        );
    }
    let evidence = if evidence_ids.len() > 100 {
        fields.add("evidence_ids", "choose at most 100 pieces of evidence");
        Vec::new()
    } else {
        let found = queries::evidence_of(&mut uow.tx, enrolment.id, &evidence_ids).await?;
        for (i, e) in s.evidence_ids.iter().enumerate() {
            if !found.iter().any(|f| f.id == *e) {
                fields.add(
                    format!("evidence_ids[{i}]"),
                    "is not this learner's evidence",
                );
            }
        }
        found
    };
    let sessions = if session_ids.len() > 100 {
        fields.add("session_ids", "choose at most 100 sessions");
        Vec::new()
    } else {
        let found = queries::sessions_of(&mut uow.tx, enrolment.id, &session_ids).await?;
        for (i, id) in s.session_ids.iter().enumerate() {
            match found.iter().find(|f| f.id == *id) {
                None => fields.add(
                    format!("session_ids[{i}]"),
                    "is not one of this learner's sessions",
                ),
                Some(f) if !f.closed => fields.add(
                    format!("session_ids[{i}]"),
                    "has no outcome recorded yet: there is nothing to sample until it has",
                ),
                Some(f) if f.assessor_id == me => fields.add(
                    format!("session_ids[{i}]"),
                    "you ran this session yourself: another IQA must sample it",
                ),
                Some(_) => {}
            }
        }
        found.iter().map(|f| f.id).collect::<Vec<Uuid>>()
    };
    fields.finish()?;
    let (stage, decision) = (checked(stage)?, checked(decision)?);
    let id = Uuid::now_v7();
    queries::insert(
        &mut uow.tx,
        &NewSample {
            id,
            enrolment_id: enrolment.id,
            assessor_id: enrolment.assessor_id,
            iqa_id: uow.principal.user_id,
            stage: stage.as_str(),
            decision: decision.as_str(),
            feedback: feedback.as_ref().map(SampleText::as_str),
            action_for_assessor: action.as_ref().map(SampleText::as_str),
            method: method.map(Method::as_str),
            sign_offs: &sign_offs,
            evidence: &evidence,
            sessions: &sessions,
            reopens: decision.reopens_sign_offs(),
        },
    )
    .await?;
    uow.audit(
        "iqa.sample",
        "enrolment",
        enrolment.id,
        json!({
            "sample_id": id,
            "decision": decision.as_str(),
            "stage": stage.as_str(),
            "criterion_ids": criteria,
            "evidence_ids": evidence_ids,
            "session_ids": session_ids,
            "method": method.map(Method::as_str),
            "reopened": decision.reopens_sign_offs(),
        }),
    )
    .await?;
    let recorded = queries::get(&mut uow.tx, id).await?;
    // The assessor is told (their bell and an e-mail), whatever the decision: it is
    // their work that was looked at, and anything but agreement asks them to act.
    if let Some(assessor) = enrolment.assessor_id {
        uow.queue_email(&NewEmail {
            dedup_key: &format!("iqa-sample:{id}"),
            to_user_id: assessor,
            template: "iqa_sample_recorded",
            context: json!({
                "enrolment_id": enrolment.id,
                "link_path": routes::iqa(enrolment.id),
                "learner_name": enrolment.learner_name,
                "course_title": enrolment.course_title,
                "iqa_name": recorded.iqa_name,
                "decision": recorded.decision,
                "feedback": recorded.feedback,
                "action_for_assessor": recorded.action_for_assessor,
            }),
        })
        .await?;
    }
    Ok(recorded)
}

/// The programme's samples, newest first (staff who read them; 404 otherwise).
pub async fn of_enrolment(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Vec<Sample>> {
    let (enrolment, _) = enrolment_for_samples(uow, enrolment_id).await?;
    Ok(queries::of_enrolment(&mut uow.tx, enrolment.id).await?)
}

/// The assessor's answer to a sample of their decisions (the programme's assessor; 403 for
/// anyone else who reads it, 404 for anyone who does not; 409 once answered).
pub async fn answer(uow: &mut UnitOfWork, sample_id: Uuid, response: &str) -> Result<Sample> {
    let sample = queries::get(&mut uow.tx, sample_id).await?;
    uow.lock_enrolment(sample.enrolment_id).await?;
    let (enrolment, access) = enrolment_for_samples(uow, sample.enrolment_id).await?;
    if access != SampleAccess::Answer {
        return Err(Error::Forbidden);
    }
    let response = SampleText::parse(response)
        .map_err(|e| Error::Validation(vec![FieldError::new("response", e)]))?;
    if !queries::answer(
        &mut uow.tx,
        sample_id,
        uow.principal.user_id,
        response.as_str(),
    )
    .await?
    {
        return Err(Error::Conflict {
            field: None,
            detail: "this sample has already been answered".into(),
        });
    }
    let answered = queries::get(&mut uow.tx, sample_id).await?;
    // The IQA who took the sample reads the answer (their bell and an e-mail).
    uow.queue_email(&NewEmail {
        dedup_key: &format!("iqa-answer:{sample_id}"),
        to_user_id: answered.iqa_id,
        template: "iqa_sample_answered",
        context: json!({
            "enrolment_id": enrolment.id,
            "link_path": routes::iqa(enrolment.id),
            "learner_name": enrolment.learner_name,
            "course_title": enrolment.course_title,
            "assessor_name": answered.responded_by_name,
            "response": answered.response,
        }),
    })
    .await?;
    uow.audit(
        "iqa.answer",
        "enrolment",
        sample.enrolment_id,
        json!({ "sample_id": sample_id }),
    )
    .await?;
    Ok(answered)
}

/// What a programme's IQA page shows its reader.
#[derive(Debug, Clone)]
pub struct Record {
    /// What they may do.
    pub access: SampleAccess,
    /// The samples, newest first.
    pub samples: Vec<Sample>,
    /// For the IQA: the sign-offs they may sample now; empty for anyone else.
    pub samplable: Vec<SignedOffCriterion>,
    /// For the IQA: the learner's evidence, newest first.
    pub evidence: Vec<Samplable>,
    /// For the IQA: the learner's sessions with an outcome, newest first.
    pub sessions: Vec<Samplable>,
}

/// The programme's IQA record as the caller may read it (404 for anyone who may not).
pub async fn record(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Record> {
    let (enrolment, access) = enrolment_for_samples(uow, enrolment_id).await?;
    let samples = queries::of_enrolment(&mut uow.tx, enrolment.id).await?;
    let (samplable, evidence, sessions) = if access == SampleAccess::Sample {
        (
            queries::signed_off_criteria(&mut uow.tx, enrolment.id).await?,
            queries::samplable_evidence(&mut uow.tx, enrolment.id).await?,
            queries::samplable_sessions(&mut uow.tx, enrolment.id).await?,
        )
    } else {
        Default::default()
    };
    Ok(Record {
        access,
        samples,
        samplable,
        evidence,
        sessions,
    })
}

/// The most samples one sampling record holds.
pub const RECORD_MAX_ROWS: i64 = 50_000;

/// The sampling record: every sample of the programmes the caller reads samples of (IQAs
/// and assessors theirs, admins and auditors as far as they see), oldest first, filtered
/// by day, assessor and course; 403 for learners and employers. 422 when `from` is after
/// `to`, or when more than [`RECORD_MAX_ROWS`] samples match (narrow the days).
pub async fn sampling_record(uow: &mut UnitOfWork, filter: RecordFilter) -> Result<SamplingRecord> {
    let p = &uow.principal;
    if ![Role::Iqa, Role::Assessor, Role::Admin, Role::Auditor]
        .iter()
        .any(|r| p.has(*r))
    {
        return Err(Error::Forbidden);
    }
    let mut fields = Fields::default();
    for (field, day) in [("from", filter.from), ("to", filter.to)] {
        if day.is_some_and(|d| !(1900..=9999).contains(&d.year())) {
            fields.add(field, "must be a day between the years 1900 and 9999");
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        fields.add("from", "must be on or before `to`");
    }
    fields.finish()?;
    // Samples are staff records: read through the staff relationships only (a learner's
    // or an employer's view of a programme never shows its samples).
    let mut viewer = p.viewer();
    viewer.scope.as_learner = false;
    viewer.scope.as_employer = false;
    // Counted first, so a record too large is refused before it is read.
    if queries::record_size(&mut uow.tx, &viewer, &filter).await? > RECORD_MAX_ROWS {
        let detail = "more than 50,000 samples match: choose fewer days";
        return Err(Error::Validation(vec![
            FieldError::new("from", detail),
            FieldError::new("to", detail),
        ]));
    }
    let rows = queries::record(&mut uow.tx, &viewer, &filter).await?;
    uow.audit(
        "iqa.record_export",
        "tenant",
        uow.principal.tenant.0,
        json!({ "rows": rows.len(), "from": filter.from, "to": filter.to,
                "assessor_id": filter.assessor_id, "course_id": filter.course_id }),
    )
    .await?;
    Ok(SamplingRecord {
        organisation: folio_db::platform::current(&mut uow.tx).await?.name,
        tz: uow.settings().await?.tz(),
        rows,
    })
}

/// The sampling record, with what its sheet says above the table.
#[derive(Debug)]
pub struct SamplingRecord {
    /// The organisation's name.
    pub organisation: String,
    /// Its time zone, for the days.
    pub tz: chrono_tz::Tz,
    /// The samples, oldest first.
    pub rows: Vec<RecordRow>,
}
