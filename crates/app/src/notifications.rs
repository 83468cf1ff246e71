//! A person's e-mail choices: the daily digests staff receive (off-track learners, overdue
//! actions, reviews due…) can be turned off. E-mails about a person's own work (a message
//! to them, returned evidence, their own overdue actions, going off track) cannot: they are
//! how the product reaches them. Each person sees and changes only their own.
//!
//! The same e-mails are the person's in-app notifications (the bell): what each said, when,
//! the page it opens, and whether it has been opened in the app. Only e-mails about work
//! are notifications; invitations, password links and sign-in welcomes are not.

use chrono::{DateTime, Utc};
use folio_db::{outbox, reminders};
use uuid::Uuid;

use crate::{Error, Result, UnitOfWork};

/// The e-mail templates that are in-app notifications too.
pub const IN_APP: &[&str] = &[
    "evidence_returned",
    "evidence_resubmitted",
    "message_received",
    "off_track_learner",
    "overdue_actions_learner",
    "digest",
    "iqa_sample_recorded",
    "iqa_sample_answered",
];

/// The most notifications listed: the newest.
pub const SHOWN: i64 = 50;

/// Unread notifications are counted up to this; more shows as "99+".
pub const UNREAD_CAP: i64 = 100;

/// One notification.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Its id.
    pub id: Uuid,
    /// The e-mail template it was written with: what the page renders its words from.
    pub template: String,
    /// What the template renders from.
    pub data: serde_json::Value,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Whether it has been opened in the app.
    pub read: bool,
}

/// The caller's newest notifications, newest first.
pub async fn recent(uow: &mut UnitOfWork) -> Result<Vec<Notification>> {
    let me = uow.principal.user_id;
    let rows = outbox::notifications(&mut uow.tx, me, IN_APP, SHOWN).await?;
    Ok(rows
        .into_iter()
        .map(|n| Notification {
            id: n.id,
            template: n.template,
            data: n.data,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        })
        .collect())
}

/// How many of the caller's notifications are unread, up to [`UNREAD_CAP`].
pub async fn unread(uow: &mut UnitOfWork) -> Result<i64> {
    let me = uow.principal.user_id;
    Ok(outbox::unread_notifications(&mut uow.tx, me, IN_APP, UNREAD_CAP).await?)
}

/// Opens one of the caller's notifications: marks it read and answers the page it links
/// to (a page of this application; the home page when it names none). Another person's
/// notification, or none, is 404.
pub async fn open(uow: &mut UnitOfWork, id: Uuid) -> Result<String> {
    let me = uow.principal.user_id;
    let data = outbox::read_notification(&mut uow.tx, me, id, IN_APP)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(link(&data))
}

/// The caller has opened the page at `path`: the notifications that link to it (a
/// conversation, a piece of evidence, a list) are read now too, however they got there.
pub async fn opened(uow: &mut UnitOfWork, path: &str) -> Result<u64> {
    if !is_app_path(path) {
        return Ok(0);
    }
    let me = uow.principal.user_id;
    Ok(outbox::read_notifications_linking_to(&mut uow.tx, me, path, IN_APP).await?)
}

/// Marks all of the caller's notifications read; answers how many were unread.
pub async fn read_all(uow: &mut UnitOfWork) -> Result<u64> {
    let me = uow.principal.user_id;
    Ok(outbox::read_all_notifications(&mut uow.tx, me, IN_APP).await?)
}

/// The page a notification opens: its `link_path` when that is a page of this
/// application (never another site), else the home page.
pub fn link(data: &serde_json::Value) -> String {
    data.get("link_path")
        .and_then(serde_json::Value::as_str)
        .filter(|p| is_app_path(p))
        .map_or_else(crate::routes::home, str::to_owned)
}

/// A path under `/app/` on this site: not `//host`, not `/app/../x`, no backslash.
fn is_app_path(path: &str) -> bool {
    path.starts_with("/app/")
        && !path.contains("..")
        && !path.contains('\\')
        && !path.contains("//")
        && !path.chars().any(char::is_control)
}

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

#[cfg(test)]
mod tests {
    use super::link;
    use serde_json::json;

    #[test]
    fn a_notification_opens_only_a_page_of_this_application() {
        assert_eq!(
            link(&json!({ "link_path": "/app/messages/1" })),
            "/app/messages/1"
        );
        for hostile in [
            "https://evil.example/app/",
            "//evil.example/app/",
            "/app//evil.example",
            "/app/../sign-out",
            "/app/\\evil.example",
            "/api/v1/me",
            "/app/x\nLocation: https://evil.example",
        ] {
            assert_eq!(link(&json!({ "link_path": hostile })), "/app/", "{hostile}");
        }
        assert_eq!(link(&json!({})), "/app/");
        assert_eq!(link(&json!({ "link_path": 7 })), "/app/");
    }
}
