//! Enrolments, their breaks and chosen optional units, and who may see them.

use chrono::{DateTime, NaiveDate, Utc};
use folio_domain::progress::{Break, breaks_from};
use folio_domain::{EnrolmentScope, EnrolmentStatus, Role};
use sqlx::FromRow;
use sqlx::types::Decimal;
use uuid::Uuid;

use crate::pagination::{NameKey, Page};
use crate::users::found;
use crate::{DbResult, TenantTx};

/// An enrolment with the names a list shows beside it.
#[derive(Debug, Clone, FromRow)]
pub struct Enrolment {
    /// Its id.
    pub id: Uuid,
    /// The learner.
    pub learner_id: Uuid,
    /// Their name.
    pub learner_name: String,
    /// Their address.
    pub learner_email: String,
    /// When they last signed in.
    pub learner_last_login_at: Option<DateTime<Utc>>,
    /// The course.
    pub course_id: Uuid,
    /// Its code.
    pub course_code: String,
    /// Its title.
    pub course_title: String,
    /// First day of learning.
    pub start_date: NaiveDate,
    /// Planned end date, fixed at start.
    pub planned_end_date: NaiveDate,
    /// A changed plan, recorded beside the planned date.
    pub revised_end_date: Option<NaiveDate>,
    /// Why the plan changed.
    pub revised_end_reason: Option<String>,
    /// The assessor.
    pub assessor_id: Option<Uuid>,
    /// Their name.
    pub assessor_name: Option<String>,
    /// The internal quality assurer.
    pub iqa_id: Option<Uuid>,
    /// Their name.
    pub iqa_name: Option<String>,
    /// The employer organisation.
    pub employer_id: Option<Uuid>,
    /// The learner's manager there.
    pub manager_id: Option<Uuid>,
    /// Their name.
    pub manager_name: Option<String>,
    /// Contracted hours a week.
    pub contracted_hours_per_week: Decimal,
    /// Planned off-the-job hours, fixed at start.
    pub planned_otj_hours: Decimal,
    /// The review frequency agreed with the employer, in weeks, if recorded.
    pub agreed_review_weeks: Option<i16>,
    /// Off-the-job hours recognised prior learning took off the minimum (fixed at start).
    pub rpl_otj_hours: Decimal,
    /// Weeks of duration recognised prior learning took off (fixed at start).
    pub rpl_duration_weeks: i32,
    /// Why.
    pub rpl_reason: Option<String>,
    /// The learner's unique learner number (ILR ULN).
    pub uln: Option<String>,
    /// The provider's learner reference number (ILR LearnRefNumber).
    pub learner_ref: Option<String>,
    /// The ILR withdrawal reason code of a withdrawn learner.
    pub withdrawal_reason_code: Option<i16>,
    /// Status name.
    pub status: String,
    /// When learning began.
    pub learning_started_on: Option<NaiveDate>,
    /// Last day of learning of a withdrawn learner.
    pub withdrawn_on: Option<NaiveDate>,
    /// Why they withdrew.
    pub withdrawal_reason: Option<String>,
    /// Actual end / gateway date.
    pub completed_on: Option<NaiveDate>,
    /// First day of the current break, if on one.
    pub break_started_on: Option<NaiveDate>,
    /// The expected first day back from the current break, if on one.
    pub break_expected_return_on: Option<NaiveDate>,
    /// Why the current break was taken, if on one.
    pub break_reason: Option<String>,
    /// First day of every break, oldest first.
    pub break_starts: Vec<NaiveDate>,
    /// The first day back from each break in `break_starts` (none while it lasts).
    pub break_ends: Vec<Option<NaiveDate>>,
    /// Chosen optional units.
    pub optional_unit_ids: Vec<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Enrolment {
    /// The status as a [`EnrolmentStatus`].
    pub fn status(&self) -> Option<EnrolmentStatus> {
        self.status.parse().ok()
    }

    /// The day its last ended break ended (the first day back), if one has.
    pub fn last_break_ended_on(&self) -> Option<NaiveDate> {
        self.break_ends.iter().flatten().max().copied()
    }

    /// Its breaks in learning, oldest first: what pauses its clocks.
    pub fn breaks(&self) -> Vec<Break> {
        breaks_from(&self.break_starts, &self.break_ends)
    }
}

/// One break in learning as recorded, for its history.
#[derive(Debug, Clone, FromRow)]
pub struct BreakRecord {
    /// Id.
    pub id: Uuid,
    /// First day of the break.
    pub started_on: NaiveDate,
    /// Why (none for breaks recorded before reasons were).
    pub reason: Option<String>,
    /// The expected first day back agreed when it began.
    pub expected_return_on: Option<NaiveDate>,
    /// The first day back, or of the withdrawal that ended it.
    pub ended_on: Option<NaiveDate>,
    /// The revised end date before the return moved it (none: there was none).
    pub revised_end_before: Option<NaiveDate>,
    /// The revised end date the return set (none: not returned, or withdrawn).
    pub revised_end_after: Option<NaiveDate>,
}

/// Every break of an enrolment, oldest first.
pub async fn breaks(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<Vec<BreakRecord>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, started_on, reason, expected_return_on, ended_on, revised_end_before,
                revised_end_after
         from enrolment_breaks
         where tenant_id = $1 and enrolment_id = $2
         order by started_on, id",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}

/// A break beginning: why, and the return agreed.
#[derive(Debug, Clone, Copy)]
pub struct NewBreak<'a> {
    /// The reason's stored name.
    pub reason: &'a str,
    /// The expected first day back.
    pub expected_return_on: NaiveDate,
}

/// A return from a break: the revised end date it moved, before and after.
#[derive(Debug, Clone, Copy)]
pub struct Return<'a> {
    /// Why the revised end date moved, in words.
    pub reason: &'a str,
    /// The revised end date before (none if only the planned one existed).
    pub revised_end_before: Option<NaiveDate>,
    /// The revised end date now.
    pub revised_end_after: NaiveDate,
}

