//! Loading the demo data (`folio demo`): the writes the operator's demo loader makes in an
//! organisation, each audited with `"source": "demo"`. The data itself (names, the course,
//! who is enrolled with whom) is the binary's; these only store it, in a [`SystemWork`]
//! opened with [`SystemWork::begin_as_operator`].

use folio_db::{curriculum, employers, enrolments, profile};
use uuid::Uuid;

pub use folio_db::curriculum::{CourseDetails, NewComponent, NewCriterion, NewUnit};
pub use folio_db::employers::EmployerDetails;
pub use folio_db::enrolments::NewEnrolment;

use crate::{Result, SystemWork};

/// The id of an employer named exactly `name`, if the organisation has one (among the
/// first ten whose names contain it).
pub async fn employer_named(work: &mut SystemWork, name: &str) -> Result<Option<Uuid>> {
    let page = employers::list(&mut work.tx, Some(name), None, 10).await?;
    Ok(page.items.iter().find(|e| e.name == name).map(|e| e.id))
}

/// Adds an employer, audited as `employer.create`.
pub async fn add_employer(
    work: &mut SystemWork,
    id: Uuid,
    details: &EmployerDetails,
) -> Result<()> {
    employers::insert(&mut work.tx, id, details).await?;
    work.audit(
        "employer.create",
        "employer",
        id,
        serde_json::json!({ "source": "demo" }),
    )
    .await
}

/// Whether a course with exactly this code exists (among the first ten matching it).
pub async fn has_course(work: &mut SystemWork, code: &str) -> Result<bool> {
    let existing = curriculum::list_courses(&mut work.tx, Some(code), None, 10).await?;
    Ok(existing.items.iter().any(|c| c.code == code))
}

/// A course to load with its learners and the organisation's disclaimer.
pub struct Programme<'a> {
    /// The course's id.
    pub course_id: Uuid,
    /// Its code, title and the rest.
    pub course: &'a CourseDetails,
    /// Its components, units and criteria.
    pub structure: &'a [NewComponent],
    /// The learners enrolled on it.
    pub enrolments: &'a [NewEnrolment],
    /// The disclaimer learners accept at first sign-in.
    pub disclaimer: &'a str,
    /// The admin the disclaimer is recorded as set by.
    pub disclaimer_set_by: Uuid,
}

/// Stores a course with its structure, enrols its learners and sets the disclaimer,
/// audited once as `course.create`.
pub async fn add_programme(work: &mut SystemWork, programme: &Programme<'_>) -> Result<()> {
    curriculum::insert_course(&mut work.tx, programme.course_id, programme.course).await?;
    curriculum::insert_structure(&mut work.tx, programme.course_id, programme.structure).await?;
    for enrolment in programme.enrolments {
        enrolments::insert(&mut work.tx, enrolment).await?;
    }
    profile::set_disclaimer(
        &mut work.tx,
        Some(programme.disclaimer),
        programme.disclaimer_set_by,
    )
    .await?;
    work.audit(
        "course.create",
        "course",
        programme.course_id,
        serde_json::json!({ "source": "demo" }),
    )
    .await
}
