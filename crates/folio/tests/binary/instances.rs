//! Many instances on one PostgreSQL, one Redis and one S3-compatible store, as real
//! processes: two `folio serve` and two `folio work` at once.
//!
//! - A session started on one API instance works on the other, and ends on both.
//! - Evidence uploaded through one downloads through the other; an export asked for on one
//!   is made by a worker and downloads through the other (files in S3, moto's server).
//! - The nightly schedule fires once per tenant per night however many workers tick (both
//!   tick every second), and every email is delivered once.
//! - A worker killed (SIGKILL) in the middle of a run's emails: the other finishes them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Days, Timelike, Utc};
use folio_db::job_runs::{self, Trigger};
use folio_domain::Role;
use folio_domain::jobs::JobKind;
use folio_tests::s3::S3Server;
use folio_tests::smtp::SmtpServer;
use folio_tests::{TestApp, learners_with_overdue_actions, redis_url};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use uuid::Uuid;

const TENANTS: usize = 3;
/// Learners per tenant, each with one action a day overdue.
pub(crate) const LEARNERS: i32 = 6;
/// Learners added for the run a worker is killed in.
const LATE_LEARNERS: i32 = 300;
/// Emails a sender may have handed to the SMTP server but not yet recorded as sent when
/// its process is killed (see `tests/work.rs`).
const IN_FLIGHT: usize = 8;

/// A child process killed when dropped, so a failing assertion leaves no server running.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// The processes' shared environment.
struct Shared<'a> {
    app: &'a TestApp,
    s3: &'a S3Server,
    smtp: &'a SmtpServer,
}

impl Shared<'_> {
    fn folio(&self, command: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_folio"));
        c.arg(command)
            .envs([folio_tests::CHEAP_PASSWORD_HASH_ENV])
            .env("FOLIO_DATABASE_URL", self.app.database.url())
            .env("FOLIO_DATABASE_MAX_CONNECTIONS", "8")
            .env("FOLIO_REDIS_URL", redis_url())
            .env("FOLIO_REDIS_NAMESPACE", &self.app.database.name)
            .env("FOLIO_STORAGE", "s3")
            .env("FOLIO_S3_ENDPOINT", &self.s3.endpoint)
            .env("FOLIO_S3_BUCKET", &self.s3.bucket)
            .env("FOLIO_S3_REGION", "eu-west-2")
            .env("FOLIO_S3_ACCESS_KEY_ID", "testing")
            .env("FOLIO_S3_SECRET_ACCESS_KEY", "testing")
            .env("FOLIO_SMTP_URL", &self.smtp.url)
            .env("FOLIO_COOKIE_SECURE", "false")
            .env("FOLIO_LOG", "warn")
            .env_remove("FOLIO_CONFIG")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        c
    }

    /// `folio serve` on a free port; returns the process and its base URL once ready.
    async fn serve(&self) -> (Process, String) {
        let port = folio_tests::python::free_port();
        let child = self
            .folio("serve")
            .env("FOLIO_LISTEN", format!("127.0.0.1:{port}"))
            .spawn()
            .map(Process)
            .expect("start folio serve");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = http.get(format!("{base}/readyz")).send().await;
            if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "folio serve on {port} never became ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (child, base)
    }

    /// `folio work`, its scheduler ticking every second.
    fn work(&self) -> Process {
        self.folio("work")
            .env("FOLIO_WORKER_CONCURRENCY", "2")
            .env("FOLIO_WORKER_POLL_MS", "100")
            .env("FOLIO_WORKER_HEARTBEAT_SECS", "1")
            .env("FOLIO_SCHEDULER_CRON", "* * * * * *")
            .spawn()
            .map(Process)
            .expect("start folio work")
    }
}

pub(crate) async fn wait_for<F: Future<Output = bool>>(
    what: &str,
    timeout: Duration,
    mut done: impl FnMut() -> F,
) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A fixed-offset IANA zone in which it is now about midday: every daily job is due
/// whatever time the test runs, and the local date does not change while it runs.
/// Returns the zone and its offset from UTC in hours.
pub(crate) fn zone_at_midday() -> (String, i64) {
    let offset = 12 - i64::from(Utc::now().hour());
    let name = match offset {
        0 => "Etc/UTC".to_owned(),
        // The Etc zones' signs are inverted: Etc/GMT-5 is five hours ahead of UTC.
        h if h > 0 => format!("Etc/GMT-{h}"),
        h => format!("Etc/GMT+{}", -h),
    };
    (name, offset)
}

