//! A person's e-mail choices: the daily digests staff receive (off-track learners, overdue
//! actions, reviews due…) can be turned off. E-mails about a person's own work (a message
//! to them, returned evidence, their own overdue actions, going off track) cannot: they are
//! how the product reaches them. Each person sees and changes only their own.

use folio_db::reminders;

use crate::{Result, UnitOfWork};

/// Whether the caller receives the daily digests.
pub async fn digests(uow: &mut UnitOfWork) -> Result<bool> {
    let me = uow.principal.user_id;
    Ok(reminders::digests_on(&mut uow.tx, me).await?)
}

/// Turns the caller's daily digests on or off; returns the choice now in force.
pub async fn set_digests(uow: &mut UnitOfWork, on: bool) -> Result<bool> {
    let me = uow.principal.user_id;
    reminders::set_digests(&mut uow.tx, me, on).await?;
    uow.audit(
        "notification_preferences.update",
        "user",
        me,
        serde_json::json!({ "digests": on }),
    )
    .await?;
    Ok(on)
}
