//! A portfolio's time log (`/app/enrolments/{id}/time-log`: the off-the-job figures, the
//! form that logs time, the entries as a filtered list or a month's calendar) and one
//! entry's page (`/app/time-log/{id}`, to edit or delete it). Each read through the use
//! cases in one unit of work and rendered from a typed view.

use chrono::{Datelike, Months, NaiveDate};
use folio_app::progress::{self, Component, Unit};
use folio_app::routes;
use folio_app::time_log::{self, Calendar, Entry, Filters, Source};
use folio_app::{Error as AppError, UnitOfWork, paging};
use folio_domain::off_the_job::Hours;
use folio_domain::time_log::ActivityType;
use poem::web::{Data, Path, Query};
use poem::{Request, handler};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::portfolio::OverviewView;
use super::{Flash, PageResult, Web, encode, path_id};

/// The list's and calendar's query: as typed, checked by [`filters`].
#[derive(Debug, Default, Deserialize)]
pub(super) struct TimeLogQuery {
    /// `calendar` for the month view.
    view: Option<String>,
    /// The calendar's month, `YYYY-MM`.
    month: Option<String>,
    off_the_job: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    /// The day the log-time form starts on, `YYYY-MM-DD` (a calendar day's "Log time").
    day: Option<String>,
}

/// Hours as a person reads them: `1.5`, `12`, `37.25`.
fn hours(h: Hours) -> f64 {
    // Display only: hundredths / 100 is the nearest double to the exact figure.
    (h.hundredths() as f64) / 100.0
}

/// A blank given as no value.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|v| !v.is_empty())
}

/// The list's filters, or which one is wrong and why.
fn filters(q: &TimeLogQuery) -> Result<Filters, AppError> {
    let date = |field: &str, v: Option<&str>| {
        v.map(|v| {
            v.parse::<NaiveDate>()
                .map_err(|_| AppError::invalid(field, "must be a date as YYYY-MM-DD"))
        })
        .transpose()
    };
    let off_the_job = match given(&q.off_the_job) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(AppError::invalid("off_the_job", "must be true or false"));
        }
    };
    Ok(Filters {
        course_id: None,
        off_the_job,
        from: date("from", given(&q.from))?,
        to: date("to", given(&q.to))?,
    })
}

/// An activity type to choose.
#[derive(Debug, Serialize)]
struct ActivityChoice {
    value: &'static str,
    label: &'static str,
    off_the_job: bool,
}

fn activity_choices() -> Vec<ActivityChoice> {
    ActivityType::ALL
        .into_iter()
        .map(|a| ActivityChoice {
            value: a.as_str(),
            label: a.label(),
            off_the_job: a.off_the_job_by_default(),
        })
        .collect()
}

/// A unit to log time against.
#[derive(Debug, Serialize)]
struct UnitChoice {
    id: Uuid,
    code: String,
    title: String,
}

/// A component's units, for the form's option groups.
#[derive(Debug, Serialize)]
struct UnitGroup {
    title: String,
    units: Vec<UnitChoice>,
}

fn unit_groups(components: Vec<Component<Unit>>) -> Vec<UnitGroup> {
    components
        .into_iter()
        .map(|c| UnitGroup {
            title: c.title,
            units: c
                .items
                .into_iter()
                .map(|u| UnitChoice {
                    id: u.id,
                    code: u.code,
                    title: u.title,
                })
                .collect(),
        })
        .collect()
}

/// The fields of an entry's form, filled in (an entry's) or as a new one starts.
#[derive(Debug, Serialize)]
struct FieldsView {
    entry_date: NaiveDate,
    activity_type: Option<&'static str>,
    /// The time spent, as whole hours and the minutes beyond them (90 is 1 and 30).
    hours_part: Option<i32>,
    minutes_part: Option<i32>,
    unit_id: Option<Uuid>,
    /// The entry's off the job, for an entry (none for a new one: it follows the type).
    off_the_job: Option<bool>,
    /// Why staff recorded it against its activity type, if they did.
    off_the_job_reason: Option<String>,
    with_assessor: bool,
    reflection: Option<String>,
}

