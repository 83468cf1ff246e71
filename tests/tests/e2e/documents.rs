//! Documents to sign end to end: staff send one file to several learners naming the roles
//! that must sign; each role signs once (the learner, an employer contact at the learner's
//! employer, the learner's assessor) with a typed name, the time and the IP address kept;
//! the badge counts what is left to sign; a fully signed document is final, an unsigned
//! one can be withdrawn; who may read and who may write; bad input is 422 naming the
//! field; another organisation sees nothing and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, Scene, days_ago, days_ahead};
use folio_tests::{TestApp, fields, id, problem};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The cast with Sam, an assessor with no learners, and Erin, the contact of "Bolt
/// Fabrication". Amelia and Olly are both assessed by Tom with Iris as IQA, started 120
/// days ago; Amelia is employed by Acme (Manny), Olly by Bolt (Erin).
async fn scene() -> Scene {
    TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Engineering"))
        .cast()
        .people(&[
            ("sam@n.example", Role::Assessor),
            ("erin@n.example", Role::Employer),
        ])
        .employer("Bolt Fabrication", &["erin"])
        .enrol(NewEnrolment::amelia().dates(days_ago(120), days_ahead(245)))
        .enrol(
            NewEnrolment::olly()
                .iqa("iris")
                .employer("Bolt Fabrication")
                .manager("erin")
                .dates(days_ago(120), days_ahead(245)),
        )
        .build()
        .await
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[0] ^ seed)
        .collect()
}

