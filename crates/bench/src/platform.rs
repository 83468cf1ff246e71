//! The scale data generator (issue 8, item 1): a seeded, reproducible platform of many
//! tenants, loaded set-based (`insert … select` over `generate_series`, computed in the
//! server, no rows through the client) in minutes, with progress printed as it goes.
//!
//! ```sh
//! cargo run --release -p folio-bench -- load --scale large            # into folio_bench_platform
//! cargo run --release -p folio-bench -- load --scale small --into my_db
//! cargo run --release -p folio-bench -- api-read --platform-database folio_bench_platform
//! ```
//!
//! `large` is issue 8's platform: 50 tenants of very different sizes (weights 1/rank^0.7:
//! the largest provider has about 15 times the learners of the smallest), 100,000
//! enrolments in total, each tenant with 4 courses of 110 criteria (22 units of 5 criteria:
//! 18 mandatory, 2 of 4 optional chosen per learner), so every learner has 100 criteria and
//! the platform 10 million criterion states; one assessor per 40 learners, one IQA per 5
//! assessors, an admin per tenant. Each enrolment's tenant is drawn at random (seeded), so
//! tenants' rows interleave in every table as years of use leave them; rows of the big
//! tables are written criterion by criterion and week by week across all learners, for
//! the same reason. Per learner: progress by their own pace (as in the `recalculation`
//! case: criteria mapped and signed off, six pieces of evidence, a seventh not yet
//! reviewed for some), a time-log entry in most weeks of learning (about 5 million in
//! all), an induction and a review every ten weeks (some unclosed, one upcoming), an
//! action set at each attended review, the latest nightly track figures and evidence
//! metadata (a version with a storage key, size and hash; no file bytes). `small` is the
//! same shape at 5 tenants and 5,000 enrolments, for quick checks.
//!
//! Foreign-key triggers are off while loading (the rows satisfy them by construction);
//! the big tables' indexes are built once after loading; everything is vacuumed and
//! analysed at the end. The day the data is generated for is 2026-11-01.

use std::time::Instant;

use anyhow::Context as _;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgConnection;

use crate::cases::SQL_HELPERS;

/// How big a platform to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// 5 tenants, 5,000 enrolments: a quick check of the cases.
    Small,
    /// Issue 8's platform: 50 tenants, 100,000 enrolments.
    Large,
}

impl Scale {
    /// Tenants.
    pub fn tenants(self) -> usize {
        match self {
            Scale::Small => 5,
            Scale::Large => 50,
        }
    }

    /// Enrolments over all tenants.
    pub fn enrolments(self) -> i64 {
        match self {
            Scale::Small => 5_000,
            Scale::Large => 100_000,
        }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Large => "large",
        }
    }
}

/// The day the data describes ("today" for the generated dates).
pub fn base_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
}

/// Learners per assessor.
const LEARNERS_PER_ASSESSOR: f64 = 40.0;
/// Share of weeks of learning with a time-log entry.
const WEEKS_LOGGED: f64 = 0.85;

/// What was loaded, as recorded in the database (`bench_platform`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// The scale.
    pub scale: Scale,
    /// The seed.
    pub seed: i64,
    /// Seconds the load took.
    pub load_seconds: f64,
    /// Row counts by what they are.
    pub tenants: i64,
    pub enrolments: i64,
    pub smallest_tenant: i64,
    pub largest_tenant: i64,
    pub assessors: i64,
    pub learner_criteria: i64,
    pub mappings: i64,
    pub sign_offs: i64,
    pub evidence: i64,
    pub time_log_entries: i64,
    pub learning_sessions: i64,
    pub actions: i64,
}

impl Summary {
    /// One sentence for a case's setup.
    pub fn describe(&self) -> String {
        format!(
            "Platform data (`folio-bench load --scale {}`, seed {}, generated in {:.0} s): {} tenants of \
             {} to {} enrolments, {} enrolments in all, {} assessors; {} criterion states, {} criterion \
             mappings, {} sign-offs, {} pieces of evidence (metadata), {} time-log entries, {} learning \
             sessions, {} actions.",
            self.scale.name(),
            self.seed,
            self.load_seconds,
            self.tenants,
            self.smallest_tenant,
            self.largest_tenant,
            self.enrolments,
            self.assessors,
            self.learner_criteria,
            self.mappings,
            self.sign_offs,
            self.evidence,
            self.time_log_entries,
            self.learning_sessions,
            self.actions
        )
    }
}

