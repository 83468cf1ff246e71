//! IQA samples: an IQA's decision on the sign-offs they sampled, the sign-offs as they
//! were, and the assessor's answer.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// A sign-off as it stands.
#[derive(Debug, Clone, FromRow)]
pub struct SignOff {
    /// The criterion.
    pub criterion_id: Uuid,
    /// Who signed it off.
    pub signed_off_by: Uuid,
    /// When.
    pub signed_off_at: DateTime<Utc>,
}

/// Of `criteria`, those signed off for the enrolment, locked until the transaction ends.
pub async fn signed_off(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    criteria: &[Uuid],
) -> DbResult<Vec<SignOff>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select criterion_id, signed_off_by, signed_off_at from criterion_sign_offs
         where tenant_id = $1 and enrolment_id = $2 and criterion_id = any($3)
         order by criterion_id
         for update",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(criteria)
    .fetch_all(tx.conn())
    .await?)
}

/// A new sample.
#[derive(Debug)]
pub struct NewSample<'a> {
    /// New id.
    pub id: Uuid,
    /// The programme.
    pub enrolment_id: Uuid,
    /// Its assessor now.
    pub assessor_id: Option<Uuid>,
    /// The IQA.
    pub iqa_id: Uuid,
    /// `interim` or `summative`.
    pub stage: &'a str,
    /// `agree`, `disagree` or `refer`.
    pub decision: &'a str,
    /// What the IQA found.
    pub feedback: Option<&'a str>,
    /// What the assessor must do.
    pub action_for_assessor: Option<&'a str>,
    /// The sign-offs sampled, as they were.
    pub sign_offs: &'a [SignOff],
    /// Whether the sample reopens them (withdraws the sign-offs).
    pub reopens: bool,
}

/// Records a sample and the sign-offs it looked at; withdraws them when it reopens them.
pub async fn insert(tx: &mut TenantTx, s: &NewSample<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into iqa_samples (tenant_id, id, enrolment_id, assessor_id, iqa_id, stage,
             decision, feedback, action_for_assessor)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant.0)
    .bind(s.id)
    .bind(s.enrolment_id)
    .bind(s.assessor_id)
    .bind(s.iqa_id)
    .bind(s.stage)
    .bind(s.decision)
    .bind(s.feedback)
    .bind(s.action_for_assessor)
    .execute(tx.conn())
    .await?;
    let criteria: Vec<Uuid> = s.sign_offs.iter().map(|o| o.criterion_id).collect();
    let by: Vec<Uuid> = s.sign_offs.iter().map(|o| o.signed_off_by).collect();
    let at: Vec<DateTime<Utc>> = s.sign_offs.iter().map(|o| o.signed_off_at).collect();
    sqlx::query(
        "insert into iqa_sample_criteria (tenant_id, sample_id, criterion_id, signed_off_by,
             signed_off_at, reopened)
         select $1, $2, c.criterion_id, c.signed_off_by, c.signed_off_at, $6
         from unnest($3::uuid[], $4::uuid[], $5::timestamptz[])
             as c (criterion_id, signed_off_by, signed_off_at)",
    )
    .bind(tenant.0)
    .bind(s.id)
    .bind(&criteria)
    .bind(&by)
    .bind(&at)
    .bind(s.reopens)
    .execute(tx.conn())
    .await?;
    if s.reopens {
        sqlx::query(
            "delete from criterion_sign_offs
             where tenant_id = $1 and enrolment_id = $2 and criterion_id = any($3)",
        )
        .bind(tenant.0)
        .bind(s.enrolment_id)
        .bind(&criteria)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// A sample as people read it.
#[derive(Debug, Clone, FromRow)]
pub struct Sample {
    /// Its id.
    pub id: Uuid,
    /// The programme.
    pub enrolment_id: Uuid,
    /// The assessor whose decisions were sampled.
    pub assessor_id: Option<Uuid>,
    /// Their name.
    pub assessor_name: Option<String>,
    /// The IQA.
    pub iqa_id: Uuid,
    /// Their name.
    pub iqa_name: String,
    /// `interim` or `summative`.
    pub stage: String,
    /// `agree`, `disagree` or `refer`.
    pub decision: String,
    /// What the IQA found.
    pub feedback: Option<String>,
    /// What the assessor must do.
    pub action_for_assessor: Option<String>,
    /// When.
    pub sampled_at: DateTime<Utc>,
    /// The assessor's answer.
    pub response: Option<String>,
    /// Who answered.
    pub responded_by_name: Option<String>,
    /// When.
    pub responded_at: Option<DateTime<Utc>>,
    /// The sign-offs sampled, as they were, in course order.
    pub criteria: sqlx::types::Json<Vec<SampledSignOff>>,
}

/// A sign-off a sample looked at, as it was then.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SampledSignOff {
    /// The criterion.
    pub criterion_id: Uuid,
    /// Its code.
    pub code: String,
    /// Who had signed it off.
    pub signed_off_by_name: String,
    /// When.
    pub signed_off_at: DateTime<Utc>,
    /// Whether the sample reopened it.
    pub reopened: bool,
}

