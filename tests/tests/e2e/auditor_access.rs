//! Auditor access (issue 23): an admin grants an external auditor read-only access for a
//! range of days, to every learner or a sample; it ends by itself (refused the day after
//! the last, checked by moving the grant's days back as the calendar would), can be
//! withdrawn, and every request the auditor makes is in the audit log. Granting is for
//! admins; every field is checked; other organisations get 404.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, Utc};
use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, Scene};
use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// The organisation's today (the scene's organisation keeps London time).
fn london_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
}

fn day(offset: i64) -> NaiveDate {
    london_today() + chrono::Duration::days(offset)
}

async fn scene(app: &TestApp) -> Scene<&TestApp> {
    app.scene("northgate")
        .course(NewCourse::new("ST1", "Engineering"))
        .cast()
        .person("sam@n.example", Role::Auditor)
        .enrol(NewEnrolment::amelia().course("ST1"))
        .enrol(NewEnrolment::olly().course("ST1"))
        .build()
        .await
}

/// Takes away the standing access the test harness gives every auditor, so that Sam
/// starts with none.
async fn without_standing_access(s: &Scene<&TestApp>, who: &str) {
    sqlx::query("delete from auditor_grants where tenant_id = $1 and auditor_id = $2")
        .bind(s.tenant.id)
        .bind(s.id(who))
        .execute(&s.app.database.pool)
        .await
        .unwrap();
}

/// Moves a grant's days `days` back, as the passing of that many days would; its instants
/// are worked out again from its days in London time, as granting does.
async fn move_back(s: &Scene<&TestApp>, grant: Uuid, days: i32) {
    sqlx::query(
        "update auditor_grants
         set starts_on = starts_on - $3, ends_on = ends_on - $3,
             valid_from = (starts_on - $3)::timestamp at time zone 'Europe/London',
             valid_until = (ends_on - $3 + 1)::timestamp at time zone 'Europe/London'
         where tenant_id = $1 and id = $2",
    )
    .bind(s.tenant.id)
    .bind(grant)
    .bind(days)
    .execute(&s.app.database.pool)
    .await
    .unwrap();
}