/// Reads the summary of a loaded platform.
pub async fn summary(pool: &PgPool) -> anyhow::Result<Summary> {
    let value: serde_json::Value = sqlx::query_scalar("select summary from bench_platform")
        .fetch_one(pool)
        .await
        .context("this database holds no platform loaded by `folio-bench load`")?;
    Ok(serde_json::from_value(value)?)
}

/// Each tenant's share of the enrolments: weight 1/rank^0.7, as cumulative bounds in
/// [0, 1) that an enrolment's seeded random number falls between, and its expected size.
fn tenant_bounds(scale: Scale) -> Vec<(i32, f64, f64, i32, i32)> {
    let n = scale.tenants();
    let weights: Vec<f64> = (1..=n).map(|t| 1.0 / (t as f64).powf(0.7)).collect();
    let total: f64 = weights.iter().sum();
    let mut lo = 0.0;
    let mut rows = Vec::with_capacity(n);
    for (i, w) in weights.iter().enumerate() {
        let share = w / total;
        let hi = if i + 1 == n { 1.0 } else { lo + share };
        let expected = share * scale.enrolments() as f64;
        let assessors = (expected / LEARNERS_PER_ASSESSOR).ceil().max(1.0) as i32;
        let iqas = (f64::from(assessors) / 5.0).ceil().max(1.0) as i32;
        rows.push((
            i32::try_from(i + 1).unwrap_or(i32::MAX),
            lo,
            hi,
            assessors,
            iqas,
        ));
        lo = hi;
    }
    rows
}

