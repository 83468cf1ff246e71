//! Messages: a learner and their enrolment's assessor or IQA write to each other from
//! inside Folio (subject and text, no attachments), in threads: either writes a new
//! message, and each answers the other's. The message is kept, listed for both people, and
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

pub use folio_db::messages::{Conversation, Message};

pub use crate::paging::PageQuery;

use crate::paging::next_id_cursor;
use folio_domain::Role;

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
        Recipient::Learner => Some(enrolment.learner_id),
    };
    if id.is_none() {
        fields.add("to", format!("this enrolment has no {}", to.describe()));
    }
    id
}

/// Writes a new message about an enrolment: its learner to its assessor or IQA, or its
/// assessor or IQA to its learner. The message is kept and the recipient e-mailed; 422
/// names `to` when the enrolment has no such person, the writer cannot write to them, or
/// their account is deactivated. Anyone else who sees the enrolment (admins, auditors,
/// employers) gets 403: they are not a party to its conversations.
pub async fn write(uow: &mut UnitOfWork, writing: Writing) -> Result<MessageView> {
    let enrolment = uow.visible_enrolment(writing.enrolment_id).await?;
    let as_learner = uow.principal.is_learner_of(&enrolment);
    if !as_learner && !is_staff_of(&uow.principal, &enrolment) {
        return Err(Error::Forbidden);
    }
    let to = writing.to;
    let mut fields = Fields::default();
    let recipient = match (to, as_learner) {
        (Recipient::Learner, false) => Some(enrolment.learner_id),
        (Recipient::Learner, true) => {
            fields.add("to", "is you: write to your assessor or your IQA");
            None
        }
        (_, true) => recipient_of(&enrolment, to, &mut fields),
        (_, false) => {
            fields.add("to", "must be the learner: staff write to the learner");
            None
        }
    };
    let subject = fields.check("subject", MessageSubject::parse(&writing.subject));
    let text = fields.check("body", MessageText::parse(&writing.body));
    if let Some(id) = recipient
        && users::get(&mut uow.tx, id).await?.status != "active"
    {
        fields.add("to", "their account is deactivated");
    }
    fields.finish()?;
    let (recipient, subject, text) = (checked(recipient)?, checked(subject)?, checked(text)?);
    deliver(
        uow,
        &enrolment,
        Delivery {
            reply_to: None,
            recipient,
            to,
            subject: subject.as_str(),
            body: text.as_str(),
        },
    )
    .await
}

