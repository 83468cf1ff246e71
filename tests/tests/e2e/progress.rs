//! Progress: every figure against a hand computation, with the enrolment's dates chosen
//! relative to today so the time figures are exact; who may see a learner's progress; the
//! tenant settings that change track status.
//!
//! Mappings and sign-offs are written with SQL in a tenant transaction: the evidence and
//! mapping API is not what is tested here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use folio_db::platform::Tenant;
use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, NewUnit, days_ago, days_ahead, today};
use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// A course built for hand computation:
///
/// | component | unit | kind | criteria |
/// |---|---|---|---|
/// | Diploma | A1 | mandatory | 4 |
/// | Diploma | A2 | optional, group "Pathway", chosen | 2 |
/// | Diploma | A3 | optional, not chosen | 3 |
/// | Maths | B1 | mandatory | 4 |
/// | Portfolio | C1 | mandatory | 0 |
///
/// So a learner with A2 chosen has 4 + 2 + 4 = 10 criteria.
fn course(code: &str) -> NewCourse {
    let unit = |code: &str, criteria| {
        NewUnit::new(code, &format!("Unit {code}")).criteria(criteria, "Does the thing")
    };
    NewCourse::new(code, "Engineering Technician")
        .component(
            "Diploma",
            [
                unit("A1", 4),
                unit("A2", 2).group("Pathway"),
                unit("A3", 3).optional(),
            ],
        )
        .component("Maths", [unit("B1", 4)])
        .component("Portfolio", [unit("C1", 0)])
}

/// Noon UTC of a day, so the sign-off's date is that day whatever the time zone.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap())
        .and_utc()
}

