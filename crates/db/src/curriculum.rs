//! The curriculum: courses, their components (aims), units and criteria.
//!
//! A course's whole structure is read with one query per level and written on import with
//! one `unnest` insert per level, so the number of statements never grows with the size
//! of the course.

use chrono::{DateTime, Utc};
use folio_domain::{
    ComponentTitle, CourseDescription, CourseTitle, CriterionText, CurriculumCode, OffTheJobHours,
    Position, UnitKind, UnitTitle,
};
use sqlx::FromRow;
use uuid::Uuid;

use crate::pagination::{NameKey, Page, contains_pattern};
use crate::users::found;
use crate::{DbResult, TenantTx};

/// A course (programme), e.g. an apprenticeship standard.
#[derive(Debug, Clone, FromRow)]
pub struct Course {
    /// Its id.
    pub id: Uuid,
    /// Its code, unique in the organisation.
    pub code: String,
    /// Its title.
    pub title: String,
    /// What it is about.
    pub description: Option<String>,
    /// The off-the-job training it requires, in hours (its own setting).
    pub off_the_job_minimum_hours: Option<i32>,
    /// The apprenticeship standard it is, `ST` and four digits.
    pub standard_code: Option<String>,
    /// The standard's version.
    pub standard_version: Option<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When its own fields last changed.
    pub updated_at: DateTime<Utc>,
}

