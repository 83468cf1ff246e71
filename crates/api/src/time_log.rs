//! The time log and off-the-job hours: a learner's entries (create, list with filters,
//! read, replace, delete), the month calendar of daily totals, and the off-the-job figures
//! of `folio_domain::off_the_job` with their explanations.
//!
//! Adapters over `folio_app::time_log`, where who may read and write a learner's log is
//! written. Entries a session wrote belong to the session: they cannot be changed or
//! removed here (409).
//!
//! A duration is one whole number of minutes (`minutes`, 1–1440): the seed product's
//! hours-and-minutes pair is a form's concern, and one integer cannot disagree with
//! itself.

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::time_log::{self, Entry, EntryInput, Filters, Source};
use folio_domain::off_the_job::{Hours, OtjRule};
use folio_domain::time_log::ActivityType;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;
use crate::time_log_export::{
    Heading, WorkbookResponse, file_name as export_file_name, time_log_workbook,
};

#[derive(Tags)]
enum TimeLogTag {
    /// Time log and off-the-job hours.
    TimeLog,
}

/// `/api/v1/enrolments/{id}/time-log…`, `/api/v1/time-log/{id}` and
/// `/api/v1/enrolments/{id}/off-the-job`.
pub struct TimeLogApi(pub AppState);

/// What kind of learning an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum ActivityTypeName {
    /// Traditional face-to-face session (1:1 with the training adviser). Off the job.
    FaceToFaceSession,
    /// Trainer or assessor led training (e.g. day release). Off the job.
    TrainerLedTraining,
    /// Electronic / distance learning / self study. Off the job.
    DistanceLearning,
    /// Coaching or mentoring. Off the job.
    CoachingMentoring,
    /// Gaining technical experience by doing my job. On the job.
    TechnicalExperience,
    /// Review / feedback / support (1:1 with manager, appraisals). On the job; never counts
    /// towards the off-the-job minimum.
    ReviewFeedbackSupport,
    /// Assessment or examination. Off the job; never counts towards the minimum.
    AssessmentExamination,
}

impl From<ActivityTypeName> for ActivityType {
    fn from(a: ActivityTypeName) -> Self {
        match a {
            ActivityTypeName::FaceToFaceSession => ActivityType::FaceToFaceSession,
            ActivityTypeName::TrainerLedTraining => ActivityType::TrainerLedTraining,
            ActivityTypeName::DistanceLearning => ActivityType::DistanceLearning,
            ActivityTypeName::CoachingMentoring => ActivityType::CoachingMentoring,
            ActivityTypeName::TechnicalExperience => ActivityType::TechnicalExperience,
            ActivityTypeName::ReviewFeedbackSupport => ActivityType::ReviewFeedbackSupport,
            ActivityTypeName::AssessmentExamination => ActivityType::AssessmentExamination,
        }
    }
}

impl From<ActivityType> for ActivityTypeName {
    fn from(a: ActivityType) -> Self {
        match a {
            ActivityType::FaceToFaceSession => ActivityTypeName::FaceToFaceSession,
            ActivityType::TrainerLedTraining => ActivityTypeName::TrainerLedTraining,
            ActivityType::DistanceLearning => ActivityTypeName::DistanceLearning,
            ActivityType::CoachingMentoring => ActivityTypeName::CoachingMentoring,
            ActivityType::TechnicalExperience => ActivityTypeName::TechnicalExperience,
            ActivityType::ReviewFeedbackSupport => ActivityTypeName::ReviewFeedbackSupport,
            ActivityType::AssessmentExamination => ActivityTypeName::AssessmentExamination,
        }
    }
}

/// Who wrote an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
enum SourceName {
    /// The learner.
    Learner,
    /// Staff on the learner's behalf.
    Staff,
    /// An attended session, automatically (read-only here).
    Session,
}

