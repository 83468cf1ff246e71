//! Nightly recalculation of 100,000 enrolments (`folio_db::tracks::recalculate`: set-based
//! counting per batch, figures computed in Rust by the domain's functions, one upsert of
//! arrays per batch) against one hand-written set-based SQL statement
//! (`folio_bench::baseline::hand_written_recalculate`) on the same data, in the same run.
//!
//! The data: one synthetic tenant (the worst case: a whole platform's enrolments in one
//! provider), seeded and reproducible. 20 courses, each of two components and 22 units of
//! 5 criteria (18 mandatory units, 4 optional of which each learner has chosen 2), so every
//! learner has 100 criteria: 100,000 enrolments are 10 million criterion states. Starts
//! are spread over the 1,000 days before the fixed day 2026-11-01, planned durations over
//! 12 to 24 months; past their planned end 70% have completed and 10% withdrawn, the rest
//! are still in learning; 5% of current learners have withdrawn and 5% are on a break.
//! Each learner works through their criteria at their own pace (0.35 to 1.25 of the time
//! elapsed), with six pieces of evidence mapped in turn, 10% of criteria mapped twice,
//! and 50-95% of what is mapped signed off (everything for completers). Rows are written
//! criterion by criterion across all learners, so each learner's rows are spread through
//! the tables as they would be after years of use. Foreign-key triggers are off while
//! loading (the generated rows satisfy them by construction); everything is vacuumed and
//! analysed before timing.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{Days, NaiveDate};
use folio_bench::baseline;
use folio_db::tracks;
use folio_domain::{TenantId, TenantSettings};
use sqlx::PgPool;
use uuid::Uuid;

use crate::cases::{CaseResult, Row, SQL_HELPERS};
use crate::ctx::{Ctx, Scratch, median, secs};

/// The day the data is generated for and first recalculated on; round `r` recalculates
/// the day `r` days later (a new history day each night, as in production).
fn base_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
}

const COURSES: i64 = 20;
const ASSESSORS: i64 = 200;

