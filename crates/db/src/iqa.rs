//! IQA samples: an IQA's decision on the sign-offs they sampled, the sign-offs as they
//! were, and the assessor's answer.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::enrolments::{VISIBLE, Viewer, bind_visible};
use crate::users::found;
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
    /// The assessment method looked at, if the IQA says.
    pub method: Option<&'a str>,
    /// The sign-offs sampled, as they were.
    pub sign_offs: &'a [SignOff],
    /// The evidence sampled, at the version current then.
    pub evidence: &'a [SampledItem],
    /// The sessions sampled.
    pub sessions: &'a [Uuid],
    /// Whether the sample reopens them (withdraws the sign-offs).
    pub reopens: bool,
}

/// Records a sample and the sign-offs it looked at; withdraws them when it reopens them.
pub async fn insert(tx: &mut TenantTx, s: &NewSample<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into iqa_samples (tenant_id, id, enrolment_id, assessor_id, iqa_id, stage,
             decision, feedback, action_for_assessor, method)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
    .bind(s.method)
    .execute(tx.conn())
    .await?;
    let evidence: Vec<Uuid> = s.evidence.iter().map(|e| e.id).collect();
    let versions: Vec<i32> = s.evidence.iter().map(|e| e.version).collect();
    sqlx::query(
        "insert into iqa_sample_evidence (tenant_id, sample_id, evidence_id, version)
         select $1, $2, x.evidence_id, x.version
         from unnest($3::uuid[], $4::int[]) as x (evidence_id, version)",
    )
    .bind(tenant.0)
    .bind(s.id)
    .bind(&evidence)
    .bind(&versions)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into iqa_sample_sessions (tenant_id, sample_id, session_id)
         select $1, $2, x.session_id from unnest($3::uuid[]) as x (session_id)",
    )
    .bind(tenant.0)
    .bind(s.id)
    .bind(s.sessions)
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

/// Of `ids`, the enrolment's evidence, each with its current version.
pub async fn evidence_of(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    ids: &[Uuid],
) -> DbResult<Vec<SampledItem>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select e.id, (select max(v.version) from evidence_versions v
                       where v.tenant_id = e.tenant_id and v.evidence_id = e.id) as version
         from evidence e
         where e.tenant_id = $1 and e.enrolment_id = $2 and e.id = any($3)",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(ids)
    .fetch_all(tx.conn())
    .await?)
}

/// A session of the enrolment that may be sampled.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct SessionItem {
    /// Its id.
    pub id: Uuid,
    /// Whether its outcome is recorded (it happened, or did not: either is a record the
    /// IQA can look at); an open session has nothing yet to sample.
    pub closed: bool,
    /// Who ran it.
    pub assessor_id: Uuid,
}

/// Of `ids`, the enrolment's sessions.
pub async fn sessions_of(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    ids: &[Uuid],
) -> DbResult<Vec<SessionItem>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select l.id, l.outcome is not null as closed, l.assessor_id from learning_sessions l
         where l.tenant_id = $1 and l.enrolment_id = $2 and l.id = any($3)",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(ids)
    .fetch_all(tx.conn())
    .await?)
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
    /// The assessment method looked at.
    pub method: Option<String>,
    /// The evidence sampled, at the version then current, by title.
    pub evidence: sqlx::types::Json<Vec<SampledEvidence>>,
    /// The sessions sampled, by time.
    pub sessions: sqlx::types::Json<Vec<SampledSession>>,
}

/// A piece of evidence that can be sampled, at its current version.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct SampledItem {
    /// Its id.
    pub id: Uuid,
    /// Its version now.
    pub version: i32,
}

/// Evidence a sample looked at.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SampledEvidence {
    /// The evidence.
    pub evidence_id: Uuid,
    /// Its title.
    pub title: String,
    /// The version looked at.
    pub version: i32,
}

