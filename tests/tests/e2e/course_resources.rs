//! Course resources ("files from course") end to end: streamed upload and download, who
//! may read them (curriculum readers and anyone who can see an enrolment on the course),
//! refusals that leave nothing behind, deletion, and tenant isolation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_db::platform::Tenant;
use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, date};
use folio_tests::{TestApp, fields, problem};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn course(code: &str) -> NewCourse {
    NewCourse::new(code, &format!("Course {code}"))
}

fn enrolment(learner: &str) -> NewEnrolment {
    NewEnrolment::new(learner)
        .dates(date(2026, 1, 5), date(2027, 7, 5))
        .hours(37.5, 400.0)
}

fn form(file_name: &str, content: Vec<u8>) -> Form {
    Form::new()
        .text("title", "Handbook")
        .text("description", "Read before your first visit")
        .part(
            "file",
            Part::bytes(content)
                .file_name(file_name.to_owned())
                .mime_str("application/pdf")
                .unwrap(),
        )
}

async fn upload(app: &TestApp, token: &str, course: Uuid, form: Form) -> reqwest::Response {
    app.authed(
        Method::POST,
        &format!("/api/v1/courses/{course}/resources"),
        token,
    )
    .multipart(form)
    .send()
    .await
    .unwrap()
}

async fn uploaded(app: &TestApp, token: &str, course: Uuid, content: Vec<u8>) -> String {
    let response = upload(app, token, course, form("handbook.pdf", content)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn download(app: &TestApp, token: &str, resource: &str) -> reqwest::Response {
    app.authed(
        Method::GET,
        &format!("/api/v1/course-resources/{resource}/file"),
        token,
    )
    .send()
    .await
    .unwrap()
}

async fn list(app: &TestApp, token: &str, course: Uuid) -> reqwest::Response {
    app.authed(
        Method::GET,
        &format!("/api/v1/courses/{course}/resources"),
        token,
    )
    .send()
    .await
    .unwrap()
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[0] ^ seed)
        .collect()
}

async fn resource_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from course_resources")
        .fetch_one(&app.database.pool)
        .await
        .unwrap()
}

