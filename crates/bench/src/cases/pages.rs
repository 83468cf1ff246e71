//! Four pages people open all day, read through Folio's real web server, against the same
//! pages' SQL through `pgbench`, on the generated platform, at 1, 16 and 64 concurrent
//! users, in the same run.
//!
//! The pages: a learner's overview (`/app/enrolments/{id}`, as the learner), an assessor's
//! home (`/app/`), an assessor's caseload list (`/app/tiles/caseload`) and the admin's
//! enrolments (`/app/admin/enrolments`), each for dozens of people of many tenants, signed
//! in with sessions minted as sign-in mints them and sent as the browser sends them (the
//! session cookie).
//!
//! Folio: Folio's own server in a child process ([`crate::server`], default configuration:
//! a pool of 10 database connections, a log line per request), driven by the in-process
//! load generator ([`crate::cases::load::drive`]), N keep-alive connections each one
//! request after another for a random one of the page's people. A page read is one tenant
//! transaction: it authenticates, reads, renders the HTML (the layout's bell included).
//!
//! Baseline: the very statements those page reads ran, recorded on the wire
//! ([`crate::capture`]) from a separate server started for the purpose. The reads of a
//! page that ran the same statements (the most common shape) become one pgbench script
//! whose parameters are pgbench variables of the same declared types, each person's
//! values read by primary key from a table (`\gset`) at the start of each transaction;
//! `pgbench -M prepared` with N clients, as the same login role. So the baseline is the
//! page's SQL and round trips with nothing of Folio's own work
//! (HTTP, authentication logic, rendering, the pool) around them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use uuid::Uuid;

use crate::capture::{Recorder, Statement, rewrite};
use crate::cases::load::{self, Measurement, Target, WARM_UP, drive, pgbench, threads};
use crate::cases::{CaseResult, Row};
use crate::ctx::{Ctx, Platform};
use crate::server::{self, Server};

/// Concurrent users of each measurement.
const USERS: [usize; 3] = [1, 16, 64];
/// People each page is read for (sampled; the reads of the most common shape are measured).
const PEOPLE: i64 = 48;

/// A page and the people it is read for.
struct Page {
    /// As the report names it.
    title: &'static str,
    /// A short name for files.
    slug: &'static str,
    /// One request per person.
    targets: Vec<Target>,
}

/// The people of each page, signed in.
async fn pages(platform: &Platform) -> anyhow::Result<Vec<Page>> {
    // Learners in learning, spread over the tenants by a hash of their number.
    let learners: Vec<(Uuid, Uuid, Uuid)> = sqlx::query_as(
        "select tid, lid, eid from (
             select tid, lid, eid from bench_plan where status = 'in_learning'
             order by hashint8(e) limit $1) l
         order by tid",
    )
    .bind(PEOPLE)
    .fetch_all(&platform.pool)
    .await?;
    // Assessors with learners in learning, likewise.
    let assessors: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "select tid, aid from (
             select tid, aid from bench_plan where status = 'in_learning'
             group by tid, aid order by hashtext(aid::text) limit $1) a
         order by tid",
    )
    .bind(PEOPLE)
    .fetch_all(&platform.pool)
    .await?;
    let admins: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "select tenant_id, user_id from user_roles where role = 'admin'
         order by tenant_id, user_id limit $1",
    )
    .bind(PEOPLE)
    .fetch_all(&platform.pool)
    .await?;
    let people: Vec<(Uuid, Uuid)> = learners.iter().map(|l| (l.0, l.1)).collect();
    let learner_sessions = load::sign_in(platform, &people).await?;
    let assessor_sessions = load::sign_in(platform, &assessors).await?;
    let admin_sessions = load::sign_in(platform, &admins).await?;
    let cookie = |token: &str| {
        (
            hyper::header::COOKIE,
            format!("{}={token}", folio_app::browser::SESSION_COOKIE),
        )
    };
    let each = |sessions: &[load::Session], path: &dyn Fn(usize) -> String| -> Vec<Target> {
        sessions
            .iter()
            .enumerate()
            .map(|(i, s)| Target {
                path: path(i),
                credential: cookie(&s.token),
            })
            .collect()
    };
    Ok(vec![
        Page {
            title: "learner overview",
            slug: "learner-overview",
            targets: each(&learner_sessions, &|i| {
                learners
                    .get(i)
                    .map(|l| folio_app::routes::enrolment(l.2))
                    .unwrap_or_default()
            }),
        },
        Page {
            title: "assessor home",
            slug: "assessor-home",
            targets: each(&assessor_sessions, &|_| {
                folio_app::routes::HOME.pattern().to_owned()
            }),
        },
        Page {
            title: "caseload list",
            slug: "caseload-list",
            targets: each(&assessor_sessions, &|_| "/app/tiles/caseload".to_owned()),
        },
        Page {
            title: "admin enrolments",
            slug: "admin-enrolments",
            targets: each(&admin_sessions, &|_| {
                folio_app::routes::ADMIN_ENROLMENTS.pattern().to_owned()
            }),
        },
    ])
}

