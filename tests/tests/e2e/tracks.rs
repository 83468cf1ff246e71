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

use std::borrow::Borrow;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use folio_bench::baseline;
use folio_db::platform::Tenant;
use folio_db::tracks::{self, RecalcReport};
use folio_domain::progress::{self, CriterionCounts, TrackStatus};
use folio_domain::{EnrolmentStatus, Role, TenantSettings, TrackBasis, TrackRule};
use folio_tests::TestApp;
use folio_tests::scene::{
    NewCourse, NewEnrolment, NewUnit, Scene as Org, days_ago, days_ahead, today,
};
use folio_tests::tracks::{self as stored_tracks, TrackRow};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// Noon UTC of a day, so the sign-off's date is that day whatever the time zone.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap())
        .and_utc()
}

/// A course of one component "Diploma": unit A1 (mandatory, 10 criteria), A2 (optional,
/// 2 criteria, chosen for some learners) and A3 (optional, 3 criteria, chosen for nobody);
/// and a course "EMPTY" whose one component has no units.
fn courses() -> [NewCourse; 2] {
    let unit = |code: &str, criteria| NewUnit::new(code, code).criteria(criteria, "Does the thing");
    [
        NewCourse::new("ST0001", "Technician").component(
            "Diploma",
            [
                unit("A1", 10),
                unit("A2", 2).optional(),
                unit("A3", 3).optional(),
            ],
        ),
        NewCourse::new("EMPTY", "Technician").component("Diploma", []),
    ]
}

/// The ids the tests use of [`courses`].
struct Courses {
    component: Uuid,
    a2_unit: Uuid,
    a1: Vec<Uuid>,
    a2: Vec<Uuid>,
    a3: Vec<Uuid>,
}

impl Courses {
    fn of<A>(org: &Org<A>) -> Self {
        let c = org.course("ST0001");
        Courses {
            component: c.component("Diploma").id,
            a2_unit: c.unit("A2").id,
            a1: c.unit("A1").criteria.clone(),
            a2: c.unit("A2").criteria.clone(),
            a3: c.unit("A3").criteria.clone(),
        }
    }
}

/// Runs one statement with uuid parameters in a tenant transaction.
async fn exec(tx: &mut folio_db::TenantTx, sql: &'static str, binds: &[Uuid]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b);
    }
    q.execute(tx.conn()).await.unwrap();
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
    /// The first day of a break in learning still going on, if any.
    on_break_since: Option<NaiveDate>,
}

/// The figures the domain's functions give for a learner on day `on`: what the API's
/// learner overview composes (`progress_bars`), function by function.
fn expected(l: &Learner, on: NaiveDate, rule: &TrackRule) -> TrackRow {
    let clock = progress::clock_date(on, l.status, l.ended_on);
    let pct = progress::percentages(l.counts);
    // A break still going on pauses the clock from its first day: those days are not
    // elapsed (and the pace is of the days before it).
    let paused = l.on_break_since.map_or(0, |from| (clock - from).num_days());
    let elapsed = progress::time_elapsed(l.start, l.planned_end, clock, paused);
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
            paused,
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
    org: Org,
    assessor: Uuid,
    courses: Courses,
    learners: Vec<Learner>,
    other_tenant: Tenant,
    other_enrolment: Uuid,
}

impl Scene {
    /// Where the learner named `name` is in [`Scene::learners`] (and in rows read in
    /// their order).
    fn nth(&self, name: &str) -> usize {
        self.learners
            .iter()
            .position(|l| l.name == name)
            .unwrap_or_else(|| panic!("no learner {name} in the scene"))
    }
}

impl std::ops::Deref for Scene {
    type Target = Org;

    fn deref(&self) -> &Org {
        &self.org
    }
}

impl Scene {
    fn learner(&self, name: &str) -> &Learner {
        self.learners.iter().find(|l| l.name == name).unwrap()
    }
}