/// Learners, staff and the curriculum. `$1` seed, `$2` enrolments, `$3` base day.
const CURRICULUM: &[(&str, &str)] = &[
    (
        "tenant",
        "insert into tenants (id, slug, name) values (bench_uuid(0, 1), 'bench', 'Bench Training')",
    ),
    (
        "learners",
        "insert into users (tenant_id, id, email, name)
         select bench_uuid(0, 1), bench_uuid(1, n), 'learner' || n || '@bench.example', 'Learner ' || n
         from generate_series(1, $2::bigint) n",
    ),
    (
        "assessors",
        "insert into users (tenant_id, id, email, name)
         select bench_uuid(0, 1), bench_uuid(2, n), 'assessor' || n || '@bench.example', 'Assessor ' || n
         from generate_series(1, 200) n",
    ),
    (
        "roles",
        "insert into user_roles (tenant_id, user_id, role)
         select tenant_id, id, case when email like 'learner%' then 'learner' else 'assessor' end
         from users",
    ),
    (
        "courses",
        "insert into courses (tenant_id, id, code, title)
         select bench_uuid(0, 1), bench_uuid(3, c), 'ST' || lpad(c::text, 4, '0'), 'Standard ' || c
         from generate_series(1, 20) c",
    ),
    (
        "components",
        "insert into components (tenant_id, id, course_id, title, position)
         select bench_uuid(0, 1), bench_uuid(4, c * 10 + k), bench_uuid(3, c),
                case k when 1 then 'Knowledge and skills' else 'Behaviours and options' end, k
         from generate_series(1, 20) c, generate_series(1, 2) k",
    ),
    (
        "units",
        "insert into units (tenant_id, id, component_id, code, title, optional, optional_group, position)
         select bench_uuid(0, 1), bench_uuid(5, c * 100 + u),
                bench_uuid(4, c * 10 + case when u < 10 then 1 else 2 end),
                'U' || lpad(u::text, 2, '0'), 'Unit ' || u, u >= 18,
                case when u >= 18 then 'Options' end, u
         from generate_series(1, 20) c, generate_series(0, 21) u",
    ),
    (
        "criteria",
        "insert into criteria (tenant_id, id, unit_id, code, text, position)
         select bench_uuid(0, 1), bench_uuid(6, c * 1000 + u * 10 + j), bench_uuid(5, c * 100 + u),
                u || '.' || (j + 1), 'The learner can do thing ' || (j + 1) || ' of unit ' || u, j
         from generate_series(1, 20) c, generate_series(0, 21) u, generate_series(0, 4) j",
    ),
    // One row per enrolment with everything the rest is derived from.
    (
        "plan",
        "create table bench_plan as
         with a as (
             select e,
                    1 + floor(bench_rand($1, e, 1) * 20)::int as course,
                    $3::date - floor(bench_rand($1, e, 2) * 1000)::int as start_date,
                    365 + floor(bench_rand($1, e, 3) * 366)::int as duration,
                    floor(bench_rand($1, e, 4) * 4)::int as o1,
                    floor(bench_rand($1, e, 5) * 3)::int as o2_step,
                    bench_rand($1, e, 6) as r
             from generate_series(1, $2::bigint) e
         ), b as (
             select a.*, start_date + duration as end_date,
                    (o1 + 1 + o2_step) % 4 as o2,
                    case when start_date + duration < $3::date then
                             case when r < 0.70 then 'completed' when r < 0.80 then 'withdrawn'
                                  else 'in_learning' end
                         else case when r < 0.05 then 'withdrawn' when r < 0.10 then 'break_in_learning'
                                   when r < 0.12 and $3::date - start_date < 60 then 'awaiting_induction'
                                   else 'in_learning' end
                    end as status
             from a
         ), c as (
             select b.*,
                    case when status = 'completed'
                         then least(end_date + floor(bench_rand($1, e, 7) * 90)::int, $3::date - 1) end
                        as completed_on,
                    case when status = 'withdrawn'
                         then start_date + floor((least(end_date, $3::date) - start_date)
                                                 * bench_rand($1, e, 8))::int end
                        as withdrawn_on
             from b
         ), d as (
             select c.*, coalesce(completed_on, withdrawn_on, $3::date) as clock
             from c
         ), m as (
             select d.*,
                    case when status = 'completed' then 100
                         else least(100, floor(100.0 * (clock - start_date) / duration
                                               * (0.35 + 0.9 * bench_rand($1, e, 9))))::int
                    end as mapped
             from d
         )
         select m.*,
                case when status = 'completed' then 100
                     else floor(mapped * (0.5 + 0.45 * bench_rand($1, e, 10)))::int
                end as signed,
                bench_uuid(7, e) as eid, bench_uuid(1, e) as lid, bench_uuid(2, 1 + e % 200) as aid
         from m",
    ),
    (
        "criteria lookup",
        "create table bench_criteria as
         select c as course, u, j, bench_uuid(6, c * 1000 + u * 10 + j) as id
         from generate_series(1, 20) c, generate_series(0, 21) u, generate_series(0, 4) j",
    ),
    (
        "enrolments",
        "insert into enrolments (tenant_id, id, learner_id, course_id, start_date, planned_end_date,
                                 assessor_id, contracted_hours_per_week, planned_otj_hours, status,
                                 learning_started_on, withdrawn_on, withdrawal_reason, completed_on)
         select bench_uuid(0, 1), bench_uuid(7, e), bench_uuid(1, e), bench_uuid(3, course),
                start_date, end_date, bench_uuid(2, 1 + e % 200), 37.5, 280, status,
                case when status <> 'awaiting_induction' then start_date end,
                withdrawn_on, case when withdrawn_on is not null then 'Left the employer' end,
                completed_on
         from bench_plan order by e",
    ),
    (
        "optional units",
        "insert into enrolment_optional_units (tenant_id, enrolment_id, unit_id)
         select bench_uuid(0, 1), bench_uuid(7, e), bench_uuid(5, course * 100 + 18 + o)
         from bench_plan, lateral (values (o1), (o2)) v(o)",
    ),
    (
        "evidence",
        "insert into evidence (tenant_id, id, enrolment_id, component_id, title, declared_own_work,
                               signature_name, signed_at, uploaded_by, created_at)
         select bench_uuid(0, 1), bench_uuid(8, e * 10 + x), eid,
                bench_uuid(4, course * 10 + case when x < 3 then 1 else 2 end),
                'Evidence ' || (x + 1), true, 'Learner ' || e,
                (start_date + x * greatest(clock - start_date, 1) / 6)::timestamp at time zone 'UTC',
                lid,
                (start_date + x * greatest(clock - start_date, 1) / 6)::timestamp at time zone 'UTC'
         from bench_plan, generate_series(0, 5) x
         where mapped > 0
         order by x, e",
    ),
];

