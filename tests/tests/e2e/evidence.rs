//! The evidence library end to end: streamed upload and download, refusals that leave
//! nothing behind, the review cycle with its outbox rows, mapping and sign-off, identical
//! files across portfolios, and tenant isolation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, NewUnit, Scene, Unit, date};
use folio_tests::{TestApp, fields, problem};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A course: one component with a mandatory unit M1 (two criteria) and an optional unit O1
/// (one).
fn course(code: &str) -> NewCourse {
    NewCourse::new(code, "Course").component(
        "Standard",
        [
            NewUnit::new("M1", "Unit")
                .criterion("1.0", "Criterion")
                .criterion("1.1", "Criterion"),
            NewUnit::new("O1", "Unit")
                .optional()
                .criterion("1.2", "Criterion"),
        ],
    )
}

/// A tenant `slug` with [`course`] ST0001, and `learner@{slug}.example` enrolled on it
/// with `assessor@{slug}.example`.
pub(crate) async fn portfolio<'a>(app: &'a TestApp, slug: &str) -> Scene<&'a TestApp> {
    app.scene(slug)
        .course(course("ST0001"))
        .people(&[
            (&format!("learner@{slug}.example"), Role::Learner),
            (&format!("assessor@{slug}.example"), Role::Assessor),
        ])
        .enrol(
            NewEnrolment::new("learner")
                .assessor("assessor")
                .dates(date(2026, 1, 5), date(2027, 7, 5))
                .hours(37.5, 400.0),
        )
        .build()
        .await
}

/// The component of a portfolio's course.
pub(crate) fn component<A>(p: &Scene<A>) -> Uuid {
    p.course("ST0001").components[0].id
}

/// The optional unit O1 of a portfolio's course.
fn optional_unit<A>(p: &Scene<A>) -> &Unit {
    p.course("ST0001").unit("O1")
}

pub(crate) fn form(component: Uuid, file_name: &str, content: Vec<u8>) -> Form {
    form_declaring(component, file_name, content, "true")
}

fn form_declaring(component: Uuid, file_name: &str, content: Vec<u8>, declaration: &str) -> Form {
    Form::new()
        .text("component_id", component.to_string())
        .text("title", "Risk assessment")
        .text("description", "Written at work\nand reviewed by my manager")
        .text("declaration", declaration.to_owned())
        .text("signature_name", "Amelia Clarke")
        .part(
            "file",
            Part::bytes(content)
                .file_name(file_name.to_owned())
                .mime_str("application/pdf")
                .unwrap(),
        )
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    enrolment: Uuid,
    form: Form,
) -> reqwest::Response {
    app.authed(
        Method::POST,
        &format!("/api/v1/enrolments/{enrolment}/evidence"),
        token,
    )
    .multipart(form)
    .send()
    .await
    .unwrap()
}

