//! The command line.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use folio_app::credentials::PasswordHashCost;
use folio_domain::jobs::JobKind;
use folio_domain::{Password, Role};
use uuid::Uuid;

use crate::config::Config;
use crate::operator::NewPerson;
use crate::{demo, operator, serve, telemetry, work};

/// Folio: e-portfolio for apprenticeship training providers.
#[derive(Debug, Parser)]
#[command(name = "folio", version, about)]
pub struct Cli {
    /// A TOML configuration file (also `FOLIO_CONFIG`); environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if missing and apply pending migrations.
    Migrate,
    /// Serve the HTTP API.
    Serve,
    /// Run the background workers: the job queue and the nightly schedule.
    Work,
    /// Migrate, load the demo organisations and accounts (idempotently), then serve the
    /// API and run the workers in this one process.
    Demo,
    /// Manage tenants (training providers).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage people.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Run background work by hand.
    #[command(subcommand)]
    Job(JobCommand),
    /// Apprenticeship standards' published off-the-job minimums (platform data).
    #[command(subcommand)]
    Standards(StandardsCommand),
}

/// Standards tasks.
#[derive(Debug, Subcommand)]
pub enum StandardsCommand {
    /// Import published minimum off-the-job hours from a CSV file with the header
    /// `code,version,title,otj_minimum_hours,applies_from` (applies_from as YYYY-MM-DD:
    /// the first start date the value applies to; a transition list is several rows of one
    /// standard). Every row is checked first; one bad row imports nothing. A value already
    /// stored for the same standard, version and date is replaced.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
    },
}

/// Background work.
#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Run one job now for one tenant, in this process, record the run and print what it
    /// did as JSON. Jobs: send-emails, recalculate-tracks, off-track-emails,
    /// overdue-actions, review-checks, induction-overdue, unclosed-sessions,
    /// no-active-learning.
    Run {
        /// The job.
        #[arg(value_parser = parse_job)]
        name: JobKind,
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// The provider's day to run it for (YYYY-MM-DD); default: today in the provider's
        /// time zone.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
}

fn parse_job(s: &str) -> Result<JobKind, String> {
    s.parse()
        .map_err(|e: folio_domain::InvalidValue| e.to_string())
}

/// Tenant tasks.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Short name used at sign-in, e.g. `northgate-training`.
        #[arg(long)]
        slug: String,
        /// Display name, e.g. "Northgate Training".
        #[arg(long)]
        name: String,
    },
}

/// People tasks.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a person in a tenant. Prints a generated password unless one is read from
    /// standard input with --password-stdin.
    Create {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// E-mail address.
        #[arg(long)]
        email: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// A role (repeat for several): admin, assessor, iqa, employer, learner, auditor.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        /// Employer organisation id.
        #[arg(long)]
        employer_id: Option<Uuid>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Create without a local password (single sign-on only).
        #[arg(long, conflicts_with = "password_stdin")]
        no_password: bool,
    },
    /// Break glass, when an organisation cannot get in (its identity provider is gone and
    /// password sign-in is off): makes the person with this address an active admin with a
    /// new password (printed once unless read with --password-stdin), ends their sessions
    /// and tokens, and turns password sign-in back on. Audited.
    RecoverAdmin {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// The address of an existing person (create one first with `user create`).
        #[arg(long)]
        email: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Token tasks.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token for a person; prints the secret once.
    Create {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// The person's e-mail address.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 90)]
        expires_in_days: i64,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: folio_domain::InvalidValue| e.to_string())
}

fn generated_password() -> String {
    // 128 bits from the OS, readable enough to type once.
    Uuid::new_v4().simple().to_string()
}

/// A password read from standard input, or generated (and then returned to be printed
/// once).
fn new_password(from_stdin: bool) -> anyhow::Result<(Password, Option<String>)> {
    if from_stdin {
        let mut input = String::new();
        std::io::stdin()
            .read_to_string(&mut input)
            .context("reading the password")?;
        let input = input.trim_end_matches(['\r', '\n']);
        let password = Password::parse(input).map_err(|e| anyhow::anyhow!("password {e}"))?;
        return Ok((password, None));
    }
    let generated = generated_password();
    let password = Password::parse(&generated).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((password, Some(generated)))
}

