//! What the nightly reminder jobs tell people about, each found by one set-based query over
//! the tenant: overdue actions, progress reviews due, inductions overdue, unclosed sessions
//! and learners without active learning. Only enrolments still in progress (awaiting
//! induction, in learning, on a break) are considered; a finished learner is never chased,
//! and a learner on a break in learning is not chased about overdue actions or being off
//! track while it lasts.
//!
//! "Today" is the provider's local date, passed in by the job, never the database's clock,
//! so a run for a given day finds the same things whenever it runs.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::settings::TENANT_TZ;
use crate::{DbResult, TenantTx};

/// The enrolment, its learner, course and assessor, joined the same way by every query:
/// `e` enrolments, `l` the learner, `c` the course, `a` the assessor (if any).
const ENROLMENT: &str = "from enrolments e
     join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id
     join courses c on c.tenant_id = e.tenant_id and c.id = e.course_id
     left join users a on a.tenant_id = e.tenant_id and a.id = e.assessor_id";

/// Statuses of an enrolment still in progress.
const IN_PROGRESS: &str = "e.status in ('awaiting_induction', 'in_learning', 'break_in_learning')";

/// Statuses of an enrolment whose learner may be chased: in progress and not on a break in
/// learning ("no chasing e-mails are sent" during a break).
const CHASED: &str = "e.status in ('awaiting_induction', 'in_learning')";

/// Who an item concerns: the enrolment and the people around it.
#[derive(Debug, Clone, FromRow)]
pub struct Learner {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// The learner.
    pub learner_id: Uuid,
    /// Their name.
    pub learner_name: String,
    /// The course's title.
    pub course_title: String,
    /// The enrolment's assessor, if it has one.
    pub assessor_id: Option<Uuid>,
    /// Their name.
    pub assessor_name: Option<String>,
}

/// An action past its target date and not complete.
#[derive(Debug, Clone, FromRow)]
pub struct OverdueAction {
    /// Whose it is.
    #[sqlx(flatten)]
    pub learner: Learner,
    /// The action.
    pub action_id: Uuid,
    /// Its title.
    pub title: String,
    /// Its target date.
    pub target_date: NaiveDate,
}

/// Every overdue action of an enrolment in progress on `today`, oldest target first.
pub async fn overdue_actions(tx: &mut TenantTx, today: NaiveDate) -> DbResult<Vec<OverdueAction>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select e.id as enrolment_id, l.id as learner_id, l.name as learner_name,
                c.title as course_title, a.id as assessor_id, a.name as assessor_name,
                x.id as action_id, x.title, x.target_date
         {ENROLMENT}
         join actions x on x.tenant_id = e.tenant_id and x.enrolment_id = e.id
         where e.tenant_id = $1 and {CHASED}
           and x.status <> 'complete' and x.target_date < $2
         order by x.target_date, l.name, x.title, x.id"
    )))
    .bind(tenant.0)
    .bind(today)
    .fetch_all(tx.conn())
    .await?)
}

/// A learner in learning, with what their next progress review's due date is worked out
/// from (`folio_domain::reviews`).
#[derive(Debug, Clone, FromRow)]
pub struct ReviewCandidate {
    /// Whose it is.
    #[sqlx(flatten)]
    pub learner: Learner,
    /// The start date (chooses the review rule).
    pub start_date: NaiveDate,
    /// The last attended review, if any.
    pub last_review: Option<NaiveDate>,
    /// Where the review clock starts: the last attended review, else the start of
    /// learning (the attended induction), else the start date.
    pub since: NaiveDate,
    /// The frequency agreed with the employer, in weeks, if one is recorded.
    pub agreed_review_weeks: Option<i16>,
    /// First days of the enrolment's breaks in learning, oldest first.
    pub break_starts: Vec<NaiveDate>,
    /// Their first days back (none while a break lasts).
    pub break_ends: Vec<Option<NaiveDate>>,
    /// The next review booked and not yet held (from `today` on), if any.
    pub booked: Option<NaiveDate>,
}

/// Every enrolment in learning with its last attended review, the start of its review
/// clock, its agreed frequency, breaks and next booked review: one statement for the
/// tenant. A learner on a break or awaiting induction is not reviewed. Which of them are
/// due is the domain's rule, applied by the caller.
pub async fn review_candidates(
    tx: &mut TenantTx,
    today: NaiveDate,
) -> DbResult<Vec<ReviewCandidate>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select e.id as enrolment_id, l.id as learner_id, l.name as learner_name,
                c.title as course_title, a.id as assessor_id, a.name as assessor_name,
                e.start_date, r.last_review,
                coalesce(r.last_review, e.learning_started_on, e.start_date) as since,
                e.agreed_review_weeks,
                array(select k.started_on from enrolment_breaks k
                      where k.tenant_id = e.tenant_id and k.enrolment_id = e.id
                      order by k.started_on, k.id) as break_starts,
                array(select k.ended_on from enrolment_breaks k
                      where k.tenant_id = e.tenant_id and k.enrolment_id = e.id
                      order by k.started_on, k.id) as break_ends,
                b.booked
         {ENROLMENT}
         left join lateral (
             select max((s.starts_at at time zone {TENANT_TZ})::date) as last_review
             from learning_sessions s
             where s.tenant_id = e.tenant_id and s.enrolment_id = e.id
               and s.session_type = 'review' and s.outcome = 'attended') r on true
         left join lateral (
             select min((s.starts_at at time zone {TENANT_TZ})::date) as booked
             from learning_sessions s
             where s.tenant_id = e.tenant_id and s.enrolment_id = e.id
               and s.session_type = 'review' and s.outcome is null
               and (s.starts_at at time zone {TENANT_TZ})::date >= $2) b on true
         where e.tenant_id = $1 and e.status = 'in_learning'
         order by l.name, e.id"
    )))
    .bind(tenant.0)
    .bind(today)
    .fetch_all(tx.conn())
    .await?)
}