/// Statements that build the curriculum, people, enrolments and the per-enrolment rows.
/// `$1` seed, `$2` enrolments, `$3` the base day.
const BASE: &[(&str, &str)] = &[
    (
        "tenants",
        "insert into tenants (id, slug, name)
         select bench_uuid(0, t), 'bench-' || t, 'Bench Training ' || t from bench_tenants",
    ),
    (
        "staff plan",
        "create table bench_staff as
         select t.t, bench_uuid(0, t.t) as tid, t.t * 1000 + a as n,
                case when a = 0 then 'admin' when a <= t.assessors then 'assessor' else 'iqa' end as role
         from bench_tenants t
         cross join lateral (
             select generate_series(0, t.assessors) as a
             union all select 500 + generate_series(1, t.iqas)) s",
    ),
    (
        "courses",
        "insert into courses (tenant_id, id, code, title)
         select bench_uuid(0, t), bench_uuid(3, t * 10 + k), 'ST' || lpad(k::text, 4, '0'),
                'Standard ' || k || ' of provider ' || t
         from bench_tenants, generate_series(1, 4) k",
    ),
    (
        "components",
        "insert into components (tenant_id, id, course_id, title, position)
         select bench_uuid(0, t), bench_uuid(4, (t * 10 + k) * 10 + c), bench_uuid(3, t * 10 + k),
                case c when 1 then 'Knowledge and skills' else 'Behaviours and options' end, c
         from bench_tenants, generate_series(1, 4) k, generate_series(1, 2) c",
    ),
    (
        "units",
        "insert into units (tenant_id, id, component_id, code, title, optional, optional_group, position)
         select bench_uuid(0, t), bench_uuid(5, (t * 10 + k) * 100 + u),
                bench_uuid(4, (t * 10 + k) * 10 + case when u < 10 then 1 else 2 end),
                'U' || lpad(u::text, 2, '0'), 'Unit ' || u, u >= 18,
                case when u >= 18 then 'Options' end, u
         from bench_tenants, generate_series(1, 4) k, generate_series(0, 21) u",
    ),
    (
        "criteria",
        "insert into criteria (tenant_id, id, unit_id, code, text, position)
         select bench_uuid(0, t), bench_uuid(6, (t * 10 + k) * 1000 + u * 10 + j),
                bench_uuid(5, (t * 10 + k) * 100 + u),
                u || '.' || (j + 1), 'The learner can do thing ' || (j + 1) || ' of unit ' || u, j
         from bench_tenants, generate_series(1, 4) k, generate_series(0, 21) u, generate_series(0, 4) j",
    ),
    (
        "criteria lookup",
        "create table bench_criteria as
         select t * 10 + k as course, u, j, bench_uuid(6, (t * 10 + k) * 1000 + u * 10 + j) as id
         from bench_tenants, generate_series(1, 4) k, generate_series(0, 21) u, generate_series(0, 4) j",
    ),
    // One row per enrolment with everything the rest is derived from (as the
    // recalculation case's plan, with a tenant, an assessor and an IQA of that tenant).
    (
        "enrolment plan",
        "create table bench_plan as
         with a as (
             select e, t.t, t.assessors,
                    t.t * 10 + 1 + floor(bench_rand($1, e, 1) * 4)::int as course,
                    $3::date - floor(bench_rand($1, e, 2) * 1000)::int as start_date,
                    365 + floor(bench_rand($1, e, 3) * 366)::int as duration,
                    floor(bench_rand($1, e, 4) * 4)::int as o1,
                    floor(bench_rand($1, e, 5) * 3)::int as o2_step,
                    bench_rand($1, e, 6) as r,
                    1 + floor(bench_rand($1, e, 12) * t.assessors)::int as a
             from (select e, bench_rand($1, e, 0) as r0 from generate_series(1, $2::bigint) e) g
             join bench_tenants t on g.r0 >= t.lo and g.r0 < t.hi
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
                         when status = 'awaiting_induction' then 0
                         else least(100, floor(100.0 * (clock - start_date) / duration
                                               * (0.35 + 0.9 * bench_rand($1, e, 9))))::int
                    end as mapped
             from d
         )
         select m.*,
                case when status = 'completed' then 100
                     else floor(mapped * (0.5 + 0.45 * bench_rand($1, e, 10)))::int
                end as signed,
                case when status = 'awaiting_induction' then 0 else (clock - start_date) / 7 end as weeks,
                case when status = 'awaiting_induction' then 0 else (clock - start_date) / 70 end as reviews,
                bench_uuid(0, t) as tid, bench_uuid(7, e) as eid, bench_uuid(1, e) as lid,
                bench_uuid(2, t * 1000 + a) as aid,
                bench_uuid(2, t * 1000 + 500 + 1 + (a - 1) / 5) as qid
         from m",
    ),
    (
        "users",
        "insert into users (tenant_id, id, email, name, last_login_at)
         select tid, lid, 'learner' || e || '@bench.example',
                (array['Amelia','Oliver','Isla','George','Ava','Noah','Mia','Leo'])[1 + e % 8]
                || ' ' || (array['Smith','Jones','Taylor','Brown','Williams','Wilson','Evans'])[1 + e % 7]
                || ' ' || e,
                case when bench_rand($1, e, 14) < 0.9
                     then ($3::date - floor(bench_rand($1, e, 15) * 60)::int)::timestamp at time zone 'UTC' end
         from bench_plan
         union all
         select tid, bench_uuid(2, n), role || n || '@bench.example', initcap(role) || ' ' || n,
                ($3::date - 1)::timestamp at time zone 'UTC'
         from bench_staff",
    ),
    (
        "roles",
        "insert into user_roles (tenant_id, user_id, role)
         select tid, lid, 'learner' from bench_plan
         union all
         select tid, bench_uuid(2, n), role from bench_staff",
    ),
    (
        "enrolments",
        "insert into enrolments (tenant_id, id, learner_id, course_id, start_date, planned_end_date,
                                 assessor_id, iqa_id, contracted_hours_per_week, planned_otj_hours, status,
                                 learning_started_on, withdrawn_on, withdrawal_reason, completed_on)
         select tid, eid, lid, bench_uuid(3, course), start_date, end_date, aid, qid, 37.5,
                round(duration / 7.0 * 37.5 * 0.2, 2), status,
                case when status <> 'awaiting_induction' then start_date end,
                withdrawn_on, case when withdrawn_on is not null then 'Left the employer' end,
                completed_on
         from bench_plan order by e",
    ),
    (
        "optional units",
        "insert into enrolment_optional_units (tenant_id, enrolment_id, unit_id)
         select tid, eid, bench_uuid(5, course * 100 + 18 + o)
         from bench_plan, lateral (values (o1), (o2)) v(o)",
    ),
    // Six pieces of evidence spread over the learning so far for everyone who has mapped
    // anything (the mappings use them in turn), and a seventh, recent and not yet mapped,
    // for 30% of those still in learning: what the assessor has to review.
    (
        "evidence",
        "insert into evidence (tenant_id, id, enrolment_id, component_id, title, declared_own_work,
                               signature_name, signed_at, status, uploaded_by, created_at)
         select tid, bench_uuid(8, e * 10 + x), eid,
                bench_uuid(4, course * 10 + case when x < 3 then 1 else 2 end),
                'Evidence ' || (x + 1), true, 'Learner ' || e, at,
                case when x = 6 and bench_rand($1, e, 16) < 0.1 then 'returned' else 'submitted' end,
                lid, at
         from bench_plan, generate_series(0, 6) x,
              lateral (select case when x < 6
                                   then (start_date + x * greatest(clock - start_date, 1) / 6)::timestamp
                                   else (clock - 1 - floor(bench_rand($1, e, 17) * 20)::int)::timestamp
                              end at time zone 'UTC' as at) w
         where mapped > 0 and (x < 6 or (status = 'in_learning' and bench_rand($1, e, 18) < 0.3))
         order by x, e",
    ),
    (
        "evidence versions",
        "insert into evidence_versions (tenant_id, id, evidence_id, version, storage_key, file_name,
                                        content_type, size_bytes, sha256, uploaded_by, uploaded_at)
         select v.tenant_id, bench_uuid(9, n), v.id, 1,
                'tenants/' || v.tenant_id || '/evidence/' || v.id || '/' || bench_uuid(9, n),
                'evidence-' || n || '.pdf', 'application/pdf',
                20000 + floor(bench_rand($1, n, 19) * 5000000)::int,
                sha256(convert_to(v.id::text, 'UTF8')), v.uploaded_by, v.created_at
         from (select ev.*, ('x' || right(ev.id::text, 12))::bit(48)::bigint as n from evidence ev) v",
    ),
    // The latest nightly figures (the recalculation's table), from the plan: the default
    // track rule (mapped %, 10 points, after 25% of the duration).
    (
        "track figures",
        "insert into enrolment_tracks (tenant_id, enrolment_id, computed_on, criteria, mapped, signed_off,
                                       mapped_percent, signed_off_percent, elapsed_percent, past_end,
                                       track_status, off_track_since)
         select tid, eid, $3::date - 1, 100, mapped - signed, signed, mapped, signed, elapsed,
                $3::date > end_date, track, case when track = 'off_track'
                     then $3::date - 1 - floor(bench_rand($1, e, 20) * 60)::int end
         from (select p.*, 100.0 * (clock - start_date) / duration as elapsed,
                      case when p.status in ('withdrawn', 'completed') then 'not_applicable'
                           when 100.0 * (clock - start_date) / duration < 25 then 'on_track'
                           when mapped < 100.0 * (clock - start_date) / duration - 10 then 'off_track'
                           when mapped > 100.0 * (clock - start_date) / duration + 10 then 'ahead'
                           else 'on_track' end as track
               from bench_plan p) p",
    ),
];

