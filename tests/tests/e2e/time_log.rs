//! The time log and off-the-job hours: entries logged, listed, filtered, replaced and
//! removed; every validation rule; defaults from the activity type; the month calendar
//! and the off-the-job figures of each funding-rule era against hand computations; who may
//! read and who may write; another organisation sees nothing and changes nothing.
//!
//! Dates of the everyday scene are relative to today; the off-the-job eras need fixed
//! start dates, and their expected-to-date figures are computed here from today.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use calamine::{Data, Reader, Xlsx};
use chrono::{Datelike, Months, NaiveDate};
use folio_db::platform::Tenant;
use folio_domain::Role;
use folio_tests::scene::{
    Course, NewCourse, NewEnrolment, NewUnit, Scene, date, days_ago, days_ahead, today,
};
use folio_tests::{TestApp, fields, id, problem};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// A course with one component, "Diploma", of one unit, "U1".
fn course(code: &str) -> NewCourse {
    NewCourse::new(code, "Engineering Technician")
        .component("Diploma", [NewUnit::new("U1", "Unit one")])
}

/// (course, component, unit) of a [`course`].
fn parts(course: &Course) -> (Uuid, Uuid, Uuid) {
    let component = &course.components[0];
    (course.id, component.id, component.units[0].id)
}

async fn post_entry(app: &TestApp, token: &str, enrolment: Uuid, body: Value) -> Response {
    app.authed(
        Method::POST,
        &format!("/api/v1/enrolments/{enrolment}/time-log"),
        token,
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

/// Logs an entry that must be accepted; returns it.
async fn log(app: &TestApp, token: &str, enrolment: Uuid, body: Value) -> Value {
    let r = post_entry(app, token, enrolment, body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{body}");
    r.json().await.unwrap()
}

fn entry(day: NaiveDate, activity: &str, minutes: i64) -> Value {
    json!({ "entry_date": day, "activity_type": activity, "minutes": minutes })
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.authed(Method::GET, path, token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.json().await.unwrap()
}

/// Courses ST0457 and ST0999 (see [`course`]); the cast but Olly, and Amelia's enrolment on
/// ST0457, started 120 days ago and ending in 245 (IQA, employer's manager assigned).
async fn scene() -> Scene {
    TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(course("ST0457"))
        .course(course("ST0999"))
        .people(&[
            ("amelia@n.example", Role::Learner),
            ("tom@n.example", Role::Assessor),
            ("iris@n.example", Role::Iqa),
            ("manny@n.example", Role::Employer),
            ("audrey@n.example", Role::Auditor),
        ])
        .employer("Acme Engineering", &["manny"])
        .enrol(NewEnrolment::amelia().dates(days_ago(120), days_ahead(245)))
        .build()
        .await
}

async fn audit_actions(app: &TestApp, tenant: &Tenant) -> Vec<String> {
    sqlx::query_scalar(
        "select action from audit_log where tenant_id = $1 and action like 'time_log.%' order by id",
    )
    .bind(tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn entries_are_logged_listed_filtered_changed_and_removed() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment("amelia");
    let (course, component, unit) = parts(s.course("ST0457"));

    // Defaults from the activity type: training is off the job, technical experience and
    // reviews on it; an assessment is off the job but does not count towards the minimum.
    let training = log(
        app,
        s.token("amelia"),
        e,
        json!({ "entry_date": days_ago(10), "activity_type": "trainer_led_training",
                "minutes": 420, "unit_id": unit, "component_id": component,
                "reflection": "Day release: hydraulics." }),
    )
    .await;
    assert_eq!(training["off_the_job"], true);
    assert_eq!(training["counts_towards_minimum"], true);
    assert_eq!(training["with_assessor"], false);
    assert_eq!(training["source"], "learner");
    // Naming a unit names the course too.
    assert_eq!(training["course_id"], json!(course));
    assert_eq!(training["reflection"], "Day release: hydraulics.");
    let job = log(
        app,
        s.token("amelia"),
        e,
        entry(days_ago(9), "technical_experience", 480),
    )
    .await;
    assert_eq!(job["off_the_job"], false);
    let review = log(
        app,
        s.token("tom"),
        e,
        entry(days_ago(8), "review_feedback_support", 60),
    )
    .await;
    assert_eq!(review["off_the_job"], false);
    assert_eq!(review["source"], "staff");
    let exam = log(
        app,
        s.token("amelia"),
        e,
        entry(days_ago(7), "assessment_examination", 90),
    )
    .await;
    assert_eq!(exam["off_the_job"], true);
    assert_eq!(exam["counts_towards_minimum"], false);
    // Off the job follows the activity type: the learner cannot claim doing their job as
    // off the job (the over-claim an audit would find)…
    let claim = json!({ "entry_date": days_ago(7), "activity_type": "technical_experience",
                        "minutes": 30, "off_the_job": true, "with_assessor": true });
    let r = post_entry(app, s.token("amelia"), e, claim.clone()).await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["off_the_job"]);
    assert!(
        p["detail"].as_str().unwrap().contains(
            "\"Gaining technical experience by doing my job\" is on the job; your assessor can record an exception with a reason"
        ),
        "{p}"
    );
    // …nor can staff without saying why…
    let r = post_entry(app, s.token("tom"), e, claim.clone()).await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["off_the_job_reason"]
    );
    // …but the assessor can, with the reason kept and shown.
    let mut excepted = claim;
    excepted["off_the_job_reason"] = json!("Shadowing the test engineers, away from her duties");
    let shadowing = log(app, s.token("tom"), e, excepted).await;
    assert_eq!(shadowing["off_the_job"], true);
    assert_eq!(
        shadowing["off_the_job_reason"],
        "Shadowing the test engineers, away from her duties"
    );
    assert_eq!(shadowing["with_assessor"], true);
    assert_eq!(shadowing["counts_towards_minimum"], true);
    assert_eq!(shadowing["source"], "staff");
    // The learner correcting the minutes keeps the assessor's exception.
    let r = app
        .authed(
            Method::PUT,
            &format!("/api/v1/time-log/{}", id(&shadowing)),
            s.token("amelia"),
        )
        .json(
            &json!({ "entry_date": days_ago(7), "activity_type": "technical_experience",
                       "minutes": 35, "with_assessor": true }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let corrected: Value = r.json().await.unwrap();
    assert_eq!(corrected["minutes"], 35);
    assert_eq!(corrected["off_the_job"], true);
    assert!(
        corrected["off_the_job_reason"]
            .as_str()
            .unwrap()
            .starts_with("Shadowing")
    );

    // Newest day first (then newest entry first).
    let base = format!("/api/v1/enrolments/{e}/time-log");
    let all = get(app, s.token("amelia"), &base).await;
    let ids: Vec<Uuid> = all["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(
        ids,
        [&shadowing, &exam, &review, &job, &training]
            .map(id)
            .to_vec()
    );
    assert!(all["next_cursor"].is_null());
    // Pages of two follow on.
    let p1 = get(app, s.token("amelia"), &format!("{base}?limit=2")).await;
    let cursor = p1["next_cursor"].as_str().unwrap();
    let p2 = get(
        app,
        s.token("amelia"),
        &format!("{base}?limit=2&cursor={cursor}"),
    )
    .await;
    let p3 = get(
        app,
        s.token("amelia"),
        &format!(
            "{base}?limit=2&cursor={}",
            p2["next_cursor"].as_str().unwrap()
        ),
    )
    .await;
    let paged: Vec<Uuid> = [p1, p2, p3.clone()]
        .iter()
        .flat_map(|p| {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(id)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(paged, ids);
    assert!(p3["next_cursor"].is_null());
    let bad = app
        .authed(
            Method::GET,
            &format!("{base}?cursor=nonsense"),
            s.token("amelia"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["cursor"]
    );
    // Filters: on the job; off the job; course; a date range.
    let on = get(app, s.token("amelia"), &format!("{base}?off_the_job=false")).await;
    let on: Vec<Uuid> = on["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(on, [&review, &job].map(id).to_vec());
    let off = get(app, s.token("amelia"), &format!("{base}?off_the_job=true")).await;
    assert_eq!(off["items"].as_array().unwrap().len(), 3);
    let by_course = get(
        app,
        s.token("amelia"),
        &format!("{base}?course_id={course}"),
    )
    .await;
    let by_course: Vec<Uuid> = by_course["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(by_course, [id(&training)]);
    let range = get(
        app,
        s.token("amelia"),
        &format!("{base}?from={}&to={}", days_ago(9), days_ago(8)),
    )
    .await;
    let range: Vec<Uuid> = range["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(range, [&review, &job].map(id).to_vec());
    let backwards = app
        .authed(
            Method::GET,
            &format!("{base}?from={}&to={}", days_ago(8), days_ago(9)),
            s.token("amelia"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(backwards, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["to"]
    );

    // One entry; replaced; removed.
    let path = format!("/api/v1/time-log/{}", id(&job));
    assert_eq!(get(app, s.token("amelia"), &path).await, job);
    let r = app
        .authed(Method::PUT, &path, s.token("amelia"))
        .json(
            &json!({ "entry_date": days_ago(9), "activity_type": "coaching_mentoring",
                       "minutes": 45, "reflection": "Mentor session" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["minutes"], 45);
    assert_eq!(changed["activity_type"], "coaching_mentoring");
    assert_eq!(changed["off_the_job"], true, "default of the new type");
    assert_eq!(changed["created_at"], job["created_at"]);
    assert_eq!(get(app, s.token("amelia"), &path).await, changed);
    let r = app
        .authed(Method::DELETE, &path, s.token("amelia"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .authed(Method::GET, &path, s.token("amelia"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let r = app
        .authed(Method::DELETE, &path, s.token("amelia"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;

    assert_eq!(
        audit_actions(app, &s.tenant).await,
        [
            "time_log.create",
            "time_log.create",
            "time_log.create",
            "time_log.create",
            "time_log.create",
            "time_log.update",
            "time_log.update",
            "time_log.delete"
        ]
    );
    s.app.finish().await;
}

#[tokio::test]
async fn invalid_entries_are_refused_naming_the_field() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment("amelia");
    let (_, other_component, other_unit) = parts(s.course("ST0999"));
    let refused = |body: Value| {
        let token = s.token("amelia").to_owned();
        async move {
            let r = post_entry(app, &token, e, body).await;
            fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await)
        }
    };
    // A future date; before the start.
    assert_eq!(
        refused(entry(days_ahead(1), "distance_learning", 60)).await,
        ["entry_date"]
    );
    assert_eq!(
        refused(entry(days_ago(121), "distance_learning", 60)).await,
        ["entry_date"]
    );
    // Zero, negative, over 24 hours.
    for minutes in [0, -30, 1441] {
        assert_eq!(
            refused(entry(days_ago(5), "distance_learning", minutes)).await,
            ["minutes"]
        );
    }
    // Another course, its component, its unit.
    let mut wrong = entry(days_ago(5), "distance_learning", 60);
    wrong["course_id"] = json!(parts(s.course("ST0999")).0);
    wrong["component_id"] = json!(other_component);
    wrong["unit_id"] = json!(other_unit);
    assert_eq!(
        refused(wrong).await,
        ["course_id", "component_id", "unit_id"]
    );
    // A unit of the learner's course, but not of the component named with it.
    let mut mismatched = entry(days_ago(5), "distance_learning", 60);
    mismatched["component_id"] = json!(parts(s.course("ST0457")).1);
    mismatched["unit_id"] = json!(other_unit);
    assert_eq!(refused(mismatched).await, ["unit_id"]);
    // An unknown activity type, a missing date, an overlong reflection.
    assert_eq!(
        refused(entry(days_ago(5), "napping", 60)).await,
        ["activity_type"]
    );
    assert_eq!(
        refused(json!({ "activity_type": "distance_learning", "minutes": 60 })).await,
        ["entry_date"]
    );
    let mut long = entry(days_ago(5), "distance_learning", 60);
    long["reflection"] = json!("x".repeat(5001));
    assert_eq!(refused(long).await, ["reflection"]);
    // Exactly 24 hours on a day is allowed; a minute more on the same day is not.
    let first = log(
        app,
        s.token("amelia"),
        e,
        entry(days_ago(4), "distance_learning", 1000),
    )
    .await;
    log(
        app,
        s.token("tom"),
        e,
        entry(days_ago(4), "coaching_mentoring", 440),
    )
    .await;
    assert_eq!(
        refused(entry(days_ago(4), "distance_learning", 1)).await,
        ["minutes"]
    );
    // Replacing an entry counts the day without it: 1000 → 1000 is fine, 1001 is not.
    let path = format!("/api/v1/time-log/{}", id(&first));
    let r = app
        .authed(Method::PUT, &path, s.token("amelia"))
        .json(&entry(days_ago(4), "distance_learning", 1000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .authed(Method::PUT, &path, s.token("amelia"))
        .json(&entry(days_ago(4), "distance_learning", 1001))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["minutes"]
    );
    // Nothing refused was stored.
    let n: i64 = sqlx::query_scalar("select count(*) from time_log_entries where tenant_id = $1")
        .bind(s.tenant.id)
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);

    // After a withdrawal, nothing can be dated after the last day of learning.
    s.set_status(e, "in_learning", days_ago(120), Some("moved away"))
        .await;
    s.set_status(e, "withdrawn", days_ago(20), Some("moved away"))
        .await;
    assert_eq!(
        refused(entry(days_ago(19), "distance_learning", 60)).await,
        ["entry_date"]
    );
    log(
        app,
        s.token("amelia"),
        e,
        entry(days_ago(20), "distance_learning", 60),
    )
    .await;
    s.app.finish().await;
}

#[tokio::test]
async fn the_calendar_has_every_day_of_the_month_with_its_totals() {
    let s = scene().await;
    let app = &s.app;
    let learner = s.token("amelia");
    let e = s.enrolment("amelia");
    // The month 40 days ago lies wholly after the start (120 days ago) and before today.
    let some_day = days_ago(40);
    let first = date(some_day.year(), some_day.month(), 1);
    let second = first.succ_opt().unwrap();
    let length = (first.checked_add_months(Months::new(1)).unwrap() - first).num_days();
    log(app, learner, e, entry(first, "trainer_led_training", 420)).await;
    log(app, learner, e, entry(first, "technical_experience", 240)).await;
    log(app, learner, e, entry(second, "distance_learning", 35)).await;
    // The month before and after: not in this month's totals.
    log(
        app,
        learner,
        e,
        entry(first.pred_opt().unwrap(), "distance_learning", 99),
    )
    .await;

    let month = first.format("%Y-%m").to_string();
    let cal = get(
        app,
        learner,
        &format!("/api/v1/enrolments/{e}/time-log/calendar?month={month}"),
    )
    .await;
    assert_eq!(cal["month"], month);
    let days = cal["days"].as_array().unwrap();
    assert_eq!(days.len() as i64, length);
    // 420 + 240 = 660 minutes on the 1st, of which 420 off the job; 35 on the 2nd.
    assert_eq!(
        days[0],
        json!({ "date": first, "minutes": 660, "off_the_job_minutes": 420, "entries": 2 })
    );
    assert_eq!(
        days[1],
        json!({ "date": second, "minutes": 35, "off_the_job_minutes": 35, "entries": 1 })
    );
    assert!(
        days[2..]
            .iter()
            .all(|d| d["minutes"] == 0 && d["entries"] == 0)
    );
    assert_eq!(cal["total_minutes"], 695);
    assert_eq!(cal["total_off_the_job_minutes"], 455);

    for bad in ["2026-13", "2026-1", "march", "1989-12"] {
        let r = app
            .authed(
                Method::GET,
                &format!("/api/v1/enrolments/{e}/time-log/calendar?month={bad}"),
                learner,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
            ["month"],
            "{bad}"
        );
    }
    s.app.finish().await;
}

/// Expected to date, as the rule states it: planned × elapsed / duration (days), elapsed
/// clamped to the duration, in hundredths rounded half up.
fn expected_hundredths(planned: i64, start: NaiveDate, end: NaiveDate, on: NaiveDate) -> i64 {
    let duration = (end - start).num_days();
    let elapsed = (on - start).num_days().clamp(0, duration);
    (2 * planned * 100 * elapsed + duration) / (2 * duration)
}

#[tokio::test]
async fn off_the_job_figures_for_each_rule_match_a_hand_computation() {
    let mut s = scene().await;
    s.add_person("lee@n.example", Role::Learner).await;
    let lee = s.sign_in("lee").await;
    s.add_course(&course("ST0250").off_the_job_minimum_hours(250))
        .await;

    // 2021 start: 20% of contracted hours less statutory leave. 2021-09-01 to
    // 2022-08-31 is 364 days = 52 weeks, less 5.6 × 364 / 365 = 5.5847 weeks' leave =
    // 46.4153 weeks; 37.5 h × 20% = 7.5 h a week × 46.4153 = 348.115, rounded up: 349 h
    // required; 400 planned.
    let e2021 = s
        .enrol(
            NewEnrolment::new("lee")
                .dates(date(2021, 9, 1), date(2022, 8, 31))
                .hours(37.5, 400.0),
        )
        .await;
    // 2023 start, part-time 20 h, in learning from its start.
    let e2023 = s
        .enrol(
            NewEnrolment::new("lee")
                .dates(date(2023, 9, 1), date(2024, 8, 30))
                .hours(20.0, 200.0)
                .status_because("in_learning", date(2023, 9, 1), "moved away"),
        )
        .await;
    // September 2025 start, on the course with a minimum.
    let (start, end) = (date(2025, 9, 1), date(2026, 9, 1));
    let e2025 = s
        .enrol(
            NewEnrolment::new("lee")
                .course("ST0250")
                .dates(start, end)
                .hours(30.0, 300.0),
        )
        .await;
    let app = &s.app;
    let admin = &s.admin;
    let otj = |e: Uuid| format!("/api/v1/enrolments/{e}/off-the-job");

    let counted = log(
        app,
        &lee,
        e2021,
        entry(date(2021, 10, 4), "trainer_led_training", 420),
    )
    .await;
    log(
        app,
        &lee,
        e2021,
        entry(date(2021, 10, 5), "review_feedback_support", 60),
    )
    .await;
    log(
        app,
        &lee,
        e2021,
        entry(date(2021, 10, 6), "technical_experience", 480),
    )
    .await;
    let mut exam = entry(date(2021, 10, 7), "assessment_examination", 120);
    exam["off_the_job"] = json!(true);
    log(app, &lee, e2021, exam).await;
    let f = get(app, admin, &otj(e2021)).await;
    assert_eq!(f["rule"], "twenty_percent");
    assert_eq!(f["planned_hours"], 400.0);
    assert_eq!(f["required_minimum_hours"], 349.0);
    assert_eq!(f["planned_meets_minimum"], true);
    // Past the planned end: all 400 planned hours are expected.
    assert_eq!(f["expected_to_date_hours"], 400.0);
    // Only the 420 minutes of training count: 7.00 hours; the review, the job and the
    // exam are left out.
    assert_eq!(f["actual_minutes"], 420);
    assert_eq!(f["actual_hours"], 7.0);
    assert_eq!(f["actual_whole_hours"], 7);
    assert_eq!(f["counted_entry_ids"], json!([id(&counted)]));
    assert_eq!(
        f["excluded"],
        json!({ "on_the_job": 2, "not_counting": 1, "english_maths": 0, "after_gateway": 0 })
    );
    assert_eq!(f["behind_expected"], true);
    assert!(
        f["required_explanation"]
            .as_str()
            .unwrap()
            .contains("364 days"),
        "{f}"
    );

    // 2023 start, part-time 20 h: 20% = 4 h a week × 46.4153 weeks (2023-09-01 to
    // 2024-08-30, 364 days, less leave) = 185.66, rounded up: 186 required; 200 planned
    // meets it. Completed (gateway) on 2024-06-28, day 301: expected 200 × 301 / 364 =
    // 165.3846… = 165.38.
    let kept = log(
        app,
        &lee,
        e2023,
        entry(date(2024, 6, 28), "distance_learning", 90),
    )
    .await;
    log(
        app,
        &lee,
        e2023,
        entry(date(2024, 7, 1), "coaching_mentoring", 60),
    )
    .await;
    s.set_status(e2023, "completed", date(2024, 6, 28), Some("moved away"))
        .await;
    let f = get(app, admin, &otj(e2023)).await;
    assert_eq!(f["rule"], "six_hours_a_week");
    assert_eq!(f["required_minimum_hours"], 186.0);
    assert_eq!(f["planned_meets_minimum"], true);
    // 12 months from 2023-09-01 (to 2024-08-31, 365 days) × 30 / 20 = 547.5, rounded
    // up: 548 days, so the earliest planned end is 2025-03-02; 2024-08-30 is too short.
    assert_eq!(f["minimum_duration_end"], "2025-03-02");
    assert_eq!(f["meets_minimum_duration"], false);
    assert_eq!(f["as_of"], json!(date(2024, 6, 28)));
    assert_eq!(f["expected_to_date_hours"], 165.38);
    // Up to gateway only: 90 minutes = 1.50 hours, 2 to the nearest whole hour (half
    // up); the entry after it is left out.
    assert_eq!(f["actual_minutes"], 90);
    assert_eq!(f["actual_hours"], 1.5);
    assert_eq!(f["actual_whole_hours"], 2);
    assert_eq!(f["counted_entry_ids"], json!([id(&kept)]));
    assert_eq!(f["excluded"]["after_gateway"], 1);
    assert!(
        f["required_explanation"]
            .as_str()
            .unwrap()
            .contains("4.00 hours a week"),
        "{f}"
    );
    assert!(
        f["actual_explanation"]
            .as_str()
            .unwrap()
            .contains("1 after gateway"),
        "{f}"
    );
    // Entries after gateway can no longer be logged at all.
    let r = post_entry(
        app,
        &lee,
        e2023,
        entry(date(2024, 7, 2), "distance_learning", 30),
    )
    .await;
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["entry_date"]
    );

    // September 2025 start: the course's minimum, 250 h; 300 planned. 2025-09-01 to
    // 2026-09-01 is 365 days.
    log(
        app,
        &lee,
        e2025,
        entry(date(2025, 9, 2), "face_to_face_session", 120),
    )
    .await;
    log(
        app,
        &lee,
        e2025,
        entry(date(2025, 9, 3), "coaching_mentoring", 10),
    )
    .await;
    // Functional Skills maths, a component flagged English or maths: 4 hours of self
    // study against it never count.
    let maths = app
        .authed(
            Method::POST,
            &format!("/api/v1/courses/{}/components", s.course("ST0250").id),
            admin,
        )
        .json(&json!({ "title": "Functional Skills Maths", "english_maths": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(maths.status(), StatusCode::CREATED);
    let maths: Value = maths.json().await.unwrap();
    assert_eq!(maths["english_maths"], true);
    let mut fs = entry(date(2025, 9, 4), "distance_learning", 240);
    fs["component_id"] = maths["id"].clone();
    log(app, &lee, e2025, fs).await;
    // 40 minutes more on 2025-09-05: 120 + 10 + 40 = 170 minutes = 2.8333… = 2.83 hours,
    // 3 to the nearest whole hour (the return's figure; rounding down gave 2).
    log(
        app,
        &lee,
        e2025,
        entry(date(2025, 9, 5), "coaching_mentoring", 40),
    )
    .await;
    let f = get(app, admin, &otj(e2025)).await;
    assert_eq!(f["rule"], "standard_minimum");
    assert_eq!(f["required_minimum_hours"], 250.0);
    assert_eq!(f["planned_meets_minimum"], true);
    // 8 months from 2025-09-01 end on 2026-04-30; planned 2026-09-01 keeps to it.
    assert_eq!(f["minimum_duration_end"], "2026-04-30");
    assert_eq!(f["meets_minimum_duration"], true);
    let expected = expected_hundredths(300, start, end, today());
    assert_eq!(f["expected_to_date_hours"], json!(expected as f64 / 100.0));
    assert_eq!(f["actual_minutes"], 170);
    assert_eq!(f["actual_hours"], 2.83);
    assert_eq!(f["actual_whole_hours"], 3);
    assert_eq!(f["excluded"]["english_maths"], 1);

    // A post-July-2025 start on a course without a minimum: no figure, and why.
    let f = get(app, admin, &otj(s.enrolment("amelia"))).await;
    assert_eq!(f["rule"], "standard_minimum");
    assert!(f["required_minimum_hours"].is_null());
    assert!(f["planned_meets_minimum"].is_null());
    assert!(
        f["required_explanation"]
            .as_str()
            .unwrap()
            .contains("no published minimum"),
        "{f}"
    );
    // 120 of 365 days of 300 planned hours: 98.630… = 98.63.
    assert_eq!(f["expected_to_date_hours"], 98.63);

    // A break in the middle pauses the expected hours: started 100 days ago, planned to
    // end in 100 (200 days), 400 planned hours, a break from 50 days ago with the first
    // day back 30 days ago: 20 days paused, 100 − 20 = 80 days of learning:
    // 400 × 80 / 200 = 160.00 hours expected (200.00 without the pause).
    let paused = s
        .enrol(
            NewEnrolment::new("lee")
                .course("ST0250")
                .dates(days_ago(100), days_ahead(100))
                .hours(37.5, 400.0)
                .status_because("in_learning", days_ago(100), "moved away"),
        )
        .await;
    s.set_status(paused, "break_in_learning", days_ago(50), None)
        .await;
    s.set_status(paused, "in_learning", days_ago(30), None)
        .await;
    let f = get(&s.app, &s.admin, &otj(paused)).await;
    assert_eq!(f["expected_to_date_hours"], 160.0);
    let explanation = f["expected_explanation"].as_str().unwrap();
    assert!(
        explanation.contains("80/200 days of learning"),
        "{explanation}"
    );
    assert!(
        explanation.contains("less 20 days of breaks in learning"),
        "{explanation}"
    );
    s.app.finish().await;
}

#[tokio::test]
async fn the_learner_and_their_staff_write_others_who_see_read_and_the_rest_get_404() {
    let mut s = scene().await;
    s.add_person("other@n.example", Role::Learner).await;
    s.add_person("ann@n.example", Role::Assessor).await;
    let other_learner = s.sign_in("other").await;
    let other_assessor = s.sign_in("ann").await;
    let app = &s.app;
    let e = s.enrolment("amelia");
    let iqa = s.token("iris").to_owned();
    let manager = s.token("manny").to_owned();
    let auditor = s.token("audrey").to_owned();

    let mut day = 30;
    let mut next_entry = || {
        day += 1;
        entry(days_ago(day), "distance_learning", 30)
    };
    // Writers: the learner, their assessor, an admin.
    let mut written = Vec::new();
    for token in [s.token("amelia"), s.token("tom"), &s.admin] {
        written.push(log(app, token, e, next_entry()).await);
    }
    let entry_id = id(&written[0]);
    // Each writer may replace and remove too.
    for token in [s.token("amelia"), s.token("tom"), &s.admin] {
        let r = app
            .authed(Method::PUT, &format!("/api/v1/time-log/{entry_id}"), token)
            .json(&entry(days_ago(31), "distance_learning", 45))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/time-log/{}", id(&written[2])),
            s.token("tom"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    let reads = [
        format!("/api/v1/enrolments/{e}/time-log"),
        format!("/api/v1/enrolments/{e}/time-log/calendar?month=2026-01"),
        format!("/api/v1/enrolments/{e}/off-the-job"),
        format!("/api/v1/enrolments/{e}/time-log/export"),
        format!("/api/v1/time-log/{entry_id}"),
    ];
    for (who, token, read, write) in [
        ("IQA", &iqa, StatusCode::OK, StatusCode::FORBIDDEN),
        (
            "employer's manager",
            &manager,
            StatusCode::OK,
            StatusCode::FORBIDDEN,
        ),
        ("auditor", &auditor, StatusCode::OK, StatusCode::FORBIDDEN),
        (
            "other learner",
            &other_learner,
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
        ),
        (
            "other assessor",
            &other_assessor,
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
        ),
    ] {
        for path in &reads {
            let r = app.authed(Method::GET, path, token).send().await.unwrap();
            assert_eq!(r.status(), read, "{who}: GET {path}");
        }
        let r = post_entry(app, token, e, next_entry()).await;
        assert_eq!(
            problem(r, write).await["status"],
            write.as_u16(),
            "{who}: POST"
        );
        let r = app
            .authed(Method::PUT, &format!("/api/v1/time-log/{entry_id}"), token)
            .json(&entry(days_ago(31), "distance_learning", 999))
            .send()
            .await
            .unwrap();
        problem(r, write).await;
        let r = app
            .authed(
                Method::DELETE,
                &format!("/api/v1/time-log/{entry_id}"),
                token,
            )
            .send()
            .await
            .unwrap();
        problem(r, write).await;
    }
    // Nothing the refused writers sent changed anything.
    let still = get(
        app,
        s.token("amelia"),
        &format!("/api/v1/time-log/{entry_id}"),
    )
    .await;
    assert_eq!(still["minutes"], 45);
    let all = get(
        app,
        s.token("amelia"),
        &format!("/api/v1/enrolments/{e}/time-log"),
    )
    .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    // Without credentials: 401.
    let r = app
        .request(Method::GET, &format!("/api/v1/enrolments/{e}/time-log"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNAUTHORIZED).await;
    s.app.finish().await;
}

#[tokio::test]
async fn entries_a_session_logged_cannot_be_changed_here() {
    let s = scene().await;
    let app = &s.app;
    let entry_id = Uuid::now_v7();
    let learner: Uuid = sqlx::query_scalar("select learner_id from enrolments where id = $1")
        .bind(s.enrolment("amelia"))
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    // The entry's session must exist (the learning plan's foreign key).
    let session_id = Uuid::now_v7();
    sqlx::query(
        "insert into learning_sessions (tenant_id, id, enrolment_id, assessor_id, session_type,
            starts_at, duration_minutes, created_by)
         values ($1, $2, $3, $4, 'teaching', now() - interval '3 days', 60, $4)",
    )
    .bind(s.tenant.id)
    .bind(session_id)
    .bind(s.enrolment("amelia"))
    .bind(learner)
    .execute(&app.database.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into time_log_entries (tenant_id, id, enrolment_id, entry_date, activity_type,
            off_the_job, minutes, source, session_id, created_by)
         values ($1, $2, $3, $4, 'face_to_face_session', true, 60, 'session', $5, $6)",
    )
    .bind(s.tenant.id)
    .bind(entry_id)
    .bind(s.enrolment("amelia"))
    .bind(days_ago(3))
    .bind(session_id)
    .bind(learner)
    .execute(&app.database.pool)
    .await
    .unwrap();
    let path = format!("/api/v1/time-log/{entry_id}");
    let shown = get(app, s.token("amelia"), &path).await;
    assert_eq!(shown["source"], "session");
    let r = app
        .authed(Method::PUT, &path, s.token("tom"))
        .json(&entry(days_ago(3), "face_to_face_session", 90))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT).await;
    let r = app
        .authed(Method::DELETE, &path, s.token("amelia"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT).await;
    assert_eq!(get(app, s.token("amelia"), &path).await, shown);
    // It counts like any other: 60 minutes off the job.
    let f = get(
        app,
        s.token("amelia"),
        &format!("/api/v1/enrolments/{}/off-the-job", s.enrolment("amelia")),
    )
    .await;
    assert_eq!(f["actual_minutes"], 60);
    s.app.finish().await;
}

#[tokio::test]
async fn another_organisation_gets_404_everywhere_and_changes_nothing() {
    let s = scene().await;
    let app = &s.app;
    let learner = s.token("amelia");
    let e = s.enrolment("amelia");
    let logged = log(app, learner, e, entry(days_ago(5), "distance_learning", 50)).await;
    let entry_id = id(&logged);
    let (_, _, other) = app.tenant_with_admin("southgate").await;

    for path in [
        format!("/api/v1/enrolments/{e}/time-log"),
        format!("/api/v1/enrolments/{e}/time-log/calendar?month=2026-01"),
        format!("/api/v1/enrolments/{e}/off-the-job"),
        format!("/api/v1/enrolments/{e}/time-log/export"),
        format!("/api/v1/time-log/{entry_id}"),
    ] {
        let r = app.authed(Method::GET, &path, &other).send().await.unwrap();
        problem(r, StatusCode::NOT_FOUND).await;
    }
    let r = post_entry(app, &other, e, entry(days_ago(5), "distance_learning", 50)).await;
    problem(r, StatusCode::NOT_FOUND).await;
    let r = app
        .authed(Method::PUT, &format!("/api/v1/time-log/{entry_id}"), &other)
        .json(&entry(days_ago(5), "distance_learning", 999))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let r = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/time-log/{entry_id}"),
            &other,
        )
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;

    assert_eq!(
        get(app, learner, &format!("/api/v1/time-log/{entry_id}")).await,
        logged
    );
    let n: i64 = sqlx::query_scalar("select count(*) from time_log_entries")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(audit_actions(app, &s.tenant).await, ["time_log.create"]);
    s.app.finish().await;
}

/// Downloads the export at `query` and opens it with a real reader.
async fn export(s: &Scene, token: &str, query: &str) -> calamine::Range<Data> {
    let path = format!(
        "/api/v1/enrolments/{}/time-log/export{query}",
        s.enrolment("amelia")
    );
    let r = s
        .app
        .authed(Method::GET, &path, token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    let expected = format!("time-log-person-amelia-n-example-{}.xlsx", today());
    assert!(disposition.contains(&expected), "{disposition}");
    let bytes = r.bytes().await.unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["Time log"]);
    book.worksheet_range("Time log").unwrap()
}

fn text(sheet: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match sheet.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        other => panic!("({row}, {col}) is not text: {other:?}"),
    }
}

fn number(sheet: &calamine::Range<Data>, row: u32, col: u32) -> f64 {
    match sheet.get_value((row, col)) {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

fn day(sheet: &calamine::Range<Data>, row: u32, col: u32) -> NaiveDate {
    match sheet.get_value((row, col)) {
        Some(Data::DateTime(d)) => d.as_datetime().unwrap().date(),
        other => panic!("({row}, {col}) is not a date: {other:?}"),
    }
}

#[tokio::test]
async fn the_time_log_exports_to_excel_and_reads_back_cell_by_cell() {
    let s = scene().await;
    let app = &s.app;
    let e = s.enrolment("amelia");
    let (course, component, unit) = parts(s.course("ST0457"));
    log(
        app,
        s.token("amelia"),
        e,
        json!({
            "entry_date": days_ago(10), "activity_type": "distance_learning", "minutes": 90,
            "component_id": component, "unit_id": unit,
            "reflection": "Read the chapter on torque, then tried it on the line."
        }),
    )
    .await;
    log(
        app,
        s.token("amelia"),
        e,
        entry(days_ago(9), "technical_experience", 120),
    )
    .await;
    log(
        app,
        s.token("amelia"),
        e,
        entry(days_ago(8), "assessment_examination", 60),
    )
    .await;
    log(
        app,
        s.token("tom"),
        e,
        json!({
            "entry_date": days_ago(7), "activity_type": "coaching_mentoring", "minutes": 45,
            "with_assessor": true
        }),
    )
    .await;

    // The whole log, as the learner downloads it.
    let sheet = export(&s, s.token("amelia"), "").await;
    assert_eq!(text(&sheet, 0, 0), "Time log: Person amelia@n.example");
    let heading: Vec<(String, String)> = (1..=4)
        .map(|r| (text(&sheet, r, 0), text(&sheet, r, 1)))
        .collect();
    assert_eq!(
        heading,
        [
            ("Organisation".into(), "northgate Training".into()),
            ("Learner".into(), "Person amelia@n.example".into()),
            ("Course".into(), "ST0457 Engineering Technician".into()),
            ("Filters".into(), "None: every entry".into()),
        ]
    );
    assert_eq!(text(&sheet, 5, 0), "Exported");
    let header: Vec<String> = (0..13).map(|c| text(&sheet, 6, c)).collect();
    assert_eq!(
        header,
        [
            "Date",
            "Activity type",
            "Course",
            "Component",
            "Unit",
            "With assessor",
            "On/off the job",
            "Counts towards off-the-job minimum",
            "Duration (h:mm)",
            "Minutes",
            "Hours",
            "Reflection",
            "Logged by",
        ]
    );
    // Newest first, as the list shows them.
    let expected = [
        (
            7,
            "Coaching or mentoring",
            "",
            "",
            "",
            "Yes",
            "Off the job",
            "Yes",
            "0:45",
            45.0,
        ),
        (
            8,
            "Assessment or examination",
            "",
            "",
            "",
            "No",
            "Off the job",
            "No",
            "1:00",
            60.0,
        ),
        (
            9,
            "Gaining technical experience by doing my job",
            "",
            "",
            "",
            "No",
            "On the job",
            "No",
            "2:00",
            120.0,
        ),
        (
            10,
            "Electronic or distance learning or self-study",
            "ST0457 Engineering Technician",
            "Diploma",
            "U1 Unit one",
            "No",
            "Off the job",
            "Yes",
            "1:30",
            90.0,
        ),
    ];
    for (row, want) in (7u32..).zip(expected) {
        let (ago, activity, course_name, component_name, unit_name, assessor, otj, counts, hm, m) =
            want;
        assert_eq!(day(&sheet, row, 0), days_ago(ago), "row {row}");
        assert_eq!(text(&sheet, row, 1), activity);
        assert_eq!(text(&sheet, row, 2), course_name);
        assert_eq!(text(&sheet, row, 3), component_name);
        assert_eq!(text(&sheet, row, 4), unit_name);
        assert_eq!(text(&sheet, row, 5), assessor);
        assert_eq!(text(&sheet, row, 6), otj);
        assert_eq!(text(&sheet, row, 7), counts);
        assert_eq!(text(&sheet, row, 8), hm);
        assert_eq!(number(&sheet, row, 9), m);
        assert!((number(&sheet, row, 10) - m / 60.0).abs() < 1e-9);
    }
    assert_eq!(
        text(&sheet, 10, 11),
        "Read the chapter on torque, then tried it on the line."
    );
    assert_eq!(text(&sheet, 10, 12), "Person amelia@n.example");
    assert_eq!(text(&sheet, 7, 12), "Person tom@n.example");
    // Totals: 45 + 60 + 120 + 90 = 315; off the job 195; counting (no assessment) 135.
    let totals: Vec<(String, String, f64)> = (12..15)
        .map(|r| (text(&sheet, r, 0), text(&sheet, r, 8), number(&sheet, r, 9)))
        .collect();
    assert_eq!(
        totals,
        [
            ("Total".into(), "5:15".into(), 315.0),
            ("Off the job".into(), "3:15".into(), 195.0),
            (
                "Counting towards the off-the-job minimum".into(),
                "2:15".into(),
                135.0
            ),
        ]
    );
    assert!((number(&sheet, 12, 10) - 5.25).abs() < 1e-9);
    assert_eq!(text(&sheet, 15, 0), "Entries");
    assert_eq!(number(&sheet, 15, 9), 4.0);
    assert_eq!(sheet.end().unwrap().0, 15, "nothing below the totals");

    // Filtered as the list is, and the filters named; staff who see the learner get it too.
    let from = days_ago(9);
    let query = format!("?off_the_job=true&from={from}&course_id={course}");
    let sheet = export(&s, s.token("tom"), &query).await;
    assert_eq!(
        text(&sheet, 4, 1),
        format!("Course: ST0457 Engineering Technician; On/off the job: Off the job; From: {from}")
    );
    // Only the day-10 entry names the course; the filter keeps entries against it.
    let sheet_all_courses = export(
        &s,
        s.token("tom"),
        &format!("?off_the_job=true&from={from}"),
    )
    .await;
    assert_eq!(day(&sheet_all_courses, 7, 0), days_ago(7));
    assert_eq!(day(&sheet_all_courses, 8, 0), days_ago(8));
    assert_eq!(text(&sheet_all_courses, 10, 0), "Total");
    assert_eq!(number(&sheet_all_courses, 10, 9), 105.0);
    // The course filter with a from after its only entry leaves an empty table and zeros.
    assert_eq!(text(&sheet, 8, 0), "Total");
    assert_eq!(number(&sheet, 8, 9), 0.0);
    assert_eq!(number(&sheet, 11, 9), 0.0);

    // Bad filters are refused like the list's.
    let r = app
        .authed(
            Method::GET,
            &format!(
                "/api/v1/enrolments/{e}/time-log/export?from={}&to={}",
                days_ago(1),
                days_ago(5)
            ),
            s.token("amelia"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["to"]
    );
    s.app.finish().await;
}

/// "Dates a person or a return sees are in the provider's time zone." A learner logging
/// time for their own today is never told it is in the future, and their tomorrow is
/// refused, wherever the provider is. Kiritimati is UTC+14 and Etc/GMT+12 is UTC−12 (fixed
/// offsets, no summer time), 26 hours apart, so at any instant at least one of them is on
/// a date other than UTC's: in Kiritimati from 10:00 UTC on, in Etc/GMT+12 before 12:00
/// UTC. Reading "today" in UTC fails one of the two at any hour.
#[tokio::test]
async fn today_is_the_providers_date_in_its_time_zone() {
    use chrono::{Duration, Timelike, Utc};

    // Not within a few seconds of midnight in either zone, so the day cannot turn between
    // the test's reckoning and the server's.
    let near_midnight = |offset: i64| {
        let local = Utc::now() + Duration::hours(offset);
        let seconds = local.num_seconds_from_midnight();
        !(10..86_390).contains(&seconds)
    };
    while near_midnight(14) || near_midnight(-12) {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
    let app = TestApp::spawn().await;
    for (slug, zone, offset) in [
        ("kiri", "Pacific/Kiritimati", 14),
        ("baker", "Etc/GMT+12", -12),
    ] {
        let s = app
            .scene(slug)
            .course(course("ST0457"))
            .person(&format!("lee@{slug}.example"), Role::Learner)
            .enrol(
                NewEnrolment::new("lee")
                    .dates(days_ago(30), days_ahead(300))
                    .hours(37.5, 300.0),
            )
            .build()
            .await;
        let mut settings = get(&app, &s.admin, "/api/v1/settings").await;
        settings["timezone"] = json!(zone);
        let r = app
            .authed(Method::PUT, "/api/v1/settings", &s.admin)
            .json(&settings)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{zone}");
        // The provider's today: UTC now moved by the zone's fixed offset.
        let local_today = (Utc::now() + Duration::hours(offset)).date_naive();
        let e = s.enrolment("lee");
        log(
            &app,
            s.token("lee"),
            e,
            entry(local_today, "distance_learning", 30),
        )
        .await;
        let tomorrow = local_today.succ_opt().unwrap();
        let r = post_entry(
            &app,
            s.token("lee"),
            e,
            entry(tomorrow, "distance_learning", 30),
        )
        .await;
        let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), ["entry_date"], "{zone}: {p}");
        assert!(p["detail"].as_str().unwrap().contains("future"), "{p}");
        // The off-the-job figures are as of the provider's today too.
        let f = get(
            &app,
            &s.admin,
            &format!("/api/v1/enrolments/{e}/off-the-job"),
        )
        .await;
        assert_eq!(f["as_of"], json!(local_today), "{zone}");
    }
    app.finish().await;
}

/// "From 1 Aug 2025: the published minimum for the standard (a value per standard code
/// with the date it applies from; starts Aug–Dec 2025 follow the transition list), at least
/// 187 h, reduced only by recorded recognised prior learning (RPL)."
#[tokio::test]
async fn the_standards_published_minimum_in_force_at_the_start_less_prior_learning() {
    use folio_domain::standards::PublishedStandard;
    let mut s = scene().await;
    s.add_person("lee@n.example", Role::Learner).await;
    let row = |hours, from| PublishedStandard {
        code: "ST0118".into(),
        version: "1.0".into(),
        title: "Engineering technician".into(),
        otj_minimum_hours: hours,
        applies_from: from,
    };
    // The transition list: 400 h for starts from August 2025, 360 h from January 2026.
    folio_db::standards::import(
        &s.app.database.pool,
        &[row(400, date(2025, 8, 1)), row(360, date(2026, 1, 1))],
    )
    .await
    .unwrap();
    let admin = s.admin.clone();
    let listed = get(&s.app, &admin, "/api/v1/standards").await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["otj_minimum_hours"], 400);

    // The course is the standard (its own 250 h setting applies only without one).
    let r = s
        .app
        .authed(Method::POST, "/api/v1/courses", &admin)
        .json(&json!({ "code": "ENG-T", "title": "Engineering technician",
                        "off_the_job_minimum_hours": 250,
                        "standard_code": "ST0118", "standard_version": "1.0" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let course: Value = r.json().await.unwrap();
    assert_eq!(course["standard_code"], "ST0118");
    let r = s
        .app
        .authed(Method::POST, "/api/v1/courses", &admin)
        .json(
            &json!({ "code": "BAD", "title": "Bad", "standard_code": "118",
                        "standard_version": "one" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["standard_code", "standard_version"]
    );

    let lee = s.id("lee");
    let enrol = |start: NaiveDate, rpl: Value| {
        json!({ "learner_id": lee, "course_id": course["id"], "start_date": start,
                "planned_end_date": start.checked_add_months(Months::new(14)).unwrap(),
                "contracted_hours_per_week": 37.5, "planned_otj_hours": 400 })
        .as_object()
        .unwrap()
        .clone()
        .into_iter()
        .chain(rpl.as_object().unwrap().clone())
        .collect::<serde_json::Map<_, _>>()
    };
    // Prior learning that takes hours off needs a reason.
    let r = s
        .app
        .authed(Method::POST, "/api/v1/enrolments", &admin)
        .json(&enrol(date(2025, 9, 1), json!({ "rpl_otj_hours": 20 })))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(r, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["rpl_reason"]
    );
    let r = s
        .app
        .authed(Method::POST, "/api/v1/enrolments", &admin)
        .json(&enrol(
            date(2025, 9, 1),
            json!({ "rpl_otj_hours": 20, "rpl_duration_weeks": 4,
                    "rpl_reason": "Level 3 Diploma in Engineering held" }),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let september: Value = r.json().await.unwrap();
    assert_eq!(september["rpl_otj_hours"], 20.0);
    // A September 2025 start: 400 in force, less 20 of prior learning = 380.
    let f = get(
        &s.app,
        &admin,
        &format!(
            "/api/v1/enrolments/{}/off-the-job",
            september["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(f["rule"], "standard_minimum");
    assert_eq!(f["required_minimum_hours"], 380.0);
    let why = f["required_explanation"].as_str().unwrap();
    assert!(why.contains("standard ST0118 v1.0"), "{why}");
    assert!(why.contains("from 2025-08-01"), "{why}");
    assert!(
        why.contains("less 20.00 hours of recognised prior learning"),
        "{why}"
    );
    // A February 2026 start: 360 in force, no prior learning.
    let r = s
        .app
        .authed(Method::POST, "/api/v1/enrolments", &admin)
        .json(&enrol(date(2026, 2, 1), json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let february: Value = r.json().await.unwrap();
    let f = get(
        &s.app,
        &admin,
        &format!(
            "/api/v1/enrolments/{}/off-the-job",
            february["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(f["required_minimum_hours"], 360.0);
    // Prior learning is fixed with the plan: the database refuses to change it.
    let changed = sqlx::query("update enrolments set rpl_otj_hours = 0 where id = $1")
        .bind(september["id"].as_str().unwrap().parse::<Uuid>().unwrap())
        .execute(&s.app.database.pool)
        .await;
    assert!(changed.is_err());
    s.app.finish().await;
}

#[tokio::test]
async fn a_deleted_entry_can_be_brought_back_for_a_day_by_those_who_may_change_it() {
    let s = scene().await;
    let app = &s.app;
    let learner = s.token("amelia");
    let e = s.enrolment("amelia");
    let day = days_ago(3);
    let mut body = entry(day, "distance_learning", 600);
    body["reflection"] = json!("Read the drawings standard");
    let logged = log(app, learner, e, body).await;
    let path = format!("/api/v1/time-log/{}", id(&logged));
    let restore = format!("{path}/restore");
    let post = |path: String, token: String| async move {
        app.authed(Method::POST, &path, &token)
            .send()
            .await
            .unwrap()
    };
    let delete = |token: String| {
        let path = path.clone();
        async move {
            let r = app
                .authed(Method::DELETE, &path, &token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
        }
    };

    // Nothing deleted yet: nothing to bring back.
    problem(
        post(restore.clone(), learner.to_owned()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    delete(learner.to_owned()).await;
    // Gone from the log and its totals (10 h of off-the-job time no longer counted).
    let listed = get(app, learner, &format!("/api/v1/enrolments/{e}/time-log")).await;
    assert_eq!(listed["items"], json!([]));
    // Those who may not change Amelia's log cannot bring it back: her employer's manager
    // (reads only) is refused; another organisation's admin gets 404 as for nothing.
    let r = post(restore.clone(), s.token("manny").to_owned()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, _, other) = app.tenant_with_admin("southgate").await;
    problem(post(restore.clone(), other).await, StatusCode::NOT_FOUND).await;

    // Her assessor brings it back: the same entry, id, fields, author and times.
    let r = post(restore.clone(), s.token("tom").to_owned()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), logged);
    assert_eq!(get(app, learner, &path).await, logged);
    // What her assessor deleted, Amelia cannot bring back herself (403); he can.
    delete(s.token("tom").to_owned()).await;
    let r = post(restore.clone(), learner.to_owned()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(restore.clone(), s.token("tom").to_owned()).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Once back, there is nothing left to bring back.
    problem(
        post(restore.clone(), learner.to_owned()).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // Deleted again, and the day filled meanwhile: 600 + 900 = 1500 minutes > 1440 (24 h),
    // so it cannot come back, and the day keeps what it has.
    delete(learner.to_owned()).await;
    log(app, learner, e, entry(day, "distance_learning", 900)).await;
    let r = post(restore.clone(), learner.to_owned()).await;
    let body = problem(r, StatusCode::CONFLICT).await;
    assert!(
        body["detail"].as_str().unwrap().contains("15:00 logged"),
        "{body}"
    );
    let n: i64 = sqlx::query_scalar("select count(*) from time_log_entries")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);

    // After a day it is gone for good.
    sqlx::query("update time_log_trash set deleted_at = now() - interval '24 hours 1 minute'")
        .execute(&app.database.pool)
        .await
        .unwrap();
    sqlx::query("delete from time_log_entries")
        .execute(&app.database.pool)
        .await
        .unwrap();
    problem(
        post(restore, learner.to_owned()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // And the scheduler's purge (each tick) forgets it: a day-old row, no more.
    let trash = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from time_log_trash")
            .fetch_one(&app.database.pool)
            .await
            .unwrap()
    };
    assert_eq!(trash().await, 1);
    let db = folio_db::Database::from_pool(app.database.pool.clone());
    let mut work = folio_app::system::SystemWork::begin(&db, folio_domain::TenantId(s.tenant.id))
        .await
        .unwrap();
    assert_eq!(
        folio_app::time_log::purge_trash(&mut work).await.unwrap(),
        1
    );
    work.commit().await.unwrap();
    assert_eq!(trash().await, 0);
    assert_eq!(
        audit_actions(app, &s.tenant).await,
        [
            "time_log.create",
            "time_log.delete",
            "time_log.restore",
            "time_log.delete",
            "time_log.restore",
            "time_log.delete",
            "time_log.create",
        ]
    );
    s.app.finish().await;
}
