//! A learner's progress read through the real HTTP API against the same SQL through
//! `pgbench`, on the generated platform, in the same run.
//!
//! Folio: `GET /api/v1/enrolments/{id}/progress` served by Folio's own server in a child
//! process ([`crate::server`]: `folio::serve::serve_until` with the configuration's
//! defaults, so a pool of 10 database connections), driven by an in-process load
//! generator: 64 keep-alive HTTP/1.1 connections, each sending one request after another
//! for a random learner (of thousands, across every tenant) with that learner's session
//! token, minted and stored exactly as sign-in does (`folio_app::credentials::mint`,
//! `folio_db::auth::create_session`). A request authenticates the session, checks the
//! disclaimer, loads the enrolment if visible, reads the tenant's settings and counts the
//! learner's criteria per unit, in one tenant transaction as `folio_app`.
//!
//! Baseline: `pgbench` with 64 clients (and as many threads as the load generator's
//! runtime), prepared statements, running those same statements — the very SQL text, taken
//! from `folio_db` (`auth::FIND_SESSION_SQL`, `profile::PENDING_DISCLAIMER_SQL`,
//! `enrolments::get_visible_sql`, `settings::GET_SQL`, `progress::unit_counts_sql`) — in
//! the same kind of transaction: `begin`, the `set_config` of role and tenant that
//! `begin_tenant` runs, the statements, `commit`, as the same login role, for a random
//! learner each time. The random learner is looked up in the `set_config` statement itself
//! (a primary-key read of a small table), so the baseline has no extra round trip.
//!
//! Both are measured over the same window: a warm-up, then a fixed duration; throughput is
//! what completed in the window, latency percentiles over those requests. The machine's
//! cores are shared by the load generator (or pgbench), the server and PostgreSQL.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use uuid::Uuid;

use crate::cases::load::{self, Measurement, Session, Target, WARM_UP, drive, pgbench, threads};
use crate::cases::{CaseResult, Row};
use crate::ctx::{Ctx, Platform};
use crate::server::{self, Server};

/// Concurrent connections (the load generator's) and clients (pgbench's).
const CONNECTIONS: usize = 64;
/// A light load, for the latency of a request that does not queue behind 63 others.
const FEW: usize = 4;

/// A learner the load is spread over.
#[derive(Debug, Clone)]
struct Learner {
    session: Session,
    enrolment: Uuid,
}

impl Learner {
    /// The learner's progress read, with their token as a bearer.
    fn target(&self) -> Target {
        Target {
            path: format!("/api/v1/enrolments/{}/progress", self.enrolment),
            credential: (
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.session.token),
            ),
        }
    }
}

/// Every `step`-th enrolment of the platform (all statuses, every tenant), each with a
/// new sign-in session.
async fn learners(platform: &Platform, count: i64) -> anyhow::Result<Vec<Learner>> {
    let step = (platform.summary.enrolments / count.max(1)).max(1);
    let rows: Vec<(Uuid, Uuid, Uuid)> = sqlx::query_as(
        "select tid, lid, eid from bench_plan where e % $1 = 0 order by tid, e limit $2",
    )
    .bind(step)
    .bind(count)
    .fetch_all(&platform.pool)
    .await?;
    let people: Vec<(Uuid, Uuid)> = rows.iter().map(|r| (r.0, r.1)).collect();
    let sessions = load::sign_in(platform, &people).await?;
    let out: Vec<Learner> = sessions
        .into_iter()
        .zip(&rows)
        .map(|(session, row)| Learner {
            enrolment: row.2,
            session,
        })
        .collect();
    // The lookup table of the pgbench script (no `tenant_id` column: it is not tenant data).
    sqlx::raw_sql(
        "drop table if exists bench_learners;
         create table bench_learners (n int primary key, tenant uuid not null, user_id uuid not null,
                                      enrolment_id uuid not null, token_hash bytea not null)",
    )
    .execute(&platform.pool)
    .await?;
    sqlx::query(
        "insert into bench_learners
         select * from unnest($1::int[], $2::uuid[], $3::uuid[], $4::uuid[], $5::bytea[])",
    )
    .bind((1..=i32::try_from(out.len()).unwrap_or(i32::MAX)).collect::<Vec<_>>())
    .bind(out.iter().map(|l| l.session.tenant).collect::<Vec<_>>())
    .bind(out.iter().map(|l| l.session.user).collect::<Vec<_>>())
    .bind(out.iter().map(|l| l.enrolment).collect::<Vec<_>>())
    .bind(
        out.iter()
            .map(|l| l.session.hash.to_vec())
            .collect::<Vec<_>>(),
    )
    .execute(&platform.pool)
    .await?;
    sqlx::query("vacuum (analyze) bench_learners, sessions")
        .execute(&platform.pool)
        .await?;
    Ok(out)
}

