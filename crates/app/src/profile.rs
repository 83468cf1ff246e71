//! First sign-in and the profile.
//!
//! **Disclaimer.** An organisation may set a disclaimer text that a learner must accept
//! before anything else works (checked in [`UnitOfWork::authenticate`]). Changing the text
//! makes a new version, which must be accepted again; clearing it turns the gate off.
//! Acceptances keep the version, time and address.
//!
//! **Profile.** Each person has a profile: CV fields they write themself, a photo, and a
//! job description file. Who may do what, once: a profile is read by its owner, by those
//! who read users (admins, auditors), by anyone who sees one of the person's enrolments
//! (their assessor, IQA, employer), and by a learner for the assessor and IQA of their own
//! enrolments; to anyone else the person does not exist (404). The job description is
//! changed by the person, an admin, or one of the learner's assessors (403 for other
//! readers).

use std::io::Cursor;

use chrono::{DateTime, Utc};
use folio_db::profile::{self, CvFields, NewJobDescription, NewPhoto};
use folio_db::{Database, TenantTx, audit, enrolments, users};
use folio_domain::{OptionalText, Permission, Role};
use folio_storage::{Storage, StorageError};
use tokio::io::{AsyncRead, AsyncReadExt};
use uuid::Uuid;

pub use folio_db::profile::{DisclaimerVersion, Profile};

use crate::files::{Incoming, Stored, record_or_remove, storage_error, store_then_record};
use crate::{Error, Fields, Principal, Result, UnitOfWork};

/// The longest disclaimer.
const MAX_DISCLAIMER_CHARS: usize = 20_000;
/// The largest photo.
const MAX_PHOTO_BYTES: u64 = 5 * 1024 * 1024;

/// The disclaimer as it applies to the caller.
#[derive(Debug, Clone)]
pub struct MyDisclaimer {
    /// Whether they must accept it before anything else works.
    pub required: bool,
    /// Its current version, if there is a text.
    pub version: Option<i32>,
    /// Its text.
    pub text: Option<String>,
    /// When they accepted that version.
    pub accepted_at: Option<DateTime<Utc>>,
}

/// The organisation's disclaimer as it applies to the caller (reachable before accepting
/// it: authenticate with `Disclaimer::NotYetNeeded`).
pub async fn my_disclaimer(uow: &mut UnitOfWork) -> Result<MyDisclaimer> {
    let user = uow.principal.user_id;
    let current = profile::current_disclaimer(&mut uow.tx)
        .await?
        .filter(|v| v.body.is_some());
    let accepted_at = match &current {
        Some(v) => profile::accepted_at(&mut uow.tx, user, v.version).await?,
        None => None,
    };
    let learner = uow.principal.roles.contains(&Role::Learner);
    Ok(MyDisclaimer {
        required: learner && current.is_some() && accepted_at.is_none(),
        version: current.as_ref().map(|v| v.version),
        text: current.and_then(|v| v.body),
        accepted_at,
    })
}

/// Accepts the disclaimer's `version` (the one read), from `client_ip`; accepting again is
/// harmless, a conflict if the text changed since it was read. Returns when the caller
/// first accepted it.
pub async fn accept_disclaimer(
    uow: &mut UnitOfWork,
    version: i32,
    client_ip: Option<&str>,
) -> Result<DateTime<Utc>> {
    let current = profile::current_disclaimer(&mut uow.tx)
        .await?
        .filter(|v| v.body.is_some());
    let Some(current) = current else {
        return Err(Error::Conflict {
            field: Some("version".into()),
            detail: "there is no disclaimer to accept".into(),
        });
    };
    if current.version != version {
        return Err(Error::Conflict {
            field: Some("version".into()),
            detail: format!(
                "the disclaimer has changed: read version {} and accept that",
                current.version
            ),
        });
    }
    let user = uow.principal.user_id;
    let (accepted_at, new) = profile::accept(&mut uow.tx, user, current.version, client_ip).await?;
    if new {
        let details = serde_json::json!({ "version": current.version });
        uow.audit("disclaimer.accept", "user", user, details)
            .await?;
    }
    Ok(accepted_at)
}