/// Enrols a new learner `name` of the organisation on the course coded `course`, assessed
/// by `assessor`.
async fn enrol<A: Borrow<TestApp>>(
    org: &mut Org<A>,
    (name, assessor, course): (&'static str, &str, &str),
    start: NaiveDate,
    planned_end: NaiveDate,
) -> Learner {
    let learner = org
        .add_person(
            &format!("{name}@{}.example", org.tenant.slug),
            Role::Learner,
        )
        .await;
    let enrolment = org
        .enrol(
            NewEnrolment::new(name)
                .course(course)
                .assessor(assessor)
                .dates(start, planned_end)
                .hours(37.5, 400.0),
        )
        .await;
    Learner {
        name,
        enrolment,
        learner,
        start,
        planned_end,
        status: EnrolmentStatus::AwaitingInduction,
        ended_on: None,
        on_break_since: None,
        counts: CriterionCounts::default(),
        last_sign_off: None,
    }
}

async fn status(org: &Org, l: &mut Learner, status: EnrolmentStatus, on: NaiveDate) {
    org.set_status(l.enrolment, status.as_str(), on, Some("Moved away"))
        .await;
    l.status = status;
    if status.is_final() {
        l.ended_on = Some(on);
    }
    if status == EnrolmentStatus::BreakInLearning {
        l.on_break_since = Some(on);
    }
}

/// Writes mappings and sign-offs in SQL, as the assessor.
struct Builder<'a> {
    app: &'a TestApp,
    tenant: &'a Tenant,
    assessor: Uuid,
}

impl Builder<'_> {
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

