//! The workers against real Redis and PostgreSQL: the scheduler records each night's runs
//! once however many instances tick, the apalis workers drain the queue, and a run an
//! admin asks for while Redis is away is kept and queued once Redis is back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, NaiveTime, TimeZone, Utc};
use folio_db::platform::Tenant;
use folio_domain::Role;
use folio_jobs::JobContext;
use folio_jobs::health::WorkerHealth;
use folio_jobs::queue::{Heartbeat, JobQueue};
use folio_jobs::scheduler;
use folio_jobs::send_emails::RetryPolicy;
use folio_jobs::worker::{self, WorkerOptions};
use folio_mail::{Mailer, Templates};
use folio_tests::scene::{NewCourse, NewEnrolment, Scene, days_ago, days_ahead};
use folio_tests::smtp::SmtpServer;
use folio_tests::{TestApp, problem, redis_url};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// An organisation whose learner Amelia, in learning with Tom for ten days, has an action
/// one day overdue.
async fn organisation<'a>(app: &'a TestApp, slug: &str) -> Scene<&'a TestApp> {
    let s = app
        .scene(slug)
        .course(NewCourse::new("ST0457", "Engineering"))
        .people(&[
            (&format!("amelia@{slug}.example"), Role::Learner),
            (&format!("tom@{slug}.example"), Role::Assessor),
        ])
        .enrol(
            NewEnrolment::new("amelia")
                .assessor("tom")
                .dates(days_ago(10), days_ahead(400))
                .status("in_learning", days_ago(10)),
        )
        .build()
        .await;
    sqlx::query(
        "insert into actions (tenant_id, id, enrolment_id, title, target_date, created_by)
         values ($1, gen_random_uuid(), $2, 'Write up the survey', $3, $4)",
    )
    .bind(s.tenant.id)
    .bind(s.enrolment("amelia"))
    .bind(days_ago(1))
    .bind(s.id("tom"))
    .execute(&app.database.pool)
    .await
    .unwrap();
    s
}

fn context(app: &TestApp, smtp: &SmtpServer) -> JobContext {
    JobContext {
        db: app.db.clone(),
        mailer: Mailer::smtp(&smtp.url, "no-reply@folio.example.test").unwrap(),
        templates: Arc::new(Templates::load().unwrap()),
        public_url: "https://folio.example.test".into(),
        email_retry: RetryPolicy::default(),
        storage: folio_tests::files(&app.database.name),
        export_retention: chrono::TimeDelta::days(7),
        secrets: folio_tests::test_secret_keys(),
    }
}

async fn queue(app: &TestApp) -> JobQueue {
    JobQueue::connect(&redis_url(), &app.database.name, Heartbeat::default())
        .await
        .unwrap()
}

/// Runs the workers until every job run of the test database has ended (or 60 s pass).
async fn drain(app: &TestApp, ctx: JobContext, queue: JobQueue) {
    work_until(
        app,
        ctx,
        queue,
        "select count(*) = 0 from job_runs where status not in ('succeeded', 'failed')",
    )
    .await;
}

/// Runs the workers until `finished` (a query for one boolean) is true (or 60 s pass).
async fn work_until(app: &TestApp, ctx: JobContext, queue: JobQueue, finished: &'static str) {
    let pool = app.database.pool.clone();
    let done = async move {
        for _ in 0..600 {
            let done: bool = sqlx::query_scalar(finished).fetch_one(&pool).await.unwrap();
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the workers did not finish in 60 s: {finished}");
    };
    let options = WorkerOptions {
        name: format!("test-{}", Uuid::new_v4()),
        concurrency: 4,
        poll_interval: Duration::from_millis(50),
        // Never within the test: the test ticks by hand.
        tick: "0 0 0 1 1 * 2099".parse().unwrap(),
        shutdown_timeout: Duration::from_secs(10),
    };
    let health = Arc::new(WorkerHealth::new(
        &options.name,
        Duration::from_secs(1),
        &options.tick,
    ));
    tokio::time::timeout(
        Duration::from_secs(90),
        worker::run(ctx, queue, options, health, done),
    )
    .await
    .expect("workers stopped")
    .unwrap();
}

async fn runs(app: &TestApp, tenant: &Tenant) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "select kind, trigger, status from job_runs where tenant_id = $1 order by kind, requested_at",
    )
    .bind(tenant.id)
    .fetch_all(&app.database.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn each_night_runs_once_however_many_schedulers_tick_and_the_workers_drain_it() {
    let app = TestApp::spawn().await;
    let north = organisation(&app, "north").await;
    let south = organisation(&app, "south").await;
    let smtp = SmtpServer::start().await;
    let ctx = context(&app, &smtp);
    let queue = queue(&app).await;
    let today = Utc::now().date_naive();

    // 00:30 in London (winter) or 01:30 (summer): at most the recalculation is due.
    let early = Utc.from_utc_datetime(&today.and_time(NaiveTime::from_hms_opt(0, 0, 0).unwrap()));
    let r = scheduler::tick(&ctx, &queue, early, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(r.tenants, 2);
    // 10:00 UTC is after 06:00 in London all year: everything is due. Three schedulers
    // tick at once, then again.
    let morning =
        Utc.from_utc_datetime(&today.and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap()));
    let ticks = futures_util::future::join_all(
        (0..3).map(|_| scheduler::tick(&ctx, &queue, morning, Duration::from_secs(60))),
    )
    .await;
    for t in ticks {
        t.unwrap();
    }
    scheduler::tick(&ctx, &queue, morning, Duration::from_secs(60))
        .await
        .unwrap();
    for tenant in [&north.tenant, &south.tenant] {
        let got = runs(&app, tenant).await;
        assert_eq!(got.len(), 7, "one run per scheduled job: {got:?}");
        assert!(
            got.iter()
                .all(|(_, trigger, status)| trigger == "schedule" && status == "queued")
        );
    }
    assert_eq!(queue.depth().await.unwrap(), 14);

    drain(&app, ctx.clone(), queue.clone()).await;
    for tenant in [&north.tenant, &south.tenant] {
        let got = runs(&app, tenant).await;
        assert!(
            got.iter().all(|(_, _, status)| status == "succeeded"),
            "{got:?}"
        );
    }
    // Each organisation: the learner's reminder and the assessor's digest, once.
    let mut to: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| m.header("To").unwrap())
        .collect();
    to.sort();
    assert_eq!(to.len(), 4, "{to:?}");
    for who in ["amelia@north", "amelia@south", "tom@north", "tom@south"] {
        assert_eq!(
            to.iter().filter(|t| t.contains(who)).count(),
            1,
            "{who} in {to:?}"
        );
    }
    assert_eq!(queue.depth().await.unwrap(), 0);
    app.finish().await;
}

