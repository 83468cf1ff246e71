//! A learner's portfolio pages read through the use cases: each in one unit of work, from
//! typed views rendered strictly. The header every portfolio page shows
//! (`portfolio_nav`: whose portfolio, which course, status and track) is [`OverviewView`].

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::evidence::{self, Evidence, Return, Version};
use folio_app::progress::{self, MapUnit, Overview, ProgressMap};
use poem::web::{Data, Path, Query};
use poem::{Request, handler};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Flash, PageResult, Web, path_id};

/// Someone named on a page.
#[derive(Debug, Serialize)]
pub(super) struct PersonView {
    pub id: Uuid,
    pub name: String,
}

/// The course in a portfolio's header.
#[derive(Debug, Serialize)]
pub(super) struct CourseView {
    pub id: Uuid,
    pub code: String,
    pub title: String,
}

/// A portfolio's header and the overview's figures.
#[derive(Debug, Serialize)]
pub(super) struct OverviewView {
    pub enrolment_id: Uuid,
    pub learner: PersonView,
    pub course: CourseView,
    /// The status's stable name (`in_learning`…).
    pub status: String,
    pub planned_end_date: NaiveDate,
    /// Overall signed off %, one decimal place.
    pub signed_off_percent: f64,
    /// Overall mapped %, one decimal place.
    pub mapped_percent: f64,
    /// Negative once past the planned end.
    pub days_to_planned_end: i64,
    pub past_planned_end: bool,
    /// `on_track`, `off_track`, `ahead` or `not_applicable`.
    pub track_status: &'static str,
    /// The people around the learner, by name.
    pub assessor_name: Option<String>,
    pub iqa_name: Option<String>,
    pub manager_name: Option<String>,
    /// The IQA tab is offered (to staff who read the samples).
    pub reads_iqa_samples: bool,
}

impl From<Overview> for OverviewView {
    fn from(
        Overview {
            enrolment,
            bars,
            reads_iqa_samples,
        }: Overview,
    ) -> Self {
        Self {
            reads_iqa_samples,
            enrolment_id: enrolment.id,
            learner: PersonView {
                id: enrolment.learner_id,
                name: enrolment.learner_name,
            },
            course: CourseView {
                id: enrolment.course_id,
                code: enrolment.course_code,
                title: enrolment.course_title,
            },
            status: enrolment.status,
            planned_end_date: enrolment.planned_end_date,
            signed_off_percent: bars.shown().signed_off_percent,
            mapped_percent: bars.shown().mapped_percent,
            days_to_planned_end: bars.elapsed.days_to_end,
            past_planned_end: bars.elapsed.past_end,
            track_status: bars.track.as_str(),
            assessor_name: enrolment.assessor_name,
            iqa_name: enrolment.iqa_name,
            manager_name: enrolment.manager_name,
        }
    }
}

/// A criterion on the progress map.
#[derive(Debug, Serialize)]
struct MapCriterionView {
    criterion_id: Uuid,
    code: String,
    text: String,
    /// `none`, `mapped` or `signed_off`.
    state: &'static str,
    signed_off_at: Option<DateTime<Utc>>,
}

/// A unit on the progress map.
#[derive(Debug, Serialize)]
struct MapUnitView {
    id: Uuid,
    code: String,
    title: String,
    optional: bool,
    criteria: Vec<MapCriterionView>,
}

impl From<MapUnit> for MapUnitView {
    fn from(u: MapUnit) -> Self {
        Self {
            id: u.id,
            code: u.code,
            title: u.title,
            optional: u.optional,
            criteria: u
                .criteria
                .into_iter()
                .map(|c| MapCriterionView {
                    criterion_id: c.id,
                    code: c.code,
                    text: c.text,
                    state: c.state.as_str(),
                    signed_off_at: c.signed_off_at,
                })
                .collect(),
        }
    }
}

/// A component on the progress map.
#[derive(Debug, Serialize)]
struct MapComponentView {
    title: String,
    units: Vec<MapUnitView>,
}

/// The progress map page.
#[derive(Debug, Serialize)]
struct ProgressMapView {
    /// The enrolment (the portfolio's links are built on it).
    id: Uuid,
    overview: OverviewView,
    incomplete_only: bool,
    components: Vec<MapComponentView>,
}