/// Parses arguments and runs the command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (config, warnings) = Config::load(cli.config.as_deref())?;
    telemetry::init(&config);
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    if config.password_hash_cost != PasswordHashCost::Standard {
        tracing::warn!(
            "password_hash_cost is test-only-cheap: new password hashes are cheap to crack; \
             for tests only, never for real passwords"
        );
    }
    folio_app::credentials::set_password_hash_cost(config.password_hash_cost);
    match cli.command {
        Command::Migrate => {
            operator::migrate(&config).await?;
            println!("database is up to date");
        }
        Command::Serve => serve::serve(&config, |_| {}).await?,
        Command::Work => work::work(&config).await?,
        Command::Demo => run_demo(&config).await?,
        Command::Job(JobCommand::Run { name, tenant, date }) => {
            let db = operator::connect(&config)?;
            let tenant = operator::tenant(&db, &tenant).await?;
            let ctx = operator::job_context(&config, db)?;
            let report = operator::run_job(&ctx, &tenant, name, date).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Tenant(TenantCommand::Create { slug, name }) => {
            let db = operator::connect(&config)?;
            let tenant = operator::create_tenant(&db, &slug, &name).await?;
            println!(
                "created tenant {} ({}) id {}",
                tenant.slug, tenant.name, tenant.id
            );
        }
        Command::User(UserCommand::Create {
            tenant,
            email,
            name,
            roles,
            employer_id,
            password_stdin,
            no_password,
        }) => {
            let db = operator::connect(&config)?;
            let tenant = operator::tenant(&db, &tenant).await?;
            let (password, print) = if no_password {
                (None, None)
            } else {
                let (password, print) = new_password(password_stdin)?;
                (Some(password), print)
            };
            let person = NewPerson {
                email,
                name,
                roles,
                employer_id,
                password,
            };
            let id = operator::create_user(&db, &tenant, person, false).await?;
            println!("created user {id} in {}", tenant.slug);
            if let Some(password) = print {
                println!("password (shown once): {password}");
            }
        }
        Command::User(UserCommand::RecoverAdmin {
            tenant,
            email,
            password_stdin,
        }) => {
            let db = operator::connect(&config)?;
            let tenant = operator::tenant(&db, &tenant).await?;
            let (password, print) = new_password(password_stdin)?;
            let id = operator::recover_admin(&db, &tenant, &email, &password).await?;
            println!(
                "{email} ({id}) is an active admin of {} again; password sign-in is on",
                tenant.slug
            );
            if let Some(password) = print {
                println!("password (shown once): {password}");
            }
        }
        Command::Standards(StandardsCommand::Import { file }) => {
            let rows = operator::read_standards(&file)?;
            let db = operator::connect(&config)?;
            let written = folio_app::operator::import_standards(&db, &rows).await?;
            println!(
                "imported {written} published minimums from {}",
                file.display()
            );
        }
        Command::Token(TokenCommand::Create {
            tenant,
            email,
            name,
            expires_in_days,
        }) => {
            let db = operator::connect(&config)?;
            let tenant = operator::tenant(&db, &tenant).await?;
            let token =
                operator::create_token(&db, &tenant, &email, &name, expires_in_days).await?;
            println!("{token}");
        }
    }
    Ok(())
}

/// The demo's own secret key: read from `data_dir/secret.key`, or generated there (only
/// its owner may read it) on first run.
fn demo_secret_key(data_dir: &std::path::Path) -> anyhow::Result<String> {
    let path = data_dir.join("secret.key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return Ok(key.trim().to_owned());
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let key = folio_app::secrets::SecretKeys::generate();
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    let mut file = file
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut file, key.as_bytes())?;
    Ok(key)
}

async fn run_demo(config: &Config) -> anyhow::Result<()> {
    // The demo runs on one machine: a provider to try single sign-on with is local too.
    // Without a configured key, it seals secrets with one of its own, kept beside its data.
    let secret_key = if config.secret_key.is_empty() {
        demo_secret_key(&config.data_dir)?
    } else {
        config.secret_key.clone()
    };
    let config = &Config {
        dev_allow_insecure_outbound: true,
        secret_key,
        ..config.clone()
    };
    let db = operator::migrate(config).await?;
    let organisations = demo::load(&db).await?;
    // Registered before either part starts: a Ctrl-C while the workers are still
    // connecting must stop them too.
    let shutdown = serve::shared_shutdown_signal();
    let workers = work::work_until(config, serve::wait_for(shutdown.clone()));
    let api = serve::serve_until(
        config,
        |addr| {
            let base = format!("http://{addr}");
            println!();
            println!("Folio demo is running at {base}");
            if let Some(first) = organisations.first() {
                println!("  Sign in:       {base}/sign-in?org={}", first.slug);
            }
            println!("  API docs:      {base}/api/docs");
            println!("  OpenAPI spec:  {base}/api/openapi.json");
            println!("  Readiness:     {base}/readyz");
            println!();
            println!("Every demo account's password is: {}", demo::DEMO_PASSWORD);
            for organisation in &organisations {
                println!();
                println!(
                    "{} (organisation: {}; sign in at {base}/sign-in?org={})",
                    organisation.name, organisation.slug, organisation.slug
                );
                for (email, roles) in &organisation.accounts {
                    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                    println!("  {email:<28} {}", roles.join(", "));
                }
            }
            if let Some((organisation, (email, _))) = organisations
                .first()
                .and_then(|o| o.accounts.first().map(|a| (o, a)))
            {
                println!();
                println!("Sign in, e.g.:");
                println!(
                    "  curl -s {base}/api/v1/auth/login -H 'content-type: application/json' \\\n    -d '{{\"tenant\":\"{}\",\"email\":\"{email}\",\"password\":\"{}\"}}'",
                    organisation.slug,
                    demo::DEMO_PASSWORD
                );
            }
            println!();
            println!("Background workers are running in this process; with no FOLIO_SMTP_URL,");
            println!(
                "emails are written to {}.",
                config.data_dir.join("mail").display()
            );
            println!("Press Ctrl-C to stop.");
        },
        serve::wait_for(shutdown),
    );
    tokio::try_join!(api, workers)?;
    Ok(())
}
