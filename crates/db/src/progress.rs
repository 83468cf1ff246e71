//! Progress figures of one enrolment, counted set-based: each function is one query over
//! the learner's criteria, never one query per unit or criterion. The callers have already
//! loaded the enrolment through [`crate::enrolments::get_visible`], so these queries only
//! read what that viewer may see.
//!
//! A criterion's state is `signed_off` if it has a sign-off for the enrolment, else
//! `mapped` if evidence is mapped to it, else `none`; only the criteria of the learner's
//! units count: the course's mandatory units and the optional units chosen for them.

use chrono::{DateTime, Utc};
use folio_domain::progress::CriterionCounts;
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// Whether unit `u` is one of enrolment `e`'s units: mandatory, or an optional unit chosen
/// for it. Written once, so every figure counts the same units. Public so that the
/// recalculation benchmark's hand-written baseline (in `folio-bench`) counts them the same
/// way too; nothing else outside this crate uses it.
pub const LEARNERS_UNIT: &str = "(not u.optional or exists (
        select 1 from enrolment_optional_units o
        where o.tenant_id = e.tenant_id and o.enrolment_id = e.id and o.unit_id = u.id))";

/// The criteria of enrolment `$2` with evidence mapped, one row each however many pieces
/// of evidence are, so that joining it never multiplies a criterion.
const MAPPED: &str =
    "(select criterion_id, array_agg(evidence_id order by evidence_id) as evidence_ids
        from criterion_mappings
        where tenant_id = $1 and enrolment_id = $2
        group by criterion_id)";

/// One unit of the learner's with its criteria counted by state, or a component in which
/// the learner has no units (every unit field `None`, counts 0).
#[derive(Debug, Clone, FromRow)]
pub struct UnitCounts {
    /// The component.
    pub component_id: Uuid,
    /// Its title.
    pub component_title: String,
    /// The unit; `None` for a component without any of the learner's units.
    pub unit_id: Option<Uuid>,
    /// Its code.
    pub unit_code: Option<String>,
    /// Its title.
    pub unit_title: Option<String>,
    /// Whether it is optional (chosen for this learner).
    pub optional: Option<bool>,
    /// The group an optional unit was chosen from.
    pub optional_group: Option<String>,
    /// Its criteria.
    pub criteria: i64,
    /// Of those, mapped but not signed off.
    pub mapped: i64,
    /// Of those, signed off.
    pub signed_off: i64,
    /// The latest sign-off among them.
    pub last_signed_off_at: Option<DateTime<Utc>>,
}

impl UnitCounts {
    /// The counts as the domain's [`CriterionCounts`].
    pub fn counts(&self) -> CriterionCounts {
        criterion_counts(self.criteria, self.mapped, self.signed_off)
    }
}

fn criterion_counts(total: i64, mapped: i64, signed_off: i64) -> CriterionCounts {
    // Counts of one learner's criteria are far below u32::MAX; saturate rather than panic.
    let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    CriterionCounts {
        total: count(total),
        mapped: count(mapped),
        signed_off: count(signed_off),
    }
}

/// The statement of [`unit_counts`]: `$1` tenant, `$2` the enrolment. Public so that
/// `folio-bench` can run the very same SQL through `pgbench`.
pub fn unit_counts_sql() -> String {
    format!(
        "select c.id as component_id, c.title as component_title,
                u.id as unit_id, u.code as unit_code, u.title as unit_title,
                u.optional, u.optional_group,
                count(cr.id) as criteria,
                count(cr.id) filter (where s.criterion_id is null and m.criterion_id is not null) as mapped,
                count(s.criterion_id) as signed_off,
                max(s.signed_off_at) as last_signed_off_at
         from enrolments e
         join components c on c.tenant_id = e.tenant_id and c.course_id = e.course_id
         left join units u on u.tenant_id = c.tenant_id and u.component_id = c.id and {LEARNERS_UNIT}
         left join criteria cr on cr.tenant_id = u.tenant_id and cr.unit_id = u.id
         left join criterion_sign_offs s
              on s.tenant_id = e.tenant_id and s.enrolment_id = e.id and s.criterion_id = cr.id
         left join {MAPPED} m on m.criterion_id = cr.id
         where e.tenant_id = $1 and e.id = $2
         group by c.id, c.title, c.position, u.id, u.code, u.title, u.optional, u.optional_group, u.position
         order by c.position, c.title, u.position nulls first, u.code"
    )
}

