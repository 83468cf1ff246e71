//! Messages: a learner writes to their enrolment's assessor or IQA from inside Folio
//! (subject and text, no attachments). The message is kept, listed for both people, and
//! e-mailed to the recipient through the outbox, in the message's own unit of work, so the
//! e-mail is queued if and only if the message is stored.
//!
//! A message is seen by its sender, its recipient, and the organisation's admins and
//! auditors (`folio_domain::access::may_read_message`); anyone else gets 404, exactly as for
//! an id that does not exist. The enrolment named when writing must be one the caller may
//! see (404 otherwise) and their own (403 for the staff and employers who see it).

use folio_db::enrolments::Enrolment;
use folio_db::messages::{self as queries, MessageFilter, NewMessage};
use folio_db::outbox::NewEmail;
use folio_db::users;
use folio_domain::access::may_read_message;
use folio_domain::messages::{MessageSubject, MessageText, Recipient};
use uuid::Uuid;

pub use folio_db::messages::Message;

pub use crate::paging::PageQuery;

use crate::paging::next_id_cursor;
use crate::{Error, Fields, Principal, Result, UnitOfWork, checked};

/// The e-mail template a recipient is sent.
const TEMPLATE: &str = "message_received";

/// A message as people see it.
#[derive(Debug, Clone)]
pub struct MessageView {
    /// The stored message.
    pub message: Message,
    /// Which of the enrolment's people the recipient was when it was written.
    pub to: Recipient,
}

impl MessageView {
    /// The message with its recipient's role read; an unknown stored role is an internal
    /// error.
    pub fn new(message: Message) -> Result<Self> {
        let to = message.recipient_role.parse().map_err(|_| {
            Error::Internal(format!(
                "unknown recipient role `{}`",
                message.recipient_role
            ))
        })?;
        Ok(Self { message, to })
    }
}

/// A page of messages, newest first.
#[derive(Debug)]
pub struct MessagePage {
    /// Messages.
    pub items: Vec<MessageView>,
    /// The cursor of the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// Which of the caller's messages to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// Those written to them.
    Received,
    /// Those they wrote.
    Sent,
}

/// A message to write.
#[derive(Debug, Clone)]
pub struct Writing {
    /// One of the caller's enrolments.
    pub enrolment_id: Uuid,
    /// Its assessor or its IQA.
    pub to: Recipient,
    /// Subject: one line, 1–200 characters.
    pub subject: String,
    /// Text: 1–10000 characters.
    pub body: String,
}

async fn page(
    uow: &mut UnitOfWork,
    filter: &MessageFilter,
    query: PageQuery,
) -> Result<MessagePage> {
    let page = queries::list(&mut uow.tx, filter, query.before, query.limit).await?;
    let next_cursor = next_id_cursor(&page, |m| m.id);
    let items = page
        .items
        .into_iter()
        .map(MessageView::new)
        .collect::<Result<_>>()?;
    Ok(MessagePage { items, next_cursor })
}

/// Whether the principal reads every message of the enrolments they see.
fn reads_all(p: &Principal) -> bool {
    may_read_message(&p.roles, false, false)
}

/// The message, if the caller may read it; 404 otherwise.
async fn readable(uow: &mut UnitOfWork, id: Uuid) -> Result<Message> {
    let message = queries::get(&mut uow.tx, id).await?;
    let me = uow.principal.user_id;
    let (is_sender, is_recipient) = (message.sender_id == me, message.recipient_id == me);
    if !may_read_message(&uow.principal.roles, is_sender, is_recipient) {
        return Err(Error::NotFound);
    }
    if !is_sender && !is_recipient {
        // Admins and auditors read through the enrolment, which they must be able to see.
        uow.visible_enrolment(message.enrolment_id).await?;
    }
    Ok(message)
}

/// The recipient a learner chose, from their enrolment; names `to` if it has none.
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

