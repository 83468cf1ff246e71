//! First sign-in and the profile.
//!
//! **Disclaimer.** An organisation may set a disclaimer text that a learner must accept
//! before anything else works: until they accept its current version, every endpoint but
//! `GET /me`, the disclaimer's own two and sign-out answers 403 with the problem type
//! `/problems/disclaimer-required` (checked in [`AppState::authenticate`]). Changing the
//! text makes a new version, which must be accepted again; clearing it turns the gate off.
//! Acceptances keep the version, time and address.
//!
//! **Profile.** Each person has a profile: CV fields they write themself, a photo, and a
//! job description file (uploaded by the learner, an admin, or one of the learner's
//! assessors). A profile is read by its owner, by those who read users (admins,
//! auditors), by anyone who sees one of the person's enrolments (their assessor, IQA,
//! employer), and by a learner for the assessor and IQA of their own enrolments; to anyone
//! else the person does not exist (404).

use std::io::Cursor;

use chrono::{DateTime, Utc};
use folio_db::profile::{self, CvFields, NewJobDescription, NewPhoto, Profile};
use folio_db::{TenantTx, enrolments, settings, users};
use folio_domain::{OptionalText, Permission, Role};
use poem::web::Field;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi, Tags};
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use crate::AppState;
use crate::evidence::{FileResponse, attachment};
use crate::form::{StreamingForm, incoming};
use crate::json_body::JsonBody;
use folio_app::Principal;
use folio_app::files::{Stored, record_or_remove, storage_error, store_then_record};

use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiError, ApiResult, AppError, AppResult, Fields};
use crate::request_context::caller_ip;

#[derive(Tags)]
enum ProfileTag {
    /// The disclaimer accepted at first sign-in, and each person's profile.
    Profile,
}

/// `/api/v1/me/disclaimer…`, `/api/v1/settings/disclaimer`, `/api/v1/me/profile…` and
/// `/api/v1/users/{id}/profile…`.
pub struct ProfileApi(pub AppState);

/// The longest disclaimer.
const MAX_DISCLAIMER_CHARS: usize = 20_000;
/// The largest photo.
const MAX_PHOTO_BYTES: u64 = 5 * 1024 * 1024;

/// The disclaimer as the signed-in person sees it.
#[derive(Debug, Object)]
struct MyDisclaimer {
    /// Whether they must accept it before anything else works (learners only).
    required: bool,
    /// The current version; absent when the organisation has none.
    version: Option<i32>,
    /// Its text.
    text: Option<String>,
    /// When they accepted this version, if they did.
    accepted_at: Option<DateTime<Utc>>,
}

/// Accepting the disclaimer.
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptDisclaimer {
    /// The version read (from `GET /me/disclaimer`): if the text changed since, 409 and
    /// nothing is recorded.
    version: i32,
}

/// A recorded acceptance.
#[derive(Debug, Object)]
struct Acceptance {
    /// The version accepted.
    version: i32,
    /// When (the first time, if accepted twice).
    accepted_at: DateTime<Utc>,
}

/// The organisation's disclaimer, as admins set it.
#[derive(Debug, Object)]
struct DisclaimerBody {
    /// The current version (0 when none was ever set).
    version: i32,
    /// Its text; absent when the disclaimer is off.
    text: Option<String>,
    /// Who set it.
    set_by: Option<Uuid>,
    /// When.
    set_at: Option<DateTime<Utc>>,
}

/// A new disclaimer text.
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetDisclaimer {
    /// The text learners must accept (at most 20,000 characters); `null` or blank turns
    /// the disclaimer off. Saving a changed text makes every learner accept it again.
    text: Option<String>,
}

/// A person's profile.
#[derive(Debug, Object)]
struct ProfileBody {
    /// The person.
    user_id: Uuid,
    /// Their name.
    name: String,
    /// Telephone.
    phone: Option<String>,
    /// Personal statement.
    personal_statement: Option<String>,
    /// Employment history.
    employment_history: Option<String>,
    /// Qualifications.
    qualifications: Option<String>,
    /// Skills.
    skills: Option<String>,
    /// Interests.
    interests: Option<String>,
    /// The photo, if there is one (download at `/users/{id}/profile/photo`).
    photo: Option<PhotoBody>,
    /// The job description, if there is one (download at
    /// `/users/{id}/profile/job-description`).
    job_description: Option<JobDescriptionBody>,
    /// Last change.
    updated_at: Option<DateTime<Utc>>,
}

