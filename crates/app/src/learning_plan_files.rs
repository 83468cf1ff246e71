//! Files on the learning plan: a session's files (the review form of a review session,
//! planning material) and an action's (the learner's work towards it). A refused upload
//! leaves neither row nor object.
//!
//! Who may do what, once: visibility is the enrolment's, as for the session or action
//! itself (whoever cannot see the enrolment gets 404). Staff who manage the enrolment
//! (admins, its assessor) attach files to sessions and actions; the learner attaches files
//! to their own actions. A file is removed by whoever attached it or by a manager. Everyone
//! else who can see the enrolment (IQA, employer, auditor) reads, and gets 403 on writes.

use folio_db::enrolments::{self, Enrolment};
use folio_db::learning_plan as plan;
use folio_db::learning_plan_files::{self as files, NewLearningPlanFile};
use folio_db::{Database, DbError, TenantTx, audit};
use folio_storage::Storage;
use tokio::io::AsyncRead;
use uuid::Uuid;

pub use folio_db::learning_plan_files::{Attachee, LearningPlanFile};

use crate::files::{Incoming, Stored, store_then_record};
use crate::{Error, Principal, Result, UnitOfWork};

/// The enrolment a session or action belongs to; 404 if there is no such session or
/// action in this tenant.
async fn enrolment_of(tx: &mut TenantTx, attachee: Attachee) -> Result<Uuid> {
    Ok(match attachee {
        Attachee::Session(id) => plan::get_session(tx, id).await?.enrolment_id,
        Attachee::Action(id) => plan::get_action(tx, id).await?.enrolment_id,
    })
}

/// Whether the principal may attach a file: managers to sessions and actions, the learner
/// to their own actions.
fn may_attach(principal: &Principal, enrolment: &Enrolment, attachee: Attachee) -> bool {
    principal.manages(enrolment)
        || (matches!(attachee, Attachee::Action(_)) && principal.is_learner_of(enrolment))
}

/// Whether the caller may attach a file to the session or action (the rule every upload
/// applies): a page offers the form only then. 404 as for reading it.
pub async fn may_attach_to(uow: &mut UnitOfWork, attachee: Attachee) -> Result<bool> {
    let enrolment_id = enrolment_of(&mut uow.tx, attachee).await?;
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    Ok(may_attach(&uow.principal, &enrolment, attachee))
}

/// The storage key of a file: ids only, namespaced by tenant.
fn storage_key(principal: &Principal, enrolment_id: Uuid, file_id: Uuid) -> String {
    format!(
        "tenants/{}/learning-plan-files/{enrolment_id}/{file_id}",
        principal.tenant
    )
}

/// The session or action vanished between the checks and the insert.
fn attachee_gone(e: DbError) -> Error {
    match e.constraint() {
        Some(
            "learning_plan_files_session_fkey"
            | "learning_plan_files_action_fkey"
            | "learning_plan_files_enrolment_fkey",
        ) => Error::NotFound,
        _ => e.into(),
    }
}

/// A file and its enrolment, if the caller may see them (404 otherwise).
async fn visible(uow: &mut UnitOfWork, id: Uuid) -> Result<(LearningPlanFile, Enrolment)> {
    let file = files::get(&mut uow.tx, id).await?;
    let enrolment = uow.visible_enrolment(file.enrolment_id).await?;
    Ok((file, enrolment.into_inner()))
}

/// A session's or an action's files, oldest first, for whoever may see its enrolment.
pub async fn list(uow: &mut UnitOfWork, attachee: Attachee) -> Result<Vec<LearningPlanFile>> {
    let enrolment_id = enrolment_of(&mut uow.tx, attachee).await?;
    uow.visible_enrolment(enrolment_id).await?;
    Ok(files::list(&mut uow.tx, attachee).await?)
}

/// One file's details, for whoever may see its enrolment.
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<LearningPlanFile> {
    Ok(visible(uow, id).await?.0)
}

