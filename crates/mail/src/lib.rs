//! Folio's email: every message is rendered from handlebars templates (a subject, a text
//! part and an HTML part, under `templates/email/`) and sent through SMTP with lettre, or,
//! with no SMTP server configured, written as an `.eml` file so that a local install works
//! offline and every message can still be read.
//!
//! The templates are compiled into the binary, so a deployed process cannot lose them.
//! Rendering is strict: a template that names a value the context lacks is an error, never
//! an email with a blank where a name should be.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use handlebars::Handlebars;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use serde_json::Value;

pub mod smtp;

/// One template's name and its subject, text and HTML sources, compiled in.
macro_rules! template {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../templates/email/", $name, ".subject.hbs")),
            include_str!(concat!("../../../templates/email/", $name, ".txt.hbs")),
            include_str!(concat!("../../../templates/email/", $name, ".html.hbs")),
        )
    };
}

/// Every email template: its name, and its subject, text and HTML sources.
const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    template!("message_received"),
    template!("evidence_returned"),
    template!("evidence_resubmitted"),
    template!("off_track_learner"),
    template!("overdue_actions_learner"),
    template!("digest"),
    template!("iqa_sample_recorded"),
    template!("iqa_sample_answered"),
    template!("invitation"),
    template!("password_reset"),
    template!("sso_welcome"),
];

/// The layout every HTML part is wrapped in (`{{> layout}}` with the body as `@partial-block`).
const HTML_LAYOUT: &str = include_str!("../../../templates/email/layout.html.hbs");

/// Why an email could not be rendered or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// No template of that name.
    #[error("no email template `{0}`")]
    UnknownTemplate(String),
    /// The template and its context do not fit.
    #[error("could not render `{template}`: {reason}")]
    Render {
        /// The template.
        template: String,
        /// What went wrong.
        reason: String,
    },
    /// An address or header that cannot be used.
    #[error("could not build the message: {0}")]
    Build(String),
    /// The server refused the message for good (a 5xx reply): retrying will not help.
    #[error("refused by the mail server: {0}")]
    Permanent(String),
    /// The server could not be reached, or refused for now (a 4xx reply): retry later.
    #[error("mail server unavailable: {0}")]
    Transient(String),
}

impl MailError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient(_))
    }
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// The compiled templates.
pub struct Templates {
    /// Subjects and text parts: no HTML escaping.
    plain: Handlebars<'static>,
    /// HTML parts: every value escaped.
    html: Handlebars<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// Compiles every template; fails on a template that does not parse.
    pub fn load() -> Result<Self, MailError> {
        let mut plain = Handlebars::new();
        plain.set_strict_mode(true);
        plain.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        let bad = |template: &str, e: handlebars::TemplateError| MailError::Render {
            template: template.to_owned(),
            reason: e.to_string(),
        };
        html.register_partial("layout", HTML_LAYOUT)
            .map_err(|e| bad("layout", e))?;
        for (name, subject, text, body) in TEMPLATES {
            plain
                .register_template_string(&format!("{name}.subject"), subject)
                .map_err(|e| bad(name, e))?;
            plain
                .register_template_string(&format!("{name}.txt"), text)
                .map_err(|e| bad(name, e))?;
            html.register_template_string(name, body)
                .map_err(|e| bad(name, e))?;
        }
        Ok(Self { plain, html })
    }

    /// The names of every template.
    pub fn names() -> impl Iterator<Item = &'static str> {
        TEMPLATES.iter().map(|t| t.0)
    }

    /// Renders `template` with `context` (an object; `tenant_name`, `recipient_name` and
    /// `app_url` are expected by every template).
    pub fn render(&self, template: &str, context: &Value) -> Result<Rendered, MailError> {
        if !Self::names().any(|n| n == template) {
            return Err(MailError::UnknownTemplate(template.to_owned()));
        }
        let failed = |e: handlebars::RenderError| MailError::Render {
            template: template.to_owned(),
            reason: e.to_string(),
        };
        Ok(Rendered {
            subject: self.subject(template, context)?,
            text: self
                .plain
                .render(&format!("{template}.txt"), context)
                .map_err(failed)?,
            html: self.html.render(template, context).map_err(failed)?,
        })
    }
}

