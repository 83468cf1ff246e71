//! The nightly off-track recalculation's storage: every enrolment's latest progress figures
//! (`enrolment_tracks`) and one row of them per enrolment per day
//! (`enrolment_track_history`) for the trend.
//!
//! [`recalculate`] counts criteria set-based (one query per batch of enrolments, never one
//! per enrolment), computes every figure with `folio_domain::progress` (the functions the
//! API's learner overview uses, so the nightly job and the API cannot disagree) and writes
//! the batch back with one upsert of arrays. (The benchmark's baseline, the same in one
//! hand-written SQL statement, lives in `folio-bench`.)

use chrono::{DateTime, NaiveDate, Utc};
use folio_domain::jobs::local_date;
use folio_domain::progress::{self, CriterionCounts, Timeline, TrackStatus, breaks_from};
use folio_domain::{EnrolmentStatus, TenantSettings, TrackRule};
use serde::Serialize;
use sqlx::{FromRow, Row as _};
use uuid::Uuid;

use crate::error::OtherDbError;
use crate::progress::LEARNERS_UNIT;
use crate::{DbError, DbResult, TenantTx};

/// Enrolments read, computed and written per round trip: large enough that a tenant of
/// tens of thousands of learners takes a handful of statements, small enough that the
/// arrays bound to one statement stay a few hundred kilobytes.
const BATCH: i64 = 5_000;

/// What one recalculation of a tenant did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecalcReport {
    /// Enrolments recalculated: every one of the tenant's.
    pub enrolments: u64,
    /// Of those, off track.
    pub off_track: u64,
    /// On track.
    pub on_track: u64,
    /// Ahead.
    pub ahead: u64,
    /// Withdrawn, completed, or without criteria.
    pub not_applicable: u64,
    /// Off track whose run began on this day: turned off track today (counted again when
    /// the same day is recalculated, so a retried job reports, and emails, the same).
    pub newly_off_track: u64,
}

/// One enrolment with its criteria counted by state: what the figures are computed from.
#[derive(Debug, FromRow)]
struct EnrolmentCounts {
    enrolment_id: Uuid,
    /// The day the stored figures are of, when refreshing them (see [`refresh_marked`]).
    figures_on: Option<NaiveDate>,
    start_date: NaiveDate,
    planned_end_date: NaiveDate,
    status: String,
    /// The completion date, else the withdrawal date: as the API's timeline takes it.
    ended_on: Option<NaiveDate>,
    criteria: i64,
    mapped: i64,
    signed_off: i64,
    last_signed_off_at: Option<DateTime<Utc>>,
    /// First days of its breaks in learning, oldest first.
    break_starts: Vec<NaiveDate>,
    /// Their first days back (none while a break lasts).
    break_ends: Vec<Option<NaiveDate>>,
}

/// Which enrolments a counting statement reads.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// Every enrolment of the tenant (the nightly run).
    Every,
    /// Those whose stored figures this transaction marked as changed (see
    /// [`refresh_marked`]), each with the day its figures are of.
    Marked,
}