/// Whom the caller may start a conversation with about the enrolment (the rule [`write`]
/// applies): its learner their assessor and IQA, where it has them; its assessor or IQA
/// the learner; anyone else nobody. Deactivated accounts are left out.
pub async fn may_write_to(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<Vec<Recipient>> {
    let enrolment = uow.visible_enrolment(enrolment_id).await?;
    let candidates = if uow.principal.is_learner_of(&enrolment) {
        vec![
            (Recipient::Assessor, enrolment.assessor_id),
            (Recipient::Iqa, enrolment.iqa_id),
        ]
    } else if is_staff_of(&uow.principal, &enrolment) {
        vec![(Recipient::Learner, Some(enrolment.learner_id))]
    } else {
        Vec::new()
    };
    let mut to = Vec::new();
    for (recipient, who) in candidates {
        if let Some(who) = who
            && users::get(&mut uow.tx, who).await?.status == "active"
        {
            to.push(recipient);
        }
    }
    Ok(to)
}

/// Whether the principal is the enrolment's own assessor or IQA (in that role).
fn is_staff_of(p: &Principal, enrolment: &Enrolment) -> bool {
    (enrolment.assessor_id == Some(p.user_id) && p.has(Role::Assessor))
        || (enrolment.iqa_id == Some(p.user_id) && p.has(Role::Iqa))
}

/// Answers a message, in its thread: its sender or its recipient writes to the other. The
/// answer takes the thread's subject and is e-mailed like any message. Admins and auditors,
/// who read every message, are not a party to it (403); 409 when the other person is no
/// longer the learner's assessor or IQA (write to the one now named), or the writer no
/// longer is; 422 names `body` when the text is empty or too long, `to` when the other
/// person's account is deactivated.
pub async fn reply(uow: &mut UnitOfWork, id: Uuid, body: &str) -> Result<MessageView> {
    let parent = readable(uow, id).await?;
    let answer = answering(uow, &parent).await?;
    let mut fields = Fields::default();
    let text = fields.check("body", MessageText::parse(body));
    if !answer.other_active {
        fields.add("to", "their account is deactivated");
    }
    fields.finish()?;
    let text = checked(text)?;
    deliver(
        uow,
        &answer.enrolment,
        Delivery {
            reply_to: Some(&parent),
            recipient: answer.other,
            to: answer.to,
            subject: &parent.subject,
            body: text.as_str(),
        },
    )
    .await
}

/// Whether the caller may answer the message (the rule [`reply`] applies, but for the
/// text): a page offers the form only then.
pub async fn may_reply(uow: &mut UnitOfWork, id: Uuid) -> Result<bool> {
    let parent = readable(uow, id).await?;
    match answering(uow, &parent).await {
        Ok(answer) => Ok(answer.other_active),
        Err(Error::Forbidden | Error::Conflict { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whom an answer to a message goes to, and as what.
struct Answer {
    enrolment: Enrolment,
    /// The other party of the message.
    other: Uuid,
    /// Which of the enrolment's people they are now.
    to: Recipient,
    /// Their account is active.
    other_active: bool,
}

/// The caller answering `parent`: 403 if they are not a party to it (admins and auditors
/// read every message), 409 if either party is no longer the learner, their assessor or
/// their IQA.
async fn answering(uow: &mut UnitOfWork, parent: &Message) -> Result<Answer> {
    let me = uow.principal.user_id;
    let (other, other_name) = if parent.sender_id == me {
        (parent.recipient_id, &parent.recipient_name)
    } else if parent.recipient_id == me {
        (parent.sender_id, &parent.sender_name)
    } else {
        return Err(Error::Forbidden);
    };
    // Being a party authorises the read: a party who has since left the enrolment (and so
    // no longer sees it) is told why they cannot answer, not that it does not exist.
    let everything = folio_db::enrolments::Viewer {
        user_id: me,
        scope: folio_domain::EnrolmentScope {
            all: true,
            ..folio_domain::EnrolmentScope::default()
        },
    };
    let enrolment =
        folio_db::enrolments::get_visible(&mut uow.tx, &everything, parent.enrolment_id).await?;
    let still_mine =
        uow.principal.is_learner_of(&enrolment) || is_staff_of(&uow.principal, &enrolment);
    let to = if other == enrolment.learner_id {
        Some(Recipient::Learner)
    } else if enrolment.assessor_id == Some(other) {
        Some(Recipient::Assessor)
    } else if enrolment.iqa_id == Some(other) {
        Some(Recipient::Iqa)
    } else {
        None
    };
    let Some(to) = to.filter(|_| still_mine) else {
        let who = if still_mine {
            format!("{other_name} is no longer this learner's assessor or IQA")
        } else {
            "you are no longer this learner's assessor or IQA".to_owned()
        };
        return Err(Error::Conflict {
            field: None,
            detail: format!(
                "{who}, so this conversation cannot be answered: write a new message to the \
                 person named on the learner's portfolio now."
            ),
        });
    };
    let other_active = users::get(&mut uow.tx, other).await?.status == "active";
    Ok(Answer {
        enrolment,
        other,
        to,
        other_active,
    })
}

/// A message checked and ready to store.
struct Delivery<'a> {
    reply_to: Option<&'a Message>,
    recipient: Uuid,
    to: Recipient,
    subject: &'a str,
    body: &'a str,
}

/// Stores a message, queues its e-mail (in the same unit of work) and audits it.
async fn deliver(
    uow: &mut UnitOfWork,
    enrolment: &Enrolment,
    d: Delivery<'_>,
) -> Result<MessageView> {
    let sender = uow.principal.user_id;
    let id = Uuid::now_v7();
    let message = queries::insert(
        &mut uow.tx,
        &NewMessage {
            id,
            enrolment_id: enrolment.id,
            reply_to: d.reply_to,
            sender_id: sender,
            recipient_id: d.recipient,
            recipient_role: d.to.as_str(),
            subject: d.subject,
            body: d.body,
        },
    )
    .await?;
    // The e-mail is the message: it carries what the template shows, and links to the
    // conversation, where it is answered.
    let context = serde_json::json!({
        "message_id": id,
        "thread_id": message.thread_id,
        "link_path": crate::routes::message(id),
        "enrolment_id": enrolment.id,
        "to": d.to.as_str(),
        "reply": d.reply_to.is_some(),
        "sender_name": message.sender_name,
        "learner_id": enrolment.learner_id,
        "learner_name": enrolment.learner_name,
        "recipient_name": message.recipient_name,
        "course_title": enrolment.course_title,
        "subject": message.subject,
        "body": message.body,
    });
    let queued = uow
        .queue_email(&NewEmail {
            dedup_key: &format!("message:{id}"),
            to_user_id: d.recipient,
            template: TEMPLATE,
            context,
        })
        .await?;
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "to": d.to.as_str(),
        "recipient_id": d.recipient,
        "thread_id": message.thread_id,
        "subject_chars": d.subject.chars().count(),
        "body_chars": d.body.chars().count(),
        "email_queued": queued,
    });
    let action = if d.reply_to.is_some() {
        "message.reply"
    } else {
        "message.send"
    };
    uow.audit(action, "message", id, details).await?;
    MessageView::new(message)
}

/// A conversation: every message of the thread `id` belongs to, oldest first, for whoever
/// may read that message (404 otherwise). Opening it marks read what was written to the
/// caller.
pub async fn thread(uow: &mut UnitOfWork, id: Uuid) -> Result<Vec<MessageView>> {
    let message = readable(uow, id).await?;
    let me = uow.principal.user_id;
    let read_now = queries::mark_thread_read(&mut uow.tx, message.thread_id, me).await?;
    if !read_now.is_empty() {
        let details = serde_json::json!({
            "enrolment_id": message.enrolment_id,
            "thread_id": message.thread_id,
            "messages": read_now,
        });
        uow.audit("message.read", "message", message.thread_id, details)
            .await?;
    }
    queries::thread(&mut uow.tx, message.thread_id)
        .await?
        .into_iter()
        .map(MessageView::new)
        .collect()
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

/// A page of the caller's conversations, newest first.
#[derive(Debug)]
pub struct ConversationPage {
    /// Each conversation's latest message and what is unread in it.
    pub items: Vec<Conversation>,
    /// The cursor of the next (older) page; none on the last.
    pub next_cursor: Option<String>,
}

/// The conversations the caller wrote or was written to in, by their latest message,
/// newest first: their own inbox (admins and auditors read others' messages from a
/// learner's portfolio, not here).
pub async fn conversations(uow: &mut UnitOfWork, query: PageQuery) -> Result<ConversationPage> {
    let me = uow.principal.user_id;
    let page = queries::conversations(&mut uow.tx, me, query.before, query.limit).await?;
    let next_cursor = next_id_cursor(&page, |c| c.latest.id);
    Ok(ConversationPage {
        items: page.items,
        next_cursor,
    })
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