/// A profile photo.
#[derive(Debug, Object)]
struct PhotoBody {
    /// `image/jpeg`, `image/png` or `image/webp`, from the file's content.
    content_type: String,
    /// Size in bytes.
    size_bytes: i64,
    /// When it changed.
    updated_at: DateTime<Utc>,
}

/// A job description file.
#[derive(Debug, Object)]
struct JobDescriptionBody {
    /// File name.
    file_name: String,
    /// Declared media type.
    content_type: String,
    /// Size in bytes.
    size_bytes: i64,
    /// SHA-256 (hex).
    sha256: String,
    /// Who uploaded it.
    uploaded_by: Uuid,
    /// When.
    uploaded_at: DateTime<Utc>,
}

fn profile_body(user_id: Uuid, name: String, p: Profile) -> ProfileBody {
    let photo = match (p.photo_content_type, p.photo_size_bytes, p.photo_updated_at) {
        (Some(content_type), Some(size_bytes), Some(updated_at)) => Some(PhotoBody {
            content_type,
            size_bytes,
            updated_at,
        }),
        _ => None,
    };
    let job_description = match (
        p.job_description_file_name,
        p.job_description_content_type,
        p.job_description_size_bytes,
        p.job_description_sha256,
        p.job_description_uploaded_by,
        p.job_description_uploaded_at,
    ) {
        (Some(file_name), Some(content_type), Some(size_bytes), Some(sha), Some(by), Some(at)) => {
            Some(JobDescriptionBody {
                file_name,
                content_type,
                size_bytes,
                sha256: hex::encode(sha),
                uploaded_by: by,
                uploaded_at: at,
            })
        }
        _ => None,
    };
    ProfileBody {
        user_id,
        name,
        phone: p.phone,
        personal_statement: p.personal_statement,
        employment_history: p.employment_history,
        qualifications: p.qualifications,
        skills: p.skills,
        interests: p.interests,
        photo,
        job_description,
        updated_at: p.updated_at,
    }
}

/// The CV fields; each replaces what was there (absent or blank clears it).
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
struct CvRequest {
    /// Telephone, at most 50 characters.
    phone: Option<String>,
    /// Personal statement, at most 5000 characters.
    personal_statement: Option<String>,
    /// Employment history, at most 10000 characters.
    employment_history: Option<String>,
    /// Qualifications, at most 10000 characters.
    qualifications: Option<String>,
    /// Skills, at most 5000 characters.
    skills: Option<String>,
    /// Interests, at most 2000 characters.
    interests: Option<String>,
}

/// Photo upload form.
#[derive(Multipart)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; parsing streams instead.
struct PhotoForm {
    /// A JPEG, PNG or WebP image of at most 5 MiB.
    file: Upload,
}

/// Job description upload form.
#[derive(Multipart)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; parsing streams instead.
struct JobDescriptionForm {
    /// The file (any type), within the organisation's file size limit.
    file: Upload,
}

#[derive(ApiResponse)]
enum Removed {
    /// Removed (or there was nothing to remove).
    #[oai(status = 204)]
    Removed,
}

/// The image types a photo may be, told by the file's first bytes (what the client
/// declares is not trusted: the photo is served back to other people).
fn image_type(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Whether `viewer` may read `person`'s profile (see the module's documentation).
async fn may_read_profile(authed: &mut Authenticated, person: Uuid) -> AppResult<bool> {
    let p = &authed.principal;
    if p.user_id == person || Permission::ReadUsers.allows(&p.roles) {
        return Ok(true);
    }
    let viewer = p.viewer();
    Ok(enrolments::sees_person(&mut authed.tx, &viewer, person).await?)
}

