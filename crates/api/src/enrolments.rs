//! Enrolments: learners on courses, the people around them, their status and chosen units.
//!
//! Adapters over `folio_app::enrolments`, where who may enrol, change and read them is
//! written.

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::enrolments::{self, EnrolmentFilter, EnrolmentView};
use folio_domain::{BreakReason, EnrolmentStatus};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

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

/// Why a learner takes a break in learning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum BreakReasonName {
    /// Injury or illness.
    Illness,
    /// Maternity, paternity, adoption or shared parental leave.
    ParentalLeave,
    /// Other personal reasons.
    Personal,
    /// The employer asked for it, or the learner is between employers.
    Employer,
    /// Financial reasons.
    Financial,
    /// Anything else.
    Other,
}

impl From<BreakReasonName> for BreakReason {
    fn from(r: BreakReasonName) -> Self {
        match r {
            BreakReasonName::Illness => BreakReason::Illness,
            BreakReasonName::ParentalLeave => BreakReason::ParentalLeave,
            BreakReasonName::Personal => BreakReason::Personal,
            BreakReasonName::Employer => BreakReason::Employer,
            BreakReasonName::Financial => BreakReason::Financial,
            BreakReasonName::Other => BreakReason::Other,
        }
    }
}

/// A break in learning, as recorded.
#[derive(Debug, Object)]
struct BreakBody {
    /// Id.
    id: Uuid,
    /// First day of the break.
    started_on: NaiveDate,
    /// Why (`illness`, `parental_leave`, `personal`, `employer`, `financial`, `other`);
    /// absent for breaks recorded before reasons were.
    reason: Option<String>,
    /// The reason in words.
    reason_label: Option<String>,
    /// The first day back agreed when it began.
    expected_return_on: Option<NaiveDate>,
    /// The actual first day back, or the day of the withdrawal that ended it; absent while
    /// the break lasts.
    ended_on: Option<NaiveDate>,
    /// The revised end date before the return moved it (absent: there was none, only the
    /// planned end date).
    revised_end_before: Option<NaiveDate>,
    /// The revised end date the return set: the end moved by the break's length.
    revised_end_after: Option<NaiveDate>,
}

