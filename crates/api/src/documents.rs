//! Documents to sign ("New Docs to Sign"): staff send a file to one or more learners naming
//! the roles that must sign it; each required role signs once with a typed name (the time
//! and the client's IP address are recorded); a badge counts what a person still has to
//! sign; a fully signed document is final.
//!
//! Visibility is the enrolment's: every endpoint loads it through
//! `Authenticated::visible_enrolment`, so whoever cannot see the enrolment (another
//! learner, another caseload, another organisation) gets 404, for a document as for the
//! enrolment itself. Documents are sent and withdrawn by staff who manage the enrolment
//! (admins, its assessor); everyone else who sees it (IQA, auditor, employer, learner)
//! gets 403. Who signs for a role is `folio_domain::documents::check_may_sign`.
//!
//! The client's IP address is the TCP peer's as poem reports it: no proxy header is
//! trusted, since nothing in Folio's deployment establishes which proxies to trust.

use chrono::{DateTime, Utc};
use folio_db::audit::{self, Event};
use folio_db::documents::{
    self as queries, Document, NewDocument, NewFile, NewSignature, Signature, Signer,
};
use folio_db::enrolments::{self, Enrolment};
use folio_db::{TenantTx, settings, users};
use folio_domain::Role;
use folio_domain::documents::{
    SignerFacts, SignerRole, check_may_sign, is_fully_signed, parse_signer_roles, parse_typed_name,
};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Enum, Multipart, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::evidence::{FileResponse, attachment};
use crate::form::{StreamingForm, incoming};
use crate::json_body::JsonBody;
use folio_app::Principal;
use folio_app::files::{Stored, store_then_record, text};

use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiError, ApiResult, AppError, AppResult, Fields, checked};
use crate::request_context::caller_ip;

#[derive(Tags)]
enum DocumentsTag {
    /// Documents sent to learners for signature.
    Documents,
}

/// `/api/v1/documents…`, `/api/v1/enrolments/{id}/documents` and
/// `/api/v1/me/documents-to-sign`.
pub struct DocumentsApi(pub AppState);

/// The longest title.
const MAX_TITLE_CHARS: usize = 200;
/// The longest message.
const MAX_MESSAGE_CHARS: usize = 5000;
/// The most learners one send reaches.
const MAX_RECIPIENTS: usize = 500;

/// Send form (send the file as the last part).
#[derive(Multipart)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; parsing streams instead.
struct SendForm {
    /// The enrolments (learners) to send it to, separated by commas: one document each,
    /// at most 500. The sender must manage every one.
    enrolment_ids: String,
    /// The roles that must sign, separated by commas: any of `learner`, `employer`,
    /// `assessor` (at least one).
    roles: String,
    /// Title, 1–200 characters.
    title: String,
    /// A message to the signers, at most 5000 characters.
    message: Option<String>,
    /// The document (any type); must be the last part.
    file: Upload,
}

/// A role that signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum SignerRoleName {
    /// The learner themself.
    Learner,
    /// Someone with the employer role at the learner's employer.
    Employer,
    /// The learner's assessor.
    Assessor,
}

impl From<SignerRoleName> for SignerRole {
    fn from(r: SignerRoleName) -> Self {
        match r {
            SignerRoleName::Learner => SignerRole::Learner,
            SignerRoleName::Employer => SignerRole::Employer,
            SignerRoleName::Assessor => SignerRole::Assessor,
        }
    }
}

impl From<SignerRole> for SignerRoleName {
    fn from(r: SignerRole) -> Self {
        match r {
            SignerRole::Learner => SignerRoleName::Learner,
            SignerRole::Employer => SignerRoleName::Employer,
            SignerRole::Assessor => SignerRoleName::Assessor,
        }
    }
}

/// One required role and whether (and how) it has signed.
#[derive(Debug, Object)]
struct SignatureState {
    /// The role.
    role: SignerRoleName,
    /// It has signed.
    signed: bool,
    /// Who signed.
    signed_by: Option<Uuid>,
    /// The full name they typed.
    typed_name: Option<String>,
    /// When.
    signed_at: Option<DateTime<Utc>>,
    /// The client's IP address when they signed (shown to staff only).
    ip_address: Option<String>,
}

