#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Dashboards: every tile's count for an admin, an auditor, two assessors and an IQA, each
//! list the same length as its count, another organisation never counted, and who may ask.
//!
//! Northgate (time zone Pacific/Kiritimati, UTC+14, so its "today" is often not the UTC
//! date) has assessors Tom and Bea and an IQA, Ivy. Seven learners in progress and one
//! withdrawn, each set up in SQL, on a course of four criteria:
//! - Amelia (Tom, Ivy): 100 days in, nothing mapped (off track), no review yet (overdue),
//!   300 planned off-the-job hours and none logged (behind), new evidence, an action in
//!   progress, a review booked in 3 days, a session yesterday without an outcome.
//! - Ben (Tom): everything mapped (ahead), reviewed 10 days ago, nothing planned off the
//!   job; evidence mapped and evidence returned, an outstanding and a complete action.
//! - Cara (Tom): 30 days in (on track), 30 off-the-job hours logged against 24.66 expected,
//!   resubmitted evidence, a session in 10 days.
//! - Dan (Tom, Ivy): on a break, 20 days past his planned end (off track), 60 hours of
//!   reviews logged as off the job (which do not count) and one hour that counts.
//! - Eve (Tom): awaiting induction 40 days after her start (28 allowed), an action in
//!   progress past its target.
//! - Gus (Bea, Ivy): half way, one criterion mapped (off track), last review 100 days ago,
//!   two new pieces of evidence, an action in progress, a session in 2 days and one 3 days
//!   ago without an outcome.
//! - Hana (Bea): 10 days in (on track), 100 planned off-the-job hours and none logged; a
//!   session in 20 days and a cancelled one tomorrow.
//! - Finn (Tom): withdrawn, with new evidence, an action in progress and an unclosed
//!   session: never counted.
//!
//! Southbank, another organisation, has two learners in most of the same situations.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use folio_db::platform::Tenant;
use folio_domain::Role;
use folio_domain::TenantSettings;
use folio_domain::jobs::local_date;
use folio_tests::scene::{NewCourse, NewUnit};
use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const KEYS: [&str; 12] = [
    "caseload",
    "off_track",
    "on_track",
    "ahead",
    "new_evidence_to_review",
    "actions_needing_completion",
    "upcoming_sessions",
    "reviews_overdue",
    "inductions_overdue",
    "unclosed_sessions",
    "otj_behind_plan",
    "past_planned_end",
];

/// One organisation's course: its component and criteria.
struct Course {
    id: Uuid,
    component: Uuid,
    criteria: Vec<Uuid>,
}

struct Org<'a> {
    app: &'a TestApp,
    tenant: Tenant,
    today: NaiveDate,
    now: DateTime<Utc>,
    course: Course,
    admin_token: String,
}

fn ago(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_sub_days(Days::new(days)).unwrap()
}

fn ahead(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_add_days(Days::new(days)).unwrap()
}

/// An enrolment as the scene needs it.
struct Enrol<'a> {
    learner: Uuid,
    assessor: Uuid,
    iqa: Option<Uuid>,
    start_ago: u64,
    end_ahead: i64,
    status: &'a str,
    planned_otj: i32,
}