/// A session a sample looked at.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SampledSession {
    /// The session.
    pub session_id: Uuid,
    /// Its type.
    pub session_type: String,
    /// When it started.
    pub starts_at: DateTime<Utc>,
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
            where x.tenant_id = s.tenant_id and x.sample_id = s.id), '[]') as criteria,
        s.method,
        coalesce((
            select json_agg(json_build_object(
                       'evidence_id', v.id, 'title', v.title, 'version', x.version)
                   order by v.title, v.id)
            from iqa_sample_evidence x
            join evidence v on v.tenant_id = x.tenant_id and v.id = x.evidence_id
            where x.tenant_id = s.tenant_id and x.sample_id = s.id), '[]') as evidence,
        coalesce((
            select json_agg(json_build_object(
                       'session_id', l.id, 'session_type', l.session_type,
                       'starts_at', l.starts_at)
                   order by l.starts_at, l.id)
            from iqa_sample_sessions x
            join learning_sessions l on l.tenant_id = x.tenant_id and l.id = x.session_id
            where x.tenant_id = s.tenant_id and x.sample_id = s.id), '[]') as sessions
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

/// A sampling plan: an IQA's intent for one assessor on one course.
#[derive(Debug, Clone, FromRow)]
pub struct Plan {
    /// Its id.
    pub id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// Its title.
    pub course_title: String,
    /// The assessor whose decisions are sampled.
    pub assessor_id: Uuid,
    /// Their name.
    pub assessor_name: String,
    /// `every_learner` or `percentage`.
    pub strategy: String,
    /// For `percentage`: the per cent of the learners.
    pub percentage: Option<i16>,
    /// The interim sample's point in the programme, per cent.
    pub interim_at_percent: i16,
    /// The summative sample's weeks before the planned end.
    pub summative_weeks_before_end: i16,
    /// The assessment methods to sample at least once.
    pub methods: Vec<String>,
    /// Who made it.
    pub created_by_name: String,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// A plan's settings, as written.
#[derive(Debug)]
pub struct PlanSettings<'a> {
    /// `every_learner` or `percentage`.
    pub strategy: &'a str,
    /// For `percentage`.
    pub percentage: Option<i16>,
    /// Interim point, per cent.
    pub interim_at_percent: i16,
    /// Summative weeks before the end.
    pub summative_weeks_before_end: i16,
    /// Methods to sample.
    pub methods: &'a [&'a str],
}

const PLAN: &str = "select p.id, p.course_id, c.title as course_title, p.assessor_id,
        a.name as assessor_name, p.strategy, p.percentage, p.interim_at_percent,
        p.summative_weeks_before_end, p.methods, b.name as created_by_name, p.updated_at
    from iqa_plans p
    join courses c on c.tenant_id = p.tenant_id and c.id = p.course_id
    join users a on a.tenant_id = p.tenant_id and a.id = p.assessor_id
    join users b on b.tenant_id = p.tenant_id and b.id = p.created_by";

/// Records a plan; false when the assessor already has one on the course.
pub async fn insert_plan(
    tx: &mut TenantTx,
    id: Uuid,
    course_id: Uuid,
    assessor_id: Uuid,
    created_by: Uuid,
    s: &PlanSettings<'_>,
) -> DbResult<bool> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "insert into iqa_plans (tenant_id, id, course_id, assessor_id, strategy, percentage,
             interim_at_percent, summative_weeks_before_end, methods, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (tenant_id, course_id, assessor_id) do nothing",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(course_id)
    .bind(assessor_id)
    .bind(s.strategy)
    .bind(s.percentage)
    .bind(s.interim_at_percent)
    .bind(s.summative_weeks_before_end)
    .bind(s.methods)
    .bind(created_by)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes a plan's settings; [`crate::DbError::NotFound`] if there is no such plan.
