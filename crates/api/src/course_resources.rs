//! Course resources ("resources" and "files from course"): files admins add to a course
//! for everyone on it. Uploads and downloads stream exactly as evidence does; reading is
//! for those who read the curriculum and for anyone who can see an enrolment on the course
//! (its learners, their assessors, IQAs and employers' managers).

use chrono::{DateTime, Utc};
use folio_db::audit::{self, Event};
use folio_db::course_resources::{self, CourseResource, NewCourseResource};
use folio_db::enrolments::{self};
use folio_db::{DbError, TenantTx, curriculum, settings};
use folio_domain::Permission;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi, Tags};
use uuid::Uuid;

use crate::AppState;
use crate::evidence::{FileResponse, attachment};
use crate::form::{StreamingForm, incoming};
use folio_app::Principal;
use folio_app::files::{Stored, store_then_record, text};

use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiError, ApiResult, AppError, AppResult, Fields};

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

/// Whether the caller may read `course_id`'s resources: those who read the curriculum, if
/// the course exists; anyone else who can see an enrolment on it. Otherwise 404: the
/// course is as good as absent to them.
async fn require_readable_course(authed: &mut Authenticated, course_id: Uuid) -> AppResult<()> {
    if Permission::ReadCurriculum.allows(&authed.principal.roles) {
        curriculum::get_course(&mut authed.tx, course_id).await?;
        return Ok(());
    }
    let viewer = authed.principal.viewer();
    if enrolments::sees_enrolment_on_course(&mut authed.tx, &viewer, course_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// The storage key of a resource: ids only, namespaced by tenant.
fn storage_key(principal: &Principal, course_id: Uuid, resource_id: Uuid) -> String {
    format!(
        "tenants/{}/course-resources/{course_id}/{resource_id}",
        principal.tenant
    )
}

/// The course vanished between the checks and the insert.
fn course_gone(e: DbError) -> AppError {
    match e.constraint() {
        Some("course_resources_course_fkey") => AppError::NotFound,
        _ => e.into(),
    }
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
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageCurriculum)
            .await?;
        let course = curriculum::get_course(&mut authed.tx, id.0).await?;
        let limits = settings::get(&mut authed.tx).await?;
        authed.tx.commit().await?;
        let principal = authed.principal;

        let parts = form.read_until_file("file").await?;
        let mut fields = Fields::default();
        let title = text(&mut fields, &parts.fields, "title", 200, true);
        let description = text(&mut fields, &parts.fields, "description", 5000, false);
        parts.check_file(&mut fields);
        fields.finish()?;
        let (Some(title), Some(file)) = (title, parts.file) else {
            return Err(AppError::Internal("validated form parts missing".into()).into());
        };

        let resource_id = Uuid::now_v7();
        let key = storage_key(&principal, course.id, resource_id);
        let (db, storage) = (&self.0.db, &self.0.storage);
        let max = limits.evidence_max_bytes;
        let body = store_then_record(
            db,
            storage,
            principal.tenant,
            key,
            incoming(file),
            max,
            async |tx: &mut TenantTx, stored: &Stored| {
                let resource = course_resources::insert(
                    tx,
                    &NewCourseResource {
                        id: resource_id,
                        course_id: course.id,
                        title: &title,
                        description: description.as_deref(),
                        storage_key: &stored.key,
                        file_name: &stored.file_name,
                        content_type: &stored.content_type,
                        size_bytes: stored.size_bytes(),
                        sha256: &stored.file.sha256,
                        uploaded_by: principal.user_id,
                    },
                )
                .await
                .map_err(course_gone)?;
                audit::record(
                    tx,
                    Event {
                        actor: principal.actor(),
                        action: "course_resource.upload",
                        entity_type: "course_resource",
                        entity_id: Some(resource_id),
                        details: serde_json::json!({
                            "course_id": course.id,
                            "size_bytes": stored.file.size,
                        }),
                    },
                )
                .await?;
                Ok(ResourceBody::from(resource))
            },
        )
        .await?;
        Ok(CreatedResource::Created(Json(body)))
    }

    /// A course's resources, by title: for staff who read the curriculum and for anyone
    /// who can see an enrolment on the course.
    #[oai(path = "/courses/:id/resources", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<ResourceBody>>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        require_readable_course(&mut authed, id.0).await?;
        let items = course_resources::list_for_course(&mut authed.tx, id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(items.into_iter().map(ResourceBody::from).collect()))
    }

    /// Download a resource's file (streamed; served as an attachment), for those who may
    /// read its course's resources.
    #[oai(path = "/course-resources/:id/file", method = "get")]
    async fn download(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<FileResponse> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let resource = course_resources::get(&mut authed.tx, id.0).await?;
        require_readable_course(&mut authed, resource.course_id).await?;
        authed.tx.commit().await?;
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
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageCurriculum)
            .await?;
        let resource = course_resources::delete(&mut authed.tx, id.0).await?;
        authed
            .audit(
                "course_resource.delete",
                "course_resource",
                resource.id,
                serde_json::json!({
                    "course_id": resource.course_id,
                    "file_name": resource.file_name,
                }),
            )
            .await?;
        authed.tx.commit().await?;
        // The row is gone first, so no row ever points at a missing file; a failed delete
        // here is logged and leaves only an unreferenced object.
        self.0.storage.delete(&resource.storage_key).await;
        Ok(DeletedResource::Deleted)
    }
}
