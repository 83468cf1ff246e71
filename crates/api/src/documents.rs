//! Documents to sign ("New Docs to Sign"): staff send a file to one or more learners naming
//! the roles that must sign it; each required role signs once with a typed name (the time
//! and the client's IP address are recorded); a badge counts what a person still has to
//! sign; a fully signed document is final.
//!
//! Adapters over `folio_app::documents`, where who may send, see, sign and withdraw them
//! is written.
//!
//! The client's IP address is the TCP peer's as poem reports it: no proxy header is
//! trusted, since nothing in Folio's deployment establishes which proxies to trust.

use chrono::{DateTime, Utc};
use folio_app::documents::{self, DocumentView, SignatureState as State};
use folio_domain::documents::SignerRole;
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
use crate::principal::Credentials;
use crate::problem::{ApiResult, AppError, Fields};
use crate::request_context::caller_ip;

#[derive(Tags)]
enum DocumentsTag {
    /// Documents sent to learners for signature.
    Documents,
}

/// `/api/v1/documents…`, `/api/v1/enrolments/{id}/documents` and
/// `/api/v1/me/documents-to-sign`.
pub struct DocumentsApi(pub AppState);

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

impl From<State> for SignatureState {
    fn from(s: State) -> Self {
        let signature = s.signature;
        Self {
            role: s.role.into(),
            signed: signature.is_some(),
            signed_by: signature.as_ref().map(|s| s.signed_by),
            typed_name: signature.as_ref().map(|s| s.typed_name.clone()),
            signed_at: signature.as_ref().map(|s| s.signed_at),
            ip_address: signature.and_then(|s| s.ip_address),
        }
    }
}

impl From<DocumentView> for DocumentBody {
    fn from(v: DocumentView) -> Self {
        let withdrawn = v.withdrawn();
        let d = v.document;
        Self {
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
            required_roles: v.required_roles.into_iter().map(Into::into).collect(),
            signatures: v.signatures.into_iter().map(Into::into).collect(),
            fully_signed: v.fully_signed,
            withdrawn,
            withdrawn_at: d.withdrawn_at,
            withdrawn_by: d.withdrawn_by,
        }
    }
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
        let uow = self.0.authenticate(&credentials).await?;
        let permit = documents::permit_send(uow).await?;
        let parts = form
            .within(permit.max_bytes())?
            .read_until_file("file")
            .await?;
        let mut fields = Fields::default();
        let sending = permit.check_send(&parts.fields, parts.file.is_some(), &mut fields);
        fields.finish()?;
        let (Some(sending), Some(file)) = (sending, parts.file) else {
            return Err(AppError::Internal("validated form parts missing".into()).into());
        };
        let items = permit
            .send(&self.0.db, &self.0.storage, sending, incoming(file))
            .await?;
        Ok(Sent::Created(Json(SentDocuments {
            items: items.into_iter().map(Into::into).collect(),
        })))
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let list = documents::list(&mut uow, id.0, include_withdrawn.0.unwrap_or(false)).await?;
        uow.commit().await?;
        Ok(Json(DocumentList {
            items: list.items.into_iter().map(Into::into).collect(),
            awaiting_signature: list.awaiting_signature,
        }))
    }

    /// One document with its signature state.
    #[oai(path = "/documents/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<DocumentBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let document = documents::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(document.into()))
    }

    /// Download a document's file (streamed; served as an attachment), for whoever may
    /// see it.
    #[oai(path = "/documents/:id/file", method = "get")]
    async fn download(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<FileResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let d = documents::file(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(attachment(&self.0, &d.storage_key, &d.file_name, d.size_bytes).await?)
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
        let req = body.0;
        let mut uow = self.0.authenticate(&credentials).await?;
        let document = documents::sign(
            &mut uow,
            id.0,
            req.role.into(),
            &req.typed_name,
            caller_ip(http).map(|ip| ip.to_string()),
        )
        .await?;
        uow.commit().await?;
        Ok(Signed::Created(Json(document.into())))
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let document = documents::withdraw(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(document.into()))
    }

    /// What I still have to sign (the "New Docs to Sign" badge): documents not withdrawn
    /// that need my signature as learner (my own), as employer (my organisation's
    /// learners) or as assessor (my caseload), oldest first, and how many.
    #[oai(path = "/me/documents-to-sign", method = "get")]
    async fn to_sign(&self, credentials: Credentials) -> ApiResult<Json<ToSignList>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let rows = documents::to_sign(&mut uow).await?;
        uow.commit().await?;
        let items: Vec<ToSignItem> = rows
            .into_iter()
            .map(|row| ToSignItem {
                document: row.document.into(),
                roles_to_sign: row.roles_to_sign.into_iter().map(Into::into).collect(),
            })
            .collect();
        Ok(Json(ToSignList {
            count: u32::try_from(items.len()).unwrap_or(u32::MAX),
            items,
        }))
    }
}
