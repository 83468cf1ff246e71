//! The assessor's dashboard with row-level security on against the same queries without
//! it, on the generated platform, in the same run.
//!
//! Folio: `folio_db::dashboard::figures` (what `GET /api/v1/dashboard` runs: one statement
//! counting every tile, one summing off-the-job time, judged in Rust) for an assessor's
//! caseload, in a `begin_tenant` transaction as `folio_app`: every table's policy adds
//! `tenant_id = current_tenant()`.
//!
//! Baseline: the same function in the same transaction after `set local role none`: the
//! statements then run as the tables' owner (the login role, a superuser), which row-level
//! security does not apply to, with the explicit `tenant_id = $1` filters the queries carry
//! anyway (ARCHITECTURE.md: queries filter explicitly, RLS is the safety net). Folio's
//! transaction runs `set local role folio_app` in the same place, so both run the same
//! statements. The two are checked to give the same figures.
//!
//! Several assessors of tenants of every size; each measurement is a pass over all of
//! them, one transaction per dashboard; passes alternate between the two.

use std::time::{Duration, Instant};

use anyhow::bail;
use chrono::{NaiveTime, TimeZone as _, Utc};
use folio_db::dashboard::{self, Figures, Rules, Scope};
use folio_domain::TenantId;
use uuid::Uuid;

use crate::cases::{CaseResult, Row};
use crate::ctx::{Ctx, Platform, median, secs};
use crate::platform::base_day;

/// Which way a dashboard is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// As `folio_app`, row-level security on.
    Rls,
    /// As the owner, no row-level security, the queries' own tenant filter.
    Owner,
}

fn rules() -> Rules {
    let today = base_day();
    Rules {
        today,
        now: Utc.from_utc_datetime(&today.and_time(NaiveTime::MIN)) + chrono::TimeDelta::hours(12),
        review_frequency_weeks: 12,
        induction_within_days: 28,
        signed_off_basis: false,
    }
}

async fn figures(
    platform: &Platform,
    tenant: Uuid,
    scope: Scope,
    way: Way,
) -> anyhow::Result<(Duration, Figures)> {
    let rules = rules();
    let started = Instant::now();
    let mut tx = platform.db.begin_tenant(TenantId(tenant)).await?;
    let role = match way {
        Way::Rls => "set local role folio_app",
        Way::Owner => "set local role none",
    };
    sqlx::query(role).execute(tx.conn()).await?;
    let figures = dashboard::figures(&mut tx, scope, &rules).await?;
    tx.commit().await?;
    Ok((started.elapsed(), figures))
}

/// One pass over every dashboard; the time of each.
async fn pass(
    platform: &Platform,
    dashboards: &[(Uuid, Scope)],
    way: Way,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(dashboards.len());
    for &(tenant, scope) in dashboards {
        times.push(figures(platform, tenant, scope, way).await?.0);
    }
    Ok(times)
}

/// Assessors of tenants of every size: `per_tenant` of each of up to `tenants` tenants
/// spread over the size ranking, those with the most learners in progress first.
async fn assessors(
    platform: &Platform,
    tenants: i64,
    per_tenant: i64,
) -> anyhow::Result<Vec<(Uuid, Scope)>> {
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "with sizes as (
             select tenant_id, row_number() over (order by count(*) desc) as rank, count(*) over () as n
             from enrolments group by tenant_id
         ), chosen as (
             select tenant_id from sizes
             where (rank - 1) % greatest(n / $1, 1) = 0
             order by rank limit $1
         ), loads as (
             select e.tenant_id, e.assessor_id, count(*) as learners,
                    row_number() over (partition by e.tenant_id order by count(*) desc, e.assessor_id) as k
             from enrolments e join chosen using (tenant_id)
             where e.status in ('awaiting_induction', 'in_learning', 'break_in_learning')
             group by e.tenant_id, e.assessor_id
         )
         select tenant_id, assessor_id from loads where k <= $2 order by tenant_id, k",
    )
    .bind(tenants)
    .bind(per_tenant)
    .fetch_all(&platform.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(tenant, user_id)| {
            (
                tenant,
                Scope {
                    user_id,
                    all: false,
                    as_assessor: true,
                    as_iqa: false,
                },
            )
        })
        .collect())
}

