//! Files on the learning plan: a session's files (the review form of a review session,
//! planning material) and an action's (the learner's work towards it). Uploads and
//! downloads stream exactly as evidence does; a refused upload leaves neither row nor
//! object.
//!
//! Visibility is the enrolment's, as for the session or action itself: whoever cannot see
//! the enrolment gets 404. Staff who manage the enrolment (admins, its assessor) attach
//! files to sessions and actions; the learner attaches files to their own actions. A file
//! is removed by whoever attached it or by a manager. Everyone else who can see the
//! enrolment (IQA, employer, auditor) reads, and gets 403 on writes.

use chrono::{DateTime, Utc};
use folio_db::audit::{self, Event};
use folio_db::enrolments::{self, Enrolment};
use folio_db::learning_plan as plan;
use folio_db::learning_plan_files::{
    self as files, Attachee, LearningPlanFile, NewLearningPlanFile,
};
use folio_db::{DbError, TenantTx, settings};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi, Tags};
use uuid::Uuid;

use crate::AppState;
use crate::evidence::{FileResponse, attachment};
use crate::form::{StreamingForm, incoming};
use folio_app::Principal;
use folio_app::files::{Stored, store_then_record};

use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiError, ApiResult, AppError, AppResult};

#[derive(Tags)]
enum LearningPlanFilesTag {
    /// Files attached to learning sessions and actions.
    LearningPlanFiles,
}

/// `/api/v1/sessions/{id}/files`, `/api/v1/actions/{id}/files` and
/// `/api/v1/learning-plan-files/{id}…`.
pub struct LearningPlanFilesApi(pub AppState);

/// Upload form: the file alone.
#[derive(Multipart)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; parsing streams instead.
struct LearningPlanFileUploadForm {
    /// The file (any type); must be the last part.
    file: Upload,
}

/// A file attached to a session or an action.
#[derive(Debug, Object)]
struct LearningPlanFileBody {
    /// Id.
    id: Uuid,
    /// The enrolment of its session or action.
    enrolment_id: Uuid,
    /// The session it is attached to, if it is a session's.
    session_id: Option<Uuid>,
    /// The action it is attached to, if it is an action's.
    action_id: Option<Uuid>,
    /// File name.
    file_name: String,
    /// Declared media type.
    content_type: String,
    /// Size in bytes.
    size_bytes: i64,
    /// SHA-256 (hex).
    sha256: String,
    /// Who attached it.
    uploaded_by: Uuid,
    /// When.
    uploaded_at: DateTime<Utc>,
}

impl From<LearningPlanFile> for LearningPlanFileBody {
    fn from(f: LearningPlanFile) -> Self {
        Self {
            id: f.id,
            enrolment_id: f.enrolment_id,
            session_id: f.session_id,
            action_id: f.action_id,
            file_name: f.file_name,
            content_type: f.content_type,
            size_bytes: f.size_bytes,
            sha256: hex::encode(&f.sha256),
            uploaded_by: f.uploaded_by,
            uploaded_at: f.uploaded_at,
        }
    }
}

#[derive(ApiResponse)]
enum CreatedFile {
    /// Stored.
    #[oai(status = 201)]
    Created(Json<LearningPlanFileBody>),
}

#[derive(ApiResponse)]
enum DeletedFile {
    /// Removed.
    #[oai(status = 204)]
    Deleted,
}

/// The enrolment a session or action belongs to; 404 if there is no such session or
/// action in this tenant.
async fn enrolment_of(tx: &mut TenantTx, attachee: Attachee) -> AppResult<Uuid> {
    Ok(match attachee {
        Attachee::Session(id) => plan::get_session(tx, id).await?.enrolment_id,
        Attachee::Action(id) => plan::get_action(tx, id).await?.enrolment_id,
    })
}

/// Whether the principal may attach a file: managers to sessions and actions, the learner
/// to their own actions.
fn may_attach(principal: &Principal, enrolment: &Enrolment, attachee: Attachee) -> bool {
    principal.manages(enrolment)
        || (matches!(attachee, Attachee::Action(_)) && principal.is_learner_of(enrolment))
}

