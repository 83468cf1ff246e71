//! People in the organisation: admins add and change them (`Permission::ManageUsers`);
//! admins and auditors list and read them (`Permission::ReadUsers`).

use folio_db::auth;
use folio_db::users::{self as queries, NewUser, UserChanges, UserFilter};

pub use folio_db::users::User;
use folio_domain::{EmailAddress, Password, Permission, PersonName, Role};
use uuid::Uuid;

use crate::credentials::hash_password;
use crate::paging::{decode_name_cursor, next_name_cursor, page_limit, search_term};
use crate::secrets::SecretKeys;
use crate::{Error, Fields, Result, UnitOfWork, admins, checked};

/// Whether an account can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Can sign in.
    Active,
    /// Cannot sign in.
    Deactivated,
}

impl Status {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Deactivated => "deactivated",
        }
    }
}

/// A person as people see them: their roles and status read.
#[derive(Debug, Clone)]
pub struct Person {
    /// The stored person.
    pub user: User,
    /// Roles held, in the stored order.
    pub roles: Vec<Role>,
    /// Whether the account can be used.
    pub status: Status,
}

impl Person {
    /// The person with their roles and status read; a stored name Folio does not know is
    /// an internal error.
    pub fn new(user: User) -> Result<Self> {
        let roles = user
            .roles
            .iter()
            .map(|r| {
                r.parse()
                    .map_err(|_| Error::Internal(format!("unknown role `{r}`")))
            })
            .collect::<Result<_>>()?;
        let status = match user.status.as_str() {
            "active" => Status::Active,
            "deactivated" => Status::Deactivated,
            other => return Err(Error::Internal(format!("unknown user status `{other}`"))),
        };
        Ok(Self {
            user,
            roles,
            status,
        })
    }
}

/// What to list: checked before anything is read, so a bad query is refused whoever asks.
#[derive(Debug)]
pub struct ListQuery {
    filter: UserFilter,
    after: Option<folio_db::pagination::NameKey>,
    limit: i64,
}

impl ListQuery {
    /// Checks a search term (part of a name or address), the filters, a cursor from a
    /// previous page and a page size.
    pub fn parse(
        q: Option<String>,
        role: Option<Role>,
        status: Option<Status>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Self> {
        let filter = UserFilter {
            search: search_term(q)?,
            role,
            status: status.map(|s| s.as_str().to_owned()),
        };
        let after = decode_name_cursor(cursor)?;
        let limit = page_limit(limit)?;
        Ok(Self {
            filter,
            after,
            limit,
        })
    }
}

/// A page of people ordered by name.
#[derive(Debug)]
pub struct PersonPage {
    /// People.
    pub items: Vec<Person>,
    /// The cursor of the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// A person to add. No `Debug`: it may hold a password.
pub struct NewPerson {
    /// E-mail address; unique in the organisation.
    pub email: String,
    /// Name.
    pub name: String,
    /// At least one role (duplicates are dropped).
    pub roles: Vec<Role>,
    /// Employer organisation (for the employer role).
    pub employer_id: Option<Uuid>,
    /// A local password; none for people who set their own from their invitation, or who
    /// sign in through single sign-on.
    pub password: Option<String>,
}

/// Changes to a person: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PersonChange {
    /// New name.
    pub name: Option<String>,
    /// New e-mail address.
    pub email: Option<String>,
    /// New employer organisation; `Some(None)` removes it.
    pub employer_id: Option<Option<Uuid>>,
}

/// Roles from a request: duplicates removed, in a stable order; at least one.
fn roles(fields: &mut Fields, roles: Vec<Role>) -> Vec<Role> {
    fields.require("roles", !roles.is_empty(), "must name at least one role");
    let mut roles = roles;
    roles.sort();
    roles.dedup();
    roles
}

fn role_names(roles: &[Role]) -> Vec<&'static str> {
    roles.iter().map(|r| r.as_str()).collect()
}

async fn reread(uow: &mut UnitOfWork, id: Uuid) -> Result<Person> {
    Person::new(queries::get(&mut uow.tx, id).await?)
}

