//! Operator tasks that work without the API: migrating, creating tenants, people and
//! tokens. Each write is audited with the operator as the actor.

use anyhow::{Context, bail};
use chrono::Utc;
use folio_db::audit::{self, Actor, Event};
use folio_db::platform::{self, Tenant};
use folio_db::{Database, DatabaseSettings, auth, create_database_if_missing, users};
use folio_domain::{EmailAddress, Password, PersonName, Role, TenantName, TenantSlug, TokenName};
use uuid::Uuid;

use crate::config::Config;

/// Connects to the configured database.
pub fn connect(config: &Config) -> anyhow::Result<Database> {
    Ok(Database::connect_lazy(&DatabaseSettings {
        url: config.database_url.clone(),
        max_connections: config.database_max_connections,
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
    let mut tx = ctx.db.begin_tenant(id).await?;
    let tz = folio_db::settings::get(&mut tx).await?.tz();
    let on = date.unwrap_or_else(|| folio_domain::jobs::local_date(&tz, Utc::now()));
    let run = folio_db::job_runs::request(
        &mut tx,
        kind.as_str(),
        on,
        folio_db::job_runs::Trigger::Operator,
    )
    .await?
    .context("the run was not recorded")?;
    tx.commit().await?;
    folio_jobs::run::execute(
        ctx,
        &folio_jobs::run::TenantJob {
            tenant_id: id.0,
            kind,
            run_on: on,
            run_id: Some(run.id),
        },
    )
    .await
}

/// Creates the database if it is missing and applies pending migrations.
pub async fn migrate(config: &Config) -> anyhow::Result<Database> {
    if create_database_if_missing(&config.database_url)
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
    Ok(db)
}

/// Creates a tenant and records its creation as the first entry of its audit log.
pub async fn create_tenant(db: &Database, slug: &str, name: &str) -> anyhow::Result<Tenant> {
    let slug = TenantSlug::parse(slug).map_err(|e| anyhow::anyhow!("--slug {e}"))?;
    let name = TenantName::parse(name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
    let tenant = platform::create_tenant(db.pool(), &slug, &name)
        .await
        .map_err(|e| match e.constraint() {
            Some("tenants_slug_key") => anyhow::anyhow!("a tenant with slug {slug} already exists"),
            _ => e.into(),
        })?;
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    audit::record(
        &mut tx,
        Event {
            actor: Actor::Operator,
            action: "tenant.create",
            entity_type: "tenant",
            entity_id: Some(tenant.id),
            details: serde_json::json!({ "slug": tenant.slug }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(tenant)
}

/// The tenant with this slug.
pub async fn tenant(db: &Database, slug: &str) -> anyhow::Result<Tenant> {
    platform::find_by_slug(db.pool(), slug)
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
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    if let Some(existing) = users::find_id_by_email(&mut tx, &email).await? {
        if if_missing {
            return Ok(existing);
        }
        bail!("{email} already has an account in {}", tenant.slug);
    }
    let hash = match &person.password {
        Some(p) => Some(
            folio_app::credentials::hash_password(p)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
        None => None,
    };
    let id = Uuid::now_v7();
    users::insert(
        &mut tx,
        &users::NewUser {
            id,
            email: &email,
            name: &name,
            password_hash: hash.as_deref(),
            employer_id: person.employer_id,
        },
    )
    .await?;
    users::set_roles(&mut tx, id, &person.roles).await?;
    let roles: Vec<&str> = person.roles.iter().map(|r| r.as_str()).collect();
    audit::record(
        &mut tx,
        Event {
            actor: Actor::Operator,
            action: "user.create",
            entity_type: "user",
            entity_id: Some(id),
            details: serde_json::json!({ "roles": roles }),
        },
    )
    .await?;
    tx.commit().await?;
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
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    let user_id = users::find_id_by_email(&mut tx, &email)
        .await?
        .with_context(|| format!("no person with address {email} in {}", tenant.slug))?;
    let minted = folio_app::credentials::mint(
        folio_app::credentials::TokenKind::ApiToken,
        tenant.tenant_id(),
    );
    let id = Uuid::now_v7();
    auth::create_api_token(
        &mut tx,
        id,
        user_id,
        &name,
        &minted.hash,
        Some(Utc::now() + chrono::Duration::days(days)),
    )
    .await?;
    audit::record(
        &mut tx,
        Event {
            actor: Actor::Operator,
            action: "api_token.create",
            entity_type: "api_token",
            entity_id: Some(id),
            details: serde_json::json!({ "user_id": user_id, "expires_in_days": days }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(minted.token)
}