/// Up to `$3` enrolments of the tenant in `scope` after id `$2` (keyset order), each with the same
/// counts as [`crate::progress::overall_counts`]: the learner's criteria, those mapped but
/// not signed off, those signed off, and the latest sign-off. Enrolments without criteria
/// come back with zeros.
///
/// The counts start from what the learners have done rather than from every criterion
/// they have: the criteria total is a sum of per-unit sizes over the learner's units (20
/// rows a learner, not 100), and the states come from the batch's sign-offs and mappings
/// (each read once, in index order), kept when their criterion is in one of the learner's
/// units. Expanding every learner's criteria and probing the sign-offs for each took twice
/// as long (`EXPLAIN ANALYZE` in BENCHMARKS.md).
async fn counts_batch(
    tx: &mut TenantTx,
    scope: Scope,
    after: Uuid,
    limit: i64,
) -> DbResult<Vec<EnrolmentCounts>> {
    let tenant = tx.tenant();
    let batch = match scope {
        Scope::Every => {
            "select e.tenant_id, e.id, e.course_id, e.start_date, e.planned_end_date, e.status,
                    coalesce(e.completed_on, e.withdrawn_on) as ended_on, null::date as figures_on
             from enrolments e
             where e.tenant_id = $1 and e.id > $2
             order by e.id
             limit $3"
        }
        Scope::Marked => {
            "select e.tenant_id, e.id, e.course_id, e.start_date, e.planned_end_date, e.status,
                    coalesce(e.completed_on, e.withdrawn_on) as ended_on, k.computed_on as figures_on
             from enrolment_tracks k
             join enrolments e on e.tenant_id = k.tenant_id and e.id = k.enrolment_id
             where k.tenant_id = $1 and k.figures_stale_in = pg_current_xact_id_if_assigned()
               and e.id > $2
             order by e.id
             limit $3"
        }
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "with batch as ({batch}),
         unit_sizes as (
             select cr.unit_id, count(*) as criteria
             from criteria cr
             where cr.tenant_id = $1
             group by cr.unit_id
         ),
         totals as (
             select e.id as enrolment_id, sum(us.criteria)::bigint as criteria
             from batch e
             join components c on c.tenant_id = e.tenant_id and c.course_id = e.course_id
             join units u on u.tenant_id = c.tenant_id and u.component_id = c.id and {LEARNERS_UNIT}
             join unit_sizes us on us.unit_id = u.id
             group by e.id
         ),
         -- Each criterion of the batch with evidence mapped or signed off, once, with its
         -- sign-off's time (null when only mapped).
         states as (
             select coalesce(s.enrolment_id, m.enrolment_id) as enrolment_id,
                    coalesce(s.criterion_id, m.criterion_id) as criterion_id,
                    s.signed_off_at
             from (select enrolment_id, criterion_id, signed_off_at
                   from criterion_sign_offs
                   where tenant_id = $1 and enrolment_id in (select id from batch)) s
             full join (select distinct enrolment_id, criterion_id
                        from criterion_mappings
                        where tenant_id = $1 and enrolment_id in (select id from batch)) m
                  on m.enrolment_id = s.enrolment_id and m.criterion_id = s.criterion_id
         ),
         counts as (
             select e.id as enrolment_id,
                    count(*) filter (where st.signed_off_at is null) as mapped,
                    count(st.signed_off_at) as signed_off,
                    max(st.signed_off_at) as last_signed_off_at
             from states st
             join batch e on e.id = st.enrolment_id
             join criteria cr on cr.tenant_id = e.tenant_id and cr.id = st.criterion_id
             join units u on u.tenant_id = e.tenant_id and u.id = cr.unit_id and {LEARNERS_UNIT}
             join components c on c.tenant_id = e.tenant_id and c.id = u.component_id
                  and c.course_id = e.course_id
             group by e.id
         )
         select b.id as enrolment_id, b.figures_on, b.start_date, b.planned_end_date, b.status,
                b.ended_on,
                coalesce(t.criteria, 0) as criteria,
                coalesce(n.mapped, 0) as mapped,
                coalesce(n.signed_off, 0) as signed_off,
                n.last_signed_off_at,
                array(select k.started_on from enrolment_breaks k
                      where k.tenant_id = b.tenant_id and k.enrolment_id = b.id
                      order by k.started_on, k.id) as break_starts,
                array(select k.ended_on from enrolment_breaks k
                      where k.tenant_id = b.tenant_id and k.enrolment_id = b.id
                      order by k.started_on, k.id) as break_ends
         from batch b
         left join totals t on t.enrolment_id = b.id
         left join counts n on n.enrolment_id = b.id
         order by b.id"
    )))
    .bind(tenant.0)
    .bind(after)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Locks the stored figures of the batch [`counts_batch`] is about to count, in enrolment
