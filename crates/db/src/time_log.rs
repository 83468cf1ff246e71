//! Time-log entries: a learner's record of learning, and the figures read from it.
//!
//! Who may see or change an entry is decided by its enrolment, through
//! [`crate::enrolments::get_visible`]; nothing here checks it.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::pagination::Page;
use crate::users::found;
use crate::{DbResult, TenantTx};

/// One entry.
#[derive(Debug, Clone, FromRow)]
pub struct TimeLogEntry {
    /// Its id.
    pub id: Uuid,
    /// The enrolment it belongs to.
    pub enrolment_id: Uuid,
    /// The day it is for.
    pub entry_date: NaiveDate,
    /// Activity type name.
    pub activity_type: String,
    /// The course it was against, if named.
    pub course_id: Option<Uuid>,
    /// The component, if named.
    pub component_id: Option<Uuid>,
    /// The unit, if named.
    pub unit_id: Option<Uuid>,
    /// With the assessor.
    pub with_assessor: bool,
    /// Off the job.
    pub off_the_job: bool,
    /// Why staff recorded it on or off the job against its activity type, if they did.
    pub off_the_job_reason: Option<String>,
    /// Duration in minutes.
    pub minutes: i32,
    /// The learner's reflection.
    pub reflection: Option<String>,
    /// `learner`, `staff` or `session`.
    pub source: String,
    /// The session that wrote it, for `session` entries.
    pub session_id: Option<Uuid>,
    /// Who wrote it.
    pub created_by: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, enrolment_id, entry_date, activity_type, course_id, component_id,
    unit_id, with_assessor, off_the_job, off_the_job_reason, minutes, reflection, source,
    session_id, created_by, created_at, updated_at";

/// The fields a person writes (on create and on replace).
#[derive(Debug, Clone)]
pub struct EntryFields {
    /// The day.
    pub entry_date: NaiveDate,
    /// Activity type name.
    pub activity_type: String,
    /// Course.
    pub course_id: Option<Uuid>,
    /// Component.
    pub component_id: Option<Uuid>,
    /// Unit.
    pub unit_id: Option<Uuid>,
    /// With the assessor.
    pub with_assessor: bool,
    /// Off the job.
    pub off_the_job: bool,
    /// Why staff recorded it on or off the job against its activity type, if they did.
    pub off_the_job_reason: Option<String>,
    /// Minutes.
    pub minutes: i32,
    /// Reflection.
    pub reflection: Option<String>,
}

/// Adds an entry written through the API (`source` is `learner` or `staff`).
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    enrolment_id: Uuid,
    fields: &EntryFields,
    source: &str,
    created_by: Uuid,
) -> DbResult<TimeLogEntry> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into time_log_entries (tenant_id, id, enrolment_id, entry_date, activity_type,
            course_id, component_id, unit_id, with_assessor, off_the_job, minutes, reflection,
            source, created_by, off_the_job_reason)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(enrolment_id)
    .bind(fields.entry_date)
    .bind(&fields.activity_type)
    .bind(fields.course_id)
    .bind(fields.component_id)
    .bind(fields.unit_id)
    .bind(fields.with_assessor)
    .bind(fields.off_the_job)
    .bind(fields.minutes)
    .bind(&fields.reflection)
    .bind(source)
    .bind(created_by)
    .bind(&fields.off_the_job_reason)
    .fetch_one(tx.conn())
    .await?)
}

/// One entry by id; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<TimeLogEntry> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from time_log_entries where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// Replaces an entry's fields.
pub async fn update(tx: &mut TenantTx, id: Uuid, fields: &EntryFields) -> DbResult<TimeLogEntry> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update time_log_entries set entry_date = $3, activity_type = $4, course_id = $5,
            component_id = $6, unit_id = $7, with_assessor = $8, off_the_job = $9, minutes = $10,
            reflection = $11, off_the_job_reason = $12, updated_at = now()
         where tenant_id = $1 and id = $2
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(fields.entry_date)
    .bind(&fields.activity_type)
    .bind(fields.course_id)
    .bind(fields.component_id)
    .bind(fields.unit_id)
    .bind(fields.with_assessor)
    .bind(fields.off_the_job)
    .bind(fields.minutes)
    .bind(&fields.reflection)
    .bind(&fields.off_the_job_reason)
    .fetch_one(tx.conn())
    .await?)
}

