//! Employer organisations: admins add, change and remove them
//! (`Permission::ManageEmployers`); staff list and read them (`Permission::ReadEmployers`).

use folio_db::employers::{self as queries, EmployerDetails};
use folio_db::pagination::NameKey;
use folio_domain::{EmailAddress, OptionalText, OrganisationName, Permission};
use uuid::Uuid;

pub use folio_db::employers::Employer;

use crate::paging::{decode_name_cursor, next_name_cursor, page_limit, search_term};
use crate::{Error, Fields, Result, UnitOfWork, checked};

/// An employer's details as asked for (all of them, for adding and replacing).
#[derive(Debug, Clone)]
pub struct Details {
    /// Name.
    pub name: String,
    /// Person to contact.
    pub contact_name: Option<String>,
    /// Their e-mail address.
    pub contact_email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
}

impl Details {
    /// Checks every field, naming each at fault.
    fn parse(self) -> Result<EmployerDetails> {
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

/// What to list: checked before anything is read, so a bad query is refused whoever asks.
#[derive(Debug)]
pub struct ListQuery {
    search: Option<String>,
    after: Option<NameKey>,
    limit: i64,
}

impl ListQuery {
    /// Checks a search term (part of a name), a cursor from a previous page and a page
    /// size.
    pub fn parse(q: Option<String>, cursor: Option<&str>, limit: Option<i64>) -> Result<Self> {
        Ok(Self {
            search: search_term(q)?,
            after: decode_name_cursor(cursor)?,
            limit: page_limit(limit)?,
        })
    }
}

/// A page of employers ordered by name.
#[derive(Debug)]
pub struct EmployerPage {
    /// Employers.
    pub items: Vec<Employer>,
    /// The cursor of the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// Employers, by name (staff).
pub async fn list(uow: &mut UnitOfWork, query: &ListQuery) -> Result<EmployerPage> {
    uow.principal.require(Permission::ReadEmployers)?;
    let page = queries::list(
        &mut uow.tx,
        query.search.as_deref(),
        query.after.as_ref(),
        query.limit,
    )
    .await?;
    let next_cursor = next_name_cursor(&page, |e| (&e.name, e.id));
    Ok(EmployerPage {
        items: page.items,
        next_cursor,
    })
}

/// Adds an employer (admins).
pub async fn add(uow: &mut UnitOfWork, details: Details) -> Result<Employer> {
    uow.principal.require(Permission::ManageEmployers)?;
    let details = details.parse()?;
    let id = Uuid::now_v7();
    let employer = queries::insert(&mut uow.tx, id, &details).await?;
    uow.audit("employer.create", "employer", id, serde_json::json!({}))
        .await?;
    Ok(employer)
}

/// One employer (staff).
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<Employer> {
    uow.principal.require(Permission::ReadEmployers)?;
    Ok(queries::get(&mut uow.tx, id).await?)
}

/// Replaces an employer's details (admins).
pub async fn replace(uow: &mut UnitOfWork, id: Uuid, details: Details) -> Result<Employer> {
    uow.principal.require(Permission::ManageEmployers)?;
    let details = details.parse()?;
    let employer = queries::update(&mut uow.tx, id, &details).await?;
    uow.audit("employer.update", "employer", id, serde_json::json!({}))
        .await?;
    Ok(employer)
}

/// Removes an employer nobody is linked to (admins; a conflict while people are).
pub async fn remove(uow: &mut UnitOfWork, id: Uuid) -> Result<()> {
    uow.principal.require(Permission::ManageEmployers)?;
    queries::delete(&mut uow.tx, id)
        .await
        .map_err(|e| match e.constraint() {
            Some(_) => Error::Conflict {
                field: None,
                detail: "people are still linked to this employer".into(),
            },
            None => e.into(),
        })?;
    uow.audit("employer.delete", "employer", id, serde_json::json!({}))
        .await
}
