//! The learning plan's sessions and actions, and the time-log entry an attended session
//! owns.
//!
//! Who may see or change a session or an action is decided by its enrolment, through
//! [`crate::enrolments::get_visible`]; nothing here checks it.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::users::found;
use crate::{DbResult, TenantTx};

/// One session, with whether it has actions still outstanding.
#[derive(Debug, Clone, FromRow)]
pub struct Session {
    /// Its id.
    pub id: Uuid,
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// Who runs it.
    pub assessor_id: Uuid,
    /// Session type name.
    pub session_type: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Length in minutes.
    pub duration_minutes: i32,
    /// Face to face (rather than remote).
    pub face_to_face: bool,
    /// Planning notes.
    pub planning_notes: Option<String>,
    /// Session feedback.
    pub feedback: Option<String>,
    /// Outcome name, once recorded.
    pub outcome: Option<String>,
    /// When the outcome was recorded.
    pub outcome_recorded_at: Option<DateTime<Utc>>,
    /// Whether any of its actions is still `outstanding`.
    pub has_outstanding_actions: bool,
    /// Who booked it.
    pub created_by: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

const SESSION_SELECT: &str = "select s.id, s.enrolment_id, s.assessor_id, s.session_type,
        s.starts_at, s.duration_minutes, s.face_to_face, s.planning_notes, s.feedback,
        s.outcome, s.outcome_recorded_at,
        exists (select 1 from actions a where a.tenant_id = s.tenant_id and a.session_id = s.id
                and a.status = 'outstanding') as has_outstanding_actions,
        s.created_by, s.created_at, s.updated_at
    from learning_sessions s";

/// A session to book.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// New id.
    pub id: Uuid,
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// Who runs it.
    pub assessor_id: Uuid,
    /// Session type name.
    pub session_type: String,
    /// The session's time, length and notes.
    pub fields: SessionFields,
    /// Who books it.
    pub created_by: Uuid,
}

/// What a manager writes on a session (on booking and on replace).
#[derive(Debug, Clone)]
pub struct SessionFields {
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Length in minutes.
    pub duration_minutes: i32,
    /// Face to face.
    pub face_to_face: bool,
    /// Planning notes.
    pub planning_notes: Option<String>,
    /// Session feedback.
    pub feedback: Option<String>,
}

/// Books a session.
pub async fn insert_session(tx: &mut TenantTx, s: &NewSession) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into learning_sessions (tenant_id, id, enrolment_id, assessor_id, session_type, starts_at,
            duration_minutes, face_to_face, planning_notes, feedback, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant.0)
    .bind(s.id)
    .bind(s.enrolment_id)
    .bind(s.assessor_id)
    .bind(&s.session_type)
    .bind(s.fields.starts_at)
    .bind(s.fields.duration_minutes)
    .bind(s.fields.face_to_face)
    .bind(&s.fields.planning_notes)
    .bind(&s.fields.feedback)
    .bind(s.created_by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One session by id; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn get_session(tx: &mut TenantTx, id: Uuid) -> DbResult<Session> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SESSION_SELECT} where s.tenant_id = $1 and s.id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// An enrolment's sessions, in time order.
pub async fn list_sessions(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<Vec<Session>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SESSION_SELECT} where s.tenant_id = $1 and s.enrolment_id = $2
         order by s.starts_at, s.id"
    )))
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Replaces a session's time, length and notes.
pub async fn update_session(tx: &mut TenantTx, id: Uuid, f: &SessionFields) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update learning_sessions set starts_at = $3, duration_minutes = $4, face_to_face = $5,
            planning_notes = $6, feedback = $7, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(f.starts_at)
    .bind(f.duration_minutes)
    .bind(f.face_to_face)
    .bind(&f.planning_notes)
    .bind(&f.feedback)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// Records a session's outcome. The time it was recorded moves only when the outcome
/// changes, so saving the same outcome again leaves the record as it was.
pub async fn set_outcome(tx: &mut TenantTx, id: Uuid, outcome: &str) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update learning_sessions set outcome = $3,
            outcome_recorded_at = case when outcome is distinct from $3 then now()
                                       else outcome_recorded_at end,
            updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(outcome)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// The off-the-job entry an attended session writes.
#[derive(Debug, Clone)]
pub struct SessionEntry {
    /// The session.
    pub session_id: Uuid,
    /// Its enrolment.
    pub enrolment_id: Uuid,
    /// The session's day.
    pub entry_date: NaiveDate,
    /// Activity type name.
    pub activity_type: String,
    /// The session's length.
    pub minutes: i32,
    /// Who recorded the outcome.
    pub created_by: Uuid,
}

/// Writes a session's time-log entry unless it has one: the unique index on
/// `(tenant_id, session_id)` makes a second `attended` (even a concurrent one) a no-op.
/// Returns whether an entry was written.
pub async fn insert_session_entry(tx: &mut TenantTx, e: &SessionEntry) -> DbResult<bool> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "insert into time_log_entries (tenant_id, id, enrolment_id, entry_date, activity_type,
            with_assessor, off_the_job, minutes, source, session_id, created_by)
         values ($1, $2, $3, $4, $5, true, true, $6, 'session', $7, $8)
         on conflict do nothing",
    )
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(e.enrolment_id)
    .bind(e.entry_date)
    .bind(&e.activity_type)
    .bind(e.minutes)
    .bind(e.session_id)
    .bind(e.created_by)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Removes a session's time-log entry, if it has one; returns whether it had.
