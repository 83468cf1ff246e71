//! Apprenticeship standards' published off-the-job minimums: a platform table the operator
//! imports and every tenant reads.

use chrono::{DateTime, NaiveDate, Utc};
use folio_domain::standards::PublishedStandard;
use sqlx::{FromRow, PgPool};

use crate::{DbResult, TenantTx};

/// One stored value.
#[derive(Debug, Clone, FromRow)]
pub struct StandardRow {
    /// `ST` and four digits.
    pub code: String,
    /// Version.
    pub version: String,
    /// Title.
    pub title: String,
    /// Minimum off-the-job hours.
    pub otj_minimum_hours: i32,
    /// The first start date it applies to.
    pub applies_from: NaiveDate,
    /// When it was imported.
    pub imported_at: DateTime<Utc>,
}

impl StandardRow {
    /// As the domain holds it.
    pub fn published(&self) -> PublishedStandard {
        PublishedStandard {
            code: self.code.clone(),
            version: self.version.clone(),
            title: self.title.clone(),
            otj_minimum_hours: self.otj_minimum_hours,
            applies_from: self.applies_from,
        }
    }
}

/// Stores `rows` in one transaction as the platform's owner (a value already stored for
/// the same standard, version and date is replaced). Returns how many were written.
pub async fn import(pool: &PgPool, rows: &[PublishedStandard]) -> DbResult<u64> {
    let mut tx = pool.begin().await?;
    let mut written = 0;
    for r in rows {
        written += sqlx::query(
            "insert into apprenticeship_standards (code, version, title, otj_minimum_hours, applies_from)
             values ($1, $2, $3, $4, $5)
             on conflict (code, version, applies_from) do update
             set title = excluded.title, otj_minimum_hours = excluded.otj_minimum_hours,
                 imported_at = now()",
        )
        .bind(&r.code)
        .bind(&r.version)
        .bind(&r.title)
        .bind(r.otj_minimum_hours)
        .bind(r.applies_from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(written)
}

/// Every stored value, by standard, version and date.
pub async fn list(tx: &mut TenantTx) -> DbResult<Vec<StandardRow>> {
    Ok(sqlx::query_as(
        "select code, version, title, otj_minimum_hours, applies_from, imported_at
         from apprenticeship_standards
         order by code, version, applies_from",
    )
    .fetch_all(tx.conn())
    .await?)
}