/// Removes a file's row (whoever attached it, admins and the learner's assessor) and
/// returns it: once the unit of work commits, the caller removes its stored object, so no
/// row ever points at a missing file.
pub async fn delete(uow: &mut UnitOfWork, id: Uuid) -> Result<LearningPlanFile> {
    let (file, enrolment) = visible(uow, id).await?;
    let p = &uow.principal;
    if file.uploaded_by != p.user_id && !p.manages(&enrolment) {
        return Err(Error::Forbidden);
    }
    let file = files::delete(&mut uow.tx, id).await?;
    let details = serde_json::json!({
        "enrolment_id": file.enrolment_id,
        "session_id": file.session_id,
        "action_id": file.action_id,
        "size_bytes": file.size_bytes,
    });
    uow.audit(
        "learning_plan_file.delete",
        "learning_plan_file",
        file.id,
        details,
    )
    .await?;
    Ok(file)
}

/// Leave to attach a file to a session or an action, checked in a short transaction that
/// is over before any bytes arrive (no connection is held while a file uploads).
#[derive(Debug)]
pub struct UploadPermit {
    principal: Principal,
    enrolment_id: Uuid,
    attachee: Attachee,
    max_bytes: u64,
}

impl UploadPermit {
    /// The largest file this upload may store (bytes): its form is refused at once when it
    /// declares more.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
}

/// Checks that the caller may attach a file to `attachee` and reads the limits; ends the
/// unit of work.
pub async fn permit_upload(mut uow: UnitOfWork, attachee: Attachee) -> Result<UploadPermit> {
    let enrolment_id = enrolment_of(&mut uow.tx, attachee).await?;
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    if !may_attach(&uow.principal, &enrolment, attachee) {
        return Err(Error::Forbidden);
    }
    let limits = uow.settings().await?;
    Ok(UploadPermit {
        enrolment_id,
        attachee,
        max_bytes: limits.evidence_max_bytes,
        principal: uow.commit().await?,
    })
}

impl UploadPermit {
    /// Stores the file and records it, checking again that the caller may still attach it
    /// now that the bytes have arrived.
    pub async fn upload<R: AsyncRead + Unpin>(
        self,
        db: &Database,
        storage: &Storage,
        file: Incoming<R>,
    ) -> Result<LearningPlanFile> {
        let Self {
            principal,
            enrolment_id,
            attachee,
            max_bytes,
        } = self;
        let file_id = Uuid::now_v7();
        let key = storage_key(&principal, enrolment_id, file_id);
        store_then_record(
            db,
            storage,
            principal.tenant,
            key,
            file,
            max_bytes,
            async |tx: &mut TenantTx, stored: &Stored| {
                let enrolment =
                    enrolments::get_visible(tx, &principal.viewer(), enrolment_id).await?;
                if !may_attach(&principal, &enrolment, attachee) {
                    return Err(Error::Forbidden);
                }
                let row = files::insert(
                    tx,
                    &NewLearningPlanFile {
                        id: file_id,
                        enrolment_id,
                        attachee,
                        storage_key: &stored.key,
                        file_name: &stored.file_name,
                        content_type: &stored.content_type,
                        size_bytes: stored.size_bytes(),
                        sha256: &stored.file.sha256,
                        uploaded_by: principal.user_id,
                    },
                )
                .await
                .map_err(attachee_gone)?;
                audit::record(
                    tx,
                    audit::Event {
                        actor: principal.actor(),
                        action: "learning_plan_file.upload",
                        entity_type: "learning_plan_file",
                        entity_id: Some(file_id),
                        details: serde_json::json!({
                            "enrolment_id": enrolment_id,
                            "session_id": row.session_id,
                            "action_id": row.action_id,
                            "size_bytes": stored.file.size,
                        }),
                    },
                )
                .await?;
                Ok(row)
            },
        )
        .await
    }
}