/// The storage key of a file: ids only, namespaced by tenant.
fn storage_key(principal: &Principal, enrolment_id: Uuid, file_id: Uuid) -> String {
    format!(
        "tenants/{}/learning-plan-files/{enrolment_id}/{file_id}",
        principal.tenant
    )
}

/// The session or action vanished between the checks and the insert.
fn attachee_gone(e: DbError) -> AppError {
    match e.constraint() {
        Some(
            "learning_plan_files_session_fkey"
            | "learning_plan_files_action_fkey"
            | "learning_plan_files_enrolment_fkey",
        ) => AppError::NotFound,
        _ => e.into(),
    }
}

/// A file and its enrolment, if the caller may see them (404 otherwise).
async fn visible_file(
    authed: &mut Authenticated,
    id: Uuid,
) -> AppResult<(LearningPlanFile, Enrolment)> {
    let file = files::get(&mut authed.tx, id).await?;
    let enrolment = authed.visible_enrolment(file.enrolment_id).await?;
    Ok((file, enrolment.into_inner()))
}

/// Lists a session's or an action's files for whoever may see its enrolment.
async fn list(
    state: &AppState,
    credentials: &Credentials,
    attachee: Attachee,
) -> AppResult<Json<Vec<LearningPlanFileBody>>> {
    let mut authed = state.authenticate(credentials).await?;
    let enrolment_id = enrolment_of(&mut authed.tx, attachee).await?;
    authed.visible_enrolment(enrolment_id).await?;
    let items = files::list(&mut authed.tx, attachee).await?;
    authed.tx.commit().await?;
    Ok(Json(
        items.into_iter().map(LearningPlanFileBody::from).collect(),
    ))
}

/// Streams an uploaded file into storage and records it against `attachee`; see the
/// upload endpoints.
async fn upload(
    state: &AppState,
    credentials: &Credentials,
    attachee: Attachee,
    form: StreamingForm<LearningPlanFileUploadForm>,
) -> AppResult<CreatedFile> {
    // Checks first, in a short transaction: no connection is held while bytes arrive.
    let mut authed = state.authenticate(credentials).await?;
    let enrolment_id = enrolment_of(&mut authed.tx, attachee).await?;
    let enrolment = authed.visible_enrolment(enrolment_id).await?;
    if !may_attach(&authed.principal, &enrolment, attachee) {
        return Err(AppError::Forbidden);
    }
    let limits = settings::get(&mut authed.tx).await?;
    authed.tx.commit().await?;
    let principal = authed.principal;

    let file = form.read_until_file("file").await?.into_file()?;

    let file_id = Uuid::now_v7();
    let key = storage_key(&principal, enrolment_id, file_id);
    let (db, storage) = (&state.db, &state.storage);
    let max = limits.evidence_max_bytes;
    let body = store_then_record(
        db,
        storage,
        principal.tenant,
        key,
        incoming(file),
        max,
        async |tx: &mut TenantTx, stored: &Stored| {
            // Still allowed now that the bytes have arrived?
            let enrolment = enrolments::get_visible(tx, &principal.viewer(), enrolment_id).await?;
            if !may_attach(&principal, &enrolment, attachee) {
                return Err(AppError::Forbidden);
            }
            let row = files::insert(
                tx,
                &NewLearningPlanFile {
                    id: file_id,
                    enrolment_id,
                    attachee,
                    storage_key: &stored.key,
                    file_name: &stored.file_name,
                    content_type: &stored.content_type,
                    size_bytes: stored.size_bytes(),
                    sha256: &stored.file.sha256,
                    uploaded_by: principal.user_id,
                },
            )
            .await
            .map_err(attachee_gone)?;
            audit::record(
                tx,
                Event {
                    actor: principal.actor(),
                    action: "learning_plan_file.upload",
                    entity_type: "learning_plan_file",
                    entity_id: Some(file_id),
                    details: serde_json::json!({
                        "enrolment_id": enrolment_id,
                        "session_id": row.session_id,
                        "action_id": row.action_id,
                        "size_bytes": stored.file.size,
                    }),
                },
            )
            .await?;
            Ok(LearningPlanFileBody::from(row))
        },
    )
    .await?;
    Ok(CreatedFile::Created(Json(body)))
}

