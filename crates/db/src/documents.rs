//! Documents to sign: the file sent, one document per enrolment it was sent to, the roles
//! each must be signed by, and the signatures.
//!
//! Who may see or change a document is decided by its enrolment, through
//! [`crate::enrolments::get_visible`]; nothing here checks it, except the list of what a
//! person still has to sign, which is itself a relationship query.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::users::found;
use crate::{DbResult, TenantTx};

/// A document sent to one learner, with its file and the roles that must sign it.
#[derive(Debug, Clone, FromRow)]
pub struct Document {
    /// Its id.
    pub id: Uuid,
    /// The enrolment it was sent to.
    pub enrolment_id: Uuid,
    /// The enrolment's learner.
    pub learner_id: Uuid,
    /// Their name.
    pub learner_name: String,
    /// Title.
    pub title: String,
    /// The sender's message.
    pub message: Option<String>,
    /// The stored file (shared by the documents of one send).
    pub file_id: Uuid,
    /// Where the file is stored.
    pub storage_key: String,
    /// The file's name as uploaded (cleaned).
    pub file_name: String,
    /// Its declared media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of its content.
    pub sha256: Vec<u8>,
    /// Who sent it.
    pub sent_by: Uuid,
    /// When.
    pub sent_at: DateTime<Utc>,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Who withdrew it.
    pub withdrawn_by: Option<Uuid>,
    /// The roles that must sign it (role names).
    pub required_roles: Vec<String>,
}

const SELECT: &str = "select d.id, d.enrolment_id, e.learner_id, l.name as learner_name,
        d.title, d.message, d.file_id, f.storage_key, f.file_name, f.content_type,
        f.size_bytes, f.sha256, d.sent_by, d.sent_at, d.withdrawn_at, d.withdrawn_by,
        array(select s.role from document_signers s
              where s.tenant_id = d.tenant_id and s.document_id = d.id
              order by s.role) as required_roles
    from documents d
    join document_files f on f.tenant_id = d.tenant_id and f.id = d.file_id
    join enrolments e on e.tenant_id = d.tenant_id and e.id = d.enrolment_id
    join users l on l.tenant_id = e.tenant_id and l.id = e.learner_id";

/// A signature on a document.
#[derive(Debug, Clone, FromRow)]
pub struct Signature {
    /// The document.
    pub document_id: Uuid,
    /// The role signed for (role name).
    pub role: String,
    /// Who signed.
    pub signed_by: Uuid,
    /// The name they typed.
    pub typed_name: String,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// The client's IP address, if known.
    pub ip_address: Option<String>,
}

/// A file to record (already stored under `storage_key`).
#[derive(Debug)]
pub struct NewFile<'a> {
    /// New id.
    pub id: Uuid,
    /// Storage key.
    pub storage_key: &'a str,
    /// File name.
    pub file_name: &'a str,
    /// Media type.
    pub content_type: &'a str,
    /// Size.
    pub size_bytes: i64,
    /// SHA-256.
    pub sha256: &'a [u8],
    /// Uploader.
    pub uploaded_by: Uuid,
}

/// Records a stored file.
pub async fn insert_file(tx: &mut TenantTx, f: &NewFile<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into document_files (tenant_id, id, storage_key, file_name, content_type,
            size_bytes, sha256, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant.0)
    .bind(f.id)
    .bind(f.storage_key)
    .bind(f.file_name)
    .bind(f.content_type)
    .bind(f.size_bytes)
    .bind(f.sha256)
    .bind(f.uploaded_by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A document to send to one enrolment.
#[derive(Debug)]
pub struct NewDocument<'a> {
    /// New id.
    pub id: Uuid,
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// The file.
    pub file_id: Uuid,
    /// Title.
    pub title: &'a str,
    /// Message.
    pub message: Option<&'a str>,
    /// The roles that must sign (role names, at least one).
    pub required_roles: &'a [&'a str],
    /// Sender.
    pub sent_by: Uuid,
}

/// Sends a document: its row and its required signers.
pub async fn insert(tx: &mut TenantTx, d: &NewDocument<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into documents (tenant_id, id, enrolment_id, file_id, title, message, sent_by)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant.0)
    .bind(d.id)
    .bind(d.enrolment_id)
    .bind(d.file_id)
    .bind(d.title)
    .bind(d.message)
    .bind(d.sent_by)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into document_signers (tenant_id, document_id, role)
         select $1, $2, r from unnest($3::text[]) as r",
    )
    .bind(tenant.0)
    .bind(d.id)
    .bind(d.required_roles)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One document by id; [`crate::DbError::NotFound`] if there is none in this tenant.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<Document> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where d.tenant_id = $1 and d.id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// An enrolment's documents, newest first; withdrawn ones only if asked for.
