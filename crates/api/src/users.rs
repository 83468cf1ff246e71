//! People in the organisation, managed by its admins.

use folio_db::users::{self, NewUser, UserChanges, UserFilter};
use folio_db::{TenantTx, auth};
use folio_domain::{EmailAddress, Password, Permission, PersonName, Role};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::pagination::{decode_name_cursor, next_name_cursor, page_limit, search_term};
use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiError, ApiResult, AppError, AppResult, Fields, checked};
use crate::schema::{RoleName, UserBody, UserStatus, roles_from};
use folio_app::credentials::hash_password;

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
    /// A local password (at least 10 characters); leave out for people who sign in
    /// through the organisation's single sign-on.
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

#[derive(ApiResponse)]
enum PasswordResponse {
    /// Password set; the person's sessions were ended.
    #[oai(status = 204)]
    Set,
}

fn parse_roles(fields: &mut Fields, names: &[RoleName]) -> Vec<Role> {
    fields.require("roles", !names.is_empty(), "must name at least one role");
    roles_from(names)
}

async fn record(
    authed: &mut Authenticated,
    action: &str,
    user_id: Uuid,
    details: serde_json::Value,
) -> AppResult<()> {
    authed.audit(action, "user", user_id, details).await
}

async fn finish(mut tx: TenantTx, id: Uuid) -> AppResult<Json<UserBody>> {
    let user = users::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(user.into()))
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
        let filter = UserFilter {
            search: search_term(q.0)?,
            role: role.0.map(Into::into),
            status: status.0.map(|s| s.as_str().to_owned()),
        };
        let after = decode_name_cursor(cursor.0.as_deref())?;
        let limit = page_limit(limit.0)?;
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ReadUsers)
            .await?;
        let page = users::list(&mut authed.tx, &filter, after.as_ref(), limit).await?;
        authed.tx.commit().await?;
        let next_cursor = next_name_cursor(&page, |u| (&u.name, u.id));
        Ok(Json(UserPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Add a person with their roles.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        body: JsonBody<NewUserRequest>,
    ) -> ApiResult<CreateUserResponse> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageUsers)
            .await?;
        let req = body.0;
        let mut fields = Fields::default();
        let email = fields.check("email", EmailAddress::parse(&req.email));
        let name = fields.check("name", PersonName::parse(&req.name));
        let roles = parse_roles(&mut fields, &req.roles);
        let password = req
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
        users::insert(
            &mut authed.tx,
            &NewUser {
                id,
                email: &email,
                name: &name,
                password_hash: password_hash.as_deref(),
                employer_id: req.employer_id,
            },
        )
        .await?;
        users::set_roles(&mut authed.tx, id, &roles).await?;
        let role_names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        record(
            &mut authed,
            "user.create",
            id,
            serde_json::json!({ "roles": role_names, "employer_id": req.employer_id }),
        )
        .await?;
        let Json(user) = finish(authed.tx, id).await?;
        Ok(CreateUserResponse::Created(Json(user)))
    }

    /// One person.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<UserBody>> {
        let authed = self
            .0
            .authorize(&credentials, Permission::ReadUsers)
            .await?;
        finish(authed.tx, id.0).await.map_err(ApiError::from)
    }

    /// Change a person's name, e-mail address or employer.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<UserUpdate>,
    ) -> ApiResult<Json<UserBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageUsers)
            .await?;
        let req = body.0;
        let mut fields = Fields::default();
        let name = req
            .name
            .as_deref()
            .map(|n| fields.check("name", PersonName::parse(n)));
        let email = req
            .email
            .as_deref()
            .map(|e| fields.check("email", EmailAddress::parse(e)));
        fields.finish()?;
        let name = name.map(checked).transpose()?;
        let email = email.map(checked).transpose()?;
        let employer_id = match req.employer_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(id)),
        };

        let changes = UserChanges {
            name: name.as_ref(),
            email: email.as_ref(),
            employer_id,
        };
        users::update(&mut authed.tx, id.0, &changes).await?;
        let mut changed = Vec::new();
        if changes.name.is_some() {
            changed.push("name");
        }
        if changes.email.is_some() {
            changed.push("email");
        }
        if changes.employer_id.is_some() {
            changed.push("employer_id");
        }
        record(
            &mut authed,
            "user.update",
            id.0,
            serde_json::json!({ "fields": changed }),
        )
        .await?;
        finish(authed.tx, id.0).await.map_err(ApiError::from)
    }

    /// Replace the roles a person holds. Admins cannot remove their own admin role.
    #[oai(path = "/:id/roles", method = "put")]
    async fn set_roles(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<RolesRequest>,
    ) -> ApiResult<Json<UserBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageUsers)
            .await?;
        let mut fields = Fields::default();
        let roles = parse_roles(&mut fields, &body.0.roles);
        fields.finish()?;
        if id.0 == authed.principal.user_id && !roles.contains(&Role::Admin) {
            return Err(AppError::invalid("roles", "you cannot remove your own admin role").into());
        }
        users::get(&mut authed.tx, id.0).await?;
        users::set_roles(&mut authed.tx, id.0, &roles).await?;
        let role_names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        record(
            &mut authed,
            "user.set_roles",
            id.0,
            serde_json::json!({ "roles": role_names }),
        )
        .await?;
        finish(authed.tx, id.0).await.map_err(ApiError::from)
    }

    /// Deactivate a person: their sessions end and their API tokens are revoked at once.
    #[oai(path = "/:id/deactivate", method = "post")]
    async fn deactivate(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageUsers)
            .await?;
        if id.0 == authed.principal.user_id {
            return Err(AppError::Conflict {
                field: None,
                detail: "you cannot deactivate yourself".into(),
            }
            .into());
        }
        users::set_active(&mut authed.tx, id.0, false).await?;
        auth::revoke_all_credentials(&mut authed.tx, id.0).await?;
        record(&mut authed, "user.deactivate", id.0, serde_json::json!({})).await?;
        finish(authed.tx, id.0).await.map_err(ApiError::from)
    }

    /// Reactivate a deactivated person (they sign in afresh; old tokens stay revoked).
    #[oai(path = "/:id/reactivate", method = "post")]
    async fn reactivate(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageUsers)
            .await?;
        users::set_active(&mut authed.tx, id.0, true).await?;
        record(&mut authed, "user.reactivate", id.0, serde_json::json!({})).await?;
        finish(authed.tx, id.0).await.map_err(ApiError::from)
    }

    /// Set a person's local password; their current sessions end.
    #[oai(path = "/:id/password", method = "put")]
    async fn set_password(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<PasswordRequest>,
    ) -> ApiResult<PasswordResponse> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageUsers)
            .await?;
        let password =
            Password::parse(&body.0.password).map_err(|e| AppError::invalid("password", e))?;
        users::get(&mut authed.tx, id.0).await?;
        let hash = hash_password(&password).await?;
        users::set_password_hash(&mut authed.tx, id.0, Some(&hash)).await?;
        if id.0 != authed.principal.user_id {
            auth::revoke_all_credentials(&mut authed.tx, id.0).await?;
        }
        record(
            &mut authed,
            "user.set_password",
            id.0,
            serde_json::json!({}),
        )
        .await?;
        authed.tx.commit().await?;
        Ok(PasswordResponse::Set)
    }
}