/// A component (aim) of a course.
#[derive(Debug, Clone, FromRow)]
pub struct Component {
    /// Its id.
    pub id: Uuid,
    /// Its course.
    pub course_id: Uuid,
    /// Its title, unique in the course.
    pub title: String,
    /// Where it is listed in the course.
    pub position: i32,
    /// English or maths: time logged against it never counts as off the job.
    pub english_maths: bool,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// A unit of a component.
#[derive(Debug, Clone, FromRow)]
pub struct Unit {
    /// Its id.
    pub id: Uuid,
    /// Its component.
    pub component_id: Uuid,
    /// Its code, unique in the component.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Whether it is chosen per learner rather than taken by all.
    pub optional: bool,
    /// The group of optional units it is chosen from.
    pub optional_group: Option<String>,
    /// Where it is listed in the component.
    pub position: i32,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// A criterion of a unit.
#[derive(Debug, Clone, FromRow)]
pub struct Criterion {
    /// Its id.
    pub id: Uuid,
    /// Its unit.
    pub unit_id: Uuid,
    /// Its code, unique in the unit.
    pub code: String,
    /// What it asks of the learner.
    pub text: String,
    /// Where it is listed in the unit.
    pub position: i32,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// A course and everything in it, each level in position order.
#[derive(Debug, Clone)]
pub struct CourseStructure {
    /// The course.
    pub course: Course,
    /// Its components.
    pub components: Vec<Component>,
    /// The units of all its components, ordered by component, then position.
    pub units: Vec<Unit>,
    /// The criteria of all those units, ordered by unit, then position.
    pub criteria: Vec<Criterion>,
}

/// How many things a course holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct StructureCounts {
    /// Components.
    pub components: i64,
    /// Units.
    pub units: i64,
    /// Criteria.
    pub criteria: i64,
}

/// A course's own fields, new or changed.
#[derive(Debug)]
pub struct CourseDetails {
    /// Its code.
    pub code: CurriculumCode,
    /// Its title.
    pub title: CourseTitle,
    /// What it is about.
    pub description: Option<CourseDescription>,
    /// The off-the-job training it requires.
    pub off_the_job_minimum_hours: Option<OffTheJobHours>,
    /// The apprenticeship standard it is (code, and version if named), checked.
    pub standard: Option<(String, Option<String>)>,
}

/// A component's fields, new or changed.
#[derive(Debug)]
pub struct ComponentDetails {
    /// Its title.
    pub title: ComponentTitle,
    /// Where to list it; `None` appends a new one after the last and keeps a changed one
    /// where it is.
    pub position: Option<Position>,
    /// English or maths; `None` is no for a new one and keeps a changed one's.
    pub english_maths: Option<bool>,
}

/// A unit's fields, new or changed.
#[derive(Debug)]
pub struct UnitDetails {
    /// Its code.
    pub code: CurriculumCode,
    /// Its title.
    pub title: UnitTitle,
    /// Mandatory or optional (and its group).
    pub kind: UnitKind,
    /// Where to list it; as for [`ComponentDetails::position`].
    pub position: Option<Position>,
}

/// A criterion's fields, new or changed.
#[derive(Debug)]
pub struct CriterionDetails {
    /// Its code.
    pub code: CurriculumCode,
    /// Its text.
    pub text: CriterionText,
    /// Where to list it; as for [`ComponentDetails::position`].
    pub position: Option<Position>,
}

/// A component to import, with its units in order.
#[derive(Debug)]
pub struct NewComponent {
    /// Its title.
    pub title: ComponentTitle,
    /// Its units, listed in this order.
    pub units: Vec<NewUnit>,
}

/// A unit to import, with its criteria in order.
#[derive(Debug)]
pub struct NewUnit {
    /// Its code.
    pub code: CurriculumCode,
    /// Its title.
    pub title: UnitTitle,
    /// Mandatory or optional (and its group).
    pub kind: UnitKind,
    /// Its criteria, listed in this order.
    pub criteria: Vec<NewCriterion>,
}

/// A criterion to import.
#[derive(Debug)]
pub struct NewCriterion {
    /// Its code.
    pub code: CurriculumCode,
    /// Its text.
    pub text: CriterionText,
}

const COURSE_COLUMNS: &str = "id, code, title, description, off_the_job_minimum_hours,
    standard_code, standard_version, created_at, updated_at";
const COMPONENT_COLUMNS: &str = "id, course_id, title, position, english_maths, created_at";
const UNIT_COLUMNS: &str =
    "id, component_id, code, title, optional, optional_group, position, created_at";
const CRITERION_COLUMNS: &str = "id, unit_id, code, text, position, created_at";

/// Adds a course with no structure yet.
pub async fn insert_course(
    tx: &mut TenantTx,
    id: Uuid,
    details: &CourseDetails,
) -> DbResult<Course> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into courses (tenant_id, id, code, title, description, off_the_job_minimum_hours,
             standard_code, standard_version)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         returning {COURSE_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(details.code.as_str())
    .bind(details.title.as_str())
    .bind(details.description.as_ref().map(CourseDescription::as_str))
    .bind(details.off_the_job_minimum_hours.map(OffTheJobHours::get))
    .bind(details.standard.as_ref().map(|(code, _)| code.as_str()))
    .bind(details.standard.as_ref().and_then(|(_, v)| v.as_deref()))
    .fetch_one(tx.conn())
    .await?)
}

/// Replaces a course's own fields (its structure is untouched).
pub async fn update_course(
    tx: &mut TenantTx,
    id: Uuid,
    details: &CourseDetails,
) -> DbResult<Course> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update courses set code = $3, title = $4, description = $5,
                off_the_job_minimum_hours = $6, standard_code = $7, standard_version = $8,
                updated_at = now()
         where tenant_id = $1 and id = $2
         returning {COURSE_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(details.code.as_str())
    .bind(details.title.as_str())
    .bind(details.description.as_ref().map(CourseDescription::as_str))
    .bind(details.off_the_job_minimum_hours.map(OffTheJobHours::get))
    .bind(details.standard.as_ref().map(|(code, _)| code.as_str()))
    .bind(details.standard.as_ref().and_then(|(_, v)| v.as_deref()))
    .fetch_one(tx.conn())
    .await?)
}