/// The learner's `$2`-th criterion (0 to 99) as a join of `bench_plan p` with
/// `bench_criteria cc` (as in the recalculation case).
const NTH_CRITERION: &str = "bench_criteria cc on cc.course = p.course
    and cc.u = case when $2 < 90 then $2 / 5 else 18 + case when $2 < 95 then p.o1 else p.o2 end end
    and cc.j = $2 % 5";

/// The `$2`-th criterion of every learner who has mapped more than `$2`: the learner's
/// six pieces of evidence in turn, 10% a second one.
fn mappings_sql() -> String {
    format!(
        "insert into criterion_mappings (tenant_id, enrolment_id, criterion_id, evidence_id, mapped_by, mapped_at)
         select p.tid, p.eid, cc.id, bench_uuid(8, p.e * 10 + x.x), p.aid,
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
         select p.tid, p.eid, cc.id, p.aid,
                (p.start_date + ($2 + 1) * greatest(p.clock - p.start_date, 1) / p.mapped)::timestamp
                    at time zone 'UTC' + interval '10 days'
         from bench_plan p
         join {NTH_CRITERION}
         where p.signed > $2 and $1::bigint is not null"
    )
}

/// Week `$2` of every learner who has learnt that long: an entry in most weeks.
const TIME_LOG_WEEK: &str = "
insert into time_log_entries (tenant_id, id, enrolment_id, entry_date, activity_type,
                              course_id, component_id, unit_id, with_assessor,
                              off_the_job, minutes, reflection, source, created_by, created_at)