/// The learner's `$2`-th criterion (0 to 99: 90 of mandatory units, then 5 of each chosen
/// optional unit) as a join of `bench_plan p` with `bench_criteria cc`.
const NTH_CRITERION: &str = "bench_criteria cc on cc.course = p.course
    and cc.u = case when $2 < 90 then $2 / 5 else 18 + case when $2 < 95 then p.o1 else p.o2 end end
    and cc.j = $2 % 5";

/// The `$2`-th criterion of every learner who has mapped more than `$2` (`$1` seed): one
/// piece of evidence (the learner's six taken in turn), 10% a second one.
fn mappings_sql() -> String {
    format!(
        "insert into criterion_mappings (tenant_id, enrolment_id, criterion_id, evidence_id, mapped_by, mapped_at)
         select bench_uuid(0, 1), p.eid, cc.id, bench_uuid(8, p.e * 10 + x.x), p.aid,
                (p.start_date + ($2 + 1) * greatest(p.clock - p.start_date, 1) / p.mapped)::timestamp
                    at time zone 'UTC'
         from bench_plan p
         join {NTH_CRITERION}
         cross join lateral (
             select least(5, $2 * 6 / p.mapped) as x
             union all
             select least(5, $2 * 6 / p.mapped) + 1
             where bench_rand($1, p.e * 128 + $2, 11) < 0.1 and $2 * 6 / p.mapped < 5) x
         where p.mapped > $2"
    )
}

/// The sign-off of the `$2`-th criterion of every learner who has signed off more than `$2`.
fn sign_offs_sql() -> String {
    format!(
        "insert into criterion_sign_offs (tenant_id, enrolment_id, criterion_id, signed_off_by, signed_off_at)
         select bench_uuid(0, 1), p.eid, cc.id, p.aid,
                (p.start_date + ($2 + 1) * greatest(p.clock - p.start_date, 1) / p.mapped)::timestamp
                    at time zone 'UTC' + interval '10 days'
         from bench_plan p
         join {NTH_CRITERION}
         where p.signed > $2 and $1::bigint is not null"
    )
}

/// The bulk-loaded tables, whose indexes are dropped while loading and built afterwards.
const BULK_TABLES: &str = "'criterion_mappings'::regclass, 'criterion_sign_offs'::regclass";