/// One course by id, without its structure.
pub async fn get_course(tx: &mut TenantTx, id: Uuid) -> DbResult<Course> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COURSE_COLUMNS} from courses where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// A page of courses ordered by title, optionally matching `search` in code or title.
pub async fn list_courses(
    tx: &mut TenantTx,
    search: Option<&str>,
    after: Option<&NameKey>,
    limit: i64,
) -> DbResult<Page<Course>> {
    let tenant = tx.tenant();
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COURSE_COLUMNS} from courses
         where tenant_id = $1
           and ($2::text is null or code ilike $2 or title ilike $2)
           and ($3::text is null or (title, id) > ($3, $4))
         order by title, id
         limit $5"
    )))
    .bind(tenant.0)
    .bind(search.map(contains_pattern))
    .bind(after.map(|k| k.name.as_str()))
    .bind(after.map(|k| k.id))
    .bind(limit + 1)
    .fetch_all(tx.conn())
    .await?;
    Ok(Page::from_overfetch(rows, limit))
}

/// A course's whole structure: four queries, whatever its size.
pub async fn load_structure(tx: &mut TenantTx, id: Uuid) -> DbResult<CourseStructure> {
    let course = get_course(tx, id).await?;
    let tenant = tx.tenant();
    let components = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COMPONENT_COLUMNS} from components
         where tenant_id = $1 and course_id = $2
         order by position, id"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_all(tx.conn())
    .await?;
    // Ordered by the component's place first, so that grouping by component keeps order.
    let units = sqlx::query_as(
        "select u.id, u.component_id, u.code, u.title, u.optional, u.optional_group,
                u.position, u.created_at
         from units u
         join components c on c.tenant_id = u.tenant_id and c.id = u.component_id
         where u.tenant_id = $1 and c.course_id = $2
         order by c.position, c.id, u.position, u.id",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_all(tx.conn())
    .await?;
    let criteria = sqlx::query_as(
        "select k.id, k.unit_id, k.code, k.text, k.position, k.created_at
         from criteria k
         join units u on u.tenant_id = k.tenant_id and u.id = k.unit_id
         join components c on c.tenant_id = u.tenant_id and c.id = u.component_id
         where k.tenant_id = $1 and c.course_id = $2
         order by c.position, c.id, u.position, u.id, k.position, k.id",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_all(tx.conn())
    .await?;
    Ok(CourseStructure {
        course,
        components,
        units,
        criteria,
    })
}

/// How many components, units and criteria a course holds.
pub async fn count_structure(tx: &mut TenantTx, id: Uuid) -> DbResult<StructureCounts> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select
            (select count(*) from components c
             where c.tenant_id = $1 and c.course_id = $2) as components,
            (select count(*) from units u
             join components c on c.tenant_id = u.tenant_id and c.id = u.component_id
             where u.tenant_id = $1 and c.course_id = $2) as units,
            (select count(*) from criteria k
             join units u on u.tenant_id = k.tenant_id and u.id = k.unit_id
             join components c on c.tenant_id = u.tenant_id and c.id = u.component_id
             where k.tenant_id = $1 and c.course_id = $2) as criteria",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// Removes a course and, by cascade, its structure. Something else still referring to the
/// course or a part of it (an enrolment) fails with that reference's constraint.
pub async fn delete_course(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query("delete from courses where tenant_id = $1 and id = $2")
        .bind(tenant.0)
        .bind(id)
        .execute(tx.conn())
        .await?;
    found(result.rows_affected())
}

/// Imports a course's structure below an existing, empty course: one insert per level.
/// Positions follow the order of the vectors; ids are generated here.
pub async fn insert_structure(
    tx: &mut TenantTx,
    course_id: Uuid,
    components: &[NewComponent],
) -> DbResult<StructureCounts> {
    let tenant = tx.tenant();
    let mut component_ids = Vec::new();
    let mut component_titles = Vec::new();
    let mut component_positions = Vec::new();
    let mut unit_ids = Vec::new();
    let mut unit_components = Vec::new();
    let mut unit_codes = Vec::new();
    let mut unit_titles = Vec::new();
    let mut unit_optional = Vec::new();
    let mut unit_groups = Vec::new();
    let mut unit_positions = Vec::new();
    let mut criterion_ids = Vec::new();
    let mut criterion_units = Vec::new();
    let mut criterion_codes = Vec::new();
    let mut criterion_texts = Vec::new();
    let mut criterion_positions = Vec::new();
    for (component_position, component) in (0_i32..).zip(components) {
        let component_id = Uuid::now_v7();
        component_ids.push(component_id);
        component_titles.push(component.title.as_str());
        component_positions.push(component_position);
        for (unit_position, unit) in (0_i32..).zip(&component.units) {
            let unit_id = Uuid::now_v7();
            unit_ids.push(unit_id);
            unit_components.push(component_id);
            unit_codes.push(unit.code.as_str());
            unit_titles.push(unit.title.as_str());
            unit_optional.push(unit.kind.is_optional());
            unit_groups.push(unit.kind.group());
            unit_positions.push(unit_position);
            for (criterion_position, criterion) in (0_i32..).zip(&unit.criteria) {
                criterion_ids.push(Uuid::now_v7());
                criterion_units.push(unit_id);
                criterion_codes.push(criterion.code.as_str());
                criterion_texts.push(criterion.text.as_str());
                criterion_positions.push(criterion_position);
            }
        }
    }
    let components_inserted = sqlx::query(
        "insert into components (tenant_id, id, course_id, title, position)
         select $1, t.id, $2, t.title, t.position
         from unnest($3::uuid[], $4::text[], $5::int4[]) as t (id, title, position)",
    )
    .bind(tenant.0)
    .bind(course_id)
    .bind(&component_ids)
    .bind(&component_titles)
    .bind(&component_positions)
    .execute(tx.conn())
    .await?
    .rows_affected();
    let units_inserted = sqlx::query(
        "insert into units (tenant_id, id, component_id, code, title, optional, optional_group, position)
         select $1, t.id, t.component_id, t.code, t.title, t.optional, t.optional_group, t.position
         from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::bool[], $7::text[], $8::int4[])
              as t (id, component_id, code, title, optional, optional_group, position)",
    )
    .bind(tenant.0)
    .bind(&unit_ids)
    .bind(&unit_components)
    .bind(&unit_codes)
    .bind(&unit_titles)
    .bind(&unit_optional)
    .bind(&unit_groups)
    .bind(&unit_positions)
    .execute(tx.conn())
    .await?
    .rows_affected();
    let criteria_inserted = sqlx::query(
        "insert into criteria (tenant_id, id, unit_id, code, text, position)
         select $1, t.id, t.unit_id, t.code, t.text, t.position
         from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int4[])
              as t (id, unit_id, code, text, position)",
    )
    .bind(tenant.0)
    .bind(&criterion_ids)
    .bind(&criterion_units)
    .bind(&criterion_codes)
    .bind(&criterion_texts)
    .bind(&criterion_positions)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(StructureCounts {
        components: count(components_inserted),
        units: count(units_inserted),
        criteria: count(criteria_inserted),
    })
}

