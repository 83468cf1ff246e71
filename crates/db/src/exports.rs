//! Exports made by the workers (see `migrations/0016_exports.sql`): the record of each
//! file and its progress, and the row streams the files are written from. Rows come from a
//! database cursor, a few at a time, so a file of a million rows never sits in memory.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

const COLUMNS: &str = "id, run_id, kind, requested_by, scope, assessor_id, enrolment_id,
     incomplete_only, status,
     rows_done, rows_total, storage_key, file_name, content_type, size_bytes, error,
     created_at, started_at, finished_at, expires_at";

/// An export.
#[derive(Debug, Clone, FromRow)]
pub struct Export {
    /// Id.
    pub id: Uuid,
    /// Its job run.
    pub run_id: Uuid,
    /// `compliance_workbook`, `time_log` or `progress_map`.
    pub kind: String,
    /// Who asked for it: the only person who may download it.
    pub requested_by: Uuid,
    /// `tenant`, `caseload` or `enrolment`.
    pub scope: String,
    /// The caseload's assessor.
    pub assessor_id: Option<Uuid>,
    /// The enrolment.
    pub enrolment_id: Option<Uuid>,
    /// A progress map of the criteria not yet signed off only.
    pub incomplete_only: bool,
    /// `queued`, `running`, `ready`, `failed` or `expired`.
    pub status: String,
    /// Rows written so far.
    pub rows_done: i64,
    /// Rows to write, once counted.
    pub rows_total: Option<i64>,
    /// Where the file is, when ready.
    pub storage_key: Option<String>,
    /// The download's file name.
    pub file_name: Option<String>,
    /// The file's type.
    pub content_type: Option<String>,
    /// The file's size.
    pub size_bytes: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Asked for.
    pub created_at: DateTime<Utc>,
    /// Started.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// When the file is deleted.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new export's request.
#[derive(Debug, Clone)]
pub struct NewExport<'a> {
    /// Id.
    pub id: Uuid,
    /// Its job run (already recorded).
    pub run_id: Uuid,
    /// The kind.
    pub kind: &'a str,
    /// The person asking.
    pub requested_by: Uuid,
    /// The scope.
    pub scope: &'a str,
    /// The caseload's assessor.
    pub assessor_id: Option<Uuid>,
    /// The enrolment.
    pub enrolment_id: Option<Uuid>,
    /// A progress map of the criteria not yet signed off only.
    pub incomplete_only: bool,
}

/// Records an export.
pub async fn insert(tx: &mut TenantTx, e: &NewExport<'_>) -> DbResult<Export> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into exports (tenant_id, id, run_id, kind, requested_by, scope, assessor_id,
                              enrolment_id, incomplete_only)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(e.id)
    .bind(e.run_id)
    .bind(e.kind)
    .bind(e.requested_by)
    .bind(e.scope)
    .bind(e.assessor_id)
    .bind(e.enrolment_id)
    .bind(e.incomplete_only)
    .fetch_one(tx.conn())
    .await?)
}

/// One export.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<Option<Export>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from exports where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// The export a job run makes.
pub async fn for_run(tx: &mut TenantTx, run_id: Uuid) -> DbResult<Option<Export>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from exports where tenant_id = $1 and run_id = $2"
    )))
    .bind(tenant.0)
    .bind(run_id)
    .fetch_optional(tx.conn())
    .await?)
}

