//! Enrolments: who may enrol, see and change whom; status rules; fixed dates; optional units.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, NewUnit, date};
use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// A course with one component holding a mandatory unit (U0) and two optional units (U1, U2).
fn course(code: &str) -> NewCourse {
    NewCourse::new(code, "Engineering Technician").component(
        "Standard",
        [
            NewUnit::new("U0", "Unit"),
            NewUnit::new("U1", "Unit").optional(),
            NewUnit::new("U2", "Unit").optional(),
        ],
    )
}

/// What [`basic`] enrols, for the scene builder.
fn basic_enrolment(learner: &str) -> NewEnrolment {
    NewEnrolment::new(learner)
        .dates(date(2026, 1, 5), date(2027, 7, 5))
        .hours(37.5, 400.0)
}

async fn enrol(app: &TestApp, admin: &str, body: Value) -> Value {
    let r = app
        .authed(Method::POST, "/api/v1/enrolments", admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap_or_default()
    );
    r.json().await.unwrap()
}

fn basic(learner: Uuid, course: Uuid) -> Value {
    json!({
        "learner_id": learner, "course_id": course,
        "start_date": "2026-01-05", "planned_end_date": "2027-07-05",
        "contracted_hours_per_week": 37.5, "planned_otj_hours": 400
    })
}

async fn status(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    app.authed(
        Method::POST,
        &format!("/api/v1/enrolments/{id}/status"),
        token,
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn admins_enrol_learners_with_checked_people_and_numbers() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .course(course("ST0457"))
        .people(&[
            ("amelia@n.example", Role::Learner),
            ("tom@n.example", Role::Assessor),
            ("jack@n.example", Role::Learner),
        ])
        .build()
        .await;
    let (admin, c) = (&s.admin, s.course("ST0457"));
    let (learner, assessor, not_assessor) = (s.id("amelia"), s.id("tom"), s.id("jack"));

    let bad = app
        .authed(Method::POST, "/api/v1/enrolments", admin)
        .json(&json!({
            "learner_id": assessor, "course_id": c.id, "assessor_id": not_assessor,
            "start_date": "2026-01-05", "planned_end_date": "2026-01-05",
            "contracted_hours_per_week": 0, "planned_otj_hours": -1
        }))
        .send()
        .await
        .unwrap();
    let body = problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut named = fields(&body);
    named.sort();
    assert_eq!(
        named,
        [
            "assessor_id",
            "contracted_hours_per_week",
            "learner_id",
            "planned_end_date",
            "planned_otj_hours"
        ]
    );

    let mut unknown_course = basic(learner, Uuid::now_v7());
    unknown_course["assessor_id"] = json!(assessor);
    let r = app
        .authed(Method::POST, "/api/v1/enrolments", admin)
        .json(&unknown_course)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["course_id"]
    );

    // The learner named by e-mail address instead: one way only, someone in this
    // organisation, and a learner.
    let by_email = |email: Value| {
        let mut body = basic(learner, c.id);
        body.as_object_mut().unwrap().remove("learner_id");
        body["learner_email"] = email;
        body
    };
    let mut both = by_email(json!("amelia@n.example"));
    both["learner_id"] = json!(learner);
    for (body, detail) in [
        (
            by_email(json!("nobody@n.example")),
            "is not the address of anyone",
        ),
        (by_email(json!("tom@n.example")), "learner role"),
        (by_email(json!("not an address")), ""),
        (by_email(json!("  ")), "is needed"),
        (both, "one way"),
    ] {
        let r = app
            .authed(Method::POST, "/api/v1/enrolments", admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&problem), ["learner_email"], "{body}");
        assert!(
            problem["errors"][0]["detail"]
                .as_str()
                .unwrap()
                .contains(detail),
            "{problem}"
        );
    }
    let count: i64 = sqlx::query_scalar("select count(*) from enrolments")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing written");
    // Typed as people type it (capitals, spaces): Amelia, enrolled.
    let e = enrol(&app, admin, by_email(json!(" Amelia@N.example "))).await;
    assert_eq!(e["learner"]["name"], "Person amelia@n.example");
    sqlx::query("delete from enrolments")
        .execute(&app.database.pool)
        .await
        .unwrap();

    let mut good = basic(learner, c.id);
    good["assessor_id"] = json!(assessor);
    let e = enrol(&app, admin, good).await;
    assert_eq!(e["status"], "awaiting_induction");
    assert_eq!(e["learner"]["name"], "Person amelia@n.example");
    assert_eq!(e["course"]["code"], "ST0457");
    assert_eq!(e["contracted_hours_per_week"], 37.5);
    assert_eq!(e["planned_otj_hours"], 400.0);
    assert_eq!(e["assessor_id"], assessor.to_string());

    // Only admins enrol.
    let r = app
        .authed(Method::POST, "/api/v1/enrolments", s.token("tom"))
        .json(&basic(learner, c.id))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN).await;
    app.finish().await;
}

