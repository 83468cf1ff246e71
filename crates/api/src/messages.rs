//! Messages: a learner writes to their enrolment's assessor or IQA from inside Folio
//! (subject and text, no attachments). The message is kept, listed for both people, and
//! emailed to the recipient through the transactional outbox: the outbox row is written
//! in the message's own transaction, so the email is queued if and only if the message is
//! stored.
//!
//! A message is seen by its sender, its recipient, and the organisation's admins and
//! auditors (`folio_domain::access::may_read_message`); anyone else gets 404, exactly as for
//! an id that does not exist. The enrolment named when writing must be one the caller may
//! see (404 otherwise) and their own (403 for the staff and employers who see it).

use chrono::{DateTime, Utc};
use folio_db::enrolments::Enrolment;
use folio_db::messages::{self as queries, Message, MessageFilter, NewMessage};
use folio_db::outbox::{self, NewEmail};
use folio_db::users;
use folio_domain::access::may_read_message;
use folio_domain::messages::{MessageSubject, MessageText, Recipient};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::pagination::{decode_id_cursor, page_limit};
use folio_app::Principal;

use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiResult, AppError, AppResult, Fields, checked};

#[derive(Tags)]
enum MessagesTag {
    /// Messages from learners to their assessor or IQA.
    Messages,
}

/// `/api/v1/messages…` and `/api/v1/enrolments/{id}/messages`.
pub struct MessagesApi(pub AppState);

/// The email template a recipient is sent.
const TEMPLATE: &str = "message_received";

/// Whom of the enrolment's people a message is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
enum RecipientName {
    /// The enrolment's assessor.
    Assessor,
    /// The enrolment's IQA.
    Iqa,
}

impl From<RecipientName> for Recipient {
    fn from(r: RecipientName) -> Self {
        match r {
            RecipientName::Assessor => Recipient::Assessor,
            RecipientName::Iqa => Recipient::Iqa,
        }
    }
}

