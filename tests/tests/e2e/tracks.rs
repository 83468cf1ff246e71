#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The nightly off-track recalculation's storage: the figures it stores for every kind of
//! learner equal what the domain's progress functions give from hand-counted criteria, and
//! the track status the API's learner overview shows; a day recalculated twice keeps one
//! history row; the next day adds one and keeps an unbroken off-track run's first day; one
//! tenant's run neither touches nor sees another's rows; the hand-written one-statement
//! baseline agrees with it.
//!
//! Mappings and sign-offs are written with SQL in a tenant transaction, as in the progress
//! tests: the evidence and mapping API is not what is tested here.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use folio_bench::baseline;
use folio_db::platform::Tenant;
use folio_db::tracks::{self, RecalcReport};
use folio_domain::progress::{self, CriterionCounts, TrackStatus};
use folio_domain::{EnrolmentStatus, Role, TrackBasis, TrackRule};
use folio_tests::TestApp;
use folio_tests::tracks::{self as stored_tracks, TrackRow};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).unwrap()
}

fn days_ahead(n: u64) -> NaiveDate {
    today().checked_add_days(Days::new(n)).unwrap()
}

/// Noon UTC of a day, so the sign-off's date is that day whatever the time zone.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap())
        .and_utc()
}

/// A course of one component "Diploma": unit A1 (mandatory, 10 criteria), A2 (optional,
/// 2 criteria, chosen for some learners) and A3 (optional, 3 criteria, chosen for nobody);
/// and a course "Empty" whose one component has no units.
struct Courses {
    id: Uuid,
    component: Uuid,
    a2_unit: Uuid,
    a1: Vec<Uuid>,
    a2: Vec<Uuid>,
    a3: Vec<Uuid>,
    empty: Uuid,
}

/// Runs one statement with uuid parameters in a tenant transaction.
async fn exec(tx: &mut folio_db::TenantTx, sql: &'static str, binds: &[Uuid]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b);
    }
    q.execute(tx.conn()).await.unwrap();
}

async fn courses(app: &TestApp, tenant: &Tenant) -> Courses {
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    let t = tenant.id;
    let (id, component, empty, empty_component) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    for (course, code) in [(id, "ST0001"), (empty, "EMPTY")] {
        sqlx::query(
            "insert into courses (tenant_id, id, code, title) values ($1, $2, $3, 'Technician')",
        )
        .bind(t)
        .bind(course)
        .bind(code)
        .execute(tx.conn())
        .await
        .unwrap();
    }
    for (course, c) in [(id, component), (empty, empty_component)] {
        exec(
            &mut tx,
            "insert into components (tenant_id, id, course_id, title, position)
             values ($1, $2, $3, 'Diploma', 0)",
            &[t, c, course],
        )
        .await;
    }
    let mut units = Vec::new();
    let mut criteria = Vec::new();
    for (position, (code, optional, count)) in [("A1", false, 10), ("A2", true, 2), ("A3", true, 3)]
        .into_iter()
        .enumerate()
    {
        let unit = Uuid::now_v7();
        sqlx::query(
            "insert into units (tenant_id, id, component_id, code, title, optional, position)
             values ($1, $2, $3, $4, $4, $5, $6)",
        )
        .bind(t)
        .bind(unit)
        .bind(component)
        .bind(code)
        .bind(optional)
        .bind(i32::try_from(position).unwrap())
        .execute(tx.conn())
        .await
        .unwrap();
        let mut ids = Vec::new();
        for n in 1..=count {
            let criterion = Uuid::now_v7();
            sqlx::query(
                "insert into criteria (tenant_id, id, unit_id, code, text, position)
                 values ($1, $2, $3, $4, 'Does the thing', $5)",
            )
            .bind(t)
            .bind(criterion)
            .bind(unit)
            .bind(format!("{code}.{n}"))
            .bind(n)
            .execute(tx.conn())
            .await
            .unwrap();
            ids.push(criterion);
        }
        units.push(unit);
        criteria.push(ids);
    }
    tx.commit().await.unwrap();
    let mut criteria = criteria.into_iter();
    Courses {
        id,
        component,
        a2_unit: units[1],
        a1: criteria.next().unwrap(),
        a2: criteria.next().unwrap(),
        a3: criteria.next().unwrap(),
        empty,
    }
}