/// People in the organisation, by name (admins and auditors).
pub async fn list(uow: &mut UnitOfWork, query: &ListQuery) -> Result<PersonPage> {
    uow.principal.require(Permission::ReadUsers)?;
    let page = queries::list(
        &mut uow.tx,
        &query.filter,
        query.after.as_ref(),
        query.limit,
    )
    .await?;
    let next_cursor = next_name_cursor(&page, |u| (&u.name, u.id));
    let items = page
        .items
        .into_iter()
        .map(Person::new)
        .collect::<Result<_>>()?;
    Ok(PersonPage { items, next_cursor })
}

/// Adds a person with their roles (admins). A person added without a password is sent a
/// welcome e-mail ([`crate::password_links::invite`]): a link to set one, or where the
/// organisation signs people in only through its identity provider, the way to sign in.
/// Without a secret key to seal the link (`FOLIO_SECRET_KEY`), the person is added and
/// the invitation can be sent later.
pub async fn add(uow: &mut UnitOfWork, new: NewPerson, secrets: &SecretKeys) -> Result<Person> {
    uow.principal.require(Permission::ManageUsers)?;
    let mut fields = Fields::default();
    let email = fields.check("email", EmailAddress::parse(&new.email));
    let name = fields.check("name", PersonName::parse(&new.name));
    let roles = roles(&mut fields, new.roles);
    let password = new
        .password
        .as_deref()
        .map(|p| fields.check("password", Password::parse(p)));
    fields.finish()?;
    let (email, name) = (checked(email)?, checked(name)?);
    let password_hash = match password {
        Some(p) => Some(hash_password(&checked(p)?).await?),
        None => None,
    };
    let id = Uuid::now_v7();
    queries::insert(
        &mut uow.tx,
        &NewUser {
            id,
            email: &email,
            name: &name,
            password_hash: password_hash.as_deref(),
            employer_id: new.employer_id,
        },
    )
    .await?;
    queries::set_roles(&mut uow.tx, id, &roles).await?;
    let details =
        serde_json::json!({ "roles": role_names(&roles), "employer_id": new.employer_id });
    uow.audit("user.create", "user", id, details).await?;
    if new.password.is_none() {
        match crate::password_links::invite(uow, secrets, id).await {
            Ok(_) => {}
            Err(Error::Unavailable(why)) => {
                tracing::warn!(reason = %why, "person added without an invitation");
            }
            Err(e) => return Err(e),
        }
    }
    reread(uow, id).await
}

/// One person (admins and auditors).
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<Person> {
    uow.principal.require(Permission::ReadUsers)?;
    reread(uow, id).await
}

