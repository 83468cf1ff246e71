//! Auditor access: an admin's grants of read-only access, for a range of the
//! organisation's days, to every learner or a sample of enrolments. Whether a grant is in
//! force is the view `auditor_grants_in_force` (migration 0045), read where access is
//! decided: authentication (`crate::auth`) and enrolment visibility (`crate::enrolments`).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// A grant as people see it.
#[derive(Debug, Clone, FromRow)]
pub struct Grant {
    /// Its id.
    pub id: Uuid,
    /// The auditor.
    pub auditor_id: Uuid,
    /// Their name.
    pub auditor_name: String,
    /// What the access is for, in the admin's words.
    pub purpose: String,
    /// The organisation's first day of access.
    pub starts_on: NaiveDate,
    /// Its last day.
    pub ends_on: NaiveDate,
    /// Every learner (else the sample).
    pub all_learners: bool,
    /// How many enrolments the sample holds (0 for every learner).
    pub sample_size: i64,
    /// Who granted it.
    pub granted_by_name: String,
    /// When.
    pub granted_at: DateTime<Utc>,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// `upcoming`, `in_force`, `ended` or `withdrawn`, now.
    pub state: String,
}

const SELECT: &str = "select g.id, g.auditor_id, a.name as auditor_name, g.purpose,
        g.starts_on, g.ends_on, g.all_learners,
        (select count(*) from auditor_grant_enrolments s
         where s.tenant_id = g.tenant_id and s.grant_id = g.id) as sample_size,
        b.name as granted_by_name, g.granted_at, g.withdrawn_at,
        case when g.withdrawn_at is not null then 'withdrawn'
             when now() < g.valid_from then 'upcoming'
             when now() >= g.valid_until then 'ended'
             else 'in_force' end as state
    from auditor_grants g
    join users a on a.tenant_id = g.tenant_id and a.id = g.auditor_id
    join users b on b.tenant_id = g.tenant_id and b.id = g.granted_by";

/// What an admin grants.
#[derive(Debug)]
pub struct NewGrant<'a> {
    /// New id.
    pub id: Uuid,
    /// The auditor.
    pub auditor_id: Uuid,
    /// What it is for.
    pub purpose: &'a str,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// When the first day begins, in the organisation's time zone.
    pub valid_from: DateTime<Utc>,
    /// When the day after the last begins there.
    pub valid_until: DateTime<Utc>,
    /// The sample's enrolments; `None` for every learner.
    pub sample: Option<&'a [Uuid]>,
    /// The admin.
    pub granted_by: Uuid,
}

/// Records a grant and its sample.
pub async fn insert(tx: &mut TenantTx, grant: &NewGrant<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into auditor_grants (tenant_id, id, auditor_id, purpose, starts_on, ends_on,
             valid_from, valid_until, all_learners, granted_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant.0)
    .bind(grant.id)
    .bind(grant.auditor_id)
    .bind(grant.purpose)
    .bind(grant.starts_on)
    .bind(grant.ends_on)
    .bind(grant.valid_from)
    .bind(grant.valid_until)
    .bind(grant.sample.is_none())
    .bind(grant.granted_by)
    .execute(tx.conn())
    .await?;
    if let Some(sample) = grant.sample {
        sqlx::query(
            "insert into auditor_grant_enrolments (tenant_id, grant_id, enrolment_id)
             select $1, $2, unnest($3::uuid[])",
        )
        .bind(tenant.0)
        .bind(grant.id)
        .bind(sample)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// Grants, newest first: every one, or one auditor's.
pub async fn list(tx: &mut TenantTx, auditor: Option<Uuid>) -> DbResult<Vec<Grant>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where g.tenant_id = $1 and ($2::uuid is null or g.auditor_id = $2)
         order by g.starts_on desc, g.granted_at desc, g.id
         limit 500"
    )))
    .bind(tenant.0)
    .bind(auditor)
    .fetch_all(tx.conn())
    .await?)
}

/// One grant; [`crate::DbError::NotFound`] if there is none.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<Grant> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where g.tenant_id = $1 and g.id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// One enrolment of a sample, as the grant lists it.
#[derive(Debug, Clone, FromRow)]
pub struct Sampled {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// Its learner's name.
    pub learner_name: String,
    /// Its course's title.
    pub course_title: String,
}

/// A grant's sample, by learner name.
pub async fn sample(tx: &mut TenantTx, grant_id: Uuid) -> DbResult<Vec<Sampled>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select e.id as enrolment_id, l.name as learner_name, c.title as course_title
         from auditor_grant_enrolments s
         join enrolments e on e.tenant_id = s.tenant_id and e.id = s.enrolment_id
         join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id
         join courses c on c.tenant_id = e.tenant_id and c.id = e.course_id
         where s.tenant_id = $1 and s.grant_id = $2
         order by l.name, e.id",
    )
    .bind(tenant.0)
    .bind(grant_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Withdraws a grant that has not ended or been withdrawn; returns whether it did.
pub async fn withdraw(tx: &mut TenantTx, id: Uuid, by: Uuid) -> DbResult<bool> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "update auditor_grants set withdrawn_at = now(), withdrawn_by = $3
         where tenant_id = $1 and id = $2 and withdrawn_at is null and now() < valid_until",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(by)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Of `ids`, those that are not enrolments of the organisation.
pub async fn unknown_enrolments(tx: &mut TenantTx, ids: &[Uuid]) -> DbResult<Vec<Uuid>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select i.id from unnest($2::uuid[]) with ordinality as i (id, n)
         where not exists (select 1 from enrolments e where e.tenant_id = $1 and e.id = i.id)
         order by i.n",
    )
    .bind(tenant.0)
    .bind(ids)
    .fetch_all(tx.conn())
    .await?)
}

/// Whether `user` is an active member of the organisation holding the auditor role:
/// `None` when there is no such person at all.
pub async fn is_active_auditor(tx: &mut TenantTx, user: Uuid) -> DbResult<Option<bool>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select u.status = 'active' and exists (
                    select 1 from user_roles r
                    where r.tenant_id = u.tenant_id and r.user_id = u.id and r.role = 'auditor')
         from users u where u.tenant_id = $1 and u.id = $2",
    )
    .bind(tenant.0)
    .bind(user)
    .fetch_optional(tx.conn())
    .await?)
}

/// Every enrolment of `learner`, oldest first.
pub async fn enrolments_of_learner(tx: &mut TenantTx, learner: Uuid) -> DbResult<Vec<Uuid>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select id from enrolments where tenant_id = $1 and learner_id = $2
         order by start_date, id",
    )
    .bind(tenant.0)
    .bind(learner)
    .fetch_all(tx.conn())
    .await?)
}
