//! First sign-in and the profile: the disclaimer a learner must accept before anything
//! else works (versions, re-acceptance, turning it off, who it binds); each person's CV
//! fields, photo (checked by content) and job description; who may read and who may write
//! them; another organisation sees nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, Scene, days_ago, days_ahead};
use folio_tests::{TestApp, fields, problem};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9";

/// The cast and Ann, an assessor with another caseload; only Amelia is enrolled (assessor,
/// IQA, employer and manager set).
async fn scene() -> Scene {
    TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Eng"))
        .cast()
        .person("ann@n.example", Role::Assessor)
        .enrol(NewEnrolment::amelia().dates(days_ago(30), days_ahead(300)))
        .build()
        .await
}

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    let r = app.send(method.clone(), path, token, body).await;
    assert_eq!(r.status(), StatusCode::OK, "{method} {path}");
    r.json().await.unwrap()
}

async fn set_disclaimer(s: &Scene, text: Value) -> Value {
    ok(
        &s.app,
        Method::PUT,
        "/api/v1/settings/disclaimer",
        &s.admin,
        Some(json!({ "text": text })),
    )
    .await
}

async fn upload(app: &TestApp, path: &str, token: &str, bytes: &[u8], name: &str) -> Response {
    let form = Form::new().part(
        "file",
        Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    );
    app.authed(Method::PUT, path, token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn download(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    let r = app.authed(Method::GET, path, token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_learner_must_accept_the_disclaimer_before_anything_else_works() {
    let s = scene().await;
    let app = &s.app;
    let assessor = s.token("tom");
    let auditor = s.token("audrey");
    // No disclaimer yet: nothing is required.
    let mine = ok(
        app,
        Method::GET,
        "/api/v1/me/disclaimer",
        s.token("amelia"),
        None,
    )
    .await;
    assert_eq!(
        mine,
        json!({ "required": false, "version": null, "text": null, "accepted_at": null })
    );
    ok(
        app,
        Method::GET,
        "/api/v1/enrolments",
        s.token("amelia"),
        None,
    )
    .await;

    let text = "I will keep my portfolio honest and my own work.";
    let v1 = set_disclaimer(&s, json!(text)).await;
    assert_eq!(
        (v1["version"].clone(), v1["text"].clone()),
        (json!(1), json!(text))
    );

    // Blocked everywhere with its own problem type, except who am I, the disclaimer and
    // signing out.
    for path in [
        "/api/v1/enrolments",
        "/api/v1/me/profile",
        "/api/v1/me/tokens",
    ] {
        let r = app.send(Method::GET, path, s.token("amelia"), None).await;
        let p = problem(r, StatusCode::FORBIDDEN).await;
        assert_eq!(p["type"], "/problems/disclaimer-required", "{path}");
    }
    let r = app
        .send(
            Method::PUT,
            "/api/v1/me/profile",
            s.token("amelia"),
            Some(json!({ "skills": "x" })),
        )
        .await;
    problem(r, StatusCode::FORBIDDEN).await;
    ok(app, Method::GET, "/api/v1/me", s.token("amelia"), None).await;
    let mine = ok(
        app,
        Method::GET,
        "/api/v1/me/disclaimer",
        s.token("amelia"),
        None,
    )
    .await;
    assert_eq!(
        mine,
        json!({ "required": true, "version": 1, "text": text, "accepted_at": null })
    );
    // Staff are never held up by it.
    for token in [assessor, &s.admin, s.token("manny")] {
        ok(app, Method::GET, "/api/v1/me/profile", token, None).await;
        let theirs = ok(app, Method::GET, "/api/v1/me/disclaimer", token, None).await;
        assert_eq!(theirs["required"], false);
    }

    // Accepting a version other than the current one is refused and records nothing.
    let r = app
        .send(
            Method::POST,
            "/api/v1/me/disclaimer/accept",
            s.token("amelia"),
            Some(json!({ "version": 2 })),
        )
        .await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["status"], 409);
    let r = app
        .send(
            Method::POST,
            "/api/v1/me/disclaimer/accept",
            s.token("amelia"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["version"]
    );
    let accepted = ok(
        app,
        Method::POST,
        "/api/v1/me/disclaimer/accept",
        s.token("amelia"),
        Some(json!({ "version": 1 })),
    )
    .await;
    assert_eq!(accepted["version"], 1);
    ok(
        app,
        Method::GET,
        "/api/v1/enrolments",
        s.token("amelia"),
        None,
    )
    .await;
    // Accepting again keeps the first time.
    let again = ok(
        app,
        Method::POST,
        "/api/v1/me/disclaimer/accept",
        s.token("amelia"),
        Some(json!({ "version": 1 })),
    )
    .await;
    assert_eq!(again["accepted_at"], accepted["accepted_at"]);
    let (ip, n): (Option<String>, i64) = sqlx::query_as(
        "select max(client_ip), count(*) from disclaimer_acceptances where tenant_id = $1",
    )
    .bind(s.tenant.id)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!((ip.as_deref(), n), (Some("127.0.0.1"), 1));

    // Saving the same text again is no new version; a changed text must be accepted again.
    assert_eq!(set_disclaimer(&s, json!(text)).await["version"], 1);
    let v2 = set_disclaimer(&s, json!("New terms: be kind.")).await;
    assert_eq!(v2["version"], 2);
    let r = app
        .send(Method::GET, "/api/v1/enrolments", s.token("amelia"), None)
        .await;
    problem(r, StatusCode::FORBIDDEN).await;
    let mine = ok(
        app,
        Method::GET,
        "/api/v1/me/disclaimer",
        s.token("amelia"),
        None,
    )
    .await;
    assert_eq!(
        (mine["version"].clone(), mine["accepted_at"].clone()),
        (json!(2), Value::Null)
    );
    // Signing out works while blocked.
    let r = app
        .send(Method::POST, "/api/v1/auth/logout", s.token("amelia"), None)
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let learner = app.login(&s.tenant, "amelia@n.example").await;

    // Turning it off lets everyone through.
    let off = set_disclaimer(&s, Value::Null).await;
    assert_eq!(
        (off["version"].clone(), off["text"].clone()),
        (json!(3), Value::Null)
    );
    ok(app, Method::GET, "/api/v1/enrolments", &learner, None).await;
    let mine = ok(app, Method::GET, "/api/v1/me/disclaimer", &learner, None).await;
    assert_eq!(mine["required"], false);
    let r = app
        .send(
            Method::POST,
            "/api/v1/me/disclaimer/accept",
            &learner,
            Some(json!({ "version": 3 })),
        )
        .await;
    problem(r, StatusCode::CONFLICT).await;

    // Who may read and set it; bad input names the field.
    let read = ok(
        app,
        Method::GET,
        "/api/v1/settings/disclaimer",
        auditor,
        None,
    )
    .await;
    assert_eq!(read["version"], 3);
    for token in [&learner, assessor, auditor] {
        let r = app
            .send(
                Method::PUT,
                "/api/v1/settings/disclaimer",
                token,
                Some(json!({ "text": "x" })),
            )
            .await;
        problem(r, StatusCode::FORBIDDEN).await;
    }
    let r = app
        .send(Method::GET, "/api/v1/settings/disclaimer", &learner, None)
        .await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = app
        .send(
            Method::PUT,
            "/api/v1/settings/disclaimer",
            &s.admin,
            Some(json!({ "text": "x".repeat(20_001) })),
        )
        .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["text"]
    );
    let versions: i64 = sqlx::query_scalar("select count(*) from disclaimer_versions")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(versions, 3);

    // Another organisation's disclaimer binds only its own learners.
    let (other, _, other_admin) = app.tenant_with_admin("southgate").await;
    app.user(&other, "sam@s.example", &[Role::Learner]).await;
    let sam = app.login(&other, "sam@s.example").await;
    ok(
        app,
        Method::PUT,
        "/api/v1/settings/disclaimer",
        &other_admin,
        Some(json!({ "text": "South" })),
    )
    .await;
    let r = app
        .send(Method::GET, "/api/v1/enrolments", &sam, None)
        .await;
    problem(r, StatusCode::FORBIDDEN).await;
    ok(app, Method::GET, "/api/v1/enrolments", &learner, None).await;
    let audit: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where tenant_id = $1 and action like 'disclaimer.%' order by id",
    )
    .bind(s.tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(
        audit,
        [
            "disclaimer.set",
            "disclaimer.accept",
            "disclaimer.set",
            "disclaimer.set"
        ]
    );
    s.app.finish().await;
}

#[tokio::test]
async fn profiles_are_written_by_their_owner_and_read_by_those_who_see_them() {
    let s = scene().await;
    let app = &s.app;
    let cv = json!({
        "phone": "07700 900123",
        "personal_statement": "Apprentice maintenance engineer.",
        "employment_history": "Acme Engineering, 2025-",
        "qualifications": "GCSE Maths (6)",
        "skills": "PLC fault finding",
        "interests": "Robotics"
    });
    let mine = ok(
        app,
        Method::PUT,
        "/api/v1/me/profile",
        s.token("amelia"),
        Some(cv.clone()),
    )
    .await;
    for (k, v) in cv.as_object().unwrap() {
        assert_eq!(&mine[k], v, "{k}");
    }
    assert_eq!(mine["user_id"], json!(s.id("amelia")));
    assert_eq!(mine["photo"], Value::Null);

    let path = format!("/api/v1/users/{}/profile", s.id("amelia"));
    for (who, token) in [
        ("admin", s.admin.as_str()),
        ("assessor", s.token("tom")),
        ("IQA", s.token("iris")),
        ("employer's manager", s.token("manny")),
        ("auditor", s.token("audrey")),
        ("learner", s.token("amelia")),
    ] {
        let theirs = ok(app, Method::GET, &path, token, None).await;
        assert_eq!(theirs["skills"], "PLC fault finding", "{who}");
        assert_eq!(theirs["name"], "Person amelia@n.example", "{who}");
    }
    for token in [s.token("olly"), s.token("ann")] {
        let r = app.send(Method::GET, &path, token, None).await;
        problem(r, StatusCode::NOT_FOUND).await;
    }
    // A learner sees their own assessor, not another.
    ok(
        app,
        Method::GET,
        &format!("/api/v1/users/{}/profile", s.id("tom")),
        s.token("amelia"),
        None,
    )
    .await;
    let r = app
        .send(
            Method::GET,
            &format!("/api/v1/users/{}/profile", s.id("ann")),
            s.token("amelia"),
            None,
        )
        .await;
    problem(r, StatusCode::NOT_FOUND).await;

    // Replacing clears what is left out; bad fields are named and nothing changes.
    let cleared = ok(
        app,
        Method::PUT,
        "/api/v1/me/profile",
        s.token("amelia"),
        Some(json!({ "skills": "Welding" })),
    )
    .await;
    assert_eq!(
        (cleared["skills"].clone(), cleared["phone"].clone()),
        (json!("Welding"), Value::Null)
    );
    let r = app
        .send(
            Method::PUT,
            "/api/v1/me/profile",
            s.token("amelia"),
            Some(json!({ "phone": "1".repeat(51), "interests": "i".repeat(2001), "skills": "ok" })),
        )
        .await;
    let mut bad = fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await);
    bad.sort();
    assert_eq!(bad, ["interests", "phone"]);
    let r = app
        .send(
            Method::PUT,
            "/api/v1/me/profile",
            s.token("amelia"),
            Some(json!({ "hobbies": "x" })),
        )
        .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["hobbies"]
    );
    assert_eq!(
        ok(
            app,
            Method::GET,
            "/api/v1/me/profile",
            s.token("amelia"),
            None
        )
        .await["skills"],
        "Welding"
    );
    s.app.finish().await;
}

#[tokio::test]
async fn a_photo_must_be_an_image_and_replacing_it_removes_the_old_file() {
    let s = scene().await;
    let app = &s.app;
    let learner = s.token("amelia");
    let assessor = s.token("tom");
    let photo_path = format!("/api/v1/users/{}/profile/photo", s.id("amelia"));
    // Declared as a PNG, but HTML: refused by content, nothing stored.
    let r = upload(
        app,
        "/api/v1/me/profile/photo",
        learner,
        b"<html><script>",
        "me.png",
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["file"]
    );
    let no_file = Form::new().text("caption", "me");
    let r = app
        .authed(Method::PUT, "/api/v1/me/profile/photo", learner)
        .multipart(no_file)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["file"]
    );
    let mut big = PNG.to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let r = upload(app, "/api/v1/me/profile/photo", learner, &big, "big.png").await;
    problem(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(app.stored_files(), 0);
    let r = app.send(Method::GET, &photo_path, assessor, None).await;
    problem(r, StatusCode::NOT_FOUND).await;

    let r = upload(app, "/api/v1/me/profile/photo", learner, PNG, "me.txt").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["photo"]["content_type"], "image/png");
    assert_eq!(body["photo"]["size_bytes"], PNG.len());
    assert_eq!(download(app, &photo_path, assessor).await, PNG);
    let r = upload(app, "/api/v1/me/profile/photo", learner, JPEG, "me.jpg").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.stored_files(), 1, "the replaced photo is removed");
    assert_eq!(download(app, &photo_path, s.token("manny")).await, JPEG);
    let r = app
        .send(Method::GET, &photo_path, s.token("olly"), None)
        .await;
    problem(r, StatusCode::NOT_FOUND).await;

    let r = app
        .send(Method::DELETE, "/api/v1/me/profile/photo", learner, None)
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.stored_files(), 0);
    let r = app.send(Method::GET, &photo_path, assessor, None).await;
    problem(r, StatusCode::NOT_FOUND).await;
    s.app.finish().await;
}