/// The person's name, if the caller may read their profile; 404 otherwise.
async fn readable_person(authed: &mut Authenticated, person: Uuid) -> AppResult<String> {
    if !may_read_profile(authed, person).await? {
        return Err(AppError::NotFound);
    }
    Ok(users::get(&mut authed.tx, person).await?.name)
}

/// Whether the caller may change `person`'s job description: the person, an admin, or the
/// assessor of one of their enrolments. 404 if they may not even read the profile, 403 if
/// they may read but not write.
async fn job_description_writer(authed: &mut Authenticated, person: Uuid) -> AppResult<()> {
    readable_person(authed, person).await?;
    let p = &authed.principal;
    if p.user_id == person || p.roles.contains(&Role::Admin) {
        return Ok(());
    }
    if p.roles.contains(&Role::Assessor)
        && enrolments::assesses_learner(&mut authed.tx, p.user_id, person).await?
    {
        return Ok(());
    }
    Err(AppError::Forbidden)
}

fn photo_key(principal: &Principal, person: Uuid, id: Uuid) -> String {
    format!("tenants/{}/profiles/{person}/photo/{id}", principal.tenant)
}

fn job_description_key(principal: &Principal, person: Uuid, id: Uuid) -> String {
    format!(
        "tenants/{}/profiles/{person}/job-description/{id}",
        principal.tenant
    )
}

/// Streams a photo into storage after checking, from its first bytes, that it is an image
/// of an allowed type; returns its type and size.
async fn store_photo(state: &AppState, key: &str, file: Field) -> AppResult<(&'static str, u64)> {
    let mut reader = file.into_async_read();
    let mut head = Vec::with_capacity(12);
    (&mut reader)
        .take(12)
        .read_to_end(&mut head)
        .await
        .map_err(|e| AppError::MalformedBody(format!("the upload was interrupted: {e}")))?;
    let Some(kind) = image_type(&head) else {
        return Err(AppError::invalid(
            "file",
            "must be a JPEG, PNG or WebP image",
        ));
    };
    let whole = Cursor::new(head).chain(reader);
    let stored = state
        .storage
        .put(key, whole, MAX_PHOTO_BYTES)
        .await
        .map_err(storage_error)?;
    Ok((kind, stored.size))
}

/// Removes a replaced file once the change that replaced it has committed; a failure only
/// leaves an unreferenced object behind, so it is logged, not returned.
async fn remove_replaced(state: &AppState, old: Option<String>) {
    if let Some(old) = old {
        state.storage.delete(&old).await;
    }
}

fn cv_fields(req: CvRequest) -> AppResult<CvFields> {
    let mut fields = Fields::default();
    let mut text = |name: &str, value: Option<String>, max: usize| {
        fields
            .check(name, OptionalText::parse(value.as_deref(), max))
            .and_then(OptionalText::into_inner)
    };
    let cv = CvFields {
        phone: text("phone", req.phone, 50),
        personal_statement: text("personal_statement", req.personal_statement, 5000),
        employment_history: text("employment_history", req.employment_history, 10_000),
        qualifications: text("qualifications", req.qualifications, 10_000),
        skills: text("skills", req.skills, 5000),
        interests: text("interests", req.interests, 2000),
    };
    fields.finish()?;
    Ok(cv)
}

async fn profile_of(tx: &mut TenantTx, person: Uuid, name: String) -> AppResult<ProfileBody> {
    let p = profile::get(tx, person).await?;
    Ok(profile_body(person, name, p))
}

#[OpenApi(prefix_path = "/api/v1", tag = "ProfileTag::Profile")]
impl ProfileApi {
    /// The organisation's disclaimer as it applies to me: its text, whether I must accept
    /// it before anything else works, and when I did. Works before accepting.
    #[oai(path = "/me/disclaimer", method = "get")]
    async fn my_disclaimer(&self, credentials: Credentials) -> ApiResult<Json<MyDisclaimer>> {
        let mut authed = self.0.authenticate_before_disclaimer(&credentials).await?;
        let user = authed.principal.user_id;
        let current = profile::current_disclaimer(&mut authed.tx)
            .await?
            .filter(|v| v.body.is_some());
        let accepted_at = match &current {
            Some(v) => profile::accepted_at(&mut authed.tx, user, v.version).await?,
            None => None,
        };
        authed.tx.commit().await?;
        let learner = authed.principal.roles.contains(&Role::Learner);
        Ok(Json(MyDisclaimer {
            required: learner && current.is_some() && accepted_at.is_none(),
            version: current.as_ref().map(|v| v.version),
            text: current.and_then(|v| v.body),
            accepted_at,
        }))
    }

