//! The test harness: each test gets its own PostgreSQL database, cloned from a migrated
//! template, and the real API served on a free port of 127.0.0.1. Tests therefore run in
//! parallel and never see each other's data.

// Test support: a failed setup step should stop the test loudly, with its context.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use folio::operator::{self, NewPerson};
use folio_api::{ApiSettings, AppState};
use folio_app::credentials::PasswordHashCost;
use folio_db::platform::Tenant;
use folio_db::{Database, MIGRATOR};
use folio_domain::{Password, Role};
use poem::Server;
use poem::listener::{Acceptor, Listener, TcpListener};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

pub mod citus;
pub mod oidc;
pub mod private;
pub mod python;
pub mod s3;
pub mod scene;
pub mod smtp;
pub mod tracks;

/// The script that installs everything the tests need beyond Rust, PostgreSQL and Redis
/// (Debian packages, tests/requirements.txt, the npm packages of tests/oidc and
/// tests/browser). Tests install nothing: they fail naming it when something is missing.
pub const SETUP_SCRIPT: &str = "scripts/test-setup";

/// The password every account the harness creates has.
pub const PASSWORD: &str = "test-password-123";

/// The environment variable and value that make a `folio` process the tests start hash
/// passwords cheaply, as [`cheap_password_hashing`] does for this one.
pub const CHEAP_PASSWORD_HASH_ENV: (&str, &str) = ("FOLIO_PASSWORD_HASH_COST", "test-only-cheap");

/// Makes this process hash new passwords at argon2's cheapest parameters: tests create
/// accounts by the hundred, and the production cost (deliberately slow) would dominate
/// their run time. Verification reads each hash's own parameters, so nothing else changes.
pub fn cheap_password_hashing() {
    folio_app::credentials::set_password_hash_cost(PasswordHashCost::TestOnlyCheap);
}

/// The PostgreSQL server tests use: `FOLIO_TEST_DATABASE_URL`, else the local default.
pub fn server_url() -> String {
    std::env::var("FOLIO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The API settings tests run with: plain-http cookies, outbound calls to this machine
/// allowed (the test identity providers), fresh secret keys.
pub fn test_settings() -> ApiSettings {
    ApiSettings {
        cookie_secure: false,
        // The test identity providers run on this machine, over plain http.
        outbound: folio_app::outbound::OutboundPolicy::DevelopmentAnyAddress,
        secrets: test_secret_keys(),
        ..ApiSettings::default()
    }
}

/// The report of a live `folio work` process named `name`, as it writes it on each
/// heartbeat (every 20 s): its workers running, its scheduler (every 60 s) just ticked,
/// nothing waiting in the outbox.
pub fn live_worker_report(name: &str) -> folio_app::background::WorkerProcess {
    let now = chrono::Utc::now();
    folio_app::background::WorkerProcess {
        name: name.into(),
        version: "test".into(),
        started_at: now,
        seen_at: now,
        beat_secs: 20,
        jobs_running: true,
        scheduler_running: true,
        restarts: 0,
        tick_period_secs: 60,
        last_tick_at: Some(now),
        outbox_pending: Some(0),
        outbox_oldest_at: None,
        stopped_at: None,
    }
}

/// A fresh key for sealing the secrets a test stores.
pub fn test_secret_keys() -> folio_app::secrets::SecretKeys {
    folio_app::secrets::SecretKeys::parse(&folio_app::secrets::SecretKeys::generate(), &[])
        .expect("a generated key")
}

/// The Redis tests use: `FOLIO_TEST_REDIS_URL`, else the local default.
pub fn redis_url() -> String {
    std::env::var("FOLIO_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn options(database: &str) -> PgConnectOptions {
    server_url()
        .parse::<PgConnectOptions>()
        .expect("FOLIO_TEST_DATABASE_URL")
        .database(database)
}

/// The template's name changes with the migrations, so a stale template is never used.
fn template_name() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for migration in MIGRATOR.iter() {
        for byte in migration
            .checksum
            .iter()
            .copied()
            .chain(migration.version.to_le_bytes())
        {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("folio_tpl_{hash:016x}")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Makes sure the migrated template exists (once per machine and set of migrations), and
/// drops test databases left behind by failed runs more than two hours ago.
async fn ensure_template(admin: &mut PgConnection) -> String {
    let name = template_name();
    sqlx::query("select pg_advisory_lock(7428190021)")
        .execute(&mut *admin)
        .await
        .expect("lock");
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(&name)
            .fetch_one(&mut *admin)
            .await
            .expect("pg_database");
    if !exists {
        let building = format!("{name}_building");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "drop database if exists {building} with (force)"
        )))
        .execute(&mut *admin)
        .await
        .expect("drop half-built template");
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {building}")))
            .execute(&mut *admin)
            .await
            .expect("create template");
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options(&building))
            .await
            .expect("connect template");
        Database::from_pool(pool.clone())
            .migrate()
            .await
            .expect("migrate template");
        pool.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "alter database {building} rename to {name}"
        )))
        .execute(&mut *admin)
        .await
        .expect("rename template");
    }
    let stale: Vec<String> = sqlx::query_scalar(
        "select datname::text from pg_database where datname like 'folio\\_t\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .expect("list test databases");
    let cutoff = now_secs().saturating_sub(2 * 3600);
    for db in stale {
        let created = db
            .split('_')
            .nth(2)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        if created < cutoff {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "drop database if exists {db} with (force)"
            )))
            .execute(&mut *admin)
            .await;
        }
    }
    sqlx::query("select pg_advisory_unlock(7428190021)")
        .execute(&mut *admin)
        .await
        .expect("unlock");
    name
}

