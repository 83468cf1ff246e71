//! The learning plan: sessions booked, listed with their flags and the next one, their
//! outcomes and what those cause (an attended induction starts learning; an attended
//! out-of-workplace session logs off-the-job time exactly once, and loses it when
//! cancelled); actions set, progressed by the learner, completed by the assessor, overdue;
//! who may read and who may write; another organisation sees nothing and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use folio_db::platform::Tenant;
use folio_domain::Role;
use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).unwrap()
}

fn days_ahead(n: u64) -> NaiveDate {
    today().checked_add_days(Days::new(n)).unwrap()
}

/// Noon UTC `n` days from today (negative: in the past).
fn noon(n: i64) -> DateTime<Utc> {
    let day = today() + Duration::days(n);
    day.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

struct Scene {
    app: TestApp,
    tenant: Tenant,
    admin: String,
    learner: String,
    assessor: String,
    iqa: String,
    employer: String,
    auditor: String,
    /// Another learner of the same assessor.
    other_learner: String,
    /// Started 120 days ago, awaiting induction.
    enrolment: Uuid,
}

async fn scene() -> Scene {
    let app = TestApp::spawn().await;
    let (tenant, _, admin) = app.tenant_with_admin("northgate").await;
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    let course = Uuid::now_v7();
    sqlx::query(
        "insert into courses (tenant_id, id, code, title) values ($1, $2, 'ST0457', 'Engineering')",
    )
    .bind(tenant.id)
    .bind(course)
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let learner = app
        .user(&tenant, "amelia@n.example", &[Role::Learner])
        .await;
    let other = app.user(&tenant, "olly@n.example", &[Role::Learner]).await;
    let assessor = app.user(&tenant, "tom@n.example", &[Role::Assessor]).await;
    let iqa = app.user(&tenant, "iris@n.example", &[Role::Iqa]).await;
    let manager = app
        .user(&tenant, "manny@n.example", &[Role::Employer])
        .await;
    app.user(&tenant, "audrey@n.example", &[Role::Auditor])
        .await;
    let r = app
        .authed(Method::POST, "/api/v1/employers", &admin)
        .json(&json!({ "name": "Acme Engineering" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let employer = id(&r.json().await.unwrap());
    sqlx::query("update users set employer_id = $1 where tenant_id = $2 and id = $3")
        .bind(employer)
        .bind(tenant.id)
        .bind(manager)
        .execute(&app.database.pool)
        .await
        .unwrap();
    let mut enrolments = Vec::new();
    for (who, people) in [
        (
            learner,
            json!({ "assessor_id": assessor, "iqa_id": iqa, "employer_id": employer, "manager_id": manager }),
        ),
        (other, json!({ "assessor_id": assessor })),
    ] {
        let mut body = json!({
            "learner_id": who, "course_id": course,
            "start_date": days_ago(120), "planned_end_date": days_ahead(245),
            "contracted_hours_per_week": 37.5, "planned_otj_hours": 300.0
        });
        for (k, v) in people.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app
            .authed(Method::POST, "/api/v1/enrolments", &admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap()
        );
        enrolments.push(id(&r.json().await.unwrap()));
    }
    Scene {
        learner: app.login(&tenant, "amelia@n.example").await,
        assessor: app.login(&tenant, "tom@n.example").await,
        iqa: app.login(&tenant, "iris@n.example").await,
        employer: app.login(&tenant, "manny@n.example").await,
        auditor: app.login(&tenant, "audrey@n.example").await,
        other_learner: app.login(&tenant, "olly@n.example").await,
        enrolment: enrolments[0],
        app,
        tenant,
        admin,
    }
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    let mut r = app.authed(method, path, token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    let r = send(app, method.clone(), path, token, body).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

async fn book(s: &Scene, token: &str, session_type: &str, day: i64, minutes: i64) -> Value {
    let path = format!("/api/v1/enrolments/{}/sessions", s.enrolment);
    let r = send(
        &s.app,
        Method::POST,
        &path,
        token,
        Some(
            json!({ "session_type": session_type, "starts_at": noon(day),
                     "duration_minutes": minutes, "planning_notes": "Bring the logbook." }),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

async fn outcome(s: &Scene, session: Uuid, outcome: &str) -> Value {
    ok(
        &s.app,
        Method::POST,
        &format!("/api/v1/sessions/{session}/outcome"),
        &s.assessor,
        Some(json!({ "outcome": outcome })),
    )
    .await
}

async fn session_entries(s: &Scene) -> Vec<(Uuid, i32, String)> {
    sqlx::query_as(
        "select session_id, minutes, activity_type from time_log_entries
         where tenant_id = $1 and source = 'session' order by entry_date",
    )
    .bind(s.tenant.id)
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap()
}

async fn audit_actions(s: &Scene) -> Vec<String> {
    sqlx::query_scalar(
        "select action from audit_log where tenant_id = $1
           and (action like 'learning_session.%' or action like 'action.%' or action = 'enrolment.status')
         order by id",
    )
    .bind(s.tenant.id)
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn sessions_are_booked_listed_and_flagged() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment;
    let past = book(&s, &s.assessor, "review", -3, 60).await;
    assert_eq!(past["session_type"], "review");
    assert_eq!(past["face_to_face"], true);
    assert_eq!(past["planning_notes"], "Bring the logbook.");
    assert_eq!(past["unclosed"], true);
    assert!(past["outcome"].is_null());
    let later = book(&s, &s.admin, "teaching", 9, 45).await;
    let soon = book(&s, &s.assessor, "teaching", 2, 45).await;
    assert_eq!(soon["unclosed"], false);

    let list = ok(
        app,
        Method::GET,
        &format!("/api/v1/enrolments/{e}/sessions"),
        &s.learner,
        None,
    )
    .await;
    let ids: Vec<Uuid> = list["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [id(&past), id(&soon), id(&later)]);
    assert_eq!(id(&list["next_session"]), id(&soon));
    assert_eq!(list["unclosed"], 1);

    // An outcome closes the past session.
    outcome(&s, id(&past), "learner_did_not_attend").await;
    let one = ok(
        app,
        Method::GET,
        &format!("/api/v1/sessions/{}", id(&past)),
        &s.employer,
        None,
    )
    .await;
    assert_eq!(one["unclosed"], false);
    assert_eq!(one["outcome"], "learner_did_not_attend");

    // Notes and feedback change; a recorded outcome fixes the time.
    let changed = ok(
        app,
        Method::PUT,
        &format!("/api/v1/sessions/{}", id(&past)),
        &s.assessor,
        Some(
            json!({ "starts_at": past["starts_at"], "duration_minutes": 60,
                     "feedback": "Rebook next week." }),
        ),
    )
    .await;
    assert_eq!(changed["feedback"], "Rebook next week.");
    let r = send(
        app,
        Method::PUT,
        &format!("/api/v1/sessions/{}", id(&past)),
        &s.assessor,
        Some(json!({ "starts_at": past["starts_at"], "duration_minutes": 90 })),
    )
    .await;
    problem(r, StatusCode::CONFLICT).await;

    // Attendance cannot be recorded in advance; bad bookings name their fields.
    let r = send(
        app,
        Method::POST,
        &format!("/api/v1/sessions/{}/outcome", id(&soon)),
        &s.assessor,
        Some(json!({ "outcome": "attended" })),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["outcome"]
    );
    let r = send(
        app,
        Method::POST,
        &format!("/api/v1/enrolments/{e}/sessions"),
        &s.assessor,
        Some(json!({ "session_type": "review", "starts_at": noon(-400),
                     "duration_minutes": 0 })),
    )
    .await;
    let mut f = fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await);
    f.sort();
    assert_eq!(f, ["duration_minutes", "starts_at"]);

    // The assessor's upcoming sessions: from now on, without an outcome.
    let up = ok(
        app,
        Method::GET,
        "/api/v1/me/upcoming-sessions",
        &s.assessor,
        None,
    )
    .await;
    let ids: Vec<Uuid> = up["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| id(&u["session"]))
        .collect();
    assert_eq!(ids, [id(&soon), id(&later)]);
    assert!(up["items"][0]["learner_name"].is_string());
    let r = send(
        app,
        Method::GET,
        "/api/v1/me/upcoming-sessions",
        &s.learner,
        None,
    )
    .await;
    problem(r, StatusCode::FORBIDDEN).await;
    s.app.finish().await;
}

#[tokio::test]
async fn an_attended_induction_starts_learning_once() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment;
    let induction = book(&s, &s.assessor, "induction", -5, 120).await;
    let enrolment = ok(
        app,
        Method::GET,
        &format!("/api/v1/enrolments/{e}"),
        &s.admin,
        None,
    )
    .await;
    assert_eq!(enrolment["status"], "awaiting_induction");
    for _ in 0..2 {
        let saved = outcome(&s, id(&induction), "attended").await;
        assert_eq!(saved["outcome"], "attended");
    }
    let enrolment = ok(
        app,
        Method::GET,
        &format!("/api/v1/enrolments/{e}"),
        &s.admin,
        None,
    )
    .await;
    assert_eq!(enrolment["status"], "in_learning");
    assert_eq!(enrolment["learning_started_on"], json!(days_ago(5)));
    // An induction logs no time, and the status changed exactly once.
    assert!(session_entries(&s).await.is_empty());
    assert_eq!(
        audit_actions(&s).await,
        [
            "learning_session.create",
            "enrolment.status",
            "learning_session.outcome",
            "learning_session.outcome"
        ]
    );
    s.app.finish().await;
}

#[tokio::test]
async fn an_attended_out_of_workplace_session_logs_off_the_job_time_once() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment;
    let session = book(&s, &s.assessor, "out_of_workplace", -4, 210).await;
    let sid = id(&session);
    outcome(&s, sid, "attended").await;
    outcome(&s, sid, "attended").await;
    assert_eq!(
        session_entries(&s).await,
        [(sid, 210, "trainer_led_training".to_owned())]
    );
    let otj = ok(
        app,
        Method::GET,
        &format!("/api/v1/enrolments/{e}/off-the-job"),
        &s.learner,
        None,
    )
    .await;
    assert_eq!(otj["actual_minutes"], 210);
    assert_eq!(otj["counted_entry_ids"].as_array().unwrap().len(), 1);
    let log = ok(
        app,
        Method::GET,
        &format!("/api/v1/enrolments/{e}/time-log"),
        &s.learner,
        None,
    )
    .await;
    assert_eq!(log["items"][0]["source"], "session");
    assert_eq!(log["items"][0]["session_id"], json!(sid));
    assert_eq!(log["items"][0]["entry_date"], json!(days_ago(4)));

    // Changed to cancelled: the entry goes.
    outcome(&s, sid, "cancelled").await;
    assert!(session_entries(&s).await.is_empty());
    let otj = ok(
        app,
        Method::GET,
        &format!("/api/v1/enrolments/{e}/off-the-job"),
        &s.learner,
        None,
    )
    .await;
    assert_eq!(otj["actual_minutes"], 0);

    // A face-to-face teaching session logs a traditional face-to-face session; a remote one
    // logs nothing.
    let f2f = book(&s, &s.assessor, "teaching", -2, 60).await;
    outcome(&s, id(&f2f), "attended").await;
    let remote = ok(
        app,
        Method::POST,
        &format!("/api/v1/enrolments/{e}/sessions"),
        &s.assessor,
        Some(json!({ "session_type": "teaching", "starts_at": noon(-1),
                     "duration_minutes": 30, "face_to_face": false })),
    )
    .await;
    outcome(&s, id(&remote), "attended").await;
    assert_eq!(
        session_entries(&s).await,
        [(id(&f2f), 60, "face_to_face_session".to_owned())]
    );
    s.app.finish().await;
}

#[tokio::test]
async fn actions_move_from_outstanding_to_complete() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment;
    let session = book(&s, &s.assessor, "review", -1, 60).await;
    let base = format!("/api/v1/enrolments/{e}/actions");
    let r = send(
        app,
        Method::POST,
        &base,
        &s.assessor,
        Some(
            json!({ "title": "Write up the pump overhaul", "target_date": days_ago(2),
                     "session_id": id(&session), "description": "500 words" }),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let late: Value = r.json().await.unwrap();
    assert_eq!(late["status"], "outstanding");
    assert_eq!(late["overdue"], true);
    let r = send(
        app,
        Method::POST,
        &base,
        &s.admin,
        Some(json!({ "title": "Read chapter 4", "target_date": days_ahead(7) })),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let fresh: Value = r.json().await.unwrap();
    assert_eq!(fresh["overdue"], false);

    // The session shows its outstanding action.
    let one = ok(
        app,
        Method::GET,
        &format!("/api/v1/sessions/{}", id(&session)),
        &s.learner,
        None,
    )
    .await;
    assert_eq!(one["has_outstanding_actions"], true);

    // Bad input names every field; another learner's session is refused.
    let other_session = {
        let list = ok(app, Method::GET, "/api/v1/enrolments", &s.admin, None).await;
        let other = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .find(|x| *x != e)
            .unwrap();
        id(&ok(
            app,
            Method::POST,
            &format!("/api/v1/enrolments/{other}/sessions"),
            &s.assessor,
            Some(json!({ "session_type": "review", "starts_at": noon(1), "duration_minutes": 30 })),
        )
        .await)
    };
    let r = send(
        app,
        Method::POST,
        &base,
        &s.assessor,
        Some(json!({ "title": " ", "target_date": "1800-01-01", "session_id": other_session })),
    )
    .await;
    let mut f = fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await);
    f.sort();
    assert_eq!(f, ["session_id", "target_date", "title"]);

    // The learner reports progress; they cannot complete it.
    let progressed = ok(
        app,
        Method::PUT,
        &format!("/api/v1/actions/{}/progress", id(&late)),
        &s.learner,
        Some(json!({ "learner_feedback": "Half done", "time_spent_minutes": 90 })),
    )
    .await;
    assert_eq!(progressed["status"], "in_progress");
    assert_eq!(progressed["time_spent_minutes"], 90);
    assert_eq!(progressed["overdue"], true);
    let one = ok(
        app,
        Method::GET,
        &format!("/api/v1/sessions/{}", id(&session)),
        &s.learner,
        None,
    )
    .await;
    assert_eq!(one["has_outstanding_actions"], false);
    let r = send(
        app,
        Method::POST,
        &format!("/api/v1/actions/{}/complete", id(&late)),
        &s.learner,
        None,
    )
    .await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = send(
        app,
        Method::PUT,
        &format!("/api/v1/actions/{}/progress", id(&late)),
        &s.learner,
        Some(json!({ "status": "complete" })),
    )
    .await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = send(
        app,
        Method::PUT,
        &format!("/api/v1/actions/{}/progress", id(&late)),
        &s.learner,
        Some(json!({ "time_spent_minutes": -1 })),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["time_spent_minutes"]
    );

    // The assessor completes it; it is no longer overdue, and final.
    let done = ok(
        app,
        Method::POST,
        &format!("/api/v1/actions/{}/complete", id(&late)),
        &s.assessor,
        None,
    )
    .await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["overdue"], false);
    assert!(done["completed_at"].is_string());
    let r = send(
        app,
        Method::POST,
        &format!("/api/v1/actions/{}/complete", id(&late)),
        &s.assessor,
        None,
    )
    .await;
    problem(r, StatusCode::CONFLICT).await;
    let r = send(
        app,
        Method::PUT,
        &format!("/api/v1/actions/{}/progress", id(&late)),
        &s.learner,
        Some(json!({ "learner_feedback": "again" })),
    )
    .await;
    problem(r, StatusCode::CONFLICT).await;

    let list = ok(app, Method::GET, &base, &s.employer, None).await;
    assert_eq!(
        list["counts"],
        json!({ "outstanding": 1, "in_progress": 0, "complete": 1, "overdue": 0 })
    );
    let only = ok(
        app,
        Method::GET,
        &format!("{base}?session_id={}", id(&session)),
        &s.iqa,
        None,
    )
    .await;
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        audit_actions(&s).await,
        [
            "learning_session.create",
            "action.create",
            "action.create",
            "learning_session.create",
            "action.progress",
            "action.complete"
        ]
    );
    s.app.finish().await;
}

#[tokio::test]
async fn read_only_roles_are_refused_and_other_learners_see_nothing() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment;
    let session = book(&s, &s.assessor, "review", -1, 60).await;
    let sid = id(&session);
    let action = ok(
        app,
        Method::POST,
        &format!("/api/v1/enrolments/{e}/actions"),
        &s.assessor,
        Some(json!({ "title": "Reflect", "target_date": days_ahead(3) })),
    )
    .await;
    let aid = id(&action);
    let writes = || -> Vec<(Method, String, Value)> {
        vec![
            (
                Method::POST,
                format!("/api/v1/enrolments/{e}/sessions"),
                json!({ "session_type": "review", "starts_at": noon(1), "duration_minutes": 30 }),
            ),
            (
                Method::PUT,
                format!("/api/v1/sessions/{sid}"),
                json!({ "starts_at": noon(1), "duration_minutes": 30 }),
            ),
            (
                Method::POST,
                format!("/api/v1/sessions/{sid}/outcome"),
                json!({ "outcome": "attended" }),
            ),
            (
                Method::POST,
                format!("/api/v1/enrolments/{e}/actions"),
                json!({ "title": "x", "target_date": days_ahead(3) }),
            ),
            (
                Method::PUT,
                format!("/api/v1/actions/{aid}/progress"),
                json!({ "learner_feedback": "x" }),
            ),
            (
                Method::POST,
                format!("/api/v1/actions/{aid}/complete"),
                json!({}),
            ),
        ]
    };
    let reads = [
        format!("/api/v1/enrolments/{e}/sessions"),
        format!("/api/v1/sessions/{sid}"),
        format!("/api/v1/enrolments/{e}/actions"),
    ];
    for token in [&s.iqa, &s.employer, &s.auditor] {
        for path in &reads {
            ok(app, Method::GET, path, token, None).await;
        }
        for (method, path, body) in writes() {
            let r = send(app, method.clone(), &path, token, Some(body)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
        }
    }
    // The learner cannot manage sessions or set actions either.
    for (method, path, body) in writes()
        .into_iter()
        .filter(|(_, p, _)| !p.contains("/progress"))
    {
        let r = send(app, method.clone(), &path, &s.learner, Some(body)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    // Another learner: 404 everywhere.
    for path in &reads {
        let r = send(app, Method::GET, path, &s.other_learner, None).await;
        problem(r, StatusCode::NOT_FOUND).await;
    }
    for (method, path, body) in writes() {
        let r = send(app, method.clone(), &path, &s.other_learner, Some(body)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let now = ok(
        app,
        Method::GET,
        &format!("/api/v1/sessions/{sid}"),
        &s.admin,
        None,
    )
    .await;
    assert_eq!(now, session);
    s.app.finish().await;
}

#[tokio::test]
async fn another_organisation_sees_nothing_and_changes_nothing() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment;
    let session = book(&s, &s.assessor, "out_of_workplace", -1, 60).await;
    let sid = id(&session);
    let action = ok(
        app,
        Method::POST,
        &format!("/api/v1/enrolments/{e}/actions"),
        &s.assessor,
        Some(json!({ "title": "Reflect", "target_date": days_ahead(3) })),
    )
    .await;
    let aid = id(&action);
    let (other_tenant, _, other) = app.tenant_with_admin("southgate").await;
    app.user(&other_tenant, "sam@s.example", &[Role::Assessor])
        .await;
    let other_assessor = app.login(&other_tenant, "sam@s.example").await;
    for path in [
        format!("/api/v1/enrolments/{e}/sessions"),
        format!("/api/v1/sessions/{sid}"),
        format!("/api/v1/enrolments/{e}/actions"),
    ] {
        let r = send(app, Method::GET, &path, &other, None).await;
        problem(r, StatusCode::NOT_FOUND).await;
    }
    for (method, path, body) in [
        (
            Method::POST,
            format!("/api/v1/enrolments/{e}/sessions"),
            json!({ "session_type": "review", "starts_at": noon(1), "duration_minutes": 30 }),
        ),
        (
            Method::PUT,
            format!("/api/v1/sessions/{sid}"),
            json!({ "starts_at": noon(1), "duration_minutes": 30 }),
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{sid}/outcome"),
            json!({ "outcome": "attended" }),
        ),
        (
            Method::POST,
            format!("/api/v1/enrolments/{e}/actions"),
            json!({ "title": "x", "target_date": days_ahead(3) }),
        ),
        (
            Method::PUT,
            format!("/api/v1/actions/{aid}/progress"),
            json!({ "learner_feedback": "x" }),
        ),
        (
            Method::POST,
            format!("/api/v1/actions/{aid}/complete"),
            json!({}),
        ),
    ] {
        let r = send(app, method.clone(), &path, &other, Some(body)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let up = ok(
        app,
        Method::GET,
        "/api/v1/me/upcoming-sessions",
        &other_assessor,
        None,
    )
    .await;
    assert_eq!(up["items"], json!([]));

    assert_eq!(
        ok(
            app,
            Method::GET,
            &format!("/api/v1/sessions/{sid}"),
            &s.learner,
            None
        )
        .await,
        session
    );
    let actions = ok(
        app,
        Method::GET,
        &format!("/api/v1/enrolments/{e}/actions"),
        &s.learner,
        None,
    )
    .await;
    assert_eq!(actions["items"], json!([action]));
    assert!(session_entries(&s).await.is_empty());
    assert_eq!(
        audit_actions(&s).await,
        ["learning_session.create", "action.create"]
    );
    s.app.finish().await;
}
