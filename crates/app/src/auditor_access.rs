//! Auditor access (issue 23): an admin grants an external auditor read-only access for a
//! range of the organisation's days, to every learner or to a chosen sample of enrolments,
//! and may withdraw it. Access ends by itself: while no grant is in force the auditor holds
//! no auditor role (authentication works it out afresh on every request), and a sample is
//! checked against the grants where each enrolment is read (`folio_db::enrolments`). Every
//! request an auditor makes is in the audit log (`auditor.read`, see
//! [`crate::UnitOfWork::authenticate`]).
//!
//! Admins grant, list and withdraw; an auditor lists their own grants (the banner on every
//! page they read says what is in force and until when); anyone else sees none.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use folio_db::auditor_access::{self as queries, NewGrant};
use folio_db::users;
use folio_domain::jobs::local_date;
use folio_domain::{AuditPurpose, EmailAddress, Permission};
use serde_json::json;
use uuid::Uuid;

pub use folio_db::auditor_access::{Grant, Sampled};

use crate::{Error, Fields, Result, UnitOfWork, checked};

/// The most enrolments one sample may name.
pub const MAX_SAMPLE: usize = 1000;

/// The longest a grant may last, in days: an audit is weeks, not years; access that must
/// go on is granted again, so that someone decides it should.
pub const MAX_DAYS: i64 = 366;

/// What an admin grants.
#[derive(Debug, Clone)]
pub struct Granting {
    /// The auditor: an active person holding the auditor role.
    pub auditor_id: Uuid,
    /// What the access is for, e.g. "ESFA funding audit, December 2026".
    pub purpose: String,
    /// The organisation's first day of access.
    pub starts_on: NaiveDate,
    /// Its last day (access ends at the following midnight, the organisation's time).
    pub ends_on: NaiveDate,
    /// `all_learners` or `sample`: said outright, so that a sample left empty is an error,
    /// never every learner.
    pub scope: String,
    /// The sample's enrolments (a sample only).
    pub enrolment_ids: Option<Vec<Uuid>>,
    /// The sample by learners' e-mail addresses: every programme of each.
    pub learner_emails: Option<Vec<String>>,
}

/// A grant with its sample.
#[derive(Debug, Clone)]
pub struct GrantView {
    /// The grant.
    pub grant: Grant,
    /// The enrolments of its sample, by learner name (empty for every learner).
    pub sample: Vec<Sampled>,
}

/// Grants an auditor access (admins; 403 otherwise). 422 names every field that is wrong:
/// a person who is not an active auditor, an empty purpose, dates in the wrong order, in
/// the past or more than [`MAX_DAYS`] apart, or a sample that is empty, too large or names
/// an enrolment the organisation does not have.
pub async fn grant(uow: &mut UnitOfWork, granting: Granting) -> Result<GrantView> {
    uow.principal.require(Permission::ManageAuditorAccess)?;
    uow.changing();
    let tz = uow.settings().await?.tz();
    let today = local_date(&tz, Utc::now());
    let mut fields = Fields::default();
    let purpose = if granting.purpose.trim().is_empty() {
        fields.add(
            "purpose",
            "say what the access is for, e.g. \"ESFA funding audit, December 2026\"",
        );
        None
    } else {
        fields.check("purpose", AuditPurpose::parse(&granting.purpose))
    };
    match queries::is_active_auditor(&mut uow.tx, granting.auditor_id).await? {
        None => fields.add("auditor_id", "nobody in your organisation has this id"),
        Some(false) => fields.add(
            "auditor_id",
            "this person is not an active auditor: give them the auditor role first",
        ),
        Some(true) => {}
    }
    fields.date("starts_on", granting.starts_on);
    fields.date("ends_on", granting.ends_on);
    if granting.ends_on < granting.starts_on {
        fields.add("ends_on", "must be on or after the first day of access");
    } else if (granting.ends_on - granting.starts_on).num_days() >= MAX_DAYS {
        fields.add(
            "ends_on",
            format!("access lasts at most {MAX_DAYS} days; grant it again to go on after that"),
        );
    }
    fields.require(
        "ends_on",
        granting.ends_on >= today,
        &format!("is in the past: access must end on {today} or later"),
    );
    let sample = sample(uow, &mut fields, &granting).await?;
    fields.finish()?;
    let purpose = checked(purpose)?;
    let id = Uuid::now_v7();
    queries::insert(
        &mut uow.tx,
        &NewGrant {
            id,
            auditor_id: granting.auditor_id,
            purpose: purpose.as_str(),
            starts_on: granting.starts_on,
            ends_on: granting.ends_on,
            valid_from: start_of(granting.starts_on, &tz),
            valid_until: start_of(granting.ends_on + chrono::Days::new(1), &tz),
            sample: sample.as_deref(),
            granted_by: uow.principal.user_id,
        },
    )
    .await?;
    uow.audit(
        "auditor_access.grant",
        "auditor_grant",
        id,
        json!({
            "auditor_id": granting.auditor_id,
            "starts_on": granting.starts_on,
            "ends_on": granting.ends_on,
            "all_learners": sample.is_none(),
            "sample_size": sample.as_ref().map_or(0, Vec::len),
        }),
    )
    .await?;
    get(uow, id).await
}

