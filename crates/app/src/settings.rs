//! The provider's own settings: the track-status rule, the evidence size limit, the
//! compliance frequencies and the time zone. Admins change them
//! (`Permission::ManageSettings`); the staff whose work they shape read them
//! (`Permission::ReadSettings`).

use folio_db::settings;
use folio_domain::{Permission, TenantSettings};

use crate::{Error, Result, UnitOfWork};

/// The domain's range check names the setting first ("track.margin_points must be …");
/// it is reported as the field at fault.
fn invalid_setting(message: &str) -> Error {
    match message.split_once(' ') {
        Some((field, detail)) => Error::invalid(field, detail),
        None => Error::invalid("body", message),
    }
}

/// The organisation's settings, defaults filled in (admins, assessors, IQAs, auditors).
pub async fn current(uow: &mut UnitOfWork) -> Result<TenantSettings> {
    uow.principal.require(Permission::ReadSettings)?;
    uow.settings().await
}

/// Replaces every setting (admins); a value out of range is 422 naming the setting. The
/// audit row keeps the settings before and after.
pub async fn replace(uow: &mut UnitOfWork, new: TenantSettings) -> Result<TenantSettings> {
    uow.principal.require(Permission::ManageSettings)?;
    new.validate().map_err(|m| invalid_setting(&m))?;
    let before = uow.settings().await?;
    uow.changing();
    settings::replace(&mut uow.tx, &new).await?;
    let as_json = |s: &TenantSettings| serde_json::to_value(s).unwrap_or_default();
    let tenant = uow.tenant();
    uow.audit(
        "settings.update",
        "tenant_settings",
        tenant.0,
        serde_json::json!({ "before": as_json(&before), "after": as_json(&new) }),
    )
    .await?;
    Ok(new)
}
