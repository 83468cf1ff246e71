//! Shapes shared by several resources.

use chrono::{DateTime, Utc};
use folio_app::sso::Tenant;
use folio_app::users::User;
use folio_app::users::{self, Person};
use folio_domain::Role;
use poem_openapi::{Enum, Object};
use serde::Deserialize;
use uuid::Uuid;

/// A role a person holds in their organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    /// Provider admin.
    Admin,
    /// Assessor / training adviser.
    Assessor,
    /// Internal quality assurer.
    Iqa,
    /// Learner's manager at the employer.
    Employer,
    /// Apprentice.
    Learner,
    /// Read-only auditor or inspector.
    Auditor,
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Self {
        match r {
            RoleName::Admin => Role::Admin,
            RoleName::Assessor => Role::Assessor,
            RoleName::Iqa => Role::Iqa,
            RoleName::Employer => Role::Employer,
            RoleName::Learner => Role::Learner,
            RoleName::Auditor => Role::Auditor,
        }
    }
}

impl From<Role> for RoleName {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => RoleName::Admin,
            Role::Assessor => RoleName::Assessor,
            Role::Iqa => RoleName::Iqa,
            Role::Employer => RoleName::Employer,
            Role::Learner => RoleName::Learner,
            Role::Auditor => RoleName::Auditor,
        }
    }
}

/// Whether an account can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Can sign in.
    Active,
    /// Cannot sign in; sessions and tokens stopped working when deactivated.
    Deactivated,
}

impl From<UserStatus> for users::Status {
    fn from(s: UserStatus) -> Self {
        match s {
            UserStatus::Active => users::Status::Active,
            UserStatus::Deactivated => users::Status::Deactivated,
        }
    }
}

impl From<users::Status> for UserStatus {
    fn from(s: users::Status) -> Self {
        match s {
            users::Status::Active => UserStatus::Active,
            users::Status::Deactivated => UserStatus::Deactivated,
        }
    }
}

/// A person in the organisation.
#[derive(Debug, Object)]
pub struct UserBody {
    /// Id.
    pub id: Uuid,
    /// E-mail address (lower-case).
    pub email: String,
    /// Name.
    pub name: String,
    /// Whether the account can be used.
    pub status: UserStatus,
    /// Roles held.
    pub roles: Vec<RoleName>,
    /// Employer organisation (for people with the employer role).
    pub employer_id: Option<Uuid>,
    /// Whether a local password is set.
    pub has_password: bool,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// When deactivated.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        Self {
            roles: u.roles().into_iter().map(RoleName::from).collect(),
            status: if u.status == "active" {
                UserStatus::Active
            } else {
                UserStatus::Deactivated
            },
            id: u.id,
            email: u.email,
            name: u.name,
            employer_id: u.employer_id,
            has_password: u.has_password,
            last_login_at: u.last_login_at,
            deactivated_at: u.deactivated_at,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

impl From<Person> for UserBody {
    fn from(p: Person) -> Self {
        Self {
            roles: p.roles.into_iter().map(RoleName::from).collect(),
            status: p.status.into(),
            ..p.user.into()
        }
    }
}

/// A training provider.
#[derive(Debug, Object)]
pub struct TenantBody {
    /// Id.
    pub id: Uuid,
    /// Short name used at sign-in.
    pub slug: String,
    /// Display name.
    pub name: String,
}

impl From<Tenant> for TenantBody {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id,
            slug: t.slug,
            name: t.name,
        }
    }
}
