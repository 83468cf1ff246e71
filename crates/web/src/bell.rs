//! The bell: a person's in-app notifications, which say what their e-mails about their work
//! said (returned evidence, messages, going off track, overdue actions, digests), newest
//! first, unread ones marked. Opening one marks it read and goes on to the page its e-mail
//! links to; the layout counts the unread ones on every page.

use chrono::{DateTime, Utc};
use folio_app::notifications::{self, Notification};
use folio_app::routes;
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;

use super::{Flash, PageResult, Web, path_id, redirect};

/// One notification, as listed.
#[derive(Debug, Serialize)]
struct NotificationRow {
    /// What its e-mail's subject said.
    says: String,
    created_at: DateTime<Utc>,
    read: bool,
    /// Opens it (marking it read) and goes on to its page.
    open: String,
}

#[derive(Debug, Serialize)]
struct NotificationsView {
    items: Vec<NotificationRow>,
    unread: usize,
    /// The most listed, said when the list is full.
    shown: i64,
    full: bool,
    page: String,
}

/// The signed-in person's notifications.
#[handler]
pub(super) async fn notifications_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let (viewer, items) = web
        .read_page(req, async |uow, _| notifications::recent(uow).await)
        .await?;
    let full = i64::try_from(items.len()).unwrap_or(i64::MAX) >= notifications::SHOWN;
    let items: Vec<NotificationRow> = items.into_iter().map(|n| web.row(n)).collect();
    let view = NotificationsView {
        unread: items.iter().filter(|n| !n.read).count(),
        items,
        shown: notifications::SHOWN,
        full,
        page: routes::notifications(),
    };
    Ok(web.typed_page(&viewer, "notifications", "Notifications", &view, flash))
}

/// Opens a notification: marks it read and goes on to its page.
#[handler]
pub(super) async fn open_notification(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
) -> PageResult {
    let (_, to) = web
        .read_page(req, async |uow, _| {
            notifications::open(uow, path_id(&id)?).await
        })
        .await?;
    Ok(redirect(&to))
}

impl Web {
    fn row(&self, n: Notification) -> NotificationRow {
        // What the e-mail's subject said; a notification whose words cannot be rendered
        // (an e-mail written by an older template) still says what kind it is.
        let says = self.mail.subject(&n.template, &n.data).unwrap_or_else(|e| {
            tracing::warn!(template = %n.template, error = %e, "a notification's subject did not render");
            fallback(&n.template).to_owned()
        });
        NotificationRow {
            says,
            created_at: n.created_at,
            read: n.read,
            open: routes::notification(n.id),
        }
    }
}

/// What a notification says when its subject cannot be rendered.
fn fallback(template: &str) -> &'static str {
    match template {
        "evidence_returned" => "Your evidence has been returned",
        "evidence_resubmitted" => "Evidence has been amended for you to review",
        "message_received" => "You have a new message",
        "off_track_learner" => "You are behind on your programme",
        "overdue_actions_learner" => "You have overdue actions",
        "iqa_sample_recorded" => "An IQA has sampled your decisions",
        "iqa_sample_answered" => "An assessor has answered your sample",
        _ => "Your daily summary",
    }
}

#[cfg(test)]
mod tests {
    use super::fallback;

    #[test]
    fn every_notification_kind_has_words_of_its_own() {
        let said: std::collections::HashSet<&str> = folio_app::notifications::IN_APP
            .iter()
            .map(|t| fallback(t))
            .collect();
        assert_eq!(said.len(), folio_app::notifications::IN_APP.len());
    }
}