/// A time-log entry.
#[derive(Debug, Object)]
struct EntryBody {
    /// Id.
    id: Uuid,
    /// The enrolment.
    enrolment_id: Uuid,
    /// The day.
    entry_date: NaiveDate,
    /// Activity type.
    activity_type: ActivityTypeName,
    /// The course it was against (the learner's), if named.
    course_id: Option<Uuid>,
    /// The component, if named.
    component_id: Option<Uuid>,
    /// The unit, if named.
    unit_id: Option<Uuid>,
    /// With the assessor.
    with_assessor: bool,
    /// Off the job.
    off_the_job: bool,
    /// Why staff recorded it on or off the job against its activity type; absent when it
    /// follows the type.
    off_the_job_reason: Option<String>,
    /// Whether it counts towards the off-the-job minimum: off the job and not a review or
    /// an assessment (nor, in the figures, English or maths).
    counts_towards_minimum: bool,
    /// Duration in minutes.
    minutes: i32,
    /// The learner's reflection.
    reflection: Option<String>,
    /// Who wrote it.
    source: SourceName,
    /// The session that wrote it.
    session_id: Option<Uuid>,
    /// The person who wrote it.
    created_by: Uuid,
    /// Created.
    created_at: DateTime<Utc>,
    /// Last changed.
    updated_at: DateTime<Utc>,
}

impl From<Source> for SourceName {
    fn from(s: Source) -> Self {
        match s {
            Source::Learner => SourceName::Learner,
            Source::Staff => SourceName::Staff,
            Source::Session => SourceName::Session,
        }
    }
}