/// A learner still awaiting induction past the deadline.
#[derive(Debug, Clone, FromRow)]
pub struct InductionOverdue {
    /// Whose it is.
    #[sqlx(flatten)]
    pub learner: Learner,
    /// The start date.
    pub start_date: NaiveDate,
    /// The last day the induction was due.
    pub due: NaiveDate,
    /// An induction booked and not yet held, if any.
    pub booked: Option<NaiveDate>,
}

/// Learners awaiting induction whose deadline (start + `within_days`) has passed on
/// `today`. (An attended induction moves an enrolment into learning, so the status says
/// whether one has been held.)
pub async fn inductions_overdue(
    tx: &mut TenantTx,
    today: NaiveDate,
    within_days: u32,
) -> DbResult<Vec<InductionOverdue>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select e.id as enrolment_id, l.id as learner_id, l.name as learner_name,
                c.title as course_title, a.id as assessor_id, a.name as assessor_name,
                e.start_date, e.start_date + $3::int as due,
                (select min((s.starts_at at time zone {TENANT_TZ})::date) from learning_sessions s
                 where s.tenant_id = e.tenant_id and s.enrolment_id = e.id
                   and s.session_type = 'induction' and s.outcome is null) as booked
         {ENROLMENT}
         where e.tenant_id = $1 and e.status = 'awaiting_induction'
           and e.start_date + $3::int < $2
         order by e.start_date, l.name, e.id"
    )))
    .bind(tenant.0)
    .bind(today)
    .bind(i32::try_from(within_days).unwrap_or(i32::MAX))
    .fetch_all(tx.conn())
    .await?)
}

/// A session that has ended without an outcome.
#[derive(Debug, Clone, FromRow)]
pub struct UnclosedSession {
    /// Whose it is. (The digest goes to the session's own assessor, below, who booked it.)
    #[sqlx(flatten)]
    pub learner: Learner,
    /// The session.
    pub session_id: Uuid,
    /// The assessor the session is with.
    pub session_assessor_id: Uuid,
    /// Its type.
    pub session_type: String,
    /// When it started.
    pub starts_at: DateTime<Utc>,
}

/// Sessions that ended before `now` and have no outcome recorded.
pub async fn unclosed_sessions(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
) -> DbResult<Vec<UnclosedSession>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select e.id as enrolment_id, l.id as learner_id, l.name as learner_name,
                c.title as course_title, a.id as assessor_id, a.name as assessor_name,
                s.id as session_id, s.assessor_id as session_assessor_id, s.session_type,
                s.starts_at
         {ENROLMENT}
         join learning_sessions s on s.tenant_id = e.tenant_id and s.enrolment_id = e.id
         where e.tenant_id = $1 and {IN_PROGRESS} and s.outcome is null
           and s.starts_at + make_interval(mins => s.duration_minutes) < $2
         order by s.starts_at, l.name, s.id"
    )))
    .bind(tenant.0)
    .bind(now)
    .fetch_all(tx.conn())
    .await?)
}

/// A learner in learning with no sign of active learning for a while.
#[derive(Debug, Clone, FromRow)]
pub struct Inactive {
    /// Whose it is.
    #[sqlx(flatten)]
    pub learner: Learner,
    /// The last day anything happened, if anything ever did.
    pub last_activity: Option<NaiveDate>,
}

