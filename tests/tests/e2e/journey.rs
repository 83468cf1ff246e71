//! Issue 4's "done when", through the API alone: an admin imports a course and enrols a
//! learner; the assessor chooses an optional unit; the learner uploads evidence; the
//! assessor maps it and signs every criterion off; every progress figure matches a hand
//! computation at each step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use folio_domain::Role;
use folio_tests::TestApp;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.authed(Method::GET, path, token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_assessor_takes_a_learner_from_an_empty_portfolio_to_everything_signed_off() {
    let app = TestApp::spawn().await;
    let (tenant, _, admin) = app.tenant_with_admin("northgate").await;
    let learner_id = app
        .user(&tenant, "amelia@n.example", &[Role::Learner])
        .await;
    let assessor_id = app.user(&tenant, "tom@n.example", &[Role::Assessor]).await;
    let learner = app.login(&tenant, "amelia@n.example").await;
    let assessor = app.login(&tenant, "tom@n.example").await;

    // A course of 2 components: K (mandatory unit K1 with 2 criteria, optional units O1 with
    // 1 criterion and O2 with 5) and S (mandatory unit S1 with 2 criteria).
    let course: Value = app
        .authed(Method::POST, "/api/v1/courses/import", &admin)
        .json(&json!({
            "code": "ST0457", "title": "Engineering Technician",
            "components": [
                { "title": "Knowledge", "units": [
                    { "code": "K1", "title": "Safety", "criteria": [
                        { "code": "K1.1", "text": "Identify hazards" },
                        { "code": "K1.2", "text": "Assess risk" } ] },
                    { "code": "O1", "title": "Hydraulics", "optional": true, "optional_group": "A", "criteria": [
                        { "code": "O1.1", "text": "Explain pressure" } ] },
                    { "code": "O2", "title": "Pneumatics", "optional": true, "optional_group": "A", "criteria": [
                        { "code": "O2.1", "text": "a" }, { "code": "O2.2", "text": "b" }, { "code": "O2.3", "text": "c" },
                        { "code": "O2.4", "text": "d" }, { "code": "O2.5", "text": "e" } ] } ] },
                { "title": "Skills", "units": [
                    { "code": "S1", "title": "Maintenance", "criteria": [
                        { "code": "S1.1", "text": "Plan the job" },
                        { "code": "S1.2", "text": "Do the job" } ] } ] }
            ]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let components = course["components"].as_array().unwrap();
    let (knowledge, skills) = (&components[0], &components[1]);
    let unit = |component: &Value, i: usize| component["units"][i].clone();
    let criteria = |unit: &Value| -> Vec<String> {
        unit["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (k1, o1, s1) = (unit(knowledge, 0), unit(knowledge, 1), unit(skills, 0));

    // Started 100 days ago, planned to end in 300: 25% of the time has elapsed.
    let today = Utc::now().date_naive();
    let enrolment: Value = app
        .authed(Method::POST, "/api/v1/enrolments", &admin)
        .json(&json!({
            "learner_id": learner_id, "course_id": course["id"], "assessor_id": assessor_id,
            "start_date": (today - Duration::days(100)).to_string(),
            "planned_end_date": (today + Duration::days(300)).to_string(),
            "contracted_hours_per_week": 30, "planned_otj_hours": 280
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = enrolment["id"].as_str().unwrap().to_owned();
    let started = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/status"),
            &assessor,
        )
        .json(&json!({ "status": "in_learning", "on": (today - Duration::days(100)).to_string() }))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::OK);

    // Empty portfolio: mandatory units only, 4 criteria, nothing mapped. 25% elapsed is
    // inside the grace period (judged from 25%… "at least 25%"), and 25 ≥ 0 + 10: off track.
    let p = get(&app, &learner, &format!("/api/v1/enrolments/{e}/progress")).await;
    assert_eq!(p["overall"]["criteria"], 4);
    assert_eq!(p["overall"]["signed_off_percent"], 0.0);
    assert_eq!(p["overall"]["time_elapsed_percent"], 25.0);
    assert_eq!(p["overall"]["track_status"], "off_track");

    // The assessor chooses O1 (1 criterion): 5 criteria now count, O2's 5 do not.
    let chosen = app
        .authed(
            Method::PUT,
            &format!("/api/v1/enrolments/{e}/optional-units"),
            &assessor,
        )
        .json(&json!({ "unit_ids": [o1["id"]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), StatusCode::OK);
    let p = get(&app, &assessor, &format!("/api/v1/enrolments/{e}/progress")).await;
    assert_eq!(p["overall"]["criteria"], 5);

    // The learner uploads two pieces of evidence.
    let mut evidence = Vec::new();
    for (component, name) in [(knowledge, "knowledge.pdf"), (skills, "skills.pdf")] {
        let form = Form::new()
            .text("component_id", component["id"].as_str().unwrap().to_owned())
            .text("title", name)
            .text("declaration", "true")
            .text("signature_name", "Amelia Clarke")
            .part(
                "file",
                Part::bytes(name.as_bytes().repeat(1000)).file_name(name),
            );
        let r = app
            .authed(
                Method::POST,
                &format!("/api/v1/enrolments/{e}/evidence"),
                &learner,
            )
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let body: Value = r.json().await.unwrap();
        evidence.push(body["id"].as_str().unwrap().to_owned());
    }

    // The assessor maps the first to K1's two criteria and O1's: 3 of 5 mapped = 60%,
    // nothing signed off. Basis "mapped": 60 ≥ 25 + 10, so ahead.
    let mut knowledge_criteria = criteria(&k1);
    knowledge_criteria.extend(criteria(&o1));
    let r = app
        .authed(
            Method::PUT,
            &format!("/api/v1/evidence/{}/criteria", evidence[0]),
            &assessor,
        )
        .json(&json!({ "criterion_ids": knowledge_criteria }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let p = get(&app, &assessor, &format!("/api/v1/enrolments/{e}/progress")).await;
    assert_eq!(p["overall"]["mapped_percent"], 60.0);
    assert_eq!(p["overall"]["signed_off_percent"], 0.0);
    assert_eq!(p["overall"]["track_status"], "ahead");
    assert_eq!(
        p["components"][0]["mapped_percent"], 100.0,
        "Knowledge: 3 of 3"
    );
    assert_eq!(p["components"][1]["mapped_percent"], 0.0, "Skills: 0 of 2");

    // Sign off K1 (2 of 5 = 40%): pace 40% in 100 days, so 100% after 250 days:
    // projected completion = start + 250 days.
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/sign-offs"),
            &assessor,
        )
        .json(&json!({ "criterion_ids": criteria(&k1) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let p = get(&app, &assessor, &format!("/api/v1/enrolments/{e}/progress")).await;
    assert_eq!(p["overall"]["signed_off_percent"], 40.0);
    assert_eq!(
        p["overall"]["projected_completion_date"],
        (today - Duration::days(100) + Duration::days(250)).to_string()
    );
    let map = get(
        &app,
        &learner,
        &format!("/api/v1/enrolments/{e}/progress-map?non_completed=true"),
    )
    .await;
    let open: usize = map["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["units"].as_array().unwrap())
        .map(|u| u["criteria"].as_array().unwrap().len())
        .sum();
    assert_eq!(open, 3, "O1.1, S1.1 and S1.2 are not yet signed off");

    // Map the second piece to S1 and sign everything off.
    let r = app
        .authed(
            Method::PUT,
            &format!("/api/v1/evidence/{}/criteria", evidence[1]),
            &assessor,
        )
        .json(&json!({ "criterion_ids": criteria(&s1) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut all = criteria(&k1);
    all.extend(criteria(&o1));
    all.extend(criteria(&s1));
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/sign-offs"),
            &assessor,
        )
        .json(&json!({ "criterion_ids": all }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    let p = get(&app, &learner, &format!("/api/v1/enrolments/{e}/progress")).await;
    assert_eq!(p["overall"]["signed_off_percent"], 100.0);
    assert_eq!(p["overall"]["mapped_percent"], 100.0);
    assert_eq!(
        p["overall"]["projected_completion_date"],
        today.to_string(),
        "the day of the last sign-off"
    );
    let map = get(
        &app,
        &learner,
        &format!("/api/v1/enrolments/{e}/progress-map?non_completed=true"),
    )
    .await;
    assert!(
        map["components"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["units"].as_array().unwrap().is_empty()),
        "{map}"
    );
    let achievements = get(
        &app,
        &learner,
        &format!("/api/v1/enrolments/{e}/achievements"),
    )
    .await;
    for component in achievements["components"].as_array().unwrap() {
        assert_eq!(component["achieved_on"], today.to_string(), "{component}");
        assert_eq!(component["units_achieved"], component["units_total"]);
    }
    assert_eq!(
        achievements["components"][0]["units_total"], 2,
        "K1 and the chosen O1"
    );
    let overview = get(&app, &learner, &format!("/api/v1/enrolments/{e}/overview")).await;
    assert_eq!(overview["learner"]["name"], "Person amelia@n.example");
    assert_eq!(overview["days_to_planned_end"], 300);
    app.finish().await;
}
