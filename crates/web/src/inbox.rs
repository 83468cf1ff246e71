//! A person's inbox pages: their messages (received and sent), one message (what a
//! message e-mail links to; opening it as its recipient marks it read) and the documents
//! waiting for their signature. Each read through the use cases in one unit of work and
//! rendered from a typed view.

use chrono::{DateTime, Utc};
use folio_app::documents::{self, ToSign};
use folio_app::messages::{self, Folder, MessageView, PageQuery};
use folio_app::routes;
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;
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
    /// The learner's portfolio it is about.
    portfolio: String,
}

impl From<MessageView> for MessageRow {
    fn from(v: MessageView) -> Self {
        let m = v.message;
        Self {
            portfolio: routes::enrolment(m.enrolment_id),
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

/// The messages page: the latest 100 of each folder.
#[derive(Debug, Serialize)]
struct MessagesView {
    received: Vec<MessageRow>,
    sent: Vec<MessageRow>,
}

/// `/app/messages`.
#[handler]
pub(super) async fn messages_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let (viewer, view) = web
        .read_page(req, async |uow, _| {
            let latest = PageQuery::parse(None, Some(100))?;
            let received = messages::mine(uow, Some(Folder::Received), None, false, latest);
            let received = received.await?.items;
            let sent = messages::mine(uow, Some(Folder::Sent), None, false, latest);
            let sent = sent.await?.items;
            Ok(MessagesView {
                received: received.into_iter().map(MessageRow::from).collect(),
                sent: sent.into_iter().map(MessageRow::from).collect(),
            })
        })
        .await?;
    Ok(web.typed_page(&viewer, "messages", "Messages", &view, flash))
}

/// One message's page.
#[derive(Debug, Serialize)]
struct OneMessageView {
    message: MessageRow,
    messages: String,
}

/// `/app/messages/{id}`.
#[handler]
pub(super) async fn message_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, message) = web
        .read_page(req, async |uow, _| messages::open(uow, path_id(&id)?).await)
        .await?;
    let view = OneMessageView {
        message: MessageRow::from(message),
        messages: routes::MESSAGES.pattern().to_owned(),
    };
    let title = view.message.subject.clone();
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
