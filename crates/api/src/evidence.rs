//! The evidence library: upload (streamed), download (streamed), versions, the review
//! cycle (return with points for improvement, resubmission), mapping to criteria and
//! sign-off.

use chrono::{DateTime, Utc};
use folio_app::evidence::{self, Evidence};
use folio_app::files::{Incoming, storage_error};
use poem::Body;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi, Tags};
use serde::Deserialize;
use tokio::io::AsyncRead;
use uuid::Uuid;

use crate::AppState;
use crate::form::{FormParts, StreamingForm, incoming};
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::{ApiResult, AppError, AppResult, Fields};

#[derive(Tags)]
enum EvidenceTag {
    /// The evidence library, mapping and sign-off.
    Evidence,
}

pub struct EvidenceApi(pub AppState);

/// Upload form (send the file as the last part).
#[derive(Multipart)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; parsing streams instead.
struct EvidenceUploadForm {
    /// The component (aim) of the learner's course this evidence is for.
    component_id: Uuid,
    /// Title.
    title: String,
    /// Description.
    description: Option<String>,
    /// `true`: "this is my own work". Refused without it.
    declaration: bool,
    /// The e-signature: the uploader types their name.
    signature_name: String,
    /// The file (any type); must be the last part.
    file: Upload,
}

/// Resubmission form (send the file as the last part).
#[derive(Multipart)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; parsing streams instead.
struct ResubmissionForm {
    /// What was changed in response to the points for improvement.
    comment: String,
    /// The amended file; must be the last part.
    file: Upload,
}

/// A piece of evidence.
#[derive(Debug, Object)]
struct EvidenceBody {
    /// Id.
    id: Uuid,
    /// The enrolment (portfolio).
    enrolment_id: Uuid,
    /// The component (aim).
    component_id: Uuid,
    /// Title.
    title: String,
    /// Description.
    description: Option<String>,
    /// Declared the uploader's own work.
    declared_own_work: bool,
    /// Typed e-signature.
    signature_name: String,
    /// When signed.
    signed_at: DateTime<Utc>,
    /// `submitted`, `returned` (points for improvement) or `resubmitted`.
    status: String,
    /// Who uploaded it.
    uploaded_by: Uuid,
    /// The latest version.
    current_version: i32,
    /// Its file name.
    file_name: String,
    /// Its size in bytes.
    size_bytes: i64,
    /// Its SHA-256 (hex).
    sha256: String,
    /// Criteria it is mapped to.
    criterion_ids: Vec<Uuid>,
    /// Staff only: other learners' evidence in this organisation with a byte-identical
    /// file ("identical file in another portfolio"). Empty for learners and employers.
    identical_evidence_ids: Vec<Uuid>,
    /// Created.
    created_at: DateTime<Utc>,
    /// Last changed.
    updated_at: DateTime<Utc>,
}

/// A stored version.
#[derive(Debug, Object)]
struct VersionBody {
    /// Number, from 1.
    version: i32,
    /// File name.
    file_name: String,
    /// Declared media type.
    content_type: String,
    /// Size in bytes.
    size_bytes: i64,
    /// SHA-256 (hex).
    sha256: String,
    /// The learner's comment on a resubmission.
    comment: Option<String>,
    /// Who uploaded it.
    uploaded_by: Uuid,
    /// When.
    uploaded_at: DateTime<Utc>,
}

/// A return with points for improvement.
#[derive(Debug, Object)]
struct ReturnBody {
    /// The version it was about.
    version: i32,
    /// Points for improvement.
    points: String,
    /// Who returned it.
    returned_by: Uuid,
    /// When.
    returned_at: DateTime<Utc>,
}

/// A piece of evidence with its history.
#[derive(Debug, Object)]
struct EvidenceDetail {
    /// The evidence.
    evidence: EvidenceBody,
    /// Every version, oldest first.
    versions: Vec<VersionBody>,
    /// Every return, oldest first.
    returns: Vec<ReturnBody>,
}

/// Points for improvement.
#[derive(Debug, Object, Deserialize)]
struct ReturnRequest {
    /// What the learner should improve.
    points: String,
}

/// The criteria a piece of evidence should be mapped to.
#[derive(Debug, Object, Deserialize)]
struct MappingRequest {
    /// Criteria of the learner's units; replaces the current mapping.
    criterion_ids: Vec<Uuid>,
}

/// Criteria to sign off.
#[derive(Debug, Object, Deserialize)]
struct SignOffRequest {
    /// Criteria with evidence mapped.
    criterion_ids: Vec<Uuid>,
}

#[derive(ApiResponse)]
enum CreatedEvidence {
    /// Stored.
    #[oai(status = 201)]
    Created(Json<EvidenceBody>),
}

/// A stored file served for download.
#[derive(ApiResponse)]
pub(crate) enum FileResponse {
    /// The file, as an attachment.
    #[oai(status = 200)]
    File(
        Binary<Body>,
        #[oai(header = "Content-Disposition")] String,
        #[oai(header = "X-Content-Type-Options")] String,
        #[oai(header = "Content-Length")] i64,
    ),
}

