//! Enrolments: learners on courses, the people around them, their status and chosen units.

use chrono::{DateTime, NaiveDate, Utc};
use folio_db::enrolments::{self, Enrolment, EnrolmentFilter, NewEnrolment, PeopleChanges};
use folio_domain::{EnrolmentStatus, Permission, Role, StatusChange, check_transition};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::pagination::{decode_name_cursor, next_name_cursor, page_limit};
use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiError, ApiResult, AppError, AppResult, FieldError, Fields};

#[derive(Tags)]
enum EnrolmentsTag {
    /// Learners on courses: caseloads, status, optional units.
    Enrolments,
}

pub struct EnrolmentsApi(pub AppState);

/// Where a learner is in their programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum StatusName {
    /// Enrolled, induction not yet attended.
    AwaitingInduction,
    /// Learning.
    InLearning,
    /// On a break in learning.
    BreakInLearning,
    /// Withdrawn.
    Withdrawn,
    /// Completed (gateway reached).
    Completed,
}

impl From<StatusName> for EnrolmentStatus {
    fn from(s: StatusName) -> Self {
        match s {
            StatusName::AwaitingInduction => EnrolmentStatus::AwaitingInduction,
            StatusName::InLearning => EnrolmentStatus::InLearning,
            StatusName::BreakInLearning => EnrolmentStatus::BreakInLearning,
            StatusName::Withdrawn => EnrolmentStatus::Withdrawn,
            StatusName::Completed => EnrolmentStatus::Completed,
        }
    }
}

impl From<EnrolmentStatus> for StatusName {
    fn from(s: EnrolmentStatus) -> Self {
        match s {
            EnrolmentStatus::AwaitingInduction => StatusName::AwaitingInduction,
            EnrolmentStatus::InLearning => StatusName::InLearning,
            EnrolmentStatus::BreakInLearning => StatusName::BreakInLearning,
            EnrolmentStatus::Withdrawn => StatusName::Withdrawn,
            EnrolmentStatus::Completed => StatusName::Completed,
        }
    }
}

/// The learner of an enrolment.
#[derive(Debug, Object)]
struct LearnerSummary {
    /// Id.
    id: Uuid,
    /// Name.
    name: String,
    /// E-mail address.
    email: String,
    /// Last sign-in.
    last_login_at: Option<DateTime<Utc>>,
}

/// The course of an enrolment.
#[derive(Debug, Object)]
struct CourseSummary {
    /// Id.
    id: Uuid,
    /// Code.
    code: String,
    /// Title.
    title: String,
}

/// A learner on a course.
#[derive(Debug, Object)]
struct EnrolmentBody {
    /// Id.
    id: Uuid,
    /// The learner.
    learner: LearnerSummary,
    /// The course.
    course: CourseSummary,
    /// First day of learning.
    start_date: NaiveDate,
    /// Planned end date: fixed at start.
    planned_end_date: NaiveDate,
    /// A changed plan, recorded beside the planned date.
    revised_end_date: Option<NaiveDate>,
    /// Why the plan changed.
    revised_end_reason: Option<String>,
    /// Assessor.
    assessor_id: Option<Uuid>,
    /// Internal quality assurer.
    iqa_id: Option<Uuid>,
    /// Employer organisation.
    employer_id: Option<Uuid>,
    /// Manager at the employer.
    manager_id: Option<Uuid>,
    /// Contracted hours a week.
    contracted_hours_per_week: f64,
    /// Planned off-the-job hours: fixed at start.
    planned_otj_hours: f64,
    /// Status.
    status: StatusName,
    /// When learning began.
    learning_started_on: Option<NaiveDate>,
    /// First day of the current break, if on one.
    break_started_on: Option<NaiveDate>,
    /// Last day of learning, if withdrawn.
    withdrawn_on: Option<NaiveDate>,
    /// Why the learner withdrew.
    withdrawal_reason: Option<String>,
    /// Actual end / gateway date, if completed.
    completed_on: Option<NaiveDate>,
    /// Optional units chosen for the learner.
    optional_unit_ids: Vec<Uuid>,
    /// Created.
    created_at: DateTime<Utc>,
    /// Last changed.
    updated_at: DateTime<Utc>,
}

