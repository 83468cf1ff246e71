//! Operator tasks that work without the API: migrating, creating tenants, people and
//! tokens. Each write is audited with the operator as the actor.

use anyhow::{Context, bail};
use folio_app::operator::{self, Tenant};
use folio_app::{Database, DatabaseSettings, Error, SystemWork, runs};
use folio_domain::{EmailAddress, Password, PersonName, Role, TenantName, TenantSlug, TokenName};
use uuid::Uuid;

use crate::config::Config;

/// How long background work and operator commands wait for a connection: nobody is
/// waiting on a page, and a job that waits through a brief outage is better than one that
/// fails and is retried.
const BACKGROUND_ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Connects to the configured database, for background work and operator commands.
pub fn connect(config: &Config) -> anyhow::Result<Database> {
    Ok(Database::connect_lazy(&DatabaseSettings {
        url: config.database_url.clone(),
        max_connections: config.database_max_connections,
        acquire_timeout: BACKGROUND_ACQUIRE_TIMEOUT,
    })?)
}

/// What background work needs: the database, the mailer and templates, the app's address.
pub fn job_context(config: &Config, db: Database) -> anyhow::Result<folio_jobs::JobContext> {
    Ok(folio_jobs::JobContext {
        db,
        mailer: config.mailer()?,
        templates: std::sync::Arc::new(folio_mail::Templates::load()?),
        public_url: config.app_url(),
        email_retry: folio_jobs::send_emails::RetryPolicy::default(),
        storage: folio_storage::Storage::new(&config.storage_config()?)?,
        export_retention: chrono::TimeDelta::days(i64::from(config.export_retention_days)),
        secrets: config.secret_keys()?,
    })
}

/// Runs one job for a tenant in this process, recorded as an operator's run, for the
/// provider's day `date` (default: today there). Returns the run's report.
pub async fn run_job(
    ctx: &folio_jobs::JobContext,
    tenant: &Tenant,
    kind: folio_domain::jobs::JobKind,
    date: Option<chrono::NaiveDate>,
) -> anyhow::Result<serde_json::Value> {
    let id = tenant.tenant_id();
    let mut work = SystemWork::begin_as_operator(&ctx.db, id).await?;
    let run = runs::request_as_operator(&mut work, kind, date)
        .await
        // In words (`--date must not be after today …`), not the error's kind.
        .map_err(|e| anyhow::anyhow!("--{}", e.detail()))?
        .context("the run was not recorded")?;
    work.commit().await?;
    folio_jobs::run::execute(
        ctx,
        &folio_jobs::run::TenantJob {
            tenant_id: id.0,
            kind,
            run_on: run.run_on,
            run_id: Some(run.id),
        },
        // Not a worker process: nobody else could find this run running here.
        "operator",
    )
    .await
}

/// Creates the database if it is missing and applies pending migrations.
pub async fn migrate(config: &Config) -> anyhow::Result<Database> {
    if operator::create_database_if_missing(&config.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot reach PostgreSQL at {}",
                crate::config::redact(&config.database_url)
            )
        })?
    {
        tracing::info!("created database");
    }
    let db = connect(config)?;
    db.migrate().await.context("migrating")?;
    let keys = config.secret_keys()?;
    let resealed = operator::reseal_secrets(&db, &keys)
        .await
        .context("sealing stored secrets under FOLIO_SECRET_KEY")?;
    if resealed > 0 {
        tracing::info!(resealed, "sealed stored secrets under the current key");
    }
    Ok(db)
}

