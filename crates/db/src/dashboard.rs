//! Dashboards: the admin's and the assessor's homepage figures, and the list behind each.
//!
//! Every figure counts the enrolments in progress (awaiting induction, in learning, on a
//! break) within a [`Scope`] — the whole tenant, or the enrolments someone assesses or
//! quality-assures — and is defined once, as a [`Tile`]'s SQL: the counts query and the
//! list query are both built from it, so a tile's count and its list cannot disagree.
//! All counts are one statement; each list is one statement. Off the job behind plan is
//! judged by `folio_domain::off_the_job` (the rule chosen by start date), so its figures
//! come from one set-based query of every enrolment's off-the-job minutes by activity and
//! are judged in Rust ([`otj_behind_plan`]), never a query per enrolment.
//!
//! The rules follow the nightly reminders ([`crate::reminders`]) so a dashboard and the
//! emails agree: "today" is the provider's local date, passed in.

use chrono::{DateTime, Days, NaiveDate, Utc};
use folio_domain::EnrolmentStatus;
use folio_domain::off_the_job::{self, Hours, LoggedTime, OtjEnrolment};
use folio_domain::progress::{Break, breaks_from};
use folio_domain::reviews::{ReviewRule, next_review_due};
use folio_domain::time_log::ActivityType;
use rust_decimal::Decimal;
use sqlx::FromRow;
use uuid::Uuid;

use crate::error::OtherDbError;
use crate::{DbError, DbResult, TenantTx};

/// Whose enrolments a dashboard counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The person looking.
    pub user_id: Uuid,
    /// Every enrolment of the tenant (admins, auditors).
    pub all: bool,
    /// Enrolments they assess.
    pub as_assessor: bool,
    /// Enrolments they quality-assure.
    pub as_iqa: bool,
}

/// What a dashboard shows: a figure with the list behind it, or (`Learners`) a list only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tile {
    /// Enrolments in progress.
    Caseload,
    /// Off track on the latest nightly figures.
    OffTrack,
    /// On track on the latest nightly figures.
    OnTrack,
    /// Ahead on the latest nightly figures.
    Ahead,
    /// Evidence submitted or resubmitted and not yet mapped to any criterion.
    NewEvidenceToReview,
    /// Actions the learner has moved to `in_progress`, waiting for the assessor to mark
    /// them complete.
    ActionsNeedingCompletion,
    /// Sessions starting in the next 14 days without an outcome.
    UpcomingSessions,
    /// Learners in learning whose next progress review is overdue.
    ReviewsOverdue,
    /// Learners awaiting induction past the deadline.
    InductionsOverdue,
    /// Sessions that have ended without an outcome.
    UnclosedSessions,
    /// Actual off-the-job hours below expected to date.
    OtjBehindPlan,
    /// Still in progress after the planned end date.
    PastPlannedEnd,
    /// Every learner in scope with their last sign-in, longest ago first (a list only: its
    /// count is the caseload's).
    Learners,
}

impl Tile {
    /// The figures a dashboard counts, in the order it shows them.
    pub const FIGURES: [Tile; 12] = [
        Tile::Caseload,
        Tile::OffTrack,
        Tile::OnTrack,
        Tile::Ahead,
        Tile::NewEvidenceToReview,
        Tile::ActionsNeedingCompletion,
        Tile::UpcomingSessions,
        Tile::ReviewsOverdue,
        Tile::InductionsOverdue,
        Tile::UnclosedSessions,
        Tile::OtjBehindPlan,
        Tile::PastPlannedEnd,
    ];

    /// Every list, the figures' and `learners`.
    pub const LISTS: [Tile; 13] = [
        Tile::Caseload,
        Tile::OffTrack,
        Tile::OnTrack,
        Tile::Ahead,
        Tile::NewEvidenceToReview,
        Tile::ActionsNeedingCompletion,
        Tile::UpcomingSessions,
        Tile::ReviewsOverdue,
        Tile::InductionsOverdue,
        Tile::UnclosedSessions,
        Tile::OtjBehindPlan,
        Tile::PastPlannedEnd,
        Tile::Learners,
    ];