#[tokio::test]
async fn everyone_sees_exactly_the_enrolments_they_stand_in_relation_to() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .course(course("ST0457"))
        .people(&[
            ("l1@n.example", Role::Learner),
            ("l2@n.example", Role::Learner),
            ("a1@n.example", Role::Assessor),
            ("a2@n.example", Role::Assessor),
            ("i1@n.example", Role::Iqa),
            ("m1@n.example", Role::Employer),
            ("m2@n.example", Role::Employer),
            ("auditor@n.example", Role::Auditor),
        ])
        .employer("Acme Ltd", &["m1"])
        .employer("Other Ltd", &["m2"])
        .enrol(
            basic_enrolment("l1")
                .assessor("a1")
                .iqa("i1")
                .employer("Acme Ltd"),
        )
        .enrol(basic_enrolment("l2").assessor("a2").employer("Other Ltd"))
        .signed_out()
        .build()
        .await;
    let (tenant, admin) = (&s.tenant, &s.admin);
    let (a1, other_org) = (s.id("a1"), s.employer("Other Ltd"));
    let e1 = s.enrolment("l1").to_string();
    let e2 = s.enrolment("l2").to_string();

    let expectations: &[(&str, &[&String])] = &[
        ("admin@northgate.example", &[&e1, &e2]),
        ("auditor@n.example", &[&e1, &e2]),
        ("a1@n.example", &[&e1]),
        ("a2@n.example", &[&e2]),
        ("i1@n.example", &[&e1]),
        ("m1@n.example", &[&e1]),
        ("m2@n.example", &[&e2]),
        ("l1@n.example", &[&e1]),
        ("l2@n.example", &[&e2]),
    ];
    for (email, visible) in expectations {
        let token = app.login(tenant, email).await;
        let list: Value = app
            .authed(Method::GET, "/api/v1/enrolments", &token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut ids: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        let mut want: Vec<String> = visible.iter().map(|s| (*s).clone()).collect();
        want.sort();
        assert_eq!(ids, want, "{email} list");
        for id in [&e1, &e2] {
            let r = app
                .authed(Method::GET, &format!("/api/v1/enrolments/{id}"), &token)
                .send()
                .await
                .unwrap();
            let expected = if visible.contains(&id) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status(), expected, "{email} get {id}");
        }
    }

    // Changing status: the admin and the learner's own assessor; others who can see it get
    // 403, those who cannot see it 404.
    let change = json!({ "status": "in_learning", "on": "2026-01-05" });
    for (email, id, expected) in [
        ("a2@n.example", &e1, StatusCode::NOT_FOUND),
        ("i1@n.example", &e1, StatusCode::FORBIDDEN),
        ("m1@n.example", &e1, StatusCode::FORBIDDEN),
        ("l1@n.example", &e1, StatusCode::FORBIDDEN),
        ("auditor@n.example", &e1, StatusCode::FORBIDDEN),
        ("a1@n.example", &e1, StatusCode::OK),
        ("admin@northgate.example", &e2, StatusCode::OK),
    ] {
        let token = app.login(tenant, email).await;
        let r = status(&app, &token, id, change.clone()).await;
        assert_eq!(r.status(), expected, "{email} status of {id}");
    }

    // Caseload filters.
    let list: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/enrolments?assessor_id={a1}"),
            admin,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/enrolments?employer_id={other_org}&status=in_learning"),
            admin,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["id"], e2.as_str());
    app.finish().await;
}