fn form(enrolments: &[Uuid], roles: &str, file: Vec<u8>) -> Form {
    let ids: Vec<String> = enrolments.iter().map(Uuid::to_string).collect();
    Form::new()
        .text("enrolment_ids", ids.join(","))
        .text("roles", roles.to_owned())
        .text("title", "Apprenticeship agreement")
        .text("message", "Please read and sign.\nThanks, Tom")
        .part(
            "file",
            Part::bytes(file)
                .file_name("agreement.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
}

async fn post_form(app: &TestApp, token: &str, form: Form) -> Response {
    app.authed(Method::POST, "/api/v1/documents", token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Sends and returns the documents created.
async fn sent(s: &Scene, token: &str, enrolments: &[Uuid], roles: &str) -> Vec<Value> {
    let r = post_form(&s.app, token, form(enrolments, roles, content(4096, 7))).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    body["items"].as_array().unwrap().clone()
}

async fn call(s: &Scene, method: Method, path: &str, token: &str, body: Option<Value>) -> Response {
    let mut r = s.app.authed(method, path, token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

async fn ok(s: &Scene, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    let r = call(s, method.clone(), path, token, body).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

async fn sign(s: &Scene, doc: Uuid, token: &str, role: &str, name: &str) -> Response {
    call(
        s,
        Method::POST,
        &format!("/api/v1/documents/{doc}/signatures"),
        token,
        Some(json!({ "role": role, "typed_name": name })),
    )
    .await
}

async fn badge(s: &Scene, token: &str) -> u64 {
    let v = ok(s, Method::GET, "/api/v1/me/documents-to-sign", token, None).await;
    let count = v["count"].as_u64().unwrap();
    assert_eq!(count, v["items"].as_array().unwrap().len() as u64);
    count
}

fn state<'a>(doc: &'a Value, role: &str) -> &'a Value {
    doc["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["role"] == role)
        .unwrap_or_else(|| panic!("no {role} in {doc}"))
}

async fn audit_actions(s: &Scene) -> Vec<String> {
    sqlx::query_scalar(
        "select action from audit_log where tenant_id = $1 and entity_type = 'document'
         order by at, id",
    )
    .bind(s.tenant.id)
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn sent_to_two_learners_each_role_signs_once_and_the_badges_follow() {
    let s = scene().await;
    let other_learner = s.token("olly");
    let other_employer = s.token("erin");
    for token in [
        s.token("amelia"),
        other_learner,
        s.token("tom"),
        s.token("manny"),
    ] {
        assert_eq!(badge(&s, token).await, 0);
    }
    let docs = sent(
        &s,
        s.token("tom"),
        &[s.enrolment("amelia"), s.enrolment("olly")],
        "assessor, learner,employer",
    )
    .await;
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["enrolment_id"], s.enrolment("amelia").to_string());
    assert_eq!(docs[1]["enrolment_id"], s.enrolment("olly").to_string());
    assert_eq!(
        docs[0]["sha256"], docs[1]["sha256"],
        "one file, two documents"
    );
    let (doc, other_doc) = (id(&docs[0]), id(&docs[1]));
    assert_eq!(
        docs[0]["required_roles"],
        json!(["learner", "employer", "assessor"])
    );
    assert_eq!(docs[0]["fully_signed"], false);
    assert_eq!(docs[0]["message"], "Please read and sign.\nThanks, Tom");
    assert!(
        docs[0]["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["signed"] == false)
    );

    // Each learner's list shows their own document only.
    let list = ok(
        &s,
        Method::GET,
        &format!("/api/v1/enrolments/{}/documents", s.enrolment("amelia")),
        s.token("amelia"),
        None,
    )
    .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(id(&items[0]), doc);
    assert_eq!(list["awaiting_signature"], 1);
    assert_eq!(items[0]["title"], "Apprenticeship agreement");

    // The badges: each learner and each employer contact one, the assessor both.
    assert_eq!(badge(&s, s.token("amelia")).await, 1);
    assert_eq!(badge(&s, other_learner).await, 1);
    assert_eq!(badge(&s, s.token("manny")).await, 1);
    assert_eq!(badge(&s, other_employer).await, 1);
    assert_eq!(badge(&s, s.token("tom")).await, 2);
    assert_eq!(badge(&s, s.token("sam")).await, 0);
    assert_eq!(badge(&s, s.token("iris")).await, 0);
    let mine = ok(
        &s,
        Method::GET,
        "/api/v1/me/documents-to-sign",
        s.token("amelia"),
        None,
    )
    .await;
    assert_eq!(mine["items"][0]["roles_to_sign"], json!(["learner"]));
    assert_eq!(id(&mine["items"][0]["document"]), doc);

    // The learner signs as learner, once.
    let r = sign(&s, doc, s.token("amelia"), "learner", "  Amelia Hart ").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let signed: Value = r.json().await.unwrap();
    let learner_sig = state(&signed, "learner");
    assert_eq!(learner_sig["signed"], true);
    assert_eq!(learner_sig["typed_name"], "Amelia Hart");
    assert!(learner_sig["signed_at"].is_string());
    assert!(
        learner_sig["ip_address"].is_null(),
        "only staff see addresses"
    );
    assert_eq!(signed["fully_signed"], false);
    let again = sign(&s, doc, s.token("amelia"), "learner", "Amelia Hart").await;
    let p = problem(again, StatusCode::CONFLICT).await;
    assert_eq!(p["type"], "/problems/conflict");
    assert_eq!(badge(&s, s.token("amelia")).await, 0);
    assert_eq!(badge(&s, other_learner).await, 1);

    // Not for another role.
    for role in ["employer", "assessor"] {
        let r = sign(&s, doc, s.token("amelia"), role, "Amelia Hart").await;
        let p = problem(r, StatusCode::FORBIDDEN).await;
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("as {role}")),
            "{p}"
        );
    }
    // An employer contact signs only as employer.
    let r = sign(&s, doc, s.token("manny"), "learner", "Manny Patel").await;
    let p = problem(r, StatusCode::FORBIDDEN).await;
    assert!(p["detail"].as_str().unwrap().contains("learner"), "{p}");

    let r = sign(&s, doc, s.token("manny"), "employer", "Manny Patel").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(badge(&s, s.token("manny")).await, 0);
    assert_eq!(badge(&s, other_employer).await, 1);
    let r = sign(&s, doc, s.token("manny"), "employer", "Manny Patel").await;
    problem(r, StatusCode::CONFLICT).await;

    // The assessor signs last: the document is fully signed.
    let r = sign(&s, doc, s.token("tom"), "assessor", "Tom Reid").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["fully_signed"], true);
    assert_eq!(state(&done, "assessor")["typed_name"], "Tom Reid");
    assert_eq!(
        state(&done, "learner")["ip_address"],
        "127.0.0.1",
        "staff see the address each signature came from"
    );
    assert_eq!(badge(&s, s.token("tom")).await, 1);
    let r = sign(&s, doc, s.token("tom"), "assessor", "Tom Reid").await;
    problem(r, StatusCode::CONFLICT).await;
    let list = ok(
        &s,
        Method::GET,
        &format!("/api/v1/enrolments/{}/documents", s.enrolment("amelia")),
        &s.admin,
        None,
    )
    .await;
    assert_eq!(list["awaiting_signature"], 0);
    assert_eq!(list["items"][0]["fully_signed"], true);

    // Final: it cannot be withdrawn, and the database refuses any change to it.
    let r = call(
        &s,
        Method::POST,
        &format!("/api/v1/documents/{doc}/withdraw"),
        &s.admin,
        None,
    )
    .await;
    let p = problem(r, StatusCode::CONFLICT).await;
    assert!(
        p["detail"].as_str().unwrap().contains("fully signed"),
        "{p}"
    );
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    let err =
        sqlx::query("update documents set title = 'Changed' where tenant_id = $1 and id = $2")
            .bind(s.tenant.id)
            .bind(doc)
            .execute(tx.conn())
            .await
            .unwrap_err();
    assert!(err.to_string().contains("fully signed"), "{err}");
    drop(tx);
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    let err = sqlx::query("delete from document_signatures where tenant_id = $1")
        .bind(s.tenant.id)
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    drop(tx);

    // The other learner's document, partly signed, is withdrawn by the assessor.
    let r = sign(&s, other_doc, other_learner, "learner", "Olly Grant").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let withdrawn = ok(
        &s,
        Method::POST,
        &format!("/api/v1/documents/{other_doc}/withdraw"),
        s.token("tom"),
        None,
    )
    .await;
    assert_eq!(withdrawn["withdrawn"], true);
    assert!(withdrawn["withdrawn_at"].is_string());
    assert_eq!(badge(&s, other_employer).await, 0);
    assert_eq!(badge(&s, s.token("tom")).await, 0);
    let r = sign(&s, other_doc, other_employer, "employer", "Erin Cole").await;
    problem(r, StatusCode::CONFLICT).await;
    let r = call(
        &s,
        Method::POST,
        &format!("/api/v1/documents/{other_doc}/withdraw"),
        s.token("tom"),
        None,
    )
    .await;
    problem(r, StatusCode::CONFLICT).await;
    let path = format!("/api/v1/enrolments/{}/documents", s.enrolment("olly"));
    let list = ok(&s, Method::GET, &path, other_learner, None).await;
    assert_eq!(list["items"], json!([]));
    let list = ok(
        &s,
        Method::GET,
        &format!("{path}?include_withdrawn=true"),
        other_learner,
        None,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["awaiting_signature"], 0);

    // What was recorded, and audited.
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "select role, typed_name, host(ip_address) from document_signatures
         where tenant_id = $1 and document_id = $2 order by role",
    )
    .bind(s.tenant.id)
    .bind(doc)
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "assessor".into(),
                "Tom Reid".into(),
                Some("127.0.0.1".into())
            ),
            (
                "employer".into(),
                "Manny Patel".into(),
                Some("127.0.0.1".into())
            ),
            (
                "learner".into(),
                "Amelia Hart".into(),
                Some("127.0.0.1".into())
            ),
        ]
    );
    assert_eq!(
        audit_actions(&s).await,
        [
            "document.send",
            "document.send",
            "document.sign",
            "document.sign",
            "document.sign",
            "document.sign",
            "document.withdraw"
        ]
    );
    s.app.finish().await;
}

