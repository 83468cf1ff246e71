//! Connecting, creating the database, migrating and checking the application role.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use folio_domain::TenantId;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::{DbResult, TenantTx};

/// The role every tenant transaction runs as; created by the first migration.
pub const APP_ROLE: &str = "folio_app";

/// The embedded migrations in `migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// How to reach PostgreSQL.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// `postgres://user[:password]@host:port/database`.
    pub url: String,
    /// Pool size of this process.
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered 503: short, so
    /// that while PostgreSQL is unreachable people are told at once rather than left
    /// waiting (the pool keeps trying to connect for the whole of it).
    pub acquire_timeout: Duration,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_password(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish()
    }
}

/// The URL with any password replaced, for logs and `Debug`.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("********"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<unparsable database url>".to_owned(),
    }
}

/// The process's connection pool and the only way to open a tenant transaction.
#[derive(Clone, Debug)]
pub struct Database {
    pool: PgPool,
}

impl Database {
    /// Connects lazily: a process starts even if PostgreSQL is briefly down, and `/readyz`
    /// says so until it is back.
    pub fn connect_lazy(settings: &DatabaseSettings) -> DbResult<Self> {
        let options = PgConnectOptions::from_str(&settings.url)?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options);
        Ok(Self { pool })
    }

    /// Wraps an existing pool. The binary connects with [`Database::connect_lazy`]; the
    /// test harness and the benchmarks build one pool with their own options and share it
    /// between this handle and their own setup queries, which `connect_lazy` cannot do.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool, for the platform queries in [`crate::platform`] and for health checks.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies every pending migration. Concurrent runs wait on sqlx's advisory lock.
    pub async fn migrate(&self) -> DbResult<()> {
        MIGRATOR.run(&self.pool).await.map_err(|err| match err {
            sqlx::migrate::MigrateError::Execute(e) => e.into(),
            other => crate::DbError::Other(crate::error::OtherDbError(sqlx::Error::Migrate(
                Box::new(other),
            ))),
        })
    }

    /// Refuses to run unless tenant isolation really holds: the application role must
    /// exist, must be neither superuser nor BYPASSRLS, and the login role must be able to
    /// switch to it. Every table with a `tenant_id` column must have row-level security
    /// enabled and forced.
    pub async fn verify_isolation(&self) -> Result<(), String> {
        let role: Option<(bool, bool, bool)> = sqlx::query_as(
            "select rolsuper, rolbypassrls, pg_has_role(current_user, oid, 'member')
             from pg_roles where rolname = $1",
        )
        .bind(APP_ROLE)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| format!("cannot read pg_roles: {e}"))?;
        match role {
            None => {
                return Err(format!(
                    "role {APP_ROLE} does not exist: run `folio migrate`"
                ));
            }
            Some((true, _, _)) => return Err(format!("role {APP_ROLE} is a superuser")),
            Some((_, true, _)) => return Err(format!("role {APP_ROLE} has BYPASSRLS")),
            Some((_, _, false)) => {
                return Err(format!("the login role cannot `set role {APP_ROLE}`"));
            }
            Some(_) => {}
        }
        let unprotected: Vec<String> = sqlx::query_scalar(
            "select c.relname::text
             from pg_class c
             join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind in ('r', 'p')
               and exists (select 1 from pg_attribute a
                           where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
               and not (c.relrowsecurity and c.relforcerowsecurity)
             order by 1",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| format!("cannot read pg_class: {e}"))?;
        if !unprotected.is_empty() {
            return Err(format!(
                "tables without forced row-level security: {}",
                unprotected.join(", ")
            ));
        }
        // Each tenant table needs the tenant_isolation policy, and no other permissive
        // policy (permissive policies are OR-ed: one `using (true)` would open the table).
        let badly_policed: Vec<String> = sqlx::query_scalar(
            "select c.relname::text
             from pg_class c
             join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind in ('r', 'p')
               and exists (select 1 from pg_attribute a
                           where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
               and (not exists (select 1 from pg_policies p
                                where p.schemaname = 'public' and p.tablename = c.relname
                                  and p.policyname = 'tenant_isolation' and p.cmd = 'ALL'
                                  and p.qual = '(tenant_id = current_tenant())'
                                  and p.with_check = '(tenant_id = current_tenant())')
                    or exists (select 1 from pg_policies p
                               where p.schemaname = 'public' and p.tablename = c.relname
                                 and p.permissive = 'PERMISSIVE' and p.policyname <> 'tenant_isolation'))
             order by 1",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| format!("cannot read pg_policies: {e}"))?;
        if !badly_policed.is_empty() {
            return Err(format!(
                "tables whose row-level security policies do not limit them to one tenant: {}",
                badly_policed.join(", ")
            ));
        }
        Ok(())
    }

    /// Opens a transaction bound to `tenant`. Call this only with a tenant id that came
    /// from an authenticated principal, a job or an operator command.
    pub async fn begin_tenant(&self, tenant: TenantId) -> DbResult<TenantTx> {
        TenantTx::begin(&self.pool, tenant).await
    }

    /// Checks that PostgreSQL answers, for `/readyz`.
    pub async fn ping(&self) -> DbResult<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Creates the database named in `url` if it does not exist, connecting to the
/// `postgres` maintenance database on the same server to do so.
pub async fn create_database_if_missing(url: &str) -> DbResult<bool> {
    let options = PgConnectOptions::from_str(url)?;
    let name = options.get_database().unwrap_or("postgres").to_owned();
    let mut conn = PgConnection::connect_with(&options.clone().database("postgres")).await?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await?;
    if exists {
        conn.close().await?;
        return Ok(false);
    }
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    let created = sqlx::query(sqlx::AssertSqlSafe(format!("create database {quoted}")))
        .execute(&mut conn)
        .await;
    conn.close().await?;
    match created {
        Ok(_) => Ok(true),
        // Someone else created it between our check and our create.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => Ok(false),
        Err(e) => Err(e.into()),
    }
}
