//! Documents to sign ("New Docs to Sign"): staff send a file to one or more learners naming
//! the roles that must sign it; each required role signs once with a typed name (the time
//! and the client's IP address are recorded); a badge counts what a person still has to
//! sign; a fully signed document is final.
//!
//! Visibility is the enrolment's: every use case loads it through
//! [`UnitOfWork::visible_enrolment`], so whoever cannot see the enrolment (another
//! learner, another caseload, another organisation) gets 404, for a document as for the
//! enrolment itself. Documents are sent and withdrawn by staff who manage the enrolment
//! (admins, its assessor); everyone else who sees it (IQA, auditor, employer, learner)
//! gets 403. Who signs for a role is `folio_domain::documents::check_may_sign`. Only
//! staff see the IP addresses signatures were made from.

use std::collections::HashMap;

use folio_db::documents::{self as queries, NewDocument, NewFile, NewSignature, Signer};
use folio_db::enrolments::{self, Enrolment};
use folio_db::{Database, TenantTx, audit, users};
use folio_domain::Role;
use folio_domain::documents::{
    SignerFacts, SignerRole, check_may_sign, is_fully_signed, parse_signer_roles, parse_typed_name,
};
use folio_storage::Storage;
use tokio::io::AsyncRead;
use uuid::Uuid;

pub use folio_db::documents::{Document, Signature};

use crate::files::{self, FILE_REQUIRED, Incoming, Stored};
use crate::{Error, Fields, Principal, Result, UnitOfWork, checked};

/// The longest title.
const MAX_TITLE_CHARS: usize = 200;
/// The longest message.
const MAX_MESSAGE_CHARS: usize = 5000;
/// The most learners one send reaches.
const MAX_RECIPIENTS: usize = 500;

/// One required role and its signature, once made.
#[derive(Debug, Clone)]
pub struct SignatureState {
    /// The role.
    pub role: SignerRole,
    /// Its signature; the IP address only for staff.
    pub signature: Option<Signature>,
}

/// A document as the caller sees it.
#[derive(Debug, Clone)]
pub struct DocumentView {
    /// The stored document.
    pub document: Document,
    /// The roles that must sign, learner, employer, assessor.
    pub required_roles: Vec<SignerRole>,
    /// Each required role's signature state, in the same order.
    pub signatures: Vec<SignatureState>,
    /// Every required role has signed: the document is final.
    pub fully_signed: bool,
}

impl DocumentView {
    /// Withdrawn by its sender or a manager.
    pub fn withdrawn(&self) -> bool {
        self.document.withdrawn_at.is_some()
    }
}

/// A learner's documents.
#[derive(Debug)]
pub struct DocumentList {
    /// Newest first.
    pub items: Vec<DocumentView>,
    /// How many of them (not withdrawn) still wait for a signature.
    pub awaiting_signature: u32,
}

/// A document the caller still has to sign.
#[derive(Debug)]
pub struct ToSign {
    /// The document.
    pub document: DocumentView,
    /// The roles they sign it for.
    pub roles_to_sign: Vec<SignerRole>,
}

/// Whether the caller's roles could let them send documents at all (admins, assessors);
/// which enrolments they may send to is [`Principal::manages`].
fn may_send(roles: &[Role]) -> bool {
    roles.contains(&Role::Admin) || roles.contains(&Role::Assessor)
}

fn role_of(name: &str) -> Result<SignerRole> {
    name.parse()
        .map_err(|_| Error::Internal(format!("unknown signer role `{name}`")))
}

fn roles_of(names: &[String]) -> Result<Vec<SignerRole>> {
    let mut roles = names
        .iter()
        .map(|r| role_of(r))
        .collect::<Result<Vec<_>>>()?;
    roles.sort();
    Ok(roles)
}

fn view(d: Document, signatures: &[Signature], show_addresses: bool) -> Result<DocumentView> {
    let required = roles_of(&d.required_roles)?;
    let mut signed = Vec::new();
    let mut states = Vec::new();
    for role in &required {
        let signature = signatures
            .iter()
            .find(|s| s.document_id == d.id && s.role == role.as_str())
            .cloned()
            .map(|mut s| {
                if !show_addresses {
                    s.ip_address = None;
                }
                s
            });
        if signature.is_some() {
            signed.push(*role);
        }
        states.push(SignatureState {
            role: *role,
            signature,
        });
    }
    Ok(DocumentView {
        fully_signed: is_fully_signed(&required, &signed),
        document: d,
        required_roles: required,
        signatures: states,
    })
}

/// The documents with their signatures, as `principal` may see them.
async fn views(
    tx: &mut TenantTx,
    principal: &Principal,
    docs: Vec<Document>,
) -> Result<Vec<DocumentView>> {
    let ids: Vec<Uuid> = docs.iter().map(|d| d.id).collect();
    let signatures = queries::signatures(tx, &ids).await?;
    let show = principal.is_staff();
    docs.into_iter()
        .map(|d| view(d, &signatures, show))
        .collect()
}

