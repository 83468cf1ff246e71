//! Invitations and password resets end to end: the e-mails go through the outbox to a
//! real SMTP server, and their links are followed as the recipient would (the page, then
//! its form), once; expiry, reuse and another organisation's token are refused; a reset
//! ends every session; "Forgot password?" never tells whether an address has an account.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use folio_domain::Role;
use folio_jobs::JobContext;
use folio_jobs::send_emails::{self, RetryPolicy};
use folio_mail::{Mailer, Templates};
use folio_tests::smtp::{Captured, SmtpServer};
use folio_tests::{PASSWORD, TestApp, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "kettle piano harbour";

fn mail_context(app: &TestApp, smtp: &SmtpServer) -> JobContext {
    JobContext {
        db: app.db.clone(),
        mailer: Mailer::smtp(&smtp.url, "no-reply@folio.example.test").unwrap(),
        templates: Arc::new(Templates::load().unwrap()),
        // Links point at the running app, so the test follows them there.
        public_url: app.base.clone(),
        email_retry: RetryPolicy::default(),
        storage: folio_tests::files(&app.database.name),
        export_retention: chrono::TimeDelta::days(7),
        secrets: app.secrets.clone(),
    }
}

/// Delivers what is queued; returns the messages captured so far, in the order they were
/// queued (their Message-ID is the outbox row's id, a UUID v7, which sorts by time).
async fn deliver(
    app: &TestApp,
    smtp: &SmtpServer,
    tenant: &folio_db::platform::Tenant,
) -> Vec<Captured> {
    let report = send_emails::run(&mail_context(app, smtp), tenant.tenant_id(), 2)
        .await
        .unwrap();
    if report.failed > 0 {
        let errors: Vec<Option<String>> = sqlx::query_scalar("select last_error from email_outbox")
            .fetch_all(&app.database.pool)
            .await
            .unwrap();
        panic!("{report:?}: {errors:?}");
    }
    let mut got = smtp.messages();
    got.sort_by_key(|m| m.header("Message-ID"));
    got
}

/// The link to set a password in a message's text (the HTML part must carry the same).
fn link_in(message: &Captured, base: &str) -> String {
    let text = message.text();
    let start = text
        .find(&format!("{base}/sign-in/set-password?token="))
        .unwrap_or_else(|| panic!("no link in {text}"));
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    // Handlebars writes `=` in HTML as `&#x3D;`, which a browser reads as `=`.
    assert!(message.html().replace("&#x3D;", "=").contains(&link));
    link
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts the page's form as the browser does.
async fn post_form(base: &str, token: &str, password: &str, confirm: &str) -> reqwest::Response {
    browser()
        .post(format!("{base}/sign-in/set-password"))
        .header("origin", base)
        .form(&[
            ("token", token),
            ("password", password),
            ("confirm", confirm),
        ])
        .send()
        .await
        .unwrap()
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn an_invited_person_chooses_a_password_from_the_e_mail_link_once() {
    let app = TestApp::spawn().await;
    let smtp = SmtpServer::start().await;
    let (tenant, _, admin) = app.tenant_with_admin("northgate").await;

    // Added without a password: a welcome e-mail with a link to choose one.
    let r = app
        .authed(Method::POST, "/api/v1/users", &admin)
        .json(&json!({ "email": "nia@northgate.example", "name": "Nia Newcombe", "roles": ["learner"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let nia: Value = r.json().await.unwrap();
    let got = deliver(&app, &smtp, &tenant).await;
    assert_eq!(got.len(), 1);
    assert!(
        got[0]
            .header("To")
            .unwrap()
            .contains("nia@northgate.example")
    );
    assert_eq!(
        got[0].subject(),
        "Welcome to Folio at northgate Training: choose your password"
    );
    assert!(got[0].text().contains("for 168 hours"), "7 days × 24 hours");
    let first = link_in(&got[0], &app.base);

    // The token is nowhere in the database in clear: the outbox holds it sealed, the
    // links table its hash.
    let token = token_of(&first);
    let stored: Vec<String> = sqlx::query_scalar(
        "select data::text from email_outbox union all select encode(token_hash, 'escape') from password_links",
    )
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    assert!(
        stored.iter().all(|s| !s.contains(&token[33..])),
        "{stored:?}"
    );

    // The admin sends it again: the first link stops working, the second works.
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/users/{}/invitation", nia["id"].as_str().unwrap()),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["kind"], "password-link");
    let got = deliver(&app, &smtp, &tenant).await;
    assert_eq!(got.len(), 2);
    let second = link_in(&got[1], &app.base);
    assert_ne!(first, second);
    let page = browser().get(&first).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("has expired or has already been used")
    );

    // Followed as Nia would: the page, then its form.
    let page = browser().get(&second).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Choose your password") && html.contains("name=\"token\""),
        "{html}"
    );
    let token = token_of(&second);
    let r = post_form(&app.base, &token, NEW_PASSWORD, "kettle piano harbor").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("not the same"));
    let r = post_form(&app.base, &token, "short", "short").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("at least 10 characters"));
    let r = post_form(&app.base, &token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, "/sign-in?org=northgate&password_set=1");
    let page = browser()
        .get(format!("{}{to}", app.base))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Your password is set"));
    let r = app
        .login_response("northgate", "nia@northgate.example", NEW_PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // Once only.
    let r = post_form(
        &app.base,
        &token,
        "another password 1",
        "another password 1",
    )
    .await;
    assert_eq!(r.status(), StatusCode::GONE);
    let r = browser().get(&second).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    let audit: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action in ('user.invite', 'user.password_set')",
    )
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(audit, 3, "two invitations, one password set");
    app.finish().await;
}

#[tokio::test]
async fn forgot_password_resets_once_ends_every_session_and_never_tells_who_has_an_account() {
    let app = TestApp::spawn().await;
    let smtp = SmtpServer::start().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;
    let session = app.login(&tenant, "ada@northgate.example").await;

    let ask = |email: &'static str| {
        app.request(Method::POST, "/api/v1/auth/password-reset")
            .json(&json!({ "tenant": "northgate", "email": email }))
            .send()
    };
    let known = ask("ADA@northgate.example").await.unwrap();
    let unknown = ask("nobody@northgate.example").await.unwrap();
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    // The page says the same for both, too.
    for email in ["ada@northgate.example", "nobody@northgate.example"] {
        let page = browser()
            .post(format!("{}/sign-in/forgot", app.base))
            .form(&[("tenant", "northgate"), ("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(
            html.contains(&format!("If <strong>{email}</strong> belongs")),
            "{html}"
        );
    }
    // A malformed address is named.
    let r = app
        .request(Method::POST, "/api/v1/auth/password-reset")
        .json(&json!({ "tenant": "northgate", "email": "not an address" }))
        .send()
        .await
        .unwrap();
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "email");

    // Ada asked twice (API, then page): two e-mails, both to her; only the last link works.
    let got = deliver(&app, &smtp, &tenant).await;
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|m| m.header("To").unwrap().contains("ada@northgate.example"))
    );
    assert_eq!(got[1].subject(), "Reset your Folio password");
    assert!(got[1].text().contains("for 30 minutes"));
    let stale = token_of(&link_in(&got[0], &app.base));
    let token = token_of(&link_in(&got[1], &app.base));

    let set = |token: String, password: &'static str| {
        app.request(Method::POST, "/api/v1/auth/password")
            .json(&json!({ "token": token, "password": password }))
            .send()
    };
    let r = set(stale.clone(), NEW_PASSWORD).await.unwrap();
    assert_eq!(
        problem(r, StatusCode::GONE).await["type"],
        "/problems/link-not-usable"
    );
    // Another organisation's id on the token finds nothing (row-level security).
    let other = app.tenant("southgate").await;
    let forged = format!("{}{}", other.id.simple(), &token[32..]);
    let r = set(forged, NEW_PASSWORD).await.unwrap();
    problem(r, StatusCode::GONE).await;

    let r = set(token.clone(), NEW_PASSWORD).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["tenant"], "northgate");
    // Her session has ended; the old password no longer works, the new one does.
    let me = app
        .authed(Method::GET, "/api/v1/me", &session)
        .send()
        .await
        .unwrap();
    problem(me, StatusCode::UNAUTHORIZED).await;
    let r = app
        .login_response("northgate", "ada@northgate.example", PASSWORD)
        .await;
    problem(r, StatusCode::UNAUTHORIZED).await;
    let r = app
        .login_response("northgate", "ada@northgate.example", NEW_PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = set(token, "yet another password").await.unwrap();
    problem(r, StatusCode::GONE).await;

    // A link past its 30 minutes is refused, on the page and by the API.
    ask("ada@northgate.example").await.unwrap();
    let got = deliver(&app, &smtp, &tenant).await;
    assert_eq!(got.len(), 3);
    let late = link_in(&got[2], &app.base);
    sqlx::query("update password_links set expires_at = now() - interval '1 second'")
        .execute(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(
        browser().get(&late).send().await.unwrap().status(),
        StatusCode::GONE
    );
    let r = set(token_of(&late), NEW_PASSWORD).await.unwrap();
    problem(r, StatusCode::GONE).await;

    // At most three reset e-mails an hour: three sent so far, so a fourth request sends
    // nothing (and is answered the same).
    let r = ask("ada@northgate.example").await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let got = deliver(&app, &smtp, &tenant).await;
    assert_eq!(got.len(), 3);
    app.finish().await;
}
