//! Streaming `multipart/form-data` uploads.
//!
//! poem-openapi's own multipart types spool every file to a temporary file before the
//! handler runs, with no size limit. This payload hands the handler the raw multipart
//! stream instead, so text fields are read (bounded) first and the file part, sent last,
//! streams straight into storage while being hashed and counted. `S` only describes the
//! form in the OpenAPI document.
//!
//! What is refused, and when: a body whose declared `Content-Length` is more than the file
//! limit and the form around it could take, before any of it is read (413); a text field
//! sent as a file, or a file name over [`MAX_FILE_NAME_BYTES`], before the file is read
//! (422 naming the field); any part after the file, once the file has been read (422
//! naming it, and the stored file is removed like any refused upload's). A form that does
//! not parse as multipart is 400 saying so (never that it is not JSON).

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use poem::http::header;
use poem::web::{Field, Multipart};
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

use folio_app::files::{FILE_REQUIRED, Incoming, PartAfterFile};

use crate::problem::{AppError, AppResult};

/// The longest text field accepted in a form.
pub const MAX_TEXT_FIELD_BYTES: u64 = 16 * 1024;
/// The most text parts read before the file: every form Folio takes has a handful, and
/// without a bound a client could make the server hold any number of them.
pub const MAX_TEXT_FIELDS: usize = 32;
/// The longest file name taken (in bytes, as sent): the limit of common file systems.
pub const MAX_FILE_NAME_BYTES: usize = 255;
/// What a form may add to its file: every text field at its longest, and the multipart
/// boundaries and part headers around them all. A body declaring more than the file limit
/// and this cannot be a form within the limit.
pub const MAX_FORM_OVERHEAD_BYTES: u64 =
    MAX_TEXT_FIELDS as u64 * (MAX_TEXT_FIELD_BYTES + 1024) + 64 * 1024;

/// A multipart form read as a stream; see the module documentation.
pub struct StreamingForm<S> {
    multipart: Multipart,
    /// The body's length as the request declares it (`Content-Length`), if it does.
    declared_length: Option<u64>,
    schema: PhantomData<S>,
}

impl<S: Payload> Payload for StreamingForm<S> {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(ct) if ct.essence_str() == "multipart/form-data")
    }

    fn schema_ref() -> MetaSchemaRef {
        S::schema_ref()
    }

    fn register(registry: &mut Registry) {
        S::register(registry);
    }
}

impl<S: Payload + Send> ParsePayload for StreamingForm<S> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let declared_length = request
            .header(header::CONTENT_LENGTH)
            .and_then(|l| l.parse::<u64>().ok());
        let multipart = Multipart::from_request(request, body).await?;
        Ok(Self {
            multipart,
            declared_length,
            schema: PhantomData,
        })
    }
}

poem_openapi::impl_apirequest_for_payload!(StreamingForm<S>, S: Payload + Send);

/// The text fields of a form and its file part.
pub struct FormParts {
    /// Text fields by name (the last value wins).
    pub fields: HashMap<String, String>,
    /// The file part, unread.
    pub file: Option<FilePart>,
}

impl FormParts {
    /// The `file` part, or 422 naming it (for forms that have nothing else to check).
    pub fn into_file(self) -> AppResult<FilePart> {
        self.file
            .ok_or_else(|| AppError::invalid("file", FILE_REQUIRED))
    }
}

/// A form's file part, unread, with the rest of the form behind it: read to its end, it
/// looks for a part after it, which fails the read (see [`PartAfterFile`]).
pub struct FilePart {
    field: Field,
    rest: Multipart,
}

impl<S> StreamingForm<S> {
    /// Refuses (413) a form whose declared length is more than a file of `max_file_bytes`
    /// and the rest of a form could take, before any of it is read.
    pub fn within(self, max_file_bytes: u64) -> Result<Self, AppError> {
        match self.declared_length {
            Some(length) if length > max_file_bytes.saturating_add(MAX_FORM_OVERHEAD_BYTES) => {
                Err(AppError::PayloadTooLarge {
                    limit: usize::try_from(max_file_bytes).unwrap_or(usize::MAX),
                })
            }
            _ => Ok(self),
        }
    }

