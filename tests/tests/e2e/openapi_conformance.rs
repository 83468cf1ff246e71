//! The OpenAPI document tells the truth: schemathesis (pinned in tests/requirements.txt)
//! generates requests for every operation of `/api/openapi.json`, as an admin of an
//! organisation with a learner enrolled, and checks each answer against the document:
//! the body against the response schema, the status and the media type among those
//! documented, and never a server error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use folio_domain::Role;
use folio_tests::TestApp;
use folio_tests::scene::{NewCourse, NewEnrolment, date};

#[tokio::test]
async fn every_answer_matches_the_openapi_document() {
    folio_tests::python::require("schemathesis");
    // Something to read: a course, a learner enrolled on it with an assessor.
    let s = TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Engineering"))
        .people(&[
            ("amelia@n.example", Role::Learner),
            ("tom@n.example", Role::Assessor),
        ])
        .enrol(
            NewEnrolment::new("amelia")
                .assessor("tom")
                .dates(date(2026, 9, 1), date(2027, 9, 30)),
        )
        .signed_out()
        .build()
        .await;
    let (app, admin) = (s.app, s.admin);

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
