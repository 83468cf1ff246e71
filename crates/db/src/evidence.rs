//! The evidence library: evidence, its versions and returns; mapping to criteria and
//! sign-off; and the outbox rows its review cycle writes.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::users::found;
use crate::{DbResult, TenantTx};

/// A piece of evidence with its current (latest) version.
#[derive(Debug, Clone, FromRow)]
pub struct Evidence {
    /// Id.
    pub id: Uuid,
    /// The enrolment (portfolio) it belongs to.
    pub enrolment_id: Uuid,
    /// The component (aim) it was uploaded against.
    pub component_id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// The learner declared it their own work.
    pub declared_own_work: bool,
    /// The typed e-signature.
    pub signature_name: String,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
    /// `submitted`, `returned` or `resubmitted`.
    pub status: String,
    /// Who uploaded it (the learner, or staff on their behalf).
    pub uploaded_by: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The latest version number.
    pub current_version: i32,
    /// Its file name.
    pub file_name: String,
    /// Its size.
    pub size_bytes: i64,
    /// Its SHA-256.
    pub sha256: Vec<u8>,
    /// Criteria it is mapped to.
    pub criterion_ids: Vec<Uuid>,
    /// Other learners' evidence in this tenant with a byte-identical file.
    pub identical_evidence_ids: Vec<Uuid>,
}

const SELECT: &str = "select ev.id, ev.enrolment_id, ev.component_id, ev.title, ev.description,
        ev.declared_own_work, ev.signature_name, ev.signed_at, ev.status, ev.uploaded_by,
        ev.created_at, ev.updated_at, v.version as current_version, v.file_name, v.size_bytes, v.sha256,
        array(select m.criterion_id from criterion_mappings m
              where m.tenant_id = ev.tenant_id and m.evidence_id = ev.id order by m.criterion_id) as criterion_ids,
        array(select distinct other.id from evidence_versions ov
              join evidence other on other.tenant_id = ov.tenant_id and other.id = ov.evidence_id
              join enrolments oe on oe.tenant_id = other.tenant_id and oe.id = other.enrolment_id
              where ov.tenant_id = ev.tenant_id and ov.sha256 = v.sha256
                and oe.learner_id <> e.learner_id) as identical_evidence_ids
    from evidence ev
    join enrolments e on e.tenant_id = ev.tenant_id and e.id = ev.enrolment_id
    join lateral (select x.version, x.file_name, x.size_bytes, x.sha256 from evidence_versions x
                  where x.tenant_id = ev.tenant_id and x.evidence_id = ev.id
                  order by x.version desc limit 1) v on true";

/// A new piece of evidence (its first version is inserted with [`insert_version`]).
#[derive(Debug)]
pub struct NewEvidence<'a> {
    /// New id.
    pub id: Uuid,
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// The component.
    pub component_id: Uuid,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: Option<&'a str>,
    /// The typed e-signature.
    pub signature_name: &'a str,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
    /// Who uploaded it.
    pub uploaded_by: Uuid,
}

/// Inserts evidence.
pub async fn insert(tx: &mut TenantTx, e: &NewEvidence<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into evidence (tenant_id, id, enrolment_id, component_id, title, description,
            declared_own_work, signature_name, signed_at, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, true, $7, $8, $9)",
    )
    .bind(tenant.0)
    .bind(e.id)
    .bind(e.enrolment_id)
    .bind(e.component_id)
    .bind(e.title)
    .bind(e.description)
    .bind(e.signature_name)
    .bind(e.signed_at)
    .bind(e.uploaded_by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A stored file version.
#[derive(Debug, Clone, FromRow)]
pub struct Version {
    /// Id.
    pub id: Uuid,
    /// Number, from 1.
    pub version: i32,
    /// Where the file is stored.
    pub storage_key: String,
    /// The name it was uploaded with (cleaned).
    pub file_name: String,
    /// Its declared media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256.
    pub sha256: Vec<u8>,
    /// The learner's comment on a resubmission.
    pub comment: Option<String>,
    /// Who uploaded it.
    pub uploaded_by: Uuid,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// A PDF's page count, once the evidence viewer has counted them.
    pub pdf_pages: Option<i32>,
}

/// A version to insert.
#[derive(Debug)]
pub struct NewVersion<'a> {
    /// New id.
    pub id: Uuid,
    /// The evidence.
    pub evidence_id: Uuid,
    /// Its number.
    pub version: i32,
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
    /// Comment.
    pub comment: Option<&'a str>,
    /// Uploader.
    pub uploaded_by: Uuid,
}

