//! Gateway: the parties' agreements that a learner is ready, and what the checklist reads
//! besides the portfolio.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// One party's agreement.
#[derive(Debug, Clone, FromRow)]
pub struct Agreement {
    /// `learner` or `employer`.
    pub party: String,
    /// Who agreed.
    pub agreed_by: Uuid,
    /// Their name.
    pub agreed_by_name: String,
    /// When.
    pub agreed_at: DateTime<Utc>,
}

/// The enrolment's agreements, learner first.
pub async fn agreements(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<Vec<Agreement>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select g.party, g.agreed_by, u.name as agreed_by_name, g.agreed_at
         from gateway_agreements g
         join users u on u.tenant_id = g.tenant_id and u.id = g.agreed_by
         where g.tenant_id = $1 and g.enrolment_id = $2
         order by g.party desc",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Records `party`'s agreement by `user_id`: one already recorded by the same person is
/// kept as it was, one by someone else (a manager since replaced) is replaced. Returns
/// whether anything was written.
pub async fn agree(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    party: &str,
    user_id: Uuid,
) -> DbResult<bool> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "insert into gateway_agreements (tenant_id, enrolment_id, party, agreed_by)
         values ($1, $2, $3, $4)
         on conflict (tenant_id, enrolment_id, party) do update
             set agreed_by = excluded.agreed_by, agreed_at = excluded.agreed_at
             where gateway_agreements.agreed_by <> excluded.agreed_by",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(party)
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The course's English and maths components (aims).
pub async fn english_maths_components(tx: &mut TenantTx, course_id: Uuid) -> DbResult<Vec<Uuid>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select id from components where tenant_id = $1 and course_id = $2 and english_maths",
    )
    .bind(tenant.0)
    .bind(course_id)
    .fetch_all(tx.conn())
    .await?)
}