/// Every component of the enrolment's course, and in each the learner's units with their
/// criteria counted by state, in course order (component, then unit position).
pub async fn unit_counts(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<Vec<UnitCounts>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(unit_counts_sql()))
        .bind(tenant.0)
        .bind(enrolment_id)
        .fetch_all(tx.conn())
        .await?)
}

/// The whole programme's criteria counted by state: what the learner overview shows.
#[derive(Debug, Clone, FromRow)]
pub struct OverallCounts {
    /// The learner's criteria.
    pub criteria: i64,
    /// Of those, mapped but not signed off.
    pub mapped: i64,
    /// Of those, signed off.
    pub signed_off: i64,
    /// The latest sign-off among them.
    pub last_signed_off_at: Option<DateTime<Utc>>,
}

impl OverallCounts {
    /// The counts as the domain's [`CriterionCounts`].
    pub fn counts(&self) -> CriterionCounts {
        criterion_counts(self.criteria, self.mapped, self.signed_off)
    }
}

/// The learner's criteria counted by state across the whole programme. (Documents to sign
/// and outstanding actions, which the overview will also count, do not exist yet.)
pub async fn overall_counts(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<OverallCounts> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select count(cr.id) as criteria,
                count(cr.id) filter (where s.criterion_id is null and m.criterion_id is not null) as mapped,
                count(s.criterion_id) as signed_off,
                max(s.signed_off_at) as last_signed_off_at
         from enrolments e
         join components c on c.tenant_id = e.tenant_id and c.course_id = e.course_id
         join units u on u.tenant_id = c.tenant_id and u.component_id = c.id and {LEARNERS_UNIT}
         join criteria cr on cr.tenant_id = u.tenant_id and cr.unit_id = u.id
         left join criterion_sign_offs s
              on s.tenant_id = e.tenant_id and s.enrolment_id = e.id and s.criterion_id = cr.id
         left join {MAPPED} m on m.criterion_id = cr.id
         where e.tenant_id = $1 and e.id = $2"
    )))
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_one(tx.conn())
    .await?)
}

/// One criterion of the progress map (gap analysis).
#[derive(Debug, Clone, FromRow)]
pub struct MapCriterion {
    /// The component.
    pub component_id: Uuid,
    /// Its title.
    pub component_title: String,
    /// The unit.
    pub unit_id: Uuid,
    /// Its code.
    pub unit_code: String,
    /// Its title.
    pub unit_title: String,
    /// Whether it is optional (chosen for this learner).
    pub optional: bool,
    /// The criterion.
    pub criterion_id: Uuid,
    /// Its code.
    pub criterion_code: String,
    /// What it asks.
    pub criterion_text: String,
    /// Evidence mapped to it for this enrolment, oldest first.
    pub evidence_ids: Vec<Uuid>,
    /// When it was signed off, if it was.
    pub signed_off_at: Option<DateTime<Utc>>,
}

/// Every criterion of the learner's units with its mapped evidence and sign-off, in course
/// order (component, unit, criterion position); with `non_completed_only`, only those not
/// signed off, as the seed product's "Non Completed Criteria" filter.
pub async fn progress_map(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    non_completed_only: bool,
) -> DbResult<Vec<MapCriterion>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select c.id as component_id, c.title as component_title,
                u.id as unit_id, u.code as unit_code, u.title as unit_title, u.optional,
                cr.id as criterion_id, cr.code as criterion_code, cr.text as criterion_text,
                coalesce(m.evidence_ids, '{{}}') as evidence_ids,
                s.signed_off_at
         from enrolments e
         join components c on c.tenant_id = e.tenant_id and c.course_id = e.course_id
         join units u on u.tenant_id = c.tenant_id and u.component_id = c.id and {LEARNERS_UNIT}
         join criteria cr on cr.tenant_id = u.tenant_id and cr.unit_id = u.id
         left join criterion_sign_offs s
              on s.tenant_id = e.tenant_id and s.enrolment_id = e.id and s.criterion_id = cr.id
         left join {MAPPED} m on m.criterion_id = cr.id
         where e.tenant_id = $1 and e.id = $2
           and (not $3 or s.criterion_id is null)
         order by c.position, c.title, u.position, u.code, cr.position, cr.code"
    )))
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(non_completed_only)
    .fetch_all(tx.conn())
    .await?)
}
