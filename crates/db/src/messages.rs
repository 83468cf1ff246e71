//! Messages between a learner and their enrolment's assessor or IQA, in threads.
//!
//! Who may read a message (its sender, its recipient, admins and auditors) is decided by
//! the API with `folio_domain::access::may_read_message`; nothing here checks it.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::pagination::Page;
use crate::{DbResult, TenantTx};

/// One message, with the names of the two people.
#[derive(Debug, Clone, FromRow)]
pub struct Message {
    /// Its id (time-ordered).
    pub id: Uuid,
    /// The enrolment it is about.
    pub enrolment_id: Uuid,
    /// The thread: its first message's id (this message's own id if it is the first).
    pub thread_id: Uuid,
    /// The message it answers.
    pub reply_to: Option<Uuid>,
    /// Who wrote it.
    pub sender_id: Uuid,
    /// Their name.
    pub sender_name: String,
    /// Whom it was written to.
    pub recipient_id: Uuid,
    /// Their name.
    pub recipient_name: String,
    /// `assessor`, `iqa` or `learner`: which of the enrolment's people the recipient was.
    pub recipient_role: String,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// When the recipient first opened it.
    pub read_at: Option<DateTime<Utc>>,
}

const SELECT: &str =
    "select m.id, m.enrolment_id, m.thread_id, m.reply_to, m.sender_id, s.name as sender_name,
        m.recipient_id, r.name as recipient_name, m.recipient_role, m.subject, m.body,
        m.created_at, m.read_at
    from messages m
    join users s on s.tenant_id = m.tenant_id and s.id = m.sender_id
    join users r on r.tenant_id = m.tenant_id and r.id = m.recipient_id";

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// New id.
    pub id: Uuid,
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// The message it answers (none: it starts a thread).
    pub reply_to: Option<&'a Message>,
    /// The person writing.
    pub sender_id: Uuid,
    /// The person written to.
    pub recipient_id: Uuid,
    /// `assessor`, `iqa` or `learner`.
    pub recipient_role: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Text.
    pub body: &'a str,
}

/// Stores a message and returns it.
pub async fn insert(tx: &mut TenantTx, m: &NewMessage<'_>) -> DbResult<Message> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into messages (tenant_id, id, enrolment_id, sender_id, recipient_id,
            recipient_role, subject, body, thread_id, reply_to)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant.0)
    .bind(m.id)
    .bind(m.enrolment_id)
    .bind(m.sender_id)
    .bind(m.recipient_id)
    .bind(m.recipient_role)
    .bind(m.subject)
    .bind(m.body)
    .bind(m.reply_to.map_or(m.id, |r| r.thread_id))
    .bind(m.reply_to.map(|r| r.id))
    .execute(tx.conn())
    .await?;
    get(tx, m.id).await
}

/// One message by id; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<Message> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where m.tenant_id = $1 and m.id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// Every message of a thread, oldest first.
pub async fn thread(tx: &mut TenantTx, thread_id: Uuid) -> DbResult<Vec<Message>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where m.tenant_id = $1 and m.thread_id = $2 order by m.id"
    )))
    .bind(tenant.0)
    .bind(thread_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Records that `reader` opened every message of a thread written to them; returns the
/// ids read now for the first time.
pub async fn mark_thread_read(
    tx: &mut TenantTx,
    thread_id: Uuid,
    reader: Uuid,
) -> DbResult<Vec<Uuid>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "update messages set read_at = now()
         where tenant_id = $1 and thread_id = $2 and recipient_id = $3 and read_at is null
         returning id",
    )
    .bind(tenant.0)
    .bind(thread_id)
    .bind(reader)
    .fetch_all(tx.conn())
    .await?)
}

/// Records that the recipient opened the message, the first time only. Returns whether
/// this was the first time.
pub async fn mark_read(tx: &mut TenantTx, id: Uuid) -> DbResult<bool> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update messages set read_at = now()
         where tenant_id = $1 and id = $2 and read_at is null",
    )
    .bind(tenant.0)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Which messages to list; every condition given must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessageFilter {
    /// Only those of this enrolment.
    pub enrolment_id: Option<Uuid>,
    /// Only those this person sent.
    pub sender_id: Option<Uuid>,
    /// Only those this person received.
    pub recipient_id: Option<Uuid>,
    /// Only those this person sent or received.
    pub participant_id: Option<Uuid>,
    /// Only those not yet opened by their recipient.
    pub unread: bool,
}

/// Messages newest first, before `before` (a message id).
pub async fn list(
    tx: &mut TenantTx,
    filter: &MessageFilter,
    before: Option<Uuid>,
    limit: i64,
) -> DbResult<Page<Message>> {
    let tenant = tx.tenant();
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT}
         where m.tenant_id = $1
           and ($2::uuid is null or m.enrolment_id = $2)
           and ($3::uuid is null or m.sender_id = $3)
           and ($4::uuid is null or m.recipient_id = $4)
           and ($5::uuid is null or m.sender_id = $5 or m.recipient_id = $5)
           and (not $6 or m.read_at is null)
           and ($7::uuid is null or m.id < $7)
         order by m.id desc
         limit $8"
    )))
    .bind(tenant.0)
    .bind(filter.enrolment_id)
    .bind(filter.sender_id)
    .bind(filter.recipient_id)
    .bind(filter.participant_id)
    .bind(filter.unread)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(tx.conn())
    .await?;
    Ok(Page::from_overfetch(rows, limit))
}

/// A conversation as a person's inbox lists it: its latest message and how many of the
/// messages written to them in it they have not opened.
#[derive(Debug, Clone, FromRow)]
pub struct Conversation {
    /// The latest message (its `thread_id` names the conversation).
    #[sqlx(flatten)]
    pub latest: Message,
    /// Messages in it written to the person and not yet opened.
    pub unread: i64,
}

/// The conversations `participant` wrote or was written to in, by their latest message,
/// newest first, those whose latest message is before `before` (a message id).
pub async fn conversations(
    tx: &mut TenantTx,
    participant: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> DbResult<Page<Conversation>> {
    let tenant = tx.tenant();
    let rows = sqlx::query_as(
        "with mine as (
             select thread_id, (array_agg(id order by id desc))[1] as latest_id,
                    count(*) filter (where recipient_id = $2 and read_at is null) as unread
             from messages
             where tenant_id = $1 and (sender_id = $2 or recipient_id = $2)
             group by thread_id
         )
         select m.id, m.enrolment_id, m.thread_id, m.reply_to, m.sender_id,
                s.name as sender_name, m.recipient_id, r.name as recipient_name,
                m.recipient_role, m.subject, m.body, m.created_at, m.read_at, mine.unread
         from mine
         join messages m on m.tenant_id = $1 and m.id = mine.latest_id
         join users s on s.tenant_id = m.tenant_id and s.id = m.sender_id
         join users r on r.tenant_id = m.tenant_id and r.id = m.recipient_id
         where $3::uuid is null or m.id < $3
         order by m.id desc
         limit $4",
    )
    .bind(tenant.0)
    .bind(participant)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(tx.conn())
    .await?;
    Ok(Page::from_overfetch(rows, limit))
}