    /// The stable key, as sent over the API.
    pub fn key(self) -> &'static str {
        match self {
            Tile::Caseload => "caseload",
            Tile::OffTrack => "off_track",
            Tile::OnTrack => "on_track",
            Tile::Ahead => "ahead",
            Tile::NewEvidenceToReview => "new_evidence_to_review",
            Tile::ActionsNeedingCompletion => "actions_needing_completion",
            Tile::UpcomingSessions => "upcoming_sessions",
            Tile::ReviewsOverdue => "reviews_overdue",
            Tile::InductionsOverdue => "inductions_overdue",
            Tile::UnclosedSessions => "unclosed_sessions",
            Tile::OtjBehindPlan => "otj_behind_plan",
            Tile::PastPlannedEnd => "past_planned_end",
            Tile::Learners => "learners",
        }
    }

    /// The list named `key`, if there is one.
    pub fn from_key(key: &str) -> Option<Tile> {
        Tile::LISTS.into_iter().find(|t| t.key() == key)
    }

    /// The tile's rows in SQL over `scoped s` (the enrolments in scope), or `None` for
    /// off the job, which is judged in Rust.
    fn sql(self) -> Option<TileSql> {
        let track = |status: &'static str, order: &'static str| {
            TileSql {
            from: "join enrolment_tracks t on t.tenant_id = s.tenant_id and t.enrolment_id = s.enrolment_id",
            filter: status,
            extra_from: "",
            extras: "t.track_status,
                     case when t.track_status = 'off_track' then t.off_track_since end as off_track_since,
                     t.elapsed_percent, t.computed_on, t.past_end,
                     case when $10 then t.signed_off_percent else t.mapped_percent end as progress_percent",
            order,
        }
        };
        let sessions = |filter: &'static str| TileSql {
            from: "join learning_sessions x on x.tenant_id = s.tenant_id and x.enrolment_id = s.enrolment_id",
            filter,
            extra_from: "",
            extras: "x.id as item_id, x.session_type, x.starts_at",
            order: "starts_at, learner_name, item_id",
        };
        Some(match self {
            Tile::Caseload => TileSql {
                from: "",
                filter: "true",
                extra_from: "",
                extras: "",
                order: "learner_name, enrolment_id",
            },
            Tile::Learners => TileSql {
                from: "",
                filter: "true",
                extra_from: "",
                extras: "",
                order: "last_login_at nulls first, learner_name, enrolment_id",
            },
            Tile::OffTrack => track(
                "t.track_status = 'off_track'",
                "off_track_since, learner_name, enrolment_id",
            ),
            Tile::OnTrack => track("t.track_status = 'on_track'", "learner_name, enrolment_id"),
            Tile::Ahead => track("t.track_status = 'ahead'", "learner_name, enrolment_id"),
            // Mapping is the assessor's review: evidence nobody has mapped yet (and so
            // nobody has signed off, which needs a mapping) and that is not back with the
            // learner for improvement is new to them.
            Tile::NewEvidenceToReview => TileSql {
                from: "join evidence ev on ev.tenant_id = s.tenant_id and ev.enrolment_id = s.enrolment_id",
                filter: "ev.status in ('submitted', 'resubmitted')
                         and not exists (select 1 from criterion_mappings m
                                         where m.tenant_id = ev.tenant_id and m.evidence_id = ev.id)",
                extra_from: "",
                extras: "ev.id as item_id, ev.title,
                         (select max(v.uploaded_at) from evidence_versions v
                          where v.tenant_id = ev.tenant_id and v.evidence_id = ev.id) as submitted_at",
                order: "submitted_at, learner_name, item_id",
            },
            // The seed product's learner reports progress (feedback, time spent) and moves
            // the action to In Progress; only the assessor then marks it complete.
            Tile::ActionsNeedingCompletion => TileSql {
                from: "join actions x on x.tenant_id = s.tenant_id and x.enrolment_id = s.enrolment_id",
                filter: "x.status = 'in_progress'",
                extra_from: "",
                extras: "x.id as item_id, x.title, x.target_date as due_date, x.time_spent_minutes",
                order: "due_date, learner_name, item_id",
            },
            Tile::UpcomingSessions => sessions(
                "x.outcome is null and x.starts_at >= $7
                 and x.starts_at < $7 + make_interval(days => 14)",
            ),
            Tile::UnclosedSessions => sessions(
                "x.outcome is null and x.starts_at + make_interval(mins => x.duration_minutes) < $7",
            ),
            // As `reminders::inductions_overdue`.
            Tile::InductionsOverdue => TileSql {
                from: "",
                filter: "s.enrolment_status = 'awaiting_induction' and s.start_date + $9::int < $6",
                extra_from: "",
                extras: "s.start_date + $9::int as due_date,
                         (select min((b.starts_at at time zone tenant_tz($1))::date) from learning_sessions b
                          where b.tenant_id = s.tenant_id and b.enrolment_id = s.enrolment_id
                            and b.session_type = 'induction' and b.outcome is null) as booked",
                order: "due_date, learner_name, enrolment_id",
            },
            Tile::PastPlannedEnd => TileSql {
                from: "",
                filter: "s.planned_end_date < $6",
                extra_from: "",
                extras: "s.planned_end_date as due_date",
                order: "due_date, learner_name, enrolment_id",
            },
            // Computed in Rust by the domain's rules: see [`rust_tile`].
            Tile::OtjBehindPlan | Tile::ReviewsOverdue => return None,
        })
    }
}

