//! People in a tenant and their roles.

use chrono::{DateTime, Utc};
use folio_domain::{EmailAddress, PersonName, Role};
use sqlx::FromRow;
use uuid::Uuid;

use crate::pagination::{NameKey, Page, contains_pattern};
use crate::{DbError, DbResult, TenantTx};

/// A person, with the roles they hold.
#[derive(Debug, Clone, FromRow)]
pub struct User {
    /// Their id.
    pub id: Uuid,
    /// Their e-mail address (lower-case).
    pub email: String,
    /// Their name.
    pub name: String,
    /// `active` or `deactivated`.
    pub status: String,
    /// The employer organisation an `employer`-role person works for.
    pub employer_id: Option<Uuid>,
    /// Whether a local password is set.
    pub has_password: bool,
    /// When they last signed in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// When they were deactivated, if they are.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When the account last changed.
    pub updated_at: DateTime<Utc>,
    /// Role names, alphabetically.
    pub roles: Vec<String>,
}

impl User {
    /// The roles as [`Role`]s; names the schema's check constraint would not allow are
    /// impossible, so none is dropped in practice.
    pub fn roles(&self) -> Vec<Role> {
        self.roles.iter().filter_map(|r| r.parse().ok()).collect()
    }
}

const SELECT_USER: &str = "select u.id, u.email, u.name, u.status, u.employer_id,
        u.password_hash is not null as has_password, u.last_login_at, u.deactivated_at,
        u.created_at, u.updated_at,
        array(select r.role from user_roles r
              where r.tenant_id = u.tenant_id and r.user_id = u.id order by r.role) as roles
    from users u";

/// What is needed to create a person.
#[derive(Debug)]
pub struct NewUser<'a> {
    /// The new id (UUID v7).
    pub id: Uuid,
    /// Their address.
    pub email: &'a EmailAddress,
    /// Their name.
    pub name: &'a PersonName,
    /// An argon2 PHC string, or none for people who sign in only through SSO.
    pub password_hash: Option<&'a str>,
    /// Their employer organisation.
    pub employer_id: Option<Uuid>,
}

/// Inserts a person. A taken address fails with the `users_email_key` constraint, an
/// unknown employer with `users_employer_fkey`.
pub async fn insert(tx: &mut TenantTx, user: &NewUser<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query(
        "insert into users (tenant_id, id, email, name, password_hash, employer_id)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.0)
    .bind(user.id)
    .bind(user.email.as_str())
    .bind(user.name.as_str())
    .bind(user.password_hash)
    .bind(user.employer_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Makes `roles` exactly the roles the person holds.
pub async fn set_roles(tx: &mut TenantTx, user_id: Uuid, roles: &[Role]) -> DbResult<()> {
    let tenant = tx.tenant();
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    sqlx::query("delete from user_roles where tenant_id = $1 and user_id = $2 and role <> all($3)")
        .bind(tenant.0)
        .bind(user_id)
        .bind(&names)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "insert into user_roles (tenant_id, user_id, role)
         select $1, $2, unnest($3::text[])
         on conflict do nothing",
    )
    .bind(tenant.0)
    .bind(user_id)
    .bind(&names)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One person by id.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> DbResult<User> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_USER} where u.tenant_id = $1 and u.id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// Filters for listing people.
#[derive(Debug, Default)]
pub struct UserFilter {
    /// Part of a name or address.
    pub search: Option<String>,
    /// Only people holding this role.
    pub role: Option<Role>,
    /// Only `active` or only `deactivated` people.
    pub status: Option<String>,
}

/// A page of people ordered by name, after `after`.
pub async fn list(
    tx: &mut TenantTx,
    filter: &UserFilter,
    after: Option<&NameKey>,
    limit: i64,
) -> DbResult<Page<User>> {
    let tenant = tx.tenant();
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_USER}
         where u.tenant_id = $1
           and ($2::text is null or u.name ilike $2 or u.email ilike $2)
           and ($3::text is null or exists (select 1 from user_roles r
                where r.tenant_id = u.tenant_id and r.user_id = u.id and r.role = $3))
           and ($4::text is null or u.status = $4)
           and ($5::text is null or (u.name, u.id) > ($5, $6))
         order by u.name, u.id
         limit $7"
    )))
    .bind(tenant.0)
    .bind(filter.search.as_deref().map(contains_pattern))
    .bind(filter.role.map(Role::as_str))
    .bind(filter.status.as_deref())
    .bind(after.map(|k| k.name.as_str()))
    .bind(after.map(|k| k.id))
    .bind(limit + 1)
    .fetch_all(tx.conn())
    .await?;
    Ok(Page::from_overfetch(rows, limit))
}