/// order, before it counts: a change committed after the lock waits for the night's
/// transaction and then refreshes the row itself, and one committed before it is in the
/// count, so the night never writes figures counted before a change over the figures that
/// change refreshed. (Triggers lock in the same order: see migration 0043.)
async fn lock_batch(tx: &mut TenantTx, after: Uuid, limit: i64) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "select 1 from enrolment_tracks t
         where t.tenant_id = $1
           and t.enrolment_id in (select e.id from enrolments e
                                  where e.tenant_id = $1 and e.id > $2
                                  order by e.id limit $3)
         order by t.enrolment_id
         for update of t",
    )
    .bind(tenant.0)
    .bind(after)
    .bind(limit)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Turns off PostgreSQL's JIT compilation for the rest of the transaction. The planner
/// overestimates the batch statements' cost (it cannot see how many rows a CTE holds), so
/// it JIT-compiles each of them: some 50 ms a batch, for statements that then run in about
/// a second and are never repeated with the same plan.
async fn without_jit(tx: &mut TenantTx) -> DbResult<()> {
    sqlx::query("select set_config('jit', 'off', true)")
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A batch's figures as columns, bound as arrays to one upsert.
#[derive(Debug, Default)]
struct Columns {
    enrolment_id: Vec<Uuid>,
    criteria: Vec<i32>,
    mapped: Vec<i32>,
    signed_off: Vec<i32>,
    mapped_percent: Vec<f64>,
    signed_off_percent: Vec<f64>,
    elapsed_percent: Vec<f64>,
    past_end: Vec<bool>,
    track_status: Vec<&'static str>,
    projected_completion: Vec<Option<NaiveDate>>,
}

fn unknown_status(status: &str) -> DbError {
    DbError::Other(OtherDbError(sqlx::Error::Decode(
        format!("unknown enrolment status `{status}`").into(),
    )))
}

/// Counts of one learner's criteria fit an `i32` column; saturate rather than panic.
fn column_count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn domain_count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// A statement of this module with its parameters bound so far.
type Bound<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

impl Columns {
    /// Binds the batch's figures as the statement's next ten parameters, as arrays in the
    /// order the writes unnest them.
    fn bind<'q>(&'q self, query: Bound<'q>) -> Bound<'q> {
        query
            .bind(&self.enrolment_id)
            .bind(&self.criteria)
            .bind(&self.mapped)
            .bind(&self.signed_off)
            .bind(&self.mapped_percent)
            .bind(&self.signed_off_percent)
            .bind(&self.elapsed_percent)
            .bind(&self.past_end)
            .bind(&self.track_status)
            .bind(&self.projected_completion)
    }

    /// Computes one enrolment's figures on day `on` exactly as the learner overview does:
    /// the same timeline (planned end date; the completion, else withdrawal, date as the
    /// actual end; the breaks in learning, which pause the clock), the same counts, the
    /// last sign-off's day in the provider's time zone, and [`progress::progress_bars`],
    /// which composes `percentages`, `clock_date`, `time_elapsed`, `track_status` (not
    /// applicable without criteria) and `projected_completion`.
    fn push(
        &mut self,
        row: &EnrolmentCounts,
        last_sign_off: Option<NaiveDate>,
        on: NaiveDate,
        rule: &TrackRule,
    ) -> DbResult<TrackStatus> {
        let status: EnrolmentStatus = row
            .status
            .parse()
            .map_err(|_| unknown_status(&row.status))?;
        let timeline = Timeline {
            start: row.start_date,
            planned_end: row.planned_end_date,
            revised_end: None,
            status,
            ended_on: row.ended_on,
            breaks: breaks_from(&row.break_starts, &row.break_ends),
        };
        let counts = CriterionCounts {
            total: domain_count(row.criteria),
            mapped: domain_count(row.mapped),
            signed_off: domain_count(row.signed_off),
        };
        let bars = progress::progress_bars(counts, last_sign_off, &timeline, rule, on);
        self.enrolment_id.push(row.enrolment_id);
        self.criteria.push(column_count(counts.total));
        self.mapped.push(column_count(counts.mapped));
        self.signed_off.push(column_count(counts.signed_off));
        self.mapped_percent.push(bars.percentages.mapped);
        self.signed_off_percent.push(bars.percentages.signed_off);
        self.elapsed_percent.push(bars.elapsed.percent);
        self.past_end.push(bars.elapsed.past_end);
        self.track_status.push(bars.track.as_str());
        self.projected_completion.push(bars.projected_completion);
        Ok(bars.track)
    }
}

/// Writes a batch's figures for day `$2`: the day's history row (replaced when the day is
/// recalculated again) and the latest figures, unless those are already of a later day.
/// `off_track_since` is kept while a learner stays off track, set to the day when they
/// turn off track and cleared otherwise. Returns how many turned off track on this day.
async fn write_batch(tx: &mut TenantTx, on: NaiveDate, columns: &Columns) -> DbResult<u64> {
    let tenant = tx.tenant();
    let query = sqlx::query(
        "with figures as (
             select * from unnest($3::uuid[], $4::int4[], $5::int4[], $6::int4[], $7::float8[],
                                  $8::float8[], $9::float8[], $10::bool[], $11::text[], $12::date[])
                 as f(enrolment_id, criteria, mapped, signed_off, mapped_percent,
                      signed_off_percent, elapsed_percent, past_end, track_status,
                      projected_completion)
         ),
         history as (
             insert into enrolment_track_history (
                 tenant_id, enrolment_id, computed_on, criteria, mapped, signed_off,
                 mapped_percent, signed_off_percent, elapsed_percent, past_end, track_status,
                 projected_completion)
             select $1, f.enrolment_id, $2, f.criteria, f.mapped, f.signed_off,
                    f.mapped_percent, f.signed_off_percent, f.elapsed_percent, f.past_end,
                    f.track_status, f.projected_completion
             from figures f
             on conflict (tenant_id, enrolment_id, computed_on) do update set
                 criteria = excluded.criteria,
                 mapped = excluded.mapped,
                 signed_off = excluded.signed_off,
                 mapped_percent = excluded.mapped_percent,
                 signed_off_percent = excluded.signed_off_percent,
                 elapsed_percent = excluded.elapsed_percent,
                 past_end = excluded.past_end,
                 track_status = excluded.track_status,
                 projected_completion = excluded.projected_completion
         ),
         latest as (
             insert into enrolment_tracks (
                 tenant_id, enrolment_id, computed_on, criteria, mapped, signed_off,
                 mapped_percent, signed_off_percent, elapsed_percent, past_end, track_status,
                 projected_completion, off_track_since, updated_at)
             select $1, f.enrolment_id, $2, f.criteria, f.mapped, f.signed_off,
                    f.mapped_percent, f.signed_off_percent, f.elapsed_percent, f.past_end,
                    f.track_status, f.projected_completion,
                    case when f.track_status = 'off_track' then $2::date end, now()
             from figures f
             on conflict (tenant_id, enrolment_id) do update set
                 computed_on = excluded.computed_on,
                 criteria = excluded.criteria,
                 mapped = excluded.mapped,
                 signed_off = excluded.signed_off,
                 mapped_percent = excluded.mapped_percent,
                 signed_off_percent = excluded.signed_off_percent,
                 elapsed_percent = excluded.elapsed_percent,
                 past_end = excluded.past_end,
                 track_status = excluded.track_status,
                 projected_completion = excluded.projected_completion,
                 -- Set only here, by the night: kept while the learner stays off track
                 -- (a change during the day that took them off track left it empty).
                 off_track_since = case
                     when excluded.track_status <> 'off_track' then null
                     else coalesce(enrolment_tracks.off_track_since, excluded.computed_on)
                 end,
                 figures_stale_in = null,
                 updated_at = now()
             -- Recalculating an earlier day (a backfill) adds its history only.
             where enrolment_tracks.computed_on <= excluded.computed_on
             returning track_status, off_track_since
         )
         select count(*) from latest where track_status = 'off_track' and off_track_since = $2",
    )
    .bind(tenant.0)
    .bind(on);
    let newly: i64 = columns.bind(query).fetch_one(tx.conn()).await?.try_get(0)?;
    Ok(u64::try_from(newly).unwrap_or_default())
}

