//! The curriculum: courses, their components (aims), units and criteria. Admins manage
//! them, one item at a time or by importing a whole course; staff read them.
//!
//! Adapters over `folio_app::curriculum`: requests are read and checked here, once the
//! use case has found the caller allowed.

mod csv_body;
mod import;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use folio_app::curriculum::{
    self, Component, ComponentDetails, Course, CourseDetails, CourseStructure, Criterion,
    CriterionDetails, Unit, UnitDetails,
};
use folio_domain::standards::{is_standard_code, is_standard_version};
use folio_domain::{
    ComponentTitle, CourseDescription, CourseTitle, CriterionText, CurriculumCode, OffTheJobHours,
    OptionalGroup, Position, UnitKind, UnitTitle,
};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use self::csv_body::CsvBody;
use self::import::ImportCourseRequest;
use crate::AppState;
use crate::json_body::JsonBody;
use crate::pagination::{decode_name_cursor, next_name_cursor, page_limit, search_term};
use crate::principal::Credentials;
use crate::problem::{ApiResult, AppResult, Fields, checked};

#[derive(Tags)]
enum CurriculumTag {
    /// Courses and their components, units and criteria (admins manage; staff read).
    Curriculum,
}

/// Courses and their structure, under `/api/v1`.
pub struct CurriculumApi(pub AppState);

/// A course's own fields.
#[derive(Debug, Object)]
struct CourseBody {
    /// Id.
    id: Uuid,
    /// Code, unique in the organisation.
    code: String,
    /// Title.
    title: String,
    /// What the course is about.
    description: Option<String>,
    /// The course's own off-the-job minimum, in hours (used when its standard has no
    /// published minimum in force at a learner's start).
    off_the_job_minimum_hours: Option<i32>,
    /// The apprenticeship standard it is.
    standard_code: Option<String>,
    /// The standard's version.
    standard_version: Option<String>,
    /// Added.
    created_at: DateTime<Utc>,
    /// Last changed (its own fields).
    updated_at: DateTime<Utc>,
}

