//! The web application in a real browser: `folio demo` (the README's command) on a fresh
//! database, driven by `tests/browser/scenario.mjs` in Debian's Chromium through
//! playwright-core. The scenario signs a learner in, accepts the disclaimer, uploads
//! evidence and logs time; the assessor maps and signs it off; the learner's progress map
//! turns green; the admin downloads the compliance workbook — with the failure paths on the
//! way showing readable messages. Then `tests/browser/screens.mjs` opens every other screen
//! as the person it is for and does its main job once (people, enrolments, course import,
//! settings; sessions, actions, comments, returns; the learner's side of each; the
//! employer's read-only view). Last, `tests/browser/axe.mjs` follows each role's links
//! from its home page and puts one page of each kind, its folded forms open, through
//! axe-core (WCAG 2.2 AA): no violation and no contrast left undecided. The workbook downloaded is read back here, and the database
//! is checked for what the pages did. All three scripts fail if any page breaks its
//! Content-Security-Policy (`tests/browser/csp.mjs`: Chromium's console and the pages'
//! `securitypolicyviolation` events).
//!
//! Needs `/usr/bin/chromium` (Debian's `chromium`) and Node.js, and playwright-core and
//! axe-core in `tests/browser/node_modules` (from `tests/browser/package-lock.json`):
//! `scripts/test-setup` installs them.
//! Screenshots of the main screens go to `target/screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use calamine::{Reader, Xlsx, open_workbook};
use folio_tests::oidc::{Account, OidcProvider};
use folio_tests::smtp::SmtpServer;
use folio_tests::{TestDatabase, redis_url};

const BROWSER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/browser");