/// Recalculates every enrolment of the transaction's tenant for day `on` (the tenant-local
/// day the nightly job runs for) under `rule`, and stores the figures as the latest and as
/// that day's history. Running it again for the same day replaces that day's figures, so a
/// retried job is harmless.
///
/// Enrolments are taken in batches of [`BATCH`] in id order: one aggregate query counts the
/// batch's criteria, the figures are computed in Rust by the domain's functions, and one
/// upsert of arrays writes them. JIT compilation is off for the rest of the transaction.
#[tracing::instrument(skip(tx, settings), fields(tenant_id = %tx.tenant()))]
pub async fn recalculate(
    tx: &mut TenantTx,
    on: NaiveDate,
    settings: &TenantSettings,
) -> DbResult<RecalcReport> {
    let (rule, tz) = (&settings.track, settings.tz());
    without_jit(tx).await?;
    let mut report = RecalcReport::default();
    let mut after = Uuid::nil();
    loop {
        lock_batch(tx, after, BATCH).await?;
        let rows = counts_batch(tx, Scope::Every, after, BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = last.enrolment_id;
        let mut columns = Columns::default();
        for row in &rows {
            let last_sign_off = row.last_signed_off_at.map(|t| local_date(&tz, t));
            let tally = match columns.push(row, last_sign_off, on, rule)? {
                TrackStatus::OffTrack => &mut report.off_track,
                TrackStatus::OnTrack => &mut report.on_track,
                TrackStatus::Ahead => &mut report.ahead,
                TrackStatus::NotApplicable => &mut report.not_applicable,
            };
            *tally += 1;
            report.enrolments += 1;
        }
        report.newly_off_track += write_batch(tx, on, &columns).await?;
        if i64::try_from(rows.len()).unwrap_or(i64::MAX) < BATCH {
            break;
        }
    }
    Ok(report)
}

/// Recomputes the stored figures this transaction marked as changed (the triggers of
/// migration 0043 mark an enrolment's row when its sign-offs, mappings, breaks, optional
/// units, dates or status change, and every row of a course or tenant when its criteria or
/// track rule do), so that the figures tiles, lists and workbooks show agree with the
/// learner's page as soon as the change commits. Each row is computed exactly as the night
/// computes it, for the day its figures are of (the learner's page uses today: the two
/// differ only in the time elapsed, from midnight until the night's run). The history and
/// `off_track_since` (the first night of the spell) stay the night's alone. Called by
/// [`TenantTx::commit`]: one statement when nothing was marked. Returns how many rows.
pub(crate) async fn refresh_marked(tx: &mut TenantTx) -> DbResult<u64> {
    let tenant = tx.tenant();
    let marked: bool = sqlx::query_scalar(
        "select exists (select 1 from enrolment_tracks
                        where tenant_id = $1
                          and figures_stale_in = pg_current_xact_id_if_assigned())",
    )
    .bind(tenant.0)
    .fetch_one(tx.conn())
    .await?;
    if !marked {
        return Ok(0);
    }
    without_jit(tx).await?;
    let settings = crate::settings::get(tx).await?;
    let (rule, tz) = (&settings.track, settings.tz());
    let mut refreshed = 0;
    let mut after = Uuid::nil();
    loop {
        let rows = counts_batch(tx, Scope::Marked, after, BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = last.enrolment_id;
        let mut columns = Columns::default();
        for row in &rows {
            let last_sign_off = row.last_signed_off_at.map(|t| local_date(&tz, t));
            let on = row.figures_on.unwrap_or_default();
            columns.push(row, last_sign_off, on, rule)?;
        }
        refreshed += write_refresh(tx, &columns).await?;
        if i64::try_from(rows.len()).unwrap_or(i64::MAX) < BATCH {
            break;
        }
    }
    Ok(refreshed)
}

/// Writes refreshed figures over the stored ones (see [`refresh_marked`]), clearing the
/// mark. Returns how many rows.
async fn write_refresh(tx: &mut TenantTx, columns: &Columns) -> DbResult<u64> {
    let tenant = tx.tenant();
    let query = sqlx::query(
        "update enrolment_tracks t set
             criteria = f.criteria,
             mapped = f.mapped,
             signed_off = f.signed_off,
             mapped_percent = f.mapped_percent,
             signed_off_percent = f.signed_off_percent,
             elapsed_percent = f.elapsed_percent,
             past_end = f.past_end,
             track_status = f.track_status,
             projected_completion = f.projected_completion,
             figures_stale_in = null,
             updated_at = now()
         from unnest($2::uuid[], $3::int4[], $4::int4[], $5::int4[], $6::float8[], $7::float8[],
                     $8::float8[], $9::bool[], $10::text[], $11::date[])
              as f(enrolment_id, criteria, mapped, signed_off, mapped_percent,
                   signed_off_percent, elapsed_percent, past_end, track_status,
                   projected_completion)
         where t.tenant_id = $1 and t.enrolment_id = f.enrolment_id",
    )
    .bind(tenant.0);
    let done = columns.bind(query).execute(tx.conn()).await?;
    Ok(done.rows_affected())
}

/// The day of the tenant's latest figures on or before `on` (the nightly recalculation's
/// day); `None` before the first recalculation.
pub async fn latest_figures_on(tx: &mut TenantTx, on: NaiveDate) -> DbResult<Option<NaiveDate>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select max(computed_on) from enrolment_tracks
         where tenant_id = $1 and computed_on <= $2",
    )
    .bind(tenant.0)
    .bind(on)
    .fetch_one(tx.conn())
    .await?)
}