async fn load(ctx: &Ctx, pool: &PgPool) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut conn = pool.acquire().await?;
    sqlx::raw_sql(SQL_HELPERS).execute(&mut *conn).await?;
    // Foreign-key (and other) triggers off for this session: the rows are valid by construction.
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await?;
    sqlx::query("set work_mem = '256MB'")
        .execute(&mut *conn)
        .await?;
    for (what, sql) in CURRICULUM {
        let t = Instant::now();
        let done = sqlx::query(*sql)
            .bind(ctx.seed)
            .bind(ctx.enrolments)
            .bind(base_day())
            .execute(&mut *conn)
            .await
            .with_context(|| format!("load {what}"))?;
        println!(
            "  loaded {what}: {} rows in {}",
            done.rows_affected(),
            secs(t.elapsed())
        );
    }
    // Indexes of the two big tables are built once, after loading, rather than row by row.
    let constraints: Vec<(String, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select conrelid::regclass::text, conname::text, pg_get_constraintdef(oid)
         from pg_constraint where conrelid in ({BULK_TABLES}) and contype in ('p', 'u')"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
         from pg_index i where i.indrelid in ({BULK_TABLES})
           and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)"
    )))
    .fetch_all(&mut *conn)
    .await?;
    for (table, name, _) in &constraints {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "alter table {table} drop constraint {name}"
        )))
        .execute(&mut *conn)
        .await?;
    }
    for (name, _) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(format!("drop index {name}")))
            .execute(&mut *conn)
            .await?;
    }
    for (what, sql) in [("mappings", mappings_sql()), ("sign-offs", sign_offs_sql())] {
        let t = Instant::now();
        let mut rows = 0;
        for k in 0..100_i32 {
            rows += sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(ctx.seed)
                .bind(k)
                .execute(&mut *conn)
                .await
                .with_context(|| format!("load {what} of criterion {k}"))?
                .rows_affected();
        }
        println!("  loaded {what}: {rows} rows in {}", secs(t.elapsed()));
    }
    let t = Instant::now();
    sqlx::query("set maintenance_work_mem = '1GB'")
        .execute(&mut *conn)
        .await?;
    for (table, name, definition) in &constraints {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "alter table {table} add constraint {name} {definition}"
        )))
        .execute(&mut *conn)
        .await?;
    }
    for (_, definition) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(definition.as_str()))
            .execute(&mut *conn)
            .await?;
    }
    println!("  built their indexes in {}", secs(t.elapsed()));
    sqlx::query("set session_replication_role = origin")
        .execute(&mut *conn)
        .await?;
    let t = Instant::now();
    sqlx::query("vacuum (analyze)").execute(&mut *conn).await?;
    println!("  vacuum analyze in {}", secs(t.elapsed()));
    Ok(started.elapsed())
}

async fn vacuum_tracks(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query("vacuum (analyze) enrolment_tracks, enrolment_track_history")
        .execute(pool)
        .await?;
    Ok(())
}

/// Which way of recalculating is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// `folio_db::tracks::recalculate`.
    Folio,
    /// `folio_bench::baseline::hand_written_recalculate`.
    HandWritten,
    /// The hand-written statement and then the day's history rows copied from its result
    /// in the same transaction: the same writes as Folio's.
    HandWrittenWithHistory,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Folio => "recalculate",
            Way::HandWritten => "hand-written",
            Way::HandWrittenWithHistory => "hand-written + history",
        }
    }
}

const COPY_HISTORY: &str = "
insert into enrolment_track_history (
    tenant_id, enrolment_id, computed_on, criteria, mapped, signed_off, mapped_percent,
    signed_off_percent, elapsed_percent, past_end, track_status, projected_completion)
select tenant_id, enrolment_id, computed_on, criteria, mapped, signed_off, mapped_percent,
       signed_off_percent, elapsed_percent, past_end, track_status, projected_completion
from enrolment_tracks
where tenant_id = $1 and computed_on = $2
on conflict (tenant_id, enrolment_id, computed_on) do update set
    criteria = excluded.criteria, mapped = excluded.mapped, signed_off = excluded.signed_off,
    mapped_percent = excluded.mapped_percent, signed_off_percent = excluded.signed_off_percent,
    elapsed_percent = excluded.elapsed_percent, past_end = excluded.past_end,
    track_status = excluded.track_status, projected_completion = excluded.projected_completion";

