//! A person's inbox pages: their conversations, one conversation (what a message e-mail
//! links to; opening it marks read what was written to them, and they answer it there)
//! and the documents
//! waiting for their signature. Each read through the use cases in one unit of work and
//! rendered from a typed view.

use chrono::{DateTime, Utc};
use folio_app::documents::{self, ToSign};
use folio_app::enrolments::{self, EnrolmentFilter};
use folio_app::messages::{self, Conversation, MessageView, PageQuery};
use folio_app::routes;
use folio_domain::Role;
use poem::web::{Data, Path, Query};
use poem::{Request, handler};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Flash, PageResult, Web, path_id};

/// A message, as shown.
#[derive(Debug, Serialize)]
struct MessageRow {
    id: Uuid,
    subject: String,
    body: String,
    sender_name: String,
    recipient_name: String,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
    /// Written by the viewer.
    mine: bool,
    /// Written to the viewer.
    to_me: bool,
}

impl MessageRow {
    fn new(v: MessageView, me: Uuid) -> Self {
        let m = v.message;
        Self {
            mine: m.sender_id == me,
            to_me: m.recipient_id == me,
            id: m.id,
            subject: m.subject,
            body: m.body,
            sender_name: m.sender_name,
            recipient_name: m.recipient_name,
            created_at: m.created_at,
            read_at: m.read_at,
        }
    }
}

/// A conversation as the messages page lists it: its latest message.
#[derive(Debug, Serialize)]
struct ConversationRow {
    /// Its page.
    link: String,
    subject: String,
    /// The other person.
    with_name: String,
    /// When the latest message was written.
    latest_at: DateTime<Utc>,
    /// The start of the latest message, and who wrote it.
    latest_excerpt: String,
    latest_mine: bool,
    /// Messages written to the viewer not yet opened.
    unread: usize,
}

/// A programme of the viewer's, and whom they can write to about it.
#[derive(Debug, Serialize)]
struct Programme {
    enrolment_id: Uuid,
    /// "ST0457 Engineering".
    course: String,
    assessor_name: Option<String>,
    iqa_name: Option<String>,
    /// Whom the viewer may write to about it: `assessor`, `iqa`.
    to: Vec<&'static str>,
}

/// Conversations listed on a page of the messages page.
const CONVERSATIONS_PER_PAGE: i64 = 50;

/// The messages page's query: the cursor of an older page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct MessagesQuery {
    cursor: Option<String>,
}

/// The messages page.
#[derive(Debug, Serialize)]
struct MessagesView {
    conversations: Vec<ConversationRow>,
    /// The next (older) page's cursor, on all but the last.
    next_cursor: Option<String>,
    /// This is an older page (not the newest).
    older: bool,
    /// The page, to page on from.
    link: &'static str,
    /// A learner's programmes, to write about (none for staff, who write from a
    /// portfolio).
    programmes: Vec<Programme>,
    /// Only one programme: it is not asked for.
    one_programme: Option<Programme>,
}

