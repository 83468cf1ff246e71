//! The time log and off-the-job hours: a learner's entries (create, list with filters,
//! read, replace, delete), the month calendar of daily totals, and the off-the-job figures
//! of `folio_domain::off_the_job` with their explanations.
//!
//! Visibility is the enrolment's: every endpoint loads it through
//! `folio_db::enrolments::get_visible`, so whoever cannot see the enrolment (another
//! learner, another caseload, another organisation) gets 404. Writing is for the learner
//! themself and for staff who manage the enrolment (admins, its assessor); everyone else
//! who can see it (IQA, employer, auditor) gets 403. Entries a session wrote belong to the
//! session: they cannot be changed or removed here (409).
//!
//! A duration is one whole number of minutes (`minutes`, 1–1440): the seed product's
//! hours-and-minutes pair is a form's concern, and one integer cannot disagree with
//! itself.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use folio_db::enrolments::{self, Enrolment};
use folio_db::time_log::{self as queries, EntryFields, EntryFilter, TimeLogEntry};
use folio_domain::OptionalText;
use folio_domain::off_the_job::{self, Hours, LoggedTime, OtjEnrolment, OtjRule};
use folio_domain::time_log::{ActivityType, DurationError, check_day_total};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::pagination::{encode_name_cursor, page_limit};
use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiError, ApiResult, AppError, AppResult, FieldError, Fields};
use crate::progress::today;
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

/// The longest reflection kept.
const MAX_REFLECTION_CHARS: usize = 5000;

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
    /// Whether it counts towards the off-the-job minimum: off the job and not a review or
    /// an assessment.
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

impl TryFrom<TimeLogEntry> for EntryBody {
    type Error = AppError;