/// Changes a person's name, e-mail address or employer (admins).
pub async fn change(uow: &mut UnitOfWork, id: Uuid, change: PersonChange) -> Result<Person> {
    uow.principal.require(Permission::ManageUsers)?;
    let mut fields = Fields::default();
    let name = change
        .name
        .as_deref()
        .map(|n| fields.check("name", PersonName::parse(n)));
    let email = change
        .email
        .as_deref()
        .map(|e| fields.check("email", EmailAddress::parse(e)));
    fields.finish()?;
    let name = name.map(checked).transpose()?;
    let email = email.map(checked).transpose()?;
    let changes = UserChanges {
        name: name.as_ref(),
        email: email.as_ref(),
        employer_id: change.employer_id,
    };
    queries::update(&mut uow.tx, id, &changes).await?;
    let changed: Vec<&str> = [
        ("name", changes.name.is_some()),
        ("email", changes.email.is_some()),
        ("employer_id", changes.employer_id.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect();
    uow.audit(
        "user.update",
        "user",
        id,
        serde_json::json!({ "fields": changed }),
    )
    .await?;
    reread(uow, id).await
}

/// Replaces the roles a person holds (admins; an admin cannot remove their own admin
/// role).
pub async fn set_roles(uow: &mut UnitOfWork, id: Uuid, requested: Vec<Role>) -> Result<Person> {
    uow.principal.require(Permission::ManageUsers)?;
    let mut fields = Fields::default();
    let roles = roles(&mut fields, requested);
    fields.finish()?;
    if id == uow.principal.user_id && !roles.contains(&Role::Admin) {
        return Err(Error::invalid(
            "roles",
            "you cannot remove your own admin role",
        ));
    }
    let before = queries::get(&mut uow.tx, id).await?.roles();
    queries::set_roles(&mut uow.tx, id, &roles).await?;
    admins::ensure_one_can_sign_in(
        &mut uow.tx,
        Some("roles"),
        "Taking the admin role from this person",
    )
    .await?;
    let details = serde_json::json!({
        "roles": role_names(&roles),
        "before": role_names(&before),
    });
    uow.audit("user.set_roles", "user", id, details).await?;
    reread(uow, id).await
}

/// Deactivates a person (admins; not themself): their sessions end and their API tokens
/// are revoked at once.
pub async fn deactivate(uow: &mut UnitOfWork, id: Uuid) -> Result<Person> {
    uow.principal.require(Permission::ManageUsers)?;
    if id == uow.principal.user_id {
        return Err(Error::Conflict {
            field: None,
            detail: "you cannot deactivate yourself".into(),
        });
    }
    queries::set_active(&mut uow.tx, id, false).await?;
    admins::ensure_one_can_sign_in(&mut uow.tx, None, "Deactivating this person").await?;
    auth::revoke_all_credentials(&mut uow.tx, id).await?;
    uow.audit("user.deactivate", "user", id, serde_json::json!({}))
        .await?;
    reread(uow, id).await
}

/// Reactivates a deactivated person (admins); they sign in afresh, old tokens stay
/// revoked.
pub async fn reactivate(uow: &mut UnitOfWork, id: Uuid) -> Result<Person> {
    uow.principal.require(Permission::ManageUsers)?;
    queries::set_active(&mut uow.tx, id, true).await?;
    uow.audit("user.reactivate", "user", id, serde_json::json!({}))
        .await?;
    reread(uow, id).await
}

/// Sets a person's local password (admins); their current sessions end (the admin's own
/// stay, when they set their own).
pub async fn set_password(uow: &mut UnitOfWork, id: Uuid, password: &str) -> Result<()> {
    uow.principal.require(Permission::ManageUsers)?;
    let password = Password::parse(password).map_err(|e| Error::invalid("password", e))?;
    queries::get(&mut uow.tx, id).await?;
    let hash = hash_password(&password).await?;
    queries::set_password_hash(&mut uow.tx, id, Some(&hash)).await?;
    if id != uow.principal.user_id {
        auth::revoke_all_credentials(&mut uow.tx, id).await?;
    }
    uow.audit("user.set_password", "user", id, serde_json::json!({}))
        .await
}

pub use folio_db::sso::LinkedIdentity;

/// The identity provider accounts linked to a person (admins and auditors), oldest first.
pub async fn identities(uow: &mut UnitOfWork, id: Uuid) -> Result<Vec<LinkedIdentity>> {
    uow.principal.require(Permission::ReadUsers)?;
    queries::get(&mut uow.tx, id).await?;
    Ok(folio_db::sso::identities_of(&mut uow.tx, id).await?)
}

/// Unlinks one of a person's identity provider accounts (admins): their next single
/// sign-on through it is a stranger's, linked again only by the rules of a first sign-in.
/// Refused when it leaves no admin who can sign in. Audited.
pub async fn unlink_identity(uow: &mut UnitOfWork, id: Uuid, identity_id: Uuid) -> Result<()> {
    uow.principal.require(Permission::ManageUsers)?;
    let removed = folio_db::sso::unlink_identity(&mut uow.tx, id, identity_id)
        .await?
        .ok_or(Error::NotFound)?;
    admins::ensure_one_can_sign_in(
        &mut uow.tx,
        None,
        "Unlinking this identity provider account",
    )
    .await?;
    uow.audit(
        "user.sso_unlink",
        "user",
        id,
        serde_json::json!({ "issuer": removed.issuer, "subject": removed.subject }),
    )
    .await
}