#[tokio::test]
async fn status_follows_the_funding_rules_and_keeps_break_history() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .course(course("ST0457"))
        .person("l@n.example", Role::Learner)
        .enrol(basic_enrolment("l"))
        .signed_out()
        .build()
        .await;
    let admin = &s.admin;
    let id = &s.enrolment("l").to_string();

    // Cannot complete or break before learning has started, nor date before the start.
    let r = status(
        &app,
        admin,
        id,
        json!({ "status": "completed", "on": "2026-06-01" }),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["status"]
    );
    let r = status(
        &app,
        admin,
        id,
        json!({ "status": "in_learning", "on": "2026-01-04" }),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["on"]
    );

    let r: Value = status(
        &app,
        admin,
        id,
        json!({ "status": "in_learning", "on": "2026-01-05" }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["status"], "in_learning");
    assert_eq!(r["learning_started_on"], "2026-01-05");

    // A break needs its reason and the return agreed, after its first day.
    let r = status(
        &app,
        admin,
        id,
        json!({ "status": "break_in_learning", "on": "2026-03-01" }),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["break_reason", "expected_return_on"]
    );
    let r = status(
        &app,
        admin,
        id,
        json!({ "status": "break_in_learning", "on": "2026-03-01",
                "break_reason": "parental_leave", "expected_return_on": "2026-03-01" }),
    )
    .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["expected_return_on"]);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("after the first day of the break"),
        "{p}"
    );
    let r = status(
        &app,
        admin,
        id,
        json!({ "status": "break_in_learning", "on": "2026-03-01",
                "break_reason": "holiday", "expected_return_on": "2026-06-01" }),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown reason"
    );
    let r: Value = status(
        &app,
        admin,
        id,
        json!({ "status": "break_in_learning", "on": "2026-03-01",
                "break_reason": "parental_leave", "expected_return_on": "2026-06-01" }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["status"], "break_in_learning");
    assert_eq!(r["break_started_on"], "2026-03-01");
    assert_eq!(r["break_reason"], "parental_leave");
    assert_eq!(r["break_expected_return_on"], "2026-06-01");
    let r = status(
        &app,
        admin,
        id,
        json!({ "status": "in_learning", "on": "2026-02-28" }),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["on"]
    );
    let r: Value = status(
        &app,
        admin,
        id,
        json!({ "status": "in_learning", "on": "2026-04-01" }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["status"], "in_learning");
    assert_eq!(r["break_started_on"], Value::Null);
    assert_eq!(
        r["learning_started_on"], "2026-01-05",
        "a return does not move the start of learning"
    );
    // Back on 2026-04-01 after a break from 2026-03-01: 31 days. The planned end date
    // stays 2027-07-05; the revised end date is 2027-07-05 + 31 days = 2027-08-05.
    assert_eq!(r["planned_end_date"], "2027-07-05");
    assert_eq!(r["revised_end_date"], "2027-08-05");
    assert!(
        r["revised_end_reason"]
            .as_str()
            .unwrap()
            .contains("31 days"),
        "{r}"
    );

    let r = status(
        &app,
        admin,
        id,
        json!({ "status": "withdrawn", "on": "2026-05-01", "reason": " " }),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["withdrawal_reason_code"]
    );
    // Words without the official return's code are not enough either.
    let r = status(
        &app,
        admin,
        id,
        json!({ "status": "withdrawn", "on": "2026-05-01", "reason": "Moved away" }),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["withdrawal_reason_code"]
    );
    let r: Value = status(
        &app,
        admin,
        id,
        json!({ "status": "completed", "on": "2027-06-30" }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["status"], "completed");
    assert_eq!(r["completed_on"], "2027-06-30");
    let r = status(
        &app,
        admin,
        id,
        json!({ "status": "break_in_learning", "on": "2027-07-01" }),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["status"]
    );

    // A review frequency agreed with the employer: whole weeks, 1 to 52; null clears it.
    for (body, expected) in [
        (json!({ "agreed_review_weeks": 16 }), json!(16)),
        (json!({ "agreed_review_weeks": null }), Value::Null),
    ] {
        let r = app
            .authed(Method::PATCH, &format!("/api/v1/enrolments/{id}"), admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["agreed_review_weeks"], expected);
    }
    for bad in [json!(0), json!(53)] {
        let r = app
            .authed(Method::PATCH, &format!("/api/v1/enrolments/{id}"), admin)
            .json(&json!({ "agreed_review_weeks": bad }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
            ["agreed_review_weeks"]
        );
    }

    // The history, as whoever may see the enrolment reads it.
    let history: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/enrolments/{id}/breaks"),
            admin,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        history,
        json!([{
            "id": history[0]["id"],
            "started_on": "2026-03-01",
            "reason": "parental_leave",
            "reason_label": "Parental leave",
            "expected_return_on": "2026-06-01",
            "ended_on": "2026-04-01",
            "revised_end_before": null,
            "revised_end_after": "2027-08-05",
        }])
    );

    let breaks: Vec<(chrono::NaiveDate, Option<chrono::NaiveDate>)> =
        sqlx::query_as("select started_on, ended_on from enrolment_breaks order by started_on")
            .fetch_all(&app.database.pool)
            .await
            .unwrap();
    assert_eq!(breaks.len(), 1);
    assert_eq!(
        breaks[0].1.map(|d| d.to_string()),
        Some("2026-04-01".to_owned())
    );

    let audit: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/audit-log?entity_id={id}"),
            admin,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "enrolment.update",
            "enrolment.update",
            "enrolment.status",
            "enrolment.status",
            "enrolment.status",
            "enrolment.status",
            "enrolment.create"
        ]
    );
    app.finish().await;
}

