//! Folio's benchmarks (issue 8): each case runs against its baseline in the same run,
//! prints the figures and their ratio, and records them with the machine they ran on in
//! `BENCHMARKS.md` at the repository root. Benchmarks measure; nothing here passes or fails.
//!
//! ```sh
//! cargo run --release -p folio-bench -- all
//! cargo run --release -p folio-bench -- recalculation
//! cargo run --release -p folio-bench -- export
//! cargo run --release -p folio-bench -- load --scale large   # the platform, kept
//! cargo run --release -p folio-bench -- api-read --platform-database folio_bench_platform
//! ```
//!
//! A case is one module of [`cases`] with `async fn run(ctx: &Ctx) -> anyhow::Result<CaseResult>`;
//! it creates its own scratch databases through [`ctx::Ctx::scratch_database`], which are
//! dropped when the run ends (unless `--keep`).

mod capture;
mod cases;
mod ctx;
mod platform;
mod report;
mod server;

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::cases::Case;
use crate::ctx::Ctx;

#[derive(Debug, Parser)]
#[command(
    name = "folio-bench",
    about = "Folio's benchmarks, each against its baseline"
)]
struct Cli {
    /// Which case to run (`all` runs every case in turn).
    which: Which,
    /// PostgreSQL server (a role that may create databases); scratch databases are made there.
    #[arg(
        long,
        env = "FOLIO_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    database_url: String,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 20_261_108)]
    seed: i64,
    /// Timed rounds of each recalculation measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Timed rounds of each emails measurement (one is steady enough: each is thousands of
    /// messages, and at concurrency 1 a round takes minutes).
    #[arg(long, default_value_t = 1)]
    email_rounds: usize,
    /// Enrolments loaded for `recalculation`.
    #[arg(long, default_value_t = 100_000)]
    enrolments: i64,
    /// Emails sent per measurement in `emails`.
    #[arg(long, default_value_t = 10_000)]
    emails: usize,
    /// Time-log entries loaded for `export`.
    #[arg(long, default_value_t = 1_000_000)]
    time_log_rows: i64,
    /// The platform `load` generates and the read cases (`api-read`, `rls`) run on.
    #[arg(long, value_enum, default_value_t = platform::Scale::Large)]
    scale: platform::Scale,
    /// `load`: the database to load the platform into (created; it must not exist).
    #[arg(long, default_value = "folio_bench_platform")]
    into: String,
    /// Run the read cases on this already loaded platform (see `load`) instead of loading
    /// one into a scratch database.
    #[arg(long)]
    platform_database: Option<String>,
    /// Seconds of each measured run of `api-read` (after a warm-up).
    #[arg(long, default_value_t = 20)]
    read_seconds: u64,
    /// Seconds of each measured run of `pages` (one page at one concurrency, after a
    /// warm-up).
    #[arg(long, default_value_t = 10)]
    page_seconds: u64,
    /// MiB of the file `upload` sends.
    #[arg(long, default_value_t = 1024)]
    upload_mib: u64,
    /// Keep the scratch databases (for EXPLAIN ANALYZE and the like) instead of dropping them.
    #[arg(long)]
    keep: bool,
    /// Where the report goes; `-` prints nothing to a file.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../BENCHMARKS.md"))]
    output: PathBuf,
    /// `export-child`: the scratch database.
    #[arg(long, hide = true)]
    child_database: Option<String>,
    /// `export-child`: what to time.
    #[arg(long, hide = true, value_enum)]
    child_work: Option<cases::export::ChildWork>,
    /// `export-child`: the tenant.
    #[arg(long, hide = true)]
    child_tenant: Option<uuid::Uuid>,
    /// `export-child`: the export's job run.
    #[arg(long, hide = true)]
    child_run: Option<uuid::Uuid>,
    /// `export-child`: where files go.
    #[arg(long, hide = true)]
    child_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    All,
    Recalculation,
    Export,
    Emails,
    ApiRead,
    Rls,
    Pages,
    Upload,
    /// Generate the platform (`--scale`) into a database that is kept (`--into`).
    Load,
    /// The export case's child process (not for direct use).
    #[value(hide = true)]
    ExportChild,
    /// Folio's server for `api-read` and `upload` (not for direct use).
    #[value(hide = true)]
    ServeChild,
}

impl Which {
    fn cases(self) -> Vec<Case> {
        match self {
            Which::All => Case::ALL.to_vec(),
            Which::Recalculation => vec![Case::Recalculation],
            Which::Export => vec![Case::Export],
            Which::Emails => vec![Case::Emails],
            Which::ApiRead => vec![Case::ApiRead],
            Which::Rls => vec![Case::Rls],
            Which::Pages => vec![Case::Pages],
            Which::Upload => vec![Case::Upload],
            Which::Load | Which::ExportChild | Which::ServeChild => Vec::new(),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.which == Which::ServeChild {
        return server::child().await;
    }
    if cli.which == Which::ExportChild {
        let (Some(database), Some(work), Some(tenant), Some(dir)) = (
            cli.child_database.as_deref(),
            cli.child_work,
            cli.child_tenant,
            cli.child_dir.as_deref(),
        ) else {
            anyhow::bail!(
                "export-child needs --child-database, --child-work, --child-tenant and --child-dir"
            );
        };
        return cases::export::child(
            &cli.database_url,
            database,
            work,
            tenant,
            cli.child_run,
            dir,
        )
        .await;
    }
    let mut ctx = Ctx::new(cli.database_url.clone(), cli.seed);
    ctx.rounds = cli.rounds.max(1);
    ctx.enrolments = cli.enrolments;
    ctx.emails = cli.emails;
    ctx.email_rounds = cli.email_rounds.max(1);
    ctx.time_log_rows = cli.time_log_rows;
    ctx.scale = cli.scale;
    ctx.platform_database = cli.platform_database.clone();
    ctx.read_seconds = cli.read_seconds.max(1);
    ctx.page_seconds = cli.page_seconds.max(1);
    ctx.upload_bytes = cli.upload_mib.max(1) << 20;
    ctx.keep = cli.keep;
    if cli.which == Which::Load {
        let db = ctx.create_database(&cli.into, 8, false).await?;
        let summary = platform::load(&db.pool, cli.scale, cli.seed).await?;
        println!("\n{}", summary.describe());
        println!(
            "kept database {}; run the read cases on it with --platform-database {}",
            db.name, db.name
        );
        return Ok(());
    }
    let machine = report::Machine::probe(&ctx).await;
    println!("{}", machine.summary());
    let mut results = Vec::new();
    let mut failure = None;
    for case in cli.which.cases() {
        println!("\n== {} ==", case.name());
        match case.run(&ctx).await {
            Ok(mut result) => {
                result.notes.push(format!(
                    "Load average (1, 5, 15 min) when the case ended: {} (other work on the machine \
                     makes figures noisier).",
                    report::load_average()
                ));
                println!("{}", result.to_text());
                results.push(result);
            }
            Err(e) => {
                eprintln!("case {} could not run: {e:#}", case.name());
                failure = Some(e.context(format!("case {}", case.name())));
                break;
            }
        }
    }
    if cli.keep {
        for name in ctx.scratch_names() {
            println!("kept scratch database {name}");
        }
    } else {
        ctx.drop_scratch_databases().await;
    }
    if !results.is_empty() && cli.output.as_os_str() != "-" {
        report::write(&cli.output, &machine, &results)?;
        println!("\nwrote {}", cli.output.display());
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
