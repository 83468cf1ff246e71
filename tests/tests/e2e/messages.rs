//! Messages: a learner writes to their assessor or IQA, and they to the learner; each
//! answers the other in a thread; the message is listed for both sides, opening it marks it
//! read, and exactly one email is queued in the outbox in the same transaction; 422 naming
//! the field for a missing recipient or bad text; nobody else — another learner, staff not
//! party to it, another organisation — learns it exists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, Scene};
use folio_tests::{TestApp, fields, id, problem};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// The cast with Amelia's enrolment (assessor, IQA, employer and manager set) and Olly's
/// (an assessor only, the same).
async fn scene() -> Scene {
    TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Engineering"))
        .cast()
        .enrol(NewEnrolment::amelia())
        .enrol(NewEnrolment::olly())
        .build()
        .await
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    app.ok(Method::GET, path, token, None).await
}

/// Writes a message as `token` and returns the response.
async fn write(s: &Scene, token: &str, enrolment: Uuid, to: &str, subject: &str) -> Response {
    s.app
        .send(
            Method::POST,
            "/api/v1/messages",
            token,
            Some(json!({
                "enrolment_id": enrolment, "to": to, "subject": subject,
                "body": "Hello,\n\nCould we move my review to Friday?\n\nAmelia"
            })),
        )
        .await
}

