//! The curriculum: courses, their components (aims), units and criteria.
//!
//! Who may do what, once: staff who read the curriculum read it; admins (who manage it)
//! change it, one item at a time or by importing a whole course. A change's input is
//! checked only once the caller is known to be allowed to make it (`check`), so a caller
//! without the role learns nothing from a malformed request (403 before 422).

use folio_db::DbError;
use folio_db::curriculum as queries;
use folio_db::pagination::{NameKey, Page};
use folio_domain::Permission;
use uuid::Uuid;

pub use folio_db::curriculum::{
    Component, ComponentDetails, Course, CourseDetails, CourseStructure, Criterion,
    CriterionDetails, NewComponent, NewCriterion, NewUnit, Unit, UnitDetails,
};

use crate::{Error, Result, UnitOfWork};

/// A delete refused by a constraint: the cascade within the curriculum never fails, so
/// this is a reference from elsewhere (an enrolment, a learner's chosen unit, a course
/// resource, whose file would be left behind by a cascade).
fn still_referred_to(err: DbError, what: &str) -> Error {
    match err.constraint() {
        Some("course_resources_course_fkey") => Error::Conflict {
            field: None,
            detail: format!("this {what} still has resources; delete them first"),
        },
        Some(_) => Error::Conflict {
            field: None,
            detail: format!("learners' records still refer to this {what} or a part of it"),
        },
        None => err.into(),
    }
}

/// Courses by title, optionally matching `search` in code or title (staff who read the
/// curriculum).
/// Every apprenticeship standard's published off-the-job minimums, as the platform
/// operator imported them (whoever may read the curriculum).
pub async fn standards(uow: &mut UnitOfWork) -> Result<Vec<folio_db::standards::StandardRow>> {
    uow.principal.require(Permission::ReadCurriculum)?;
    Ok(folio_db::standards::list(&mut uow.tx).await?)
}

/// Courses, by name; see the handler for the search.
pub async fn list_courses(
    uow: &mut UnitOfWork,
    search: Option<&str>,
    after: Option<&NameKey>,
    limit: i64,
) -> Result<Page<Course>> {
    uow.principal.require(Permission::ReadCurriculum)?;
    Ok(queries::list_courses(&mut uow.tx, search, after, limit).await?)
}

/// One course with its whole structure (staff who read the curriculum).
pub async fn course(uow: &mut UnitOfWork, id: Uuid) -> Result<CourseStructure> {
    uow.principal.require(Permission::ReadCurriculum)?;
    Ok(queries::load_structure(&mut uow.tx, id).await?)
}

/// Adds a course with no structure yet (admins).
pub async fn create_course(
    uow: &mut UnitOfWork,
    check: impl FnOnce() -> Result<CourseDetails>,
) -> Result<Course> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let details = check()?;
    let id = Uuid::now_v7();
    let course = queries::insert_course(&mut uow.tx, id, &details).await?;
    uow.audit("course.create", "course", id, serde_json::json!({}))
        .await?;
    Ok(course)
}

/// Imports a whole new course (admins), all or nothing, and reads it back; `format` is
/// recorded in the audit log.
pub async fn import_course(
    uow: &mut UnitOfWork,
    format: &str,
    check: impl FnOnce() -> Result<(CourseDetails, Vec<NewComponent>)>,
) -> Result<CourseStructure> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let (details, components) = check()?;
    let id = Uuid::now_v7();
    queries::insert_course(&mut uow.tx, id, &details).await?;
    let counts = queries::insert_structure(&mut uow.tx, id, &components).await?;
    let details = serde_json::json!({
        "format": format,
        "components": counts.components,
        "units": counts.units,
        "criteria": counts.criteria,
    });
    uow.audit("course.import", "course", id, details).await?;
    Ok(queries::load_structure(&mut uow.tx, id).await?)
}

/// Replaces a course's own fields (admins); its structure stays.
pub async fn replace_course(
    uow: &mut UnitOfWork,
    id: Uuid,
    check: impl FnOnce() -> Result<CourseDetails>,
) -> Result<Course> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let details = check()?;
    let course = queries::update_course(&mut uow.tx, id, &details).await?;
    uow.audit("course.update", "course", id, serde_json::json!({}))
        .await?;
    Ok(course)
}

/// Removes a course with its whole structure (admins; a conflict while learners' records
/// or resources refer to it).
pub async fn delete_course(uow: &mut UnitOfWork, id: Uuid) -> Result<()> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let counts = queries::count_structure(&mut uow.tx, id).await?;
    queries::delete_course(&mut uow.tx, id)
        .await
        .map_err(|e| still_referred_to(e, "course"))?;
    let details = serde_json::json!({
        "components": counts.components,
        "units": counts.units,
        "criteria": counts.criteria,
    });
    uow.audit("course.delete", "course", id, details).await
}