/// The learner's evidence (a small file, `seed` making it unique) on `component`, mapped
/// by the assessor to `criteria` and those signed off: each step must succeed.
pub(crate) async fn signed_off_with_evidence(
    app: &TestApp,
    (learner, assessor): (&str, &str),
    enrolment: Uuid,
    component: Uuid,
    criteria: &[Uuid],
    seed: u8,
) {
    let r = upload(
        app,
        learner,
        enrolment,
        form(component, "work.pdf", content(100, seed)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let evidence: Value = r.json().await.unwrap();
    let id = evidence["id"].as_str().unwrap();
    let r = app
        .send(
            Method::PUT,
            &format!("/api/v1/evidence/{id}/criteria"),
            assessor,
            Some(json!({ "criterion_ids": criteria })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{enrolment}/sign-offs"),
            assessor,
            Some(json!({ "criterion_ids": criteria })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

pub(crate) fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[0] ^ seed)
        .collect()
}

pub(crate) async fn rows(app: &TestApp, table: &'static str) -> i64 {
    let sql = match table {
        "evidence" => "select count(*) from evidence",
        "evidence_versions" => "select count(*) from evidence_versions",
        _ => "select count(*) from email_outbox",
    };
    sqlx::query_scalar(sql)
        .fetch_one(&app.database.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_multi_megabyte_upload_streams_in_and_reads_back_identical() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let bytes = content(6 * 1024 * 1024 + 123, 7);
    let response = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(
            component(&p),
            "../../etc/risk assessment.pdf",
            bytes.clone(),
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let e: Value = response.json().await.unwrap();
    assert_eq!(e["size_bytes"], bytes.len());
    assert_eq!(e["sha256"], hex::encode(Sha256::digest(&bytes)));
    assert_eq!(
        e["file_name"], "risk assessment.pdf",
        "paths are stripped from names"
    );
    assert_eq!(e["status"], "submitted");
    assert_eq!(e["declared_own_work"], true);
    assert_eq!(e["signature_name"], "Amelia Clarke");
    let id = e["id"].as_str().unwrap();

    let download = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{id}/versions/1/file"),
            p.token("assessor"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("risk%20assessment.pdf"),
        "{disposition}"
    );
    let back = download.bytes().await.unwrap();
    assert_eq!(Sha256::digest(&back), Sha256::digest(&bytes));

    let list: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/enrolments/{}/evidence", p.enrolment("learner")),
            p.token("learner"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.finish().await;
}

#[tokio::test]
async fn refused_uploads_leave_neither_a_row_nor_a_file() {
    let app = TestApp::spawn().await;
    let mut p = portfolio(&app, "northgate").await;
    let other = p.add_course(&course("ST0002")).await;
    let ok = || content(2000, 1);

    let cases: Vec<(Form, StatusCode, Vec<&str>)> = vec![
        (
            form_declaring(component(&p), "a.pdf", ok(), "false"),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["declaration"],
        ),
        (
            Form::new()
                .text("component_id", component(&p).to_string())
                .text("title", "T")
                .text("declaration", "true")
                .part("file", Part::bytes(ok()).file_name("a.pdf")),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["signature_name"],
        ),
        (
            form(other.components[0].id, "a.pdf", ok()),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["component_id"],
        ),
        (
            form(component(&p), "a.pdf", Vec::new()),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["file"],
        ),
        (
            Form::new()
                .text("component_id", "nope")
                .text("title", "T")
                .text("declaration", "true")
                .text("signature_name", "A"),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["component_id", "file"],
        ),
        // The file must come last: fields after it are never read.
        (
            Form::new()
                .part("file", Part::bytes(ok()).file_name("a.pdf"))
                .text("component_id", component(&p).to_string())
                .text("title", "T")
                .text("declaration", "true")
                .text("signature_name", "A"),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["title", "signature_name", "declaration", "component_id"],
        ),
    ];
    for (form, status, expected) in cases {
        let response = upload(&app, p.token("learner"), p.enrolment("learner"), form).await;
        let body = problem(response, status).await;
        let mut got = fields(&body);
        got.sort();
        let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        assert_eq!(got, want, "{body}");
    }

    // Over the organisation's limit: 413, and nothing kept even though bytes had arrived.
    sqlx::query("insert into tenant_settings (tenant_id, settings) values ($1, '{\"evidence_max_bytes\": 100000}')")
        .bind(p.tenant.id)
        .execute(&app.database.pool)
        .await
        .unwrap();
    let response = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "big.pdf", content(300_000, 2)),
    )
    .await;
    problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;

    // Not multipart at all.
    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{}/evidence", p.enrolment("learner")),
            p.token("learner"),
        )
        .json(&json!({ "title": "x" }))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    assert_eq!(rows(&app, "evidence").await, 0);
    assert_eq!(app.stored_files(), 0, "no orphan object");
    app.finish().await;
}

#[tokio::test]
async fn only_the_learner_and_those_who_manage_them_upload_and_only_viewers_download() {
    let app = TestApp::spawn().await;
    let mut p = portfolio(&app, "northgate").await;
    p.add_person("other@n.example", Role::Learner).await;
    p.add_person("iqa@n.example", Role::Iqa).await;
    let other = p.sign_in("other").await;

    let response = upload(
        &app,
        &other,
        p.enrolment("learner"),
        form(component(&p), "a.pdf", content(10, 1)),
    )
    .await;
    problem(response, StatusCode::NOT_FOUND).await;
    let response = upload(
        &app,
        p.token("assessor"),
        p.enrolment("learner"),
        form(component(&p), "on-behalf.pdf", content(10, 1)),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "assessors upload on the learner's behalf"
    );
    let e: Value = response.json().await.unwrap();
    assert_eq!(e["uploaded_by"], p.id("assessor").to_string());
    let id = e["id"].as_str().unwrap();

    let response = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{id}/versions/1/file"),
            &other,
        )
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    let response = app
        .authed(Method::GET, &format!("/api/v1/evidence/{id}"), &other)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    let response = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{id}/versions/2/file"),
            p.token("learner"),
        )
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    app.finish().await;
}

#[tokio::test]
async fn returned_evidence_is_resubmitted_as_a_new_version_with_notifications() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let v1 = content(5000, 3);
    let e: Value = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "v1.pdf", v1.clone()),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = e["id"].as_str().unwrap().to_owned();

    // Learners cannot return their own evidence.
    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/evidence/{id}/return"),
            p.token("learner"),
        )
        .json(&json!({ "points": "x" }))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::FORBIDDEN).await;
    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/evidence/{id}/return"),
            p.token("assessor"),
        )
        .json(&json!({ "points": " " }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["points"]
    );
    let returned: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/evidence/{id}/return"),
            p.token("assessor"),
        )
        .json(&json!({ "points": "Add the hazards you found on site." }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(returned["evidence"]["status"], "returned");
    assert_eq!(
        returned["returns"][0]["points"],
        "Add the hazards you found on site."
    );

    let to_learner: (Uuid, String) =
        sqlx::query_as("select to_user_id, template from email_outbox")
            .fetch_one(&app.database.pool)
            .await
            .unwrap();
    assert_eq!(
        to_learner,
        (p.id("learner"), "evidence_returned".to_owned())
    );

    let v2 = content(7000, 4);
    let resubmission = Form::new()
        .text("comment", "Added the hazards.")
        .part("file", Part::bytes(v2.clone()).file_name("v2.pdf"));
    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/evidence/{id}/versions"),
            p.token("learner"),
        )
        .multipart(resubmission)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let e: Value = response.json().await.unwrap();
    assert_eq!(e["current_version"], 2);
    assert_eq!(e["status"], "resubmitted");
    let to_assessor: Vec<(Uuid, String)> =
        sqlx::query_as("select to_user_id, template from email_outbox order by created_at")
            .fetch_all(&app.database.pool)
            .await
            .unwrap();
    assert_eq!(
        to_assessor[1],
        (p.id("assessor"), "evidence_resubmitted".to_owned())
    );

    // Every version stays downloadable.
    for (version, bytes) in [(1, &v1), (2, &v2)] {
        let back = app
            .authed(
                Method::GET,
                &format!("/api/v1/evidence/{id}/versions/{version}/file"),
                p.token("learner"),
            )
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(&back[..], &bytes[..], "version {version}");
    }
    let detail: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{id}"),
            p.token("assessor"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["versions"].as_array().unwrap().len(), 2);
    assert_eq!(detail["versions"][1]["comment"], "Added the hazards.");
    app.finish().await;
}

