//! The evidence library: upload, versions, the review cycle (return with points for
//! improvement, resubmission), mapping to criteria and sign-off.
//!
//! Who may do what, once: anyone who can see the portfolio reads it; the learner themself,
//! or staff who manage the enrolment, add files; only staff who manage it return, map and
//! sign off ([`UnitOfWork::managed_enrolment`], which also locks the portfolio so that
//! "no evidence taken from a signed-off criterion" cannot be raced).

use std::collections::HashMap;

use chrono::Utc;
use folio_db::enrolments::{self, Enrolment};
use folio_db::evidence::{self, NewEvidence, NewVersion};
use folio_db::{Database, audit};
use folio_storage::Storage;
use tokio::io::AsyncRead;
use uuid::Uuid;

pub use folio_db::evidence::{Evidence, Return, Version};

use crate::files::{self, FILE_REQUIRED, Incoming, Stored};
use crate::pdf_drawer::{DrawError, PdfDrawer};
use crate::{Error, FieldError, Fields, Principal, Result, UnitOfWork, routes};

/// A piece of evidence with its history.
#[derive(Debug)]
pub struct Detail {
    /// The evidence, as the caller may see it.
    pub evidence: Evidence,
    /// Every version, oldest first.
    pub versions: Vec<Version>,
    /// Every return, oldest first.
    pub returns: Vec<Return>,
}

/// Evidence as `principal` may see it: only staff learn of byte-identical files in other
/// learners' portfolios, and not an auditor granted a sample (the others are not theirs).
fn narrowed(mut e: Evidence, principal: &Principal) -> Evidence {
    if !principal.is_staff() || principal.viewer().scope.as_auditor {
        e.identical_evidence_ids.clear();
    }
    e
}

/// The learner themself, or staff who manage the enrolment, may add files to it.
fn may_upload(principal: &Principal, enrolment: &Enrolment) -> bool {
    principal.is_learner_of(enrolment) || principal.manages(enrolment)
}

/// The codes of the criteria signed off on this evidence (empty until it is assessed), by
/// the query that refuses a new version of it; 404 if the caller cannot see it.
pub async fn assessed_criteria(uow: &mut UnitOfWork, id: Uuid) -> Result<Vec<String>> {
    let (e, enrolment) = visible(uow, id).await?;
    Ok(evidence::signed_off_criteria_codes(&mut uow.tx, enrolment.id, e.id).await?)
}

/// Whether the caller may upload evidence to this enrolment, by the rule the upload itself
/// applies (404 if they cannot see it). Pages show the upload form only then.
pub async fn may_upload_to(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<bool> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?.into_inner();
    Ok(may_upload(&uow.principal, &enrolment))
}

/// The storage key of a version: ids only, namespaced by tenant.
fn storage_key(principal: &Principal, evidence_id: Uuid, version_id: Uuid) -> String {
    format!(
        "tenants/{}/evidence/{evidence_id}/{version_id}",
        principal.tenant
    )
}

/// Evidence, if the caller may see its portfolio (404 otherwise, as for no such id).
async fn visible(uow: &mut UnitOfWork, id: Uuid) -> Result<(Evidence, Enrolment)> {
    let e = evidence::get(&mut uow.tx, id).await?;
    let enrolment = uow.visible_enrolment(e.enrolment_id).await?.into_inner();
    Ok((e, enrolment))
}

/// Evidence whose portfolio the caller manages, read under that portfolio's lock.
async fn managed(uow: &mut UnitOfWork, id: Uuid) -> Result<(Evidence, Enrolment)> {
    let enrolment_id = evidence::get(&mut uow.tx, id).await?.enrolment_id;
    let enrolment = uow.managed_enrolment(enrolment_id).await?.into_inner();
    Ok((evidence::get(&mut uow.tx, id).await?, enrolment))
}