impl<'a> Org<'a> {
    async fn new(app: &'a TestApp, slug: &str, timezone: &str) -> Org<'a> {
        let k1 = (1..=4).fold(NewUnit::new("K1", "Principles"), |unit, n| {
            unit.criterion(&format!("K1.{n}"), &format!("Criterion {n}"))
        });
        let scene = app
            .scene(slug)
            .course(NewCourse::new("ST0457", "Engineering").component("Knowledge", [k1]))
            .build()
            .await;
        let (tenant, admin_token) = (scene.tenant.clone(), scene.admin.clone());
        sqlx::query("insert into tenant_settings (tenant_id, settings) values ($1, $2)")
            .bind(tenant.id)
            .bind(json!({ "timezone": timezone }))
            .execute(&app.database.pool)
            .await
            .unwrap();
        let settings = TenantSettings {
            timezone: timezone.into(),
            ..TenantSettings::default()
        };
        let now = Utc::now();
        let today = local_date(&settings.tz(), now);
        let course = scene.course("ST0457");
        Org {
            app,
            tenant,
            today,
            now,
            course: Course {
                id: course.id,
                component: course.component("Knowledge").id,
                criteria: course.unit("K1").criteria.clone(),
            },
            admin_token,
        }
    }

    async fn person(&self, name: &str, role: Role) -> Uuid {
        let email = format!("{}@{}.example", name.to_lowercase(), self.tenant.slug);
        self.app
            .user_named(&self.tenant, &email, name, &[role])
            .await
    }

    async fn token(&self, name: &str) -> String {
        self.app
            .login(
                &self.tenant,
                &format!("{}@{}.example", name.to_lowercase(), self.tenant.slug),
            )
            .await
    }

    async fn enrol(&self, e: Enrol<'_>) -> Uuid {
        let id = Uuid::now_v7();
        let start = ago(self.today, e.start_ago);
        let end = if e.end_ahead >= 0 {
            ahead(self.today, e.end_ahead.unsigned_abs())
        } else {
            ago(self.today, e.end_ahead.unsigned_abs())
        };
        let learning_started = (e.status != "awaiting_induction").then_some(start);
        let withdrawn = (e.status == "withdrawn").then_some(self.today);
        sqlx::query(
            "insert into enrolments (tenant_id, id, learner_id, course_id, start_date,
                 planned_end_date, assessor_id, iqa_id, contracted_hours_per_week,
                 planned_otj_hours, status, learning_started_on, withdrawn_on, withdrawal_reason)
             values ($1, $2, $3, $4, $5, $6, $7, $8, 37.5, $9, $10, $11, $12,
                     case when $12::date is not null then 'Left the employer' end)",
        )
        .bind(self.tenant.id)
        .bind(id)
        .bind(e.learner)
        .bind(self.course.id)
        .bind(start)
        .bind(end)
        .bind(e.assessor)
        .bind(e.iqa)
        .bind(e.planned_otj)
        .bind(e.status)
        .bind(learning_started)
        .bind(withdrawn)
        .execute(&self.app.database.pool)
        .await
        .unwrap();
        id
    }

