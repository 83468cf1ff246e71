//! IQA sampling plans (issue 23, item 1): a plan for one assessor on one course asks for an
//! interim and a summative sample of every learner or of a share of them, every unit the
//! learners study and each method named; what is planned, done and overdue is computed by
//! hand here from the learners' dates. Samples of evidence and sessions count with
//! sign-offs. Who may make, change, read and delete plans, role by role; every field
//! checked; other organisations get 404.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, NewUnit, Scene, days_ago, days_ahead};
use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::evidence::signed_off_with_evidence;

/// Tom assesses Amelia (IQA Iris, optional unit O1), Olly (no IQA), Pia (IQA Iris) and
/// Quinn (IQA Iris, withdrawn) on ST1; Sam assesses Rosa. Ivy is another IQA.
async fn scene(app: &TestApp) -> Scene<&TestApp> {
    app.scene("northgate")
        .course(
            NewCourse::new("ST1", "Engineering").component(
                "Diploma",
                [
                    NewUnit::new("M1", "Safety").criteria(2, "Works safely"),
                    NewUnit::new("M2", "Quality").criteria(2, "Checks work"),
                    NewUnit::new("O1", "Welding")
                        .optional()
                        .criteria(1, "Welds"),
                    NewUnit::new("O2", "Painting")
                        .optional()
                        .criteria(1, "Paints"),
                ],
            ),
        )
        .cast()
        .people(&[
            ("pia@n.example", Role::Learner),
            ("quinn@n.example", Role::Learner),
            ("rosa@n.example", Role::Learner),
            ("sam@n.example", Role::Assessor),
            ("ivy@n.example", Role::Iqa),
        ])
        .enrol(
            NewEnrolment::amelia()
                .course("ST1")
                .dates(days_ago(200), days_ahead(165))
                .optional_units(&["O1"]),
        )
        .enrol(
            NewEnrolment::olly()
                .course("ST1")
                .dates(days_ago(100), days_ahead(265)),
        )
        .enrol(
            NewEnrolment::new("pia")
                .course("ST1")
                .assessor("tom")
                .iqa("iris")
                .dates(days_ago(300), days_ahead(65)),
        )
        .enrol(
            NewEnrolment::new("quinn")
                .course("ST1")
                .assessor("tom")
                .iqa("iris")
                .dates(days_ago(50), days_ahead(315))
                .status_because("withdrawn", days_ago(10), "Moved away"),
        )
        .enrol(
            NewEnrolment::new("rosa")
                .course("ST1")
                .assessor("sam")
                .dates(days_ago(50), days_ahead(315)),
        )
        .build()
        .await
}

/// The organisation's today (Europe/London, the default time zone).
fn london_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
}