const SELECT: &str = "select e.id, e.learner_id, l.name as learner_name, l.email as learner_email,
        l.last_login_at as learner_last_login_at, e.course_id, c.code as course_code,
        c.title as course_title, e.start_date, e.planned_end_date, e.revised_end_date,
        e.revised_end_reason, e.assessor_id, e.iqa_id, e.employer_id, e.manager_id,
        (select p.name from users p where p.tenant_id = e.tenant_id and p.id = e.assessor_id)
            as assessor_name,
        (select p.name from users p where p.tenant_id = e.tenant_id and p.id = e.iqa_id)
            as iqa_name,
        (select p.name from users p where p.tenant_id = e.tenant_id and p.id = e.manager_id)
            as manager_name,
        e.contracted_hours_per_week, e.planned_otj_hours, e.agreed_review_weeks,
        e.rpl_otj_hours, e.rpl_duration_weeks, e.rpl_reason, e.uln, e.learner_ref,
        e.withdrawal_reason_code, e.status,
        e.learning_started_on,
        e.withdrawn_on, e.withdrawal_reason, e.completed_on,
        cb.started_on as break_started_on, cb.expected_return_on as break_expected_return_on,
        cb.reason as break_reason,
        array(select b.started_on from enrolment_breaks b
              where b.tenant_id = e.tenant_id and b.enrolment_id = e.id order by b.started_on, b.id) as break_starts,
        array(select b.ended_on from enrolment_breaks b
              where b.tenant_id = e.tenant_id and b.enrolment_id = e.id order by b.started_on, b.id) as break_ends,
        array(select o.unit_id from enrolment_optional_units o
              where o.tenant_id = e.tenant_id and o.enrolment_id = e.id order by o.unit_id) as optional_unit_ids,
        e.created_at, e.updated_at
    from enrolments e
    join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id
    join courses c on c.tenant_id = e.tenant_id and c.id = e.course_id
    -- The current break, if on one (at most one is open: enrolment_breaks_open_key).
    left join lateral (
        select b.started_on, b.expected_return_on, b.reason from enrolment_breaks b
        where b.tenant_id = e.tenant_id and b.enrolment_id = e.id and b.ended_on is null
    ) cb on true";

