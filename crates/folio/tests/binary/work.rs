//! `folio work` as a process: killed with SIGKILL in the middle of a night's emails and
//! started again, it delivers every expected email, and none twice (by `Message-ID`; see
//! the assertion below for the one window SMTP leaves open).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use folio_db::job_runs::{self, Trigger};
use folio_domain::Role;
use folio_tests::smtp::SmtpServer;
use folio_tests::{TestApp, learners_with_overdue_actions, redis_url};
use uuid::Uuid;

/// Learners, each with one action overdue by a day: each gets a reminder, and their
/// assessor one digest.
const LEARNERS: usize = 400;
/// Emails a sender may have handed to the SMTP server but not yet recorded as sent when
/// the process is killed: `FOLIO_WORKER_CONCURRENCY` jobs × 4 senders each at most.
const IN_FLIGHT: usize = 8;

fn start_worker(app: &TestApp, smtp: &SmtpServer) -> Child {
    Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("work")
        .envs([folio_tests::CHEAP_PASSWORD_HASH_ENV])
        .env("FOLIO_DATABASE_URL", app.database.url())
        .env("FOLIO_REDIS_URL", redis_url())
        .env("FOLIO_REDIS_NAMESPACE", &app.database.name)
        .env("FOLIO_SMTP_URL", &smtp.url)
        .env("FOLIO_WORKER_CONCURRENCY", "2")
        .env("FOLIO_WORKER_POLL_MS", "100")
        .env("FOLIO_WORKER_HEARTBEAT_SECS", "1")
        .env("FOLIO_SCHEDULER_CRON", "* * * * * *")
        .env(
            "FOLIO_DATA_DIR",
            std::env::temp_dir().join(&app.database.name),
        )
        .env("FOLIO_LOG", "warn")
        .env_remove("FOLIO_CONFIG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start folio work")
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_run_and_restarted_delivers_every_email_once() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    let assessor = app.user(&tenant, "tom@n.example", &[Role::Assessor]).await;
    let today = Utc::now().date_naive();
    let course: Uuid = sqlx::query_scalar(
        "insert into courses (tenant_id, id, code, title)
         values ($1, gen_random_uuid(), 'ST0457', 'Engineering') returning id",
    )
    .bind(tenant.id)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    let count = i32::try_from(LEARNERS).unwrap();
    learners_with_overdue_actions(
        &app.database.pool,
        tenant.id,
        course,
        assessor,
        "learner",
        count,
    )
    .await;
    let expected = LEARNERS + 1;

    // The run an operator asks for; the workers' scheduler queues it.
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    job_runs::request(&mut tx, "overdue-actions", today, Trigger::Operator)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();

    let smtp = SmtpServer::start().await;
    let mut first = start_worker(&app, &smtp);
    wait_for("the first emails", Duration::from_secs(60), || {
        smtp.messages().len() >= 20
    })
    .await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = smtp.messages().len();
    assert!(
        at_kill < expected,
        "the worker was killed mid-run ({at_kill} of {expected} delivered)"
    );

    let mut second = start_worker(&app, &smtp);
    wait_for("every email", Duration::from_secs(90), || {
        smtp.messages().len() >= expected
    })
    .await;
    // Anything still to come (a duplicate) would come now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    second.kill().unwrap();
    second.wait().unwrap();

    let messages = smtp.messages();
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for m in &messages {
        *per_id.entry(m.header("Message-ID").unwrap()).or_default() += 1;
    }
    let recipients: HashSet<String> = messages.iter().map(|m| m.header("To").unwrap()).collect();
    assert_eq!(
        per_id.len(),
        expected,
        "every expected email, by Message-ID"
    );
    assert_eq!(recipients.len(), expected, "one email per recipient");
    // The one window SMTP leaves: an email the server accepted just before the kill, not
    // yet recorded as sent, is sent again after the restart, with the same Message-ID (so
    // mail systems that dedup on it show it once). At most the emails in flight.
    let repeated: usize = per_id.values().map(|n| n - 1).sum();
    assert!(
        repeated <= IN_FLIGHT,
        "{repeated} emails delivered twice: more than were in flight at the kill"
    );
    let statuses: Vec<(String, i64)> = sqlx::query_as(
        "select status, count(*) from email_outbox where tenant_id = $1 group by status",
    )
    .bind(tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(
        statuses,
        [("sent".to_owned(), i64::try_from(expected).unwrap())]
    );
    let run: (String, i32) = sqlx::query_as(
        "select status, attempts from job_runs where tenant_id = $1 and kind = 'overdue-actions'
         and trigger = 'operator'",
    )
    .bind(tenant.id)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(run.0, "succeeded");
    eprintln!(
        "killed after {at_kill} of {expected} emails; run attempts {}; {repeated} repeated",
        run.1
    );
    app.finish().await;
}