pub async fn delete_session_entry(tx: &mut TenantTx, session_id: Uuid) -> DbResult<bool> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "delete from time_log_entries
         where tenant_id = $1 and session_id = $2 and source = 'session'",
    )
    .bind(tenant.0)
    .bind(session_id)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() > 0)
}

/// A session in an assessor's list of what is coming, with whose it is.
#[derive(Debug, Clone, FromRow)]
pub struct UpcomingSession {
    /// The session.
    #[sqlx(flatten)]
    pub session: Session,
    /// The learner.
    pub learner_id: Uuid,
    /// Their name.
    pub learner_name: String,
    /// The course's title.
    pub course_title: String,
}

/// Sessions without an outcome that start from `from` on, of enrolments whose assessor
/// is `assessor_id` (the caseload), soonest first.
pub async fn upcoming_for_assessor(
    tx: &mut TenantTx,
    assessor_id: Uuid,
    from: DateTime<Utc>,
    limit: i64,
) -> DbResult<Vec<UpcomingSession>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select q.*, e.learner_id, l.name as learner_name, c.title as course_title
         from ({SESSION_SELECT} where s.tenant_id = $1 and s.starts_at >= $3
               and s.outcome is null) q
         join enrolments e on e.tenant_id = $1 and e.id = q.enrolment_id
         join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id
         join courses c on c.tenant_id = e.tenant_id and c.id = e.course_id
         where e.assessor_id = $2
         order by q.starts_at, q.id
         limit $4"
    )))
    .bind(tenant.0)
    .bind(assessor_id)
    .bind(from)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// One action.
#[derive(Debug, Clone, FromRow)]
pub struct Action {
    /// Its id.
    pub id: Uuid,
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// The session it was set in.
    pub session_id: Option<Uuid>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Target date.
    pub target_date: NaiveDate,
    /// Status name.
    pub status: String,
    /// The learner's feedback.
    pub learner_feedback: Option<String>,
    /// Time the learner spent, in minutes.
    pub time_spent_minutes: Option<i32>,
    /// When it was marked complete.
    pub completed_at: Option<DateTime<Utc>>,
    /// Who marked it complete.
    pub completed_by: Option<Uuid>,
    /// Who set it.
    pub created_by: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

const ACTION_COLUMNS: &str = "id, enrolment_id, session_id, title, description, target_date,
    status, learner_feedback, time_spent_minutes, completed_at, completed_by, created_by,
    created_at, updated_at";

/// An action to set.
#[derive(Debug, Clone)]
pub struct NewAction {
    /// New id.
    pub id: Uuid,
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// The session it is set in (of the same enrolment).
    pub session_id: Option<Uuid>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Target date.
    pub target_date: NaiveDate,
    /// Who sets it.
    pub created_by: Uuid,
}

/// Sets an action.
pub async fn insert_action(tx: &mut TenantTx, a: &NewAction) -> DbResult<Action> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into actions (tenant_id, id, enrolment_id, session_id, title, description,
            target_date, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         returning {ACTION_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(a.id)
    .bind(a.enrolment_id)
    .bind(a.session_id)
    .bind(&a.title)
    .bind(&a.description)
    .bind(a.target_date)
    .bind(a.created_by)
    .fetch_one(tx.conn())
    .await?)
}

/// One action by id; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn get_action(tx: &mut TenantTx, id: Uuid) -> DbResult<Action> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {ACTION_COLUMNS} from actions where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// An enrolment's actions (only those of `session_id`, if named), by target date.
pub async fn list_actions(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    session_id: Option<Uuid>,
) -> DbResult<Vec<Action>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {ACTION_COLUMNS} from actions
         where tenant_id = $1 and enrolment_id = $2 and ($3::uuid is null or session_id = $3)
         order by target_date, id"
    )))
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(session_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Whether `session_id` is a session of `enrolment_id`.
pub async fn session_of_enrolment(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    session_id: Uuid,
) -> DbResult<bool> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from learning_sessions
            where tenant_id = $1 and enrolment_id = $2 and id = $3)",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(session_id)
    .fetch_one(tx.conn())
    .await?)
}

/// The learner's progress on an action: their feedback and time spent, and the status.
pub async fn update_progress(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    learner_feedback: Option<&str>,
    time_spent_minutes: Option<i32>,
) -> DbResult<Action> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update actions set status = $3, learner_feedback = $4, time_spent_minutes = $5,
            updated_at = now()
         where tenant_id = $1 and id = $2
         returning {ACTION_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(status)
    .bind(learner_feedback)
    .bind(time_spent_minutes)
    .fetch_one(tx.conn())
    .await?)
}

/// Marks an action complete, by `by`.
pub async fn complete_action(tx: &mut TenantTx, id: Uuid, by: Uuid) -> DbResult<Action> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update actions set status = 'complete', completed_at = now(), completed_by = $3,
            updated_at = now()
         where tenant_id = $1 and id = $2
         returning {ACTION_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(by)
    .fetch_one(tx.conn())
    .await?)
}
