//! Course resources ("resources" and "files from course"): files admins add to a course
//! for everyone on it. Uploads and downloads stream exactly as evidence does; reading is
//! for those who read the curriculum and for anyone who can see an enrolment on the course
//! (its learners, their assessors, IQAs and employers' managers).
//!
//! Adapters over `folio_app::course_resources`, where who may add, read and remove them
//! is written.

use chrono::{DateTime, Utc};
use folio_app::course_resources::{self, CourseResource};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi, Tags};
use uuid::Uuid;

use crate::AppState;
use crate::evidence::{FileResponse, attachment};
use crate::form::{StreamingForm, incoming};
use crate::principal::Credentials;
use crate::problem::{ApiError, ApiResult, AppError, Fields};

#[derive(Tags)]
enum CourseResourcesTag {
    /// Files added to a course for everyone on it.
    CourseResources,
}

/// Course resources, under `/api/v1`.
pub struct CourseResourcesApi(pub AppState);

/// Upload form (send the file as the last part).
#[derive(Multipart)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; parsing streams instead.
struct ResourceUploadForm {
    /// Title.
    title: String,
    /// What it is for.
    description: Option<String>,
    /// The file (any type); must be the last part.
    file: Upload,
}

/// A file added to a course.
#[derive(Debug, Object)]
struct ResourceBody {
    /// Id.
    id: Uuid,
    /// The course.
    course_id: Uuid,
    /// Title.
    title: String,
    /// What it is for.
    description: Option<String>,
    /// File name.
    file_name: String,
    /// Declared media type.
    content_type: String,
    /// Size in bytes.
    size_bytes: i64,
    /// SHA-256 (hex).
    sha256: String,
    /// Who added it.
    uploaded_by: Uuid,
    /// When.
    uploaded_at: DateTime<Utc>,
}

impl From<CourseResource> for ResourceBody {
    fn from(r: CourseResource) -> Self {
        Self {
            id: r.id,
            course_id: r.course_id,
            title: r.title,
            description: r.description,
            file_name: r.file_name,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: hex::encode(&r.sha256),
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at,
        }
    }
}

#[derive(ApiResponse)]
enum CreatedResource {
    /// Stored.
    #[oai(status = 201)]
    Created(Json<ResourceBody>),
}

#[derive(ApiResponse)]
enum DeletedResource {
    /// Removed.
    #[oai(status = 204)]
    Deleted,
}

#[OpenApi(prefix_path = "/api/v1", tag = "CourseResourcesTag::CourseResources")]
impl CourseResourcesApi {
    /// Add a file to a course (admins). Multipart form; the file must be the last part.
    /// Over the organisation's size limit (413) or empty (422), nothing is stored.
    #[oai(path = "/courses/:id/resources", method = "post")]
    async fn upload(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        form: StreamingForm<ResourceUploadForm>,
    ) -> ApiResult<CreatedResource> {
        // Checks first, in a short transaction: no connection is held while bytes arrive.
        let uow = self.0.authenticate(&credentials).await?;
        let permit = course_resources::permit_upload(uow, id.0).await?;
        let parts = form
            .within(permit.max_bytes())?
            .read_until_file("file")
            .await?;
        let mut fields = Fields::default();
        let resource = permit.check_upload(&parts.fields, parts.file.is_some(), &mut fields);
        fields.finish()?;
        let (Some(resource), Some(file)) = (resource, parts.file) else {
            return Err(AppError::Internal("validated form parts missing".into()).into());
        };
        let body = permit
            .upload(&self.0.db, &self.0.storage, resource, incoming(file))
            .await?;
        Ok(CreatedResource::Created(Json(body.into())))
    }

    /// A course's resources, by title: for staff who read the curriculum and for anyone
    /// who can see an enrolment on the course.
    #[oai(path = "/courses/:id/resources", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<ResourceBody>>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let items = course_resources::list(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(items.into_iter().map(ResourceBody::from).collect()))
    }

    /// Download a resource's file (streamed; served as an attachment), for those who may
    /// read its course's resources.
    #[oai(path = "/course-resources/:id/file", method = "get")]
    async fn download(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<FileResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let resource = course_resources::get(&mut uow, id.0).await?;
        uow.commit().await?;
        attachment(
            &self.0,
            &resource.storage_key,
            &resource.file_name,
            resource.size_bytes,
        )
        .await
        .map_err(ApiError::from)
    }

    /// Remove a resource and its file (admins).
    #[oai(path = "/course-resources/:id", method = "delete")]
    async fn delete(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<DeletedResource> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let resource = course_resources::delete(&mut uow, id.0).await?;
        uow.commit().await?;
        // The row is gone first, so no row ever points at a missing file; a failed delete
        // here is logged and leaves only an unreferenced object.
        self.0.storage.delete(&resource.storage_key).await;
        Ok(DeletedResource::Deleted)
    }
}