/// One tile's rows: `select … from scoped s {from} {extra_from} where {filter}`. The count
/// leaves out `extra_from`, which only feeds `extras` (output columns of the list).
struct TileSql {
    from: &'static str,
    filter: &'static str,
    extra_from: &'static str,
    extras: &'static str,
    /// By output column names.
    order: &'static str,
}

/// The enrolments in progress in scope, with the learner, course and assessor. Binds: $1
/// tenant, $2 all, $3 as assessor, $4 as IQA, $5 the person, $6 today (local date), $7
/// now, $8 review frequency in weeks, $9 induction deadline in days, $10 whether track
/// progress is signed off (else mapped).
const SCOPED: &str = "scoped as (
    select e.tenant_id, e.id as enrolment_id, e.learner_id, l.name as learner_name,
           c.title as course_title, e.assessor_id, a.name as assessor_name,
           e.status as enrolment_status, e.start_date, e.planned_end_date,
           e.learning_started_on, l.last_login_at, e.planned_otj_hours,
           e.contracted_hours_per_week, e.completed_on, e.withdrawn_on, e.agreed_review_weeks
    from enrolments e
    join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id
    join courses c on c.tenant_id = e.tenant_id and c.id = e.course_id
    left join users a on a.tenant_id = e.tenant_id and a.id = e.assessor_id
    where e.tenant_id = $1
      and e.status in ('awaiting_induction', 'in_learning', 'break_in_learning')
      and ($2 or ($3 and e.assessor_id = $5) or ($4 and e.iqa_id = $5)))";

/// The columns every list row has.
const BASE: &str = "s.enrolment_id, s.learner_id, s.learner_name, s.course_title, s.assessor_id,
    s.assessor_name, s.enrolment_status, s.start_date, s.planned_end_date, s.last_login_at";

/// The tenant settings and clock the rules need.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The provider's local date.
    pub today: NaiveDate,
    /// Now, for sessions (instants).
    pub now: DateTime<Utc>,
    /// Progress reviews at least this often.
    pub review_frequency_weeks: u32,
    /// Induction within this many days of the start.
    pub induction_within_days: u32,
    /// Track progress is signed off % (else mapped %).
    pub signed_off_basis: bool,
}

/// The statement with the binds [`SCOPED`] names.
fn query<'q, O>(
    sql: String,
    tenant: Uuid,
    scope: Scope,
    rules: &Rules,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>
where
    O: for<'r> FromRow<'r, sqlx::postgres::PgRow>,
{
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(scope.all)
        .bind(scope.as_assessor)
        .bind(scope.as_iqa)
        .bind(scope.user_id)
        .bind(rules.today)
        .bind(rules.now)
        .bind(i32::try_from(rules.review_frequency_weeks).unwrap_or(i32::MAX))
        .bind(i32::try_from(rules.induction_within_days).unwrap_or(i32::MAX))
        .bind(rules.signed_off_basis)
}