/// Maps (and signs off) as Tom, on ST0001's Diploma: see [`Builder::map`].
async fn map(org: &Org, l: &Learner, criteria: &[Uuid], signed_off_on: Option<NaiveDate>) {
    let b = Builder {
        app: &org.app,
        tenant: &org.tenant,
        assessor: org.id("tom"),
    };
    let component = org.course("ST0001").component("Diploma").id;
    b.map(l, component, criteria, signed_off_on).await;
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
/// | on_break | 70 of 100 days, the last 10 on a break: 60% elapsed, 3 mapped | off track |
/// | no_criteria | a course without criteria | not applicable |
/// | crosses_grace | 24% elapsed, nothing (25% tomorrow) | on track |
///
/// Plus tenant "southbank" with one learner 50% through with nothing mapped.
async fn scene() -> Scene {
    use EnrolmentStatus::*;
    let [course, empty] = courses();
    let mut org = TestApp::spawn()
        .await
        .into_scene("northgate")
        .course(course)
        .course(empty)
        .person("tom@northgate.example", Role::Assessor)
        .signed_out()
        .build()
        .await;
    let assessor = org.id("tom");
    let c = Courses::of(&org);
    let mut learners = Vec::new();
    let tom = |name| (name, "tom", "ST0001");

    let mut l = enrol(&mut org, tom("before_grace"), days_ago(20), days_ahead(80)).await;
    l.counts = counts(10, 0, 0);
    learners.push(l);

    let mut l = enrol(&mut org, tom("off_track"), days_ago(50), days_ahead(50)).await;
    map(&org, &l, &c.a1[..2], None).await;
    l.counts = counts(10, 2, 0);
    learners.push(l);

    let mut l = enrol(&mut org, tom("on_track"), days_ago(50), days_ahead(50)).await;
    map(&org, &l, &c.a1[..3], Some(days_ago(20))).await;
    map(&org, &l, &c.a1[3..5], None).await;
    l.counts = counts(10, 2, 3);
    l.last_sign_off = Some(days_ago(20));
    learners.push(l);

    let mut l = enrol(&mut org, tom("ahead"), days_ago(30), days_ahead(70)).await;
    org.choose_units(l.enrolment, &[c.a2_unit]).await;
    map(&org, &l, &c.a1[..4], Some(days_ago(7))).await;
    map(&org, &l, &[c.a1[4], c.a1[5], c.a2[0]], None).await;
    map(&org, &l, &c.a3, Some(days_ago(1))).await;
    l.counts = counts(12, 3, 4);
    l.last_sign_off = Some(days_ago(7));
    learners.push(l);

    let mut l = enrol(&mut org, tom("withdrawn"), days_ago(60), days_ahead(40)).await;
    map(&org, &l, &c.a1[..1], None).await;
    status(&org, &mut l, InLearning, days_ago(60)).await;
    status(&org, &mut l, Withdrawn, days_ago(10)).await;
    l.counts = counts(10, 1, 0);
    learners.push(l);

    let mut l = enrol(&mut org, tom("completed"), days_ago(100), days_ago(3)).await;
    map(&org, &l, &c.a1, Some(days_ago(5))).await;
    status(&org, &mut l, InLearning, days_ago(100)).await;
    status(&org, &mut l, Completed, days_ago(2)).await;
    l.counts = counts(10, 0, 10);
    l.last_sign_off = Some(days_ago(5));
    learners.push(l);

    let mut l = enrol(&mut org, tom("past_end"), days_ago(120), days_ago(20)).await;
    map(&org, &l, &c.a1[..8], None).await;
    l.counts = counts(10, 8, 0);
    learners.push(l);

    let mut l = enrol(&mut org, tom("zero_progress"), days_ago(60), days_ahead(40)).await;
    l.counts = counts(10, 0, 0);
    learners.push(l);

    let mut l = enrol(
        &mut org,
        tom("fully_signed_off"),
        days_ago(40),
        days_ahead(60),
    )
    .await;
    map(&org, &l, &c.a1, Some(days_ago(3))).await;
    map(&org, &l, &c.a3[..1], Some(days_ago(1))).await;
    l.counts = counts(10, 0, 10);
    l.last_sign_off = Some(days_ago(3));
    learners.push(l);

    let mut l = enrol(&mut org, tom("on_break"), days_ago(70), days_ahead(30)).await;
    map(&org, &l, &c.a1[..3], None).await;
    status(&org, &mut l, InLearning, days_ago(70)).await;
    status(&org, &mut l, BreakInLearning, days_ago(10)).await;
    l.counts = counts(10, 3, 0);
    learners.push(l);

    learners.push(
        enrol(
            &mut org,
            ("no_criteria", "tom", "EMPTY"),
            days_ago(50),
            days_ahead(50),
        )
        .await,
    );

    let mut l = enrol(&mut org, tom("crosses_grace"), days_ago(24), days_ahead(76)).await;
    l.counts = counts(10, 0, 0);
    learners.push(l);

    let [course, empty] = courses();
    let mut other = org
        .app
        .scene("southbank")
        .course(course)
        .course(empty)
        .person("sam@southbank.example", Role::Assessor)
        .signed_out()
        .build()
        .await;
    let behind = enrol(
        &mut other,
        ("behind", "sam", "ST0001"),
        days_ago(50),
        days_ahead(50),
    )
    .await;
    let other_tenant = other.tenant.clone();

    Scene {
        org,
        assessor,
        courses: c,
        learners,
        other_tenant,
        other_enrolment: behind.enrolment,
    }
}

fn default_rule() -> TrackRule {
    TrackRule::default()
}

/// Recalculates tenant `tenant` for day `on` under its own settings, and commits.
async fn recalculate(app: &TestApp, tenant: &Tenant, on: NaiveDate) -> RecalcReport {
    let mut tx = app.db.begin_tenant(tenant.tenant_id()).await.unwrap();
    let settings = folio_db::settings::get(&mut tx).await.unwrap();
    assert_eq!(settings.track, default_rule());
    let report = tracks::recalculate(&mut tx, on, &settings).await.unwrap();
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
    // The break paused the clock: 70 days in, the last 10 on a break, of 100 days:
    // (70 − 10) / 100 = 60% elapsed, not 70%.
    let on_break = s.nth("on_break");
    assert_eq!(rows[on_break].elapsed_percent, 60.0);
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
    s.org.app.finish().await;
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
        assessor: s.assessor,
    };
    let zero = s.nth("zero_progress");
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
    let since = |name: &str| rows[s.nth(name)].off_track_since;
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
    s.org.app.finish().await;
}

/// The enrolment's stored latest figures.
async fn current_row(s: &Scene, enrolment: Uuid) -> TrackRow {
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    stored_tracks::current(&mut tx, enrolment)
        .await
        .unwrap()
        .unwrap()
}

