//! Employer organisations.

use chrono::{DateTime, Utc};
use folio_db::employers::{self, Employer, EmployerDetails};
use folio_domain::{EmailAddress, OptionalText, OrganisationName, Permission};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::pagination::{decode_name_cursor, next_name_cursor, page_limit, search_term};
use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiResult, AppError, AppResult, Fields, checked};

#[derive(Tags)]
enum EmployersTag {
    /// Employer organisations (admins manage; staff read).
    Employers,
}

pub struct EmployersApi(pub AppState);

/// An employer organisation.
#[derive(Debug, Object)]
struct EmployerBody {
    /// Id.
    id: Uuid,
    /// Name.
    name: String,
    /// Person to contact.
    contact_name: Option<String>,
    /// Their e-mail address.
    contact_email: Option<String>,
    /// Telephone.
    phone: Option<String>,
    /// Added.
    created_at: DateTime<Utc>,
    /// Last changed.
    updated_at: DateTime<Utc>,
}

impl From<Employer> for EmployerBody {
    fn from(e: Employer) -> Self {
        Self {
            id: e.id,
            name: e.name,
            contact_name: e.contact_name,
            contact_email: e.contact_email,
            phone: e.phone,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An employer's details (all of them, for create and replace).
#[derive(Debug, Object, Deserialize)]
struct EmployerRequest {
    /// Name.
    name: String,
    /// Person to contact.
    contact_name: Option<String>,
    /// Their e-mail address.
    contact_email: Option<String>,
    /// Telephone.
    phone: Option<String>,
}

impl EmployerRequest {
    fn parse(self) -> AppResult<EmployerDetails> {
        let mut fields = Fields::default();
        let name = fields.check("name", OrganisationName::parse(&self.name));
        let contact_name = fields.check(
            "contact_name",
            OptionalText::parse(self.contact_name.as_deref(), 200),
        );
        let contact_email = match self.contact_email.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(e) => fields
                .check("contact_email", EmailAddress::parse(e))
                .map(|e| Some(e.as_str().to_owned())),
        };
        let phone = fields.check("phone", OptionalText::parse(self.phone.as_deref(), 50));
        fields.finish()?;
        Ok(EmployerDetails {
            name: checked(name)?,
            contact_name: checked(contact_name)?,
            contact_email: checked(contact_email)?,
            phone: checked(phone)?,
        })
    }
}

/// A page of employers ordered by name.
#[derive(Debug, Object)]
struct EmployerPage {
    /// Employers.
    items: Vec<EmployerBody>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum CreateEmployerResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<EmployerBody>),
}

#[derive(ApiResponse)]
enum DeleteEmployerResponse {
    /// Removed.
    #[oai(status = 204)]
    Deleted,
}

async fn record(authed: &mut Authenticated, action: &str, id: Uuid) -> AppResult<()> {
    authed
        .audit(action, "employer", id, serde_json::json!({}))
        .await
}

#[OpenApi(prefix_path = "/api/v1/employers", tag = "EmployersTag::Employers")]
impl EmployersApi {
    /// Employers, by name; search matches part of the name.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        /// Part of a name.
        q: Query<Option<String>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<EmployerPage>> {
        let search = search_term(q.0)?;
        let after = decode_name_cursor(cursor.0.as_deref())?;
        let limit = page_limit(limit.0)?;
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ReadEmployers)
            .await?;
        let page =
            employers::list(&mut authed.tx, search.as_deref(), after.as_ref(), limit).await?;
        authed.tx.commit().await?;
        let next_cursor = next_name_cursor(&page, |e| (&e.name, e.id));
        Ok(Json(EmployerPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Add an employer.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        body: JsonBody<EmployerRequest>,
    ) -> ApiResult<CreateEmployerResponse> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageEmployers)
            .await?;
        let details = body.0.parse()?;
        let id = Uuid::now_v7();
        let employer = employers::insert(&mut authed.tx, id, &details).await?;
        record(&mut authed, "employer.create", id).await?;
        authed.tx.commit().await?;
        Ok(CreateEmployerResponse::Created(Json(employer.into())))
    }

    /// One employer.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<EmployerBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ReadEmployers)
            .await?;
        let employer = employers::get(&mut authed.tx, id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(employer.into()))
    }

    /// Replace an employer's details.
    #[oai(path = "/:id", method = "put")]
    async fn replace(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<EmployerRequest>,
    ) -> ApiResult<Json<EmployerBody>> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageEmployers)
            .await?;
        let details = body.0.parse()?;
        let employer = employers::update(&mut authed.tx, id.0, &details).await?;
        record(&mut authed, "employer.update", id.0).await?;
        authed.tx.commit().await?;
        Ok(Json(employer.into()))
    }

    /// Remove an employer nobody is linked to (409 while people are).
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<DeleteEmployerResponse> {
        let mut authed = self
            .0
            .authorize(&credentials, Permission::ManageEmployers)
            .await?;
        employers::delete(&mut authed.tx, id.0)
            .await
            .map_err(|e| match e.constraint() {
                Some(_) => AppError::Conflict {
                    field: None,
                    detail: "people are still linked to this employer".into(),
                },
                None => e.into(),
            })?;
        record(&mut authed, "employer.delete", id.0).await?;
        authed.tx.commit().await?;
        Ok(DeleteEmployerResponse::Deleted)
    }
}
