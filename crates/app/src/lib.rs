//! Folio's use cases: one function per thing a person or a job does. Each runs in a
//! [`UnitOfWork`]: the caller authenticated once, one tenant transaction, access narrowed
//! to what the caller proved, and the audit rows and e-mails it writes committed with it.
//! "Who may do this" is written here, once per use case; the JSON API, the pages and the
//! jobs are adapters over it.
//!
//! Below it: `folio-db` (queries), `folio-domain` (rules). Above it: `folio-api`,
//! the pages, `folio-jobs` and the `folio` binary's operator commands. It knows nothing of HTTP beyond the status each
//! [`Error`] stands for.

pub mod account;
mod admins;
pub mod api_tokens;
pub mod audit_log;
pub mod auditor_access;
pub mod background;
pub mod browser;
pub mod client_address;
pub mod comments;
pub mod course_resources;
pub mod credentials;
pub mod curriculum;
pub mod dashboard;
pub mod delivery;
pub mod demo;
pub mod documents;
pub mod employers;
pub mod enrolments;
mod error;
pub mod evidence;
pub mod exports;
pub mod files;
pub mod gateway;
pub mod iqa;
pub mod iqa_plans;
pub mod learning_plan;
pub mod learning_plan_files;
pub mod messages;
pub mod notifications;
pub mod operator;
pub mod outbound;
pub mod paging;
pub mod password_links;
pub mod pdf_drawer;
pub mod principal;
pub mod profile;
pub mod progress;
pub mod reminders;
pub mod routes;
pub mod runs;
pub mod secrets;
pub mod settings;
pub mod sso;
pub mod sso_settings;
pub mod system;
pub mod telemetry;
pub mod time_log;
pub mod tracks;
pub mod two_factor;
mod unit_of_work;
pub mod users;

pub use error::{Error, FieldError, Fields, Problem, Result, SsoFailure, checked};
pub use folio_db::{Database, DatabaseSettings};
pub use principal::{CredentialId, Principal};
pub use runs::{QueuedRun, RunQueue};
pub use system::SystemWork;
pub use unit_of_work::{Disclaimer, Managed, REQUEST_LINE, RequestLine, UnitOfWork, Visible};
