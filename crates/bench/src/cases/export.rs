//! A 1,000,000-row time-log export (`folio_jobs::exports::run` for a `time_log` export of
//! the whole organisation: rows from a cursor through a bounded channel into
//! rust_xlsxwriter's constant-memory mode, the file then streamed into the file store and
//! the export marked ready) against `COPY (the same query) TO STDOUT (FORMAT csv)` into a
//! file, in the same run, on the same data.
//!
//! Each measurement runs in a child process of its own (this binary, re-run with hidden
//! arguments), so its peak resident set (`VmHWM`) is the export's alone and not whatever
//! the benchmark process held before. The child reports its time, its resident set before
//! the work and its peak, as one JSON line.
//!
//! The data: one synthetic tenant, seeded and reproducible: 2,000 learners on 5 courses
//! of 2 components and 10 units, 20 assessors, 500 entries per learner over 500 days,
//! written day by day across all learners (as years of use spread them). 60% of entries
//! name a unit, 70% carry a reflection of one to four sentences, 80% are off the job.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use folio_db::Database;
use folio_db::exports::{self, NewExport};
use folio_db::job_runs::{self, Trigger};
use folio_domain::TenantId;
use folio_domain::jobs::JobKind;
use folio_jobs::JobContext;
use folio_jobs::send_emails::RetryPolicy;
use folio_mail::{Mailer, Templates};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::io::AsyncWriteExt as _;
use uuid::Uuid;

use crate::cases::{CaseResult, Row, SQL_HELPERS};
use crate::ctx::{Ctx, median, secs};

const LEARNERS: i64 = 2_000;

/// The run's date (the export's "today").
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
}

/// Loading statements. `$1` seed, `$2` entries.
const LOAD: &[(&str, &str)] = &[
    (
        "tenant",
        "insert into tenants (id, slug, name) values (bench_uuid(0, 1), 'bench', 'Bench Training')",
    ),
    (
        "users",
        "insert into users (tenant_id, id, email, name)
         select bench_uuid(0, 1), bench_uuid(1, n), 'learner' || n || '@bench.example',
                (array['Amelia','Oliver','Isla','George','Ava','Noah','Mia','Leo'])[1 + n % 8]
                || ' ' || (array['Smith','Jones','Taylor','Brown','Williams','Wilson','Evans'])[1 + n % 7]
                || ' ' || n
         from generate_series(1, 2000) n
         union all
         select bench_uuid(0, 1), bench_uuid(2, n), 'assessor' || n || '@bench.example', 'Assessor ' || n
         from generate_series(0, 20) n",
    ),
    (
        "roles",
        "insert into user_roles (tenant_id, user_id, role)
         select tenant_id, id, case when email like 'learner%' then 'learner'
                                    when email = 'assessor0@bench.example' then 'admin'
                                    else 'assessor' end
         from users",
    ),
    (
        "courses",
        "insert into courses (tenant_id, id, code, title)
         select bench_uuid(0, 1), bench_uuid(3, c), 'ST' || lpad(c::text, 4, '0'), 'Standard ' || c
         from generate_series(1, 5) c",
    ),
    (
        "components",
        "insert into components (tenant_id, id, course_id, title, position)
         select bench_uuid(0, 1), bench_uuid(4, c * 10 + k), bench_uuid(3, c),
                case k when 1 then 'Knowledge' else 'Skills and behaviours' end, k
         from generate_series(1, 5) c, generate_series(1, 2) k",
    ),
    (
        "units",
        "insert into units (tenant_id, id, component_id, code, title, optional, position)
         select bench_uuid(0, 1), bench_uuid(5, c * 100 + u),
                bench_uuid(4, c * 10 + case when u < 5 then 1 else 2 end),
                'U' || lpad(u::text, 2, '0'), 'Unit ' || u || ' of standard ' || c, false, u
         from generate_series(1, 5) c, generate_series(0, 9) u",
    ),
    (
        "enrolments",
        "insert into enrolments (tenant_id, id, learner_id, course_id, start_date, planned_end_date,
                                 assessor_id, contracted_hours_per_week, planned_otj_hours, status,
                                 learning_started_on)
         select bench_uuid(0, 1), bench_uuid(7, e), bench_uuid(1, e), bench_uuid(3, 1 + e % 5),
                date '2025-01-01' + (e % 200)::int, date '2025-01-01' + (e % 200)::int + 540,
                bench_uuid(2, 1 + e % 20), 37.5, 280, 'in_learning',
                date '2025-01-01' + (e % 200)::int
         from generate_series(1, 2000) e",
    ),
    (
        "time log",
        "insert into time_log_entries (tenant_id, id, enrolment_id, entry_date, activity_type,
                                       course_id, component_id, unit_id, with_assessor,
                                       off_the_job, minutes, reflection, source, created_by)
         select bench_uuid(0, 1), bench_uuid(10, n), bench_uuid(7, e),
                date '2025-01-01' + (e % 200)::int + k::int,
                (array['face_to_face_session', 'trainer_led_training', 'distance_learning',
                       'coaching_mentoring', 'technical_experience', 'review_feedback_support',
                       'assessment_examination'])[1 + floor(bench_rand($1, n, 1) * 7)::int],
                case when has_unit then bench_uuid(3, course) end,
                case when has_unit then bench_uuid(4, course * 10 + case when u < 5 then 1 else 2 end) end,
                case when has_unit then bench_uuid(5, course * 100 + u) end,
                bench_rand($1, n, 2) < 0.2, bench_rand($1, n, 3) < 0.8,
                15 * (1 + floor(bench_rand($1, n, 4) * 16)::int),
                case when bench_rand($1, n, 5) < 0.7 then
                    left('Worked through the unit material with my team and wrote up what I learned. '
                         || 'Practised the procedure twice under supervision and noted the checks. '
                         || 'Discussed the outcome with my line manager and agreed what to do next. '
                         || 'Read the guidance and summarised the key points for the portfolio.',
                         75 * (1 + floor(bench_rand($1, n, 6) * 4)::int))
                end,
                'learner', bench_uuid(1, e)
         from (select n, (1 + (n - 1) % 2000)::int as e, ((n - 1) / 2000)::int as k,
                      1 + (1 + (n - 1) % 2000) % 5 as course,
                      floor(bench_rand($1, n, 7) * 10)::int as u,
                      bench_rand($1, n, 8) < 0.6 as has_unit
               from generate_series(1, $2::bigint) n) g",
    ),
];