/// A person's exports, newest first.
pub async fn list_for(tx: &mut TenantTx, user_id: Uuid, limit: i64) -> DbResult<Vec<Export>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from exports where tenant_id = $1 and requested_by = $2
         order by created_at desc, id desc limit $3"
    )))
    .bind(tenant.0)
    .bind(user_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Starts (or restarts, after a crash) writing: `running`, progress from zero.
pub async fn start(tx: &mut TenantTx, id: Uuid, rows_total: Option<i64>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update exports set status = 'running', started_at = now(), rows_done = 0,
                rows_total = $3, error = null
         where tenant_id = $1 and id = $2 and status not in ('ready', 'expired')",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(rows_total)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records progress.
pub async fn progress(tx: &mut TenantTx, id: Uuid, rows_done: i64) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("update exports set rows_done = $3 where tenant_id = $1 and id = $2")
        .bind(tenant.0)
        .bind(id)
        .bind(rows_done)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The finished file.
#[derive(Debug, Clone)]
pub struct ReadyFile<'a> {
    /// Where it is stored.
    pub storage_key: &'a str,
    /// Its download name.
    pub file_name: &'a str,
    /// Its type.
    pub content_type: &'a str,
    /// Its size.
    pub size_bytes: i64,
    /// Rows written.
    pub rows: i64,
    /// When it is deleted.
    pub expires_at: DateTime<Utc>,
}

/// Marks an export ready to download.
pub async fn ready(tx: &mut TenantTx, id: Uuid, file: &ReadyFile<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update exports set status = 'ready', storage_key = $3, file_name = $4, content_type = $5,
                size_bytes = $6, rows_done = $7, rows_total = $7, finished_at = now(),
                expires_at = $8
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(file.storage_key)
    .bind(file.file_name)
    .bind(file.content_type)
    .bind(file.size_bytes)
    .bind(file.rows)
    .bind(file.expires_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks an export failed (its run is retried by the queue, which restarts it).
pub async fn failed(tx: &mut TenantTx, id: Uuid, error: &str) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update exports set status = 'failed', error = $3, finished_at = now()
         where tenant_id = $1 and id = $2 and status <> 'ready'",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(error.chars().take(2000).collect::<String>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Takes the ready exports past their expiry, marked `expired` and their keys returned for
/// the caller to delete the files after committing.
pub async fn expire(tx: &mut TenantTx, now: DateTime<Utc>) -> DbResult<Vec<String>> {
    let tenant = tx.tenant();
    let keys: Vec<Option<String>> = sqlx::query_scalar(
        "with x as (
             select id, storage_key from exports
             where tenant_id = $1 and status = 'ready' and expires_at <= $2
             for update skip locked)
         update exports e set status = 'expired', storage_key = null
         from x where e.tenant_id = $1 and e.id = x.id
         returning x.storage_key",
    )
    .bind(tenant.0)
    .bind(now)
    .fetch_all(tx.conn())
    .await?;
    Ok(keys.into_iter().flatten().collect())
}

/// Which enrolments a time-log or compliance export covers.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// The whole organisation.
    Tenant,
    /// One assessor's caseload.
    Caseload(Uuid),
}

impl Scope {
    fn assessor(self) -> Option<Uuid> {
        match self {
            Scope::Tenant => None,
            Scope::Caseload(id) => Some(id),
        }
    }
}

/// One time-log entry of a tenant-wide or caseload time log.
#[derive(Debug, Clone, FromRow)]
pub struct TimeLogRow {
    /// The learner.
    pub learner_name: String,
    /// Their enrolment's course (code and title).
    pub enrolment_course: String,
    /// The day.
    pub entry_date: NaiveDate,
    /// Activity type name.
    pub activity_type: String,
    /// The unit's reference and title, if named.
    pub unit: Option<String>,
    /// With the assessor.
    pub with_assessor: bool,
    /// Off the job.
    pub off_the_job: bool,
    /// Minutes.
    pub minutes: i32,
    /// Reflection.
    pub reflection: Option<String>,
}

const TIME_LOG_FROM: &str = "from time_log_entries t
     join enrolments e on e.tenant_id = t.tenant_id and e.id = t.enrolment_id
     join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id
     join courses c on c.tenant_id = e.tenant_id and c.id = e.course_id
     left join units u on u.tenant_id = t.tenant_id and u.id = t.unit_id
     where t.tenant_id = $1 and ($2::uuid is null or e.assessor_id = $2)";

/// How many entries [`time_log_rows`] will give.
pub async fn count_time_log(tx: &mut TenantTx, scope: Scope) -> DbResult<i64> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select count(*) {TIME_LOG_FROM}"
    )))
    .bind(tenant.0)
    .bind(scope.assessor())
    .fetch_one(tx.conn())
    .await?)
}

