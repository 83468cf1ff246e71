//! A tenant's own settings.

use folio_domain::TenantSettings;

use crate::{DbResult, TenantTx};

/// The tenant's time zone in SQL, for statements whose `$1` is the tenant (the
/// `tenant_tz` function of migration 0031: the `timezone` setting, else Europe/London).
/// Instants become the dates people see with `(t at time zone {TENANT_TZ})::date`.
pub const TENANT_TZ: &str = "tenant_tz($1)";

/// The statement of [`get`]: `$1` tenant. Public so that `folio-bench` can run the very
/// same SQL through `pgbench`.
pub const GET_SQL: &str = "select settings from tenant_settings where tenant_id = $1";

/// The tenant's settings, defaults filled in. Stored settings that no longer parse (a
/// setting removed in a later version) fall back to the defaults rather than failing
/// every request; `replace` is where invalid settings are refused.
pub async fn get(tx: &mut TenantTx) -> DbResult<TenantSettings> {
    let tenant = tx.tenant();
    let stored: Option<serde_json::Value> = sqlx::query_scalar(GET_SQL)
        .bind(tenant.0)
        .fetch_optional(tx.conn())
        .await?;
    Ok(stored
        .and_then(|v| match TenantSettings::from_json(&v) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(tenant_id = %tenant, error = %e, "stored tenant settings are invalid; using defaults");
                None
            }
        })
        .unwrap_or_default())
}

/// Stores the tenant's settings (already validated).
pub async fn replace(tx: &mut TenantTx, settings: &TenantSettings) -> DbResult<()> {
    let tenant = tx.tenant();
    let json = serde_json::to_value(settings).map_err(|e| {
        crate::DbError::Other(crate::error::OtherDbError(sqlx::Error::Encode(Box::new(e))))
    })?;
    sqlx::query(
        "insert into tenant_settings (tenant_id, settings) values ($1, $2)
         on conflict (tenant_id) do update set settings = excluded.settings, updated_at = now()",
    )
    .bind(tenant.0)
    .bind(json)
    .execute(tx.conn())
    .await?;
    Ok(())
}
