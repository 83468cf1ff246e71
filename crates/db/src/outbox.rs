//! The transactional email outbox: an email is queued by writing a row in the same
//! transaction as the event that causes it, so it is queued if and only if the event
//! commits. The workers drain it (see `migrations/0010_messages_and_outbox.sql` for how);
//! nothing here sends anything.

use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// An email to queue.
#[derive(Debug, Clone)]
pub struct NewEmail<'a> {
    /// What makes this email unique in the tenant, e.g. `message:{id}` or
    /// `overdue-action:{id}:{date}`: queuing the same key again does nothing, so a retried
    /// request or job never sends it twice.
    pub dedup_key: &'a str,
    /// The person it goes to; their address is captured now.
    pub to_user_id: Uuid,
    /// The template's name under `templates/email/`, e.g. `message_received`.
    pub template: &'a str,
    /// What the template renders from.
    pub context: serde_json::Value,
}

/// Queues an email in the caller's transaction, addressed to the recipient's address as it
/// is now. Returns whether it was queued: false when an email with the same dedup key
/// already was.
pub async fn enqueue(tx: &mut TenantTx, email: &NewEmail<'_>) -> DbResult<bool> {
    let tenant = tx.tenant();
    // An unknown recipient leaves the address null, which the schema refuses: a caller's
    // bug, never a silently dropped email.
    let result = sqlx::query(
        "insert into email_outbox (tenant_id, id, dedup_key, to_user_id, to_address, template, data)
         values ($1, $2, $3, $4,
                 (select u.email from users u where u.tenant_id = $1 and u.id = $4), $5, $6)
         on conflict (tenant_id, dedup_key) do nothing",
    )
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(email.dedup_key)
    .bind(email.to_user_id)
    .bind(email.template)
    .bind(&email.context)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}
