//! Reading the audit log: who did what, when (admins and auditors,
//! `Permission::ReadAuditLog`). Writing to it is [`UnitOfWork::audit`]'s.

use folio_db::audit;
use folio_domain::Permission;
use uuid::Uuid;

pub use folio_db::audit::AuditEntry;

use crate::paging::{decode_id_cursor, page_limit};
use crate::{Result, UnitOfWork};

/// Which page to list: checked before anything is read, so a bad cursor or limit is
/// refused whoever asks.
#[derive(Debug, Clone, Copy)]
pub struct PageQuery {
    before: Option<Uuid>,
    limit: i64,
}

impl PageQuery {
    /// Checks a cursor from a previous page and a page size.
    pub fn parse(cursor: Option<&str>, limit: Option<i64>) -> Result<Self> {
        Ok(Self {
            before: decode_id_cursor(cursor)?,
            limit: page_limit(limit)?,
        })
    }
}

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
    let next_cursor = page
        .has_more
        .then(|| page.items.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(AuditPage {
        items: page.items,
        next_cursor,
    })
}