/// The query behind [`time_log_rows`] (`$1` the tenant, `$2` the caseload's assessor or
/// null); public so the benchmark can time `COPY` of exactly these rows.
pub fn time_log_query() -> String {
    format!(
        "select l.name as learner_name, c.code || ' ' || c.title as enrolment_course,
                t.entry_date, t.activity_type, u.code || ' ' || u.title as unit,
                t.with_assessor, t.off_the_job, t.minutes, t.reflection
         {TIME_LOG_FROM}
         order by l.name, e.id, t.entry_date, t.id"
    )
}

/// Every time-log entry in scope, by learner then day, from a cursor.
pub fn time_log_rows(tx: &mut TenantTx, scope: Scope) -> BoxStream<'_, DbResult<TimeLogRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(sqlx::AssertSqlSafe(time_log_query()))
        .bind(tenant.0)
        .bind(scope.assessor())
        .fetch(tx.conn())
        .map_err(Into::into)
        .boxed()
}

/// One enrolment as the compliance workbook lists it.
#[derive(Debug, Clone, FromRow)]
pub struct ComplianceRow {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// The learner.
    pub learner_name: String,
    /// Course code and title.
    pub course: String,
    /// The assessor.
    pub assessor_name: Option<String>,
    /// Status.
    pub status: String,
    /// Start.
    pub start_date: NaiveDate,
    /// The start of learning (the attended induction).
    pub learning_started_on: Option<NaiveDate>,
    /// Planned end (fixed at start).
    pub planned_end_date: NaiveDate,
    /// Actual end: completion (gateway) or withdrawal.
    pub actual_end_date: Option<NaiveDate>,
    /// The completion date (gateway), if completed.
    pub completed_on: Option<NaiveDate>,
    /// Withdrawal reason.
    pub withdrawal_reason: Option<String>,
    /// Planned off-the-job hours.
    pub planned_otj_hours: rust_decimal::Decimal,
    /// Contracted hours a week.
    pub contracted_hours_per_week: rust_decimal::Decimal,
    /// The night's figures, if computed.
    pub track_status: Option<String>,
    /// Mapped %.
    pub mapped_percent: Option<f64>,
    /// Signed-off %.
    pub signed_off_percent: Option<f64>,
    /// Time elapsed %.
    pub elapsed_percent: Option<f64>,
    /// Projected completion.
    pub projected_completion: Option<NaiveDate>,
    /// The last attended review.
    pub last_review: Option<NaiveDate>,
    /// The enrolment's off-the-job time, summed by activity type, by whether it was
    /// logged against an English or maths component and by whether it was logged after the
    /// gateway (completion): `[{"activity": …, "english_maths": …, "after_gateway": …,
    /// "minutes": …}]`. Which of it counts is the domain's rule, applied by the caller.
    pub otj_groups: serde_json::Value,
    /// The course's off-the-job minimum setting, in whole hours.
    pub course_minimum_hours: Option<i32>,
    /// The course's code.
    pub course_code: String,
    /// The course's apprenticeship standard, if set.
    pub standard_code: Option<String>,
    /// Its version, if set.
    pub standard_version: Option<String>,
    /// Off-the-job hours recognised prior learning took off the minimum.
    pub rpl_otj_hours: rust_decimal::Decimal,
    /// The learner's unique learner number.
    pub uln: Option<String>,
    /// The provider's learner reference number.
    pub learner_ref: Option<String>,
    /// The ILR withdrawal reason code of a withdrawn learner.
    pub withdrawal_reason_code: Option<i16>,
    /// The employer organisation's name.
    pub employer_name: Option<String>,
    /// The expected return agreed for the latest break, if any.
    pub latest_break_expected_return: Option<NaiveDate>,
    /// The review frequency agreed with the employer, in weeks, if recorded.
    pub agreed_review_weeks: Option<i16>,
    /// First days of the enrolment's breaks in learning, oldest first.
    pub break_starts: Vec<NaiveDate>,
    /// Their first days back (none while a break lasts).
    pub break_ends: Vec<Option<NaiveDate>>,
}