/// How many pages a PDF version has, for a viewer that draws them one at a time.
#[derive(Debug, Object)]
struct PdfPages {
    /// Pages in the PDF; each is `GET …/pages/{n}` for n from 1.
    pages: u32,
}

/// A page of a PDF drawn as a picture.
#[derive(ApiResponse)]
enum PngResponse {
    /// The page as a PNG on white, 1000 pixels wide (narrower for a very tall page).
    #[oai(status = 200, content_type = "image/png")]
    Png(
        Binary<Vec<u8>>,
        #[oai(header = "X-Content-Type-Options")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

#[derive(ApiResponse)]
enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

fn evidence_body(e: Evidence) -> EvidenceBody {
    EvidenceBody {
        id: e.id,
        enrolment_id: e.enrolment_id,
        component_id: e.component_id,
        title: e.title,
        description: e.description,
        declared_own_work: e.declared_own_work,
        signature_name: e.signature_name,
        signed_at: e.signed_at,
        status: e.status,
        uploaded_by: e.uploaded_by,
        current_version: e.current_version,
        file_name: e.file_name,
        size_bytes: e.size_bytes,
        sha256: hex::encode(&e.sha256),
        criterion_ids: e.criterion_ids,
        identical_evidence_ids: e.identical_evidence_ids,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

fn detail_body(d: evidence::Detail) -> EvidenceDetail {
    EvidenceDetail {
        evidence: evidence_body(d.evidence),
        versions: d
            .versions
            .into_iter()
            .map(|v| VersionBody {
                version: v.version,
                file_name: v.file_name,
                content_type: v.content_type,
                size_bytes: v.size_bytes,
                sha256: hex::encode(&v.sha256),
                comment: v.comment,
                uploaded_by: v.uploaded_by,
                uploaded_at: v.uploaded_at,
            })
            .collect(),
        returns: d
            .returns
            .into_iter()
            .map(|r| ReturnBody {
                version: r.version,
                points: r.points,
                returned_by: r.returned_by,
                returned_at: r.returned_at,
            })
            .collect(),
    }
}

/// A form's text fields, checked by `check`, and its file part, ready for storage.
fn checked_file(parts: FormParts, fields: Fields) -> AppResult<Incoming<impl AsyncRead + Unpin>> {
    fields.finish()?;
    Ok(incoming(parts.into_file()?))
}

/// Streams the file under `key` as an attachment named `file_name`, with `nosniff`.
pub(crate) async fn attachment(
    state: &AppState,
    key: &str,
    file_name: &str,
    size_bytes: i64,
) -> AppResult<FileResponse> {
    let stream = state.storage.read(key).await.map_err(storage_error)?;
    Ok(FileResponse::File(
        Binary(Body::from_bytes_stream(stream)),
        content_disposition(file_name),
        "nosniff".into(),
        size_bytes,
    ))
}

/// `Content-Disposition` for a download named `file_name` (RFC 6266 / 5987): a plain ASCII
/// fallback and the exact UTF-8 name.
pub(crate) fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii.replace(['"', '\\'], "_"),
        percent_encode(file_name)
    )
}

#[OpenApi(prefix_path = "/api/v1", tag = "EvidenceTag::Evidence")]
impl EvidenceApi {
    /// Upload evidence to a learner's portfolio (the learner, or their assessor or an admin
    /// on their behalf). Multipart form; the file must be the last part. Refused without
    /// the declaration and e-signature, over the organisation's size limit (413), empty,
    /// or for a component outside the learner's course — and then nothing is stored.
    #[oai(path = "/enrolments/:id/evidence", method = "post")]
    async fn upload(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        form: StreamingForm<EvidenceUploadForm>,
    ) -> ApiResult<CreatedEvidence> {
        let uow = self.0.authenticate(&credentials).await?;
        let permit = evidence::permit_upload(uow, id.0).await?;
        let parts = form
            .within(permit.max_bytes())?
            .read_until_file("file")
            .await?;
        let mut fields = Fields::default();
        let upload = permit.check_upload(&parts.fields, parts.file.is_some(), &mut fields);
        let file = checked_file(parts, fields)?;
        let upload =
            upload.ok_or_else(|| AppError::Internal("validated form parts missing".into()))?;
        let created = permit
            .upload(&self.0.db, &self.0.storage, upload, file)
            .await?;
        Ok(CreatedEvidence::Created(Json(evidence_body(created))))
    }

    /// A learner's evidence library, newest first.
    #[oai(path = "/enrolments/:id/evidence", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<EvidenceBody>>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let items = evidence::list(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(items.into_iter().map(evidence_body).collect()))
    }

    /// One piece of evidence with every version and return.
    #[oai(path = "/evidence/:id", method = "get")]
    async fn get(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<EvidenceDetail>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let detail = evidence::detail(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(detail_body(detail)))
    }

    /// Download a version's file (streamed; served as an attachment).
    #[oai(path = "/evidence/:id/versions/:version/file", method = "get")]
    async fn download(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        version: Path<i32>,
    ) -> ApiResult<FileResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let v = evidence::version(&mut uow, id.0, version.0).await?;
        uow.commit().await?;
        Ok(attachment(&self.0, &v.storage_key, &v.file_name, v.size_bytes).await?)
    }