async fn audited(app: &TestApp, tenant: &Tenant, action: &str) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where tenant_id = $1 and action = $2")
        .bind(tenant.id)
        .bind(action)
        .fetch_one(&app.database.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_uploaded_resource_downloads_identical_and_deletes_with_its_file() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .course(course("ST0001"))
        .build()
        .await;
    let (tenant, admin_id, admin) = (s.tenant.clone(), s.admin_id, s.admin.clone());
    let course = s.course("ST0001").id;
    let bytes = content(3 * 1024 * 1024 + 17, 5);
    let response = upload(
        &app,
        &admin,
        course,
        form("../../etc/course handbook.pdf", bytes.clone()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let r: Value = response.json().await.unwrap();
    assert_eq!(r["course_id"], course.to_string());
    assert_eq!(r["title"], "Handbook");
    assert_eq!(r["description"], "Read before your first visit");
    assert_eq!(r["file_name"], "course handbook.pdf", "paths are stripped");
    assert_eq!(r["content_type"], "application/pdf");
    assert_eq!(r["size_bytes"], bytes.len());
    assert_eq!(r["sha256"], hex::encode(Sha256::digest(&bytes)));
    assert_eq!(r["uploaded_by"], admin_id.to_string());
    let id = r["id"].as_str().unwrap().to_owned();
    assert_eq!(audited(&app, &tenant, "course_resource.upload").await, 1);

    let listed: Value = list(&app, &admin, course).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], id);

    let response = download(&app, &admin, &id).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("course%20handbook.pdf"),
        "{disposition}"
    );
    let back = response.bytes().await.unwrap();
    assert_eq!(back.len(), bytes.len());
    assert_eq!(Sha256::digest(&back), Sha256::digest(&bytes));
    assert_eq!(app.stored_files(), 1);

    // A course with resources is not deleted (its files would be left behind).
    let response = app
        .authed(Method::DELETE, &format!("/api/v1/courses/{course}"), &admin)
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::CONFLICT).await;
    assert!(
        body["detail"].as_str().unwrap().contains("resources"),
        "{body}"
    );

    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/course-resources/{id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(resource_rows(&app).await, 0);
    assert_eq!(app.stored_files(), 0, "the file went with the row");
    assert_eq!(audited(&app, &tenant, "course_resource.delete").await, 1);
    problem(download(&app, &admin, &id).await, StatusCode::NOT_FOUND).await;
    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/course-resources/{id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;

    let response = app
        .authed(Method::DELETE, &format!("/api/v1/courses/{course}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    app.finish().await;
}

#[tokio::test]
async fn everyone_who_can_see_an_enrolment_on_the_course_reads_its_resources() {
    let app = TestApp::spawn().await;
    // A manager is only put on learners of their own organisation.
    let s = app
        .scene("northgate")
        .course(course("ST0001"))
        .course(course("ST0002"))
        .people(&[
            ("learner@n.example", Role::Learner),
            ("elsewhere@n.example", Role::Learner),
            ("unenrolled@n.example", Role::Learner),
            ("assessor@n.example", Role::Assessor),
            ("manager@n.example", Role::Employer),
            ("other-manager@n.example", Role::Employer),
        ])
        .employer("Acme Ltd", &["manager"])
        .enrol(
            enrolment("learner")
                .course("ST0001")
                .assessor("assessor")
                .employer("Acme Ltd")
                .manager("manager"),
        )
        .enrol(enrolment("elsewhere").course("ST0002"))
        .signed_out()
        .build()
        .await;
    let (tenant, admin) = (s.tenant.clone(), s.admin.clone());
    let (course_a, course_b) = (s.course("ST0001").id, s.course("ST0002").id);
    let bytes = content(5000, 3);
    let id = uploaded(&app, &admin, course_a, bytes.clone()).await;

    for email in [
        "learner@n.example",
        "assessor@n.example",
        "manager@n.example",
    ] {
        let token = app.login(&tenant, email).await;
        let response = list(&app, &token, course_a).await;
        assert_eq!(response.status(), StatusCode::OK, "{email} lists");
        let listed: Value = response.json().await.unwrap();
        assert_eq!(listed[0]["id"], id, "{email}");
        let response = download(&app, &token, &id).await;
        assert_eq!(response.status(), StatusCode::OK, "{email} downloads");
        assert_eq!(response.bytes().await.unwrap().as_ref(), &bytes[..]);
    }

    // On another course, on none, or managing nobody on it: as if the course did not exist.
    for email in [
        "elsewhere@n.example",
        "unenrolled@n.example",
        "other-manager@n.example",
    ] {
        let token = app.login(&tenant, email).await;
        problem(list(&app, &token, course_a).await, StatusCode::NOT_FOUND).await;
        problem(download(&app, &token, &id).await, StatusCode::NOT_FOUND).await;
    }
    // The course's own learner sees nothing of another course.
    let token = app.login(&tenant, "learner@n.example").await;
    problem(list(&app, &token, course_b).await, StatusCode::NOT_FOUND).await;
    // Curriculum readers see any course's (empty) list, and 404 for a missing course.
    let token = app.login(&tenant, "assessor@n.example").await;
    let listed: Value = list(&app, &token, course_b).await.json().await.unwrap();
    assert_eq!(listed, json!([]));
    problem(
        list(&app, &token, Uuid::now_v7()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    app.finish().await;
}

#[tokio::test]
async fn only_admins_add_or_remove_resources() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .course(course("ST0001"))
        .people(&[
            ("learner@n.example", Role::Learner),
            ("assessor@n.example", Role::Assessor),
        ])
        .enrol(enrolment("learner"))
        .signed_out()
        .build()
        .await;
    let (tenant, admin) = (s.tenant.clone(), s.admin.clone());
    let course = s.course("ST0001").id;
    let id = uploaded(&app, &admin, course, content(100, 1)).await;

    for email in ["learner@n.example", "assessor@n.example"] {
        let token = app.login(&tenant, email).await;
        let response = upload(&app, &token, course, form("a.pdf", content(100, 2))).await;
        problem(response, StatusCode::FORBIDDEN).await;
        let response = app
            .authed(
                Method::DELETE,
                &format!("/api/v1/course-resources/{id}"),
                &token,
            )
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::FORBIDDEN).await;
    }
    assert_eq!(resource_rows(&app).await, 1);
    assert_eq!(app.stored_files(), 1);
    let response = upload(&app, &admin, Uuid::now_v7(), form("a.pdf", content(10, 1))).await;
    problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(resource_rows(&app).await, 1);
    assert_eq!(app.stored_files(), 1);
    app.finish().await;
}

#[tokio::test]
async fn refused_uploads_leave_neither_a_row_nor_a_file() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .course(course("ST0001"))
        .build()
        .await;
    let (tenant, admin) = (s.tenant.clone(), s.admin.clone());
    let course = s.course("ST0001").id;

    let response = upload(&app, &admin, course, form("empty.pdf", Vec::new())).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), vec!["file"]);

    let no_title = Form::new().part("file", Part::bytes(content(10, 1)).file_name("a.pdf"));
    let body = problem(
        upload(&app, &admin, course, no_title).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&body), vec!["title"]);

    let no_file = Form::new().text("title", "Handbook");
    let body = problem(
        upload(&app, &admin, course, no_file).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&body), vec!["file"]);

    // The organisation's evidence limit applies to resources too.
    sqlx::query(
        "insert into tenant_settings (tenant_id, settings) values ($1, '{\"evidence_max_bytes\": 100000}')",
    )
    .bind(tenant.id)
    .execute(&app.database.pool)
    .await
    .unwrap();
    let response = upload(&app, &admin, course, form("big.pdf", content(300_000, 2))).await;
    problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;

    assert_eq!(resource_rows(&app).await, 0);
    assert_eq!(app.stored_files(), 0, "no orphan object");
    assert_eq!(audited(&app, &tenant, "course_resource.upload").await, 0);

    // Just under the limit is fine.
    uploaded(&app, &admin, course, content(100_000, 3)).await;
    assert_eq!(resource_rows(&app).await, 1);
    app.finish().await;
}

