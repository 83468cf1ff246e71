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
use folio_db::exports::{self, Export, NewExport};
use folio_db::job_runs::{self, Trigger};
use folio_db::settings;
use folio_domain::jobs::{JobKind, local_date};
use folio_domain::{Role, TenantId};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::evidence::{FileResponse, attachment};
use crate::json_body::JsonBody;
use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiError, ApiResult, AppError, AppResult};

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
}

impl ExportKind {
    fn as_str(self) -> &'static str {
        match self {
            ExportKind::ComplianceWorkbook => "compliance_workbook",
            ExportKind::TimeLog => "time_log",
            ExportKind::ProgressMap => "progress_map",
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
struct ExportRequest {
    /// What to export.
    kind: ExportKind,
    /// For the workbook and the time log: `organisation` or `caseload`.
    scope: Option<ExportScope>,
    /// For the progress map: the enrolment.
    enrolment_id: Option<Uuid>,
}

/// An export and how far it has got.
#[derive(Debug, Object)]
struct ExportBody {
    /// Id.
    id: Uuid,
    /// `compliance_workbook`, `time_log` or `progress_map`.
    kind: String,
    /// `tenant`, `caseload` or `enrolment`.
    scope: String,
    /// The enrolment of a progress map.
    enrolment_id: Option<Uuid>,
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
            status: e.status,
            // A workbook's last sheets are not counted ahead: never show more than 100%.
            rows_done: e.rows_total.map_or(e.rows_done, |t| e.rows_done.min(t)),
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

fn is_org_wide(roles: &[Role]) -> bool {
    roles.contains(&Role::Admin) || roles.contains(&Role::Auditor)
}

/// The scope of a new export, checked against who is asking: (scope, assessor, enrolment).
async fn scope_for(
    authed: &mut Authenticated,
    request: &ExportRequest,
) -> AppResult<(&'static str, Option<Uuid>, Option<Uuid>)> {
    let me = authed.principal.user_id;
    if request.kind == ExportKind::ProgressMap {
        if request.scope.is_some() {
            return Err(AppError::invalid(
                "scope",
                "a progress map is of one enrolment: give enrolment_id, not scope",
            ));
        }
        let id = request
            .enrolment_id
            .ok_or_else(|| AppError::invalid("enrolment_id", "is required for a progress map"))?;
        let enrolment = authed.visible_enrolment(id).await?;
        return Ok(("enrolment", None, Some(enrolment.id)));
    }
    if request.enrolment_id.is_some() {
        return Err(AppError::invalid(
            "enrolment_id",
            "only a progress map is of one enrolment",
        ));
    }
    match request.scope {
        None => Err(AppError::invalid(
            "scope",
            "is required: organisation or caseload",
        )),
        Some(ExportScope::Organisation) if is_org_wide(&authed.principal.roles) => {
            Ok(("tenant", None, None))
        }
        Some(ExportScope::Caseload) if authed.principal.roles.contains(&Role::Assessor) => {
            Ok(("caseload", Some(me), None))
        }
        Some(_) => Err(AppError::Forbidden),
    }
}

/// Whether the caller, who asked for `export`, may still see what it covers.
async fn still_allowed(authed: &mut Authenticated, export: &Export) -> bool {
    let roles = &authed.principal.roles;
    match export.scope.as_str() {
        "tenant" => is_org_wide(roles),
        "caseload" => roles.contains(&Role::Assessor),
        _ => match export.enrolment_id {
            Some(enrolment) => authed.visible_enrolment(enrolment).await.is_ok(),
            None => false,
        },
    }
}

/// An export the caller asked for and may still see; 404 otherwise.
async fn own_export(authed: &mut Authenticated, id: Uuid) -> AppResult<Export> {
    let export = exports::get(&mut authed.tx, id)
        .await?
        .filter(|e| e.requested_by == authed.principal.user_id)
        .ok_or(AppError::NotFound)?;
    if !still_allowed(authed, &export).await {
        return Err(AppError::NotFound);
    }
    Ok(export)
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (scope, assessor_id, enrolment_id) = scope_for(&mut authed, &body.0).await?;
        let me = authed.principal.user_id;
        let tz = settings::get(&mut authed.tx).await?.tz();
        let today = local_date(&tz, Utc::now());
        let run = job_runs::request(
            &mut authed.tx,
            JobKind::Export.as_str(),
            today,
            Trigger::User(me),
        )
        .await?
        .ok_or_else(|| AppError::Internal("an export's run was not recorded".into()))?;
        let id = Uuid::now_v7();
        let export = exports::insert(
            &mut authed.tx,
            &NewExport {
                id,
                run_id: run.id,
                kind: body.0.kind.as_str(),
                requested_by: me,
                scope,
                assessor_id,
                enrolment_id,
            },
        )
        .await?;
        authed
            .audit(
                "export.request",
                "export",
                id,
                serde_json::json!({ "kind": export.kind, "scope": scope, "enrolment_id": enrolment_id }),
            )
            .await?;
        let tenant: TenantId = authed.tx.tenant();
        authed.tx.commit().await?;
        crate::jobs::queue_run(&self.0, tenant, JobKind::Export, run).await?;
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
        let limit = match limit.0 {
            None => 50,
            Some(n) if (1..=200).contains(&n) => n,
            Some(_) => return Err(AppError::invalid("limit", "must be between 1 and 200").into()),
        };
        let mut authed = self.0.authenticate(&credentials).await?;
        let me = authed.principal.user_id;
        let mut items = Vec::new();
        for export in exports::list_for(&mut authed.tx, me, limit).await? {
            if still_allowed(&mut authed, &export).await {
                items.push(export.into());
            }
        }
        authed.tx.commit().await?;
        Ok(Json(ExportList { items }))
    }

    /// One of the caller's exports: its status and progress.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<ExportBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let export = own_export(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(export.into()))
    }

    /// Download a ready export (streamed). 409 while it is not ready (or after it
    /// expired), with its status.
    #[oai(path = "/:id/file", method = "get")]
    async fn file(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<FileResponse> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let export = own_export(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        match (&export.storage_key, &export.file_name, export.size_bytes) {
            (Some(key), Some(name), Some(size)) if export.status == "ready" => {
                attachment(&self.0, key, name, size)
                    .await
                    .map_err(ApiError::from)
            }
            _ => Err(AppError::Conflict {
                field: None,
                detail: format!("the export is {}, not ready to download", export.status),
            }
            .into()),
        }
    }
}
