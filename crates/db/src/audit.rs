//! The audit log: who did what, to which entity, when. Every write the API or an operator
//! command makes records a row here in the same transaction.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person.
    User(Uuid),
    /// The platform operator, through the `folio` command line.
    Operator,
    /// Folio itself (background jobs).
    System,
}

impl Actor {
    fn kind(self) -> &'static str {
        match self {
            Actor::User(_) => "user",
            Actor::Operator => "operator",
            Actor::System => "system",
        }
    }

    fn user_id(self) -> Option<Uuid> {
        match self {
            Actor::User(id) => Some(id),
            Actor::Operator | Actor::System => None,
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Who did it.
    pub actor: Actor,
    /// What, as `entity.verb`, e.g. `user.deactivate`.
    pub action: &'a str,
    /// The kind of entity, e.g. `user`.
    pub entity_type: &'a str,
    /// Which entity.
    pub entity_id: Option<Uuid>,
    /// Ids and field names involved (never secrets).
    pub details: serde_json::Value,
}

/// Appends an event to the audit log.
pub async fn record(tx: &mut TenantTx, event: Event<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into audit_log (tenant_id, id, actor_kind, actor_user_id, action, entity_type, entity_id, details)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(event.actor.kind())
    .bind(event.actor.user_id())
    .bind(event.action)
    .bind(event.entity_type)
    .bind(event.entity_id)
    .bind(event.details)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An audit log row.
#[derive(Debug, Clone, FromRow)]
pub struct AuditEntry {
    /// Its id (time-ordered).
    pub id: Uuid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// `user`, `operator` or `system`.
    pub actor_kind: String,
    /// The person, when a person acted.
    pub actor_user_id: Option<Uuid>,
    /// What happened.
    pub action: String,
    /// The kind of entity.
    pub entity_type: String,
    /// Which entity.
    pub entity_id: Option<Uuid>,
    /// Ids and field names involved.
    pub details: serde_json::Value,
}

/// Audit rows newest first, before `before` (an entry id), optionally about one entity.
pub async fn list(
    tx: &mut TenantTx,
    entity_id: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> DbResult<crate::pagination::Page<AuditEntry>> {
    let tenant = tx.tenant();
    let rows = sqlx::query_as(
        "select id, at, actor_kind, actor_user_id, action, entity_type, entity_id, details
         from audit_log
         where tenant_id = $1
           and ($2::uuid is null or entity_id = $2)
           and ($3::uuid is null or id < $3)
         order by id desc
         limit $4",
    )
    .bind(tenant.0)
    .bind(entity_id)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(tx.conn())
    .await?;
    Ok(crate::pagination::Page::from_overfetch(rows, limit))
}
