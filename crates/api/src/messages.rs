//! Messages: a learner and their enrolment's assessor or IQA write to each other from
//! inside Folio (subject and text, no attachments), in threads where each answers the
//! other. The message is kept, listed for both people, and
//! emailed to the recipient through the transactional outbox: the outbox row is written
//! in the message's own transaction, so the email is queued if and only if the message is
//! stored.
//!
//! Adapters over `folio_app::messages`, where who may write and read them is written.

use chrono::{DateTime, Utc};
use folio_app::messages::{self, Folder, MessageView, PageQuery};
use folio_domain::messages::Recipient;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum MessagesTag {
    /// Conversations between learners and their assessor or IQA.
    Messages,
}

/// `/api/v1/messages…` and `/api/v1/enrolments/{id}/messages`.
pub struct MessagesApi(pub AppState);

/// Whom of the enrolment's people a message is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum RecipientName {
    /// The enrolment's assessor.
    Assessor,
    /// The enrolment's IQA.
    Iqa,
    /// The enrolment's learner (their assessor or IQA writing).
    Learner,
}

impl From<RecipientName> for Recipient {
    fn from(r: RecipientName) -> Self {
        match r {
            RecipientName::Assessor => Recipient::Assessor,
            RecipientName::Iqa => Recipient::Iqa,
            RecipientName::Learner => Recipient::Learner,
        }
    }
}

impl From<Recipient> for RecipientName {
    fn from(r: Recipient) -> Self {
        match r {
            Recipient::Assessor => RecipientName::Assessor,
            Recipient::Iqa => RecipientName::Iqa,
            Recipient::Learner => RecipientName::Learner,
        }
    }
}

/// Which of my messages to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
enum MessageFolder {
    /// Those written to me.
    Received,
    /// Those I wrote.
    Sent,
}

/// A message.
#[derive(Debug, Object)]
struct MessageBody {
    /// Id.
    id: Uuid,
    /// The enrolment it is about.
    enrolment_id: Uuid,
    /// Its conversation: the id of the thread's first message (its own if it is that).
    thread_id: Uuid,
    /// The message it answers.
    reply_to: Option<Uuid>,
    /// Who wrote it.
    sender_id: Uuid,
    /// Their name.
    sender_name: String,
    /// Whom it was written to.
    recipient_id: Uuid,
    /// Their name.
    recipient_name: String,
    /// Which of the enrolment's people the recipient was when it was written.
    to: RecipientName,
    /// Subject.
    subject: String,
    /// Text.
    body: String,
    /// Sent.
    created_at: DateTime<Utc>,
    /// When the recipient first opened it; absent while unread.
    read_at: Option<DateTime<Utc>>,
}

impl From<MessageFolder> for Folder {
    fn from(f: MessageFolder) -> Self {
        match f {
            MessageFolder::Received => Folder::Received,
            MessageFolder::Sent => Folder::Sent,
        }
    }
}

impl From<MessageView> for MessageBody {
    fn from(v: MessageView) -> Self {
        let m = v.message;
        Self {
            id: m.id,
            enrolment_id: m.enrolment_id,
            thread_id: m.thread_id,
            reply_to: m.reply_to,
            sender_id: m.sender_id,
            sender_name: m.sender_name,
            recipient_id: m.recipient_id,
            recipient_name: m.recipient_name,
            to: v.to.into(),
            subject: m.subject,
            body: m.body,
            created_at: m.created_at,
            read_at: m.read_at,
        }
    }
}