pub async fn update_plan(tx: &mut TenantTx, id: Uuid, s: &PlanSettings<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    let done = sqlx::query(
        "update iqa_plans set strategy = $3, percentage = $4, interim_at_percent = $5,
             summative_weeks_before_end = $6, methods = $7, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(s.strategy)
    .bind(s.percentage)
    .bind(s.interim_at_percent)
    .bind(s.summative_weeks_before_end)
    .bind(s.methods)
    .execute(tx.conn())
    .await?;
    found(done.rows_affected())
}

/// Deletes a plan (the samples taken stay); [`crate::DbError::NotFound`] if there is none.
pub async fn delete_plan(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    let done = sqlx::query("delete from iqa_plans where tenant_id = $1 and id = $2")
        .bind(tenant.0)
        .bind(id)
        .execute(tx.conn())
        .await?;
    found(done.rows_affected())
}

/// One plan; [`crate::DbError::NotFound`] if there is none.
pub async fn plan(tx: &mut TenantTx, id: Uuid) -> DbResult<Plan> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PLAN} where p.tenant_id = $1 and p.id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// The organisation's plans (or only `assessor`'s), by course and assessor.
pub async fn plans(tx: &mut TenantTx, assessor: Option<Uuid>) -> DbResult<Vec<Plan>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PLAN} where p.tenant_id = $1 and ($2::uuid is null or p.assessor_id = $2)
         order by c.title, a.name, p.id"
    )))
    .bind(tenant.0)
    .bind(assessor)
    .fetch_all(tx.conn())
    .await?)
}

/// A learner a plan covers.
#[derive(Debug, Clone, FromRow)]
pub struct PlanLearner {
    /// The programme.
    pub enrolment_id: Uuid,
    /// The learner's name.
    pub learner_name: String,
    /// Its start date.
    pub start_date: NaiveDate,
    /// Its planned end date (as revised, if it was).
    pub end_date: NaiveDate,
    /// The organisation's day of the first interim sample of the assessor's decisions.
    pub interim_on: Option<NaiveDate>,
    /// And of the first summative one.
    pub summative_on: Option<NaiveDate>,
    /// Whether the viewer may see the programme, and it is not their own (its row is shown
    /// only then).
    pub visible: bool,
}

/// How often a unit, or a method, has been sampled.
#[derive(Debug, Clone, FromRow)]
pub struct Coverage {
    /// The unit's id (none for a method).
    pub unit_id: Option<Uuid>,
    /// The unit's code, or the method's name.
    pub key: String,
    /// The unit's title (empty for a method).
    pub title: String,
    /// Samples that looked at it.
    pub samples: i64,
}

/// What a plan covers: the learners (on the course, with the assessor, not withdrawn),
/// the units of the course any of them studies (mandatory ones, and optional ones chosen)
/// with the samples of each, and the samples by method.
#[derive(Debug, Clone)]
pub struct PlanReach {
    /// The learners, by name, each marked visible to the viewer or not.
    pub learners: Vec<PlanLearner>,
    /// The units, in course order.
    pub units: Vec<Coverage>,
    /// The samples by method (only methods sampled).
    pub methods: Vec<Coverage>,
}

/// The programmes a plan reaches: `$2` the course, `$3` the assessor.
const PLAN_REACH: &str = "select r.id from enrolments r
    where r.tenant_id = $1 and r.course_id = $2 and r.assessor_id = $3
      and r.status <> 'withdrawn'";

