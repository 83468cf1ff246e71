//! The signed-in person as every page shows them: their name, roles, organisation and its
//! time zone, read in the page's own unit of work.

use folio_db::platform::{self, Tenant};
use folio_db::settings;
use folio_db::users::{self, User};

use crate::{Result, UnitOfWork};

/// Who is signed in, and where.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The person.
    pub user: User,
    /// Their organisation.
    pub tenant: Tenant,
    /// Its time zone, in which dates are shown and read.
    pub timezone: chrono_tz::Tz,
}

/// The caller, their organisation and its time zone.
pub async fn signed_in(uow: &mut UnitOfWork) -> Result<SignedIn> {
    let user = users::get(&mut uow.tx, uow.principal.user_id).await?;
    let tenant = platform::current(&mut uow.tx).await?;
    let timezone = settings::get(&mut uow.tx).await?.tz();
    Ok(SignedIn {
        user,
        tenant,
        timezone,
    })
}
