//! The signed-in person as every page shows them: their name, roles, organisation and its
//! time zone, read in the page's own unit of work.

use folio_db::platform::{self, Tenant};
use folio_db::settings;
use folio_db::users::{self, User};

use crate::{Database, Result, UnitOfWork};

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

/// How the people of an organisation sign in, for its sign-in page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInOptions {
    /// Its slug (what people type as the organisation).
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Whether single sign-on is set up.
    pub sso: bool,
    /// Whether password sign-in is on.
    pub password: bool,
}

/// The active organisation named by `slug` and how its people sign in; `None` when there
/// is no such active organisation (the page then asks for one, revealing nothing). When
/// its settings cannot be read, a password is offered and single sign-on is not.
pub async fn sign_in_options(db: &Database, slug: &str) -> Option<SignInOptions> {
    let tenant = match platform::find_by_slug(db.pool(), slug).await {
        Ok(Some(t)) if t.status == "active" => t,
        _ => return None,
    };
    let ways = async {
        let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
        let sso = folio_db::sso::get_settings(&mut tx).await?.is_some();
        let password = folio_db::sso::password_sign_in_enabled(&mut tx).await?;
        tx.commit().await?;
        Ok::<_, folio_db::DbError>((sso, password))
    }
    .await;
    let (sso, password) = ways.unwrap_or((false, true));
    Some(SignInOptions {
        slug: tenant.slug,
        name: tenant.name,
        sso,
        password,
    })
}

/// Who is signed in, as they see themself.
#[derive(Debug, Clone)]
pub struct WhoAmI {
    /// The person.
    pub person: crate::users::Person,
    /// Their organisation.
    pub tenant: Tenant,
    /// The roles they act with.
    pub roles: Vec<folio_domain::Role>,
}

/// The caller, their organisation and the roles they act with (reachable before a
/// learner has accepted the disclaimer: authenticate with `Disclaimer::NotYetNeeded`).
pub async fn whoami(uow: &mut UnitOfWork) -> Result<WhoAmI> {
    let user = users::get(&mut uow.tx, uow.principal.user_id).await?;
    let tenant = platform::current(&mut uow.tx).await?;
    Ok(WhoAmI {
        person: crate::users::Person::new(user)?,
        tenant,
        roles: uow.principal.roles.clone(),
    })
}