async fn one_view(uow: &mut UnitOfWork, id: Uuid) -> Result<DocumentView> {
    let d = queries::get(&mut uow.tx, id).await?;
    let mut items = views(&mut uow.tx, &uow.principal, vec![d]).await?;
    items
        .pop()
        .ok_or_else(|| Error::Internal("document vanished".into()))
}

/// A document and its enrolment, if the caller may see them (404 otherwise).
async fn visible_document(uow: &mut UnitOfWork, id: Uuid) -> Result<(Document, Enrolment)> {
    let d = queries::get(&mut uow.tx, id).await?;
    let enrolment = uow.visible_enrolment(d.enrolment_id).await?;
    Ok((d, enrolment.into_inner()))
}

/// A document for a change: its enrolment locked (so signing and withdrawing one
/// learner's documents happen one after another) and visible (404 otherwise), the
/// document read again under the lock.
async fn locked_document(uow: &mut UnitOfWork, id: Uuid) -> Result<(Document, Enrolment)> {
    let enrolment_id = queries::get(&mut uow.tx, id).await?.enrolment_id;
    uow.lock_enrolment(enrolment_id).await?;
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    Ok((queries::get(&mut uow.tx, id).await?, enrolment.into_inner()))
}

/// The enrolments named, each visible to (404) and managed by (403) the sender.
async fn recipients(
    tx: &mut TenantTx,
    principal: &Principal,
    ids: &[Uuid],
) -> Result<Vec<Enrolment>> {
    let viewer = principal.viewer();
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let enrolment = enrolments::get_visible(tx, &viewer, *id).await?;
        if !principal.manages(&enrolment) {
            return Err(Error::Forbidden);
        }
        found.push(enrolment);
    }
    Ok(found)
}

/// The `enrolment_ids` form field: UUIDs separated by commas or white space, at least one,
/// at most [`MAX_RECIPIENTS`]; repeats are ignored.
fn enrolment_ids(fields: &mut Fields, raw: Option<&String>) -> Vec<Uuid> {
    let Some(raw) = raw else {
        fields.add("enrolment_ids", "is required");
        return Vec::new();
    };
    let mut ids = Vec::new();
    let mut bad = false;
    for (i, part) in raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        match Uuid::try_parse(part) {
            Ok(id) if !ids.contains(&id) => ids.push(id),
            Ok(_) => {}
            Err(_) => {
                fields.add(format!("enrolment_ids[{i}]"), "must be a UUID");
                bad = true;
            }
        }
    }
    if ids.is_empty() && !bad {
        fields.add("enrolment_ids", "must name at least one enrolment");
    }
    if ids.len() > MAX_RECIPIENTS {
        fields.add(
            "enrolment_ids",
            format!("must name at most {MAX_RECIPIENTS} enrolments"),
        );
    }
    ids
}

/// How the caller stands to the enrolment, for signing.
async fn signer_facts(uow: &mut UnitOfWork, enrolment: &Enrolment) -> Result<SignerFacts> {
    let p = &uow.principal;
    let is_employer = p.has(Role::Employer);
    let is_its_learner = p.is_learner_of(enrolment);
    let is_its_assessor = p.has(Role::Assessor) && enrolment.assessor_id == Some(p.user_id);
    let user = p.user_id;
    let works_for_its_employer = match enrolment.employer_id {
        Some(employer) if is_employer => {
            users::employer_of(&mut uow.tx, user).await? == Some(employer)
        }
        _ => false,
    };
    Ok(SignerFacts {
        is_its_learner,
        is_employer,
        works_for_its_employer,
        has_employer: enrolment.employer_id.is_some(),
        is_its_assessor,
    })
}

/// Leave to send a document, checked in a short transaction that is over before any
/// bytes arrive (no connection is held while a file uploads).
#[derive(Debug)]
pub struct SendPermit {
    principal: Principal,
    max_bytes: u64,
}

impl SendPermit {
    /// The largest file this upload may store (bytes): its form is refused at once when it
    /// declares more.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
}

/// What a send form says, checked.
#[derive(Debug)]
pub struct Sending {
    enrolment_ids: Vec<Uuid>,
    roles: Vec<SignerRole>,
    title: String,
    message: Option<String>,
}

/// Checks that the caller may send documents at all (admins, assessors; 403 otherwise)
/// and reads the size limit; ends the unit of work.
pub async fn permit_send(mut uow: UnitOfWork) -> Result<SendPermit> {
    if !may_send(&uow.principal.roles) {
        return Err(Error::Forbidden);
    }
    let limits = uow.settings().await?;
    Ok(SendPermit {
        max_bytes: limits.evidence_max_bytes,
        principal: uow.commit().await?,
    })
}