    /// Accept the disclaimer's current version (the one read). Accepting again is
    /// harmless; 409 if the text changed since it was read.
    #[oai(path = "/me/disclaimer/accept", method = "post")]
    async fn accept_disclaimer(
        &self,
        credentials: Credentials,
        req: &poem::Request,
        body: JsonBody<AcceptDisclaimer>,
    ) -> ApiResult<Json<Acceptance>> {
        let mut authed = self.0.authenticate_before_disclaimer(&credentials).await?;
        let current = profile::current_disclaimer(&mut authed.tx)
            .await?
            .filter(|v| v.body.is_some());
        let Some(current) = current else {
            return Err(AppError::Conflict {
                field: Some("version".into()),
                detail: "there is no disclaimer to accept".into(),
            }
            .into());
        };
        if current.version != body.0.version {
            return Err(AppError::Conflict {
                field: Some("version".into()),
                detail: format!(
                    "the disclaimer has changed: read version {} and accept that",
                    current.version
                ),
            }
            .into());
        }
        let user = authed.principal.user_id;
        let ip = caller_ip(req);
        let (accepted_at, new) =
            profile::accept(&mut authed.tx, user, current.version, ip.as_deref()).await?;
        if new {
            let details = serde_json::json!({ "version": current.version });
            authed
                .audit("disclaimer.accept", "user", user, details)
                .await?;
        }
        authed.tx.commit().await?;
        Ok(Json(Acceptance {
            version: current.version,
            accepted_at,
        }))
    }