/// The relationship test, written once: `$2` is the viewer and `$3`–`$8` the scope's flags.
/// An auditor's sample is checked against their grants in force at the time of reading.
pub(crate) const VISIBLE: &str = "($3
        or ($4 and e.learner_id = $2)
        or ($5 and e.assessor_id = $2)
        or ($6 and e.iqa_id = $2)
        or ($7 and (e.manager_id = $2 or e.employer_id =
            (select v.employer_id from users v where v.tenant_id = e.tenant_id and v.id = $2)))
        or ($8 and e.id in (
            select s.enrolment_id
            from auditor_grants_in_force g
            join auditor_grant_enrolments s on s.tenant_id = g.tenant_id and s.grant_id = g.id
            where g.tenant_id = e.tenant_id and g.auditor_id = $2)))";

/// Binds `$1` (the tenant) and `$2`–`$8` (the viewer and their scope's flags) of a
/// statement that uses [`VISIBLE`], in the one order it expects.
macro_rules! bind_visible {
    ($query:expr, $tenant:expr, $viewer:expr) => {{
        let v: &$crate::enrolments::Viewer = $viewer;
        $query
            .bind($tenant)
            .bind(v.user_id)
            .bind(v.scope.all)
            .bind(v.scope.as_learner)
            .bind(v.scope.as_assessor)
            .bind(v.scope.as_iqa)
            .bind(v.scope.as_employer)
            .bind(v.scope.as_auditor)
    }};
}
pub(crate) use bind_visible;

/// Who is looking, and through which relationships.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    /// The person.
    pub user_id: Uuid,
    /// What their roles let them see.
    pub scope: EnrolmentScope,
}

/// What is needed to enrol a learner.
#[derive(Debug)]
pub struct NewEnrolment {
    /// New id.
    pub id: Uuid,
    /// The learner.
    pub learner_id: Uuid,
    /// The course.
    pub course_id: Uuid,
    /// First day.
    pub start_date: NaiveDate,
    /// Planned end date.
    pub planned_end_date: NaiveDate,
    /// Assessor.
    pub assessor_id: Option<Uuid>,
    /// IQA.
    pub iqa_id: Option<Uuid>,
    /// Employer organisation.
    pub employer_id: Option<Uuid>,
    /// Manager.
    pub manager_id: Option<Uuid>,
    /// Contracted hours a week.
    pub contracted_hours_per_week: Decimal,
    /// Planned off-the-job hours.
    pub planned_otj_hours: Decimal,
    /// Off-the-job hours recognised prior learning took off the minimum.
    pub rpl_otj_hours: Decimal,
    /// Weeks of duration it took off.
    pub rpl_duration_weeks: i32,
    /// Why, when it took anything off.
    pub rpl_reason: Option<String>,
    /// Unique learner number.
    pub uln: Option<String>,
    /// Learner reference number.
    pub learner_ref: Option<String>,
}

/// Enrols a learner.
pub async fn insert(tx: &mut TenantTx, e: &NewEnrolment) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into enrolments (tenant_id, id, learner_id, course_id, start_date, planned_end_date,
            assessor_id, iqa_id, employer_id, manager_id, contracted_hours_per_week, planned_otj_hours,
            rpl_otj_hours, rpl_duration_weeks, rpl_reason, uln, learner_ref)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(tenant.0)
    .bind(e.id)
    .bind(e.learner_id)
    .bind(e.course_id)
    .bind(e.start_date)
    .bind(e.planned_end_date)
    .bind(e.assessor_id)
    .bind(e.iqa_id)
    .bind(e.employer_id)
    .bind(e.manager_id)
    .bind(e.contracted_hours_per_week)
    .bind(e.planned_otj_hours)
    .bind(e.rpl_otj_hours)
    .bind(e.rpl_duration_weeks)
    .bind(&e.rpl_reason)
    .bind(&e.uln)
    .bind(&e.learner_ref)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The statement of [`get_visible`]: `$1` tenant, `$2` viewer, `$3`–`$8` the scope's flags