fn count(rows: u64) -> i64 {
    i64::try_from(rows).unwrap_or(i64::MAX)
}

/// Adds a component to a course. Without a position it goes after the last one. A course
/// that does not exist (in this tenant) inserts nothing: [`crate::DbError::NotFound`].
pub async fn insert_component(
    tx: &mut TenantTx,
    course_id: Uuid,
    id: Uuid,
    details: &ComponentDetails,
) -> DbResult<Component> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into components (tenant_id, id, course_id, title, position, english_maths)
         select $1, $2, p.id, $4,
                coalesce($5, (select coalesce(max(s.position) + 1, 0) from components s
                              where s.tenant_id = $1 and s.course_id = p.id)),
                coalesce($6, false)
         from courses p
         where p.tenant_id = $1 and p.id = $3
         returning {COMPONENT_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(course_id)
    .bind(details.title.as_str())
    .bind(details.position.map(Position::get))
    .bind(details.english_maths)
    .fetch_one(tx.conn())
    .await?)
}

/// Changes a component's title and, if given, its position and English-or-maths flag.
pub async fn update_component(
    tx: &mut TenantTx,
    id: Uuid,
    details: &ComponentDetails,
) -> DbResult<Component> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update components set title = $3, position = coalesce($4, position),
                english_maths = coalesce($5, english_maths)
         where tenant_id = $1 and id = $2
         returning {COMPONENT_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(details.title.as_str())
    .bind(details.position.map(Position::get))
    .bind(details.english_maths)
    .fetch_one(tx.conn())
    .await?)
}