/// A document sent to a learner for signature.
#[derive(Debug, Object)]
struct DocumentBody {
    /// Id.
    id: Uuid,
    /// The enrolment.
    enrolment_id: Uuid,
    /// The learner.
    learner_id: Uuid,
    /// Their name.
    learner_name: String,
    /// Title.
    title: String,
    /// The sender's message.
    message: Option<String>,
    /// File name.
    file_name: String,
    /// Declared media type.
    content_type: String,
    /// Size in bytes.
    size_bytes: i64,
    /// SHA-256 (hex).
    sha256: String,
    /// Who sent it.
    sent_by: Uuid,
    /// When.
    sent_at: DateTime<Utc>,
    /// The roles that must sign.
    required_roles: Vec<SignerRoleName>,
    /// Each required role's signature state, learner, employer, assessor.
    signatures: Vec<SignatureState>,
    /// Every required role has signed: the document is final.
    fully_signed: bool,
    /// Withdrawn by its sender or a manager.
    withdrawn: bool,
    /// When it was withdrawn.
    withdrawn_at: Option<DateTime<Utc>>,
    /// Who withdrew it.
    withdrawn_by: Option<Uuid>,
}

/// The documents created by one send, one per enrolment.
#[derive(Debug, Object)]
struct SentDocuments {
    /// In the order the enrolments were named.
    items: Vec<DocumentBody>,
}

/// A learner's documents.
#[derive(Debug, Object)]
struct DocumentList {
    /// Newest first.
    items: Vec<DocumentBody>,
    /// How many of them (not withdrawn) still wait for a signature.
    awaiting_signature: u32,
}

/// A document I still have to sign.
#[derive(Debug, Object)]
struct ToSignItem {
    /// The document.
    document: DocumentBody,
    /// The roles I sign it for.
    roles_to_sign: Vec<SignerRoleName>,
}

/// What I still have to sign: the "New Docs to Sign" badge.
#[derive(Debug, Object)]
struct ToSignList {
    /// How many documents.
    count: u32,
    /// Oldest first.
    items: Vec<ToSignItem>,
}

/// A signature.
#[derive(Debug, Object, Deserialize)]
struct SignRequest {
    /// The role I sign for.
    role: SignerRoleName,
    /// My full name, typed: 1–200 characters.
    typed_name: String,
}

#[derive(ApiResponse)]
enum Sent {
    /// Sent.
    #[oai(status = 201)]
    Created(Json<SentDocuments>),
}

#[derive(ApiResponse)]
enum Signed {
    /// Signed; the document as it now is.
    #[oai(status = 201)]
    Created(Json<DocumentBody>),
}

/// Whether the caller's roles could let them send documents at all (admins, assessors);
/// which enrolments they may send to is [`Principal::manages`].
fn may_send(roles: &[Role]) -> bool {
    roles.contains(&Role::Admin) || roles.contains(&Role::Assessor)
}

/// Staff see the IP addresses signatures were made from.
fn sees_addresses(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::Admin | Role::Assessor | Role::Iqa | Role::Auditor))
}

fn role_of(name: &str) -> AppResult<SignerRole> {
    name.parse()
        .map_err(|_| AppError::Internal(format!("unknown signer role `{name}`")))
}

fn required_roles(d: &Document) -> AppResult<Vec<SignerRole>> {
    let mut roles = d
        .required_roles
        .iter()
        .map(|r| role_of(r))
        .collect::<AppResult<Vec<_>>>()?;
    roles.sort();
    Ok(roles)
}

fn document_body(
    d: Document,
    signatures: &[Signature],
    show_addresses: bool,
) -> AppResult<DocumentBody> {
    let required = required_roles(&d)?;
    let mine: Vec<&Signature> = signatures
        .iter()
        .filter(|s| s.document_id == d.id)
        .collect();
    let mut signed = Vec::new();
    let mut states = Vec::new();
    for role in &required {
        let s = mine.iter().find(|s| s.role == role.as_str());
        if s.is_some() {
            signed.push(*role);
        }
        states.push(SignatureState {
            role: (*role).into(),
            signed: s.is_some(),
            signed_by: s.map(|s| s.signed_by),
            typed_name: s.map(|s| s.typed_name.clone()),
            signed_at: s.map(|s| s.signed_at),
            ip_address: s
                .filter(|_| show_addresses)
                .and_then(|s| s.ip_address.clone()),
        });
    }
    Ok(DocumentBody {
        id: d.id,
        enrolment_id: d.enrolment_id,
        learner_id: d.learner_id,
        learner_name: d.learner_name,
        title: d.title,
        message: d.message,
        file_name: d.file_name,
        content_type: d.content_type,
        size_bytes: d.size_bytes,
        sha256: hex::encode(&d.sha256),
        sent_by: d.sent_by,
        sent_at: d.sent_at,
        fully_signed: is_fully_signed(&required, &signed),
        required_roles: required.into_iter().map(Into::into).collect(),
        signatures: states,
        withdrawn: d.withdrawn_at.is_some(),
        withdrawn_at: d.withdrawn_at,
        withdrawn_by: d.withdrawn_by,
    })
}