/// One page read: its status and body.
async fn get(addr: SocketAddr, target: &Target) -> anyhow::Result<(hyper::StatusCode, String)> {
    let mut sender = server::connect::<Empty<Bytes>>(addr).await?;
    let request = hyper::Request::get(&target.path)
        .header(hyper::header::HOST, addr.to_string())
        .header(&target.credential.0, &target.credential.1)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// What recording found for a page: its pgbench script, and the same without the bell.
struct Recorded {
    script: PathBuf,
    without_bell: PathBuf,
    /// The people (indexes into the page's targets) whose reads the script replays: those
    /// of the most common shape; both sides read the page for them alone.
    people: Vec<usize>,
    /// How many shapes of read there were.
    shapes: usize,
    /// Statements per read.
    statements: usize,
    /// Of which the bell's (`email_outbox`).
    bell: usize,
    /// Transactions per read.
    transactions: usize,
    /// HTML bytes per read (median).
    html_bytes: usize,
}

/// Reads every page for every person once through a server whose database connections
/// go through the recorder, and writes the pgbench scripts of what each read ran.
async fn record(
    ctx: &Ctx,
    platform: &Platform,
    pages: &[Page],
    dir: &Path,
) -> anyhow::Result<Vec<Recorded>> {
    let url = url::Url::parse(&ctx.server_url).context("database URL")?;
    let upstream: SocketAddr = tokio::net::lookup_host((
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5432),
    ))
    .await?
    .next()
    .context("the database server's address")?;
    let recorder = Recorder::start(upstream).await?;
    let mut via = url::Url::parse(&ctx.database_url(&platform.name)?)?;
    via.set_host(Some("127.0.0.1"))?;
    via.set_port(Some(recorder.addr.port()))
        .map_err(|()| anyhow::anyhow!("set the recorder's port"))?;
    via.query_pairs_mut()
        .append_pair("sslmode", "disable")
        .append_pair("options", "-c log_statement=all -c client_min_messages=log");
    let server = Server::start(
        ctx,
        &platform.name,
        &dir.join("record"),
        &[("FOLIO_DATABASE_URL", via.as_str())],
    )
    .await?;
    let outcome = async {
        let mut reads = Vec::new();
        for page in pages {
            let mut statements = Vec::new();
            for target in &page.targets {
                // Once to settle the pool and prepare statements, once recorded.
                get(server.addr, target).await?;
                let mark = recorder.mark();
                let (status, html) = get(server.addr, target).await?;
                if status != hyper::StatusCode::OK || !html.contains("<main") {
                    bail!(
                        "{} for {} answered {status}: {}",
                        page.title,
                        target.path,
                        html.chars().take(300).collect::<String>()
                    );
                }
                statements.push(((mark, recorder.mark()), html.len()));
            }
            reads.push(statements);
        }
        anyhow::Ok(reads)
    }
    .await;
    server.stop().await;
    let reads = outcome?;
    // The parameter types, by name.
    let oids: Vec<i64> = recorder.oids().into_iter().map(i64::from).collect();
    let types: HashMap<u32, String> = sqlx::query_as::<_, (i64, String)>(
        "select oid::int8, format_type(oid, null) from pg_type where oid::int8 = any($1)",
    )
    .bind(&oids)
    .fetch_all(&platform.pool)
    .await?
    .into_iter()
    .filter_map(|(oid, name)| Some((u32::try_from(oid).ok()?, name)))
    .collect();
    let mut out = Vec::new();
    for (page, reads) in pages.iter().zip(reads) {
        let mut all = Vec::new();
        for (marks, bytes) in reads {
            all.push((recorder.statements(marks, &types)?, bytes));
        }
        out.push(script(platform, page, &all, dir).await?);
    }
    Ok(out)
}

/// What identifies a read's shape: its statements' SQL and which parameters were NULL.
type Shape = Vec<(String, Vec<bool>)>;