impl Templates {
    /// Only the subject line of `template` rendered from `context` (what an in-app
    /// notification says).
    pub fn subject(&self, template: &str, context: &Value) -> Result<String, MailError> {
        if !Self::names().any(|n| n == template) {
            return Err(MailError::UnknownTemplate(template.to_owned()));
        }
        let subject = self
            .plain
            .render(&format!("{template}.subject"), context)
            .map_err(|e| MailError::Render {
                template: template.to_owned(),
                reason: e.to_string(),
            })?;
        // A subject is one line, however the values in it were written.
        Ok(subject.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// An email ready to go.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The sender's display name (the training provider's name).
    pub from_name: &'a str,
    /// The recipient's name.
    pub to_name: &'a str,
    /// The recipient's address.
    pub to_address: &'a str,
    /// A stable id for the message, the same on every attempt (from the outbox row), so
    /// that a retried delivery can be recognised as the same message.
    pub message_id: &'a str,
    /// What to send.
    pub content: &'a Rendered,
}

/// Where email goes.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server, through a connection pool.
    Smtp {
        /// The server's connections.
        pool: Arc<smtp::SmtpPool>,
        /// The sender's address.
        from: String,
    },
    /// `.eml` files in a directory (no SMTP server configured).
    Files {
        /// The directory.
        dir: PathBuf,
        /// The sender's address.
        from: String,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The URL may carry credentials: never print it.
            Mailer::Smtp { from, .. } => f.debug_struct("Smtp").field("from", from).finish(),
            Mailer::Files { dir, from } => f
                .debug_struct("Files")
                .field("dir", dir)
                .field("from", from)
                .finish(),
        }
    }
}

impl Mailer {
    /// SMTP from a URL: `smtp://host:port` (plain, or `?tls=required` for STARTTLS) or
    /// `smtps://host:port` (TLS), with `user:password@` if the server wants them.
    pub fn smtp(url: &str, from: &str) -> Result<Self, MailError> {
        let pool = smtp::SmtpPool::from_url(url, Duration::from_secs(20))?;
        check_from(from)?;
        Ok(Mailer::Smtp {
            pool: Arc::new(pool),
            from: from.to_owned(),
        })
    }

    /// `.eml` files under `dir` (created when the first message is written).
    pub fn files(dir: PathBuf, from: &str) -> Result<Self, MailError> {
        check_from(from)?;
        Ok(Mailer::Files {
            dir,
            from: from.to_owned(),
        })
    }

    /// Sends one email.
    pub async fn send(&self, envelope: &Envelope<'_>) -> Result<(), MailError> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Files { from, .. } => from,
        };
        let message = build(from, envelope)?;
        match self {
            Mailer::Smtp { pool, .. } => pool.send(message.envelope(), &message.formatted()).await,
            Mailer::Files { dir, .. } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| MailError::Transient(format!("{}: {e}", dir.display())))?;
                let name: String = envelope
                    .message_id
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let path = dir.join(format!("{name}.eml"));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| MailError::Transient(format!("{}: {e}", path.display())))
            }
        }
    }
}

fn check_from(from: &str) -> Result<(), MailError> {
    from.parse::<lettre::Address>()
        .map(|_| ())
        .map_err(|e| MailError::Build(format!("sender address `{from}`: {e}")))
}