#[tokio::test]
async fn the_planned_end_date_is_fixed_and_revisions_are_recorded_beside_it() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .course(course("ST0457"))
        .person("l@n.example", Role::Learner)
        .enrol(basic_enrolment("l"))
        .signed_out()
        .build()
        .await;
    let (tenant, admin) = (&s.tenant, &s.admin);
    let id = &s.enrolment("l").to_string();

    let r = app
        .authed(Method::POST, &format!("/api/v1/enrolments/{id}/revised-end-date"), admin)
        .json(&json!({ "revised_end_date": "2027-10-05", "reason": "Three months' break in learning" }))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["planned_end_date"], "2027-07-05");
    assert_eq!(body["revised_end_date"], "2027-10-05");
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{id}/revised-end-date"),
            admin,
        )
        .json(&json!({ "revised_end_date": "2025-10-05", "reason": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["revised_end_date", "reason"]
    );

    // Not even SQL can move the planned end date or the planned off-the-job hours.
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    let err = sqlx::query("update enrolments set planned_end_date = planned_end_date + 30")
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("planned_end_date is fixed"),
        "{err}"
    );
    drop(tx);
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    let err = sqlx::query("update enrolments set planned_otj_hours = 1")
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("planned_otj_hours is fixed"),
        "{err}"
    );
    app.finish().await;
}