/// Inserts a file version.
pub async fn insert_version(tx: &mut TenantTx, v: &NewVersion<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into evidence_versions (tenant_id, id, evidence_id, version, storage_key, file_name,
            content_type, size_bytes, sha256, comment, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant.0)
    .bind(v.id)
    .bind(v.evidence_id)
    .bind(v.version)
    .bind(v.storage_key)
    .bind(v.file_name)
    .bind(v.content_type)
    .bind(v.size_bytes)
    .bind(v.sha256)
    .bind(v.comment)
    .bind(v.uploaded_by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One piece of evidence.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<Evidence> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where ev.tenant_id = $1 and ev.id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// An enrolment's evidence, newest first.
pub async fn list_for_enrolment(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<Vec<Evidence>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where ev.tenant_id = $1 and ev.enrolment_id = $2 order by ev.id desc"
    )))
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_all(tx.conn())
    .await?)
}

/// How many of a learner's pieces of evidence were returned for changes and wait for the
/// learner's new version.
pub async fn count_returned(tx: &mut TenantTx, enrolment_id: Uuid) -> DbResult<i64> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select count(*) from evidence
         where tenant_id = $1 and enrolment_id = $2 and status = 'returned'",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Every version of a piece of evidence, oldest first.
pub async fn versions(tx: &mut TenantTx, evidence_id: Uuid) -> DbResult<Vec<Version>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, version, storage_key, file_name, content_type, size_bytes, sha256, comment, uploaded_by, uploaded_at,
                pdf_pages
         from evidence_versions where tenant_id = $1 and evidence_id = $2 order by version",
    )
    .bind(tenant.0)
    .bind(evidence_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Remembers a PDF version's page count (the first count stands: the file never changes).
pub async fn remember_pdf_pages(tx: &mut TenantTx, version_id: Uuid, pages: i32) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "update evidence_versions set pdf_pages = $3
         where tenant_id = $1 and id = $2 and pdf_pages is null",
    )
    .bind(tenant.0)
    .bind(version_id)
    .bind(pages)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Locks the evidence row (so two resubmissions cannot take the same number) and returns
/// the next version number.
pub async fn lock_next_version(tx: &mut TenantTx, evidence_id: Uuid) -> DbResult<i32> {
    let tenant = tx.tenant();
    sqlx::query("select 1 from evidence where tenant_id = $1 and id = $2 for update")
        .bind(tenant.0)
        .bind(evidence_id)
        .fetch_one(tx.conn())
        .await?;
    Ok(sqlx::query_scalar(
        "select coalesce(max(version), 0) + 1 from evidence_versions where tenant_id = $1 and evidence_id = $2",
    )
    .bind(tenant.0)
    .bind(evidence_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Sets the review status.
pub async fn set_status(tx: &mut TenantTx, id: Uuid, status: &str) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update evidence set status = $3, updated_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(status)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// An assessor's return with points for improvement.
#[derive(Debug, Clone, FromRow)]
pub struct Return {
    /// Id.
    pub id: Uuid,
    /// The version it was about.
    pub version: i32,
    /// Points for improvement.
    pub points: String,
    /// Who returned it.
    pub returned_by: Uuid,
    /// When.
    pub returned_at: DateTime<Utc>,
}

/// Records a return.
pub async fn insert_return(
    tx: &mut TenantTx,
    id: Uuid,
    evidence_id: Uuid,
    version: i32,
    points: &str,
    by: Uuid,
) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into evidence_returns (tenant_id, id, evidence_id, version, points, returned_by)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(evidence_id)
    .bind(version)
    .bind(points)
    .bind(by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A piece of evidence's returns, oldest first.
pub async fn returns(tx: &mut TenantTx, evidence_id: Uuid) -> DbResult<Vec<Return>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, version, points, returned_by, returned_at from evidence_returns
         where tenant_id = $1 and evidence_id = $2 order by returned_at, id",
    )
    .bind(tenant.0)
    .bind(evidence_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Of `criterion_ids`, those that are not criteria of the enrolment's units (mandatory
/// units of its course, and the optional units chosen for it).
pub async fn criteria_outside_learner_units(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    criterion_ids: &[Uuid],
) -> DbResult<Vec<Uuid>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select wanted.id from unnest($3::uuid[]) as wanted(id)
         where not exists (
             select 1 from criteria cr
             join units u on u.tenant_id = cr.tenant_id and u.id = cr.unit_id
             join components c on c.tenant_id = u.tenant_id and c.id = u.component_id
             join enrolments e on e.tenant_id = c.tenant_id and e.course_id = c.course_id
             where cr.tenant_id = $1 and cr.id = wanted.id and e.id = $2
               and (not u.optional or exists (
                   select 1 from enrolment_optional_units o
                   where o.tenant_id = e.tenant_id and o.enrolment_id = e.id and o.unit_id = u.id)))",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(criterion_ids)
    .fetch_all(tx.conn())
    .await?)
}

/// Of the criteria this evidence is mapped to, those not in `keep` that are signed off
/// for the enrolment (their evidence cannot be taken away without withdrawing the sign-off).
pub async fn signed_off_mappings_to_remove(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    evidence_id: Uuid,
    keep: &[Uuid],
) -> DbResult<Vec<Uuid>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select m.criterion_id from criterion_mappings m
         join criterion_sign_offs s on s.tenant_id = m.tenant_id and s.enrolment_id = m.enrolment_id
                                   and s.criterion_id = m.criterion_id
         where m.tenant_id = $1 and m.enrolment_id = $2 and m.evidence_id = $3
           and m.criterion_id <> all($4)
         order by m.criterion_id",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(evidence_id)
    .bind(keep)
    .fetch_all(tx.conn())
    .await?)
}

