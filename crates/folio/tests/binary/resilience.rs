//! Folio keeps working when Redis fails under it: real `folio serve` and two `folio work`
//! processes against a Redis of the test's own ([`PrivateRedis`]), killed in the middle of
//! a night's work (its data lost, as a Redis without persistence loses it) and started
//! again. Every job runs once, every email is delivered once, the processes recover
//! without being restarted, an export asked for afterwards is made, and the health
//! endpoints say what is true on the way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use folio_domain::Role;
use folio_tests::private::{PrivatePostgres, PrivateRedis};
use folio_tests::smtp::SmtpServer;
use folio_tests::{TestApp, learners_with_overdue_actions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection as _;
use uuid::Uuid;

use crate::instances::{
    Process, export_is_made, get, login, night_finishes, per_message_id, provider, scalar,
    wait_for, zone_at_midday,
};

const TENANTS: usize = 2;
/// Learners added to each tenant, each with an action a day overdue: enough email that
/// the night is still going when Redis is killed.
const MORE_LEARNERS: i32 = 150;

/// A `folio` command against the test's database, its own Redis, a shared data directory
/// and the capturing SMTP server.
fn folio(command: &str, app: &TestApp, redis: &PrivateRedis, smtp: &SmtpServer) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_folio"));
    c.arg(command)
        .envs([folio_tests::CHEAP_PASSWORD_HASH_ENV])
        .env("FOLIO_DATABASE_URL", app.database.url())
        .env("FOLIO_DATABASE_MAX_CONNECTIONS", "8")
        .env("FOLIO_REDIS_URL", redis.url())
        .env("FOLIO_REDIS_NAMESPACE", &app.database.name)
        .env(
            "FOLIO_DATA_DIR",
            std::env::temp_dir().join(format!("{}-data", app.database.name)),
        )
        .env("FOLIO_SMTP_URL", &smtp.url)
        .env("FOLIO_COOKIE_SECURE", "false")
        .env("FOLIO_LOG", "warn")
        .env_remove("FOLIO_CONFIG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    c
}

/// `folio work` ticking every second, serving its health on a free port; returns the
/// process and the listener's base URL.
fn work(app: &TestApp, redis: &PrivateRedis, smtp: &SmtpServer) -> (Process, String) {
    let port = folio_tests::python::free_port();
    let child = folio("work", app, redis, smtp)
        .env("FOLIO_WORKER_CONCURRENCY", "1")
        .env("FOLIO_WORKER_POLL_MS", "100")
        // Three seconds, slower than needed on purpose: a process takes its first jobs a
        // moment before its first report, and a run it started then used to count as a
        // dead process's, to be started again by a second delivery (CI saw attempts 2).
        // A slow beat widens that moment; nothing here waits for a dead process.
        .env("FOLIO_WORKER_HEARTBEAT_SECS", "3")
        .env("FOLIO_SCHEDULER_CRON", "* * * * * *")
        .env("FOLIO_WORKER_METRICS_LISTEN", format!("127.0.0.1:{port}"))
        .spawn()
        .expect("start folio work");
    (Process(child), format!("http://127.0.0.1:{port}"))
}

/// `folio serve` on a free port, once it answers.
async fn serve(app: &TestApp, redis: &PrivateRedis, smtp: &SmtpServer) -> (Process, String) {
    let port = folio_tests::python::free_port();
    let child = folio("serve", app, redis, smtp)
        .env("FOLIO_LISTEN", format!("127.0.0.1:{port}"))
        .spawn()
        .expect("start folio serve");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_for("folio serve", Duration::from_secs(30), || {
        let url = format!("{base}/healthz");
        let http = &http;
        async move { http.get(url).send().await.is_ok() }
    })
    .await;
    (Process(child), base)
}

async fn readiness(http: &reqwest::Client, base: &str) -> (StatusCode, Value) {
    match http.get(format!("{base}/readyz")).send().await {
        Ok(r) => (r.status(), r.json().await.unwrap_or(Value::Null)),
        Err(_) => (StatusCode::BAD_GATEWAY, Value::Null),
    }
}

/// The value of an unlabelled or singly labelled counter in a Prometheus text page.
fn metric(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

fn still_running(process: &mut Process, what: &str) {
    assert!(
        process.0.try_wait().unwrap().is_none(),
        "{what} exited instead of recovering"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_killed_mid_night_and_restarted_loses_nothing_and_runs_nothing_twice() {
    let mut redis = PrivateRedis::start();
    let app = TestApp::spawn().await;
    let smtp = SmtpServer::start().await;
    let (zone, _) = zone_at_midday();
    let mut providers = Vec::new();
    for n in 0..TENANTS {
        let p = provider(&app, n, &zone).await;
        learners_with_overdue_actions(
            &app.database.pool,
            p.tenant.id,
            p.course,
            p.assessor,
            "more",
            MORE_LEARNERS,
        )
        .await;
        providers.push(p);
    }
    let http = reqwest::Client::new();
    let (mut api, base) = serve(&app, &redis, &smtp).await;
    let (mut w1, w1_base) = work(&app, &redis, &smtp);
    let (mut w2, w2_base) = work(&app, &redis, &smtp);

    // The night starts (it is midday in the tenants' zone: every daily job is due). Kill
    // Redis once email is flowing: some runs are in progress, others wait in the queue.
    wait_for("the first emails", Duration::from_secs(60), || async {
        smtp.messages().len() >= 20
    })
    .await;
    redis.kill();
    let killed_at = smtp.messages().len();

    // The workers say so on their own health endpoints, and the API on its /readyz.
    for w in [&w1_base, &w2_base] {
        wait_for(
            "a worker to report Redis down",
            Duration::from_secs(10),
            || async {
                let (status, body) = readiness(&http, w).await;
                status == StatusCode::SERVICE_UNAVAILABLE
                    && body["detail"].as_str().unwrap_or("").contains("redis")
            },
        )
        .await;
    }
    let (status, body) = readiness(&http, &base).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["detail"], "unavailable: redis", "{body}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.restart();

    // Nobody restarts Folio: the processes recover by themselves.
    for w in [&w1_base, &w2_base] {
        wait_for(
            "a worker to be ready again",
            Duration::from_secs(60),
            || async { readiness(&http, w).await.0 == StatusCode::OK },
        )
        .await;
    }

    // An export asked for after the restart is made.
    let admin_email = "admin@resilience.example";
    let first = &providers[0];
    app.user(&first.tenant, admin_email, &[Role::Admin]).await;
    let admin = login(&http, &base, &first.tenant.slug, admin_email).await;
    export_is_made(&http, &base, &base, &admin).await;

    // The whole night finishes: every scheduled run, and no email left waiting.
    let daily = night_finishes(&app, TENANTS).await;

    let runs: Vec<(Uuid, String, String, i32)> =
        sqlx::query_as("select tenant_id, kind, status, attempts from job_runs")
            .fetch_all(&app.database.pool)
            .await
            .unwrap();
    assert_eq!(
        runs.len(),
        daily * TENANTS + 1,
        "each tenant's daily jobs once, and the export: {runs:?}"
    );
    assert!(
        runs.iter().all(|r| r.2 == "succeeded" && r.3 == 1),
        "every run started once and succeeded: {runs:?}"
    );
    let outbox = scalar(&app, "select count(*) from email_outbox").await;
    let delivered = per_message_id(&smtp);
    assert_eq!(
        delivered.len(),
        usize::try_from(outbox).unwrap(),
        "every queued email delivered (Redis was killed after {killed_at})"
    );
    assert!(
        delivered.values().all(|&n| n == 1),
        "no email delivered twice: {:?}",
        delivered
            .iter()
            .filter(|(_, n)| **n > 1)
            .collect::<Vec<_>>()
    );
    eprintln!(
        "Redis killed after {killed_at} of {outbox} emails; {} runs",
        runs.len()
    );

    // The workers restarted inside their processes, which are still running, and say so.
    let mut restarts = 0.0;
    for w in [&w1_base, &w2_base] {
        let page = http
            .get(format!("{w}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        restarts += metric(&page, "folio_worker_restarts_total{worker=\"jobs\"}");
        assert!(page.contains("folio_build_info{version="), "{page}");
        assert!(
            page.contains("folio_scheduler_last_tick_timestamp_seconds"),
            "{page}"
        );
    }
    assert!(
        restarts >= 1.0,
        "the job workers were restarted after Redis came back"
    );
    still_running(&mut w1, "the first worker");
    still_running(&mut w2, "the second worker");
    still_running(&mut api, "the API");
    let (status, body) = readiness(&http, &base).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready", "{body}");
    app.finish().await;
}

/// One request of the steady load: when it started (since the load began), how long it
/// took, and what came back.
#[derive(Debug)]
struct Answer {
    started: Duration,
    took: Duration,
    status: Option<StatusCode>,
    problem_json: bool,
    retry_after: Option<String>,
}

/// `folio` against a private PostgreSQL cluster (and the shared Redis, which is not
/// restarted), its output hidden.
fn folio_on(pg: &PrivatePostgres, namespace: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_folio"));
    c.args(args)
        .envs([folio_tests::CHEAP_PASSWORD_HASH_ENV])
        .env("FOLIO_DATABASE_URL", pg.database_url("folio"))
        .env("FOLIO_REDIS_URL", folio_tests::redis_url())
        .env("FOLIO_REDIS_NAMESPACE", namespace)
        .env("FOLIO_DATA_DIR", std::env::temp_dir().join(namespace))
        .env("FOLIO_COOKIE_SECURE", "false")
        .env("FOLIO_LOG", "warn")
        .env_remove("FOLIO_CONFIG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

fn run_ok(mut command: Command) -> String {
    let out = command.output().expect("run folio");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_stopped_under_load_answers_503_at_once_and_recovers_by_itself() {
    let mut pg = PrivatePostgres::start();
    let mut admin = sqlx::PgConnection::connect(&pg.database_url("postgres"))
        .await
        .unwrap();
    sqlx::query("create database folio")
        .execute(&mut admin)
        .await
        .unwrap();
    drop(admin);
    let namespace = format!("pg-outage-{}", Uuid::new_v4().simple());
    run_ok(folio_on(&pg, &namespace, &["migrate"]));
    run_ok(folio_on(
        &pg,
        &namespace,
        &[
            "tenant",
            "create",
            "--slug",
            "northgate",
            "--name",
            "Northgate",
        ],
    ));
    let created = run_ok(folio_on(
        &pg,
        &namespace,
        &[
            "user",
            "create",
            "--tenant",
            "northgate",
            "--email",
            "ada@n.example",
            "--name",
            "Ada",
            "--role",
            "admin",
        ],
    ));
    let password = created
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .expect("generated password")
        .to_owned();

    let port = folio_tests::python::free_port();
    let mut serve = folio_on(&pg, &namespace, &["serve"]);
    serve
        .env("FOLIO_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut api = Process(serve.spawn().expect("start folio serve"));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    wait_for("folio serve", Duration::from_secs(30), || async {
        http.get(format!("{base}/healthz")).send().await.is_ok()
    })
    .await;
    // A worker on the same cluster, its scheduler ticking every second.
    let worker_port = folio_tests::python::free_port();
    let mut work = folio_on(&pg, &namespace, &["work"]);
    work.env("FOLIO_WORKER_HEARTBEAT_SECS", "1")
        .env("FOLIO_WORKER_POLL_MS", "100")
        .env("FOLIO_SCHEDULER_CRON", "* * * * * *")
        .env(
            "FOLIO_WORKER_METRICS_LISTEN",
            format!("127.0.0.1:{worker_port}"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut worker = Process(work.spawn().expect("start folio work"));
    let worker_base = format!("http://127.0.0.1:{worker_port}");
    wait_for(
        "the worker to be ready",
        Duration::from_secs(30),
        || async { readiness(&http, &worker_base).await.0 == StatusCode::OK },
    )
    .await;
    let signed_in: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "tenant": "northgate", "email": "ada@n.example", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signed_in["token"]
        .as_str()
        .expect("a session token")
        .to_owned();

    // A steady load: four clients asking for their own account, one after another.
    let begun = std::time::Instant::now();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (http, base, token, stop) = (http.clone(), base.clone(), token.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let started = begun.elapsed();
                let sent = std::time::Instant::now();
                let response = http
                    .get(format!("{base}/api/v1/me"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                let took = sent.elapsed();
                let answer = match response {
                    Ok(r) => Answer {
                        started,
                        took,
                        status: Some(r.status()),
                        problem_json: r
                            .headers()
                            .get("content-type")
                            .is_some_and(|v| v == "application/problem+json"),
                        retry_after: r
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                    },
                    Err(_) => Answer {
                        started,
                        took,
                        status: None,
                        problem_json: false,
                        retry_after: None,
                    },
                };
                answers.push(answer);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            answers
        }));
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let stopped_at = begun.elapsed();
    pg.stop();
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Meanwhile a person opening a page is told, in words, and when to try again.
    let page = http
        .get(format!("{base}/app"))
        .header("cookie", format!("folio_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.headers()["retry-after"], "5");
    let html = page.text().await.unwrap();
    assert!(html.contains("Temporarily unavailable"), "{html}");
    assert!(
        html.contains("cannot reach its database just now"),
        "{html}"
    );
    // And /readyz says what is down, quickly.
    let sent = std::time::Instant::now();
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "readyz took {:?}",
        sent.elapsed()
    );
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["detail"], "unavailable: postgres", "{body}");
    // So does the worker's.
    wait_for(
        "the worker to report PostgreSQL down",
        Duration::from_secs(10),
        || async {
            let (status, body) = readiness(&http, &worker_base).await;
            status == StatusCode::SERVICE_UNAVAILABLE
                && body["detail"].as_str().unwrap_or("").contains("postgres")
        },
    )
    .await;

    tokio::time::sleep(Duration::from_secs(6)).await;
    pg.start_again();
    let restarted_at = begun.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.unwrap());
    }

    let slowest = answers.iter().map(|a| a.took).max().unwrap();
    assert!(
        slowest < Duration::from_secs(2),
        "no request waits 2 s or more; the slowest took {slowest:?}"
    );
    let refused: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status != Some(StatusCode::OK))
        .collect();
    assert!(
        !refused.is_empty(),
        "requests during the outage were refused"
    );
    for a in &refused {
        assert_eq!(a.status, Some(StatusCode::SERVICE_UNAVAILABLE), "{a:?}");
        assert!(a.problem_json, "a problem document: {a:?}");
        assert_eq!(a.retry_after.as_deref(), Some("5"), "{a:?}");
        assert!(
            a.started + a.took >= stopped_at && a.started <= restarted_at + Duration::from_secs(2),
            "refused only during the outage: {a:?} (stopped at {stopped_at:?}, back at {restarted_at:?})"
        );
    }
    let after = answers
        .iter()
        .filter(|a| a.started >= restarted_at + Duration::from_secs(2))
        .count();
    assert!(after > 0, "the load went on after the restart");
    eprintln!(
        "{} requests, {} refused with 503, slowest {slowest:?}",
        answers.len(),
        refused.len()
    );
    still_running(&mut api, "the API");

    // The worker recovered by itself too: ready again, and a job asked for now runs once.
    wait_for(
        "the worker to be ready again",
        Duration::from_secs(60),
        || async { readiness(&http, &worker_base).await.0 == StatusCode::OK },
    )
    .await;
    let asked = http
        .post(format!("{base}/api/v1/jobs/recalculate-tracks/runs"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let run: Value = asked.json().await.unwrap();
    let run_url = format!("{base}/api/v1/jobs/runs/{}", run["id"].as_str().unwrap());
    wait_for(
        "the job asked for after the restart",
        Duration::from_secs(60),
        || {
            let (http, url, token) = (&http, &run_url, &token);
            async move {
                let r: Value = get(http, url.clone(), token).await.json().await.unwrap();
                assert_ne!(r["status"], "failed", "{r}");
                r["status"] == "succeeded" && r["attempts"] == 1
            }
        },
    )
    .await;
    still_running(&mut worker, "the worker");
}