/// A fresh, migrated database of the test's own.
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    /// A pool on it as the login role (a superuser: use it only to arrange or inspect
    /// state, never to prove isolation).
    pub pool: PgPool,
}

impl TestDatabase {
    /// Clones the template into a new database.
    pub async fn create() -> Self {
        let mut admin = PgConnection::connect_with(&options("postgres"))
            .await
            .expect("connect to PostgreSQL");
        let template = ensure_template(&mut admin).await;
        let name = format!(
            "folio_t_{}_{}",
            now_secs(),
            &Uuid::new_v4().simple().to_string()[..12]
        );
        let mut attempt = 0;
        loop {
            let created = sqlx::query(sqlx::AssertSqlSafe(format!(
                "create database {name} template {template}"
            )))
            .execute(&mut admin)
            .await;
            match created {
                Ok(_) => break,
                // Another test is still cloning the template; try again shortly.
                Err(e)
                    if attempt < 50 && e.to_string().contains("being accessed by other users") =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("create test database: {e}"),
            }
        }
        admin.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options(&name))
            .await
            .expect("connect test database");
        Self { name, pool }
    }

    /// The URL of this database, for running the `folio` binary against it.
    pub fn url(&self) -> String {
        let mut url = url_without_db(&server_url());
        url.push('/');
        url.push_str(&self.name);
        url
    }

    /// Drops the database. Skipped when a test fails, so its data can be inspected.
    pub async fn drop_database(self) {
        // A transaction a test still holds would make close() wait for ever; the forced
        // drop below ends such connections anyway.
        let _ = tokio::time::timeout(Duration::from_secs(5), self.pool.close()).await;
        if let Ok(mut admin) = PgConnection::connect_with(&options("postgres")).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "drop database if exists {} with (force)",
                self.name
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

fn url_without_db(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((head, tail))
            if !head.ends_with('/') && !tail.contains(':') && !tail.contains('@') =>
        {
            head.to_owned()
        }
        _ => trimmed.to_owned(),
    }
}

/// The file store of the test whose database is `name` (the API's, and the workers' in
/// tests that run them).
pub fn files(name: &str) -> folio_storage::Storage {
    let root = std::env::temp_dir().join(name);
    folio_storage::Storage::new(&folio_storage::StorageConfig::Fs { root }).expect("storage")
}