#[tokio::test]
async fn assessors_map_evidence_to_the_learners_units_and_sign_criteria_off() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let e: Value = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "e.pdf", content(100, 5)),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = e["id"].as_str().unwrap().to_owned();
    let [c1, c2] = p.course("ST0001").unit("M1").criteria[..] else {
        unreachable!()
    };
    let map = |token: &str, criteria: Value| {
        app.authed(
            Method::PUT,
            &format!("/api/v1/evidence/{id}/criteria"),
            token,
        )
        .json(&json!({ "criterion_ids": criteria }))
        .send()
    };

    // The optional unit's criterion is not the learner's until the unit is chosen.
    let response = map(
        p.token("assessor"),
        json!([c1, optional_unit(&p).criteria[0]]),
    )
    .await
    .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["criterion_ids[1]"]
    );
    let response = map(p.token("learner"), json!([c1])).await.unwrap();
    problem(response, StatusCode::FORBIDDEN).await;
    let chosen = app
        .authed(
            Method::PUT,
            &format!(
                "/api/v1/enrolments/{}/optional-units",
                p.enrolment("learner")
            ),
            p.token("assessor"),
        )
        .json(&json!({ "unit_ids": [optional_unit(&p).id] }))
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), StatusCode::OK);
    let mapped: Value = map(
        p.token("assessor"),
        json!([c1, optional_unit(&p).criteria[0]]),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mut want = vec![c1.to_string(), optional_unit(&p).criteria[0].to_string()];
    want.sort();
    assert_eq!(mapped["criterion_ids"], json!(want));

    let sign_off = |criteria: Value| {
        app.authed(
            Method::POST,
            &format!("/api/v1/enrolments/{}/sign-offs", p.enrolment("learner")),
            p.token("assessor"),
        )
        .json(&json!({ "criterion_ids": criteria }))
        .send()
    };
    let response = sign_off(json!([c1, c2])).await.unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["criterion_ids[1]"],
        "c2 has no evidence"
    );
    assert_eq!(
        sign_off(json!([c1])).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        sign_off(json!([c1])).await.unwrap().status(),
        StatusCode::NO_CONTENT,
        "idempotent"
    );

    // Evidence cannot be taken away from a signed-off criterion…
    let response = map(p.token("assessor"), json!([optional_unit(&p).criteria[0]]))
        .await
        .unwrap();
    problem(response, StatusCode::CONFLICT).await;
    // …until the sign-off is withdrawn.
    let withdraw = app
        .authed(
            Method::DELETE,
            &format!(
                "/api/v1/enrolments/{}/sign-offs/{c1}",
                p.enrolment("learner")
            ),
            p.token("assessor"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(withdraw.status(), StatusCode::NO_CONTENT);
    let remapped: Value = map(p.token("assessor"), json!([optional_unit(&p).criteria[0]]))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        remapped["criterion_ids"],
        json!([optional_unit(&p).criteria[0].to_string()])
    );

    let signed: i64 = sqlx::query_scalar("select count(*) from criterion_sign_offs")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(signed, 0);
    app.finish().await;
}

#[tokio::test]
async fn identical_files_in_another_portfolio_are_flagged_to_staff_only() {
    let app = TestApp::spawn().await;
    let mut p = portfolio(&app, "northgate").await;
    p.add_person("second@n.example", Role::Learner).await;
    let e2 = p
        .enrol(
            NewEnrolment::new("second")
                .assessor("assessor")
                .dates(date(2026, 1, 5), date(2027, 7, 5))
                .hours(30.0, 300.0),
        )
        .await;
    let second_token = p.sign_in("second").await;
    let same = content(4096, 9);
    let first: Value = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "mine.pdf", same.clone()),
    )
    .await
    .json()
    .await
    .unwrap();
    let copy: Value = upload(
        &app,
        &second_token,
        e2,
        form(component(&p), "copy.pdf", same),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        copy["identical_evidence_ids"],
        json!([]),
        "learners are not shown other portfolios"
    );

    let seen: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{}", copy["id"].as_str().unwrap()),
            p.token("assessor"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["evidence"]["identical_evidence_ids"],
        json!([first["id"]])
    );
    // The learner's own second upload of the same file is not "another portfolio".
    let again: Value = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "again.pdf", content(4096, 9)),
    )
    .await
    .json()
    .await
    .unwrap();
    let seen: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{}", again["id"].as_str().unwrap()),
            p.token("assessor"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["evidence"]["identical_evidence_ids"],
        json!([copy["id"]])
    );
    app.finish().await;
}