/// Removes an entry into the trash (migration 0042), where [`restore`] finds it for a
/// day; an entry deleted again after a restore replaces its earlier copy there.
pub async fn delete(tx: &mut TenantTx, id: Uuid, by: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "with gone as (delete from time_log_entries where tenant_id = $1 and id = $2 returning *)
         insert into time_log_trash (tenant_id, id, enrolment_id, entry, deleted_by)
         select tenant_id, id, enrolment_id, to_jsonb(gone), $3 from gone
         on conflict (tenant_id, id) do update
            set entry = excluded.entry, deleted_by = excluded.deleted_by, deleted_at = now()",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(by)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// How long a deleted entry can be brought back.
pub const UNDO_HOURS: i32 = 24;

/// A deleted entry in the trash.
#[derive(Debug, Clone, FromRow)]
pub struct DeletedEntry {
    /// The entry as it was.
    #[sqlx(flatten)]
    pub entry: TimeLogEntry,
    /// Who deleted it.
    pub deleted_by: Uuid,
}

/// A deleted entry that can still be brought back, as it was
/// ([`crate::DbError::NotFound`] if there is none, or it was deleted too long ago).
pub async fn deleted(tx: &mut TenantTx, id: Uuid) -> DbResult<DeletedEntry> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select e.*, t.deleted_by from time_log_trash t
         cross join lateral jsonb_populate_record(null::time_log_entries, t.entry) e
         where t.tenant_id = $1 and t.id = $2 and t.deleted_at > now() - interval '1 hour' * $3",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(UNDO_HOURS)
    .fetch_one(tx.conn())
    .await?)
}

/// Empties the trash of entries deleted longer ago than can be undone; how many.
pub async fn purge_trash(tx: &mut TenantTx) -> DbResult<u64> {
    let tenant = tx.tenant();
    Ok(sqlx::query(
        "delete from time_log_trash
         where tenant_id = $1 and deleted_at <= now() - interval '1 hour' * $2",
    )
    .bind(tenant.0)
    .bind(UNDO_HOURS)
    .execute(tx.conn())
    .await?
    .rows_affected())
}

/// Moves a deleted entry back into the time log, unchanged. The row is rebuilt from its
/// JSON with `jsonb_populate_record`: a column added to `time_log_entries` later must
/// allow NULL (or be filled here) for entries deleted before it existed.
pub async fn restore(tx: &mut TenantTx, id: Uuid) -> DbResult<TimeLogEntry> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "with back as (delete from time_log_trash where tenant_id = $1 and id = $2
                       returning entry)
         insert into time_log_entries
         select e.* from back
         cross join lateral jsonb_populate_record(null::time_log_entries, back.entry) e
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// Minutes already logged for an enrolment on a day, leaving out `except` (the entry being
/// replaced). Read under the enrolment's row lock, so two entries for one day cannot both
/// pass the 24-hour check.
pub async fn minutes_on_day(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    day: NaiveDate,
    except: Option<Uuid>,
) -> DbResult<i64> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select coalesce(sum(minutes), 0)::bigint from time_log_entries
         where tenant_id = $1 and enrolment_id = $2 and entry_date = $3
           and ($4::uuid is null or id <> $4)",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(day)
    .bind(except)
    .fetch_one(tx.conn())
    .await?)
}

/// Which of a named component and unit are not part of `course_id` (and, with both named,
/// whether the unit is in that component): `(component_ok, unit_ok)`. An absent id is ok.
pub async fn parts_of_course(
    tx: &mut TenantTx,
    course_id: Uuid,
    component_id: Option<Uuid>,
    unit_id: Option<Uuid>,
) -> DbResult<(bool, bool)> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select
            ($3::uuid is null or exists (select 1 from components c
                where c.tenant_id = $1 and c.id = $3 and c.course_id = $2)),
            ($4::uuid is null or exists (select 1 from units u
                join components c on c.tenant_id = u.tenant_id and c.id = u.component_id
                where u.tenant_id = $1 and u.id = $4 and c.course_id = $2
                  and ($3::uuid is null or u.component_id = $3)))",
    )
    .bind(tenant.0)
    .bind(course_id)
    .bind(component_id)
    .bind(unit_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Filters for listing an enrolment's entries.
#[derive(Debug, Default)]
pub struct EntryFilter {
    /// Only entries against this course.
    pub course_id: Option<Uuid>,
    /// Only entries off (true) or on (false) the job.
    pub off_the_job: Option<bool>,
    /// From this day on.
    pub from: Option<NaiveDate>,
    /// Up to and including this day.
    pub to: Option<NaiveDate>,
}

/// A page of an enrolment's entries, newest day first (then newest entry first), after
/// the (date, id) position `before`.
pub async fn list(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    filter: &EntryFilter,
    before: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> DbResult<Page<TimeLogEntry>> {
    let tenant = tx.tenant();
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from time_log_entries
         where tenant_id = $1 and enrolment_id = $2
           and ($3::uuid is null or course_id = $3)
           and ($4::boolean is null or off_the_job = $4)
           and ($5::date is null or entry_date >= $5)
           and ($6::date is null or entry_date <= $6)
           and ($7::date is null or (entry_date, id) < ($7, $8))
         order by entry_date desc, id desc
         limit $9"
    )))
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(filter.course_id)
    .bind(filter.off_the_job)
    .bind(filter.from)
    .bind(filter.to)
    .bind(before.map(|b| b.0))
    .bind(before.map(|b| b.1))
    .bind(limit + 1)
    .fetch_all(tx.conn())
    .await?;
    Ok(Page::from_overfetch(rows, limit))
}