impl From<Entry> for EntryBody {
    fn from(v: Entry) -> Self {
        let e = v.entry;
        Self {
            id: e.id,
            enrolment_id: e.enrolment_id,
            entry_date: e.entry_date,
            activity_type: v.activity.into(),
            course_id: e.course_id,
            component_id: e.component_id,
            unit_id: e.unit_id,
            with_assessor: e.with_assessor,
            off_the_job: e.off_the_job,
            off_the_job_reason: e.off_the_job_reason,
            counts_towards_minimum: v.counts_towards_minimum,
            minutes: e.minutes,
            reflection: e.reflection,
            source: v.source.into(),
            session_id: e.session_id,
            created_by: e.created_by,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new entry, or an entry's replacement.
#[derive(Debug, Object, Deserialize)]
struct EntryRequest {
    /// The day: not in the future, not before the enrolment's start, not after its
    /// withdrawal or completion.
    entry_date: NaiveDate,
    /// Activity type.
    activity_type: ActivityTypeName,
    /// The learner's course (implied when a component or unit is named).
    course_id: Option<Uuid>,
    /// A component of the learner's course.
    component_id: Option<Uuid>,
    /// A unit of the learner's course (of `component_id`, if that is named too).
    unit_id: Option<Uuid>,
    /// With the assessor (default false).
    with_assessor: Option<bool>,
    /// Off the job. It follows the activity type (off the job: face-to-face sessions,
    /// trainer-led training, distance learning or self study, coaching or mentoring,
    /// assessment or examination; on the job: technical experience by doing the job,
    /// review/feedback/support). Leave it out, or send what the type says; only staff may
    /// record the opposite, with `off_the_job_reason`.
    off_the_job: Option<bool>,
    /// Why staff record this entry on or off the job against its activity type (1–500
    /// characters); needed for such an exception, kept and shown with the entry.
    off_the_job_reason: Option<String>,
    /// Duration in whole minutes, 1–1440; a day's entries total at most 1440.
    minutes: i64,
    /// Reflection, at most 5000 characters.
    reflection: Option<String>,
}

/// A page of entries, newest day first.
#[derive(Debug, Object)]
struct EntryPage {
    /// Entries.
    items: Vec<EntryBody>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

/// One day of the calendar.
#[derive(Debug, Object)]
struct CalendarDay {
    /// The day.
    date: NaiveDate,
    /// Minutes logged.
    minutes: i64,
    /// Of those, off the job.
    off_the_job_minutes: i64,
    /// Entries that day.
    entries: i64,
}

/// A month of daily totals.
#[derive(Debug, Object)]
struct CalendarBody {
    /// `YYYY-MM`.
    month: String,
    /// Every day of the month, in order (zeros on days without entries).
    days: Vec<CalendarDay>,
    /// Minutes in the month.
    total_minutes: i64,
    /// Off-the-job minutes in the month.
    total_off_the_job_minutes: i64,
}

/// Entries left out of the actual hours, by reason.
#[derive(Debug, Object)]
struct ExcludedCounts {
    /// Recorded as on the job.
    on_the_job: u32,
    /// Reviews and assessments, which do not count towards the minimum.
    not_counting: u32,
    /// Logged against an English or maths component, which never counts.
    english_maths: u32,
    /// After gateway, when the practical period had ended (every start date).
    after_gateway: u32,
}

/// Which funding rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
enum RuleName {
    /// Starts before 1 Aug 2022: 20% of contracted hours.
    TwentyPercent,
    /// Starts 1 Aug 2022 – 31 Jul 2025: 6 hours a week, pro rata below 30 hours.
    SixHoursAWeek,
    /// Starts from 1 Aug 2025: the standard's minimum (a course setting), at least 187.
    StandardMinimum,
}

impl From<OtjRule> for RuleName {
    fn from(r: OtjRule) -> Self {
        match r {
            OtjRule::TwentyPercent => RuleName::TwentyPercent,
            OtjRule::SixHoursAWeek => RuleName::SixHoursAWeek,
            OtjRule::StandardMinimum => RuleName::StandardMinimum,
        }
    }
}

/// An enrolment's off-the-job figures, each with how it was computed. Hours have two
/// decimal places.
#[derive(Debug, Object)]
struct OffTheJobBody {
    /// The rule, chosen by the start date.
    rule: RuleName,
    /// The rule as stated.
    rule_text: String,
    /// First day of learning (chooses the rule).
    start_date: NaiveDate,
    /// Planned end date.
    planned_end_date: NaiveDate,
    /// Contracted hours a week.
    contracted_hours_per_week: f64,
    /// Planned off-the-job hours, fixed at start.
    planned_hours: f64,
    /// The rule's minimum over the planned duration; absent when the rule yields none
    /// (a post-July-2025 start on a course without a minimum set).
    required_minimum_hours: Option<f64>,
    /// How the minimum was computed, or why there is none.
    required_explanation: String,
    /// Whether planned hours meet the minimum; absent without a minimum.
    planned_meets_minimum: Option<bool>,
    /// The earliest planned end date the rule's minimum duration allows (12 months before
    /// August 2025, extended pro rata below 30 contracted hours; 8 months from it).
    minimum_duration_end: NaiveDate,
    /// Whether the planned end date keeps to the minimum duration.
    meets_minimum_duration: bool,
    /// How the minimum duration was worked out.
    minimum_duration_explanation: String,
    /// The day the figures are for: today, or the end date of a finished enrolment.
    as_of: NaiveDate,
    /// Planned × the fraction of the planned duration spent learning (breaks in learning
    /// left out), clamped to [0, 1].
    expected_to_date_hours: f64,
    /// How expected to date was computed.
    expected_explanation: String,
    /// Off-the-job minutes that count, summed.
    actual_minutes: i64,
    /// The same in hours.
    actual_hours: f64,
    /// Whole hours to the nearest hour (half up), as the official return (ILR) records
    /// them in OTJActHours.
    actual_whole_hours: i64,
    /// How actual was computed.
    actual_explanation: String,
    /// The entries summed, oldest first.
    counted_entry_ids: Vec<Uuid>,
    /// Entries left out, by reason.
    excluded: ExcludedCounts,
    /// Actual is below expected to date.
    behind_expected: bool,
    /// The same figures over time, for a chart: at the start date, at the last day of
    /// each month since, and on `as_of`.
    trend: Vec<OtjTrendBody>,
}

/// Off-the-job hours by one day.
#[derive(Debug, Object)]
struct OtjTrendBody {
    /// The day.
    on: NaiveDate,
    /// Planned hours expected by then.
    planned_hours: f64,
    /// The minimum's hours expected by then at the same pace; absent without a minimum.
    required_hours: Option<f64>,
    /// Off-the-job hours that count, from entries dated on or before the day.
    actual_hours: f64,
}

fn hours_f64(h: Hours) -> f64 {
    // Only for the JSON number: hundredths / 100 is the nearest double to the exact figure.
    (h.hundredths() as f64) / 100.0
}

#[derive(ApiResponse)]
enum CreatedEntry {
    /// Logged.
    #[oai(status = 201)]
    Created(Json<EntryBody>),
}

#[derive(ApiResponse)]
enum DeletedEntry {
    /// Removed.
    #[oai(status = 204)]
    Deleted,
}

impl From<EntryRequest> for EntryInput {
    fn from(r: EntryRequest) -> Self {
        Self {
            entry_date: r.entry_date,
            activity_type: r.activity_type.into(),
            course_id: r.course_id,
            component_id: r.component_id,
            unit_id: r.unit_id,
            with_assessor: r.with_assessor,
            off_the_job: r.off_the_job,
            off_the_job_reason: r.off_the_job_reason,
            minutes: r.minutes,
            reflection: r.reflection,
        }
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "TimeLogTag::TimeLog")]
impl TimeLogApi {
    /// Log time for a learner (the learner, or an admin or their assessor on their behalf).
    /// `off_the_job` follows the activity type; staff may record an exception with
    /// `off_the_job_reason`.
    #[oai(path = "/enrolments/:id/time-log", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<EntryRequest>,
    ) -> ApiResult<CreatedEntry> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let entry = time_log::log(&mut uow, id.0, body.0.into()).await?;
        uow.commit().await?;
        Ok(CreatedEntry::Created(Json(entry.into())))
    }

    /// A learner's entries, newest day first, filtered by course, on/off the job and dates
    /// (`from` and `to` inclusive).
    #[oai(path = "/enrolments/:id/time-log", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        /// Only entries against this course.
        course_id: Query<Option<Uuid>>,
        /// Only entries off (`true`) or on (`false`) the job.
        off_the_job: Query<Option<bool>>,
        /// From this day on.
        from: Query<Option<NaiveDate>>,
        /// Up to and including this day.
        to: Query<Option<NaiveDate>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<EntryPage>> {
        let filters = Filters {
            course_id: course_id.0,
            off_the_job: off_the_job.0,
            from: from.0,
            to: to.0,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let page = time_log::list(&mut uow, id.0, filters, cursor.0.as_deref(), limit.0).await?;
        uow.commit().await?;
        Ok(Json(EntryPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// A learner's time log as an Excel workbook (`.xlsx`): the list's columns, filtered
    /// as the list is (every matching entry, newest day first), with the filters applied
    /// and totals (all, off the job, counting towards the off-the-job minimum).
    #[oai(path = "/enrolments/:id/time-log/export", method = "get")]
    async fn export(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        /// Only entries against this course.
        course_id: Query<Option<Uuid>>,
        /// Only entries off (`true`) or on (`false`) the job.
        off_the_job: Query<Option<bool>>,
        /// From this day on.
        from: Query<Option<NaiveDate>>,
        /// Up to and including this day.
        to: Query<Option<NaiveDate>>,
    ) -> ApiResult<WorkbookResponse> {
        let filters = Filters {
            course_id: course_id.0,
            off_the_job: off_the_job.0,
            from: from.0,
            to: to.0,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let export = time_log::export(&mut uow, id.0, filters).await?;
        uow.commit().await?;
        let exported_at = Utc::now();
        let e = &export.enrolment;
        let heading = Heading {
            organisation: export.organisation,
            learner: e.learner_name.clone(),
            course: format!("{} {}", e.course_code, e.course_title),
            filters: export.filters,
            exported_at,
        };
        let name = export_file_name(&e.learner_name, exported_at.date_naive());
        Ok(time_log_workbook(heading, export.rows, name).await?)
    }

    /// Daily totals of a learner's time log for one month (`month=YYYY-MM`): every day,
    /// with its minutes and off-the-job minutes.
    #[oai(path = "/enrolments/:id/time-log/calendar", method = "get")]
    async fn calendar(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        /// The month, `YYYY-MM`.
        month: Query<String>,
    ) -> ApiResult<Json<CalendarBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let calendar = time_log::calendar(&mut uow, id.0, &month.0).await?;
        uow.commit().await?;
        let days = calendar.days;
        Ok(Json(CalendarBody {
            month: calendar.first.format("%Y-%m").to_string(),
            total_minutes: days.iter().map(|d| d.minutes).sum(),
            total_off_the_job_minutes: days.iter().map(|d| d.off_the_job_minutes).sum(),
            days: days
                .into_iter()
                .map(|d| CalendarDay {
                    date: d.day,
                    minutes: d.minutes,
                    off_the_job_minutes: d.off_the_job_minutes,
                    entries: d.entries,
                })
                .collect(),
        }))
    }

    /// A learner's off-the-job hours: the rule chosen by the start date, planned against
    /// the rule's minimum, expected to date and actual, each with its explanation and the
    /// entries summed.
    #[oai(path = "/enrolments/:id/off-the-job", method = "get")]
    async fn off_the_job(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<OffTheJobBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let otj = time_log::off_the_job(&mut uow, id.0).await?;
        uow.commit().await?;
        let (e, f) = (otj.enrolment, otj.figures);
        Ok(Json(OffTheJobBody {
            rule: f.rule.into(),
            rule_text: f.rule.text().to_owned(),
            start_date: e.start_date,
            planned_end_date: e.planned_end_date,
            contracted_hours_per_week: hours_f64(otj.contracted_per_week),
            planned_hours: hours_f64(f.planned),
            required_minimum_hours: f.required.hours.map(hours_f64),
            required_explanation: f.required.explanation,
            planned_meets_minimum: f.planned_meets_minimum,
            minimum_duration_end: f.minimum_duration.earliest_end,
            meets_minimum_duration: f.minimum_duration.met,
            minimum_duration_explanation: f.minimum_duration.explanation,
            as_of: f.as_of,
            expected_to_date_hours: hours_f64(f.expected_to_date),
            expected_explanation: f.expected_explanation,
            actual_minutes: f.actual.minutes,
            actual_hours: hours_f64(f.actual.hours),
            actual_whole_hours: f.actual.ilr_hours,
            actual_explanation: f.actual_explanation,
            counted_entry_ids: f.actual.counted,
            excluded: ExcludedCounts {
                on_the_job: f.actual.on_the_job,
                not_counting: f.actual.not_counting,
                english_maths: f.actual.english_maths,
                after_gateway: f.actual.after_gateway,
            },
            behind_expected: f.behind_expected,
            trend: otj
                .trend
                .iter()
                .map(|p| OtjTrendBody {
                    on: p.on,
                    planned_hours: hours_f64(p.planned),
                    required_hours: p.required.map(hours_f64),
                    actual_hours: hours_f64(p.actual),
                })
                .collect(),
        }))
    }

    /// One entry of a learner I may see.
    #[oai(path = "/time-log/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<EntryBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let entry = time_log::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(entry.into()))
    }

    /// Replace an entry (the learner, or an admin or their assessor); 409 for an entry a
    /// session logged.
    #[oai(path = "/time-log/:id", method = "put")]
    async fn replace(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<EntryRequest>,
    ) -> ApiResult<Json<EntryBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let entry = time_log::replace(&mut uow, id.0, body.0.into()).await?;
        uow.commit().await?;
        Ok(Json(entry.into()))
    }

    /// Remove an entry (the learner, or an admin or their assessor); 409 for an entry a
    /// session logged. It can be brought back for 24 hours (`POST …/restore`).
    #[oai(path = "/time-log/:id", method = "delete")]
    async fn delete(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<DeletedEntry> {
        let mut uow = self.0.authenticate(&credentials).await?;
        time_log::remove(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(DeletedEntry::Deleted)
    }

    /// Bring back an entry deleted in the last 24 hours, unchanged (whoever may change the
    /// learner's time log); 404 when there is none to bring back, 409 when its day has
    /// since been filled past 24 hours.
    #[oai(path = "/time-log/:id/restore", method = "post")]
    async fn restore(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<EntryBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let entry = time_log::restore(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(entry.into()))
    }
}
