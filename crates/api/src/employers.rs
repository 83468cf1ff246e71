//! Employer organisations.
//!
//! Adapters over `folio_app::employers`, where who may manage and read them is written.

use chrono::{DateTime, Utc};
use folio_app::employers::{self, Employer, ListQuery};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

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

impl From<EmployerRequest> for employers::Details {
    fn from(r: EmployerRequest) -> Self {
        Self {
            name: r.name,
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            phone: r.phone,
        }
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
        // A bad query is refused before the credentials are looked at, whoever asks.
        let query = ListQuery::parse(q.0, cursor.0.as_deref(), limit.0)?;
        let mut uow = self.0.authenticate(&credentials).await?;
        let page = employers::list(&mut uow, &query).await?;
        uow.commit().await?;
        Ok(Json(EmployerPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// Add an employer.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        body: JsonBody<EmployerRequest>,
    ) -> ApiResult<CreateEmployerResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let employer = employers::add(&mut uow, body.0.into()).await?;
        uow.commit().await?;
        Ok(CreateEmployerResponse::Created(Json(employer.into())))
    }

    /// One employer.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<EmployerBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let employer = employers::get(&mut uow, id.0).await?;
        uow.commit().await?;
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
        let mut uow = self.0.authenticate(&credentials).await?;
        let employer = employers::replace(&mut uow, id.0, body.0.into()).await?;
        uow.commit().await?;
        Ok(Json(employer.into()))
    }

    /// Remove an employer nobody is linked to (409 while people are).
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<DeleteEmployerResponse> {
        let mut uow = self.0.authenticate(&credentials).await?;
        employers::remove(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(DeleteEmployerResponse::Deleted)
    }
}