impl FieldsView {
    fn blank(today: NaiveDate) -> Self {
        Self {
            entry_date: today,
            activity_type: None,
            hours_part: None,
            minutes_part: None,
            unit_id: None,
            off_the_job: None,
            off_the_job_reason: None,
            with_assessor: false,
            reflection: None,
        }
    }
}

impl From<&Entry> for FieldsView {
    fn from(e: &Entry) -> Self {
        Self {
            entry_date: e.entry.entry_date,
            activity_type: Some(e.activity.as_str()),
            hours_part: Some(e.entry.minutes / 60),
            minutes_part: Some(e.entry.minutes % 60),
            unit_id: e.entry.unit_id,
            off_the_job: Some(e.entry.off_the_job),
            off_the_job_reason: e.entry.off_the_job_reason.clone(),
            with_assessor: e.entry.with_assessor,
            reflection: e.entry.reflection.clone(),
        }
    }
}

/// The off-the-job figures.
#[derive(Debug, Serialize)]
struct OtjView {
    actual_hours: f64,
    expected_to_date_hours: f64,
    planned_hours: f64,
    required_minimum_hours: Option<f64>,
    behind_expected: bool,
    rule_text: &'static str,
    /// How each figure was reached, in words.
    required_explanation: String,
    expected_explanation: String,
    actual_explanation: String,
    minimum_duration_explanation: String,
    meets_minimum_duration: bool,
}

/// An entry in the list.
#[derive(Debug, Serialize)]
struct EntryRow {
    id: Uuid,
    entry_date: NaiveDate,
    activity: &'static str,
    reflection: Option<String>,
    minutes: i32,
    off_the_job: bool,
    /// Why staff recorded it against its activity type, if they did.
    off_the_job_reason: Option<String>,
    counts_towards_minimum: bool,
    /// Its page, for the entries people wrote (a session's is changed on the session),
    /// when the viewer may change them.
    link: Option<String>,
}

impl EntryRow {
    /// The row of `e`, linked to its page when the viewer `may_write` the log.
    fn new(e: Entry, may_write: bool) -> Self {
        Self {
            link: (may_write && e.source != Source::Session)
                .then(|| routes::time_log_entry(e.entry.id)),
            id: e.entry.id,
            entry_date: e.entry.entry_date,
            activity: e.activity.label(),
            reflection: e.entry.reflection,
            minutes: e.entry.minutes,
            off_the_job: e.entry.off_the_job,
            off_the_job_reason: e.entry.off_the_job_reason,
            counts_towards_minimum: e.counts_towards_minimum,
        }
    }
}

/// A day of the calendar.
#[derive(Debug, Serialize)]
struct DayCell {
    date: NaiveDate,
    day: u32,
    minutes: i64,
    off_the_job_minutes: i64,
    /// The day's entries, each linked to its page when the viewer may change it.
    entries: Vec<EntryRow>,
    /// Opens the log-time form on this day; none for readers and for days to come.
    add: Option<String>,
}

/// The month view.
#[derive(Debug, Serialize)]
struct CalendarView {
    /// `YYYY-MM`.
    month: String,
    /// Weeks from Monday; blanks before the first day and after the last.
    weeks: Vec<Vec<Option<DayCell>>>,
    total_minutes: i64,
    total_off_the_job_minutes: i64,
    /// The months either side, `YYYY-MM`.
    previous_month: String,
    next_month: String,
    /// The month's entries in the list, when there are more than one page holds.
    more: Option<String>,
}