#[tokio::test]
async fn an_admin_runs_a_job_now_and_a_run_asked_for_while_redis_is_away_is_not_lost() {
    // The API's Redis is a closed port: the queue is unreachable.
    let app = TestApp::spawn_with(
        folio_api::ApiSettings {
            cookie_secure: false,
            ..folio_api::ApiSettings::default()
        },
        &format!("redis://127.0.0.1:{}", folio_tests::python::free_port()),
    )
    .await;
    let north = organisation(&app, "north").await;
    let (admin_id, admin) = (north.admin_id, north.admin.clone());
    let learner = north.token("amelia").to_owned();

    let r = app
        .authed(Method::POST, "/api/v1/jobs/overdue-actions/runs", &admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let run: Value = r.json().await.unwrap();
    assert_eq!(run["status"], "requested", "{run}");
    assert_eq!(run["trigger"], "admin");
    assert_eq!(run["requested_by"], admin_id.to_string());
    assert_eq!(run["run_on"], Utc::now().date_naive().to_string());

    // Refusals: not an admin, an unknown job, a day in the future.
    let r = app
        .authed(Method::POST, "/api/v1/jobs/overdue-actions/runs", &learner)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN).await;
    let r = app
        .authed(Method::POST, "/api/v1/jobs/reticulate-splines/runs", &admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let tomorrow = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(2))
        .unwrap();
    let r = app
        .authed(Method::POST, "/api/v1/jobs/overdue-actions/runs", &admin)
        .json(&json!({ "date": tomorrow }))
        .send()
        .await
        .unwrap();
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(folio_tests::fields(&p), ["date"]);

    // Redis is back (the workers' own connection) a while later: the scheduler queues the
    // waiting run and the workers run it.
    sqlx::query("update job_runs set requested_at = requested_at - interval '2 minutes'")
        .execute(&app.database.pool)
        .await
        .unwrap();
    let smtp = SmtpServer::start().await;
    let ctx = context(&app, &smtp);
    let queue = queue(&app).await;
    let early = Utc::now()
        .date_naive()
        .and_time(NaiveTime::from_hms_opt(0, 0, 0).unwrap());
    let r = scheduler::tick(
        &ctx,
        &queue,
        Utc.from_utc_datetime(&early),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert!(r.queued >= 1, "{r:?}");
    drain(&app, ctx, queue).await;

    let id = run["id"].as_str().unwrap();
    let r = app
        .authed(Method::GET, &format!("/api/v1/jobs/runs/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 1);
    assert_eq!(done["report"]["emails"]["queued"], 2, "{done}");
    assert_eq!(done["report"]["delivery"]["sent"], 2, "{done}");
    assert_eq!(smtp.messages().len(), 2);

    // The list, filtered by job; and another organisation's admin cannot see the run.
    let r = app
        .authed(Method::GET, "/api/v1/jobs/runs?job=overdue-actions", &admin)
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == run["id"])
    );
    let r = app
        .authed(Method::GET, "/api/v1/jobs/runs?job=nonsense", &admin)
        .send()
        .await
        .unwrap();
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(folio_tests::fields(&p), ["job"]);
    let (_, _, other_admin) = app.tenant_with_admin("south").await;
    let r = app
        .authed(
            Method::GET,
            &format!("/api/v1/jobs/runs/{id}"),
            &other_admin,
        )
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let r = app
        .authed(Method::GET, "/api/v1/jobs/runs", &other_admin)
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["items"], json!([]));
    let r = app
        .authed(Method::GET, "/api/v1/emails?status=sent", &other_admin)
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["items"], json!([]));
    let r = app
        .authed(Method::GET, "/api/v1/emails?status=sent", &admin)
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let r = app
        .authed(Method::GET, "/api/v1/emails?status=sent", &learner)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN).await;
    app.finish().await;
}

