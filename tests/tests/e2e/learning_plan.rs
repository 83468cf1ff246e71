//! The learning plan: sessions booked, listed with their flags and the next one, their
//! outcomes and what those cause (an attended induction starts learning; an attended
//! out-of-workplace session logs off-the-job time exactly once, and loses it when
//! cancelled); actions set, progressed by the learner, completed by the assessor, overdue;
//! who may read and who may write; another organisation sees nothing and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, Scene, days_ago, days_ahead, today};
use folio_tests::{TestApp, fields, id, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Noon UTC `n` days from today (negative: in the past).
fn noon(n: i64) -> DateTime<Utc> {
    let day = today() + Duration::days(n);
    day.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

/// The cast; Amelia's enrolment (assessor, IQA, employer and manager set) and Olly's (Tom's
/// too) started 120 days ago and await induction.
async fn scene() -> Scene {
    TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Engineering"))
        .cast()
        .enrol(NewEnrolment::amelia().dates(days_ago(120), days_ahead(245)))
        .enrol(NewEnrolment::olly().dates(days_ago(120), days_ahead(245)))
        .build()
        .await
}

async fn book(s: &Scene, token: &str, session_type: &str, day: i64, minutes: i64) -> Value {
    let path = format!("/api/v1/enrolments/{}/sessions", s.enrolment("amelia"));
    let r = s
        .app
        .send(
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
    s.app
        .ok(
            Method::POST,
            &format!("/api/v1/sessions/{session}/outcome"),
            s.token("tom"),
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
    let learner = s.token("amelia");
    let e = s.enrolment("amelia");
    let past = book(&s, s.token("tom"), "review", -3, 60).await;
    assert_eq!(past["session_type"], "review");
    assert_eq!(past["face_to_face"], true);
    assert_eq!(past["planning_notes"], "Bring the logbook.");
    assert_eq!(past["unclosed"], true);
    assert!(past["outcome"].is_null());
    let later = book(&s, &s.admin, "teaching", 9, 45).await;
    let soon = book(&s, s.token("tom"), "teaching", 2, 45).await;
    assert_eq!(soon["unclosed"], false);

    let list = app
        .ok(
            Method::GET,
            &format!("/api/v1/enrolments/{e}/sessions"),
            learner,
            None,
        )
        .await;
    let ids: Vec<Uuid> = list["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [id(&past), id(&soon), id(&later)]);
    assert_eq!(id(&list["next_session"]), id(&soon));
    assert_eq!(list["unclosed"], 1);

    // An outcome closes the past session.
    outcome(&s, id(&past), "learner_did_not_attend").await;
    let one = app
        .ok(
            Method::GET,
            &format!("/api/v1/sessions/{}", id(&past)),
            s.token("manny"),
            None,
        )
        .await;
    assert_eq!(one["unclosed"], false);
    assert_eq!(one["outcome"], "learner_did_not_attend");

    // Notes and feedback change; a recorded outcome fixes the time.
    let changed = app
        .ok(
            Method::PUT,
            &format!("/api/v1/sessions/{}", id(&past)),
            s.token("tom"),
            Some(
                json!({ "starts_at": past["starts_at"], "duration_minutes": 60,
                     "feedback": "Rebook next week." }),
            ),
        )
        .await;
    assert_eq!(changed["feedback"], "Rebook next week.");
    let r = app
        .send(
            Method::PUT,
            &format!("/api/v1/sessions/{}", id(&past)),
            s.token("tom"),
            Some(json!({ "starts_at": past["starts_at"], "duration_minutes": 90 })),
        )
        .await;
    problem(r, StatusCode::CONFLICT).await;

    // Attendance cannot be recorded in advance; bad bookings name their fields.
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/sessions/{}/outcome", id(&soon)),
            s.token("tom"),
            Some(json!({ "outcome": "attended" })),
        )
        .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["outcome"]
    );
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/sessions"),
            s.token("tom"),
            Some(json!({ "session_type": "review", "starts_at": noon(-400),
                     "duration_minutes": 0 })),
        )
        .await;
    let mut f = fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await);
    f.sort();
    assert_eq!(f, ["duration_minutes", "starts_at"]);

    // The assessor's upcoming sessions: from now on, without an outcome.
    let up = app
        .ok(
            Method::GET,
            "/api/v1/me/upcoming-sessions",
            s.token("tom"),
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
    let r = app
        .send(Method::GET, "/api/v1/me/upcoming-sessions", learner, None)
        .await;
    problem(r, StatusCode::FORBIDDEN).await;
    s.app.finish().await;
}

#[tokio::test]
async fn an_attended_induction_starts_learning_once() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment("amelia");
    let induction = book(&s, s.token("tom"), "induction", -5, 120).await;
    let enrolment = app
        .ok(
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
    let enrolment = app
        .ok(
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
    let learner = s.token("amelia");
    let assessor = s.token("tom");
    let e = s.enrolment("amelia");
    let session = book(&s, assessor, "out_of_workplace", -4, 210).await;
    let sid = id(&session);
    outcome(&s, sid, "attended").await;
    outcome(&s, sid, "attended").await;
    assert_eq!(
        session_entries(&s).await,
        [(sid, 210, "trainer_led_training".to_owned())]
    );
    let otj = app
        .ok(
            Method::GET,
            &format!("/api/v1/enrolments/{e}/off-the-job"),
            learner,
            None,
        )
        .await;
    assert_eq!(otj["actual_minutes"], 210);
    assert_eq!(otj["counted_entry_ids"].as_array().unwrap().len(), 1);
    let log = app
        .ok(
            Method::GET,
            &format!("/api/v1/enrolments/{e}/time-log"),
            learner,
            None,
        )
        .await;
    assert_eq!(log["items"][0]["source"], "session");
    assert_eq!(log["items"][0]["session_id"], json!(sid));
    assert_eq!(log["items"][0]["entry_date"], json!(days_ago(4)));

    // Changed to cancelled: the entry goes.
    outcome(&s, sid, "cancelled").await;
    assert!(session_entries(&s).await.is_empty());
    let otj = app
        .ok(
            Method::GET,
            &format!("/api/v1/enrolments/{e}/off-the-job"),
            learner,
            None,
        )
        .await;
    assert_eq!(otj["actual_minutes"], 0);

    // A face-to-face teaching session logs a traditional face-to-face session; a remote one
    // logs nothing.
    let f2f = book(&s, assessor, "teaching", -2, 60).await;
    outcome(&s, id(&f2f), "attended").await;
    let remote = app
        .ok(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/sessions"),
            assessor,
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
    let e = s.enrolment("amelia");
    let session = book(&s, s.token("tom"), "review", -1, 60).await;
    let base = format!("/api/v1/enrolments/{e}/actions");
    let r = app
        .send(
            Method::POST,
            &base,
            s.token("tom"),
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
    let r = app
        .send(
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
    let one = app
        .ok(
            Method::GET,
            &format!("/api/v1/sessions/{}", id(&session)),
            s.token("amelia"),
            None,
        )
        .await;
    assert_eq!(one["has_outstanding_actions"], true);

    // Bad input names every field; another learner's session is refused.
    let other_session = {
        let list = app
            .ok(Method::GET, "/api/v1/enrolments", &s.admin, None)
            .await;
        let other = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .find(|x| *x != e)
            .unwrap();
        id(&app.ok(Method::POST,
            &format!("/api/v1/enrolments/{other}/sessions"),
            s.token("tom"),
            Some(json!({ "session_type": "review", "starts_at": noon(1), "duration_minutes": 30 })),
        )
        .await)
    };
    let r = app
        .send(
            Method::POST,
            &base,
            s.token("tom"),
            Some(json!({ "title": " ", "target_date": "1800-01-01", "session_id": other_session })),
        )
        .await;
    let mut f = fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await);
    f.sort();
    assert_eq!(f, ["session_id", "target_date", "title"]);

    // The learner reports progress; they cannot complete it.
    let progressed = app
        .ok(
            Method::PUT,
            &format!("/api/v1/actions/{}/progress", id(&late)),
            s.token("amelia"),
            Some(json!({ "learner_feedback": "Half done", "time_spent_minutes": 90 })),
        )
        .await;
    assert_eq!(progressed["status"], "in_progress");
    assert_eq!(progressed["time_spent_minutes"], 90);
    assert_eq!(progressed["overdue"], true);
    let one = app
        .ok(
            Method::GET,
            &format!("/api/v1/sessions/{}", id(&session)),
            s.token("amelia"),
            None,
        )
        .await;
    assert_eq!(one["has_outstanding_actions"], false);
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/actions/{}/complete", id(&late)),
            s.token("amelia"),
            None,
        )
        .await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = app
        .send(
            Method::PUT,
            &format!("/api/v1/actions/{}/progress", id(&late)),
            s.token("amelia"),
            Some(json!({ "status": "complete" })),
        )
        .await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = app
        .send(
            Method::PUT,
            &format!("/api/v1/actions/{}/progress", id(&late)),
            s.token("amelia"),
            Some(json!({ "time_spent_minutes": -1 })),
        )
        .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["time_spent_minutes"]
    );

    // The assessor completes it; it is no longer overdue, and final.
    let done = app
        .ok(
            Method::POST,
            &format!("/api/v1/actions/{}/complete", id(&late)),
            s.token("tom"),
            None,
        )
        .await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["overdue"], false);
    assert!(done["completed_at"].is_string());
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/actions/{}/complete", id(&late)),
            s.token("tom"),
            None,
        )
        .await;
    problem(r, StatusCode::CONFLICT).await;
    let r = app
        .send(
            Method::PUT,
            &format!("/api/v1/actions/{}/progress", id(&late)),
            s.token("amelia"),
            Some(json!({ "learner_feedback": "again" })),
        )
        .await;
    problem(r, StatusCode::CONFLICT).await;

    let list = app.ok(Method::GET, &base, s.token("manny"), None).await;
    assert_eq!(
        list["counts"],
        json!({ "outstanding": 1, "in_progress": 0, "complete": 1, "overdue": 0 })
    );
    let only = app
        .ok(
            Method::GET,
            &format!("{base}?session_id={}", id(&session)),
            s.token("iris"),
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
    let assessor = s.token("tom");
    let other_learner = s.token("olly");
    let e = s.enrolment("amelia");
    let session = book(&s, assessor, "review", -1, 60).await;
    let sid = id(&session);
    let action = app
        .ok(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/actions"),
            assessor,
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
    for token in [s.token("iris"), s.token("manny"), s.token("audrey")] {
        for path in &reads {
            app.ok(Method::GET, path, token, None).await;
        }
        for (method, path, body) in writes() {
            let r = app.send(method.clone(), &path, token, Some(body)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
        }
    }
    // The learner cannot manage sessions or set actions either.
    for (method, path, body) in writes()
        .into_iter()
        .filter(|(_, p, _)| !p.contains("/progress"))
    {
        let r = app
            .send(method.clone(), &path, s.token("amelia"), Some(body))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    // Another learner: 404 everywhere.
    for path in &reads {
        let r = app.send(Method::GET, path, other_learner, None).await;
        problem(r, StatusCode::NOT_FOUND).await;
    }
    for (method, path, body) in writes() {
        let r = app
            .send(method.clone(), &path, other_learner, Some(body))
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let now = app
        .ok(
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
    let learner = s.token("amelia");
    let assessor = s.token("tom");
    let e = s.enrolment("amelia");
    let session = book(&s, assessor, "out_of_workplace", -1, 60).await;
    let sid = id(&session);
    let action = app
        .ok(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/actions"),
            assessor,
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
        let r = app.send(Method::GET, &path, &other, None).await;
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
        let r = app.send(method.clone(), &path, &other, Some(body)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let up = app
        .ok(
            Method::GET,
            "/api/v1/me/upcoming-sessions",
            &other_assessor,
            None,
        )
        .await;
    assert_eq!(up["items"], json!([]));

    assert_eq!(
        app.ok(
            Method::GET,
            &format!("/api/v1/sessions/{sid}"),
            learner,
            None
        )
        .await,
        session
    );
    let actions = app
        .ok(
            Method::GET,
            &format!("/api/v1/enrolments/{e}/actions"),
            learner,
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
