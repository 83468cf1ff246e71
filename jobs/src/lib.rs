//! Folio's background work. Each piece of work is a plain async function over one tenant,
//! idempotent, so that however it is started (a schedule, an admin's request, `folio job
//! run`) and however often a delivery is repeated, its effect happens once.

pub mod exports;
pub mod health;
pub mod queue;
pub mod reminders;
pub mod run;
pub mod scheduler;
pub mod send_emails;
pub mod tracks;
pub mod worker;

use std::sync::Arc;

use folio_app::Database;
use folio_mail::{Mailer, Templates};

/// What the work needs from the process.
#[derive(Clone)]
pub struct JobContext {
    /// PostgreSQL.
    pub db: Database,
    /// Where email goes.
    pub mailer: Mailer,
    /// The compiled email templates.
    pub templates: Arc<Templates>,
    /// The address people use to reach Folio, for links in emails.
    pub public_url: String,
    /// How email delivery is retried.
    pub email_retry: send_emails::RetryPolicy,
    /// Files: where exports are written.
    pub storage: folio_storage::Storage,
    /// How long a finished export stays downloadable.
    pub export_retention: chrono::TimeDelta,
    /// The keys that open what the outbox holds sealed (the token of a link to set a
    /// password).
    pub secrets: folio_app::secrets::SecretKeys,
}