#[tokio::test]
async fn a_job_that_fails_on_the_database_is_retried_by_the_queue_and_succeeds() {
    let app = TestApp::spawn().await;
    let north = organisation(&app, "north").await;
    let smtp = SmtpServer::start().await;
    let ctx = context(&app, &smtp);
    let queue = queue(&app).await;
    // The database fails the job: the outbox is missing (as good as PostgreSQL refusing
    // every statement the job needs, without stopping the server other tests share).
    sqlx::query("alter table email_outbox rename to email_outbox_away")
        .execute(&app.database.pool)
        .await
        .unwrap();
    let mut tx = app.db.begin_tenant(north.tenant.tenant_id()).await.unwrap();
    let run = folio_db::job_runs::request(
        &mut tx,
        "overdue-actions",
        Utc::now().date_naive(),
        folio_db::job_runs::Trigger::Operator,
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    let early = Utc.from_utc_datetime(
        &Utc::now()
            .date_naive()
            .and_time(NaiveTime::from_hms_opt(0, 0, 0).unwrap()),
    );
    scheduler::tick(&ctx, &queue, early, Duration::from_secs(60))
        .await
        .unwrap();

    // The database comes back in the very transaction that records the first attempt as
    // failed, so the queue's retry (however soon it comes) finds it healed and the
    // attempts are exactly two. Polling from here raced the retry on a loaded machine.
    sqlx::raw_sql(
        "create function heal_the_outbox() returns trigger language plpgsql security definer
         as $$ begin
             alter table email_outbox_away rename to email_outbox;
             return new;
         end $$;
         create trigger heal_the_outbox after update on job_runs for each row
             when (new.status = 'failed') execute function heal_the_outbox();",
    )
    .execute(&app.database.pool)
    .await
    .unwrap();
    let id = run.id;
    work_until(
        &app,
        ctx,
        queue,
        "select bool_and(status = 'succeeded') from job_runs",
    )
    .await;
    let (status, attempts, error): (String, i32, Option<String>) =
        sqlx::query_as("select status, attempts, last_error from job_runs where id = $1")
            .bind(id)
            .fetch_one(&app.database.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("succeeded", 2));
    assert_eq!(error, None, "a success clears the last error");
    assert_eq!(
        smtp.messages().len(),
        2,
        "the reminder and the digest, once"
    );
    app.finish().await;
}

/// Makes the process `name` last seen `secs` seconds ago.
async fn last_seen(app: &TestApp, name: &str, secs: f64) {
    sqlx::query(
        "update worker_processes set seen_at = now() - make_interval(secs => $2) where name = $1",
    )
    .bind(name)
    .bind(secs)
    .execute(&app.database.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_run_delivered_twice_starts_once_unless_its_process_died() {
    use folio_db::job_runs::{Start, Trigger};
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    let run = folio_db::job_runs::request(
        &mut tx,
        "overdue-actions",
        Utc::now().date_naive(),
        Trigger::Operator,
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    let start = |worker: &'static str| {
        let (db, tenant, id) = (app.db.clone(), tenant.tenant_id(), run.id);
        async move {
            let mut tx = db.begin_tenant(tenant).await.unwrap();
            let started = folio_db::job_runs::start(&mut tx, id, worker)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            started
        }
    };
    // Process w-1, which beats every 10 s (alive while seen within 30 s) and has just
    // reported, starts it.
    let w1 = folio_app::background::WorkerProcess {
        beat_secs: 10,
        ..folio_tests::live_worker_report("w-1")
    };
    folio_app::background::report(&app.db, &w1).await.unwrap();
    assert!(matches!(start("w-1").await, Start::Started(r) if r.attempts == 1));
    // A second delivery, to w-2 or to w-1 itself (its worker restarted while the job
    // went on), is skipped while w-1 is alive.
    assert!(matches!(start("w-2").await, Start::AlreadyRunning));
    assert!(matches!(start("w-1").await, Start::AlreadyRunning));
    // w-1 last seen 30 s ago (three beats): still counted alive; 31 s: dead, and w-2
    // starts the run again at once instead of waiting for the stalled-run rule.
    last_seen(&app, "w-1", 29.0).await;
    assert!(matches!(start("w-2").await, Start::AlreadyRunning));
    last_seen(&app, "w-1", 31.0).await;
    assert!(matches!(start("w-2").await, Start::Started(r) if r.attempts == 2));
    // Once it has succeeded, no delivery starts it again, whoever is alive.
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    folio_db::job_runs::finish(&mut tx, run.id, Ok(&json!({})))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(start("w-3").await, Start::AlreadyDone));
    app.finish().await;
}