    /// Evidence with one version, mapped to `mapped` of the course's criteria.
    async fn evidence(
        &self,
        enrolment: Uuid,
        by: Uuid,
        title: &str,
        status: &str,
        mapped: usize,
    ) -> Uuid {
        let id = Uuid::now_v7();
        sqlx::query(
            "with ev as (insert into evidence (tenant_id, id, enrolment_id, component_id, title,
                             declared_own_work, signature_name, signed_at, status, uploaded_by)
                         values ($1, $2, $3, $4, $5, true, 'Signed', now(), $6, $7) returning id)
             insert into evidence_versions (tenant_id, id, evidence_id, version, storage_key,
                 file_name, content_type, size_bytes, sha256, uploaded_by)
             select $1, gen_random_uuid(), ev.id, 1, 'k/' || ev.id, 'work.pdf',
                    'application/pdf', 10, sha256(ev.id::text::bytea), $7 from ev",
        )
        .bind(self.tenant.id)
        .bind(id)
        .bind(enrolment)
        .bind(self.course.component)
        .bind(title)
        .bind(status)
        .bind(by)
        .execute(&self.app.database.pool)
        .await
        .unwrap();
        for criterion in self.course.criteria.iter().take(mapped) {
            sqlx::query(
                "insert into criterion_mappings (tenant_id, enrolment_id, criterion_id,
                     evidence_id, mapped_by) values ($1, $2, $3, $4, $5)",
            )
            .bind(self.tenant.id)
            .bind(enrolment)
            .bind(criterion)
            .bind(id)
            .bind(by)
            .execute(&self.app.database.pool)
            .await
            .unwrap();
        }
        id
    }

    async fn action(
        &self,
        enrolment: Uuid,
        by: Uuid,
        title: &str,
        target: NaiveDate,
        status: &str,
    ) -> Uuid {
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into actions (tenant_id, id, enrolment_id, title, target_date, status,
                 time_spent_minutes, completed_at, completed_by, created_by)
             values ($1, $2, $3, $4, $5, $6, case when $6 = 'in_progress' then 90 end,
                     case when $6 = 'complete' then now() end,
                     case when $6 = 'complete' then $7 end, $7)",
        )
        .bind(self.tenant.id)
        .bind(id)
        .bind(enrolment)
        .bind(title)
        .bind(target)
        .bind(status)
        .bind(by)
        .execute(&self.app.database.pool)
        .await
        .unwrap();
        id
    }

    async fn session(
        &self,
        enrolment: Uuid,
        assessor: Uuid,
        kind: &str,
        starts_at: DateTime<Utc>,
        outcome: Option<&str>,
    ) -> Uuid {
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into learning_sessions (tenant_id, id, enrolment_id, assessor_id,
                 session_type, starts_at, duration_minutes, outcome, outcome_recorded_at,
                 created_by)
             values ($1, $2, $3, $4, $5, $6, 60, $7, case when $7 is not null then now() end, $4)",
        )
        .bind(self.tenant.id)
        .bind(id)
        .bind(enrolment)
        .bind(assessor)
        .bind(kind)
        .bind(starts_at)
        .bind(outcome)
        .execute(&self.app.database.pool)
        .await
        .unwrap();
        id
    }

    async fn time(
        &self,
        enrolment: Uuid,
        by: Uuid,
        days_ago: u64,
        activity: &str,
        off_the_job: bool,
        minutes: i32,
    ) {
        sqlx::query(
            "insert into time_log_entries (tenant_id, id, enrolment_id, entry_date,
                 activity_type, off_the_job, minutes, source, created_by)
             values ($1, gen_random_uuid(), $2, $3, $4, $5, $6, 'learner', $7)",
        )
        .bind(self.tenant.id)
        .bind(enrolment)
        .bind(ago(self.today, days_ago))
        .bind(activity)
        .bind(off_the_job)
        .bind(minutes)
        .bind(by)
        .execute(&self.app.database.pool)
        .await
        .unwrap();
    }

    fn days(&self, days: i64) -> DateTime<Utc> {
        self.now + TimeDelta::days(days)
    }

    /// The nightly recalculation for today, under the organisation's rule.
    async fn recalculate(&self) {
        let mut tx = self
            .app
            .db
            .begin_tenant(self.tenant.tenant_id())
            .await
            .unwrap();
        let settings = folio_db::settings::get(&mut tx).await.unwrap();
        folio_db::tracks::recalculate(&mut tx, self.today, &settings)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.authed(Method::GET, path, token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

/// The dashboard's counts in [`KEYS`] order.
fn counts(dashboard: &Value) -> Vec<i64> {
    let tiles = dashboard["tiles"].as_array().unwrap();
    let keys: Vec<&str> = tiles.iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(keys, KEYS);
    tiles.iter().map(|t| t["count"].as_i64().unwrap()).collect()
}

/// Every row of a list, page by page (`limit` rows a page).
async fn list(app: &TestApp, key: &str, token: &str, limit: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/dashboard/{key}?limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = get(app, &path, token).await;
        assert_eq!(page["key"], key);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit);
        rows.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    rows
}

fn names(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["learner_name"].as_str().unwrap())
        .collect()
}

/// Checks the dashboard of `token` against `expected`, and that every list is as long as
/// its count. Returns the dashboard.
async fn check(app: &TestApp, who: &str, token: &str, expected: [i64; 12]) -> Value {
    let dashboard = get(app, "/api/v1/dashboard", token).await;
    assert_eq!(counts(&dashboard), expected, "{who}: {dashboard}");
    for (key, count) in KEYS.iter().zip(expected) {
        let rows = list(app, key, token, 200).await;
        assert_eq!(
            i64::try_from(rows.len()).unwrap(),
            count,
            "{who}: {key}: {rows:?}"
        );
    }
    let learners = list(app, "learners", token, 200).await;
    assert_eq!(i64::try_from(learners.len()).unwrap(), expected[0], "{who}");
    dashboard
}