/// (all, as learner, as assessor, as IQA, as employer, as auditor), `$9` the enrolment. Public so that
/// `folio-bench` can run the very same SQL through `pgbench`.
pub fn get_visible_sql() -> String {
    format!("{SELECT} where e.tenant_id = $1 and e.id = $9 and {VISIBLE}")
}

/// One enrolment the viewer may see; [`crate::DbError::NotFound`] otherwise.
pub async fn get_visible(tx: &mut TenantTx, viewer: &Viewer, id: Uuid) -> DbResult<Enrolment> {
    let tenant = tx.tenant();
    Ok(bind_visible!(
        sqlx::query_as(sqlx::AssertSqlSafe(get_visible_sql())),
        tenant.0,
        viewer
    )
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// Whether the viewer may see at least one enrolment on `course_id` (so the course's
/// resources are theirs to read): the same relationship test as [`get_visible`].
pub async fn sees_enrolment_on_course(
    tx: &mut TenantTx,
    viewer: &Viewer,
    course_id: Uuid,
) -> DbResult<bool> {
    let tenant = tx.tenant();
    Ok(bind_visible!(
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select exists (select 1 from enrolments e
             where e.tenant_id = $1 and e.course_id = $9 and {VISIBLE})"
        ))),
        tenant.0,
        viewer
    )
    .bind(course_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Whether the viewer may see `person` through enrolments: they see one of `person`'s
/// enrolments (the same relationship test as [`get_visible`]), or, as a learner, `person`
/// is the assessor or IQA of one of their own.
pub async fn sees_person(tx: &mut TenantTx, viewer: &Viewer, person: Uuid) -> DbResult<bool> {
    let tenant = tx.tenant();
    Ok(bind_visible!(
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select exists (select 1 from enrolments e
                 where e.tenant_id = $1 and e.learner_id = $9 and {VISIBLE})
             or ($4 and exists (select 1 from enrolments e
                 where e.tenant_id = $1 and e.learner_id = $2
                   and (e.assessor_id = $9 or e.iqa_id = $9)))"
        ))),
        tenant.0,
        viewer
    )
    .bind(person)
    .fetch_one(tx.conn())
    .await?)
}

/// Whether `assessor` is the assessor of one of `learner`'s enrolments.
pub async fn assesses_learner(tx: &mut TenantTx, assessor: Uuid, learner: Uuid) -> DbResult<bool> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from enrolments
                        where tenant_id = $1 and learner_id = $2 and assessor_id = $3)",
    )
    .bind(tenant.0)
    .bind(learner)
    .bind(assessor)
    .fetch_one(tx.conn())
    .await?)
}

/// Filters for listing enrolments.
#[derive(Debug, Default)]
pub struct EnrolmentFilter {
    /// Only this status.
    pub status: Option<EnrolmentStatus>,
    /// Only this assessor's caseload.
    pub assessor_id: Option<Uuid>,
    /// Only this learner's enrolments.
    pub learner_id: Option<Uuid>,
    /// Only this course.
    pub course_id: Option<Uuid>,
    /// Only this employer organisation's employees.
    pub employer_id: Option<Uuid>,
}