fn shape(statements: &[Statement]) -> Shape {
    statements
        .iter()
        .map(|s| {
            (
                s.sql.clone(),
                s.values.iter().map(Option::is_none).collect(),
            )
        })
        .collect()
}

/// pgbench's variable for parameter `k` of statement `i`.
fn variable(i: usize, k: usize) -> String {
    format!("v{i}_{k}")
}

/// The page's pgbench script: the reads of the most common shape (the same statements,
/// the same parameters NULL) become one script whose parameters are pgbench variables,
/// each person's values in a table read at the start of each transaction (`\gset`), so
/// each of pgbench's connections prepares each statement once, as each of Folio's pooled
/// connections does.
async fn script(
    platform: &Platform,
    page: &Page,
    reads: &[(Vec<Statement>, usize)],
    dir: &Path,
) -> anyhow::Result<Recorded> {
    let mut shapes: HashMap<Shape, Vec<usize>> = HashMap::new();
    for (i, (statements, _)) in reads.iter().enumerate() {
        shapes.entry(shape(statements)).or_default().push(i);
    }
    let shapes_seen = shapes.len();
    let Some(people) = shapes
        .into_values()
        .max_by_key(|people| (people.len(), std::cmp::Reverse(people.first().copied())))
    else {
        bail!("{}: no reads recorded", page.title);
    };
    let Some((first, _)) = people.first().and_then(|&i| reads.get(i)) else {
        bail!("{}: no reads recorded", page.title);
    };
    let transactions = first
        .iter()
        .filter(|s| s.sql.trim().eq_ignore_ascii_case("begin"))
        .count();
    if transactions == 0 {
        bail!("{}: a read ran no transaction: {first:?}", page.title);
    }
    // The values table: a text column per parameter that is not NULL.
    let table = format!("bench_page_{}", page.slug.replace('-', "_"));
    let columns: Vec<(usize, usize)> = first
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_some())
                .map(move |(k, _)| (i, k))
        })
        .collect();
    let mut ddl = format!("drop table if exists {table}; create table {table} (n int primary key");
    for &(i, k) in &columns {
        ddl.push_str(&format!(", {} text", variable(i, k)));
    }
    ddl.push(')');
    // Names made here (the page slug, statement and parameter numbers), no input.
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
        .execute(&platform.pool)
        .await?;
    for (n, &person) in people.iter().enumerate() {
        let Some((statements, _)) = reads.get(person) else {
            continue;
        };
        let placeholders: Vec<String> = (2..=columns.len() + 1).map(|p| format!("${p}")).collect();
        let insert = format!(
            "insert into {table} values ($1{}{})",
            if placeholders.is_empty() { "" } else { ", " },
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(insert)).bind(i32::try_from(n + 1)?);
        for &(i, k) in &columns {
            let value = statements
                .get(i)
                .and_then(|s| s.values.get(k))
                .cloned()
                .flatten();
            query = query.bind(value);
        }
        query.execute(&platform.pool).await?;
    }
    let lookup = format!(
        "\\set n random(1, {})\nselect {} from {table} where n = :n \\gset\n",
        people.len(),
        if columns.is_empty() {
            "n".to_owned()
        } else {
            columns
                .iter()
                .map(|&(i, k)| variable(i, k))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let is_bell = |s: &Statement| s.sql.contains("email_outbox");
    let write = |keep: &dyn Fn(&Statement) -> bool| -> anyhow::Result<String> {
        let mut text = lookup.clone();
        for (i, s) in first.iter().enumerate() {
            if !keep(s) {
                continue;
            }
            let line = rewrite(&s.sql, |k| {
                let null = s.values.get(k).is_none_or(Option::is_none);
                let written = if null {
                    "NULL".to_owned()
                } else {
                    format!(":{}", variable(i, k))
                };
                Ok(s.cast(k, &written))
            })?;
            text.push_str(line.trim_end_matches(';'));
            text.push_str(";\n");
        }
        Ok(text)
    };
    let page_dir = dir.join(page.slug);
    tokio::fs::create_dir_all(&page_dir).await?;
    let script = page_dir.join("page.sql");
    tokio::fs::write(&script, write(&|_| true)?).await?;
    let quiet = page_dir.join("without-bell.sql");
    tokio::fs::write(&quiet, write(&|s| !is_bell(s))?).await?;
    let mut sizes: Vec<usize> = people
        .iter()
        .filter_map(|&p| reads.get(p).map(|r| r.1))
        .collect();
    Ok(Recorded {
        script,
        without_bell: quiet,
        people: people.clone(),
        shapes: shapes_seen,
        statements: first.len(),
        bell: first.iter().filter(|s| is_bell(s)).count(),
        transactions,
        html_bytes: median(&mut sizes),
    })
}

fn median(v: &mut [usize]) -> usize {
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0)
}