/// The counts of every tile but off the job, in [`Tile::FIGURES`] order without it.
#[derive(Debug, FromRow)]
struct CountsRow {
    counts: Vec<i64>,
    figures_as_of: Option<NaiveDate>,
}

/// A dashboard's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Each of [`Tile::FIGURES`] with its count, in that order.
    pub counts: Vec<(Tile, i64)>,
    /// The day of the newest nightly track figures in scope; `None` if never computed.
    pub figures_as_of: Option<NaiveDate>,
}

/// Every tile's count but off the job's, and the day of the track figures, in one
/// statement.
async fn sql_counts(tx: &mut TenantTx, scope: Scope, rules: &Rules) -> DbResult<CountsRow> {
    let tenant = tx.tenant();
    let counts = Tile::FIGURES
        .into_iter()
        .filter_map(Tile::sql)
        .map(|t| {
            format!(
                "(select count(*) from scoped s {} where {})",
                t.from, t.filter
            )
        })
        .collect::<Vec<_>>()
        .join(",\n");
    let sql = format!(
        "with {SCOPED}
         select array[{counts}]::int8[] as counts,
                (select max(t.computed_on) from scoped s
                 join enrolment_tracks t on t.tenant_id = s.tenant_id
                                        and t.enrolment_id = s.enrolment_id) as figures_as_of"
    );
    Ok(query(sql, tenant.0, scope, rules)
        .fetch_one(tx.conn())
        .await?)
}

/// The dashboard's figures: one statement for every SQL tile, one for off the job.
pub async fn figures(tx: &mut TenantTx, scope: Scope, rules: &Rules) -> DbResult<Figures> {
    let row = sql_counts(tx, scope, rules).await?;
    let mut sql_counts = row.counts.into_iter();
    let mut counts = Vec::new();
    for tile in Tile::FIGURES {
        let n = match rust_tile(tx, tile, scope, rules).await? {
            Some(rows) => i64::try_from(rows.len()).unwrap_or(i64::MAX),
            None => sql_counts.next().unwrap_or_default(),
        };
        counts.push((tile, n));
    }
    Ok(Figures {
        counts,
        figures_as_of: row.figures_as_of,
    })
}

/// A row of a dashboard list: the enrolment and the people around it, and the tile's own
/// fields (absent for other tiles).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct Row {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// The learner.
    pub learner_id: Uuid,
    /// Their name.
    pub learner_name: String,
    /// The course's title.
    pub course_title: String,
    /// The assessor, if any.
    pub assessor_id: Option<Uuid>,
    /// Their name.
    pub assessor_name: Option<String>,
    /// The enrolment's status.
    pub enrolment_status: String,
    /// The start date.
    pub start_date: NaiveDate,
    /// The planned end date.
    pub planned_end_date: NaiveDate,
    /// The learner's last sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// The evidence, action or session the row is about.
    #[sqlx(default)]
    pub item_id: Option<Uuid>,
    /// The evidence's or action's title.
    #[sqlx(default)]
    pub title: Option<String>,
    /// The session's type.
    #[sqlx(default)]
    pub session_type: Option<String>,
    /// When the session starts.
    #[sqlx(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// When the evidence's latest version was uploaded.
    #[sqlx(default)]
    pub submitted_at: Option<DateTime<Utc>>,
    /// The date the row is late or due by: the review or induction due date, the action's
    /// target date, the planned end date.
    #[sqlx(default)]
    pub due_date: Option<NaiveDate>,
    /// The last attended review.
    #[sqlx(default)]
    pub last_review: Option<NaiveDate>,
    /// The next review or induction booked and not yet held.
    #[sqlx(default)]
    pub booked: Option<NaiveDate>,
    /// The latest track status.
    #[sqlx(default)]
    pub track_status: Option<String>,
    /// The first day of the current off-track spell.
    #[sqlx(default)]
    pub off_track_since: Option<NaiveDate>,
    /// Time elapsed, percent.
    #[sqlx(default)]
    pub elapsed_percent: Option<f64>,
    /// Progress on the tenant's track basis, percent.
    #[sqlx(default)]
    pub progress_percent: Option<f64>,
    /// The day the track figures are for.
    #[sqlx(default)]
    pub computed_on: Option<NaiveDate>,
    /// On that day the planned end (moved on by breaks in learning) had passed.
    #[sqlx(default)]
    pub past_end: Option<bool>,
    /// Time the learner spent on the action.
    #[sqlx(default)]
    pub time_spent_minutes: Option<i32>,
    /// Off-the-job hours expected to date.
    #[sqlx(skip)]
    pub otj_expected: Option<Hours>,
    /// Off-the-job hours that count, logged so far.
    #[sqlx(skip)]
    pub otj_actual: Option<Hours>,
}

