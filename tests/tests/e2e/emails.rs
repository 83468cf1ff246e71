//! The outbox sender against a real SMTP server (aiosmtpd): queued emails are rendered and
//! delivered once, however often the sender runs and however many run side by side; an
//! unreachable server is retried with backoff and then given up; a deactivated recipient
//! gets nothing; without an SMTP server, emails are written as `.eml` files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use folio_domain::Role;
use folio_jobs::JobContext;
use folio_jobs::send_emails::{self, RetryPolicy, SendReport};
use folio_mail::{Mailer, Templates};
use folio_tests::TestApp;
use folio_tests::scene::{NewCourse, NewEnrolment, Scene, days_ago, days_ahead};
use folio_tests::smtp::SmtpServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Amelia, enrolled with Tom as her assessor and Iris as her IQA.
async fn scene() -> Scene {
    TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Engineering"))
        .people(&[
            ("amelia@n.example", Role::Learner),
            ("tom@n.example", Role::Assessor),
            ("iris@n.example", Role::Iqa),
        ])
        .enrol(
            NewEnrolment::new("amelia")
                .assessor("tom")
                .iqa("iris")
                .dates(days_ago(30), days_ahead(300)),
        )
        .build()
        .await
}

/// The learner writes to their assessor or IQA: one email queued.
async fn message(s: &Scene, to: &str, subject: &str) {
    let r = s
        .app
        .authed(Method::POST, "/api/v1/messages", s.token("amelia"))
        .json(&json!({
            "enrolment_id": s.enrolment("amelia"), "to": to, "subject": subject,
            "body": "Could we move my review to Thursday?\nThanks, Amelia"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

/// The workers' context, sending with `mailer`.
pub(crate) fn context(app: &TestApp, mailer: Mailer, retry: RetryPolicy) -> JobContext {
    JobContext {
        db: app.db.clone(),
        mailer,
        templates: Arc::new(Templates::load().unwrap()),
        public_url: "https://folio.example.test/".into(),
        email_retry: retry,
        storage: folio_tests::files(&app.database.name),
        export_retention: chrono::TimeDelta::days(7),
        secrets: folio_tests::test_secret_keys(),
    }
}

async fn statuses(s: &Scene) -> Vec<(String, i32)> {
    sqlx::query_as(
        "select status, attempts from email_outbox where tenant_id = $1 order by created_at, id",
    )
    .bind(s.tenant.id)
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap()
}

fn report(sent: u32, retrying: u32, failed: u32) -> SendReport {
    SendReport {
        sent,
        retrying,
        failed,
    }
}

#[tokio::test]
async fn queued_emails_are_delivered_once_through_a_real_smtp_server() {
    let s = scene().await;
    let smtp = SmtpServer::start().await;
    let ctx = context(
        &s.app,
        Mailer::smtp(&smtp.url, "no-reply@folio.example.test").unwrap(),
        RetryPolicy::default(),
    );
    message(&s, "assessor", "My review").await;
    let tenant = s.tenant.tenant_id();

    assert_eq!(
        send_emails::run(&ctx, tenant, 2).await.unwrap(),
        report(1, 0, 0)
    );
    let got = smtp.messages();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert!(
        m.header("To").unwrap().contains("tom@n.example"),
        "{:?}",
        m.header("To")
    );
    assert_eq!(
        m.header("From").unwrap(),
        "\"northgate Training\" <no-reply@folio.example.test>"
    );
    assert_eq!(
        m.header("Subject").unwrap(),
        "New message from Person amelia@n.example: My review"
    );
    let outbox_id: Uuid = sqlx::query_scalar("select id from email_outbox where tenant_id = $1")
        .bind(s.tenant.id)
        .fetch_one(&s.app.database.pool)
        .await
        .unwrap();
    assert_eq!(
        m.header("Message-ID").unwrap(),
        format!("<{outbox_id}@folio>")
    );
    assert!(m.raw.contains("text/plain") && m.raw.contains("text/html"));
    assert!(
        m.raw.contains("https://folio.example.test/app/messages/"),
        "links use the public URL"
    );
    assert_eq!(statuses(&s).await, [("sent".to_owned(), 1)]);

    // Running again sends nothing more.
    assert_eq!(
        send_emails::run(&ctx, tenant, 2).await.unwrap(),
        report(0, 0, 0)
    );
    assert_eq!(smtp.messages().len(), 1);

    // Many emails, four senders side by side, each several runs at once: every email
    // exactly once.
    for n in 0..24 {
        message(
            &s,
            if n % 2 == 0 { "assessor" } else { "iqa" },
            &format!("Question {n}"),
        )
        .await;
    }
    let runs = (0..3).map(|_| send_emails::run(&ctx, tenant, 4));
    let reports = futures_util::future::join_all(runs).await;
    let sent: u32 = reports.into_iter().map(|r| r.unwrap().sent).sum();
    assert_eq!(sent, 24);
    let got = smtp.messages();
    assert_eq!(got.len(), 25);
    let ids: HashSet<String> = got
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 25, "no email twice");
    assert!(
        statuses(&s)
            .await
            .iter()
            .all(|(st, n)| st == "sent" && *n == 1)
    );

    // A recipient deactivated after the email was queued gets nothing.
    message(&s, "iqa", "Last one").await;
    let r = s
        .app
        .authed(
            Method::POST,
            &format!("/api/v1/users/{}/deactivate", s.id("iris")),
            &s.admin,
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        send_emails::run(&ctx, tenant, 1).await.unwrap(),
        report(0, 0, 1)
    );
    assert_eq!(smtp.messages().len(), 25);
    let error: String = sqlx::query_scalar(
        "select last_error from email_outbox where tenant_id = $1 and status = 'failed'",
    )
    .bind(s.tenant.id)
    .fetch_one(&s.app.database.pool)
    .await
    .unwrap();
    assert!(error.contains("deactivated"), "{error}");
    s.app.finish().await;
}

#[tokio::test]
async fn an_unreachable_server_is_retried_with_backoff_then_given_up() {
    let s = scene().await;
    // Nothing listens on this port.
    let port = folio_tests::python::free_port();
    let retry = RetryPolicy {
        max_attempts: 2,
        first_delay: Duration::from_secs(60),
        max_delay: Duration::from_secs(600),
    };
    let ctx = context(
        &s.app,
        Mailer::smtp(
            &format!("smtp://127.0.0.1:{port}"),
            "no-reply@folio.example.test",
        )
        .unwrap(),
        retry,
    );
    message(&s, "assessor", "My review").await;
    let tenant = s.tenant.tenant_id();

    assert_eq!(
        send_emails::run(&ctx, tenant, 1).await.unwrap(),
        report(0, 1, 0)
    );
    let (status, attempts, wait, error): (String, i32, f64, Option<String>) = sqlx::query_as(
        "select status, attempts, extract(epoch from next_attempt_at - now())::float8, last_error
         from email_outbox where tenant_id = $1",
    )
    .bind(s.tenant.id)
    .fetch_one(&s.app.database.pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(
        (50.0..=61.0).contains(&wait),
        "retried in about a minute, not {wait}"
    );
    assert!(error.is_some());
    // Not due yet: a run does nothing.
    assert_eq!(
        send_emails::run(&ctx, tenant, 1).await.unwrap(),
        report(0, 0, 0)
    );

    // Due again, and the last attempt allowed: given up, visible as failed.
    sqlx::query("update email_outbox set next_attempt_at = now() where tenant_id = $1")
        .bind(s.tenant.id)
        .execute(&s.app.database.pool)
        .await
        .unwrap();
    assert_eq!(
        send_emails::run(&ctx, tenant, 1).await.unwrap(),
        report(0, 0, 1)
    );
    assert_eq!(statuses(&s).await, [("failed".to_owned(), 2)]);

    // Another tenant's run never touches this tenant's emails.
    let (other, _, _) = s.app.tenant_with_admin("southgate").await;
    assert_eq!(
        send_emails::run(&ctx, other.tenant_id(), 1).await.unwrap(),
        report(0, 0, 0)
    );
    s.app.finish().await;
}

#[tokio::test]
async fn without_an_smtp_server_emails_are_written_as_eml_files() {
    let s = scene().await;
    let dir = std::env::temp_dir().join(format!("folio-mail-{}", Uuid::new_v4()));
    let ctx = context(
        &s.app,
        Mailer::files(dir.clone(), "no-reply@folio.example.test").unwrap(),
        RetryPolicy::default(),
    );
    message(&s, "iqa", "Files please").await;
    assert_eq!(
        send_emails::run(&ctx, s.tenant.tenant_id(), 1)
            .await
            .unwrap(),
        report(1, 0, 0)
    );
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().into_string().unwrap();
    assert!(name.ends_with(".eml"), "{name}");
    let raw = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(raw.contains("Subject: New message from Person amelia@n.example: Files please"));
    assert!(raw.contains("iris@n.example"));
    std::fs::remove_dir_all(&dir).unwrap();
    s.app.finish().await;
}

/// The links in the e-mails people's actions queue (a message to the assessor, evidence
/// returned to the learner and resubmitted to the assessor), followed by their recipients
/// through sign-in, open the thing the e-mail is about.
#[tokio::test]
async fn links_in_message_and_evidence_emails_open_their_page_after_sign_in() {
    use reqwest::multipart::{Form, Part};

    let s = scene().await;
    let learner = s.token("amelia");
    let component = Uuid::now_v7();
    sqlx::query(
        "insert into components (tenant_id, id, course_id, title)
         select tenant_id, $2, course_id, 'Knowledge' from enrolments
         where tenant_id = $1 and id = $3",
    )
    .bind(s.tenant.id)
    .bind(component)
    .bind(s.enrolment("amelia"))
    .execute(&s.app.database.pool)
    .await
    .unwrap();
    message(&s, "assessor", "My review").await;
    let upload = Form::new()
        .text("component_id", component.to_string())
        .text("title", "Risk assessment")
        .text("declaration", "true")
        .text("signature_name", "Amelia")
        .part(
            "file",
            Part::bytes(b"%PDF-1.4 v1".to_vec()).file_name("v1.pdf"),
        );
    let r = s
        .app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{}/evidence", s.enrolment("amelia")),
            learner,
        )
        .multipart(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let evidence: Value = r.json().await.unwrap();
    let id = evidence["id"].as_str().unwrap();
    let tom = s.app.login(&s.tenant, "tom@n.example").await;
    let r = s
        .app
        .authed(Method::POST, &format!("/api/v1/evidence/{id}/return"), &tom)
        .json(&json!({ "points": "Add the hazards." }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let resubmission = Form::new().text("comment", "Added the hazards.").part(
        "file",
        Part::bytes(b"%PDF-1.4 v2".to_vec()).file_name("v2.pdf"),
    );
    let r = s
        .app
        .authed(
            Method::POST,
            &format!("/api/v1/evidence/{id}/versions"),
            learner,
        )
        .multipart(resubmission)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    let smtp = SmtpServer::start().await;
    let mut ctx = context(
        &s.app,
        Mailer::smtp(&smtp.url, "no-reply@folio.example.test").unwrap(),
        RetryPolicy::default(),
    );
    ctx.public_url = s.app.base.clone();
    assert_eq!(
        send_emails::run(&ctx, s.tenant.tenant_id(), 2)
            .await
            .unwrap(),
        report(3, 0, 0)
    );
    let mut followed = Vec::new();
    for email in smtp.messages() {
        let to = email.header("To").unwrap();
        let address = ["amelia@n.example", "tom@n.example"]
            .into_iter()
            .find(|a| to.contains(a))
            .unwrap();
        let text = email.text();
        let links: Vec<&str> = text
            .split_whitespace()
            .filter(|w| w.starts_with(&s.app.base))
            .collect();
        assert_eq!(links.len(), 1, "{text}");
        let (status, page) = s
            .app
            .follow_link_as(&s.tenant.slug, address, links[0])
            .await;
        assert_eq!(status, 200, "{address} opens {}: {page}", links[0]);
        let h1 = folio_tests::heading(&page);
        if email.subject().contains("New message") {
            assert_eq!(h1, "My review", "the message itself");
            assert!(page.contains("Could we move my review to Thursday?"));
        } else {
            assert!(h1.contains("Risk assessment"), "the evidence itself: {h1}");
        }
        followed.push((address, email.subject()));
    }
    followed.sort();
    assert_eq!(followed.len(), 3, "{followed:?}");
    s.app.finish().await;
}
