//! Gateway readiness (issue 23): the checklist worked out from the portfolio, through the
//! API, with every figure computed by hand; the learner's and employer's agreement, and
//! who may give it; other organisations get 404.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::TestApp;
use folio_tests::scene::{NewCourse, NewEnrolment, NewUnit, days_ago};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::evidence::signed_off_with_evidence;

/// `(key, met, detail)` of each check, in order.
fn checks(body: &Value) -> Vec<(String, bool, String)> {
    body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_owned(),
                c["met"].as_bool().unwrap(),
                c["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn check(key: &str, met: bool, detail: &str) -> (String, bool, String) {
    (key.to_owned(), met, detail.to_owned())
}

#[tokio::test]
async fn the_checklist_is_worked_out_from_the_portfolio_and_the_parties_agree() {
    let app = TestApp::spawn().await;
    let mut s = app
        .scene("northgate")
        .course(
            NewCourse::new("ST1", "Engineering")
                .off_the_job_minimum_hours(187)
                .component(
                    "Diploma",
                    [
                        NewUnit::new("M1", "Safety").criteria(3, "Works safely"),
                        NewUnit::new("O1", "Machining")
                            .optional()
                            .criteria(2, "Machines a part"),
                    ],
                )
                .component(
                    "Functional Skills Maths",
                    [NewUnit::new("FM", "Maths").criteria(2, "Calculates")],
                ),
        )
        .cast()
        .enrol(NewEnrolment::amelia().course("ST1").optional_units(&["O1"]))
        .enrol(NewEnrolment::olly().course("ST1"))
        .build()
        .await;
    let course = s.course("ST1").clone();
    let diploma = course.component("Diploma").id;
    let maths = course.component("Functional Skills Maths").id;
    let (m1, o1, fm) = (
        course.unit("M1").criteria.clone(),
        course.unit("O1").criteria.clone(),
        course.unit("FM").criteria.clone(),
    );
    let amelia = s.enrolment("amelia");
    let path = format!("/api/v1/enrolments/{amelia}/gateway");
    let admin = s.admin.clone();

    // The maths aim is English and maths.
    let r = app
        .send(
            Method::PUT,
            &format!("/api/v1/components/{maths}"),
            &admin,
            Some(json!({ "title": "Functional Skills Maths", "english_maths": true })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    // Evidence mapped and signed off: M1's first two (of 3), O1's first (of 2; chosen for
    // her, so hers to achieve), FM's first (of 2).
    let sign_off = |component: Uuid, criteria: Vec<Uuid>, seed: u8| {
        let (app, s) = (&app, &s);
        async move {
            let people = (s.token("amelia"), s.token("tom"));
            signed_off_with_evidence(app, people, amelia, component, &criteria, seed).await;
        }
    };
    sign_off(diploma, vec![m1[0], m1[1], o1[0]], 1).await;
    sign_off(maths, vec![fm[0]], 2).await;
    // Off the job: 120 + 90 = 210 minutes = 3.50 hours.
    for (day, minutes) in [(days_ago(5), 120), (days_ago(4), 90)] {
        let r = app
            .send(
                Method::POST,
                &format!("/api/v1/enrolments/{amelia}/time-log"),
                s.token("amelia"),
                Some(
                    json!({ "entry_date": day, "activity_type": "distance_learning",
                             "minutes": minutes, "reflection": "Read about pumps" }),
                ),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }

    let get = |token: String| {
        let (app, path) = (&app, path.clone());
        async move { app.send(Method::GET, &path, &token, None).await }
    };
    let body: Value = get(s.token("tom").to_owned()).await.json().await.unwrap();
    assert_eq!(body["ready"], false);
    assert_eq!(body["you_may_agree"], false, "the assessor is not a party");
    assert_eq!(
        checks(&body),
        vec![
            check(
                "mandatory_criteria",
                false,
                // M1 2 of 3, O1 1 of 2: 3 of 5.
                "3 of 5 criteria of the learner's units signed off."
            ),
            // The course's published minimum, 187 hours (not below the 187 floor); 210
            // minutes = 3.5 hours, 4 to the nearest whole hour (half up).
            check(
                "off_the_job_minimum",
                false,
                "4 of the 187 hours required done (to the nearest whole hour, as on the \
                 funding return)."
            ),
            check(
                "english_maths",
                false,
                "1 of 2 English and maths criteria signed off."
            ),
            check("learner_agrees", false, "The learner has not yet agreed."),
            check(
                "employer_agrees",
                false,
                "The employer's manager has not yet agreed."
            ),
        ]
    );
    // Everyone who may see Amelia reads it; another learner and another organisation
    // get 404.
    for who in ["amelia", "manny", "iris", "audrey"] {
        let r = get(s.token(who).to_owned()).await;
        assert_eq!(r.status(), StatusCode::OK, "{who}");
    }
    assert_eq!(
        get(admin.clone()).await.status(),
        StatusCode::OK,
        "the admin"
    );
    assert_eq!(
        get(s.token("olly").to_owned()).await.status(),
        StatusCode::NOT_FOUND
    );
    let other = app
        .scene("southbank")
        .person("sam@southbank.example", Role::Learner)
        .build()
        .await;
    assert_eq!(
        get(other.admin.clone()).await.status(),
        StatusCode::NOT_FOUND
    );

    // Only the two parties may agree: staff who see her get 403, others 404.
    let agree = |token: String| {
        let (app, path) = (&app, format!("{path}/agreement"));
        async move { app.send(Method::POST, &path, &token, None).await }
    };
    for who in ["tom", "iris", "audrey"] {
        let r = agree(s.token(who).to_owned()).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(agree(admin.clone()).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        agree(s.token("olly").to_owned()).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        agree(other.admin.clone()).await.status(),
        StatusCode::NOT_FOUND
    );

    // The learner agrees, then again: the first agreement is kept.
    let r = agree(s.token("amelia").to_owned()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["you_may_agree"], false);
    assert_eq!(first["agreements"][0]["party"], "learner");
    let again: Value = agree(s.token("amelia").to_owned())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["agreements"][0]["agreed_at"],
        first["agreements"][0]["agreed_at"]
    );
    // The employer's manager agrees.
    let manny: Value = get(s.token("manny").to_owned()).await.json().await.unwrap();
    assert_eq!(manny["you_may_agree"], true);
    let r = agree(s.token("manny").to_owned()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let both: Value = r.json().await.unwrap();
    let parties: Vec<&str> = both["agreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["party"].as_str().unwrap())
        .collect();
    assert_eq!(parties, ["learner", "employer"]);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'gateway.agreed' and entity_id = $1",
    )
    .bind(amelia)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2, "one record per party, none for the repeat");

    // The last criteria signed off: 5 of 5 and 2 of 2. Only the hours stand between her
    // and gateway now.
    sign_off(diploma, vec![m1[2], o1[1]], 3).await;
    sign_off(maths, vec![fm[1]], 4).await;
    let now: Value = get(admin.clone()).await.json().await.unwrap();
    assert_eq!(now["ready"], false);
    let unmet: Vec<String> = checks(&now)
        .into_iter()
        .filter(|c| !c.1)
        .map(|c| c.0)
        .collect();
    assert_eq!(unmet, ["off_the_job_minimum"]);
    assert_eq!(
        checks(&now)[0].2,
        "All 5 criteria of the learner's units signed off."
    );

    // Her employer changes: the old manager's agreement does not speak for the new one.
    s.add_person("bea@beta.example", Role::Employer).await;
    let beta = s.add_employer("Beta Ltd", &["bea"]).await;
    let bea = s.id("bea");
    let r = app
        .send(
            Method::PATCH,
            &format!("/api/v1/enrolments/{amelia}"),
            &admin,
            Some(json!({ "employer_id": beta, "manager_id": bea })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let bea_token = s.sign_in("bea").await;
    let seen: Value = get(bea_token.clone()).await.json().await.unwrap();
    assert!(!checks(&seen)[4].1, "Manny's agreement counted for Bea");
    assert_eq!(seen["you_may_agree"], true);
    let r = agree(bea_token).await;
    assert_eq!(r.status(), StatusCode::OK);
    let agreed: Value = r.json().await.unwrap();
    assert!(checks(&agreed)[4].1);
    assert_eq!(
        agreed["agreements"][1]["agreed_by_name"],
        "Person bea@beta.example"
    );

    // A programme that has ended has no gateway to agree to.
    let olly = s.enrolment("olly");
    s.set_status(olly, "in_learning", days_ago(20), None).await;
    s.set_status(olly, "withdrawn", days_ago(2), Some("moved away"))
        .await;
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{olly}/gateway/agreement"),
            s.token("olly"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.finish().await;
}