select p.tid, bench_uuid(10, p.e * 1000 + $2), p.eid,
       p.start_date + $2 * 7 + floor(bench_rand($1, n, 1) * 5)::int,
       (array['face_to_face_session', 'trainer_led_training', 'distance_learning',
              'coaching_mentoring', 'technical_experience', 'review_feedback_support',
              'assessment_examination'])[1 + floor(bench_rand($1, n, 2) * 7)::int],
       case when has_unit then bench_uuid(3, p.course) end,
       case when has_unit then bench_uuid(4, p.course * 10 + case when u < 10 then 1 else 2 end) end,
       case when has_unit then bench_uuid(5, p.course * 100 + u) end,
       bench_rand($1, n, 3) < 0.2, bench_rand($1, n, 4) < 0.8,
       15 * (1 + floor(bench_rand($1, n, 5) * 16)::int),
       case when bench_rand($1, n, 6) < 0.7 then
           left('Worked through the unit material with my team and wrote up what I learned. '
                || 'Practised the procedure twice under supervision and noted the checks. '
                || 'Discussed the outcome with my line manager and agreed what to do next. '
                || 'Read the guidance and summarised the key points for the portfolio.',
                75 * (1 + floor(bench_rand($1, n, 7) * 4)::int))
       end,
       'learner', p.lid, (p.start_date + $2 * 7 + 6)::timestamp at time zone 'UTC'
from bench_plan p
cross join lateral (select p.e * 1000 + $2 as n) k
cross join lateral (select floor(bench_rand($1, k.n, 8) * 18)::int as u,
                           bench_rand($1, k.n, 9) < 0.6 as has_unit) x
where p.weeks > $2 and bench_rand($1, k.n, 10) < $4";

/// Session `$2` of every learner: 0 the induction (three days after the start; still to
/// come, or overdue, for those awaiting it), then a review every ten weeks of learning.
/// Past sessions mostly attended; 3% have no outcome (unclosed).
const SESSIONS: &str = "
insert into learning_sessions (tenant_id, id, enrolment_id, assessor_id, session_type, starts_at,
                               duration_minutes, face_to_face, planning_notes, feedback, outcome,
                               outcome_recorded_at, created_by, created_at)
select p.tid, bench_uuid(11, p.e * 100 + $2), p.eid, p.aid,
       case when $2 = 0 then 'induction' else 'review' end, s.at, 60,
       bench_rand($1, n, 1) < 0.6, 'Review the plan and the evidence since the last session.',
       case when s.outcome = 'attended' then 'Good progress; targets agreed.' end,
       s.outcome, case when s.outcome is not null then s.at + interval '1 day' end,
       p.aid, s.at - interval '14 days'
from bench_plan p
cross join lateral (select p.e * 100 + $2 as n) k
cross join lateral (
    select ((p.start_date + 3 + $2 * 70)::timestamp + interval '10 hours') at time zone 'UTC' as at,
           case when p.status = 'awaiting_induction' then null
                when bench_rand($1, k.n, 2) < 0.03 then null
                when bench_rand($1, k.n, 2) < 0.06 then 'cancelled'
                when bench_rand($1, k.n, 2) < 0.08 then 'learner_did_not_attend'
                else 'attended' end as outcome) s
where p.reviews >= $2";

/// The next review of everyone still in learning: booked within the next three weeks.
const UPCOMING: &str = "
insert into learning_sessions (tenant_id, id, enrolment_id, assessor_id, session_type, starts_at,
                               duration_minutes, face_to_face, created_by, created_at)
select p.tid, bench_uuid(11, p.e * 100 + 99), p.eid, p.aid, 'review',
       (($3::date + floor(bench_rand($1, p.e, 21) * 21)::int)::timestamp + interval '14 hours')
           at time zone 'UTC', 60, true, p.aid, $3::date::timestamp at time zone 'UTC'
from bench_plan p
where p.status = 'in_learning' and $1::bigint is not null";

/// An action set at every attended review: complete once its target is long past (85%),
/// in progress or outstanding otherwise.
const ACTIONS: &str = "
insert into actions (tenant_id, id, enrolment_id, session_id, title, description, target_date, status,
                     learner_feedback, time_spent_minutes, completed_at, completed_by, created_by, created_at)
select s.tenant_id, bench_uuid(12, n), s.enrolment_id, s.id, 'Action from review ' || n,
       'Gather evidence for the next unit and log the time spent.', a.target,
       a.status, case when a.status <> 'outstanding' then 'Started on this with my manager.' end,
       case when a.status <> 'outstanding' then 30 + floor(bench_rand($1, n, 2) * 300)::int end,
       case when a.status = 'complete' then (a.target::timestamp at time zone 'UTC') end,
       case when a.status = 'complete' then s.assessor_id end,
       s.assessor_id, s.starts_at
