//! The rule that keeps an organisation in its own hands: it always has at least one active
//! admin who can sign in (with a password while password sign-in is on, or through the
//! organisation's identity provider with an identity linked there). Every change that
//! could break it (a role edit, a deactivation, an unlink, turning password sign-in off or
//! moving to another provider, roles mapped at a single sign-on) asks here, in its own
//! transaction and after making the change, before it commits.

use folio_db::TenantTx;

use crate::{Error, Result};

/// Refuses the change just made in `tx` (`field`, described by `what`) when it leaves no
/// active admin able to sign in. Holds the organisation's admin lock to the end of the
/// transaction, so two such changes are decided one after the other.
pub(crate) async fn ensure_one_can_sign_in(
    tx: &mut TenantTx,
    field: Option<&str>,
    what: &str,
) -> Result<()> {
    if folio_db::sso::admins_able_to_sign_in(tx).await? > 0 {
        return Ok(());
    }
    Err(Error::LastAdmin {
        field: field.map(str::to_owned),
        detail: format!(
            "{what} would leave the organisation with no active admin who can sign in; \
             make someone else an admin (who can sign in) first."
        ),
    })
}

/// Whether an admin remains able to sign in after the change just made in `tx`, holding
/// the admin lock as [`ensure_one_can_sign_in`] does: for a change that is then undone
/// rather than refused.
pub(crate) async fn one_can_sign_in(tx: &mut TenantTx) -> Result<bool> {
    Ok(folio_db::sso::admins_able_to_sign_in(tx).await? > 0)
}