/// The codes of the criteria signed off for the enrolment that this evidence is mapped to:
/// what an assessor judged on it, which a new version must not quietly change.
pub async fn signed_off_criteria_codes(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    evidence_id: Uuid,
) -> DbResult<Vec<String>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select c.code from criterion_mappings m
         join criterion_sign_offs s on s.tenant_id = m.tenant_id and s.enrolment_id = m.enrolment_id
                                   and s.criterion_id = m.criterion_id
         join criteria c on c.tenant_id = m.tenant_id and c.id = m.criterion_id
         where m.tenant_id = $1 and m.enrolment_id = $2 and m.evidence_id = $3
         order by c.code",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(evidence_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Makes `criterion_ids` exactly the criteria this evidence is mapped to.
pub async fn set_mappings(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    evidence_id: Uuid,
    criterion_ids: &[Uuid],
    by: Uuid,
) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "delete from criterion_mappings
         where tenant_id = $1 and enrolment_id = $2 and evidence_id = $3 and criterion_id <> all($4)",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(evidence_id)
    .bind(criterion_ids)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into criterion_mappings (tenant_id, enrolment_id, criterion_id, evidence_id, mapped_by)
         select $1, $2, unnest($4::uuid[]), $3, $5
         on conflict do nothing",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(evidence_id)
    .bind(criterion_ids)
    .bind(by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Of `criterion_ids`, those with no evidence mapped for the enrolment.
pub async fn unmapped_criteria(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    criterion_ids: &[Uuid],
) -> DbResult<Vec<Uuid>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select wanted.id from unnest($3::uuid[]) as wanted(id)
         where not exists (select 1 from criterion_mappings m
                           where m.tenant_id = $1 and m.enrolment_id = $2 and m.criterion_id = wanted.id)",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(criterion_ids)
    .fetch_all(tx.conn())
    .await?)
}

/// Signs off criteria for an enrolment; signing off twice keeps the first sign-off.
pub async fn sign_off(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    criterion_ids: &[Uuid],
    by: Uuid,
) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into criterion_sign_offs (tenant_id, enrolment_id, criterion_id, signed_off_by)
         select $1, $2, unnest($3::uuid[]), $4
         on conflict do nothing",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(criterion_ids)
    .bind(by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Withdraws a sign-off; [`crate::DbError::NotFound`] if there was none.
pub async fn withdraw_sign_off(
    tx: &mut TenantTx,
    enrolment_id: Uuid,
    criterion_id: Uuid,
) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "delete from criterion_sign_offs where tenant_id = $1 and enrolment_id = $2 and criterion_id = $3",
    )
    .bind(tenant.0)
    .bind(enrolment_id)
    .bind(criterion_id)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// Queues an email in the same transaction as the event ([`crate::outbox::enqueue`]); a
/// repeated dedup key is ignored, so a retried request never queues the same notification
/// twice.
pub async fn enqueue_email(
    tx: &mut TenantTx,
    dedup_key: &str,
    to_user_id: Uuid,
    template: &str,
    data: serde_json::Value,
) -> DbResult<()> {
    crate::outbox::enqueue(
        tx,
        &crate::outbox::NewEmail {
            dedup_key,
            to_user_id,
            template,
            context: data,
        },
    )
    .await?;
    Ok(())
}

/// The ids of the components of a course.
pub async fn component_ids_of_course(tx: &mut TenantTx, course_id: Uuid) -> DbResult<Vec<Uuid>> {
    let tenant = tx.tenant();
    Ok(
        sqlx::query_scalar("select id from components where tenant_id = $1 and course_id = $2")
            .bind(tenant.0)
            .bind(course_id)
            .fetch_all(tx.conn())
            .await?,
    )
}