/// One page at one concurrency: Folio's server and pgbench, one after the other.
struct Pair {
    folio: Measurement,
    baseline: Measurement,
}

fn ms(v: f64) -> String {
    format!("{v:.1}")
}

fn latency(m: &Measurement) -> String {
    format!(
        "{} / {} ms, {:.0}/s",
        ms(m.percentile_ms(50.0)),
        ms(m.percentile_ms(99.0)),
        m.throughput()
    )
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<CaseResult> {
    let platform = ctx.platform().await?;
    let mut pages = pages(platform).await?;
    let dir = std::env::temp_dir().join(format!("{}-pages", platform.name));
    let _ = tokio::fs::remove_dir_all(&dir).await;
    tokio::fs::create_dir_all(&dir).await?;
    println!("  recording each page's SQL on the wire");
    let recorded = record(ctx, platform, &pages, &dir).await?;
    for (page, r) in pages.iter_mut().zip(&recorded) {
        let read = page.targets.len();
        page.targets = r
            .people
            .iter()
            .filter_map(|&i| page.targets.get(i).cloned())
            .collect();
        println!(
            "  {}: {} of {read} people read alike ({} shape(s) of read), {} statements a read ({} the bell's), {} transaction(s), {} bytes of HTML",
            page.title,
            page.targets.len(),
            r.shapes,
            r.statements,
            r.bell,
            r.transactions,
            r.html_bytes
        );
    }
    let server = Server::start(ctx, &platform.name, &dir.join("data"), &[]).await?;
    println!(
        "  Folio's server (pid {}) listens on {}",
        server.pid, server.addr
    );
    let outcome = measure(ctx, platform, &server, &pages, &recorded, &dir).await;
    let log = server.log.clone();
    server.stop().await;
    let (pairs, bell) = match outcome {
        Ok(o) => o,
        Err(e) => return Err(e.context(format!("server log: {}", log.display()))),
    };
    if ctx.keep {
        println!("  kept {} (each page's pgbench scripts)", dir.display());
    } else {
        tokio::fs::remove_dir_all(&dir).await.ok();
    }

    let mut rows = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        for (u, users) in USERS.iter().enumerate() {
            let Some(pair) = pairs.get(p * USERS.len() + u) else {
                continue;
            };
            let ratio =
                |q: f64| pair.folio.percentile_ms(q) / pair.baseline.percentile_ms(q).max(1e-9);
            rows.push(Row {
                measure: format!(
                    "{}, {users} user{}",
                    page.title,
                    if *users == 1 { "" } else { "s" }
                ),
                folio: latency(&pair.folio),
                baseline: latency(&pair.baseline),
                ratio: format!("{:.2}× / {:.2}×", ratio(50.0), ratio(99.0)),
                target: "—".into(),
            });
        }
    }
    let mut notes = vec![format!(
        "Figures are p50 / p99 latency of a page read (Folio: request sent to the last byte of the HTML received; \
         baseline: pgbench's transaction latency) and reads completed per second; the ratio is Folio's latency \
         over the baseline's, p50 / p99. Errors: Folio {}, pgbench {}.",
        pairs.iter().map(|p| p.folio.errors).sum::<u64>(),
        pairs.iter().map(|p| p.baseline.errors).sum::<u64>()
    )];
    for (p, ((page, r), b)) in pages.iter().zip(&recorded).zip(&bell).enumerate() {
        let with_bell = pairs
            .get(p * USERS.len())
            .map_or(0.0, |pair| pair.baseline.percentile_ms(50.0));
        notes.push(format!(
            "{}: {} statements a read in {} transaction{}, {} of them the bell's (marking the page's \
             notification read and counting the unread, on `email_outbox`); {} kB of HTML (median). Measured \
             for the {} of the people sampled whose reads ran the same statements ({} shape{} of read among \
             them). The same SQL without the bell's statements, 1 user: p50 {} ms against {} ms with them.",
            page.title,
            r.statements,
            r.transactions,
            if r.transactions == 1 { "" } else { "s" },
            r.bell,
            r.html_bytes / 1000,
            page.targets.len(),
            r.shapes,
            if r.shapes == 1 { "" } else { "s" },
            ms(b.percentile_ms(50.0)),
            ms(with_bell)
        ));
    }
    Ok(CaseResult {
        name: "pages",
        title: "Everyday pages through the web server".into(),
        setup: vec![
            platform.summary.describe(),
            format!(
                "Pages: a learner's overview (`/app/enrolments/{{id}}`) for {PEOPLE} learners in learning, an assessor's \
                 home (`/app/`) and caseload list (`/app/tiles/caseload`) for {PEOPLE} assessors, the admin's enrolments \
                 (`/app/admin/enrolments`) for the admins of {PEOPLE} tenants; people drawn from every size of tenant, each \
                 signed in with a session minted as sign-in does, sent as the session cookie."
            ),
            "Folio: Folio's own server (`folio::serve::serve_until`, default configuration: 10 database connections, \
             a log line per request) in a child process, driven by an in-process hyper load generator: N keep-alive \
             connections, each one page read after another for a random person of the page. Each read is one \
             tenant transaction: session, roles, the page's reads, the bell, the HTML rendered."
                .to_owned(),
            format!(
                "Baseline: the statements those reads ran, recorded on the wire between the server and PostgreSQL \
                 (PostgreSQL's own statement log with its parameters, sent to the client), as one pgbench script \
                 per page whose parameters are pgbench variables of the same declared types, each person's values \
                 read from a table by primary key (`\\gset`) before the transaction (one round trip Folio does not \
                 make); `pgbench -M prepared -c N -j min(N, {})`, so each connection prepares each statement once, \
                 as each of Folio's pooled connections does; a random person per transaction; as the same login role.",
                threads()
            ),
            format!(
                "Each measurement: {} s warm-up, then {} s counted; Folio and pgbench one after the other at each \
                 of 1, 16 and 64 users. The machine's {} cores are shared by the load generator (or pgbench), the \
                 server and PostgreSQL.",
                WARM_UP.as_secs(),
                ctx.page_seconds,
                threads()
            ),
        ],
        rows,
        notes,
    })
}