/// One page of a list: up to `limit` rows after the first `offset`, and whether more
/// follow. Lists are paged by position: a dashboard is a snapshot that changes as work is
/// done, and each list has its own order.
pub async fn list(
    tx: &mut TenantTx,
    tile: Tile,
    scope: Scope,
    rules: &Rules,
    offset: i64,
    limit: i64,
) -> DbResult<crate::pagination::Page<Row>> {
    let offset = offset.max(0);
    let Some(t) = tile.sql() else {
        let rows = rust_tile(tx, tile, scope, rules).await?.unwrap_or_default();
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
        let rows = rows.into_iter().skip(skip).take(take).collect();
        return Ok(crate::pagination::Page::from_overfetch(rows, limit));
    };
    let tenant = tx.tenant();
    let extras = if t.extras.is_empty() {
        String::new()
    } else {
        format!(", {}", t.extras)
    };
    let sql = format!(
        "with {SCOPED}
         select {BASE}{extras}
         from scoped s {} {}
         where {}
         order by {}
         limit $11 offset $12",
        t.from, t.extra_from, t.filter, t.order
    );
    let rows: Vec<Row> = query(sql, tenant.0, scope, rules)
        .bind(limit.saturating_add(1))
        .bind(offset)
        .fetch_all(tx.conn())
        .await?;
    Ok(crate::pagination::Page::from_overfetch(rows, limit))
}

/// The rows of a tile computed in Rust by the domain's rules (off the job behind plan,
/// reviews overdue); `None` for a tile computed in SQL.
async fn rust_tile(
    tx: &mut TenantTx,
    tile: Tile,
    scope: Scope,
    rules: &Rules,
) -> DbResult<Option<Vec<Row>>> {
    Ok(match tile {
        Tile::OtjBehindPlan => Some(otj_behind_plan(tx, scope, rules).await?),
        Tile::ReviewsOverdue => Some(reviews_overdue(tx, scope, rules).await?),
        _ => None,
    })
}

/// An enrolment in learning in scope with what its next review's due date is worked out
/// from, as `reminders::review_candidates` reads it.
#[derive(Debug, FromRow)]
struct ReviewClock {
    #[sqlx(flatten)]
    row: Row,
    since: NaiveDate,
    agreed_review_weeks: Option<i16>,
    break_starts: Vec<NaiveDate>,
    break_ends: Vec<Option<NaiveDate>>,
}

