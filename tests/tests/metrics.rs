#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Prometheus metrics: requests counted by route template (never a raw path with its ids),
//! jobs and emails counted, and the workers' own `/metrics` listener behind its token. The
//! recorder is one per process, shared by every test in this binary, so the tests compare
//! a scrape before with one after.

use std::sync::Arc;

use chrono::{Days, Utc};
use folio_api::ApiSettings;
use folio_domain::Role;
use folio_domain::jobs::JobKind;
use folio_jobs::JobContext;
use folio_jobs::run::{TenantJob, execute};
use folio_jobs::send_emails::RetryPolicy;
use folio_mail::{Mailer, Templates};
use folio_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

/// The sum of the samples of `name` whose labels include every one of `labels`.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, sample) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            let set = rest.strip_suffix('}')?;
            (metric == name
                && labels
                    .iter()
                    .all(|(k, v)| set.split(',').any(|pair| pair == format!("{k}=\"{v}\""))))
            .then(|| sample.parse::<f64>().ok())?
        })
        .sum()
}

/// The token the API's `/metrics` is served behind in these tests (without one it is not
/// served at all).
const SCRAPE_TOKEN: &str = "scrape-secret";

/// The API with a metrics token, as a deployment that scrapes it has.
async fn spawn_scraped() -> TestApp {
    TestApp::spawn_with(
        ApiSettings {
            cookie_secure: false,
            metrics_token: Some(SCRAPE_TOKEN.into()),
            ..ApiSettings::default()
        },
        &folio_tests::redis_url(),
    )
    .await
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .authed(Method::GET, "/metrics", SCRAPE_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn requests_are_counted_by_route_template_never_by_raw_path() {
    let app = spawn_scraped().await;
    let (_, _, token) = app.tenant_with_admin("metrics-http").await;
    let before = scrape(&app).await;

    let health = app.request(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let missing = Uuid::new_v4();
    for _ in 0..2 {
        let response = app
            .authed(
                Method::GET,
                &format!("/api/v1/enrolments/{missing}"),
                &token,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let stray = Uuid::new_v4();
    let response = app
        .request(Method::GET, &format!("/no-such-thing/{stray}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let after = scrape(&app).await;
    let requests = "folio_http_requests_total";
    let enrolment = [
        ("method", "GET"),
        ("route", "/api/v1/enrolments/{id}"),
        ("status", "4xx"),
    ];
    assert!(
        value(&after, requests, &enrolment) >= value(&before, requests, &enrolment) + 2.0,
        "{after}"
    );
    let health = [("route", "/healthz"), ("status", "2xx")];
    assert!(value(&after, requests, &health) > value(&before, requests, &health));
    let unmatched = [("route", "unmatched"), ("status", "4xx")];
    assert!(value(&after, requests, &unmatched) > value(&before, requests, &unmatched));
    let latency = "folio_http_request_duration_seconds_count";
    assert!(value(&after, latency, &enrolment) >= value(&before, latency, &enrolment) + 2.0);
    assert!(after.contains("folio_http_request_duration_seconds_bucket{"));
    for id in [missing, stray] {
        assert!(
            !after.contains(&id.to_string()),
            "a raw path leaked: {after}"
        );
    }

    // Outside the API and its document.
    let spec: Value = app
        .request(Method::GET, "/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"].get("/metrics").is_none());
    app.finish().await;
}

#[tokio::test]
async fn jobs_and_their_emails_are_counted() {
    let app = spawn_scraped().await;
    let tenant = app.tenant("metrics-jobs").await;
    let learner = app
        .user(&tenant, "amelia@metrics.example", &[Role::Learner])
        .await;
    let assessor = app
        .user(&tenant, "tom@metrics.example", &[Role::Assessor])
        .await;
    let today = Utc::now().date_naive();
    sqlx::query(
        "with c as (insert into courses (tenant_id, id, code, title)
                    values ($1, gen_random_uuid(), 'ST0457', 'Engineering') returning id),
              e as (insert into enrolments (tenant_id, id, learner_id, course_id, start_date,
                        planned_end_date, assessor_id, contracted_hours_per_week,
                        planned_otj_hours, status, learning_started_on)
                    select $1, gen_random_uuid(), $2, c.id, $4, $5, $3, 37.5, 300,
                           'in_learning', $4 from c returning id)
         insert into actions (tenant_id, id, enrolment_id, title, target_date, created_by)
         select $1, gen_random_uuid(), e.id, 'Write up the survey', $6, $3 from e",
    )
    .bind(tenant.id)
    .bind(learner)
    .bind(assessor)
    .bind(today.checked_sub_days(Days::new(10)).unwrap())
    .bind(today.checked_add_days(Days::new(400)).unwrap())
    .bind(today.checked_sub_days(Days::new(1)).unwrap())
    .execute(&app.database.pool)
    .await
    .unwrap();
    let mail = std::env::temp_dir().join(format!("{}-mail", app.database.name));
    let ctx = JobContext {
        db: app.db.clone(),
        mailer: Mailer::files(mail.clone(), "no-reply@folio.example.test").unwrap(),
        templates: Arc::new(Templates::load().unwrap()),
        public_url: "https://folio.example.test".into(),
        email_retry: RetryPolicy::default(),
        storage: folio_tests::files(&app.database.name),
        export_retention: chrono::TimeDelta::days(7),
        secrets: folio_tests::test_secret_keys(),
    };
    let before = scrape(&app).await;

    let job = TenantJob {
        tenant_id: tenant.id,
        kind: JobKind::OverdueActions,
        run_on: today,
        run_id: None,
    };
    let report = execute(&ctx, &job, "test").await.unwrap();
    assert_eq!(report["delivery"]["sent"], 2, "{report}");

    let after = scrape(&app).await;
    let succeeded = [("job", "overdue-actions"), ("outcome", "succeeded")];
    assert!(
        value(&after, "folio_jobs_total", &succeeded)
            >= value(&before, "folio_jobs_total", &succeeded) + 1.0,
        "{after}"
    );
    let duration = "folio_job_duration_seconds_count";
    let overdue = [("job", "overdue-actions")];
    assert!(value(&after, duration, &overdue) > value(&before, duration, &overdue));
    let sent = [("outcome", "sent")];
    assert!(
        value(&after, "folio_emails_total", &sent)
            >= value(&before, "folio_emails_total", &sent) + 2.0
    );
    assert!(
        !after.contains(&tenant.id.to_string()),
        "no tenant id in labels"
    );
    let _ = std::fs::remove_dir_all(mail);
    app.finish().await;
}

#[tokio::test]
async fn the_api_serves_metrics_only_behind_a_token() {
    // No token configured: the API's public port has no /metrics at all.
    let open = TestApp::spawn().await;
    for token in [None, Some("guess")] {
        let mut request = open.request(Method::GET, "/metrics");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{token:?}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("folio_http_requests_total"), "{body}");
    }
    open.finish().await;

    // With one: 401 unless the request bears it.
    let app = spawn_scraped().await;
    for token in [None, Some("guess")] {
        let mut request = app.request(Method::GET, "/metrics");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
    }
    assert!(scrape(&app).await.contains("folio_http_requests_total"));
    app.finish().await;
}

#[tokio::test]
async fn the_workers_listener_is_open_without_a_token() {
    let (addr, server) = folio::work::serve_metrics("127.0.0.1:0", None, None)
        .await
        .unwrap();
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    server.abort();
}

#[tokio::test]
async fn the_workers_listener_serves_metrics_behind_its_token() {
    let (addr, server) = folio::work::serve_metrics("127.0.0.1:0", Some("scrape-secret"), None)
        .await
        .unwrap();
    folio_app::telemetry::queue_depth(3);
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/metrics");
    let refused = http.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let wrong = http.get(&url).bearer_auth("guess").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let text = http
        .get(&url)
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("folio_job_queue_depth"), "{text}");
    server.abort();
}
