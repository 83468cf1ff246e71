//! The `folio` binary as an operator runs it: migrate, tenant/user/token create, and
//! `folio demo` (the README's run command) serving a working API, idempotently.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sqlx::Connection;

fn server_url() -> String {
    std::env::var("FOLIO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

struct Scratch {
    name: String,
}

impl Scratch {
    fn new() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            name: format!(
                "folio_t_{}_cli{}_{}",
                now.as_secs(),
                now.subsec_nanos(),
                std::process::id()
            ),
        }
    }

    fn url(&self) -> String {
        format!("{}/{}", server_url().trim_end_matches('/'), self.name)
    }

    fn folio(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_folio"));
        command
            .args(args)
            .envs([folio_tests::CHEAP_PASSWORD_HASH_ENV])
            .env("FOLIO_DATABASE_URL", self.url())
            .env("FOLIO_LOG", "warn")
            .env("FOLIO_DATA_DIR", std::env::temp_dir().join(&self.name))
            .env_remove("FOLIO_CONFIG")
            .env_remove("RUST_LOG");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.folio(args).output().expect("run folio")
    }

    async fn query_count(&self, sql: &'static str) -> i64 {
        let mut conn = sqlx::PgConnection::connect(&self.url())
            .await
            .expect("connect");
        let n = sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect(sql);
        conn.close().await.ok();
        n
    }

    /// Runs statements as the database owner (row-level security does not apply).
    async fn execute(&self, sql: &'static str) {
        let mut conn = sqlx::PgConnection::connect(&self.url())
            .await
            .expect("connect");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
        conn.close().await.ok();
    }

    /// The stored SSO client secret (there is one organisation with SSO).
    async fn client_secret(&self) -> String {
        let mut conn = sqlx::PgConnection::connect(&self.url())
            .await
            .expect("connect");
        let secret = sqlx::query_scalar("select client_secret from sso_settings")
            .fetch_one(&mut conn)
            .await
            .expect("client secret");
        conn.close().await.ok();
        secret
    }

    /// The id of the tenant with this slug.
    async fn tenant_id(&self, slug: &str) -> uuid::Uuid {
        let mut conn = sqlx::PgConnection::connect(&self.url())
            .await
            .expect("connect");
        let id = sqlx::query_scalar("select id from tenants where slug = $1")
            .bind(slug)
            .fetch_one(&mut conn)
            .await
            .expect("tenant id");
        conn.close().await.ok();
        id
    }

    async fn drop_database(self) {
        let mut conn = sqlx::PgConnection::connect(&format!(
            "{}/postgres",
            server_url().trim_end_matches('/')
        ))
        .await
        .expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "drop database if exists {} with (force)",
            self.name
        )))
        .execute(&mut conn)
        .await
        .ok();
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(&self.name));
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Starts `folio demo` on a free port and returns it with its base URL and everything it
/// printed up to "Press Ctrl-C".
fn start_demo(scratch: &Scratch) -> (Child, String, String) {
    let mut child = scratch
        .folio(&["demo"])
        .env("FOLIO_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn demo");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut printed = String::new();
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            printed.push_str(&line);
            printed.push('\n');
            if line.contains("Press Ctrl-C") {
                let _ = tx.send(printed.clone());
            }
        }
    });
    let printed = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("demo started");
    let base = printed
        .lines()
        .find_map(|l| l.strip_prefix("Folio demo is running at "))
        .expect("address printed")
        .trim()
        .to_owned();
    (child, base, printed)
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    for _ in 0..100 {
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "demo exited with {status} after SIGTERM");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("demo did not stop within 10 s of SIGTERM");
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_commands_and_the_demo_work_end_to_end() {
    let scratch = Scratch::new();

    let migrated = scratch.run(&["migrate"]);
    assert!(migrated.status.success(), "migrate: {}", stderr(&migrated));
    assert!(
        scratch.run(&["migrate"]).status.success(),
        "migrating twice is harmless"
    );

    let created = scratch.run(&[
        "tenant",
        "create",
        "--slug",
        "acme-training",
        "--name",
        "Acme Training",
    ]);
    assert!(created.status.success(), "{}", stderr(&created));
    let again = scratch.run(&[
        "tenant",
        "create",
        "--slug",
        "acme-training",
        "--name",
        "Acme Again",
    ]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    // The operator's runs keep the same date rule as an admin's: never a future day (a run
    // for 2030 once made the dashboards show 2030's figures).
    let future = scratch.run(&[
        "job",
        "run",
        "off-track-emails",
        "--tenant",
        "acme-training",
        "--date",
        "2999-01-01",
    ]);
    assert!(!future.status.success());
    assert!(
        stderr(&future).contains("--date: must not be after today"),
        "{}",
        stderr(&future)
    );
    // Published standards: one bad row imports nothing and every fault is named by line
    // and column; a good file imports every row, and again replaces rather than doubles.
    let dir = std::env::temp_dir().join(format!("folio-standards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_csv = dir.join("bad.csv");
    std::fs::write(
        &bad_csv,
        "code,version,title,otj_minimum_hours,applies_from\n\
         ST0118,1.0,Engineering technician,400,2025-08-01\n\
         ST118,1.0,Engineering technician,lots,2025-13-01\n",
    )
    .unwrap();
    let refused = scratch.run(&["standards", "import", bad_csv.to_str().unwrap()]);
    assert!(!refused.status.success());
    let said = stderr(&refused);
    for needle in [
        "nothing imported",
        "line 3: code: must be ST and four digits",
        "line 3: otj_minimum_hours: must be a whole number",
        "line 3: applies_from: must be a date as YYYY-MM-DD",
    ] {
        assert!(said.contains(needle), "{needle} in {said}");
    }
    assert_eq!(
        scratch
            .query_count("select count(*) from apprenticeship_standards")
            .await,
        0
    );
    let good_csv = dir.join("good.csv");
    std::fs::write(
        &good_csv,
        "code,version,title,otj_minimum_hours,applies_from\n\
         ST0118,1.0,Engineering technician,400,2025-08-01\n\
         ST0118,1.0,Engineering technician,360,2026-01-01\n",
    )
    .unwrap();
    for _ in 0..2 {
        let imported = scratch.run(&["standards", "import", good_csv.to_str().unwrap()]);
        assert!(imported.status.success(), "{}", stderr(&imported));
        assert!(stdout(&imported).contains("imported 2 published minimums"));
    }
    assert_eq!(
        scratch
            .query_count("select count(*) from apprenticeship_standards")
            .await,
        2
    );
    let _ = std::fs::remove_dir_all(&dir);

    let bad = scratch.run(&["tenant", "create", "--slug", "Bad Slug", "--name", "X"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--slug"), "{}", stderr(&bad));

    let mut user = scratch
        .folio(&[
            "user",
            "create",
            "--tenant",
            "acme-training",
            "--email",
            "Ops@Acme.example",
            "--name",
            "Olu Ops",
            "--role",
            "admin",
            "--role",
            "assessor",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn user create");
    user.stdin
        .take()
        .expect("stdin")
        .write_all(b"cli-password-123\n")
        .expect("write password");
    let user = user.wait_with_output().expect("user create");
    assert!(user.status.success(), "{}", stderr(&user));
    assert!(
        !stdout(&user).contains("cli-password-123"),
        "a given password is never printed"
    );

    let generated = scratch.run(&[
        "user",
        "create",
        "--tenant",
        "acme-training",
        "--email",
        "l@acme.example",
        "--name",
        "Lee",
        "--role",
        "learner",
    ]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let generated_password = stdout(&generated)
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .expect("generated password printed")
        .to_owned();

    let bad_role = scratch.run(&[
        "user",
        "create",
        "--tenant",
        "acme-training",
        "--email",
        "x@acme.example",
        "--name",
        "X",
        "--role",
        "root",
    ]);
    assert!(!bad_role.status.success());

    // Break glass: the organisation's identity provider is gone, password sign-in is off
    // and its only admin was deactivated and demoted (as an operator with database access
    // might find it). `user recover-admin` gives it an admin who can sign in again.
    scratch
        .execute(
            "insert into sso_settings (tenant_id, issuer, client_id, client_secret, password_sign_in)
             select id, 'https://idp.acme.example', 'folio', 'secret', false
             from tenants where slug = 'acme-training';
             delete from user_roles where role = 'admin';
             update users set status = 'deactivated', deactivated_at = now()
             where email = 'ops@acme.example';",
        )
        .await;
    let unknown = scratch.run(&[
        "user",
        "recover-admin",
        "--tenant",
        "acme-training",
        "--email",
        "nobody@acme.example",
    ]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("create one first"),
        "{}",
        stderr(&unknown)
    );
    let recovered = scratch.run(&[
        "user",
        "recover-admin",
        "--tenant",
        "acme-training",
        "--email",
        "ops@acme.example",
    ]);
    assert!(recovered.status.success(), "{}", stderr(&recovered));
    let recovered_password = stdout(&recovered)
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .expect("new password printed")
        .to_owned();
    assert_eq!(
        scratch
            .query_count(
                "select count(*) from audit_log
                 where action = 'tenant.admin_recovered' and actor_kind = 'operator'"
            )
            .await,
        1
    );

    // The client secret above was stored in clear, as earlier versions did: migrating with
    // a key seals it; migrating with a new key and the old one beside it reseals it.
    let first_key = folio_app::secrets::SecretKeys::generate();
    let second_key = folio_app::secrets::SecretKeys::generate();
    let migrated = scratch
        .folio(&["migrate"])
        .env("FOLIO_SECRET_KEY", &first_key)
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let first = scratch.client_secret().await;
    assert!(first.starts_with("sealed:v1:"), "{first}");
    assert!(!first.contains("secret:") && !first.ends_with(":secret"));
    let keys = folio_app::secrets::SecretKeys::parse(&first_key, &[]).unwrap();
    let tenant_id = scratch.tenant_id("acme-training").await;
    let context = format!("{tenant_id}/sso_settings.client_secret");
    assert_eq!(keys.open(&context, &first).unwrap(), "secret");
    let migrated = scratch
        .folio(&["migrate"])
        .env("FOLIO_SECRET_KEY", &second_key)
        .env("FOLIO_PREVIOUS_SECRET_KEYS", &first_key)
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let second = scratch.client_secret().await;
    assert_ne!(first, second);
    let rotated = folio_app::secrets::SecretKeys::parse(&second_key, &[]).unwrap();
    assert_eq!(rotated.open(&context, &second).unwrap(), "secret");
    // The demo below keeps a key of its own: this organisation's SSO goes.
    scratch.execute("delete from sso_settings").await;

    let token = scratch.run(&[
        "token",
        "create",
        "--tenant",
        "acme-training",
        "--email",
        "ops@acme.example",
        "--name",
        "ci",
    ]);
    assert!(token.status.success(), "{}", stderr(&token));
    let token = stdout(&token).trim().to_owned();
    assert!(token.starts_with("fot_"), "{token}");

    // The README's run command: migrate, demo data, serve.
    let (demo, base, printed) = start_demo(&scratch);
    assert!(
        printed.contains("northgate-training") && printed.contains("riverside-skills"),
        "{printed}"
    );
    let http = reqwest::Client::new();
    let ready = http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);

    let me: Value = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["admin", "assessor"]));
    assert_eq!(me["tenant"]["slug"], "acme-training");
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(
            &json!({ "tenant": "acme-training", "email": "ops@acme.example",
                       "password": recovered_password }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        200,
        "the recovered admin signs in with a password"
    );

    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "tenant": "acme-training", "email": "l@acme.example", "password": generated_password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);

    let demo_password = printed
        .lines()
        .find_map(|l| l.strip_prefix("Every demo account's password is: "))
        .expect("demo password printed")
        .trim()
        .to_owned();
    for (tenant, email) in [
        ("northgate-training", "admin@northgate.example"),
        ("riverside-skills", "learner1@riverside.example"),
    ] {
        let login = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "tenant": tenant, "email": email, "password": demo_password }))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200, "{email}");
    }
    stop(demo);

    let users = scratch.query_count("select count(*) from users").await;
    let tenants = scratch.query_count("select count(*) from tenants").await;
    let (demo, _, _) = start_demo(&scratch);
    stop(demo);
    assert_eq!(
        scratch.query_count("select count(*) from users").await,
        users,
        "demo data loads idempotently"
    );
    assert_eq!(
        scratch.query_count("select count(*) from tenants").await,
        tenants
    );
    assert_eq!(tenants, 3);

    json_logs_carry_the_request_id_and_no_personal_data(&scratch).await;

    let audited = scratch
        .query_count("select count(*) from audit_log where actor_kind = 'operator'")
        .await;
    assert!(audited >= 3, "operator writes are audited ({audited})");

    scratch.drop_database().await;
}

/// `folio serve` with JSON logs: every line of a request carries its id, and neither the
/// e-mail address nor the password typed at sign-in appears anywhere.
async fn json_logs_carry_the_request_id_and_no_personal_data(scratch: &Scratch) {
    let mut child = scratch
        .folio(&["serve"])
        .env("FOLIO_LISTEN", "127.0.0.1:0")
        .env("FOLIO_LOG_FORMAT", "json")
        .env("FOLIO_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("serve logs");
        let parsed: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        lines.push(line);
        if parsed["message"] == "listening" && parsed["target"] == "folio::serve" {
            break parsed["addr"].as_str().expect("addr").to_owned();
        }
    };
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/auth/login"))
        .header("x-request-id", "req-json-1")
        .json(&json!({ "tenant": "acme-training", "email": "secret.person@acme.example", "password": "hunter2-hunter2" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    stop(child);
    lines.extend(rx.try_iter());
    let request_lines: Vec<&String> = lines.iter().filter(|l| l.contains("req-json-1")).collect();
    assert!(request_lines.len() >= 2, "{lines:#?}");
    for line in &request_lines {
        let parsed: Value = serde_json::from_str(line).unwrap();
        assert_eq!(parsed["span"]["request_id"], "req-json-1", "{line}");
    }
    for line in &lines {
        assert!(
            !line.contains("secret.person") && !line.contains("hunter2"),
            "personal data logged: {line}"
        );
    }
}

#[test]
fn serve_refuses_to_start_against_an_unmigrated_database() {
    let scratch = Scratch::new();
    // The database does not exist, so isolation cannot be verified: no serving.
    let output = scratch
        .folio(&["serve"])
        .env("FOLIO_LISTEN", "127.0.0.1:0")
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("refusing to start"),
        "{}",
        stderr(&output)
    );
}