/// The enrolments in learning in scope whose next progress review is overdue on the
/// provider's today, soonest due first: the due date from `folio_domain::reviews` (the
/// rule of the start date or the frequency agreed with the employer, breaks paused), as
/// the nightly reminders judge it.
async fn reviews_overdue(tx: &mut TenantTx, scope: Scope, rules: &Rules) -> DbResult<Vec<Row>> {
    let tenant = tx.tenant();
    let sql = format!(
        "with {SCOPED}
         select {BASE}, lr.last_review, bk.booked,
                coalesce(lr.last_review, s.learning_started_on, s.start_date) as since,
                s.agreed_review_weeks,
                array(select k.started_on from enrolment_breaks k
                      where k.tenant_id = s.tenant_id and k.enrolment_id = s.enrolment_id
                      order by k.started_on, k.id) as break_starts,
                array(select k.ended_on from enrolment_breaks k
                      where k.tenant_id = s.tenant_id and k.enrolment_id = s.enrolment_id
                      order by k.started_on, k.id) as break_ends
         from scoped s
         left join lateral (
             select max((r.starts_at at time zone tenant_tz($1))::date) as last_review
             from learning_sessions r
             where r.tenant_id = s.tenant_id and r.enrolment_id = s.enrolment_id
               and r.session_type = 'review' and r.outcome = 'attended') lr on true
         left join lateral (
             select min((b.starts_at at time zone tenant_tz($1))::date) as booked
             from learning_sessions b
             where b.tenant_id = s.tenant_id and b.enrolment_id = s.enrolment_id
               and b.session_type = 'review' and b.outcome is null
               and (b.starts_at at time zone tenant_tz($1))::date >= $6) bk on true
         where s.enrolment_status = 'in_learning'"
    );
    let clocks: Vec<ReviewClock> = query(sql, tenant.0, scope, rules)
        .fetch_all(tx.conn())
        .await?;
    let mut overdue: Vec<Row> = clocks
        .into_iter()
        .filter_map(|c| {
            let rule = ReviewRule::for_enrolment(
                c.row.start_date,
                rules.review_frequency_weeks,
                c.agreed_review_weeks.and_then(|w| u32::try_from(w).ok()),
            );
            let breaks: Vec<Break> = breaks_from(&c.break_starts, &c.break_ends);
            let due = next_review_due(rule, c.since, &breaks)?;
            (due < rules.today).then_some(Row {
                due_date: Some(due),
                ..c.row
            })
        })
        .collect();
    overdue.sort_by(|a, b| {
        (a.due_date, &a.learner_name, a.enrolment_id).cmp(&(
            b.due_date,
            &b.learner_name,
            b.enrolment_id,
        ))
    });
    Ok(overdue)
}

/// An enrolment in scope with its off-the-job time summed by activity type and by whether
/// it was logged after the gateway (completion), as the compliance workbook sums it.
#[derive(Debug, FromRow)]
struct OtjTotals {
    #[sqlx(flatten)]
    row: Row,
    planned_otj_hours: Decimal,
    contracted_hours_per_week: Decimal,
    completed_on: Option<NaiveDate>,
    withdrawn_on: Option<NaiveDate>,
    activities: Vec<String>,
    english_maths: Vec<bool>,
    after_gateway: Vec<bool>,
    minutes: Vec<i64>,
    break_starts: Vec<NaiveDate>,
    break_ends: Vec<Option<NaiveDate>>,
}

fn decode(message: String) -> DbError {
    DbError::Other(OtherDbError(sqlx::Error::Decode(message.into())))
}

fn hundredths(d: Decimal) -> DbResult<Hours> {
    i64::try_from((d * Decimal::ONE_HUNDRED).round())
        .map(Hours::from_hundredths)
        .map_err(|_| decode(format!("hours out of range: {d}")))
}

impl OtjTotals {
    /// The domain's figures, from the sums: one synthetic entry per (activity, English or
    /// maths, before or after gateway) group, dated so the gateway cut-off sees it on the
    /// right side.
    fn figures(&self, today: NaiveDate) -> DbResult<off_the_job::OtjFigures> {
        let status: EnrolmentStatus = self
            .row
            .enrolment_status
            .parse()
            .map_err(|_| decode(format!("unknown status `{}`", self.row.enrolment_status)))?;
        let gateway = self.completed_on;
        let entries = self
            .activities
            .iter()
            .zip(&self.english_maths)
            .zip(&self.after_gateway)
            .zip(&self.minutes)
            .map(|(((activity, &english_maths), &after), &minutes)| {
                let activity: ActivityType = activity
                    .parse()
                    .map_err(|_| decode(format!("unknown activity `{activity}`")))?;
                let date = match gateway {
                    Some(g) if after => g.checked_add_days(Days::new(1)).unwrap_or(g),
                    Some(g) => g,
                    None => self.row.start_date,
                };
                Ok(LoggedTime {
                    id: Uuid::nil(),
                    date,
                    activity,
                    off_the_job: true,
                    english_maths,
                    minutes,
                })
            })
            .collect::<DbResult<Vec<_>>>()?;
        let enrolment = OtjEnrolment {
            start: self.row.start_date,
            planned_end: self.row.planned_end_date,
            status,
            ended_on: self.completed_on.or(self.withdrawn_on),
            gateway,
            contracted_per_week: hundredths(self.contracted_hours_per_week)?,
            planned: hundredths(self.planned_otj_hours)?,
            // Only the required minimum needs these, and "behind" compares actual with
            // expected to date, which does not.
            published_minimum: None,
            rpl: Hours::default(),
            breaks: breaks_from(&self.break_starts, &self.break_ends),
        };
        Ok(off_the_job::figures(&enrolment, &entries, today))
    }
}

