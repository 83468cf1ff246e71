//! First sign-in and the profile: the organisation's disclaimer (versions and who accepted
//! which) and each person's profile (CV fields, photo, job description).
//!
//! Who may read or change a profile is the API's decision; nothing here checks it.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{DbResult, TenantTx};

/// A version of the disclaimer.
#[derive(Debug, Clone, FromRow)]
pub struct DisclaimerVersion {
    /// Its number, from 1.
    pub version: i32,
    /// The text; `None` when this version turned the disclaimer off.
    pub body: Option<String>,
    /// Who set it.
    pub set_by: Uuid,
    /// When.
    pub set_at: DateTime<Utc>,
}

/// The current disclaimer version, if one was ever set.
pub async fn current_disclaimer(tx: &mut TenantTx) -> DbResult<Option<DisclaimerVersion>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select version, body, set_by, set_at from disclaimer_versions
         where tenant_id = $1 order by version desc limit 1",
    )
    .bind(tenant.0)
    .fetch_optional(tx.conn())
    .await?)
}

/// Sets a new disclaimer version (`None` turns it off); returns it. Two admins saving at
/// once both get a version: the transaction-level advisory lock on the tenant's disclaimer
/// orders them.
pub async fn set_disclaimer(
    tx: &mut TenantTx,
    body: Option<&str>,
    set_by: Uuid,
) -> DbResult<DisclaimerVersion> {
    let tenant = tx.tenant();
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('disclaimer:' || $1::text, 0))")
        .bind(tenant.0)
        .execute(tx.conn())
        .await?;
    Ok(sqlx::query_as(
        "insert into disclaimer_versions (tenant_id, version, body, set_by)
         select $1, coalesce(max(version), 0) + 1, $2, $3
         from disclaimer_versions where tenant_id = $1
         returning version, body, set_by, set_at",
    )
    .bind(tenant.0)
    .bind(body)
    .bind(set_by)
    .fetch_one(tx.conn())
    .await?)
}

/// The statement of [`pending_disclaimer`]: `$1` tenant, `$2` the person. Public so that
/// `folio-bench` can run the very same SQL through `pgbench`.
pub const PENDING_DISCLAIMER_SQL: &str = "select v.version from (
             select version, body from disclaimer_versions
             where tenant_id = $1 order by version desc limit 1
         ) v
         where v.body is not null
           and not exists (select 1 from disclaimer_acceptances a
                           where a.tenant_id = $1 and a.user_id = $2 and a.version = v.version)";

/// The version of the disclaimer `user_id` still has to accept: the current one, if it has
/// text and they have not accepted it. One indexed lookup, run on every request a learner
/// makes.
pub async fn pending_disclaimer(tx: &mut TenantTx, user_id: Uuid) -> DbResult<Option<i32>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(PENDING_DISCLAIMER_SQL)
        .bind(tenant.0)
        .bind(user_id)
        .fetch_optional(tx.conn())
        .await?)
}

/// When `user_id` accepted `version`, if they did.
pub async fn accepted_at(
    tx: &mut TenantTx,
    user_id: Uuid,
    version: i32,
) -> DbResult<Option<DateTime<Utc>>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_scalar(
        "select accepted_at from disclaimer_acceptances
         where tenant_id = $1 and user_id = $2 and version = $3",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(version)
    .fetch_optional(tx.conn())
    .await?)
}

/// Records that `user_id` accepted `version` (again is a no-op); returns when they first
/// did, and whether this call recorded it.
pub async fn accept(
    tx: &mut TenantTx,
    user_id: Uuid,
    version: i32,
    client_ip: Option<&str>,
) -> DbResult<(DateTime<Utc>, bool)> {
    let tenant = tx.tenant();
    let inserted = sqlx::query(
        "insert into disclaimer_acceptances (tenant_id, user_id, version, client_ip)
         values ($1, $2, $3, $4) on conflict do nothing",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(version)
    .bind(client_ip)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1;
    let at = accepted_at(tx, user_id, version)
        .await?
        .ok_or(crate::DbError::NotFound)?;
    Ok((at, inserted))
}

/// A person's profile. Everything is optional: a person without one reads as empty.
#[derive(Debug, Clone, Default, FromRow)]
pub struct Profile {
    /// Telephone.
    pub phone: Option<String>,
    /// Personal statement (the CV's summary).
    pub personal_statement: Option<String>,
    /// Employment history.
    pub employment_history: Option<String>,
    /// Qualifications.
    pub qualifications: Option<String>,
    /// Skills.
    pub skills: Option<String>,
    /// Interests.
    pub interests: Option<String>,
    /// Storage key of the photo.
    pub photo_key: Option<String>,
    /// The photo's media type.
    pub photo_content_type: Option<String>,
    /// The photo's size.
    pub photo_size_bytes: Option<i64>,
    /// When the photo changed.
    pub photo_updated_at: Option<DateTime<Utc>>,
    /// Storage key of the job description.
    pub job_description_key: Option<String>,
    /// Its file name.
    pub job_description_file_name: Option<String>,
    /// Its media type.
    pub job_description_content_type: Option<String>,
    /// Its size.
    pub job_description_size_bytes: Option<i64>,
    /// Its SHA-256.
    pub job_description_sha256: Option<Vec<u8>>,
    /// Who uploaded it.
    pub job_description_uploaded_by: Option<Uuid>,
    /// When.
    pub job_description_uploaded_at: Option<DateTime<Utc>>,
    /// Last change, if there is a profile.
    pub updated_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "phone, personal_statement, employment_history, qualifications, skills,
    interests, photo_key, photo_content_type, photo_size_bytes, photo_updated_at,
    job_description_key, job_description_file_name, job_description_content_type,
    job_description_size_bytes, job_description_sha256, job_description_uploaded_by,
    job_description_uploaded_at, updated_at";

/// The profile of `user_id` (empty if never written). The user must exist: check first.
pub async fn get(tx: &mut TenantTx, user_id: Uuid) -> DbResult<Profile> {
    let tenant = tx.tenant();
    let found: Option<Profile> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from profiles where tenant_id = $1 and user_id = $2"
    )))
    .bind(tenant.0)
    .bind(user_id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(found.unwrap_or_default())
}

