#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Files on the learning plan: the assessor attaches a review form to a session, the
//! learner attaches their work to an action; both download byte-identical and are listed
//! for whoever may see the learner; who may attach and remove; the size limit and empty
//! files leave nothing behind; another organisation sees nothing and changes nothing.

use chrono::{DateTime, Duration, Utc};
use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, days_ago, days_ahead, today};
use folio_tests::{TestApp, fields, id, problem};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Noon UTC `n` days from today (negative: in the past).
fn noon(n: i64) -> DateTime<Utc> {
    let day = today() + Duration::days(n);
    day.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[0] ^ seed)
        .collect()
}

/// The cast and Ava, an assessor with another caseload; Amelia's enrolment (assessor, IQA,
/// employer and manager set) and Olly's (Tom's too) started 120 days ago. Tom has had a
/// review session with Amelia and set her an action in it.
struct Scene {
    org: folio_tests::scene::Scene,
    /// A past review session of Amelia's enrolment.
    session: Uuid,
    /// An action of Amelia's enrolment, set in `session`.
    action: Uuid,
}

impl std::ops::Deref for Scene {
    type Target = folio_tests::scene::Scene;

    fn deref(&self) -> &Self::Target {
        &self.org
    }
}

async fn scene() -> Scene {
    let org = TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Engineering"))
        .cast()
        .person("ava@n.example", Role::Assessor)
        .enrol(NewEnrolment::amelia().dates(days_ago(120), days_ahead(245)))
        .enrol(NewEnrolment::olly().dates(days_ago(120), days_ahead(245)))
        .build()
        .await;
    let enrolment = org.enrolment("amelia");
    let session = org
        .app
        .ok(
            Method::POST,
            &format!("/api/v1/enrolments/{enrolment}/sessions"),
            org.token("tom"),
            Some(
                json!({ "session_type": "review", "starts_at": noon(-2), "duration_minutes": 60 }),
            ),
        )
        .await;
    let action = org
        .app
        .ok(
            Method::POST,
            &format!("/api/v1/enrolments/{enrolment}/actions"),
            org.token("tom"),
            Some(
                json!({ "title": "Write up the pump overhaul", "target_date": days_ahead(14),
                     "session_id": id(&session) }),
            ),
        )
        .await;
    Scene {
        org,
        session: id(&session),
        action: id(&action),
    }
}

fn form(file_name: &str, bytes: Vec<u8>, content_type: &str) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(content_type)
            .unwrap(),
    )
}

