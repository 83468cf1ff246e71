//! Streaming `multipart/form-data` uploads.
//!
//! poem-openapi's own multipart types spool every file to a temporary file before the
//! handler runs, with no size limit. This payload hands the handler the raw multipart
//! stream instead, so text fields are read (bounded) first and the file part, sent last,
//! streams straight into storage while being hashed and counted. `S` only describes the
//! form in the OpenAPI document.

use std::collections::HashMap;
use std::marker::PhantomData;

use poem::web::{Field, Multipart};
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use tokio::io::AsyncReadExt;

use folio_app::files::{FILE_REQUIRED, Incoming};

use crate::problem::{AppError, AppResult};

/// The longest text field accepted in a form.
pub const MAX_TEXT_FIELD_BYTES: u64 = 16 * 1024;
/// The most text parts read before the file: every form Folio takes has a handful, and
/// without a bound a client could make the server hold any number of them.
pub const MAX_TEXT_FIELDS: usize = 32;

/// A multipart form read as a stream; see the module documentation.
pub struct StreamingForm<S> {
    multipart: Multipart,
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
        let multipart = Multipart::from_request(request, body).await?;
        Ok(Self {
            multipart,
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
    pub file: Option<Field>,
}

impl FormParts {
    /// The `file` part, or 422 naming it (for forms that have nothing else to check).
    pub fn into_file(self) -> AppResult<Field> {
        self.file
            .ok_or_else(|| AppError::invalid("file", FILE_REQUIRED))
    }
}

impl<S> StreamingForm<S> {
    /// Reads text fields until the part named `file_field`, which is returned unread.
    /// Parts after the file are not read: the file must be the form's last part.
    pub async fn read_until_file(mut self, file_field: &str) -> Result<FormParts, AppError> {
        let mut fields = HashMap::new();
        while let Some(field) = self
            .multipart
            .next_field()
            .await
            .map_err(|e| AppError::MalformedBody(format!("multipart: {e}")))?
        {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            if name == file_field {
                return Ok(FormParts {
                    fields,
                    file: Some(field),
                });
            }
            if fields.len() >= MAX_TEXT_FIELDS && !fields.contains_key(&name) {
                return Err(AppError::MalformedBody(format!(
                    "multipart: more than {MAX_TEXT_FIELDS} fields"
                )));
            }
            let mut bytes = Vec::new();
            field
                .into_async_read()
                .take(MAX_TEXT_FIELD_BYTES + 1)
                .read_to_end(&mut bytes)
                .await
                .map_err(|e| AppError::MalformedBody(format!("multipart: {e}")))?;
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
pub fn incoming(file: Field) -> Incoming<impl tokio::io::AsyncRead + Unpin + Send> {
    Incoming {
        file_name: file.file_name().map(str::to_owned),
        content_type: file.content_type().map(str::to_owned),
        reader: file.into_async_read(),
    }
}