/// Removes a component and its units and criteria; returns the id of its course.
pub async fn delete_component(tx: &mut TenantTx, id: Uuid) -> DbResult<Uuid> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "delete from components where tenant_id = $1 and id = $2 returning course_id",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// Adds a unit to a component; as [`insert_component`] for position and a missing parent.
pub async fn insert_unit(
    tx: &mut TenantTx,
    component_id: Uuid,
    id: Uuid,
    details: &UnitDetails,
) -> DbResult<Unit> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into units (tenant_id, id, component_id, code, title, optional, optional_group, position)
         select $1, $2, p.id, $4, $5, $6, $7,
                coalesce($8, (select coalesce(max(s.position) + 1, 0) from units s
                              where s.tenant_id = $1 and s.component_id = p.id))
         from components p
         where p.tenant_id = $1 and p.id = $3
         returning {UNIT_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(component_id)
    .bind(details.code.as_str())
    .bind(details.title.as_str())
    .bind(details.kind.is_optional())
    .bind(details.kind.group())
    .bind(details.position.map(Position::get))
    .fetch_one(tx.conn())
    .await?)
}

/// Replaces a unit's code, title and kind and, if given, its position.
pub async fn update_unit(tx: &mut TenantTx, id: Uuid, details: &UnitDetails) -> DbResult<Unit> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update units set code = $3, title = $4, optional = $5, optional_group = $6,
                position = coalesce($7, position)
         where tenant_id = $1 and id = $2
         returning {UNIT_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(details.code.as_str())
    .bind(details.title.as_str())
    .bind(details.kind.is_optional())
    .bind(details.kind.group())
    .bind(details.position.map(Position::get))
    .fetch_one(tx.conn())
    .await?)
}

/// Removes a unit and its criteria; returns the id of its component.
pub async fn delete_unit(tx: &mut TenantTx, id: Uuid) -> DbResult<Uuid> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "delete from units where tenant_id = $1 and id = $2 returning component_id",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// Adds a criterion to a unit; as [`insert_component`] for position and a missing parent.
pub async fn insert_criterion(
    tx: &mut TenantTx,
    unit_id: Uuid,
    id: Uuid,
    details: &CriterionDetails,
) -> DbResult<Criterion> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into criteria (tenant_id, id, unit_id, code, text, position)
         select $1, $2, p.id, $4, $5,
                coalesce($6, (select coalesce(max(s.position) + 1, 0) from criteria s
                              where s.tenant_id = $1 and s.unit_id = p.id))
         from units p
         where p.tenant_id = $1 and p.id = $3
         returning {CRITERION_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(unit_id)
    .bind(details.code.as_str())
    .bind(details.text.as_str())
    .bind(details.position.map(Position::get))
    .fetch_one(tx.conn())
    .await?)
}

/// Replaces a criterion's code and text and, if given, its position.
pub async fn update_criterion(
    tx: &mut TenantTx,
    id: Uuid,
    details: &CriterionDetails,
) -> DbResult<Criterion> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update criteria set code = $3, text = $4, position = coalesce($5, position)
         where tenant_id = $1 and id = $2
         returning {CRITERION_COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(id)
    .bind(details.code.as_str())
    .bind(details.text.as_str())
    .bind(details.position.map(Position::get))
    .fetch_one(tx.conn())
    .await?)
}

/// Removes a criterion; returns the id of its unit.
pub async fn delete_criterion(tx: &mut TenantTx, id: Uuid) -> DbResult<Uuid> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "delete from criteria where tenant_id = $1 and id = $2 returning unit_id",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}
