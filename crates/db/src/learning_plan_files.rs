//! Files on the learning plan: attached to a session (a review form, planning material) or
//! to an action (the learner's work towards it). Each names its enrolment, and the
//! database refuses a session or action of another enrolment, so who may see a file is
//! decided by the caller with [`crate::enrolments::get_visible`], as for its session or
//! action.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// A file attached to a session or an action.
#[derive(Debug, Clone, FromRow)]
pub struct LearningPlanFile {
    /// Id.
    pub id: Uuid,
    /// The enrolment of its session or action.
    pub enrolment_id: Uuid,
    /// The session it is attached to, if any.
    pub session_id: Option<Uuid>,
    /// The action it is attached to, if any (exactly one of the two is set).
    pub action_id: Option<Uuid>,
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
    /// Who attached it.
    pub uploaded_by: Uuid,
    /// When.
    pub uploaded_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, enrolment_id, session_id, action_id, storage_key, file_name,
    content_type, size_bytes, sha256, uploaded_by, uploaded_at";

/// What a file is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachee {
    /// A learning session.
    Session(Uuid),
    /// An action.
    Action(Uuid),
}

impl Attachee {
    fn session_id(self) -> Option<Uuid> {
        match self {
            Attachee::Session(id) => Some(id),
            Attachee::Action(_) => None,
        }
    }

    fn action_id(self) -> Option<Uuid> {
        match self {
            Attachee::Action(id) => Some(id),
            Attachee::Session(_) => None,
        }
    }
}

/// A file to insert (already stored under `storage_key`).
#[derive(Debug)]
pub struct NewLearningPlanFile<'a> {
    /// New id.
    pub id: Uuid,
    /// The enrolment of the session or action.
    pub enrolment_id: Uuid,
    /// What it is attached to.
    pub attachee: Attachee,
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

/// Inserts a file and returns it. A session or action that is not the enrolment's (or no
/// longer exists) fails with the constraint `learning_plan_files_session_fkey` or
/// `learning_plan_files_action_fkey`.
pub async fn insert(tx: &mut TenantTx, f: &NewLearningPlanFile<'_>) -> DbResult<LearningPlanFile> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into learning_plan_files (tenant_id, id, enrolment_id, session_id, action_id,
            storage_key, file_name, content_type, size_bytes, sha256, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(f.id)
    .bind(f.enrolment_id)
    .bind(f.attachee.session_id())
    .bind(f.attachee.action_id())
    .bind(f.storage_key)
    .bind(f.file_name)
    .bind(f.content_type)
    .bind(f.size_bytes)
    .bind(f.sha256)
    .bind(f.uploaded_by)
    .fetch_one(tx.conn())
    .await?)
}

/// One file; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<LearningPlanFile> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from learning_plan_files where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// The files attached to a session or an action, oldest first.
pub async fn list(tx: &mut TenantTx, attachee: Attachee) -> DbResult<Vec<LearningPlanFile>> {
    let tenant = tx.tenant();
    let (column, id) = match attachee {
        Attachee::Session(id) => ("session_id", id),
        Attachee::Action(id) => ("action_id", id),
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from learning_plan_files
         where tenant_id = $1 and {column} = $2 order by uploaded_at, id"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_all(tx.conn())
    .await?)
}

/// Removes a file's row and returns it, so that its object can be removed once the
/// removal is committed; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> DbResult<LearningPlanFile> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "delete from learning_plan_files where tenant_id = $1 and id = $2 returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}
