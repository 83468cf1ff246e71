//! Exports made by the workers: asked for here (202 with the export), followed while they
//! run (status and rows written of rows to write), downloaded when ready, deleted after the
//! retention period (`FOLIO_EXPORT_RETENTION_DAYS`).
//!
//! Who may ask for what:
//! - the organisation's compliance workbook or time log: admins and auditors;
//! - a caseload's compliance workbook or time log: assessors, for their own caseload;
//! - a learner's progress map (PDF): anyone who can see the enrolment (404 otherwise).
//!
//! An export is seen and downloaded only by the person who asked for it, and only while
//! they still may see what it covers; to anyone else it does not exist (404).

use chrono::{DateTime, Utc};
use folio_app::exports::{self, Export};
use poem::Body;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, ResponseContent, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::evidence::{FileResponse, attachment};
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum ExportsTag {
    /// Files the workers make: compliance workbook, time log, progress map.
    Exports,
}

/// `/api/v1/exports…`.
pub struct ExportsApi(pub AppState);

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum ExportKind {
    /// One workbook with a sheet each for learners (progress, track status, projected
    /// completion), off the job (planned, expected, actual, rule), reviews, overdue
    /// actions, unclosed sessions and the official-return fields.
    ComplianceWorkbook,
    /// Every time-log entry, by learner.
    TimeLog,
    /// A learner's progress map as PDF (needs `enrolment_id`).
    ProgressMap,
    /// The official return's rows as CSV (the workbook's "Official return" sheet: ULN,
    /// LearnRefNumber, UKPRN, StdCode, …, OTJActHours, CompStatus, WithdrawReason and the
    /// break dates), one row per enrolment, headed by the ILR's field names.
    OfficialReturn,
}

impl From<ExportKind> for exports::Kind {
    fn from(k: ExportKind) -> Self {
        match k {
            ExportKind::ComplianceWorkbook => exports::Kind::ComplianceWorkbook,
            ExportKind::TimeLog => exports::Kind::TimeLog,
            ExportKind::ProgressMap => exports::Kind::ProgressMap,
            ExportKind::OfficialReturn => exports::Kind::OfficialReturn,
        }
    }
}

/// What an export covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum ExportScope {
    /// The whole organisation (admins, auditors).
    Organisation,
    /// The caller's own caseload (assessors).
    Caseload,
}

/// An export request.
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportRequest {
    /// What to export.
    kind: ExportKind,
    /// For the workbook and the time log: `organisation` or `caseload`.
    scope: Option<ExportScope>,
    /// For the progress map: the enrolment.
    enrolment_id: Option<Uuid>,
    /// For the progress map: `true` lists only the criteria not yet signed off (the
    /// page's "Non-completed criteria only"); default `false`, every criterion.
    incomplete_only: Option<bool>,
}

/// An export and how far it has got.
#[derive(Debug, Object)]
struct ExportBody {
    /// Id.
    id: Uuid,
    /// `compliance_workbook`, `time_log`, `progress_map` or `official_return`.
    kind: String,
    /// `tenant`, `caseload` or `enrolment`.
    scope: String,
    /// The enrolment of a progress map.
    enrolment_id: Option<Uuid>,
    /// A progress map of the criteria not yet signed off only.
    incomplete_only: bool,
    /// `queued`, `running`, `ready` (download it), `failed` (retried by the workers) or
    /// `expired` (deleted after the retention period).
    status: String,
    /// Rows written so far.
    rows_done: i64,
    /// Rows to write, once counted.
    rows_total: Option<i64>,
    /// The download's name, when ready.
    file_name: Option<String>,
    /// Its size in bytes, when ready.
    size_bytes: Option<i64>,
    /// Why the last attempt failed.
    error: Option<String>,
    /// Asked for.
    created_at: DateTime<Utc>,
    /// Finished.
    finished_at: Option<DateTime<Utc>>,
    /// When the file will be deleted.
    expires_at: Option<DateTime<Utc>>,
    /// Its job run (see `/jobs/runs/{id}` for admins).
    run_id: Uuid,
}