#[tokio::test]
async fn tenant_a_cannot_reach_tenant_b_evidence() {
    let app = TestApp::spawn().await;
    let (_, _, a) = app.tenant_with_admin("tenant-a").await;
    let b = portfolio(&app, "tenant-b").await;
    let e: Value = upload(
        &app,
        b.token("learner"),
        b.enrolment("learner"),
        form(component(&b), "b.pdf", content(100, 6)),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = e["id"].as_str().unwrap();
    let c = b.course("ST0001").unit("M1").criteria[0];
    let before = (
        rows(&app, "evidence").await,
        rows(&app, "evidence_versions").await,
        rows(&app, "outbox").await,
    );

    let response = upload(
        &app,
        &a,
        b.enrolment("learner"),
        form(component(&b), "x.pdf", content(10, 1)),
    )
    .await;
    problem(response, StatusCode::NOT_FOUND).await;
    let response = app
        .authed(Method::POST, &format!("/api/v1/evidence/{id}/versions"), &a)
        .multipart(
            Form::new()
                .text("comment", "x")
                .part("file", Part::bytes(content(10, 1)).file_name("x")),
        )
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    let attempts = [
        (
            Method::GET,
            format!("/api/v1/enrolments/{}/evidence", b.enrolment("learner")),
            None,
        ),
        (Method::GET, format!("/api/v1/evidence/{id}"), None),
        (
            Method::GET,
            format!("/api/v1/evidence/{id}/versions/1/file"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/evidence/{id}/versions/1/pages"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/evidence/{id}/versions/1/pages/1"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/evidence/{id}/return"),
            Some(json!({ "points": "x" })),
        ),
        (
            Method::PUT,
            format!("/api/v1/evidence/{id}/criteria"),
            Some(json!({ "criterion_ids": [c] })),
        ),
        (
            Method::POST,
            format!("/api/v1/enrolments/{}/sign-offs", b.enrolment("learner")),
            Some(json!({ "criterion_ids": [c] })),
        ),
        (
            Method::DELETE,
            format!(
                "/api/v1/enrolments/{}/sign-offs/{c}",
                b.enrolment("learner")
            ),
            None,
        ),
    ];
    for (method, path, body) in attempts {
        let mut request = app.authed(method.clone(), &path, &a);
        if let Some(body) = body {
            request = request.json(&body);
        }
        problem(request.send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
    let after = (
        rows(&app, "evidence").await,
        rows(&app, "evidence_versions").await,
        rows(&app, "outbox").await,
    );
    assert_eq!(before, after);
    let detail: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{id}"),
            b.token("assessor"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["evidence"]["status"], "submitted");
    assert_eq!(detail["evidence"]["criterion_ids"], json!([]));
    app.finish().await;
}

/// The same upload, download and refusal against a real S3-compatible server.
#[tokio::test]
async fn evidence_streams_through_s3_compatible_storage() {
    let s3 = folio_tests::s3::S3Server::start().await;
    let database = folio_tests::TestDatabase::create().await;
    let db = folio_db::Database::from_pool(database.pool.clone());
    let storage = folio_storage::Storage::new(&s3.config()).unwrap();
    let settings = folio_api::ApiSettings {
        cookie_secure: false,
        ..folio_api::ApiSettings::default()
    };
    let app = TestApp::spawn_on(database, db, storage, settings, &folio_tests::redis_url()).await;
    let p = portfolio(&app, "northgate").await;

    // Larger than one 8 MiB part, so S3 multipart upload is used.
    let bytes = content(12 * 1024 * 1024 + 5, 11);
    let response = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "large.bin", bytes.clone()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let e: Value = response.json().await.unwrap();
    let id = e["id"].as_str().unwrap();
    let keys = s3.keys().await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].starts_with(&format!("tenants/{}/evidence/{id}/", p.tenant.id)),
        "{keys:?}"
    );

    let back = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{id}/versions/1/file"),
            p.token("assessor"),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(Sha256::digest(&back), Sha256::digest(&bytes));

    sqlx::query("insert into tenant_settings (tenant_id, settings) values ($1, '{\"evidence_max_bytes\": 9000000}')")
        .bind(p.tenant.id)
        .execute(&app.database.pool)
        .await
        .unwrap();
    let response = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "too-big.bin", content(10 * 1024 * 1024, 12)),
    )
    .await;
    problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(
        s3.keys().await.len(),
        1,
        "the refused upload left no object"
    );
    assert_eq!(rows(&app, "evidence").await, 1);
    app.finish().await;
}