/// One night's figures of an enrolment, as recorded for its trend.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct HistoryRow {
    /// The tenant-local day the figures are for.
    pub computed_on: NaiveDate,
    /// Criteria signed off, in percent.
    pub signed_off_percent: f64,
    /// Criteria mapped (signed off or not), in percent.
    pub mapped_percent: f64,
    /// Planned duration elapsed, in percent; over 100 past the planned end.
    pub elapsed_percent: f64,
    /// Past the planned end date.
    pub past_end: bool,
    /// `off_track`, `on_track`, `ahead` or `not_applicable`.
    pub track_status: String,
}

/// An enrolment's recorded nightly figures, oldest first: every night of the `daily_days`
/// days up to `on`, and before them the last recorded night of each month, so a four-year
/// programme is a few dozen points rather than fifteen hundred.
pub async fn history(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    on: NaiveDate,
    daily_days: u32,
) -> DbResult<Vec<HistoryRow>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select computed_on, signed_off_percent, mapped_percent, elapsed_percent, past_end,
                track_status
         from (select h.*,
                      row_number() over (partition by date_trunc('month', computed_on)
                                         order by computed_on desc) as nth_in_month
               from enrolment_track_history h
               where tenant_id = $1 and enrolment_id = $2 and computed_on <= $3) nights
         where nth_in_month = 1 or computed_on > $3 - $4::integer
         order by computed_on",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(on)
    .bind(i32::try_from(daily_days).unwrap_or(i32::MAX))
    .fetch_all(tx.conn())
    .await?)
}