/// One learner of the scene: what their figures are computed from, by hand.
#[derive(Debug, Clone)]
struct Learner {
    name: &'static str,
    enrolment: Uuid,
    learner: Uuid,
    start: NaiveDate,
    planned_end: NaiveDate,
    status: EnrolmentStatus,
    ended_on: Option<NaiveDate>,
    counts: CriterionCounts,
    last_sign_off: Option<NaiveDate>,
}

/// The figures the domain's functions give for a learner on day `on`: what the API's
/// learner overview composes (`progress_bars`), function by function.
fn expected(l: &Learner, on: NaiveDate, rule: &TrackRule) -> TrackRow {
    let clock = progress::clock_date(on, l.status, l.ended_on);
    let pct = progress::percentages(l.counts);
    let elapsed = progress::time_elapsed(l.start, l.planned_end, clock);
    let track = if l.counts.total == 0 {
        TrackStatus::NotApplicable
    } else {
        progress::track_status(rule, l.status, elapsed.percent, pct)
    };
    TrackRow {
        enrolment_id: l.enrolment,
        computed_on: on,
        criteria: i32::try_from(l.counts.total).unwrap(),
        mapped: i32::try_from(l.counts.mapped).unwrap(),
        signed_off: i32::try_from(l.counts.signed_off).unwrap(),
        mapped_percent: pct.mapped,
        signed_off_percent: pct.signed_off,
        elapsed_percent: elapsed.percent,
        past_end: elapsed.past_end,
        track_status: track.as_str().to_owned(),
        projected_completion: progress::projected_completion(
            l.start,
            clock,
            l.status,
            l.counts,
            l.last_sign_off,
        ),
        off_track_since: None,
        updated_at: DateTime::UNIX_EPOCH,
    }
}

/// A stored row without the two columns that depend on history and the clock.
fn figures(row: &TrackRow) -> TrackRow {
    TrackRow {
        off_track_since: None,
        updated_at: DateTime::UNIX_EPOCH,
        ..row.clone()
    }
}

struct Scene {
    app: TestApp,
    tenant: Tenant,
    admin: String,
    assessor: Uuid,
    courses: Courses,
    learners: Vec<Learner>,
    other_tenant: Tenant,
    other_enrolment: Uuid,
}

impl Scene {
    fn learner(&self, name: &str) -> &Learner {
        self.learners.iter().find(|l| l.name == name).unwrap()
    }
}

struct Builder<'a> {
    app: &'a TestApp,
    tenant: &'a Tenant,
    admin: &'a str,
    assessor: Uuid,
}