/// The sample a grant names, checked (`None` for every learner): the enrolments named,
/// and every programme of each learner named by address; each one the organisation does
/// not have is an error on its own index.
async fn sample(
    uow: &mut UnitOfWork,
    fields: &mut Fields,
    granting: &Granting,
) -> Result<Option<Vec<Uuid>>> {
    let ids = granting.enrolment_ids.as_deref().unwrap_or_default();
    let emails = granting.learner_emails.as_deref().unwrap_or_default();
    match granting.scope.as_str() {
        "all_learners" => {
            if !ids.is_empty() || !emails.is_empty() {
                fields.add(
                    "scope",
                    "is every learner, so name no sample: choose sample to name learners",
                );
            }
            return Ok(None);
        }
        "sample" => {}
        _ => {
            fields.add("scope", "must be all_learners or sample");
            return Ok(None);
        }
    }
    // The field a person filled in (the page's form has only the addresses).
    let field = if granting.enrolment_ids.is_some() {
        "enrolment_ids"
    } else {
        "learner_emails"
    };
    if ids.len() + emails.len() > MAX_SAMPLE {
        fields.add(
            field,
            format!("a sample holds at most {MAX_SAMPLE} programmes"),
        );
        return Ok(Some(Vec::new()));
    }
    let mut chosen = ids.to_vec();
    for unknown in queries::unknown_enrolments(&mut uow.tx, ids).await? {
        if let Some(i) = ids.iter().position(|id| *id == unknown) {
            fields.add(
                format!("enrolment_ids[{i}]"),
                "no enrolment in your organisation has this id",
            );
        }
    }
    for (i, email) in emails.iter().enumerate() {
        let field = format!("learner_emails[{i}]");
        let Some(address) = fields.check(&field, EmailAddress::parse(email.trim())) else {
            continue;
        };
        let found = match users::find_id_by_email(&mut uow.tx, &address).await? {
            Some(learner) => queries::enrolments_of_learner(&mut uow.tx, learner).await?,
            None => Vec::new(),
        };
        if found.is_empty() {
            fields.add(
                field,
                format!("nobody enrolled in your organisation has the address {email}"),
            );
        }
        chosen.extend(found);
    }
    chosen.sort_unstable();
    chosen.dedup();
    if ids.is_empty() && emails.is_empty() {
        fields.add(
            field,
            "choose at least one learner for the sample (or give access to every learner instead)",
        );
    } else if chosen.len() > MAX_SAMPLE {
        fields.add(
            field,
            format!("a sample holds at most {MAX_SAMPLE} programmes"),
        );
    }
    Ok(Some(chosen))
}

/// The instant the organisation's day `day` begins in `tz` (the earliest, should midnight
/// happen twice; the first moment after, should the clocks skip it).
fn start_of(day: NaiveDate, tz: &chrono_tz::Tz) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    (0..=2)
        .find_map(|h| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// Whether the caller may read this grant with its sample: admins every one, an auditor
/// their own while it is in force (the sample names learners: theirs to read only then,
/// and every read of it is then in the audit log).
fn may_read(uow: &UnitOfWork, grant: &Grant) -> bool {
    uow.principal.may(Permission::ManageAuditorAccess)
        || (grant.auditor_id == uow.principal.user_id
            && grant.state == "in_force"
            && uow.principal.is_auditing())
}

/// The grants the caller may read, newest first: every one for admins, their own for
/// anyone else (none unless they were granted access).
pub async fn list(uow: &mut UnitOfWork) -> Result<Vec<Grant>> {
    let auditor =
        (!uow.principal.may(Permission::ManageAuditorAccess)).then_some(uow.principal.user_id);
    Ok(queries::list(&mut uow.tx, auditor).await?)
}

/// One grant with its sample (an admin, or the auditor it was granted to; 404 otherwise).
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<GrantView> {
    let grant = queries::get(&mut uow.tx, id).await?;
    if !may_read(uow, &grant) {
        return Err(Error::NotFound);
    }
    let sample = if grant.all_learners {
        Vec::new()
    } else {
        queries::sample(&mut uow.tx, id).await?
    };
    Ok(GrantView { grant, sample })
}

/// Withdraws a grant at once (admins; 403 otherwise, 404 for an unknown id, 409 for one
/// that has already ended or been withdrawn).
pub async fn withdraw(uow: &mut UnitOfWork, id: Uuid) -> Result<GrantView> {
    uow.principal.require(Permission::ManageAuditorAccess)?;
    uow.changing();
    let grant = queries::get(&mut uow.tx, id).await?;
    if !queries::withdraw(&mut uow.tx, id, uow.principal.user_id).await? {
        let detail = if grant.withdrawn_at.is_some() {
            "this access has already been withdrawn"
        } else {
            "this access has already ended"
        };
        return Err(Error::Conflict {
            field: None,
            detail: detail.into(),
        });
    }
    uow.audit(
        "auditor_access.withdraw",
        "auditor_grant",
        id,
        json!({ "auditor_id": grant.auditor_id }),
    )
    .await?;
    get(uow, id).await
}

/// The caller's own grants in force now, soonest ending first: what the banner on an
/// auditor's pages shows (empty for everyone else).
pub async fn in_force(uow: &mut UnitOfWork) -> Result<Vec<Grant>> {
    if !uow.principal.is_auditing() {
        return Ok(Vec::new());
    }
    let me = uow.principal.user_id;
    let mut grants: Vec<Grant> = queries::list(&mut uow.tx, Some(me))
        .await?
        .into_iter()
        .filter(|g| g.state == "in_force")
        .collect();
    grants.sort_by_key(|g| g.ends_on);
    Ok(grants)
}
