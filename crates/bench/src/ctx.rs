//! What every case gets: the settings of the run and scratch databases.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use folio_db::Database;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::OnceCell;

use crate::platform::{self, Scale, Summary};

/// The run's settings, shared by the cases.
pub struct Ctx {
    /// The PostgreSQL server (a role that may create databases).
    pub server_url: String,
    /// Seed of the synthetic data.
    pub seed: i64,
    /// Timed rounds of each measurement.
    pub rounds: usize,
    /// Enrolments for the recalculation case.
    pub enrolments: i64,
    /// Emails per measurement for the emails case.
    pub emails: usize,
    /// Timed rounds of each emails measurement.
    pub email_rounds: usize,
    /// Time-log entries for the export case.
    pub time_log_rows: i64,
    /// The platform the read cases (`api-read`, `rls`, `pages`) run on.
    pub scale: Scale,
    /// An already loaded platform to run the read cases on (`folio-bench load`), instead
    /// of loading one into a scratch database.
    pub platform_database: Option<String>,
    /// Seconds of each measured load-generator and pgbench run in `api-read`.
    pub read_seconds: u64,
    /// Seconds of each measured run of `pages` (one page at one concurrency).
    pub page_seconds: u64,
    /// Bytes of the file `upload` sends.
    pub upload_bytes: u64,
    /// Keep scratch databases and working files (for profiling) instead of removing them.
    pub keep: bool,
    scratch: Mutex<Vec<String>>,
    platform: OnceCell<Platform>,
}

/// A freshly migrated database of one case.
pub struct Scratch {
    /// Its name.
    pub name: String,
    /// A pool as the login role (the owner, a superuser): for loading and inspecting data.
    pub pool: PgPool,
    /// The application's handle on the same pool: tenant transactions as `folio_app`.
    pub db: Database,
}

/// The generated platform the read cases share (loaded once per run).
pub struct Platform {
    /// Its database.
    pub name: String,
    /// A pool as the login role (the owner).
    pub pool: PgPool,
    /// The application's handle on the same pool.
    pub db: Database,
    /// What it holds.
    pub summary: Summary,
}

impl Ctx {
    /// The settings with the defaults of the command line.
    pub fn new(server_url: String, seed: i64) -> Self {
        Self {
            server_url,
            seed,
            rounds: 3,
            enrolments: 100_000,
            emails: 10_000,
            email_rounds: 1,
            time_log_rows: 1_000_000,
            scale: Scale::Large,
            platform_database: None,
            read_seconds: 20,
            page_seconds: 10,
            upload_bytes: 1 << 30,
            keep: false,
            scratch: Mutex::new(Vec::new()),
            platform: OnceCell::new(),
        }
    }

    /// `server_url` with its database replaced by `database`, for another process.
    pub fn database_url(&self, database: &str) -> anyhow::Result<String> {
        let mut url = url::Url::parse(&self.server_url).context("database URL")?;
        url.set_path(&format!("/{database}"));
        Ok(url.to_string())
    }

    /// A pool of `connections` on `database`.
    pub async fn connect(&self, database: &str, connections: u32) -> anyhow::Result<PgPool> {
        PgPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(self.options(database)?)
            .await
            .with_context(|| format!("connect to {database}"))
    }

    /// The platform of the read cases: the one named by `--platform-database`, or one
    /// loaded now into a scratch database (once per run; the cases share it).
    pub async fn platform(&self) -> anyhow::Result<&Platform> {
        self.platform
            .get_or_try_init(|| async {
                if let Some(name) = &self.platform_database {
                    let pool = self.connect(name, 8).await?;
                    let db = Database::from_pool(pool.clone());
                    db.migrate()
                        .await
                        .context("migrate the platform database")?;
                    let summary = platform::summary(&pool).await?;
                    println!("  using the platform in {name}: {}", summary.describe());
                    return Ok(Platform {
                        name: name.clone(),
                        pool,
                        db,
                        summary,
                    });
                }
                let scratch = self.scratch_database("platform", 8).await?;
                let summary = platform::load(&scratch.pool, self.scale, self.seed).await?;
                Ok(Platform {
                    name: scratch.name,
                    pool: scratch.pool,
                    db: scratch.db,
                    summary,
                })
            })
            .await
    }

    fn options(&self, database: &str) -> anyhow::Result<PgConnectOptions> {
        Ok(self
            .server_url
            .parse::<PgConnectOptions>()
            .context("database URL")?
            .database(database))
    }

    /// A connection to the server's maintenance database.
    pub async fn admin(&self) -> anyhow::Result<PgConnection> {
        PgConnection::connect_with(&self.options("postgres")?)
            .await
            .context("connect to PostgreSQL")
    }

    /// Creates and migrates `folio_bench_<time>_<label>`, with a pool of `connections`; it
    /// is dropped when the run ends.
    pub async fn scratch_database(&self, label: &str, connections: u32) -> anyhow::Result<Scratch> {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let name = format!("folio_bench_{secs}_{label}");
        let scratch = self.create_database(&name, connections, true).await?;
        Ok(scratch)
    }

    /// Creates and migrates the database `name` (kept after the run unless `scratch`).
    pub async fn create_database(
        &self,
        name: &str,
        connections: u32,
        scratch: bool,
    ) -> anyhow::Result<Scratch> {
        let mut admin = self.admin().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut admin)
            .await
            .with_context(|| format!("create database {name}"))?;
        admin.close().await.ok();
        if scratch && let Ok(mut names) = self.scratch.lock() {
            names.push(name.to_owned());
        }
        let pool = self.connect(name, connections).await?;
        let db = Database::from_pool(pool.clone());
        db.migrate().await.context("migrate the database")?;
        Ok(Scratch {
            name: name.to_owned(),
            pool,
            db,
        })
    }

    /// The scratch databases created so far.
    pub fn scratch_names(&self) -> Vec<String> {
        self.scratch.lock().map(|n| n.clone()).unwrap_or_default()
    }

    /// Drops every scratch database (connections still open to them are ended).
    pub async fn drop_scratch_databases(&self) {
        let names = self.scratch_names();
        if names.is_empty() {
            return;
        }
        let Ok(mut admin) = self.admin().await else {
            eprintln!("could not connect to drop the scratch databases {names:?}");
            return;
        };
        for name in names {
            let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
                "drop database if exists {name} with (force)"
            )))
            .execute(&mut admin)
            .await;
            if let Err(e) = dropped {
                eprintln!("could not drop {name}: {e}");
            }
        }
        admin.close().await.ok();
    }
}

/// The median of some durations (the lower middle of an even count).
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or_default()
}

/// Seconds with three decimals.
pub fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}