    fn try_from(e: TimeLogEntry) -> AppResult<Self> {
        let activity: ActivityType = e
            .activity_type
            .parse()
            .map_err(|_| AppError::Internal(format!("unknown activity `{}`", e.activity_type)))?;
        let source = match e.source.as_str() {
            "learner" => SourceName::Learner,
            "staff" => SourceName::Staff,
            "session" => SourceName::Session,
            other => return Err(AppError::Internal(format!("unknown source `{other}`"))),
        };
        Ok(Self {
            id: e.id,
            enrolment_id: e.enrolment_id,
            entry_date: e.entry_date,
            activity_type: activity.into(),
            course_id: e.course_id,
            component_id: e.component_id,
            unit_id: e.unit_id,
            with_assessor: e.with_assessor,
            off_the_job: e.off_the_job,
            counts_towards_minimum: e.off_the_job && activity.counts_towards_minimum(),
            minutes: e.minutes,
            reflection: e.reflection,
            source,
            session_id: e.session_id,
            created_by: e.created_by,
            created_at: e.created_at,
            updated_at: e.updated_at,
        })
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
    /// Off the job; defaults from the activity type.
    off_the_job: Option<bool>,
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
    /// After gateway, under the 2022–2025 rule.
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
    /// The day the figures are for: today, or the end date of a finished enrolment.
    as_of: NaiveDate,
    /// Planned × elapsed fraction of the planned duration, clamped to [0, 1].
    expected_to_date_hours: f64,
    /// How expected to date was computed.
    expected_explanation: String,
    /// Off-the-job minutes that count, summed.
    actual_minutes: i64,
    /// The same in hours.
    actual_hours: f64,
    /// Whole hours, rounded down, as the official return (ILR) records them.
    actual_whole_hours: i64,
    /// How actual was computed.
    actual_explanation: String,
    /// The entries summed, oldest first.
    counted_entry_ids: Vec<Uuid>,
    /// Entries left out, by reason.
    excluded: ExcludedCounts,
    /// Actual is below expected to date.
    behind_expected: bool,
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

async fn visible(authed: &mut Authenticated, id: Uuid) -> AppResult<Enrolment> {
    authed
        .visible_enrolment(id)
        .await
        .map(folio_app::Visible::into_inner)
}

/// Who writes: `learner` for the learner themself, `staff` for admins and the enrolment's
/// assessor; 403 for anyone else who can see it.
fn writer_source(authed: &Authenticated, enrolment: &Enrolment) -> AppResult<&'static str> {
    let p = &authed.principal;
    if p.is_learner_of(enrolment) {
        Ok("learner")
    } else if p.manages(enrolment) {
        Ok("staff")
    } else {
        Err(AppError::Forbidden)
    }
}

/// Locks the enrolment and loads it if the caller may see and write to it: 404 if they
/// cannot see it, 403 if they can see but not write. The row stays locked until the
/// transaction ends, so two writes to one learner's log (and the 24-hour check of each)
/// happen one after the other.
async fn writable(authed: &mut Authenticated, id: Uuid) -> AppResult<(Enrolment, &'static str)> {
    enrolments::lock(&mut authed.tx, id).await?;
    let enrolment = visible(authed, id).await?;
    let source = writer_source(authed, &enrolment)?;
    Ok((enrolment, source))
}

/// Loads an entry for a change: its enrolment locked and writable by the caller (404 if
/// the entry or its enrolment cannot be seen, 403 if it cannot be written), and 409 for an
/// entry a session wrote.
async fn changeable(
    authed: &mut Authenticated,
    entry_id: Uuid,
) -> AppResult<(Enrolment, TimeLogEntry)> {
    // The enrolment of an entry never changes, so it can be read before the lock; the
    // entry itself is read again under it, in case a concurrent request removed it.
    let enrolment_id = queries::get(&mut authed.tx, entry_id).await?.enrolment_id;
    let (enrolment, _) = writable(authed, enrolment_id).await?;
    let entry = queries::get(&mut authed.tx, entry_id).await?;
    if entry.source == "session" {
        return Err(AppError::Conflict {
            field: None,
            detail: "this entry was logged by an attended session; change the session instead"
                .into(),
        });
    }
    Ok((enrolment, entry))
}

/// Checks an entry against its enrolment and the day's other entries (`except` is the
/// entry being replaced), naming every field at fault; returns what to store.
async fn validate(
    authed: &mut Authenticated,
    enrolment: &Enrolment,
    req: EntryRequest,
    except: Option<Uuid>,
) -> AppResult<EntryFields> {
    let mut fields = Fields::default();
    let date = req.entry_date;
    fields.date("entry_date", date);
    fields.require("entry_date", date <= today(), "must not be in the future");
    if date < enrolment.start_date {
        fields.add(
            "entry_date",
            format!(
                "must not be before the enrolment's start date ({})",
                enrolment.start_date
            ),
        );
    }
    if let Some(end) = enrolment.completed_on.or(enrolment.withdrawn_on)
        && date > end
    {
        fields.add(
            "entry_date",
            format!("must not be after the enrolment ended ({end})"),
        );
    }
    // The entry's own length first; the day's total needs the database, below.
    if let Err(e) = check_day_total(req.minutes, 0) {
        fields.add("minutes", e);
    }
    if let Some(course) = req.course_id
        && course != enrolment.course_id
    {
        fields.add("course_id", "is not the learner's course");
    }
    let (component_ok, unit_ok) = queries::parts_of_course(
        &mut authed.tx,
        enrolment.course_id,
        req.component_id,
        req.unit_id,
    )
    .await?;
    fields.require(
        "component_id",
        component_ok,
        "is not a component of the learner's course",
    );
    fields.require(
        "unit_id",
        unit_ok,
        "is not a unit of the learner's course (and of component_id, if named)",
    );
    let reflection = fields.check(
        "reflection",
        OptionalText::parse(req.reflection.as_deref(), MAX_REFLECTION_CHARS),
    );
    fields.finish()?;
    let minutes = i32::try_from(req.minutes)
        .map_err(|_| AppError::invalid("minutes", DurationError::LongerThanADay))?;
    let others = queries::minutes_on_day(&mut authed.tx, enrolment.id, date, except).await?;
    check_day_total(req.minutes, others)
        .map_err(|e| AppError::Validation(vec![FieldError::new("minutes", e)]))?;
    let activity = ActivityType::from(req.activity_type);
    let names_a_part = req.component_id.is_some() || req.unit_id.is_some();
    Ok(EntryFields {
        entry_date: date,
        activity_type: activity.as_str().to_owned(),
        // A component or unit is of the learner's course, so naming one names it too, and
        // the list's course filter finds the entry.
        course_id: req
            .course_id
            .or(names_a_part.then_some(enrolment.course_id)),
        component_id: req.component_id,
        unit_id: req.unit_id,
        with_assessor: req.with_assessor.unwrap_or(false),
        off_the_job: req
            .off_the_job
            .unwrap_or_else(|| activity.off_the_job_by_default()),
        minutes,
        reflection: reflection.and_then(OptionalText::into_inner),
    })
}

async fn record(
    authed: &mut Authenticated,
    action: &str,
    entry_id: Uuid,
    details: serde_json::Value,
) -> AppResult<()> {
    authed
        .audit(action, "time_log_entry", entry_id, details)
        .await
}

fn audit_details(enrolment_id: Uuid, f: &EntryFields) -> serde_json::Value {
    serde_json::json!({
        "enrolment_id": enrolment_id,
        "entry_date": f.entry_date,
        "activity_type": f.activity_type,
        "off_the_job": f.off_the_job,
        "minutes": f.minutes,
    })
}

/// The list's cursor: the (date, id) of the last entry, carried in the (name, id) cursor
/// with the date written as its name.
fn decode_cursor(cursor: Option<&str>) -> AppResult<Option<(NaiveDate, Uuid)>> {
    let Some(key) = crate::pagination::decode_name_cursor(cursor)? else {
        return Ok(None);
    };
    let date = key
        .name
        .parse::<NaiveDate>()
        .map_err(|_| AppError::invalid("cursor", "is not a cursor this API returned"))?;
    Ok(Some((date, key.id)))
}

/// The list's filters, checked: `to` must not be before `from`.
fn entry_filter(
    course_id: Option<Uuid>,
    off_the_job: Option<bool>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<EntryFilter> {
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(AppError::invalid("to", "must not be before from"));
    }
    Ok(EntryFilter {
        course_id,
        off_the_job,
        from,
        to,
    })
}

/// The filters as the spreadsheet names them.
fn describe_filter(filter: &EntryFilter, enrolment: &Enrolment) -> Vec<(&'static str, String)> {
    let mut described = Vec::new();
    if let Some(course) = filter.course_id {
        let name = if course == enrolment.course_id {
            format!("{} {}", enrolment.course_code, enrolment.course_title)
        } else {
            course.to_string()
        };
        described.push(("Course", name));
    }
    if let Some(off) = filter.off_the_job {
        let which = if off { "Off the job" } else { "On the job" };
        described.push(("On/off the job", which.to_owned()));
    }
    if let Some(from) = filter.from {
        described.push(("From", from.to_string()));
    }
    if let Some(to) = filter.to {
        described.push(("To", to.to_string()));
    }
    described
}

/// `YYYY-MM` as the month's first and last days.
fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = month.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    Some((first, last))
}