#[tokio::test]
async fn a_job_description_is_uploaded_by_the_learner_or_their_assessor() {
    let s = scene().await;
    let app = &s.app;
    let iqa = s.token("iris");
    let manager = s.token("manny");
    let auditor = s.token("audrey");
    let other_learner = s.token("olly");
    let path = format!("/api/v1/users/{}/profile/job-description", s.id("amelia"));
    let r = upload(
        app,
        &path,
        s.token("amelia"),
        b"Maintenance engineer: duties...",
        "role.pdf",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let by_assessor = b"Maintenance engineer, revised";
    let r = upload(
        app,
        &path,
        s.token("tom"),
        by_assessor,
        "Job description (rev 2).pdf",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let jd = &body["job_description"];
    assert_eq!(jd["file_name"], "Job description (rev 2).pdf");
    assert_eq!(jd["uploaded_by"], json!(s.id("tom")));
    assert_eq!(jd["size_bytes"], by_assessor.len());
    assert_eq!(app.stored_files(), 1);
    for token in [manager, iqa, s.token("amelia"), auditor] {
        assert_eq!(download(app, &path, token).await, by_assessor);
    }
    // Those who see the learner but do not write: 403; those who do not see them: 404.
    for (token, status) in [
        (iqa, StatusCode::FORBIDDEN),
        (manager, StatusCode::FORBIDDEN),
        (auditor, StatusCode::FORBIDDEN),
        (other_learner, StatusCode::NOT_FOUND),
        (s.token("ann"), StatusCode::NOT_FOUND),
    ] {
        let r = upload(app, &path, token, b"nope", "x.pdf").await;
        problem(r, status).await;
        let r = app.send(Method::DELETE, &path, token, None).await;
        problem(r, status).await;
    }
    let r = app.send(Method::GET, &path, other_learner, None).await;
    problem(r, StatusCode::NOT_FOUND).await;
    assert_eq!(app.stored_files(), 1);

    let r = app.send(Method::DELETE, &path, &s.admin, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.stored_files(), 0);
    let r = app.send(Method::GET, &path, s.token("amelia"), None).await;
    problem(r, StatusCode::NOT_FOUND).await;
    let audit: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where tenant_id = $1 and action like 'profile.%' order by id",
    )
    .bind(s.tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(
        audit,
        [
            "profile.job_description.set",
            "profile.job_description.set",
            "profile.job_description.remove"
        ]
    );
    s.app.finish().await;
}

#[tokio::test]
async fn another_organisation_sees_no_profile_and_changes_none() {
    let s = scene().await;
    let app = &s.app;
    let learner = s.token("amelia");
    ok(
        app,
        Method::PUT,
        "/api/v1/me/profile",
        learner,
        Some(json!({ "skills": "Welding" })),
    )
    .await;
    let jd = format!("/api/v1/users/{}/profile/job-description", s.id("amelia"));
    let r = upload(app, &jd, learner, b"duties", "jd.pdf").await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = upload(app, "/api/v1/me/profile/photo", learner, PNG, "me.png").await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, _, other) = app.tenant_with_admin("southgate").await;
    for path in [
        format!("/api/v1/users/{}/profile", s.id("amelia")),
        format!("/api/v1/users/{}/profile/photo", s.id("amelia")),
        jd.clone(),
    ] {
        let r = app.send(Method::GET, &path, &other, None).await;
        problem(r, StatusCode::NOT_FOUND).await;
    }
    let r = upload(app, &jd, &other, b"theirs", "x.pdf").await;
    problem(r, StatusCode::NOT_FOUND).await;
    let r = app.send(Method::DELETE, &jd, &other, None).await;
    problem(r, StatusCode::NOT_FOUND).await;
    // Their own profile endpoints touch only their own row.
    ok(
        app,
        Method::PUT,
        "/api/v1/me/profile",
        &other,
        Some(json!({ "skills": "Theirs" })),
    )
    .await;
    assert_eq!(download(app, &jd, s.token("tom")).await, b"duties");
    let mine = ok(app, Method::GET, "/api/v1/me/profile", learner, None).await;
    assert_eq!(mine["skills"], "Welding");
    assert_eq!(app.stored_files(), 2);
    s.app.finish().await;
}