impl From<Enrolment> for EnrolmentBody {
    fn from(e: Enrolment) -> Self {
        Self {
            status: e.status().map_or(StatusName::AwaitingInduction, Into::into),
            id: e.id,
            learner: LearnerSummary {
                id: e.learner_id,
                name: e.learner_name,
                email: e.learner_email,
                last_login_at: e.learner_last_login_at,
            },
            course: CourseSummary {
                id: e.course_id,
                code: e.course_code,
                title: e.course_title,
            },
            start_date: e.start_date,
            planned_end_date: e.planned_end_date,
            revised_end_date: e.revised_end_date,
            revised_end_reason: e.revised_end_reason,
            assessor_id: e.assessor_id,
            iqa_id: e.iqa_id,
            employer_id: e.employer_id,
            manager_id: e.manager_id,
            contracted_hours_per_week: e.contracted_hours_per_week.to_f64().unwrap_or_default(),
            planned_otj_hours: e.planned_otj_hours.to_f64().unwrap_or_default(),
            learning_started_on: e.learning_started_on,
            break_started_on: e.break_started_on,
            withdrawn_on: e.withdrawn_on,
            withdrawal_reason: e.withdrawal_reason,
            completed_on: e.completed_on,
            optional_unit_ids: e.optional_unit_ids,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new enrolment.
#[derive(Debug, Object, Deserialize)]
struct NewEnrolmentRequest {
    /// A person with the learner role.
    learner_id: Uuid,
    /// The course.
    course_id: Uuid,
    /// First day of learning.
    start_date: NaiveDate,
    /// Planned end date (after the start; fixed once set).
    planned_end_date: NaiveDate,
    /// A person with the assessor role.
    assessor_id: Option<Uuid>,
    /// A person with the IQA role.
    iqa_id: Option<Uuid>,
    /// Employer organisation.
    employer_id: Option<Uuid>,
    /// A person with the employer role: the learner's manager.
    manager_id: Option<Uuid>,
    /// Contracted hours a week (more than 0, at most 168, two decimals).
    contracted_hours_per_week: f64,
    /// Planned off-the-job hours (0 to 10,000, two decimals; fixed once set).
    planned_otj_hours: f64,
}

/// Changes to the people around a learner; fields left out stay, `null` clears.
#[derive(Debug, Object, Deserialize)]
struct EnrolmentUpdate {
    /// Assessor.
    #[serde(default)]
    assessor_id: MaybeUndefined<Uuid>,
    /// IQA.
    #[serde(default)]
    iqa_id: MaybeUndefined<Uuid>,
    /// Employer organisation.
    #[serde(default)]
    employer_id: MaybeUndefined<Uuid>,
    /// Manager.
    #[serde(default)]
    manager_id: MaybeUndefined<Uuid>,
    /// Contracted hours a week.
    contracted_hours_per_week: Option<f64>,
}

/// A change of status.
#[derive(Debug, Object, Deserialize)]
struct StatusRequest {
    /// `in_learning` (start, or return from a break), `break_in_learning`, `withdrawn` or
    /// `completed`.
    status: StatusName,
    /// The day it took effect (for `completed`, the actual end / gateway date).
    on: NaiveDate,
    /// Required for `withdrawn`.
    reason: Option<String>,
}

/// A revised end date, recorded beside the fixed planned one.
#[derive(Debug, Object, Deserialize)]
struct RevisedEndRequest {
    /// The new expected end date.
    revised_end_date: NaiveDate,
    /// Why the plan changed.
    reason: String,
}

/// The optional units chosen for a learner.
#[derive(Debug, Object, Deserialize)]
struct OptionalUnitsRequest {
    /// Ids of optional units of the learner's course; replaces the current choice.
    unit_ids: Vec<Uuid>,
}

/// A page of enrolments ordered by learner name.
#[derive(Debug, Object)]
struct EnrolmentPage {
    /// Enrolments.
    items: Vec<EnrolmentBody>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum CreateEnrolmentResponse {
    /// Enrolled.
    #[oai(status = 201)]
    Created(Json<EnrolmentBody>),
}

/// Hours as exact decimals with at most two places, within `max`.
fn hours(
    fields: &mut Fields,
    field: &str,
    value: f64,
    allow_zero: bool,
    max: f64,
) -> Option<Decimal> {
    // Judged after rounding to the two places stored: 0.001 hours is 0.00, not "more than 0".
    let decimal = Decimal::from_f64(value)
        .map(|d| d.round_dp(2))
        .filter(|_| value.is_finite());
    let in_range = decimal.is_some_and(|d| {
        d <= Decimal::from_f64(max).unwrap_or(Decimal::MAX)
            && (d > Decimal::ZERO || (allow_zero && d == Decimal::ZERO))
    });
    let low = if allow_zero { "0" } else { "more than 0" };
    fields.require(field, in_range, &format!("must be {low} and at most {max}"));
    decimal.filter(|_| in_range)
}

/// Checks that a manager works for the learner's employer: a manager sees the learner's
/// whole portfolio, so an organisation's manager must not be put on another's employee.
async fn check_manager(
    authed: &mut Authenticated,
    fields: &mut Fields,
    manager_id: Option<Uuid>,
    employer_id: Option<Uuid>,
) -> AppResult<()> {
    if let Some(manager) = manager_id {
        let works_for = folio_db::users::employer_of(&mut authed.tx, manager).await?;
        if employer_id.is_none() || works_for != employer_id {
            fields.add(
                "manager_id",
                "must work for the learner's employer (set employer_id to their organisation)",
            );
        }
    }
    Ok(())
}

/// Checks that each named person is active and holds the role their place needs.
async fn check_people(
    authed: &mut Authenticated,
    fields: &mut Fields,
    people: [(&str, Option<Uuid>, Role); 4],
) -> AppResult<()> {
    for (field, id, role) in people {
        if let Some(id) = id
            && !enrolments::is_active_with_role(&mut authed.tx, id, role).await?
        {
            fields.require(
                field,
                false,
                &format!("must be an active person with the {role} role"),
            );
        }
    }
    Ok(())
}

/// Loads an enrolment the caller may see and checks they may manage it (admin, or its
/// assessor): 404 if they cannot see it, 403 if they can see but not manage it. Only for
/// handlers that then change it: the row stays locked until their transaction ends.
async fn manageable(authed: &mut Authenticated, id: Uuid) -> AppResult<Enrolment> {
    // Read under the row lock: concurrent changes to one enrolment queue up and each
    // checks its transition against the state the previous one left.
    enrolments::lock(&mut authed.tx, id).await?;
    let enrolment = authed.visible_enrolment(id).await?;
    if !authed.principal.manages(&enrolment) {
        return Err(AppError::Forbidden);
    }
    Ok(enrolment.into_inner())
}

async fn record(
    authed: &mut Authenticated,
    action: &str,
    id: Uuid,
    details: serde_json::Value,
) -> AppResult<()> {
    authed.audit(action, "enrolment", id, details).await
}

async fn finish(mut authed: Authenticated, id: Uuid) -> AppResult<Json<EnrolmentBody>> {
    let enrolment = authed.visible_enrolment(id).await?;
    authed.tx.commit().await?;
    Ok(Json(enrolment.into_inner().into()))
}

fn maybe(value: MaybeUndefined<Uuid>) -> Option<Option<Uuid>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[OpenApi(prefix_path = "/api/v1/enrolments", tag = "EnrolmentsTag::Enrolments")]
impl EnrolmentsApi {
    /// Enrol a learner on a course (admins).
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        body: JsonBody<NewEnrolmentRequest>,
    ) -> ApiResult<CreateEnrolmentResponse> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageEnrolments)
            .await?;
        let req = body.0;
        let mut fields = Fields::default();
        fields.require(
            "planned_end_date",
            req.planned_end_date > req.start_date,
            "must be after start_date",
        );
        fields.date("start_date", req.start_date);
        fields.date("planned_end_date", req.planned_end_date);
        check_manager(&mut authed, &mut fields, req.manager_id, req.employer_id).await?;
        let contracted = hours(
            &mut fields,
            "contracted_hours_per_week",
            req.contracted_hours_per_week,
            false,
            168.0,
        );
        let planned = hours(
            &mut fields,
            "planned_otj_hours",
            req.planned_otj_hours,
            true,
            10_000.0,
        );
        check_people(
            &mut authed,
            &mut fields,
            [
                ("learner_id", Some(req.learner_id), Role::Learner),
                ("assessor_id", req.assessor_id, Role::Assessor),
                ("iqa_id", req.iqa_id, Role::Iqa),
                ("manager_id", req.manager_id, Role::Employer),
            ],
        )
        .await?;
        fields.finish()?;
        let (Some(contracted_hours_per_week), Some(planned_otj_hours)) = (contracted, planned)
        else {
            return Err(AppError::Internal("validated hours missing".into()).into());
        };
        let id = Uuid::now_v7();
        enrolments::insert(
            &mut authed.tx,
            &NewEnrolment {
                id,
                learner_id: req.learner_id,
                course_id: req.course_id,
                start_date: req.start_date,
                planned_end_date: req.planned_end_date,
                assessor_id: req.assessor_id,
                iqa_id: req.iqa_id,
                employer_id: req.employer_id,
                manager_id: req.manager_id,
                contracted_hours_per_week,
                planned_otj_hours,
            },
        )
        .await?;
        let details =
            serde_json::json!({ "learner_id": req.learner_id, "course_id": req.course_id });
        record(&mut authed, "enrolment.create", id, details).await?;
        let Json(body) = finish(authed, id).await?;
        Ok(CreateEnrolmentResponse::Created(Json(body)))
    }

    /// The enrolments I may see, by learner name: all for admins and auditors, my caseload
    /// for assessors, my assigned learners for IQAs, my organisation's employees for
    /// employers, my own for learners.
    #[oai(path = "/", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        credentials: Credentials,
        /// Only this status.
        status: Query<Option<StatusName>>,
        /// Only this assessor's caseload.
        assessor_id: Query<Option<Uuid>>,
        /// Only this learner.
        learner_id: Query<Option<Uuid>>,
        /// Only this course.
        course_id: Query<Option<Uuid>>,
        /// Only this employer organisation's employees.
        employer_id: Query<Option<Uuid>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<EnrolmentPage>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let after = decode_name_cursor(cursor.0.as_deref())?;
        let limit = page_limit(limit.0)?;
        let filter = EnrolmentFilter {
            status: status.0.map(Into::into),
            assessor_id: assessor_id.0,
            learner_id: learner_id.0,
            course_id: course_id.0,
            employer_id: employer_id.0,
        };
        let v = authed.principal.viewer();
        let page =
            enrolments::list_visible(&mut authed.tx, &v, &filter, after.as_ref(), limit).await?;
        authed.tx.commit().await?;
        let next_cursor = next_name_cursor(&page, |e| (&e.learner_name, e.id));
        Ok(Json(EnrolmentPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// One enrolment I may see.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<EnrolmentBody>> {
        let authed = self.0.authenticate(&credentials).await?;
        finish(authed, id.0).await.map_err(ApiError::from)
    }

    /// Change the assessor, IQA, employer, manager or contracted hours (admins).
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<EnrolmentUpdate>,
    ) -> ApiResult<Json<EnrolmentBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageEnrolments)
            .await?;
        let req = body.0;
        let changes = PeopleChanges {
            assessor_id: maybe(req.assessor_id),
            iqa_id: maybe(req.iqa_id),
            employer_id: maybe(req.employer_id),
            manager_id: maybe(req.manager_id),
            contracted_hours_per_week: None,
        };
        enrolments::lock(&mut authed.tx, id.0).await?;
        let current = authed.visible_enrolment(id.0).await?;
        let mut fields = Fields::default();
        let contracted = req
            .contracted_hours_per_week
            .map(|h| hours(&mut fields, "contracted_hours_per_week", h, false, 168.0));
        check_manager(
            &mut authed,
            &mut fields,
            changes.manager_id.unwrap_or(current.manager_id),
            changes.employer_id.unwrap_or(current.employer_id),
        )
        .await?;
        check_people(
            &mut authed,
            &mut fields,
            [
                ("assessor_id", changes.assessor_id.flatten(), Role::Assessor),
                ("iqa_id", changes.iqa_id.flatten(), Role::Iqa),
                ("manager_id", changes.manager_id.flatten(), Role::Employer),
                ("learner_id", None, Role::Learner),
            ],
        )
        .await?;
        fields.finish()?;
        let changes = PeopleChanges {
            contracted_hours_per_week: contracted.flatten(),
            ..changes
        };
        enrolments::update_people(&mut authed.tx, id.0, &changes).await?;
        let changed: Vec<&str> = [
            ("assessor_id", changes.assessor_id.is_some()),
            ("iqa_id", changes.iqa_id.is_some()),
            ("employer_id", changes.employer_id.is_some()),
            ("manager_id", changes.manager_id.is_some()),
            (
                "contracted_hours_per_week",
                changes.contracted_hours_per_week.is_some(),
            ),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect();
        record(
            &mut authed,
            "enrolment.update",
            id.0,
            serde_json::json!({ "fields": changed }),
        )
        .await?;
        finish(authed, id.0).await.map_err(ApiError::from)
    }