pub(crate) struct Provider {
    pub(crate) tenant: folio_db::platform::Tenant,
    pub(crate) course: Uuid,
    learner: String,
    enrolment: Uuid,
    component: Uuid,
    pub(crate) assessor: Uuid,
}

/// A tenant with an assessor and `LEARNERS` learners (one signing in with a password), each
/// enrolled with an action a day overdue.
pub(crate) async fn provider(app: &TestApp, n: usize, zone: &str) -> Provider {
    let tenant = app.tenant(&format!("provider{n}")).await;
    let assessor = app
        .user(
            &tenant,
            &format!("assessor@p{n}.example"),
            &[Role::Assessor],
        )
        .await;
    let learner_email = format!("learner@p{n}.example");
    let learner = app.user(&tenant, &learner_email, &[Role::Learner]).await;
    let today = Utc::now().date_naive();
    let (enrolment, component, course): (Uuid, Uuid, Uuid) = sqlx::query_as(
        "with c as (insert into courses (tenant_id, id, code, title)
                    values ($1, gen_random_uuid(), 'ST0457', 'Engineering') returning id),
              k as (insert into components (tenant_id, id, course_id, title)
                    select $1, gen_random_uuid(), c.id, 'Knowledge' from c returning id),
              s as (insert into tenant_settings (tenant_id, settings)
                    values ($1, jsonb_build_object('timezone', $7::text))),
              e as (insert into enrolments (tenant_id, id, learner_id, course_id, start_date,
                        planned_end_date, assessor_id, contracted_hours_per_week,
                        planned_otj_hours, status, learning_started_on)
                    select $1, gen_random_uuid(), $2, c.id, $4, $5, $3, 37.5, 300,
                           'in_learning', $4 from c returning id),
              a as (insert into actions (tenant_id, id, enrolment_id, title, target_date, created_by)
                    select $1, gen_random_uuid(), e.id, 'Write up the survey', $6, $3 from e)
         select e.id, k.id, c.id from e, k, c",
    )
    .bind(tenant.id)
    .bind(learner)
    .bind(assessor)
    .bind(today.checked_sub_days(Days::new(10)).unwrap())
    .bind(today.checked_add_days(Days::new(400)).unwrap())
    .bind(today.checked_sub_days(Days::new(1)).unwrap())
    .bind(zone)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    learners_with_overdue_actions(
        &app.database.pool,
        tenant.id,
        course,
        assessor,
        "learner",
        LEARNERS - 1,
    )
    .await;
    Provider {
        tenant,
        course,
        learner: learner_email,
        enrolment,
        component,
        assessor,
    }
}

pub(crate) async fn login(http: &reqwest::Client, base: &str, slug: &str, email: &str) -> String {
    let response = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "tenant": slug, "email": email, "password": folio_tests::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "sign in on {base}");
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

pub(crate) async fn get(http: &reqwest::Client, url: String, token: &str) -> reqwest::Response {
    http.get(url).bearer_auth(token).send().await.unwrap()
}

pub(crate) async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.database.pool)
        .await
        .unwrap()
}

/// Delivered messages per `Message-ID`.
pub(crate) fn per_message_id(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut per_id = HashMap::new();
    for m in smtp.messages() {
        *per_id.entry(m.header("Message-ID").unwrap()).or_default() += 1;
    }
    per_id
}