fn total(v: &[Duration]) -> Duration {
    v.iter().sum()
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<CaseResult> {
    let platform = ctx.platform().await?;
    let dashboards = assessors(platform, 10, 5).await?;
    let tenants = {
        let mut t: Vec<Uuid> = dashboards.iter().map(|d| d.0).collect();
        t.dedup();
        t.len()
    };
    let caseload: i64 = sqlx::query_scalar(
        "select count(*) from enrolments
         where status in ('awaiting_induction', 'in_learning', 'break_in_learning')
           and (tenant_id, assessor_id) in (select * from unnest($1::uuid[], $2::uuid[]))",
    )
    .bind(dashboards.iter().map(|d| d.0).collect::<Vec<_>>())
    .bind(dashboards.iter().map(|d| d.1.user_id).collect::<Vec<_>>())
    .fetch_one(&platform.pool)
    .await?;
    println!(
        "  {} assessors' dashboards in {tenants} tenants ({caseload} learners in progress)",
        dashboards.len()
    );
    // Both ways must see the same figures (and RLS must not hide any of them).
    for &(tenant, scope) in &dashboards {
        let (_, rls) = figures(platform, tenant, scope, Way::Rls).await?;
        let (_, owner) = figures(platform, tenant, scope, Way::Owner).await?;
        if rls != owner {
            bail!(
                "the dashboard of {} differs: {rls:?} vs {owner:?}",
                scope.user_id
            );
        }
    }
    // Passes per measurement: enough for about six seconds. A pass reads more pages than
    // shared buffers hold, so each reads some from the OS's cache, as a busy server would.
    let probe = total(&pass(platform, &dashboards, Way::Owner).await?);
    let passes = (6.0 / probe.as_secs_f64().max(1e-3))
        .ceil()
        .clamp(1.0, 50.0) as usize;
    let mut rls = Vec::new();
    let mut owner = Vec::new();
    let mut each_rls = Vec::new();
    let mut each_owner = Vec::new();
    for round in 1..=ctx.rounds {
        let order = if round % 2 == 1 {
            [Way::Rls, Way::Owner]
        } else {
            [Way::Owner, Way::Rls]
        };
        for way in order {
            let mut times = Vec::new();
            for _ in 0..passes {
                times.extend(pass(platform, &dashboards, way).await?);
            }
            let t = total(&times);
            println!(
                "  round {round} {:<5}: {} for {} dashboards",
                format!("{way:?}").to_lowercase(),
                secs(t),
                times.len()
            );
            match way {
                Way::Rls => {
                    rls.push(t);
                    each_rls.extend(times);
                }
                Way::Owner => {
                    owner.push(t);
                    each_owner.extend(times);
                }
            }
        }
    }
    // Each dashboard hot: read once each way, then three times each way interleaved; the
    // ratio of its two medians. What row-level security costs once the pages are cached.
    let mut hot_rls = Vec::new();
    let mut hot_owner = Vec::new();
    let mut hot_ratios = Vec::new();
    for &(tenant, scope) in &dashboards {
        figures(platform, tenant, scope, Way::Rls).await?;
        figures(platform, tenant, scope, Way::Owner).await?;
        let (mut r, mut o) = (Vec::new(), Vec::new());
        for i in 0..3 {
            let order = if i % 2 == 0 {
                [Way::Rls, Way::Owner]
            } else {
                [Way::Owner, Way::Rls]
            };
            for way in order {
                let (took, _) = figures(platform, tenant, scope, way).await?;
                match way {
                    Way::Rls => r.push(took),
                    Way::Owner => o.push(took),
                }
            }
        }
        let (mr, mo) = (median(&r), median(&o));
        hot_rls.push(mr);
        hot_owner.push(mo);
        hot_ratios.push(mr.as_secs_f64() / mo.as_secs_f64().max(1e-9));
    }
    hot_ratios.sort_by(f64::total_cmp);
    let hot_ratio = hot_ratios
        .get(hot_ratios.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0.0);
    let (r, o) = (median(&rls), median(&owner));
    let (er, eo) = (median(&each_rls), median(&each_owner));
    let n = dashboards.len() * passes;
    let all = |v: &[Duration]| {
        v.iter()
            .map(|d| format!("{:.3}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    Ok(CaseResult {
        name: "rls",
        title: "The assessor's dashboard with row-level security on".into(),
        setup: vec![
            platform.summary.describe(),
            format!(
                "Dashboards: {} assessors (the five with the largest caseloads in each of {tenants} tenants spread \
                 over the size ranking), {caseload} learners in progress between them.",
                dashboards.len()
            ),
            "Folio: `folio_db::dashboard::figures` (the statements of `GET /api/v1/dashboard`: every tile's count in \
             one statement, off-the-job sums in another) in a `begin_tenant` transaction as `folio_app`, row-level \
             security on."
                .into(),
            "Baseline: the same function and statements in the same transaction after `set local role none`, i.e. \
             as the tables' owner (a superuser: no row-level security), relying on the queries' explicit \
             `tenant_id = $1` filters; Folio's transaction runs `set local role folio_app` at that point instead. \
             Both give the same figures for every dashboard (checked)."
                .into(),
            format!(
                "{} alternating rounds, each {passes} passes over every dashboard, one transaction per dashboard; \
                 medians.",
                ctx.rounds
            ),
        ],
        rows: vec![
            Row {
                measure: format!("{n} assessor dashboards"),
                folio: secs(r),
                baseline: secs(o),
                ratio: format!("{:.2}×", r.as_secs_f64() / o.as_secs_f64().max(1e-9)),
                target: "≤ 1.1×".into(),
            },
            Row {
                measure: "one dashboard in those passes, median".into(),
                folio: ms(er),
                baseline: ms(eo),
                ratio: format!("{:.2}×", er.as_secs_f64() / eo.as_secs_f64().max(1e-9)),
                target: "—".into(),
            },
            Row {
                measure: "one dashboard hot (3 interleaved reads each way), median".into(),
                folio: ms(median(&hot_rls)),
                baseline: ms(median(&hot_owner)),
                ratio: format!("{hot_ratio:.2}× (median of the {} dashboards' ratios)", hot_ratios.len()),
                target: "—".into(),
            },
        ],
        notes: vec![format!(
            "Rounds (s): RLS [{}]; owner [{}].",
            all(&rls),
            all(&owner)
        )],
    })
}