/// Learners in learning, started (or back from their last break in learning) at least
/// `weeks` before `today`, with no active learning in the `weeks` before it (a break
/// pauses the check: nothing is asked of a learner on one, nor in their first weeks back): no evidence uploaded (or resubmitted), no time logged, no
/// criterion signed off, no session attended. The funding rules ask for evidence of active
/// learning at least every 4 weeks, else a break in learning is considered.
pub async fn without_active_learning(
    tx: &mut TenantTx,
    today: NaiveDate,
    weeks: u32,
) -> DbResult<Vec<Inactive>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select * from (
             select e.id as enrolment_id, l.id as learner_id, l.name as learner_name,
                    c.title as course_title, a.id as assessor_id, a.name as assessor_name,
                    greatest(
                        (select max((v.uploaded_at at time zone {TENANT_TZ})::date)
                         from evidence ev join evidence_versions v
                              on v.tenant_id = ev.tenant_id and v.evidence_id = ev.id
                         where ev.tenant_id = e.tenant_id and ev.enrolment_id = e.id),
                        (select max(t.entry_date) from time_log_entries t
                         where t.tenant_id = e.tenant_id and t.enrolment_id = e.id),
                        (select max((so.signed_off_at at time zone {TENANT_TZ})::date)
                         from criterion_sign_offs so
                         where so.tenant_id = e.tenant_id and so.enrolment_id = e.id),
                        (select max((s.starts_at at time zone {TENANT_TZ})::date)
                         from learning_sessions s
                         where s.tenant_id = e.tenant_id and s.enrolment_id = e.id
                           and s.outcome = 'attended')) as last_activity,
                    -- The check's clock starts again at the return from a break.
                    greatest(coalesce(e.learning_started_on, e.start_date),
                             (select max(k.ended_on) from enrolment_breaks k
                              where k.tenant_id = e.tenant_id and k.enrolment_id = e.id)) as started
             {ENROLMENT}
             where e.tenant_id = $1 and e.status = 'in_learning') d
         where d.started <= $2 - make_interval(weeks => $3)
           and (d.last_activity is null or d.last_activity <= $2 - make_interval(weeks => $3))
         order by d.last_activity nulls first, d.learner_name, d.enrolment_id"
    )))
    .bind(tenant.0)
    .bind(today)
    .bind(i32::try_from(weeks).unwrap_or(i32::MAX))
    .fetch_all(tx.conn())
    .await?)
}

/// The people in the tenant who have turned digests off.
pub async fn digests_off(tx: &mut TenantTx) -> DbResult<HashSet<Uuid>> {
    let tenant = tx.tenant();
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select user_id from notification_preferences where tenant_id = $1 and not digests",
    )
    .bind(tenant.0)
    .fetch_all(tx.conn())
    .await?;
    Ok(ids.into_iter().collect())
}

/// Whether a person receives digests (the default).
pub async fn digests_on(tx: &mut TenantTx, user_id: Uuid) -> DbResult<bool> {
    let tenant = tx.tenant();
    let off: Option<bool> = sqlx::query_scalar(
        "select not digests from notification_preferences where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant.0)
    .bind(user_id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(!off.unwrap_or(false))
}

/// Turns a person's digests on or off.
pub async fn set_digests(tx: &mut TenantTx, user_id: Uuid, on: bool) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into notification_preferences (tenant_id, user_id, digests) values ($1, $2, $3)
         on conflict (tenant_id, user_id)
         do update set digests = excluded.digests, updated_at = now()",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(on)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A learner off track on the night's figures.
#[derive(Debug, Clone, FromRow)]
pub struct OffTrack {
    /// Whose it is.
    #[sqlx(flatten)]
    pub learner: Learner,
    /// The first night of the current off-track spell, as the nights found it; none when
    /// a change since the night's run took the learner off track.
    pub off_track_since: Option<NaiveDate>,
    /// Time elapsed, percent.
    pub elapsed_percent: f64,
    /// Progress on the tenant's basis, percent.
    pub progress_percent: f64,
    /// The planned end date.
    pub planned_end_date: NaiveDate,
}

/// Enrolments in progress that the recalculation for `on` found off track. Progress is
/// the figure the tenant's rule judges by (`signed_off` or else mapped).
pub async fn off_track(
    tx: &mut TenantTx,
    on: NaiveDate,
    signed_off_basis: bool,
) -> DbResult<Vec<OffTrack>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select e.id as enrolment_id, l.id as learner_id, l.name as learner_name,
                c.title as course_title, a.id as assessor_id, a.name as assessor_name,
                t.off_track_since, t.elapsed_percent,
                case when $3 then t.signed_off_percent else t.mapped_percent end as progress_percent,
                e.planned_end_date
         {ENROLMENT}
         join enrolment_tracks t on t.tenant_id = e.tenant_id and t.enrolment_id = e.id
         where e.tenant_id = $1 and {CHASED}
           and t.computed_on = $2 and t.track_status = 'off_track'
         order by t.off_track_since nulls last, l.name, e.id"
    )))
    .bind(tenant.0)
    .bind(on)
    .bind(signed_off_basis)
    .fetch_all(tx.conn())
    .await?)
}

/// Whether some enrolment in progress has no figures for `on` yet (the recalculation has
/// not run that day, or has not reached a new enrolment).
pub async fn needs_recalculation(tx: &mut TenantTx, on: NaiveDate) -> DbResult<bool> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select exists (
             select 1 from enrolments e
             where e.tenant_id = $1 and {IN_PROGRESS}
               and not exists (
                   select 1 from enrolment_tracks t
                   where t.tenant_id = e.tenant_id and t.enrolment_id = e.id
                     and t.computed_on = $2))"
    )))
    .bind(tenant.0)
    .bind(on)
    .fetch_one(tx.conn())
    .await?)
}
