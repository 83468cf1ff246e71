//! Reading the audit log: who did what, when (admins and auditors,
//! `Permission::ReadAuditLog`). Writing to it is [`UnitOfWork::audit`]'s.

use folio_db::audit;
use folio_domain::Permission;
use uuid::Uuid;

pub use folio_db::audit::AuditEntry;

pub use crate::paging::PageQuery;

use crate::paging::next_id_cursor;
use crate::{Result, UnitOfWork};

/// A page of audit entries, newest first.
#[derive(Debug)]
pub struct AuditPage {
    /// Entries.
    pub items: Vec<AuditEntry>,
    /// The cursor of the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// The organisation's audit log, newest first, optionally only about one entity (admins
/// and auditors).
pub async fn list(
    uow: &mut UnitOfWork,
    entity_id: Option<Uuid>,
    query: PageQuery,
) -> Result<AuditPage> {
    uow.principal.require(Permission::ReadAuditLog)?;
    let page = audit::list(&mut uow.tx, entity_id, query.before, query.limit).await?;
    let next_cursor = next_id_cursor(&page, |e| e.id);
    Ok(AuditPage {
        items: page.items,
        next_cursor,
    })
}
