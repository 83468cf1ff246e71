//! Exports as jobs: asked for through the API (202), written by the workers, followed
//! (status and rows), downloaded only by whoever asked and may still see it, read back with
//! calamine and checked against the database, and deleted after their retention.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use calamine::{Data, Reader, Xlsx};
use chrono::{Days, NaiveDate, TimeDelta, Utc};
use folio_db::platform::Tenant;
use folio_domain::Role;
use folio_domain::jobs::JobKind;
use folio_jobs::JobContext;
use folio_jobs::run::{TenantJob, execute};
use folio_jobs::send_emails::RetryPolicy;
use folio_mail::{Mailer, Templates};
use folio_tests::scene::{NewCourse, NewEnrolment, days_ago, today};
use folio_tests::{TestApp, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// The organisation (see [`scene`]), a job context for running the workers, and today.
struct Scene {
    org: folio_tests::scene::Scene,
    ctx: JobContext,
    today: NaiveDate,
}

impl std::ops::Deref for Scene {
    type Target = folio_tests::scene::Scene;

    fn deref(&self) -> &Self::Target {
        &self.org
    }
}

/// Logs time: (enrolment, who, day), then what.
async fn log(
    app: &TestApp,
    tenant: &Tenant,
    (enrolment, by, day): (Uuid, Uuid, NaiveDate),
    activity: &str,
    otj: bool,
    minutes: i32,
) {
    sqlx::query(
        "insert into time_log_entries (tenant_id, id, enrolment_id, entry_date, activity_type,
             off_the_job, minutes, reflection, source, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, 'Worked on it', 'learner', $8)",
    )
    .bind(tenant.id)
    .bind(Uuid::now_v7())
    .bind(enrolment)
    .bind(day)
    .bind(activity)
    .bind(otj)
    .bind(minutes)
    .bind(by)
    .execute(&app.database.pool)
    .await
    .unwrap();
}

/// Assessors Tom (of Amelia and Ben) and Bea (of Cara); the three learners in learning on
/// ST0457 since 100 days ago, each with time logged; Ben completed at day 50.
async fn scene() -> Scene {
    let today = today();
    let start = days_ago(100);
    let enrolment = |learner: &str, assessor: &str| {
        NewEnrolment::new(learner)
            .assessor(assessor)
            .dates(start, start.checked_add_days(Days::new(400)).unwrap())
            .hours(37.5, 278.5)
            .status("in_learning", start)
    };
    let org = TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Engineering"))
        .people(&[
            ("tom@n.example", Role::Assessor),
            ("bea@n.example", Role::Assessor),
            ("amelia@n.example", Role::Learner),
            ("ben@n.example", Role::Learner),
            ("cara@n.example", Role::Learner),
        ])
        .enrol(enrolment("amelia", "tom"))
        .enrol(enrolment("ben", "tom"))
        .enrol(enrolment("cara", "bea"))
        .build()
        .await;
    let (app, tenant) = (&org.app, &org.tenant);
    let (a, b, c) = (
        org.enrolment("amelia"),
        org.enrolment("ben"),
        org.enrolment("cara"),
    );
    let (amelia, ben, cara) = (org.id("amelia"), org.id("ben"), org.id("cara"));
    let day = |n: u64| start.checked_add_days(Days::new(n)).unwrap();
    // Amelia: 2 h of training and 1 h of assessment off the job (the assessment does not
    // count towards the minimum), 3 h on the job.
    log(
        app,
        tenant,
        (a, amelia, day(1)),
        "trainer_led_training",
        true,
        120,
    )
    .await;
    log(
        app,
        tenant,
        (a, amelia, day(2)),
        "assessment_examination",
        true,
        60,
    )
    .await;
    log(
        app,
        tenant,
        (a, amelia, day(3)),
        "technical_experience",
        false,
        180,
    )
    .await;
    log(app, tenant, (b, ben, day(4)), "distance_learning", true, 90).await;
    log(
        app,
        tenant,
        (c, cara, day(5)),
        "coaching_mentoring",
        true,
        45,
    )
    .await;
    // Ben completed (gateway) at day 50, and logged time after it.
    org.set_status(b, "completed", day(50), None).await;
    let ctx = JobContext {
        db: app.db.clone(),
        mailer: Mailer::files(
            std::env::temp_dir().join(&app.database.name),
            "x@folio.test",
        )
        .unwrap(),
        templates: Arc::new(Templates::load().unwrap()),
        public_url: "https://folio.example.test".into(),
        email_retry: RetryPolicy::default(),
        storage: folio_tests::files(&app.database.name),
        export_retention: TimeDelta::days(7),
        secrets: folio_tests::test_secret_keys(),
    };
    Scene { org, ctx, today }
}

