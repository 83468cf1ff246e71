//! The one way to tenant data.

use folio_domain::TenantId;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::{APP_ROLE, DbResult};

/// A transaction bound to one tenant, running as the application role.
///
/// Both settings are transaction-local (`set_config(…, true)`), so nothing outlives the
/// transaction: a pooled connection goes back clean whether it commits, rolls back or is
/// dropped half-way.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    tenant: TenantId,
}

impl TenantTx {
    pub(crate) async fn begin(pool: &PgPool, tenant: TenantId) -> DbResult<Self> {
        let mut tx = pool.begin().await?;
        sqlx::query("select set_config('role', $1, true), set_config('app.tenant_id', $2, true)")
            .bind(APP_ROLE)
            .bind(tenant.0.to_string())
            .execute(&mut *tx)
            .await?;
        Ok(Self { tx, tenant })
    }

    /// The tenant every statement in this transaction is limited to.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// The connection, for repository functions (and for tests that run raw SQL to prove
    /// that row-level security holds even when a query forgets its tenant filter).
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Makes the transaction's writes permanent, after bringing the track figures its
    /// changes affect up to date ([`crate::tracks::refresh_marked`]), so that no caller
    /// can commit a change and leave them behind.
    pub async fn commit(mut self) -> DbResult<()> {
        crate::tracks::refresh_marked(&mut self).await?;
        self.tx.commit().await?;
        Ok(())
    }
}