/// `sql` with its `$1…$n` replaced by pgbench variables `:names[0]…`.
fn with_variables(sql: &str, names: &[&str]) -> String {
    let mut out = sql.to_owned();
    for (i, name) in names.iter().enumerate().rev() {
        out = out.replace(&format!("${}", i + 1), &format!(":{name}"));
    }
    out
}

/// The pgbench script: the endpoint's statements in the transaction `begin_tenant` opens.
fn pgbench_script(learners: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\\set n random(1, {learners})");
    s.push_str("begin;\n");
    s.push_str(
        "select set_config('role', 'folio_app', true) as role_set,
       set_config('app.tenant_id', l.tenant::text, true) as tenant_set,
       l.tenant, l.user_id, l.enrolment_id, l.token_hash, false as no, true as yes
from bench_learners l where l.n = :n \\gset\n",
    );
    let statements = [
        with_variables(folio_db::auth::FIND_SESSION_SQL, &["tenant", "token_hash"]),
        with_variables(
            folio_db::profile::PENDING_DISCLAIMER_SQL,
            &["tenant", "user_id"],
        ),
        // A learner's scope: all no, as learner yes, as assessor, IQA, employer, auditor no.
        with_variables(
            &folio_db::enrolments::get_visible_sql(),
            &[
                "tenant",
                "user_id",
                "no",
                "yes",
                "no",
                "no",
                "no",
                "no",
                "enrolment_id",
            ],
        ),
        with_variables(folio_db::settings::GET_SQL, &["tenant"]),
        with_variables(
            &folio_db::progress::unit_counts_sql(),
            &["tenant", "enrolment_id"],
        ),
    ];
    for statement in statements {
        s.push_str(statement.trim());
        s.push_str(";\n");
    }
    s.push_str("commit;\n");
    s
}