/// The organisation's disclaimer (staff who read settings); none if never set.
pub async fn disclaimer(uow: &mut UnitOfWork) -> Result<Option<DisclaimerVersion>> {
    uow.principal.require(Permission::ReadSettings)?;
    Ok(profile::current_disclaimer(&mut uow.tx).await?)
}

/// Sets the disclaimer (admins): a new text is a new version; `None` turns it off; the
/// same text again changes nothing.
pub async fn set_disclaimer(
    uow: &mut UnitOfWork,
    text: Option<&str>,
) -> Result<Option<DisclaimerVersion>> {
    uow.principal.require(Permission::ManageSettings)?;
    let text = OptionalText::parse(text, MAX_DISCLAIMER_CHARS)
        .map_err(|e| Error::invalid("text", e))?
        .into_inner();
    let current = profile::current_disclaimer(&mut uow.tx).await?;
    let unchanged = match &current {
        Some(v) => v.body == text,
        None => text.is_none(),
    };
    if unchanged {
        return Ok(current);
    }
    let user = uow.principal.user_id;
    let version = profile::set_disclaimer(&mut uow.tx, text.as_deref(), user).await?;
    let details = serde_json::json!({
        "version": version.version,
        "enabled": version.body.is_some(),
        "chars": version.body.as_deref().map_or(0, |b| b.chars().count()),
    });
    let tenant = uow.principal.tenant.0;
    uow.audit("disclaimer.set", "tenant", tenant, details)
        .await?;
    Ok(Some(version))
}

/// A person's profile with their name.
#[derive(Debug, Clone)]
pub struct ProfileView {
    /// The person.
    pub user_id: Uuid,
    /// Their name.
    pub name: String,
    /// Their profile.
    pub profile: Profile,
}

impl ProfileView {
    /// Whether there is a photo to show (its file and what is known of it).
    pub fn has_photo(&self) -> bool {
        let p = &self.profile;
        p.photo_key.is_some()
            && p.photo_content_type.is_some()
            && p.photo_size_bytes.is_some()
            && p.photo_updated_at.is_some()
    }
}

/// Whether the caller may read `person`'s profile (see the module's documentation).
async fn may_read_profile(uow: &mut UnitOfWork, person: Uuid) -> Result<bool> {
    let p = &uow.principal;
    if p.user_id == person || p.may(Permission::ReadUsers) {
        return Ok(true);
    }
    let viewer = p.viewer();
    Ok(enrolments::sees_person(&mut uow.tx, &viewer, person).await?)
}

/// The person's name, if the caller may read their profile; 404 otherwise.
async fn readable_person(uow: &mut UnitOfWork, person: Uuid) -> Result<String> {
    if !may_read_profile(uow, person).await? {
        return Err(Error::NotFound);
    }
    Ok(users::get(&mut uow.tx, person).await?.name)
}

/// Whether the caller may change `person`'s job description: the person, an admin, or the
/// assessor of one of their enrolments. 404 if they may not even read the profile, 403 if
/// they may read but not write. Returns the person's name.
async fn job_description_writer(uow: &mut UnitOfWork, person: Uuid) -> Result<String> {
    let name = readable_person(uow, person).await?;
    let p = &uow.principal;
    if p.user_id == person || p.roles.contains(&Role::Admin) {
        return Ok(name);
    }
    if p.roles.contains(&Role::Assessor)
        && enrolments::assesses_learner(&mut uow.tx, p.user_id, person).await?
    {
        return Ok(name);
    }
    Err(Error::Forbidden)
}

/// The caller's own profile.
pub async fn mine(uow: &mut UnitOfWork) -> Result<ProfileView> {
    let me = uow.principal.user_id;
    let name = users::get(&mut uow.tx, me).await?.name;
    let profile = profile::get(&mut uow.tx, me).await?;
    Ok(ProfileView {
        user_id: me,
        name,
        profile,
    })
}

/// The CV fields as sent; each replaces what was there (absent or blank clears it).
#[derive(Debug, Clone, Default)]
pub struct Cv {
    /// Telephone, at most 50 characters.
    pub phone: Option<String>,
    /// Personal statement, at most 5000 characters.
    pub personal_statement: Option<String>,
    /// Employment history, at most 10000 characters.
    pub employment_history: Option<String>,
    /// Qualifications, at most 10000 characters.
    pub qualifications: Option<String>,
    /// Skills, at most 5000 characters.
    pub skills: Option<String>,
    /// Interests, at most 2000 characters.
    pub interests: Option<String>,
}

