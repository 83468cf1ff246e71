//! The nightly email jobs against a real SMTP server (aiosmtpd): who gets which email about
//! what, digests that people turned off are not sent, and running a job again for the same
//! day sends nothing more.
//!
//! One organisation with two assessors (Tom; Bea, who has turned digests off) and six
//! learners, each set up in SQL in one situation the jobs look for:
//! - Amelia (Tom): actions 1 and 3 days overdue, one complete, one not yet due; started
//!   80 days ago with no review (due in 4 days, not booked); a session yesterday with no
//!   outcome; nothing active ever.
//! - Ben (Tom): an action 3 days overdue; reviewed (attended) 10 days ago.
//! - Cara (Bea): an action 1 day overdue; started 10 days ago.
//! - Dan (Tom): half way through; last review 90 days ago, the next booked in 2 days.
//! - Eve (Tom): awaiting induction 40 days after her start (28 allowed).
//! - Fay (Bea): two thirds through, no review, no activity.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use folio_domain::Role;
use folio_domain::jobs::JobKind;
use folio_jobs::JobContext;
use folio_jobs::send_emails::RetryPolicy;
use folio_mail::{Mailer, Templates};
use folio_tests::TestApp;
use folio_tests::scene::{NewCourse, NewUnit, Scene as Org};
use folio_tests::smtp::{Captured, SmtpServer};
use serde_json::Value;
use uuid::Uuid;

struct Scene {
    org: Org,
    today: NaiveDate,
    now: DateTime<Utc>,
    ctx: JobContext,
    smtp: SmtpServer,
}

impl std::ops::Deref for Scene {
    type Target = Org;

    fn deref(&self) -> &Org {
        &self.org
    }
}

fn ago(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_sub_days(Days::new(days)).unwrap()
}

fn ahead(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_add_days(Days::new(days)).unwrap()
}

impl Scene {
    async fn enrol(
        &self,
        learner: Uuid,
        assessor: Uuid,
        start: NaiveDate,
        planned_end: NaiveDate,
        status: &str,
        learning_started_on: Option<NaiveDate>,
    ) -> Uuid {
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into enrolments (tenant_id, id, learner_id, course_id, start_date,
                 planned_end_date, assessor_id, contracted_hours_per_week, planned_otj_hours,
                 status, learning_started_on)
             values ($1, $2, $3, $4, $5, $6, $7, 37.5, 300, $8, $9)",
        )
        .bind(self.tenant.id)
        .bind(id)
        .bind(learner)
        .bind(self.course("ST0457").id)
        .bind(start)
        .bind(planned_end)
        .bind(assessor)
        .bind(status)
        .bind(learning_started_on)
        .execute(&self.app.database.pool)
        .await
        .unwrap();
        id
    }

    async fn action(&self, enrolment: Uuid, by: Uuid, title: &str, target: NaiveDate, done: bool) {
        sqlx::query(
            "insert into actions (tenant_id, id, enrolment_id, title, target_date, status,
                 completed_at, completed_by, created_by)
             values ($1, $2, $3, $4, $5, $6, case when $7 then now() end,
                     case when $7 then $8 end, $8)",
        )
        .bind(self.tenant.id)
        .bind(Uuid::now_v7())
        .bind(enrolment)
        .bind(title)
        .bind(target)
        .bind(if done { "complete" } else { "outstanding" })
        .bind(done)
        .bind(by)
        .execute(&self.app.database.pool)
        .await
        .unwrap();
    }

    async fn session(
        &self,
        enrolment: Uuid,
        assessor: Uuid,
        kind: &str,
        starts_at: DateTime<Utc>,
        outcome: Option<&str>,
    ) {
        sqlx::query(
            "insert into learning_sessions (tenant_id, id, enrolment_id, assessor_id,
                 session_type, starts_at, duration_minutes, outcome, outcome_recorded_at,
                 created_by)
             values ($1, $2, $3, $4, $5, $6, 60, $7, case when $7 is not null then now() end, $4)",
        )
        .bind(self.tenant.id)
        .bind(Uuid::now_v7())
        .bind(enrolment)
        .bind(assessor)
        .bind(kind)
        .bind(starts_at)
        .bind(outcome)
        .execute(&self.app.database.pool)
        .await
        .unwrap();
    }

    /// Runs a job for today and returns its report and the messages it delivered.
    async fn run(&self, kind: JobKind) -> (Value, Vec<Captured>) {
        let before: Vec<String> = self.smtp.messages().into_iter().map(|m| m.raw).collect();
        let report = folio_jobs::run::perform(
            &self.ctx,
            self.tenant.tenant_id(),
            kind,
            self.today,
            self.now,
        )
        .await
        .unwrap();
        let new = self
            .smtp
            .messages()
            .into_iter()
            .filter(|m| !before.contains(&m.raw))
            .collect();
        (report, new)
    }
}

