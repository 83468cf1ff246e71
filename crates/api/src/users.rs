//! People in the organisation, managed by its admins.
//!
//! Adapters over `folio_app::users`, where who may add, change and read people is written.

use folio_app::password_links;
use folio_app::users::{self, ListQuery};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;
use crate::schema::{RoleName, UserBody, UserStatus};

#[derive(Tags)]
enum UsersTag {
    /// People in the organisation (admins manage, auditors read).
    Users,
}

pub struct UsersApi(pub AppState);

/// A new person. No `Debug`: it may hold a password.
#[derive(Object, Deserialize)]
struct NewUserRequest {
    /// E-mail address; unique in the organisation.
    email: String,
    /// Name.
    name: String,
    /// At least one role.
    roles: Vec<RoleName>,
    /// Employer organisation (for the employer role).
    employer_id: Option<Uuid>,
    /// A local password (at least 10 characters). Leave it out and the person is sent a
    /// welcome e-mail with a single-use link to choose their own (valid 7 days), or, where
    /// the organisation signs people in only through its identity provider, the way to
    /// sign in.
    password: Option<String>,
}

/// Changes to a person; fields left out stay as they are.
#[derive(Debug, Object, Deserialize)]
struct UserUpdate {
    /// New name.
    name: Option<String>,
    /// New e-mail address.
    email: Option<String>,
    /// New employer organisation; `null` removes it.
    #[serde(default)]
    employer_id: MaybeUndefined<Uuid>,
}

/// The complete set of roles a person should hold.
#[derive(Debug, Object, Deserialize)]
struct RolesRequest {
    /// At least one role.
    roles: Vec<RoleName>,
}

/// A new local password. No `Debug`: it holds one.
#[derive(Object, Deserialize)]
struct PasswordRequest {
    /// At least 10 characters.
    password: String,
}

/// A page of people ordered by name.
#[derive(Debug, Object)]
struct UserPage {
    /// People.
    items: Vec<UserBody>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum CreateUserResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<UserBody>),
}

/// The welcome e-mail queued.
#[derive(Debug, Object)]
struct InvitationBody {
    /// `password-link` (a link to set a password) or `sign-in-with-organisation` (the
    /// organisation signs people in only through its identity provider).
    kind: String,
    /// When the link stops working (`password-link` only).
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(ApiResponse)]
enum InvitationResponse {
    /// Queued: the e-mail goes out with the next delivery run.
    #[oai(status = 202)]
    Sent(Json<InvitationBody>),
}

#[derive(ApiResponse)]
enum PasswordResponse {
    /// Password set; the person's sessions were ended.
    #[oai(status = 204)]
    Set,
}

fn roles(names: &[RoleName]) -> Vec<folio_domain::Role> {
    names.iter().map(|&r| r.into()).collect()
}

#[OpenApi(prefix_path = "/api/v1/users", tag = "UsersTag::Users")]
impl UsersApi {
    /// People in the organisation, by name; search matches part of a name or address.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        /// Part of a name or e-mail address.
        q: Query<Option<String>>,
        /// Only people with this role.
        role: Query<Option<RoleName>>,
        /// Only active or only deactivated people.
        status: Query<Option<UserStatus>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<UserPage>> {
        // A bad query is refused before the credentials are looked at, whoever asks.
        let query = ListQuery::parse(
            q.0,
            role.0.map(Into::into),
            status.0.map(Into::into),
            cursor.0.as_deref(),
            limit.0,
        )?;
        let mut uow = self.0.authenticate(&credentials).await?;
        let page = users::list(&mut uow, &query).await?;
        uow.commit().await?;
        Ok(Json(UserPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// Add a person with their roles.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        body: JsonBody<NewUserRequest>,
    ) -> ApiResult<CreateUserResponse> {
        let req = body.0;
        let new = users::NewPerson {
            email: req.email,
            name: req.name,
            roles: roles(&req.roles),
            employer_id: req.employer_id,
            password: req.password,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let user = users::add(&mut uow, new, &self.0.settings.secrets).await?;
        uow.commit().await?;
        Ok(CreateUserResponse::Created(Json(user.into())))
    }

    /// One person.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<UserBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let user = users::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(user.into()))
    }

    /// Change a person's name, e-mail address or employer.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<UserUpdate>,
    ) -> ApiResult<Json<UserBody>> {
        let req = body.0;
        let change = users::PersonChange {
            name: req.name,
            email: req.email,
            employer_id: match req.employer_id {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(id)),
            },
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let user = users::change(&mut uow, id.0, change).await?;
        uow.commit().await?;
        Ok(Json(user.into()))
    }

    /// Replace the roles a person holds. Admins cannot remove their own admin role; 409
    /// `last-admin` when no active admin who can sign in would be left.
    #[oai(path = "/:id/roles", method = "put")]
    async fn set_roles(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<RolesRequest>,
    ) -> ApiResult<Json<UserBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let user = users::set_roles(&mut uow, id.0, roles(&body.0.roles)).await?;
        uow.commit().await?;
        Ok(Json(user.into()))
    }