    /// Reads text fields until the part named `file_field`, which is returned unread. The
    /// file must be the form's last part: one after it fails the file's read.
    pub async fn read_until_file(mut self, file_field: &str) -> Result<FormParts, AppError> {
        let mut fields = HashMap::new();
        while let Some(field) = self
            .multipart
            .next_field()
            .await
            .map_err(|e| AppError::MalformedForm(e.to_string()))?
        {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            if name == file_field {
                if field
                    .file_name()
                    .is_some_and(|n| n.len() > MAX_FILE_NAME_BYTES)
                {
                    return Err(AppError::invalid(
                        name,
                        format!("its file name must be at most {MAX_FILE_NAME_BYTES} bytes"),
                    ));
                }
                return Ok(FormParts {
                    fields,
                    file: Some(FilePart {
                        field,
                        rest: self.multipart,
                    }),
                });
            }
            if field.file_name().is_some() {
                return Err(AppError::invalid(
                    name,
                    format!(
                        "must be text, not a file: a form takes one file, as its last part \
                         (`{file_field}`)"
                    ),
                ));
            }
            if fields.len() >= MAX_TEXT_FIELDS && !fields.contains_key(&name) {
                return Err(AppError::MalformedForm(format!(
                    "more than {MAX_TEXT_FIELDS} fields"
                )));
            }
            let mut bytes = Vec::new();
            field
                .into_async_read()
                .take(MAX_TEXT_FIELD_BYTES + 1)
                .read_to_end(&mut bytes)
                .await
                .map_err(|e| AppError::MalformedForm(e.to_string()))?;
            if bytes.len() as u64 > MAX_TEXT_FIELD_BYTES {
                return Err(AppError::invalid(
                    name,
                    format!("must be at most {MAX_TEXT_FIELD_BYTES} bytes"),
                ));
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| AppError::invalid(name.clone(), "must be UTF-8 text"))?;
            fields.insert(name, text);
        }
        Ok(FormParts { fields, file: None })
    }
}

/// A form's file part as the application layer takes it: name and type as sent, bytes
/// streamed.
pub fn incoming(file: FilePart) -> Incoming<impl AsyncRead + Unpin + Send> {
    Incoming {
        file_name: file.field.file_name().map(str::to_owned),
        content_type: file.field.content_type().map(str::to_owned),
        reader: file.into_reader(),
    }
}

impl FilePart {
    /// The file's bytes; at their end, the form must end too.
    pub fn into_reader(self) -> impl AsyncRead + Unpin + Send {
        LastPart::Reading {
            file: Box::pin(self.field.into_async_read()),
            rest: Some(self.rest),
        }
    }
}

type NextPart = Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;

/// The file part's bytes, then a look for another part: one is an error of kind
/// `InvalidData` carrying [`PartAfterFile`] with its name.
enum LastPart<R> {
    Reading {
        file: Pin<Box<R>>,
        rest: Option<Multipart>,
    },
    LookingPast(NextPart),
    Done,
}

impl<R: AsyncRead + Send + 'static> AsyncRead for LastPart<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        loop {
            match &mut *self {
                LastPart::Reading { file, rest } => {
                    let before = buf.filled().len();
                    ready!(file.as_mut().poll_read(cx, buf))?;
                    if buf.filled().len() > before || buf.remaining() == 0 {
                        return Poll::Ready(Ok(()));
                    }
                    // The file's end: the field is dropped (the multipart parser hands out
                    // one part at a time) before the next is looked for.
                    let Some(mut rest) = rest.take() else {
                        return Poll::Ready(Ok(()));
                    };
                    *self = LastPart::LookingPast(Box::pin(async move {
                        match rest.next_field().await {
                            Ok(None) => Ok(()),
                            Ok(Some(part)) => Err(std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                PartAfterFile {
                                    field: part.name().unwrap_or_default().to_owned(),
                                },
                            )),
                            Err(e) => Err(std::io::Error::other(e.to_string())),
                        }
                    }));
                }
                LastPart::LookingPast(next) => {
                    let result = ready!(next.as_mut().poll(cx));
                    *self = LastPart::Done;
                    return Poll::Ready(result);
                }
                LastPart::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}