/// The `auditor.read` rows of `who`: (method, path), oldest first.
async fn reads_logged(s: &Scene<&TestApp>, who: &str) -> Vec<(String, String)> {
    let rows: Vec<Value> = sqlx::query_scalar(
        "select details from audit_log
         where tenant_id = $1 and action = 'auditor.read' and actor_user_id = $2
         order by at, id",
    )
    .bind(s.tenant.id)
    .bind(s.id(who))
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap();
    rows.iter()
        .map(|d| {
            (
                d["method"].as_str().unwrap().to_owned(),
                d["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn status(app: &TestApp, token: &str, method: Method, path: &str) -> StatusCode {
    app.authed(method, path, token)
        .send()
        .await
        .unwrap()
        .status()
}

fn grant_body(auditor: Uuid, sample: Option<Vec<Uuid>>) -> Value {
    let mut body = json!({
        "auditor_id": auditor,
        "purpose": "ESFA funding audit",
        "starts_on": day(-1),
        "ends_on": day(1),
        "scope": if sample.is_some() { "sample" } else { "all_learners" },
    });
    if let Some(sample) = sample {
        body["enrolment_ids"] = json!(sample);
    }
    body
}

#[tokio::test]
async fn a_sample_auditor_reads_the_sample_only_and_not_the_day_after_the_last() {
    let app = TestApp::spawn().await;
    let mut s = scene(&app).await;
    without_standing_access(&s, "sam").await;
    let sam = s.sign_in("sam").await;
    let (amelia, olly) = (s.enrolment("amelia"), s.enrolment("olly"));
    let amelia_path = format!("/api/v1/enrolments/{amelia}");
    let olly_path = format!("/api/v1/enrolments/{olly}");

    // No grant: an auditor reads nothing, not even the organisation's people.
    assert_eq!(
        status(&app, &sam, Method::GET, &amelia_path).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&app, &sam, Method::GET, "/api/v1/users").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&app, &sam, Method::GET, "/api/v1/dashboard").await,
        StatusCode::FORBIDDEN
    );
    let none = app
        .ok(Method::GET, "/api/v1/auditor-access", &sam, None)
        .await;
    assert_eq!(none["items"], json!([]));
    // Nothing of his is logged as an auditor's read while he has no access.
    assert!(reads_logged(&s, "sam").await.is_empty());

    // The admin grants him Amelia's enrolment, from yesterday to tomorrow.
    let r = app
        .send(
            Method::POST,
            "/api/v1/auditor-access",
            &s.admin,
            Some(grant_body(s.id("sam"), Some(vec![amelia]))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let grant: Value = r.json().await.unwrap();
    let grant_id: Uuid = grant["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(grant["scope"], "sample");
    assert_eq!(grant["sample_size"], 1);
    assert_eq!(grant["state"], "in_force");
    assert_eq!(grant["sample"][0]["enrolment_id"], json!(amelia));

    // The sample, and only the sample.
    assert_eq!(
        status(&app, &sam, Method::GET, &amelia_path).await,
        StatusCode::OK
    );
    let progress = format!("{amelia_path}/progress");
    assert_eq!(
        status(&app, &sam, Method::GET, &progress).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, &sam, Method::GET, &olly_path).await,
        StatusCode::NOT_FOUND
    );
    let listed = app.ok(Method::GET, "/api/v1/enrolments", &sam, None).await;
    let listed: Vec<&Value> = listed["items"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], json!(amelia));
    // A sample is not the organisation: no people, employers, audit log, dashboard or
    // workbook.
    for path in [
        "/api/v1/users",
        "/api/v1/employers",
        "/api/v1/audit-log",
        "/api/v1/dashboard",
    ] {
        assert_eq!(
            status(&app, &sam, Method::GET, path).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let r = app
        .send(
            Method::POST,
            "/api/v1/exports",
            &sam,
            Some(json!({ "kind": "compliance_workbook", "scope": "organisation" })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Read-only: no change to what he reads.
    let r = app
        .send(
            Method::POST,
            &format!("{amelia_path}/comments"),
            &sam,
            Some(json!({ "text": "Looks fine" })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Every request of his while auditing is logged, the refused ones too.
    let logged = reads_logged(&s, "sam").await;
    let get = |p: &str| ("GET".to_owned(), p.to_owned());
    for expected in [
        get(&amelia_path),
        get(&progress),
        get(&olly_path),
        get("/api/v1/users"),
    ] {
        assert!(logged.contains(&expected), "{expected:?} not in {logged:?}");
    }
    assert!(logged.contains(&("POST".to_owned(), format!("{amelia_path}/comments"))));

    // A day on, today is his last day: he still reads.
    move_back(&s, grant_id, 1).await;
    assert_eq!(
        status(&app, &sam, Method::GET, &amelia_path).await,
        StatusCode::OK
    );
    // A day further: the day after his last. Refused, and his list says it ended.
    move_back(&s, grant_id, 1).await;
    let logged_before = reads_logged(&s, "sam").await.len();
    assert_eq!(
        status(&app, &sam, Method::GET, &amelia_path).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&app, &sam, Method::GET, &progress).await,
        StatusCode::NOT_FOUND
    );
    let listed = app.ok(Method::GET, "/api/v1/enrolments", &sam, None).await;
    assert_eq!(listed["items"], json!([]));
    let mine = app
        .ok(Method::GET, "/api/v1/auditor-access", &sam, None)
        .await;
    assert_eq!(mine["items"][0]["state"], "ended");
    assert_eq!(mine["items"][0]["ends_on"], json!(day(-1)));
    assert_eq!(reads_logged(&s, "sam").await.len(), logged_before);
}

#[tokio::test]
async fn an_organisation_grant_reads_everyone_until_it_is_withdrawn() {
    let app = TestApp::spawn().await;
    let mut s = scene(&app).await;
    without_standing_access(&s, "sam").await;
    let sam = s.sign_in("sam").await;
    let olly_path = format!("/api/v1/enrolments/{}", s.enrolment("olly"));

    let grant = app
        .ok(
            Method::POST,
            "/api/v1/auditor-access",
            &s.admin,
            Some(grant_body(s.id("sam"), None)),
        )
        .await;
    assert_eq!(grant["scope"], "all_learners");
    assert_eq!(grant["sample_size"], 0);
    let id = grant["id"].as_str().unwrap().to_owned();
    assert_eq!(
        status(&app, &sam, Method::GET, &olly_path).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, &sam, Method::GET, "/api/v1/users").await,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, &sam, Method::GET, "/api/v1/audit-log").await,
        StatusCode::OK
    );

    // Only an admin withdraws.
    let withdrawal = format!("/api/v1/auditor-access/{id}/withdrawal");
    for who in ["tom", "sam", "audrey"] {
        assert_eq!(
            status(&app, s.token(who), Method::POST, &withdrawal).await,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let withdrawn = app.ok(Method::POST, &withdrawal, &s.admin, None).await;
    assert_eq!(withdrawn["state"], "withdrawn");
    assert_eq!(
        status(&app, &sam, Method::GET, &olly_path).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&app, &sam, Method::GET, "/api/v1/users").await,
        StatusCode::FORBIDDEN
    );
    let again = app.send(Method::POST, &withdrawal, &s.admin, None).await;
    let body = problem(again, StatusCode::CONFLICT).await;
    assert_eq!(body["detail"], "this access has already been withdrawn");

    let audited: Vec<String> = sqlx::query_scalar(
        "select action from audit_log
         where tenant_id = $1 and entity_type = 'auditor_grant' order by at, id",
    )
    .bind(s.tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(audited, ["auditor_access.grant", "auditor_access.withdraw"]);
}

#[tokio::test]
async fn granting_is_for_admins_and_every_field_is_checked() {
    let app = TestApp::spawn().await;
    let s = scene(&app).await;
    let amelia = s.enrolment("amelia");
    let body = grant_body(s.id("sam"), Some(vec![amelia]));
    for who in ["tom", "iris", "audrey", "amelia", "manny"] {
        let r = app
            .send(
                Method::POST,
                "/api/v1/auditor-access",
                s.token(who),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }

    // Another organisation, with its own auditor and enrolment.
    let other = app
        .scene("eastfield")
        .course(NewCourse::new("ST9", "Plumbing"))
        .cast()
        .enrol(NewEnrolment::amelia().course("ST9"))
        .build()
        .await;

    // Everything wrong at once, each named.
    let r = app
        .send(
            Method::POST,
            "/api/v1/auditor-access",
            &s.admin,
            Some(json!({
                "auditor_id": s.id("tom"),
                "purpose": "  ",
                "starts_on": day(-5),
                "ends_on": day(-2),
                "scope": "sample",
                "enrolment_ids": [amelia, other.enrolment("amelia"), Uuid::now_v7()],
            })),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        fields(&body),
        [
            "purpose",
            "auditor_id",
            "ends_on",
            "enrolment_ids[1]",
            "enrolment_ids[2]"
        ],
        "{body}"
    );
    let detail = |field: &str| {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .map(|e| e["detail"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(
        detail("auditor_id"),
        "this person is not an active auditor: give them the auditor role first"
    );
    assert_eq!(
        detail("ends_on"),
        format!("is in the past: access must end on {} or later", day(0))
    );

    let cases = [
        (json!({ "auditor_id": other.id("audrey") }), "auditor_id"),
        (json!({ "starts_on": day(3), "ends_on": day(2) }), "ends_on"),
        (
            json!({ "starts_on": day(0), "ends_on": day(366) }),
            "ends_on",
        ),
        (json!({ "enrolment_ids": [] }), "enrolment_ids"),
        // A sample named by nobody is an error, never every learner.
        (json!({ "enrolment_ids": null }), "learner_emails"),
        (json!({ "scope": "everyone" }), "scope"),
        (json!({ "purpose": "x".repeat(201) }), "purpose"),
    ];
    for (change, field) in cases {
        let mut wrong = grant_body(s.id("sam"), Some(vec![amelia]));
        for (k, v) in change.as_object().unwrap() {
            wrong[k] = v.clone();
        }
        let r = app
            .send(
                Method::POST,
                "/api/v1/auditor-access",
                &s.admin,
                Some(wrong),
            )
            .await;
        let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&body), [field], "{change}: {body}");
    }
    // A sample by the learners' addresses: each one nobody enrolled has is named.
    let mut by_email = grant_body(s.id("sam"), Some(vec![]));
    by_email["enrolment_ids"] = Value::Null;
    by_email["learner_emails"] = json!(["olly@n.example", "nobody@n.example", "not an address"]);
    let r = app
        .send(
            Method::POST,
            "/api/v1/auditor-access",
            &s.admin,
            Some(by_email),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        fields(&body),
        ["learner_emails[1]", "learner_emails[2]"],
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["detail"],
        "nobody enrolled in your organisation has the address nobody@n.example"
    );
    let mut by_email = grant_body(s.id("sam"), Some(vec![]));
    by_email["enrolment_ids"] = Value::Null;
    by_email["learner_emails"] = json!(["olly@n.example"]);
    let grant = app
        .ok(
            Method::POST,
            "/api/v1/auditor-access",
            &s.admin,
            Some(by_email),
        )
        .await;
    assert_eq!(
        grant["sample"][0]["enrolment_id"],
        json!(s.enrolment("olly"))
    );

    // Every learner and a sample at once is a contradiction.
    let mut both = grant_body(s.id("sam"), Some(vec![amelia]));
    both["scope"] = json!("all_learners");
    let r = app
        .send(Method::POST, "/api/v1/auditor-access", &s.admin, Some(both))
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["scope"], "{body}");

    // A year to the day is allowed (366 days apart would be more).
    let mut year = grant_body(s.id("sam"), None);
    year["starts_on"] = json!(day(0));
    year["ends_on"] = json!(day(365));
    let r = app
        .send(Method::POST, "/api/v1/auditor-access", &s.admin, Some(year))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let grant: Value = r.json().await.unwrap();
    let path = format!("/api/v1/auditor-access/{}", grant["id"].as_str().unwrap());

    // Nothing was half-written by the refusals: the two grants made, besides the standing ones.
    let count: i64 = sqlx::query_scalar(
        "select count(*) from auditor_grants where tenant_id = $1 and purpose <> 'Standing access in tests'",
    )
    .bind(s.tenant.id)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(count, 2);

    // Read by the admin and by Sam; not by other staff, nor another organisation.
    assert_eq!(
        status(&app, &s.admin, Method::GET, &path).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, s.token("sam"), Method::GET, &path).await,
        StatusCode::OK
    );
    for who in ["tom", "audrey"] {
        assert_eq!(
            status(&app, s.token(who), Method::GET, &path).await,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        status(&app, &other.admin, Method::GET, &path).await,
        StatusCode::NOT_FOUND
    );
    let withdrawal = format!("{path}/withdrawal");
    assert_eq!(
        status(&app, &other.admin, Method::POST, &withdrawal).await,
        StatusCode::NOT_FOUND
    );
    let theirs = app
        .ok(Method::GET, "/api/v1/auditor-access", &other.admin, None)
        .await;
    assert!(
        theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["purpose"] == "Standing access in tests"),
        "{theirs}"
    );
    // Tom lists none: grants are the admins' and their auditors'.
    let toms = app
        .ok(Method::GET, "/api/v1/auditor-access", s.token("tom"), None)
        .await;
    assert_eq!(toms["items"], json!([]));
}