    /// The organisation's disclaimer (staff who read settings).
    #[oai(path = "/settings/disclaimer", method = "get")]
    async fn get_disclaimer(&self, credentials: Credentials) -> ApiResult<Json<DisclaimerBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ReadSettings)
            .await?;
        let current = profile::current_disclaimer(&mut authed.tx).await?;
        authed.tx.commit().await?;
        Ok(Json(disclaimer_body(current)))
    }

    /// Set the disclaimer learners must accept before anything else works (admins). A new
    /// text is a new version that every learner must accept again; `null` turns it off.
    /// Saving the same text again changes nothing.
    #[oai(path = "/settings/disclaimer", method = "put")]
    async fn set_disclaimer(
        &self,
        credentials: Credentials,
        body: JsonBody<SetDisclaimer>,
    ) -> ApiResult<Json<DisclaimerBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageSettings)
            .await?;
        let text = OptionalText::parse(body.0.text.as_deref(), MAX_DISCLAIMER_CHARS)
            .map_err(|e| AppError::invalid("text", e))?
            .into_inner();
        let current = profile::current_disclaimer(&mut authed.tx).await?;
        let unchanged = match &current {
            Some(v) => v.body == text,
            None => text.is_none(),
        };
        if unchanged {
            authed.tx.commit().await?;
            return Ok(Json(disclaimer_body(current)));
        }
        let user = authed.principal.user_id;
        let version = profile::set_disclaimer(&mut authed.tx, text.as_deref(), user).await?;
        let details = serde_json::json!({
            "version": version.version,
            "enabled": version.body.is_some(),
            "chars": version.body.as_deref().map_or(0, |b| b.chars().count()),
        });
        authed
            .audit(
                "disclaimer.set",
                "tenant",
                authed.principal.tenant.0,
                details,
            )
            .await?;
        authed.tx.commit().await?;
        Ok(Json(disclaimer_body(Some(version))))
    }

    /// My profile.
    #[oai(path = "/me/profile", method = "get")]
    async fn my_profile(&self, credentials: Credentials) -> ApiResult<Json<ProfileBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let me = authed.principal.user_id;
        let name = users::get(&mut authed.tx, me).await?.name;
        let body = profile_of(&mut authed.tx, me, name).await?;
        authed.tx.commit().await?;
        Ok(Json(body))
    }

    /// Replace my CV fields (each absent or blank field is cleared).
    #[oai(path = "/me/profile", method = "put")]
    async fn replace_my_profile(
        &self,
        credentials: Credentials,
        body: JsonBody<CvRequest>,
    ) -> ApiResult<Json<ProfileBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let cv = cv_fields(body.0)?;
        let me = authed.principal.user_id;
        let name = users::get(&mut authed.tx, me).await?.name;
        let p = profile::replace_cv(&mut authed.tx, me, &cv).await?;
        authed
            .audit("profile.update", "user", me, serde_json::json!({}))
            .await?;
        authed.tx.commit().await?;
        Ok(Json(profile_body(me, name, p)))
    }

    /// Set my photo: a JPEG, PNG or WebP image of at most 5 MiB (multipart, part `file`),
    /// checked by its content. Replaces the previous one.
    #[oai(path = "/me/profile/photo", method = "put")]
    async fn set_my_photo(
        &self,
        credentials: Credentials,
        form: StreamingForm<PhotoForm>,
    ) -> ApiResult<Json<ProfileBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let me = authed.principal.user_id;
        let name = users::get(&mut authed.tx, me).await?.name;
        authed.tx.commit().await?;
        let principal = authed.principal;

        let file = form.read_until_file("file").await?.into_file()?;
        let key = photo_key(&principal, me, Uuid::now_v7());
        let (content_type, size) = store_photo(&self.0, &key, file).await?;
        let (db, storage) = (&self.0.db, &self.0.storage);
        let (profile, old) = record_or_remove(db, storage, principal.tenant, &key, async |tx| {
            let photo = NewPhoto {
                key: &key,
                content_type,
                size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            };
            let changed = profile::set_photo(tx, me, Some(&photo)).await?;
            record(tx, &principal, "profile.photo.set", me, size).await?;
            Ok(changed)
        })
        .await?;
        remove_replaced(&self.0, old).await;
        Ok(Json(profile_body(me, name, profile)))
    }

    /// Remove my photo.
    #[oai(path = "/me/profile/photo", method = "delete")]
    async fn remove_my_photo(&self, credentials: Credentials) -> ApiResult<Removed> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let me = authed.principal.user_id;
        let (_, old) = profile::set_photo(&mut authed.tx, me, None).await?;
        if old.is_some() {
            authed
                .audit("profile.photo.remove", "user", me, serde_json::json!({}))
                .await?;
        }
        authed.tx.commit().await?;
        remove_replaced(&self.0, old).await;
        Ok(Removed::Removed)
    }

    /// A person's profile, if I may see them (404 otherwise).
    #[oai(path = "/users/:id/profile", method = "get")]
    async fn profile(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ProfileBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let name = readable_person(&mut authed, id.0).await?;
        let body = profile_of(&mut authed.tx, id.0, name).await?;
        authed.tx.commit().await?;
        Ok(Json(body))
    }

    /// A person's photo, if I may see them and they have one (404 otherwise).
    #[oai(path = "/users/:id/profile/photo", method = "get")]
    async fn photo(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<FileResponse> {
        let mut authed = self.0.authenticate(&credentials).await?;
        readable_person(&mut authed, id.0).await?;
        let p = profile::get(&mut authed.tx, id.0).await?;
        authed.tx.commit().await?;
        let (Some(key), Some(content_type), Some(size)) =
            (p.photo_key, p.photo_content_type, p.photo_size_bytes)
        else {
            return Err(AppError::NotFound.into());
        };
        let ext = content_type.trim_start_matches("image/");
        attachment(&self.0, &key, &format!("photo.{ext}"), size)
            .await
            .map_err(ApiError::from)
    }

    /// Upload a learner's job description (the learner, an admin, or one of their
    /// assessors): multipart, part `file`, within the organisation's file size limit.
    /// Replaces the previous one.
    #[oai(path = "/users/:id/profile/job-description", method = "put")]
    async fn set_job_description(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        form: StreamingForm<JobDescriptionForm>,
    ) -> ApiResult<Json<ProfileBody>> {
        let person = id.0;
        let mut authed = self.0.authenticate(&credentials).await?;
        job_description_writer(&mut authed, person).await?;
        let name = users::get(&mut authed.tx, person).await?.name;
        let limits = settings::get(&mut authed.tx).await?;
        authed.tx.commit().await?;
        let principal = authed.principal;

        let file = form.read_until_file("file").await?.into_file()?;
        let key = job_description_key(&principal, person, Uuid::now_v7());
        let (db, storage) = (&self.0.db, &self.0.storage);
        let max = limits.evidence_max_bytes;
        let (profile, old) = store_then_record(
            db,
            storage,
            principal.tenant,
            key,
            incoming(file),
            max,
            async |tx: &mut folio_db::TenantTx, stored: &Stored| {
                let new = NewJobDescription {
                    key: &stored.key,
                    file_name: &stored.file_name,
                    content_type: &stored.content_type,
                    size_bytes: stored.size_bytes(),
                    sha256: &stored.file.sha256,
                    uploaded_by: principal.user_id,
                };
                let changed = profile::set_job_description(tx, person, Some(&new)).await?;
                record(
                    tx,
                    &principal,
                    "profile.job_description.set",
                    person,
                    stored.file.size,
                )
                .await?;
                Ok(changed)
            },
        )
        .await?;
        remove_replaced(&self.0, old).await;
        Ok(Json(profile_body(person, name, profile)))
    }

    /// Download a person's job description, if I may see them and there is one.
    #[oai(path = "/users/:id/profile/job-description", method = "get")]
    async fn job_description(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<FileResponse> {
        let mut authed = self.0.authenticate(&credentials).await?;
        readable_person(&mut authed, id.0).await?;
        let p = profile::get(&mut authed.tx, id.0).await?;
        authed.tx.commit().await?;
        let (Some(key), Some(file_name), Some(size)) = (
            p.job_description_key,
            p.job_description_file_name,
            p.job_description_size_bytes,
        ) else {
            return Err(AppError::NotFound.into());
        };
        attachment(&self.0, &key, &file_name, size)
            .await
            .map_err(ApiError::from)
    }

    /// Remove a person's job description (whoever may upload it).
    #[oai(path = "/users/:id/profile/job-description", method = "delete")]
    async fn remove_job_description(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Removed> {
        let person = id.0;
        let mut authed = self.0.authenticate(&credentials).await?;
        job_description_writer(&mut authed, person).await?;
        let (_, old) = profile::set_job_description(&mut authed.tx, person, None).await?;
        if old.is_some() {
            authed
                .audit(
                    "profile.job_description.remove",
                    "user",
                    person,
                    serde_json::json!({}),
                )
                .await?;
        }
        authed.tx.commit().await?;
        remove_replaced(&self.0, old).await;
        Ok(Removed::Removed)
    }
}

fn disclaimer_body(current: Option<profile::DisclaimerVersion>) -> DisclaimerBody {
    match current {
        Some(v) => DisclaimerBody {
            version: v.version,
            text: v.body,
            set_by: Some(v.set_by),
            set_at: Some(v.set_at),
        },
        None => DisclaimerBody {
            version: 0,
            text: None,
            set_by: None,
            set_at: None,
        },
    }
}

/// Audits a file change to `person`'s profile in the transaction that makes it.
async fn record(
    tx: &mut TenantTx,
    principal: &Principal,
    action: &str,
    person: Uuid,
    size: u64,
) -> AppResult<()> {
    folio_db::audit::record(
        tx,
        folio_db::audit::Event {
            actor: principal.actor(),
            action,
            entity_type: "user",
            entity_id: Some(person),
            details: serde_json::json!({ "size_bytes": size }),
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::image_type;

    #[test]
    fn photos_are_told_by_their_first_bytes() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n\0\0\0\r"), Some("image/png"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg xmlns="), None);
        assert_eq!(image_type(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(image_type(b""), None);
    }
}
