//! The recalculation benchmark's baseline: `folio_db::tracks::recalculate`'s upsert of
//! `enrolment_tracks` as one hand-written SQL statement. It lives here, not in `folio-db`,
//! because nothing in Folio runs it but the benchmark (`cases/recalculation.rs`) and the
//! end-to-end test that checks the two agree (`tests/tests/e2e/tracks.rs`).

use chrono::NaiveDate;
use folio_db::TenantTx;
use folio_db::progress::LEARNERS_UNIT;
use folio_domain::{TenantSettings, TrackBasis};

/// **Benchmark baseline only; the nightly job uses [`folio_db::tracks::recalculate`].** The same upsert of
/// `enrolment_tracks` (not the history) as one hand-written SQL statement computed wholly
/// inside PostgreSQL, with the rule's basis, margin and grace period as bind parameters.
/// It repeats the domain's formulas in SQL (tie tolerance, clock date, breaks pausing the
/// clock, not applicable without criteria, projected completion), which is exactly what Folio otherwise avoids:
/// it exists to measure what the set-based read, compute-in-Rust, write-back design costs
/// against the fastest possible form. It counts as [`folio_db::tracks::recalculate`]'s batches do (per-unit
/// criteria totals, states from the sign-offs and mappings), over the whole tenant at once,
/// but is written out on its own rather than sharing their SQL: so that the two agreeing
/// (`tests/tests/e2e/tracks.rs`, and every benchmark run) checks one against the other, and
/// because the batches' CTEs, whose filters read `enrolment_id in (select id from batch)`,
/// took this statement from 28 s to 78 s over 100,000 enrolments when shared. Returns the
/// rows written.
#[tracing::instrument(skip(tx, settings), fields(tenant_id = %tx.tenant()))]
pub async fn hand_written_recalculate(
    tx: &mut TenantTx,
    on: NaiveDate,
    settings: &TenantSettings,
) -> sqlx::Result<u64> {
    let rule = &settings.track;
    let tenant = tx.tenant();
    let basis = match rule.basis {
        TrackBasis::Mapped => "mapped",
        TrackBasis::SignedOff => "signed_off",
    };
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "with unit_sizes as (
             select cr.unit_id, count(*) as criteria
             from criteria cr
             where cr.tenant_id = $1
             group by cr.unit_id
         ),
         totals as (
             select e.id as enrolment_id, sum(us.criteria)::bigint as criteria
             from enrolments e
             join components c on c.tenant_id = e.tenant_id and c.course_id = e.course_id
             join units u on u.tenant_id = c.tenant_id and u.component_id = c.id and {LEARNERS_UNIT}
             join unit_sizes us on us.unit_id = u.id
             where e.tenant_id = $1
             group by e.id
         ),
         states as (
             select coalesce(s.enrolment_id, m.enrolment_id) as enrolment_id,
                    coalesce(s.criterion_id, m.criterion_id) as criterion_id,
                    s.signed_off_at
             from (select enrolment_id, criterion_id, signed_off_at
                   from criterion_sign_offs
                   where tenant_id = $1) s
             full join (select distinct enrolment_id, criterion_id
                        from criterion_mappings
                        where tenant_id = $1) m
                  on m.enrolment_id = s.enrolment_id and m.criterion_id = s.criterion_id
         ),
         counts as (
             select e.id as enrolment_id,
                    count(*) filter (where st.signed_off_at is null) as mapped,
                    count(st.signed_off_at) as signed_off,
                    (max(st.signed_off_at) at time zone $6)::date as last_sign_off
             from states st
             join enrolments e on e.tenant_id = $1 and e.id = st.enrolment_id
             join criteria cr on cr.tenant_id = e.tenant_id and cr.id = st.criterion_id
             join units u on u.tenant_id = e.tenant_id and u.id = cr.unit_id and {LEARNERS_UNIT}
             join components c on c.tenant_id = e.tenant_id and c.id = u.component_id
                  and c.course_id = e.course_id
             group by e.id
         ),
         clocked as (
             select e.id as enrolment_id, e.start_date, e.planned_end_date,
                    e.status in ('withdrawn', 'completed') as final,
                    coalesce(t.criteria, 0) as criteria,
                    coalesce(n.mapped, 0) as mapped,
                    coalesce(n.signed_off, 0) as signed_off,
                    n.last_sign_off,
                    case when e.status in ('withdrawn', 'completed')
                              and coalesce(e.completed_on, e.withdrawn_on) is not null
                         then least(coalesce(e.completed_on, e.withdrawn_on), $2::date)
                         else $2::date
                    end as clock
             from enrolments e
             left join totals t on t.enrolment_id = e.id
             left join counts n on n.enrolment_id = e.id
             where e.tenant_id = $1
         ),
         -- Days of breaks in learning between the start and the clock: the clock pauses.
         paused as (
             select k.*,
                    coalesce((select sum(greatest(least(coalesce(b.ended_on, k.clock), k.clock)
                                                  - greatest(b.started_on, k.start_date), 0))
                              from enrolment_breaks b
                              where b.tenant_id = $1 and b.enrolment_id = k.enrolment_id), 0)::bigint
                        as paused
             from clocked k
         ),
         figures as (
             select k.*,
                    case when k.criteria = 0 then 0::float8
                         else k.signed_off::float8 * 100::float8 / k.criteria::float8
                    end as signed_off_percent,
                    case when k.criteria = 0 then 0::float8
                         else (k.mapped + k.signed_off)::float8 * 100::float8 / k.criteria::float8
                    end as mapped_percent,
                    case when k.planned_end_date > k.start_date
                              then greatest(k.clock - k.start_date - k.paused, 0)::float8 * 100::float8
                                   / (k.planned_end_date - k.start_date)::float8
                         when k.clock >= k.planned_end_date then 100::float8
                         else 0::float8
                    end as elapsed_percent,
                    greatest(k.clock - k.start_date - k.paused, 0)
                        > k.planned_end_date - k.start_date as past_end,
                    (k.clock - k.start_date - k.paused)::bigint as days
             from paused k
         ),
         judged as (
             select f.*,
                    case when f.final or f.criteria = 0 then 'not_applicable'
                         when f.elapsed_percent + 1e-9::float8 >= $4::float8
                              and f.elapsed_percent + 1e-9::float8
                                  >= (case when $3 = 'signed_off' then f.signed_off_percent
                                           else f.mapped_percent end) + $5::float8
                              then 'off_track'
                         when (case when $3 = 'signed_off' then f.signed_off_percent
                                    else f.mapped_percent end) + 1e-9::float8
                              >= f.elapsed_percent + $5::float8
                              then 'ahead'
                         else 'on_track'
                    end as track_status,
                    case when f.criteria > 0 and f.signed_off >= f.criteria then f.last_sign_off
                         when f.days <= 0 or f.signed_off = 0 or f.final then null
                         else f.start_date
                              + ((f.days * f.criteria + f.signed_off - 1) / f.signed_off)::int
                              + f.paused::int
                    end as projected_completion
             from figures f
         )
         insert into enrolment_tracks (
             tenant_id, enrolment_id, computed_on, criteria, mapped, signed_off,
             mapped_percent, signed_off_percent, elapsed_percent, past_end, track_status,
             projected_completion, off_track_since, updated_at)
         select $1, j.enrolment_id, $2, j.criteria, j.mapped, j.signed_off,
                j.mapped_percent, j.signed_off_percent, j.elapsed_percent, j.past_end,
                j.track_status, j.projected_completion,
                case when j.track_status = 'off_track' then $2::date end, now()
         from judged j
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
             off_track_since = case
                 when excluded.track_status <> 'off_track' then null
                 when enrolment_tracks.track_status = 'off_track'
                     then coalesce(enrolment_tracks.off_track_since, excluded.computed_on)
                 else excluded.computed_on
             end,
             updated_at = now()
         where enrolment_tracks.computed_on <= excluded.computed_on"
    )))
    .bind(tenant.0)
    .bind(on)
    .bind(basis)
    .bind(rule.grace_percent)
    .bind(rule.margin_points)
    .bind(&settings.timezone)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}