impl From<Recipient> for RecipientName {
    fn from(r: Recipient) -> Self {
        match r {
            Recipient::Assessor => RecipientName::Assessor,
            Recipient::Iqa => RecipientName::Iqa,
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
    /// Who wrote it (the enrolment's learner).
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

impl TryFrom<Message> for MessageBody {
    type Error = AppError;

    fn try_from(m: Message) -> AppResult<Self> {
        let to: Recipient = m.recipient_role.parse().map_err(|_| {
            AppError::Internal(format!("unknown recipient role `{}`", m.recipient_role))
        })?;
        Ok(Self {
            id: m.id,
            enrolment_id: m.enrolment_id,
            sender_id: m.sender_id,
            sender_name: m.sender_name,
            recipient_id: m.recipient_id,
            recipient_name: m.recipient_name,
            to: to.into(),
            subject: m.subject,
            body: m.body,
            created_at: m.created_at,
            read_at: m.read_at,
        })
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
    /// One of my enrolments.
    enrolment_id: Uuid,
    /// Its assessor or its IQA (422 if the enrolment has none).
    to: RecipientName,
    /// Subject: one line, 1–200 characters.
    subject: String,
    /// Text: 1–10000 characters; newlines are kept.
    body: String,
}

#[derive(ApiResponse)]
enum CreatedMessage {
    /// Sent: stored, and an email to the recipient queued.
    #[oai(status = 201)]
    Created(Json<MessageBody>),
}

fn page_body(page: folio_db::pagination::Page<Message>) -> AppResult<MessagePage> {
    let next_cursor = page
        .has_more
        .then(|| page.items.last().map(|m| m.id.to_string()))
        .flatten();
    Ok(MessagePage {
        items: page
            .items
            .into_iter()
            .map(MessageBody::try_from)
            .collect::<AppResult<_>>()?,
        next_cursor,
    })
}

/// Whether the principal reads every message of the enrolments they see.
fn reads_all(p: &Principal) -> bool {
    may_read_message(&p.roles, false, false)
}

/// The message, if the caller may read it; 404 otherwise.
async fn readable(authed: &mut Authenticated, id: Uuid) -> AppResult<Message> {
    let message = queries::get(&mut authed.tx, id).await?;
    let me = authed.principal.user_id;
    let (is_sender, is_recipient) = (message.sender_id == me, message.recipient_id == me);
    if !may_read_message(&authed.principal.roles, is_sender, is_recipient) {
        return Err(AppError::NotFound);
    }
    if !is_sender && !is_recipient {
        // Admins and auditors read through the enrolment, which they must be able to see.
        authed.visible_enrolment(message.enrolment_id).await?;
    }
    Ok(message)
}

/// The recipient a learner chose, from their enrolment; 422 naming `to` if it has none.
fn recipient_of(enrolment: &Enrolment, to: Recipient, fields: &mut Fields) -> Option<Uuid> {
    let id = match to {
        Recipient::Assessor => enrolment.assessor_id,
        Recipient::Iqa => enrolment.iqa_id,
    };
    if id.is_none() {
        fields.add("to", format!("this enrolment has no {}", to.describe()));
    }
    id
}

#[OpenApi(prefix_path = "/api/v1", tag = "MessagesTag::Messages")]
impl MessagesApi {
    /// Write to my assessor or my IQA (learners, about one of their own enrolments). The
    /// message is kept and the recipient is emailed; 422 names `to` when the enrolment has
    /// no such person (or their account is deactivated). Staff and employers who see the
    /// enrolment get 403.
    #[oai(path = "/messages", method = "post")]
    async fn send(
        &self,
        credentials: Credentials,
        body: JsonBody<NewMessageRequest>,
    ) -> ApiResult<CreatedMessage> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let req = body.0;
        let enrolment = authed.visible_enrolment(req.enrolment_id).await?;
        if !authed.principal.is_learner_of(&enrolment) {
            return Err(AppError::Forbidden.into());
        }
        let to = Recipient::from(req.to);
        let mut fields = Fields::default();
        let recipient = recipient_of(&enrolment, to, &mut fields);
        let subject = fields.check("subject", MessageSubject::parse(&req.subject));
        let text = fields.check("body", MessageText::parse(&req.body));
        if let Some(id) = recipient
            && users::get(&mut authed.tx, id).await?.status != "active"
        {
            fields.add("to", "their account is deactivated");
        }
        fields.finish()?;
        let (recipient, subject, text) = (checked(recipient)?, checked(subject)?, checked(text)?);
        let sender = authed.principal.user_id;
        let id = Uuid::now_v7();
        let message = queries::insert(
            &mut authed.tx,
            &NewMessage {
                id,
                enrolment_id: enrolment.id,
                sender_id: sender,
                recipient_id: recipient,
                recipient_role: to.as_str(),
                subject: subject.as_str(),
                body: text.as_str(),
            },
        )
        .await?;
        // The email is the message: it carries what the template shows, and the learner's
        // address to reply to.
        let context = serde_json::json!({
            "message_id": id,
            "link_path": folio_app::routes::message(id),
            "enrolment_id": enrolment.id,
            "to": to.as_str(),
            "learner_id": sender,
            "learner_name": message.sender_name,
            "learner_email": enrolment.learner_email,
            "recipient_name": message.recipient_name,
            "course_title": enrolment.course_title,
            "subject": message.subject,
            "body": message.body,
        });
        let queued = outbox::enqueue(
            &mut authed.tx,
            &NewEmail {
                dedup_key: &format!("message:{id}"),
                to_user_id: recipient,
                template: TEMPLATE,
                context,
            },
        )
        .await?;
        let details = serde_json::json!({
            "enrolment_id": enrolment.id,
            "to": to.as_str(),
            "recipient_id": recipient,
            "subject_chars": subject.as_str().chars().count(),
            "body_chars": text.as_str().chars().count(),
            "email_queued": queued,
        });
        authed.audit("message.send", "message", id, details).await?;
        authed.tx.commit().await?;
        Ok(CreatedMessage::Created(Json(message.try_into()?)))
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
        let before = decode_id_cursor(cursor.0.as_deref())?;
        let limit = page_limit(limit.0)?;
        let mut authed = self.0.authenticate(&credentials).await?;
        let me = authed.principal.user_id;
        let unread = unread.0.unwrap_or(false);
        let mut filter = MessageFilter {
            enrolment_id: enrolment_id.0,
            unread,
            ..MessageFilter::default()
        };
        match folder.0 {
            Some(MessageFolder::Received) => filter.recipient_id = Some(me),
            Some(MessageFolder::Sent) => filter.sender_id = Some(me),
            None => filter.participant_id = Some(me),
        }
        if unread {
            // Unread is a state of what I received.
            filter.recipient_id = Some(me);
        }
        let page = queries::list(&mut authed.tx, &filter, before, limit).await?;
        authed.tx.commit().await?;
        Ok(Json(page_body(page)?))
    }

    /// One message (its sender, its recipient, admins and auditors; anyone else 404).
    /// The recipient opening it marks it read.
    #[oai(path = "/messages/:id", method = "get")]
    async fn get(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<Json<MessageBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let mut message = readable(&mut authed, id.0).await?;
        if message.recipient_id == authed.principal.user_id
            && message.read_at.is_none()
            && queries::mark_read(&mut authed.tx, id.0).await?
        {
            let details = serde_json::json!({ "enrolment_id": message.enrolment_id });
            authed
                .audit("message.read", "message", id.0, details)
                .await?;
            message = queries::get(&mut authed.tx, id.0).await?;
        }
        authed.tx.commit().await?;
        Ok(Json(message.try_into()?))
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
        let before = decode_id_cursor(cursor.0.as_deref())?;
        let limit = page_limit(limit.0)?;
        let mut authed = self.0.authenticate(&credentials).await?;
        let enrolment = authed.visible_enrolment(id.0).await?;
        let p = &authed.principal;
        let filter = MessageFilter {
            enrolment_id: Some(enrolment.id),
            participant_id: (!reads_all(p)).then_some(p.user_id),
            ..MessageFilter::default()
        };
        let page = queries::list(&mut authed.tx, &filter, before, limit).await?;
        authed.tx.commit().await?;
        Ok(Json(page_body(page)?))
    }
}
