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

use crate::problem::{AppError, AppResult, Fields};

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

/// What a form without its file part is told.
const FILE_REQUIRED: &str = "is required (as the last part of the form)";

impl FormParts {
    /// Records in `fields` that the `file` part is missing, if it is (for forms that
    /// check their other fields too).
    pub fn check_file(&self, fields: &mut Fields) {
        fields.require("file", self.file.is_some(), FILE_REQUIRED);
    }

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

/// A file name as uploaded, made safe to store and to offer back for download: only the
/// last path component, no control characters, at most 255 characters; "upload" if
/// nothing is left. Storage keys never contain it.
pub fn clean_file_name(raw: Option<&str>) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(255)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        "upload".to_owned()
    } else {
        cleaned
    }
}

/// A media type as declared by the client if it is well formed, else
/// `application/octet-stream`. It is only ever shown, never trusted: downloads are
/// served as attachments with `nosniff`.
pub fn clean_content_type(raw: Option<&str>) -> String {
    raw.and_then(|ct| ct.parse::<mime::Mime>().ok())
        .map(|m| m.essence_str().to_owned())
        .filter(|m| m.len() <= 255)
        .unwrap_or_else(|| "application/octet-stream".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_odd_characters() {
        assert_eq!(clean_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(
            clean_file_name(Some("C:\\Users\\amy\\essay final.docx")),
            "essay final.docx"
        );
        assert_eq!(clean_file_name(Some("..")), "upload");
        assert_eq!(clean_file_name(Some("a\u{0}b\nc.pdf")), "abc.pdf");
        assert_eq!(clean_file_name(Some("\"<x>\".txt")), "x.txt");
        assert_eq!(clean_file_name(None), "upload");
        assert_eq!(clean_file_name(Some(&"é".repeat(300))).chars().count(), 255);
    }

    #[test]
    fn content_types_are_well_formed_or_generic() {
        assert_eq!(
            clean_content_type(Some("application/pdf")),
            "application/pdf"
        );
        assert_eq!(
            clean_content_type(Some("text/html; charset=utf-8")),
            "text/html"
        );
        assert_eq!(
            clean_content_type(Some("not a type")),
            "application/octet-stream"
        );
        assert_eq!(clean_content_type(None), "application/octet-stream");
    }
}