#[tokio::test]
async fn another_tenants_courses_and_resources_are_not_found_on_every_endpoint() {
    let app = TestApp::spawn().await;
    let a = app
        .scene("northgate")
        .course(course("ST0001"))
        .person("learner@a.example", Role::Learner)
        .enrol(enrolment("learner"))
        .build()
        .await;
    let b = app
        .scene("southfield")
        .course(course("ST0001"))
        .build()
        .await;
    let (admin_a, learner_a) = (a.admin.clone(), a.token("learner").to_owned());
    let (admin_b, course_b) = (b.admin.clone(), b.course("ST0001").id);
    let bytes = content(4000, 9);
    let resource_b = uploaded(&app, &admin_b, course_b, bytes.clone()).await;

    for token in [&admin_a, &learner_a] {
        problem(list(&app, token, course_b).await, StatusCode::NOT_FOUND).await;
        problem(
            download(&app, token, &resource_b).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let response = upload(&app, &admin_a, course_b, form("a.pdf", content(10, 1))).await;
    problem(response, StatusCode::NOT_FOUND).await;
    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/course-resources/{resource_b}"),
            &admin_a,
        )
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;

    // B is unchanged.
    assert_eq!(resource_rows(&app).await, 1);
    assert_eq!(app.stored_files(), 1);
    let listed: Value = list(&app, &admin_b, course_b).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let response = download(&app, &admin_b, &resource_b).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), &bytes[..]);
    app.finish().await;
}