async fn scene() -> Scene {
    // Four criteria to work on, none of them met by anyone.
    let k1 = (1..=4).fold(NewUnit::new("K1", "Principles"), |unit, n| {
        unit.criterion(&format!("K1.{n}"), &format!("Criterion {n}"))
    });
    // Only Bea signs in: she turns her digests off.
    let mut org = TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(NewCourse::new("ST0457", "Engineering").component("Knowledge", [k1]))
        .people(&[
            ("tom@n.example", Role::Assessor),
            ("bea@n.example", Role::Assessor),
            ("amelia@n.example", Role::Learner),
            ("ben@n.example", Role::Learner),
            ("cara@n.example", Role::Learner),
            ("dan@n.example", Role::Learner),
            ("eve@n.example", Role::Learner),
            ("fay@n.example", Role::Learner),
        ])
        .signed_out()
        .build()
        .await;
    let bea_token = org.sign_in("bea").await;
    let app = &org.app;
    let smtp = SmtpServer::start().await;
    let ctx = JobContext {
        db: app.db.clone(),
        mailer: Mailer::smtp(&smtp.url, "no-reply@folio.example.test").unwrap(),
        templates: Arc::new(Templates::load().unwrap()),
        public_url: "https://folio.example.test".into(),
        email_retry: RetryPolicy::default(),
        storage: folio_tests::files(&app.database.name),
        export_retention: chrono::TimeDelta::days(7),
        secrets: folio_tests::test_secret_keys(),
    };
    // The provider keeps UTC, so the days of the sessions below (instants `now` − n days)
    // are the test's UTC days whatever the hour it runs (in London, September's 23:30 UTC
    // is the next day).
    sqlx::query("insert into tenant_settings (tenant_id, settings) values ($1, $2)")
        .bind(org.tenant.id)
        .bind(serde_json::json!({ "timezone": "UTC" }))
        .execute(&app.database.pool)
        .await
        .unwrap();
    let now = Utc::now();
    let today = now.date_naive();
    let (tom, bea) = (org.id("tom"), org.id("bea"));
    let s = Scene {
        org,
        today,
        now,
        ctx,
        smtp,
    };
    // Bea turns digests off through the API.
    let r = s
        .app
        .authed(reqwest::Method::PUT, "/api/v1/me/notifications", &bea_token)
        .json(&serde_json::json!({ "digests": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);

    let day = TimeDelta::days(1);

    let amelia = s.id("amelia");
    let e = s
        .enrol(
            amelia,
            tom,
            ago(today, 80),
            ahead(today, 400),
            "in_learning",
            Some(ago(today, 80)),
        )
        .await;
    s.action(e, tom, "Write up the site survey", ago(today, 1), false)
        .await;
    s.action(e, tom, "Read the safety standard", ago(today, 3), false)
        .await;
    s.action(e, tom, "Finished long ago", ago(today, 30), true)
        .await;
    s.action(e, tom, "Not due yet", ahead(today, 5), false)
        .await;
    s.session(e, tom, "teaching", now - day, None).await;
    s.session(e, tom, "teaching", now + day, None).await;

    let ben = s.id("ben");
    let e = s
        .enrol(
            ben,
            tom,
            ago(today, 100),
            ahead(today, 400),
            "in_learning",
            Some(ago(today, 100)),
        )
        .await;
    s.action(e, tom, "Practise the torque test", ago(today, 3), false)
        .await;
    s.session(e, tom, "review", now - day * 10, Some("attended"))
        .await;

    let cara = s.id("cara");
    let e = s
        .enrol(
            cara,
            bea,
            ago(today, 10),
            ahead(today, 400),
            "in_learning",
            Some(ago(today, 10)),
        )
        .await;
    s.action(e, bea, "Sketch the circuit", ago(today, 1), false)
        .await;

    let dan = s.id("dan");
    let e = s
        .enrol(
            dan,
            tom,
            ago(today, 400),
            ahead(today, 400),
            "in_learning",
            Some(ago(today, 400)),
        )
        .await;
    s.session(e, tom, "review", now - day * 100, Some("attended"))
        .await;
    s.session(e, tom, "review", now + day * 2, None).await;

    let eve = s.id("eve");
    s.enrol(
        eve,
        tom,
        ago(today, 40),
        ahead(today, 400),
        "awaiting_induction",
        None,
    )
    .await;

    let fay = s.id("fay");
    s.enrol(
        fay,
        bea,
        ago(today, 200),
        ahead(today, 100),
        "in_learning",
        Some(ago(today, 200)),
    )
    .await;

    // A learner in another organisation, overdue on everything: never in these emails.
    let other = s.app.tenant("elsewhere").await;
    let stranger = s
        .app
        .user(&other, "zed@e.example", &[Role::Learner, Role::Assessor])
        .await;
    let other_course = Uuid::now_v7();
    sqlx::query("insert into courses (tenant_id, id, code, title) values ($1, $2, 'X', 'X')")
        .bind(other.id)
        .bind(other_course)
        .execute(&s.app.database.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into enrolments (tenant_id, id, learner_id, course_id, start_date,
             planned_end_date, assessor_id, contracted_hours_per_week, planned_otj_hours, status)
         values ($1, $2, $3, $4, $5, $6, $3, 37.5, 300, 'awaiting_induction')",
    )
    .bind(other.id)
    .bind(Uuid::now_v7())
    .bind(stranger)
    .bind(other_course)
    .bind(ago(today, 300))
    .bind(ahead(today, 10))
    .execute(&s.app.database.pool)
    .await
    .unwrap();

    s
}

fn to(m: &Captured) -> String {
    m.header("To").unwrap_or_default()
}

/// The one message to `address` among `messages`.
fn one_to<'a>(messages: &'a [Captured], address: &str) -> &'a Captured {
    let found: Vec<&Captured> = messages
        .iter()
        .filter(|m| to(m).contains(address))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one message to {address} in {:?}",
        messages.iter().map(to).collect::<Vec<_>>()
    );
    found[0]
}

