//! Internal comments on a learner: admins and the learner's assessor and IQA write and
//! read them, auditors read them, each author alone edits theirs, authors and admins
//! delete; the learner and their employer get 404 for the list and for a comment that
//! exists, exactly as for one that does not, so they never learn that comments exist;
//! another organisation gets 404 from every endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, Scene};
use folio_tests::{TestApp, fields, id, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// The cast with Amelia's enrolment (assessor, IQA, employer and manager set) and Olly's
/// (Tom's too), and Tess, an assessor with another caseload.
async fn scene() -> Scene {
    TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Engineering"))
        .cast()
        .person("tess@n.example", Role::Assessor)
        .enrol(NewEnrolment::amelia())
        .enrol(NewEnrolment::olly())
        .build()
        .await
}

async fn comment(s: &Scene, token: &str, text: &str) -> Value {
    let r = s
        .app
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{}/comments", s.enrolment("amelia")),
            token,
            Some(json!({ "text": text })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

fn ids(list: &Value) -> Vec<Uuid> {
    list["items"].as_array().unwrap().iter().map(id).collect()
}

async fn audit(s: &Scene) -> Vec<(String, Option<Uuid>, Value)> {
    sqlx::query_as(
        "select action, entity_id, details from audit_log
         where tenant_id = $1 and entity_type = 'internal_comment' order by id",
    )
    .bind(s.tenant.id)
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap()
}

async fn comments_in_db(s: &Scene) -> Vec<(Uuid, String)> {
    sqlx::query_as("select id, body from internal_comments where tenant_id = $1 order by id")
        .bind(s.tenant.id)
        .fetch_all(&s.app.database.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_write_and_read_internal_comments_newest_first() {
    let s = scene().await;
    let app = &s.app;
    let assessor = s.token("tom");
    let iqa = s.token("iris");
    let list = format!("/api/v1/enrolments/{}/comments", s.enrolment("amelia"));

    let by_assessor = comment(
        &s,
        assessor,
        "  Struggling with maths;\r\nbook extra support.  ",
    )
    .await;
    assert_eq!(
        by_assessor["text"], "Struggling with maths;\nbook extra support.",
        "trimmed, line endings normalised"
    );
    assert_eq!(by_assessor["author_id"], json!(s.id("tom")));
    assert_eq!(by_assessor["author_name"], "Person tom@n.example");
    assert_eq!(by_assessor["enrolment_id"], json!(s.enrolment("amelia")));
    assert_eq!(by_assessor["edited"], false);
    let by_iqa = comment(&s, iqa, "Sampled unit 3.").await;
    let by_admin = comment(&s, &s.admin, "Funding query raised.").await;
    let newest_first = [id(&by_admin), id(&by_iqa), id(&by_assessor)];

    for token in [&s.admin, assessor, iqa, s.token("audrey")] {
        let listed = app.ok(Method::GET, &list, token, None).await;
        assert_eq!(ids(&listed), newest_first);
        assert_eq!(listed["next_cursor"], Value::Null);
        let one = app
            .ok(
                Method::GET,
                &format!("/api/v1/comments/{}", id(&by_iqa)),
                token,
                None,
            )
            .await;
        assert_eq!(one, by_iqa);
    }
    // Cursor pagination.
    let first = app
        .ok(Method::GET, &format!("{list}?limit=2"), &s.admin, None)
        .await;
    assert_eq!(ids(&first), newest_first[..2]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = app
        .ok(
            Method::GET,
            &format!("{list}?limit=2&cursor={cursor}"),
            &s.admin,
            None,
        )
        .await;
    assert_eq!(ids(&rest), newest_first[2..]);
    assert_eq!(rest["next_cursor"], Value::Null);

    // Text limits, named.
    for (text, what) in [
        (json!(""), "empty"),
        (json!(" \n "), "blank"),
        (json!("x".repeat(5001)), "too long"),
        (json!("a\u{7}b"), "control character"),
        (json!(12), "not text"),
    ] {
        let r = app
            .send(Method::POST, &list, assessor, Some(json!({ "text": text })))
            .await;
        let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), ["text"], "{what}");
    }
    let r = app
        .send(Method::POST, &list, assessor, Some(json!({})))
        .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["text"]
    );
    let longest = comment(&s, assessor, &"x".repeat(5000)).await;
    assert_eq!(longest["text"].as_str().unwrap().len(), 5000);

    // Audited with ids and lengths, never the text.
    let rows = audit(&s).await;
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|(a, _, _)| a == "internal_comment.create"));
    assert_eq!(rows[0].1, Some(id(&by_assessor)));
    assert_eq!(rows[0].2["enrolment_id"], json!(s.enrolment("amelia")));
    assert_eq!(rows[0].2["chars"], 42);
    for (_, _, details) in &rows {
        let text = details.to_string();
        assert!(!text.contains("maths") && !text.contains("xxx"), "{text}");
    }
    s.app.finish().await;
}

#[tokio::test]
async fn the_learner_and_their_employer_never_learn_comments_exist() {
    let s = scene().await;
    let app = &s.app;
    let learner = s.token("amelia");
    let e = s.enrolment("amelia");
    let existing = id(&comment(&s, s.token("tom"), "Concerned about attendance.").await);
    let missing = Uuid::now_v7();
    let not_found = |path: String, token: String| async move {
        let r = app.send(Method::GET, &path, &token, None).await;
        problem(r, StatusCode::NOT_FOUND).await
    };
    // The problem for a comment that exists is exactly the one for an id that does not.
    let reference = not_found(format!("/api/v1/comments/{missing}"), learner.to_owned()).await;
    assert_eq!(reference["type"], "/problems/not-found");
    for token in [learner, s.token("manny"), s.token("olly"), s.token("tess")] {
        for path in [
            format!("/api/v1/comments/{existing}"),
            format!("/api/v1/comments/{missing}"),
            format!("/api/v1/enrolments/{e}/comments"),
        ] {
            assert_eq!(
                not_found(path.clone(), token.to_owned()).await,
                reference,
                "{path}"
            );
        }
        for (method, path, body) in [
            (
                Method::POST,
                format!("/api/v1/enrolments/{e}/comments"),
                Some(json!({ "text": "Let me in" })),
            ),
            (
                Method::PUT,
                format!("/api/v1/comments/{existing}"),
                Some(json!({ "text": "Changed" })),
            ),
            (Method::DELETE, format!("/api/v1/comments/{existing}"), None),
        ] {
            let r = app.send(method.clone(), &path, token, body).await;
            assert_eq!(
                problem(r, StatusCode::NOT_FOUND).await,
                reference,
                "{method} {path}"
            );
        }
    }
    // Nothing changed.
    assert_eq!(
        comments_in_db(&s).await,
        [(existing, "Concerned about attendance.".to_owned())]
    );
    s.app.finish().await;
}

#[tokio::test]
async fn only_the_author_edits_and_the_author_or_an_admin_deletes() {
    let s = scene().await;
    let app = &s.app;
    let assessor = s.token("tom");
    let iqa = s.token("iris");
    let e = s.enrolment("amelia");
    let mine = comment(&s, assessor, "First thoughts.").await;
    let m = id(&mine);
    let path = format!("/api/v1/comments/{m}");

    // Nobody but the author edits; the auditor writes nothing.
    for token in [iqa, &s.admin, s.token("audrey")] {
        let r = app
            .send(
                Method::PUT,
                &path,
                token,
                Some(json!({ "text": "Mine now" })),
            )
            .await;
        problem(r, StatusCode::FORBIDDEN).await;
    }
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/comments"),
            s.token("audrey"),
            Some(json!({ "text": "Observed" })),
        )
        .await;
    problem(r, StatusCode::FORBIDDEN).await;
    for token in [iqa, s.token("audrey")] {
        let r = app.send(Method::DELETE, &path, token, None).await;
        problem(r, StatusCode::FORBIDDEN).await;
    }
    // The author edits, with the text checked.
    let r = app
        .send(Method::PUT, &path, assessor, Some(json!({ "text": "" })))
        .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["text"]
    );
    let edited = app
        .ok(
            Method::PUT,
            &path,
            assessor,
            Some(json!({ "text": "Second thoughts." })),
        )
        .await;
    assert_eq!(edited["text"], "Second thoughts.");
    assert_eq!(edited["edited"], true);
    assert_eq!(edited["created_at"], mine["created_at"]);
    let seen = app.ok(Method::GET, &path, iqa, None).await;
    assert_eq!(seen, edited);

    // The author deletes theirs; an admin deletes anyone's.
    let r = app.send(Method::DELETE, &path, assessor, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    problem(
        app.send(Method::GET, &path, assessor, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let iqas = id(&comment(&s, iqa, "IQA note.").await);
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/comments/{iqas}"),
            assessor,
            None,
        )
        .await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/comments/{iqas}"),
            &s.admin,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(comments_in_db(&s).await.is_empty());

    let rows = audit(&s).await;
    let actions: Vec<&str> = rows.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "internal_comment.create",
            "internal_comment.update",
            "internal_comment.delete",
            "internal_comment.create",
            "internal_comment.delete",
        ]
    );
    assert_eq!(rows[1].2["chars_before"], 15);
    assert_eq!(rows[1].2["chars"], 16);
    assert_eq!(rows[4].1, Some(iqas));
    assert_eq!(
        rows[4].2["author_id"],
        json!(s.id("iris")),
        "the admin deleted the IQA's"
    );
    s.app.finish().await;
}