/// (learner, stage, due, done) of each planned sample.
fn planned(plan: &Value) -> Vec<(String, String, String, Option<String>)> {
    plan["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["learner_name"].as_str().unwrap().to_owned(),
                p["stage"].as_str().unwrap().to_owned(),
                p["due_on"].as_str().unwrap().to_owned(),
                p["done_on"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn row(
    who: &str,
    stage: &str,
    due: chrono::NaiveDate,
    done: Option<chrono::NaiveDate>,
) -> (String, String, String, Option<String>) {
    (
        format!("Person {who}@n.example"),
        stage.to_owned(),
        due.to_string(),
        done.map(|d| d.to_string()),
    )
}

#[tokio::test]
async fn a_plan_asks_for_a_share_of_the_learners_and_counts_what_is_done_and_overdue() {
    let app = TestApp::spawn().await;
    let s = scene(&app).await;
    let st1 = s.course("ST1").id;
    let made = app
        .send(
            Method::POST,
            "/api/v1/iqa-plans",
            s.token("iris"),
            Some(json!({
                "course_id": st1, "assessor_id": s.id("tom"), "strategy": "percentage",
                "percentage": 50, "methods": ["professional_discussion", "observation"],
            })),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: Value = made.json().await.unwrap();
    let plan = format!("/api/v1/iqa-plans/{}", made["id"].as_str().unwrap());
    assert_eq!(made["interim_at_percent"], 50);
    assert_eq!(made["summative_weeks_before_end"], 4);
    assert_eq!(
        made["methods"],
        json!(["observation", "professional_discussion"])
    );
    assert_eq!(made["may_change"], true);

    // The plan is worked out over all Tom's learners on ST1 who are not withdrawn:
    // Amelia, Olly and Pia. 50 % of 3 = 1.5, rounded up to 2; none sampled, so the middles
    // of two halves of [Pia (−300 days), Amelia (−200), Olly (−100)]: indexes
    // (1 × 3) / 4 = 0 and (3 × 3) / 4 = 2, Pia and Olly. Each programme is 365 days; the
    // interim sample falls due at 50 %, 182 days in, the summative one 28 days before the
    // end. Pia: 300 − 182 = 118 days ago (overdue), 65 − 28 = 37 ahead. Olly:
    // 182 − 100 = 82 days ahead, 265 − 28 = 237 ahead.
    let all = app.ok(Method::GET, &plan, &s.admin, None).await;
    assert_eq!(
        planned(&all),
        [
            row("pia", "interim", days_ago(118), None),
            row("pia", "summative", days_ahead(37), None),
            row("olly", "interim", days_ahead(82), None),
            row("olly", "summative", days_ahead(237), None),
        ]
    );
    // Units: M1 and M2 (mandatory) and O1 (Amelia chose it); O2 nobody studies.
    assert_eq!(
        all["summary"],
        json!({ "learners": 3, "learners_planned": 2, "planned": 4, "done": 0, "overdue": 1,
                "hidden_learners": 0, "units": 3, "units_sampled": 0,
                "methods_planned": 2, "methods_sampled": 0 })
    );
    // Iris is IQA of Amelia and Pia, not Olly: the same plan and figures, Olly's rows
    // counted but not shown to her.
    assert_eq!(
        planned(&made),
        [
            row("pia", "interim", days_ago(118), None),
            row("pia", "summative", days_ahead(37), None),
        ]
    );
    assert_eq!(made["summary"]["planned"], 4);
    assert_eq!(made["summary"]["hidden_learners"], 1);

    // Tom signs off M1.1 for Amelia and holds an observation with her; Iris samples the
    // sign-off, the evidence and the session, by observation.
    let amelia = s.enrolment("amelia");
    let m1 = s.course("ST1").unit("M1").criteria.clone();
    let component = s.course("ST1").component("Diploma").id;
    signed_off_with_evidence(
        &app,
        (s.token("amelia"), s.token("tom")),
        amelia,
        component,
        &m1[..1],
        1,
    )
    .await;
    let evidence: Uuid = sqlx::query_scalar("select id from evidence where enrolment_id = $1")
        .bind(amelia)
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    let session = app
        .ok(
            Method::POST,
            &format!("/api/v1/enrolments/{amelia}/sessions"),
            s.token("tom"),
            Some(json!({ "session_type": "teaching",
                         "starts_at": format!("{}T10:00:00Z", days_ago(3)),
                         "duration_minutes": 60 })),
        )
        .await;
    let session_id = session["id"].as_str().unwrap();
    let samples = format!("/api/v1/enrolments/{amelia}/iqa-samples");
    // An open session has nothing to sample yet.
    let r = app
        .send(
            Method::POST,
            &samples,
            s.token("iris"),
            Some(json!({ "stage": "interim", "decision": "agree", "session_ids": [session_id] })),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["session_ids[0]"]);
    app.ok(
        Method::POST,
        &format!("/api/v1/sessions/{session_id}/outcome"),
        s.token("tom"),
        Some(json!({ "outcome": "attended" })),
    )
    .await;
    // A disagreement reopens sign-offs: with none sampled there is nothing to reopen.
    let r = app
        .send(
            Method::POST,
            &samples,
            s.token("iris"),
            Some(
                json!({ "stage": "interim", "decision": "disagree", "session_ids": [session_id],
                         "feedback": "Too short." }),
            ),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["criterion_ids"]);
    let sample = app
        .ok(
            Method::POST,
            &samples,
            s.token("iris"),
            Some(json!({
                "stage": "interim", "decision": "agree", "method": "observation",
                "criterion_ids": [m1[0]], "evidence_ids": [evidence], "session_ids": [session_id],
            })),
        )
        .await;
    assert_eq!(sample["method"], "observation");
    assert_eq!(sample["evidence"][0]["title"], "Risk assessment");
    assert_eq!(sample["evidence"][0]["version"], 1);
    assert_eq!(sample["sessions"][0]["session_type"], "teaching");
    assert_eq!(sample["criteria"][0]["code"], "M1.1");

    // Amelia, sampled, now counts first; one more of [Pia, Olly]: index (1 × 2) / 2 = 1,
    // Olly. Amelia's interim sample done today; nothing overdue (Pia is no longer
    // planned); M1 sampled once; observation sampled, professional discussion not yet.
    let all = app.ok(Method::GET, &plan, &s.admin, None).await;
    assert_eq!(
        planned(&all),
        [
            row("amelia", "interim", days_ago(18), Some(london_today())),
            row("amelia", "summative", days_ahead(137), None),
            row("olly", "interim", days_ahead(82), None),
            row("olly", "summative", days_ahead(237), None),
        ]
    );
    assert_eq!(
        all["summary"],
        json!({ "learners": 3, "learners_planned": 2, "planned": 4, "done": 1, "overdue": 0,
                "hidden_learners": 0, "units": 3, "units_sampled": 1,
                "methods_planned": 2, "methods_sampled": 1 })
    );
    let mine = app.ok(Method::GET, &plan, s.token("iris"), None).await;
    assert_eq!(
        planned(&mine),
        [
            row("amelia", "interim", days_ago(18), Some(london_today())),
            row("amelia", "summative", days_ahead(137), None),
        ]
    );
    assert_eq!(mine["summary"]["hidden_learners"], 1);
    let units: Vec<(&str, i64)> = mine["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["code"].as_str().unwrap(), u["samples"].as_i64().unwrap()))
        .collect();
    assert_eq!(units, [("M1", 1), ("M2", 0), ("O1", 0)]);
    assert_eq!(
        mine["method_coverage"],
        json!([{ "method": "observation", "planned": true, "samples": 1 },
               { "method": "professional_discussion", "planned": true, "samples": 0 }])
    );

    // Every learner now: 3 learners × 2 = 6 samples, Pia's interim overdue again.
    let every = app
        .ok(
            Method::PUT,
            &plan,
            s.token("ivy"),
            Some(json!({ "strategy": "every_learner", "methods": ["observation"] })),
        )
        .await;
    assert_eq!(every["strategy"], "every_learner");
    let all = app.ok(Method::GET, &plan, &s.admin, None).await;
    assert_eq!(
        all["summary"],
        json!({ "learners": 3, "learners_planned": 3, "planned": 6, "done": 1, "overdue": 1,
                "hidden_learners": 0, "units": 3, "units_sampled": 1,
                "methods_planned": 1, "methods_sampled": 1 })
    );

    // The plan page says the same, each learner linking to their IQA tab.
    let (status, page) = app
        .follow_link_as(
            &s.tenant.slug,
            "iris@n.example",
            &format!(
                "{}/app/iqa-plans/{}",
                app.base,
                made["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("/app/enrolments/{amelia}/iqa")),
        "{page}"
    );
    assert!(
        page.contains("Samples done: <strong>1 of 6</strong>"),
        "{page}"
    );
    assert!(
        page.contains("1 more learner is planned whom you cannot see"),
        "{page}"
    );
    assert!(page.contains("id=\"change-plan-form\""), "{page}");
    let (status, list) = app
        .follow_link_as(
            &s.tenant.slug,
            "tom@n.example",
            &format!("{}/app/iqa-plans", app.base),
        )
        .await;
    assert_eq!(status, 200);
    assert!(list.contains("Person tom@n.example"), "{list}");
    assert!(
        !list.contains("id=\"new-plan\""),
        "Tom does not plan: {list}"
    );
}

#[tokio::test]
async fn iqas_and_admins_plan_for_others_assessors_read_their_own_and_every_field_is_checked() {
    let app = TestApp::spawn().await;
    let s = scene(&app).await;
    let st1 = s.course("ST1").id;
    let tom = s.id("tom");
    let new =
        |who: Uuid| json!({ "course_id": st1, "assessor_id": who, "strategy": "every_learner" });
    // Only IQAs and admins make plans.
    for who in ["tom", "audrey", "amelia", "manny"] {
        let r = app
            .send(
                Method::POST,
                "/api/v1/iqa-plans",
                s.token(who),
                Some(new(tom)),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    // Every field at fault, at once.
    let r = app
        .send(
            Method::POST,
            "/api/v1/iqa-plans",
            s.token("iris"),
            Some(json!({
                "course_id": Uuid::now_v7(), "assessor_id": s.id("manny"), "strategy": "some",
                "interim_at_percent": 95, "summative_weeks_before_end": 60,
                "methods": ["observation", "dance", "observation"],
            })),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        fields(&body),
        [
            "course_id",
            "assessor_id",
            "strategy",
            "interim_at_percent",
            "summative_weeks_before_end",
            "methods[1]",
            "methods[2]",
        ],
        "{body}"
    );
    for (percentage, strategy) in [(json!(0), "percentage"), (json!(null), "percentage")] {
        let r = app
            .send(
                Method::POST,
                "/api/v1/iqa-plans",
                s.token("iris"),
                Some(
                    json!({ "course_id": st1, "assessor_id": tom, "strategy": strategy,
                             "percentage": percentage }),
                ),
            )
            .await;
        let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&body), ["percentage"], "{strategy} {percentage}");
    }
    // Nobody plans the sampling of their own decisions.
    let both = app
        .user(&s.tenant, "bea@n.example", &[Role::Iqa, Role::Assessor])
        .await;
    let bea = app.login(&s.tenant, "bea@n.example").await;
    let r = app
        .send(Method::POST, "/api/v1/iqa-plans", &bea, Some(new(both)))
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["assessor_id"]);

    let made = app
        .ok(Method::POST, "/api/v1/iqa-plans", &s.admin, Some(new(tom)))
        .await;
    let plan = format!("/api/v1/iqa-plans/{}", made["id"].as_str().unwrap());
    // One plan per assessor and course.
    let r = app
        .send(
            Method::POST,
            "/api/v1/iqa-plans",
            s.token("iris"),
            Some(new(tom)),
        )
        .await;
    problem(r, StatusCode::CONFLICT).await;

    // Readers: IQAs, admins and auditors every plan; Tom his own; Sam none of Tom's;
    // learners and employers nothing at all.
    let listed = |v: &Value| v["items"].as_array().unwrap().len();
    for who in ["iris", "ivy", "audrey", "tom"] {
        let list = app
            .ok(Method::GET, "/api/v1/iqa-plans", s.token(who), None)
            .await;
        assert_eq!(listed(&list), 1, "{who}");
        let one = app.ok(Method::GET, &plan, s.token(who), None).await;
        assert_eq!(one["may_change"], who == "iris" || who == "ivy", "{who}");
    }
    let sam = app
        .ok(Method::GET, "/api/v1/iqa-plans", s.token("sam"), None)
        .await;
    assert_eq!(listed(&sam), 0);
    for who in ["amelia", "manny"] {
        let r = app
            .send(Method::GET, "/api/v1/iqa-plans", s.token(who), None)
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    for who in ["sam", "amelia", "manny"] {
        let r = app.send(Method::GET, &plan, s.token(who), None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who}");
    }
    // An auditor given a sample reads only the plans that reach a learner of it: Rosa
    // (Sam's) is not on Tom's plan; Amelia is, and only her rows are shown.
    sqlx::query("delete from auditor_grants where tenant_id = $1 and auditor_id = $2")
        .bind(s.tenant.id)
        .bind(s.id("audrey"))
        .execute(&app.database.pool)
        .await
        .unwrap();
    let grant = |enrolment: Uuid| {
        json!({ "auditor_id": s.id("audrey"), "purpose": "ESFA audit",
                "starts_on": london_today(), "ends_on": london_today() + chrono::Days::new(5),
                "scope": "sample", "enrolment_ids": [enrolment] })
    };
    app.ok(
        Method::POST,
        "/api/v1/auditor-access",
        &s.admin,
        Some(grant(s.enrolment("rosa"))),
    )
    .await;
    let list = app
        .ok(Method::GET, "/api/v1/iqa-plans", s.token("audrey"), None)
        .await;
    assert_eq!(listed(&list), 0);
    for method in [Method::GET, Method::DELETE] {
        let r = app
            .send(method.clone(), &plan, s.token("audrey"), None)
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method}");
    }
    app.ok(
        Method::POST,
        "/api/v1/auditor-access",
        &s.admin,
        Some(grant(s.enrolment("amelia"))),
    )
    .await;
    let one = app.ok(Method::GET, &plan, s.token("audrey"), None).await;
    assert_eq!(one["summary"]["learners_planned"], 3);
    let seen: Vec<&str> = one["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["learner_name"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["Person amelia@n.example"; 2]);
    assert_eq!(one["summary"]["hidden_learners"], 2);
    let r = app
        .send(Method::DELETE, &plan, s.token("audrey"), None)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Changing and deleting: IQAs and admins; its other readers 403, anyone else 404.
    let change = json!({ "strategy": "percentage", "percentage": 25 });
    for who in ["tom", "audrey"] {
        let r = app
            .send(Method::PUT, &plan, s.token(who), Some(change.clone()))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
        let r = app.send(Method::DELETE, &plan, s.token(who), None).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    for who in ["sam", "amelia"] {
        let r = app
            .send(Method::PUT, &plan, s.token(who), Some(change.clone()))
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who}");
    }
    // A plan stays with its course and assessor.
    let r = app
        .send(
            Method::PUT,
            &plan,
            s.token("iris"),
            Some(json!({ "strategy": "every_learner", "assessor_id": s.id("sam") })),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["assessor_id"]);
    let changed = app
        .ok(Method::PUT, &plan, s.token("iris"), Some(change))
        .await;
    assert_eq!(changed["percentage"], 25);

    // Another organisation: 404 for the plan, an empty list, and this one's course and
    // assessor are unknown there.
    let other = app.scene("eastfield").build().await;
    for method in [Method::GET, Method::DELETE] {
        let r = app.send(method.clone(), &plan, &other.admin, None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method}");
    }
    let r = app
        .send(
            Method::PUT,
            &plan,
            &other.admin,
            Some(json!({ "strategy": "every_learner" })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list = app
        .ok(Method::GET, "/api/v1/iqa-plans", &other.admin, None)
        .await;
    assert_eq!(listed(&list), 0);
    let r = app
        .send(
            Method::POST,
            "/api/v1/iqa-plans",
            &other.admin,
            Some(new(tom)),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["course_id", "assessor_id"]);

    // Deleted by an IQA; the audit log has all three.
    let r = app.send(Method::DELETE, &plan, s.token("ivy"), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.send(Method::GET, &plan, &s.admin, None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let audited: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where tenant_id = $1 and action like 'iqa.plan%'
         order by at, id",
    )
    .bind(s.tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        ["iqa.plan_create", "iqa.plan_update", "iqa.plan_delete"]
    );
}

#[tokio::test]
async fn nobody_reads_the_samples_of_their_own_programme_in_a_plan_or_the_record() {
    let app = TestApp::spawn().await;
    let s = scene(&app).await;
    let m1 = s.course("ST1").unit("M1").criteria.clone();
    let component = s.course("ST1").component("Diploma").id;
    // Tom signs off M1.1 for Amelia and for Pia; Iris samples both.
    for who in ["amelia", "pia"] {
        signed_off_with_evidence(
            &app,
            (s.token(who), s.token("tom")),
            s.enrolment(who),
            component,
            &m1[..1],
            1,
        )
        .await;
        app.ok(
            Method::POST,
            &format!("/api/v1/enrolments/{}/iqa-samples", s.enrolment(who)),
            s.token("iris"),
            Some(json!({ "stage": "interim", "decision": "agree", "criterion_ids": [m1[0]] })),
        )
        .await;
    }
    let made = app
        .ok(
            Method::POST,
            "/api/v1/iqa-plans",
            s.token("iris"),
            Some(
                json!({ "course_id": s.course("ST1").id, "assessor_id": s.id("tom"),
                         "strategy": "every_learner" }),
            ),
        )
        .await;
    let plan = format!("/api/v1/iqa-plans/{}", made["id"].as_str().unwrap());
    // Pia is made an admin too: she reads the whole organisation, but not her own
    // programme's samples.
    app.ok(
        Method::PUT,
        &format!("/api/v1/users/{}/roles", s.id("pia")),
        &s.admin,
        Some(json!({ "roles": ["learner", "admin"] })),
    )
    .await;
    let seen = app.ok(Method::GET, &plan, s.token("pia"), None).await;
    let mut names: Vec<&str> = seen["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["learner_name"].as_str().unwrap())
        .collect();
    names.dedup();
    assert_eq!(names, ["Person amelia@n.example", "Person olly@n.example"]);
    assert_eq!(seen["summary"]["hidden_learners"], 1);
    // The admin herself sees all three.
    let all = app.ok(Method::GET, &plan, &s.admin, None).await;
    assert_eq!(all["summary"]["hidden_learners"], 0);
    assert_eq!(all["samples"].as_array().unwrap().len(), 6);
    // The record: Amelia's sample, not her own.
    let sheet = crate::iqa_samples::record(&app, s.token("pia"), "")
        .await
        .unwrap();
    assert_eq!(sheet[5][1], "Person amelia@n.example");
    assert_eq!(sheet[7][..2], ["Samples".to_owned(), "1".to_owned()]);
    let sheet = crate::iqa_samples::record(&app, &s.admin, "")
        .await
        .unwrap();
    assert_eq!(sheet[8][..2], ["Samples".to_owned(), "2".to_owned()]);
}
