//! Course resources ("resources" and "files from course"): files admins add to a course
//! for everyone on it. A refused upload leaves neither row nor object.
//!
//! Who may do what, once: admins (who manage the curriculum) add and remove them; those
//! who read the curriculum read them, and so does anyone who can see an enrolment on the
//! course (its learners, their assessors, IQAs and employers' managers). To anyone else
//! the course is as good as absent (404).

use std::collections::HashMap;

use folio_db::course_resources::{self, NewCourseResource};
use folio_db::{Database, DbError, TenantTx, audit, curriculum, enrolments};
use folio_domain::Permission;
use folio_storage::Storage;
use tokio::io::AsyncRead;
use uuid::Uuid;

pub use folio_db::course_resources::CourseResource;

use crate::files::{self, FILE_REQUIRED, Incoming, Stored, store_then_record};
use crate::{Error, Fields, Principal, Result, UnitOfWork};

/// Whether the caller may read `course_id`'s resources: those who read the curriculum, if
/// the course exists; anyone else who can see an enrolment on it. Otherwise 404: the
/// course is as good as absent to them.
async fn require_readable_course(uow: &mut UnitOfWork, course_id: Uuid) -> Result<()> {
    if uow.principal.may(Permission::ReadCurriculum) {
        curriculum::get_course(&mut uow.tx, course_id).await?;
        return Ok(());
    }
    let viewer = uow.principal.viewer();
    if enrolments::sees_enrolment_on_course(&mut uow.tx, &viewer, course_id).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
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
fn course_gone(e: DbError) -> Error {
    match e.constraint() {
        Some("course_resources_course_fkey") => Error::NotFound,
        _ => e.into(),
    }
}

/// A course's resources, by title, for those who may read them.
pub async fn list(uow: &mut UnitOfWork, course_id: Uuid) -> Result<Vec<CourseResource>> {
    require_readable_course(uow, course_id).await?;
    Ok(course_resources::list_for_course(&mut uow.tx, course_id).await?)
}

/// One resource (to download its file), for those who may read its course's resources.
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<CourseResource> {
    let resource = course_resources::get(&mut uow.tx, id).await?;
    require_readable_course(uow, resource.course_id).await?;
    Ok(resource)
}

/// Removes a resource's row (admins) and returns it: once the unit of work commits, the
/// caller removes its stored object, so no row ever points at a missing file.
pub async fn delete(uow: &mut UnitOfWork, id: Uuid) -> Result<CourseResource> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let resource = course_resources::delete(&mut uow.tx, id).await?;
    let details = serde_json::json!({
        "course_id": resource.course_id,
        "file_name": resource.file_name,
    });
    uow.audit(
        "course_resource.delete",
        "course_resource",
        resource.id,
        details,
    )
    .await?;
    Ok(resource)
}

/// Leave to add a file to a course, checked in a short transaction that is over before
/// any bytes arrive (no connection is held while a file uploads).
#[derive(Debug)]
pub struct UploadPermit {
    principal: Principal,
    course_id: Uuid,
    max_bytes: u64,
}

impl UploadPermit {
    /// The largest file this upload may store (bytes): its form is refused at once when it
    /// declares more.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
}

/// What an upload form says about the resource, checked.
#[derive(Debug)]
pub struct NewResource {
    title: String,
    description: Option<String>,
}

/// Checks that the caller may add files to the course (admins; 404 if there is no such
/// course) and reads the limits; ends the unit of work.
pub async fn permit_upload(mut uow: UnitOfWork, course_id: Uuid) -> Result<UploadPermit> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let course = curriculum::get_course(&mut uow.tx, course_id).await?;
    let limits = uow.settings().await?;
    Ok(UploadPermit {
        course_id: course.id,
        max_bytes: limits.evidence_max_bytes,
        principal: uow.commit().await?,
    })
}

impl UploadPermit {
    /// The upload form's text fields, checked, every problem named at once. `has_file`:
    /// whether the form carried its file part.
    pub fn check_upload(
        &self,
        values: &HashMap<String, String>,
        has_file: bool,
        fields: &mut Fields,
    ) -> Option<NewResource> {
        let title = files::text(fields, values, "title", 200, true);
        let description = files::text(fields, values, "description", 5000, false);
        fields.require("file", has_file, FILE_REQUIRED);
        Some(NewResource {
            title: title?,
            description,
        })
    }

    /// Stores the file and records the resource.
    pub async fn upload<R: AsyncRead + Unpin>(
        self,
        db: &Database,
        storage: &Storage,
        resource: NewResource,
        file: Incoming<R>,
    ) -> Result<CourseResource> {
        let Self {
            principal,
            course_id,
            max_bytes,
        } = self;
        let resource_id = Uuid::now_v7();
        let key = storage_key(&principal, course_id, resource_id);
        store_then_record(
            db,
            storage,
            principal.tenant,
            key,
            file,
            max_bytes,
            async |tx: &mut TenantTx, stored: &Stored| {
                let row = course_resources::insert(
                    tx,
                    &NewCourseResource {
                        id: resource_id,
                        course_id,
                        title: &resource.title,
                        description: resource.description.as_deref(),
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
                    audit::Event {
                        actor: principal.actor(),
                        action: "course_resource.upload",
                        entity_type: "course_resource",
                        entity_id: Some(resource_id),
                        details: serde_json::json!({
                            "course_id": course_id,
                            "size_bytes": stored.file.size,
                        }),
                    },
                )
                .await?;
                Ok(row)
            },
        )
        .await
    }
}
