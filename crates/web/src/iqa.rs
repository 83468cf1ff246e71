//! A portfolio's IQA page (`/app/enrolments/{id}/iqa`): the samples of its assessor's
//! decisions, newest first; for its IQA, the form that samples the sign-offs made; for its
//! assessor, the form that answers a sample. Staff only, as the use cases decide.

use chrono::{DateTime, Utc};
use folio_app::{iqa, progress, routes};
use folio_domain::iqa::{Method, SampleAccess, Stage};
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;
use uuid::Uuid;

use super::portfolio::OverviewView;
use super::{Flash, PageResult, Web, path_id};

/// A sign-off a sample looked at.
#[derive(Debug, Serialize)]
struct SampledRow {
    code: String,
    signed_off_by_name: String,
    signed_off_at: DateTime<Utc>,
    reopened: bool,
}

/// A sample as its card shows it.
#[derive(Debug, Serialize)]
struct SampleCard {
    id: Uuid,
    iqa_name: String,
    assessor_name: Option<String>,
    stage: &'static str,
    /// The decision in words.
    decision: &'static str,
    /// `agree`, `refer` or `disagree`, for its badge.
    decision_key: String,
    sampled_at: DateTime<Utc>,
    criteria: Vec<SampledRow>,
    /// The method in words.
    method: Option<&'static str>,
    evidence: Vec<SampledEvidenceRow>,
    sessions: Vec<SampledSessionRow>,
    feedback: Option<String>,
    action_for_assessor: Option<String>,
    response: Option<String>,
    responded_by_name: Option<String>,
    responded_at: Option<DateTime<Utc>>,
    /// The API path of the answer form, for the assessor while it is unanswered.
    answer_api: Option<String>,
}

/// Evidence a sample looked at.
#[derive(Debug, Serialize)]
struct SampledEvidenceRow {
    title: String,
    version: i32,
    open: String,
}

/// A session a sample looked at.
#[derive(Debug, Serialize)]
struct SampledSessionRow {
    kind: String,
    starts_at: DateTime<Utc>,
    open: String,
}

/// Evidence or a session the IQA may sample.
#[derive(Debug, Serialize)]
struct SamplableItem {
    id: Uuid,
    label: String,
    version: Option<i32>,
    at: DateTime<Utc>,
    outcome: Option<String>,
}

/// An assessment method to choose.
#[derive(Debug, Serialize)]
struct MethodOption {
    value: &'static str,
    words: &'static str,
}

/// A sign-off the IQA may sample.
#[derive(Debug, Serialize)]
struct Samplable {
    id: Uuid,
    code: String,
    text: String,
    signed_off_by_name: String,
    signed_off_at: DateTime<Utc>,
}

/// The IQA page.
#[derive(Debug, Serialize)]
struct IqaPage {
    id: Uuid,
    overview: OverviewView,
    samples: Vec<SampleCard>,
    /// The sampling form's API path, for the programme's IQA.
    sample_api: Option<String>,
    samplable: Vec<Samplable>,
    evidence: Vec<SamplableItem>,
    sessions: Vec<SamplableItem>,
    methods: Vec<MethodOption>,
    back: String,
}

fn decision_words(d: &str) -> &'static str {
    match d {
        "agree" => "Agreed: the decisions stand",
        "disagree" => "Disagreed: the sign-offs were reopened",
        _ => "Referred back to the assessor",
    }
}

/// `/app/enrolments/{id}/iqa`.
#[handler]
pub(super) async fn iqa_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, page) = web
        .read_page(req, async |uow, _| {
            let id = path_id(&id)?;
            let record = iqa::record(uow, id).await?;
            let overview = progress::overview(uow, id).await?;
            let answers = record.access == SampleAccess::Answer;
            Ok(IqaPage {
                id,
                overview: OverviewView::from(overview),
                samples: record
                    .samples
                    .into_iter()
                    .map(|s| SampleCard {
                        answer_api: (answers && s.response.is_none())
                            .then(|| format!("/api/v1/iqa-samples/{}/answer", s.id)),
                        id: s.id,
                        iqa_name: s.iqa_name,
                        assessor_name: s.assessor_name,
                        stage: Stage::words_of(&s.stage),
                        decision: decision_words(&s.decision),
                        decision_key: s.decision,
                        sampled_at: s.sampled_at,
                        criteria: s
                            .criteria
                            .0
                            .into_iter()
                            .map(|c| SampledRow {
                                code: c.code,
                                signed_off_by_name: c.signed_off_by_name,
                                signed_off_at: c.signed_off_at,
                                reopened: c.reopened,
                            })
                            .collect(),
                        method: s
                            .method
                            .as_deref()
                            .and_then(|m| Method::parse(m).ok())
                            .map(Method::words),
                        evidence: s
                            .evidence
                            .0
                            .into_iter()
                            .map(|e| SampledEvidenceRow {
                                open: routes::evidence(e.evidence_id),
                                title: e.title,
                                version: e.version,
                            })
                            .collect(),
                        sessions: s
                            .sessions
                            .0
                            .into_iter()
                            .map(|l| SampledSessionRow {
                                open: routes::session(l.session_id),
                                kind: l.session_type,
                                starts_at: l.starts_at,
                            })
                            .collect(),
                        feedback: s.feedback,
                        action_for_assessor: s.action_for_assessor,
                        response: s.response,
                        responded_by_name: s.responded_by_name,
                        responded_at: s.responded_at,
                    })
                    .collect(),
                sample_api: (record.access == SampleAccess::Sample)
                    .then(|| format!("/api/v1/enrolments/{id}/iqa-samples")),
                samplable: record
                    .samplable
                    .into_iter()
                    .map(|c| Samplable {
                        id: c.id,
                        code: c.code,
                        text: c.text,
                        signed_off_by_name: c.signed_off_by_name,
                        signed_off_at: c.signed_off_at,
                    })
                    .collect(),
                evidence: record
                    .evidence
                    .into_iter()
                    .map(|e| SamplableItem {
                        id: e.id,
                        label: e.label,
                        version: e.version,
                        at: e.at,
                        outcome: None,
                    })
                    .collect(),
                sessions: record
                    .sessions
                    .into_iter()
                    .map(|l| SamplableItem {
                        id: l.id,
                        label: l.label,
                        version: None,
                        at: l.at,
                        outcome: l.outcome,
                    })
                    .collect(),
                methods: Method::ALL
                    .into_iter()
                    .map(|m| MethodOption {
                        value: m.as_str(),
                        words: m.words(),
                    })
                    .collect(),
                back: routes::iqa(id),
            })
        })
        .await?;
    Ok(web.typed_page(&viewer, "iqa", "IQA", &page, flash))
}