/// `?filter=incomplete`: only the criteria not yet signed off.
#[derive(Debug, Default, Deserialize)]
pub(super) struct MapQuery {
    filter: Option<String>,
}

/// `/app/enrolments/{id}/progress-map`: the gap analysis, red, orange and green.
#[handler]
pub(super) async fn progress_map_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    Query(q): Query<MapQuery>,
    flash: Flash,
) -> PageResult {
    let incomplete_only = q.filter.as_deref() == Some("incomplete");
    let (viewer, (id, overview, map)) = web
        .read_page(req, async |uow, _| {
            let id = path_id(&id)?;
            let overview = progress::overview(uow, id).await?;
            let map = progress::progress_map(uow, id, incomplete_only).await?;
            Ok((id, overview, map))
        })
        .await?;
    let view = ProgressMapView {
        id,
        overview: overview.into(),
        incomplete_only,
        components: map_components(map),
    };
    Ok(web.typed_page(&viewer, "progress_map", "Progress map", &view, flash))
}

fn map_components(map: ProgressMap) -> Vec<MapComponentView> {
    map.components
        .into_iter()
        .map(|c| MapComponentView {
            title: c.title,
            units: c.items.into_iter().map(MapUnitView::from).collect(),
        })
        .collect()
}

/// A piece of evidence as its pages show it.
#[derive(Debug, Serialize)]
struct EvidenceView {
    id: Uuid,
    title: String,
    description: Option<String>,
    /// `submitted`, `returned` or `resubmitted`.
    status: String,
    signature_name: String,
    signed_at: DateTime<Utc>,
    current_version: i32,
    file_name: String,
    /// The criteria it is mapped to.
    criterion_ids: Vec<Uuid>,
    /// The same, by code, text and state, in course order (see [`EvidenceView::mapped`]).
    criteria: Vec<MappedCriterion>,
    created_at: DateTime<Utc>,
    /// Its latest file.
    download: String,
    /// Its page.
    link: String,
}

impl From<Evidence> for EvidenceView {
    fn from(e: Evidence) -> Self {
        Self {
            download: evidence_file(e.id, e.current_version),
            link: folio_app::routes::evidence(e.id),
            id: e.id,
            title: e.title,
            description: e.description,
            status: e.status,
            signature_name: e.signature_name,
            signed_at: e.signed_at,
            current_version: e.current_version,
            file_name: e.file_name,
            criterion_ids: e.criterion_ids,
            criteria: Vec::new(),
            created_at: e.created_at,
        }
    }
}

/// A criterion a piece of evidence is mapped to, as listed beside it.
#[derive(Debug, Clone, Serialize)]
struct MappedCriterion {
    code: String,
    text: String,
    /// `mapped` or `signed_off`.
    state: &'static str,
}

impl EvidenceView {
    /// The evidence with the criteria it is mapped to named, from the learner's map.
    fn mapped(mut self, map: &[MapComponentView]) -> Self {
        self.criteria = map
            .iter()
            .flat_map(|c| &c.units)
            .flat_map(|u| &u.criteria)
            .filter(|c| self.criterion_ids.contains(&c.criterion_id))
            .map(|c| MappedCriterion {
                code: c.code.clone(),
                text: c.text.clone(),
                state: c.state,
            })
            .collect();
        self
    }
}

/// A version's file, downloaded through the API (which sends it as an attachment).
fn evidence_file(evidence: Uuid, version: i32) -> String {
    format!("/api/v1/evidence/{evidence}/versions/{version}/file")
}

/// A component evidence can be uploaded against.
#[derive(Debug, Serialize)]
struct ComponentChoice {
    id: Uuid,
    title: String,
}

/// The evidence library.
#[derive(Debug, Serialize)]
struct EvidenceListView {
    id: Uuid,
    overview: OverviewView,
    /// The learner's components, to upload against.
    components: Vec<ComponentChoice>,
    evidence: Vec<EvidenceView>,
    /// The viewer may upload evidence here (not a reader such as the employer).
    may_upload: bool,
}