/// The PDF drawer of the in-process API: `src/bin/folio-pdf-drawer.rs`, which cargo
/// builds into the target directory beside the `deps` folder holding the test binary
/// (only for folio-tests' own tests: elsewhere drawing a page answers 500, logged).
pub fn pdf_drawer() -> folio_app::pdf_drawer::PdfDrawer {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary sits in <target>/<profile>/deps");
    let program = profile.join(format!("folio-pdf-drawer{}", std::env::consts::EXE_SUFFIX));
    folio_app::pdf_drawer::PdfDrawer::new(program, Vec::new())
}

/// A PDF file of `objects` (object 1 the catalogue), numbered from 1 in order, with its
/// cross-reference table and trailer written out: the tests' hand-written PDFs.
pub fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut at = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        at.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n", n + 1).into_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    let size = objects.len() + 1;
    pdf.extend(format!("xref\n0 {size}\n0000000000 65535 f \n").into_bytes());
    for offset in at {
        pdf.extend(format!("{offset:010} 00000 n \n").into_bytes());
    }
    pdf.extend(
        format!("trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").into_bytes(),
    );
    pdf
}

/// A page as a browser received it.
#[derive(Debug)]
pub struct Page {
    /// Its status.
    pub status: StatusCode,
    /// Where a redirect goes.
    pub location: Option<String>,
    /// Its body.
    pub html: String,
}

/// The API running against a test database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The test's database.
    pub database: TestDatabase,
    /// The application's database handle (tenant transactions as `folio_app`).
    pub db: Database,
    /// An HTTP client without a cookie store (tests send credentials explicitly).
    pub http: reqwest::Client,
    /// The keys the app seals secrets with (a worker run for this app needs them to open
    /// what the app queued).
    pub secrets: folio_app::secrets::SecretKeys,
}