    /// How many pages a PDF version has, for the viewer that shows them as pictures (422
    /// naming `version` when it is not a PDF, is over 20 MiB, or cannot be opened or drawn:
    /// those are only downloaded).
    #[oai(path = "/evidence/:id/versions/:version/pages", method = "get")]
    async fn pdf_pages(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        version: Path<i32>,
    ) -> ApiResult<Json<PdfPages>> {
        let uow = self.0.authenticate(&credentials).await?;
        let pages = evidence::pdf_page_count(
            uow,
            &self.0.db,
            &self.0.storage,
            &self.0.pdf_drawer,
            id.0,
            version.0,
        )
        .await?;
        Ok(Json(PdfPages {
            pages: u32::try_from(pages).unwrap_or(u32::MAX),
        }))
    }

    /// A page of a PDF version (from 1) drawn as a PNG, so the file itself never opens in
    /// the browser (404 past the last page; 422 as for the page count).
    #[oai(path = "/evidence/:id/versions/:version/pages/:page", method = "get")]
    async fn pdf_page(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        version: Path<i32>,
        page: Path<u32>,
    ) -> ApiResult<PngResponse> {
        let uow = self.0.authenticate(&credentials).await?;
        let page = usize::try_from(page.0).unwrap_or(usize::MAX);
        let png = evidence::draw_pdf_page(
            uow,
            &self.0.storage,
            &self.0.pdf_drawer,
            id.0,
            version.0,
            page,
        )
        .await?;
        // A version never changes once stored: the drawing may be kept, by this browser only.
        Ok(PngResponse::Png(
            Binary(png),
            "nosniff".into(),
            "private, max-age=86400".into(),
        ))
    }

    /// Return evidence to the learner with points for improvement (their assessor or an
    /// admin). The learner is emailed.
    #[oai(path = "/evidence/:id/return", method = "post")]
    async fn return_evidence(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<ReturnRequest>,
    ) -> ApiResult<Json<EvidenceDetail>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let detail = evidence::return_to_learner(&mut uow, id.0, &body.0.points).await?;
        uow.commit().await?;
        Ok(Json(detail_body(detail)))
    }

    /// Resubmit amended evidence as a new version with a comment (the learner, or staff on
    /// their behalf). Earlier versions stay downloadable; the assessor is emailed.
    #[oai(path = "/evidence/:id/versions", method = "post")]
    async fn resubmit(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        form: StreamingForm<ResubmissionForm>,
    ) -> ApiResult<CreatedEvidence> {
        let uow = self.0.authenticate(&credentials).await?;
        let permit = evidence::permit_resubmission(uow, id.0).await?;
        let parts = form
            .within(permit.max_bytes())?
            .read_until_file("file")
            .await?;
        let mut fields = Fields::default();
        let comment = permit.check_resubmission(&parts.fields, parts.file.is_some(), &mut fields);
        let file = checked_file(parts, fields)?;
        let comment =
            comment.ok_or_else(|| AppError::Internal("validated form parts missing".into()))?;
        let created = permit
            .resubmit(&self.0.db, &self.0.storage, comment, file)
            .await?;
        Ok(CreatedEvidence::Created(Json(evidence_body(created))))
    }

    /// Map evidence to criteria of the learner's units (their assessor or an admin);
    /// replaces its current mapping. A criterion outside the learner's units (mandatory
    /// and chosen optional) is 422; taking evidence away from a signed-off criterion is 409.
    #[oai(path = "/evidence/:id/criteria", method = "put")]
    async fn map(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<MappingRequest>,
    ) -> ApiResult<Json<EvidenceBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let mapped = evidence::map_to_criteria(&mut uow, id.0, body.0.criterion_ids).await?;
        uow.commit().await?;
        Ok(Json(evidence_body(mapped)))
    }

    /// Sign off criteria for a learner (their assessor or an admin). Each must have
    /// evidence mapped (422 otherwise); signing off twice keeps the first sign-off.
    #[oai(path = "/enrolments/:id/sign-offs", method = "post")]
    async fn sign_off(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<SignOffRequest>,
    ) -> ApiResult<NoContent> {
        let mut uow = self.0.authenticate(&credentials).await?;
        evidence::sign_off(&mut uow, id.0, body.0.criterion_ids).await?;
        uow.commit().await?;
        Ok(NoContent::Done)
    }

    /// Withdraw a criterion's sign-off (its assessor or an admin).
    #[oai(path = "/enrolments/:id/sign-offs/:criterion_id", method = "delete")]
    async fn withdraw_sign_off(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        criterion_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        let mut uow = self.0.authenticate(&credentials).await?;
        evidence::withdraw_sign_off(&mut uow, id.0, criterion_id.0).await?;
        uow.commit().await?;
        Ok(NoContent::Done)
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for `filename*`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
