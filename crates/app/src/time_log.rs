//! The time log and off-the-job hours: a learner's entries (log, list with filters, read,
//! replace, remove), the month calendar of daily totals, the log as rows for a workbook,
//! and the off-the-job figures of `folio_domain::off_the_job` with their explanations.
//!
//! Who may do what, once: whoever can see the enrolment reads its log (anyone else gets
//! 404, for an entry as for the enrolment itself). Writing is for the learner themself and
//! for staff who manage the enrolment (admins, its assessor), under the enrolment's lock;
//! everyone else who can see it (IQA, employer, auditor) gets 403. Entries a session wrote
//! belong to the session: they cannot be changed or removed here (a conflict).
//!
//! A duration is one whole number of minutes (1–1440): one integer cannot disagree with
//! itself.

use chrono::{Datelike, Months, NaiveDate};
use folio_db::enrolments::Enrolment;
use folio_db::time_log::{self as queries, EntryFields, EntryFilter};
use folio_domain::OptionalText;
use folio_domain::off_the_job::{self, Hours, LoggedTime, OtjEnrolment, OtjFigures, OtjTrendPoint};
use folio_domain::standards::published_minimum;
use folio_domain::time_log::{ActivityType, DurationError, check_day_total, off_the_job_of};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

pub use folio_db::time_log::{DayTotal, ExportRow, TimeLogEntry};

use crate::paging::{decode_name_cursor, encode_name_cursor, page_limit};
use crate::progress::today;
use crate::{Error, FieldError, Fields, Result, UnitOfWork};

/// The longest reflection kept.
const MAX_REFLECTION_CHARS: usize = 5000;

/// Who wrote an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The learner.
    Learner,
    /// Staff on the learner's behalf.
    Staff,
    /// An attended session, automatically.
    Session,
}

impl Source {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Learner => "learner",
            Source::Staff => "staff",
            Source::Session => "session",
        }
    }
}

/// An entry as people see it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The stored entry.
    pub entry: TimeLogEntry,
    /// Its activity type.
    pub activity: ActivityType,
    /// Who wrote it.
    pub source: Source,
    /// Whether it counts towards the off-the-job minimum: off the job and not a review or
    /// an assessment.
    pub counts_towards_minimum: bool,
}

impl Entry {
    /// The entry with its activity type and source read; a stored name Folio does not
    /// know is an internal error.
    pub fn new(entry: TimeLogEntry) -> Result<Self> {
        let activity = activity_of(&entry.activity_type)?;
        let source = match entry.source.as_str() {
            "learner" => Source::Learner,
            "staff" => Source::Staff,
            "session" => Source::Session,
            other => return Err(Error::Internal(format!("unknown source `{other}`"))),
        };
        Ok(Self {
            counts_towards_minimum: entry.off_the_job && activity.counts_towards_minimum(),
            entry,
            activity,
            source,
        })
    }
}

/// A new entry, or an entry's replacement.
#[derive(Debug, Clone)]
pub struct EntryInput {
    /// The day: not in the future, not before the enrolment's start, not after its
    /// withdrawal or completion.
    pub entry_date: NaiveDate,
    /// Activity type.
    pub activity_type: ActivityType,
    /// The learner's course (implied when a component or unit is named).
    pub course_id: Option<Uuid>,
    /// A component of the learner's course.
    pub component_id: Option<Uuid>,
    /// A unit of the learner's course (of `component_id`, if that is named too).
    pub unit_id: Option<Uuid>,
    /// With the assessor (default false).
    pub with_assessor: Option<bool>,
    /// Off the job; follows the activity type, and only staff may say otherwise, with
    /// `off_the_job_reason`.
    pub off_the_job: Option<bool>,
    /// Why staff record the entry on or off the job against its activity type.
    pub off_the_job_reason: Option<String>,
    /// Duration in whole minutes, 1–1440; a day's entries total at most 1440.
    pub minutes: i64,
    /// Reflection.
    pub reflection: Option<String>,
}

/// The list's and the workbook's filters, as asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filters {
    /// Only entries against this course.
    pub course_id: Option<Uuid>,
    /// Only entries off (`true`) or on (`false`) the job.
    pub off_the_job: Option<bool>,
    /// From this day on.
    pub from: Option<NaiveDate>,
    /// Up to and including this day.
    pub to: Option<NaiveDate>,
}