#[tokio::test]
async fn dashboards_count_each_tile_in_the_callers_scope_and_list_what_they_count() {
    let app = TestApp::spawn().await;
    let org = Org::new(&app, "northgate", "Pacific/Kiritimati").await;
    let tom = org.person("Tom", Role::Assessor).await;
    let bea = org.person("Bea", Role::Assessor).await;
    let ivy = org.person("Ivy", Role::Iqa).await;
    org.person("Ada", Role::Auditor).await;
    org.person("Lara", Role::Learner).await;
    let mut learners = Vec::new();
    for name in ["Amelia", "Ben", "Cara", "Dan", "Eve", "Finn", "Gus", "Hana"] {
        learners.push(org.person(name, Role::Learner).await);
    }
    let [amelia, ben, cara, dan, eve, finn, gus, hana] = learners[..] else {
        unreachable!()
    };
    let today = org.today;
    let e = |learner, assessor, iqa, start_ago, end_ahead, status, planned_otj| Enrol {
        learner,
        assessor,
        iqa,
        start_ago,
        end_ahead,
        status,
        planned_otj,
    };
    let amelia_e = org
        .enrol(e(amelia, tom, Some(ivy), 100, 265, "in_learning", 300))
        .await;
    let ben_e = org
        .enrol(e(ben, tom, None, 100, 265, "in_learning", 0))
        .await;
    let cara_e = org
        .enrol(e(cara, tom, None, 30, 335, "in_learning", 300))
        .await;
    let dan_e = org
        .enrol(e(dan, tom, Some(ivy), 400, -20, "break_in_learning", 300))
        .await;
    let eve_e = org
        .enrol(e(eve, tom, None, 40, 325, "awaiting_induction", 0))
        .await;
    let finn_e = org
        .enrol(e(finn, tom, Some(ivy), 100, -5, "withdrawn", 300))
        .await;
    let gus_e = org
        .enrol(e(gus, bea, Some(ivy), 200, 165, "in_learning", 0))
        .await;
    let hana_e = org
        .enrol(e(hana, bea, None, 10, 355, "in_learning", 100))
        .await;

    // Evidence.
    let amelia_ev = org
        .evidence(amelia_e, amelia, "Site survey", "submitted", 0)
        .await;
    org.evidence(ben_e, ben, "Portfolio", "submitted", 4).await;
    org.evidence(ben_e, ben, "Draft report", "returned", 0)
        .await;
    org.evidence(cara_e, cara, "Amended plan", "resubmitted", 0)
        .await;
    org.evidence(gus_e, gus, "Risk assessment", "submitted", 0)
        .await;
    org.evidence(gus_e, gus, "Method statement", "submitted", 0)
        .await;
    org.evidence(gus_e, gus, "Toolbox talk", "submitted", 1)
        .await;
    org.evidence(finn_e, finn, "Left behind", "submitted", 0)
        .await;

    // Actions.
    let amelia_action = org
        .action(amelia_e, tom, "Workbook 1", ahead(today, 5), "in_progress")
        .await;
    org.action(ben_e, tom, "Workbook 2", ahead(today, 5), "outstanding")
        .await;
    org.action(ben_e, tom, "Workbook 3", ago(today, 5), "complete")
        .await;
    org.action(
        eve_e,
        tom,
        "Read the handbook",
        ago(today, 3),
        "in_progress",
    )
    .await;
    org.action(gus_e, bea, "Workbook 4", ahead(today, 9), "in_progress")
        .await;
    org.action(finn_e, tom, "Workbook 5", ahead(today, 9), "in_progress")
        .await;

    // Sessions.
    let amelia_review = org
        .session(amelia_e, tom, "review", org.days(3), None)
        .await;
    let amelia_unclosed = org
        .session(amelia_e, tom, "teaching", org.days(-1), None)
        .await;
    org.session(ben_e, tom, "review", org.days(-10), Some("attended"))
        .await;
    org.session(cara_e, tom, "teaching", org.days(10), None)
        .await;
    org.session(gus_e, bea, "review", org.days(-100), Some("attended"))
        .await;
    org.session(gus_e, bea, "teaching", org.days(2), None).await;
    org.session(gus_e, bea, "teaching", org.days(-3), None)
        .await;
    org.session(hana_e, bea, "teaching", org.days(20), None)
        .await;
    org.session(hana_e, bea, "teaching", org.days(1), Some("cancelled"))
        .await;
    org.session(finn_e, tom, "teaching", org.days(-2), None)
        .await;

    // Time: Cara 30 counting hours; Dan 60 hours of reviews (never counted), an hour on
    // the job, and one hour that counts.
    org.time(cara_e, cara, 5, "distance_learning", true, 900)
        .await;
    org.time(cara_e, cara, 6, "coaching_mentoring", true, 900)
        .await;
    for day in 30..40 {
        org.time(dan_e, dan, day, "review_feedback_support", true, 360)
            .await;
    }
    org.time(dan_e, dan, 41, "technical_experience", false, 60)
        .await;
    org.time(dan_e, dan, 42, "distance_learning", true, 60)
        .await;

    // Southbank: Zed 100 days in with new evidence, an action in progress, a session
    // yesterday and one in two days, no review, nothing logged; Yara awaiting induction
    // past her planned end.
    let south = Org::new(&app, "southbank", "UTC").await;
    let sam = south.person("Sam", Role::Assessor).await;
    let zed = south.person("Zed", Role::Learner).await;
    let yara = south.person("Yara", Role::Learner).await;
    let zed_e = south
        .enrol(e(zed, sam, None, 100, 265, "in_learning", 300))
        .await;
    south
        .enrol(e(yara, sam, None, 60, -1, "awaiting_induction", 0))
        .await;
    south
        .evidence(zed_e, zed, "Site survey", "submitted", 0)
        .await;
    south
        .action(zed_e, sam, "Workbook", ahead(south.today, 3), "in_progress")
        .await;
    south
        .session(zed_e, sam, "teaching", south.days(-1), None)
        .await;
    south
        .session(zed_e, sam, "teaching", south.days(2), None)
        .await;

    let tom_token = org.token("Tom").await;
    let bea_token = org.token("Bea").await;
    let ivy_token = org.token("Ivy").await;
    let ada_token = org.token("Ada").await;
    let lara_token = org.token("Lara").await;
    // Last sign-ins, set after everyone signed in.
    sqlx::query(
        "update users set last_login_at = case id when $2 then $4::timestamptz
                                                  when $3 then $5::timestamptz end
         where tenant_id = $1 and id in (select learner_id from enrolments where tenant_id = $1)",
    )
    .bind(org.tenant.id)
    .bind(amelia)
    .bind(cara)
    .bind(org.days(-3))
    .bind(org.days(-1))
    .execute(&app.database.pool)
    .await
    .unwrap();

    // Before the first recalculation there are no track figures.
    let before = get(&app, "/api/v1/dashboard", &org.admin_token).await;
    assert_eq!(before["figures_as_of"], Value::Null);
    assert_eq!(counts(&before)[1..4], [0, 0, 0]);
    org.recalculate().await;
    south.recalculate().await;

    //           caseload off on ahead evidence actions upcoming reviews inductions unclosed otj past_end
    let admin = check(
        &app,
        "admin",
        &org.admin_token,
        [7, 3, 3, 1, 4, 3, 3, 2, 1, 2, 3, 1],
    )
    .await;
    assert_eq!(admin["scope"], "organisation");
    assert_eq!(admin["today"], json!(today));
    assert_eq!(admin["figures_as_of"], json!(today));
    let auditor = check(
        &app,
        "auditor",
        &ada_token,
        [7, 3, 3, 1, 4, 3, 3, 2, 1, 2, 3, 1],
    )
    .await;
    assert_eq!(auditor["scope"], "organisation");
    let tom_d = check(
        &app,
        "tom",
        &tom_token,
        [5, 2, 2, 1, 2, 2, 2, 1, 1, 1, 2, 1],
    )
    .await;
    assert_eq!(tom_d["scope"], "caseload");
    check(
        &app,
        "bea",
        &bea_token,
        [2, 1, 1, 0, 2, 1, 1, 1, 0, 1, 1, 0],
    )
    .await;
    check(
        &app,
        "ivy",
        &ivy_token,
        [3, 3, 0, 0, 3, 2, 2, 2, 0, 2, 2, 1],
    )
    .await;
    let south_d = check(
        &app,
        "southbank admin",
        &south.admin_token,
        [2, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
    )
    .await;
    assert_eq!(south_d["today"], json!(south.today));

    // What the lists say.
    let off = list(&app, "off_track", &org.admin_token, 200).await;
    let mut off_names = names(&off);
    off_names.sort_unstable();
    assert_eq!(off_names, ["Amelia", "Dan", "Gus"]);
    assert!(off.iter().all(|r| r["off_track_since"] == json!(today)));
    assert!(off.iter().all(|r| r["track_status"] == "off_track"));
    let gus_row = off.iter().find(|r| r["learner_name"] == "Gus").unwrap();
    assert_eq!(gus_row["progress_percent"], 25.0);
    assert_eq!(gus_row["assessor_name"], "Bea");
    assert_eq!(gus_row["course_title"], "Engineering");
    assert_eq!(names(&list(&app, "ahead", &tom_token, 200).await), ["Ben"]);

    let evidence = list(&app, "new_evidence_to_review", &tom_token, 200).await;
    assert_eq!(names(&evidence), ["Amelia", "Cara"]);
    assert_eq!(evidence[0]["item_id"], json!(amelia_ev));
    assert_eq!(evidence[0]["title"], "Site survey");
    assert!(evidence[0]["submitted_at"].is_string());

    let actions = list(&app, "actions_needing_completion", &tom_token, 200).await;
    assert_eq!(names(&actions), ["Eve", "Amelia"], "oldest target first");
    assert_eq!(actions[1]["item_id"], json!(amelia_action));
    assert_eq!(actions[1]["due_date"], json!(ahead(today, 5)));
    assert_eq!(actions[1]["time_spent_minutes"], 90);

    let upcoming = list(&app, "upcoming_sessions", &tom_token, 200).await;
    assert_eq!(names(&upcoming), ["Amelia", "Cara"]);
    assert_eq!(upcoming[0]["item_id"], json!(amelia_review));
    assert_eq!(upcoming[0]["session_type"], "review");
    let unclosed = list(&app, "unclosed_sessions", &tom_token, 200).await;
    assert_eq!(unclosed[0]["item_id"], json!(amelia_unclosed));

    let reviews = list(&app, "reviews_overdue", &org.admin_token, 200).await;
    let amelia_row = reviews
        .iter()
        .find(|r| r["learner_name"] == "Amelia")
        .unwrap();
    // A start this year (from August 2025): reviews every 3 calendar months, from the
    // start of learning 100 days ago.
    let three_months = ago(today, 100)
        .checked_add_months(chrono::Months::new(3))
        .unwrap();
    assert_eq!(amelia_row["due_date"], json!(three_months));
    assert_eq!(amelia_row["last_review"], Value::Null);
    assert!(amelia_row["booked"].is_string(), "the review in 3 days");
    let gus_review = reviews.iter().find(|r| r["learner_name"] == "Gus").unwrap();
    assert!(gus_review["last_review"].is_string());

    let inductions = list(&app, "inductions_overdue", &tom_token, 200).await;
    assert_eq!(names(&inductions), ["Eve"]);
    assert_eq!(inductions[0]["due_date"], json!(ahead(ago(today, 40), 28)));
    assert_eq!(inductions[0]["enrolment_id"], json!(eve_e));

    // Off the job: most hours behind first; reviews logged as off the job do not count.
    let otj = list(&app, "otj_behind_plan", &org.admin_token, 200).await;
    assert_eq!(names(&otj), ["Dan", "Amelia", "Hana"]);
    assert_eq!(otj[0]["otj_expected_hours"], 300.0);
    assert_eq!(otj[0]["otj_actual_hours"], 1.0);
    assert_eq!(otj[1]["otj_actual_hours"], 0.0);
    // Agrees with the learner's own off-the-job figures.
    let own = get(
        &app,
        &format!("/api/v1/enrolments/{dan_e}/off-the-job"),
        &org.admin_token,
    )
    .await;
    assert_eq!(own["actual_hours"], otj[0]["otj_actual_hours"]);
    assert_eq!(own["behind_expected"], true);

    let past = list(&app, "past_planned_end", &org.admin_token, 200).await;
    assert_eq!(names(&past), ["Dan"]);
    assert_eq!(past[0]["due_date"], json!(ago(today, 20)));

    // Learners' last sign-in: never first, then longest ago.
    let seen = list(&app, "learners", &tom_token, 200).await;
    assert_eq!(names(&seen), ["Ben", "Dan", "Eve", "Amelia", "Cara"]);
    assert_eq!(seen[0]["last_login_at"], Value::Null);
    assert!(seen[3]["last_login_at"].is_string());

    // Paging: two at a time gives the same rows in the same order.
    let whole = list(&app, "caseload", &tom_token, 200).await;
    let paged = list(&app, "caseload", &tom_token, 2).await;
    assert_eq!(paged, whole);
    assert_eq!(names(&whole), ["Amelia", "Ben", "Cara", "Dan", "Eve"]);

    // Southbank's learners never appear at Northgate, nor the other way round.
    let ours: Vec<Value> = [amelia_e, ben_e, cara_e, dan_e, eve_e, gus_e, hana_e]
        .iter()
        .map(|id| json!(id))
        .collect();
    for key in KEYS.iter().chain(["learners"].iter()) {
        for row in list(&app, key, &org.admin_token, 200).await {
            assert!(ours.contains(&row["enrolment_id"]), "{key}: {row}");
        }
        for row in list(&app, key, &south.admin_token, 200).await {
            assert!(!ours.contains(&row["enrolment_id"]), "{key}: {row}");
            assert_ne!(row["enrolment_id"], json!(finn_e));
        }
    }

    // Learners have no dashboard.
    for path in ["/api/v1/dashboard", "/api/v1/dashboard/caseload"] {
        let response = app
            .authed(Method::GET, path, &lara_token)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::FORBIDDEN).await;
    }
    let response = app
        .request(Method::GET, "/api/v1/dashboard")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    app.finish().await;
}

#[tokio::test]
async fn unknown_lists_are_404_and_bad_paging_is_422() {
    let app = TestApp::spawn().await;
    let (_, _, token) = app.tenant_with_admin("northgate").await;
    let response = app
        .authed(Method::GET, "/api/v1/dashboard/nonsense", &token)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    for limit in ["0", "201", "-1"] {
        let response = app
            .authed(
                Method::GET,
                &format!("/api/v1/dashboard/caseload?limit={limit}"),
                &token,
            )
            .send()
            .await
            .unwrap();
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&body), ["limit"], "{limit}");
    }
    let response = app
        .authed(
            Method::GET,
            "/api/v1/dashboard/caseload?cursor=not-ours",
            &token,
        )
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["cursor"]);
    // An empty organisation: every figure zero, every list empty.
    let empty = get(&app, "/api/v1/dashboard", &token).await;
    assert_eq!(counts(&empty), [0; 12]);
    assert_eq!(empty["figures_as_of"], Value::Null);
    assert!(list(&app, "otj_behind_plan", &token, 50).await.is_empty());
    app.finish().await;
}