/// A page of the enrolments the viewer may see, ordered by learner name.
pub async fn list_visible(
    tx: &mut TenantTx,
    viewer: &Viewer,
    filter: &EnrolmentFilter,
    after: Option<&NameKey>,
    limit: i64,
) -> DbResult<Page<Enrolment>> {
    let tenant = tx.tenant();
    let rows = bind_visible!(
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT}
         where e.tenant_id = $1 and {VISIBLE}
           and ($9::text is null or e.status = $9)
           and ($10::uuid is null or e.assessor_id = $10)
           and ($11::uuid is null or e.learner_id = $11)
           and ($12::uuid is null or e.course_id = $12)
           and ($13::uuid is null or e.employer_id = $13)
           and ($14::text is null or (l.name, e.id) > ($14, $15))
         order by l.name, e.id
         limit $16"
        ))),
        tenant.0,
        viewer
    )
    .bind(filter.status.map(EnrolmentStatus::as_str))
    .bind(filter.assessor_id)
    .bind(filter.learner_id)
    .bind(filter.course_id)
    .bind(filter.employer_id)
    .bind(after.map(|k| k.name.as_str()))
    .bind(after.map(|k| k.id))
    .bind(limit + 1)
    .fetch_all(tx.conn())
    .await?;
    Ok(Page::from_overfetch(rows, limit))
}

/// The people around a learner; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct PeopleChanges {
    /// Assessor.
    pub assessor_id: Option<Option<Uuid>>,
    /// IQA.
    pub iqa_id: Option<Option<Uuid>>,
    /// Employer organisation.
    pub employer_id: Option<Option<Uuid>>,
    /// Manager.
    pub manager_id: Option<Option<Uuid>>,
    /// Contracted hours a week.
    pub contracted_hours_per_week: Option<Decimal>,
    /// The review frequency agreed with the employer, in weeks (`Some(None)` clears it).
    pub agreed_review_weeks: Option<Option<i16>>,
    /// Unique learner number (`Some(None)` clears it).
    pub uln: Option<Option<String>>,
    /// Learner reference number (`Some(None)` clears it).
    pub learner_ref: Option<Option<String>>,
}

/// Applies `changes`.
pub async fn update_people(tx: &mut TenantTx, id: Uuid, c: &PeopleChanges) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update enrolments set
            assessor_id = case when $3 then $4 else assessor_id end,
            iqa_id = case when $5 then $6 else iqa_id end,
            employer_id = case when $7 then $8 else employer_id end,
            manager_id = case when $9 then $10 else manager_id end,
            contracted_hours_per_week = coalesce($11, contracted_hours_per_week),
            agreed_review_weeks = case when $12 then $13 else agreed_review_weeks end,
            uln = case when $14 then $15 else uln end,
            learner_ref = case when $16 then $17 else learner_ref end,
            updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(c.assessor_id.is_some())
    .bind(c.assessor_id.flatten())
    .bind(c.iqa_id.is_some())
    .bind(c.iqa_id.flatten())
    .bind(c.employer_id.is_some())
    .bind(c.employer_id.flatten())
    .bind(c.manager_id.is_some())
    .bind(c.manager_id.flatten())
    .bind(c.contracted_hours_per_week)
    .bind(c.agreed_review_weeks.is_some())
    .bind(c.agreed_review_weeks.flatten())
    .bind(c.uln.is_some())
    .bind(c.uln.clone().flatten())
    .bind(c.learner_ref.is_some())
    .bind(c.learner_ref.clone().flatten())
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// Records a revised end date beside the planned one.
pub async fn revise_end_date(
    tx: &mut TenantTx,
    id: Uuid,
    date: NaiveDate,
    reason: &str,
) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update enrolments set revised_end_date = $3, revised_end_reason = $4, updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(date)
    .bind(reason)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// Writes a checked status change: the status and its dates (a withdrawal's `reason`: its