/// A learner's evidence library, newest first.
pub async fn list(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Vec<Evidence>> {
    uow.visible_enrolment(enrolment_id).await?;
    let items = evidence::list_for_enrolment(&mut uow.tx, enrolment_id).await?;
    Ok(items
        .into_iter()
        .map(|e| narrowed(e, &uow.principal))
        .collect())
}

/// How many of a learner's pieces of evidence were returned for changes and wait for a
/// new version from them.
pub async fn returned_count(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<u32> {
    uow.visible_enrolment(enrolment_id).await?;
    let n = evidence::count_returned(&mut uow.tx, enrolment_id).await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// One piece of evidence with every version and return.
pub async fn detail(uow: &mut UnitOfWork, id: Uuid) -> Result<Detail> {
    let (e, _) = visible(uow, id).await?;
    let versions = evidence::versions(&mut uow.tx, id).await?;
    let returns = evidence::returns(&mut uow.tx, id).await?;
    Ok(Detail {
        evidence: narrowed(e, &uow.principal),
        versions,
        returns,
    })
}

/// A version's stored file, for download (404 for a version that does not exist).
pub async fn version(uow: &mut UnitOfWork, id: Uuid, number: i32) -> Result<Version> {
    visible(uow, id).await?;
    evidence::versions(&mut uow.tx, id)
        .await?
        .into_iter()
        .find(|v| v.version == number)
        .ok_or(Error::NotFound)
}

/// Whether a version declared as `content_type` is a PDF.
pub fn is_pdf(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/pdf")
}

/// A version whose pages the viewer draws: one the caller may read, declared as a PDF and
/// no bigger than [`folio_pdf::preview::MAX_BYTES`]; any other is only downloaded (422
/// naming the version).
pub async fn drawable_version(uow: &mut UnitOfWork, id: Uuid, number: i32) -> Result<Version> {
    let v = version(uow, id, number).await?;
    if !is_pdf(&v.content_type) {
        return Err(Error::invalid(
            "version",
            "is not a PDF, so it cannot be shown in the page: download it to read it",
        ));
    }
    if v.size_bytes > folio_pdf::preview::MAX_BYTES {
        return Err(Error::invalid(
            "version",
            "is over 20 MiB, too large to show in the page: download it to read it",
        ));
    }
    Ok(v)
}

/// Reads a drawable version's file and asks the drawer (a child process, see
/// [`crate::pdf_drawer`]) for `request`. A page past the last is 404; a PDF that cannot be
/// drawn (one that cannot be opened, is damaged, or takes the drawer past its memory or
/// time) is 422 naming the version.
async fn with_pdf(
    storage: &Storage,
    drawer: &PdfDrawer,
    v: &Version,
    request: folio_pdf::drawer::Request,
) -> Result<Vec<u8>> {
    use futures_util::TryStreamExt as _;
    // The turn first: requests waiting in line hold no file in memory.
    let turn = drawer.turn().await.map_err(drawing_error)?;
    let cap = usize::try_from(folio_pdf::preview::MAX_BYTES).unwrap_or(usize::MAX);
    let mut bytes = Vec::with_capacity(usize::try_from(v.size_bytes).unwrap_or(0).min(cap));
    let mut stream = std::pin::pin!(
        storage
            .read(&v.storage_key)
            .await
            .map_err(files::storage_error)?
    );
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| files::storage_error(folio_storage::StorageError::Interrupted(e)))?
    {
        if bytes.len() + chunk.len() > cap {
            return Err(Error::invalid(
                "version",
                "is too large to show in the page",
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    drawer
        .draw_in_turn(turn, request, bytes)
        .await
        .map_err(drawing_error)
}

/// What a person is told when a page cannot be drawn.
fn drawing_error(e: DrawError) -> Error {
    match e {
        DrawError::NoSuchPage => Error::NotFound,
        DrawError::Unreadable => Error::invalid(
            "version",
            "cannot be shown in the page (it cannot be opened, is damaged or too complex to draw): download it to read it",
        ),
        DrawError::Busy => Error::Unavailable(
            "other PDF pages are being drawn just now: try again in a moment, or download the file"
                .into(),
        ),
        DrawError::Unavailable => Error::Internal("the PDF drawer could not be run".into()),
    }
}

/// How many pages version `number` of evidence `id` has, for the viewer (422 for a
/// version it does not draw, see [`drawable_version`]). The drawer counts them the first
/// time; the count is then kept on the version, which never changes. `uow` ends before
/// the drawer runs, so no transaction is held open while it works.
pub async fn pdf_page_count(
    mut uow: UnitOfWork,
    db: &Database,
    storage: &Storage,
    drawer: &PdfDrawer,
    id: Uuid,
    number: i32,
) -> Result<usize> {
    let v = drawable_version(&mut uow, id, number).await?;
    let principal = uow.commit().await?;
    if let Some(pages) = v.pdf_pages {
        return Ok(usize::try_from(pages).unwrap_or(0));
    }
    let answer = with_pdf(storage, drawer, &v, folio_pdf::drawer::Request::PageCount).await?;
    let pages = std::str::from_utf8(&answer)
        .ok()
        .and_then(|n| n.trim().parse::<i32>().ok())
        .ok_or_else(|| {
            Error::Internal("the PDF drawer answered a page count that is not a number".into())
        })?;
    if pages < 1 {
        return Err(Error::invalid(
            "version",
            "has no pages to show: download it to read it",
        ));
    }
    let mut tx = db.begin_tenant(principal.tenant).await?;
    evidence::remember_pdf_pages(&mut tx, v.id, pages).await?;
    tx.commit().await?;
    Ok(usize::try_from(pages).unwrap_or(0))
}

/// Page `page` (from 1) of version `number` of evidence `id`, as a PNG (404 past the last
/// page; 422 as for [`pdf_page_count`]). `uow` ends before the drawer runs.
pub async fn draw_pdf_page(
    mut uow: UnitOfWork,
    storage: &Storage,
    drawer: &PdfDrawer,
    id: Uuid,
    number: i32,
    page: usize,
) -> Result<Vec<u8>> {
    let v = drawable_version(&mut uow, id, number).await?;
    uow.commit().await?;
    let past_the_end = v
        .pdf_pages
        .and_then(|n| usize::try_from(n).ok())
        .is_some_and(|n| page > n);
    if page == 0 || past_the_end {
        return Err(Error::NotFound);
    }
    with_pdf(storage, drawer, &v, folio_pdf::drawer::Request::Page(page)).await
}

/// Returns evidence to the learner with points for improvement (their assessor or an
/// admin); the learner is e-mailed. Evidence that criteria were signed off on cannot be
/// returned (409): the learner could not send a new version of it.
pub async fn return_to_learner(uow: &mut UnitOfWork, id: Uuid, points: &str) -> Result<Detail> {
    let (e, enrolment) = managed(uow, id).await?;
    refuse_if_assessed(&mut uow.tx, enrolment.id, e.id, AfterAssessment::Return).await?;
    let points = points.trim();
    if points.is_empty() || points.chars().count() > 5000 {
        return Err(Error::invalid("points", "must be 1 to 5000 characters"));
    }
    evidence::insert_return(
        &mut uow.tx,
        Uuid::now_v7(),
        e.id,
        e.current_version,
        points,
        uow.principal.user_id,
    )
    .await?;
    evidence::set_status(&mut uow.tx, e.id, "returned").await?;
    evidence::enqueue_email(
        &mut uow.tx,
        &format!("evidence-returned:{}:{}", e.id, e.current_version),
        enrolment.learner_id,
        "evidence_returned",
        serde_json::json!({
            "evidence_id": e.id,
            "enrolment_id": enrolment.id,
            "link_path": routes::evidence(e.id),
            "evidence_title": e.title,
            "learner_name": enrolment.learner_name,
        }),
    )
    .await?;
    uow.audit(
        "evidence.return",
        "evidence",
        e.id,
        serde_json::json!({ "version": e.current_version }),
    )
    .await?;
    detail(uow, e.id).await
}

/// Maps evidence to criteria of the learner's units (their assessor or an admin),
/// replacing its mapping. A criterion outside the learner's units (mandatory and chosen
/// optional) is refused by position; taking evidence away from a signed-off criterion is
/// a conflict.
pub async fn map_to_criteria(
    uow: &mut UnitOfWork,
    id: Uuid,
    mut criteria: Vec<Uuid>,
) -> Result<Evidence> {
    let (e, enrolment) = managed(uow, id).await?;
    let outside =
        evidence::criteria_outside_learner_units(&mut uow.tx, enrolment.id, &criteria).await?;
    if !outside.is_empty() {
        return Err(Error::Validation(
            criteria
                .iter()
                .enumerate()
                .filter(|(_, c)| outside.contains(c))
                .map(|(i, _)| {
                    FieldError::new(
                        format!("criterion_ids[{i}]"),
                        "is not a criterion of the learner's units",
                    )
                })
                .collect(),
        ));
    }
    criteria.sort();
    criteria.dedup();
    let locked =
        evidence::signed_off_mappings_to_remove(&mut uow.tx, enrolment.id, e.id, &criteria).await?;
    if !locked.is_empty() {
        return Err(Error::Conflict {
            field: Some("criterion_ids".into()),
            detail: format!(
                "{} signed-off criteria rely on this evidence; withdraw their sign-off first",
                locked.len()
            ),
        });
    }
    let by = uow.principal.user_id;
    evidence::set_mappings(&mut uow.tx, enrolment.id, e.id, &criteria, by).await?;
    uow.audit(
        "evidence.map",
        "evidence",
        e.id,
        serde_json::json!({ "criterion_ids": criteria }),
    )
    .await?;
    Ok(narrowed(
        evidence::get(&mut uow.tx, e.id).await?,
        &uow.principal,
    ))
}

/// Signs off criteria for a learner (their assessor or an admin). Each must be one of the
/// learner's and have evidence mapped; signing off twice keeps the first sign-off.
pub async fn sign_off(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    mut criteria: Vec<Uuid>,
) -> Result<()> {
    let enrolment = uow.managed_enrolment(enrolment_id).await?;
    if criteria.is_empty() || criteria.len() > 1000 {
        return Err(Error::invalid(
            "criterion_ids",
            "must list 1 to 1000 criteria",
        ));
    }
    // A criterion of a unit no longer chosen keeps its mappings but is not the learner's
    // to sign off.
    let outside =
        evidence::criteria_outside_learner_units(&mut uow.tx, enrolment.id, &criteria).await?;
    let unmapped = evidence::unmapped_criteria(&mut uow.tx, enrolment.id, &criteria).await?;
    if !outside.is_empty() || !unmapped.is_empty() {
        return Err(Error::Validation(
            criteria
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let detail = if outside.contains(c) {
                        "is not a criterion of the learner's units"
                    } else if unmapped.contains(c) {
                        "has no evidence mapped for this learner"
                    } else {
                        return None;
                    };
                    Some(FieldError::new(format!("criterion_ids[{i}]"), detail))
                })
                .collect(),
        ));
    }
    criteria.sort();
    criteria.dedup();
    let by = uow.principal.user_id;
    evidence::sign_off(&mut uow.tx, enrolment.id, &criteria, by).await?;
    uow.audit(
        "criteria.sign_off",
        "enrolment",
        enrolment.id,
        serde_json::json!({ "criterion_ids": criteria }),
    )
    .await
}

/// Withdraws a criterion's sign-off (its assessor or an admin).
pub async fn withdraw_sign_off(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    criterion_id: Uuid,
) -> Result<()> {
    let enrolment = uow.managed_enrolment(enrolment_id).await?;
    evidence::withdraw_sign_off(&mut uow.tx, enrolment.id, criterion_id).await?;
    uow.audit(
        "criteria.withdraw_sign_off",
        "enrolment",
        enrolment.id,
        serde_json::json!({ "criterion_id": criterion_id }),
    )
    .await
}

/// Leave to add a file to a portfolio, checked in a short transaction that is over
/// before any bytes arrive (no connection is held while a file uploads).
#[derive(Debug)]
pub struct UploadPermit {
    principal: Principal,
    enrolment_id: Uuid,
    components: Vec<Uuid>,
    evidence: Option<Evidence>,
    max_bytes: u64,
}

impl UploadPermit {
    /// The largest file this upload may store (bytes): its form is refused at once when it
    /// declares more.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
}

/// What an upload form says about the evidence, checked.
#[derive(Debug)]
pub struct NewUpload {
    component_id: Uuid,
    title: String,
    description: Option<String>,
    signature_name: String,
}

/// Checks that the caller may upload evidence to the portfolio and reads the limits;
/// ends the unit of work.
pub async fn permit_upload(mut uow: UnitOfWork, enrolment_id: Uuid) -> Result<UploadPermit> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    if !may_upload(&uow.principal, &enrolment) {
        return Err(Error::Forbidden);
    }
    let limits = uow.settings().await?;
    let components = evidence::component_ids_of_course(&mut uow.tx, enrolment.course_id).await?;
    Ok(UploadPermit {
        enrolment_id,
        components,
        evidence: None,
        max_bytes: limits.evidence_max_bytes,
        principal: uow.commit().await?,
    })
}

/// Checks that the caller may resubmit the evidence and reads the limits; ends the unit
/// of work.
pub async fn permit_resubmission(mut uow: UnitOfWork, id: Uuid) -> Result<UploadPermit> {
    let (e, enrolment) = visible(&mut uow, id).await?;
    if !may_upload(&uow.principal, &enrolment) {
        return Err(Error::Forbidden);
    }
    refuse_if_assessed(&mut uow.tx, enrolment.id, e.id, AfterAssessment::NewVersion).await?;
    let limits = uow.settings().await?;
    Ok(UploadPermit {
        enrolment_id: enrolment.id,
        components: Vec::new(),
        evidence: Some(e),
        max_bytes: limits.evidence_max_bytes,
        principal: uow.commit().await?,
    })
}

impl UploadPermit {
    /// The upload form's text fields, checked, every problem named at once. `has_file`:
    /// whether the form carried its file part.
    pub fn check_upload(
        &self,
        values: &HashMap<String, String>,
        has_file: bool,
        fields: &mut Fields,
    ) -> Option<NewUpload> {
        let title = files::text(fields, values, "title", 200, true);
        let description = files::text(fields, values, "description", 5000, false);
        let signature_name = files::text(fields, values, "signature_name", 200, true);
        let declared = values
            .get("declaration")
            .map(|d| d.trim().to_ascii_lowercase());
        fields.require(
            "declaration",
            matches!(declared.as_deref(), Some("true" | "on" | "yes")),
            "you must declare that this is your own work",
        );
        let component_id = match values
            .get("component_id")
            .map(|c| Uuid::try_parse(c.trim()))
        {
            None => {
                fields.add("component_id", "is required");
                None
            }
            Some(Err(_)) => {
                fields.add("component_id", "must be a UUID");
                None
            }
            Some(Ok(c)) if !self.components.contains(&c) => {
                fields.add("component_id", "is not a component of the learner's course");
                None
            }
            Some(Ok(c)) => Some(c),
        };
        fields.require("file", has_file, FILE_REQUIRED);
        Some(NewUpload {
            component_id: component_id?,
            title: title?,
            description,
            signature_name: signature_name?,
        })
    }

    /// The resubmission form's comment, checked (with whether the file part came).
    pub fn check_resubmission(
        &self,
        values: &HashMap<String, String>,
        has_file: bool,
        fields: &mut Fields,
    ) -> Option<String> {
        let comment = files::text(fields, values, "comment", 5000, true);
        fields.require("file", has_file, FILE_REQUIRED);
        comment
    }

    /// Stores the file and records the evidence as version 1, checking again that the
    /// caller may still upload now that the bytes have arrived.
    pub async fn upload<R: AsyncRead + Unpin>(
        self,
        db: &Database,
        storage: &Storage,
        upload: NewUpload,
        file: Incoming<R>,
    ) -> Result<Evidence> {
        let Self {
            principal,
            enrolment_id,
            max_bytes,
            ..
        } = self;
        let (evidence_id, version_id) = (Uuid::now_v7(), Uuid::now_v7());
        let key = storage_key(&principal, evidence_id, version_id);
        files::store_then_record(db, storage, principal.tenant, key, file, max_bytes, async |tx, stored: &Stored| {
            let enrolment = enrolments::get_visible(tx, &principal.viewer(), enrolment_id).await?;
            if !may_upload(&principal, &enrolment) {
                return Err(Error::Forbidden);
            }
            evidence::insert(tx, &NewEvidence {
                id: evidence_id,
                enrolment_id,
                component_id: upload.component_id,
                title: &upload.title,
                description: upload.description.as_deref(),
                signature_name: &upload.signature_name,
                signed_at: Utc::now(),
                uploaded_by: principal.user_id,
            })
            .await?;
            evidence::insert_version(tx, &new_version(&principal, evidence_id, version_id, 1, stored, None)).await?;
            audit::record(tx, audit::Event {
                actor: principal.actor(),
                action: "evidence.upload",
                entity_type: "evidence",
                entity_id: Some(evidence_id),
                details: serde_json::json!({ "enrolment_id": enrolment_id, "size_bytes": stored.file.size }),
            })
            .await?;
            Ok(narrowed(evidence::get(tx, evidence_id).await?, &principal))
        })
        .await
    }

    /// Stores the amended file as the evidence's next version with the learner's comment;
    /// earlier versions stay downloadable and the assessor is e-mailed.
    pub async fn resubmit<R: AsyncRead + Unpin>(
        self,
        db: &Database,
        storage: &Storage,
        comment: String,
        file: Incoming<R>,
    ) -> Result<Evidence> {
        let Self {
            principal,
            enrolment_id,
            max_bytes,
            evidence: e,
            ..
        } = self;
        let e = e.ok_or_else(|| Error::Internal("a resubmission without its evidence".into()))?;
        let version_id = Uuid::now_v7();
        let key = storage_key(&principal, e.id, version_id);
        files::store_then_record(
            db,
            storage,
            principal.tenant,
            key,
            file,
            max_bytes,
            async |tx, stored: &Stored| {
                // The enrolment first, as a sign-off locks it: one that came while the file
                // streamed has committed by now, and is seen below.
                enrolments::lock(tx, enrolment_id).await?;
                let enrolment =
                    enrolments::get_visible(tx, &principal.viewer(), enrolment_id).await?;
                let version = evidence::lock_next_version(tx, e.id).await?;
                refuse_if_assessed(tx, enrolment.id, e.id, AfterAssessment::NewVersion).await?;
                evidence::insert_version(
                    tx,
                    &new_version(
                        &principal,
                        e.id,
                        version_id,
                        version,
                        stored,
                        Some(&comment),
                    ),
                )
                .await?;
                evidence::set_status(tx, e.id, "resubmitted").await?;
                if let Some(assessor) = enrolment.assessor_id {
                    evidence::enqueue_email(
                        tx,
                        &format!("evidence-resubmitted:{}:{version}", e.id),
                        assessor,
                        "evidence_resubmitted",
                        serde_json::json!({
                            "evidence_id": e.id,
                            "enrolment_id": enrolment.id,
                            "link_path": routes::evidence(e.id),
                            "version": version,
                            "evidence_title": e.title,
                            "learner_name": enrolment.learner_name,
                        }),
                    )
                    .await?;
                }
                audit::record(tx, audit::Event {
                actor: principal.actor(),
                action: "evidence.resubmit",
                entity_type: "evidence",
                entity_id: Some(e.id),
                details: serde_json::json!({ "version": version, "size_bytes": stored.file.size }),
            })
            .await?;
                Ok(narrowed(evidence::get(tx, e.id).await?, &principal))
            },
        )
        .await
    }
}

/// What a learner or an assessor tried to do to evidence that has been assessed.
#[derive(Debug, Clone, Copy)]
enum AfterAssessment {
    /// Upload a new version of it (the learner).
    NewVersion,
    /// Return it with points for improvement (the assessor).
    Return,
}

/// Refuses to change evidence that criteria were signed off on: the assessor judged the
/// version they saw, and a replacement (or a return asking for one) would leave the
/// sign-offs standing on a file nobody assessed. Says which criteria, and what to do.
async fn refuse_if_assessed(
    tx: &mut folio_db::TenantTx,
    enrolment_id: Uuid,
    evidence_id: Uuid,
    attempt: AfterAssessment,
) -> Result<()> {
    let codes = evidence::signed_off_criteria_codes(tx, enrolment_id, evidence_id).await?;
    if codes.is_empty() {
        return Ok(());
    }
    let codes = codes.join(", ");
    Err(match attempt {
        AfterAssessment::NewVersion => Error::Conflict {
            field: Some("file".into()),
            detail: format!(
                "This evidence has been assessed: criteria {codes} were signed off on it. A \
                 new version would replace what was assessed, so upload it as new evidence \
                 instead, or ask your assessor to withdraw the sign-off first."
            ),
        },
        AfterAssessment::Return => Error::Conflict {
            field: None,
            detail: format!(
                "This evidence has been assessed: criteria {codes} were signed off on it, so \
                 it cannot be returned for changes. Withdraw those sign-offs first if it must \
                 change."
            ),
        },
    })
}

fn new_version<'a>(
    principal: &Principal,
    evidence_id: Uuid,
    id: Uuid,
    version: i32,
    stored: &'a Stored,
    comment: Option<&'a str>,
) -> NewVersion<'a> {
    NewVersion {
        id,
        evidence_id,
        version,
        storage_key: &stored.key,
        file_name: &stored.file_name,
        content_type: &stored.content_type,
        size_bytes: stored.size_bytes(),
        sha256: &stored.file.sha256,
        comment,
        uploaded_by: principal.user_id,
    }
}