/// Read-only roles read what their relationship shows them and change nothing.
#[tokio::test]
async fn employers_iqas_and_auditors_read_but_do_not_change_evidence() {
    let app = TestApp::spawn().await;
    let mut p = portfolio(&app, "northgate").await;
    let manager = p.add_person("manager@n.example", Role::Employer).await;
    let iqa = p.add_person("iqa@n.example", Role::Iqa).await;
    p.add_person("auditor@n.example", Role::Auditor).await;
    let employer = p.add_employer("Acme", &["manager"]).await;
    let patched = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/enrolments/{}", p.enrolment("learner")),
            &p.admin,
        )
        .json(&json!({ "employer_id": employer, "manager_id": manager, "iqa_id": iqa }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let e: Value = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "e.pdf", content(100, 8)),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = e["id"].as_str().unwrap();
    let c = p.course("ST0001").unit("M1").criteria[0];

    for email in ["manager@n.example", "iqa@n.example", "auditor@n.example"] {
        let token = app.login(&p.tenant, email).await;
        for path in [
            format!("/api/v1/enrolments/{}/evidence", p.enrolment("learner")),
            format!("/api/v1/evidence/{id}"),
            format!("/api/v1/evidence/{id}/versions/1/file"),
        ] {
            let r = app.authed(Method::GET, &path, &token).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{email} GET {path}");
        }
        let r = upload(
            &app,
            &token,
            p.enrolment("learner"),
            form(component(&p), "x.pdf", content(10, 1)),
        )
        .await;
        problem(r, StatusCode::FORBIDDEN).await;
        for (method, path, body) in [
            (
                Method::POST,
                format!("/api/v1/evidence/{id}/return"),
                json!({ "points": "x" }),
            ),
            (
                Method::PUT,
                format!("/api/v1/evidence/{id}/criteria"),
                json!({ "criterion_ids": [c] }),
            ),
            (
                Method::POST,
                format!("/api/v1/enrolments/{}/sign-offs", p.enrolment("learner")),
                json!({ "criterion_ids": [c] }),
            ),
        ] {
            let r = app
                .authed(method.clone(), &path, &token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email} {method} {path}");
        }
    }
    assert_eq!(rows(&app, "evidence").await, 1);
    assert_eq!(rows(&app, "outbox").await, 0);
    app.finish().await;
}

/// A client that goes away half-way through an upload leaves nothing behind.
#[tokio::test]
async fn an_interrupted_upload_leaves_neither_a_row_nor_a_file() {
    use tokio::io::AsyncWriteExt;

    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let boundary = "folio-boundary-7";
    let mut head = String::new();
    for (name, value) in [
        ("component_id", component(&p).to_string()),
        ("title", "Half an upload".to_owned()),
        ("declaration", "true".to_owned()),
        ("signature_name", "Amelia Clarke".to_owned()),
    ] {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    ));
    let promised = head.len() + 4 * 1024 * 1024;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /api/v1/enrolments/{}/evidence HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {promised}\r\n\r\n",
        p.enrolment("learner"),
        p.token("learner")
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // A megabyte of the promised four, then the connection drops.
    stream.write_all(&content(1024 * 1024, 13)).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(stream);

    // The server notices, removes what it had written, and writes no row.
    let mut clean = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if app.stored_files() == 0 {
            clean = true;
            break;
        }
    }
    assert!(clean, "a partial object was left behind");
    assert_eq!(rows(&app, "evidence").await, 0);
    assert_eq!(rows(&app, "evidence_versions").await, 0);
    app.finish().await;
}

/// An upload's form is checked as it arrives: one declaring more than the organisation's
/// limit is refused before a byte of it is read; a part after the file, a text field sent
/// as a file or a file name over 255 bytes is a 422 naming that part; a body that is not
/// multipart at all is a 400 that says the form could not be read. Nothing is kept.
#[tokio::test]
async fn upload_forms_are_checked_for_length_parts_and_file_name() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let (token, enrolment) = (p.token("learner"), p.enrolment("learner"));

    // Declared over the limit (512 MiB by default), and no body sent: answered at once.
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /api/v1/enrolments/{enrolment}/evidence HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=b\r\n\
         Content-Length: {}\r\n\r\n",
        600_u64 * 1024 * 1024
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0; 8192];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("refused without waiting for the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    drop(stream);

    let refused = [
        (
            "a second file after the file",
            form(component(&p), "a.pdf", content(1000, 1))
                .part("file", Part::bytes(content(1000, 2)).file_name("b.pdf")),
            "file",
        ),
        (
            "a field after the file",
            form(component(&p), "a.pdf", content(1000, 1)).text("title", "Late"),
            "title",
        ),
        (
            "a text field sent as a file",
            Form::new()
                .part(
                    "title",
                    Part::bytes(b"Risk".to_vec()).file_name("title.txt"),
                )
                .part("file", Part::bytes(content(1000, 1)).file_name("a.pdf")),
            "title",
        ),
        (
            "a file name over 255 bytes",
            form(
                component(&p),
                &format!("{}.pdf", "a".repeat(252)),
                content(1000, 1),
            ),
            "file",
        ),
    ];
    for (what, form, field) in refused {
        let r = upload(&app, token, enrolment, form).await;
        let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&body), [field], "{what}: {body}");
    }
    // A file name of 255 bytes is fine.
    let r = upload(
        &app,
        token,
        enrolment,
        form(
            component(&p),
            &format!("{}.pdf", "a".repeat(251)),
            content(1000, 1),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // Not multipart at all: a 400 about the form, never about JSON.
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{enrolment}/evidence"),
            token,
        )
        .header("content-type", "multipart/form-data; boundary=folio")
        .body("this is no multipart body")
        .send()
        .await
        .unwrap();
    let body = problem(r, StatusCode::BAD_REQUEST).await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("form"), "{detail}");
    assert!(!detail.contains("JSON"), "{detail}");

    assert_eq!(rows(&app, "evidence").await, 1);
    assert_eq!(app.stored_files(), 1);
    app.finish().await;
}