/// The learners, units and methods a plan reaches: the plan is the organisation's, so
/// what it asks for is worked out over all its learners; each learner says whether
/// `viewer` may see them.
pub async fn plan_reach(
    tx: &mut TenantTx,
    viewer: &Viewer,
    course_id: Uuid,
    assessor_id: Uuid,
) -> DbResult<PlanReach> {
    let tenant = tx.tenant();
    let learners = bind_visible!(
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select e.id as enrolment_id, l.name as learner_name, e.start_date,
             coalesce(e.revised_end_date, e.planned_end_date) as end_date,
             (select min((s.sampled_at at time zone tenant_tz(e.tenant_id))::date)
              from iqa_samples s
              where s.tenant_id = e.tenant_id and s.enrolment_id = e.id
                and s.assessor_id = $10 and s.stage = 'interim') as interim_on,
             (select min((s.sampled_at at time zone tenant_tz(e.tenant_id))::date)
              from iqa_samples s
              where s.tenant_id = e.tenant_id and s.enrolment_id = e.id
                and s.assessor_id = $10 and s.stage = 'summative') as summative_on,
             coalesce({VISIBLE}, false) and e.learner_id <> $2 as visible
         from enrolments e
         join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id
         where e.tenant_id = $1 and e.course_id = $9 and e.assessor_id = $10
           and e.status <> 'withdrawn'
         order by l.name, e.id"
        ))),
        tenant.0,
        viewer
    )
    .bind(course_id)
    .bind(assessor_id)
    .fetch_all(tx.conn())
    .await?;
    let units = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select n.id as unit_id, n.code as key, n.title,
             (select count(distinct x.sample_id)
              from iqa_sample_criteria x
              join criteria c on c.tenant_id = x.tenant_id and c.id = x.criterion_id
              join iqa_samples s on s.tenant_id = x.tenant_id and s.id = x.sample_id
              where x.tenant_id = n.tenant_id and c.unit_id = n.id and s.assessor_id = $3
                and s.enrolment_id in ({PLAN_REACH})) as samples
         from units n
         join components p on p.tenant_id = n.tenant_id and p.id = n.component_id
         where n.tenant_id = $1 and p.course_id = $2
           and exists (select 1 from criteria c where c.tenant_id = n.tenant_id and c.unit_id = n.id)
           and (not n.optional or exists (
               select 1 from enrolment_optional_units o
               where o.tenant_id = n.tenant_id and o.unit_id = n.id
                 and o.enrolment_id in ({PLAN_REACH})))
         order by p.position, n.position, n.id"
    )))
    .bind(tenant.0)
    .bind(course_id)
    .bind(assessor_id)
    .fetch_all(tx.conn())
    .await?;
    let methods = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select null::uuid as unit_id, s.method as key, '' as title, count(*) as samples
         from iqa_samples s
         where s.tenant_id = $1 and s.assessor_id = $3 and s.method is not null
           and s.enrolment_id in ({PLAN_REACH})
         group by s.method
         order by s.method"
    )))
    .bind(tenant.0)
    .bind(course_id)
    .bind(assessor_id)
    .fetch_all(tx.conn())
    .await?;
    Ok(PlanReach {
        learners,
        units,
        methods,
    })
}

/// Evidence or a session offered for sampling.
#[derive(Debug, Clone, FromRow)]
pub struct Samplable {
    /// Its id.
    pub id: Uuid,
    /// Evidence: its title; a session: its type.
    pub label: String,
    /// Evidence: its current version; a session: none.
    pub version: Option<i32>,
    /// Evidence: when it was uploaded; a session: when it started.
    pub at: DateTime<Utc>,
    /// A session's outcome.
    pub outcome: Option<String>,
}