/// A page of messages, newest first.
#[derive(Debug, Object)]
struct MessagePage {
    /// Messages.
    items: Vec<MessageBody>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

/// A message to write.
#[derive(Debug, Object, Deserialize)]
struct NewMessageRequest {
    /// One of my enrolments, or one I am the assessor or IQA of.
    enrolment_id: Uuid,
    /// For its learner: `assessor` or `iqa` (422 if the enrolment has none); for its
    /// assessor or IQA: `learner`.
    to: RecipientName,
    /// Subject: one line, 1–200 characters.
    subject: String,
    /// Text: 1–10000 characters; newlines are kept.
    body: String,
}

/// An answer to a message.
#[derive(Debug, Object, Deserialize)]
struct ReplyRequest {
    /// Text: 1–10000 characters; newlines are kept.
    body: String,
}

/// A conversation, oldest first.
#[derive(Debug, Object)]
struct Thread {
    /// Its messages.
    items: Vec<MessageBody>,
}

#[derive(ApiResponse)]
enum CreatedMessage {
    /// Sent: stored, and an email to the recipient queued.
    #[oai(status = 201)]
    Created(Json<MessageBody>),
}

impl From<messages::MessagePage> for MessagePage {
    fn from(page: messages::MessagePage) -> Self {
        Self {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "MessagesTag::Messages")]
impl MessagesApi {
    /// Start a conversation: a learner writes to their assessor or IQA (about one of their
    /// own enrolments), an assessor or IQA to the learner of an enrolment they are named on.
    /// The message is kept and the recipient is emailed; 422 names `to` when the enrolment
    /// has no such person, the writer may not write to them, or their account is
    /// deactivated. Admins, auditors and employers who see the enrolment get 403.
    #[oai(path = "/messages", method = "post")]
    async fn send(
        &self,
        credentials: Credentials,
        body: JsonBody<NewMessageRequest>,
    ) -> ApiResult<CreatedMessage> {
        let req = body.0;
        let writing = messages::Writing {
            enrolment_id: req.enrolment_id,
            to: req.to.into(),
            subject: req.subject,
            body: req.body,
        };
        let mut uow = self.0.authenticate(&credentials).await?;
        let message = messages::write(&mut uow, writing).await?;
        uow.commit().await?;
        Ok(CreatedMessage::Created(Json(message.into())))
    }

    /// My messages, newest first: those I wrote and those written to me (only one of the
    /// two with `folder`), optionally of one enrolment or only unread ones.
    #[oai(path = "/messages", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        /// `received` or `sent`; both when absent.
        folder: Query<Option<MessageFolder>>,
        /// Only those about this enrolment.
        enrolment_id: Query<Option<Uuid>>,
        /// Only those written to me that I have not opened yet.
        unread: Query<Option<bool>>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<MessagePage>> {
        // A bad cursor or limit is refused before the credentials are looked at.
        let query = PageQuery::parse(cursor.0.as_deref(), limit.0)?;
        let mut uow = self.0.authenticate(&credentials).await?;
        let page = messages::mine(
            &mut uow,
            folder.0.map(Into::into),
            enrolment_id.0,
            unread.0.unwrap_or(false),
            query,
        )
        .await?;
        uow.commit().await?;
        Ok(Json(page.into()))
    }

    /// One message (its sender, its recipient, admins and auditors; anyone else 404).
    /// The recipient opening it marks it read.
    #[oai(path = "/messages/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<MessageBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let message = messages::open(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(message.into()))
    }

    /// Answer a message, in its conversation: its sender or its recipient writes to the
    /// other, under the thread's subject, and the other is emailed. 403 for admins and
    /// auditors, who read but are not a party; 409 when one of the two is no longer the
    /// learner's assessor or IQA; 422 names `body` when it is empty or too long.
    #[oai(path = "/messages/:id/replies", method = "post")]
    async fn reply(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<ReplyRequest>,
    ) -> ApiResult<CreatedMessage> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let message = messages::reply(&mut uow, id.0, &body.0.body).await?;
        uow.commit().await?;
        Ok(CreatedMessage::Created(Json(message.into())))
    }

    /// The conversation a message belongs to, oldest first (for whoever may read the
    /// message; 404 otherwise). Opening it marks read what was written to me.
    #[oai(path = "/messages/:id/thread", method = "get")]
    async fn thread(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<Thread>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let items = messages::thread(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(Thread {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// A learner's messages, newest first: all of them for admins and auditors; for
    /// everyone else who may see the enrolment, those they wrote or were written (404 for
    /// an enrolment the caller cannot see).
    #[oai(path = "/enrolments/:id/messages", method = "get")]
    async fn list_for_enrolment(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<MessagePage>> {
        let query = PageQuery::parse(cursor.0.as_deref(), limit.0)?;
        let mut uow = self.0.authenticate(&credentials).await?;
        let page = messages::of_enrolment(&mut uow, id.0, query).await?;
        uow.commit().await?;
        Ok(Json(page.into()))
    }
}