/// Adds a component (aim) to a course (admins).
pub async fn create_component(
    uow: &mut UnitOfWork,
    course_id: Uuid,
    check: impl FnOnce() -> Result<ComponentDetails>,
) -> Result<Component> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let details = check()?;
    let id = Uuid::now_v7();
    let component = queries::insert_component(&mut uow.tx, course_id, id, &details).await?;
    let details = serde_json::json!({ "course_id": course_id });
    uow.audit("component.create", "component", id, details)
        .await?;
    Ok(component)
}

/// Changes a component's title and, if given, its position (admins).
pub async fn replace_component(
    uow: &mut UnitOfWork,
    id: Uuid,
    check: impl FnOnce() -> Result<ComponentDetails>,
) -> Result<Component> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let details = check()?;
    let component = queries::update_component(&mut uow.tx, id, &details).await?;
    let details = serde_json::json!({ "course_id": component.course_id });
    uow.audit("component.update", "component", id, details)
        .await?;
    Ok(component)
}

/// Removes a component with its units and criteria (admins).
pub async fn delete_component(uow: &mut UnitOfWork, id: Uuid) -> Result<()> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let course_id = queries::delete_component(&mut uow.tx, id)
        .await
        .map_err(|e| still_referred_to(e, "component"))?;
    let details = serde_json::json!({ "course_id": course_id });
    uow.audit("component.delete", "component", id, details)
        .await
}

/// Adds a unit to a component (admins).
pub async fn create_unit(
    uow: &mut UnitOfWork,
    component_id: Uuid,
    check: impl FnOnce() -> Result<UnitDetails>,
) -> Result<Unit> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let details = check()?;
    let id = Uuid::now_v7();
    let unit = queries::insert_unit(&mut uow.tx, component_id, id, &details).await?;
    let details = serde_json::json!({ "component_id": component_id });
    uow.audit("unit.create", "unit", id, details).await?;
    Ok(unit)
}

/// Replaces a unit's code, title and optionality and, if given, its position (admins).
pub async fn replace_unit(
    uow: &mut UnitOfWork,
    id: Uuid,
    check: impl FnOnce() -> Result<UnitDetails>,
) -> Result<Unit> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let details = check()?;
    let unit = queries::update_unit(&mut uow.tx, id, &details).await?;
    let details = serde_json::json!({ "component_id": unit.component_id });
    uow.audit("unit.update", "unit", id, details).await?;
    Ok(unit)
}

/// Removes a unit with its criteria (admins).
pub async fn delete_unit(uow: &mut UnitOfWork, id: Uuid) -> Result<()> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let component_id = queries::delete_unit(&mut uow.tx, id)
        .await
        .map_err(|e| still_referred_to(e, "unit"))?;
    let details = serde_json::json!({ "component_id": component_id });
    uow.audit("unit.delete", "unit", id, details).await
}

/// Adds a criterion to a unit (admins).
pub async fn create_criterion(
    uow: &mut UnitOfWork,
    unit_id: Uuid,
    check: impl FnOnce() -> Result<CriterionDetails>,
) -> Result<Criterion> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let details = check()?;
    let id = Uuid::now_v7();
    let criterion = queries::insert_criterion(&mut uow.tx, unit_id, id, &details).await?;
    let details = serde_json::json!({ "unit_id": unit_id });
    uow.audit("criterion.create", "criterion", id, details)
        .await?;
    Ok(criterion)
}

/// Replaces a criterion's code and text and, if given, its position (admins).
pub async fn replace_criterion(
    uow: &mut UnitOfWork,
    id: Uuid,
    check: impl FnOnce() -> Result<CriterionDetails>,
) -> Result<Criterion> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let details = check()?;
    let criterion = queries::update_criterion(&mut uow.tx, id, &details).await?;
    let details = serde_json::json!({ "unit_id": criterion.unit_id });
    uow.audit("criterion.update", "criterion", id, details)
        .await?;
    Ok(criterion)
}

/// Removes a criterion (admins).
pub async fn delete_criterion(uow: &mut UnitOfWork, id: Uuid) -> Result<()> {
    uow.principal.require(Permission::ManageCurriculum)?;
    let unit_id = queries::delete_criterion(&mut uow.tx, id)
        .await
        .map_err(|e| still_referred_to(e, "criterion"))?;
    let details = serde_json::json!({ "unit_id": unit_id });
    uow.audit("criterion.delete", "criterion", id, details)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delete_refused_by_any_reference_is_a_conflict_and_a_missing_row_is_not_found() {
        // `enrolments_course_fkey` alone would read as a bad `course_id` (422): on a delete
        // it means the course is in use.
        let refused = DbError::Constraint {
            constraint: "enrolments_course_fkey".into(),
        };
        assert!(matches!(
            still_referred_to(refused, "course"),
            Error::Conflict { field: None, .. }
        ));
        let resources = DbError::Constraint {
            constraint: "course_resources_course_fkey".into(),
        };
        assert!(matches!(
            still_referred_to(resources, "course"),
            Error::Conflict { field: None, ref detail } if detail.contains("resources")
        ));
        assert!(matches!(
            still_referred_to(DbError::NotFound, "unit"),
            Error::NotFound
        ));
    }
}