fn recipients(messages: &[Captured]) -> Vec<String> {
    let mut r: Vec<String> = messages
        .iter()
        .map(|m| {
            let t = to(m);
            let start = t.find('<').map_or(0, |i| i + 1);
            t[start..].trim_end_matches('>').to_owned()
        })
        .collect();
    r.sort();
    r
}

#[tokio::test]
async fn each_nightly_email_reaches_the_right_people_once() {
    let s = scene().await;

    // Overdue actions: Amelia (1 day late: her reminder day) and Cara get their own email;
    // Ben's only action is 3 days late, between reminders. Tom gets a digest of every
    // overdue action on his caseload; Bea has turned digests off.
    let (report, got) = s.run(JobKind::OverdueActions).await;
    assert_eq!(
        recipients(&got),
        ["amelia@n.example", "cara@n.example", "tom@n.example"]
    );
    assert_eq!(report["emails"]["opted_out"], 1, "{report}");
    let amelia = one_to(&got, "amelia@n.example");
    assert_eq!(amelia.subject(), "2 actions are overdue");
    let text = amelia.text();
    assert!(
        text.contains("Write up the site survey (Engineering)"),
        "{text}"
    );
    assert!(text.contains("1 day overdue"), "{text}");
    assert!(text.contains("Read the safety standard"), "{text}");
    assert!(text.contains("3 days overdue"), "{text}");
    assert!(!text.contains("Finished long ago") && !text.contains("Not due yet"));
    assert!(amelia.html().contains("Write up the site survey"));
    assert_eq!(
        one_to(&got, "cara@n.example").subject(),
        "An action is overdue"
    );
    let tom = one_to(&got, "tom@n.example");
    assert_eq!(tom.subject(), "Overdue actions on your caseload (3)");
    let text = tom.text();
    for needle in [
        "Person amelia@n.example (Engineering): \"Write up the site survey\"",
        "Person ben@n.example (Engineering): \"Practise the torque test\"",
        "https://folio.example.test/app/caseload/overdue-actions",
        "https://folio.example.test/app/profile#notifications",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert!(!text.contains("cara"), "Cara is Bea's learner");

    // Again the same day: nothing new is queued or sent.
    let (report, got) = s.run(JobKind::OverdueActions).await;
    assert!(got.is_empty());
    assert_eq!(report["emails"]["queued"], 0);
    assert_eq!(report["emails"]["already_queued"], 3);

    // Reviews (starts this year: every 3 calendar months): Amelia's first is due within 14
    // days and not booked; Dan's is overdue (last 100 days ago, over 3 months) though booked; Fay's is overdue but Bea has digests off; Ben was reviewed
    // 10 days ago; Eve is awaiting induction.
    let (report, got) = s.run(JobKind::ReviewChecks).await;
    assert_eq!(recipients(&got), ["tom@n.example"]);
    assert_eq!(report["emails"]["opted_out"], 1);
    let tom = &got[0];
    assert_eq!(tom.subject(), "Progress reviews due (2)");
    let text = tom.text();
    assert!(
        text.contains("Person amelia@n.example (Engineering): review due by"),
        "{text}"
    );
    assert!(text.contains("(no review yet); not booked"), "{text}");
    assert!(
        text.contains("Person dan@n.example (Engineering): review overdue since"),
        "{text}"
    );
    assert!(text.contains("; booked for"), "{text}");
    assert!(!text.contains("ben@"), "{text}");

    // Induction: Eve started 40 days ago, 28 allowed.
    let (_, got) = s.run(JobKind::InductionOverdue).await;
    assert_eq!(recipients(&got), ["tom@n.example"]);
    assert_eq!(got[0].subject(), "Inductions overdue (1)");
    assert!(
        got[0]
            .text()
            .contains("Person eve@n.example (Engineering): started")
    );
    assert!(got[0].text().contains("not booked"));

    // Unclosed sessions: Amelia's session yesterday; tomorrow's is not yet due.
    let (_, got) = s.run(JobKind::UnclosedSessions).await;
    assert_eq!(recipients(&got), ["tom@n.example"]);
    assert_eq!(got[0].subject(), "Sessions without an outcome (1)");
    assert!(
        got[0]
            .text()
            .contains("Person amelia@n.example (Engineering): teaching session on")
    );

    // No active learning for 4 weeks: Amelia (nothing ever) and Dan (last the review 100
    // days ago); Ben was reviewed 10 days ago, Cara only started; Fay is Bea's.
    let (report, got) = s.run(JobKind::NoActiveLearning).await;
    assert_eq!(recipients(&got), ["tom@n.example"]);
    assert_eq!(report["emails"]["opted_out"], 1);
    let text = got[0].text();
    assert!(
        text.contains("Person amelia@n.example (Engineering): no active learning recorded yet"),
        "{text}"
    );
    assert!(
        text.contains("Person dan@n.example (Engineering): no active learning since"),
        "{text}"
    );
    assert!(text.contains("(100 days)"), "{text}");
    assert!(!text.contains("ben@") && !text.contains("cara@"), "{text}");

    // Off track (the recalculation runs first, as the night's has not): Dan is half way
    // with no progress, Fay two thirds; the others are inside the 25% grace period or
    // awaiting induction. Each learner hears once; Tom gets Dan in his digest.
    let (report, got) = s.run(JobKind::OffTrackEmails).await;
    assert_eq!(
        recipients(&got),
        ["dan@n.example", "fay@n.example", "tom@n.example"],
        "{report}"
    );
    let dan = one_to(&got, "dan@n.example");
    assert_eq!(dan.subject(), "You are behind on Engineering");
    assert!(dan.text().contains("Time elapsed: 50%"), "{}", dan.text());
    assert!(dan.text().contains("Progress: 0%"), "{}", dan.text());
    let tom = one_to(&got, "tom@n.example");
    assert_eq!(tom.subject(), "Learners off track on your caseload (1)");
    assert!(tom.text().contains("Person dan@n.example (Engineering): 50% of the time elapsed, 0% progress; off track from today"));
    let (_, got) = s.run(JobKind::OffTrackEmails).await;
    assert!(got.is_empty(), "once per day and per off-track spell");

    // Nothing went to the other organisation's people.
    assert!(!s.smtp.messages().iter().any(|m| to(m).contains("zed@")));
    s.org.app.finish().await;
}

/// What the page a line's link opens must show, from the e-mail line the link is on.
fn expected_on_page(email: &Captured, line: &str) -> Vec<String> {
    let text = email.text();
    // The learners a digest lists: "Person x@n.example (Course): detail".
    let listed: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim_start_matches("- ").split(" (").next())
        .filter(|l| l.starts_with("Person "))
        .map(str::to_owned)
        .collect();
    if line.contains("Open the list in Folio") {
        let title = match email.subject().split(" (").next().unwrap_or_default() {
            "Overdue actions on your caseload" => "Overdue actions",
            "Progress reviews due" => "Progress reviews due",
            "Inductions overdue" => "Inductions overdue",
            "Sessions without an outcome" => "Sessions without an outcome",
            "Learners without active learning" => "Learners without active learning",
            "Learners off track on your caseload" => "Learners off track",
            other => panic!("a digest nobody expected: {other}"),
        };
        let mut needles = vec![format!("<h1>{title}</h1>")];
        needles.extend(listed);
        needles
    } else if line.contains("notification settings") {
        vec![
            "<h1>Your profile</h1>".into(),
            "id=\"notifications\"".into(),
        ]
    } else if line.contains("Record what you have done") {
        let mut needles = vec!["<h1>My overdue actions</h1>".to_owned()];
        needles.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("- "))
                .filter_map(|l| l.split(" (").next())
                .map(str::to_owned),
        );
        needles
    } else if let Some(action) = line.strip_prefix("- ") {
        vec![action.split(" (").next().unwrap_or_default().to_owned()]
    } else if line.contains("progress map") {
        vec!["Engineering".into(), "Progress map".into()]
    } else {
        panic!("a link nobody expected, on the line: {line}")
    }
}