/// Asks for the organisation's time-log export on the API at `ask_on` as `admin`, waits
/// (a minute at most) until a worker has made it, and downloads it through `read_on`.
pub(crate) async fn export_is_made(
    http: &reqwest::Client,
    ask_on: &str,
    read_on: &str,
    admin: &str,
) {
    let asked = http
        .post(format!("{ask_on}/api/v1/exports"))
        .bearer_auth(admin)
        .json(&json!({ "kind": "time_log", "scope": "organisation" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        asked.status(),
        StatusCode::ACCEPTED,
        "export asked for on {ask_on}"
    );
    let export: Value = asked.json().await.unwrap();
    let export_url = format!(
        "{read_on}/api/v1/exports/{}",
        export["id"].as_str().unwrap()
    );
    wait_for("the export", Duration::from_secs(90), || {
        let url = &export_url;
        async move {
            let e: Value = get(http, url.clone(), admin).await.json().await.unwrap();
            assert_ne!(e["status"], "failed", "{e}");
            e["status"] == "ready"
        }
    })
    .await;
    let file = get(http, format!("{export_url}/file"), admin).await;
    assert_eq!(
        file.status(),
        StatusCode::OK,
        "the export downloads through {read_on}"
    );
    assert!(
        file.bytes().await.unwrap().starts_with(b"PK"),
        "an xlsx workbook"
    );
}

/// Waits (two minutes at most) until every one of `tenants` tenants' daily jobs has run
/// (it is midday in their zone: all are due) and no email is waiting, then a little
/// longer: anything run or sent twice would show by then. Returns the daily jobs' number.
pub(crate) async fn night_finishes(app: &TestApp, tenants: usize) -> usize {
    let daily = JobKind::ALL
        .into_iter()
        .filter(|k| k.daily_at().is_some())
        .count();
    let expected_runs = i64::try_from(daily * tenants).unwrap();
    wait_for("every tenant's night", Duration::from_secs(120), || async {
        let finished = scalar(
            app,
            "select count(*) from job_runs where trigger = 'schedule'
             and status in ('succeeded', 'failed')",
        )
        .await;
        let waiting = scalar(
            app,
            "select count(*) from email_outbox where status <> 'sent'",
        )
        .await;
        finished == expected_runs && waiting == 0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    daily
}

/// SIGTERM, and the exit status once the process has drained.
pub(crate) fn terminate(Process(child): &mut Process) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success(), "kill -TERM {pid}");
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "{pid} did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn two_apis_and_two_workers_share_sessions_files_and_one_night_of_work() {
    let app = TestApp::spawn().await;
    let s3 = S3Server::start().await;
    let smtp = SmtpServer::start().await;
    let (zone, offset) = zone_at_midday();
    let mut providers = Vec::new();
    for n in 1..=TENANTS {
        providers.push(provider(&app, n, &zone).await);
    }
    let shared = Shared {
        app: &app,
        s3: &s3,
        smtp: &smtp,
    };
    let ((api_a, a), (api_b, b)) = (shared.serve().await, shared.serve().await);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // A session started on A works on B (sessions live in PostgreSQL, not in a process).
    let p = &providers[0];
    let token = login(&http, &a, &p.tenant.slug, &p.learner).await;
    let me: Value = get(&http, format!("{b}/api/v1/me"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["user"]["email"],
        p.learner.as_str(),
        "B knows A's session: {me}"
    );

    // Evidence uploaded through A downloads through B, byte for byte. Larger than one 8 MiB
    // part, so the S3 multipart upload is used.
    let keys_before = s3.keys().await.len();
    let content: Vec<u8> = (0..9 * 1024 * 1024 + 77u32)
        .map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[1])
        .collect();
    let form = Form::new()
        .text("component_id", p.component.to_string())
        .text("title", "Risk assessment")
        .text("declaration", "true")
        .text("signature_name", "Learner One")
        .part(
            "file",
            Part::bytes(content.clone())
                .file_name("risk.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let created = http
        .post(format!("{a}/api/v1/enrolments/{}/evidence", p.enrolment))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED, "upload through A");
    let evidence: Value = created.json().await.unwrap();
    let download = get(
        &http,
        format!(
            "{b}/api/v1/evidence/{}/versions/1/file",
            evidence["id"].as_str().unwrap()
        ),
        &token,
    )
    .await;
    assert_eq!(download.status(), StatusCode::OK, "download through B");
    assert!(
        download.bytes().await.unwrap() == content,
        "B serves the bytes A stored"
    );
    assert_eq!(
        s3.keys().await.len(),
        keys_before + 1,
        "the file is in the S3 bucket"
    );

    // Workers start: both tick every second, against the same schedule.
    let w1 = shared.work();
    let mut w2 = shared.work();

    // An export asked for on B is made by one of the workers and downloads through A.
    let admin_email = format!("admin@{}.example", p.tenant.slug);
    app.user(&p.tenant, &admin_email, &[Role::Admin]).await;
    let admin = login(&http, &b, &p.tenant.slug, &admin_email).await;
    export_is_made(&http, &b, &a, &admin).await;

    // The night: every tenant's daily jobs are due (it is midday there). Wait until every
    // scheduled run has finished and no email is waiting, then a little longer: anything
    // run or sent twice would show by then.
    let daily = night_finishes(&app, TENANTS).await;

    let runs: Vec<(Uuid, String, String, i32)> = sqlx::query_as(
        "select tenant_id, kind, status, attempts from job_runs where trigger = 'schedule'",
    )
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(
        runs.len(),
        daily * TENANTS,
        "one run per tenant per job: {runs:?}"
    );
    for p in &providers {
        let mine = runs.iter().filter(|r| r.0 == p.tenant.id).count();
        assert_eq!(mine, daily, "{} has each daily job once", p.tenant.slug);
    }
    assert!(
        runs.iter().all(|r| r.2 == "succeeded" && r.3 == 1),
        "each ran once and succeeded: {runs:?}"
    );
    let outbox = scalar(&app, "select count(*) from email_outbox").await;
    // Each learner's reminder and each assessor's digest, at least.
    let reminders = i64::try_from(TENANTS).unwrap() * (i64::from(LEARNERS) + 1);
    assert!(
        outbox >= reminders,
        "{outbox} emails queued; {reminders} reminders expected"
    );
    let delivered = per_message_id(&smtp);
    assert_eq!(
        delivered.len(),
        usize::try_from(outbox).unwrap(),
        "every queued email delivered"
    );
    assert!(
        delivered.values().all(|&n| n == 1),
        "no email delivered twice: {:?}",
        delivered
            .iter()
            .filter(|(_, n)| **n > 1)
            .collect::<Vec<_>>()
    );

    // A session ended on B has ended on A too.
    let logout = http
        .post(format!("{b}/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let after = get(&http, format!("{a}/api/v1/me"), &token).await;
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "A has forgotten it"
    );

    // A worker stopped with SIGTERM drains and exits cleanly.
    assert!(
        terminate(&mut w2).success(),
        "folio work exits 0 on SIGTERM"
    );

    // A run with many emails, taken by the one worker left; a second worker joins, and
    // the first is killed in the middle of the emails. The second finishes them.
    let p = &providers[1];
    learners_with_overdue_actions(
        &app.database.pool,
        p.tenant.id,
        p.course,
        p.assessor,
        "late",
        LATE_LEARNERS,
    )
    .await;
    let before = smtp.messages().len();
    let mut tx = app.db.begin_tenant(p.tenant.tenant_id()).await.unwrap();
    let today = (Utc::now() + chrono::Duration::hours(offset)).date_naive();
    job_runs::request(&mut tx, "overdue-actions", today, Trigger::Operator)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    wait_for(
        "the run's first emails",
        Duration::from_secs(60),
        || async { smtp.messages().len() >= before + 20 },
    )
    .await;
    let w3 = shared.work();
    drop(w1); // SIGKILL
    let at_kill = smtp.messages().len() - before;
    let late = usize::try_from(LATE_LEARNERS).unwrap();
    assert!(
        at_kill < late,
        "killed mid-run ({at_kill} of {late} delivered)"
    );
    wait_for(
        "the other worker to finish",
        Duration::from_secs(120),
        || async {
            scalar(&app, "select count(*) from email_outbox where status <> 'sent'").await == 0
            && scalar(
                &app,
                "select count(*) from job_runs where trigger = 'operator' and status = 'succeeded'",
            )
            .await
                == 1
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let outbox = scalar(&app, "select count(*) from email_outbox").await;
    let delivered = per_message_id(&smtp);
    assert_eq!(
        delivered.len(),
        usize::try_from(outbox).unwrap(),
        "every queued email delivered"
    );
    let repeated: usize = delivered.values().map(|n| n - 1).sum();
    assert!(
        repeated <= IN_FLIGHT,
        "{repeated} emails delivered twice: more than were in flight at the kill"
    );
    eprintln!(
        "{} scheduled runs, each once; killed after {at_kill} of {late} late emails; \
         {repeated} repeated",
        runs.len()
    );

    drop((w2, w3, api_a, api_b));
    drop(s3);
    app.finish().await;
}
