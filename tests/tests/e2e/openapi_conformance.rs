//! The OpenAPI document tells the truth: schemathesis (pinned in tests/requirements.txt)
//! generates requests for every operation of `/api/openapi.json`, as an admin of an
//! organisation with a learner enrolled, and checks each answer against the document:
//! the body against the response schema, the status and the media type among those
//! documented, and never a server error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use folio_domain::Role;
use folio_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn every_answer_matches_the_openapi_document() {
    folio_tests::python::require("schemathesis");
    let app = TestApp::spawn().await;
    let (tenant, _, admin) = app.tenant_with_admin("northgate").await;
    // Something to read: a course, a learner enrolled on it with an assessor.
    let course = Uuid::now_v7();
    sqlx::query(
        "insert into courses (tenant_id, id, code, title) values ($1, $2, 'ST0457', 'Engineering')",
    )
    .bind(tenant.id)
    .bind(course)
    .execute(&app.database.pool)
    .await
    .unwrap();
    let learner = app
        .user(&tenant, "amelia@n.example", &[Role::Learner])
        .await;
    let assessor = app.user(&tenant, "tom@n.example", &[Role::Assessor]).await;
    let r = app
        .authed(Method::POST, "/api/v1/enrolments", &admin)
        .json(&json!({
            "learner_id": learner, "course_id": course,
            "start_date": "2026-09-01", "planned_end_date": "2027-09-30",
            "contracted_hours_per_week": 37.5, "planned_otj_hours": 300,
            "assessor_id": assessor
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    let base = app.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([
                "-c",
                "import sys; from schemathesis.cli import schemathesis; \
                 sys.argv[0] = 'schemathesis'; schemathesis()",
                "run",
                &format!("{base}/api/openapi.json"),
                "--header",
                &format!("Authorization: Bearer {admin}"),
                "--checks",
                "response_schema_conformance,status_code_conformance,\
                 content_type_conformance,not_a_server_error",
                "--max-examples",
                "5",
                "--seed",
                "20261205",
                "--no-color",
            ])
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found answers the document does not describe:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Every operation in the document was tried.
    let count = |label: &str| {
        report
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|n| n.trim().to_owned())
    };
    let selected = count("Selected:").expect("a summary");
    let tested = count("Tested:").expect("a summary");
    assert_eq!(selected, format!("{tested}/{tested}"), "{report}");
    app.finish().await;
}