/// The enrolment's evidence, newest first, at its current versions.
pub async fn samplable_evidence(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<Vec<Samplable>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select e.id, e.title as label, v.version, v.uploaded_at as at, null::text as outcome
         from evidence e
         join lateral (
             select x.version, x.uploaded_at from evidence_versions x
             where x.tenant_id = e.tenant_id and x.evidence_id = e.id
             order by x.version desc limit 1
         ) v on true
         where e.tenant_id = $1 and e.enrolment_id = $2
         order by e.created_at desc, e.id",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}

/// The enrolment's sessions with an outcome recorded, newest first.
pub async fn samplable_sessions(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<Vec<Samplable>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select l.id, l.session_type as label, null::int as version, l.starts_at as at, l.outcome
         from learning_sessions l
         where l.tenant_id = $1 and l.enrolment_id = $2 and l.outcome is not null
         order by l.starts_at desc, l.id",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Something to choose in a form: its id and its name.
#[derive(Debug, Clone, FromRow)]
pub struct Choice {
    /// Its id.
    pub id: Uuid,
    /// Its name or title.
    pub name: String,
}

/// The courses, by title, and the active assessors, by name: what a plan is made for.
pub async fn plan_choices(tx: &mut TenantTx) -> DbResult<(Vec<Choice>, Vec<Choice>)> {
    let tenant = tx.tenant();
    let courses = sqlx::query_as(
        "select c.id, c.title as name from courses c where c.tenant_id = $1 order by c.title, c.id",
    )
    .bind(tenant.0)
    .fetch_all(tx.conn())
    .await?;
    let assessors = sqlx::query_as(
        "select u.id, u.name from users u
         where u.tenant_id = $1 and u.status = 'active'
           and exists (select 1 from user_roles r
                       where r.tenant_id = u.tenant_id and r.user_id = u.id and r.role = 'assessor')
         order by u.name, u.id",
    )
    .bind(tenant.0)
    .fetch_all(tx.conn())
    .await?;
    Ok((courses, assessors))
}

/// A row of the sampling record: a sample with its learner and course.
#[derive(Debug, Clone, FromRow)]
pub struct RecordRow {
    /// The sample.
    #[sqlx(flatten)]
    pub sample: Sample,
    /// The learner.
    pub learner_name: String,
    /// The learner's unique learner number.
    pub uln: Option<String>,
    /// The course.
    pub course_title: String,
    /// The organisation's day it was taken.
    pub sampled_on: NaiveDate,
}

/// Which samples the record holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordFilter {
    /// Taken on or after this day (the organisation's).
    pub from: Option<NaiveDate>,
    /// Taken on or before this day.
    pub to: Option<NaiveDate>,
    /// Of this assessor's decisions.
    pub assessor_id: Option<Uuid>,
    /// On this course.
    pub course_id: Option<Uuid>,
}

/// Which samples the record holds, on `s` (a sample) and `e` (its enrolment): those of
/// programmes the viewer sees (`$1`–`$8`), not their own, in the days `$9`–`$10`, of the
/// assessor `$11`, on the course `$12`.
const RECORD_WHERE: &str = "e.tenant_id = $1 and e.learner_id <> $2
       and ($9::date is null or (s.sampled_at at time zone tenant_tz(e.tenant_id))::date >= $9)
       and ($10::date is null or (s.sampled_at at time zone tenant_tz(e.tenant_id))::date <= $10)
       and ($11::uuid is null or s.assessor_id = $11)
       and ($12::uuid is null or e.course_id = $12)";

/// How many samples the record of `viewer` and `filter` holds.
pub async fn record_size(
    tx: &mut TenantTx,
    viewer: &Viewer,
    filter: &RecordFilter,
) -> DbResult<i64> {
    let tenant = tx.tenant();
    Ok(bind_visible!(
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from iqa_samples s
         join enrolments e on e.tenant_id = s.tenant_id and e.id = s.enrolment_id
         where s.tenant_id = $1 and {VISIBLE} and {RECORD_WHERE}"
        ))),
        tenant.0,
        viewer
    )
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.assessor_id)
    .bind(filter.course_id)
    .fetch_one(tx.conn())
    .await?)
}

/// The samples of the programmes `viewer` may see, other than their own as a learner,
/// oldest first.
pub async fn record(
    tx: &mut TenantTx,
    viewer: &Viewer,
    filter: &RecordFilter,
) -> DbResult<Vec<RecordRow>> {
    let tenant = tx.tenant();
    Ok(bind_visible!(
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select s.*, l.name as learner_name, e.uln, c.title as course_title,
             (s.sampled_at at time zone tenant_tz(e.tenant_id))::date as sampled_on
         from ({SELECT} where s.tenant_id = $1) s
         join enrolments e on e.tenant_id = $1 and e.id = s.enrolment_id
         join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id
         join courses c on c.tenant_id = e.tenant_id and c.id = e.course_id
         where {VISIBLE} and {RECORD_WHERE}
         order by s.sampled_at, s.id"
        ))),
        tenant.0,
        viewer
    )
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.assessor_id)
    .bind(filter.course_id)
    .fetch_all(tx.conn())
    .await?)
}