/// The documents with their signatures, as `principal` may see them.
async fn bodies(
    tx: &mut TenantTx,
    principal: &Principal,
    docs: Vec<Document>,
) -> AppResult<Vec<DocumentBody>> {
    let ids: Vec<Uuid> = docs.iter().map(|d| d.id).collect();
    let signatures = queries::signatures(tx, &ids).await?;
    let show = sees_addresses(&principal.roles);
    docs.into_iter()
        .map(|d| document_body(d, &signatures, show))
        .collect()
}

async fn one_body(authed: &mut Authenticated, id: Uuid) -> AppResult<DocumentBody> {
    let d = queries::get(&mut authed.tx, id).await?;
    let mut items = bodies(&mut authed.tx, &authed.principal, vec![d]).await?;
    items
        .pop()
        .ok_or_else(|| AppError::Internal("document vanished".into()))
}

/// A document and its enrolment, if the caller may see them (404 otherwise).
async fn visible_document(
    authed: &mut Authenticated,
    id: Uuid,
) -> AppResult<(Document, Enrolment)> {
    let d = queries::get(&mut authed.tx, id).await?;
    let enrolment = authed.visible_enrolment(d.enrolment_id).await?;
    Ok((d, enrolment.into_inner()))
}

/// A document for a change: its enrolment locked (so signing and withdrawing one
/// learner's documents happen one after another) and visible (404 otherwise), the
/// document read again under the lock.
async fn locked_document(authed: &mut Authenticated, id: Uuid) -> AppResult<(Document, Enrolment)> {
    let enrolment_id = queries::get(&mut authed.tx, id).await?.enrolment_id;
    enrolments::lock(&mut authed.tx, enrolment_id).await?;
    let enrolment = authed.visible_enrolment(enrolment_id).await?;
    Ok((
        queries::get(&mut authed.tx, id).await?,
        enrolment.into_inner(),
    ))
}

