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
//!
//! Adapters over `folio_app::profile`, where who may read and change what is written.

use chrono::{DateTime, Utc};
use folio_app::profile::{self, Cv, DisclaimerVersion, ProfileView};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::evidence::{FileResponse, attachment};
use crate::form::{StreamingForm, incoming};
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::{ApiError, ApiResult};
use crate::request_context::caller_ip;

#[derive(Tags)]
enum ProfileTag {
    /// The disclaimer accepted at first sign-in, and each person's profile.
    Profile,
}

/// `/api/v1/me/disclaimer…`, `/api/v1/settings/disclaimer`, `/api/v1/me/profile…` and
/// `/api/v1/users/{id}/profile…`.
pub struct ProfileApi(pub AppState);

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
pub(crate) struct AcceptDisclaimer {
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
pub(crate) struct SetDisclaimer {
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

fn profile_body(view: ProfileView) -> ProfileBody {
    let ProfileView {
        user_id,
        name,
        profile: p,
    } = view;
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
pub(crate) struct CvRequest {
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

impl From<CvRequest> for Cv {
    fn from(r: CvRequest) -> Self {
        Self {
            phone: r.phone,
            personal_statement: r.personal_statement,
            employment_history: r.employment_history,
            qualifications: r.qualifications,
            skills: r.skills,
            interests: r.interests,
        }
    }
}

/// Removes a replaced file once the change that replaced it has committed; a failure only
/// leaves an unreferenced object behind, so it is logged, not returned.
async fn remove_replaced(state: &AppState, old: Option<String>) {
    if let Some(old) = old {
        state.storage.delete(&old).await;
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ProfileTag::Profile")]
impl ProfileApi {
    /// The organisation's disclaimer as it applies to me: its text, whether I must accept
    /// it before anything else works, and when I did. Works before accepting.
    #[oai(path = "/me/disclaimer", method = "get")]
    async fn my_disclaimer(&self, credentials: Credentials) -> ApiResult<Json<MyDisclaimer>> {
        let mut uow = self.0.authenticate_before_disclaimer(&credentials).await?;
        let mine = profile::my_disclaimer(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(MyDisclaimer {
            required: mine.required,
            version: mine.version,
            text: mine.text,
            accepted_at: mine.accepted_at,
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
        let mut uow = self.0.authenticate_before_disclaimer(&credentials).await?;
        let version = body.0.version;
        let ip = caller_ip(req);
        let accepted_at =
            profile::accept_disclaimer(&mut uow, version, ip.map(|ip| ip.to_string()).as_deref())
                .await?;
        uow.commit().await?;
        Ok(Json(Acceptance {
            version,
            accepted_at,
        }))
    }

    /// The organisation's disclaimer (staff who read settings).
    #[oai(path = "/settings/disclaimer", method = "get")]
    async fn get_disclaimer(&self, credentials: Credentials) -> ApiResult<Json<DisclaimerBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let current = profile::disclaimer(&mut uow).await?;
        uow.commit().await?;
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let current = profile::set_disclaimer(&mut uow, body.0.text.as_deref()).await?;
        uow.commit().await?;
        Ok(Json(disclaimer_body(current)))
    }

    /// My profile.
    #[oai(path = "/me/profile", method = "get")]
    async fn my_profile(&self, credentials: Credentials) -> ApiResult<Json<ProfileBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let body = profile_body(profile::mine(&mut uow).await?);
        uow.commit().await?;
        Ok(Json(body))
    }

    /// Replace my CV fields (each absent or blank field is cleared).
    #[oai(path = "/me/profile", method = "put")]
    async fn replace_my_profile(
        &self,
        credentials: Credentials,
        body: JsonBody<CvRequest>,
    ) -> ApiResult<Json<ProfileBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let view = profile::replace_mine(&mut uow, body.0.into()).await?;
        uow.commit().await?;
        Ok(Json(profile_body(view)))
    }

    /// Set my photo: a JPEG, PNG or WebP image of at most 5 MiB (multipart, part `file`),
    /// checked by its content. Replaces the previous one.
    #[oai(path = "/me/profile/photo", method = "put")]
    async fn set_my_photo(
        &self,
        credentials: Credentials,
        form: StreamingForm<PhotoForm>,
    ) -> ApiResult<Json<ProfileBody>> {
        let uow = self.0.authenticate(&credentials).await?;
        let permit = profile::permit_photo(uow).await?;
        let file = form
            .within(permit.max_bytes())?
            .read_until_file("file")
            .await?
            .into_file()?;
        let view = permit
            .set_photo(&self.0.db, &self.0.storage, file.into_reader())
            .await?;
        Ok(Json(profile_body(view)))
    }

    /// Remove my photo.
    #[oai(path = "/me/profile/photo", method = "delete")]
    async fn remove_my_photo(&self, credentials: Credentials) -> ApiResult<Removed> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let old = profile::remove_my_photo(&mut uow).await?;
        uow.commit().await?;
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let body = profile_body(profile::of(&mut uow, id.0).await?);
        uow.commit().await?;
        Ok(Json(body))
    }

    /// A person's photo, if I may see them and they have one (404 otherwise).
    #[oai(path = "/users/:id/profile/photo", method = "get")]
    async fn photo(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<FileResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let f = profile::photo(&mut uow, id.0).await?;
        uow.commit().await?;
        attachment(&self.0, &f.key, &f.file_name, f.size_bytes)
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
        let uow = self.0.authenticate(&credentials).await?;
        let permit = profile::permit_job_description(uow, id.0).await?;
        let file = form
            .within(permit.max_bytes())?
            .read_until_file("file")
            .await?
            .into_file()?;
        let view = permit
            .set_job_description(&self.0.db, &self.0.storage, incoming(file))
            .await?;
        Ok(Json(profile_body(view)))
    }

    /// Download a person's job description, if I may see them and there is one.
    #[oai(path = "/users/:id/profile/job-description", method = "get")]
    async fn job_description(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<FileResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let f = profile::job_description(&mut uow, id.0).await?;
        uow.commit().await?;
        attachment(&self.0, &f.key, &f.file_name, f.size_bytes)
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let old = profile::remove_job_description(&mut uow, id.0).await?;
        uow.commit().await?;
        remove_replaced(&self.0, old).await;
        Ok(Removed::Removed)
    }
}

fn disclaimer_body(current: Option<DisclaimerVersion>) -> DisclaimerBody {
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
