//! Health, readiness, the OpenAPI document and request ids.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_api::ApiSettings;
use folio_app::background::WorkerProcess;
use folio_tests::{TestApp, problem};
use reqwest::{Method, StatusCode};
use serde_json::Value;

fn check<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {body}"))
}

/// `/readyz`'s body.
async fn readiness(app: &TestApp) -> Value {
    app.request(Method::GET, "/readyz")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A worker process's report, as `folio work` writes it on each heartbeat.
async fn report(app: &TestApp, process: &WorkerProcess) {
    folio_app::background::report(&app.db, process)
        .await
        .unwrap();
}

#[tokio::test]
async fn healthz_and_readyz_answer_when_postgres_and_redis_are_up() {
    let app = TestApp::spawn().await;
    let health = app.request(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // No `folio work` has ever reported to this database: the API can serve (200), but
    // says the background work is not running.
    let ready = app.request(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["detail"], "degraded: workers, scheduler, outbox");
    assert_eq!(check(&body, "postgres")["ok"], true);
    assert_eq!(check(&body, "redis")["ok"], true);
    assert_eq!(
        check(&body, "workers")["error"],
        "no worker process has reported: is `folio work` running?"
    );

    // A live worker that has just ticked, with nothing waiting: ready.
    report(&app, &folio_tests::live_worker_report("w-1")).await;
    let body = readiness(&app).await;
    assert_eq!(body["status"], "ready", "{body}");
    assert!(body["detail"].is_null());

    // An email due for 45 minutes at the last tick and still not sent: the outbox is stuck.
    let stuck = WorkerProcess {
        outbox_pending: Some(3),
        outbox_oldest_at: Some(chrono::Utc::now() - chrono::TimeDelta::minutes(45)),
        ..folio_tests::live_worker_report("w-1")
    };
    report(&app, &stuck).await;
    let ready = app.request(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(
        ready.status(),
        StatusCode::OK,
        "the API itself can still serve"
    );
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["detail"], "degraded: outbox", "{body}");
    assert_eq!(
        check(&body, "outbox")["error"],
        "3 emails are waiting; one has been due for 45 minutes without being sent"
    );

    // Its job worker restarting after a failure, and a scheduler silent for 3 minutes
    // (ticks every 60 s: stale after 60 + 60 = 120 s).
    let failing = WorkerProcess {
        jobs_running: false,
        restarts: 4,
        last_tick_at: Some(chrono::Utc::now() - chrono::TimeDelta::minutes(3)),
        ..folio_tests::live_worker_report("w-1")
    };
    report(&app, &failing).await;
    let body = readiness(&app).await;
    assert_eq!(body["detail"], "degraded: workers, scheduler", "{body}");
    assert_eq!(
        check(&body, "workers")["error"],
        "the job worker of worker process w-1 is restarting after a failure (4 restarts so far)"
    );
    assert!(
        check(&body, "scheduler")["error"]
            .as_str()
            .unwrap()
            .contains("s ago; it ticks every 60 s"),
        "{body}"
    );

    // It stops cleanly: no worker is alive.
    let stopped = WorkerProcess {
        stopped_at: Some(chrono::Utc::now()),
        ..folio_tests::live_worker_report("w-1")
    };
    report(&app, &stopped).await;
    let body = readiness(&app).await;
    assert!(
        check(&body, "workers")["error"]
            .as_str()
            .unwrap()
            .starts_with("every worker process has stopped; the last, w-1, at "),
        "{body}"
    );
    app.finish().await;
}

#[tokio::test]
async fn readyz_is_503_naming_what_is_down() {
    // Nothing listens on port 1: Redis is really unreachable for this app.
    let app = TestApp::spawn_with(ApiSettings::default(), "redis://127.0.0.1:1").await;
    let ready = app.request(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["detail"], "unavailable: redis");
    let redis = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "redis")
        .unwrap();
    assert_eq!(redis["ok"], false);
    assert_eq!(
        redis["error"], "not answering",
        "driver details stay in the server log"
    );
    app.finish().await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = TestApp::spawn().await;
    let spec: Value = app
        .request(Method::GET, "/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected = [
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/logout"),
        ("get", "/auth/{tenant}/sso/login"),
        ("get", "/auth/{tenant}/sso/callback"),
        ("get", "/auth/{tenant}/sso/logout"),
        ("get", "/api/v1/me"),
        ("get", "/api/v1/me/tokens"),
        ("post", "/api/v1/me/tokens"),
        ("delete", "/api/v1/me/tokens/{id}"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("get", "/api/v1/users/{id}"),
        ("patch", "/api/v1/users/{id}"),
        ("put", "/api/v1/users/{id}/roles"),
        ("post", "/api/v1/users/{id}/deactivate"),
        ("post", "/api/v1/users/{id}/reactivate"),
        ("put", "/api/v1/users/{id}/password"),
        ("get", "/api/v1/employers"),
        ("post", "/api/v1/employers"),
        ("get", "/api/v1/employers/{id}"),
        ("put", "/api/v1/employers/{id}"),
        ("delete", "/api/v1/employers/{id}"),
        ("get", "/api/v1/courses"),
        ("post", "/api/v1/courses"),
        ("post", "/api/v1/courses/import"),
        ("post", "/api/v1/courses/import-csv"),
        ("get", "/api/v1/courses/{id}"),
        ("put", "/api/v1/courses/{id}"),
        ("delete", "/api/v1/courses/{id}"),
        ("post", "/api/v1/courses/{id}/components"),
        ("put", "/api/v1/components/{id}"),
        ("delete", "/api/v1/components/{id}"),
        ("post", "/api/v1/components/{id}/units"),
        ("put", "/api/v1/units/{id}"),
        ("delete", "/api/v1/units/{id}"),
        ("post", "/api/v1/units/{id}/criteria"),
        ("put", "/api/v1/criteria/{id}"),
        ("delete", "/api/v1/criteria/{id}"),
        ("post", "/api/v1/courses/{id}/resources"),
        ("get", "/api/v1/courses/{id}/resources"),
        ("get", "/api/v1/course-resources/{id}/file"),
        ("delete", "/api/v1/course-resources/{id}"),
        ("get", "/api/v1/audit-log"),
        ("post", "/api/v1/enrolments"),
        ("get", "/api/v1/enrolments"),
        ("get", "/api/v1/enrolments/{id}"),
        ("patch", "/api/v1/enrolments/{id}"),
        ("post", "/api/v1/enrolments/{id}/status"),
        ("post", "/api/v1/enrolments/{id}/revised-end-date"),
        ("put", "/api/v1/enrolments/{id}/optional-units"),
        ("post", "/api/v1/enrolments/{id}/evidence"),
        ("get", "/api/v1/enrolments/{id}/evidence"),
        ("get", "/api/v1/evidence/{id}"),
        ("get", "/api/v1/evidence/{id}/versions/{version}/file"),
        ("get", "/api/v1/evidence/{id}/versions/{version}/pages"),
        (
            "get",
            "/api/v1/evidence/{id}/versions/{version}/pages/{page}",
        ),
        ("post", "/api/v1/evidence/{id}/return"),
        ("post", "/api/v1/evidence/{id}/versions"),
        ("put", "/api/v1/evidence/{id}/criteria"),
        ("post", "/api/v1/enrolments/{id}/sign-offs"),
        ("delete", "/api/v1/enrolments/{id}/sign-offs/{criterion_id}"),
        ("get", "/api/v1/enrolments/{id}/progress"),
        ("get", "/api/v1/enrolments/{id}/units"),
        ("get", "/api/v1/enrolments/{id}/progress-map"),
        ("get", "/api/v1/enrolments/{id}/achievements"),
        ("get", "/api/v1/enrolments/{id}/overview"),
        ("get", "/api/v1/enrolments/{id}/progress/history"),
        ("post", "/api/v1/enrolments/{id}/time-log"),
        ("get", "/api/v1/enrolments/{id}/time-log"),
        ("get", "/api/v1/enrolments/{id}/time-log/calendar"),
        ("get", "/api/v1/enrolments/{id}/time-log/export"),
        ("get", "/api/v1/enrolments/{id}/off-the-job"),
        ("get", "/api/v1/time-log/{id}"),
        ("put", "/api/v1/time-log/{id}"),
        ("delete", "/api/v1/time-log/{id}"),
        ("post", "/api/v1/time-log/{id}/restore"),
        ("post", "/api/v1/enrolments/{id}/sessions"),
        ("get", "/api/v1/enrolments/{id}/sessions"),
        ("get", "/api/v1/sessions/{id}"),
        ("put", "/api/v1/sessions/{id}"),
        ("post", "/api/v1/sessions/{id}/outcome"),
        ("get", "/api/v1/me/upcoming-sessions"),
        ("post", "/api/v1/enrolments/{id}/actions"),
        ("get", "/api/v1/enrolments/{id}/actions"),
        ("put", "/api/v1/actions/{id}/progress"),
        ("post", "/api/v1/actions/{id}/complete"),
        ("post", "/api/v1/sessions/{id}/files"),
        ("get", "/api/v1/sessions/{id}/files"),
        ("post", "/api/v1/actions/{id}/files"),
        ("get", "/api/v1/actions/{id}/files"),
        ("get", "/api/v1/learning-plan-files/{id}"),
        ("get", "/api/v1/learning-plan-files/{id}/file"),
        ("delete", "/api/v1/learning-plan-files/{id}"),
        ("post", "/api/v1/documents"),
        ("get", "/api/v1/enrolments/{id}/documents"),
        ("get", "/api/v1/documents/{id}"),
        ("get", "/api/v1/documents/{id}/file"),
        ("post", "/api/v1/documents/{id}/signatures"),
        ("post", "/api/v1/documents/{id}/withdraw"),
        ("get", "/api/v1/me/documents-to-sign"),
        ("post", "/api/v1/messages"),
        ("get", "/api/v1/messages"),
        ("get", "/api/v1/messages/{id}"),
        ("post", "/api/v1/messages/{id}/replies"),
        ("get", "/api/v1/messages/{id}/thread"),
        ("get", "/api/v1/enrolments/{id}/messages"),
        ("post", "/api/v1/enrolments/{id}/comments"),
        ("get", "/api/v1/enrolments/{id}/comments"),
        ("get", "/api/v1/comments/{id}"),
        ("put", "/api/v1/comments/{id}"),
        ("delete", "/api/v1/comments/{id}"),
        ("get", "/api/v1/settings"),
        ("put", "/api/v1/settings"),
        ("get", "/api/v1/settings/sso"),
        ("put", "/api/v1/settings/sso"),
        ("get", "/api/v1/settings/disclaimer"),
        ("put", "/api/v1/settings/disclaimer"),
        ("get", "/api/v1/me/disclaimer"),
        ("post", "/api/v1/me/disclaimer/accept"),
        ("get", "/api/v1/me/profile"),
        ("put", "/api/v1/me/profile"),
        ("put", "/api/v1/me/profile/photo"),
        ("delete", "/api/v1/me/profile/photo"),
        ("get", "/api/v1/users/{id}/profile"),
        ("get", "/api/v1/users/{id}/profile/photo"),
        ("put", "/api/v1/users/{id}/profile/job-description"),
        ("get", "/api/v1/users/{id}/profile/job-description"),
        ("delete", "/api/v1/users/{id}/profile/job-description"),
        ("get", "/api/v1/me/notifications"),
        ("put", "/api/v1/me/notifications"),
        ("post", "/api/v1/me/notifications/read"),
        ("get", "/api/v1/jobs"),
        ("post", "/api/v1/jobs/{name}/runs"),
        ("get", "/api/v1/jobs/runs"),
        ("get", "/api/v1/jobs/runs/{id}"),
        ("get", "/api/v1/emails"),
        ("post", "/api/v1/exports"),
        ("get", "/api/v1/exports"),
        ("get", "/api/v1/exports/{id}"),
        ("get", "/api/v1/exports/{id}/file"),
        ("get", "/api/v1/dashboard"),
        ("get", "/api/v1/dashboard/{key}"),
    ];
    for (method, path) in expected {
        assert!(
            spec["paths"][path][method].is_object(),
            "{method} {path} missing from the spec"
        );
    }
    let problem_schema = &spec["components"]["schemas"]["Problem"];
    assert!(problem_schema["properties"]["type"].is_object());
    let docs = app.request(Method::GET, "/api/docs").send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
    app.finish().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-abc-123");
    let response = app.request(Method::GET, "/api/v1/me").send().await.unwrap();
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::try_parse(&generated).is_ok(), "{generated}");
    problem(response, StatusCode::UNAUTHORIZED).await;
    // An id that could forge log lines is replaced.
    let response = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "bad id\tinjected")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "bad id\tinjected");
    app.finish().await;
}