/// Changes to a person's details; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserChanges<'a> {
    /// A new name.
    pub name: Option<&'a PersonName>,
    /// A new address.
    pub email: Option<&'a EmailAddress>,
    /// A new employer (`Some(None)` clears it).
    pub employer_id: Option<Option<Uuid>>,
}

/// Applies `changes`; fails with [`DbError::NotFound`] for an unknown id.
pub async fn update(tx: &mut TenantTx, id: Uuid, changes: &UserChanges<'_>) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update users set
            name = coalesce($3, name),
            email = coalesce($4, email),
            employer_id = case when $5 then $6 else employer_id end,
            updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(changes.name.map(PersonName::as_str))
    .bind(changes.email.map(EmailAddress::as_str))
    .bind(changes.employer_id.is_some())
    .bind(changes.employer_id.flatten())
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// Deactivates or reactivates a person.
pub async fn set_active(tx: &mut TenantTx, id: Uuid, active: bool) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update users set
            status = case when $3 then 'active' else 'deactivated' end,
            deactivated_at = case when $3 then null else coalesce(deactivated_at, now()) end,
            updated_at = now()
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(active)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// Sets (or, with `None`, removes) a person's local password hash.
pub async fn set_password_hash(tx: &mut TenantTx, id: Uuid, hash: Option<&str>) -> DbResult<()> {
    let tenant = tx.tenant();
    let result = sqlx::query(
        "update users set password_hash = $3, updated_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(hash)
    .execute(tx.conn())
    .await?;
    found(result.rows_affected())
}

/// What password sign-in needs to know about an address.
#[derive(Debug, FromRow)]
pub struct SignInCandidate {
    /// The person's id.
    pub id: Uuid,
    /// Their argon2 hash, if they have a local password.
    pub password_hash: Option<String>,
    /// Whether they are active.
    pub active: bool,
}

/// The person with this address, for password sign-in.
pub async fn find_sign_in_candidate(
    tx: &mut TenantTx,
    email: &EmailAddress,
) -> DbResult<Option<SignInCandidate>> {
    let tenant = tx.tenant();
    Ok(sqlx::query_as(
        "select id, password_hash, status = 'active' as active
         from users where tenant_id = $1 and email = $2",
    )
    .bind(tenant.0)
    .bind(email.as_str())
    .fetch_optional(tx.conn())
    .await?)
}

/// The id of the person with this address.
pub async fn find_id_by_email(tx: &mut TenantTx, email: &EmailAddress) -> DbResult<Option<Uuid>> {
    let tenant = tx.tenant();
    Ok(
        sqlx::query_scalar("select id from users where tenant_id = $1 and email = $2")
            .bind(tenant.0)
            .bind(email.as_str())
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// Records a successful sign-in.
pub async fn record_login(tx: &mut TenantTx, id: Uuid) -> DbResult<()> {
    let tenant = tx.tenant();
    sqlx::query("update users set last_login_at = now() where tenant_id = $1 and id = $2")
        .bind(tenant.0)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub(crate) fn found(rows_affected: u64) -> DbResult<()> {
    if rows_affected == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// The employer organisation a person works for, if any.
pub async fn employer_of(tx: &mut TenantTx, id: Uuid) -> DbResult<Option<Uuid>> {
    let tenant = tx.tenant();
    Ok(
        sqlx::query_scalar("select employer_id from users where tenant_id = $1 and id = $2")
            .bind(tenant.0)
            .bind(id)
            .fetch_optional(tx.conn())
            .await?
            .flatten(),
    )
}