/// A page of entries, newest day first.
#[derive(Debug)]
pub struct EntryPage {
    /// Entries.
    pub items: Vec<Entry>,
    /// The cursor of the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// A learner's log, every entry matching the filters, for a workbook.
#[derive(Debug)]
pub struct Export {
    /// The training provider's name.
    pub organisation: String,
    /// The enrolment.
    pub enrolment: Enrolment,
    /// The filters applied, as (name, value) pairs; empty for the whole log.
    pub filters: Vec<(&'static str, String)>,
    /// The entries, newest day first.
    pub rows: Vec<ExportRow>,
}

/// A month of daily totals.
#[derive(Debug)]
pub struct Calendar {
    /// The month's first day.
    pub first: NaiveDate,
    /// Every day of the month, in order (zeros on days without entries).
    pub days: Vec<DayTotal>,
}

/// An enrolment's off-the-job figures.
#[derive(Debug)]
pub struct OffTheJob {
    /// The enrolment.
    pub enrolment: Enrolment,
    /// Its contracted hours a week.
    pub contracted_per_week: Hours,
    /// The figures, each with how it was computed.
    pub figures: OtjFigures,
    /// Planned, required and actual hours at each month's end, for the chart.
    pub trend: Vec<OtjTrendPoint>,
}

fn activity_of(name: &str) -> Result<ActivityType> {
    name.parse()
        .map_err(|_| Error::Internal(format!("unknown activity `{name}`")))
}

/// Who writes: the learner themself, or staff (admins and the enrolment's assessor); 403
/// for anyone else who can see it.
fn writer_source(uow: &UnitOfWork, enrolment: &Enrolment) -> Result<Source> {
    let p = &uow.principal;
    if p.is_learner_of(enrolment) {
        Ok(Source::Learner)
    } else if p.manages(enrolment) {
        Ok(Source::Staff)
    } else {
        Err(Error::Forbidden)
    }
}

/// Whether the caller writes to this learner's log as staff, and so may record an entry on
/// or off the job against its activity type (with a reason); false for the learner and
/// for anyone who may only read it (404 if they cannot see it).
pub async fn records_exceptions(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<bool> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    Ok(matches!(writer_source(uow, &enrolment), Ok(Source::Staff)))
}

/// Whether the caller may add to and change this learner's log (the learner, or staff who
/// manage the enrolment), by the rule every write applies; false for those who may only
/// read it, such as the employer's manager (404 if they cannot see it). Pages show their
/// forms only then.
pub async fn may_write(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<bool> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    Ok(writer_source(uow, &enrolment).is_ok())
}

/// Locks the enrolment and loads it if the caller may see and write to it: 404 if they
/// cannot see it, 403 if they can see but not write. The row stays locked until the
/// unit of work ends, so two writes to one learner's log (and the 24-hour check of each)
/// happen one after the other.
async fn writable(uow: &mut UnitOfWork, id: Uuid) -> Result<(Enrolment, Source)> {
    uow.lock_enrolment(id).await?;
    let enrolment = uow.visible_enrolment(id).await?.into_inner();
    let source = writer_source(uow, &enrolment)?;
    Ok((enrolment, source))
}

/// Loads an entry for a change: its enrolment locked and writable by the caller (404 if
/// the entry or its enrolment cannot be seen, 403 if it cannot be written), and a
/// conflict for an entry a session wrote.
async fn changeable(
    uow: &mut UnitOfWork,
    entry_id: Uuid,
) -> Result<(Enrolment, TimeLogEntry, Source)> {
    // The enrolment of an entry never changes, so it can be read before the lock; the
    // entry itself is read again under it, in case a concurrent request removed it.
    let enrolment_id = queries::get(&mut uow.tx, entry_id).await?.enrolment_id;
    let (enrolment, source) = writable(uow, enrolment_id).await?;
    let entry = queries::get(&mut uow.tx, entry_id).await?;
    if entry.source == Source::Session.as_str() {
        return Err(Error::Conflict {
            field: None,
            detail: "this entry was logged by an attended session; change the session instead"
                .into(),
        });
    }
    Ok((enrolment, entry, source))
}

/// Checks an entry against its enrolment and the day's other entries (`replacing` is the
/// entry being replaced), naming every field at fault; returns what to store. Whether it
/// is off the job follows the activity type unless staff (`source`) record an exception
/// with a reason ([`off_the_job_of`]).
async fn validate(
    uow: &mut UnitOfWork,
    enrolment: &Enrolment,
    input: EntryInput,
    source: Source,
    replacing: Option<&TimeLogEntry>,
) -> Result<EntryFields> {
    let except = replacing.map(|e| e.id);
    let activity = input.activity_type;
    // An exception already recorded on this entry, while its activity type is unchanged.
    let kept = replacing.and_then(|e| {
        (e.activity_type == activity.as_str())
            .then_some(())
            .and(e.off_the_job_reason.as_deref())
            .map(|reason| (e.off_the_job, reason))
    });
    // A learner cannot move an entry staff recorded as an exception to another activity
    // (which would drop the exception): only staff may.
    let exception_moved = source != Source::Staff
        && replacing.is_some_and(|e| {
            e.off_the_job_reason.is_some() && e.activity_type != activity.as_str()
        });
    let off_the_job = off_the_job_of(
        activity,
        input.off_the_job,
        input.off_the_job_reason.as_deref(),
        source == Source::Staff,
        kept,
    );
    let today = today(uow).await?;
    let mut fields = Fields::default();
    let date = input.entry_date;
    fields.date("entry_date", date);
    fields.require("entry_date", date <= today, "must not be in the future");
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
    if let Err(e) = check_day_total(input.minutes, 0) {
        fields.add("minutes", e);
    }
    if let Some(course) = input.course_id
        && course != enrolment.course_id
    {
        fields.add("course_id", "is not the learner's course");
    }
    let (component_ok, unit_ok) = queries::parts_of_course(
        &mut uow.tx,
        enrolment.course_id,
        input.component_id,
        input.unit_id,
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
        OptionalText::parse(input.reflection.as_deref(), MAX_REFLECTION_CHARS),
    );
    if let Err(e) = &off_the_job {
        fields.add(e.field(), e.to_string());
    }
    if exception_moved {
        fields.add(
            "activity_type",
            "cannot change: your assessor recorded this entry's on or off the job as an \
             exception; ask them to change it",
        );
    }
    fields.finish()?;
    let (off_the_job, off_the_job_reason) = off_the_job
        .map_err(|e| Error::Validation(vec![FieldError::new(e.field(), e.to_string())]))?;
    let minutes = i32::try_from(input.minutes)
        .map_err(|_| Error::invalid("minutes", DurationError::LongerThanADay))?;
    let others = queries::minutes_on_day(&mut uow.tx, enrolment.id, date, except).await?;
    check_day_total(input.minutes, others)
        .map_err(|e| Error::Validation(vec![FieldError::new("minutes", e)]))?;
    let names_a_part = input.component_id.is_some() || input.unit_id.is_some();
    Ok(EntryFields {
        entry_date: date,
        activity_type: activity.as_str().to_owned(),
        // A component or unit is of the learner's course, so naming one names it too, and
        // the list's course filter finds the entry.
        course_id: input
            .course_id
            .or(names_a_part.then_some(enrolment.course_id)),
        component_id: input.component_id,
        unit_id: input.unit_id,
        with_assessor: input.with_assessor.unwrap_or(false),
        off_the_job,
        off_the_job_reason,
        minutes,
        reflection: reflection.and_then(OptionalText::into_inner),
    })
}

fn audit_details(enrolment_id: Uuid, f: &EntryFields) -> serde_json::Value {
    serde_json::json!({
        "enrolment_id": enrolment_id,
        "entry_date": f.entry_date,
        "activity_type": f.activity_type,
        "off_the_job": f.off_the_job,
        "off_the_job_reason": f.off_the_job_reason,
        "minutes": f.minutes,
    })
}

/// The list's cursor: the (date, id) of the last entry, carried in the (name, id) cursor
/// with the date written as its name.
fn decode_cursor(cursor: Option<&str>) -> Result<Option<(NaiveDate, Uuid)>> {
    let Some(key) = decode_name_cursor(cursor)? else {
        return Ok(None);
    };
    let date = key
        .name
        .parse::<NaiveDate>()
        .map_err(|_| Error::invalid("cursor", "is not a cursor this API returned"))?;
    Ok(Some((date, key.id)))
}

/// The filters, checked: `to` must not be before `from`.
fn entry_filter(f: Filters) -> Result<EntryFilter> {
    if let (Some(from), Some(to)) = (f.from, f.to)
        && to < from
    {
        return Err(Error::invalid("to", "must not be before from"));
    }
    Ok(EntryFilter {
        course_id: f.course_id,
        off_the_job: f.off_the_job,
        from: f.from,
        to: f.to,
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

fn to_hundredths(d: Decimal) -> Result<Hours> {
    (d * Decimal::ONE_HUNDRED)
        .round()
        .to_i64()
        .map(Hours::from_hundredths)
        .ok_or_else(|| Error::Internal(format!("hours out of range: {d}")))
}

/// Logs time for a learner (the learner, or an admin or their assessor on their behalf);
/// off the job defaults from the activity type.
pub async fn log(uow: &mut UnitOfWork, enrolment_id: Uuid, input: EntryInput) -> Result<Entry> {
    let (enrolment, source) = writable(uow, enrolment_id).await?;
    let fields = validate(uow, &enrolment, input, source, None).await?;
    let entry_id = Uuid::now_v7();
    let user = uow.principal.user_id;
    let entry = queries::insert(
        &mut uow.tx,
        entry_id,
        enrolment.id,
        &fields,
        source.as_str(),
        user,
    )
    .await?;
    let details = audit_details(enrolment.id, &fields);
    uow.audit("time_log.create", "time_log_entry", entry_id, details)
        .await?;
    Entry::new(entry)
}

/// A learner's entries, newest day first, filtered by course, on/off the job and dates
/// (`from` and `to` inclusive), a page at a time.
pub async fn list(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    filters: Filters,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<EntryPage> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    let before = decode_cursor(cursor)?;
    let limit = page_limit(limit)?;
    let filter = entry_filter(filters)?;
    let page = queries::list(&mut uow.tx, enrolment.id, &filter, before, limit).await?;
    let next_cursor = if page.has_more {
        page.items
            .last()
            .map(|e| encode_name_cursor(&e.entry_date.to_string(), e.id))
    } else {
        None
    };
    let items = page
        .items
        .into_iter()
        .map(Entry::new)
        .collect::<Result<_>>()?;
    Ok(EntryPage { items, next_cursor })
}

/// Every entry of a learner's log that matches the filters, newest day first, with what
/// a workbook says above them.
pub async fn export(uow: &mut UnitOfWork, enrolment_id: Uuid, filters: Filters) -> Result<Export> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?.into_inner();
    let filter = entry_filter(filters)?;
    let rows = queries::export_rows(&mut uow.tx, enrolment.id, &filter).await?;
    let organisation = folio_db::platform::current(&mut uow.tx).await?.name;
    Ok(Export {
        organisation,
        filters: describe_filter(&filter, &enrolment),
        enrolment,
        rows,
    })
}

/// Daily totals of a learner's time log for one month (`YYYY-MM`, 1990-01 to 2200-12):
/// every day, with its minutes and off-the-job minutes.
pub async fn calendar(uow: &mut UnitOfWork, enrolment_id: Uuid, month: &str) -> Result<Calendar> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    let (first, last) = month_bounds(month)
        .filter(|(first, _)| (1990..=2200).contains(&first.year()))
        .ok_or_else(|| Error::invalid("month", "must be a month as YYYY-MM, 1990-01 to 2200-12"))?;
    let days = queries::daily_totals(&mut uow.tx, enrolment.id, first, last).await?;
    Ok(Calendar { first, days })
}

/// A learner's off-the-job hours: the rule chosen by the start date, planned against the
/// rule's minimum, expected to date and actual, each with its explanation and the entries
/// summed.
pub async fn off_the_job(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<OffTheJob> {
    let e = uow.visible_enrolment(enrolment_id).await?.into_inner();
    let basis = queries::course_otj_basis(&mut uow.tx, e.course_id).await?;
    let published: Vec<_> = folio_db::standards::list(&mut uow.tx)
        .await?
        .iter()
        .map(|s| s.published())
        .collect();
    let rows = queries::logged_time(&mut uow.tx, e.id).await?;
    let entries = rows
        .into_iter()
        .map(|r| {
            Ok(LoggedTime {
                id: r.id,
                date: r.entry_date,
                activity: activity_of(&r.activity_type)?,
                off_the_job: r.off_the_job,
                english_maths: r.english_maths,
                minutes: i64::from(r.minutes),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let status = e
        .status()
        .ok_or_else(|| Error::Internal(format!("unknown status `{}`", e.status)))?;
    let input = OtjEnrolment {
        start: e.start_date,
        planned_end: e.planned_end_date,
        status,
        ended_on: e.completed_on.or(e.withdrawn_on),
        gateway: e.completed_on,
        contracted_per_week: to_hundredths(e.contracted_hours_per_week)?,
        planned: to_hundredths(e.planned_otj_hours)?,
        published_minimum: published_minimum(
            &published,
            basis
                .standard_code
                .as_deref()
                .map(|code| (code, basis.standard_version.as_deref())),
            basis
                .off_the_job_minimum_hours
                .map(|hours| (hours, basis.code.as_str())),
            e.start_date,
        ),
        rpl: to_hundredths(e.rpl_otj_hours)?,
        breaks: e.breaks(),
    };
    let today = today(uow).await?;
    let figures = off_the_job::figures(&input, &entries, today);
    let trend = off_the_job::trend(&input, &entries, today);
    Ok(OffTheJob {
        enrolment: e,
        contracted_per_week: input.contracted_per_week,
        figures,
        trend,
    })
}

/// One entry of a learner the caller may see.
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<Entry> {
    let entry = queries::get(&mut uow.tx, id).await?;
    uow.visible_enrolment(entry.enrolment_id).await?;
    Entry::new(entry)
}

/// Replaces an entry (the learner, or an admin or their assessor); a conflict for an
/// entry a session logged.
pub async fn replace(uow: &mut UnitOfWork, id: Uuid, input: EntryInput) -> Result<Entry> {
    let (enrolment, existing, source) = changeable(uow, id).await?;
    let fields = validate(uow, &enrolment, input, source, Some(&existing)).await?;
    let entry = queries::update(&mut uow.tx, id, &fields).await?;
    let details = audit_details(enrolment.id, &fields);
    uow.audit("time_log.update", "time_log_entry", id, details)
        .await?;
    Entry::new(entry)
}

/// Removes an entry (the learner, or an admin or their assessor); a conflict for an entry
/// a session logged.
pub async fn remove(uow: &mut UnitOfWork, id: Uuid) -> Result<()> {
    let (enrolment, entry, _) = changeable(uow, id).await?;
    let by = uow.principal.user_id;
    queries::delete(&mut uow.tx, id, by).await?;
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "entry_date": entry.entry_date,
        "minutes": entry.minutes,
    });
    uow.audit("time_log.delete", "time_log_entry", id, details)
        .await
}

/// Brings back an entry deleted in the last [`queries::UNDO_HOURS`] hours, unchanged: by
/// whoever deleted it, or by staff who manage the enrolment (a learner cannot bring back
/// what their assessor took away); others who may not change the log get 403, and 404
/// when there is none to bring back, as for one that never existed. A conflict when the
/// enrolment has since ended before the entry's day, when the day has since been filled
/// (a day's entries total at most 24 hours), or when what it was logged against has gone.
pub async fn restore(uow: &mut UnitOfWork, id: Uuid) -> Result<Entry> {
    // As for a change: the enrolment first, then the deleted entry again under its lock.
    let enrolment_id = queries::deleted(&mut uow.tx, id).await?.entry.enrolment_id;
    let (enrolment, source) = writable(uow, enrolment_id).await?;
    let deleted = queries::deleted(&mut uow.tx, id).await?;
    if source == Source::Learner && deleted.deleted_by != uow.principal.user_id {
        return Err(Error::Forbidden);
    }
    let entry = deleted.entry;
    let conflict = |detail: String| Error::Conflict {
        field: None,
        detail,
    };
    if let Some(end) = enrolment.completed_on.or(enrolment.withdrawn_on)
        && entry.entry_date > end
    {
        return Err(conflict(format!(
            "the programme has since ended ({end}), before this entry's day"
        )));
    }
    let logged = queries::minutes_on_day(&mut uow.tx, enrolment.id, entry.entry_date, None).await?;
    if logged + i64::from(entry.minutes) > 1440 {
        return Err(conflict(format!(
            "{} already has {}:{:02} logged since this entry was deleted; with it the day \
             would be over 24 hours",
            entry.entry_date.format("%-d %B %Y"),
            logged / 60,
            logged % 60,
        )));
    }
    let restored = match queries::restore(&mut uow.tx, id).await {
        Err(folio_db::DbError::Constraint { constraint }) if constraint.ends_with("_fkey") => {
            return Err(conflict(
                "the course, component or unit it was logged against has since been removed".into(),
            ));
        }
        other => other?,
    };
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "entry_date": restored.entry_date,
        "minutes": restored.minutes,
    });
    uow.audit("time_log.restore", "time_log_entry", id, details)
        .await?;
    Entry::new(restored)
}

/// Forgets the entries deleted too long ago to be brought back (the scheduler's tick, each
/// tenant); how many.
pub async fn purge_trash(work: &mut crate::system::SystemWork) -> Result<u64> {
    Ok(queries::purge_trash(&mut work.tx).await?)
}