impl From<Course> for CourseBody {
    fn from(c: Course) -> Self {
        Self {
            id: c.id,
            code: c.code,
            title: c.title,
            description: c.description,
            off_the_job_minimum_hours: c.off_the_job_minimum_hours,
            standard_code: c.standard_code,
            standard_version: c.standard_version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A course with its whole structure, each level in position order.
#[derive(Debug, Object)]
struct CourseStructureBody {
    /// Id.
    id: Uuid,
    /// Code, unique in the organisation.
    code: String,
    /// Title.
    title: String,
    /// What the course is about.
    description: Option<String>,
    /// Off-the-job training required, in hours.
    off_the_job_minimum_hours: Option<i32>,
    /// Added.
    created_at: DateTime<Utc>,
    /// Last changed (its own fields).
    updated_at: DateTime<Utc>,
    /// Components (aims), each with its units and their criteria.
    components: Vec<ComponentStructureBody>,
}

/// A component of a course.
#[derive(Debug, Object)]
struct ComponentBody {
    /// Id.
    id: Uuid,
    /// Its course.
    course_id: Uuid,
    /// Title, unique in the course.
    title: String,
    /// Place in the course (lower first).
    position: i32,
    /// English or maths (e.g. Functional Skills): time logged against it never counts as
    /// off-the-job training.
    english_maths: bool,
    /// Added.
    created_at: DateTime<Utc>,
}

impl From<Component> for ComponentBody {
    fn from(c: Component) -> Self {
        Self {
            id: c.id,
            course_id: c.course_id,
            title: c.title,
            position: c.position,
            english_maths: c.english_maths,
            created_at: c.created_at,
        }
    }
}

/// A component with its units.
#[derive(Debug, Object)]
struct ComponentStructureBody {
    /// Id.
    id: Uuid,
    /// Title, unique in the course.
    title: String,
    /// Place in the course (lower first).
    position: i32,
    /// Units, in position order.
    units: Vec<UnitStructureBody>,
}

/// A unit of a component.
#[derive(Debug, Object)]
struct UnitBody {
    /// Id.
    id: Uuid,
    /// Its component.
    component_id: Uuid,
    /// Code, unique in the component.
    code: String,
    /// Title.
    title: String,
    /// Chosen per learner rather than taken by all.
    optional: bool,
    /// The group an optional unit is chosen from.
    optional_group: Option<String>,
    /// Place in the component (lower first).
    position: i32,
    /// Added.
    created_at: DateTime<Utc>,
}

impl From<Unit> for UnitBody {
    fn from(u: Unit) -> Self {
        Self {
            id: u.id,
            component_id: u.component_id,
            code: u.code,
            title: u.title,
            optional: u.optional,
            optional_group: u.optional_group,
            position: u.position,
            created_at: u.created_at,
        }
    }
}

/// A unit with its criteria.
#[derive(Debug, Object)]
struct UnitStructureBody {
    /// Id.
    id: Uuid,
    /// Code, unique in the component.
    code: String,
    /// Title.
    title: String,
    /// Chosen per learner rather than taken by all.
    optional: bool,
    /// The group an optional unit is chosen from.
    optional_group: Option<String>,
    /// Place in the component (lower first).
    position: i32,
    /// Criteria, in position order.
    criteria: Vec<CriterionBody>,
}

/// A criterion of a unit.
#[derive(Debug, Object)]
struct CriterionBody {
    /// Id.
    id: Uuid,
    /// Its unit.
    unit_id: Uuid,
    /// Code, unique in the unit.
    code: String,
    /// What it asks of the learner (may span lines).
    text: String,
    /// Place in the unit (lower first).
    position: i32,
    /// Added.
    created_at: DateTime<Utc>,
}

impl From<Criterion> for CriterionBody {
    fn from(c: Criterion) -> Self {
        Self {
            id: c.id,
            unit_id: c.unit_id,
            code: c.code,
            text: c.text,
            position: c.position,
            created_at: c.created_at,
        }
    }
}

impl From<CourseStructure> for CourseStructureBody {
    /// Nests the flat, position-ordered levels; grouping keeps each level's order.
    fn from(s: CourseStructure) -> Self {
        let mut criteria: HashMap<Uuid, Vec<CriterionBody>> = HashMap::new();
        for criterion in s.criteria {
            criteria
                .entry(criterion.unit_id)
                .or_default()
                .push(criterion.into());
        }
        let mut units: HashMap<Uuid, Vec<UnitStructureBody>> = HashMap::new();
        for unit in s.units {
            units
                .entry(unit.component_id)
                .or_default()
                .push(UnitStructureBody {
                    criteria: criteria.remove(&unit.id).unwrap_or_default(),
                    id: unit.id,
                    code: unit.code,
                    title: unit.title,
                    optional: unit.optional,
                    optional_group: unit.optional_group,
                    position: unit.position,
                });
        }
        let components = s
            .components
            .into_iter()
            .map(|c| ComponentStructureBody {
                units: units.remove(&c.id).unwrap_or_default(),
                id: c.id,
                title: c.title,
                position: c.position,
            })
            .collect();
        let c = s.course;
        Self {
            id: c.id,
            code: c.code,
            title: c.title,
            description: c.description,
            off_the_job_minimum_hours: c.off_the_job_minimum_hours,
            created_at: c.created_at,
            updated_at: c.updated_at,
            components,
        }
    }
}

/// Checks a course's own fields, noting each problem under its field name; `None` when any
/// is invalid. Shared by create, replace and JSON import, whose fields are named alike.
fn course_details(
    fields: &mut Fields,
    code: &str,
    title: &str,
    description: Option<&str>,
    off_the_job_minimum_hours: Option<i64>,
) -> Option<CourseDetails> {
    let code = fields.check("code", CurriculumCode::parse(code));
    let title = fields.check("title", CourseTitle::parse(title));
    let description = fields.check(
        "description",
        CourseDescription::parse_optional(description),
    );
    let hours = fields.check(
        "off_the_job_minimum_hours",
        off_the_job_minimum_hours
            .map(OffTheJobHours::new)
            .transpose(),
    );
    Some(CourseDetails {
        code: code?,
        title: title?,
        description: description?,
        off_the_job_minimum_hours: hours?,
        standard: None,
    })
}

fn position(fields: &mut Fields, raw: Option<i64>) -> Option<Option<Position>> {
    fields.check("position", raw.map(Position::new).transpose())
}

/// A course's own fields (all of them, for create and replace).
#[derive(Debug, Object, Deserialize)]
struct CourseRequest {
    /// Code, unique in the organisation, e.g. `ST0457`.
    code: String,
    /// Title.
    title: String,
    /// What the course is about (several lines allowed).
    description: Option<String>,
    /// The course's own off-the-job minimum, in hours (0-10000): used only when its
    /// apprenticeship standard has no published minimum in force at a learner's start.
    off_the_job_minimum_hours: Option<i64>,
    /// The apprenticeship standard the course is: `ST` and four digits (e.g. `ST0118`).
    /// From August 2025 a learner's off-the-job minimum is the standard's published one
    /// (`GET /api/v1/standards`) in force at their start date.
    standard_code: Option<String>,
    /// The standard's version (e.g. `1.0`); left out, any version's published value.
    standard_version: Option<String>,
}

impl CourseRequest {
    fn parse(self) -> AppResult<CourseDetails> {
        let mut fields = Fields::default();
        let details = course_details(
            &mut fields,
            &self.code,
            &self.title,
            self.description.as_deref(),
            self.off_the_job_minimum_hours,
        );
        let code = self
            .standard_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let version = self
            .standard_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        fields.require(
            "standard_code",
            code.is_none_or(is_standard_code),
            "must be ST and four digits, as the standard is published (ST0118)",
        );
        fields.require(
            "standard_version",
            version.is_none_or(is_standard_version),
            "must be a version number such as 1.0",
        );
        fields.require(
            "standard_version",
            version.is_none() || code.is_some(),
            "needs standard_code",
        );
        fields.finish()?;
        let mut details = checked(details)?;
        details.standard = code.map(|c| (c.to_owned(), version.map(str::to_owned)));
        Ok(details)
    }
}

/// A component's fields.
#[derive(Debug, Object, Deserialize)]
struct ComponentRequest {
    /// Title, unique in the course.
    title: String,
    /// Place in the course (0-1000000, lower first; equal places list in order of
    /// creation). Left out, a new component goes last and a changed one stays put.
    position: Option<i64>,
    /// English or maths (e.g. Functional Skills Maths): time logged against it never
    /// counts as off-the-job training. Left out, a new component is not and a changed one
    /// keeps its setting.
    english_maths: Option<bool>,
}

impl ComponentRequest {
    fn parse(self) -> AppResult<ComponentDetails> {
        let mut fields = Fields::default();
        let title = fields.check("title", ComponentTitle::parse(&self.title));
        let position = position(&mut fields, self.position);
        fields.finish()?;
        Ok(ComponentDetails {
            title: checked(title)?,
            position: checked(position)?,
            english_maths: self.english_maths,
        })
    }
}

/// A unit's fields.
#[derive(Debug, Object, Deserialize)]
struct UnitRequest {
    /// Code, unique in the component.
    code: String,
    /// Title.
    title: String,
    /// Chosen per learner rather than taken by all.
    optional: bool,
    /// The group an optional unit is chosen from (only for optional units).
    optional_group: Option<String>,
    /// Place in the component (0-1000000, lower first; equal places list in order of
    /// creation). Left out, a new unit goes last and a changed one stays put.
    position: Option<i64>,
}

impl UnitRequest {
    fn parse(self) -> AppResult<UnitDetails> {
        let mut fields = Fields::default();
        let code = fields.check("code", CurriculumCode::parse(&self.code));
        let title = fields.check("title", UnitTitle::parse(&self.title));
        let kind = fields
            .check(
                "optional_group",
                OptionalGroup::parse_optional(self.optional_group.as_deref()),
            )
            .and_then(|group| fields.check("optional_group", UnitKind::new(self.optional, group)));
        let position = position(&mut fields, self.position);
        fields.finish()?;
        Ok(UnitDetails {
            code: checked(code)?,
            title: checked(title)?,
            kind: checked(kind)?,
            position: checked(position)?,
        })
    }
}

/// A criterion's fields.
#[derive(Debug, Object, Deserialize)]
struct CriterionRequest {
    /// Code, unique in the unit, e.g. `1.2`.
    code: String,
    /// What it asks of the learner (several lines allowed, at most 2000 characters).
    text: String,
    /// Place in the unit (0-1000000, lower first; equal places list in order of
    /// creation). Left out, a new criterion goes last and a changed one stays put.
    position: Option<i64>,
}

impl CriterionRequest {
    fn parse(self) -> AppResult<CriterionDetails> {
        let mut fields = Fields::default();
        let code = fields.check("code", CurriculumCode::parse(&self.code));
        let text = fields.check("text", CriterionText::parse(&self.text));
        let position = position(&mut fields, self.position);
        fields.finish()?;
        Ok(CriterionDetails {
            code: checked(code)?,
            text: checked(text)?,
            position: checked(position)?,
        })
    }
}

/// A page of courses ordered by title.
#[derive(Debug, Object)]
struct CoursePage {
    /// Courses (their own fields; `GET /courses/{id}` has the structure).
    items: Vec<CourseBody>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum CreateCourseResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<CourseBody>),
}

#[derive(ApiResponse)]
enum ImportCourseResponse {
    /// Created, with its whole structure.
    #[oai(status = 201)]
    Created(Json<CourseStructureBody>),
}

/// An apprenticeship standard's published off-the-job minimum, from a start date on.
#[derive(Debug, Object)]
struct StandardBody {
    /// `ST` and four digits.
    code: String,
    /// Version.
    version: String,
    /// Title.
    title: String,
    /// Minimum off-the-job hours for learners starting on or after `applies_from` (until a
    /// later value of the same standard and version applies).
    otj_minimum_hours: i32,
    /// The first start date it applies to.
    applies_from: chrono::NaiveDate,
    /// When the platform operator imported it.
    imported_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
enum CreateComponentResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<ComponentBody>),
}

#[derive(ApiResponse)]
enum CreateUnitResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<UnitBody>),
}

