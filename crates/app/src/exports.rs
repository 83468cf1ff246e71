//! Exports made by the workers: asked for (recorded with their job run, then pushed to
//! the queue), followed while they run, downloaded when ready.
//!
//! Who may ask for what:
//! - the organisation's compliance workbook or time log: admins and auditors;
//! - a caseload's compliance workbook or time log: assessors, for their own caseload;
//! - a learner's progress map (PDF): anyone who can see the enrolment (404 otherwise).
//!
//! An export is seen and downloaded only by the person who asked for it, and only while
//! they still may see what it covers; to anyone else it does not exist (404).

use std::sync::Arc;

use chrono::Utc;
use folio_db::Database;
use folio_db::exports::{self, NewExport};
use folio_db::job_runs::{self, Trigger};
use folio_domain::Role;
use folio_domain::jobs::{JobKind, local_date};
use uuid::Uuid;

pub use folio_db::exports::Export;

pub mod writing;

use crate::{Error, Result, RunQueue, UnitOfWork, runs};

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The compliance workbook.
    ComplianceWorkbook,
    /// Every time-log entry, by learner.
    TimeLog,
    /// A learner's progress map as PDF.
    ProgressMap,
    /// The official return's rows (the workbook's "Official return" sheet) as CSV.
    OfficialReturn,
}

impl Kind {
    /// Its name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ComplianceWorkbook => "compliance_workbook",
            Kind::TimeLog => "time_log",
            Kind::ProgressMap => "progress_map",
            Kind::OfficialReturn => "official_return",
        }
    }
}

/// What a workbook or time log covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole organisation (admins, auditors).
    Organisation,
    /// The caller's own caseload (assessors).
    Caseload,
}

/// An export someone asks for.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// What.
    pub kind: Kind,
    /// For the workbook and the time log.
    pub scope: Option<Scope>,
    /// For the progress map.
    pub enrolment_id: Option<Uuid>,
    /// For the progress map: only the criteria not yet signed off, as the page's filter.
    pub incomplete_only: bool,
}

/// A ready export's file.
#[derive(Debug, Clone)]
pub struct ReadyFile {
    /// Where it is kept.
    pub key: String,
    /// Its download name.
    pub file_name: String,
    /// Its size.
    pub size_bytes: i64,
    /// Its media type, as the worker recorded it.
    pub content_type: Option<String>,
}

/// An export as people see it: a workbook's last sheets are not counted ahead, so the
/// rows written never show more than 100%.
fn shown(mut e: Export) -> Export {
    if let Some(total) = e.rows_total {
        e.rows_done = e.rows_done.min(total);
    }
    e
}

/// The scope of a new export, checked against who is asking: (scope, assessor, enrolment).
async fn scope_for(
    uow: &mut UnitOfWork,
    request: &Request,
) -> Result<(&'static str, Option<Uuid>, Option<Uuid>)> {
    if request.kind == Kind::ProgressMap {
        if request.scope.is_some() {
            return Err(Error::invalid(
                "scope",
                "a progress map is of one learner's enrolment: name the enrolment, not a scope",
            ));
        }
        let id = request
            .enrolment_id
            .ok_or_else(|| Error::invalid("enrolment_id", "is required for a progress map"))?;
        let enrolment = uow.visible_enrolment(id).await?;
        return Ok(("enrolment", None, Some(enrolment.id)));
    }
    if request.enrolment_id.is_some() {
        return Err(Error::invalid(
            "enrolment_id",
            "only a progress map is of one enrolment",
        ));
    }
    if request.incomplete_only {
        return Err(Error::invalid(
            "incomplete_only",
            "only a progress map can leave out the criteria signed off",
        ));
    }
    match request.scope {
        None => Err(Error::invalid(
            "scope",
            "is required: organisation or caseload",
        )),
        Some(Scope::Organisation) if uow.principal.sees_whole_organisation() => {
            Ok(("tenant", None, None))
        }
        Some(Scope::Caseload) if uow.principal.has(Role::Assessor) => {
            Ok(("caseload", Some(uow.principal.user_id), None))
        }
        Some(_) => Err(Error::Forbidden),
    }
}

/// Whether the caller, who asked for `export`, may still see what it covers.
async fn still_allowed(uow: &mut UnitOfWork, export: &Export) -> bool {
    match export.scope.as_str() {
        "tenant" => uow.principal.sees_whole_organisation(),
        "caseload" => uow.principal.has(Role::Assessor),
        _ => match export.enrolment_id {
            Some(enrolment) => uow.visible_enrolment(enrolment).await.is_ok(),
            None => false,
        },
    }
}

/// Asks for an export: records it and its job run, commits, then pushes the run to the
/// workers (if the queue is away the scheduler pushes it on its next tick).
pub async fn request(
    mut uow: UnitOfWork,
    db: &Database,
    queue: &Arc<dyn RunQueue>,
    request: Request,
) -> Result<Export> {
    let (scope, assessor_id, enrolment_id) = scope_for(&mut uow, &request).await?;
    let me = uow.principal.user_id;
    let tz = uow.settings().await?.tz();
    let today = local_date(&tz, Utc::now());
    let run = job_runs::request(
        &mut uow.tx,
        JobKind::Export.as_str(),
        today,
        Trigger::User(me),
    )
    .await?
    .ok_or_else(|| Error::Internal("an export's run was not recorded".into()))?;
    let id = Uuid::now_v7();
    let export = exports::insert(
        &mut uow.tx,
        &NewExport {
            id,
            run_id: run.id,
            kind: request.kind.as_str(),
            requested_by: me,
            scope,
            assessor_id,
            enrolment_id,
            incomplete_only: request.incomplete_only,
        },
    )
    .await?;
    uow.audit(
        "export.request",
        "export",
        id,
        serde_json::json!({
            "kind": export.kind,
            "scope": scope,
            "enrolment_id": enrolment_id,
            "incomplete_only": request.incomplete_only,
        }),
    )
    .await?;
    let tenant = uow.tenant();
    uow.commit().await?;
    runs::push(db, queue, tenant, JobKind::Export, run).await?;
    Ok(shown(export))
}

/// The caller's exports, newest first, at most `limit` (as for every list); those
/// covering what they may no longer see are left out.
pub async fn mine(uow: &mut UnitOfWork, limit: Option<i64>) -> Result<Vec<Export>> {
    let limit = crate::paging::page_limit(limit)?;
    let me = uow.principal.user_id;
    let mut items = Vec::new();
    for export in exports::list_for(&mut uow.tx, me, limit).await? {
        if still_allowed(uow, &export).await {
            items.push(shown(export));
        }
    }
    Ok(items)
}

/// One of the caller's exports that they may still see; 404 otherwise.
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<Export> {
    let export = exports::get(&mut uow.tx, id)
        .await?
        .filter(|e| e.requested_by == uow.principal.user_id)
        .ok_or(Error::NotFound)?;
    if !still_allowed(uow, &export).await {
        return Err(Error::NotFound);
    }
    Ok(shown(export))
}

/// The file of one of the caller's exports; a conflict while it is not ready (or after
/// it expired), naming its status.
pub async fn file(uow: &mut UnitOfWork, id: Uuid) -> Result<ReadyFile> {
    let export = get(uow, id).await?;
    match (export.storage_key, export.file_name, export.size_bytes) {
        (Some(key), Some(file_name), Some(size_bytes)) if export.status == "ready" => {
            Ok(ReadyFile {
                key,
                file_name,
                size_bytes,
                content_type: export.content_type,
            })
        }
        _ => Err(Error::Conflict {
            field: None,
            detail: format!("the export is {}, not ready to download", export.status),
        }),
    }
}