pub async fn list_for_enrolment(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    include_withdrawn: bool,
) -> DbResult<Vec<Document>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where d.tenant_id = $1 and d.enrolment_id = $2
            and ($3 or d.withdrawn_at is null)
         order by d.sent_at desc, d.id desc"
    )))
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(include_withdrawn)
    .fetch_all(tx.conn())
    .await?)
}

/// The signatures on these documents.
pub async fn signatures(tx: &mut TenantTx, document_ids: &[Uuid]) -> DbResult<Vec<Signature>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select document_id, role, signed_by, typed_name, signed_at,
            host(ip_address) as ip_address
         from document_signatures
         where tenant_id = $1 and document_id = any($2)
         order by signed_at, id",
    )
    .bind(tenant.0)
    .bind(document_ids)
    .fetch_all(tx.conn())
    .await?)
}

/// A signature to record.
#[derive(Debug)]
pub struct NewSignature<'a> {
    /// The document.
    pub document_id: Uuid,
    /// The role signed for (role name).
    pub role: &'a str,
    /// Who signs.
    pub signed_by: Uuid,
    /// The name they typed.
    pub typed_name: &'a str,
    /// The client's IP address, if known.
    pub ip_address: Option<String>,
}

/// Records a signature. A role already signed fails with the constraint
/// `document_signatures_role_key`, a role the document does not require with
/// `document_signatures_signer_fkey`.
pub async fn insert_signature(tx: &mut TenantTx, s: &NewSignature<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into document_signatures (tenant_id, id, document_id, role, signed_by,
            typed_name, ip_address)
         values ($1, $2, $3, $4, $5, $6, $7::inet)",
    )
    .bind(tenant.0)
    .bind(Uuid::now_v7())
    .bind(s.document_id)
    .bind(s.role)
    .bind(s.signed_by)
    .bind(s.typed_name)
    .bind(s.ip_address.as_deref())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Withdraws a document, by `by`. A fully signed document is refused by the database
/// (constraint `documents_fully_signed`).
pub async fn withdraw(tx: &mut TenantTx, id: Uuid, by: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update documents set withdrawn_at = now(), withdrawn_by = $3
         where tenant_id = $1 and id = $2 and withdrawn_at is null",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(by)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// Who is asking what they still have to sign, and through which roles.
#[derive(Debug, Clone, Copy)]
pub struct Signer {
    /// The person.
    pub user_id: Uuid,
    /// They hold the learner role (sign as learner on their own enrolments).
    pub as_learner: bool,
    /// They hold the employer role (sign as employer for their organisation's learners).
    pub as_employer: bool,
    /// They hold the assessor role (sign as assessor on their caseload).
    pub as_assessor: bool,
    /// Only the documents of this enrolment.
    pub enrolment_id: Option<Uuid>,
}

/// A document someone still has to sign, with the roles they sign it for.
#[derive(Debug, Clone, FromRow)]
pub struct ToSign {
    /// The document.
    #[sqlx(flatten)]
    pub document: Document,
    /// The roles, among those still unsigned, the person signs it for.
    pub roles_to_sign: Vec<String>,
}

/// Documents not withdrawn that still need the signer's signature, oldest first: as
/// learner on their own enrolments, as employer on enrolments at their employer
/// organisation, as assessor on enrolments they assess.
pub async fn to_sign(tx: &mut TenantTx, who: &Signer) -> DbResult<Vec<ToSign>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select q.*, t.roles_to_sign
         from (select s.document_id, array_agg(s.role order by s.role) as roles_to_sign
               from document_signers s
               join documents d on d.tenant_id = s.tenant_id and d.id = s.document_id
               join enrolments e on e.tenant_id = d.tenant_id and e.id = d.enrolment_id
               where s.tenant_id = $1 and d.withdrawn_at is null
                 and ($6::uuid is null or d.enrolment_id = $6)
                 and not exists (select 1 from document_signatures g
                                 where g.tenant_id = s.tenant_id
                                   and g.document_id = s.document_id and g.role = s.role)
                 and ((s.role = 'learner' and $3 and e.learner_id = $2)
                   or (s.role = 'employer' and $4 and e.employer_id =
                       (select v.employer_id from users v where v.tenant_id = $1 and v.id = $2))
                   or (s.role = 'assessor' and $5 and e.assessor_id = $2))
               group by s.document_id) t
         join ({SELECT} where d.tenant_id = $1) q on q.id = t.document_id
         order by q.sent_at, q.id"
    )))
    .bind(tenant.0)
    .bind(who.user_id)
    .bind(who.as_learner)
    .bind(who.as_employer)
    .bind(who.as_assessor)
    .bind(who.enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}