/// Asks for an export and returns the response's body.
async fn ask(s: &Scene, token: &str, body: Value) -> Value {
    let r = s
        .app
        .authed(Method::POST, "/api/v1/exports", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    r.json().await.unwrap()
}

/// Runs the export's job as a worker would.
async fn work(s: &Scene, export: &Value) {
    let job = TenantJob {
        tenant_id: s.tenant.id,
        kind: JobKind::Export,
        run_on: s.today,
        run_id: Some(export["run_id"].as_str().unwrap().parse().unwrap()),
    };
    execute(&s.ctx, &job, "test").await.unwrap();
}

async fn status(s: &Scene, token: &str, id: &str) -> Value {
    let r = s
        .app
        .authed(Method::GET, &format!("/api/v1/exports/{id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The bytes of a ready export.
async fn download_bytes(s: &Scene, token: &str, id: &str) -> Vec<u8> {
    let r = s
        .app
        .authed(Method::GET, &format!("/api/v1/exports/{id}/file"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.unwrap().to_vec()
}

/// The XML of every worksheet of a workbook, in order.
fn sheet_xml(bytes: &[u8]) -> Vec<String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut sheets = Vec::new();
    for n in 1.. {
        let Ok(mut part) = zip.by_name(&format!("xl/worksheets/sheet{n}.xml")) else {
            break;
        };
        let mut xml = String::new();
        part.read_to_string(&mut xml).unwrap();
        sheets.push(xml);
    }
    sheets
}

async fn download(s: &Scene, token: &str, id: &str) -> Xlsx<std::io::Cursor<Vec<u8>>> {
    let r = s
        .app
        .authed(Method::GET, &format!("/api/v1/exports/{id}/file"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Served as what it is, not as application/octet-stream.
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap()
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

/// The table's rows (below the heading lines and the header row), first column to last.
fn table(sheet: &calamine::Range<Data>) -> Vec<Vec<String>> {
    let header = (0..sheet.height() as u32)
        .find(|r| text(sheet, *r, 0) == "Learner")
        .expect("a header row");
    ((header + 1)..sheet.height() as u32)
        .map(|r| {
            (0..sheet.width() as u32)
                .map(|c| match sheet.get_value((r, c)) {
                    Some(Data::String(s)) => s.clone(),
                    Some(Data::Float(f)) => f.to_string(),
                    Some(Data::Int(i)) => i.to_string(),
                    Some(Data::DateTime(d)) => d.as_datetime().unwrap().date().to_string(),
                    _ => String::new(),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_organisation_and_caseload_time_logs_are_written_by_the_workers_and_read_back() {
    let s = scene().await;
    let asked = ask(
        &s,
        &s.admin,
        json!({ "kind": "time_log", "scope": "organisation" }),
    )
    .await;
    assert_eq!(asked["status"], "queued");
    let id = asked["id"].as_str().unwrap();
    // Not ready yet: 409 with the status.
    let r = s
        .app
        .authed(Method::GET, &format!("/api/v1/exports/{id}/file"), &s.admin)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT).await;

    work(&s, &asked).await;
    let done = status(&s, &s.admin, id).await;
    assert_eq!(done["status"], "ready", "{done}");
    assert_eq!(done["rows_done"], 5);
    assert_eq!(done["rows_total"], 5);
    assert!(done["expires_at"].is_string());
    let mut book = download(&s, &s.admin, id).await;
    assert_eq!(book.sheet_names(), ["Time log"]);
    let sheet = book.worksheet_range("Time log").unwrap();
    assert_eq!(text(&sheet, 0, 0), "Time log");
    assert_eq!(text(&sheet, 1, 0), "Organisation: northgate Training");
    assert_eq!(text(&sheet, 2, 0), "Covers: every learner");
    let rows = table(&sheet);
    assert_eq!(rows.len(), 5, "{rows:?}");
    // By learner, then day: Amelia's three, Ben's, Cara's.
    let learners: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        learners,
        [
            "Person amelia@n.example",
            "Person amelia@n.example",
            "Person amelia@n.example",
            "Person ben@n.example",
            "Person cara@n.example"
        ]
    );
    assert_eq!(rows[0][3], "Trainer or assessor led training");
    assert_eq!(rows[0][6], "Off the job");
    assert_eq!(rows[0][7], "Yes");
    assert_eq!(rows[0][8], "2");
    assert_eq!(
        rows[1][7], "No",
        "an assessment does not count towards the minimum"
    );
    assert_eq!(rows[2][6], "On the job");
    // The same rows as the database holds.
    let minutes: i64 =
        sqlx::query_scalar("select sum(minutes) from time_log_entries where tenant_id = $1")
            .bind(s.tenant.id)
            .fetch_one(&s.app.database.pool)
            .await
            .unwrap();
    let hours: f64 = rows.iter().map(|r| r[8].parse::<f64>().unwrap()).sum();
    assert!((hours * 60.0 - minutes as f64).abs() < 1e-6);

    // Tom's caseload: Amelia and Ben only.
    let mine = ask(
        &s,
        s.token("tom"),
        json!({ "kind": "time_log", "scope": "caseload" }),
    )
    .await;
    work(&s, &mine).await;
    let mine_id = mine["id"].as_str().unwrap();
    let mut book = download(&s, s.token("tom"), mine_id).await;
    let sheet = book.worksheet_range("Time log").unwrap();
    assert_eq!(
        text(&sheet, 2, 0),
        "Covers: the caseload of Person tom@n.example"
    );
    assert_eq!(table(&sheet).len(), 4);

    // Running the job again (a repeated delivery) leaves the ready export alone.
    work(&s, &mine).await;
    assert_eq!(status(&s, s.token("tom"), mine_id).await["status"], "ready");

    // Only whoever asked sees an export; the list is one's own.
    let r = s
        .app
        .authed(
            Method::GET,
            &format!("/api/v1/exports/{id}"),
            s.token("tom"),
        )
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let r = s
        .app
        .authed(
            Method::GET,
            &format!("/api/v1/exports/{id}/file"),
            s.token("tom"),
        )
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let r = s
        .app
        .authed(Method::GET, "/api/v1/exports", s.token("tom"))
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [mine_id]);
    let (_, _, stranger) = s.app.tenant_with_admin("elsewhere").await;
    let r = s
        .app
        .authed(
            Method::GET,
            &format!("/api/v1/exports/{id}/file"),
            &stranger,
        )
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;

    // After the retention period the file is deleted.
    let files_before = s.app.stored_files();
    sqlx::query("update exports set expires_at = now() - interval '1 minute' where id = $1")
        .bind(Uuid::parse_str(id).unwrap())
        .execute(&s.app.database.pool)
        .await
        .unwrap();
    let expired = folio_jobs::exports::expire(&s.ctx, s.tenant.tenant_id(), Utc::now())
        .await
        .unwrap();
    assert_eq!(expired, 1);
    assert_eq!(s.app.stored_files(), files_before - 1);
    assert_eq!(status(&s, &s.admin, id).await["status"], "expired");
    let r = s
        .app
        .authed(Method::GET, &format!("/api/v1/exports/{id}/file"), &s.admin)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT).await;
    s.org.app.finish().await;
}

#[tokio::test]
async fn the_compliance_workbook_has_every_sheet_and_the_official_return_fields() {
    let s = scene().await;
    // The official return's identifiers: the provider's UKPRN, Amelia's ULN (1234567899:
    // 1×10 + 2×9 + 3×8 + 4×7 + 5×6 + 6×5 + 7×4 + 8×3 + 9×2 = 210, 210 mod 11 = 1, check
    // digit 10 − 1 = 9) and learner reference. A ULN whose check digit is wrong is refused.
    let r = s
        .app
        .change_settings(&s.admin, |settings| {
            settings["ukprn"] = json!("10012345");
        })
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let amelia_e = s.enrolment("amelia");
    let patch = |body: Value| {
        s.app
            .authed(
                Method::PATCH,
                &format!("/api/v1/enrolments/{amelia_e}"),
                &s.admin,
            )
            .json(&body)
            .send()
    };
    let r = patch(json!({ "uln": "1234567890" })).await.unwrap();
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["status"], 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "uln");
    assert!(p["detail"].as_str().unwrap().contains("check digit"), "{p}");
    let r = patch(json!({ "uln": "1234567899", "learner_ref": "NG0001" }))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    folio_jobs::run::perform(
        &s.ctx,
        s.tenant.tenant_id(),
        JobKind::RecalculateTracks,
        s.today,
        Utc::now(),
    )
    .await
    .unwrap();
    let asked = ask(
        &s,
        &s.admin,
        json!({ "kind": "compliance_workbook", "scope": "organisation" }),
    )
    .await;
    work(&s, &asked).await;
    let id = asked["id"].as_str().unwrap();
    let done = status(&s, &s.admin, id).await;
    assert_eq!(done["status"], "ready", "{done}");
    let mut book = download(&s, &s.admin, id).await;
    // Every sheet's header stays in view (a frozen pane below it) and filters its columns.
    let sheets = sheet_xml(&download_bytes(&s, &s.admin, id).await);
    assert_eq!(sheets.len(), 6);
    for (n, xml) in sheets.iter().enumerate() {
        assert!(xml.contains("state=\"frozen\""), "sheet {n}: {xml:.600}");
        assert!(xml.contains("<autoFilter ref="), "sheet {n}");
    }
    assert_eq!(
        book.sheet_names(),
        [
            "Learners",
            "Off the job",
            "Reviews",
            "Official return",
            "Overdue actions",
            "Unclosed sessions"
        ]
    );
    // The Learners sheet says its progress figures are the night's, and which night's.
    let sheet = book.worksheet_range("Learners").unwrap();
    let said = format!(
        "Progress figures as of {}: this morning's nightly recalculation",
        s.today.format("%d/%m/%Y")
    );
    assert!(
        (0..6).any(|r| text(&sheet, r, 0).starts_with(&said)),
        "{said}"
    );
    let learners = table(&book.worksheet_range("Learners").unwrap());
    assert_eq!(learners.len(), 3);
    assert_eq!(learners[0][0], "Person amelia@n.example");
    assert_eq!(learners[0][2], "Person tom@n.example");
    assert_eq!(learners[0][3], "in learning");
    assert_eq!(learners[1][3], "completed");

    let otj = table(&book.worksheet_range("Off the job").unwrap());
    // Amelia: 2 h counts (training); the hour of assessment does not.
    assert_eq!(otj[0][0], "Person amelia@n.example");
    assert!(otj[0][2].contains("from 1 Aug 2025"), "{:?}", otj[0]);
    assert_eq!(otj[0][3], "278.5");
    assert_eq!(otj[0][5], "2");

    let ret = book.worksheet_range("Official return").unwrap();
    let rows = table(&ret);
    // Under the header, the official return's own field names.
    assert_eq!(
        rows[0][..17],
        [
            "",
            "",
            "ULN",
            "LearnRefNumber",
            "UKPRN",
            "StdCode",
            "",
            "",
            "LearnStartDate",
            "LearnPlanEndDate",
            "LearnActEndDate",
            "PHours",
            "OTJActHours",
            "CompStatus",
            "",
            "WithdrawReason",
            ""
        ]
    );
    // Amelia: her identifiers, 37.5 contracted hours, her dates; PHours 278.5 to the
    // nearest hour, half up: 279 (not truncated); 2 actual hours; continuing (1).
    let amelia = &rows[1];
    assert_eq!(amelia[0], "Person amelia@n.example");
    assert_eq!(amelia[2..6], ["1234567899", "NG0001", "10012345", ""]);
    assert_eq!(amelia[7], "37.5");
    assert_eq!(amelia[8], days_ago(100).to_string());
    assert_eq!(amelia[11], "279");
    assert_eq!(amelia[12], "2");
    assert_eq!(amelia[13..15], ["1", "Continuing"]);
    assert_eq!(amelia[15..17], ["", ""]);
    assert_eq!(rows[2][0], "Person ben@n.example");
    assert_eq!(rows[2][13..15], ["2", "Completed"]);
    assert!(
        !rows[2][10].is_empty(),
        "the actual end date of a completed learner"
    );
    // Ben's 1.5 h up to gateway: 2 to the nearest whole hour (half up). The sheet's
    // heading lines, the header and the field names come before the rows.
    let ben_row = (0..ret.height() as u32)
        .find(|r| matches!(ret.get_value((*r, 0)), Some(Data::String(n)) if n == "Person ben@n.example"))
        .unwrap();
    assert_eq!(number(&ret, ben_row, 12), 2.0);

    // The same rows as CSV, headed by the ILR's field names, served as CSV.
    let asked = ask(
        &s,
        &s.admin,
        json!({ "kind": "official_return", "scope": "organisation" }),
    )
    .await;
    work(&s, &asked).await;
    let csv_id = asked["id"].as_str().unwrap();
    let done = status(&s, &s.admin, csv_id).await;
    assert_eq!(done["status"], "ready", "{done}");
    assert!(
        done["file_name"]
            .as_str()
            .unwrap()
            .starts_with("official-return-")
    );
    let r = s
        .app
        .authed(
            Method::GET,
            &format!("/api/v1/exports/{csv_id}/file"),
            &s.admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let text = r.text().await.unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        lines[0][..14],
        [
            "Learner",
            "Course",
            "ULN",
            "LearnRefNumber",
            "UKPRN",
            "StdCode",
            "Employer",
            "Contracted hours a week",
            "LearnStartDate",
            "LearnPlanEndDate",
            "LearnActEndDate",
            "PHours",
            "OTJActHours",
            "CompStatus"
        ]
    );
    assert_eq!(lines.len(), 4, "a header and three enrolments: {text}");
    let amelia_csv = &lines[1];
    assert_eq!(amelia_csv[0], "Person amelia@n.example");
    assert_eq!(amelia_csv[2..5], ["1234567899", "NG0001", "10012345"]);
    assert_eq!(amelia_csv[8], days_ago(100).to_string());
    // PHours 279 (278.5 to the nearest hour), OTJActHours 2, continuing (1).
    assert_eq!(amelia_csv[11..14], ["279", "2", "1"]);

    // Tom may not ask for the organisation's workbook, a learner for nothing of the sort.
    let r = s
        .app
        .authed(Method::POST, "/api/v1/exports", s.token("tom"))
        .json(&json!({ "kind": "compliance_workbook", "scope": "organisation" }))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN).await;
    let r = s
        .app
        .authed(Method::POST, "/api/v1/exports", s.token("amelia"))
        .json(&json!({ "kind": "time_log", "scope": "caseload" }))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN).await;
    // Bad requests name the field.
    for (body, field) in [
        (json!({ "kind": "time_log" }), "scope"),
        (json!({ "kind": "progress_map" }), "enrolment_id"),
        (
            json!({ "kind": "time_log", "scope": "organisation", "enrolment_id": s.enrolment("amelia") }),
            "enrolment_id",
        ),
    ] {
        let r = s
            .app
            .authed(Method::POST, "/api/v1/exports", &s.admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(folio_tests::fields(&p), [field], "{body}");
    }
    // A progress map of an enrolment the caller cannot see does not exist for them.
    let r = s
        .app
        .authed(Method::POST, "/api/v1/exports", s.token("amelia"))
        .json(&json!({ "kind": "progress_map", "enrolment_id": Uuid::now_v7() }))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    s.org.app.finish().await;
}

/// A ready PDF export's text, as `pdftotext -layout` reads it.
async fn pdf_text(s: &Scene, token: &str, id: &str) -> String {
    let r = s
        .app
        .authed(Method::GET, &format!("/api/v1/exports/{id}/file"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let path = std::env::temp_dir().join(format!("{}-{id}.pdf", s.app.database.name));
    std::fs::write(&path, &bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils): run scripts/test-setup");
    std::fs::remove_file(&path).ok();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_learner_downloads_their_progress_map_as_pdf() {
    let s = scene().await;
    let learner = s.token("amelia");
    // Two criteria on Amelia's course; one signed off.
    let (course,): (Uuid,) = sqlx::query_as("select course_id from enrolments where id = $1")
        .bind(s.enrolment("amelia"))
        .fetch_one(&s.app.database.pool)
        .await
        .unwrap();
    let criteria: Vec<Uuid> = sqlx::query_scalar(
        "with c as (insert into components (tenant_id, id, course_id, title)
                    values ($1, gen_random_uuid(), $2, 'Knowledge') returning id),
              u as (insert into units (tenant_id, id, component_id, code, title)
                    select $1, gen_random_uuid(), c.id, 'K1', 'Principles of safety' from c
                    returning id)
         insert into criteria (tenant_id, id, unit_id, code, text, position)
         select $1, gen_random_uuid(), u.id, 'K1.' || n, 'Explains hazard ' || n, n
         from u, generate_series(1, 2) n returning id",
    )
    .bind(s.tenant.id)
    .bind(course)
    .fetch_all(&s.app.database.pool)
    .await
    .unwrap();
    let assessor: Uuid = sqlx::query_scalar("select assessor_id from enrolments where id = $1")
        .bind(s.enrolment("amelia"))
        .fetch_one(&s.app.database.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into criterion_sign_offs (tenant_id, enrolment_id, criterion_id, signed_off_by)
         values ($1, $2, $3, $4)",
    )
    .bind(s.tenant.id)
    .bind(s.enrolment("amelia"))
    .bind(criteria[0])
    .bind(assessor)
    .execute(&s.app.database.pool)
    .await
    .unwrap();

    let asked = ask(
        &s,
        learner,
        json!({ "kind": "progress_map", "enrolment_id": s.enrolment("amelia") }),
    )
    .await;
    work(&s, &asked).await;
    let id = asked["id"].as_str().unwrap();
    let done = status(&s, learner, id).await;
    assert_eq!(done["status"], "ready", "{done}");
    assert!(done["file_name"].as_str().unwrap().ends_with(".pdf"));
    let text = pdf_text(&s, learner, id).await;
    for needle in [
        "Person amelia@n.example",
        "ST0457 Engineering",
        "K1",
        "Principles of safety",
        "K1.1",
        "Explains hazard 2",
        "Signed off",
        "Not started",
        "1 of 2 criteria signed off (50%)",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    // As the page filters it: only K1.2, the criterion not yet signed off, is listed; the
    // overall figures still count both.
    let asked = ask(
        &s,
        learner,
        json!({ "kind": "progress_map", "enrolment_id": s.enrolment("amelia"),
                "incomplete_only": true }),
    )
    .await;
    assert_eq!(asked["incomplete_only"], true, "{asked}");
    work(&s, &asked).await;
    let text = pdf_text(&s, learner, asked["id"].as_str().unwrap()).await;
    for needle in [
        "Only the criteria not yet signed off",
        "K1.2",
        "Explains hazard 2",
        "1 of 2 criteria signed off (50%)",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert!(
        !text.contains("K1.1"),
        "the signed-off K1.1 is left out: {text}"
    );
    // Only a progress map is filtered.
    let r = s
        .app
        .authed(Method::POST, "/api/v1/exports", s.token("tom"))
        .json(&json!({ "kind": "time_log", "scope": "caseload", "incomplete_only": true }))
        .send()
        .await
        .unwrap();
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(p.to_string().contains("incomplete_only"), "{p}");
    // Tom (her assessor) cannot see her export; it is hers.
    let r = s
        .app
        .authed(
            Method::GET,
            &format!("/api/v1/exports/{id}"),
            s.token("tom"),
        )
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    s.org.app.finish().await;
}