#[OpenApi(
    prefix_path = "/api/v1",
    tag = "LearningPlanFilesTag::LearningPlanFiles"
)]
impl LearningPlanFilesApi {
    /// Attach a file to a session, such as a review session's review form (admins and the
    /// learner's assessor). Multipart form; the file must be the last part. Over the
    /// organisation's size limit (413) or empty (422), nothing is stored.
    #[oai(path = "/sessions/:id/files", method = "post")]
    async fn upload_to_session(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        form: StreamingForm<LearningPlanFileUploadForm>,
    ) -> ApiResult<CreatedFile> {
        upload(&self.0, &credentials, Attachee::Session(id.0), form)
            .await
            .map_err(ApiError::from)
    }

    /// A session's files, oldest first, for whoever may see the learner.
    #[oai(path = "/sessions/:id/files", method = "get")]
    async fn list_for_session(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<LearningPlanFileBody>>> {
        list(&self.0, &credentials, Attachee::Session(id.0))
            .await
            .map_err(ApiError::from)
    }

    /// Attach a file to an action: the learner's work towards it (the learner themself),
    /// or material from admins and the learner's assessor. Multipart form; the file must be
    /// the last part. Over the organisation's size limit (413) or empty (422), nothing is
    /// stored.
    #[oai(path = "/actions/:id/files", method = "post")]
    async fn upload_to_action(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        form: StreamingForm<LearningPlanFileUploadForm>,
    ) -> ApiResult<CreatedFile> {
        upload(&self.0, &credentials, Attachee::Action(id.0), form)
            .await
            .map_err(ApiError::from)
    }

    /// An action's files, oldest first, for whoever may see the learner.
    #[oai(path = "/actions/:id/files", method = "get")]
    async fn list_for_action(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<LearningPlanFileBody>>> {
        list(&self.0, &credentials, Attachee::Action(id.0))
            .await
            .map_err(ApiError::from)
    }

    /// One session or action file's details, for whoever may see the learner.
    #[oai(path = "/learning-plan-files/:id", method = "get")]
    async fn get(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<LearningPlanFileBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (file, _) = visible_file(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(file.into()))
    }

    /// Download a session or action file (streamed; served as an attachment), for whoever
    /// may see the learner.
    #[oai(path = "/learning-plan-files/:id/file", method = "get")]
    async fn download(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<FileResponse> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (file, _) = visible_file(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        attachment(&self.0, &file.storage_key, &file.file_name, file.size_bytes)
            .await
            .map_err(ApiError::from)
    }

    /// Remove a session or action file and its stored object (whoever attached it, admins
    /// and the learner's assessor).
    #[oai(path = "/learning-plan-files/:id", method = "delete")]
    async fn delete(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<DeletedFile> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (file, enrolment) = visible_file(&mut authed, id.0).await?;
        let p = &authed.principal;
        if file.uploaded_by != p.user_id && !p.manages(&enrolment) {
            return Err(AppError::Forbidden.into());
        }
        let file = files::delete(&mut authed.tx, id.0).await?;
        authed
            .audit(
                "learning_plan_file.delete",
                "learning_plan_file",
                file.id,
                serde_json::json!({
                    "enrolment_id": file.enrolment_id,
                    "session_id": file.session_id,
                    "action_id": file.action_id,
                    "size_bytes": file.size_bytes,
                }),
            )
            .await?;
        authed.tx.commit().await?;
        // The row is gone first, so no row ever points at a missing file; a failed delete
        // here is logged and leaves only an unreferenced object.
        self.0.storage.delete(&file.storage_key).await;
        Ok(DeletedFile::Deleted)
    }
}
