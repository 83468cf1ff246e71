//! Exports as jobs: the compliance workbook of an organisation or caseload, the time log of
//! an organisation or caseload, and a learner's progress map as PDF.
//!
//! Rows stream from a database cursor through a bounded channel to a blocking thread that
//! writes them with rust_xlsxwriter in constant-memory mode into an anonymous temporary
//! file; the file is then streamed into the file store. Memory stays flat however many rows.
//! Progress (rows written of rows counted) is recorded as the rows go. An export that is
//! already ready is left alone, so a repeated delivery does nothing; one that failed or
//! was cut off is written again from the start.

use std::io::{Seek, SeekFrom};

use anyhow::Context;
use chrono::{DateTime, Days, NaiveDate, Utc};
use folio_app::exports::Export;
use folio_app::exports::writing::{self as exports, ComplianceRow, ReadyFile, Scope};
use folio_app::system::{self, SystemWork};
use folio_domain::TenantId;
use folio_domain::enrolment::EnrolmentStatus;
use folio_domain::ilr::{comp_status, withdraw_reason};
use folio_domain::jobs::local_date;
use folio_domain::off_the_job::{self, Hours, LoggedTime, OtjEnrolment, OtjFigures};
use folio_domain::progress::{Break, breaks_from};
use folio_domain::reviews::{ReviewRule, next_review_due};
use folio_domain::standards::{PublishedStandard, published_minimum};
use folio_domain::time_log::ActivityType;
use futures_util::StreamExt;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::JobContext;

/// The content type of a workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The content type of a PDF.
pub const PDF: &str = "application/pdf";
/// The media type of a CSV export.
pub const CSV: &str = "text/csv; charset=utf-8";
/// The last row index of an Excel sheet (1,048,576 rows).
const MAX_SHEET_ROW: u32 = 1_048_575;
/// Rows between progress records.
const PROGRESS_EVERY: i64 = 5_000;
/// The largest export stored (a guard against a runaway file, far above any real one).
const MAX_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// A cell of a row.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A date, shown as dd/mm/yyyy.
    Date(NaiveDate),
    /// A number.
    Number(f64),
    /// Nothing.
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Self {
        s.map_or(Cell::Empty, Cell::Text)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}

impl From<Option<NaiveDate>> for Cell {
    fn from(d: Option<NaiveDate>) -> Self {
        d.map_or(Cell::Empty, Cell::Date)
    }
}

impl From<f64> for Cell {
    fn from(n: f64) -> Self {
        Cell::Number(n)
    }
}

impl From<Option<f64>> for Cell {
    fn from(n: Option<f64>) -> Self {
        n.map_or(Cell::Empty, Cell::Number)
    }
}