/// One progress read through the API, checked against the database.
async fn check(platform: &Platform, addr: SocketAddr, learner: &Learner) -> anyhow::Result<()> {
    let mut sender = server::connect::<Empty<Bytes>>(addr).await?;
    let request = hyper::Request::get(format!("/api/v1/enrolments/{}/progress", learner.enrolment))
        .header(hyper::header::HOST, addr.to_string())
        .header(
            hyper::header::AUTHORIZATION,
            format!("Bearer {}", learner.session.token),
        )
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if status != hyper::StatusCode::OK {
        bail!(
            "GET progress answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let body: serde_json::Value = serde_json::from_slice(&body)?;
    let api = (
        body.pointer("/overall/criteria")
            .and_then(serde_json::Value::as_i64),
        body.pointer("/overall/criteria_signed_off")
            .and_then(serde_json::Value::as_i64),
    );
    let signed: i64 = sqlx::query_scalar(
        "select count(*) from criterion_sign_offs where tenant_id = $1 and enrolment_id = $2",
    )
    .bind(learner.session.tenant)
    .bind(learner.enrolment)
    .fetch_one(&platform.pool)
    .await?;
    if api != (Some(100), Some(signed)) {
        bail!("the API's figures {api:?} are not the database's (100, {signed})");
    }
    Ok(())
}

fn ms(v: f64) -> String {
    format!("{v:.2} ms")
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<CaseResult> {
    let platform = ctx.platform().await?;
    let count = (platform.summary.enrolments / 20).min(5_000);
    let learners = Arc::new(learners(platform, count).await?);
    let tenants = {
        let mut t: Vec<Uuid> = learners.iter().map(|l| l.session.tenant).collect();
        t.dedup();
        t.len()
    };
    println!(
        "  {} learners of {tenants} tenants, each with a sign-in session",
        learners.len()
    );
    let dir = std::env::temp_dir().join(format!("{}-api-read", platform.name));
    tokio::fs::create_dir_all(&dir).await?;
    let script = dir.join("progress.sql");
    tokio::fs::write(&script, pgbench_script(learners.len())).await?;
    let server = Server::start(ctx, &platform.name, &dir.join("data"), &[]).await?;
    println!(
        "  Folio's server (pid {}) listens on {}",
        server.pid, server.addr
    );
    let outcome = measure(ctx, platform, &server, &learners, &script, &dir).await;
    let log = server.log.clone();
    server.stop().await;
    let Measured {
        api,
        pg,
        all_api,
        all_pg,
        light_api,
        light_pg,
    } = match outcome {
        Ok(o) => o,
        Err(e) => return Err(e.context(format!("server log: {}", log.display()))),
    };
    if ctx.keep {
        println!(
            "  kept {} (the pgbench script is progress.sql)",
            dir.display()
        );
    } else {
        tokio::fs::remove_dir_all(&dir).await.ok();
    }

    let ratio = api.throughput() / pg.throughput().max(1e-9);
    let rounds = |v: &[Measurement]| {
        v.iter()
            .map(|m| format!("{:.0}", m.throughput()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let p99s = |v: &[Measurement]| {
        v.iter()
            .map(|m| format!("{:.1}", m.percentile_ms(99.0)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let cpu_per_request = |cpu: f64, m: &Measurement| cpu * 1e6 / (m.all_requests.max(1) as f64);
    Ok(CaseResult {
        name: "api-read",
        title: "A learner's progress read through the HTTP API".into(),
        setup: vec![
            platform.summary.describe(),
            format!(
                "Folio: `GET /api/v1/enrolments/{{id}}/progress` of Folio's own server (`folio::serve::serve_until`, \
                 default configuration: 10 database connections, a log line per request) in a child process, \
                 driven by an in-process hyper load generator: {CONNECTIONS} keep-alive connections, each one request \
                 after another, for a random one of {} learners of {tenants} tenants, with session tokens minted and \
                 stored as sign-in does.",
                learners.len()
            ),
            format!(
                "Baseline: `pgbench -M prepared -c {CONNECTIONS} -j {}` running the same statements (the SQL text from \
                 `folio_db`: session lookup, disclaimer check, visible enrolment, settings, per-unit counts) in the same \
                 transaction as `begin_tenant`'s (`begin`, `set_config` of role `folio_app` and tenant, the statements, \
                 `commit`), as the same login role, for a random learner (looked up inside the `set_config` statement).",
                threads()
            ),
            format!(
                "Each measurement: {} s warm-up, then {} s counted (requests completed in the window); {} alternating \
                 rounds at {CONNECTIONS} connections, medians of the rounds; then one run of each at {FEW} connections. \
                 The machine's {} cores are shared by the load generator (or pgbench), the server and PostgreSQL; \
                 pgbench gets as many threads as the load generator's runtime has.",
                WARM_UP.as_secs(),
                ctx.read_seconds,
                ctx.rounds,
                threads()
            ),
        ],
        rows: vec![
            Row {
                measure: format!("progress reads, {CONNECTIONS} connections"),
                folio: format!("{:.0} req/s", api.throughput()),
                baseline: format!("{:.0} tx/s", pg.throughput()),
                ratio: format!("{ratio:.2}× the throughput"),
                target: "≥ 0.7×".into(),
            },
            Row {
                measure: "latency p50".into(),
                folio: ms(api.percentile_ms(50.0)),
                baseline: ms(pg.percentile_ms(50.0)),
                ratio: "—".into(),
                target: "—".into(),
            },
            Row {
                measure: "latency p99".into(),
                folio: ms(api.percentile_ms(99.0)),
                baseline: ms(pg.percentile_ms(99.0)),
                ratio: "—".into(),
                target: "< 20 ms".into(),
            },
            Row {
                measure: format!("progress reads, {FEW} connections (one run)"),
                folio: format!("{:.0} req/s", light_api.throughput()),
                baseline: format!("{:.0} tx/s", light_pg.throughput()),
                ratio: format!(
                    "{:.2}× the throughput",
                    light_api.throughput() / light_pg.throughput().max(1e-9)
                ),
                target: "—".into(),
            },
            Row {
                measure: format!("… latency p50 / p99, {FEW} connections"),
                folio: format!(
                    "{} / {}",
                    ms(light_api.percentile_ms(50.0)),
                    ms(light_api.percentile_ms(99.0))
                ),
                baseline: format!(
                    "{} / {}",
                    ms(light_pg.percentile_ms(50.0)),
                    ms(light_pg.percentile_ms(99.0))
                ),
                ratio: "—".into(),
                target: "—".into(),
            },
        ],
        notes: vec![
            format!(
                "Rounds (req/s): API [{}]; pgbench [{}]. p99 (ms): API [{}]; pgbench [{}]. Errors: API {}, pgbench {}.",
                rounds(&all_api),
                rounds(&all_pg),
                p99s(&all_api),
                p99s(&all_pg),
                all_api.iter().map(|m| m.errors).sum::<u64>(),
                all_pg.iter().map(|m| m.errors).sum::<u64>()
            ),
            format!(
                "CPU per API request (median round): the server process {:.0} µs, the load generator {:.0} µs \
                 (PostgreSQL's share not counted).",
                cpu_per_request(api.server_cpu, &api),
                cpu_per_request(api.client_cpu, &api)
            ),
        ],
    })
}

/// What [`measure`] found: the median rounds, every round, and the light load's run.
struct Measured {
    api: Measurement,
    pg: Measurement,
    all_api: Vec<Measurement>,
    all_pg: Vec<Measurement>,
    light_api: Measurement,
    light_pg: Measurement,
}

async fn measure(
    ctx: &Ctx,
    platform: &Platform,
    server: &Server,
    learners: &Arc<Vec<Learner>>,
    script: &Path,
    dir: &Path,
) -> anyhow::Result<Measured> {
    let first = learners.first().context("no learners")?;
    check(platform, server.addr, first).await?;
    let seed = u64::try_from(ctx.seed).unwrap_or(0)
        ^ SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
    // One short untimed run of each: statements prepared, pages cached.
    let scripts = [script.to_path_buf()];
    let files = (&scripts[..], dir);
    let targets: Arc<Vec<Target>> = Arc::new(learners.iter().map(Learner::target).collect());
    let warm = drive(server.addr, targets.clone(), seed, (CONNECTIONS, 2), server).await?;
    println!("  warm-up API: {:.0} req/s", warm.throughput());
    let warm = pgbench(ctx, &platform.name, files, threads(), (CONNECTIONS, 2)).await?;
    println!("  warm-up pgbench: {:.0} tx/s", warm.throughput());
    let mut api = Vec::new();
    let mut pg = Vec::new();
    for round in 1..=ctx.rounds {
        let api_first = round % 2 == 1;
        for turn in 0..2 {
            if (turn == 0) == api_first {
                let m = drive(
                    server.addr,
                    targets.clone(),
                    seed.wrapping_add(round as u64),
                    (CONNECTIONS, ctx.read_seconds),
                    server,
                )
                .await?;
                println!(
                    "  round {round} API:     {:>6.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                    m.throughput(),
                    m.percentile_ms(50.0),
                    m.percentile_ms(99.0),
                    m.errors
                );
                api.push(m);
            } else {
                let m = pgbench(
                    ctx,
                    &platform.name,
                    files,
                    threads(),
                    (CONNECTIONS, ctx.read_seconds),
                )
                .await?;
                println!(
                    "  round {round} pgbench: {:>6.0} tx/s,  p50 {:.2} ms, p99 {:.2} ms, {} failed",
                    m.throughput(),
                    m.percentile_ms(50.0),
                    m.percentile_ms(99.0),
                    m.errors
                );
                pg.push(m);
            }
        }
    }
    // The same at a light load: what one request costs when it does not queue.
    let light_api = drive(
        server.addr,
        targets.clone(),
        seed ^ 0x5eed,
        (FEW, ctx.read_seconds),
        server,
    )
    .await?;
    let light_pg = pgbench(
        ctx,
        &platform.name,
        files,
        threads(),
        (FEW, ctx.read_seconds),
    )
    .await?;
    println!(
        "  {FEW} connections: API {:.0} req/s, p99 {:.2} ms; pgbench {:.0} tx/s, p99 {:.2} ms",
        light_api.throughput(),
        light_api.percentile_ms(99.0),
        light_pg.throughput(),
        light_pg.percentile_ms(99.0)
    );
    let median = |v: &[Measurement]| {
        let mut sorted = v.to_vec();
        sorted.sort_by(|a, b| a.throughput().total_cmp(&b.throughput()));
        sorted
            .get(sorted.len().saturating_sub(1) / 2)
            .cloned()
            .unwrap_or_default()
    };
    Ok(Measured {
        api: median(&api),
        pg: median(&pg),
        all_api: api,
        all_pg: pg,
        light_api,
        light_pg,
    })
}