#[tokio::test]
async fn two_signatures_for_one_role_at_once_make_one() {
    let s = scene().await;
    let doc = id(&sent(&s, &s.admin, &[s.enrolment("amelia")], "learner").await[0]);
    let (a, b) = tokio::join!(
        sign(&s, doc, s.token("amelia"), "learner", "Amelia Hart"),
        sign(&s, doc, s.token("amelia"), "learner", "Amelia Hart"),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let count: i64 = sqlx::query_scalar(
        "select count(*) from document_signatures where tenant_id = $1 and document_id = $2",
    )
    .bind(s.tenant.id)
    .bind(doc)
    .fetch_one(&s.app.database.pool)
    .await
    .unwrap();
    assert_eq!(count, 1);
    // The unique constraint holds on its own, too.
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    let err = sqlx::query(
        "insert into document_signatures (tenant_id, id, document_id, role, signed_by, typed_name)
         select tenant_id, $3, document_id, role, signed_by, typed_name
         from document_signatures where tenant_id = $1 and document_id = $2",
    )
    .bind(s.tenant.id)
    .bind(doc)
    .bind(Uuid::now_v7())
    .execute(tx.conn())
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("document_signatures_role_key"),
        "{err}"
    );
    drop(tx);
    s.app.finish().await;
}

