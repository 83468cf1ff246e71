//! IQA sampling (issue 23): the programme's IQA samples the sign-offs its assessor made and
//! records a decision; a disagreement reopens the sampled sign-offs (the progress figures
//! fall back, computed by hand here), agreement and referral leave them; the assessor
//! answers once. Who may do what, role by role; other organisations get 404.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_tests::scene::{NewCourse, NewEnrolment, NewUnit, Scene};
use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::evidence::signed_off_with_evidence;

async fn scene(app: &TestApp) -> Scene<&TestApp> {
    app.scene("northgate")
        .course(NewCourse::new("ST1", "Engineering").component(
            "Diploma",
            [NewUnit::new("M1", "Safety").criteria(4, "Works safely")],
        ))
        .cast()
        .person("ivy@n.example", folio_domain::Role::Iqa)
        .enrol(NewEnrolment::amelia().course("ST1"))
        .enrol(NewEnrolment::olly().course("ST1"))
        .build()
        .await
}

/// Amelia's evidence mapped to `criteria` and those signed off by Tom.
async fn signed_off(app: &TestApp, s: &Scene<&TestApp>, criteria: &[Uuid]) {
    let component = s.course("ST1").component("Diploma").id;
    let people = (s.token("amelia"), s.token("tom"));
    signed_off_with_evidence(app, people, s.enrolment("amelia"), component, criteria, 1).await;
}

async fn signed_off_count(app: &TestApp, s: &Scene<&TestApp>) -> i64 {
    let p = app
        .ok(
            Method::GET,
            &format!("/api/v1/enrolments/{}/progress", s.enrolment("amelia")),
            &s.admin,
            None,
        )
        .await;
    p["overall"]["criteria_signed_off"].as_i64().unwrap()
}

