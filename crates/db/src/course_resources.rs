//! Course resources: files the provider adds to a course for everyone on it ("resources"
//! and "files from course"). Who may read them is decided by the caller with
//! [`crate::enrolments::sees_enrolment_on_course`] or the curriculum permission.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// A file added to a course.
#[derive(Debug, Clone, FromRow)]
pub struct CourseResource {
    /// Id.
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// Title.
    pub title: String,
    /// What it is for.
    pub description: Option<String>,
    /// Where the file is stored.
    pub storage_key: String,
    /// The name it was uploaded with (cleaned).
    pub file_name: String,
    /// Its declared media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of its content.
    pub sha256: Vec<u8>,
    /// Who added it.
    pub uploaded_by: Uuid,
    /// When.
    pub uploaded_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, course_id, title, description, storage_key, file_name, content_type,
    size_bytes, sha256, uploaded_by, uploaded_at";

/// A resource to insert (its file already stored under `storage_key`).
#[derive(Debug)]
pub struct NewCourseResource<'a> {
    /// New id.
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: Option<&'a str>,
    /// Storage key.
    pub storage_key: &'a str,
    /// File name.
    pub file_name: &'a str,
    /// Media type.
    pub content_type: &'a str,
    /// Size.
    pub size_bytes: i64,
    /// SHA-256.
    pub sha256: &'a [u8],
    /// Uploader.
    pub uploaded_by: Uuid,
}

/// Inserts a resource and returns it. A course that no longer exists fails with the
/// constraint `course_resources_course_fkey`.
pub async fn insert(tx: &mut TenantTx, r: &NewCourseResource<'_>) -> DbResult<CourseResource> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into course_resources (tenant_id, id, course_id, title, description, storage_key,
            file_name, content_type, size_bytes, sha256, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(r.id)
    .bind(r.course_id)
    .bind(r.title)
    .bind(r.description)
    .bind(r.storage_key)
    .bind(r.file_name)
    .bind(r.content_type)
    .bind(r.size_bytes)
    .bind(r.sha256)
    .bind(r.uploaded_by)
    .fetch_one(tx.conn())
    .await?)
}

/// One resource; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<CourseResource> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from course_resources where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// A course's resources by title.
pub async fn list_for_course(tx: &mut TenantTx, course_id: Uuid) -> DbResult<Vec<CourseResource>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from course_resources
         where tenant_id = $1 and course_id = $2 order by title, id"
    )))
    .bind(tenant.0)
    .bind(course_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Removes a resource's row and returns it, so that its file can be removed once the
/// removal is committed; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> DbResult<CourseResource> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "delete from course_resources where tenant_id = $1 and id = $2 returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}