from (select x.*, ('x' || right(x.id::text, 12))::bit(48)::bigint as n
      from learning_sessions x where x.session_type = 'review' and x.outcome = 'attended') s
cross join lateral (
    select (s.starts_at at time zone 'UTC')::date + 28 as target) t
cross join lateral (
    select t.target,
           case when t.target < $3::date - 30 and bench_rand($1, s.n, 1) < 0.85 then 'complete'
                when bench_rand($1, s.n, 1) < 0.4 then 'in_progress'
                else 'outstanding' end as status) a";

/// The big tables, whose indexes are dropped while loading and built afterwards.
const BULK_TABLES: &str =
    "'criterion_mappings'::regclass, 'criterion_sign_offs'::regclass, 'time_log_entries'::regclass";

/// A clock for progress lines.
struct Progress(Instant);

impl Progress {
    fn line(&self, what: &str) {
        println!("  [{:>5.0} s] {what}", self.0.elapsed().as_secs_f64());
    }
}

async fn session(conn: &mut PgConnection) -> anyhow::Result<()> {
    // Foreign-key (and other) triggers off for this session: the rows are valid by
    // construction.
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await?;
    sqlx::query("set work_mem = '256MB'")
        .execute(&mut *conn)
        .await?;
    sqlx::query("set maintenance_work_mem = '1GB'")
        .execute(&mut *conn)
        .await?;
    // The loading statements' estimates are huge before any statistics exist, and JIT
    // compiling them costs more than running them.
    sqlx::query("set jit = off").execute(&mut *conn).await?;
    Ok(())
}

/// Runs `sql` for each `k` in `range` (binding seed, k and `extra`), reporting progress.
async fn per_step(
    conn: &mut PgConnection,
    progress: &Progress,
    what: &str,
    sql: &str,
    seed: i64,
    range: std::ops::Range<i32>,
    extra: f64,
) -> anyhow::Result<u64> {
    let mut rows = 0;
    let steps = range.len();
    for (i, k) in range.enumerate() {
        rows += sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(seed)
            .bind(k)
            .bind(base_day())
            .bind(extra)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("load {what}, step {k}"))?
            .rows_affected();
        if (i + 1) % (steps / 5).max(1) == 0 || i + 1 == steps {
            progress.line(&format!("{what}: {}/{steps} steps, {rows} rows", i + 1));
        }
    }
    Ok(rows)
}