async fn written(s: &Scene, to: &str, subject: &str) -> Value {
    let r = write(s, s.token("amelia"), s.enrolment("amelia"), to, subject).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

fn ids(list: &Value) -> Vec<Uuid> {
    list["items"].as_array().unwrap().iter().map(id).collect()
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct OutboxRow {
    dedup_key: String,
    to_user_id: Uuid,
    to_address: String,
    template: String,
    status: String,
    attempts: i32,
    data: Value,
}

async fn outbox(s: &Scene) -> Vec<OutboxRow> {
    sqlx::query_as(
        "select dedup_key, to_user_id, to_address, template, status, attempts, data
         from email_outbox where tenant_id = $1 order by id",
    )
    .bind(s.tenant.id)
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap()
}

async fn count(s: &Scene, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select count(*) from {table} where tenant_id = $1"
    )))
    .bind(s.tenant.id)
    .fetch_one(&s.app.database.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_learner_writes_to_their_assessor_and_iqa_and_both_sides_see_it() {
    let s = scene().await;
    let app = &s.app;
    let auditor = s.token("audrey");
    let e = s.enrolment("amelia");

    let to_assessor = written(&s, "assessor", "  Review date  ").await;
    assert_eq!(to_assessor["to"], "assessor");
    assert_eq!(to_assessor["subject"], "Review date", "trimmed");
    assert_eq!(
        to_assessor["body"],
        "Hello,\n\nCould we move my review to Friday?\n\nAmelia"
    );
    assert_eq!(to_assessor["enrolment_id"], json!(e));
    assert_eq!(to_assessor["sender_id"], json!(s.id("amelia")));
    assert_eq!(to_assessor["sender_name"], "Person amelia@n.example");
    assert_eq!(to_assessor["recipient_id"], json!(s.id("tom")));
    assert_eq!(to_assessor["recipient_name"], "Person tom@n.example");
    assert_eq!(to_assessor["read_at"], Value::Null);
    let to_iqa = written(&s, "iqa", "Sampling").await;
    assert_eq!(to_iqa["to"], "iqa");
    assert_eq!(to_iqa["recipient_id"], json!(s.id("iris")));
    let (a, i) = (id(&to_assessor), id(&to_iqa));

    // Exactly one email per message, to the recipient's address, pending for the workers.
    let rows = outbox(&s).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (row, message, user, address) in [
        (&rows[0], &to_assessor, s.id("tom"), "tom@n.example"),
        (&rows[1], &to_iqa, s.id("iris"), "iris@n.example"),
    ] {
        assert_eq!(row.dedup_key, format!("message:{}", id(message)));
        assert_eq!(row.to_user_id, user);
        assert_eq!(row.to_address, address);
        assert_eq!(row.template, "message_received");
        assert_eq!(row.status, "pending");
        assert_eq!(row.attempts, 0);
        assert_eq!(row.data["message_id"], message["id"]);
        assert_eq!(row.data["enrolment_id"], json!(e));
        assert_eq!(row.data["subject"], message["subject"]);
        assert_eq!(row.data["body"], message["body"]);
        assert_eq!(row.data["learner_name"], "Person amelia@n.example");
        assert_eq!(row.data["sender_name"], "Person amelia@n.example");
        assert_eq!(row.data["reply"], false);
        assert_eq!(row.data["course_title"], "Engineering");
    }

    // The learner sees what they sent; each recipient what was written to them.
    assert_eq!(
        ids(&get(app, "/api/v1/messages", s.token("amelia")).await),
        [i, a]
    );
    assert_eq!(
        ids(&get(app, "/api/v1/messages?folder=sent", s.token("amelia")).await),
        [i, a]
    );
    assert!(ids(&get(app, "/api/v1/messages?folder=received", s.token("amelia")).await).is_empty());
    assert_eq!(
        ids(&get(app, "/api/v1/messages", s.token("tom")).await),
        [a]
    );
    assert_eq!(
        ids(&get(
            app,
            "/api/v1/messages?folder=received&unread=true",
            s.token("tom")
        )
        .await),
        [a]
    );
    assert!(ids(&get(app, "/api/v1/messages?folder=sent", s.token("tom")).await).is_empty());
    assert_eq!(
        ids(&get(app, "/api/v1/messages", s.token("iris")).await),
        [i]
    );
    // Filtered per enrolment.
    assert_eq!(
        ids(&get(
            app,
            &format!("/api/v1/messages?enrolment_id={e}"),
            s.token("tom")
        )
        .await),
        [a]
    );
    let other = s.enrolment("olly");
    assert!(
        ids(&get(
            app,
            &format!("/api/v1/messages?enrolment_id={other}"),
            s.token("tom")
        )
        .await)
        .is_empty()
    );
    // The enrolment's messages: all for admins and auditors, one's own for everyone else.
    let of_enrolment = format!("/api/v1/enrolments/{e}/messages");
    assert_eq!(ids(&get(app, &of_enrolment, &s.admin).await), [i, a]);
    assert_eq!(ids(&get(app, &of_enrolment, auditor).await), [i, a]);
    assert_eq!(
        ids(&get(app, &of_enrolment, s.token("amelia")).await),
        [i, a]
    );
    assert_eq!(ids(&get(app, &of_enrolment, s.token("tom")).await), [a]);
    assert_eq!(ids(&get(app, &of_enrolment, s.token("iris")).await), [i]);
    assert!(ids(&get(app, &of_enrolment, s.token("manny")).await).is_empty());

    // Cursor pagination, newest first.
    let first = get(app, &format!("{of_enrolment}?limit=1"), &s.admin).await;
    assert_eq!(ids(&first), [i]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = get(
        app,
        &format!("{of_enrolment}?limit=1&cursor={cursor}"),
        &s.admin,
    )
    .await;
    assert_eq!(ids(&second), [a]);
    assert_eq!(second["next_cursor"], Value::Null);
    let mine = get(app, "/api/v1/messages?limit=1", s.token("amelia")).await;
    assert_eq!(ids(&mine), [i]);
    assert!(mine["next_cursor"].is_string());

    // The sender, admins and auditors opening it do not mark it read.
    for token in [s.token("amelia"), &s.admin, auditor] {
        let m = get(app, &format!("/api/v1/messages/{a}"), token).await;
        assert_eq!(m["read_at"], Value::Null);
        assert_eq!(m["subject"], "Review date");
    }
    // The recipient opening it does, once.
    let read = get(app, &format!("/api/v1/messages/{a}"), s.token("tom")).await;
    let read_at = read["read_at"].as_str().unwrap().to_owned();
    let again = get(app, &format!("/api/v1/messages/{a}"), s.token("tom")).await;
    assert_eq!(again["read_at"], json!(read_at));
    let seen = get(app, &format!("/api/v1/messages/{a}"), s.token("amelia")).await;
    assert_eq!(
        seen["read_at"],
        json!(read_at),
        "the sender sees it was read"
    );
    assert!(ids(&get(app, "/api/v1/messages?unread=true", s.token("tom")).await).is_empty());
    assert_eq!(
        ids(&get(app, "/api/v1/messages?unread=true", s.token("iris")).await),
        [i]
    );
    let iqa_view = get(app, &format!("/api/v1/messages/{i}"), s.token("iris")).await;
    assert!(iqa_view["read_at"].is_string());

    // Audited by id and length only: no subject or text in the log.
    let audit: Vec<(String, Option<Uuid>, Value)> = sqlx::query_as(
        "select action, entity_id, details from audit_log
         where tenant_id = $1 and entity_type = 'message' order by id",
    )
    .bind(s.tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "message.send",
            "message.send",
            "message.read",
            "message.read"
        ]
    );
    assert_eq!(audit[0].1, Some(a));
    assert_eq!(audit[0].2["subject_chars"], 11);
    assert_eq!(audit[0].2["email_queued"], true);
    for (_, _, details) in &audit {
        let text = details.to_string();
        assert!(
            !text.contains("Review") && !text.contains("Friday"),
            "{text}"
        );
    }
    // Reading queued nothing more.
    assert_eq!(outbox(&s).await.len(), 2);
    s.app.finish().await;
}

#[tokio::test]
async fn a_missing_recipient_or_bad_text_is_422_naming_the_field_and_writes_nothing() {
    let s = scene().await;
    let app = &s.app;
    let learner = s.token("amelia");
    let other_learner = s.token("olly");
    let e = s.enrolment("amelia");
    let post = |token: &str, body: Value| {
        let token = token.to_owned();
        async move {
            app.send(Method::POST, "/api/v1/messages", &token, Some(body))
                .await
        }
    };
    let valid =
        || json!({ "enrolment_id": e, "to": "assessor", "subject": "Hello", "body": "Text" });
    // Olly's enrolment has no IQA.
    let r = post(
        other_learner,
        json!({ "enrolment_id": s.enrolment("olly"), "to": "iqa", "subject": "Hi", "body": "Text" }),
    )
    .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["to"]);
    assert!(p["errors"][0]["detail"].as_str().unwrap().contains("IQA"));

    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("empty subject", json!(""), vec!["subject"]),
        ("blank subject", json!("   "), vec!["subject"]),
        ("long subject", json!("s".repeat(201)), vec!["subject"]),
        ("two-line subject", json!("a\nb"), vec!["subject"]),
        ("subject not text", json!(7), vec!["subject"]),
    ];
    for (what, subject, expected) in cases {
        let mut body = valid();
        body["subject"] = subject;
        let p = problem(post(learner, body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), expected, "{what}");
    }
    for (what, text, expected) in [
        ("empty body", json!(""), vec!["body"]),
        ("blank body", json!("\n\t "), vec!["body"]),
        ("long body", json!("b".repeat(10_001)), vec!["body"]),
        ("NUL in body", json!("a\u{0}b"), vec!["body"]),
    ] {
        let mut body = valid();
        body["body"] = text;
        let p = problem(post(learner, body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), expected, "{what}");
    }
    let mut body = valid();
    body["to"] = json!("employer");
    let p = problem(post(learner, body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["to"]);
    let mut body = valid();
    body.as_object_mut().unwrap().remove("enrolment_id");
    let p = problem(post(learner, body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["enrolment_id"]);
    // Every field at fault at once.
    let p = problem(
        post(
            other_learner,
            json!({ "enrolment_id": s.enrolment("olly"), "to": "iqa", "subject": "", "body": "" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["to", "subject", "body"]);
    // Lists: a bad cursor or limit.
    let r = app
        .send(Method::GET, "/api/v1/messages?cursor=nope", learner, None)
        .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["cursor"]
    );
    let r = app
        .send(
            Method::GET,
            &format!("/api/v1/enrolments/{e}/messages?limit=0"),
            learner,
            None,
        )
        .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["limit"]
    );
    assert_eq!(count(&s, "messages").await, 0);
    assert_eq!(count(&s, "email_outbox").await, 0);

    // The longest subject and text are kept whole.
    let mut body = valid();
    body["subject"] = json!("é".repeat(200));
    body["body"] = json!("b".repeat(10_000));
    let r = post(learner, body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["subject"].as_str().unwrap().chars().count(), 200);
    assert_eq!(m["body"].as_str().unwrap().len(), 10_000);

    // A deactivated assessor cannot be written to.
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/users/{}/deactivate", s.id("tom")),
            &s.admin,
            None,
        )
        .await;
    assert!(r.status().is_success());
    let p = problem(
        post(learner, valid()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["to"]);
    assert_eq!(count(&s, "messages").await, 1);
    assert_eq!(count(&s, "email_outbox").await, 1);
    s.app.finish().await;
}

#[tokio::test]
async fn only_the_learner_and_their_assessor_and_iqa_write_and_nobody_else_learns_a_message_exists()
{
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment("amelia");
    let m = id(&written(&s, "iqa", "For the IQA").await);

    // The admin, the employer and the auditor see the enrolment but are not a party to its
    // conversations.
    for token in [&s.admin, s.token("manny"), s.token("audrey")] {
        for to in ["assessor", "learner"] {
            let r = write(&s, token, e, to, "Hi").await;
            problem(r, StatusCode::FORBIDDEN).await;
        }
    }
    // Her assessor and IQA write to her, not to each other as if they were her.
    for token in [s.token("tom"), s.token("iris")] {
        let r = write(&s, token, e, "assessor", "Hi").await;
        let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), ["to"]);
    }
    // And she does not write to herself.
    let r = write(&s, s.token("amelia"), e, "learner", "Hi").await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["to"]);
    // Another learner cannot write about, or read, Amelia's.
    let r = write(&s, s.token("olly"), e, "assessor", "Hi").await;
    problem(r, StatusCode::NOT_FOUND).await;
    let missing = Uuid::now_v7();
    let not_found = problem(
        app.send(
            Method::GET,
            &format!("/api/v1/messages/{missing}"),
            s.token("amelia"),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Only its sender, its recipient, admins and auditors read it: to anyone else it is
    // exactly like an id that does not exist.
    for token in [s.token("olly"), s.token("tom"), s.token("manny")] {
        for path in [
            format!("/api/v1/messages/{m}"),
            format!("/api/v1/messages/{m}/thread"),
        ] {
            let r = app.send(Method::GET, &path, token, None).await;
            assert_eq!(problem(r, StatusCode::NOT_FOUND).await, not_found, "{path}");
        }
        let r = app
            .send(
                Method::POST,
                &format!("/api/v1/messages/{m}/replies"),
                token,
                Some(json!({ "body": "Not mine to answer" })),
            )
            .await;
        assert_eq!(problem(r, StatusCode::NOT_FOUND).await, not_found);
    }
    let r = app
        .send(
            Method::GET,
            &format!("/api/v1/enrolments/{e}/messages"),
            s.token("olly"),
            None,
        )
        .await;
    problem(r, StatusCode::NOT_FOUND).await;
    assert!(ids(&get(app, "/api/v1/messages", s.token("olly")).await).is_empty());
    assert!(
        ids(&get(
            app,
            &format!("/api/v1/messages?enrolment_id={e}"),
            s.token("manny")
        )
        .await)
        .is_empty()
    );

    // Another organisation: 404 for every endpoint, and nothing listed.
    let (other_tenant, _, other_admin) = app.tenant_with_admin("southgate").await;
    app.user(&other_tenant, "sam@s.example", &[Role::Learner])
        .await;
    let other_learner = app.login(&other_tenant, "sam@s.example").await;
    for token in [&other_admin, &other_learner] {
        let r = write(&s, token, e, "assessor", "Hi").await;
        problem(r, StatusCode::NOT_FOUND).await;
        for path in [
            format!("/api/v1/messages/{m}"),
            format!("/api/v1/messages/{m}/thread"),
            format!("/api/v1/enrolments/{e}/messages"),
        ] {
            let r = app.send(Method::GET, &path, token, None).await;
            problem(r, StatusCode::NOT_FOUND).await;
        }
        let r = app
            .send(
                Method::POST,
                &format!("/api/v1/messages/{m}/replies"),
                token,
                Some(json!({ "body": "Hijacked" })),
            )
            .await;
        problem(r, StatusCode::NOT_FOUND).await;
        for path in [
            "/api/v1/messages".to_owned(),
            format!("/api/v1/messages?enrolment_id={e}"),
        ] {
            assert!(ids(&get(app, &path, token).await).is_empty());
        }
    }
    // Still one message, unread, and one email.
    assert_eq!(count(&s, "messages").await, 1);
    assert_eq!(outbox(&s).await.len(), 1);
    let still = get(app, &format!("/api/v1/messages/{m}"), &s.admin).await;
    assert_eq!(still["read_at"], Value::Null);
    s.app.finish().await;
}

/// Answers message `m` as `token`.
async fn reply(s: &Scene, token: &str, m: Uuid, body: &str) -> Response {
    s.app
        .send(
            Method::POST,
            &format!("/api/v1/messages/{m}/replies"),
            token,
            Some(json!({ "body": body })),
        )
        .await
}

#[tokio::test]
async fn the_assessor_and_the_learner_answer_each_other_in_one_conversation() {
    let mut s = scene().await;
    // Sam, an assessor who takes Amelia over at the end.
    let sam = s.add_person("sam@n.example", Role::Assessor).await;
    let s = s;
    let app = &s.app;
    let e = s.enrolment("amelia");
    let first = written(&s, "assessor", "My review").await;
    let m = id(&first);
    assert_eq!(first["thread_id"], first["id"]);
    assert_eq!(first["reply_to"], Value::Null);

    // Tom answers: to Amelia, in the same thread, under its subject.
    let r = reply(&s, s.token("tom"), m, "Friday at 10 is fine.").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["to"], "learner");
    assert_eq!(answer["recipient_id"], s.id("amelia").to_string());
    assert_eq!(answer["thread_id"], m.to_string());
    assert_eq!(answer["reply_to"], m.to_string());
    assert_eq!(answer["subject"], "My review");
    // She is e-mailed, and the e-mail's link opens the conversation for her, with a form
    // to answer it.
    let mail = outbox(&s).await.pop().unwrap();
    assert_eq!(mail.to_user_id, s.id("amelia"));
    assert_eq!(mail.data["sender_name"], "Person tom@n.example");
    let link = format!("{}{}", app.base, mail.data["link_path"].as_str().unwrap());
    let (status, html) = app
        .follow_link_as("northgate", "amelia@n.example", &link)
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Could we move my review to Friday?")
            && html.contains("Friday at 10 is fine."),
        "{html}"
    );
    assert!(html.contains("id=\"reply\""), "{html}");

    // She answers his answer: to Tom, the same thread.
    let r = reply(&s, s.token("amelia"), id(&answer), "Thanks, see you then.").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let third: Value = r.json().await.unwrap();
    assert_eq!(third["to"], "assessor");
    assert_eq!(third["recipient_id"], s.id("tom").to_string());
    assert_eq!(third["thread_id"], m.to_string());

    // The thread, oldest first, for both; opening it marks read what was written to Tom.
    let thread = get(
        app,
        &format!("/api/v1/messages/{}/thread", id(&answer)),
        s.token("tom"),
    )
    .await;
    assert_eq!(
        ids(&thread),
        [m, id(&answer), id(&third)],
        "oldest first, whichever message is named"
    );
    let read: Vec<(Uuid, bool)> = sqlx::query_as(
        "select id, read_at is not null from messages where tenant_id = $1 order by id",
    )
    .bind(s.tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    // Tom read the two written to him; Amelia read his answer through the e-mail's link.
    assert_eq!(read, [(m, true), (id(&answer), true), (id(&third), true)]);

    // Tom starts a conversation of his own with her.
    let r = write(&s, s.token("tom"), e, "learner", "Portfolio check").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let started: Value = r.json().await.unwrap();
    assert_eq!(started["to"], "learner");
    assert_eq!(started["thread_id"], started["id"]);

    // The admin and the auditor read the thread but are not a party to it; the employer
    // does not even learn it exists.
    for token in [&s.admin, s.token("audrey")] {
        assert_eq!(
            ids(&get(app, &format!("/api/v1/messages/{m}/thread"), token).await).len(),
            3
        );
        problem(reply(&s, token, m, "Hello").await, StatusCode::FORBIDDEN).await;
    }
    problem(
        reply(&s, s.token("manny"), m, "Hello").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Bad text: 422 naming the body, nothing written.
    let before = count(&s, "messages").await;
    for body in [json!(""), json!("b".repeat(10_001)), json!(7)] {
        let r = app
            .send(
                Method::POST,
                &format!("/api/v1/messages/{m}/replies"),
                s.token("tom"),
                Some(json!({ "body": body })),
            )
            .await;
        let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), ["body"], "{body}");
    }
    assert_eq!(count(&s, "messages").await, before);

    // Tom is no longer her assessor: her answer to him is refused in words, and says
    // what to do instead.
    let r = app
        .send(
            Method::PATCH,
            &format!("/api/v1/enrolments/{e}"),
            &s.admin,
            Some(json!({ "assessor_id": sam })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let p = problem(
        reply(&s, s.token("amelia"), id(&answer), "Hello?").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Person tom@n.example is no longer"),
        "{p}"
    );
    // Tom, who no longer sees her portfolio, is told why he cannot answer either.
    let p = problem(
        reply(&s, s.token("tom"), m, "Hello?").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("you are no longer"),
        "{p}"
    );
    assert_eq!(count(&s, "messages").await, before);
    // And her page of the conversation offers no answer the API would refuse.
    let page = app
        .page(s.token("amelia"), format!("/app/messages/{m}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("Friday at 10 is fine.") && !page.html.contains("id=\"reply\""),
        "{}",
        page.html
    );
    s.app.finish().await;
}