async fn load(ctx: &Ctx, pool: &sqlx::PgPool) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut conn = pool.acquire().await?;
    sqlx::raw_sql(SQL_HELPERS).execute(&mut *conn).await?;
    // Foreign-key triggers off for this session: the rows are valid by construction.
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await?;
    for (what, sql) in LOAD {
        let t = Instant::now();
        let done = sqlx::query(*sql)
            .bind(ctx.seed)
            .bind(ctx.time_log_rows)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("load {what}"))?;
        println!(
            "  loaded {what}: {} rows in {}",
            done.rows_affected(),
            secs(t.elapsed())
        );
    }
    sqlx::query("set session_replication_role = origin")
        .execute(&mut *conn)
        .await?;
    sqlx::query("vacuum (analyze)").execute(&mut *conn).await?;
    Ok(started.elapsed())
}

/// What a child process measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildReport {
    /// Wall time of the work, seconds.
    pub seconds: f64,
    /// Resident set just before the work, KiB.
    pub rss_before_kib: u64,
    /// Peak resident set of the process, KiB.
    pub peak_rss_kib: u64,
    /// Bytes of the file written.
    pub bytes: u64,
}

/// What a child process is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChildWork {
    /// Folio's export job.
    Folio,
    /// `COPY … TO STDOUT (FORMAT csv)` into a file.
    Copy,
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|line| {
                let rest = line.strip_prefix(key)?.strip_prefix(':')?;
                rest.split_whitespace().next()?.parse().ok()
            })
        })
        .unwrap_or(0)
}