impl CalendarView {
    /// The month `c`, its days holding `entries` (the month's, any order); `add` gives a
    /// day's link to log time on it, if any.
    fn new(c: Calendar, entries: Vec<EntryRow>, add: impl Fn(NaiveDate) -> Option<String>) -> Self {
        let mut by_day: std::collections::BTreeMap<NaiveDate, Vec<EntryRow>> =
            std::collections::BTreeMap::new();
        for e in entries {
            by_day.entry(e.entry_date).or_default().push(e);
        }
        let month =
            |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m").to_string()).unwrap_or_default();
        let lead = c.first.weekday().num_days_from_monday() as usize;
        let mut cells: Vec<Option<DayCell>> = std::iter::repeat_with(|| None).take(lead).collect();
        let (mut total, mut otj) = (0, 0);
        for d in c.days {
            total += d.minutes;
            otj += d.off_the_job_minutes;
            cells.push(Some(DayCell {
                date: d.day,
                day: d.day.day(),
                minutes: d.minutes,
                off_the_job_minutes: d.off_the_job_minutes,
                entries: by_day.remove(&d.day).unwrap_or_default(),
                add: add(d.day),
            }));
        }
        while !cells.len().is_multiple_of(7) {
            cells.push(None);
        }
        let mut weeks = Vec::new();
        let mut cells = cells.into_iter().peekable();
        while cells.peek().is_some() {
            weeks.push(cells.by_ref().take(7).collect());
        }
        Self {
            month: c.first.format("%Y-%m").to_string(),
            weeks,
            total_minutes: total,
            total_off_the_job_minutes: otj,
            previous_month: month(c.first.checked_sub_months(Months::new(1))),
            next_month: month(c.first.checked_add_months(Months::new(1))),
            more: None,
        }
    }
}

/// The entries listed.
#[derive(Debug, Serialize)]
struct EntriesView {
    items: Vec<EntryRow>,
    /// The next (older) page, on all but the last.
    next_cursor: Option<String>,
}