/// Every page at every concurrency, then each page's SQL without the bell at 1 user.
async fn measure(
    ctx: &Ctx,
    platform: &Platform,
    server: &Server,
    pages: &[Page],
    recorded: &[Recorded],
    dir: &Path,
) -> anyhow::Result<(Vec<Pair>, Vec<Measurement>)> {
    let seed = u64::try_from(ctx.seed).unwrap_or(0)
        ^ SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
    let mut pairs = Vec::new();
    let mut bell = Vec::new();
    for (p, (page, r)) in pages.iter().zip(recorded).enumerate() {
        let targets = Arc::new(page.targets.clone());
        for (u, &users) in USERS.iter().enumerate() {
            let round = (p * USERS.len() + u) as u64;
            // Alternate which goes first, so neither always runs on a warmer machine.
            let folio_first = round.is_multiple_of(2);
            let mut folio = None;
            let mut baseline = None;
            for turn in 0..2 {
                if (turn == 0) == folio_first {
                    folio = Some(
                        drive(
                            server.addr,
                            targets.clone(),
                            seed.wrapping_add(round),
                            (users, ctx.page_seconds),
                            server,
                        )
                        .await?,
                    );
                } else {
                    baseline = Some(
                        pgbench(
                            ctx,
                            &platform.name,
                            (std::slice::from_ref(&r.script), dir),
                            threads(),
                            (users, ctx.page_seconds),
                        )
                        .await?,
                    );
                }
            }
            let (Some(folio), Some(baseline)) = (folio, baseline) else {
                bail!("a measurement did not run");
            };
            println!(
                "  {}, {users} user{}: Folio {} (errors {}); pgbench {} (failed {})",
                page.title,
                if users == 1 { "" } else { "s" },
                latency(&folio),
                folio.errors,
                latency(&baseline),
                baseline.errors
            );
            pairs.push(Pair { folio, baseline });
        }
        let quiet = pgbench(
            ctx,
            &platform.name,
            (std::slice::from_ref(&r.without_bell), dir),
            threads(),
            (1, ctx.page_seconds),
        )
        .await?;
        println!(
            "  {}, 1 user, pgbench without the bell: {}",
            page.title,
            latency(&quiet)
        );
        bell.push(quiet);
    }
    Ok((pairs, bell))
}