/// The enrolments named, each visible to (404) and managed by (403) the sender.
async fn recipients(
    tx: &mut TenantTx,
    principal: &Principal,
    ids: &[Uuid],
) -> AppResult<Vec<Enrolment>> {
    let viewer = principal.viewer();
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let enrolment = enrolments::get_visible(tx, &viewer, *id).await?;
        if !principal.manages(&enrolment) {
            return Err(AppError::Forbidden);
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
async fn signer_facts(authed: &mut Authenticated, enrolment: &Enrolment) -> AppResult<SignerFacts> {
    let p = &authed.principal;
    let is_employer = p.roles.contains(&Role::Employer);
    let is_its_learner = p.is_learner_of(enrolment);
    let is_its_assessor =
        p.roles.contains(&Role::Assessor) && enrolment.assessor_id == Some(p.user_id);
    let user = p.user_id;
    let works_for_its_employer = match enrolment.employer_id {
        Some(employer) if is_employer => {
            users::employer_of(&mut authed.tx, user).await? == Some(employer)
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

#[OpenApi(prefix_path = "/api/v1", tag = "DocumentsTag::Documents")]
impl DocumentsApi {
    /// Send a document to one or more learners for signature (admins, and assessors to
    /// their own learners): one document per enrolment named, all sharing the one file.
    /// Multipart form; the file must be the last part. Over the organisation's size limit
    /// (413), empty or invalid (422), or naming an enrolment the sender cannot see (404)
    /// or does not manage (403), nothing is stored.
    #[oai(path = "/documents", method = "post")]
    async fn send(
        &self,
        credentials: Credentials,
        form: StreamingForm<SendForm>,
    ) -> ApiResult<Sent> {
        // Checks first, in a short transaction: no connection is held while bytes arrive.
        let mut authed = self.0.authenticate(&credentials).await?;
        if !may_send(&authed.principal.roles) {
            return Err(AppError::Forbidden.into());
        }
        let limits = settings::get(&mut authed.tx).await?;
        authed.tx.commit().await?;
        let principal = authed.principal;

        let parts = form.read_until_file("file").await?;
        let mut fields = Fields::default();
        let ids = enrolment_ids(&mut fields, parts.fields.get("enrolment_ids"));
        let roles = match parts.fields.get("roles") {
            Some(raw) => fields.check("roles", parse_signer_roles(raw)),
            None => {
                fields.add("roles", "is required");
                None
            }
        };
        let title = text(&mut fields, &parts.fields, "title", MAX_TITLE_CHARS, true);
        let message = text(
            &mut fields,
            &parts.fields,
            "message",
            MAX_MESSAGE_CHARS,
            false,
        );
        parts.check_file(&mut fields);
        fields.finish()?;
        let (Some(roles), Some(title), Some(file)) = (roles, title, parts.file) else {
            return Err(AppError::Internal("validated form parts missing".into()).into());
        };

        // Every recipient before any byte is stored.
        let mut tx = self.0.db.begin_tenant(principal.tenant).await?;
        recipients(&mut tx, &principal, &ids).await?;
        tx.commit().await?;

        let file_id = Uuid::now_v7();
        let key = format!("tenants/{}/documents/{file_id}", principal.tenant);
        let role_names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let (db, storage) = (&self.0.db, &self.0.storage);
        let max = limits.evidence_max_bytes;
        let items = store_then_record(
            db,
            storage,
            principal.tenant,
            key,
            incoming(file),
            max,
            async |tx: &mut TenantTx, stored: &Stored| {
                // Still allowed now that the bytes have arrived?
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
                        Event {
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
                bodies(tx, &principal, docs).await
            },
        )
        .await?;
        Ok(Sent::Created(Json(SentDocuments { items })))
    }

    /// A learner's documents to sign, newest first, each with every required role's
    /// signature state and `fully_signed`; withdrawn ones only with `include_withdrawn`.
    #[oai(path = "/enrolments/:id/documents", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        /// Also list withdrawn documents (default false).
        include_withdrawn: Query<Option<bool>>,
    ) -> ApiResult<Json<DocumentList>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = authed.visible_enrolment(id.0).await?;
        let docs = queries::list_for_enrolment(
            &mut authed.tx,
            enrolment.id,
            include_withdrawn.0.unwrap_or(false),
        )
        .await?;
        let items = bodies(&mut authed.tx, &authed.principal, docs).await?;
        authed.tx.commit().await?;
        let awaiting = items
            .iter()
            .filter(|d| !d.withdrawn && !d.fully_signed)
            .count();
        Ok(Json(DocumentList {
            items,
            awaiting_signature: u32::try_from(awaiting).unwrap_or(u32::MAX),
        }))
    }

    /// One document with its signature state.
    #[oai(path = "/documents/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<DocumentBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        visible_document(&mut authed, id.0).await?;
        let body = one_body(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(body))
    }

    /// Download a document's file (streamed; served as an attachment), for whoever may
    /// see it.
    #[oai(path = "/documents/:id/file", method = "get")]
    async fn download(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<FileResponse> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (d, _) = visible_document(&mut authed, id.0).await?;
        authed.tx.commit().await?;
        attachment(&self.0, &d.storage_key, &d.file_name, d.size_bytes)
            .await
            .map_err(ApiError::from)
    }

    /// Sign a document for a role, typing my full name; the time and my IP address are
    /// recorded. The learner signs as `learner`, someone with the employer role at the
    /// learner's employer as `employer`, the learner's assessor as `assessor`; anyone else
    /// gets 403 saying why. A role the document does not need, or an empty name, is 422;
    /// a role already signed, or a withdrawn document, is 409.
    #[oai(path = "/documents/:id/signatures", method = "post")]
    async fn sign(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        http: &poem::Request,
        body: JsonBody<SignRequest>,
    ) -> ApiResult<Signed> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (d, enrolment) = locked_document(&mut authed, id.0).await?;
        let req = body.0;
        let role = SignerRole::from(req.role);
        let facts = signer_facts(&mut authed, &enrolment).await?;
        check_may_sign(role, facts).map_err(|e| AppError::ForbiddenBecause(e.0))?;
        let mut fields = Fields::default();
        let typed_name = fields.check("typed_name", parse_typed_name(&req.typed_name));
        fields.require(
            "role",
            required_roles(&d)?.contains(&role),
            "this document does not need a signature for this role",
        );
        fields.finish()?;
        let typed_name = checked(typed_name)?;
        if d.withdrawn_at.is_some() {
            return Err(AppError::Conflict {
                field: None,
                detail: "the document was withdrawn and can no longer be signed".into(),
            }
            .into());
        }
        let existing = queries::signatures(&mut authed.tx, &[d.id]).await?;
        if existing.iter().any(|s| s.role == role.as_str()) {
            return Err(AppError::Conflict {
                field: Some("role".into()),
                detail: format!("this document is already signed as {role}"),
            }
            .into());
        }
        let ip_address = caller_ip(http);
        let user = authed.principal.user_id;
        queries::insert_signature(
            &mut authed.tx,
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
        authed
            .audit("document.sign", "document", d.id, details)
            .await?;
        let body = one_body(&mut authed, d.id).await?;
        authed.tx.commit().await?;
        Ok(Signed::Created(Json(body)))
    }

    /// Withdraw a document that is not yet fully signed (admins and the learner's
    /// assessor): it stays on record, marked withdrawn, and can no longer be signed.
    /// A fully signed or already withdrawn document is 409.
    #[oai(path = "/documents/:id/withdraw", method = "post")]
    async fn withdraw(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<DocumentBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (d, enrolment) = locked_document(&mut authed, id.0).await?;
        if !authed.principal.manages(&enrolment) {
            return Err(AppError::Forbidden.into());
        }
        let current = one_body(&mut authed, d.id).await?;
        if current.withdrawn {
            return Err(AppError::Conflict {
                field: None,
                detail: "the document is already withdrawn".into(),
            }
            .into());
        }
        if current.fully_signed {
            return Err(AppError::Conflict {
                field: None,
                detail: "the document is fully signed and cannot be withdrawn".into(),
            }
            .into());
        }
        let user = authed.principal.user_id;
        queries::withdraw(&mut authed.tx, d.id, user).await?;
        let signed: Vec<&str> = current
            .signatures
            .iter()
            .filter(|s| s.signed)
            .map(|s| SignerRole::from(s.role).as_str())
            .collect();
        let details = serde_json::json!({
            "enrolment_id": enrolment.id,
            "title": d.title,
            "signed_roles": signed,
        });
        authed
            .audit("document.withdraw", "document", d.id, details)
            .await?;
        let body = one_body(&mut authed, d.id).await?;
        authed.tx.commit().await?;
        Ok(Json(body))
    }

    /// What I still have to sign (the "New Docs to Sign" badge): documents not withdrawn
    /// that need my signature as learner (my own), as employer (my organisation's
    /// learners) or as assessor (my caseload), oldest first, and how many.
    #[oai(path = "/me/documents-to-sign", method = "get")]
    async fn to_sign(&self, credentials: Credentials) -> ApiResult<Json<ToSignList>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let p = &authed.principal;
        let who = Signer {
            user_id: p.user_id,
            as_learner: p.roles.contains(&Role::Learner),
            as_employer: p.roles.contains(&Role::Employer),
            as_assessor: p.roles.contains(&Role::Assessor),
        };
        let rows = queries::to_sign(&mut authed.tx, &who).await?;
        let mut roles = Vec::with_capacity(rows.len());
        let mut docs = Vec::with_capacity(rows.len());
        for row in rows {
            let mut r = row
                .roles_to_sign
                .iter()
                .map(|n| role_of(n))
                .collect::<AppResult<Vec<_>>>()?;
            r.sort();
            roles.push(r);
            docs.push(row.document);
        }
        let items = bodies(&mut authed.tx, &authed.principal, docs).await?;
        authed.tx.commit().await?;
        let items: Vec<ToSignItem> = items
            .into_iter()
            .zip(roles)
            .map(|(document, r)| ToSignItem {
                document,
                roles_to_sign: r.into_iter().map(Into::into).collect(),
            })
            .collect();
        Ok(Json(ToSignList {
            count: u32::try_from(items.len()).unwrap_or(u32::MAX),
            items,
        }))
    }
}