impl From<enrolments::BreakRecord> for BreakBody {
    fn from(b: enrolments::BreakRecord) -> Self {
        let label = b
            .reason
            .as_deref()
            .and_then(|r| r.parse::<BreakReason>().ok())
            .map(|r| r.label().to_owned());
        Self {
            id: b.id,
            started_on: b.started_on,
            reason: b.reason,
            reason_label: label,
            expected_return_on: b.expected_return_on,
            ended_on: b.ended_on,
            revised_end_before: b.revised_end_before,
            revised_end_after: b.revised_end_after,
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
    /// The assessor's name.
    assessor_name: Option<String>,
    /// Internal quality assurer.
    iqa_id: Option<Uuid>,
    /// The IQA's name.
    iqa_name: Option<String>,
    /// Employer organisation.
    employer_id: Option<Uuid>,
    /// Manager at the employer.
    manager_id: Option<Uuid>,
    /// The manager's name.
    manager_name: Option<String>,
    /// Contracted hours a week.
    contracted_hours_per_week: f64,
    /// Planned off-the-job hours: fixed at start.
    planned_otj_hours: f64,
    /// Progress reviews at least every so many weeks, as agreed with the employer; absent:
    /// the rule of the start date.
    agreed_review_weeks: Option<i16>,
    /// Off-the-job hours recognised prior learning took off the minimum (fixed at start).
    rpl_otj_hours: f64,
    /// Weeks of duration recognised prior learning took off (fixed at start).
    rpl_duration_weeks: i32,
    /// What prior learning was recognised.
    rpl_reason: Option<String>,
    /// The learner's unique learner number.
    uln: Option<String>,
    /// The provider's learner reference number.
    learner_ref: Option<String>,
    /// The ILR withdrawal reason code of a withdrawn learner (its words in
    /// `withdrawal_reason`).
    withdrawal_reason_code: Option<i16>,
    /// Status.
    status: StatusName,
    /// When learning began.
    learning_started_on: Option<NaiveDate>,
    /// First day of the current break, if on one.
    break_started_on: Option<NaiveDate>,
    /// The first day back agreed for the current break, if on one.
    break_expected_return_on: Option<NaiveDate>,
    /// Why the current break was taken, if on one.
    break_reason: Option<String>,
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

impl From<EnrolmentView> for EnrolmentBody {
    fn from(v: EnrolmentView) -> Self {
        let e = v.enrolment;
        Self {
            status: v.status.into(),
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
            assessor_name: e.assessor_name,
            iqa_id: e.iqa_id,
            iqa_name: e.iqa_name,
            employer_id: e.employer_id,
            manager_id: e.manager_id,
            manager_name: e.manager_name,
            contracted_hours_per_week: e.contracted_hours_per_week.to_f64().unwrap_or_default(),
            planned_otj_hours: e.planned_otj_hours.to_f64().unwrap_or_default(),
            agreed_review_weeks: e.agreed_review_weeks,
            rpl_otj_hours: e.rpl_otj_hours.to_f64().unwrap_or_default(),
            rpl_duration_weeks: e.rpl_duration_weeks,
            rpl_reason: e.rpl_reason,
            uln: e.uln,
            learner_ref: e.learner_ref,
            withdrawal_reason_code: e.withdrawal_reason_code,
            learning_started_on: e.learning_started_on,
            break_started_on: e.break_started_on,
            break_expected_return_on: e.break_expected_return_on,
            break_reason: e.break_reason,
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
    /// A person with the learner role, by id; or
    learner_id: Option<Uuid>,
    /// by e-mail address (give one of the two; looked up in the organisation, in any
    /// case).
    learner_email: Option<String>,
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
    /// Recognised prior learning: off-the-job hours it takes off the minimum (from August
    /// 2025 starts; 0 to 10,000, two decimals; fixed once set). Default none.
    rpl_otj_hours: Option<f64>,
    /// Recognised prior learning: weeks of duration it took off (0 to 260; fixed once set).
    rpl_duration_weeks: Option<i64>,
    /// What prior learning was recognised: needed when it takes hours or weeks off.
    rpl_reason: Option<String>,
    /// The learner's unique learner number (ULN): 10 digits whose last is the ILR's check
    /// digit; 9999999999 while not known.
    uln: Option<String>,
    /// The provider's learner reference number (ILR LearnRefNumber): 1 to 12 letters,
    /// digits or spaces.
    learner_ref: Option<String>,
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
    /// Progress reviews at least every so many weeks (1–52), as agreed with the employer
    /// for this apprentice (2025-26 rules); `null` returns to the rule of the start date
    /// (every 12 weeks before August 2025, every 3 calendar months from it).
    #[serde(default)]
    agreed_review_weeks: MaybeUndefined<i64>,
    /// Unique learner number (ULN, check digit checked); `null` clears it.
    #[serde(default)]
    uln: MaybeUndefined<String>,
    /// Learner reference number (LearnRefNumber); `null` clears it.
    #[serde(default)]
    learner_ref: MaybeUndefined<String>,
}

/// A change of status.
#[derive(Debug, Object, Deserialize)]
struct StatusRequest {
    /// `in_learning` (start, or return from a break), `break_in_learning`, `withdrawn` or
    /// `completed`.
    status: StatusName,
    /// The day it took effect (for `completed`, the actual end / gateway date).
    on: NaiveDate,
    /// Words for a withdrawal (default: its ILR reason's words).
    reason: Option<String>,
    /// Required for `withdrawn`: the ILR withdrawal reason code (2 transferred to another
    /// provider, 3 injury or illness, 7 transferred by the funding body's intervention, 29
    /// made redundant, 40 new learning aim with the same provider, 41 another provider for
    /// a government strategy, 43 financial, 44 other personal reasons, 46 exclusion, 47
    /// transferred because of a merger, 97 other, 98 not known).
    withdrawal_reason_code: Option<i64>,
    /// Required for `break_in_learning`: why the break is taken.
    break_reason: Option<BreakReasonName>,
    /// Required for `break_in_learning`: the first day back agreed with the learner and
    /// employer (after `on`). On return (`in_learning`), the revised end date moves by the
    /// break's actual length; the planned end date never changes.
    expected_return_on: Option<NaiveDate>,
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

fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
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
        let req = body.0;
        let input = enrolments::Enrolling {
            learner_id: req.learner_id,
            learner_email: req.learner_email,
            course_id: req.course_id,
            start_date: req.start_date,
            planned_end_date: req.planned_end_date,
            assessor_id: req.assessor_id,
            iqa_id: req.iqa_id,
            employer_id: req.employer_id,
            manager_id: req.manager_id,
            contracted_hours_per_week: req.contracted_hours_per_week,
            planned_otj_hours: req.planned_otj_hours,
            rpl_otj_hours: req.rpl_otj_hours,
            rpl_duration_weeks: req.rpl_duration_weeks,
            rpl_reason: req.rpl_reason,
            uln: req.uln,
            learner_ref: req.learner_ref,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let enrolment = enrolments::enrol(&mut uow, input).await?;
        uow.commit().await?;
        Ok(CreateEnrolmentResponse::Created(Json(enrolment.into())))
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
        let filter = EnrolmentFilter {
            status: status.0.map(Into::into),
            assessor_id: assessor_id.0,
            learner_id: learner_id.0,
            course_id: course_id.0,
            employer_id: employer_id.0,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let page = enrolments::list(&mut uow, &filter, cursor.0.as_deref(), limit.0).await?;
        uow.commit().await?;
        Ok(Json(EnrolmentPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// One enrolment I may see.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<EnrolmentBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let enrolment = enrolments::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(enrolment.into()))
    }

    /// Change the assessor, IQA, employer, manager or contracted hours (admins).
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<EnrolmentUpdate>,
    ) -> ApiResult<Json<EnrolmentBody>> {
        let req = body.0;
        let change = enrolments::PeopleChange {
            assessor_id: maybe(req.assessor_id),
            iqa_id: maybe(req.iqa_id),
            employer_id: maybe(req.employer_id),
            manager_id: maybe(req.manager_id),
            contracted_hours_per_week: req.contracted_hours_per_week,
            agreed_review_weeks: maybe(req.agreed_review_weeks),
            uln: maybe(req.uln),
            learner_ref: maybe(req.learner_ref),
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let enrolment = enrolments::change_people(&mut uow, id.0, change).await?;
        uow.commit().await?;
        Ok(Json(enrolment.into()))
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
        let req = body.0;
        let request = enrolments::StatusRequest {
            status: req.status.into(),
            on: req.on,
            reason: req.reason,
            break_reason: req.break_reason.map(Into::into),
            expected_return_on: req.expected_return_on,
            withdrawal_reason_code: req.withdrawal_reason_code,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let enrolment = enrolments::change_status(&mut uow, id.0, request).await?;
        uow.commit().await?;
        Ok(Json(enrolment.into()))
    }

    /// The enrolment's breaks in learning, oldest first: start, reason, agreed and actual
    /// return, and the revised end date each return moved (whoever may see the enrolment).
    #[oai(path = "/:id/breaks", method = "get")]
    async fn breaks(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<BreakBody>>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let breaks = enrolments::breaks(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(breaks.into_iter().map(Into::into).collect()))
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
        let req = body.0;
        let mut uow = self.0.authenticate(&credentials).await?;
        let enrolment =
            enrolments::revise_end_date(&mut uow, id.0, req.revised_end_date, &req.reason).await?;
        uow.commit().await?;
        Ok(Json(enrolment.into()))
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let enrolment = enrolments::choose_optional_units(&mut uow, id.0, body.0.unit_ids).await?;
        uow.commit().await?;
        Ok(Json(enrolment.into()))
    }
}
