//! Files on the learning plan: a session's files (the review form of a review session,
//! planning material) and an action's (the learner's work towards it). Uploads and
//! downloads stream exactly as evidence does; a refused upload leaves neither row nor
//! object.
//!
//! Adapters over `folio_app::learning_plan_files`, where who may attach, see and remove
//! them is written.

use chrono::{DateTime, Utc};
use folio_app::learning_plan_files::{self as files, Attachee, LearningPlanFile};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi, Tags};
use uuid::Uuid;

use crate::AppState;
use crate::evidence::{FileResponse, attachment};
use crate::form::{StreamingForm, incoming};
use crate::principal::Credentials;
use crate::problem::{ApiError, ApiResult, AppResult};

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

/// Lists a session's or an action's files for whoever may see its enrolment.
async fn list(
    state: &AppState,
    credentials: &Credentials,
    attachee: Attachee,
) -> AppResult<Json<Vec<LearningPlanFileBody>>> {
    let mut uow = state.authenticate(credentials).await?;
    let items = files::list(&mut uow, attachee).await?;
    uow.commit().await?;
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
    let uow = state.authenticate(credentials).await?;
    let permit = files::permit_upload(uow, attachee).await?;
    let file = form
        .within(permit.max_bytes())?
        .read_until_file("file")
        .await?
        .into_file()?;
    let row = permit
        .upload(&state.db, &state.storage, incoming(file))
        .await?;
    Ok(CreatedFile::Created(Json(row.into())))
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let file = files::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(file.into()))
    }

    /// Download a session or action file (streamed; served as an attachment), for whoever
    /// may see the learner.
    #[oai(path = "/learning-plan-files/:id/file", method = "get")]
    async fn download(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<FileResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let file = files::get(&mut uow, id.0).await?;
        uow.commit().await?;
        attachment(&self.0, &file.storage_key, &file.file_name, file.size_bytes)
            .await
            .map_err(ApiError::from)
    }

    /// Remove a session or action file and its stored object (whoever attached it, admins
    /// and the learner's assessor).
    #[oai(path = "/learning-plan-files/:id", method = "delete")]
    async fn delete(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<DeletedFile> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let file = files::delete(&mut uow, id.0).await?;
        uow.commit().await?;
        // The row is gone first, so no row ever points at a missing file; a failed delete
        // here is logged and leaves only an unreferenced object.
        self.0.storage.delete(&file.storage_key).await;
        Ok(DeletedFile::Deleted)
    }
}