/// The enrolments in scope whose actual off-the-job hours are below expected to date, most
/// hours behind first. One statement reads every enrolment in scope with its off-the-job
/// minutes summed by activity; `folio_domain::off_the_job::figures` (what
/// `GET /enrolments/{id}/off-the-job` shows, on the provider's local date) judges each.
pub async fn otj_behind_plan(tx: &mut TenantTx, scope: Scope, rules: &Rules) -> DbResult<Vec<Row>> {
    let tenant = tx.tenant();
    let sql = format!(
        "with {SCOPED},
         sums as (
             select t.enrolment_id, t.activity_type,
                    coalesce(p.english_maths, false) as english_maths,
                    t.entry_date > coalesce(s.completed_on, 'infinity'::date) as after_gateway,
                    sum(t.minutes)::int8 as minutes
             from scoped s
             join time_log_entries t on t.tenant_id = s.tenant_id and t.enrolment_id = s.enrolment_id
             -- English or maths by the entry's component, or its unit's.
             left join units eu on eu.tenant_id = t.tenant_id and eu.id = t.unit_id
             left join components p on p.tenant_id = t.tenant_id
                  and p.id = coalesce(t.component_id, eu.component_id)
             where t.off_the_job
             group by 1, 2, 3, 4
         ),
         grouped as (
             select enrolment_id, array_agg(activity_type) as activities,
                    array_agg(english_maths) as english_maths,
                    array_agg(after_gateway) as after_gateway, array_agg(minutes) as minutes
             from sums
             group by enrolment_id
         )
         select {BASE}, s.planned_otj_hours, s.contracted_hours_per_week, s.completed_on,
                s.withdrawn_on,
                coalesce(g.activities, '{{}}') as activities,
                coalesce(g.english_maths, '{{}}') as english_maths,
                coalesce(g.after_gateway, '{{}}') as after_gateway,
                coalesce(g.minutes, '{{}}') as minutes,
                array(select b.started_on from enrolment_breaks b
                      where b.tenant_id = s.tenant_id and b.enrolment_id = s.enrolment_id
                      order by b.started_on, b.id) as break_starts,
                array(select b.ended_on from enrolment_breaks b
                      where b.tenant_id = s.tenant_id and b.enrolment_id = s.enrolment_id
                      order by b.started_on, b.id) as break_ends
         from scoped s
         left join grouped g on g.enrolment_id = s.enrolment_id"
    );
    let totals: Vec<OtjTotals> = query(sql, tenant.0, scope, rules)
        .fetch_all(tx.conn())
        .await?;
    let mut behind = Vec::new();
    for t in totals {
        let f = t.figures(rules.today)?;
        if f.behind_expected {
            let mut row = t.row;
            row.otj_expected = Some(f.expected_to_date);
            row.otj_actual = Some(f.actual.hours);
            behind.push(row);
        }
    }
    let shortfall = |r: &Row| {
        r.otj_expected.unwrap_or_default().hundredths()
            - r.otj_actual.unwrap_or_default().hundredths()
    };
    behind.sort_by(|a, b| {
        shortfall(b)
            .cmp(&shortfall(a))
            .then_with(|| a.learner_name.cmp(&b.learner_name))
            .then_with(|| a.enrolment_id.cmp(&b.enrolment_id))
    });
    Ok(behind)
}