    /// Change the status: start learning, start or end a break, withdraw, complete (admins
    /// and the learner's assessor). Only the transitions the funding rules allow succeed.
    #[oai(path = "/:id/status", method = "post")]
    async fn change_status(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<StatusRequest>,
    ) -> ApiResult<Json<EnrolmentBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = manageable(&mut authed, id.0).await?;
        let req = body.0;
        let mut dates = Fields::default();
        dates.date("on", req.on);
        dates.finish()?;
        let current = enrolment
            .status()
            .ok_or_else(|| AppError::Internal("unknown status".into()))?;
        let reason = req
            .reason
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        let change = match EnrolmentStatus::from(req.status) {
            EnrolmentStatus::InLearning if current == EnrolmentStatus::BreakInLearning => {
                StatusChange::Resume { on: req.on }
            }
            EnrolmentStatus::InLearning => StatusChange::StartLearning { on: req.on },
            EnrolmentStatus::BreakInLearning => StatusChange::StartBreak { on: req.on },
            EnrolmentStatus::Withdrawn => StatusChange::Withdraw {
                on: req.on,
                reason: reason.clone(),
            },
            EnrolmentStatus::Completed => StatusChange::Complete { on: req.on },
            EnrolmentStatus::AwaitingInduction => {
                return Err(AppError::invalid(
                    "status",
                    "an enrolment cannot return to awaiting_induction",
                )
                .into());
            }
        };
        if reason.chars().count() > 1000 || reason.chars().any(|c| c.is_control() && c != '\n') {
            return Err(
                AppError::invalid("reason", "must be at most 1000 characters of text").into(),
            );
        }
        let next = check_transition(
            current,
            enrolment.start_date,
            enrolment.break_started_on,
            &change,
        )
        .map_err(|e| {
            let field = match e {
                folio_domain::TransitionError::NotAllowed { .. } => "status",
                folio_domain::TransitionError::TooEarly { .. } => "on",
                folio_domain::TransitionError::MissingReason => "reason",
            };
            AppError::Validation(vec![FieldError::new(field, e)])
        })?;
        let reason = matches!(change, StatusChange::Withdraw { .. }).then_some(reason.as_str());
        enrolments::apply_status(&mut authed.tx, id.0, next, req.on, reason).await?;
        let details =
            serde_json::json!({ "from": current.as_str(), "to": next.as_str(), "on": req.on });
        record(&mut authed, "enrolment.status", id.0, details).await?;
        finish(authed, id.0).await.map_err(ApiError::from)
    }

    /// Record a revised end date beside the fixed planned one (admins and the learner's
    /// assessor).
    #[oai(path = "/:id/revised-end-date", method = "post")]
    async fn revise_end_date(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<RevisedEndRequest>,
    ) -> ApiResult<Json<EnrolmentBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = manageable(&mut authed, id.0).await?;
        let req = body.0;
        let reason = req.reason.trim();
        let mut fields = Fields::default();
        fields.date("revised_end_date", req.revised_end_date);
        fields.require(
            "revised_end_date",
            req.revised_end_date > enrolment.start_date,
            "must be after the start date",
        );
        fields.require(
            "reason",
            !reason.is_empty()
                && reason.chars().count() <= 1000
                && !reason.chars().any(|c| c.is_control() && c != '\n'),
            "must be 1 to 1000 characters of text",
        );
        fields.finish()?;
        enrolments::revise_end_date(&mut authed.tx, id.0, req.revised_end_date, reason).await?;
        let details = serde_json::json!({ "revised_end_date": req.revised_end_date });
        record(&mut authed, "enrolment.revise_end_date", id.0, details).await?;
        finish(authed, id.0).await.map_err(ApiError::from)
    }

    /// Choose the learner's optional units (admins and the learner's assessor); replaces
    /// the current choice. Every id must be an optional unit of the learner's course.
    #[oai(path = "/:id/optional-units", method = "put")]
    async fn set_optional_units(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<OptionalUnitsRequest>,
    ) -> ApiResult<Json<EnrolmentBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = manageable(&mut authed, id.0).await?;
        let mut unit_ids = body.0.unit_ids;
        if unit_ids.len() > 500 {
            return Err(AppError::invalid("unit_ids", "must list at most 500 units").into());
        }
        let wrong =
            enrolments::not_optional_units_of(&mut authed.tx, enrolment.course_id, &unit_ids)
                .await?;
        if !wrong.is_empty() {
            let errors = unit_ids
                .iter()
                .enumerate()
                .filter(|(_, u)| wrong.contains(u))
                .map(|(i, _)| {
                    FieldError::new(
                        format!("unit_ids[{i}]"),
                        "is not an optional unit of this course",
                    )
                })
                .collect();
            return Err(AppError::Validation(errors).into());
        }
        unit_ids.sort();
        unit_ids.dedup();
        enrolments::set_optional_units(&mut authed.tx, id.0, &unit_ids).await?;
        record(
            &mut authed,
            "enrolment.optional_units",
            id.0,
            serde_json::json!({ "unit_ids": unit_ids }),
        )
        .await?;
        finish(authed, id.0).await.map_err(ApiError::from)
    }
}