/// words and ILR code), and the break history: a
/// break that begins is recorded with `new_break`; one that ends (by a return or a
/// withdrawal) gets its end date and, for a return, the revised end date it moved
/// (`returned`), which is written to the enrolment too.
pub async fn apply_status(
    tx: &mut TenantTx,
    id: Uuid,
    status: EnrolmentStatus,
    on: NaiveDate,
    reason: Option<(&str, i16)>,
    new_break: Option<NewBreak<'_>>,
    returned: Option<Return<'_>>,
) -> DbResult<()> {
    let tenant = tx.tenant();
    // A break ends with whatever follows it: a return, a withdrawal.
    sqlx::query(
        "update enrolment_breaks
         set ended_on = $3, revised_end_before = $4, revised_end_after = $5
         where tenant_id = $1 and enrolment_id = $2 and ended_on is null",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(on)
    .bind(returned.and_then(|r| r.revised_end_before))
    .bind(returned.map(|r| r.revised_end_after))
    .execute(tx.conn())
    .await?;
    if let Some(r) = returned {
        sqlx::query(
            "update enrolments set revised_end_date = $3, revised_end_reason = $4
             where tenant_id = $1 and id = $2",
        )
        .bind(tenant.0)
        .bind(id)
        .bind(r.revised_end_after)
        .bind(r.reason)
        .execute(tx.conn())
        .await?;
    }
    if let Some(b) = new_break {
        sqlx::query(
            "insert into enrolment_breaks (tenant_id, id, enrolment_id, started_on, reason, expected_return_on)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant.0)
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(on)
        .bind(b.reason)
        .bind(b.expected_return_on)
        .execute(tx.conn())
        .await?;
    }
    let result = sqlx::query(
        "update enrolments set
            status = $3,
            learning_started_on = case when $3 = 'in_learning' then coalesce(learning_started_on, $4)
                                       else learning_started_on end,
            withdrawn_on = case when $3 = 'withdrawn' then $4 end,
            withdrawal_reason = case when $3 = 'withdrawn' then $5 end,
            withdrawal_reason_code = case when $3 = 'withdrawn' then $6 end,
            completed_on = case when $3 = 'completed' then $4 end,
            updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(status.as_str())
    .bind(on)
    .bind(reason.map(|(words, _)| words))
    .bind(reason.map(|(_, code)| code))
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// Of `unit_ids`, those that are not optional units of `course_id`.
pub async fn not_optional_units_of(
    tx: &mut TenantTx,
    course_id: Uuid,
    unit_ids: &[Uuid],
) -> DbResult<Vec<Uuid>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select wanted.id from unnest($3::uuid[]) as wanted(id)
         where not exists (
             select 1 from units u
             join components c on c.tenant_id = u.tenant_id and c.id = u.component_id
             where u.tenant_id = $1 and u.id = wanted.id and u.optional and c.course_id = $2)",
    )
    .bind(tenant.0)
    .bind(course_id)
    .bind(unit_ids)
    .fetch_all(tx.conn())
    .await?)
}

/// Makes `unit_ids` exactly the optional units chosen for an enrolment.
pub async fn set_optional_units(tx: &mut TenantTx, id: Uuid, unit_ids: &[Uuid]) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "delete from enrolment_optional_units
         where tenant_id = $1 and enrolment_id = $2 and unit_id <> all($3)",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(unit_ids)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into enrolment_optional_units (tenant_id, enrolment_id, unit_id)
         select $1, $2, unnest($3::uuid[])
         on conflict do nothing",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(unit_ids)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether the person exists, is active and holds `role`.
pub async fn is_active_with_role(tx: &mut TenantTx, user_id: Uuid, role: Role) -> DbResult<bool> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from users u
            join user_roles r on r.tenant_id = u.tenant_id and r.user_id = u.id
            where u.tenant_id = $1 and u.id = $2 and u.status = 'active' and r.role = $3)",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(role.as_str())
    .fetch_one(tx.conn())
    .await?)
}

/// Locks an enrolment's row until the transaction ends, so that changes to one learner's
/// portfolio (status, units, mapping, sign-off, returns) happen one after another and each
/// sees the state the previous one left. A missing id locks nothing.
pub async fn lock(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("select 1 from enrolments where tenant_id = $1 and id = $2 for update")
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    Ok(())
}