/// Locks the profile row of `user_id`, creating an empty one first if there is none, so
/// that a file replacement reads the old key and writes the new one without a race.
async fn lock_row(tx: &mut TenantTx, user_id: Uuid) -> DbResult<Profile> {
    let tenant = tx.tenant();
    sqlx::query("insert into profiles (tenant_id, user_id) values ($1, $2) on conflict do nothing")
        .bind(tenant.0)
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from profiles where tenant_id = $1 and user_id = $2 for update"
    )))
    .bind(tenant.0)
    .bind(user_id)
    .fetch_one(tx.conn())
    .await?)
}

/// The CV fields, as written.
#[derive(Debug, Clone, Default)]
pub struct CvFields {
    /// Telephone.
    pub phone: Option<String>,
    /// Personal statement.
    pub personal_statement: Option<String>,
    /// Employment history.
    pub employment_history: Option<String>,
    /// Qualifications.
    pub qualifications: Option<String>,
    /// Skills.
    pub skills: Option<String>,
    /// Interests.
    pub interests: Option<String>,
}

/// Replaces the CV fields of `user_id`'s profile; returns the profile.
pub async fn replace_cv(tx: &mut TenantTx, user_id: Uuid, cv: &CvFields) -> DbResult<Profile> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into profiles (tenant_id, user_id, phone, personal_statement, employment_history,
            qualifications, skills, interests)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (tenant_id, user_id) do update set
            phone = excluded.phone, personal_statement = excluded.personal_statement,
            employment_history = excluded.employment_history,
            qualifications = excluded.qualifications, skills = excluded.skills,
            interests = excluded.interests, updated_at = now()
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(user_id)
    .bind(&cv.phone)
    .bind(&cv.personal_statement)
    .bind(&cv.employment_history)
    .bind(&cv.qualifications)
    .bind(&cv.skills)
    .bind(&cv.interests)
    .fetch_one(tx.conn())
    .await?)
}

/// A stored photo.
#[derive(Debug, Clone)]
pub struct NewPhoto<'a> {
    /// Storage key.
    pub key: &'a str,
    /// Media type.
    pub content_type: &'a str,
    /// Size.
    pub size_bytes: i64,
}

/// Sets (or with `None` removes) the photo; returns the profile and the key of the photo
/// it replaced, for the caller to delete once this commits.
pub async fn set_photo(
    tx: &mut TenantTx,
    user_id: Uuid,
    photo: Option<&NewPhoto<'_>>,
) -> DbResult<(Profile, Option<String>)> {
    let tenant = tx.tenant();
    let old = lock_row(tx, user_id).await?.photo_key;
    let profile = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update profiles set photo_key = $3, photo_content_type = $4, photo_size_bytes = $5,
            photo_updated_at = case when $3::text is null then null else now() end,
            updated_at = now()
         where tenant_id = $1 and user_id = $2
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(user_id)
    .bind(photo.map(|p| p.key))
    .bind(photo.map(|p| p.content_type))
    .bind(photo.map(|p| p.size_bytes))
    .fetch_one(tx.conn())
    .await?;
    Ok((profile, old))
}

/// A stored job description.
#[derive(Debug, Clone)]
pub struct NewJobDescription<'a> {
    /// Storage key.
    pub key: &'a str,
    /// File name.
    pub file_name: &'a str,
    /// Media type.
    pub content_type: &'a str,
    /// Size.
    pub size_bytes: i64,
    /// SHA-256.
    pub sha256: &'a [u8],
    /// Who uploaded it.
    pub uploaded_by: Uuid,
}

/// Sets (or with `None` removes) the job description; returns the profile and the key of
/// the file it replaced, for the caller to delete once this commits.
pub async fn set_job_description(
    tx: &mut TenantTx,
    user_id: Uuid,
    file: Option<&NewJobDescription<'_>>,
) -> DbResult<(Profile, Option<String>)> {
    let tenant = tx.tenant();
    let old = lock_row(tx, user_id).await?.job_description_key;
    let profile = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update profiles set job_description_key = $3, job_description_file_name = $4,
            job_description_content_type = $5, job_description_size_bytes = $6,
            job_description_sha256 = $7, job_description_uploaded_by = $8,
            job_description_uploaded_at = case when $3::text is null then null else now() end,
            updated_at = now()
         where tenant_id = $1 and user_id = $2
         returning {COLUMNS}"
    )))
    .bind(tenant.0)
    .bind(user_id)
    .bind(file.map(|f| f.key))
    .bind(file.map(|f| f.file_name))
    .bind(file.map(|f| f.content_type))
    .bind(file.map(|f| f.size_bytes))
    .bind(file.map(|f| f.sha256))
    .bind(file.map(|f| f.uploaded_by))
    .fetch_one(tx.conn())
    .await?;
    Ok((profile, old))
}
