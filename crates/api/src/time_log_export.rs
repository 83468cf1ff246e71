//! A learner's time log as an Excel workbook: the list view's columns, the filters that
//! chose the rows, and totals.
//!
//! The workbook is written by `rust_xlsxwriter` in constant-memory mode on a blocking
//! thread into an anonymous temporary file, which is then streamed to the client: neither
//! the rows nor the finished file are held in memory, however long the log.

use std::io::{Seek, SeekFrom};

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::time_log::ExportRow;
use folio_domain::time_log::ActivityType;
use poem::Body;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Binary;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::evidence::content_disposition;
use crate::problem::{AppError, AppResult};

/// A generated workbook, as an attachment.
#[derive(ApiResponse)]
pub(crate) enum WorkbookResponse {
    /// The workbook.
    #[oai(
        status = 200,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )]
    Workbook(
        Binary<Body>,
        #[oai(header = "Content-Disposition")] String,
        #[oai(header = "Content-Length")] i64,
    ),
}

/// What the sheet says above the table: whose log, and which part of it.
#[derive(Debug, Clone)]
pub(crate) struct Heading {
    /// The training provider.
    pub organisation: String,
    /// The learner.
    pub learner: String,
    /// Their course, as code and title.
    pub course: String,
    /// The filters applied, as (name, value) pairs; empty for the whole log.
    pub filters: Vec<(&'static str, String)>,
    /// When the file was made.
    pub exported_at: DateTime<Utc>,
}

/// The table's columns, in order: the list view's, then who logged the entry.
const COLUMNS: [(&str, f64); 13] = [
    ("Date", 12.0),
    ("Activity type", 34.0),
    ("Course", 28.0),
    ("Component", 22.0),
    ("Unit", 28.0),
    ("With assessor", 13.0),
    ("On/off the job", 14.0),
    ("Counts towards off-the-job minimum", 18.0),
    ("Duration (h:mm)", 14.0),
    ("Minutes", 10.0),
    ("Hours", 10.0),
    ("Reflection", 60.0),
    ("Logged by", 24.0),
];

/// Zero-based column indexes of the figures the totals row sums.
const MINUTES_COL: u16 = 9;
const HOURS_COL: u16 = 10;

/// Rows above the table: title, organisation, learner, course, filters, exported at, gap.
const HEADING_ROWS: u32 = 7;

fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// `h:mm`, the way the seed product shows a duration.
fn h_mm(minutes: i64) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

fn hours(minutes: i64) -> f64 {
    // Exact to the hundredth for any realistic total; the cell shows two places.
    (minutes as f64) / 60.0
}

/// The filters line: each filter as `name: value`, or that there were none.
fn describe_filters(filters: &[(&'static str, String)]) -> String {
    if filters.is_empty() {
        "None: every entry".to_owned()
    } else {
        filters
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Running totals of the rows written.
#[derive(Debug, Default)]
struct Totals {
    entries: u32,
    minutes: i64,
    off_the_job: i64,
    counting: i64,
}

/// When a file was made, as its sheet says.
pub(crate) fn exported(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Writes a sheet's title, its facts (label and value) a row each below it, and the
/// table's column headings, each at its width, on `header_row`.
pub(crate) fn write_heading(
    sheet: &mut Worksheet,
    title: &str,
    facts: &[(&str, String)],
    columns: &[(&str, f64)],
    header_row: u32,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let title_format = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color("#DDEBF7");
    sheet.write_string_with_format(0, 0, title, &title_format)?;
    for (row, (label, value)) in (1u32..).zip(facts) {
        sheet.write_string_with_format(row, 0, *label, &bold)?;
        sheet.write_string(row, 1, value)?;
    }
    for (col, (name, width)) in (0u16..).zip(columns) {
        sheet.set_column_width(col, *width)?;
        sheet.write_string_with_format(header_row, col, *name, &header)?;
    }
    Ok(())
}

fn write_sheet(
    sheet: &mut Worksheet,
    heading: &Heading,
    rows: &[ExportRow],
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let two_places = Format::new().set_num_format("0.00");
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);

    sheet.set_name("Time log")?;
    let facts = [
        ("Organisation", heading.organisation.clone()),
        ("Learner", heading.learner.clone()),
        ("Course", heading.course.clone()),
        ("Filters", describe_filters(&heading.filters)),
        ("Exported", exported(heading.exported_at)),
    ];
    write_heading(
        sheet,
        &format!("Time log: {}", heading.learner),
        &facts,
        &COLUMNS,
        HEADING_ROWS - 1,
    )?;

    let mut totals = Totals::default();
    for (row, e) in (HEADING_ROWS..).zip(rows) {
        let activity: Option<ActivityType> = e.activity_type.parse().ok();
        let counts = e.off_the_job && activity.is_some_and(ActivityType::counts_towards_minimum);
        let minutes = i64::from(e.minutes);
        totals.entries += 1;
        totals.minutes += minutes;
        if e.off_the_job {
            totals.off_the_job += minutes;
        }
        if counts {
            totals.counting += minutes;
        }
        sheet.write_date_with_format(row, 0, e.entry_date, &date)?;
        let label: &str = match activity {
            Some(a) => a.label(),
            None => &e.activity_type,
        };
        sheet.write_string(row, 1, label)?;
        for (col, text) in [(2, &e.course), (3, &e.component), (4, &e.unit)] {
            if let Some(text) = text {
                sheet.write_string(row, col, text)?;
            }
        }
        sheet.write_string(row, 5, yes_no(e.with_assessor))?;
        sheet.write_string(
            row,
            6,
            if e.off_the_job {
                "Off the job"
            } else {
                "On the job"
            },
        )?;
        sheet.write_string(row, 7, yes_no(counts))?;
        sheet.write_string(row, 8, h_mm(minutes))?;
        sheet.write_number(row, MINUTES_COL, minutes as f64)?;
        sheet.write_number_with_format(row, HOURS_COL, hours(minutes), &two_places)?;
        if let Some(reflection) = &e.reflection {
            sheet.write_string_with_format(row, 11, reflection, &wrap)?;
        }
        let by = match e.source.as_str() {
            "session" => format!("{} (attended session)", e.created_by_name),
            _ => e.created_by_name.clone(),
        };
        sheet.write_string(row, 12, by)?;
    }

    // Totals under the table, each figure in the Minutes and Hours columns.
    let first_total = HEADING_ROWS + totals.entries + 1;
    let lines = [
        ("Total", totals.minutes),
        ("Off the job", totals.off_the_job),
        ("Counting towards the off-the-job minimum", totals.counting),
    ];
    for (row, (label, minutes)) in (first_total..).zip(lines) {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        sheet.write_string_with_format(row, 8, h_mm(minutes), &bold)?;
        sheet.write_number_with_format(row, MINUTES_COL, minutes as f64, &bold)?;
        sheet.write_number_with_format(row, HOURS_COL, hours(minutes), &two_places)?;
    }
    let entries_row = first_total + 3;
    sheet.write_string_with_format(entries_row, 0, "Entries", &bold)?;
    sheet.write_number(entries_row, MINUTES_COL, f64::from(totals.entries))?;
    Ok(())
}

/// Writes a one-sheet workbook with `write` to an anonymous temporary file, rewound: call
/// on a blocking thread.
fn write_file(
    write: impl FnOnce(&mut Worksheet) -> Result<(), XlsxError>,
) -> Result<(std::fs::File, u64), XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    write(sheet)?;
    let mut file = tempfile::tempfile()?;
    workbook.save_to_writer(&mut file)?;
    let len = file.stream_position()?;
    file.seek(SeekFrom::Start(0))?;
    Ok((file, len))
}

/// A one-sheet workbook written by `write` (on a blocking thread, in constant memory, to a
/// temporary file), streamed as `file_name`.
pub(crate) async fn workbook(
    file_name: &str,
    write: impl FnOnce(&mut Worksheet) -> Result<(), XlsxError> + Send + 'static,
) -> AppResult<WorkbookResponse> {
    let (file, len) = tokio::task::spawn_blocking(move || write_file(write))
        .await
        .map_err(|e| AppError::Internal(format!("spreadsheet task failed: {e}")))?
        .map_err(|e| AppError::Internal(format!("could not write the spreadsheet: {e}")))?;
    let body = Body::from_async_read(tokio::fs::File::from_std(file));
    Ok(WorkbookResponse::Workbook(
        Binary(body),
        content_disposition(file_name),
        i64::try_from(len).unwrap_or(i64::MAX),
    ))
}

/// The workbook of `rows` under `heading`, streamed as `file_name`.
pub(crate) async fn time_log_workbook(
    heading: Heading,
    rows: Vec<ExportRow>,
    file_name: String,
) -> AppResult<WorkbookResponse> {
    workbook(&file_name, move |sheet| write_sheet(sheet, &heading, &rows)).await
}

/// A file name for a learner's log exported on `day`: `time-log-<name>-<day>.xlsx`, the
/// name reduced to letters, digits and hyphens.
pub(crate) fn file_name(learner: &str, day: NaiveDate) -> String {
    let mut slug = String::new();
    for c in learner.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    format!("time-log-{slug}-{day}.xlsx")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_hours_and_minutes() {
        assert_eq!(h_mm(0), "0:00");
        assert_eq!(h_mm(90), "1:30");
        assert_eq!(h_mm(1440), "24:00");
        assert_eq!(h_mm(605), "10:05");
    }

    #[test]
    fn file_names_are_plain() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap_or_default();
        assert_eq!(
            file_name("Amy O'Neill", day),
            "time-log-amy-o-neill-2026-03-04.xlsx"
        );
        assert_eq!(file_name("  Zoë  ", day), "time-log-zoë-2026-03-04.xlsx");
    }

    #[test]
    fn filters_are_described() {
        assert_eq!(describe_filters(&[]), "None: every entry");
        let f = [
            ("On/off the job", "Off the job".to_owned()),
            ("From", "2026-01-01".into()),
        ];
        assert_eq!(
            describe_filters(&f),
            "On/off the job: Off the job; From: 2026-01-01"
        );
    }
}