/// `/app/enrolments/{id}/evidence`: the evidence library and the upload form.
#[handler]
pub(super) async fn evidence_list_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, (id, overview, components, evidence, may_upload, map)) = web
        .read_page(req, async |uow, _| {
            let id = path_id(&id)?;
            let overview = progress::overview(uow, id).await?;
            let (_, components) = progress::units(uow, id).await?;
            let evidence = evidence::list(uow, id).await?;
            let may_upload = evidence::may_upload_to(uow, id).await?;
            let map = progress::progress_map(uow, id, false).await?;
            Ok((id, overview, components, evidence, may_upload, map))
        })
        .await?;
    let map = map_components(map);
    let view = EvidenceListView {
        id,
        overview: overview.into(),
        components: components
            .into_iter()
            .map(|c| ComponentChoice {
                id: c.id,
                title: c.title,
            })
            .collect(),
        evidence: evidence
            .into_iter()
            .map(|e| EvidenceView::from(e).mapped(&map))
            .collect(),
        may_upload,
    };
    Ok(web.typed_page(&viewer, "evidence_list", "Evidence", &view, flash))
}

/// A version of a piece of evidence.
#[derive(Debug, Serialize)]
struct VersionView {
    version: i32,
    file_name: String,
    comment: Option<String>,
    uploaded_at: DateTime<Utc>,
    download: String,
}

/// A return with points for improvement.
#[derive(Debug, Serialize)]
struct ReturnView {
    version: i32,
    points: String,
    returned_at: DateTime<Utc>,
}

/// One piece of evidence: its facts, versions and returns, and (for staff) the criteria
/// to map it to and sign off.
#[derive(Debug, Serialize)]
struct EvidenceDetailView {
    /// The enrolment (the portfolio's links are built on it).
    id: Uuid,
    overview: OverviewView,
    evidence: EvidenceView,
    versions: Vec<VersionView>,
    returns: Vec<ReturnView>,
    /// The learner's criteria by component and unit.
    components: Vec<MapComponentView>,
    /// The codes of the criteria signed off on this evidence: it has been assessed, and
    /// cannot be replaced by a new version.
    assessed_criteria: Vec<String>,
    /// The viewer assesses this learner (maps, signs off, returns): their assessor or an
    /// admin; not an IQA, auditor or employer, who read.
    may_assess: bool,
    /// The current version shown in the page, when it is a picture.
    preview: Option<Preview>,
    /// The current version's pages, when it is a PDF that can be drawn.
    pdf: Option<PdfPreview>,
    /// Why the current version, a PDF, is not shown (too large, damaged…).
    pdf_refused: Option<String>,
}

/// A page of a PDF version shown in the evidence's page, as the picture the API draws
/// of it (the PDF itself never opens in the browser), with links to the others.
#[derive(Debug, Serialize)]
struct PdfPreview {
    src: String,
    page: u32,
    pages: u32,
    version: i32,
    file_name: String,
    download: String,
    previous: Option<String>,
    next: Option<String>,
}

/// `/app/evidence/{id}?page=N`: which page of a PDF to show.
#[derive(Debug, Default, Deserialize)]
pub(super) struct EvidenceQuery {
    page: Option<String>,
}

/// The page asked for: from 1, the first when none was.
fn page_asked(q: &EvidenceQuery) -> Result<u32, folio_app::Error> {
    match q.page.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| folio_app::Error::invalid("page", "must be a page number, from 1")),
    }
}

/// A picture shown in the evidence's page: an `<img>` of the version's file, which the
/// browser draws as an image whatever the file holds (an image never runs script, and
/// the file is served as an attachment with `nosniff`, so opened on its own it is only
/// ever downloaded).
#[derive(Debug, Serialize)]
struct Preview {
    src: String,
    version: i32,
    file_name: String,
}

/// The picture types shown in the page: raster images every browser draws. (SVG is not
/// among them: it is a document that can hold links and script.)
const PICTURES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Whether a version declared as `content_type` is shown as a picture.
fn is_picture(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    PICTURES.iter().any(|p| p.eq_ignore_ascii_case(essence))
}

