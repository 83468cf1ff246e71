//! The exports page: files asked for (the compliance workbook, the time log, a progress map
//! as PDF), made in the background, listed with their progress and downloaded when ready.

use chrono::{DateTime, Utc};
use folio_app::exports::{self, Export};
use poem::web::Data;
use poem::{Request, handler};
use serde::Serialize;
use uuid::Uuid;

use super::{Flash, PageResult, Web};

/// One export, as listed.
#[derive(Debug, Serialize)]
struct ExportView {
    id: Uuid,
    /// `compliance_workbook`, `time_log` or `progress_map`.
    kind: String,
    /// A progress map of the criteria not yet signed off only.
    incomplete_only: bool,
    /// `queued`, `running`, `ready`, `failed` or `expired`.
    status: String,
    rows_done: i64,
    rows_total: Option<i64>,
    file_name: Option<String>,
    error: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    /// Where its file is downloaded (through the API, as an attachment).
    download: String,
}

impl From<Export> for ExportView {
    fn from(e: Export) -> Self {
        Self {
            download: format!("/api/v1/exports/{}/file", e.id),
            id: e.id,
            kind: e.kind,
            incomplete_only: e.incomplete_only,
            status: e.status,
            rows_done: e.rows_done,
            rows_total: e.rows_total,
            file_name: e.file_name,
            error: e.error,
            created_at: e.created_at,
            expires_at: e.expires_at,
        }
    }
}

/// The exports page.
#[derive(Debug, Serialize)]
struct ExportsView {
    /// The caller's exports, newest first (the latest 50).
    exports: Vec<ExportView>,
}

/// `/app/exports`: the caller's exports and, for staff, the buttons that ask for them.
#[handler]
pub(super) async fn exports_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let (viewer, mine) = web
        .read_page(req, async |uow, _| exports::mine(uow, None).await)
        .await?;
    let view = ExportsView {
        exports: mine.into_iter().map(ExportView::from).collect(),
    };
    Ok(web.typed_page(&viewer, "exports", "Exports", &view, flash))
}
