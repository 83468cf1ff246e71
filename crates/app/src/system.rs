//! Work done for a tenant with no person behind it: the background jobs, and the platform
//! operator's commands (`folio tenant …`, `folio demo`).
//!
//! A [`SystemWork`] is their counterpart of a [`crate::UnitOfWork`]: one tenant
//! transaction, opened from a tenant id rather than from a credential, whose audit rows
//! name the system (or, opened with [`SystemWork::begin_as_operator`], the operator) as the
//! actor and whose queued e-mails commit with it. The platform-level reads the scheduler
//! starts from (which tenants are active) live here too.

use folio_db::audit::Actor;
use folio_db::outbox;
use folio_db::{Database, TenantTx, platform, settings};
use folio_domain::{TenantId, TenantSettings};
use uuid::Uuid;

pub use folio_db::outbox::NewEmail;
pub use folio_db::platform::Tenant;

use crate::Result;

/// One tenant transaction of a background job.
pub struct SystemWork {
    /// The tenant the work is for.
    tenant: TenantId,
    /// Its transaction; use cases for jobs reach it here.
    pub(crate) tx: TenantTx,
    /// Who its audit rows name: the system, or the operator.
    actor: Actor,
}

impl SystemWork {
    /// Opens the tenant's transaction for a job. Nothing is made permanent until
    /// [`SystemWork::commit`]; dropped without it, the work rolls back.
    pub async fn begin(db: &Database, tenant: TenantId) -> Result<Self> {
        let tx = db.begin_tenant(tenant).await?;
        Ok(Self {
            tenant,
            tx,
            actor: Actor::System,
        })
    }

    /// Opens the tenant's transaction for the platform operator (the `folio` command line):
    /// as [`SystemWork::begin`], but its audit rows name the operator as the actor.
    pub async fn begin_as_operator(db: &Database, tenant: TenantId) -> Result<Self> {
        let tx = db.begin_tenant(tenant).await?;
        Ok(Self {
            tenant,
            tx,
            actor: Actor::Operator,
        })
    }

    /// The tenant the work is for.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// Records in the audit log that the system (or the operator) did `action` to the
    /// entity.
    pub async fn audit(
        &mut self,
        action: &str,
        entity_type: &str,
        entity_id: Uuid,
        details: serde_json::Value,
    ) -> Result<()> {
        let actor = self.actor;
        crate::unit_of_work::record_audit(
            &mut self.tx,
            actor,
            action,
            entity_type,
            entity_id,
            details,
        )
        .await
    }

    /// Queues an e-mail, sent once the work commits (the outbox). Returns whether it was
    /// queued: false when one with the same dedup key already was.
    pub async fn queue_email(&mut self, email: &NewEmail<'_>) -> Result<bool> {
        Ok(outbox::enqueue(&mut self.tx, email).await?)
    }

    /// Makes the work permanent.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Every active tenant on the platform, for the scheduler to go through.
pub async fn active_tenants(db: &Database) -> Result<Vec<Tenant>> {
    Ok(platform::active_tenants(db.pool()).await?)
}

/// The organisation's name, as its e-mails and exports are signed.
pub async fn organisation_name(work: &mut SystemWork) -> Result<String> {
    Ok(platform::current(&mut work.tx).await?.name)
}

/// The organisation's settings, defaults filled in.
pub async fn settings(work: &mut SystemWork) -> Result<TenantSettings> {
    Ok(settings::get(&mut work.tx).await?)
}