/// One day's totals.
#[derive(Debug, Clone, FromRow)]
pub struct DayTotal {
    /// The day.
    pub day: NaiveDate,
    /// Minutes logged.
    pub minutes: i64,
    /// Of those, off the job.
    pub off_the_job_minutes: i64,
    /// Entries that day.
    pub entries: i64,
}

/// Every day from `first` to `last` with its totals (zero on days without entries), in
/// one query.
pub async fn daily_totals(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    first: NaiveDate,
    last: NaiveDate,
) -> DbResult<Vec<DayTotal>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select d.day::date as day,
                coalesce(sum(t.minutes), 0)::bigint as minutes,
                coalesce(sum(t.minutes) filter (where t.off_the_job), 0)::bigint as off_the_job_minutes,
                count(t.id) as entries
         from generate_series($3::date, $4::date, interval '1 day') as d(day)
         left join time_log_entries t
           on t.tenant_id = $1 and t.enrolment_id = $2 and t.entry_date = d.day::date
         group by d.day
         order by d.day",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(first)
    .bind(last)
    .fetch_all(tx.conn())
    .await?)
}

/// An entry as the off-the-job figures read it.
#[derive(Debug, Clone, FromRow)]
pub struct LoggedTimeRow {
    /// Its id.
    pub id: Uuid,
    /// The day.
    pub entry_date: NaiveDate,
    /// Activity type name.
    pub activity_type: String,
    /// Off the job.
    pub off_the_job: bool,
    /// Logged against an English or maths component.
    pub english_maths: bool,
    /// Minutes.
    pub minutes: i32,
}

/// Every entry of an enrolment, oldest first, with what the off-the-job rules need: the
/// figures name the entries they sum, so the rows themselves are wanted, not a total.
pub async fn logged_time(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<Vec<LoggedTimeRow>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select t.id, t.entry_date, t.activity_type, t.off_the_job,
                coalesce(p.english_maths, false) as english_maths, t.minutes
         from time_log_entries t
         -- English or maths by the entry's component, or its unit's.
         left join units eu on eu.tenant_id = t.tenant_id and eu.id = t.unit_id
         left join components p on p.tenant_id = t.tenant_id
              and p.id = coalesce(t.component_id, eu.component_id)
         where t.tenant_id = $1 and t.enrolment_id = $2
         order by t.entry_date, t.id",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}

/// What a course's off-the-job minimum comes from: its apprenticeship standard, and its
/// own minimum setting for a course that names none.
#[derive(Debug, Clone, FromRow)]
pub struct CourseOtjBasis {
    /// The course's code, for the words.
    pub code: String,
    /// Its standard's reference, if set.
    pub standard_code: Option<String>,
    /// Its standard's version, if set.
    pub standard_version: Option<String>,
    /// Its own minimum setting, in whole hours, if set.
    pub off_the_job_minimum_hours: Option<i32>,
}

/// A course's standard and its own off-the-job minimum setting.
pub async fn course_otj_basis(tx: &mut TenantTx, course_id: Uuid) -> DbResult<CourseOtjBasis> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select code, standard_code, standard_version, off_the_job_minimum_hours
         from courses where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(course_id)
    .fetch_one(tx.conn())
    .await?)
}

/// An entry as the spreadsheet shows it: with the names of what it points at.
#[derive(Debug, Clone, FromRow)]
pub struct ExportRow {
    /// The day.
    pub entry_date: NaiveDate,
    /// Activity type name.
    pub activity_type: String,
    /// The course's code and title, if named.
    pub course: Option<String>,
    /// The component's title, if named.
    pub component: Option<String>,
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
    /// `learner`, `staff` or `session`.
    pub source: String,
    /// The name of who wrote it.
    pub created_by_name: String,
}

/// Every entry of an enrolment matching `filter`, in the list's order (newest day first),
/// with names instead of ids.
pub async fn export_rows(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    filter: &EntryFilter,
) -> DbResult<Vec<ExportRow>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select t.entry_date, t.activity_type,
                c.code || ' ' || c.title as course,
                k.title as component,
                u.code || ' ' || u.title as unit,
                t.with_assessor, t.off_the_job, t.minutes, t.reflection, t.source,
                w.name as created_by_name
         from time_log_entries t
         left join courses c on c.tenant_id = t.tenant_id and c.id = t.course_id
         left join components k on k.tenant_id = t.tenant_id and k.id = t.component_id
         left join units u on u.tenant_id = t.tenant_id and u.id = t.unit_id
         join users w on w.tenant_id = t.tenant_id and w.id = t.created_by
         where t.tenant_id = $1 and t.enrolment_id = $2
           and ($3::uuid is null or t.course_id = $3)
           and ($4::boolean is null or t.off_the_job = $4)
           and ($5::date is null or t.entry_date >= $5)
           and ($6::date is null or t.entry_date <= $6)
         order by t.entry_date desc, t.id desc",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(filter.course_id)
    .bind(filter.off_the_job)
    .bind(filter.from)
    .bind(filter.to)
    .fetch_all(tx.conn())
    .await?)
}