#[tokio::test]
async fn assessors_choose_optional_units_of_the_learners_course_only() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .course(course("ST0457"))
        .course(course("ST0999"))
        .people(&[
            ("l@n.example", Role::Learner),
            ("a@n.example", Role::Assessor),
        ])
        .enrol(basic_enrolment("l").course("ST0457").assessor("a"))
        .build()
        .await;
    let (c, other) = (s.course("ST0457"), s.course("ST0999"));
    let token = s.token("a");
    let path = format!("/api/v1/enrolments/{}/optional-units", s.enrolment("l"));

    let r = app
        .authed(Method::PUT, &path, token)
        .json(&json!({ "unit_ids": [c.unit("U1").id, c.unit("U0").id, other.unit("U1").id, Uuid::now_v7()] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["unit_ids[1]", "unit_ids[2]", "unit_ids[3]"]
    );

    let r: Value = app
        .authed(Method::PUT, &path, token)
        .json(&json!({ "unit_ids": [c.unit("U2").id, c.unit("U1").id, c.unit("U2").id] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut want = vec![c.unit("U1").id.to_string(), c.unit("U2").id.to_string()];
    want.sort();
    assert_eq!(r["optional_unit_ids"], json!(want));
    let r: Value = app
        .authed(Method::PUT, &path, token)
        .json(&json!({ "unit_ids": [] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["optional_unit_ids"], json!([]));

    let r = app
        .authed(Method::PUT, &path, s.token("l"))
        .json(&json!({ "unit_ids": [] }))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN).await;
    app.finish().await;
}

#[tokio::test]
async fn tenant_a_cannot_see_or_change_tenant_b_enrolments() {
    let app = TestApp::spawn().await;
    let (_, _, a) = app.tenant_with_admin("tenant-a").await;
    let b = app
        .scene("tenant-b")
        .course(course("ST0457"))
        .person("l@b.example", Role::Learner)
        .enrol(basic_enrolment("l"))
        .signed_out()
        .build()
        .await;
    let (b_admin, c, learner) = (&b.admin, b.course("ST0457"), b.id("l"));
    let id = &b.enrolment("l").to_string();
    let before: Value = app
        .authed(Method::GET, &format!("/api/v1/enrolments/{id}"), b_admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let attempts = [
        (Method::GET, format!("/api/v1/enrolments/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/enrolments/{id}"),
            Some(json!({ "contracted_hours_per_week": 10 })),
        ),
        (
            Method::POST,
            format!("/api/v1/enrolments/{id}/status"),
            Some(json!({ "status": "in_learning", "on": "2026-02-01" })),
        ),
        (
            Method::POST,
            format!("/api/v1/enrolments/{id}/revised-end-date"),
            Some(json!({ "revised_end_date": "2028-01-01", "reason": "x" })),
        ),
        (
            Method::PUT,
            format!("/api/v1/enrolments/{id}/optional-units"),
            Some(json!({ "unit_ids": [c.unit("U1").id] })),
        ),
    ];
    for (method, path, body) in attempts {
        let mut request = app.authed(method.clone(), &path, &a);
        if let Some(body) = body {
            request = request.json(&body);
        }
        problem(request.send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
    // B's learner and course cannot be enrolled from A either.
    let r = app
        .authed(Method::POST, "/api/v1/enrolments", &a)
        .json(&basic(learner, c.id))
        .send()
        .await
        .unwrap();
    let mut named = fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await);
    named.sort();
    assert_eq!(named, ["learner_id"]);
    let list: Value = app
        .authed(Method::GET, "/api/v1/enrolments", &a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));

    let after: Value = app
        .authed(Method::GET, &format!("/api/v1/enrolments/{id}"), b_admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before, after);
    app.finish().await;
}

#[tokio::test]
async fn edge_cases_are_422_never_500() {
    let app = TestApp::spawn().await;
    let mut s = app
        .scene("northgate")
        .course(course("ST0457"))
        .people(&[
            ("l@n.example", Role::Learner),
            ("m@n.example", Role::Employer),
        ])
        .employer("Acme Ltd", &[])
        .employer("Other Ltd", &["m"])
        .signed_out()
        .build()
        .await;
    let admin = s.admin.clone();
    let (c, learner) = (s.course("ST0457").clone(), s.id("l"));
    let (acme, manager) = (s.employer("Acme Ltd"), s.id("m"));

    for (patch, field) in [
        (
            json!({ "contracted_hours_per_week": 0.001 }),
            "contracted_hours_per_week",
        ),
        (json!({ "start_date": "1800-01-01" }), "start_date"),
        (
            json!({ "planned_end_date": "2999-01-01" }),
            "planned_end_date",
        ),
        (
            json!({ "employer_id": acme, "manager_id": manager }),
            "manager_id",
        ),
        (json!({ "manager_id": manager }), "manager_id"),
    ] {
        let mut body = basic(learner, c.id);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app
            .authed(Method::POST, "/api/v1/enrolments", &admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
            [field],
            "{patch}"
        );
    }

    let id = &s
        .enrol(basic_enrolment("l").employer("Other Ltd").manager("m"))
        .await
        .to_string();
    // Moving the learner to another employer while keeping the old one's manager: refused.
    let r = app
        .authed(Method::PATCH, &format!("/api/v1/enrolments/{id}"), &admin)
        .json(&json!({ "employer_id": acme }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["manager_id"]
    );

    status(
        &app,
        &admin,
        id,
        json!({ "status": "in_learning", "on": "2026-01-05" }),
    )
    .await;
    status(
        &app,
        &admin,
        id,
        json!({ "status": "break_in_learning", "on": "2026-03-01",
                "break_reason": "illness", "expected_return_on": "2026-04-01" }),
    )
    .await;
    let r = status(
        &app,
        &admin,
        id,
        json!({ "status": "withdrawn", "on": "2026-02-01", "reason": "left",
                "withdrawal_reason_code": 44 }),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["on"],
        "cannot predate the break"
    );
    let r = status(
        &app,
        &admin,
        id,
        json!({ "status": "in_learning", "on": "0001-01-01" }),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["on"]
    );

    // Two returns from the break at once: one succeeds, the other is told the status moved on.
    let change = json!({ "status": "in_learning", "on": "2026-04-01" });
    let (a, b) = tokio::join!(
        status(&app, &admin, id, change.clone()),
        status(&app, &admin, id, change.clone())
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY]);
    let breaks: i64 = sqlx::query_scalar("select count(*) from enrolment_breaks")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(breaks, 1);
    app.finish().await;
}

/// A page's unit of work remembers the enrolments it found visible (so its panels do not
/// each check again); one that then changes an enrolment reads it afresh, and its answer
/// is the enrolment as changed, not as first read.
#[tokio::test]
async fn a_unit_of_work_that_remembers_reads_forgets_them_once_it_changes_something() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .course(course("ST0457"))
        .cast()
        .people(&[("grace@n.example", Role::Assessor)])
        .enrol(NewEnrolment::amelia())
        .build()
        .await;
    let e = s.enrolment("amelia");
    let db = folio_db::Database::from_pool(app.database.pool.clone());
    let mut uow =
        folio_app::UnitOfWork::authenticate(&db, &s.admin, folio_app::Disclaimer::MustBeAccepted)
            .await
            .unwrap();
    uow.remember_reads();
    assert_eq!(
        uow.visible_enrolment(e).await.unwrap().assessor_id,
        Some(s.id("tom"))
    );
    let changed = folio_app::enrolments::change_people(
        &mut uow,
        e,
        folio_app::enrolments::PeopleChange {
            assessor_id: Some(Some(s.id("grace"))),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(changed.enrolment.assessor_id, Some(s.id("grace")));
    assert_eq!(
        uow.visible_enrolment(e).await.unwrap().assessor_id,
        Some(s.id("grace"))
    );
    uow.commit().await.unwrap();
    app.finish().await;
}