#[derive(ApiResponse)]
enum CreateCriterionResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<CriterionBody>),
}

#[derive(ApiResponse)]
enum DeletedResponse {
    /// Removed.
    #[oai(status = 204)]
    Deleted,
}

#[OpenApi(prefix_path = "/api/v1", tag = "CurriculumTag::Curriculum")]
impl CurriculumApi {
    /// The apprenticeship standards' published minimum off-the-job hours, with the start
    /// dates they apply from (a transition list is several rows of one standard), as the
    /// platform operator imported them (`folio standards import`).
    #[oai(path = "/standards", method = "get")]
    async fn standards(&self, credentials: Credentials) -> ApiResult<Json<Vec<StandardBody>>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let rows = curriculum::standards(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(
            rows.into_iter()
                .map(|r| StandardBody {
                    code: r.code,
                    version: r.version,
                    title: r.title,
                    otj_minimum_hours: r.otj_minimum_hours,
                    applies_from: r.applies_from,
                    imported_at: r.imported_at,
                })
                .collect(),
        ))
    }

    /// Courses, by title; search matches part of the code or title.
    #[oai(path = "/courses", method = "get")]
    async fn list_courses(
        &self,
        credentials: Credentials,
        /// Part of a code or title.
        q: Query<Option<String>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<CoursePage>> {
        let search = search_term(q.0)?;
        let after = decode_name_cursor(cursor.0.as_deref())?;
        let limit = page_limit(limit.0)?;
        let mut uow = self.0.authenticate(&credentials).await?;
        let page =
            curriculum::list_courses(&mut uow, search.as_deref(), after.as_ref(), limit).await?;
        uow.commit().await?;
        let next_cursor = next_name_cursor(&page, |c| (&c.title, c.id));
        Ok(Json(CoursePage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Add a course with no structure yet.
    #[oai(path = "/courses", method = "post")]
    async fn create_course(
        &self,
        credentials: Credentials,
        body: JsonBody<CourseRequest>,
    ) -> ApiResult<CreateCourseResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let course = curriculum::create_course(&mut uow, || body.0.parse()).await?;
        uow.commit().await?;
        Ok(CreateCourseResponse::Created(Json(course.into())))
    }

    /// Import a whole new course from JSON, all or nothing; positions follow array order.
    /// Every problem is named by its path, e.g. `components[0].units[2].code`.
    #[oai(path = "/courses/import", method = "post")]
    async fn import_course(
        &self,
        credentials: Credentials,
        body: JsonBody<ImportCourseRequest>,
    ) -> ApiResult<ImportCourseResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let check = || import::from_json(body.0).map(|i| (i.details, i.components));
        let structure = curriculum::import_course(&mut uow, "json", check).await?;
        uow.commit().await?;
        Ok(ImportCourseResponse::Created(Json(structure.into())))
    }

    /// Import a whole new course from CSV, all or nothing: a header row naming the columns
    /// (any order) `course_code`, `course_title`, `component`, `unit_code`, `unit_title`,
    /// `unit_optional` (yes/no/true/false/blank), `optional_group`, `criterion_code`,
    /// `criterion_text`, then one row per criterion. Every problem is named by row and
    /// column, e.g. `rows[3].unit_code` (row 1 is the first after the header).
    #[oai(path = "/courses/import-csv", method = "post")]
    async fn import_course_csv(
        &self,
        credentials: Credentials,
        body: CsvBody,
    ) -> ApiResult<ImportCourseResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let check = || import::from_csv(&body.0).map(|i| (i.details, i.components));
        let structure = curriculum::import_course(&mut uow, "csv", check).await?;
        uow.commit().await?;
        Ok(ImportCourseResponse::Created(Json(structure.into())))
    }

    /// One course with its whole structure: components, units and criteria in order.
    #[oai(path = "/courses/:id", method = "get")]
    async fn get_course(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<CourseStructureBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let structure = curriculum::course(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(structure.into()))
    }

    /// Replace a course's own fields (its structure stays).
    #[oai(path = "/courses/:id", method = "put")]
    async fn replace_course(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<CourseRequest>,
    ) -> ApiResult<Json<CourseBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let course = curriculum::replace_course(&mut uow, id.0, || body.0.parse()).await?;
        uow.commit().await?;
        Ok(Json(course.into()))
    }

    /// Remove a course with its whole structure (409 while learners' records refer to it).
    #[oai(path = "/courses/:id", method = "delete")]
    async fn delete_course(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<DeletedResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        curriculum::delete_course(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(DeletedResponse::Deleted)
    }

    /// Add a component (aim) to a course.
    #[oai(path = "/courses/:id/components", method = "post")]
    async fn create_component(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<ComponentRequest>,
    ) -> ApiResult<CreateComponentResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let component = curriculum::create_component(&mut uow, id.0, || body.0.parse()).await?;
        uow.commit().await?;
        Ok(CreateComponentResponse::Created(Json(component.into())))
    }

    /// Change a component's title and, if given, its position.
    #[oai(path = "/components/:id", method = "put")]
    async fn replace_component(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<ComponentRequest>,
    ) -> ApiResult<Json<ComponentBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let component = curriculum::replace_component(&mut uow, id.0, || body.0.parse()).await?;
        uow.commit().await?;
        Ok(Json(component.into()))
    }

    /// Remove a component with its units and criteria.
    #[oai(path = "/components/:id", method = "delete")]
    async fn delete_component(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<DeletedResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        curriculum::delete_component(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(DeletedResponse::Deleted)
    }

    /// Add a unit to a component.
    #[oai(path = "/components/:id/units", method = "post")]
    async fn create_unit(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<UnitRequest>,
    ) -> ApiResult<CreateUnitResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let unit = curriculum::create_unit(&mut uow, id.0, || body.0.parse()).await?;
        uow.commit().await?;
        Ok(CreateUnitResponse::Created(Json(unit.into())))
    }

    /// Replace a unit's code, title and optionality and, if given, its position.
    #[oai(path = "/units/:id", method = "put")]
    async fn replace_unit(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<UnitRequest>,
    ) -> ApiResult<Json<UnitBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let unit = curriculum::replace_unit(&mut uow, id.0, || body.0.parse()).await?;
        uow.commit().await?;
        Ok(Json(unit.into()))
    }

    /// Remove a unit with its criteria.
    #[oai(path = "/units/:id", method = "delete")]
    async fn delete_unit(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<DeletedResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        curriculum::delete_unit(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(DeletedResponse::Deleted)
    }

    /// Add a criterion to a unit.
    #[oai(path = "/units/:id/criteria", method = "post")]
    async fn create_criterion(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<CriterionRequest>,
    ) -> ApiResult<CreateCriterionResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let criterion = curriculum::create_criterion(&mut uow, id.0, || body.0.parse()).await?;
        uow.commit().await?;
        Ok(CreateCriterionResponse::Created(Json(criterion.into())))
    }

    /// Replace a criterion's code and text and, if given, its position.
    #[oai(path = "/criteria/:id", method = "put")]
    async fn replace_criterion(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<CriterionRequest>,
    ) -> ApiResult<Json<CriterionBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let criterion = curriculum::replace_criterion(&mut uow, id.0, || body.0.parse()).await?;
        uow.commit().await?;
        Ok(Json(criterion.into()))
    }

    /// Remove a criterion.
    #[oai(path = "/criteria/:id", method = "delete")]
    async fn delete_criterion(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<DeletedResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        curriculum::delete_criterion(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(DeletedResponse::Deleted)
    }
}