/// Loads the platform into the (freshly migrated, empty) database of `pool`.
pub async fn load(pool: &PgPool, scale: Scale, seed: i64) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let progress = Progress(started);
    println!(
        "  loading the {} platform ({} tenants, {} enrolments, seed {seed})",
        scale.name(),
        scale.tenants(),
        scale.enrolments()
    );
    let mut conn = pool.acquire().await?;
    sqlx::raw_sql(SQL_HELPERS).execute(&mut *conn).await?;
    session(&mut conn).await?;
    sqlx::query(
        "create table bench_tenants (t int primary key, lo float8, hi float8, assessors int, iqas int)",
    )
    .execute(&mut *conn)
    .await?;
    let bounds = tenant_bounds(scale);
    sqlx::query(
        "insert into bench_tenants select * from unnest($1::int[], $2::float8[], $3::float8[], $4::int[], $5::int[])",
    )
    .bind(bounds.iter().map(|b| b.0).collect::<Vec<_>>())
    .bind(bounds.iter().map(|b| b.1).collect::<Vec<_>>())
    .bind(bounds.iter().map(|b| b.2).collect::<Vec<_>>())
    .bind(bounds.iter().map(|b| b.3).collect::<Vec<_>>())
    .bind(bounds.iter().map(|b| b.4).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    sqlx::query("analyze bench_tenants")
        .execute(&mut *conn)
        .await?;
    for (what, sql) in BASE {
        let done = sqlx::query(*sql)
            .bind(seed)
            .bind(scale.enrolments())
            .bind(base_day())
            .execute(&mut *conn)
            .await
            .with_context(|| format!("load {what}"))?;
        progress.line(&format!("{what}: {} rows", done.rows_affected()));
    }
    sqlx::query("create index on bench_plan (e)")
        .execute(&mut *conn)
        .await?;

    // The big tables' keys and indexes are built once, after loading, not row by row.
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

    // Two loaders at once (the machine has two cores): progress rows on one connection,
    // the learning plan's rows on another.
    let mut other = pool.acquire().await?;
    session(&mut other).await?;
    let max_weeks: i32 = sqlx::query_scalar("select coalesce(max(weeks), 0)::int from bench_plan")
        .fetch_one(&mut *conn)
        .await?;
    let max_reviews: i32 =
        sqlx::query_scalar("select coalesce(max(reviews), 0)::int from bench_plan")
            .fetch_one(&mut *conn)
            .await?;
    let progress_rows = async {
        let mappings = mappings_sql();
        let sign_offs = sign_offs_sql();
        per_step(
            &mut conn,
            &progress,
            "criterion mappings",
            &mappings,
            seed,
            0..100,
            0.0,
        )
        .await?;
        per_step(
            &mut conn,
            &progress,
            "sign-offs",
            &sign_offs,
            seed,
            0..100,
            0.0,
        )
        .await?;
        anyhow::Ok(())
    };
    let plan_rows = async {
        let c = &mut *other;
        per_step(
            c,
            &progress,
            "time log",
            TIME_LOG_WEEK,
            seed,
            0..max_weeks,
            WEEKS_LOGGED,
        )
        .await?;
        per_step(
            c,
            &progress,
            "learning sessions",
            SESSIONS,
            seed,
            0..max_reviews + 1,
            0.0,
        )
        .await?;
        for (what, sql) in [("upcoming reviews", UPCOMING), ("actions", ACTIONS)] {
            let done = sqlx::query(sql)
                .bind(seed)
                .bind(0_i32)
                .bind(base_day())
                .execute(&mut *c)
                .await
                .with_context(|| format!("load {what}"))?;
            progress.line(&format!("{what}: {} rows", done.rows_affected()));
        }
        anyhow::Ok(())
    };
    tokio::try_join!(progress_rows, plan_rows)?;

    // Rebuild the keys and indexes, split over the two connections.
    let mut builds: Vec<String> = constraints
        .iter()
        .map(|(table, name, def)| format!("alter table {table} add constraint {name} {def}"))
        .collect();
    builds.extend(indexes.iter().map(|(_, def)| def.clone()));
    let (left, right): (Vec<_>, Vec<_>) = builds.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let build = async |c: &mut PgConnection, list: Vec<(usize, &String)>| {
        for (_, sql) in list {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .execute(&mut *c)
                .await
                .with_context(|| format!("rebuild: {sql}"))?;
        }
        anyhow::Ok(())
    };
    tokio::try_join!(build(&mut conn, left), build(&mut other, right))?;
    progress.line(&format!("built {} keys and indexes", builds.len()));
    drop(other);
    sqlx::query("set session_replication_role = origin")
        .execute(&mut *conn)
        .await?;
    sqlx::query("vacuum (analyze)").execute(&mut *conn).await?;
    progress.line("vacuum analyze");

    let counts: (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from tenants),
                (select count(*) from enrolments),
                (select min(n) from (select count(*) as n from enrolments group by tenant_id) s),
                (select max(n) from (select count(*) as n from enrolments group by tenant_id) s),
                (select count(*) from user_roles where role = 'assessor'),
                (select count(*) from criterion_mappings),
                (select count(*) from criterion_sign_offs),
                (select count(*) from evidence),
                (select count(*) from time_log_entries),
                (select count(*) from learning_sessions),
                (select count(*) from actions)",
    )
    .fetch_one(&mut *conn)
    .await?;
    let summary = Summary {
        scale,
        seed,
        load_seconds: started.elapsed().as_secs_f64(),
        tenants: counts.0,
        enrolments: counts.1,
        smallest_tenant: counts.2,
        largest_tenant: counts.3,
        assessors: counts.4,
        // Every learner has 100 criteria: 90 of mandatory units, 10 of two optional ones.
        learner_criteria: counts.1 * 100,
        mappings: counts.5,
        sign_offs: counts.6,
        evidence: counts.7,
        time_log_entries: counts.8,
        learning_sessions: counts.9,
        actions: counts.10,
    };
    sqlx::query("create table bench_platform as select $1::jsonb as summary")
        .bind(serde_json::to_value(&summary)?)
        .execute(&mut *conn)
        .await?;
    progress.line("done");
    Ok(summary)
}