/// Writes evidence for an enrolment as the evidence library would, and returns its id.
async fn evidence(
    app: &TestApp,
    tenant: &Tenant,
    enrolment: Uuid,
    component: Uuid,
    learner: Uuid,
) -> Uuid {
    let id = Uuid::now_v7();
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    sqlx::query(
        "insert into evidence (tenant_id, id, enrolment_id, component_id, title, declared_own_work,
                               signature_name, signed_at, uploaded_by)
         values ($1, $2, $3, $4, 'Workbook', true, 'Amelia Learner', now(), $5)",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(enrolment)
    .bind(component)
    .bind(learner)
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn map(app: &TestApp, tenant: &Tenant, enrolment: Uuid, by: Uuid, pairs: &[(Uuid, Uuid)]) {
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    for (criterion, evidence) in pairs {
        sqlx::query(
            "insert into criterion_mappings (tenant_id, enrolment_id, criterion_id, evidence_id, mapped_by)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.id)
        .bind(enrolment)
        .bind(criterion)
        .bind(evidence)
        .bind(by)
        .execute(tx.conn())
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn sign_off(
    app: &TestApp,
    tenant: &Tenant,
    enrolment: Uuid,
    by: Uuid,
    criteria: &[Uuid],
    on: NaiveDate,
) {
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    for criterion in criteria {
        sqlx::query(
            "insert into criterion_sign_offs (tenant_id, enrolment_id, criterion_id, signed_off_by, signed_off_at)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.id)
        .bind(enrolment)
        .bind(criterion)
        .bind(by)
        .bind(noon(on))
        .execute(tx.conn())
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.authed(Method::GET, path, token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.json().await.unwrap()
}

async fn put_settings(app: &TestApp, admin: &str, body: Value) -> reqwest::Response {
    app.authed(Method::PUT, "/api/v1/settings", admin)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn track_settings(basis: &str, margin: f64, grace: f64) -> Value {
    json!({
        "track": { "basis": basis, "margin_points": margin, "grace_percent": grace },
        "evidence_max_bytes": 536870912,
        "review_frequency_weeks": 12,
        "induction_within_days": 28,
        "active_learning_weeks": 4,
        "timezone": "Europe/London",
        "require_two_factor_for_staff": false,
        "ukprn": null
    })
}

/// The track statuses of the overall bars and of each component, in order.
fn tracks(progress: &Value) -> (Value, Vec<Value>) {
    let components = progress["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["track_status"].clone())
        .collect();
    (progress["overall"]["track_status"].clone(), components)
}

fn ids(values: &Value) -> Vec<String> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The organisation (see [`scene`]) and the learner's two pieces of evidence.
struct Scene {
    org: folio_tests::scene::Scene,
    e1: Uuid,
    e2: Uuid,
}

impl std::ops::Deref for Scene {
    type Target = folio_tests::scene::Scene;

    fn deref(&self) -> &Self::Target {
        &self.org
    }
}

/// One learner, 30 days into a 100-day programme (start today − 30, planned end today +
/// 70), with optional unit A2 chosen and A3 not, and this state:
///
/// - A1: A1.1 and A1.2 signed off 10 days ago (mapped to e1); A1.3 mapped to e1 and e2;
///   A1.4 nothing;
/// - A2: A2.1 signed off 5 days ago, A2.2 signed off 3 days ago;
/// - A3 (not chosen): A3.1 mapped and signed off: must count nowhere;
/// - B1: B1.1 mapped to e2; the rest nothing;
/// - C1: no criteria.
///
/// Counts of the 10 criteria: 4 signed off, 2 more mapped.
async fn scene() -> Scene {
    let org = TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(course("ST0457"))
        .people(&[
            ("amelia@n.example", Role::Learner),
            ("tom@n.example", Role::Assessor),
        ])
        .enrol(
            NewEnrolment::new("amelia")
                .assessor("tom")
                .dates(days_ago(30), days_ahead(70))
                .hours(37.5, 400.0)
                .optional_units(&["A2"]),
        )
        .build()
        .await;
    let (app, tenant) = (&org.app, &org.tenant);
    let (learner, assessor) = (org.id("amelia"), org.id("tom"));
    let (enrolment, course) = (org.enrolment("amelia"), org.course("ST0457"));
    let component = |title| course.component(title).id;
    let e1 = evidence(app, tenant, enrolment, component("Diploma"), learner).await;
    let e2 = evidence(app, tenant, enrolment, component("Maths"), learner).await;
    let criteria = |code| &course.unit(code).criteria;
    let (a1, a2, a3, b1) = (
        criteria("A1"),
        criteria("A2"),
        criteria("A3"),
        criteria("B1"),
    );
    map(
        app,
        tenant,
        enrolment,
        assessor,
        &[
            (a1[0], e1),
            (a1[1], e1),
            (a1[2], e1),
            (a1[2], e2),
            (a3[0], e1),
            (b1[0], e2),
        ],
    )
    .await;
    sign_off(app, tenant, enrolment, assessor, &a1[..2], days_ago(10)).await;
    sign_off(app, tenant, enrolment, assessor, &a2[..1], days_ago(5)).await;
    sign_off(app, tenant, enrolment, assessor, &a2[1..], days_ago(3)).await;
    sign_off(app, tenant, enrolment, assessor, &a3[..1], days_ago(3)).await;
    Scene { org, e1, e2 }
}

#[tokio::test]
async fn progress_bars_match_a_hand_computation() {
    let s = scene().await;
    let path = format!("/api/v1/enrolments/{}/progress", s.enrolment("amelia"));
    let p = get(&s.app, &s.admin, &path).await;

    // Time: 30 of 100 days.
    assert_eq!(p["status"], "awaiting_induction");
    assert_eq!(p["time"]["as_of"], json!(today()));
    assert_eq!(p["time"]["time_elapsed_percent"], json!(30.0));
    assert_eq!(p["time"]["past_planned_end"], false);
    assert_eq!(p["time"]["days_to_planned_end"], 70);
    assert_eq!(p["time"]["revised_end_date"], Value::Null);
    assert_eq!(
        p["track_rule"],
        json!({ "basis": "mapped", "margin_points": 10.0, "grace_percent": 25.0 })
    );

    // Overall: 10 criteria (A3 not chosen, so not counted), 4 signed off = 40%,
    // 4 + 2 with evidence = 60%. Mapped 60% leads elapsed 30% by ≥ 10: ahead.
    // Projection: 4 of 10 in 30 days → 30 × 10 / 4 = 75 days from the start = today + 45.
    let overall = &p["overall"];
    assert_eq!(overall["criteria"], 10);
    assert_eq!(overall["criteria_signed_off"], 4);
    assert_eq!(overall["criteria_with_evidence"], 6);
    assert_eq!(overall["signed_off_percent"], json!(40.0));
    assert_eq!(overall["mapped_percent"], json!(60.0));
    assert_eq!(overall["time_elapsed_percent"], json!(30.0));
    assert_eq!(overall["past_planned_end"], false);
    assert_eq!(overall["days_to_planned_end"], 70);
    assert_eq!(overall["track_status"], "ahead");
    assert_eq!(overall["projected_completion_date"], json!(days_ahead(45)));

    let components = p["components"].as_array().unwrap();
    let titles: Vec<&str> = components
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Diploma", "Maths", "Portfolio"]);
    // Diploma: A1 + A2 = 6 criteria, 4 signed off = 66.7%, 5 with evidence = 83.3%; ahead.
    // Projection: 30 × 6 / 4 = 45 days from the start = today + 15.
    let diploma = &components[0];
    assert_eq!(
        diploma["component_id"],
        json!(s.course("ST0457").component("Diploma").id)
    );
    assert_eq!(diploma["criteria"], 6);
    assert_eq!(diploma["signed_off_percent"], json!(66.7));
    assert_eq!(diploma["mapped_percent"], json!(83.3));
    assert_eq!(diploma["track_status"], "ahead");
    assert_eq!(diploma["projected_completion_date"], json!(days_ahead(15)));
    // Maths: 4 criteria, none signed off, 1 mapped = 25%. 30 < 25 + 10 and 25 < 30 + 10:
    // on track. Nothing signed off: no projection.
    let maths = &components[1];
    assert_eq!(maths["criteria"], 4);
    assert_eq!(maths["signed_off_percent"], json!(0.0));
    assert_eq!(maths["mapped_percent"], json!(25.0));
    assert_eq!(maths["track_status"], "on_track");
    assert_eq!(maths["projected_completion_date"], Value::Null);
    // Portfolio: no criteria at all: 0%, never NaN, and no track to be off: not applicable
    // (30% elapsed would otherwise be past the 25% grace period with 30 ≥ 0 + 10).
    let portfolio = &components[2];
    assert_eq!(portfolio["criteria"], 0);
    assert_eq!(portfolio["signed_off_percent"], json!(0.0));
    assert_eq!(portfolio["mapped_percent"], json!(0.0));
    assert_eq!(portfolio["track_status"], "not_applicable");
    assert_eq!(portfolio["projected_completion_date"], Value::Null);

    // The overview shows the same overall figures, counted by its own query.
    let o = get(
        &s.app,
        &s.admin,
        &format!("/api/v1/enrolments/{}/overview", s.enrolment("amelia")),
    )
    .await;
    assert_eq!(o["learner"]["id"], json!(s.id("amelia")));
    assert_eq!(o["learner"]["name"], "Person amelia@n.example");
    assert_eq!(o["course"]["code"], "ST0457");
    assert_eq!(o["status"], "awaiting_induction");
    assert_eq!(o["planned_end_date"], json!(days_ahead(70)));
    assert_eq!(o["signed_off_percent"], json!(40.0));
    assert_eq!(o["mapped_percent"], json!(60.0));
    assert_eq!(o["days_to_planned_end"], 70);
    assert_eq!(o["past_planned_end"], false);
    assert_eq!(o["track_status"], "ahead");
    s.org.app.finish().await;
}

#[tokio::test]
async fn unchosen_optional_units_do_not_count_until_chosen() {
    let s = scene().await;
    let path = format!("/api/v1/enrolments/{}/progress", s.enrolment("amelia"));
    // Choose A3 as well, drop A2: A1 4 + A3 3 + B1 4 = 11 criteria; signed off A1.1, A1.2
    // and A3.1 = 3 (27.3%); with evidence those and A1.3 and B1.1 = 5 (45.5%).
    s.choose_units(s.enrolment("amelia"), &[s.course("ST0457").unit("A3").id])
        .await;
    let p = get(&s.app, &s.admin, &path).await;
    assert_eq!(p["overall"]["criteria"], 11);
    assert_eq!(p["overall"]["signed_off_percent"], json!(27.3));
    assert_eq!(p["overall"]["mapped_percent"], json!(45.5));
    // No optional unit chosen: 8 criteria, 2 signed off (25%), 4 with evidence (50%).
    s.choose_units(s.enrolment("amelia"), &[]).await;
    let p = get(&s.app, &s.admin, &path).await;
    assert_eq!(p["overall"]["criteria"], 8);
    assert_eq!(p["overall"]["signed_off_percent"], json!(25.0));
    assert_eq!(p["overall"]["mapped_percent"], json!(50.0));
    let units = get(
        &s.app,
        &s.admin,
        &format!("/api/v1/enrolments/{}/units", s.enrolment("amelia")),
    )
    .await;
    let codes: Vec<&str> = units["components"][0]["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["A1"], "neither optional unit is the learner's now");
    s.org.app.finish().await;
}

#[tokio::test]
async fn the_units_page_lists_the_learners_units_with_their_figures() {
    let s = scene().await;
    let u = get(
        &s.app,
        &s.admin,
        &format!("/api/v1/enrolments/{}/units", s.enrolment("amelia")),
    )
    .await;
    let components = u["components"].as_array().unwrap();
    assert_eq!(components.len(), 3);
    let diploma = components[0]["units"].as_array().unwrap();
    // A3 is not chosen, so it is not one of the learner's units.
    assert_eq!(diploma.len(), 2);
    // A1: 2 of 4 signed off (50%), 3 of 4 with evidence (75%), not achieved.
    assert_eq!(
        diploma[0]["unit_id"],
        json!(s.course("ST0457").unit("A1").id)
    );
    assert_eq!(diploma[0]["code"], "A1");
    assert_eq!(diploma[0]["optional"], false);
    assert_eq!(diploma[0]["criteria"], 4);
    assert_eq!(diploma[0]["signed_off_percent"], json!(50.0));
    assert_eq!(diploma[0]["mapped_percent"], json!(75.0));
    assert_eq!(diploma[0]["achieved_on"], Value::Null);
    // A2: optional from "Pathway", both signed off; achieved on the later sign-off.
    assert_eq!(
        diploma[1]["unit_id"],
        json!(s.course("ST0457").unit("A2").id)
    );
    assert_eq!(diploma[1]["optional"], true);
    assert_eq!(diploma[1]["optional_group"], "Pathway");
    assert_eq!(diploma[1]["signed_off_percent"], json!(100.0));
    assert_eq!(diploma[1]["mapped_percent"], json!(100.0));
    assert_eq!(diploma[1]["achieved_on"], json!(days_ago(3)));
    // B1: 1 of 4 with evidence.
    let maths = components[1]["units"].as_array().unwrap();
    assert_eq!(maths[0]["unit_id"], json!(s.course("ST0457").unit("B1").id));
    assert_eq!(maths[0]["signed_off_percent"], json!(0.0));
    assert_eq!(maths[0]["mapped_percent"], json!(25.0));
    // C1: no criteria, 0%, never achieved.
    let portfolio = components[2]["units"].as_array().unwrap();
    assert_eq!(
        portfolio[0]["unit_id"],
        json!(s.course("ST0457").unit("C1").id)
    );
    assert_eq!(portfolio[0]["criteria"], 0);
    assert_eq!(portfolio[0]["signed_off_percent"], json!(0.0));
    assert_eq!(portfolio[0]["achieved_on"], Value::Null);
    s.org.app.finish().await;
}

#[tokio::test]
async fn the_progress_map_shows_every_criterion_and_filters_the_non_completed() {
    let s = scene().await;
    let base = format!("/api/v1/enrolments/{}/progress-map", s.enrolment("amelia"));
    let m = get(&s.app, &s.admin, &base).await;
    assert_eq!(m["non_completed_only"], false);
    let components = m["components"].as_array().unwrap();
    // Portfolio's only unit has no criteria, so there is nothing of it on the map.
    assert_eq!(components.len(), 2);
    let diploma = components[0]["units"].as_array().unwrap();
    let codes: Vec<&str> = diploma
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["A1", "A2"]);
    let a1 = diploma[0]["criteria"].as_array().unwrap();
    let states: Vec<&str> = a1.iter().map(|c| c["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["signed_off", "signed_off", "mapped", "none"]);
    assert_eq!(
        a1[0]["criterion_id"],
        json!(s.course("ST0457").unit("A1").criteria[0])
    );
    assert_eq!(a1[0]["code"], "A1.1");
    assert_eq!(ids(&a1[0]["evidence_ids"]), [s.e1.to_string()]);
    let signed_off_at: DateTime<Utc> = a1[0]["signed_off_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(signed_off_at, noon(days_ago(10)));
    assert_eq!(
        ids(&a1[2]["evidence_ids"]),
        [s.e1.to_string(), s.e2.to_string()]
    );
    assert_eq!(a1[2]["signed_off_at"], Value::Null);
    assert_eq!(ids(&a1[3]["evidence_ids"]), Vec::<String>::new());
    // A2 signed off without evidence mapped is still signed off.
    let a2 = diploma[1]["criteria"].as_array().unwrap();
    assert_eq!(a2[0]["state"], "signed_off");
    let b1 = components[1]["units"][0]["criteria"].as_array().unwrap();
    let states: Vec<&str> = b1.iter().map(|c| c["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["mapped", "none", "none", "none"]);
    let all: usize = components
        .iter()
        .flat_map(|c| c["units"].as_array().unwrap())
        .map(|u| u["criteria"].as_array().unwrap().len())
        .sum();
    assert_eq!(all, 10);

    // Non-completed: the 6 criteria not signed off; A2 has none left and disappears.
    let m = get(&s.app, &s.admin, &format!("{base}?non_completed=true")).await;
    assert_eq!(m["non_completed_only"], true);
    let listed: Vec<String> = m["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["units"].as_array().unwrap())
        .flat_map(|u| u["criteria"].as_array().unwrap())
        .map(|c| {
            assert_ne!(c["state"], "signed_off");
            c["code"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(listed, ["A1.3", "A1.4", "B1.1", "B1.2", "B1.3", "B1.4"]);
    let m = get(&s.app, &s.admin, &format!("{base}?non_completed=false")).await;
    assert_eq!(m["non_completed_only"], false);
    let r = s
        .app
        .authed(
            Method::GET,
            &format!("{base}?non_completed=maybe"),
            &s.admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["non_completed"]
    );
    s.org.app.finish().await;
}

#[tokio::test]
async fn the_record_of_achievement_dates_units_and_components() {
    let s = scene().await;
    let path = format!("/api/v1/enrolments/{}/achievements", s.enrolment("amelia"));
    let a = get(&s.app, &s.admin, &path).await;
    let components = a["components"].as_array().unwrap();
    // Diploma: A2 achieved 3 days ago; A1 not yet, so the component is not.
    assert_eq!(
        components[0]["component_id"],
        json!(s.course("ST0457").component("Diploma").id)
    );
    assert_eq!(components[0]["achieved_on"], Value::Null);
    assert_eq!(components[0]["units_total"], 2);
    assert_eq!(components[0]["units_achieved"], 1);
    assert_eq!(
        components[0]["units"],
        json!([{ "unit_id": s.course("ST0457").unit("A2").id, "code": "A2", "title": "Unit A2",
                 "achieved_on": days_ago(3) }])
    );
    assert_eq!(components[1]["units_achieved"], 0);
    assert_eq!(components[1]["units"], json!([]));

    // Sign off the rest of A1 yesterday and all of B1 two days ago: Diploma is achieved on
    // the later of its units' dates (yesterday), Maths two days ago; Portfolio's unit has
    // no criteria, so it is never achieved.
    sign_off(
        &s.app,
        &s.tenant,
        s.enrolment("amelia"),
        s.id("tom"),
        &s.course("ST0457").unit("A1").criteria[2..],
        days_ago(1),
    )
    .await;
    sign_off(
        &s.app,
        &s.tenant,
        s.enrolment("amelia"),
        s.id("tom"),
        &s.course("ST0457").unit("B1").criteria,
        days_ago(2),
    )
    .await;
    let a = get(&s.app, &s.admin, &path).await;
    let components = a["components"].as_array().unwrap();
    assert_eq!(components[0]["achieved_on"], json!(days_ago(1)));
    assert_eq!(components[0]["units_achieved"], 2);
    assert_eq!(components[0]["units"][0]["code"], "A1");
    assert_eq!(components[0]["units"][0]["achieved_on"], json!(days_ago(1)));
    assert_eq!(components[1]["achieved_on"], json!(days_ago(2)));
    assert_eq!(components[2]["achieved_on"], Value::Null);
    assert_eq!(components[2]["units_total"], 1);
    assert_eq!(components[2]["units_achieved"], 0);

    // Every criterion signed off: 100%, and the projection is the last sign-off's date.
    let p = get(
        &s.app,
        &s.admin,
        &format!("/api/v1/enrolments/{}/progress", s.enrolment("amelia")),
    )
    .await;
    assert_eq!(p["overall"]["signed_off_percent"], json!(100.0));
    assert_eq!(
        p["overall"]["projected_completion_date"],
        json!(days_ago(1))
    );
    assert_eq!(
        p["components"][1]["projected_completion_date"],
        json!(days_ago(2))
    );
    s.org.app.finish().await;
}

#[tokio::test]
async fn past_the_planned_end_the_bar_is_red_a_break_pauses_it_and_a_withdrawal_stops_it() {
    let app = TestApp::spawn().await;
    // 100 planned days that ended 20 days ago: 120% elapsed.
    let s = app
        .scene("northgate")
        .course(course("ST0457"))
        .people(&[
            ("jack@n.example", Role::Learner),
            ("tom@n.example", Role::Assessor),
        ])
        .enrol(
            NewEnrolment::new("jack")
                .assessor("tom")
                .dates(days_ago(120), days_ago(20))
                .hours(37.5, 400.0),
        )
        .signed_out()
        .build()
        .await;
    let (admin, id) = (&s.admin, s.enrolment("jack"));
    let path = format!("/api/v1/enrolments/{id}/progress");
    let p = get(&app, admin, &path).await;
    assert_eq!(p["time"]["time_elapsed_percent"], json!(120.0));
    assert_eq!(p["time"]["past_planned_end"], true);
    assert_eq!(p["time"]["days_to_planned_end"], -20);
    assert_eq!(p["overall"]["time_elapsed_percent"], json!(120.0));
    assert_eq!(p["overall"]["past_planned_end"], true);
    assert_eq!(p["overall"]["days_to_planned_end"], -20);
    assert_eq!(p["overall"]["track_status"], "off_track");

    // A revised end 80 days ahead (200 days in all) is shown beside the planned one: 60%.
    // Track status stays against the planned end date.
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{id}/revised-end-date"),
            admin,
        )
        .json(&json!({ "revised_end_date": days_ahead(80), "reason": "Break in learning" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let p = get(&app, admin, &path).await;
    assert_eq!(p["time"]["revised_end_date"], json!(days_ahead(80)));
    assert_eq!(p["time"]["time_elapsed_percent_of_revised"], json!(60.0));
    assert_eq!(p["time"]["past_revised_end"], false);
    assert_eq!(p["time"]["time_elapsed_percent"], json!(120.0));
    assert_eq!(p["overall"]["track_status"], "off_track");

    // On a break in learning since 15 days ago the clock pauses: (120 − 15) / 100 days
    // = 105% elapsed; against the revised end (200 days), (120 − 15) / 200 = 52.5%.
    for change in [
        json!({ "status": "in_learning", "on": days_ago(120) }),
        json!({ "status": "break_in_learning", "on": days_ago(15),
                "break_reason": "illness", "expected_return_on": days_ahead(15) }),
    ] {
        let r = app
            .authed(
                Method::POST,
                &format!("/api/v1/enrolments/{id}/status"),
                admin,
            )
            .json(&change)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let p = get(&app, admin, &path).await;
    assert_eq!(p["status"], "break_in_learning");
    assert_eq!(p["time"]["as_of"], json!(today()));
    assert_eq!(p["overall"]["time_elapsed_percent"], json!(105.0));
    assert_eq!(p["time"]["time_elapsed_percent_of_revised"], json!(52.5));
    assert_eq!(p["overall"]["track_status"], "off_track");

    // Withdrawn 10 days ago, which ended the break: the clock stopped then, at day 110
    // less the 5 days of the break (from 15 to 10 days ago): 105 of 100 days, 5 days past
    // the planned end; track status no longer applies.
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{id}/status"),
            admin,
        )
        .json(
            &json!({ "status": "withdrawn", "on": days_ago(10), "reason": "Moved away",
                "withdrawal_reason_code": 44 }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let p = get(&app, admin, &path).await;
    assert_eq!(p["time"]["as_of"], json!(days_ago(10)));
    assert_eq!(p["overall"]["time_elapsed_percent"], json!(105.0));
    assert_eq!(p["overall"]["days_to_planned_end"], -5);
    assert_eq!(p["overall"]["track_status"], "not_applicable");
    let o = get(&app, admin, &format!("/api/v1/enrolments/{id}/overview")).await;
    assert_eq!(o["status"], "withdrawn");
    assert_eq!(o["track_status"], "not_applicable");
    app.finish().await;
}

#[tokio::test]
async fn track_status_follows_the_tenants_settings() {
    let s = scene().await;
    let path = format!("/api/v1/enrolments/{}/progress", s.enrolment("amelia"));
    // Default (mapped, 10, 25), computed above: ahead; Diploma ahead, Maths on track,
    // Portfolio (no criteria) not applicable.
    let p = get(&s.app, &s.admin, &path).await;
    assert_eq!(
        tracks(&p),
        (
            json!("ahead"),
            vec![json!("ahead"), json!("on_track"), json!("not_applicable")]
        )
    );

    // Signed off, margin 15, grace 25. Overall 40% against 30%: neither 30 ≥ 55 nor
    // 40 ≥ 45: on track. Diploma 66.7 ≥ 45: ahead. Maths 0%: 30 ≥ 15 past the grace
    // period: off track. Portfolio: not applicable whatever the rule.
    let r = put_settings(&s.app, &s.admin, track_settings("signed_off", 15.0, 25.0)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["track"]["basis"], "signed_off");
    let p = get(&s.app, &s.admin, &path).await;
    assert_eq!(p["track_rule"]["margin_points"], json!(15.0));
    assert_eq!(
        tracks(&p),
        (
            json!("on_track"),
            vec![json!("ahead"), json!("off_track"), json!("not_applicable")]
        )
    );

    // A 35% grace period: 30% elapsed is within it, so nobody is off track yet.
    let r = put_settings(&s.app, &s.admin, track_settings("signed_off", 15.0, 35.0)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let p = get(&s.app, &s.admin, &path).await;
    assert_eq!(
        tracks(&p),
        (
            json!("on_track"),
            vec![json!("ahead"), json!("on_track"), json!("not_applicable")]
        )
    );
    let o = get(
        &s.app,
        &s.admin,
        &format!("/api/v1/enrolments/{}/overview", s.enrolment("amelia")),
    )
    .await;
    assert_eq!(o["track_status"], "on_track");
    s.org.app.finish().await;
}

#[tokio::test]
async fn settings_are_read_by_staff_changed_by_admins_and_checked() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("northgate")
        .people(&[
            ("tom@n.example", Role::Assessor),
            ("iqa@n.example", Role::Iqa),
            ("aud@n.example", Role::Auditor),
            ("l@n.example", Role::Learner),
            ("m@n.example", Role::Employer),
        ])
        .signed_out()
        .build()
        .await;
    let (tenant, admin) = (&s.tenant, &s.admin);
    let (_, _, other_admin) = app.tenant_with_admin("southgate").await;
    let defaults = get(&app, admin, "/api/v1/settings").await;
    assert_eq!(defaults, track_settings("mapped", 10.0, 25.0));
    for email in ["tom@n.example", "iqa@n.example", "aud@n.example"] {
        let token = app.login(tenant, email).await;
        assert_eq!(get(&app, &token, "/api/v1/settings").await, defaults);
        let r = put_settings(&app, &token, defaults.clone()).await;
        problem(r, StatusCode::FORBIDDEN).await;
    }
    for email in ["l@n.example", "m@n.example"] {
        let token = app.login(tenant, email).await;
        let r = app
            .authed(Method::GET, "/api/v1/settings", &token)
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::FORBIDDEN).await;
    }

    // Out of range, unknown, missing and mistyped settings are 422 naming the setting,
    // and nothing is stored.
    let r = put_settings(&app, admin, track_settings("mapped", 101.0, 25.0)).await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["track.margin_points"]);
    let mut zero = track_settings("mapped", 10.0, 25.0);
    zero["review_frequency_weeks"] = json!(0);
    let r = put_settings(&app, admin, zero).await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["review_frequency_weeks"]
    );
    let mut unknown = track_settings("mapped", 10.0, 25.0);
    unknown["colour"] = json!("red");
    let r = put_settings(&app, admin, unknown).await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let r = put_settings(&app, admin, json!({ "track": { "basis": "mapped" } })).await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let r = put_settings(&app, admin, track_settings("vibes", 10.0, 25.0)).await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["track.basis"]
    );
    assert_eq!(get(&app, admin, "/api/v1/settings").await, defaults);

    // A valid change is stored, audited with before and after, and is this organisation's
    // alone.
    let mut changed = track_settings("signed_off", 5.0, 10.0);
    changed["review_frequency_weeks"] = json!(13);
    let r = put_settings(&app, admin, changed.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), changed);
    assert_eq!(get(&app, admin, "/api/v1/settings").await, changed);
    assert_eq!(get(&app, &other_admin, "/api/v1/settings").await, defaults);
    let audit: Vec<(Option<Uuid>, Value)> = sqlx::query_as(
        "select entity_id, details from audit_log where action = 'settings.update' and tenant_id = $1",
    )
    .bind(tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 1, "only the accepted change is audited");
    assert_eq!(audit[0].0, Some(tenant.id));
    assert_eq!(audit[0].1["before"], defaults);
    assert_eq!(audit[0].1["after"], changed);
    // The UKPRN is 8 digits starting with 1.
    let mut with_ukprn = defaults.clone();
    with_ukprn["ukprn"] = json!("2001234");
    let r = put_settings(&app, admin, with_ukprn.clone()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("UKPRN"), "{p}");
    with_ukprn["ukprn"] = json!("10012345");
    let r = put_settings(&app, admin, with_ukprn).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get(&app, admin, "/api/v1/settings").await["ukprn"],
        "10012345"
    );
    app.finish().await;
}

#[tokio::test]
async fn only_those_who_may_see_the_enrolment_see_its_progress() {
    let mut s = scene().await;
    s.org.add_person("other@n.example", Role::Learner).await;
    s.org.add_person("ann@n.example", Role::Assessor).await;
    let other_learner = s.org.sign_in("other").await;
    let other_assessor = s.org.sign_in("ann").await;
    let app = &s.app;
    let (_, _, other_tenant_admin) = app.tenant_with_admin("southgate").await;
    let learner = s.token("amelia").to_owned();
    let assessor = s.token("tom").to_owned();
    let id = s.enrolment("amelia");
    let endpoints = [
        format!("/api/v1/enrolments/{id}/progress"),
        format!("/api/v1/enrolments/{id}/units"),
        format!("/api/v1/enrolments/{id}/progress-map?non_completed=true"),
        format!("/api/v1/enrolments/{id}/achievements"),
        format!("/api/v1/enrolments/{id}/overview"),
        format!("/api/v1/enrolments/{id}/progress/history"),
    ];
    for path in &endpoints {
        for (who, token, expected) in [
            ("admin", &s.admin, StatusCode::OK),
            ("own learner", &learner, StatusCode::OK),
            ("caseload assessor", &assessor, StatusCode::OK),
            ("other learner", &other_learner, StatusCode::NOT_FOUND),
            ("other assessor", &other_assessor, StatusCode::NOT_FOUND),
            ("other tenant", &other_tenant_admin, StatusCode::NOT_FOUND),
        ] {
            let r = app.authed(Method::GET, path, token).send().await.unwrap();
            assert_eq!(r.status(), expected, "{who}: GET {path}");
            if expected == StatusCode::NOT_FOUND {
                problem(r, expected).await;
            }
        }
        let r = app.request(Method::GET, path).send().await.unwrap();
        problem(r, StatusCode::UNAUTHORIZED).await;
    }
    // An id that exists nowhere is the same 404.
    let r = app
        .authed(
            Method::GET,
            &format!("/api/v1/enrolments/{}/progress", Uuid::now_v7()),
            &s.admin,
        )
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    s.org.app.finish().await;
}
