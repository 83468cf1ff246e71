//! Reading the audit log.
//!
//! Adapters over `folio_app::audit_log`, where who may read it is written.

use chrono::{DateTime, Utc};
use folio_app::audit_log::{self, PageQuery};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use uuid::Uuid;

use crate::AppState;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum AuditTag {
    /// Who did what, when.
    AuditLog,
}

pub struct AuditLogApi(pub AppState);

/// One recorded write.
#[derive(Debug, Object)]
struct AuditEntryBody {
    /// Id (time-ordered).
    id: Uuid,
    /// When.
    at: DateTime<Utc>,
    /// `user`, `operator` (command line) or `system` (background work).
    actor_kind: String,
    /// The person who acted, if a person did.
    actor_user_id: Option<Uuid>,
    /// What happened, e.g. `user.deactivate`.
    action: String,
    /// The kind of entity.
    entity_type: String,
    /// Which entity.
    entity_id: Option<Uuid>,
    /// Ids and field names involved.
    details: serde_json::Value,
}

/// A page of audit entries, newest first.
#[derive(Debug, Object)]
struct AuditPage {
    /// Entries.
    items: Vec<AuditEntryBody>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

#[OpenApi(prefix_path = "/api/v1/audit-log", tag = "AuditTag::AuditLog")]
impl AuditLogApi {
    /// The organisation's audit log, newest first (admins and auditors).
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        /// Only entries about this entity.
        entity_id: Query<Option<Uuid>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<AuditPage>> {
        // A bad cursor or limit is refused before the credentials are looked at.
        let query = PageQuery::parse(cursor.0.as_deref(), limit.0)?;
        let mut uow = self.0.authenticate(&credentials).await?;
        let page = audit_log::list(&mut uow, entity_id.0, query).await?;
        uow.commit().await?;
        Ok(Json(AuditPage {
            items: page
                .items
                .into_iter()
                .map(|e| AuditEntryBody {
                    id: e.id,
                    at: e.at,
                    actor_kind: e.actor_kind,
                    actor_user_id: e.actor_user_id,
                    action: e.action,
                    entity_type: e.entity_type,
                    entity_id: e.entity_id,
                    details: e.details,
                })
                .collect(),
            next_cursor: page.next_cursor,
        }))
    }
}