/// `/app/evidence/{id}`: a piece of evidence.
#[handler]
pub(super) async fn evidence_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    Query(q): Query<EvidenceQuery>,
    flash: Flash,
) -> PageResult {
    let (viewer, (detail, overview, map, may_assess, assessed_criteria, page)) = web
        .read_page(req, async |uow, _| {
            let page = page_asked(&q)?;
            let detail = evidence::detail(uow, path_id(&id)?).await?;
            let enrolment = detail.evidence.enrolment_id;
            let overview = progress::overview(uow, enrolment).await?;
            let map = progress::progress_map(uow, enrolment, false).await?;
            let may_assess = uow.manages_enrolment(enrolment).await?;
            let assessed = evidence::assessed_criteria(uow, detail.evidence.id).await?;
            Ok((detail, overview, map, may_assess, assessed, page))
        })
        .await?;
    let evidence_id = detail.evidence.id;
    let components = map_components(map);
    let preview = detail
        .versions
        .iter()
        .find(|v| v.version == detail.evidence.current_version && is_picture(&v.content_type))
        .map(|v| Preview {
            src: evidence_file(evidence_id, v.version),
            version: v.version,
            file_name: v.file_name.clone(),
        });
    let current = detail.versions.iter().find(|v| {
        v.version == detail.evidence.current_version && evidence::is_pdf(&v.content_type)
    });
    let (pdf, pdf_refused) = match current {
        Some(v) => pdf_preview(&web, &viewer, evidence_id, v, page).await,
        None => (None, None),
    };
    let view = EvidenceDetailView {
        id: detail.evidence.enrolment_id,
        overview: overview.into(),
        evidence: EvidenceView::from(detail.evidence).mapped(&components),
        versions: detail
            .versions
            .into_iter()
            .map(|v: Version| VersionView {
                download: evidence_file(evidence_id, v.version),
                version: v.version,
                file_name: v.file_name,
                comment: v.comment,
                uploaded_at: v.uploaded_at,
            })
            .collect(),
        returns: detail
            .returns
            .into_iter()
            .map(|r: Return| ReturnView {
                version: r.version,
                points: r.points,
                returned_at: r.returned_at,
            })
            .collect(),
        components,
        assessed_criteria,
        may_assess,
        preview,
        pdf,
        pdf_refused,
    };
    Ok(web.typed_page(&viewer, "evidence_detail", "Evidence", &view, flash))
}

/// The PDF viewer of a version: its page count asked of the API (which reads the file),
/// the page asked for (the last when past it); or why it cannot be shown.
async fn pdf_preview(
    web: &Web,
    viewer: &super::Viewer,
    evidence_id: Uuid,
    v: &Version,
    page: u32,
) -> (Option<PdfPreview>, Option<String>) {
    let api = format!("/api/v1/evidence/{evidence_id}/versions/{}", v.version);
    let reply = web
        .api
        .call_with(
            poem::http::Method::GET,
            &format!("{api}/pages"),
            Some(&viewer.token),
            viewer.peer,
            None,
        )
        .await;
    let pages = reply
        .body
        .get("pages")
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|&n| reply.ok() && n >= 1);
    let Some(pages) = pages else {
        let why = reply
            .body
            .pointer("/errors/0/detail")
            .and_then(serde_json::Value::as_str)
            .map_or_else(
                || "This PDF cannot be shown in the page: download it to read it.".to_owned(),
                |d| format!("This PDF {d}."),
            );
        return (None, Some(why));
    };
    let page = page.min(pages);
    let link = |n: u32| format!("{}?page={n}", folio_app::routes::evidence(evidence_id));
    (
        Some(PdfPreview {
            src: format!("{api}/pages/{page}"),
            page,
            pages,
            version: v.version,
            file_name: v.file_name.clone(),
            download: evidence_file(evidence_id, v.version),
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::is_picture;

    #[test]
    fn only_raster_pictures_are_shown_in_the_page() {
        for yes in [
            "image/png",
            "image/jpeg",
            "IMAGE/JPEG",
            "image/webp; q=1",
            "image/gif",
        ] {
            assert!(is_picture(yes), "{yes}");
        }
        for no in [
            "image/svg+xml",
            "text/html",
            "application/pdf",
            "",
            "image/png-x",
        ] {
            assert!(!is_picture(no), "{no}");
        }
    }
}
