//! Employer organisations: the companies apprentices work for.

use chrono::{DateTime, Utc};
use folio_domain::{OptionalText, OrganisationName};
use sqlx::FromRow;
use uuid::Uuid;

use crate::pagination::{NameKey, Page, contains_pattern};
use crate::users::found;
use crate::{DbResult, TenantTx};

/// An employer organisation.
#[derive(Debug, Clone, FromRow)]
pub struct Employer {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// The person to contact there.
    pub contact_name: Option<String>,
    /// Their address.
    pub contact_email: Option<String>,
    /// A telephone number.
    pub phone: Option<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The details of an employer, new or changed.
#[derive(Debug)]
pub struct EmployerDetails {
    /// Its name.
    pub name: OrganisationName,
    /// The person to contact there.
    pub contact_name: OptionalText,
    /// Their address (already parsed as an e-mail address by the caller).
    pub contact_email: Option<String>,
    /// A telephone number.
    pub phone: OptionalText,
}

const COLUMNS: &str = "id, name, contact_name, contact_email, phone, created_at, updated_at";

/// Adds an employer.
pub async fn insert(tx: &mut TenantTx, id: Uuid, details: &EmployerDetails) -> DbResult<Employer> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into employers (tenant_id, id, name, contact_name, contact_email, phone)
         values ($1, $2, $3, $4, $5, $6)
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(details.name.as_str())
    .bind(details.contact_name.as_deref())
    .bind(details.contact_email.as_deref())
    .bind(details.phone.as_deref())
    .fetch_one(tx.conn())
    .await?)
}

/// Replaces an employer's details.
pub async fn update(tx: &mut TenantTx, id: Uuid, details: &EmployerDetails) -> DbResult<Employer> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update employers set name = $3, contact_name = $4, contact_email = $5, phone = $6,
                updated_at = now()
         where tenant_id = $1 and id = $2
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(details.name.as_str())
    .bind(details.contact_name.as_deref())
    .bind(details.contact_email.as_deref())
    .bind(details.phone.as_deref())
    .fetch_one(tx.conn())
    .await?)
}

/// One employer by id.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<Employer> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from employers where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// A page of employers ordered by name, optionally matching `search`.
pub async fn list(
    tx: &mut TenantTx,
    search: Option<&str>,
    after: Option<&NameKey>,
    limit: i64,
) -> DbResult<Page<Employer>> {
    let tenant = tx.tenant();
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from employers
         where tenant_id = $1
           and ($2::text is null or name ilike $2)
           and ($3::text is null or (name, id) > ($3, $4))
         order by name, id
         limit $5"
    )))
    .bind(tenant.0)
    .bind(search.map(contains_pattern))
    .bind(after.map(|k| k.name.as_str()))
    .bind(after.map(|k| k.id))
    .bind(limit + 1)
    .fetch_all(tx.conn())
    .await?;
    Ok(Page::from_overfetch(rows, limit))
}

/// Removes an employer nobody refers to; one still referred to fails with the referring
/// foreign key's constraint (e.g. `users_employer_fkey`).
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query("delete from employers where tenant_id = $1 and id = $2")
        .bind(tenant.0)
        .bind(id)
        .execute(tx.conn())
        .await?;
    found(result.rows_affected())
}