/// Writes to the learner's assessor or IQA (learners, about one of their own enrolments):
/// the message is kept and the recipient e-mailed; 422 names `to` when the enrolment has
/// no such person (or their account is deactivated). Staff and employers who see the
/// enrolment get 403.
pub async fn write(uow: &mut UnitOfWork, writing: Writing) -> Result<MessageView> {
    let enrolment = uow.visible_enrolment(writing.enrolment_id).await?;
    if !uow.principal.is_learner_of(&enrolment) {
        return Err(Error::Forbidden);
    }
    let to = writing.to;
    let mut fields = Fields::default();
    let recipient = recipient_of(&enrolment, to, &mut fields);
    let subject = fields.check("subject", MessageSubject::parse(&writing.subject));
    let text = fields.check("body", MessageText::parse(&writing.body));
    if let Some(id) = recipient
        && users::get(&mut uow.tx, id).await?.status != "active"
    {
        fields.add("to", "their account is deactivated");
    }
    fields.finish()?;
    let (recipient, subject, text) = (checked(recipient)?, checked(subject)?, checked(text)?);
    let sender = uow.principal.user_id;
    let id = Uuid::now_v7();
    let message = queries::insert(
        &mut uow.tx,
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
    // The e-mail is the message: it carries what the template shows, and the learner's
    // address to reply to.
    let context = serde_json::json!({
        "message_id": id,
        "link_path": crate::routes::message(id),
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
    let queued = uow
        .queue_email(&NewEmail {
            dedup_key: &format!("message:{id}"),
            to_user_id: recipient,
            template: TEMPLATE,
            context,
        })
        .await?;
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "to": to.as_str(),
        "recipient_id": recipient,
        "subject_chars": subject.as_str().chars().count(),
        "body_chars": text.as_str().chars().count(),
        "email_queued": queued,
    });
    uow.audit("message.send", "message", id, details).await?;
    MessageView::new(message)
}

/// The caller's messages, newest first: those they wrote and those written to them (only
/// one of the two with `folder`), optionally of one enrolment or only unread ones.
pub async fn mine(
    uow: &mut UnitOfWork,
    folder: Option<Folder>,
    enrolment_id: Option<Uuid>,
    unread: bool,
    query: PageQuery,
) -> Result<MessagePage> {
    let me = uow.principal.user_id;
    let mut filter = MessageFilter {
        enrolment_id,
        unread,
        ..MessageFilter::default()
    };
    match folder {
        Some(Folder::Received) => filter.recipient_id = Some(me),
        Some(Folder::Sent) => filter.sender_id = Some(me),
        None => filter.participant_id = Some(me),
    }
    if unread {
        // Unread is a state of what they received.
        filter.recipient_id = Some(me);
    }
    page(uow, &filter, query).await
}

/// One message (its sender, its recipient, admins and auditors; anyone else 404). The
/// recipient opening it marks it read.
pub async fn open(uow: &mut UnitOfWork, id: Uuid) -> Result<MessageView> {
    let mut message = readable(uow, id).await?;
    if message.recipient_id == uow.principal.user_id
        && message.read_at.is_none()
        && queries::mark_read(&mut uow.tx, id).await?
    {
        let details = serde_json::json!({ "enrolment_id": message.enrolment_id });
        uow.audit("message.read", "message", id, details).await?;
        message = queries::get(&mut uow.tx, id).await?;
    }
    MessageView::new(message)
}

/// A learner's messages, newest first: all of them for admins and auditors; for everyone
/// else who may see the enrolment, those they wrote or were written (404 for an enrolment
/// the caller cannot see).
pub async fn of_enrolment(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    query: PageQuery,
) -> Result<MessagePage> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    let p = &uow.principal;
    let filter = MessageFilter {
        enrolment_id: Some(enrolment.id),
        participant_id: (!reads_all(p)).then_some(p.user_id),
        ..MessageFilter::default()
    };
    page(uow, &filter, query).await
}
