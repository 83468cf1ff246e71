//! E-mail delivery as the outbox sender sees it: which e-mail is due, and how its attempt
//! ended. Each e-mail is taken in its own [`SystemWork`] and marked in that same work, so
//! senders side by side never take the same e-mail and a sent one is marked sent the
//! moment the work commits. Talking to the mail server is the sender's own business.

use std::time::Duration;

use folio_db::outbox;
use uuid::Uuid;

pub use folio_db::outbox::DueEmail;

use crate::Result;
use crate::system::SystemWork;

/// Takes the oldest due e-mail of the tenant, locked until the work ends; e-mails another
/// sender holds are skipped.
pub async fn claim_due(work: &mut SystemWork) -> Result<Option<DueEmail>> {
    Ok(outbox::claim_due(&mut work.tx).await?)
}

/// Records that the e-mail was delivered.
pub async fn mark_sent(work: &mut SystemWork, id: Uuid) -> Result<()> {
    Ok(outbox::mark_sent(&mut work.tx, id).await?)
}

/// Records a failed attempt, to be tried again after `retry_in`; with `None`, gives up:
/// the e-mail is `failed` and shown to admins.
pub async fn mark_attempt_failed(
    work: &mut SystemWork,
    id: Uuid,
    error: &str,
    retry_in: Option<Duration>,
) -> Result<()> {
    Ok(outbox::mark_attempt_failed(&mut work.tx, id, error, retry_in).await?)
}

/// The tenant's waiting e-mail: how many, the oldest, and whether one is due now (the
/// scheduler queues a sender only then, and reports the backlog to the health checks).
pub async fn backlog(work: &mut SystemWork) -> Result<outbox::Backlog> {
    Ok(outbox::backlog(&mut work.tx).await?)
}