#[tokio::test]
async fn the_file_downloads_byte_identical_for_everyone_who_sees_it() {
    let s = scene().await;
    let assessor = s.token("tom");
    let file = content(300_000, 42);
    let r = post_form(
        &s.app,
        assessor,
        form(&[s.enrolment("amelia")], "learner", file.clone()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    let doc = &body["items"][0];
    assert_eq!(doc["size_bytes"], 300_000);
    assert_eq!(doc["file_name"], "agreement.pdf");
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["sha256"], hex::encode(Sha256::digest(&file)));
    let path = format!("/api/v1/documents/{}/file", id(doc));
    for token in [
        s.token("amelia"),
        s.token("manny"),
        assessor,
        s.token("iris"),
        s.token("audrey"),
        &s.admin,
    ] {
        let r = call(&s, Method::GET, &path, token, None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.bytes().await.unwrap().as_ref(), file.as_slice());
    }
    s.app.finish().await;
}

#[tokio::test]
async fn staff_who_only_read_can_read_and_nobody_else_sees_anything() {
    let s = scene().await;
    let other_assessor = s.token("sam");
    let other_employer = s.token("erin");
    let doc = id(&sent(
        &s,
        &s.admin,
        &[s.enrolment("amelia")],
        "learner,employer,assessor",
    )
    .await[0]);
    let get = format!("/api/v1/documents/{doc}");
    let file = format!("{get}/file");
    let list = format!("/api/v1/enrolments/{}/documents", s.enrolment("amelia"));
    let withdraw = format!("{get}/withdraw");

    // IQA and auditor read everything, send and withdraw nothing, sign nothing.
    for token in [s.token("iris"), s.token("audrey")] {
        for path in [&get, &file, &list] {
            let r = call(&s, Method::GET, path, token, None).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
        }
        let r = post_form(
            &s.app,
            token,
            form(&[s.enrolment("amelia")], "learner", content(10, 1)),
        )
        .await;
        problem(r, StatusCode::FORBIDDEN).await;
        let r = call(&s, Method::POST, &withdraw, token, None).await;
        problem(r, StatusCode::FORBIDDEN).await;
        let r = sign(&s, doc, token, "assessor", "Someone Else").await;
        problem(r, StatusCode::FORBIDDEN).await;
    }
    // Learners and employers cannot send or withdraw.
    for token in [s.token("amelia"), s.token("manny")] {
        let r = post_form(
            &s.app,
            token,
            form(&[s.enrolment("amelia")], "learner", content(10, 1)),
        )
        .await;
        problem(r, StatusCode::FORBIDDEN).await;
        let r = call(&s, Method::POST, &withdraw, token, None).await;
        problem(r, StatusCode::FORBIDDEN).await;
    }
    // An assessor can send only to their own caseload.
    let r = post_form(
        &s.app,
        other_assessor,
        form(&[s.enrolment("amelia")], "learner", content(10, 1)),
    )
    .await;
    problem(r, StatusCode::NOT_FOUND).await;

    // Another organisation's employer contact, another learner, another assessor: 404
    // on every endpoint, as if the document did not exist.
    for token in [other_employer, s.token("olly"), other_assessor] {
        for path in [&get, &file, &list] {
            let r = call(&s, Method::GET, path, token, None).await;
            problem(r, StatusCode::NOT_FOUND).await;
        }
        let r = call(&s, Method::POST, &withdraw, token, None).await;
        problem(r, StatusCode::NOT_FOUND).await;
        for role in ["learner", "employer", "assessor"] {
            let r = sign(&s, doc, token, role, "Someone Else").await;
            problem(r, StatusCode::NOT_FOUND).await;
        }
    }
    assert_eq!(badge(&s, other_employer).await, 0);
    let unchanged = ok(&s, Method::GET, &get, &s.admin, None).await;
    assert!(
        unchanged["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["signed"] == false)
    );
    assert_eq!(unchanged["withdrawn"], false);
    s.app.finish().await;
}

#[tokio::test]
async fn another_organisation_gets_404_on_every_endpoint() {
    let s = scene().await;
    let doc = id(&sent(
        &s,
        s.token("tom"),
        &[s.enrolment("amelia")],
        "learner,employer,assessor",
    )
    .await[0]);
    let (tenant_b, _, b_admin) = s.app.tenant_with_admin("tenant-b").await;
    s.app
        .user(
            &tenant_b,
            "assessor@b.example",
            &[Role::Assessor, Role::Learner, Role::Employer],
        )
        .await;
    let b_all_roles = s.app.login(&tenant_b, "assessor@b.example").await;
    let before = ok(
        &s,
        Method::GET,
        &format!("/api/v1/documents/{doc}"),
        &s.admin,
        None,
    )
    .await;

    for token in [&b_admin, &b_all_roles] {
        for path in [
            format!("/api/v1/documents/{doc}"),
            format!("/api/v1/documents/{doc}/file"),
            format!("/api/v1/enrolments/{}/documents", s.enrolment("amelia")),
        ] {
            let r = call(&s, Method::GET, &path, token, None).await;
            let p = problem(r, StatusCode::NOT_FOUND).await;
            assert_eq!(p["type"], "/problems/not-found", "{path}");
        }
        let r = call(
            &s,
            Method::POST,
            &format!("/api/v1/documents/{doc}/withdraw"),
            token,
            None,
        )
        .await;
        problem(r, StatusCode::NOT_FOUND).await;
        for role in ["learner", "employer", "assessor"] {
            let r = sign(&s, doc, token, role, "Intruder").await;
            problem(r, StatusCode::NOT_FOUND).await;
        }
        let r = post_form(
            &s.app,
            token,
            form(&[s.enrolment("amelia")], "learner", content(10, 1)),
        )
        .await;
        problem(r, StatusCode::NOT_FOUND).await;
        assert_eq!(badge(&s, token).await, 0);
    }

    let after = ok(
        &s,
        Method::GET,
        &format!("/api/v1/documents/{doc}"),
        &s.admin,
        None,
    )
    .await;
    assert_eq!(before, after);
    assert_eq!(audit_actions(&s).await, ["document.send"]);
    s.app.finish().await;
}

#[tokio::test]
async fn bad_input_is_422_naming_the_field_and_stores_nothing() {
    let s = scene().await;
    let e = s.enrolment("amelia").to_string();
    let file = || {
        Part::bytes(content(100, 3))
            .file_name("a.pdf")
            .mime_str("application/pdf")
            .unwrap()
    };
    let cases: Vec<(Form, &[&str])> = vec![
        (
            Form::new()
                .text("enrolment_ids", e.clone())
                .text("roles", "learner")
                .text("title", "No file"),
            &["file"],
        ),
        (
            Form::new()
                .text("enrolment_ids", e.clone())
                .text("roles", " , ")
                .text("title", "Empty roles")
                .part("file", file()),
            &["roles"],
        ),
        (
            Form::new()
                .text("enrolment_ids", e.clone())
                .text("title", "Missing roles")
                .part("file", file()),
            &["roles"],
        ),
        (
            Form::new()
                .text("enrolment_ids", e.clone())
                .text("roles", "learner,iqa")
                .text("title", "Unknown role")
                .part("file", file()),
            &["roles"],
        ),
        (
            Form::new()
                .text("roles", "learner")
                .text("title", "No learners")
                .part("file", file()),
            &["enrolment_ids"],
        ),
        (
            Form::new()
                .text("enrolment_ids", format!("{e},not-a-uuid"))
                .text("roles", "learner")
                .text("title", "Bad id")
                .part("file", file()),
            &["enrolment_ids[1]"],
        ),
        (
            Form::new()
                .text("enrolment_ids", e.clone())
                .text("roles", "learner")
                .text("title", "x".repeat(201))
                .part("file", file()),
            &["title"],
        ),
        (
            Form::new()
                .text("enrolment_ids", e.clone())
                .text("roles", "learner")
                .part("file", file()),
            &["title"],
        ),
        (
            Form::new()
                .text("enrolment_ids", e.clone())
                .text("roles", "learner")
                .text("title", "Empty file")
                .part("file", Part::bytes(Vec::new()).file_name("a.pdf")),
            &["file"],
        ),
        (
            Form::new().text("roles", "boss").text("title", " "),
            &["enrolment_ids", "roles", "title", "file"],
        ),
    ];
    for (form, expected) in cases {
        let r = post_form(&s.app, s.token("tom"), form).await;
        let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), expected, "{p}");
    }
    assert_eq!(s.app.stored_files(), 0, "nothing stored");
    let count: i64 = sqlx::query_scalar("select count(*) from documents")
        .fetch_one(&s.app.database.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);

    // Signing: the typed name and the role are checked.
    let doc = id(&sent(&s, s.token("tom"), &[s.enrolment("amelia")], "learner").await[0]);
    for (body, field) in [
        (
            json!({ "role": "learner", "typed_name": "   " }),
            "typed_name",
        ),
        (json!({ "role": "learner", "typed_name": "" }), "typed_name"),
        (
            json!({ "role": "learner", "typed_name": "a".repeat(201) }),
            "typed_name",
        ),
        (
            json!({ "role": "learner", "typed_name": "Amelia\nHart" }),
            "typed_name",
        ),
        (json!({ "role": "learner" }), "typed_name"),
        (
            json!({ "role": "iqa", "typed_name": "Amelia Hart" }),
            "role",
        ),
        (json!({ "typed_name": "Amelia Hart" }), "role"),
    ] {
        let r = call(
            &s,
            Method::POST,
            &format!("/api/v1/documents/{doc}/signatures"),
            s.token("amelia"),
            Some(body.clone()),
        )
        .await;
        let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), [field], "{body}: {p}");
    }
    // The assessor may sign as assessor, but this document does not need it.
    let r = sign(&s, doc, s.token("tom"), "assessor", "Tom Reid").await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["role"]);
    // A name of exactly 200 characters is fine.
    let r = sign(&s, doc, s.token("amelia"), "learner", &"a".repeat(200)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    s.app.finish().await;
}