/// The track figures tiles and lists read follow a change at once (issue 22, item 7):
/// the stored row moves with the mapping in the same request, while the day's history
/// and "newly off track" stay the night's.
#[tokio::test]
async fn a_change_during_the_day_moves_the_stored_figures_at_once() {
    let mut s = scene().await;
    recalculate(&s.app, &s.tenant, today()).await;
    let who = s.nth("off_track");
    let l = &s.learners[who];
    let b = Builder {
        app: &s.app,
        tenant: &s.tenant,
        assessor: s.assessor,
    };
    let night = current_row(&s, l.enrolment).await;
    assert_eq!(
        (night.track_status.as_str(), night.off_track_since),
        ("off_track", Some(today()))
    );

    // Three more criteria mapped: 5 of 10 = 50% mapped at 50% elapsed; 50 − 50 = 0 is
    // under the 10-point margin either way: on track, as the change commits.
    b.map(l, s.courses.component, &s.courses.a1[2..5], None)
        .await;
    let now = current_row(&s, l.enrolment).await;
    assert_eq!((now.criteria, now.mapped, now.signed_off), (10, 5, 0));
    assert_eq!(now.mapped_percent, 50.0);
    assert_eq!(now.elapsed_percent, 50.0);
    assert_eq!(
        (now.track_status.as_str(), now.computed_on),
        ("on_track", today())
    );
    // The first night of the spell is the night's alone, and means nothing while on track.
    assert_eq!(now.off_track_since, Some(today()));
    // The learner's page says the same.
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
    assert_eq!(overview["track_status"], "on_track");
    // The night's record of today is left as the night found it.
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    let history = stored_tracks::history(&mut tx, l.enrolment, 30)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].track_status, "off_track");
    drop(tx);

    // Taken back to 2 of 10 = 20%: 50 − 20 = 30 ≥ 10, off track again, still in the spell
    // the night found (no night saw the learner on track)…
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    sqlx::query(
        "delete from criterion_mappings where enrolment_id = $1 and criterion_id = any($2)",
    )
    .bind(l.enrolment)
    .bind(&s.courses.a1[2..5])
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let again = current_row(&s, l.enrolment).await;
    assert_eq!(
        (again.track_status.as_str(), again.off_track_since),
        ("off_track", Some(today()))
    );
    // …so tomorrow's night does not count it as newly off track (no second email): only
    // crosses_grace is (25% elapsed tomorrow, nothing mapped: 25 − 0 ≥ 10).
    let next = recalculate(&s.app, &s.tenant, days_ahead(1)).await;
    assert_eq!(next.newly_off_track, 1);
    assert_eq!(
        current_row(&s, l.enrolment).await.off_track_since,
        Some(today())
    );

    // A sign-off through the API: on_track had 3 of 10 signed off and 2 more mapped; A1's
    // fourth criterion signed off makes 4 signed off and 1 mapped, stored at once.
    let on_track = s.nth("on_track");
    let r = s
        .app
        .authed(
            Method::POST,
            &format!(
                "/api/v1/enrolments/{}/sign-offs",
                s.learners[on_track].enrolment
            ),
            &s.admin,
        )
        .json(&json!({ "criterion_ids": [s.courses.a1[3]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    let signed = current_row(&s, s.learners[on_track].enrolment).await;
    assert_eq!((signed.signed_off, signed.mapped), (4, 1));
    // 4 of 10 = 40% signed off.
    assert_eq!(signed.signed_off_percent, 40.0);

    // A learner enrolled after the night has figures at once, of the night's day
    // (tomorrow's, run above): a 100-day programme starting tomorrow, 0% elapsed, 10
    // criteria, nothing mapped: before the 25% grace, on track.
    let late = enrol(
        &mut s.org,
        ("late_starter", "tom", "ST0001"),
        days_ahead(1),
        days_ahead(101),
    )
    .await;
    let started = current_row(&s, late.enrolment).await;
    assert_eq!(
        (
            started.computed_on,
            started.criteria,
            started.elapsed_percent
        ),
        (days_ahead(1), 10, 0.0)
    );
    assert_eq!(started.track_status, "on_track");

    // A criterion added to unit A1 changes every ST0001 learner's total at once: before_grace
    // had 10 criteria, now 11, nothing mapped (0%).
    let a1 = s.org.course("ST0001").unit("A1").id;
    let r = s
        .app
        .authed(
            Method::POST,
            &format!("/api/v1/units/{a1}/criteria"),
            &s.admin,
        )
        .json(&json!({ "code": "9.9", "text": "A criterion added mid-programme" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let added: Value = r.json().await.unwrap();
    let before_grace = s.nth("before_grace");
    let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
    let changed = stored_tracks::current(&mut tx, s.learners[before_grace].enrolment)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((changed.criteria, changed.mapped_percent), (11, 0.0));
    let marked: i64 = sqlx::query_scalar(
        "select count(*) from enrolment_tracks where figures_stale_in is not null",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    assert_eq!(marked, 0, "nothing is left marked once the change commits");
    drop(tx);
    // Rewording that criterion changes no figure: nobody's row is recomputed.
    let r = s
        .app
        .authed(
            Method::PUT,
            &format!("/api/v1/criteria/{}", added["id"].as_str().unwrap()),
            &s.admin,
        )
        .json(&json!({ "code": "9.9", "text": "Reworded" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let reworded = current_row(&s, s.learners[before_grace].enrolment).await;
    assert_eq!(reworded.updated_at, changed.updated_at);

    // The organisation judges by criteria signed off instead: every row at once. on_track
    // now has 4 of 11 signed off = 36.4% and 5 of 11 = 45.5% with evidence, at 51%
    // elapsed (tomorrow's figures: 51 of its 100 days): 51 − 36.4 = 14.6 ≥ 10, off track
    // (by evidence it was 51 − 45.5 = 5.5 < 10, on track).
    assert_eq!(
        current_row(&s, s.learners[on_track].enrolment)
            .await
            .track_status,
        "on_track"
    );
    let r = s
        .app
        .change_settings(&s.admin, |settings| {
            settings["track"]["basis"] = json!("signed_off");
        })
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let judged = current_row(&s, s.learners[on_track].enrolment).await;
    assert_eq!(judged.elapsed_percent, 51.0);
    assert_eq!(judged.track_status, "off_track");

    // A3, optional and chosen by nobody here, made mandatory: its 3 criteria join every
    // ST0001 learner's total at once. before_grace: 11 + 3 = 14.
    let a3 = s.org.course("ST0001").unit("A3").id;
    let r = s
        .app
        .authed(Method::PUT, &format!("/api/v1/units/{a3}"), &s.admin)
        .json(&json!({ "code": "A3", "title": "A3", "optional": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let widened = current_row(&s, s.learners[before_grace].enrolment).await;
    assert_eq!(widened.criteria, 14);
    // The other tenant's learner, on a course of the same name, is untouched: 10 criteria.
    let mut tx = s
        .app
        .db
        .begin_tenant(s.other_tenant.tenant_id())
        .await
        .unwrap();
    let other: Option<i32> =
        sqlx::query_scalar("select criteria from enrolment_tracks where enrolment_id = $1")
            .bind(s.other_enrolment)
            .fetch_optional(tx.conn())
            .await
            .unwrap();
    assert_ne!(other, Some(11));
    drop(tx);
    s.org.app.finish().await;
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
    s.org.app.finish().await;
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
        let settings = TenantSettings {
            track: *rule,
            ..TenantSettings::default()
        };
        for on in [today(), days_ahead(1)] {
            let mut tx = s.app.db.begin_tenant(s.tenant.tenant_id()).await.unwrap();
            tracks::recalculate(&mut tx, on, &settings).await.unwrap();
            let mut computed = Vec::new();
            for l in &s.learners {
                computed.push(
                    stored_tracks::current(&mut tx, l.enrolment)
                        .await
                        .unwrap()
                        .unwrap(),
                );
            }
            let written = baseline::hand_written_recalculate(&mut tx, on, &settings)
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
                let on_track = s.nth("on_track");
                assert_eq!(computed[on_track].track_status, "off_track", "{on}");
            }
            // Rolled back: each rule starts from the committed default figures.
            drop(tx);
        }
    }
    s.org.app.finish().await;
}