/// Runs one recalculation of day `on` in its own tenant transaction (committed) and
/// returns how long it took, begin to commit, and the rows it recalculated.
async fn time_one(
    scratch: &Scratch,
    tenant: TenantId,
    way: Way,
    on: NaiveDate,
    settings: &TenantSettings,
) -> anyhow::Result<(Duration, u64)> {
    let started = Instant::now();
    let mut tx = scratch.db.begin_tenant(tenant).await?;
    let rows = match way {
        Way::Folio => tracks::recalculate(&mut tx, on, settings).await?.enrolments,
        Way::HandWritten => baseline::hand_written_recalculate(&mut tx, on, settings).await?,
        Way::HandWrittenWithHistory => {
            let rows = baseline::hand_written_recalculate(&mut tx, on, settings).await?;
            sqlx::query(COPY_HISTORY)
                .bind(tenant.0)
                .bind(on)
                .execute(tx.conn())
                .await?;
            rows
        }
    };
    tx.commit().await?;
    let took = started.elapsed();
    println!(
        "  {:<24} {on}: {} ({rows} enrolments)",
        way.name(),
        secs(took)
    );
    Ok((took, rows))
}

/// Rows where the two ways disagree: `bench_folio_tracks` (a copy of Folio's figures)
/// against the current `enrolment_tracks` (the hand-written statement's, same day).
const DISAGREEMENTS: &str = "
select count(*) from bench_folio_tracks f
full join enrolment_tracks h using (tenant_id, enrolment_id)
where f.enrolment_id is null or h.enrolment_id is null
   or f.computed_on <> h.computed_on or f.criteria <> h.criteria or f.mapped <> h.mapped
   or f.signed_off <> h.signed_off or f.past_end <> h.past_end
   or f.track_status <> h.track_status
   or f.projected_completion is distinct from h.projected_completion
   or f.off_track_since is distinct from h.off_track_since
   or abs(f.mapped_percent - h.mapped_percent) > 1e-9
   or abs(f.signed_off_percent - h.signed_off_percent) > 1e-9
   or abs(f.elapsed_percent - h.elapsed_percent) > 1e-9";