fn cv_fields(req: Cv) -> Result<CvFields> {
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

/// Replaces the caller's CV fields.
pub async fn replace_mine(uow: &mut UnitOfWork, cv: Cv) -> Result<ProfileView> {
    let cv = cv_fields(cv)?;
    let me = uow.principal.user_id;
    let name = users::get(&mut uow.tx, me).await?.name;
    let profile = profile::replace_cv(&mut uow.tx, me, &cv).await?;
    uow.audit("profile.update", "user", me, serde_json::json!({}))
        .await?;
    Ok(ProfileView {
        user_id: me,
        name,
        profile,
    })
}

/// Removes the caller's photo; returns the key of the stored object, for the caller to
/// delete once the unit of work commits.
pub async fn remove_my_photo(uow: &mut UnitOfWork) -> Result<Option<String>> {
    let me = uow.principal.user_id;
    let (_, old) = profile::set_photo(&mut uow.tx, me, None).await?;
    if old.is_some() {
        uow.audit("profile.photo.remove", "user", me, serde_json::json!({}))
            .await?;
    }
    Ok(old)
}

/// A person's profile, if the caller may see them (404 otherwise).
pub async fn of(uow: &mut UnitOfWork, person: Uuid) -> Result<ProfileView> {
    let name = readable_person(uow, person).await?;
    let profile = profile::get(&mut uow.tx, person).await?;
    Ok(ProfileView {
        user_id: person,
        name,
        profile,
    })
}

/// A stored file of a profile, to download.
#[derive(Debug, Clone)]
pub struct ProfileFile {
    /// Where it is kept.
    pub key: String,
    /// The name to offer.
    pub file_name: String,
    /// Its size.
    pub size_bytes: i64,
}

/// A person's photo, if the caller may see them and they have one (404 otherwise).
pub async fn photo(uow: &mut UnitOfWork, person: Uuid) -> Result<ProfileFile> {
    readable_person(uow, person).await?;
    let p = profile::get(&mut uow.tx, person).await?;
    let (Some(key), Some(content_type), Some(size_bytes)) =
        (p.photo_key, p.photo_content_type, p.photo_size_bytes)
    else {
        return Err(Error::NotFound);
    };
    let ext = content_type.trim_start_matches("image/");
    Ok(ProfileFile {
        key,
        file_name: format!("photo.{ext}"),
        size_bytes,
    })
}

/// A person's job description, if the caller may see them and there is one (404
/// otherwise).
pub async fn job_description(uow: &mut UnitOfWork, person: Uuid) -> Result<ProfileFile> {
    readable_person(uow, person).await?;
    let p = profile::get(&mut uow.tx, person).await?;
    let (Some(key), Some(file_name), Some(size_bytes)) = (
        p.job_description_key,
        p.job_description_file_name,
        p.job_description_size_bytes,
    ) else {
        return Err(Error::NotFound);
    };
    Ok(ProfileFile {
        key,
        file_name,
        size_bytes,
    })
}

/// Removes a person's job description (whoever may upload it); returns the key of the
/// stored object, for the caller to delete once the unit of work commits.
pub async fn remove_job_description(uow: &mut UnitOfWork, person: Uuid) -> Result<Option<String>> {
    job_description_writer(uow, person).await?;
    let (_, old) = profile::set_job_description(&mut uow.tx, person, None).await?;
    if old.is_some() {
        uow.audit(
            "profile.job_description.remove",
            "user",
            person,
            serde_json::json!({}),
        )
        .await?;
    }
    Ok(old)
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

fn photo_key(principal: &Principal, person: Uuid, id: Uuid) -> String {
    format!("tenants/{}/profiles/{person}/photo/{id}", principal.tenant)
}

fn job_description_key(principal: &Principal, person: Uuid, id: Uuid) -> String {
    format!(
        "tenants/{}/profiles/{person}/job-description/{id}",
        principal.tenant
    )
}

/// Removes a replaced file once the change that replaced it has committed; a failure only
/// leaves an unreferenced object behind, so it is logged, not returned.
async fn remove_replaced(storage: &Storage, old: Option<String>) {
    if let Some(old) = old {
        storage.delete(&old).await;
    }
}

/// Audits a file change to `person`'s profile in the transaction that makes it.
async fn record(
    tx: &mut TenantTx,
    principal: &Principal,
    action: &str,
    person: Uuid,
    size: u64,
) -> Result<()> {
    audit::record(
        tx,
        audit::Event {
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

/// Leave to set a profile's file, checked in a short transaction that is over before any
/// bytes arrive (no connection is held while a file uploads).
#[derive(Debug)]
pub struct UploadPermit {
    principal: Principal,
    person: Uuid,
    name: String,
    max_bytes: u64,
}

impl UploadPermit {
    /// The largest file this upload may store (bytes): its form is refused at once when it
    /// declares more.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
}

/// Leave for the caller to set their own photo; ends the unit of work.
pub async fn permit_photo(mut uow: UnitOfWork) -> Result<UploadPermit> {
    let me = uow.principal.user_id;
    let name = users::get(&mut uow.tx, me).await?.name;
    Ok(UploadPermit {
        person: me,
        name,
        max_bytes: MAX_PHOTO_BYTES,
        principal: uow.commit().await?,
    })
}

/// Leave to set `person`'s job description (the person, an admin, or one of their
/// assessors), with the organisation's file size limit; ends the unit of work.
pub async fn permit_job_description(mut uow: UnitOfWork, person: Uuid) -> Result<UploadPermit> {
    let name = job_description_writer(&mut uow, person).await?;
    let limits = uow.settings().await?;
    Ok(UploadPermit {
        person,
        name,
        max_bytes: limits.evidence_max_bytes,
        principal: uow.commit().await?,
    })
}

impl UploadPermit {
    /// Stores the photo, after checking from its first bytes that it is a JPEG, PNG or
    /// WebP image, and records it; the photo it replaces is then removed.
    pub async fn set_photo<R: AsyncRead + Unpin>(
        self,
        db: &Database,
        storage: &Storage,
        mut reader: R,
    ) -> Result<ProfileView> {
        let Self {
            principal,
            person,
            name,
            max_bytes,
        } = self;
        let key = photo_key(&principal, person, Uuid::now_v7());
        let mut head = Vec::with_capacity(12);
        (&mut reader)
            .take(12)
            .read_to_end(&mut head)
            .await
            .map_err(|e| storage_error(StorageError::Interrupted(e)))?;
        let Some(content_type) = image_type(&head) else {
            return Err(Error::invalid("file", "must be a JPEG, PNG or WebP image"));
        };
        let whole = Cursor::new(head).chain(reader);
        let size = storage
            .put(&key, whole, max_bytes)
            .await
            .map_err(storage_error)?
            .size;
        let (profile, old) = record_or_remove(db, storage, principal.tenant, &key, async |tx| {
            let photo = NewPhoto {
                key: &key,
                content_type,
                size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            };
            let changed = profile::set_photo(tx, person, Some(&photo)).await?;
            record(tx, &principal, "profile.photo.set", person, size).await?;
            Ok(changed)
        })
        .await?;
        remove_replaced(storage, old).await;
        Ok(ProfileView {
            user_id: person,
            name,
            profile,
        })
    }

    /// Stores the job description and records it; the file it replaces is then removed.
    pub async fn set_job_description<R: AsyncRead + Unpin>(
        self,
        db: &Database,
        storage: &Storage,
        file: Incoming<R>,
    ) -> Result<ProfileView> {
        let Self {
            principal,
            person,
            name,
            max_bytes,
        } = self;
        let key = job_description_key(&principal, person, Uuid::now_v7());
        let (profile, old) = store_then_record(
            db,
            storage,
            principal.tenant,
            key,
            file,
            max_bytes,
            async |tx: &mut TenantTx, stored: &Stored| {
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
        remove_replaced(storage, old).await;
        Ok(ProfileView {
            user_id: person,
            name,
            profile,
        })
    }
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