/// Creates a tenant and records its creation as the first entry of its audit log.
pub async fn create_tenant(db: &Database, slug: &str, name: &str) -> anyhow::Result<Tenant> {
    let slug = TenantSlug::parse(slug).map_err(|e| anyhow::anyhow!("--slug {e}"))?;
    let name = TenantName::parse(name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
    match operator::create_tenant(db, &slug, &name).await {
        Err(Error::Conflict {
            field: Some(field), ..
        }) if field == "slug" => bail!("a tenant with slug {slug} already exists"),
        created => Ok(created?),
    }
}

/// The tenant with this slug.
pub async fn tenant(db: &Database, slug: &str) -> anyhow::Result<Tenant> {
    operator::tenant(db, slug)
        .await?
        .with_context(|| format!("no tenant with slug {slug}"))
}

/// A person to create.
#[derive(Debug)]
pub struct NewPerson {
    /// Address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Employer organisation.
    pub employer_id: Option<Uuid>,
    /// Local password, if any.
    pub password: Option<Password>,
}

/// Creates a person in `tenant`; with `if_missing`, an existing address is left as it is
/// and its id returned.
pub async fn create_user(
    db: &Database,
    tenant: &Tenant,
    person: NewPerson,
    if_missing: bool,
) -> anyhow::Result<Uuid> {
    let email = EmailAddress::parse(&person.email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    let name = PersonName::parse(&person.name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
    if person.roles.is_empty() {
        bail!("give at least one --role");
    }
    let mut work = SystemWork::begin_as_operator(db, tenant.tenant_id()).await?;
    if let Some(existing) = operator::person_with_email(&mut work, &email).await? {
        if if_missing {
            return Ok(existing);
        }
        bail!("{email} already has an account in {}", tenant.slug);
    }
    let id = operator::add_person(
        &mut work,
        &operator::NewPerson {
            email: &email,
            name: &name,
            roles: &person.roles,
            employer_id: person.employer_id,
            password: person.password.as_ref(),
        },
    )
    .await?;
    work.commit().await?;
    Ok(id)
}

/// Break glass: makes the person with `email` an active admin of `tenant` with `password`
/// and turns password sign-in back on (see `folio_app::operator::recover_admin`).
pub async fn recover_admin(
    db: &Database,
    tenant: &Tenant,
    email: &str,
    password: &Password,
) -> anyhow::Result<Uuid> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    let mut work = SystemWork::begin_as_operator(db, tenant.tenant_id()).await?;
    let id = match operator::recover_admin(&mut work, &email, password).await {
        Err(Error::NotFound) => bail!(
            "{email} has no account in {}: create one first with `folio user create`",
            tenant.slug
        ),
        done => done?,
    };
    work.commit().await?;
    Ok(id)
}

/// Creates a personal API token for the person with `email`; returns the secret.
pub async fn create_token(
    db: &Database,
    tenant: &Tenant,
    email: &str,
    name: &str,
    days: i64,
) -> anyhow::Result<String> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    let name = TokenName::parse(name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
    anyhow::ensure!(
        (1..=366).contains(&days),
        "--expires-in-days must be between 1 and 366"
    );
    let mut work = SystemWork::begin_as_operator(db, tenant.tenant_id()).await?;
    let user_id = operator::person_with_email(&mut work, &email)
        .await?
        .with_context(|| format!("no person with address {email} in {}", tenant.slug))?;
    let token = operator::create_api_token(&mut work, user_id, &name, days).await?;
    work.commit().await?;
    Ok(token)
}

/// The published minimums in a CSV file (`code,version,title,otj_minimum_hours,
/// applies_from`), every row checked: an error names each bad row's line and column, and
/// nothing is returned unless every row is good.
pub fn read_standards(
    path: &std::path::Path,
) -> anyhow::Result<Vec<folio_domain::standards::PublishedStandard>> {
    use folio_domain::standards::PublishedStandard;
    const HEADER: [&str; 5] = [
        "code",
        "version",
        "title",
        "otj_minimum_hours",
        "applies_from",
    ];
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("reading the header of {}", path.display()))?
        .iter()
        .map(str::to_owned)
        .collect();
    if header != HEADER {
        bail!(
            "{}: the header must be `{}`, not `{}`",
            path.display(),
            HEADER.join(","),
            header.join(",")
        );
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (n, record) in reader.records().enumerate() {
        // Line 1 is the header.
        let line = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let field = |i: usize| record.get(i).unwrap_or_default();
        match PublishedStandard::parse(field(0), field(1), field(2), field(3), field(4)) {
            Ok(row) => rows.push(row),
            Err(errs) => problems.extend(errs.iter().map(|e| format!("line {line}: {e}"))),
        }
    }
    if !problems.is_empty() {
        bail!(
            "{}: nothing imported:\n{}",
            path.display(),
            problems.join("\n")
        );
    }
    if rows.is_empty() {
        bail!("{}: no rows to import", path.display());
    }
    Ok(rows)
}