fn to_hundredths(d: Decimal) -> AppResult<Hours> {
    (d * Decimal::ONE_HUNDRED)
        .round()
        .to_i64()
        .map(Hours::from_hundredths)
        .ok_or_else(|| AppError::Internal(format!("hours out of range: {d}")))
}

#[OpenApi(prefix_path = "/api/v1", tag = "TimeLogTag::TimeLog")]
impl TimeLogApi {
    /// Log time for a learner (the learner, or an admin or their assessor on their behalf).
    /// `off_the_job` defaults from the activity type.
    #[oai(path = "/enrolments/:id/time-log", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<EntryRequest>,
    ) -> ApiResult<CreatedEntry> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (enrolment, source) = writable(&mut authed, id.0).await?;
        let fields = validate(&mut authed, &enrolment, body.0, None).await?;
        let entry_id = Uuid::now_v7();
        let user = authed.principal.user_id;
        let entry = queries::insert(
            &mut authed.tx,
            entry_id,
            enrolment.id,
            &fields,
            source,
            user,
        )
        .await?;
        let details = audit_details(enrolment.id, &fields);
        record(&mut authed, "time_log.create", entry_id, details).await?;
        authed.tx.commit().await?;
        Ok(CreatedEntry::Created(Json(entry.try_into()?)))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let before = decode_cursor(cursor.0.as_deref())?;
        let limit = page_limit(limit.0)?;
        let filter = entry_filter(course_id.0, off_the_job.0, from.0, to.0)?;
        let page = queries::list(&mut authed.tx, enrolment.id, &filter, before, limit).await?;
        authed.tx.commit().await?;
        let next_cursor = if page.has_more {
            page.items
                .last()
                .map(|e| encode_name_cursor(&e.entry_date.to_string(), e.id))
        } else {
            None
        };
        Ok(Json(EntryPage {
            items: page
                .items
                .into_iter()
                .map(EntryBody::try_from)
                .collect::<AppResult<_>>()?,
            next_cursor,
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let filter = entry_filter(course_id.0, off_the_job.0, from.0, to.0)?;
        let rows = queries::export_rows(&mut authed.tx, enrolment.id, &filter).await?;
        let organisation = folio_db::platform::current(&mut authed.tx).await?.name;
        authed.tx.commit().await?;
        let exported_at = Utc::now();
        let heading = Heading {
            organisation,
            learner: enrolment.learner_name.clone(),
            course: format!("{} {}", enrolment.course_code, enrolment.course_title),
            filters: describe_filter(&filter, &enrolment),
            exported_at,
        };
        let name = export_file_name(&enrolment.learner_name, exported_at.date_naive());
        time_log_workbook(heading, rows, name)
            .await
            .map_err(ApiError::from)
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = visible(&mut authed, id.0).await?;
        let (first, last) = month_bounds(&month.0)
            .filter(|(first, _)| (1990..=2200).contains(&first.year()))
            .ok_or_else(|| {
                AppError::invalid("month", "must be a month as YYYY-MM, 1990-01 to 2200-12")
            })?;
        let days = queries::daily_totals(&mut authed.tx, enrolment.id, first, last).await?;
        authed.tx.commit().await?;
        Ok(Json(CalendarBody {
            month: first.format("%Y-%m").to_string(),
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let e = visible(&mut authed, id.0).await?;
        let course_minimum_hours =
            queries::course_minimum_hours(&mut authed.tx, e.course_id).await?;
        let rows = queries::logged_time(&mut authed.tx, e.id).await?;
        authed.tx.commit().await?;
        let entries = rows
            .into_iter()
            .map(|r| {
                Ok(LoggedTime {
                    id: r.id,
                    date: r.entry_date,
                    activity: r.activity_type.parse().map_err(|_| {
                        AppError::Internal(format!("unknown activity `{}`", r.activity_type))
                    })?,
                    off_the_job: r.off_the_job,
                    minutes: i64::from(r.minutes),
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let status = e
            .status()
            .ok_or_else(|| AppError::Internal(format!("unknown status `{}`", e.status)))?;
        let input = OtjEnrolment {
            start: e.start_date,
            planned_end: e.planned_end_date,
            status,
            ended_on: e.completed_on.or(e.withdrawn_on),
            gateway: e.completed_on,
            contracted_per_week: to_hundredths(e.contracted_hours_per_week)?,
            planned: to_hundredths(e.planned_otj_hours)?,
            course_minimum_hours,
        };
        let f = off_the_job::figures(&input, &entries, today());
        Ok(Json(OffTheJobBody {
            rule: f.rule.into(),
            rule_text: f.rule.text().to_owned(),
            start_date: e.start_date,
            planned_end_date: e.planned_end_date,
            contracted_hours_per_week: hours_f64(input.contracted_per_week),
            planned_hours: hours_f64(f.planned),
            required_minimum_hours: f.required.hours.map(hours_f64),
            required_explanation: f.required.explanation,
            planned_meets_minimum: f.planned_meets_minimum,
            as_of: f.as_of,
            expected_to_date_hours: hours_f64(f.expected_to_date),
            expected_explanation: f.expected_explanation,
            actual_minutes: f.actual.minutes,
            actual_hours: hours_f64(f.actual.hours),
            actual_whole_hours: f.actual.hours.whole_hours(),
            actual_explanation: f.actual_explanation,
            counted_entry_ids: f.actual.counted,
            excluded: ExcludedCounts {
                on_the_job: f.actual.on_the_job,
                not_counting: f.actual.not_counting,
                after_gateway: f.actual.after_gateway,
            },
            behind_expected: f.behind_expected,
        }))
    }

    /// One entry of a learner I may see.
    #[oai(path = "/time-log/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<EntryBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let entry = queries::get(&mut authed.tx, id.0).await?;
        visible(&mut authed, entry.enrolment_id).await?;
        authed.tx.commit().await?;
        Ok(Json(entry.try_into()?))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (enrolment, _) = changeable(&mut authed, id.0).await?;
        let fields = validate(&mut authed, &enrolment, body.0, Some(id.0)).await?;
        let entry = queries::update(&mut authed.tx, id.0, &fields).await?;
        let details = audit_details(enrolment.id, &fields);
        record(&mut authed, "time_log.update", id.0, details).await?;
        authed.tx.commit().await?;
        Ok(Json(entry.try_into()?))
    }

    /// Remove an entry (the learner, or an admin or their assessor); 409 for an entry a
    /// session logged.
    #[oai(path = "/time-log/:id", method = "delete")]
    async fn delete(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<DeletedEntry> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (enrolment, entry) = changeable(&mut authed, id.0).await?;
        queries::delete(&mut authed.tx, id.0).await?;
        let details = serde_json::json!({
            "enrolment_id": enrolment.id,
            "entry_date": entry.entry_date,
            "minutes": entry.minutes,
        });
        record(&mut authed, "time_log.delete", id.0, details).await?;
        authed.tx.commit().await?;
        Ok(DeletedEntry::Deleted)
    }
}