#[tokio::test]
async fn another_organisation_gets_404_from_every_endpoint() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment("amelia");
    let c = id(&comment(&s, s.token("tom"), "Private note.").await);
    let (other_tenant, _, other_admin) = app.tenant_with_admin("southgate").await;
    app.user(&other_tenant, "sam@s.example", &[Role::Assessor])
        .await;
    let other_assessor = app.login(&other_tenant, "sam@s.example").await;
    for token in [&other_admin, &other_assessor] {
        for (method, path, body) in [
            (
                Method::POST,
                format!("/api/v1/enrolments/{e}/comments"),
                Some(json!({ "text": "Hello" })),
            ),
            (
                Method::GET,
                format!("/api/v1/enrolments/{e}/comments"),
                None,
            ),
            (Method::GET, format!("/api/v1/comments/{c}"), None),
            (
                Method::PUT,
                format!("/api/v1/comments/{c}"),
                Some(json!({ "text": "Hijacked" })),
            ),
            (Method::DELETE, format!("/api/v1/comments/{c}"), None),
        ] {
            let r = app.send(method.clone(), &path, token, body).await;
            let p = problem(r, StatusCode::NOT_FOUND).await;
            assert_eq!(p["type"], "/problems/not-found", "{method} {path}");
        }
    }
    assert_eq!(comments_in_db(&s).await, [(c, "Private note.".to_owned())]);
    assert_eq!(audit(&s).await.len(), 1);
    s.app.finish().await;
}