/// The first line of a message, cut to about 120 characters.
fn excerpt(body: &str) -> String {
    let line = body
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    match line.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// A conversation as listed: `c`'s latest message as seen by `me`.
fn conversation(c: Conversation, me: Uuid) -> ConversationRow {
    let m = c.latest;
    ConversationRow {
        link: routes::message(m.thread_id),
        with_name: if m.sender_id == me {
            m.recipient_name
        } else {
            m.sender_name
        },
        latest_at: m.created_at,
        latest_excerpt: excerpt(&m.body),
        latest_mine: m.sender_id == me,
        unread: usize::try_from(c.unread).unwrap_or(usize::MAX),
        subject: m.subject,
    }
}

/// `/app/messages`: the viewer's conversations and, for a learner, a form to start one.
#[handler]
pub(super) async fn messages_page(
    req: &Request,
    web: Data<&Web>,
    Query(q): Query<MessagesQuery>,
    flash: Flash,
) -> PageResult {
    let (viewer, view) = web
        .read_page(req, async |uow, _| {
            let me = uow.principal.user_id;
            let query = PageQuery::parse(q.cursor.as_deref(), Some(CONVERSATIONS_PER_PAGE))?;
            let page = messages::conversations(uow, query).await?;
            let mut programmes = Vec::new();
            if uow.principal.has(Role::Learner) {
                let mine = EnrolmentFilter {
                    learner_id: Some(me),
                    ..EnrolmentFilter::default()
                };
                for v in enrolments::list(uow, &mine, None, Some(50)).await?.items {
                    let e = v.enrolment;
                    let to: Vec<_> = messages::may_write_to(uow, e.id)
                        .await?
                        .into_iter()
                        .map(|r| r.as_str())
                        .collect();
                    if !to.is_empty() {
                        programmes.push(Programme {
                            enrolment_id: e.id,
                            course: format!("{} {}", e.course_code, e.course_title),
                            assessor_name: e.assessor_name,
                            iqa_name: e.iqa_name,
                            to,
                        });
                    }
                }
            }
            let one_programme = if programmes.len() == 1 {
                programmes.pop()
            } else {
                None
            };
            Ok(MessagesView {
                conversations: page
                    .items
                    .into_iter()
                    .map(|c| conversation(c, me))
                    .collect(),
                next_cursor: page.next_cursor,
                older: q.cursor.is_some(),
                link: routes::MESSAGES.pattern(),
                programmes,
                one_programme,
            })
        })
        .await?;
    Ok(web.typed_page(&viewer, "messages", "Messages", &view, flash))
}

/// A conversation's page.
#[derive(Debug, Serialize)]
struct ThreadView {
    subject: String,
    messages: Vec<MessageRow>,
    /// The message an answer answers (the latest), if the viewer is a party to it.
    reply_to: Option<Uuid>,
    /// The other person.
    with_name: String,
    /// The learner's portfolio it is about.
    portfolio: String,
    /// The messages page.
    inbox: String,
    /// This page.
    page: String,
}

/// `/app/messages/{id}`: the conversation the message belongs to, oldest first, with a
/// form to answer it (what a message e-mail links to; opening it marks read what was
/// written to the viewer).
#[handler]
pub(super) async fn message_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, (thread, first, reply_to, me)) = web
        .read_page(req, async |uow, _| {
            let thread = messages::thread(uow, path_id(&id)?).await?;
            // Never empty: the thread holds the message it was found by.
            let (Some(first), Some(last)) = (thread.first(), thread.last()) else {
                return Err(folio_app::Error::NotFound);
            };
            let (first, last) = (first.message.clone(), last.message.id);
            // Answered through its latest message, if the viewer may (as the API decides).
            let reply_to = messages::may_reply(uow, last).await?.then_some(last);
            Ok((thread, first, reply_to, uow.principal.user_id))
        })
        .await?;
    let with_name = if first.sender_id == me {
        first.recipient_name.clone()
    } else if first.recipient_id == me {
        first.sender_name.clone()
    } else {
        format!("{} and {}", first.sender_name, first.recipient_name)
    };
    let view = ThreadView {
        subject: first.subject.clone(),
        reply_to,
        messages: thread.into_iter().map(|v| MessageRow::new(v, me)).collect(),
        with_name,
        portfolio: routes::enrolment(first.enrolment_id),
        inbox: routes::MESSAGES.pattern().to_owned(),
        page: routes::message(first.thread_id),
    };
    let title = view.subject.clone();
    Ok(web.typed_page(&viewer, "message", &title, &view, flash))
}

/// A signature on a document to sign.
#[derive(Debug, Serialize)]
struct SignatureRow {
    role: &'static str,
    signed: bool,
    typed_name: Option<String>,
}

/// A document waiting for the viewer's signature.
#[derive(Debug, Serialize)]
struct ToSignRow {
    id: Uuid,
    title: String,
    learner_name: String,
    message: Option<String>,
    file_name: String,
    download: String,
    signatures: Vec<SignatureRow>,
    /// The roles the viewer signs it for.
    roles_to_sign: Vec<&'static str>,
}

impl From<ToSign> for ToSignRow {
    fn from(t: ToSign) -> Self {
        let d = t.document.document;
        Self {
            download: format!("/api/v1/documents/{}/file", d.id),
            id: d.id,
            title: d.title,
            learner_name: d.learner_name,
            message: d.message,
            file_name: d.file_name,
            signatures: t
                .document
                .signatures
                .into_iter()
                .map(|s| SignatureRow {
                    role: s.role.as_str(),
                    signed: s.signature.is_some(),
                    typed_name: s.signature.map(|s| s.typed_name),
                })
                .collect(),
            roles_to_sign: t.roles_to_sign.into_iter().map(|r| r.as_str()).collect(),
        }
    }
}

/// The documents-to-sign page.
#[derive(Debug, Serialize)]
struct ToSignView {
    to_sign: Vec<ToSignRow>,
    /// Where a signature returns to.
    back: String,
}

/// `/app/documents`: what waits for the viewer's signature.
#[handler]
pub(super) async fn documents_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let (viewer, to_sign) = web
        .read_page(req, async |uow, _| documents::to_sign(uow).await)
        .await?;
    let view = ToSignView {
        to_sign: to_sign.into_iter().map(ToSignRow::from).collect(),
        back: routes::DOCUMENTS.pattern().to_owned(),
    };
    Ok(web.typed_page(&viewer, "documents", "Documents to sign", &view, flash))
}