#[tokio::test]
async fn a_disagreement_reopens_the_sampled_sign_offs_and_the_assessor_answers() {
    let app = TestApp::spawn().await;
    let s = scene(&app).await;
    let m1 = s.course("ST1").unit("M1").criteria.clone();
    signed_off(&app, &s, &m1[..3]).await;
    // 3 of M1's 4 criteria signed off.
    assert_eq!(signed_off_count(&app, &s).await, 3);
    let samples = format!("/api/v1/enrolments/{}/iqa-samples", s.enrolment("amelia"));

    // Iris agrees with the first: it stands.
    let agreed = app
        .ok(
            Method::POST,
            &samples,
            s.token("iris"),
            Some(json!({ "stage": "interim", "decision": "agree", "criterion_ids": [m1[0]] })),
        )
        .await;
    assert_eq!(agreed["decision"], "agree");
    assert_eq!(agreed["assessor_name"], "Person tom@n.example");
    assert_eq!(agreed["criteria"][0]["reopened"], false);
    assert_eq!(signed_off_count(&app, &s).await, 3);

    // She disagrees with the second and third: both reopened, 3 − 2 = 1 signed off.
    let r = app
        .send(
            Method::POST,
            &samples,
            s.token("iris"),
            Some(json!({
                "stage": "interim",
                "decision": "disagree",
                "criterion_ids": [m1[2], m1[1]],
                "feedback": "The witness statement does not show the learner working alone.",
                "action_for_assessor": "Observe again and record it.",
            })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let disagreed: Value = r.json().await.unwrap();
    // The sample keeps the sign-offs as they were, in course order: M1.2 and M1.3, each
    // Tom's, each reopened; M1.1 alone stays signed off.
    let sampled: Vec<(&str, &str, bool)> = disagreed["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap(),
                c["signed_off_by_name"].as_str().unwrap(),
                c["reopened"].as_bool().unwrap(),
            )
        })
        .collect();
    let tom = "Person tom@n.example";
    assert_eq!(sampled, [("M1.2", tom, true), ("M1.3", tom, true)]);
    assert_eq!(signed_off_count(&app, &s).await, 1);
    let still: Vec<Uuid> = sqlx::query_scalar(
        "select criterion_id from criterion_sign_offs where tenant_id = $1 and enrolment_id = $2",
    )
    .bind(s.tenant.id)
    .bind(s.enrolment("amelia"))
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(still, [m1[0]]);
    // A reopened criterion can be sampled no more until it is signed off again.
    let r = app
        .send(
            Method::POST,
            &samples,
            s.token("iris"),
            Some(json!({ "stage": "interim", "decision": "agree", "criterion_ids": [m1[1]] })),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["criterion_ids[0]"]);

    // Tom answers, once.
    let answer = format!(
        "/api/v1/iqa-samples/{}/answer",
        disagreed["id"].as_str().unwrap()
    );
    for who in ["iris", "audrey"] {
        let r = app
            .send(
                Method::POST,
                &answer,
                s.token(who),
                Some(json!({ "response": "x" })),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    let r = app
        .send(
            Method::POST,
            &answer,
            &s.admin,
            Some(json!({ "response": "x" })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "admin");
    for who in ["amelia", "manny", "ivy"] {
        let r = app
            .send(
                Method::POST,
                &answer,
                s.token(who),
                Some(json!({ "response": "x" })),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who}");
    }
    let answered = app
        .ok(
            Method::POST,
            &answer,
            s.token("tom"),
            Some(json!({ "response": "Observed again on 3 December; recorded." })),
        )
        .await;
    assert_eq!(answered["responded_by_name"], "Person tom@n.example");
    let again = app
        .send(
            Method::POST,
            &answer,
            s.token("tom"),
            Some(json!({ "response": "again" })),
        )
        .await;
    problem(again, StatusCode::CONFLICT).await;

    // The record, newest first, for staff who read it; the learner and employer never.
    let list = app.ok(Method::GET, &samples, s.token("tom"), None).await;
    let decisions: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["disagree", "agree"]);
    assert_eq!(
        list["items"][0]["response"],
        "Observed again on 3 December; recorded."
    );
    for who in ["iris", "audrey"] {
        let r = app.send(Method::GET, &samples, s.token(who), None).await;
        assert_eq!(r.status(), StatusCode::OK, "{who}");
    }
    let r = app.send(Method::GET, &samples, &s.admin, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    for who in ["amelia", "manny", "ivy", "olly"] {
        let r = app.send(Method::GET, &samples, s.token(who), None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who}");
    }
    // Another organisation sees none of it.
    let other = app.scene("eastfield").build().await;
    let r = app.send(Method::GET, &samples, &other.admin, None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .send(
            Method::POST,
            &answer,
            &other.admin,
            Some(json!({ "response": "x" })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where tenant_id = $1 and action in ('iqa.sample', 'iqa.answer')",
    )
    .bind(s.tenant.id)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(audited, 3);
}

#[tokio::test]
async fn only_the_programmes_iqa_samples_and_every_field_is_checked() {
    let app = TestApp::spawn().await;
    let s = scene(&app).await;
    let m1 = s.course("ST1").unit("M1").criteria.clone();
    signed_off(&app, &s, &m1[..2]).await;
    let samples = format!("/api/v1/enrolments/{}/iqa-samples", s.enrolment("amelia"));
    let good = json!({ "stage": "summative", "decision": "refer", "criterion_ids": [m1[0]],
                       "feedback": "Add the risk assessment itself." });
    for (who, expected) in [
        ("tom", StatusCode::FORBIDDEN),
        ("audrey", StatusCode::FORBIDDEN),
        ("ivy", StatusCode::NOT_FOUND),
        ("amelia", StatusCode::NOT_FOUND),
        ("manny", StatusCode::NOT_FOUND),
    ] {
        let r = app
            .send(Method::POST, &samples, s.token(who), Some(good.clone()))
            .await;
        assert_eq!(r.status(), expected, "{who}");
    }
    let r = app
        .send(Method::POST, &samples, &s.admin, Some(good.clone()))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "admin");

    // Everything wrong at once: stage, decision, an unsigned criterion, an unknown one.
    let r = app
        .send(
            Method::POST,
            &samples,
            s.token("iris"),
            Some(json!({ "stage": "final", "decision": "maybe",
                         "criterion_ids": [m1[0], m1[3], Uuid::now_v7()] })),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        fields(&body),
        ["stage", "decision", "criterion_ids[1]", "criterion_ids[2]"],
        "{body}"
    );
    // Disagreeing or referring needs feedback; no criteria is no sample.
    for (change, field) in [
        (
            json!({ "decision": "disagree", "feedback": "  " }),
            "feedback",
        ),
        (json!({ "criterion_ids": [] }), "criterion_ids"),
        (json!({ "feedback": "x".repeat(5001) }), "feedback"),
    ] {
        let mut wrong = good.clone();
        for (k, v) in change.as_object().unwrap() {
            wrong[k] = v.clone();
        }
        let r = app
            .send(Method::POST, &samples, s.token("iris"), Some(wrong))
            .await;
        let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&body), [field], "{change}: {body}");
    }
    // Nothing was written by the refusals; a referral leaves the sign-offs (2 of 4).
    let count: i64 = sqlx::query_scalar("select count(*) from iqa_samples where tenant_id = $1")
        .bind(s.tenant.id)
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
    let mut long_action = good.clone();
    long_action["action_for_assessor"] = json!("x".repeat(2001));
    let r = app
        .send(Method::POST, &samples, s.token("iris"), Some(long_action))
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["action_for_assessor"], "{body}");
    let referred = app
        .ok(Method::POST, &samples, s.token("iris"), Some(good))
        .await;
    assert_eq!(referred["stage"], "summative");
    assert_eq!(referred["criteria"][0]["reopened"], false);
    assert_eq!(signed_off_count(&app, &s).await, 2);
}

#[tokio::test]
async fn nobody_samples_their_own_sign_offs() {
    let app = TestApp::spawn().await;
    let s = scene(&app).await;
    let m1 = s.course("ST1").unit("M1").criteria.clone();
    signed_off(&app, &s, &m1[..1]).await;
    // Ada is an admin and an IQA, made Amelia's IQA; as an admin she signs off M1.2.
    let roles = [folio_domain::Role::Admin, folio_domain::Role::Iqa];
    let ada = app.user(&s.tenant, "ada@n.example", &roles).await;
    let ada_token = app.login(&s.tenant, "ada@n.example").await;
    let amelia = s.enrolment("amelia");
    app.ok(
        Method::PATCH,
        &format!("/api/v1/enrolments/{amelia}"),
        &s.admin,
        Some(json!({ "iqa_id": ada })),
    )
    .await;
    let component = s.course("ST1").component("Diploma").id;
    let people = (s.token("amelia"), ada_token.as_str());
    signed_off_with_evidence(&app, people, amelia, component, &m1[1..2], 2).await;
    let samples = format!("/api/v1/enrolments/{amelia}/iqa-samples");
    let r = app
        .send(
            Method::POST,
            &samples,
            &ada_token,
            Some(json!({ "stage": "interim", "decision": "agree",
                         "criterion_ids": [m1[0], m1[1]] })),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["criterion_ids[1]"], "{body}");
    assert_eq!(
        body["errors"][0]["detail"],
        "you signed this off yourself: another IQA must sample it"
    );
    // Tom's sign-off is hers to sample.
    let r = app
        .send(
            Method::POST,
            &samples,
            &ada_token,
            Some(json!({ "stage": "interim", "decision": "agree", "criterion_ids": [m1[0]] })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Nor a session she ran (as Amelia's assessor before Tom).
    let session = app
        .ok(
            Method::POST,
            &format!("/api/v1/enrolments/{amelia}/sessions"),
            s.token("tom"),
            Some(json!({ "session_type": "teaching",
                         "starts_at": format!("{}T10:00:00Z", folio_tests::scene::days_ago(2)),
                         "duration_minutes": 45 })),
        )
        .await;
    let session = session["id"].as_str().unwrap();
    app.ok(
        Method::POST,
        &format!("/api/v1/sessions/{session}/outcome"),
        s.token("tom"),
        Some(json!({ "outcome": "attended" })),
    )
    .await;
    sqlx::query("update learning_sessions set assessor_id = $1 where id = $2")
        .bind(ada)
        .bind(Uuid::parse_str(session).unwrap())
        .execute(&app.database.pool)
        .await
        .unwrap();
    let r = app
        .send(
            Method::POST,
            &samples,
            &ada_token,
            Some(json!({ "stage": "interim", "decision": "agree", "session_ids": [session] })),
        )
        .await;
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["session_ids[0]"]);
    assert_eq!(
        body["errors"][0]["detail"],
        "you ran this session yourself: another IQA must sample it"
    );
}

#[tokio::test]
async fn the_assessor_is_told_of_a_sample_the_iqa_of_the_answer_and_each_link_opens_it() {
    use folio_jobs::send_emails::{self, RetryPolicy};
    use folio_mail::Mailer;
    use folio_tests::smtp::SmtpServer;

    let app = TestApp::spawn().await;
    let s = scene(&app).await;
    let m1 = s.course("ST1").unit("M1").criteria.clone();
    signed_off(&app, &s, &m1[..1]).await;
    let amelia = s.enrolment("amelia");
    let referred = app
        .ok(
            Method::POST,
            &format!("/api/v1/enrolments/{amelia}/iqa-samples"),
            s.token("iris"),
            Some(json!({
                "stage": "interim", "decision": "refer", "criterion_ids": [m1[0]],
                "feedback": "The photo of the guard is not dated.",
                "action_for_assessor": "Ask Amelia for the dated original.",
            })),
        )
        .await;
    app.ok(
        Method::POST,
        &format!(
            "/api/v1/iqa-samples/{}/answer",
            referred["id"].as_str().unwrap()
        ),
        s.token("tom"),
        Some(json!({ "response": "Dated original uploaded as version 2." })),
    )
    .await;

    let smtp = SmtpServer::start().await;
    let mut ctx = crate::emails::context(
        &app,
        Mailer::smtp(&smtp.url, "no-reply@folio.example.test").unwrap(),
        RetryPolicy::default(),
    );
    ctx.public_url = app.base.clone();
    let sent = send_emails::run(&ctx, s.tenant.tenant_id(), 2)
        .await
        .unwrap();
    assert_eq!(sent.sent, 2, "{sent:?}");
    let mut got: Vec<(String, String, String)> = smtp
        .messages()
        .into_iter()
        .map(|m| (m.header("To").unwrap(), m.subject(), m.text()))
        .collect();
    got.sort();
    // Iris reads Tom's answer; Tom reads what she found and what he must do.
    let (to_iris, to_tom) = (&got[0], &got[1]);
    assert!(to_iris.0.contains("iris@n.example"), "{to_iris:?}");
    assert_eq!(
        to_iris.1,
        "Person tom@n.example has answered your sample for Person amelia@n.example"
    );
    assert!(to_iris.2.contains("Dated original uploaded as version 2."));
    assert!(to_tom.0.contains("tom@n.example"), "{to_tom:?}");
    assert_eq!(
        to_tom.1,
        "Person iris@n.example has referred back your decisions for Person amelia@n.example"
    );
    assert!(to_tom.2.contains("The photo of the guard is not dated."));
    assert!(to_tom.2.contains("Ask Amelia for the dated original."));
    // Each link, followed by its recipient, opens the learner's IQA tab with the sample.
    for (to, _, text) in &got {
        let address = if to.contains("tom@") {
            "tom@n.example"
        } else {
            "iris@n.example"
        };
        let links: Vec<&str> = text
            .split_whitespace()
            .filter(|w| w.starts_with(&app.base))
            .collect();
        assert_eq!(links, [format!("{}/app/enrolments/{amelia}/iqa", app.base)]);
        let (status, page) = app.follow_link_as(&s.tenant.slug, address, links[0]).await;
        assert_eq!(status, 200, "{address}: {page}");
        assert!(
            page.contains("The photo of the guard is not dated."),
            "{page}"
        );
        assert!(
            page.contains("Dated original uploaded as version 2."),
            "{page}"
        );
        // And the bell lists it.
        let (status, bell) = app
            .follow_link_as(
                &s.tenant.slug,
                address,
                &format!("{}/app/notifications", app.base),
            )
            .await;
        assert_eq!(status, 200);
        let says = if address.starts_with("tom") {
            "Person iris@n.example has referred back your decisions for Person amelia@n.example"
        } else {
            "Person tom@n.example has answered your sample for Person amelia@n.example"
        };
        assert!(bell.contains(says), "{bell}");
    }
}

/// The sampling record as `token` downloads it: the sheet's cells as text, row by row
/// (dates as `yyyy-mm-dd`), or the response when it is refused.
pub(crate) async fn record(
    app: &TestApp,
    token: &str,
    query: &str,
) -> Result<Vec<Vec<String>>, reqwest::Response> {
    use calamine::{Data, Reader, Xlsx};
    let r = app
        .authed(
            Method::GET,
            &format!("/api/v1/iqa-sampling-record{query}"),
            token,
        )
        .send()
        .await
        .unwrap();
    if r.status() != StatusCode::OK {
        return Err(r);
    }
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Sampling record").unwrap();
    Ok(sheet
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    Data::DateTime(d) => d.as_datetime().unwrap().date().to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect())
}

#[tokio::test]
async fn the_sampling_record_lists_each_sample_for_those_who_read_them() {
    let app = TestApp::spawn().await;
    let s = scene(&app).await;
    let m1 = s.course("ST1").unit("M1").criteria.clone();
    signed_off(&app, &s, &m1[..2]).await;
    let amelia = s.enrolment("amelia");
    let taken = app
        .ok(
            Method::POST,
            &format!("/api/v1/enrolments/{amelia}/iqa-samples"),
            s.token("iris"),
            Some(json!({
                "stage": "summative", "decision": "disagree", "method": "witness_testimony",
                "criterion_ids": [m1[1], m1[0]],
                "feedback": "The witness is not named.",
                "action_for_assessor": "Get a signed statement.",
            })),
        )
        .await;
    app.ok(
        Method::POST,
        &format!(
            "/api/v1/iqa-samples/{}/answer",
            taken["id"].as_str().unwrap()
        ),
        s.token("tom"),
        Some(json!({ "response": "Statement signed by the supervisor." })),
    )
    .await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
        .to_string();
    // Row 5 is the header, row 6 the sample, then a gap and the count.
    let expected = [
        today.as_str(),
        "Person amelia@n.example",
        "",
        "Engineering",
        "Person tom@n.example",
        "Person iris@n.example",
        "Summative",
        "Witness testimony",
        "Disagree",
        "M1.1 (reopened), M1.2 (reopened)",
        "",
        "",
        "The witness is not named.",
        "Get a signed statement.",
        "Statement signed by the supervisor.",
        "Person tom@n.example",
        today.as_str(),
    ];
    for who in ["iris", "tom", "audrey"] {
        let sheet = record(&app, s.token(who), "").await.unwrap();
        assert_eq!(sheet[4][0], "Sampled on", "{who}");
        assert_eq!(sheet[5], expected, "{who}");
        assert_eq!(
            sheet[7][..2],
            ["Samples".to_owned(), "1".to_owned()],
            "{who}"
        );
    }
    let sheet = record(
        &app,
        &s.admin,
        &format!("?course_id={}", s.course("ST1").id),
    )
    .await
    .unwrap();
    assert_eq!(sheet[5], expected);
    // Filters: an assessor with no samples, days before it was taken.
    let sheet = record(&app, &s.admin, &format!("?assessor_id={}", s.id("iris")))
        .await
        .unwrap();
    assert_eq!(sheet[6][..2], ["Samples".to_owned(), "0".to_owned()]);
    let sheet = record(&app, &s.admin, "?to=2020-01-01").await.unwrap();
    assert_eq!(sheet[6][..2], ["Samples".to_owned(), "0".to_owned()]);
    let body = problem(
        record(&app, &s.admin, "?from=2026-02-01&to=2026-01-01")
            .await
            .unwrap_err(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&body), ["from"]);
    // Days outside what the record can hold, or that are not days at all.
    for (query, field, says) in [
        (
            "?from=0100-01-01",
            "from",
            "must be a day between the years 1900 and 9999",
        ),
        (
            "?to=12000-01-01",
            "to",
            "must be a date written YYYY-MM-DD (or a date and time) that exists",
        ),
        (
            "?from=2026-13-01",
            "from",
            "must be a date written YYYY-MM-DD (or a date and time) that exists",
        ),
    ] {
        let body = problem(
            record(&app, &s.admin, query).await.unwrap_err(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&body), [field], "{body}");
        assert_eq!(body["errors"][0]["detail"], says, "{query}");
    }
    // Ivy is IQA of nobody: none of it is hers; learners and employers may not ask.
    let sheet = record(&app, s.token("ivy"), "").await.unwrap();
    assert_eq!(sheet[6][..2], ["Samples".to_owned(), "0".to_owned()]);
    for who in ["amelia", "manny"] {
        let r = record(&app, s.token(who), "").await.unwrap_err();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    let other = app.scene("eastfield").build().await;
    let sheet = record(&app, &other.admin, "").await.unwrap();
    assert_eq!(sheet[6][..2], ["Samples".to_owned(), "0".to_owned()]);
}