impl From<Export> for ExportBody {
    fn from(e: Export) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            scope: e.scope,
            enrolment_id: e.enrolment_id,
            incomplete_only: e.incomplete_only,
            status: e.status,
            rows_done: e.rows_done,
            rows_total: e.rows_total,
            file_name: e.file_name,
            size_bytes: e.size_bytes,
            error: e.error,
            created_at: e.created_at,
            finished_at: e.finished_at,
            expires_at: e.expires_at,
            run_id: e.run_id,
        }
    }
}

/// The caller's exports, newest first.
#[derive(Debug, Object)]
struct ExportList {
    /// Exports.
    items: Vec<ExportBody>,
}

#[derive(ApiResponse)]
enum ExportAccepted {
    /// Asked for: follow it at `/exports/{id}`.
    #[oai(status = 202)]
    Accepted(Json<ExportBody>),
}

/// The media type of a PDF export.
const PDF: &str = "application/pdf";

/// The media type of a CSV export.
const CSV: &str = "text/csv; charset=utf-8";

/// An export's file, with its own media type.
#[derive(ResponseContent)]
enum ExportContent {
    /// An Excel workbook.
    #[oai(content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    Xlsx(Binary<Body>),
    /// A PDF document.
    #[oai(content_type = "application/pdf")]
    Pdf(Binary<Body>),
    /// A CSV file.
    #[oai(content_type = "text/csv; charset=utf-8")]
    Csv(Binary<Body>),
}

/// A ready export served for download.
#[derive(ApiResponse)]
enum ExportFileResponse {
    /// The file, as an attachment.
    #[oai(status = 200)]
    File(
        ExportContent,
        #[oai(header = "Content-Disposition")] String,
        #[oai(header = "X-Content-Type-Options")] String,
        #[oai(header = "Content-Length")] i64,
    ),
}

#[OpenApi(prefix_path = "/api/v1/exports", tag = "ExportsTag::Exports")]
impl ExportsApi {
    /// Ask for an export. Answered 202 at once; the workers write the file. A caseload
    /// export is the caller's own caseload (assessors); an organisation-wide one is for
    /// admins and auditors (403 otherwise); a progress map needs an enrolment the caller
    /// can see (404 otherwise).
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        body: JsonBody<ExportRequest>,
    ) -> ApiResult<ExportAccepted> {
        let uow = self.0.authenticate(&credentials).await?;
        let request = exports::Request {
            kind: body.0.kind.into(),
            scope: body.0.scope.map(|s| match s {
                ExportScope::Organisation => exports::Scope::Organisation,
                ExportScope::Caseload => exports::Scope::Caseload,
            }),
            enrolment_id: body.0.enrolment_id,
            incomplete_only: body.0.incomplete_only.unwrap_or(false),
        };
        let export = exports::request(uow, &self.0.db, &self.0.runs, request).await?;
        Ok(ExportAccepted::Accepted(Json(export.into())))
    }

    /// The caller's exports, newest first (those covering what they may no longer see
    /// left out).
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        /// At most this many, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<ExportList>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let items = exports::mine(&mut uow, limit.0).await?;
        uow.commit().await?;
        Ok(Json(ExportList {
            items: items.into_iter().map(ExportBody::from).collect(),
        }))
    }

    /// One of the caller's exports: its status and progress.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<ExportBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let export = exports::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(export.into()))
    }

    /// Download a ready export (streamed), as what it is: an Excel workbook
    /// (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`) or a PDF.
    /// 409 while it is not ready (or after it expired), with its status.
    #[oai(path = "/:id/file", method = "get")]
    async fn file(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<ExportFileResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let file = exports::file(&mut uow, id.0).await?;
        uow.commit().await?;
        let FileResponse::File(body, disposition, nosniff, length) =
            attachment(&self.0, &file.key, &file.file_name, file.size_bytes).await?;
        let content = match file.content_type.as_deref() {
            Some(PDF) => ExportContent::Pdf(body),
            Some(CSV) => ExportContent::Csv(body),
            _ => ExportContent::Xlsx(body),
        };
        Ok(ExportFileResponse::File(
            content,
            disposition,
            nosniff,
            length,
        ))
    }
}