impl SendPermit {
    /// The send form's text fields, checked, every problem named at once. `has_file`:
    /// whether the form carried its file part.
    pub fn check_send(
        &self,
        values: &HashMap<String, String>,
        has_file: bool,
        fields: &mut Fields,
    ) -> Option<Sending> {
        let enrolment_ids = enrolment_ids(fields, values.get("enrolment_ids"));
        let roles = match values.get("roles") {
            Some(raw) => fields.check("roles", parse_signer_roles(raw)),
            None => {
                fields.add("roles", "is required");
                None
            }
        };
        let title = files::text(fields, values, "title", MAX_TITLE_CHARS, true);
        let message = files::text(fields, values, "message", MAX_MESSAGE_CHARS, false);
        fields.require("file", has_file, FILE_REQUIRED);
        Some(Sending {
            enrolment_ids,
            roles: roles?,
            title: title?,
            message,
        })
    }

    /// Checks every recipient before any byte is stored (404 for one the sender cannot
    /// see, 403 for one they do not manage), then stores the file once and records one
    /// document per enrolment, checking the recipients again now that the bytes have
    /// arrived. The documents in the order the enrolments were named.
    pub async fn send<R: AsyncRead + Unpin>(
        self,
        db: &Database,
        storage: &Storage,
        sending: Sending,
        file: Incoming<R>,
    ) -> Result<Vec<DocumentView>> {
        let Self {
            principal,
            max_bytes,
        } = self;
        let ids = sending.enrolment_ids;
        let mut tx = db.begin_tenant(principal.tenant).await?;
        recipients(&mut tx, &principal, &ids).await?;
        tx.commit().await?;

        let file_id = Uuid::now_v7();
        let key = format!("tenants/{}/documents/{file_id}", principal.tenant);
        let role_names: Vec<&str> = sending.roles.iter().map(|r| r.as_str()).collect();
        let (title, message) = (sending.title, sending.message);
        files::store_then_record(
            db,
            storage,
            principal.tenant,
            key,
            file,
            max_bytes,
            async |tx: &mut TenantTx, stored: &Stored| {
                let enrolments = recipients(tx, &principal, &ids).await?;
                queries::insert_file(
                    tx,
                    &NewFile {
                        id: file_id,
                        storage_key: &stored.key,
                        file_name: &stored.file_name,
                        content_type: &stored.content_type,
                        size_bytes: stored.size_bytes(),
                        sha256: &stored.file.sha256,
                        uploaded_by: principal.user_id,
                    },
                )
                .await?;
                let mut docs = Vec::with_capacity(enrolments.len());
                for enrolment in &enrolments {
                    let id = Uuid::now_v7();
                    queries::insert(
                        tx,
                        &NewDocument {
                            id,
                            enrolment_id: enrolment.id,
                            file_id,
                            title: &title,
                            message: message.as_deref(),
                            required_roles: &role_names,
                            sent_by: principal.user_id,
                        },
                    )
                    .await?;
                    audit::record(
                        tx,
                        audit::Event {
                            actor: principal.actor(),
                            action: "document.send",
                            entity_type: "document",
                            entity_id: Some(id),
                            details: serde_json::json!({
                                "enrolment_id": enrolment.id,
                                "file_id": file_id,
                                "title": title,
                                "required_roles": role_names,
                                "size_bytes": stored.file.size,
                                "sha256": hex::encode(stored.file.sha256),
                            }),
                        },
                    )
                    .await?;
                    docs.push(queries::get(tx, id).await?);
                }
                views(tx, &principal, docs).await
            },
        )
        .await
    }
}

/// A learner's documents, newest first, each with every required role's signature state;
/// withdrawn ones only with `include_withdrawn`.
pub async fn list(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    include_withdrawn: bool,
) -> Result<DocumentList> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    let docs = queries::list_for_enrolment(&mut uow.tx, enrolment.id, include_withdrawn).await?;
    let items = views(&mut uow.tx, &uow.principal, docs).await?;
    let awaiting = items
        .iter()
        .filter(|d| !d.withdrawn() && !d.fully_signed)
        .count();
    Ok(DocumentList {
        items,
        awaiting_signature: u32::try_from(awaiting).unwrap_or(u32::MAX),
    })
}

/// One document with its signature state.
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<DocumentView> {
    visible_document(uow, id).await?;
    one_view(uow, id).await
}

/// A document's file, for whoever may see the document.
pub async fn file(uow: &mut UnitOfWork, id: Uuid) -> Result<Document> {
    Ok(visible_document(uow, id).await?.0)
}