/// A table's columns: title and width.
type Columns = Vec<(&'static str, f64)>;

/// The sheet being written: its name, heading, columns and field names, and which part of
/// the table it is (a table longer than a sheet goes on in "Name (2)", …).
type OpenSheet = (String, Vec<String>, Columns, Vec<&'static str>, u32);

/// What the writer thread is told.
enum Msg {
    /// Start a sheet: its name, the lines above the table, the columns and their widths.
    Sheet {
        name: String,
        heading: Vec<String>,
        columns: Vec<(&'static str, f64)>,
        /// A second header row, with the official return's own field names (ULN,
        /// LearnRefNumber…); empty for a sheet without one.
        field_names: Vec<&'static str>,
    },
    /// Rows of the current sheet, in order. Rows travel in batches: one message (and one
    /// wake-up of the writer thread) per row cost more than writing the row itself.
    Rows(Vec<Vec<Cell>>),
}

/// Rows per [`Msg::Rows`].
const BATCH: usize = 512;

/// Writes the workbook from the channel into an anonymous temporary file; returns it with
/// its length. Runs on a blocking thread.
fn write_workbook(mut rx: mpsc::Receiver<Msg>) -> Result<(std::fs::File, u64), XlsxError> {
    let mut workbook = Workbook::new();
    // Compressing the sheets' XML is most of the time spent saving. Level 1 saves in about
    // half the time of the default 6 for a file about a third larger, still a fraction of
    // the same rows as CSV (measured in BENCHMARKS.md).
    workbook.set_zip_compression_level(1);
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let mut sheets = 0usize;
    let mut row: u32 = 0;
    // The current sheet's name, heading, columns and field names, and how many parts it
    // has: a table longer than a sheet's rows goes on in "Name (2)", "Name (3)" …
    let mut current: Option<OpenSheet> = None;
    // The open sheet's last header row and last column, for its filter once its rows are
    // written.
    let mut filter: Option<(u32, u16)> = None;
    let close_filter = |workbook: &mut Workbook,
                        sheets: usize,
                        filter: Option<(u32, u16)>,
                        next_row: u32|
     -> Result<(), XlsxError> {
        if let (Some((header, last_col)), Some(index)) = (filter, sheets.checked_sub(1)) {
            let last_row = next_row.saturating_sub(1).max(header);
            workbook
                .worksheet_from_index(index)?
                .autofilter(header, 0, last_row, last_col)?;
        }
        Ok(())
    };
    let start_sheet = |workbook: &mut Workbook,
                       sheets: &mut usize,
                       name: &str,
                       heading: &[String],
                       columns: &[(&'static str, f64)],
                       field_names: &[&'static str]|
     -> Result<(u32, (u32, u16)), XlsxError> {
        workbook
            .add_worksheet_with_constant_memory()?
            .set_name(name)?;
        *sheets += 1;
        let sheet = workbook.worksheet_from_index(*sheets - 1)?;
        let mut row = 0;
        for (i, line) in heading.iter().enumerate() {
            if i == 0 {
                sheet.write_with_format(row, 0, line, &bold)?;
            } else {
                sheet.write(row, 0, line)?;
            }
            row += 1;
        }
        if !heading.is_empty() {
            row += 1;
        }
        for (col, (title, width)) in (0u16..).zip(columns.iter()) {
            sheet.set_column_width(col, *width)?;
            sheet.write_with_format(row, col, *title, &header)?;
        }
        if !field_names.is_empty() {
            row += 1;
            for (col, field) in (0u16..).zip(field_names.iter()) {
                sheet.write_with_format(row, col, *field, &header)?;
            }
        }
        // The header stays in view while scrolling, and every column can be filtered.
        sheet.set_freeze_panes(row + 1, 0)?;
        let last_col = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
        Ok((row + 1, (row, last_col)))
    };
    while let Some(msg) = rx.blocking_recv() {
        match msg {
            Msg::Sheet {
                name,
                heading,
                columns,
                field_names,
            } => {
                close_filter(&mut workbook, sheets, filter, row)?;
                let (first, header) = start_sheet(
                    &mut workbook,
                    &mut sheets,
                    &name,
                    &heading,
                    &columns,
                    &field_names,
                )?;
                (row, filter) = (first, Some(header));
                current = Some((name, heading, columns, field_names, 1));
            }
            Msg::Rows(batch) => {
                for cells in batch {
                    if row > MAX_SHEET_ROW
                        && let Some((name, heading, columns, field_names, part)) = current.as_mut()
                    {
                        *part += 1;
                        let continued = format!("{name} ({part})");
                        close_filter(&mut workbook, sheets, filter, row)?;
                        let (first, header) = start_sheet(
                            &mut workbook,
                            &mut sheets,
                            &continued,
                            heading,
                            columns,
                            field_names,
                        )?;
                        (row, filter) = (first, Some(header));
                    }
                    let Some(index) = sheets.checked_sub(1) else {
                        continue;
                    };
                    let sheet = workbook.worksheet_from_index(index)?;
                    for (col, cell) in (0u16..).zip(cells) {
                        match cell {
                            Cell::Text(t) => {
                                sheet.write(row, col, t)?;
                            }
                            Cell::Date(d) => {
                                sheet.write_with_format(row, col, &d, &date)?;
                            }
                            Cell::Number(n) => {
                                sheet.write(row, col, n)?;
                            }
                            Cell::Empty => {}
                        }
                    }
                    row += 1;
                }
            }
        }
    }
    close_filter(&mut workbook, sheets, filter, row)?;
    if sheets == 0 {
        workbook.add_worksheet();
    }
    let mut file = tempfile::tempfile().map_err(XlsxError::IoError)?;
    workbook.save_to_writer(&mut file)?;
    let len = file.seek(SeekFrom::End(0)).map_err(XlsxError::IoError)?;
    file.seek(SeekFrom::Start(0)).map_err(XlsxError::IoError)?;
    Ok((file, len))
}

/// A workbook being written: rows go to the writer thread through a bounded channel, and
/// progress is recorded every few thousand rows.
struct Sheets<'a> {
    ctx: &'a JobContext,
    tenant: TenantId,
    export: Uuid,
    tx: mpsc::Sender<Msg>,
    rows: i64,
    /// Rows not yet sent to the writer.
    pending: Vec<Vec<Cell>>,
}

impl Sheets<'_> {
    async fn sheet(
        &mut self,
        name: &str,
        heading: Vec<String>,
        columns: &[(&'static str, f64)],
    ) -> anyhow::Result<()> {
        self.sheet_with_fields(name, heading, columns, &[]).await
    }

    /// A sheet whose header has a second row of the official return's field names.
    async fn sheet_with_fields(
        &mut self,
        name: &str,
        heading: Vec<String>,
        columns: &[(&'static str, f64)],
        field_names: &[&'static str],
    ) -> anyhow::Result<()> {
        self.flush().await?;
        self.tx
            .send(Msg::Sheet {
                name: name.to_owned(),
                heading,
                columns: columns.to_vec(),
                field_names: field_names.to_vec(),
            })
            .await
            .map_err(|_| anyhow::anyhow!("the workbook writer stopped"))
    }

    /// Sends the rows not yet sent.
    async fn flush(&mut self) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH));
        self.tx
            .send(Msg::Rows(batch))
            .await
            .map_err(|_| anyhow::anyhow!("the workbook writer stopped"))
    }

    async fn row(&mut self, cells: Vec<Cell>) -> anyhow::Result<()> {
        self.pending.push(cells);
        if self.pending.len() >= BATCH {
            self.flush().await?;
        }
        self.rows += 1;
        if self.rows % PROGRESS_EVERY == 0 {
            // Best effort, on a second connection while the cursor holds the first: a busy
            // pool delays the progress shown, never the export.
            let recorded = async {
                let mut work = SystemWork::begin(&self.ctx.db, self.tenant).await?;
                exports::progress(&mut work, self.export, self.rows).await?;
                work.commit().await
            };
            if let Err(e) = recorded.await {
                tracing::debug!(error = %e, "export progress not recorded");
            }
        }
        Ok(())
    }
}

/// Runs the export of job run `run_id`.
pub async fn run(
    ctx: &JobContext,
    tenant: TenantId,
    run_id: Uuid,
    today: NaiveDate,
) -> anyhow::Result<Value> {
    let (export, organisation) = {
        let mut work = SystemWork::begin(&ctx.db, tenant).await?;
        let export = exports::for_run(&mut work, run_id)
            .await?
            .context("the run has no export")?;
        let organisation = system::organisation_name(&mut work).await?;
        work.commit().await?;
        (export, organisation)
    };
    if matches!(export.status.as_str(), "ready" | "expired") {
        return Ok(json!({ "export_id": export.id, "status": export.status }));
    }
    let result = write(ctx, tenant, &export, &organisation, today).await;
    match result {
        Ok(report) => Ok(report),
        Err(e) => {
            let message = format!("{e:#}");
            if let Ok(mut work) = SystemWork::begin(&ctx.db, tenant).await
                && exports::failed(&mut work, export.id, &message)
                    .await
                    .is_ok()
            {
                let _ = work.commit().await;
            }
            Err(e)
        }
    }
}

async fn write(
    ctx: &JobContext,
    tenant: TenantId,
    export: &Export,
    organisation: &str,
    today: NaiveDate,
) -> anyhow::Result<Value> {
    let scope = match export.assessor_id {
        Some(a) => Scope::Caseload(a),
        None => Scope::Tenant,
    };
    let now = Utc::now();
    let (file, len, rows, name, content_type) = match export.kind.as_str() {
        "time_log" | "compliance_workbook" => {
            let total = {
                let mut work = SystemWork::begin(&ctx.db, tenant).await?;
                let n = if export.kind == "time_log" {
                    exports::count_time_log(&mut work, scope).await?
                } else {
                    // Four sheets list every enrolment (the overdue actions and unclosed
                    // sessions after them are not counted ahead).
                    4 * exports::count_enrolments(&mut work, scope).await?
                };
                exports::start(&mut work, export.id, Some(n)).await?;
                work.commit().await?;
                n
            };
            // A few batches in flight: the cursor and the writer each keep busy without
            // more than a few thousand rows held in memory.
            let (tx, rx) = mpsc::channel(4);
            let writer = tokio::task::spawn_blocking(move || write_workbook(rx));
            let mut sheets = Sheets {
                ctx,
                tenant,
                export: export.id,
                tx,
                rows: 0,
                pending: Vec::with_capacity(BATCH),
            };
            let scope_name = scope_label(ctx, tenant, scope).await?;
            let heading = |title: &str| {
                vec![
                    title.to_owned(),
                    format!("Organisation: {organisation}"),
                    format!("Covers: {scope_name}"),
                    format!("Exported: {} UTC", now.format("%d/%m/%Y %H:%M")),
                ]
            };
            let written = if export.kind == "time_log" {
                time_log(&mut sheets, scope, heading("Time log")).await
            } else {
                compliance(&mut sheets, scope, today, now, &heading).await
            };
            let written = match written {
                Ok(()) => sheets.flush().await,
                Err(e) => Err(e),
            };
            let rows = sheets.rows;
            drop(sheets);
            let (file, len) = writer.await.context("the workbook writer panicked")??;
            written?;
            let base = if export.kind == "time_log" {
                "time-log"
            } else {
                "compliance"
            };
            let _ = total;
            (file, len, rows, format!("{base}-{today}.xlsx"), XLSX)
        }
        "progress_map" => {
            let enrolment = export
                .enrolment_id
                .context("a progress map export has no enrolment")?;
            let doc = progress_map_doc(
                ctx,
                tenant,
                (enrolment, export.incomplete_only),
                organisation,
                now,
            )
            .await?;
            let criteria = doc
                .components
                .iter()
                .flat_map(|c| &c.units)
                .map(|u| u.criteria.len())
                .sum::<usize>();
            let learner = doc.learner_name.clone();
            let (file, len) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let mut file = tempfile::tempfile()?;
                {
                    let mut out = std::io::BufWriter::new(&mut file);
                    folio_pdf::render(&doc, &mut out)?;
                    std::io::Write::flush(&mut out)?;
                }
                let len = file.seek(SeekFrom::End(0))?;
                file.seek(SeekFrom::Start(0))?;
                Ok((file, len))
            })
            .await
            .context("the PDF writer panicked")??;
            let name = format!("progress-map-{}-{today}.pdf", file_safe(&learner));
            let rows = i64::try_from(criteria).unwrap_or(i64::MAX);
            (file, len, rows, name, PDF)
        }
        "official_return" => {
            {
                let mut work = SystemWork::begin(&ctx.db, tenant).await?;
                let n = exports::count_enrolments(&mut work, scope).await?;
                exports::start(&mut work, export.id, Some(n)).await?;
                work.commit().await?;
            }
            let (file, len, rows) = official_return_csv(ctx, tenant, scope, today).await?;
            (file, len, rows, format!("official-return-{today}.csv"), CSV)
        }
        other => anyhow::bail!("unknown export kind {other}"),
    };
    let key = format!("tenants/{}/exports/{}", tenant.0, export.id);
    let stored = ctx
        .storage
        .put(&key, tokio::fs::File::from_std(file), MAX_BYTES)
        .await
        .context("storing the export")?;
    debug_assert_eq!(stored.size, len);
    let expires_at = now + ctx.export_retention;
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    exports::ready(
        &mut work,
        export.id,
        &ReadyFile {
            storage_key: &key,
            file_name: &name,
            content_type,
            size_bytes: i64::try_from(stored.size).unwrap_or(i64::MAX),
            rows,
            expires_at,
        },
    )
    .await?;
    work.commit().await?;
    Ok(json!({ "export_id": export.id, "rows": rows, "bytes": stored.size }))
}

/// A name made safe for a file name: letters, digits and dashes.
fn file_safe(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// The learner's progress map as the PDF shows it: every criterion of their units, by
/// component and unit in course order, with its state.
async fn progress_map_doc(
    ctx: &JobContext,
    tenant: TenantId,
    (enrolment_id, incomplete_only): (Uuid, bool),
    organisation: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<folio_pdf::ProgressMapDoc> {
    use folio_domain::progress::{CriterionState, ShownFigures};
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    let data = exports::progress_map(&mut work, enrolment_id, incomplete_only).await?;
    let tz = system::settings(&mut work).await?.tz();
    work.commit().await?;
    let shown = ShownFigures::of(data.counts);
    let mut doc = folio_pdf::ProgressMapDoc {
        organisation: organisation.to_owned(),
        learner_name: data.learner_name,
        course_title: format!("{} {}", data.course_code, data.course_title),
        generated_at: format!("{} UTC", now.format("%-d %B %Y %H:%M")),
        filter_note: incomplete_only.then(|| "Only the criteria not yet signed off".to_owned()),
        overall: Some(format!(
            "{} of {} criteria signed off ({}%), {} with evidence mapped ({}%)",
            shown.signed_off,
            shown.criteria,
            shown.signed_off_percent,
            shown.with_evidence,
            shown.mapped_percent
        )),
        components: Vec::new(),
    };
    for c in data.criteria {
        if doc
            .components
            .last()
            .is_none_or(|last| last.title != c.component_title)
        {
            doc.components.push(folio_pdf::ComponentSection {
                title: c.component_title.clone(),
                units: Vec::new(),
            });
        }
        let Some(component) = doc.components.last_mut() else {
            continue;
        };
        if component
            .units
            .last()
            .is_none_or(|last| last.code != c.unit_code)
        {
            component.units.push(folio_pdf::UnitSection {
                code: c.unit_code.clone(),
                title: c.unit_title.clone(),
                optional: c.optional,
                criteria: Vec::new(),
            });
        }
        let Some(unit) = component.units.last_mut() else {
            continue;
        };
        unit.criteria.push(folio_pdf::CriterionLine {
            code: c.criterion_code,
            text: c.criterion_text,
            state: CriterionState::of(c.signed_off_at.is_some(), !c.evidence_ids.is_empty()),
            evidence_count: c.evidence_ids.len(),
            signed_off_on: c
                .signed_off_at
                .map(|d| local_date(&tz, d).format("%-d %B %Y").to_string()),
        });
    }
    Ok(doc)
}

async fn scope_label(ctx: &JobContext, tenant: TenantId, scope: Scope) -> anyhow::Result<String> {
    Ok(match scope {
        Scope::Tenant => "every learner".to_owned(),
        Scope::Caseload(assessor) => {
            let mut work = SystemWork::begin(&ctx.db, tenant).await?;
            let name = exports::assessor_name(&mut work, assessor).await?;
            work.commit().await?;
            format!("the caseload of {name}")
        }
    })
}

const TIME_LOG_COLUMNS: [(&str, f64); 10] = [
    ("Learner", 26.0),
    ("Course", 30.0),
    ("Date", 12.0),
    ("Activity type", 34.0),
    ("Unit", 28.0),
    ("With assessor", 13.0),
    ("On/off the job", 14.0),
    ("Counts towards off-the-job minimum", 18.0),
    ("Hours", 10.0),
    ("Reflection", 60.0),
];

fn yes_no(b: bool) -> Cell {
    Cell::Text(if b { "Yes" } else { "No" }.to_owned())
}

async fn time_log(
    sheets: &mut Sheets<'_>,
    scope: Scope,
    heading: Vec<String>,
) -> anyhow::Result<()> {
    sheets.sheet("Time log", heading, &TIME_LOG_COLUMNS).await?;
    let mut work = SystemWork::begin(&sheets.ctx.db, sheets.tenant).await?;
    let mut rows = exports::time_log_rows(&mut work, scope);
    while let Some(row) = rows.next().await {
        let r = row?;
        let activity = r.activity_type.parse::<ActivityType>().ok();
        sheets
            .row(vec![
                r.learner_name.into(),
                r.enrolment_course.into(),
                r.entry_date.into(),
                activity
                    .map_or(r.activity_type.clone(), |a| a.label().to_owned())
                    .into(),
                r.unit.into(),
                yes_no(r.with_assessor),
                Cell::Text(
                    if r.off_the_job {
                        "Off the job"
                    } else {
                        "On the job"
                    }
                    .into(),
                ),
                yes_no(r.off_the_job && activity.is_some_and(ActivityType::counts_towards_minimum)),
                Cell::Number(f64::from(r.minutes) / 60.0),
                r.reflection.into(),
            ])
            .await?;
    }
    drop(rows);
    work.commit().await?;
    Ok(())
}

/// An enrolment's off-the-job figures as the compliance workbook shows them: the domain's
/// [`off_the_job::figures`], the same as `GET /enrolments/{id}/off-the-job`, from the time
/// log summed by group instead of entry by entry.
fn otj(
    row: &ComplianceRow,
    status: EnrolmentStatus,
    today: NaiveDate,
    standards: &[PublishedStandard],
) -> OtjFigures {
    // One synthetic entry per (activity, English or maths, before/after gateway) group,
    // dated so the gateway cut-off sees it on the right side.
    let gateway = row.completed_on;
    let entries: Vec<LoggedTime> = row
        .otj_groups
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| {
            let activity = g.get("activity")?.as_str()?.parse::<ActivityType>().ok()?;
            let english_maths = g.get("english_maths")?.as_bool()?;
            let after = g.get("after_gateway")?.as_bool()?;
            let minutes = g.get("minutes")?.as_i64()?;
            let date = match (after, gateway) {
                (true, Some(g)) => g.checked_add_days(Days::new(1))?,
                (_, Some(g)) => g,
                (_, None) => row.start_date,
            };
            Some(LoggedTime {
                id: Uuid::nil(),
                date,
                activity,
                off_the_job: true,
                english_maths,
                minutes,
            })
        })
        .collect();
    let enrolment = OtjEnrolment {
        start: row.start_date,
        planned_end: row.planned_end_date,
        status,
        ended_on: row.actual_end_date,
        gateway,
        contracted_per_week: hundredths_of(row.contracted_hours_per_week),
        planned: hundredths_of(row.planned_otj_hours),
        published_minimum: published_minimum(
            standards,
            row.standard_code
                .as_deref()
                .map(|code| (code, row.standard_version.as_deref())),
            row.course_minimum_hours
                .map(|hours| (hours, row.course_code.as_str())),
            row.start_date,
        ),
        rpl: hundredths_of(row.rpl_otj_hours),
        breaks: breaks(row),
    };
    off_the_job::figures(&enrolment, &entries, today)
}

/// The official return's cells of one enrolment after its learner and course: the ILR's
/// identifiers, dates, hours (PHours and OTJActHours to the nearest whole hour, the latter
/// up to gateway), completion status and withdrawal reason as codes beside their words,
/// and the latest break's dates (see [`RETURN_COLUMNS`]).
fn official_return_cells(
    r: &ComplianceRow,
    status: EnrolmentStatus,
    f: &OtjFigures,
    ukprn: Option<&String>,
) -> Vec<Cell> {
    let (code, words) = comp_status(status);
    let last_break = r.break_starts.last().copied();
    let returned = r.break_ends.last().copied().flatten();
    vec![
        r.uln.clone().into(),
        r.learner_ref.clone().into(),
        ukprn.cloned().into(),
        r.standard_code.clone().into(),
        r.employer_name.clone().into(),
        hours(hundredths_of(r.contracted_hours_per_week)),
        r.start_date.into(),
        r.planned_end_date.into(),
        r.actual_end_date.into(),
        // PHours is a whole number: the plan's hours to the nearest hour.
        Cell::Number(f.planned.nearest_whole() as f64),
        // OTJActHours: "to the nearest whole hour", up to gateway.
        Cell::Number(f.actual.ilr_hours as f64),
        Cell::Number(f64::from(code)),
        words.into(),
        r.withdrawal_reason_code
            .map_or(Cell::Empty, |c| Cell::Number(f64::from(c))),
        r.withdrawal_reason_code
            .and_then(withdraw_reason)
            .map(str::to_owned)
            .or_else(|| r.withdrawal_reason.clone())
            .into(),
        last_break.into(),
        r.latest_break_expected_return.into(),
        returned.into(),
        Cell::Number(r.break_starts.len() as f64),
    ]
}

/// A cell as CSV text: dates as YYYY-MM-DD, whole numbers without a decimal point.
fn csv_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::Number(n) if n.fract() == 0.0 => format!("{n:.0}"),
        Cell::Number(n) => n.to_string(),
        Cell::Empty => String::new(),
    }
}

/// The official return's rows as CSV into a temporary file, headed by the ILR's field
/// names (our words where the ILR has no field): the same rows and figures as the
/// workbook's "Official return" sheet. Returns the file, its length and the rows written.
async fn official_return_csv(
    ctx: &JobContext,
    tenant: TenantId,
    scope: Scope,
    today: NaiveDate,
) -> anyhow::Result<(std::fs::File, u64, i64)> {
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    let settings = system::settings(&mut work).await?;
    let standards = exports::standards(&mut work).await?;
    let mut out = csv::Writer::from_writer(tempfile::tempfile()?);
    let header: Vec<&str> = RETURN_COLUMNS
        .iter()
        .zip(RETURN_FIELDS)
        .map(|((title, _), field)| if field.is_empty() { *title } else { field })
        .collect();
    out.write_record(&header)?;
    let mut rows = 0i64;
    let mut stream = exports::compliance_rows(&mut work, scope);
    while let Some(row) = stream.next().await {
        let r = row?;
        let status = r
            .status
            .parse::<EnrolmentStatus>()
            .unwrap_or(EnrolmentStatus::InLearning);
        let f = otj(&r, status, today, &standards);
        let cells = [
            Cell::Text(r.learner_name.clone()),
            Cell::Text(r.course.clone()),
        ]
        .into_iter()
        .chain(official_return_cells(
            &r,
            status,
            &f,
            settings.ukprn.as_ref(),
        ));
        out.write_record(cells.map(|c| csv_text(&c)))?;
        rows += 1;
    }
    drop(stream);
    work.commit().await?;
    let mut file = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    Ok((file, len, rows))
}

/// An enrolment's breaks in learning, oldest first.
fn breaks(row: &ComplianceRow) -> Vec<Break> {
    breaks_from(&row.break_starts, &row.break_ends)
}

/// Hours held as a decimal, exactly.
fn hundredths_of(d: rust_decimal::Decimal) -> Hours {
    Hours::from_hundredths(
        (d * rust_decimal::Decimal::from(100))
            .round()
            .try_into()
            .unwrap_or(0),
    )
}

fn hours(h: Hours) -> Cell {
    Cell::Number(h.hundredths() as f64 / 100.0)
}

async fn compliance(
    sheets: &mut Sheets<'_>,
    scope: Scope,
    today: NaiveDate,
    now: DateTime<Utc>,
    heading: &impl Fn(&str) -> Vec<String>,
) -> anyhow::Result<()> {
    let (frequency, tz, assessor, standards, ukprn, figures_on) = {
        let mut work = SystemWork::begin(&sheets.ctx.db, sheets.tenant).await?;
        let s = system::settings(&mut work).await?;
        let ukprn = s.ukprn.clone();
        let standards = exports::standards(&mut work).await?;
        let figures_on = exports::figures_as_of(&mut work, today).await?;
        work.commit().await?;
        (
            s.review_frequency_weeks,
            s.tz(),
            match scope {
                Scope::Caseload(a) => Some(a),
                Scope::Tenant => None,
            },
            standards,
            ukprn,
            figures_on,
        )
    };
    // The Learners sheet's progress figures are the nightly recalculation's; say so, and
    // which night. Every other figure is computed now, at export time.
    let as_of = match figures_on {
        Some(d) if d == today => format!("Progress figures as of {}: this morning's nightly recalculation; every other figure is computed at export time", d.format("%d/%m/%Y")),
        Some(d) => format!("Progress figures as of {} (the latest nightly recalculation); every other figure is computed at export time", d.format("%d/%m/%Y")),
        None => "Progress figures: none yet (the nightly recalculation has not run); every other figure is computed at export time".to_owned(),
    };
    let sheets_of_rows: [(&str, &[(&'static str, f64)]); 4] = [
        ("Learners", &LEARNER_COLUMNS),
        ("Off the job", &OTJ_COLUMNS),
        ("Reviews", &REVIEW_COLUMNS),
        ("Official return", &RETURN_COLUMNS),
    ];
    for (index, (name, columns)) in sheets_of_rows.into_iter().enumerate() {
        let fields: &[&'static str] = if index == 3 { &RETURN_FIELDS } else { &[] };
        let mut lines = heading(name);
        if index == 0 {
            lines.push(as_of.clone());
        }
        sheets
            .sheet_with_fields(name, lines, columns, fields)
            .await?;
        let mut work = SystemWork::begin(&sheets.ctx.db, sheets.tenant).await?;
        let mut rows = exports::compliance_rows(&mut work, scope);
        while let Some(row) = rows.next().await {
            let r = row?;
            let status = r
                .status
                .parse::<EnrolmentStatus>()
                .unwrap_or(EnrolmentStatus::InLearning);
            let who: Vec<Cell> = vec![r.learner_name.clone().into(), r.course.clone().into()];
            let cells = match index {
                0 => vec![
                    r.assessor_name.clone().into(),
                    r.status.replace('_', " ").into(),
                    r.start_date.into(),
                    r.planned_end_date.into(),
                    r.mapped_percent.into(),
                    r.signed_off_percent.into(),
                    r.elapsed_percent.into(),
                    r.track_status.clone().map(|t| t.replace('_', " ")).into(),
                    r.projected_completion.into(),
                ],
                1 => {
                    let f = otj(&r, status, today, &standards);
                    vec![
                        f.rule.text().into(),
                        hours(f.planned),
                        hours(f.expected_to_date),
                        hours(f.actual.hours),
                        yes_no(f.behind_expected),
                    ]
                }
                2 => {
                    let since = r
                        .last_review
                        .or(r.learning_started_on)
                        .unwrap_or(r.start_date);
                    let rule = ReviewRule::for_enrolment(
                        r.start_date,
                        frequency,
                        r.agreed_review_weeks.and_then(|w| u32::try_from(w).ok()),
                    );
                    let next = next_review_due(rule, since, &breaks(&r));
                    let in_learning = status == EnrolmentStatus::InLearning;
                    vec![
                        r.last_review.into(),
                        if in_learning {
                            next.into()
                        } else {
                            Cell::Empty
                        },
                        yes_no(in_learning && next.is_some_and(|n| n < today)),
                    ]
                }
                _ => official_return_cells(
                    &r,
                    status,
                    &otj(&r, status, today, &standards),
                    ukprn.as_ref(),
                ),
            };
            sheets.row(who.into_iter().chain(cells).collect()).await?;
        }
        drop(rows);
        work.commit().await?;
    }

    // Overdue actions and unclosed sessions: the reminder jobs' own queries.
    let mut work = SystemWork::begin(&sheets.ctx.db, sheets.tenant).await?;
    let actions = exports::overdue_actions(&mut work, today).await?;
    let sessions = exports::unclosed_sessions(&mut work, now).await?;
    work.commit().await?;
    sheets
        .sheet(
            "Overdue actions",
            heading("Overdue actions"),
            &ACTION_COLUMNS,
        )
        .await?;
    for a in actions
        .into_iter()
        .filter(|a| assessor.is_none() || a.learner.assessor_id == assessor)
    {
        sheets
            .row(vec![
                a.learner.learner_name.into(),
                a.learner.course_title.into(),
                a.title.into(),
                a.target_date.into(),
                Cell::Number((today - a.target_date).num_days() as f64),
            ])
            .await?;
    }
    sheets
        .sheet(
            "Unclosed sessions",
            heading("Unclosed sessions"),
            &SESSION_COLUMNS,
        )
        .await?;
    for s in sessions
        .into_iter()
        .filter(|s| assessor.is_none() || s.learner.assessor_id == assessor)
    {
        sheets
            .row(vec![
                s.learner.learner_name.into(),
                s.learner.course_title.into(),
                s.session_type.replace('_', " ").into(),
                local_date(&tz, s.starts_at).into(),
            ])
            .await?;
    }
    Ok(())
}

const LEARNER_COLUMNS: [(&str, f64); 11] = [
    ("Learner", 26.0),
    ("Course", 30.0),
    ("Assessor", 24.0),
    ("Status", 16.0),
    ("Start", 12.0),
    ("Planned end", 12.0),
    ("Mapped %", 10.0),
    ("Signed off %", 10.0),
    ("Time elapsed %", 10.0),
    ("Track status", 14.0),
    ("Projected completion", 14.0),
];
const OTJ_COLUMNS: [(&str, f64); 7] = [
    ("Learner", 26.0),
    ("Course", 30.0),
    ("Rule used", 50.0),
    ("Planned hours", 12.0),
    ("Expected to date", 12.0),
    ("Actual (counting)", 12.0),
    ("Behind expected", 10.0),
];
const REVIEW_COLUMNS: [(&str, f64); 5] = [
    ("Learner", 26.0),
    ("Course", 30.0),
    ("Last review", 12.0),
    ("Next due", 12.0),
    ("Overdue", 10.0),
];
const RETURN_COLUMNS: [(&str, f64); 21] = [
    ("Learner", 26.0),
    ("Course", 30.0),
    ("Unique learner number", 13.0),
    ("Learner reference", 13.0),
    ("Provider (UKPRN)", 11.0),
    ("Standard", 10.0),
    ("Employer", 24.0),
    ("Contracted hours a week", 11.0),
    ("Start date", 12.0),
    ("Planned end date", 12.0),
    ("Actual end date (gateway or withdrawal)", 14.0),
    ("Planned off-the-job hours", 12.0),
    ("Actual off-the-job hours (to gateway, nearest hour)", 14.0),
    ("Completion status", 8.0),
    ("Completion status (words)", 16.0),
    ("Withdrawal reason", 8.0),
    ("Withdrawal reason (words)", 36.0),
    ("Break started", 12.0),
    ("Expected back", 12.0),
    ("Returned", 12.0),
    ("Breaks in learning", 10.0),
];
/// The official return's own field names, under [`RETURN_COLUMNS`].
const RETURN_FIELDS: [&str; 21] = [
    "",
    "",
    "ULN",
    "LearnRefNumber",
    "UKPRN",
    "StdCode",
    "",
    "",
    "LearnStartDate",
    "LearnPlanEndDate",
    "LearnActEndDate",
    "PHours",
    "OTJActHours",
    "CompStatus",
    "",
    "WithdrawReason",
    "",
    "",
    "",
    "",
    "",
];
const ACTION_COLUMNS: [(&str, f64); 5] = [
    ("Learner", 26.0),
    ("Course", 30.0),
    ("Action", 40.0),
    ("Target date", 12.0),
    ("Days overdue", 10.0),
];
const SESSION_COLUMNS: [(&str, f64); 4] = [
    ("Learner", 26.0),
    ("Course", 30.0),
    ("Session", 20.0),
    ("Date", 12.0),
];

/// Deletes the files of exports past their retention; runs with the scheduler's tick.
pub async fn expire(
    ctx: &JobContext,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut work = SystemWork::begin(&ctx.db, tenant).await?;
    let keys = exports::expire(&mut work, now).await?;
    work.commit().await?;
    for key in &keys {
        ctx.storage.delete(key).await;
    }
    Ok(keys.len())
}