/// The child's side: does `work` once and prints its [`ChildReport`] as one JSON line.
pub async fn child(
    server_url: &str,
    database: &str,
    work: ChildWork,
    tenant: Uuid,
    run: Option<Uuid>,
    dir: &Path,
) -> anyhow::Result<()> {
    let options = server_url
        .parse::<PgConnectOptions>()
        .context("database URL")?
        .database(database);
    // The export's cursor holds one connection and its progress records take a second.
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    let db = Database::from_pool(pool);
    let tenant = TenantId(tenant);
    let (took, bytes, rss_before) = match work {
        ChildWork::Folio => {
            let run = run.context("a Folio export needs its run")?;
            let ctx = JobContext {
                db: db.clone(),
                mailer: Mailer::files(dir.join("mail"), "no-reply@folio.example.test")?,
                templates: std::sync::Arc::new(Templates::load()?),
                public_url: "https://folio.example.test/".into(),
                email_retry: RetryPolicy::default(),
                storage: folio_storage::Storage::new(&folio_storage::StorageConfig::Fs {
                    root: dir.to_path_buf(),
                })?,
                export_retention: chrono::TimeDelta::days(7),
                secrets: folio_app::secrets::SecretKeys::default(),
            };
            let rss_before = status_kib("VmRSS");
            let started = Instant::now();
            let report = folio_jobs::exports::run(&ctx, tenant, run, today()).await?;
            let took = started.elapsed();
            let bytes = report
                .get("bytes")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            (took, bytes, rss_before)
        }
        ChildWork::Copy => {
            let sql = exports::time_log_query()
                .replace("$1", &format!("'{}'::uuid", tenant.0))
                .replace("$2", "null::uuid");
            let rss_before = status_kib("VmRSS");
            let started = Instant::now();
            let path = dir.join("time-log.csv");
            let mut file = tokio::io::BufWriter::new(tokio::fs::File::create(&path).await?);
            let mut tx = db.begin_tenant(tenant).await?;
            let mut bytes = 0u64;
            {
                let mut stream = tx
                    .conn()
                    .copy_out_raw(&format!("copy ({sql}) to stdout (format csv, header)"))
                    .await?;
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    bytes += chunk.len() as u64;
                    file.write_all(&chunk).await?;
                }
            }
            tx.commit().await?;
            file.flush().await?;
            file.into_inner().sync_all().await?;
            (started.elapsed(), bytes, rss_before)
        }
    };
    let report = ChildReport {
        seconds: took.as_secs_f64(),
        rss_before_kib: rss_before,
        peak_rss_kib: status_kib("VmHWM"),
        bytes,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Runs one child and reads its report.
async fn spawn_child(
    ctx: &Ctx,
    database: &str,
    work: ChildWork,
    tenant: Uuid,
    run: Option<Uuid>,
    dir: &Path,
) -> anyhow::Result<ChildReport> {
    let exe = std::env::current_exe().context("find the benchmark's own executable")?;
    let mut command = tokio::process::Command::new(exe);
    command
        .arg("export-child")
        .args(["--database-url", &ctx.server_url])
        .args(["--child-database", database])
        .args([
            "--child-work",
            if work == ChildWork::Folio {
                "folio"
            } else {
                "copy"
            },
        ])
        .args(["--child-tenant", &tenant.to_string()])
        .arg("--child-dir")
        .arg(dir)
        .args(["--output", "-"])
        .stderr(Stdio::inherit());
    if let Some(run) = run {
        command.args(["--child-run", &run.to_string()]);
    }
    let out = command.output().await.context("run the export child")?;
    if !out.status.success() {
        bail!("the {work:?} export child failed: {}", out.status);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("the export child printed no report")?;
    Ok(serde_json::from_str(line)?)
}

/// Records an organisation-wide time-log export asked for by the admin; returns its run.
async fn request_export(
    db: &Database,
    tenant: TenantId,
    admin: Uuid,
) -> anyhow::Result<(Uuid, Uuid)> {
    let mut tx = db.begin_tenant(tenant).await?;
    let run = job_runs::request(
        &mut tx,
        JobKind::Export.as_str(),
        today(),
        Trigger::User(admin),
    )
    .await?
    .context("the run was not recorded")?;
    let id = Uuid::now_v7();
    exports::insert(
        &mut tx,
        &NewExport {
            id,
            run_id: run.id,
            kind: "time_log",
            requested_by: admin,
            scope: "tenant",
            assessor_id: None,
            enrolment_id: None,
            incomplete_only: false,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((run.id, id))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<CaseResult> {
    let scratch = ctx.scratch_database("export", 4).await?;
    println!(
        "  loading {} time-log entries into {} (seed {})",
        ctx.time_log_rows, scratch.name, ctx.seed
    );
    let load_time = load(ctx, &scratch.pool).await?;
    let (tenant, admin): (Uuid, Uuid) = sqlx::query_as("select bench_uuid(0, 1), bench_uuid(2, 0)")
        .fetch_one(&scratch.pool)
        .await?;
    let tenant_id = TenantId(tenant);
    let dir: PathBuf = std::env::temp_dir().join(&scratch.name);
    tokio::fs::create_dir_all(&dir).await?;

    let mut folio = Vec::new();
    let mut copy = Vec::new();
    let mut rows_written = 0;
    // One untimed run of each first (the table's pages into the cache), then alternating rounds.
    for round in 0..=ctx.rounds {
        let order = if round % 2 == 0 {
            [ChildWork::Folio, ChildWork::Copy]
        } else {
            [ChildWork::Copy, ChildWork::Folio]
        };
        for work in order {
            let report = match work {
                ChildWork::Folio => {
                    let (run, export) = request_export(&scratch.db, tenant_id, admin).await?;
                    let report =
                        spawn_child(ctx, &scratch.name, work, tenant, Some(run), &dir).await?;
                    let mut tx = scratch.db.begin_tenant(tenant_id).await?;
                    let done = exports::get(&mut tx, export)
                        .await?
                        .context("the export disappeared")?;
                    tx.commit().await?;
                    if done.status != "ready" || done.rows_done != ctx.time_log_rows {
                        bail!(
                            "the export ended {} with {} rows of {}",
                            done.status,
                            done.rows_done,
                            ctx.time_log_rows
                        );
                    }
                    rows_written = done.rows_done;
                    report
                }
                ChildWork::Copy => {
                    spawn_child(ctx, &scratch.name, work, tenant, None, &dir).await?
                }
            };
            println!(
                "  {:<6} round {round}: {:.3} s, {} bytes, peak RSS {} (before {})",
                format!("{work:?}").to_lowercase(),
                report.seconds,
                report.bytes,
                mib(report.peak_rss_kib),
                mib(report.rss_before_kib)
            );
            if round > 0 {
                match work {
                    ChildWork::Folio => folio.push(report),
                    ChildWork::Copy => copy.push(report),
                }
            }
        }
    }
    tokio::fs::remove_dir_all(&dir).await.ok();

    let times = |v: &[ChildReport]| {
        v.iter()
            .map(|r| Duration::from_secs_f64(r.seconds))
            .collect::<Vec<_>>()
    };
    let (f, c) = (median(&times(&folio)), median(&times(&copy)));
    let peak = |v: &[ChildReport]| v.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
    let growth = |v: &[ChildReport]| {
        v.iter()
            .map(|r| r.peak_rss_kib.saturating_sub(r.rss_before_kib))
            .max()
            .unwrap_or(0)
    };
    let bytes = |v: &[ChildReport]| v.first().map_or(0, |r| r.bytes);
    let all = |v: &[ChildReport]| {
        v.iter()
            .map(|r| format!("{:.2}", r.seconds))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(CaseResult {
        name: "export",
        title: "A 1,000,000-row time-log export".into(),
        setup: vec![
            format!(
                "Data (seed {}, generated in {:.0} s): one tenant, {LEARNERS} learners on 5 courses, \
                 {} time-log entries (60% naming a unit, 70% with a reflection of 75 to 300 characters).",
                ctx.seed,
                load_time.as_secs_f64(),
                ctx.time_log_rows
            ),
            "Folio: `folio_jobs::exports::run` of an organisation-wide `time_log` export, as the worker runs it: \
             rows from a cursor (joins to learner, course and unit, ordered by learner and day) through a \
             bounded channel into rust_xlsxwriter's constant-memory mode, progress recorded every 5,000 rows, \
             the file streamed into the file store (local filesystem) and the export marked ready."
                .into(),
            "Baseline: `COPY (the same query) TO STDOUT (FORMAT csv)` in a tenant transaction, streamed into a \
             file and synced."
                .into(),
            format!(
                "Each measurement in a fresh child process (peak RSS is `VmHWM` of that process alone); \
                 one untimed run of each, then {} alternating rounds; medians of time, maxima of memory.",
                ctx.rounds
            ),
        ],
        rows: vec![
            Row {
                measure: format!("export {rows_written} rows"),
                folio: secs(f),
                baseline: secs(c),
                ratio: format!("{:.2}×", f.as_secs_f64() / c.as_secs_f64().max(1e-9)),
                target: "≤ 2×".into(),
            },
            Row {
                measure: "peak RSS of the process".into(),
                folio: mib(peak(&folio)),
                baseline: mib(peak(&copy)),
                ratio: "—".into(),
                target: "< 100 MB".into(),
            },
            Row {
                measure: "RSS growth during the work".into(),
                folio: mib(growth(&folio)),
                baseline: mib(growth(&copy)),
                ratio: "—".into(),
                target: "—".into(),
            },
            Row {
                measure: "file size".into(),
                folio: format!("{:.1} MiB (xlsx)", bytes(&folio) as f64 / 1048576.0),
                baseline: format!("{:.1} MiB (csv)", bytes(&copy) as f64 / 1048576.0),
                ratio: "—".into(),
                target: "—".into(),
            },
        ],
        notes: vec![format!(
            "Rounds (s): Folio [{}]; COPY [{}].",
            all(&folio),
            all(&copy)
        )],
    })
}