/// Every link in every nightly e-mail, followed by its recipient through sign-in, lands on
/// a real page (200, not an error page) that shows what the e-mail was about.
#[tokio::test]
async fn every_link_in_the_nightly_emails_lands_on_its_page_after_sign_in() {
    let mut s = scene().await;
    s.ctx.public_url = s.app.base.clone();
    let mut emails = Vec::new();
    for kind in [
        JobKind::OverdueActions,
        JobKind::ReviewChecks,
        JobKind::InductionOverdue,
        JobKind::UnclosedSessions,
        JobKind::NoActiveLearning,
        JobKind::OffTrackEmails,
    ] {
        let (_, got) = s.run(kind).await;
        emails.extend(got);
    }
    let templates: std::collections::BTreeSet<String> =
        emails.iter().map(Captured::subject).collect();
    assert!(
        emails.len() >= 9,
        "every kind of nightly e-mail: {templates:?}"
    );

    let mut followed = 0;
    for email in &emails {
        let address = {
            let t = to(email);
            let start = t.find('<').map_or(0, |i| i + 1);
            t[start..].trim_end_matches('>').to_owned()
        };
        let text = email.text();
        for line in text.lines() {
            let Some(at) = line.find(&s.app.base) else {
                assert!(!line.contains("http"), "a link elsewhere: {line}");
                continue;
            };
            let link = line[at..].split_whitespace().next().unwrap();
            let (status, page) = s.app.follow_link_as(&s.tenant.slug, &address, link).await;
            assert_eq!(status, 200, "{address} opens {link}: {page}");
            let h1 = folio_tests::heading(&page);
            assert!(
                ![
                    "Not found",
                    "Not allowed",
                    "Something went wrong",
                    "That did not work"
                ]
                .contains(&h1.as_str()),
                "{address} opens {link}: {h1}"
            );
            for needle in expected_on_page(email, line) {
                assert!(
                    page.contains(&needle),
                    "{address} opens {link}: {needle} in {page}"
                );
            }
            followed += 1;
        }
        // The HTML part links to the same pages.
        for href in email.html().split("href=\"").skip(1) {
            let href = href.split('"').next().unwrap();
            assert!(text.contains(href), "{href} is in the text part too");
        }
    }
    assert!(followed >= 12, "links followed: {followed}");
    s.org.app.finish().await;
}