/// `POST {path}` (a `…/files` path) with `form`.
async fn upload(app: &TestApp, token: &str, path: &str, form: Form) -> Response {
    app.authed(Method::POST, path, token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads `bytes` and returns the created file.
async fn attached(app: &TestApp, token: &str, path: &str, name: &str, bytes: Vec<u8>) -> Value {
    let r = upload(app, token, path, form(name, bytes, "application/pdf")).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn download(app: &TestApp, token: &str, file: Uuid) -> Response {
    app.send(
        Method::GET,
        &format!("/api/v1/learning-plan-files/{file}/file"),
        token,
        None,
    )
    .await
}

async fn delete(app: &TestApp, token: &str, file: Uuid) -> Response {
    app.send(
        Method::DELETE,
        &format!("/api/v1/learning-plan-files/{file}"),
        token,
        None,
    )
    .await
}

async fn file_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from learning_plan_files")
        .fetch_one(&app.database.pool)
        .await
        .unwrap()
}

/// The learning-plan-file audit rows of the tenant, in order: (action, entity id, details).
async fn audit_rows(s: &Scene) -> Vec<(String, Option<Uuid>, Value)> {
    sqlx::query_as(
        "select action, entity_id, details from audit_log
         where tenant_id = $1 and action like 'learning_plan_file.%' order by id",
    )
    .bind(s.tenant.id)
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap()
}

fn session_files(s: &Scene) -> String {
    format!("/api/v1/sessions/{}/files", s.session)
}

fn action_files(s: &Scene) -> String {
    format!("/api/v1/actions/{}/files", s.action)
}

#[tokio::test]
async fn review_forms_and_learners_work_are_attached_listed_and_downloaded() {
    let s = scene().await;
    let app = &s.app;
    let iqa = s.token("iris");
    let employer = s.token("manny");

    // The assessor attaches the review form to the review session.
    let form_bytes = content(2 * 1024 * 1024 + 11, 3);
    let review = attached(
        app,
        s.token("tom"),
        &session_files(&s),
        "../Review form – March.pdf",
        form_bytes.clone(),
    )
    .await;
    assert_eq!(review["enrolment_id"], json!(s.enrolment("amelia")));
    assert_eq!(review["session_id"], json!(s.session));
    assert!(review["action_id"].is_null());
    assert_eq!(
        review["file_name"], "Review form – March.pdf",
        "paths are stripped"
    );
    assert_eq!(review["content_type"], "application/pdf");
    assert_eq!(review["size_bytes"], form_bytes.len());
    assert_eq!(review["sha256"], hex::encode(Sha256::digest(&form_bytes)));
    assert_eq!(review["uploaded_by"], json!(s.id("tom")));

    // The learner attaches their work to the action.
    let work_bytes = content(40_000, 9);
    let work = attached(
        app,
        s.token("amelia"),
        &action_files(&s),
        "pump-overhaul.docx",
        work_bytes.clone(),
    )
    .await;
    assert_eq!(work["enrolment_id"], json!(s.enrolment("amelia")));
    assert_eq!(work["action_id"], json!(s.action));
    assert!(work["session_id"].is_null());
    assert_eq!(work["uploaded_by"], json!(s.id("amelia")));
    // Staff may attach to an action too; the list is oldest first.
    let brief = attached(
        app,
        &s.admin,
        &action_files(&s),
        "brief.pdf",
        content(500, 1),
    )
    .await;
    assert_eq!(app.stored_files(), 3);

    // Everyone who may see the learner lists, reads and downloads them.
    for token in [
        s.token("amelia"),
        s.token("tom"),
        &s.admin,
        iqa,
        employer,
        s.token("audrey"),
    ] {
        let listed = app.ok(Method::GET, &session_files(&s), token, None).await;
        assert_eq!(listed, json!([review]));
        let listed = app.ok(Method::GET, &action_files(&s), token, None).await;
        let ids: Vec<Uuid> = listed.as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, [id(&work), id(&brief)]);
        let one = app
            .ok(
                Method::GET,
                &format!("/api/v1/learning-plan-files/{}", id(&work)),
                token,
                None,
            )
            .await;
        assert_eq!(one, work);
    }
    for (token, file, bytes) in [
        (s.token("amelia"), id(&review), &form_bytes),
        (employer, id(&review), &form_bytes),
        (s.token("tom"), id(&work), &work_bytes),
        (iqa, id(&work), &work_bytes),
    ] {
        let r = download(app, token, file).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let disposition = r.headers()["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        let back = r.bytes().await.unwrap();
        assert_eq!(back.len(), bytes.len());
        assert_eq!(Sha256::digest(&back), Sha256::digest(bytes));
    }

    // Every upload is audited, with ids and sizes only.
    let rows = audit_rows(&s).await;
    let uploads: Vec<(&str, Option<Uuid>)> =
        rows.iter().map(|(a, e, _)| (a.as_str(), *e)).collect();
    assert_eq!(
        uploads,
        [
            ("learning_plan_file.upload", Some(id(&review))),
            ("learning_plan_file.upload", Some(id(&work))),
            ("learning_plan_file.upload", Some(id(&brief))),
        ]
    );
    assert_eq!(
        rows[0].2,
        json!({ "enrolment_id": s.enrolment("amelia"), "session_id": s.session, "action_id": null,
                "size_bytes": form_bytes.len() })
    );
    assert_eq!(
        rows[1].2,
        json!({ "enrolment_id": s.enrolment("amelia"), "session_id": null, "action_id": s.action,
                "size_bytes": work_bytes.len() })
    );
    s.org.app.finish().await;
}

#[tokio::test]
async fn who_may_attach_and_remove_files() {
    let s = scene().await;
    let app = &s.app;
    let review = attached(
        app,
        s.token("tom"),
        &session_files(&s),
        "review.pdf",
        content(1000, 1),
    )
    .await;
    let work = attached(
        app,
        s.token("amelia"),
        &action_files(&s),
        "work.pdf",
        content(1000, 2),
    )
    .await;
    let staff_note = attached(
        app,
        s.token("tom"),
        &action_files(&s),
        "note.pdf",
        content(1000, 3),
    )
    .await;
    let more_work = attached(
        app,
        s.token("amelia"),
        &action_files(&s),
        "more.pdf",
        content(1000, 4),
    )
    .await;
    assert_eq!(file_rows(app).await, 4);
    assert_eq!(app.stored_files(), 4);

    // The learner cannot attach to a session: sessions are the assessor's.
    let r = upload(
        app,
        s.token("amelia"),
        &session_files(&s),
        form("x.pdf", content(10, 1), "application/pdf"),
    )
    .await;
    problem(r, StatusCode::FORBIDDEN).await;
    // IQA, employer and auditor read only.
    for token in [s.token("iris"), s.token("manny"), s.token("audrey")] {
        for path in [session_files(&s), action_files(&s)] {
            let r = upload(
                app,
                token,
                &path,
                form("x.pdf", content(10, 1), "application/pdf"),
            )
            .await;
            problem(r, StatusCode::FORBIDDEN).await;
        }
        for file in [&review, &work] {
            problem(delete(app, token, id(file)).await, StatusCode::FORBIDDEN).await;
        }
    }
    // The learner removes only what they attached.
    problem(
        delete(app, s.token("amelia"), id(&review)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        delete(app, s.token("amelia"), id(&staff_note)).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Another learner, and an assessor with another caseload, see none of it.
    for token in [s.token("olly"), s.token("ava")] {
        for path in [
            session_files(&s),
            action_files(&s),
            format!("/api/v1/learning-plan-files/{}", id(&review)),
            format!("/api/v1/learning-plan-files/{}/file", id(&work)),
        ] {
            let r = app.send(Method::GET, &path, token, None).await;
            problem(r, StatusCode::NOT_FOUND).await;
        }
        for path in [session_files(&s), action_files(&s)] {
            let r = upload(
                app,
                token,
                &path,
                form("x.pdf", content(10, 1), "application/pdf"),
            )
            .await;
            problem(r, StatusCode::NOT_FOUND).await;
        }
        for file in [&review, &work] {
            problem(delete(app, token, id(file)).await, StatusCode::NOT_FOUND).await;
        }
    }
    // An id that does not exist is answered alike.
    let nobody = Uuid::now_v7();
    for path in [
        format!("/api/v1/sessions/{nobody}/files"),
        format!("/api/v1/actions/{nobody}/files"),
        format!("/api/v1/learning-plan-files/{nobody}"),
        format!("/api/v1/learning-plan-files/{nobody}/file"),
    ] {
        let r = app.send(Method::GET, &path, &s.admin, None).await;
        problem(r, StatusCode::NOT_FOUND).await;
    }
    problem(delete(app, &s.admin, nobody).await, StatusCode::NOT_FOUND).await;
    assert_eq!(file_rows(app).await, 4, "nothing refused was stored");
    assert_eq!(app.stored_files(), 4);

    // The uploader removes their own file; managers remove anyone's. The object goes too.
    let r = delete(app, s.token("amelia"), id(&work)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.stored_files(), 3);
    let r = delete(app, s.token("tom"), id(&more_work)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = delete(app, &s.admin, id(&review)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(file_rows(app).await, 1);
    assert_eq!(app.stored_files(), 1, "the objects went with the rows");
    for file in [&work, &more_work, &review] {
        let r = app
            .send(
                Method::GET,
                &format!("/api/v1/learning-plan-files/{}", id(file)),
                s.token("tom"),
                None,
            )
            .await;
        problem(r, StatusCode::NOT_FOUND).await;
        problem(
            download(app, s.token("tom"), id(file)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        problem(
            delete(app, s.token("tom"), id(file)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let listed = app
        .ok(Method::GET, &action_files(&s), s.token("amelia"), None)
        .await;
    assert_eq!(listed, json!([staff_note]));
    let listed = app
        .ok(Method::GET, &session_files(&s), s.token("amelia"), None)
        .await;
    assert_eq!(listed, json!([]));

    let rows = audit_rows(&s).await;
    let actions: Vec<(&str, Option<Uuid>)> =
        rows.iter().map(|(a, e, _)| (a.as_str(), *e)).collect();
    assert_eq!(
        actions,
        [
            ("learning_plan_file.upload", Some(id(&review))),
            ("learning_plan_file.upload", Some(id(&work))),
            ("learning_plan_file.upload", Some(id(&staff_note))),
            ("learning_plan_file.upload", Some(id(&more_work))),
            ("learning_plan_file.delete", Some(id(&work))),
            ("learning_plan_file.delete", Some(id(&more_work))),
            ("learning_plan_file.delete", Some(id(&review))),
        ]
    );
    assert_eq!(
        rows[4].2,
        json!({ "enrolment_id": s.enrolment("amelia"), "session_id": null, "action_id": s.action,
                "size_bytes": 1000 })
    );
    s.org.app.finish().await;
}

#[tokio::test]
async fn refused_uploads_leave_neither_row_nor_object() {
    let s = scene().await;
    let app = &s.app;
    let learner = s.token("amelia");
    sqlx::query(
        "insert into tenant_settings (tenant_id, settings) values ($1, '{\"evidence_max_bytes\": 100000}')",
    )
    .bind(s.tenant.id)
    .execute(&app.database.pool)
    .await
    .unwrap();
    for (token, path) in [
        (s.token("tom"), session_files(&s)),
        (learner, action_files(&s)),
    ] {
        let r = upload(
            app,
            token,
            &path,
            form("big.pdf", content(300_000, 2), "application/pdf"),
        )
        .await;
        problem(r, StatusCode::PAYLOAD_TOO_LARGE).await;
        let r = upload(
            app,
            token,
            &path,
            form("empty.pdf", Vec::new(), "application/pdf"),
        )
        .await;
        let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&body), ["file"]);
        let r = upload(app, token, &path, Form::new().text("note", "no file")).await;
        let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&body), ["file"]);
    }
    assert_eq!(file_rows(app).await, 0);
    assert_eq!(app.stored_files(), 0, "no orphan object");
    assert!(audit_rows(&s).await.is_empty());

    // Exactly at the limit is fine.
    attached(
        app,
        learner,
        &action_files(&s),
        "fits.pdf",
        content(100_000, 3),
    )
    .await;
    assert_eq!(file_rows(app).await, 1);
    assert_eq!(app.stored_files(), 1);
    s.org.app.finish().await;
}

#[tokio::test]
async fn a_file_cannot_hang_off_another_learners_session_or_action() {
    let s = scene().await;
    let app = &s.app;
    let insert = |session: Option<Uuid>, action: Option<Uuid>, enrolment: Uuid| {
        sqlx::query(
            "insert into learning_plan_files (tenant_id, id, enrolment_id, session_id, action_id,
                storage_key, file_name, content_type, size_bytes, sha256, uploaded_by)
             values ($1, $2, $3, $4, $5, $6, 'x.pdf', 'application/pdf', 1, $7, $8)",
        )
        .bind(s.tenant.id)
        .bind(Uuid::now_v7())
        .bind(enrolment)
        .bind(session)
        .bind(action)
        .bind(Uuid::now_v7().to_string())
        .bind(vec![0_u8; 32])
        .bind(s.id("amelia"))
        .execute(&app.database.pool)
    };
    let constraint = |r: Result<sqlx::postgres::PgQueryResult, sqlx::Error>| match r {
        Err(sqlx::Error::Database(e)) => e.constraint().unwrap().to_owned(),
        other => panic!("expected a constraint error, got {other:?}"),
    };
    assert_eq!(
        constraint(insert(Some(s.session), None, s.enrolment("olly")).await),
        "learning_plan_files_session_fkey"
    );
    assert_eq!(
        constraint(insert(None, Some(s.action), s.enrolment("olly")).await),
        "learning_plan_files_action_fkey"
    );
    assert_eq!(
        constraint(insert(Some(s.session), Some(s.action), s.enrolment("amelia")).await),
        "learning_plan_files_parent_check"
    );
    assert_eq!(
        constraint(insert(None, None, s.enrolment("amelia")).await),
        "learning_plan_files_parent_check"
    );
    insert(Some(s.session), None, s.enrolment("amelia"))
        .await
        .unwrap();
    insert(None, Some(s.action), s.enrolment("amelia"))
        .await
        .unwrap();
    s.org.app.finish().await;
}

#[tokio::test]
async fn another_organisation_sees_nothing_and_changes_nothing() {
    let s = scene().await;
    let app = &s.app;
    let learner = s.token("amelia");
    let review = attached(
        app,
        s.token("tom"),
        &session_files(&s),
        "review.pdf",
        content(1000, 1),
    )
    .await;
    let work = attached(
        app,
        learner,
        &action_files(&s),
        "work.pdf",
        content(1000, 2),
    )
    .await;
    let (other_tenant, _, other_admin) = app.tenant_with_admin("southgate").await;
    app.user(&other_tenant, "sam@s.example", &[Role::Assessor])
        .await;
    app.user(&other_tenant, "lee@s.example", &[Role::Learner])
        .await;
    let other_assessor = app.login(&other_tenant, "sam@s.example").await;
    let other_learner = app.login(&other_tenant, "lee@s.example").await;
    for token in [&other_admin, &other_assessor, &other_learner] {
        for path in [
            session_files(&s),
            action_files(&s),
            format!("/api/v1/learning-plan-files/{}", id(&review)),
            format!("/api/v1/learning-plan-files/{}/file", id(&review)),
            format!("/api/v1/learning-plan-files/{}", id(&work)),
            format!("/api/v1/learning-plan-files/{}/file", id(&work)),
        ] {
            let r = app.send(Method::GET, &path, token, None).await;
            problem(r, StatusCode::NOT_FOUND).await;
        }
        for path in [session_files(&s), action_files(&s)] {
            let r = upload(
                app,
                token,
                &path,
                form("x.pdf", content(10, 1), "application/pdf"),
            )
            .await;
            problem(r, StatusCode::NOT_FOUND).await;
        }
        for file in [&review, &work] {
            problem(delete(app, token, id(file)).await, StatusCode::NOT_FOUND).await;
        }
    }
    assert_eq!(file_rows(app).await, 2);
    assert_eq!(app.stored_files(), 2);
    assert_eq!(audit_rows(&s).await.len(), 2);
    let other_audit: i64 =
        sqlx::query_scalar("select count(*) from audit_log where tenant_id = $1 and action like 'learning_plan_file.%'")
            .bind(other_tenant.id)
            .fetch_one(&app.database.pool)
            .await
            .unwrap();
    assert_eq!(other_audit, 0);
    let listed = app.ok(Method::GET, &session_files(&s), learner, None).await;
    assert_eq!(listed, json!([review]));
    let listed = app.ok(Method::GET, &action_files(&s), learner, None).await;
    assert_eq!(listed, json!([work]));
    s.org.app.finish().await;
}