impl Builder<'_> {
    async fn enrol(
        &self,
        name: &'static str,
        course: Uuid,
        start: NaiveDate,
        planned_end: NaiveDate,
    ) -> Learner {
        let learner = self
            .app
            .user(
                self.tenant,
                &format!("{name}@{}.example", self.tenant.slug),
                &[Role::Learner],
            )
            .await;
        let r = self
            .app
            .authed(Method::POST, "/api/v1/enrolments", self.admin)
            .json(&json!({
                "learner_id": learner, "course_id": course, "assessor_id": self.assessor,
                "start_date": start, "planned_end_date": planned_end,
                "contracted_hours_per_week": 37.5, "planned_otj_hours": 400
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "enrol {name}");
        let body: Value = r.json().await.unwrap();
        Learner {
            name,
            enrolment: body["id"].as_str().unwrap().parse().unwrap(),
            learner,
            start,
            planned_end,
            status: EnrolmentStatus::AwaitingInduction,
            ended_on: None,
            counts: CriterionCounts::default(),
            last_sign_off: None,
        }
    }

    async fn status(&self, l: &mut Learner, status: EnrolmentStatus, on: NaiveDate) {
        let r = self
            .app
            .authed(
                Method::POST,
                &format!("/api/v1/enrolments/{}/status", l.enrolment),
                self.admin,
            )
            .json(&json!({ "status": status.as_str(), "on": on, "reason": "Moved away" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{} to {status}", l.name);
        l.status = status;
        if status.is_final() {
            l.ended_on = Some(on);
        }
    }

    async fn choose(&self, l: &Learner, unit: Uuid) {
        let r = self
            .app
            .authed(
                Method::PUT,
                &format!("/api/v1/enrolments/{}/optional-units", l.enrolment),
                self.admin,
            )
            .json(&json!({ "unit_ids": [unit] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// Maps `criteria` to a new piece of evidence; `signed_off_on` signs them off too.
    async fn map(
        &self,
        l: &Learner,
        component: Uuid,
        criteria: &[Uuid],
        signed_off_on: Option<NaiveDate>,
    ) {
        let t = self.tenant.id;
        let mut tx = self
            .app
            .db
            .begin_tenant(self.tenant.tenant_id())
            .await
            .unwrap();
        let evidence = Uuid::now_v7();
        exec(
            &mut tx,
            "insert into evidence (tenant_id, id, enrolment_id, component_id, title,
                                   declared_own_work, signature_name, signed_at, uploaded_by)
             values ($1, $2, $3, $4, 'Workbook', true, 'A Learner', now(), $5)",
            &[t, evidence, l.enrolment, component, l.learner],
        )
        .await;
        for criterion in criteria {
            exec(
                &mut tx,
                "insert into criterion_mappings (tenant_id, enrolment_id, criterion_id,
                                                 evidence_id, mapped_by)
                 values ($1, $2, $3, $4, $5)",
                &[t, l.enrolment, *criterion, evidence, self.assessor],
            )
            .await;
            if let Some(day) = signed_off_on {
                sqlx::query(
                    "insert into criterion_sign_offs (tenant_id, enrolment_id, criterion_id,
                                                      signed_off_by, signed_off_at)
                     values ($1, $2, $3, $4, $5)",
                )
                .bind(t)
                .bind(l.enrolment)
                .bind(criterion)
                .bind(self.assessor)
                .bind(noon(day))
                .execute(tx.conn())
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
}

fn counts(total: u32, mapped: u32, signed_off: u32) -> CriterionCounts {
    CriterionCounts {
        total,
        mapped,
        signed_off,
    }
}

/// Twelve learners of tenant "northgate", 100-day programmes unless said otherwise, judged
/// by the default rule (mapped %, 10 points, after 25%) today:
///
/// | learner | situation | today |
/// |---|---|---|
/// | before_grace | 20% elapsed, nothing mapped | on track (grace) |
/// | off_track | 50% elapsed, 2 of 10 mapped | off track |
/// | on_track | 50% elapsed, 3 signed off + 2 mapped | on track |
/// | ahead | 30% elapsed, A2 chosen: 4 signed off + 3 mapped of 12 (A3 not counted) | ahead |
/// | withdrawn | withdrawn 10 days ago | not applicable |
/// | completed | all signed off 5 days ago, completed 2 days ago, 97-day plan | not applicable |
/// | past_end | 120% elapsed, 8 mapped | off track, past end |
/// | zero_progress | 60% elapsed, nothing | off track |
/// | fully_signed_off | 40% elapsed, all signed off 3 days ago (A3 a day ago: not counted) | ahead |
/// | on_break | 70% elapsed, on a break, 3 mapped | off track |
/// | no_criteria | a course without criteria | not applicable |
/// | crosses_grace | 24% elapsed, nothing (25% tomorrow) | on track |
///
/// Plus tenant "southbank" with one learner 50% through with nothing mapped.
async fn scene() -> Scene {
    use EnrolmentStatus::*;
    let app = TestApp::spawn().await;
    let (tenant, _, admin) = app.tenant_with_admin("northgate").await;
    let assessor = app
        .user(&tenant, "tom@northgate.example", &[Role::Assessor])
        .await;
    let c = courses(&app, &tenant).await;
    let b = Builder {
        app: &app,
        tenant: &tenant,
        admin: &admin,
        assessor,
    };
    let (course, component) = (c.id, c.component);
    let mut learners = Vec::new();

    let mut l = b
        .enrol("before_grace", course, days_ago(20), days_ahead(80))
        .await;
    l.counts = counts(10, 0, 0);
    learners.push(l);

    let mut l = b
        .enrol("off_track", course, days_ago(50), days_ahead(50))
        .await;
    b.map(&l, component, &c.a1[..2], None).await;
    l.counts = counts(10, 2, 0);
    learners.push(l);

    let mut l = b
        .enrol("on_track", course, days_ago(50), days_ahead(50))
        .await;
    b.map(&l, component, &c.a1[..3], Some(days_ago(20))).await;
    b.map(&l, component, &c.a1[3..5], None).await;
    l.counts = counts(10, 2, 3);
    l.last_sign_off = Some(days_ago(20));
    learners.push(l);

    let mut l = b.enrol("ahead", course, days_ago(30), days_ahead(70)).await;
    b.choose(&l, c.a2_unit).await;
    b.map(&l, component, &c.a1[..4], Some(days_ago(7))).await;
    b.map(&l, component, &[c.a1[4], c.a1[5], c.a2[0]], None)
        .await;
    b.map(&l, component, &c.a3, Some(days_ago(1))).await;
    l.counts = counts(12, 3, 4);
    l.last_sign_off = Some(days_ago(7));
    learners.push(l);

    let mut l = b
        .enrol("withdrawn", course, days_ago(60), days_ahead(40))
        .await;
    b.map(&l, component, &c.a1[..1], None).await;
    b.status(&mut l, InLearning, days_ago(60)).await;
    b.status(&mut l, Withdrawn, days_ago(10)).await;
    l.counts = counts(10, 1, 0);
    learners.push(l);

    let mut l = b
        .enrol("completed", course, days_ago(100), days_ago(3))
        .await;
    b.map(&l, component, &c.a1, Some(days_ago(5))).await;
    b.status(&mut l, InLearning, days_ago(100)).await;
    b.status(&mut l, Completed, days_ago(2)).await;
    l.counts = counts(10, 0, 10);
    l.last_sign_off = Some(days_ago(5));
    learners.push(l);

    let mut l = b
        .enrol("past_end", course, days_ago(120), days_ago(20))
        .await;
    b.map(&l, component, &c.a1[..8], None).await;
    l.counts = counts(10, 8, 0);
    learners.push(l);

    let mut l = b
        .enrol("zero_progress", course, days_ago(60), days_ahead(40))
        .await;
    l.counts = counts(10, 0, 0);
    learners.push(l);

    let mut l = b
        .enrol("fully_signed_off", course, days_ago(40), days_ahead(60))
        .await;
    b.map(&l, component, &c.a1, Some(days_ago(3))).await;
    b.map(&l, component, &c.a3[..1], Some(days_ago(1))).await;
    l.counts = counts(10, 0, 10);
    l.last_sign_off = Some(days_ago(3));
    learners.push(l);

    let mut l = b
        .enrol("on_break", course, days_ago(70), days_ahead(30))
        .await;
    b.map(&l, component, &c.a1[..3], None).await;
    b.status(&mut l, InLearning, days_ago(70)).await;
    b.status(&mut l, BreakInLearning, days_ago(10)).await;
    l.counts = counts(10, 3, 0);
    learners.push(l);

    learners.push(
        b.enrol("no_criteria", c.empty, days_ago(50), days_ahead(50))
            .await,
    );

    let mut l = b
        .enrol("crosses_grace", course, days_ago(24), days_ahead(76))
        .await;
    l.counts = counts(10, 0, 0);
    learners.push(l);

    let (other_tenant, _, other_admin) = app.tenant_with_admin("southbank").await;
    let other_assessor = app
        .user(&other_tenant, "sam@southbank.example", &[Role::Assessor])
        .await;
    let other_courses = courses(&app, &other_tenant).await;
    let other = Builder {
        app: &app,
        tenant: &other_tenant,
        admin: &other_admin,
        assessor: other_assessor,
    }
    .enrol("behind", other_courses.id, days_ago(50), days_ahead(50))
    .await;

    Scene {
        app,
        tenant,
        admin,
        assessor,
        courses: c,
        learners,
        other_tenant,
        other_enrolment: other.enrolment,
    }
}

fn default_rule() -> TrackRule {
    TrackRule::default()
}

/// Recalculates tenant `tenant` for day `on` under its own settings, and commits.
async fn recalculate(app: &TestApp, tenant: &Tenant, on: NaiveDate) -> RecalcReport {
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    let rule = folio_db::settings::get(&mut tx).await.unwrap().track;
    assert_eq!(rule, default_rule());
    let report = tracks::recalculate(&mut tx, on, &rule).await.unwrap();
    tx.commit().await.unwrap();
    report
}

/// Every learner's stored row, in scene order.
async fn stored(app: &TestApp, tenant: &Tenant, learners: &[Learner]) -> Vec<TrackRow> {
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    let mut rows = Vec::new();
    for l in learners {
        rows.push(
            stored_tracks::current(&mut tx, l.enrolment)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("no row for {}", l.name)),
        );
    }
    rows
}

fn statuses(rows: &[TrackRow]) -> Vec<&str> {
    rows.iter().map(|r| r.track_status.as_str()).collect()
}

const TODAY: [&str; 12] = [
    "on_track",
    "off_track",
    "on_track",
    "ahead",
    "not_applicable",
    "not_applicable",
    "off_track",
    "off_track",
    "ahead",
    "off_track",
    "not_applicable",
    "on_track",
];

#[tokio::test]
async fn recalculate_stores_the_domain_figures_and_agrees_with_the_overview() {
    let s = scene().await;
    let report = recalculate(&s.app, &s.tenant, today()).await;
    assert_eq!(
        report,
        RecalcReport {
            enrolments: 12,
            off_track: 4,
            on_track: 3,
            ahead: 2,
            not_applicable: 3,
            newly_off_track: 4,
        }
    );
    let rows = stored(&s.app, &s.tenant, &s.learners).await;
    assert_eq!(statuses(&rows), TODAY);
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    for (l, row) in s.learners.iter().zip(&rows) {
        assert_eq!(
            figures(row),
            expected(l, today(), &default_rule()),
            "{}",
            l.name
        );
        let since = (row.track_status == "off_track").then_some(today());
        assert_eq!(row.off_track_since, since, "{}", l.name);
        assert_eq!(
            row.track().map(TrackStatus::as_str),
            Some(row.track_status.as_str())
        );

        let history = stored_tracks::history(&mut tx, l.enrolment, 30)
            .await
            .unwrap();
        assert_eq!(history.len(), 1, "{}", l.name);
        assert_eq!(history[0].computed_on, today());
        assert_eq!(history[0].track_status, row.track_status);
        assert_eq!(history[0].elapsed_percent, row.elapsed_percent);
        assert_eq!(history[0].projected_completion, row.projected_completion);

        let overview: Value = s
            .app
            .authed(
                Method::GET,
                &format!("/api/v1/enrolments/{}/overview", l.enrolment),
                &s.admin,
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            overview["track_status"],
            row.track_status.as_str(),
            "{}",
            l.name
        );
        assert_eq!(overview["past_planned_end"], row.past_end, "{}", l.name);
        assert_eq!(
            overview["mapped_percent"],
            json!(progress::shown(row.mapped_percent)),
            "{}",
            l.name
        );
    }
    // Spot checks against the hand computation behind the table.
    let ahead = &rows[3];
    assert_eq!((ahead.criteria, ahead.mapped, ahead.signed_off), (12, 3, 4));
    assert_eq!(rows[6].elapsed_percent, 120.0);
    assert!(rows[6].past_end);
    assert_eq!(
        rows[4].elapsed_percent, 50.0,
        "the clock stopped at withdrawal"
    );
    assert_eq!(rows[5].projected_completion, Some(days_ago(5)));
    assert_eq!(
        rows[8].projected_completion,
        Some(days_ago(3)),
        "A3 not counted"
    );
    // 3 of 10 signed off in 50 days: 50 × 10 / 3 = 166.7, so 167 days from the start.
    assert_eq!(
        rows[2].projected_completion,
        Some(days_ago(50) + Days::new(167))
    );
    drop(tx);
    s.app.finish().await;
}

#[tokio::test]
async fn the_same_day_twice_keeps_one_history_row_and_the_next_day_adds_one() {
    let mut s = scene().await;
    let first = recalculate(&s.app, &s.tenant, today()).await;
    let before = stored(&s.app, &s.tenant, &s.learners).await;
    let again = recalculate(&s.app, &s.tenant, today()).await;
    assert_eq!(again, first, "a retried day reports the same");
    let after = stored(&s.app, &s.tenant, &s.learners).await;
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    for ((l, b), a) in s.learners.iter().zip(&before).zip(&after) {
        assert_eq!(figures(a), figures(b), "{}", l.name);
        assert_eq!(a.off_track_since, b.off_track_since, "{}", l.name);
        assert!(a.updated_at >= b.updated_at);
        let history = stored_tracks::history(&mut tx, l.enrolment, 30)
            .await
            .unwrap();
        assert_eq!(history.len(), 1, "{}", l.name);
    }
    drop(tx);

    // Before the next night, zero_progress catches up: 6 of 10 mapped, 61% elapsed.
    let b = Builder {
        app: &s.app,
        tenant: &s.tenant,
        admin: &s.admin,
        assessor: s.assessor,
    };
    let zero = s
        .learners
        .iter()
        .position(|l| l.name == "zero_progress")
        .unwrap();
    b.map(
        &s.learners[zero],
        s.courses.component,
        &s.courses.a1[..6],
        None,
    )
    .await;
    s.learners[zero].counts = counts(10, 6, 0);

    let tomorrow = days_ahead(1);
    let next = recalculate(&s.app, &s.tenant, tomorrow).await;
    assert_eq!(
        next,
        RecalcReport {
            enrolments: 12,
            off_track: 4,
            on_track: 3,
            ahead: 2,
            not_applicable: 3,
            newly_off_track: 1,
        }
    );
    let rows = stored(&s.app, &s.tenant, &s.learners).await;
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    for (l, row) in s.learners.iter().zip(&rows) {
        assert_eq!(
            figures(row),
            expected(l, tomorrow, &default_rule()),
            "{}",
            l.name
        );
        let history = stored_tracks::history(&mut tx, l.enrolment, 30)
            .await
            .unwrap();
        assert_eq!(
            history.iter().map(|h| h.computed_on).collect::<Vec<_>>(),
            [today(), tomorrow],
            "{}: newest last",
            l.name
        );
        assert_eq!(history[1].track_status, row.track_status);
        let newest = stored_tracks::history(&mut tx, l.enrolment, 1)
            .await
            .unwrap();
        assert_eq!(newest, history[1..]);
    }
    let since =
        |name: &str| rows[s.learners.iter().position(|l| l.name == name).unwrap()].off_track_since;
    assert_eq!(
        since("off_track"),
        Some(today()),
        "kept while still off track"
    );
    assert_eq!(since("past_end"), Some(today()));
    assert_eq!(
        since("crosses_grace"),
        Some(tomorrow),
        "turned off track tomorrow"
    );
    assert_eq!(since("zero_progress"), None, "back on track");
    assert_eq!(s.learner("zero_progress").counts, counts(10, 6, 0));
    assert_eq!(rows[zero].track_status, "on_track");

    // A backfill of an earlier day adds its history but leaves the latest figures alone.
    drop(tx);
    let yesterday = days_ago(1);
    recalculate(&s.app, &s.tenant, yesterday).await;
    let latest = stored(&s.app, &s.tenant, &s.learners).await;
    assert!(latest.iter().all(|r| r.computed_on == tomorrow));
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    let history = stored_tracks::history(&mut tx, s.learners[0].enrolment, 30)
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|h| h.computed_on).collect::<Vec<_>>(),
        [yesterday, today(), tomorrow]
    );
    drop(tx);
    s.app.finish().await;
}

#[tokio::test]
async fn a_tenants_recalculation_neither_touches_nor_sees_another_tenants_rows() {
    let s = scene().await;
    let other = recalculate(&s.app, &s.other_tenant, today()).await;
    assert_eq!((other.enrolments, other.off_track), (1, 1));
    let mut tx = s
        .app
        .db
        .begin_tenant(s.other_tenant.tenant_id())
        .await
        .unwrap();
    let before = stored_tracks::current(&mut tx, s.other_enrolment)
        .await
        .unwrap()
        .unwrap();
    drop(tx);

    let report = recalculate(&s.app, &s.tenant, days_ahead(1)).await;
    assert_eq!(report.enrolments, 12, "only the tenant's own enrolments");

    let mut tx = s
        .app
        .db
        .begin_tenant(s.other_tenant.tenant_id())
        .await
        .unwrap();
    let after = stored_tracks::current(&mut tx, s.other_enrolment)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "untouched, updated_at included");
    let history = stored_tracks::history(&mut tx, s.other_enrolment, 30)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    drop(tx);

    // Through the first tenant's transaction the other's rows do not exist, even to a
    // query that forgets its tenant filter.
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    assert_eq!(
        stored_tracks::current(&mut tx, s.other_enrolment)
            .await
            .unwrap(),
        None
    );
    assert!(
        stored_tracks::history(&mut tx, s.other_enrolment, 30)
            .await
            .unwrap()
            .is_empty()
    );
    for sql in [
        "select count(*) from enrolment_tracks",
        "select count(*) from enrolment_track_history",
    ] {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(tx.conn()).await.unwrap();
        assert_eq!(n, 12, "{sql}");
    }
    // Nor can it write one for them.
    let refused = sqlx::query(
        "insert into enrolment_track_history (tenant_id, enrolment_id, computed_on, criteria,
             mapped, signed_off, mapped_percent, signed_off_percent, elapsed_percent, past_end,
             track_status)
         values ($1, $2, current_date, 0, 0, 0, 0, 0, 0, false, 'on_track')",
    )
    .bind(s.other_tenant.id)
    .bind(s.other_enrolment)
    .execute(tx.conn())
    .await;
    assert!(refused.is_err());
    drop(tx);
    s.app.finish().await;
}

#[tokio::test]
async fn the_hand_written_statement_agrees_with_recalculate() {
    let s = scene().await;
    recalculate(&s.app, &s.tenant, today()).await;
    let rules = [
        default_rule(),
        TrackRule {
            basis: TrackBasis::SignedOff,
            margin_points: 5.0,
            grace_percent: 10.0,
        },
        // A zero margin makes the 50%-of-50% learner an exact tie: off track.
        TrackRule {
            margin_points: 0.0,
            ..default_rule()
        },
    ];
    for (i, rule) in rules.iter().enumerate() {
        for on in [today(), days_ahead(1)] {
            let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
            tracks::recalculate(&mut tx, on, rule).await.unwrap();
            let mut computed = Vec::new();
            for l in &s.learners {
                computed.push(
                    stored_tracks::current(&mut tx, l.enrolment)
                        .await
                        .unwrap()
                        .unwrap(),
                );
            }
            let written = baseline::hand_written_recalculate(&mut tx, on, rule)
                .await
                .unwrap();
            assert_eq!(written, 12);
            for (l, c) in s.learners.iter().zip(&computed) {
                let h = stored_tracks::current(&mut tx, l.enrolment)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(h.track_status, c.track_status, "rule {i}, {on}: {}", l.name);
                assert_eq!(figures(&h), figures(c), "rule {i}, {on}: {}", l.name);
                assert_eq!(h.off_track_since, c.off_track_since, "{}", l.name);
                assert_eq!(figures(c), expected(l, on, rule), "{}", l.name);
            }
            if i == 2 {
                let on_track = s
                    .learners
                    .iter()
                    .position(|l| l.name == "on_track")
                    .unwrap();
                assert_eq!(computed[on_track].track_status, "off_track", "{on}");
            }
            // Rolled back: each rule starts from the committed default figures.
            drop(tx);
        }
    }
    s.app.finish().await;
}
