//! Internal comments staff keep on a learner's enrolment.
//!
//! Who may read or write them (staff only, never the learner) is decided by the API with
//! `folio_domain::access::internal_comment_access`; nothing here checks it.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::pagination::Page;
use crate::users::found;
use crate::{DbResult, TenantTx};

/// One comment, with its author's name.
#[derive(Debug, Clone, FromRow)]
pub struct Comment {
    /// Its id (time-ordered).
    pub id: Uuid,
    /// The enrolment it is about.
    pub enrolment_id: Uuid,
    /// Who wrote it.
    pub author_id: Uuid,
    /// Their name.
    pub author_name: String,
    /// The text.
    pub body: String,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Last edited (equal to `created_at` until it is).
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "select c.id, c.enrolment_id, c.author_id, a.name as author_name, c.body,
        c.created_at, c.updated_at
    from internal_comments c
    join users a on a.tenant_id = c.tenant_id and a.id = c.author_id";

/// Stores a comment and returns it.
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    enrolment_id: Uuid,
    author_id: Uuid,
    body: &str,
) -> DbResult<Comment> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into internal_comments (tenant_id, id, enrolment_id, author_id, body)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(enrolment_id)
    .bind(author_id)
    .bind(body)
    .execute(tx.conn())
    .await?;
    get(tx, id).await
}

/// One comment by id; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<Comment> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where c.tenant_id = $1 and c.id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// One comment by id, locked until the transaction ends so an edit and a deletion happen
/// one after the other; [`crate::DbError::NotFound`] if there is none.
pub async fn get_for_update(tx: &mut TenantTx, id: Uuid) -> DbResult<Comment> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where c.tenant_id = $1 and c.id = $2 for update of c"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// An enrolment's comments newest first, before `before` (a comment id).
pub async fn list(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> DbResult<Page<Comment>> {
    let tenant = tx.tenant();
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT}
         where c.tenant_id = $1 and c.enrolment_id = $2 and ($3::uuid is null or c.id < $3)
         order by c.id desc
         limit $4"
    )))
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(tx.conn())
    .await?;
    Ok(Page::from_overfetch(rows, limit))
}

/// Replaces a comment's text.
pub async fn update(tx: &mut TenantTx, id: Uuid, body: &str) -> DbResult<Comment> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update internal_comments set body = $3, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(body)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())?;
    get(tx, id).await
}

/// Removes a comment.
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query("delete from internal_comments where tenant_id = $1 and id = $2")
        .bind(tenant.0)
        .bind(id)
        .execute(tx.conn())
        .await?;
    found(result.rows_affected())
}