/// A digest's page is for staff: a learner gets a page saying so, not someone else's list,
/// and a list that does not exist is a page that says so.
#[tokio::test]
async fn caseload_pages_are_for_staff_and_only_their_lists() {
    let s = scene().await;
    let base = &s.app.base;
    let (status, page) = s
        .app
        .follow_link_as(
            &s.tenant.slug,
            "amelia@n.example",
            &format!("{base}/app/caseload/overdue-actions"),
        )
        .await;
    assert_eq!(status, 403, "{page}");
    assert_eq!(folio_tests::heading(&page), "Not allowed");
    assert!(!page.contains("Person ben@"), "{page}");

    // Bea sees her own learners' overdue actions, not Tom's.
    let (status, page) = s
        .app
        .follow_link_as(
            &s.tenant.slug,
            "bea@n.example",
            &format!("{base}/app/caseload/overdue-actions"),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Person cara@n.example"), "{page}");
    assert!(
        !page.contains("Person amelia@") && !page.contains("Person ben@"),
        "{page}"
    );

    let (status, page) = s
        .app
        .follow_link_as(
            &s.tenant.slug,
            "tom@n.example",
            &format!("{base}/app/caseload/everything"),
        )
        .await;
    assert_eq!(status, 404, "{page}");

    // An assessor has no overdue actions of their own to see.
    let (status, _) = s
        .app
        .follow_link_as(
            &s.tenant.slug,
            "tom@n.example",
            &format!("{base}/app/actions/overdue"),
        )
        .await;
    assert_eq!(status, 403);
    s.org.app.finish().await;
}

/// "No chasing e-mails are sent" during a break in learning: Dan and Fay, off track, and
/// Amelia, Ben and Cara, with overdue actions, are all on a break; nobody hears about
/// either, and the learners come back into the e-mails when the break ends.
#[tokio::test]
async fn nobody_is_chased_while_on_a_break_in_learning() {
    let s = scene().await;
    let today = s.today;
    let on_break = |name: &'static str| {
        let pool = s.org.app.database.pool.clone();
        let (tenant, learner) = (s.tenant.id, s.org.id(name));
        async move {
            sqlx::query(
                "with e as (update enrolments set status = 'break_in_learning'
                            where tenant_id = $1 and learner_id = $2 returning tenant_id, id)
                 insert into enrolment_breaks (tenant_id, id, enrolment_id, started_on, reason,
                                               expected_return_on)
                 select e.tenant_id, gen_random_uuid(), e.id, $3, 'illness', $3 + 30 from e",
            )
            .bind(tenant)
            .bind(learner)
            .bind(today - chrono::Days::new(2))
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    for name in ["amelia", "ben", "cara", "dan", "fay"] {
        on_break(name).await;
    }
    let (report, got) = s.run(JobKind::OverdueActions).await;
    assert!(got.is_empty(), "{report}");
    let (report, got) = s.run(JobKind::OffTrackEmails).await;
    assert!(got.is_empty(), "{report}");

    // Dan returns today: his off-track e-mail comes again.
    sqlx::query(
        "update enrolment_breaks set ended_on = $2 where tenant_id = $1 and ended_on is null
           and enrolment_id in (select id from enrolments where learner_id = $3)",
    )
    .bind(s.tenant.id)
    .bind(today)
    .bind(s.org.id("dan"))
    .execute(&s.org.app.database.pool)
    .await
    .unwrap();
    sqlx::query(
        "update enrolments set status = 'in_learning' where tenant_id = $1 and learner_id = $2",
    )
    .bind(s.tenant.id)
    .bind(s.org.id("dan"))
    .execute(&s.org.app.database.pool)
    .await
    .unwrap();
    let (report, got) = s.run(JobKind::OffTrackEmails).await;
    assert_eq!(
        recipients(&got),
        ["dan@n.example", "tom@n.example"],
        "{report}"
    );
    s.org.app.finish().await;
}

/// "Progress reviews: at least every 12 weeks for starts before Aug 2025; at least every 3
/// calendar months from Aug 2025, or the alternative frequency agreed with the employer",
/// and a break in learning pauses the review clock. The dashboard's overdue list and the
/// nightly e-mail judge alike.
#[tokio::test]
async fn reviews_are_due_by_the_rule_of_the_start_date_the_agreement_and_breaks() {
    let s = scene().await;
    let today = s.today;
    let tom = s.id("tom");
    // Eve, awaiting induction on her first enrolment (never reviewed), gets four more: each
    // last reviewed at noon UTC on the given day (the provider keeps UTC).
    let noon = |d: NaiveDate| d.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let gil = s.id("eve");
    let date = folio_tests::scene::date;
    use serde_json::json;
    let reviewed = |enrolment: Uuid, on: NaiveDate| {
        let s = &s;
        async move {
            s.session(enrolment, tom, "review", noon(on), Some("attended"))
                .await;
        }
    };
    // 1. A 2024 start reviewed 85 days ago: 12 weeks = 84 days, so due yesterday: overdue.
    let old_rule = s
        .enrol(
            gil,
            tom,
            date(2024, 1, 8),
            ahead(today, 300),
            "in_learning",
            Some(date(2024, 1, 8)),
        )
        .await;
    reviewed(old_rule, ago(today, 85)).await;
    // 2. A September 2025 start reviewed 85 days ago: due 3 calendar months after, which
    //    is at least 89 days: not overdue (12 weeks would have made it so).
    let new_rule = s
        .enrol(
            gil,
            tom,
            date(2025, 9, 1),
            ahead(today, 300),
            "in_learning",
            Some(date(2025, 9, 1)),
        )
        .await;
    reviewed(new_rule, ago(today, 85)).await;
    // 3. The same, reviewed 100 days ago, with 16 weeks (112 days) agreed with the
    //    employer: due in 12 days, not overdue (3 months would have made it so).
    let agreed = s
        .enrol(
            gil,
            tom,
            date(2025, 9, 1),
            ahead(today, 300),
            "in_learning",
            Some(date(2025, 9, 1)),
        )
        .await;
    reviewed(agreed, ago(today, 100)).await;
    // 4. The same, reviewed 100 days ago, with a 30-day break from 80 to 50 days ago:
    //    due 3 months + 30 days after the review, at least 119 days: not overdue.
    let paused = s
        .enrol(
            gil,
            tom,
            date(2025, 9, 1),
            ahead(today, 300),
            "in_learning",
            Some(date(2025, 9, 1)),
        )
        .await;
    reviewed(paused, ago(today, 100)).await;
    let pool = &s.org.app.database.pool;
    sqlx::query("update enrolments set agreed_review_weeks = 16 where id = $1")
        .bind(agreed)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into enrolment_breaks (tenant_id, id, enrolment_id, started_on, ended_on, reason)
         values ($1, gen_random_uuid(), $2, $3, $4, 'illness')",
    )
    .bind(s.tenant.id)
    .bind(paused)
    .bind(ago(today, 80))
    .bind(ago(today, 50))
    .execute(pool)
    .await
    .unwrap();

    let list: Value = s
        .org
        .app
        .authed(
            reqwest::Method::GET,
            "/api/v1/dashboard/reviews_overdue?limit=200",
            &s.org.admin,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let due_of = |id: Uuid| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["enrolment_id"] == id.to_string())
            .map(|i| i["due_date"].clone())
    };
    assert_eq!(due_of(old_rule), Some(json!(ago(today, 1))), "{list}");
    assert_eq!(due_of(new_rule), None, "{list}");
    assert_eq!(due_of(agreed), None, "{list}");
    assert_eq!(due_of(paused), None, "{list}");

    // The e-mail to Tom: Gil's 2024 enrolment overdue since yesterday; the agreed one due
    // in 12 days and not booked; the 2025 one reviewed 85 days ago is due in at least 4
    // days (3 months after it), so inside the 14 days and listed as due too.
    let (_, got) = s.run(JobKind::ReviewChecks).await;
    let text = got
        .iter()
        .find(|m| to(m).contains("tom@"))
        .map(|m| m.text())
        .unwrap();
    let gil_lines: Vec<&str> = text.lines().filter(|l| l.contains("eve@")).collect();
    let uk = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    assert!(
        gil_lines
            .iter()
            .any(|l| l.contains(&format!("review overdue since {}", uk(ago(today, 1))))),
        "{text}"
    );
    assert!(
        gil_lines
            .iter()
            .any(|l| l.contains(&format!("review due by {}", uk(ahead(today, 12))))),
        "{text}"
    );
    let three_months = ago(today, 85)
        .checked_add_months(chrono::Months::new(3))
        .unwrap();
    assert!(
        gil_lines
            .iter()
            .any(|l| l.contains(&format!("review due by {}", uk(three_months)))),
        "{text}"
    );
    assert_eq!(gil_lines.len(), 3, "the paused one is not due: {text}");
    s.org.app.finish().await;
}
