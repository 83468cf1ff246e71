//! The platform's own table of tenants. The operator creates tenants; the API reads this
//! table only to resolve a tenant by slug before anyone is signed in.

use chrono::{DateTime, Utc};
use folio_domain::{TenantId, TenantName, TenantSlug};
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// A tenant as the platform knows it.
#[derive(Debug, Clone, FromRow)]
pub struct Tenant {
    /// Its id.
    pub id: Uuid,
    /// Its slug.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
    /// Tenant settings (JSON object).
    pub settings: serde_json::Value,
    /// When the operator created it.
    pub created_at: DateTime<Utc>,
}

impl Tenant {
    /// The id as a [`TenantId`].
    pub fn tenant_id(&self) -> TenantId {
        TenantId(self.id)
    }
}

/// Creates a tenant. A taken slug fails with the `tenants_slug_key` constraint.
pub async fn create_tenant(
    pool: &PgPool,
    slug: &TenantSlug,
    name: &TenantName,
) -> DbResult<Tenant> {
    Ok(sqlx::query_as(
        "insert into tenants (id, slug, name) values ($1, $2, $3)
         returning id, slug, name, status, settings, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(slug.as_str())
    .bind(name.as_str())
    .fetch_one(pool)
    .await?)
}

/// The tenant with this slug, active or not.
pub async fn find_by_slug(pool: &PgPool, slug: &str) -> DbResult<Option<Tenant>> {
    Ok(sqlx::query_as(
        "select id, slug, name, status, settings, created_at from tenants where slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await?)
}

/// The tenant of a tenant transaction, read through row-level security.
pub async fn current(tx: &mut TenantTx) -> DbResult<Tenant> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, slug, name, status, settings, created_at from tenants where id = $1",
    )
    .bind(tenant.0)
    .fetch_one(tx.conn())
    .await?)
}

/// The tenant of a tenant transaction, if it exists (a transaction opened for an id read
/// from outside, such as a link's token).
pub async fn current_if_any(tx: &mut TenantTx) -> DbResult<Option<Tenant>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, slug, name, status, settings, created_at from tenants where id = $1",
    )
    .bind(tenant.0)
    .fetch_optional(tx.conn())
    .await?)
}

/// Every active tenant, for work that runs across the platform (the workers' schedules).
/// Reads the platform table as its owner: call with the process's own pool, never inside
/// a tenant transaction.
pub async fn active_tenants(pool: &PgPool) -> DbResult<Vec<Tenant>> {
    Ok(sqlx::query_as(
        "select id, slug, name, status, settings, created_at from tenants
         where status = 'active' order by slug",
    )
    .fetch_all(pool)
    .await?)
}

/// Every tenant, active or suspended, for the operator's work across the platform (e.g.
/// resealing stored secrets). Reads the platform table as its owner, like
/// [`active_tenants`].
pub async fn all_tenants(pool: &PgPool) -> DbResult<Vec<Tenant>> {
    Ok(sqlx::query_as(
        "select id, slug, name, status, settings, created_at from tenants order by slug",
    )
    .fetch_all(pool)
    .await?)
}
