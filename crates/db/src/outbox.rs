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

/// A queued email that is due, as the sender needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueEmail {
    /// The row.
    pub id: Uuid,
    /// Its dedup key.
    pub dedup_key: String,
    /// The address captured when it was queued.
    pub to_address: String,
    /// The recipient's name now.
    pub recipient_name: String,
    /// Whether the recipient's account is still active.
    pub recipient_active: bool,
    /// The template.
    pub template: String,
    /// The template's context.
    pub data: serde_json::Value,
    /// Attempts so far.
    pub attempts: i32,
}

/// Takes the oldest due email of the tenant and locks it until the transaction ends; rows
/// another sender holds are skipped, so senders in parallel never take the same email.
pub async fn claim_due(tx: &mut TenantTx) -> DbResult<Option<DueEmail>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select o.id, o.dedup_key, o.to_address, u.name as recipient_name,
                u.status = 'active' as recipient_active, o.template, o.data, o.attempts
         from email_outbox o
         join users u on u.tenant_id = o.tenant_id and u.id = o.to_user_id
         where o.tenant_id = $1 and o.status = 'pending' and o.next_attempt_at <= now()
         order by o.next_attempt_at, o.id
         limit 1
         for update of o skip locked",
    )
    .bind(tenant.0)
    .fetch_optional(tx.conn())
    .await?)
}

/// Records a delivery.
pub async fn mark_sent(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update email_outbox set status = 'sent', sent_at = now(), attempts = attempts + 1,
            last_error = null
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records a failed attempt to try again after `retry_in`, or, with `None`, gives up: the
/// email is `failed` and shown to admins.
pub async fn mark_attempt_failed(
    tx: &mut TenantTx,
    id: Uuid,
    error: &str,
    retry_in: Option<std::time::Duration>,
) -> DbResult<()> {
    let tenant = tx.tenant();
    let error: String = error.chars().take(2000).collect();
    let retry_secs = retry_in.map(|d| d.as_secs_f64());
    sqlx::query(
        "update email_outbox set attempts = attempts + 1, last_error = $3,
            status = case when $4::float8 is null then 'failed' else 'pending' end,
            failed_at = case when $4::float8 is null then now() end,
            next_attempt_at = case when $4::float8 is null then next_attempt_at
                                   else now() + make_interval(secs => $4) end
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(error)
    .bind(retry_secs)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An email as admins see it in the outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxEntry {
    /// The row.
    pub id: Uuid,
    /// Dedup key.
    pub dedup_key: String,
    /// Recipient.
    pub to_user_id: Uuid,
    /// Template.
    pub template: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last error.
    pub last_error: Option<String>,
    /// Queued.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Next attempt (pending).
    pub next_attempt_at: chrono::DateTime<chrono::Utc>,
    /// Delivered.
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Given up.
    pub failed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The tenant's emails in a state, newest first, at most `limit`.
pub async fn list(tx: &mut TenantTx, status: &str, limit: i64) -> DbResult<Vec<OutboxEntry>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, dedup_key, to_user_id, template, status, attempts, last_error, created_at,
                next_attempt_at, sent_at, failed_at
         from email_outbox where tenant_id = $1 and status = $2
         order by created_at desc, id desc limit $3",
    )
    .bind(tenant.0)
    .bind(status)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// The tenant's waiting email, as the scheduler sees it each tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Backlog {
    /// Emails waiting to be delivered (due now or waiting to be tried again).
    pub pending: i64,
    /// Of those due now, when the one that has waited longest became due: how far the
    /// sender is behind. (An email waiting out its retry backoff, an address greylisting
    /// us, say, is not counted until it is due again.)
    pub oldest_due: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether one is due now: the scheduler queues a sender only then.
    pub due: bool,
}

/// The tenant's waiting email: how many, how long the longest-due has been due, and
/// whether one is due now.
pub async fn backlog(tx: &mut TenantTx) -> DbResult<Backlog> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select count(*) as pending,
                min(next_attempt_at) filter (where next_attempt_at <= now()) as oldest_due,
                coalesce(bool_or(next_attempt_at <= now()), false) as due
         from email_outbox where tenant_id = $1 and status = 'pending'",
    )
    .bind(tenant.0)
    .fetch_one(tx.conn())
    .await?)
}

/// One of a person's e-mails, as their in-app notifications list it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notification {
    /// The outbox row.
    pub id: Uuid,
    /// The template it was written with.
    pub template: String,
    /// The template's context (with `link_path`, the page it opens).
    pub data: serde_json::Value,
    /// When it was written.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When the person opened it in the app; never, while unread.
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A person's e-mails written with one of `templates`, newest first, at most `limit`.
pub async fn notifications(
    tx: &mut TenantTx,
    user_id: Uuid,
    templates: &[&str],
    limit: i64,
) -> DbResult<Vec<Notification>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, template, data, created_at, read_at from email_outbox
         where tenant_id = $1 and to_user_id = $2 and template = any($3)
         order by created_at desc, id desc limit $4",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(templates)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// How many of a person's e-mails written with one of `templates` are unread in the app,
/// counting no further than `cap`.
pub async fn unread_notifications(
    tx: &mut TenantTx,
    user_id: Uuid,
    templates: &[&str],
    cap: i64,
) -> DbResult<i64> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select count(*) from (
             select 1 from email_outbox
             where tenant_id = $1 and to_user_id = $2 and template = any($3) and read_at is null
             limit $4) unread",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(templates)
    .bind(cap)
    .fetch_one(tx.conn())
    .await?)
}

/// Marks one of a person's notifications read (once: the first time stays) and answers
/// its context; none when it is not theirs or not one of `templates`.
pub async fn read_notification(
    tx: &mut TenantTx,
    user_id: Uuid,
    id: Uuid,
    templates: &[&str],
) -> DbResult<Option<serde_json::Value>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "update email_outbox set read_at = coalesce(read_at, now())
         where tenant_id = $1 and to_user_id = $2 and id = $3 and template = any($4)
         returning data",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(id)
    .bind(templates)
    .fetch_optional(tx.conn())
    .await?)
}

/// Marks read a person's unread notifications that link to `path` (the page they have
/// just opened); answers how many.
pub async fn read_notifications_linking_to(
    tx: &mut TenantTx,
    user_id: Uuid,
    path: &str,
    templates: &[&str],
) -> DbResult<u64> {
    let tenant = tx.tenant();
    Ok(sqlx::query(
        "update email_outbox set read_at = now()
         where tenant_id = $1 and to_user_id = $2 and read_at is null
           and template = any($3) and data ->> 'link_path' = $4",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(templates)
    .bind(path)
    .execute(tx.conn())
    .await?
    .rows_affected())
}

/// Marks all of a person's notifications read; answers how many were unread.
pub async fn read_all_notifications(
    tx: &mut TenantTx,
    user_id: Uuid,
    templates: &[&str],
) -> DbResult<u64> {
    let tenant = tx.tenant();
    Ok(sqlx::query(
        "update email_outbox set read_at = now()
         where tenant_id = $1 and to_user_id = $2 and template = any($3) and read_at is null",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(templates)
    .execute(tx.conn())
    .await?
    .rows_affected())
}
