//! Folio's PostgreSQL layer.
//!
//! Tenant data is reached only through a [`TenantTx`]: a transaction that has switched to
//! the `folio_app` role (no superuser, no BYPASSRLS) and named its tenant in the
//! transaction-local `app.tenant_id`, so row-level security limits every statement in it
//! to that tenant. Repository functions take a `&mut TenantTx`, never a bare pool. The
//! platform's own tables (tenants) are reached through [`platform`].

pub mod audit;
pub mod auditor_access;
pub mod auth;
pub mod comments;
pub mod course_resources;
pub mod curriculum;
pub mod dashboard;
pub mod documents;
pub mod employers;
pub mod enrolments;
mod error;
pub mod evidence;
pub mod exports;
pub mod gateway;
pub mod iqa;
pub mod job_runs;
pub mod learning_plan;
pub mod learning_plan_files;
pub mod messages;
pub mod outbox;
pub mod pagination;
pub mod password_links;
pub mod platform;
pub mod profile;
pub mod progress;
pub mod reminders;
pub mod settings;
mod setup;
pub mod sso;
pub mod standards;
mod tenant_tx;
pub mod time_log;
pub mod tracks;
pub mod two_factor;
pub mod users;
pub mod workers;

pub use error::{DbError, DbResult};
pub use setup::{APP_ROLE, Database, DatabaseSettings, MIGRATOR, create_database_if_missing};
pub use tenant_tx::TenantTx;