/// How many enrolments [`compliance_rows`] will give.
pub async fn count_enrolments(tx: &mut TenantTx, scope: Scope) -> DbResult<i64> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select count(*) from enrolments e
         where e.tenant_id = $1 and ($2::uuid is null or e.assessor_id = $2)",
    )
    .bind(tenant.0)
    .bind(scope.assessor())
    .fetch_one(tx.conn())
    .await?)
}

/// Every enrolment in scope with its figures, by learner, from a cursor: one statement for
/// the whole scope, never a query per enrolment.
pub fn compliance_rows(tx: &mut TenantTx, scope: Scope) -> BoxStream<'_, DbResult<ComplianceRow>> {
    let tenant = tx.tenant();
    sqlx::query_as(
        "select e.id as enrolment_id, l.name as learner_name,
                c.code || ' ' || c.title as course, a.name as assessor_name, e.status,
                e.start_date, e.learning_started_on, e.planned_end_date,
                coalesce(e.completed_on, e.withdrawn_on) as actual_end_date, e.completed_on,
                e.withdrawal_reason, e.planned_otj_hours, e.contracted_hours_per_week,
                k.track_status, k.mapped_percent, k.signed_off_percent, k.elapsed_percent,
                k.projected_completion,
                (select max((s.starts_at at time zone tenant_tz($1))::date) from learning_sessions s
                 where s.tenant_id = e.tenant_id and s.enrolment_id = e.id
                   and s.session_type = 'review' and s.outcome = 'attended') as last_review,
                coalesce((select jsonb_agg(jsonb_build_object(
                                     'activity', g.activity_type, 'english_maths', g.english_maths,
                                     'after_gateway', g.after, 'minutes', g.minutes))
                          from (select t.activity_type,
                                       coalesce(p.english_maths, false) as english_maths,
                                       t.entry_date > coalesce(e.completed_on, 'infinity'::date) as after,
                                       sum(t.minutes) as minutes
                                from time_log_entries t
                                -- English or maths by the entry's component, or its unit's.
                                left join units eu on eu.tenant_id = t.tenant_id and eu.id = t.unit_id
                                left join components p on p.tenant_id = t.tenant_id
                                     and p.id = coalesce(t.component_id, eu.component_id)
                                where t.tenant_id = e.tenant_id and t.enrolment_id = e.id
                                  and t.off_the_job
                                group by 1, 2, 3) g), '[]'::jsonb) as otj_groups,
                c.off_the_job_minimum_hours as course_minimum_hours, e.agreed_review_weeks,
                c.code as course_code, c.standard_code, c.standard_version, e.rpl_otj_hours,
                e.uln, e.learner_ref, e.withdrawal_reason_code,
                (select m.name from employers m
                 where m.tenant_id = e.tenant_id and m.id = e.employer_id) as employer_name,
                (select b.expected_return_on from enrolment_breaks b
                 where b.tenant_id = e.tenant_id and b.enrolment_id = e.id
                 order by b.started_on desc, b.id desc limit 1) as latest_break_expected_return,
                array(select b.started_on from enrolment_breaks b
                      where b.tenant_id = e.tenant_id and b.enrolment_id = e.id
                      order by b.started_on, b.id) as break_starts,
                array(select b.ended_on from enrolment_breaks b
                      where b.tenant_id = e.tenant_id and b.enrolment_id = e.id
                      order by b.started_on, b.id) as break_ends
         from enrolments e
         join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id
         join courses c on c.tenant_id = e.tenant_id and c.id = e.course_id
         left join users a on a.tenant_id = e.tenant_id and a.id = e.assessor_id
         left join enrolment_tracks k on k.tenant_id = e.tenant_id and k.enrolment_id = e.id
         where e.tenant_id = $1 and ($2::uuid is null or e.assessor_id = $2)
         order by l.name, e.start_date, e.id",
    )
    .bind(tenant.0)
    .bind(scope.assessor())
    .fetch(tx.conn())
    .map_err(Into::into)
    .boxed()
}