fn chromium() -> String {
    std::env::var("FOLIO_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Fails the test, naming the setup script, unless Chromium and playwright-core are there.
fn require_installed() {
    assert!(
        Path::new(&chromium()).exists(),
        "the browser tests need Chromium at {} (or set FOLIO_CHROMIUM): run {}",
        chromium(),
        folio_tests::SETUP_SCRIPT
    );
    assert!(
        Path::new(BROWSER_DIR)
            .join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is not installed in {BROWSER_DIR}/node_modules: run {}",
        folio_tests::SETUP_SCRIPT
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

struct Demo {
    child: Child,
    base: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_demo(db: &TestDatabase, data: &Path, smtp_url: &str) -> Demo {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("demo")
        .envs([folio_tests::CHEAP_PASSWORD_HASH_ENV])
        .env("FOLIO_DATABASE_URL", db.url())
        .env("FOLIO_REDIS_URL", redis_url())
        .env("FOLIO_REDIS_NAMESPACE", &db.name)
        .env("FOLIO_LISTEN", format!("127.0.0.1:{port}"))
        .env("FOLIO_DATA_DIR", data)
        .env("FOLIO_WORKER_POLL_MS", "100")
        .env("FOLIO_LOG", "warn")
        .env_remove("FOLIO_CONFIG")
        .env("FOLIO_SMTP_URL", smtp_url)
        // The scheduler sends waiting e-mail at each tick: often, so an invitation the
        // browser waits for goes out within seconds.
        .env("FOLIO_SCHEDULER_CRON", "*/2 * * * * *")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start folio demo");
    let demo = Demo {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let ready = http
            .get(format!("{}/readyz", demo.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return demo;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "folio demo did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn every_role_uses_the_demo_in_a_real_browser() {
    require_installed();
    let db = TestDatabase::create().await;
    let data = std::env::temp_dir().join(&db.name);
    // Where the demo's e-mail goes: a real SMTP server whose Maildir the scripts read
    // (invitation and reset links are followed in the browser).
    let smtp = SmtpServer::start().await;
    let demo = start_demo(&db, &data, &smtp.url).await;
    let screenshots = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/screenshots"
    ));
    let download = data.join("downloaded-compliance.xlsx");
    // The organisation's identity provider, a real OpenID provider the admin connects
    // Folio to from the settings page; Amelia (a learner) then signs in through it.
    let idp = OidcProvider::start(
        "folio-northgate",
        &format!("{}/auth/northgate-training/sso/callback", demo.base),
        &format!("{}/", demo.base),
        vec![Account::new(
            "amelia",
            serde_json::json!({
                "email": "learner1@northgate.example",
                "email_verified": true,
                "name": "Amelia Clarke",
            }),
        )],
    )
    .await;

    // The scenario, then every screen (which carries on from what the scenario left).
    for script in ["scenario.mjs", "screens.mjs", "axe.mjs"] {
        let run = tokio::process::Command::new("node")
            .arg(script)
            .current_dir(BROWSER_DIR)
            .env("FOLIO_BASE", &demo.base)
            .env("FOLIO_SCREENSHOTS", &screenshots)
            .env("FOLIO_DOWNLOAD", &download)
            .env("FOLIO_CHROMIUM", chromium())
            .env("FOLIO_IDP_ISSUER", &idp.issuer)
            .env("FOLIO_IDP_CLIENT_ID", &idp.client_id)
            .env("FOLIO_IDP_CLIENT_SECRET", &idp.client_secret)
            .env("FOLIO_MAILDIR", smtp.maildir())
            .output()
            .await
            .unwrap_or_else(|e| panic!("run node tests/browser/{script}: {e}"));
        let stdout = String::from_utf8_lossy(&run.stdout);
        let stderr = String::from_utf8_lossy(&run.stderr);
        print!("{stdout}");
        eprint!("{stderr}");
        // The step that failed and why, in the panic itself: a CI log that keeps only the
        // end of the output still says it.
        let lines: Vec<&str> = stderr.lines().collect();
        let from = lines
            .iter()
            .position(|l| l.contains(" failed at \""))
            .unwrap_or(0);
        let failed = lines.get(from..).unwrap_or_default();
        let failed = failed.get(..failed.len().min(12)).unwrap_or_default();
        assert!(
            run.status.success(),
            "tests/browser/{script} failed: {}\n(its whole output above; screenshots in {})",
            failed.join("\n"),
            screenshots.display()
        );
    }

    // The workbook the admin downloaded is a real compliance workbook listing the
    // organisation's learners.
    let mut workbook: Xlsx<_> = open_workbook(&download).expect("the download is an xlsx file");
    let sheets = workbook.sheet_names();
    assert!(
        sheets.len() >= 5,
        "the compliance workbook has its sheets: {sheets:?}"
    );
    let first = workbook
        .worksheet_range(&sheets[0])
        .expect("the first sheet reads");
    let text: Vec<String> = first.cells().map(|(_, _, c)| c.to_string()).collect();
    for learner in ["Amelia Clarke", "Jack Robinson", "Chloe Patel"] {
        assert!(
            text.iter().any(|t| t == learner),
            "{learner} is listed in the workbook's first sheet"
        );
    }

    // What the pages did is in the database: one piece of evidence mapped to two criteria,
    // both signed off, and an hour and a half logged.
    let (mapped, signed, minutes): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from criterion_mappings),
                (select count(*) from criterion_sign_offs),
                (select coalesce(sum(minutes), 0)::bigint from time_log_entries)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    // The attended review may have logged its own time: the learner's 90 minutes at least.
    assert_eq!((mapped, signed), (2, 2));
    assert!(
        minutes >= 90,
        "the learner's time is logged: {minutes} minutes"
    );

    // What the screens did: a new learner enrolled, a course imported, a session attended,
    // an action set at it and completed, two conversations, a comment, a second version of
    // the returned evidence (and none of the assessed one: 10 a version 2 of it would add).
    let (enrolled, courses, attended, action_done, messages, comments, versions): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(
        "select (select count(*) from enrolments e join users u on u.tenant_id = e.tenant_id
                   and u.id = e.learner_id where u.email = 'ruby.fox@northgate.example'),
                (select count(*) from courses where code = 'ST0001'),
                (select count(*) from learning_sessions where outcome = 'attended'),
                -- The action set at the review: worked on by her, then marked complete.
                (select count(*) from actions a join learning_sessions s
                   on s.tenant_id = a.tenant_id and s.id = a.session_id
                 where a.title = 'Write up the permit-to-work procedure' and a.status = 'complete'
                   and a.learner_feedback = 'Drafted it with my supervisor.' and s.session_type = 'review'),
                -- The Review date conversation of three messages (hers, his answer,
                -- hers to it), tens, and the one she started from her Messages page.
                10 * (select count(*) from messages m join messages t
                        on t.tenant_id = m.tenant_id and t.id = m.thread_id
                      where t.subject = 'Review date' and t.reply_to is null)
                  + (select count(*) from messages where subject = 'Portfolio question'),
                -- The assessor's note and the IQA's sampling note.
                (select count(*) from internal_comments),
                -- The returned piece got its second version; the assessed one none.
                (select count(*) from evidence_versions v join evidence e
                   on e.tenant_id = v.tenant_id and e.id = v.evidence_id
                 where v.version = 2 and e.title = 'Toolbox talk notes')
                  + 10 * (select count(*) from evidence_versions v join evidence e
                   on e.tenant_id = v.tenant_id and e.id = v.evidence_id
                 where v.version = 2 and e.title = 'Workshop risk assessment')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (
            enrolled,
            courses,
            attended,
            action_done,
            messages,
            comments,
            versions
        ),
        (1, 1, 1, 1, 31, 2, 1)
    );
    // A document signed by the learner and the employer (each with the address they
    // signed from), one optional unit chosen, a photo.
    let (signatures, options, photos): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from document_signatures where ip_address is not null),
                (select count(*) from enrolment_optional_units),
                (select count(*) from profiles where photo_key is not null)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((signatures, options, photos), (2, 1, 1));
    // The session's feedback, its file and the action's; the new learner in learning,
    // with a revised end, moved to another assessor and no IQA.
    let (feedback, files, ruby): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from learning_sessions where feedback like 'Good progress%'),
                (select count(*) from learning_plan_files where session_id is not null)
                  + (select count(*) from learning_plan_files where action_id is not null),
                (select count(*) from enrolments e join users u on u.tenant_id = e.tenant_id
                   and u.id = e.learner_id
                 join users a on a.tenant_id = e.tenant_id and a.id = e.assessor_id
                 where u.name = 'Ruby Fox-Hale' and e.status = 'in_learning'
                   and e.revised_end_date = date '2028-09-30'
                   and a.name = 'Grace Okafor' and e.iqa_id is null)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((feedback, files, ruby), (1, 2, 1));

    // Amelia signed in through the provider: her account holds the provider's subject, a
    // session came from it, and her signing out ended it.
    let (identities, sso_sign_ins, sso_sessions): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from user_identities i join users u on u.id = i.user_id
                 where u.email = 'learner1@northgate.example' and i.subject = 'amelia'),
                (select count(*) from audit_log
                 where action = 'session.create' and details ->> 'method' = 'sso'),
                (select count(*) from sessions where method = 'sso')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((identities, sso_sign_ins, sso_sessions), (1, 1, 0));

    drop(idp);
    drop(demo);
    let _ = std::fs::remove_dir_all(&data);
    db.drop_database().await;
}
