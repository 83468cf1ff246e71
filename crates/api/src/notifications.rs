//! A person's email choices: the daily digests staff receive (off-track learners, overdue
//! actions, reviews due…) can be turned off. Emails about a person's own work (a message to
//! them, returned evidence, their own overdue actions, going off track) cannot: they are
//! how the product reaches them.
//!
//! Adapters over `folio_app::notifications`.

use folio_app::notifications;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use serde::Deserialize;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum NotificationsTag {
    /// The signed-in person's e-mail choices and in-app notifications.
    Notifications,
}

/// How many notifications were marked read.
#[derive(Debug, Object)]
struct MarkedRead {
    /// Those that were unread.
    marked: u64,
}

/// `/api/v1/me/notifications`.
pub struct NotificationsApi(pub AppState);

/// Which optional emails a person receives.
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationPreferences {
    /// The daily summaries of a caseload (on by default).
    digests: bool,
}

#[OpenApi(
    prefix_path = "/api/v1/me/notifications",
    tag = "NotificationsTag::Notifications"
)]
impl NotificationsApi {
    /// The signed-in person's email choices.
    #[oai(path = "/", method = "get")]
    async fn get(&self, credentials: Credentials) -> ApiResult<Json<NotificationPreferences>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let digests = notifications::digests(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(NotificationPreferences { digests }))
    }

    /// Change the signed-in person's email choices.
    #[oai(path = "/", method = "put")]
    async fn put(
        &self,
        credentials: Credentials,
        body: JsonBody<NotificationPreferences>,
    ) -> ApiResult<Json<NotificationPreferences>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let digests = notifications::set_digests(&mut uow, body.0.digests).await?;
        uow.commit().await?;
        Ok(Json(NotificationPreferences { digests }))
    }

    /// Mark every in-app notification of the signed-in person read (the bell's "Mark all
    /// as read"). Their notifications are what their e-mails about their work said; each
    /// is also marked read when opened in the web application.
    #[oai(path = "/read", method = "post")]
    async fn read_all(&self, credentials: Credentials) -> ApiResult<Json<MarkedRead>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let marked = notifications::read_all(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(MarkedRead { marked }))
    }
}