const SELECT: &str = "select s.id, s.enrolment_id, s.assessor_id, a.name as assessor_name,
        s.iqa_id, q.name as iqa_name, s.stage, s.decision, s.feedback, s.action_for_assessor,
        s.sampled_at, s.response, r.name as responded_by_name, s.responded_at,
        coalesce((
            select json_agg(json_build_object(
                       'criterion_id', c.id, 'code', c.code, 'signed_off_by_name', b.name,
                       'signed_off_at', x.signed_off_at, 'reopened', x.reopened)
                   order by p.position, n.position, c.position, c.id)
            from iqa_sample_criteria x
            join criteria c on c.tenant_id = x.tenant_id and c.id = x.criterion_id
            join units n on n.tenant_id = c.tenant_id and n.id = c.unit_id
            join components p on p.tenant_id = n.tenant_id and p.id = n.component_id
            join users b on b.tenant_id = x.tenant_id and b.id = x.signed_off_by
            where x.tenant_id = s.tenant_id and x.sample_id = s.id), '[]') as criteria
    from iqa_samples s
    join users q on q.tenant_id = s.tenant_id and q.id = s.iqa_id
    left join users a on a.tenant_id = s.tenant_id and a.id = s.assessor_id
    left join users r on r.tenant_id = s.tenant_id and r.id = s.responded_by";

/// A programme's samples, newest first.
pub async fn of_enrolment(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<Vec<Sample>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where s.tenant_id = $1 and s.enrolment_id = $2
         order by s.sampled_at desc, s.id desc"
    )))
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}

/// One sample; [`crate::DbError::NotFound`] if there is none.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<Sample> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where s.tenant_id = $1 and s.id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// Records the assessor's answer to a sample not yet answered; returns whether it did.
pub async fn answer(tx: &mut TenantTx, id: Uuid, by: Uuid, response: &str) -> DbResult<bool> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "update iqa_samples set response = $3, responded_by = $4, responded_at = now()
         where tenant_id = $1 and id = $2 and response is null",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(response)
    .bind(by)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A criterion signed off for the learner, to offer for sampling.
#[derive(Debug, Clone, FromRow)]
pub struct SignedOffCriterion {
    /// The criterion.
    pub id: Uuid,
    /// Its code.
    pub code: String,
    /// Its wording.
    pub text: String,
    /// Who signed it off.
    pub signed_off_by_name: String,
    /// When.
    pub signed_off_at: DateTime<Utc>,
}

/// The criteria signed off for the enrolment, in course order.
pub async fn signed_off_criteria(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
) -> DbResult<Vec<SignedOffCriterion>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select c.id, c.code, c.text, u.name as signed_off_by_name, o.signed_off_at
         from criterion_sign_offs o
         join criteria c on c.tenant_id = o.tenant_id and c.id = o.criterion_id
         join units n on n.tenant_id = c.tenant_id and n.id = c.unit_id
         join components p on p.tenant_id = n.tenant_id and p.id = n.component_id
         join users u on u.tenant_id = o.tenant_id and u.id = o.signed_off_by
         where o.tenant_id = $1 and o.enrolment_id = $2
         order by p.position, n.position, c.position, c.id",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}