impl TestApp {
    /// Starts the API with default settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(test_settings(), &redis_url()).await
    }

    /// Starts the API with these settings and Redis URL.
    pub async fn spawn_with(settings: ApiSettings, redis: &str) -> Self {
        let database = TestDatabase::create().await;
        let db = Database::from_pool(database.pool.clone());
        db.verify_isolation()
            .await
            .expect("isolation holds in the test database");
        let storage = files(&database.name);
        Self::spawn_on(database, db, storage, settings, redis).await
    }

    /// Starts the API on `database` with this file store. Passwords are hashed at
    /// [`PasswordHashCost::TestOnlyCheap`] in this process from then on (see
    /// [`cheap_password_hashing`]).
    pub async fn spawn_on(
        database: TestDatabase,
        db: Database,
        storage: folio_storage::Storage,
        settings: ApiSettings,
        redis: &str,
    ) -> Self {
        cheap_password_hashing();
        let secrets = settings.secrets.clone();
        let state = AppState {
            db: db.clone(),
            redis: redis::Client::open(redis).expect("redis url"),
            storage,
            pdf_drawer: pdf_drawer(),
            settings,
            // The test database's name is unique, so it keeps each test's queue apart.
            runs: std::sync::Arc::new(folio_jobs::queue::QueueHandle::new(
                redis,
                &database.name,
                folio_jobs::queue::Heartbeat::default(),
            )),
        };
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind");
        let addr = *acceptor.local_addr()[0]
            .as_socket_addr()
            .expect("tcp address");
        tokio::spawn(Server::new_with_acceptor(acceptor).run(folio::serve::http_app(state)));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Self {
            base: format!("http://{addr}"),
            database,
            db,
            http,
            secrets,
        }
    }

    /// How many files the test's file store holds.
    pub fn stored_files(&self) -> usize {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| {
                            if e.path().is_dir() {
                                count(&e.path())
                            } else {
                                1
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        count(&std::env::temp_dir().join(&self.database.name))
    }

    /// Ends the test: drops the database.
    pub async fn finish(self) {
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(&self.database.name));
        self.database.drop_database().await;
    }

    /// A request to `path` (relative to the server).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// A request with a bearer token.
    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    /// Reads the organisation's settings as `admin`, lets `change` edit them, and puts
    /// them back whole (the settings are replaced at once); returns the PUT's answer.
    pub async fn change_settings(&self, admin: &str, change: impl FnOnce(&mut Value)) -> Response {
        let mut settings: Value = self
            .send(Method::GET, "/api/v1/settings", admin, None)
            .await
            .json()
            .await
            .expect("the settings as JSON");
        change(&mut settings);
        self.send(Method::PUT, "/api/v1/settings", admin, Some(settings))
            .await
    }

    /// Sends a request with a bearer token and, if given, a JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.authed(method, path, token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("send request")
    }

    /// As [`TestApp::send`], for a request that must succeed (any 2xx): its JSON body.
    pub async fn ok(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
        let response = self.send(method.clone(), path, token, body).await;
        let status = response.status();
        let text = response.text().await.expect("response body");
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).expect("a JSON body")
    }

    /// Creates a tenant.
    pub async fn tenant(&self, slug: &str) -> Tenant {
        operator::create_tenant(&self.db, slug, &format!("{slug} Training"))
            .await
            .expect("create tenant")
    }

    /// Creates a person named `Person {email}` with [`PASSWORD`].
    pub async fn user(&self, tenant: &Tenant, email: &str, roles: &[Role]) -> Uuid {
        self.user_named(tenant, email, &format!("Person {email}"), roles)
            .await
    }

    /// Creates a person with this name and [`PASSWORD`].
    pub async fn user_named(
        &self,
        tenant: &Tenant,
        email: &str,
        name: &str,
        roles: &[Role],
    ) -> Uuid {
        let person = NewPerson {
            email: email.into(),
            name: name.into(),
            roles: roles.to_vec(),
            employer_id: None,
            password: Some(Password::parse(PASSWORD).expect("password")),
        };
        let id = operator::create_user(&self.db, tenant, person, false)
            .await
            .expect("create user");
        if roles.contains(&Role::Auditor) {
            self.standing_auditor_access(tenant, id).await;
        }
        id
    }

    /// Grants an auditor read-only access to every learner, from yesterday for a year
    /// (an auditor with no grant in force reads nothing): what the tests that are not
    /// about auditor access need of one. Recorded as granted by the auditor, there being
    /// no admin to hand.
    pub async fn standing_auditor_access(&self, tenant: &Tenant, auditor: Uuid) {
        let mut tx = self
            .db
            .begin_tenant(folio_domain::TenantId(tenant.id))
            .await
            .expect("tenant tx");
        sqlx::query(
            "insert into auditor_grants (tenant_id, id, auditor_id, purpose, starts_on, ends_on,
                 valid_from, valid_until, all_learners, granted_by)
             values ($1, $2, $3, 'Standing access in tests', current_date - 1, current_date + 364,
                 now() - interval '2 days', now() + interval '365 days', true, $3)",
        )
        .bind(tenant.id)
        .bind(Uuid::now_v7())
        .bind(auditor)
        .execute(tx.conn())
        .await
        .expect("grant auditor access");
        tx.commit().await.expect("commit");
    }

    /// Signs in and returns the session token.
    pub async fn login(&self, tenant: &Tenant, email: &str) -> String {
        let response = self.login_response(&tenant.slug, email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "login {email}");
        let body: Value = response.json().await.expect("login body");
        body["token"].as_str().expect("token").to_owned()
    }

    /// The raw sign-in response.
    pub async fn login_response(&self, tenant: &str, email: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/v1/auth/login")
            .json(&serde_json::json!({ "tenant": tenant, "email": email, "password": password }))
            .send()
            .await
            .expect("send login")
    }

    /// The page at `path` as the holder of the session `token` opens it in a browser,
    /// without following a redirect.
    pub async fn page(&self, token: &str, path: impl AsRef<str>) -> Page {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = http
            .get(format!("{}{}", self.base, path.as_ref()))
            .header(reqwest::header::COOKIE, format!("folio_session={token}"))
            .send()
            .await
            .expect("open the page");
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|l| l.to_str().expect("a readable Location").to_owned());
        let html = response.text().await.expect("the page's HTML");
        Page {
            status,
            location,
            html,
        }
    }

    /// Follows `link` as the person at `email` would from their inbox: not signed in, so the
    /// page sends them to sign in, and signing in there takes them back to it. Returns the
    /// page's status and HTML.
    pub async fn follow_link_as(&self, tenant: &str, email: &str, link: &str) -> (u16, String) {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = http.get(link).send().await.unwrap();
        assert_eq!(r.status(), 303, "{link} before signing in");
        let sign_in = r.headers()["location"].to_str().unwrap().to_owned();
        // The fragment stays in the browser: the server sees, and sign-in goes on to, the path.
        let path = link
            .strip_prefix(&self.base)
            .and_then(|p| p.split('#').next())
            .expect("a link to this server");
        assert!(sign_in.starts_with("/sign-in?next="), "{link}: {sign_in}");
        let page = http
            .get(format!("{}{sign_in}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{sign_in}");
        let form = page.text().await.unwrap();
        let next = form
            .split("name=\"next\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the sign-in form carries where to go next")
            .replace("&#x3D;", "=")
            .replace("&amp;", "&");
        assert_eq!(next, path, "the sign-in form goes on to the link's page");
        let r = http
            .post(format!("{}/sign-in", self.base))
            .form(&[
                ("tenant", tenant),
                ("email", email),
                ("password", PASSWORD),
                ("next", next.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{email} signs in");
        assert_eq!(r.headers()["location"], path, "and goes on to {path}");
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok())
            .find(|c| c.starts_with("folio_session="))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let r = http
            .get(link)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// Creates a tenant with an admin and returns both and the admin's session token.
    pub async fn tenant_with_admin(&self, slug: &str) -> (Tenant, Uuid, String) {
        let tenant = self.tenant(slug).await;
        let email = format!("admin@{slug}.example");
        let admin = self.user(&tenant, &email, &[Role::Admin]).await;
        let token = self.login(&tenant, &email).await;
        (tenant, admin, token)
    }
}

/// `count` learners enrolled on `course` (in learning since ten days ago, with `assessor`),
/// each with one action a day overdue, so that each is due a reminder and their assessor a
/// digest. In SQL, for tests that need hundreds: accounts made through the API would hash
/// a password each. E-mail addresses are `{prefix}{n}@bulk.example`.
pub async fn learners_with_overdue_actions(
    pool: &PgPool,
    tenant: Uuid,
    course: Uuid,
    assessor: Uuid,
    prefix: &str,
    count: i32,
) {
    let today = chrono::Utc::now().date_naive();
    sqlx::query(
        "with l as (insert into users (tenant_id, id, email, name)
                    select $1, gen_random_uuid(), $4 || n || '@bulk.example', 'Learner ' || n
                    from generate_series(1, $5) n returning id),
              r as (insert into user_roles (tenant_id, user_id, role)
                    select $1, l.id, 'learner' from l),
              e as (insert into enrolments (tenant_id, id, learner_id, course_id, start_date,
                        planned_end_date, assessor_id, contracted_hours_per_week,
                        planned_otj_hours, status, learning_started_on)
                    select $1, gen_random_uuid(), l.id, $2, $6, $7, $3, 37.5, 300,
                           'in_learning', $6 from l returning id)
         insert into actions (tenant_id, id, enrolment_id, title, target_date, created_by)
         select $1, gen_random_uuid(), e.id, 'Write up the survey', $8, $3 from e",
    )
    .bind(tenant)
    .bind(course)
    .bind(assessor)
    .bind(prefix)
    .bind(count)
    .bind(today - chrono::Days::new(10))
    .bind(today + chrono::Days::new(400))
    .bind(today - chrono::Days::new(1))
    .execute(pool)
    .await
    .expect("insert learners with overdue actions");
}

/// The `id` of a JSON body, as a UUID.
pub fn id(body: &Value) -> Uuid {
    body["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an id in {body}"))
}

/// Reads a problem document, checking its content type and status.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json", "content type");
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["status"], status.as_u16(), "status in body: {body}");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/")),
        "type: {body}"
    );
    body
}

/// The fields a 422 names.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The text of the page's `<h1>`.
pub fn heading(html: &str) -> String {
    html.split("<h1>")
        .nth(1)
        .and_then(|h| h.split("</h1>").next())
        .unwrap_or_default()
        .to_owned()
}
