//! The evidence library: upload (streamed), download (streamed), versions, the review
//! cycle (return with points for improvement, resubmission), mapping to criteria and
//! sign-off.

use chrono::{DateTime, Utc};
use folio_db::audit::{self, Event};
use folio_db::enrolments::{self, Enrolment};
use folio_db::evidence::{self, NewEvidence, NewVersion};
use folio_db::{TenantTx, settings};
use folio_storage::{StorageError, StoredFile};
use poem::Body;
use poem::web::Field;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::form::{FormParts, StreamingForm, clean_content_type, clean_file_name};
use crate::json_body::JsonBody;
use folio_app::Principal;

use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiError, ApiResult, AppError, AppResult, FieldError, Fields};

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

#[derive(ApiResponse)]
enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

fn evidence_body(e: evidence::Evidence, principal: &Principal) -> EvidenceBody {
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
        identical_evidence_ids: if principal.is_staff() {
            e.identical_evidence_ids
        } else {
            Vec::new()
        },
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

/// The enrolment, if the caller may see it (404 otherwise).
async fn visible_enrolment(authed: &mut Authenticated, id: Uuid) -> AppResult<Enrolment> {
    authed
        .visible_enrolment(id)
        .await
        .map(folio_app::Visible::into_inner)
}

/// Evidence and its enrolment, if the caller may see them (404 otherwise).
async fn visible_evidence(
    authed: &mut Authenticated,
    id: Uuid,
) -> AppResult<(evidence::Evidence, Enrolment)> {
    let e = evidence::get(&mut authed.tx, id).await?;
    let enrolment = visible_enrolment(authed, e.enrolment_id).await?;
    Ok((e, enrolment))
}

/// An enrolment the caller may see and manage (404 / 403 otherwise), locked until the
/// transaction ends so that mapping, sign-off and returns on one portfolio happen one
/// after another: "no evidence taken from a signed-off criterion" cannot be raced.
async fn managed_enrolment(authed: &mut Authenticated, id: Uuid) -> AppResult<Enrolment> {
    enrolments::lock(&mut authed.tx, id).await?;
    let enrolment = visible_enrolment(authed, id).await?;
    if !authed.principal.manages(&enrolment) {
        return Err(AppError::Forbidden);
    }
    Ok(enrolment)
}

/// Evidence whose enrolment the caller may see and manage, read under that enrolment's
/// lock (see [`managed_enrolment`]).
async fn managed_evidence(
    authed: &mut Authenticated,
    id: Uuid,
) -> AppResult<(evidence::Evidence, Enrolment)> {
    let enrolment_id = evidence::get(&mut authed.tx, id).await?.enrolment_id;
    let enrolment = managed_enrolment(authed, enrolment_id).await?;
    Ok((evidence::get(&mut authed.tx, id).await?, enrolment))
}

/// The learner themself, or staff who manage the enrolment, may add files to it.
fn may_upload(principal: &Principal, enrolment: &Enrolment) -> bool {
    principal.is_learner_of(enrolment) || principal.manages(enrolment)
}

/// A text field of a form, trimmed; an error is added to `fields` if it is missing (when
/// `required`), longer than `max` characters or holds control characters.
pub(crate) fn text(
    fields: &mut Fields,
    parts: &FormParts,
    name: &str,
    max: usize,
    required: bool,
) -> Option<String> {
    let value = parts
        .fields
        .get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    match value {
        None if required => {
            fields.add(name, "is required");
            None
        }
        None => None,
        Some(v) if v.chars().count() > max => {
            fields.add(name, format!("must be at most {max} characters"));
            None
        }
        Some(v)
            if v.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') =>
        {
            fields.add(name, "must not contain control characters");
            None
        }
        Some(v) => Some(v),
    }
}

/// The storage key of a version: ids only, namespaced by tenant.
fn storage_key(principal: &Principal, evidence_id: Uuid, version_id: Uuid) -> String {
    format!(
        "tenants/{}/evidence/{evidence_id}/{version_id}",
        principal.tenant
    )
}

pub(crate) fn storage_error(e: StorageError) -> AppError {
    match e {
        StorageError::TooLarge { limit } => AppError::PayloadTooLarge {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        },
        StorageError::Empty => AppError::invalid("file", "is empty"),
        StorageError::Interrupted(e) => {
            AppError::MalformedBody(format!("the upload was interrupted: {e}"))
        }
        StorageError::NotFound => AppError::Internal("a stored file is missing".into()),
        StorageError::Backend(e) => {
            tracing::error!(error = %e, "file storage failed");
            AppError::Unavailable("File storage is unavailable; try again shortly.".into())
        }
    }
}

/// Streams the file part into storage under a fresh key.
pub(crate) async fn store(
    state: &AppState,
    key: &str,
    file: Field,
    max_bytes: u64,
) -> AppResult<StoredFile> {
    state
        .storage
        .put(key, file.into_async_read(), max_bytes)
        .await
        .map_err(storage_error)
}

/// Runs `write` in a tenant transaction; if it fails, the stored object is removed so
/// that no file is left without a row.
pub(crate) async fn commit_or_remove<T>(
    state: &AppState,
    key: &str,
    principal: &Principal,
    write: impl AsyncFnOnce(&mut TenantTx) -> AppResult<T>,
) -> AppResult<T> {
    let result = async {
        let mut tx = state.db.begin_tenant(principal.tenant).await?;
        let value = write(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }
    .await;
    if result.is_err() {
        state.storage.delete(key).await;
    }
    result
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

impl EvidenceApi {
    async fn detail(&self, authed: &mut Authenticated, id: Uuid) -> AppResult<EvidenceDetail> {
        let (e, _) = visible_evidence(authed, id).await?;
        let versions = evidence::versions(&mut authed.tx, id).await?;
        let returns = evidence::returns(&mut authed.tx, id).await?;
        Ok(EvidenceDetail {
            evidence: evidence_body(e, &authed.principal),
            versions: versions
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
            returns: returns
                .into_iter()
                .map(|r| ReturnBody {
                    version: r.version,
                    points: r.points,
                    returned_by: r.returned_by,
                    returned_at: r.returned_at,
                })
                .collect(),
        })
    }
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
        // Checks first, in a short transaction: no connection is held while bytes arrive.
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible_enrolment(&mut authed, id.0).await?;
        if !may_upload(&authed.principal, &enrolment) {
            return Err(AppError::Forbidden.into());
        }
        let limits = settings::get(&mut authed.tx).await?;
        let components =
            evidence::component_ids_of_course(&mut authed.tx, enrolment.course_id).await?;
        authed.tx.commit().await?;
        let principal = authed.principal;

        let parts = form.read_until_file("file").await?;
        let mut fields = Fields::default();
        let title = text(&mut fields, &parts, "title", 200, true);
        let description = text(&mut fields, &parts, "description", 5000, false);
        let signature_name = text(&mut fields, &parts, "signature_name", 200, true);
        let declared = parts
            .fields
            .get("declaration")
            .map(|d| d.trim().to_ascii_lowercase());
        fields.require(
            "declaration",
            matches!(declared.as_deref(), Some("true" | "on" | "yes")),
            "you must declare that this is your own work",
        );
        let component_id = match parts
            .fields
            .get("component_id")
            .map(|c| Uuid::try_parse(c.trim()))
        {
            None => {
                fields.add("component_id", "is required");
                None
            }
            Some(Err(_)) => {
                fields.add("component_id", "must be a UUID");
                None
            }
            Some(Ok(c)) if !components.contains(&c) => {
                fields.add("component_id", "is not a component of the learner's course");
                None
            }
            Some(Ok(c)) => Some(c),
        };
        parts.check_file(&mut fields);
        fields.finish()?;
        let (Some(title), Some(signature_name), Some(component_id), Some(file)) =
            (title, signature_name, component_id, parts.file)
        else {
            return Err(AppError::Internal("validated form parts missing".into()).into());
        };
        let file_name = clean_file_name(file.file_name());
        let content_type = clean_content_type(file.content_type());

        let (evidence_id, version_id) = (Uuid::now_v7(), Uuid::now_v7());
        let key = storage_key(&principal, evidence_id, version_id);
        let stored = store(&self.0, &key, file, limits.evidence_max_bytes).await?;
        let signed_at = Utc::now();
        let body = commit_or_remove(&self.0, &key, &principal, async |tx: &mut TenantTx| {
            // Still allowed now that the bytes have arrived?
            let enrolment = enrolments::get_visible(tx, &principal.viewer(), enrolment.id).await?;
            if !may_upload(&principal, &enrolment) {
                return Err(AppError::Forbidden);
            }
            evidence::insert(tx, &NewEvidence {
                id: evidence_id,
                enrolment_id: enrolment.id,
                component_id,
                title: &title,
                description: description.as_deref(),
                signature_name: &signature_name,
                signed_at,
                uploaded_by: principal.user_id,
            })
            .await?;
            evidence::insert_version(tx, &NewVersion {
                id: version_id,
                evidence_id,
                version: 1,
                storage_key: &key,
                file_name: &file_name,
                content_type: &content_type,
                size_bytes: i64::try_from(stored.size).unwrap_or(i64::MAX),
                sha256: &stored.sha256,
                comment: None,
                uploaded_by: principal.user_id,
            })
            .await?;
            audit::record(tx, Event {
                actor: principal.actor(),
                action: "evidence.upload",
                entity_type: "evidence",
                entity_id: Some(evidence_id),
                details: serde_json::json!({ "enrolment_id": enrolment.id, "size_bytes": stored.size }),
            })
            .await?;
            Ok(evidence_body(evidence::get(tx, evidence_id).await?, &principal))
        })
        .await?;
        Ok(CreatedEvidence::Created(Json(body)))
    }

    /// A learner's evidence library, newest first.
    #[oai(path = "/enrolments/:id/evidence", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<EvidenceBody>>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        visible_enrolment(&mut authed, id.0).await?;
        let items = evidence::list_for_enrolment(&mut authed.tx, id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(
            items
                .into_iter()
                .map(|e| evidence_body(e, &authed.principal))
                .collect(),
        ))
    }

    /// One piece of evidence with every version and return.
    #[oai(path = "/evidence/:id", method = "get")]
    async fn get(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<EvidenceDetail>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let detail = self.detail(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(detail))
    }

    /// Download a version's file (streamed; served as an attachment).
    #[oai(path = "/evidence/:id/versions/:version/file", method = "get")]
    async fn download(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        version: Path<i32>,
    ) -> ApiResult<FileResponse> {
        let mut authed = self.0.authenticate(&credentials).await?;
        visible_evidence(&mut authed, id.0).await?;
        let versions = evidence::versions(&mut authed.tx, id.0).await?;
        authed.tx.commit().await?;
        let v = versions
            .into_iter()
            .find(|v| v.version == version.0)
            .ok_or(AppError::NotFound)?;
        attachment(&self.0, &v.storage_key, &v.file_name, v.size_bytes)
            .await
            .map_err(ApiError::from)
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (e, enrolment) = managed_evidence(&mut authed, id.0).await?;
        let points = body.0.points.trim().to_owned();
        if points.is_empty() || points.chars().count() > 5000 {
            return Err(AppError::invalid("points", "must be 1 to 5000 characters").into());
        }
        let return_id = Uuid::now_v7();
        evidence::insert_return(
            &mut authed.tx,
            return_id,
            e.id,
            e.current_version,
            &points,
            authed.principal.user_id,
        )
        .await?;
        evidence::set_status(&mut authed.tx, e.id, "returned").await?;
        evidence::enqueue_email(
            &mut authed.tx,
            &format!("evidence-returned:{}:{}", e.id, e.current_version),
            enrolment.learner_id,
            "evidence_returned",
            serde_json::json!({
                "evidence_id": e.id,
                "enrolment_id": enrolment.id,
                "link_path": folio_app::routes::evidence(e.id),
                "evidence_title": e.title,
                "learner_name": enrolment.learner_name,
            }),
        )
        .await?;
        authed
            .audit(
                "evidence.return",
                "evidence",
                e.id,
                serde_json::json!({ "version": e.current_version }),
            )
            .await?;
        let detail = self.detail(&mut authed, e.id).await?;
        authed.tx.commit().await?;
        Ok(Json(detail))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (e, enrolment) = visible_evidence(&mut authed, id.0).await?;
        if !may_upload(&authed.principal, &enrolment) {
            return Err(AppError::Forbidden.into());
        }
        let limits = settings::get(&mut authed.tx).await?;
        authed.tx.commit().await?;
        let principal = authed.principal;

        let parts = form.read_until_file("file").await?;
        let mut fields = Fields::default();
        let comment = text(&mut fields, &parts, "comment", 5000, true);
        parts.check_file(&mut fields);
        fields.finish()?;
        let (Some(comment), Some(file)) = (comment, parts.file) else {
            return Err(AppError::Internal("validated form parts missing".into()).into());
        };
        let file_name = clean_file_name(file.file_name());
        let content_type = clean_content_type(file.content_type());
        let version_id = Uuid::now_v7();
        let key = storage_key(&principal, e.id, version_id);
        let stored = store(&self.0, &key, file, limits.evidence_max_bytes).await?;
        let body =
            commit_or_remove(&self.0, &key, &principal, async |tx: &mut TenantTx| {
                let enrolment =
                    enrolments::get_visible(tx, &principal.viewer(), enrolment.id).await?;
                let version = evidence::lock_next_version(tx, e.id).await?;
                evidence::insert_version(
                    tx,
                    &NewVersion {
                        id: version_id,
                        evidence_id: e.id,
                        version,
                        storage_key: &key,
                        file_name: &file_name,
                        content_type: &content_type,
                        size_bytes: i64::try_from(stored.size).unwrap_or(i64::MAX),
                        sha256: &stored.sha256,
                        comment: Some(&comment),
                        uploaded_by: principal.user_id,
                    },
                )
                .await?;
                evidence::set_status(tx, e.id, "resubmitted").await?;
                if let Some(assessor) = enrolment.assessor_id {
                    evidence::enqueue_email(
                        tx,
                        &format!("evidence-resubmitted:{}:{version}", e.id),
                        assessor,
                        "evidence_resubmitted",
                        serde_json::json!({
                            "evidence_id": e.id,
                            "enrolment_id": enrolment.id,
                            "link_path": folio_app::routes::evidence(e.id),
                            "version": version,
                            "evidence_title": e.title,
                            "learner_name": enrolment.learner_name,
                        }),
                    )
                    .await?;
                }
                audit::record(tx, Event {
                actor: principal.actor(),
                action: "evidence.resubmit",
                entity_type: "evidence",
                entity_id: Some(e.id),
                details: serde_json::json!({ "version": version, "size_bytes": stored.size }),
            })
            .await?;
                Ok(evidence_body(evidence::get(tx, e.id).await?, &principal))
            })
            .await?;
        Ok(CreatedEvidence::Created(Json(body)))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (e, enrolment) = managed_evidence(&mut authed, id.0).await?;
        let mut criteria = body.0.criterion_ids;
        let outside =
            evidence::criteria_outside_learner_units(&mut authed.tx, enrolment.id, &criteria)
                .await?;
        if !outside.is_empty() {
            return Err(AppError::Validation(
                criteria
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| outside.contains(c))
                    .map(|(i, _)| {
                        FieldError::new(
                            format!("criterion_ids[{i}]"),
                            "is not a criterion of the learner's units",
                        )
                    })
                    .collect(),
            )
            .into());
        }
        criteria.sort();
        criteria.dedup();
        let locked =
            evidence::signed_off_mappings_to_remove(&mut authed.tx, enrolment.id, e.id, &criteria)
                .await?;
        if !locked.is_empty() {
            return Err(AppError::Conflict {
                field: Some("criterion_ids".into()),
                detail: format!(
                    "{} signed-off criteria rely on this evidence; withdraw their sign-off first",
                    locked.len()
                ),
            }
            .into());
        }
        let by = authed.principal.user_id;
        evidence::set_mappings(&mut authed.tx, enrolment.id, e.id, &criteria, by).await?;
        authed
            .audit(
                "evidence.map",
                "evidence",
                e.id,
                serde_json::json!({ "criterion_ids": criteria }),
            )
            .await?;
        let body = evidence_body(
            evidence::get(&mut authed.tx, e.id).await?,
            &authed.principal,
        );
        authed.tx.commit().await?;
        Ok(Json(body))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = managed_enrolment(&mut authed, id.0).await?;
        let mut criteria = body.0.criterion_ids;
        fields_nonempty(&criteria)?;
        // A criterion of a unit no longer chosen keeps its mappings but is not the
        // learner's to sign off.
        let outside =
            evidence::criteria_outside_learner_units(&mut authed.tx, enrolment.id, &criteria)
                .await?;
        let unmapped = evidence::unmapped_criteria(&mut authed.tx, enrolment.id, &criteria).await?;
        if !outside.is_empty() || !unmapped.is_empty() {
            return Err(AppError::Validation(
                criteria
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        let detail = if outside.contains(c) {
                            "is not a criterion of the learner's units"
                        } else if unmapped.contains(c) {
                            "has no evidence mapped for this learner"
                        } else {
                            return None;
                        };
                        Some(FieldError::new(format!("criterion_ids[{i}]"), detail))
                    })
                    .collect(),
            )
            .into());
        }
        criteria.sort();
        criteria.dedup();
        let by = authed.principal.user_id;
        evidence::sign_off(&mut authed.tx, enrolment.id, &criteria, by).await?;
        authed
            .audit(
                "criteria.sign_off",
                "enrolment",
                enrolment.id,
                serde_json::json!({ "criterion_ids": criteria }),
            )
            .await?;
        authed.tx.commit().await?;
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = managed_enrolment(&mut authed, id.0).await?;
        evidence::withdraw_sign_off(&mut authed.tx, enrolment.id, criterion_id.0).await?;
        authed
            .audit(
                "criteria.withdraw_sign_off",
                "enrolment",
                enrolment.id,
                serde_json::json!({ "criterion_id": criterion_id.0 }),
            )
            .await?;
        authed.tx.commit().await?;
        Ok(NoContent::Done)
    }
}

fn fields_nonempty(criteria: &[Uuid]) -> AppResult<()> {
    if criteria.is_empty() || criteria.len() > 1000 {
        return Err(AppError::invalid(
            "criterion_ids",
            "must list 1 to 1000 criteria",
        ));
    }
    Ok(())
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