/// A criterion of an optional unit that is no longer chosen cannot be signed off, even
/// though evidence is still mapped to it.
#[tokio::test]
async fn criteria_of_unchosen_units_cannot_be_signed_off() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let choose = |units: Value| {
        app.authed(
            Method::PUT,
            &format!(
                "/api/v1/enrolments/{}/optional-units",
                p.enrolment("learner")
            ),
            p.token("assessor"),
        )
        .json(&json!({ "unit_ids": units }))
        .send()
    };
    assert_eq!(
        choose(json!([optional_unit(&p).id]))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let e: Value = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "e.pdf", content(100, 5)),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = e["id"].as_str().unwrap();
    let r = app
        .authed(
            Method::PUT,
            &format!("/api/v1/evidence/{id}/criteria"),
            p.token("assessor"),
        )
        .json(&json!({ "criterion_ids": [optional_unit(&p).criteria[0]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(choose(json!([])).await.unwrap().status(), StatusCode::OK);
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{}/sign-offs", p.enrolment("learner")),
            p.token("assessor"),
        )
        .json(&json!({ "criterion_ids": [optional_unit(&p).criteria[0]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["criterion_ids[0]"]
    );
    app.finish().await;
}

#[tokio::test]
async fn assessed_evidence_cannot_be_replaced_by_a_new_version() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let (learner, assessor, enrolment) = (
        p.token("learner"),
        p.token("assessor"),
        p.enrolment("learner"),
    );
    let created = upload(
        &app,
        learner,
        enrolment,
        form(component(&p), "a.pdf", content(2000, 1)),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c1 = p.course("ST0001").unit("M1").criteria[0];
    let mapped = app
        .authed(
            Method::PUT,
            &format!("/api/v1/evidence/{id}/criteria"),
            assessor,
        )
        .json(&json!({ "criterion_ids": [c1] }))
        .send()
        .await
        .unwrap();
    assert_eq!(mapped.status(), StatusCode::OK);
    let signed = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{enrolment}/sign-offs"),
            assessor,
        )
        .json(&json!({ "criterion_ids": [c1] }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::NO_CONTENT);

    let resubmit = || async {
        app.authed(
            Method::POST,
            &format!("/api/v1/evidence/{id}/versions"),
            learner,
        )
        .multipart(
            Form::new()
                .text("comment", "Tidied it up.")
                .part("file", Part::bytes(content(3000, 2)).file_name("b.pdf")),
        )
        .send()
        .await
        .unwrap()
    };
    // Signed off on version 1: a new version would replace what was assessed.
    let body = problem(resubmit().await, StatusCode::CONFLICT).await;
    assert_eq!(body["errors"][0]["field"], "file", "{body}");
    assert_eq!(
        body["detail"],
        "This evidence has been assessed: criteria 1.0 were signed off on it. A new version \
         would replace what was assessed, so upload it as new evidence instead, or ask your \
         assessor to withdraw the sign-off first.",
    );
    assert_eq!(
        rows(&app, "evidence_versions").await,
        1,
        "no version was added"
    );
    // Nor can the assessor return it for changes the learner could not make.
    let returned = app
        .authed(
            Method::POST,
            &format!("/api/v1/evidence/{id}/return"),
            assessor,
        )
        .json(&json!({ "points": "Add the noise readings." }))
        .send()
        .await
        .unwrap();
    let body = problem(returned, StatusCode::CONFLICT).await;
    assert_eq!(
        body["detail"],
        "This evidence has been assessed: criteria 1.0 were signed off on it, so it cannot \
         be returned for changes. Withdraw those sign-offs first if it must change.",
    );

    // The sign-off withdrawn, the learner may send a new version again.
    let withdrawn = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/enrolments/{enrolment}/sign-offs/{c1}"),
            assessor,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::NO_CONTENT);
    assert_eq!(resubmit().await.status(), StatusCode::CREATED);
    assert_eq!(rows(&app, "evidence_versions").await, 2);
    app.finish().await;
}

#[tokio::test]
async fn only_those_who_manage_the_learner_are_offered_the_forms_that_change_things() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let created = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "a.pdf", content(2000, 1)),
    )
    .await;
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let iqa = app
        .user(&p.tenant, "iqa@northgate.example", &[Role::Iqa])
        .await;
    app.user(&p.tenant, "auditor@northgate.example", &[Role::Auditor])
        .await;
    // The IQA samples this learner: an IQA sees the enrolments they are named on.
    sqlx::query("update enrolments set iqa_id = $1 where id = $2")
        .bind(iqa)
        .bind(p.enrolment("learner"))
        .execute(&app.database.pool)
        .await
        .unwrap();
    let link = format!("{}/app/evidence/{id}", app.base);
    let forms = ["id=\"map\"", "id=\"sign-off\"", "id=\"return\""];
    let (status, page) = app
        .follow_link_as(&p.tenant.slug, "assessor@northgate.example", &link)
        .await;
    assert_eq!(status, 200);
    for f in forms {
        assert!(page.contains(f), "the assessor has the form {f}");
    }
    // The IQA and the auditor read the evidence; the forms they could not use (each
    // answered 403) are not offered.
    for reader in ["iqa@northgate.example", "auditor@northgate.example"] {
        let (status, page) = app.follow_link_as(&p.tenant.slug, reader, &link).await;
        assert_eq!(status, 200, "{reader} reads it");
        assert!(page.contains("Risk assessment"), "{reader}: {page}");
        for f in forms {
            assert!(!page.contains(f), "{reader} is offered the form {f}");
        }
    }
    // So on the learner's overview: the status, session and action forms are the
    // assessor's, not the readers'.
    let overview = format!("{}/app/enrolments/{}", app.base, p.enrolment("learner"));
    let staff_forms = [
        "id=\"change-status\"",
        "id=\"book-session\"",
        "id=\"set-action\"",
    ];
    let (_, page) = app
        .follow_link_as(&p.tenant.slug, "assessor@northgate.example", &overview)
        .await;
    for f in staff_forms {
        assert!(page.contains(f), "the assessor has the form {f}");
    }
    for reader in ["iqa@northgate.example", "auditor@northgate.example"] {
        let (status, page) = app.follow_link_as(&p.tenant.slug, reader, &overview).await;
        assert_eq!(status, 200, "{reader} reads the overview");
        for f in staff_forms {
            assert!(!page.contains(f), "{reader} is offered the form {f}");
        }
    }
    // And on a session's and an action's own pages: the assessor changes them and adds
    // files; the learner adds files to her action; the IQA and the auditor read.
    let e = p.enrolment("learner");
    let session = app
        .ok(
            reqwest::Method::POST,
            &format!("/api/v1/enrolments/{e}/sessions"),
            p.token("assessor"),
            Some(serde_json::json!({ "session_type": "review",
                "starts_at": "2026-03-02T10:00:00Z", "duration_minutes": 60 })),
        )
        .await;
    let action = app
        .ok(
            reqwest::Method::POST,
            &format!("/api/v1/enrolments/{e}/actions"),
            p.token("assessor"),
            Some(serde_json::json!({ "title": "Write it up", "target_date": "2026-04-01" })),
        )
        .await;
    let session = format!(
        "{}/app/sessions/{}",
        app.base,
        session["id"].as_str().unwrap()
    );
    let action = format!(
        "{}/app/enrolments/{e}/actions/{}",
        app.base,
        action["id"].as_str().unwrap()
    );
    let cases = [
        (
            "assessor@northgate.example",
            &session,
            vec!["id=\"session-file\"", "id=\"edit-session\""],
            vec![],
        ),
        (
            "assessor@northgate.example",
            &action,
            vec!["id=\"action-file\"", ">Mark complete<"],
            vec![],
        ),
        (
            "learner@northgate.example",
            &action,
            vec!["id=\"action-file\""],
            vec![">Mark complete<"],
        ),
        (
            "learner@northgate.example",
            &session,
            vec![],
            vec!["id=\"session-file\"", "id=\"edit-session\""],
        ),
    ];
    for (who, link, offered, not_offered) in cases {
        let (status, page) = app.follow_link_as(&p.tenant.slug, who, link).await;
        assert_eq!(status, 200, "{who} {link}");
        for f in offered {
            assert!(page.contains(f), "{who} is not offered {f} on {link}");
        }
        for f in not_offered {
            assert!(!page.contains(f), "{who} is offered {f} on {link}");
        }
    }
    for reader in ["iqa@northgate.example", "auditor@northgate.example"] {
        for link in [&session, &action] {
            let (status, page) = app.follow_link_as(&p.tenant.slug, reader, link).await;
            assert_eq!(status, 200, "{reader} reads {link}");
            for f in [
                "id=\"session-file\"",
                "id=\"edit-session\"",
                "id=\"action-file\"",
                ">Mark complete<",
            ] {
                assert!(!page.contains(f), "{reader} is offered {f} on {link}");
            }
        }
    }
    app.finish().await;
}

/// A PDF of two A4 pages (595 × 842 pt) written by hand: on the first a black square of
/// 200 × 200 pt at (100, 100), the second blank.
fn square_pdf() -> Vec<u8> {
    let square = "0 0 0 rg 100 100 200 200 re f";
    folio_tests::pdf_of(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        format!(
            "<< /Length {} >>\nstream\n{square}\nendstream",
            square.len()
        )
        .into_bytes(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_vec(),
    ])
}

/// (width, height, dark pixels) of a PNG.
fn png_ink(png: &[u8]) -> (u32, u32, usize) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let samples = info.color_type.samples();
    let dark = pixels[..info.buffer_size()]
        .chunks(samples)
        .filter(|p| p.iter().take(3).all(|&c| c < 128))
        .count();
    (info.width, info.height, dark)
}

