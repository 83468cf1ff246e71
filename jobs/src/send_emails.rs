//! The outbox sender: delivers a tenant's due emails.
//!
//! Each email is taken in its own tenant transaction with `for update skip locked`, sent,
//! and marked in that same transaction, so senders running side by side never take the
//! same email and a sent email is marked sent the moment it commits. The one window that
//! remains is a process killed after the SMTP server accepted an email but before the
//! commit: that email is sent again on the next run, with the same `Message-ID`
//! (`<outbox row id@folio>`), which lets a receiving system recognise the repeat.
//!
//! A failure the server calls temporary (or an unreachable server) is retried with
//! exponential backoff; a permanent refusal, an address that cannot be used, a template
//! that cannot be rendered, a deactivated recipient, or too many failed attempts marks the
//! email `failed`, where admins see it.

use std::time::Duration;

use folio_app::delivery::{self, DueEmail};
use folio_app::system::{self, SystemWork};
use folio_domain::TenantId;
use folio_mail::{Envelope, MailError};
use serde_json::Value;

use crate::JobContext;

/// How delivery is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included, before an email is given up as failed.
    pub max_attempts: u32,
    /// The wait after the first failure; doubled after each further one.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Eight attempts over about four hours: 1, 2, 4, 8, 16, 32, 64 minutes apart.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(6 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt after `failed_attempts` failures (1 or more), or
    /// `None` when it is time to give up.
    pub fn next_delay(&self, failed_attempts: u32) -> Option<Duration> {
        if failed_attempts >= self.max_attempts {
            return None;
        }
        let doublings = failed_attempts.saturating_sub(1).min(30);
        Some(
            self.first_delay
                .saturating_mul(1u32 << doublings)
                .min(self.max_delay),
        )
    }
}

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SendReport {
    /// Delivered.
    pub sent: u32,
    /// Failed this time, to be tried again later.
    pub retrying: u32,
    /// Given up.
    pub failed: u32,
}

impl SendReport {
    fn add(&mut self, other: SendReport) {
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.failed += other.failed;
    }
}

/// How one email ended.
enum Outcome {
    Sent,
    Retry(String, Duration),
    Failed(String),
}

/// Delivers every email of `tenant` that is due now, `concurrency` at a time, and returns
/// what happened. An email that fails is not retried within the same run.
pub async fn run(
    ctx: &JobContext,
    tenant: TenantId,
    concurrency: usize,
) -> anyhow::Result<SendReport> {
    let tenant_name = {
        let mut work = SystemWork::begin(&ctx.db, tenant).await?;
        let name = system::organisation_name(&mut work).await?;
        work.commit().await?;
        name
    };
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let ctx = ctx.clone();
        let tenant_name = tenant_name.clone();
        workers.spawn(async move { drain(&ctx, tenant, &tenant_name).await });
    }
    // Every drainer is waited for, even after one fails: dropping the set would cancel
    // the others, and one cancelled between the server's acceptance and its commit would
    // send its email again later.
    let mut report = SendReport::default();
    let mut first_error = None;
    while let Some(done) = workers.join_next().await {
        match done.map_err(anyhow::Error::from).and_then(|r| r) {
            Ok(r) => report.add(r),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if report != SendReport::default() {
        tracing::info!(
            tenant_id = %tenant,
            sent = report.sent,
            retrying = report.retrying,
            failed = report.failed,
            "emails delivered"
        );
    }
    Ok(report)
}

/// Takes due emails one at a time until there are none.
async fn drain(
    ctx: &JobContext,
    tenant: TenantId,
    tenant_name: &str,
) -> anyhow::Result<SendReport> {
    let mut report = SendReport::default();
    // Emails that failed in this run are due again only after their backoff, so the loop
    // ends: each iteration either finds nothing or moves one email out of "due now".
    loop {
        let mut work = SystemWork::begin(&ctx.db, tenant).await?;
        let Some(email) = delivery::claim_due(&mut work).await? else {
            work.commit().await?;
            return Ok(report);
        };
        let outcome = deliver(ctx, tenant_name, &email).await;
        record(&mut work, &email, outcome, &mut report).await?;
        work.commit().await?;
    }
}

async fn deliver(ctx: &JobContext, tenant_name: &str, email: &DueEmail) -> Outcome {
    if !email.recipient_active {
        return Outcome::Failed("the recipient's account is deactivated".into());
    }
    let mut context = match &email.data {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    // A link to set a password carries its token sealed: opened here, as the message is
    // rendered, and never stored in clear.
    if let Some(Value::String(sealed)) = context.remove("sealed_token") {
        let token = match folio_app::password_links::open_sealed_token(&ctx.secrets, &sealed) {
            Ok(token) => token,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let path = context
            .get("link_path")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        context.insert("link_path".into(), format!("{path}?token={token}").into());
    }
    context.insert("tenant_name".into(), tenant_name.into());
    context.insert("recipient_name".into(), email.recipient_name.clone().into());
    context.insert(
        "app_url".into(),
        ctx.public_url.trim_end_matches('/').into(),
    );
    let content = match ctx
        .templates
        .render(&email.template, &Value::Object(context))
    {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let message_id = email.id.to_string();
    let envelope = Envelope {
        from_name: tenant_name,
        to_name: &email.recipient_name,
        to_address: &email.to_address,
        message_id: &message_id,
        content: &content,
    };
    match ctx.mailer.send(&envelope).await {
        Ok(()) => Outcome::Sent,
        Err(e @ MailError::Transient(_)) => {
            let failures = u32::try_from(email.attempts).unwrap_or(0) + 1;
            match ctx.email_retry.next_delay(failures) {
                Some(wait) => Outcome::Retry(e.to_string(), wait),
                None => Outcome::Failed(format!("gave up after {failures} attempts: {e}")),
            }
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

async fn record(
    work: &mut SystemWork,
    email: &DueEmail,
    outcome: Outcome,
    report: &mut SendReport,
) -> anyhow::Result<()> {
    match outcome {
        Outcome::Sent => {
            delivery::mark_sent(work, email.id).await?;
            folio_app::telemetry::email_attempt("sent");
            report.sent += 1;
        }
        Outcome::Retry(error, wait) => {
            // The error names the server, never the message or its recipient.
            tracing::warn!(outbox_id = %email.id, template = %email.template, error = %error, retry_in_secs = wait.as_secs(), "email delivery failed; will retry");
            delivery::mark_attempt_failed(work, email.id, &error, Some(wait)).await?;
            folio_app::telemetry::email_attempt("retrying");
            report.retrying += 1;
        }
        Outcome::Failed(error) => {
            tracing::error!(outbox_id = %email.id, template = %email.template, error = %error, "email given up");
            delivery::mark_attempt_failed(work, email.id, &error, None).await?;
            folio_app::telemetry::email_attempt("failed");
            report.failed += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_then_gives_up() {
        let p = RetryPolicy {
            max_attempts: 5,
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(300),
        };
        let waits: Vec<_> = (1..=5)
            .map(|n| p.next_delay(n).map(|d| d.as_secs()))
            .collect();
        assert_eq!(waits, [Some(60), Some(120), Some(240), Some(300), None]);
        let d = RetryPolicy::default();
        assert_eq!(d.next_delay(7).map(|w| w.as_secs()), Some(64 * 60));
        assert_eq!(d.next_delay(8), None);
    }
}
