//! An export as the worker writing it sees it: which export a run is for, the rows it
//! writes, its progress, its file, and its end. Every function runs in a [`SystemWork`]
//! for the export's tenant; the file's format (workbook, PDF) is the worker's business.

use chrono::{DateTime, NaiveDate, Utc};
use folio_db::exports;
use folio_db::{enrolments, progress, reminders, users};
use folio_domain::EnrolmentScope;
use folio_domain::progress::CriterionCounts;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use uuid::Uuid;

pub use folio_db::exports::{ComplianceRow, ReadyFile, Scope, TimeLogRow};
pub use folio_db::progress::MapCriterion;
pub use folio_db::reminders::{OverdueAction, UnclosedSession};

use super::Export;
use crate::system::SystemWork;
use crate::{Error, Result};

/// The export a job run is to write, if it has one.
pub async fn for_run(work: &mut SystemWork, run_id: Uuid) -> Result<Option<Export>> {
    Ok(exports::for_run(&mut work.tx, run_id).await?)
}

/// Marks the export as being written, with the rows it is expected to have.
pub async fn start(work: &mut SystemWork, id: Uuid, rows_total: Option<i64>) -> Result<()> {
    Ok(exports::start(&mut work.tx, id, rows_total).await?)
}

/// Records how many rows are written so far.
pub async fn progress(work: &mut SystemWork, id: Uuid, rows_done: i64) -> Result<()> {
    Ok(exports::progress(&mut work.tx, id, rows_done).await?)
}

/// Records the export's stored file: it is ready to download until it expires.
pub async fn ready(work: &mut SystemWork, id: Uuid, file: &ReadyFile<'_>) -> Result<()> {
    Ok(exports::ready(&mut work.tx, id, file).await?)
}

/// Records that the export failed, and why.
pub async fn failed(work: &mut SystemWork, id: Uuid, error: &str) -> Result<()> {
    Ok(exports::failed(&mut work.tx, id, error).await?)
}

/// Marks the exports past their retention at `now` expired; returns their files' keys,
/// for the caller to delete.
pub async fn expire(work: &mut SystemWork, now: DateTime<Utc>) -> Result<Vec<String>> {
    Ok(exports::expire(&mut work.tx, now).await?)
}

/// How many time-log entries [`time_log_rows`] will give.
pub async fn count_time_log(work: &mut SystemWork, scope: Scope) -> Result<i64> {
    Ok(exports::count_time_log(&mut work.tx, scope).await?)
}

/// Every time-log entry the export covers, streamed from a cursor.
pub fn time_log_rows(work: &mut SystemWork, scope: Scope) -> BoxStream<'_, Result<TimeLogRow>> {
    exports::time_log_rows(&mut work.tx, scope)
        .map(|row| row.map_err(Error::from))
        .boxed()
}

/// The day of the newest nightly progress figures on or before `today` (none before the
/// first recalculation): what the Learners sheet's figures are as of.
pub async fn figures_as_of(work: &mut SystemWork, today: NaiveDate) -> Result<Option<NaiveDate>> {
    Ok(folio_db::tracks::latest_figures_on(&mut work.tx, today).await?)
}

/// Every apprenticeship standard's published minimums, for the off-the-job figures.
pub async fn standards(
    work: &mut SystemWork,
) -> Result<Vec<folio_domain::standards::PublishedStandard>> {
    Ok(folio_db::standards::list(&mut work.tx)
        .await?
        .iter()
        .map(|s| s.published())
        .collect())
}

/// How many enrolments [`compliance_rows`] will give.
pub async fn count_enrolments(work: &mut SystemWork, scope: Scope) -> Result<i64> {
    Ok(exports::count_enrolments(&mut work.tx, scope).await?)
}

/// Every enrolment the compliance workbook covers, with its figures, streamed from a
/// cursor.
pub fn compliance_rows(
    work: &mut SystemWork,
    scope: Scope,
) -> BoxStream<'_, Result<ComplianceRow>> {
    exports::compliance_rows(&mut work.tx, scope)
        .map(|row| row.map_err(Error::from))
        .boxed()
}

/// The name of the assessor whose caseload an export covers.
pub async fn assessor_name(work: &mut SystemWork, assessor: Uuid) -> Result<String> {
    Ok(users::get(&mut work.tx, assessor).await?.name)
}

/// The organisation's actions past their target dates on `today`: the overdue-actions
/// reminder's own query.
pub async fn overdue_actions(
    work: &mut SystemWork,
    today: NaiveDate,
) -> Result<Vec<OverdueAction>> {
    Ok(reminders::overdue_actions(&mut work.tx, today).await?)
}

/// The organisation's sessions that ended by `now` without an outcome: the
/// unclosed-sessions reminder's own query.
pub async fn unclosed_sessions(
    work: &mut SystemWork,
    now: DateTime<Utc>,
) -> Result<Vec<UnclosedSession>> {
    Ok(reminders::unclosed_sessions(&mut work.tx, now).await?)
}

/// What a learner's progress map PDF shows.
#[derive(Debug, Clone)]
pub struct ProgressMapData {
    /// The learner.
    pub learner_name: String,
    /// The course's code.
    pub course_code: String,
    /// The course's title.
    pub course_title: String,
    /// Every criterion of the learner's units, by component and unit in course order.
    pub criteria: Vec<MapCriterion>,
    /// The enrolment's criteria counted: signed off, mapped, in all.
    pub counts: CriterionCounts,
}

/// The progress map of the enrolment, whoever asked for it (the asker's right to see it
/// was checked when the export was asked for, and again when it is downloaded); with
/// `incomplete_only`, only the criteria not yet signed off (the overall figures still
/// count every criterion).
pub async fn progress_map(
    work: &mut SystemWork,
    enrolment_id: Uuid,
    incomplete_only: bool,
) -> Result<ProgressMapData> {
    let everything = enrolments::Viewer {
        user_id: Uuid::nil(),
        scope: EnrolmentScope {
            all: true,
            ..EnrolmentScope::default()
        },
    };
    let enrolment = enrolments::get_visible(&mut work.tx, &everything, enrolment_id).await?;
    let criteria = progress::progress_map(&mut work.tx, enrolment_id, incomplete_only).await?;
    let overall = progress::overall_counts(&mut work.tx, enrolment_id).await?;
    Ok(ProgressMapData {
        learner_name: enrolment.learner_name,
        course_code: enrolment.course_code,
        course_title: enrolment.course_title,
        criteria,
        counts: overall.counts(),
    })
}