    /// Deactivate a person: their sessions end and their API tokens are revoked at once.
    /// 409 `last-admin` when no active admin who can sign in would be left.
    #[oai(path = "/:id/deactivate", method = "post")]
    async fn deactivate(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let user = users::deactivate(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(user.into()))
    }

    /// Reactivate a deactivated person (they sign in afresh; old tokens stay revoked).
    #[oai(path = "/:id/reactivate", method = "post")]
    async fn reactivate(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let user = users::reactivate(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(user.into()))
    }

    /// Send a person their welcome e-mail again: a single-use link to set their password
    /// (valid 7 days; the last one sent stops working), or where the organisation signs
    /// people in only through its identity provider, the way to sign in. 409 for a
    /// deactivated person; 503 when Folio has no secret key to seal the link with.
    #[oai(path = "/:id/invitation", method = "post")]
    async fn invite(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<InvitationResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let sent = password_links::invite(&mut uow, &self.0.settings.secrets, id.0).await?;
        uow.commit().await?;
        Ok(InvitationResponse::Sent(Json(match sent {
            password_links::Invitation::PasswordLink { expires_at } => InvitationBody {
                kind: "password-link".into(),
                expires_at: Some(expires_at),
            },
            password_links::Invitation::SignInWithOrganisation => InvitationBody {
                kind: "sign-in-with-organisation".into(),
                expires_at: None,
            },
        })))
    }

    /// Set a person's local password; their current sessions end.
    #[oai(path = "/:id/password", method = "put")]
    async fn set_password(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<PasswordRequest>,
    ) -> ApiResult<PasswordResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        users::set_password(&mut uow, id.0, &body.0.password).await?;
        uow.commit().await?;
        Ok(PasswordResponse::Set)
    }

    /// The accounts at identity providers linked to a person (admins and auditors), oldest
    /// first: a single sign-on through one of them signs this person in.
    #[oai(path = "/:id/identities", method = "get")]
    async fn identities(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<LinkedIdentityBody>>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let linked = users::identities(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(linked.into_iter().map(Into::into).collect()))
    }

    /// Unlink one of a person's identity provider accounts (admins; audited): a sign-in
    /// through it is then a stranger's, linked again only by the rules of a first sign-in.
    /// 409 `last-admin` when no active admin who can sign in would be left.
    #[oai(path = "/:id/identities/:identity_id", method = "delete")]
    async fn unlink_identity(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        identity_id: Path<Uuid>,
    ) -> ApiResult<UnlinkResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        users::unlink_identity(&mut uow, id.0, identity_id.0).await?;
        uow.commit().await?;
        Ok(UnlinkResponse::Unlinked)
    }
}

/// An account at an identity provider linked to a person.
#[derive(Debug, Object)]
struct LinkedIdentityBody {
    /// The link's id.
    id: Uuid,
    /// The provider's issuer URL.
    issuer: String,
    /// The person's subject (`sub`) at the provider.
    subject: String,
    /// When it was linked.
    created_at: chrono::DateTime<chrono::Utc>,
    /// When it was last used to sign in.
    last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<users::LinkedIdentity> for LinkedIdentityBody {
    fn from(l: users::LinkedIdentity) -> Self {
        Self {
            id: l.id,
            issuer: l.issuer,
            subject: l.subject,
            created_at: l.created_at,
            last_login_at: l.last_login_at,
        }
    }
}

#[derive(ApiResponse)]
enum UnlinkResponse {
    /// Unlinked.
    #[oai(status = 204)]
    Unlinked,
}