#[tokio::test]
async fn pdf_evidence_is_shown_as_pictures_of_its_pages_to_those_who_may_read_it() {
    let app = TestApp::spawn().await;
    let mut p = portfolio(&app, "northgate").await;
    p.add_person("other@n.example", Role::Learner).await;
    let other = p.sign_in("other").await;
    let pdf = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "plan.pdf", square_pdf()),
    )
    .await;
    assert_eq!(pdf.status(), StatusCode::CREATED);
    let pdf = pdf.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let get = |path: String, token: String| {
        let app = &app;
        async move { app.authed(Method::GET, &path, &token).send().await.unwrap() }
    };
    let assessor = p.token("assessor").to_owned();

    let pages = get(
        format!("/api/v1/evidence/{pdf}/versions/1/pages"),
        assessor.clone(),
    )
    .await;
    assert_eq!(pages.status(), StatusCode::OK);
    assert_eq!(pages.json::<Value>().await.unwrap(), json!({ "pages": 2 }));
    // Counted once by the drawer, then kept on the version: asked again, the kept count
    // answers (set it to 5 by hand to tell the two apart).
    let kept: Option<i32> = sqlx::query_scalar(
        "select pdf_pages from evidence_versions where evidence_id = $1::text::uuid",
    )
    .bind(&pdf)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(kept, Some(2));
    sqlx::query("update evidence_versions set pdf_pages = 5 where evidence_id = $1::text::uuid")
        .bind(&pdf)
        .execute(&app.database.pool)
        .await
        .unwrap();
    let again = get(
        format!("/api/v1/evidence/{pdf}/versions/1/pages"),
        assessor.clone(),
    )
    .await;
    assert_eq!(again.json::<Value>().await.unwrap(), json!({ "pages": 5 }));
    sqlx::query("update evidence_versions set pdf_pages = 2 where evidence_id = $1::text::uuid")
        .bind(&pdf)
        .execute(&app.database.pool)
        .await
        .unwrap();

    let first = get(
        format!("/api/v1/evidence/{pdf}/versions/1/pages/1"),
        assessor.clone(),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["content-type"], "image/png");
    assert_eq!(first.headers()["x-content-type-options"], "nosniff");
    let (width, height, dark) = png_ink(&first.bytes().await.unwrap());
    // Drawn 1000 px wide: 1000 / 595 = 1.6807 px a point; 842 pt → 1415.1 → 1415 px.
    // The square: 200 pt → 336.1 px a side, about 336 × 336 = 112,896 dark pixels
    // (give or take the anti-aliased edges: 335² = 112,225 to 337² = 113,569).
    assert_eq!((width, height), (1000, 1415));
    assert!((112_225..=113_569).contains(&dark), "{dark} dark pixels");
    let second = get(
        format!("/api/v1/evidence/{pdf}/versions/1/pages/2"),
        assessor.clone(),
    )
    .await;
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(
        png_ink(&second.bytes().await.unwrap()).2,
        0,
        "the blank page has ink"
    );

    // Past the last page, page 0, another learner: not found.
    for (path, token) in [
        (
            format!("/api/v1/evidence/{pdf}/versions/1/pages/3"),
            assessor.clone(),
        ),
        (
            format!("/api/v1/evidence/{pdf}/versions/1/pages/0"),
            assessor.clone(),
        ),
        (
            format!("/api/v1/evidence/{pdf}/versions/2/pages"),
            assessor.clone(),
        ),
        (
            format!("/api/v1/evidence/{pdf}/versions/1/pages"),
            other.clone(),
        ),
        (
            format!("/api/v1/evidence/{pdf}/versions/1/pages/1"),
            other.clone(),
        ),
    ] {
        problem(get(path, token).await, StatusCode::NOT_FOUND).await;
    }

    // A file declared as a PDF that is not one: 422 naming the version, in words.
    let junk = upload(
        &app,
        p.token("learner"),
        p.enrolment("learner"),
        form(component(&p), "junk.pdf", content(10, 1)),
    )
    .await;
    let junk = junk.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/api/v1/evidence/{junk}/versions/1/pages"),
        format!("/api/v1/evidence/{junk}/versions/1/pages/1"),
    ] {
        let body = problem(
            get(path, assessor.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "version", "{body}");
        assert!(
            body["errors"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("download it to read it"),
            "{body}"
        );
    }
    app.finish().await;
}
