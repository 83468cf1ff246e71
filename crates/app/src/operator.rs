//! The platform operator's use cases: what the `folio` command line does with no person
//! signed in (creating organisations, their people and API tokens, preparing the
//! database). Writes are audited with the operator as the actor, in a
//! [`SystemWork`] opened with [`SystemWork::begin_as_operator`].

use chrono::Utc;
use folio_db::audit::{self, Actor, Event};
use folio_db::{Database, auth, platform, users};
use folio_domain::{EmailAddress, Password, PersonName, Role, TenantName, TenantSlug, TokenName};
use uuid::Uuid;

pub use folio_db::create_database_if_missing;
pub use folio_db::platform::Tenant;

use crate::credentials::{self, TokenKind};
use crate::{Error, Result, SystemWork};

/// The organisation with this slug, active or not.
pub async fn tenant(db: &Database, slug: &str) -> Result<Option<Tenant>> {
    Ok(platform::find_by_slug(db.pool(), slug).await?)
}

/// Creates an organisation and records its creation as the first entry of its audit log.
/// A taken slug is a [`Error::Conflict`] on `slug`.
pub async fn create_tenant(db: &Database, slug: &TenantSlug, name: &TenantName) -> Result<Tenant> {
    let tenant = platform::create_tenant(db.pool(), slug, name).await?;
    // The tenant row is written outside any tenant's transaction (it is what a tenant
    // transaction is opened for); its audit entry then goes into its own log.
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    audit::record(
        &mut tx,
        Event {
            actor: Actor::Operator,
            action: "tenant.create",
            entity_type: "tenant",
            entity_id: Some(tenant.id),
            details: serde_json::json!({ "slug": tenant.slug }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(tenant)
}

/// A person the operator adds to an organisation.
#[derive(Debug)]
pub struct NewPerson<'a> {
    /// Their address.
    pub email: &'a EmailAddress,
    /// Their name.
    pub name: &'a PersonName,
    /// Their roles: at least one.
    pub roles: &'a [Role],
    /// Their employer organisation.
    pub employer_id: Option<Uuid>,
    /// A local password, if they have one.
    pub password: Option<&'a Password>,
}

/// The id of the organisation's person with this address, if there is one.
pub async fn person_with_email(
    work: &mut SystemWork,
    email: &EmailAddress,
) -> Result<Option<Uuid>> {
    Ok(users::find_id_by_email(&mut work.tx, email).await?)
}

/// Adds a person with their roles and password (hashed here), audited as `user.create`;
/// returns their id. A taken address is a [`Error::Conflict`]: look first with
/// [`person_with_email`] to tell it apart.
pub async fn add_person(work: &mut SystemWork, person: &NewPerson<'_>) -> Result<Uuid> {
    if person.roles.is_empty() {
        return Err(Error::invalid("roles", "give at least one role"));
    }
    let hash = match person.password {
        Some(p) => Some(credentials::hash_password(p).await?),
        None => None,
    };
    let id = Uuid::now_v7();
    users::insert(
        &mut work.tx,
        &users::NewUser {
            id,
            email: person.email,
            name: person.name,
            password_hash: hash.as_deref(),
            employer_id: person.employer_id,
        },
    )
    .await?;
    users::set_roles(&mut work.tx, id, person.roles).await?;
    let roles: Vec<&str> = person.roles.iter().map(|r| r.as_str()).collect();
    work.audit(
        "user.create",
        "user",
        id,
        serde_json::json!({ "roles": roles }),
    )
    .await?;
    Ok(id)
}

/// Mints a personal API token for the person `user_id`, expiring in `days` days, audited
/// as `api_token.create`; returns the secret (shown once, only its hash is stored).
pub async fn create_api_token(
    work: &mut SystemWork,
    user_id: Uuid,
    name: &TokenName,
    days: i64,
) -> Result<String> {
    let minted = credentials::mint(TokenKind::ApiToken, work.tenant());
    let id = Uuid::now_v7();
    auth::create_api_token(
        &mut work.tx,
        id,
        user_id,
        name,
        &minted.hash,
        Some(Utc::now() + chrono::Duration::days(days)),
    )
    .await?;
    work.audit(
        "api_token.create",
        "api_token",
        id,
        serde_json::json!({ "user_id": user_id, "expires_in_days": days }),
    )
    .await?;
    Ok(minted.token)
}

/// Break glass: gives an organisation that cannot get in (its identity provider gone,
/// password sign-in off) an admin again. The person with `email` is made active and an
/// admin, given `password`, their sessions and API tokens ended, and password sign-in is
/// turned back on; audited as `tenant.admin_recovered`. Their address must have an account
/// (create one first with `folio user create`). Returns their id.
pub async fn recover_admin(
    work: &mut SystemWork,
    email: &EmailAddress,
    password: &Password,
) -> Result<Uuid> {
    let id = users::find_id_by_email(&mut work.tx, email)
        .await?
        .ok_or(Error::NotFound)?;
    let mut roles = users::get(&mut work.tx, id).await?.roles();
    if !roles.contains(&Role::Admin) {
        roles.push(Role::Admin);
    }
    let hash = credentials::hash_password(password).await?;
    users::set_active(&mut work.tx, id, true).await?;
    users::set_roles(&mut work.tx, id, &roles).await?;
    users::set_password_hash(&mut work.tx, id, Some(&hash)).await?;
    auth::revoke_all_credentials(&mut work.tx, id).await?;
    let reopened = folio_db::sso::turn_password_sign_in_on(&mut work.tx).await?;
    work.audit(
        "tenant.admin_recovered",
        "user",
        id,
        serde_json::json!({ "password_sign_in_turned_on": reopened }),
    )
    .await?;
    Ok(id)
}

/// Seals every organisation's stored secrets under the current key: those stored in clear
/// by earlier versions and those sealed under a previous key (`folio migrate` runs it, so
/// a rotation is finished by migrating once with the new key and the old one beside it).
/// Returns how many were sealed again.
pub async fn reseal_secrets(db: &Database, keys: &crate::secrets::SecretKeys) -> Result<u64> {
    if !keys.configured() {
        return Ok(0);
    }
    let mut resealed = 0;
    for tenant in platform::all_tenants(db.pool()).await? {
        let mut work = SystemWork::begin_as_operator(db, tenant.tenant_id()).await?;
        if crate::sso_settings::reseal(&mut work.tx, keys).await? {
            work.audit(
                "sso_settings.secret_resealed",
                "sso_settings",
                tenant.id,
                serde_json::json!({}),
            )
            .await?;
            resealed += 1;
        }
        let secrets = crate::two_factor::reseal(&mut work.tx, keys).await?;
        if secrets > 0 {
            work.audit(
                "two_factor.secrets_resealed",
                "tenant",
                tenant.id,
                serde_json::json!({ "count": secrets }),
            )
            .await?;
            resealed += secrets;
        }
        work.commit().await?;
    }
    Ok(resealed)
}

/// Stores apprenticeship standards' published minimums (platform data, as the owner: the
/// application role may only read them). Returns how many were written.
pub async fn import_standards(
    db: &Database,
    rows: &[folio_domain::standards::PublishedStandard],
) -> Result<u64> {
    Ok(folio_db::standards::import(db.pool(), rows).await?)
}