/// The filters as typed, to show them again.
#[derive(Debug, Serialize)]
struct FiltersView {
    off_the_job: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The time log page.
#[derive(Debug, Serialize)]
struct TimeLogView {
    /// The enrolment.
    id: Uuid,
    overview: OverviewView,
    otj: OtjView,
    new_entry: FieldsView,
    activity_types: Vec<ActivityChoice>,
    /// The viewer is staff who may record an entry on or off the job against its type.
    records_exceptions: bool,
    /// The viewer may add to the log and change it (not a reader such as the employer).
    may_write: bool,
    unit_groups: Vec<UnitGroup>,
    /// This page (the list).
    link: String,
    /// Where the log-time form comes back to: the view it was sent from.
    back: String,
    /// This month, `YYYY-MM`, for the calendar's link.
    this_month: String,
    /// The workbook (of what is listed, with `filter_query`).
    export_link: String,
    /// Where the log-time form posts.
    api: String,
    calendar: Option<CalendarView>,
    entries: Option<EntriesView>,
    filters: FiltersView,
    /// The filters as a query string (`off_the_job=true&from=…`), empty for none.
    filter_query: String,
}

async fn read_time_log(
    uow: &mut UnitOfWork,
    id: Uuid,
    q: TimeLogQuery,
) -> Result<TimeLogView, AppError> {
    let today = progress::today(uow).await?;
    let checked = filters(&q)?;
    let day = given(&q.day)
        .map(|d| {
            d.parse::<NaiveDate>()
                .map_err(|_| AppError::invalid("day", "must be a date as YYYY-MM-DD"))
        })
        .transpose()?;
    let overview = progress::overview(uow, id).await?;
    let (_, units) = progress::units(uow, id).await?;
    let otj = time_log::off_the_job(uow, id).await?.figures;
    let may_write = time_log::may_write(uow, id).await?;
    let link = routes::time_log(id);
    let mut back = link.clone();
    let (calendar, entries) = if given(&q.view) == Some("calendar") {
        let month = given(&q.month)
            .map(str::to_owned)
            .unwrap_or_else(|| today.format("%Y-%m").to_string());
        let c = time_log::calendar(uow, id, &month).await?;
        let (first, last) = (c.first, c.days.last().map_or(c.first, |d| d.day));
        let month = first.format("%Y-%m").to_string();
        back = format!("{link}?view=calendar&month={month}");
        // The month's entries, to show and open on their days.
        let in_month = Filters {
            course_id: None,
            off_the_job: None,
            from: Some(first),
            to: Some(last),
        };
        let page = time_log::list(uow, id, in_month, None, Some(paging::MAX_LIMIT)).await?;
        let rows = page
            .items
            .into_iter()
            .map(|e| EntryRow::new(e, may_write))
            .collect();
        let add =
            |d: NaiveDate| (may_write && d <= today).then(|| format!("{back}&day={d}#log-time"));
        let mut view = CalendarView::new(c, rows, add);
        view.more = page
            .next_cursor
            .is_some()
            .then(|| format!("{link}?from={first}&to={last}"));
        (Some(view), None)
    } else {
        let page = time_log::list(uow, id, checked, given(&q.cursor), Some(100)).await?;
        let entries = EntriesView {
            items: page
                .items
                .into_iter()
                .map(|e| EntryRow::new(e, may_write))
                .collect(),
            next_cursor: page.next_cursor,
        };
        (None, Some(entries))
    };
    let filter_query = [
        ("off_the_job", given(&q.off_the_job)),
        ("from", given(&q.from)),
        ("to", given(&q.to)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}={}", encode(v))))
    .collect::<Vec<_>>()
    .join("&");
    Ok(TimeLogView {
        id,
        overview: OverviewView::from(overview),
        otj: OtjView {
            actual_hours: hours(otj.actual.hours),
            expected_to_date_hours: hours(otj.expected_to_date),
            planned_hours: hours(otj.planned),
            required_minimum_hours: otj.required.hours.map(hours),
            behind_expected: otj.behind_expected,
            rule_text: otj.rule.text(),
            required_explanation: otj.required.explanation,
            expected_explanation: otj.expected_explanation,
            actual_explanation: otj.actual_explanation,
            minimum_duration_explanation: otj.minimum_duration.explanation,
            meets_minimum_duration: otj.minimum_duration.met,
        },
        new_entry: FieldsView::blank(day.unwrap_or(today)),
        activity_types: activity_choices(),
        records_exceptions: time_log::records_exceptions(uow, id).await?,
        may_write,
        unit_groups: unit_groups(units),
        this_month: today.format("%Y-%m").to_string(),
        export_link: format!("/api/v1/enrolments/{id}/time-log/export"),
        api: format!("/api/v1/enrolments/{id}/time-log"),
        link,
        back,
        calendar,
        entries,
        filters: FiltersView {
            off_the_job: q.off_the_job,
            from: q.from,
            to: q.to,
        },
        filter_query,
    })
}

/// `/app/enrolments/{id}/time-log`.
#[handler]
pub(super) async fn time_log_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    Query(q): Query<TimeLogQuery>,
    flash: Flash,
) -> PageResult {
    let (viewer, view) = web
        .read_page(req, async |uow, _| {
            read_time_log(uow, path_id(&id)?, q).await
        })
        .await?;
    Ok(web.typed_page(&viewer, "time_log", "Time log", &view, flash))
}

/// One entry's page.
#[derive(Debug, Serialize)]
struct EntryView {
    /// The enrolment.
    id: Uuid,
    overview: OverviewView,
    entry_id: Uuid,
    entry: FieldsView,
    activity_types: Vec<ActivityChoice>,
    /// The viewer is staff who may record an entry on or off the job against its type.
    records_exceptions: bool,
    /// The viewer may change the entry (not a reader such as the employer).
    may_write: bool,
    unit_groups: Vec<UnitGroup>,
    /// This page, and the time log it belongs to.
    link: String,
    time_log: String,
    /// The entry in the API, for the forms.
    api: String,
}

async fn read_entry(uow: &mut UnitOfWork, id: Uuid) -> Result<EntryView, AppError> {
    let entry = time_log::get(uow, id).await?;
    let enrolment = entry.entry.enrolment_id;
    let overview = progress::overview(uow, enrolment).await?;
    let (_, units) = progress::units(uow, enrolment).await?;
    Ok(EntryView {
        id: enrolment,
        overview: OverviewView::from(overview),
        entry_id: id,
        entry: FieldsView::from(&entry),
        activity_types: activity_choices(),
        records_exceptions: time_log::records_exceptions(uow, enrolment).await?,
        may_write: time_log::may_write(uow, enrolment).await?,
        unit_groups: unit_groups(units),
        link: routes::time_log_entry(id),
        time_log: routes::time_log(enrolment),
        api: format!("/api/v1/time-log/{id}"),
    })
}

/// `/app/time-log/{id}`.
#[handler]
pub(super) async fn time_log_entry_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, view) = web
        .read_page(req, async |uow, _| read_entry(uow, path_id(&id)?).await)
        .await?;
    Ok(web.typed_page(&viewer, "time_log_entry", "Time log entry", &view, flash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_app::time_log::DayTotal;

    #[test]
    fn a_month_is_laid_out_in_weeks_from_monday() {
        // December 2026 starts on a Tuesday and has 31 days: one blank, then 31 days, then
        // 3 blanks to finish the fifth week (1 + 31 + 3 = 35 = 5 × 7).
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let days = (0..31)
            .map(|n| DayTotal {
                day: first + chrono::Days::new(n),
                minutes: if n == 4 { 90 } else { 0 },
                off_the_job_minutes: if n == 4 { 60 } else { 0 },
                entries: i64::from(n == 4),
            })
            .collect();
        let entry = |date, minutes| EntryRow {
            id: Uuid::nil(),
            entry_date: date,
            activity: "Coaching",
            reflection: None,
            minutes,
            off_the_job: true,
            off_the_job_reason: None,
            counts_towards_minimum: true,
            link: None,
        };
        let fifth = first + chrono::Days::new(4);
        let twelfth = first + chrono::Days::new(11);
        let view = CalendarView::new(
            Calendar { first, days },
            vec![entry(fifth, 60), entry(fifth, 30)],
            |d| (d <= twelfth).then(|| format!("add {d}")),
        );
        assert_eq!(view.weeks.len(), 5);
        assert!(view.weeks[0][0].is_none());
        assert_eq!(view.weeks[0][1].as_ref().map(|d| d.day), Some(1));
        assert_eq!(view.weeks[0][5].as_ref().map(|d| d.minutes), Some(90));
        // Saturday the 5th holds both its entries; other days none.
        assert_eq!(view.weeks[0][5].as_ref().map(|d| d.entries.len()), Some(2));
        assert_eq!(view.weeks[0][4].as_ref().map(|d| d.entries.len()), Some(0));
        // Time can be logged up to the 12th (Saturday of week 2), not on the 13th.
        assert_eq!(
            view.weeks[1][5].as_ref().and_then(|d| d.add.as_deref()),
            Some("add 2026-12-12")
        );
        assert!(view.weeks[1][6].as_ref().is_some_and(|d| d.add.is_none()));
        assert!(view.weeks[4][4].is_none() && view.weeks[4][3].is_some());
        assert_eq!(
            (view.total_minutes, view.total_off_the_job_minutes),
            (90, 60)
        );
        assert_eq!(
            (view.previous_month.as_str(), view.next_month.as_str()),
            ("2026-11", "2027-01")
        );
    }

    #[test]
    fn bad_filters_name_the_field() {
        let q = TimeLogQuery {
            from: Some("yesterday".into()),
            ..TimeLogQuery::default()
        };
        let Err(AppError::Validation(fields)) = filters(&q) else {
            panic!("a bad date is refused");
        };
        assert_eq!(fields[0].field, "from");
    }
}