fn build(from: &str, e: &Envelope<'_>) -> Result<Message, MailError> {
    let bad = |what: &str, err: &dyn std::fmt::Display| MailError::Build(format!("{what}: {err}"));
    let from_address = from
        .parse::<lettre::Address>()
        .map_err(|err| bad("sender", &err))?;
    let to_address = e
        .to_address
        .parse::<lettre::Address>()
        // A stored address that no longer parses will not parse on a retry either.
        .map_err(|err| MailError::Permanent(format!("recipient address: {err}")))?;
    Message::builder()
        .from(Mailbox::new(Some(e.from_name.to_owned()), from_address))
        .to(Mailbox::new(Some(e.to_name.to_owned()), to_address))
        .subject(&e.content.subject)
        .message_id(Some(format!("<{}@folio>", e.message_id)))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(e.content.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(e.content.html.clone()),
                ),
        )
        .map_err(|err| bad("message", &err))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    fn context() -> Value {
        json!({
            "tenant_name": "Northgate <Training>",
            "recipient_name": "Tom",
            "app_url": "http://localhost:8080",
            "learner_name": "Amelia",
            "sender_name": "Amelia",
            "reply": false,
            "subject": "My\nreview",
            "body": "Can we move it?",
            "course_title": "Engineering",
            "evidence_id": "0190",
            "evidence_title": "Torque <check>",
            "enrolment_id": "0191",
            "version": 2,
            "to": "assessor",
            "message_id": "0192",
            "elapsed_percent": "50",
            "progress_percent": "20",
            "planned_end": "1 March 2027",
            "assessor_name": "Tom",
            "count": 2,
            "actions": [{ "title": "Survey", "course_title": "Engineering",
                          "target_date": "1 May 2026", "overdue": "2 days overdue",
                          "link_path": "/app/enrolments/0191/actions/0193" }],
            "intro": "2 learners need a review:",
            "rows": [{ "learner": "Amelia (Engineering)", "detail": "review due" }],
            "link_path": "/app/caseload/reviews-due",
            "settings_path": "/app/profile#notifications",
            "valid_hours": 168,
            "valid_minutes": 30,
            "iqa_name": "Iris",
            "decision": "disagree",
            "feedback": "The witness statement is unsigned.",
            "action_for_assessor": null,
            "response": "Observed again.",
        })
    }

    #[test]
    fn every_template_renders_with_its_context() {
        let t = Templates::load().unwrap();
        for name in Templates::names() {
            let r = t.render(name, &context()).unwrap();
            assert!(!r.subject.is_empty() && !r.subject.contains('\n'), "{name}");
            assert!(r.text.contains("Tom"), "{name}: {}", r.text);
            assert!(
                r.html.contains("Northgate &lt;Training&gt;"),
                "{name}: html escapes"
            );
            assert!(
                r.text.contains("Northgate <Training>"),
                "{name}: text does not"
            );
        }
    }

    #[test]
    fn a_message_says_who_wrote_it_and_whether_it_answers() {
        let t = Templates::load().unwrap();
        let r = t.render("message_received", &context()).unwrap();
        assert!(
            r.text
                .contains("Amelia (Engineering) has sent you a message in Folio."),
            "{}",
            r.text
        );
        let mut c = context();
        c["to"] = json!("learner");
        c["reply"] = json!(true);
        c["sender_name"] = json!("Tom Smith");
        let r = t.render("message_received", &c).unwrap();
        assert_eq!(r.subject, "New message from Tom Smith: My review");
        for body in [&r.text, &r.html] {
            assert!(
                body.contains(
                    "Tom Smith has answered you in Folio about your programme, Engineering."
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_blank() {
        let t = Templates::load().unwrap();
        let mut c = context();
        c.as_object_mut().unwrap().remove("recipient_name");
        assert!(matches!(
            t.render("message_received", &c),
            Err(MailError::Render { .. })
        ));
        assert!(matches!(
            t.render("nope", &c),
            Err(MailError::UnknownTemplate(_))
        ));
    }

    #[test]
    fn messages_carry_both_parts_and_a_stable_id() {
        let t = Templates::load().unwrap();
        let content = t.render("message_received", &context()).unwrap();
        let m = build(
            "no-reply@folio.localhost",
            &Envelope {
                from_name: "Northgate",
                to_name: "Tom",
                to_address: "tom@example.com",
                message_id: "outbox-1",
                content: &content,
            },
        )
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <outbox-1@folio>"), "{raw}");
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        let bad = Envelope {
            from_name: "N",
            to_name: "T",
            to_address: "not an address",
            message_id: "x",
            content: &content,
        };
        assert!(matches!(
            build("no-reply@folio.localhost", &bad),
            Err(MailError::Permanent(_))
        ));
    }
}