/// Signs a document for a role with the signer's typed full name, recording the time and
/// `ip_address`. The learner signs as learner, someone with the employer role at the
/// learner's employer as employer, the learner's assessor as assessor; anyone else gets
/// 403 saying why. A role the document does not need, or an empty name, is 422; a role
/// already signed, or a withdrawn document, is a conflict.
pub async fn sign(
    uow: &mut UnitOfWork,
    id: Uuid,
    role: SignerRole,
    typed_name: &str,
    ip_address: Option<String>,
) -> Result<DocumentView> {
    let (d, enrolment) = locked_document(uow, id).await?;
    let facts = signer_facts(uow, &enrolment).await?;
    check_may_sign(role, facts).map_err(|e| Error::ForbiddenBecause(e.0))?;
    let mut fields = Fields::default();
    let typed_name = fields.check("typed_name", parse_typed_name(typed_name));
    fields.require(
        "role",
        roles_of(&d.required_roles)?.contains(&role),
        "this document does not need a signature for this role",
    );
    fields.finish()?;
    let typed_name = checked(typed_name)?;
    if d.withdrawn_at.is_some() {
        return Err(Error::Conflict {
            field: None,
            detail: "the document was withdrawn and can no longer be signed".into(),
        });
    }
    let existing = queries::signatures(&mut uow.tx, &[d.id]).await?;
    if existing.iter().any(|s| s.role == role.as_str()) {
        return Err(Error::Conflict {
            field: Some("role".into()),
            detail: format!("this document is already signed as {role}"),
        });
    }
    let user = uow.principal.user_id;
    queries::insert_signature(
        &mut uow.tx,
        &NewSignature {
            document_id: d.id,
            role: role.as_str(),
            signed_by: user,
            typed_name: &typed_name,
            ip_address: ip_address.clone(),
        },
    )
    .await?;
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "role": role.as_str(),
        "typed_name": typed_name,
        "ip_address": ip_address,
    });
    uow.audit("document.sign", "document", d.id, details)
        .await?;
    one_view(uow, d.id).await
}

/// Withdraws a document that is not yet fully signed (admins and the learner's assessor):
/// it stays on record, marked withdrawn, and can no longer be signed. A fully signed or
/// already withdrawn document is a conflict.
pub async fn withdraw(uow: &mut UnitOfWork, id: Uuid) -> Result<DocumentView> {
    let (d, enrolment) = locked_document(uow, id).await?;
    if !uow.principal.manages(&enrolment) {
        return Err(Error::Forbidden);
    }
    let current = one_view(uow, d.id).await?;
    if current.withdrawn() {
        return Err(Error::Conflict {
            field: None,
            detail: "the document is already withdrawn".into(),
        });
    }
    if current.fully_signed {
        return Err(Error::Conflict {
            field: None,
            detail: "the document is fully signed and cannot be withdrawn".into(),
        });
    }
    let user = uow.principal.user_id;
    queries::withdraw(&mut uow.tx, d.id, user).await?;
    let signed: Vec<&str> = current
        .signatures
        .iter()
        .filter(|s| s.signature.is_some())
        .map(|s| s.role.as_str())
        .collect();
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "title": d.title,
        "signed_roles": signed,
    });
    uow.audit("document.withdraw", "document", d.id, details)
        .await?;
    one_view(uow, d.id).await
}

/// What the caller still has to sign (the "New Docs to Sign" badge): documents not
/// withdrawn that need their signature as learner (their own), as employer (their
/// organisation's learners) or as assessor (their caseload), oldest first.
pub async fn to_sign(uow: &mut UnitOfWork) -> Result<Vec<ToSign>> {
    to_sign_of(uow, None).await
}

/// What the caller still has to sign of one learner's documents (the overview's "for you
/// to sign"), as [`to_sign`] (404 if they cannot see the enrolment).
pub async fn to_sign_on(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Vec<ToSign>> {
    uow.visible_enrolment(enrolment_id).await?;
    to_sign_of(uow, Some(enrolment_id)).await
}

async fn to_sign_of(uow: &mut UnitOfWork, enrolment_id: Option<Uuid>) -> Result<Vec<ToSign>> {
    let p = &uow.principal;
    let who = Signer {
        user_id: p.user_id,
        as_learner: p.has(Role::Learner),
        as_employer: p.has(Role::Employer),
        as_assessor: p.has(Role::Assessor),
        enrolment_id,
    };
    let rows = queries::to_sign(&mut uow.tx, &who).await?;
    let mut roles = Vec::with_capacity(rows.len());
    let mut docs = Vec::with_capacity(rows.len());
    for row in rows {
        roles.push(roles_of(&row.roles_to_sign)?);
        docs.push(row.document);
    }
    let items = views(&mut uow.tx, &uow.principal, docs).await?;
    Ok(items
        .into_iter()
        .zip(roles)
        .map(|(document, roles_to_sign)| ToSign {
            document,
            roles_to_sign,
        })
        .collect())
}