pub async fn run(ctx: &Ctx) -> anyhow::Result<CaseResult> {
    let scratch = ctx.scratch_database("recalculation", 4).await?;
    println!(
        "  loading {} enrolments into {} (seed {})",
        ctx.enrolments, scratch.name, ctx.seed
    );
    let load_time = load(ctx, &scratch.pool).await?;
    let tenant = TenantId(
        sqlx::query_scalar::<_, Uuid>("select bench_uuid(0, 1)")
            .fetch_one(&scratch.pool)
            .await?,
    );
    let (mappings, sign_offs, evidence, learner_criteria): (i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from criterion_mappings), (select count(*) from criterion_sign_offs),
                (select count(*) from evidence),
                (select count(*) from enrolments e
                 join components c on c.tenant_id = e.tenant_id and c.course_id = e.course_id
                 join units u on u.tenant_id = c.tenant_id and u.component_id = c.id
                 join criteria cr on cr.tenant_id = u.tenant_id and cr.unit_id = u.id
                 where not u.optional or exists (
                     select 1 from enrolment_optional_units o
                     where o.tenant_id = e.tenant_id and o.enrolment_id = e.id and o.unit_id = u.id))",
    )
    .fetch_one(&scratch.pool)
    .await?;
    let rule = TenantSettings::default();

    // Warm-up (not timed): the first run of each inserts every enrolment's row; the timed
    // rounds update them, as every night after the first does. Both compute the same day
    // here, so their figures are compared.
    let day0 = base_day();
    let (first_folio, _) = time_one(&scratch, tenant, Way::Folio, day0, &rule).await?;
    sqlx::query("create table bench_folio_tracks as select * from enrolment_tracks")
        .execute(&scratch.pool)
        .await?;
    let (first_hand, _) = time_one(&scratch, tenant, Way::HandWritten, day0, &rule).await?;
    let disagreements: i64 = sqlx::query_scalar(DISAGREEMENTS)
        .fetch_one(&scratch.pool)
        .await?;
    let statuses: Vec<(String, i64)> = sqlx::query_as(
        "select track_status, count(*) from bench_folio_tracks group by 1 order by 1",
    )
    .fetch_all(&scratch.pool)
    .await?;
    vacuum_tracks(&scratch.pool).await?;

    let mut folio = Vec::new();
    let mut hand = Vec::new();
    let mut hand_history = Vec::new();
    let mut enrolments = 0;
    for round in 1..=ctx.rounds {
        let on = day0
            .checked_add_days(Days::new(u64::try_from(round).unwrap_or(0)))
            .unwrap_or(day0);
        // Alternate which goes first, so neither always finds the other's pages cached.
        let order: [Way; 3] = if round % 2 == 1 {
            [Way::Folio, Way::HandWritten, Way::HandWrittenWithHistory]
        } else {
            [Way::HandWrittenWithHistory, Way::HandWritten, Way::Folio]
        };
        for way in order {
            let (took, rows) = time_one(&scratch, tenant, way, on, &rule).await?;
            match way {
                Way::Folio => {
                    folio.push(took);
                    enrolments = rows;
                }
                Way::HandWritten => hand.push(took),
                Way::HandWrittenWithHistory => hand_history.push(took),
            }
            vacuum_tracks(&scratch.pool).await?;
        }
    }
    let (f, h, hh) = (median(&folio), median(&hand), median(&hand_history));
    let ratio =
        |a: Duration, b: Duration| format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64().max(1e-9));
    let all = |v: &[Duration]| {
        v.iter()
            .map(|d| format!("{:.2}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(CaseResult {
        name: "recalculation",
        title: "Nightly recalculation of every enrolment of a tenant".into(),
        setup: vec![
            format!(
                "Data (seed {}, generated in {:.0} s): one tenant, {} enrolments on {COURSES} courses of 110 criteria \
                 (100 per learner: 18 mandatory units and 2 of 4 optional ones, 5 criteria each), {ASSESSORS} assessors; \
                 {learner_criteria} learner criteria (criterion states), {mappings} criterion mappings, \
                 {sign_offs} sign-offs, {evidence} pieces of evidence.",
                ctx.seed,
                load_time.as_secs_f64(),
                ctx.enrolments
            ),
            "Folio: `folio_db::tracks::recalculate` (batches of 5,000 enrolments: one counting query that starts \
             from the batch's sign-offs and mappings and sums per-unit criteria totals, figures in Rust, one upsert \
             of arrays into `enrolment_tracks` and `enrolment_track_history`; JIT off) in one `begin_tenant` \
             transaction as `folio_app` (row-level security on), begin to commit."
                .into(),
            "Baseline: `folio_bench::baseline::hand_written_recalculate`, one set-based statement that upserts \
             `enrolment_tracks` only (counting the same way as Folio, over the whole tenant at once, under \
             PostgreSQL's default settings: JIT on, which made its counting about 7% faster in a check), in the same \
             kind of transaction; also shown with the day's history rows copied from its result in the same transaction (the same writes as Folio's)."
                .into(),
            format!(
                "{} alternating rounds after one untimed run of each; each round recalculates the next day \
                 (rows updated, a new history day inserted), tables vacuumed between runs; medians.",
                ctx.rounds
            ),
        ],
        rows: vec![
            Row {
                measure: format!("recalculate {enrolments} enrolments vs one statement"),
                folio: secs(f),
                baseline: secs(h),
                ratio: ratio(f, h),
                target: "≤ 1.5× and < 60 s".into(),
            },
            Row {
                measure: "… vs one statement + history rows".into(),
                folio: secs(f),
                baseline: secs(hh),
                ratio: ratio(f, hh),
                target: "—".into(),
            },
            Row {
                measure: "first run (inserts every row), untimed warm-up".into(),
                folio: secs(first_folio),
                baseline: secs(first_hand),
                ratio: ratio(first_folio, first_hand),
                target: "—".into(),
            },
        ],
        notes: vec![
            format!(
                "Rounds (s): recalculate [{}]; hand-written [{}]; hand-written + history [{}].",
                all(&folio),
                all(&hand),
                all(&hand_history)
            ),
            format!(
                "Both ways computed the same figures for {}: {disagreements} enrolments disagree. Track status: {}.",
                day0,
                statuses
                    .iter()
                    .map(|(s, n)| format!("{s} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ],
    })
}
