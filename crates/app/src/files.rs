//! Files people upload and download: checked names and media types, storage errors in a
//! person's words, and the rule that a stored file always has its row (stored first,
//! recorded after, removed if the record fails).

use std::collections::HashMap;

use folio_db::{Database, TenantTx};
use folio_domain::TenantId;
use folio_storage::{Storage, StorageError, StoredFile};
use tokio::io::AsyncRead;

use crate::{Error, Fields, Result};

/// What a form without its file part is told.
pub const FILE_REQUIRED: &str = "is required (as the last part of the form)";

/// A file arriving from a person: its name and media type as they sent them (cleaned
/// here) and its bytes, read once, straight into storage.
pub struct Incoming<R> {
    /// The name as uploaded.
    pub file_name: Option<String>,
    /// The media type as declared.
    pub content_type: Option<String>,
    /// The bytes.
    pub reader: R,
}

/// What fails the read of an upload's file when its form goes on after it (a second file,
/// a field sent late): the name of that part. Carried inside the read's I/O error, so the
/// upload is refused (and its stored bytes removed) like any failed read, and
/// [`storage_error`] names the part.
#[derive(Debug, thiserror::Error)]
#[error("a part `{field}` follows the file")]
pub struct PartAfterFile {
    /// The name of the part after the file (empty if it had none).
    pub field: String,
}

/// An upload's file after it was stored.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Where it is kept (ids only).
    pub key: String,
    /// The cleaned file name, to offer back on download.
    pub file_name: String,
    /// The cleaned media type.
    pub content_type: String,
    /// Size and hash.
    pub file: StoredFile,
}

impl Stored {
    /// Its size as the database keeps it.
    pub fn size_bytes(&self) -> i64 {
        i64::try_from(self.file.size).unwrap_or(i64::MAX)
    }
}

/// Streams `incoming` into storage under `key`, at most `max_bytes`, then runs `record` in
/// a fresh tenant transaction and commits it. If recording fails, the stored object is
/// removed, so no file is ever left without its row.
pub async fn store_then_record<R, T>(
    db: &Database,
    storage: &Storage,
    tenant: TenantId,
    key: String,
    incoming: Incoming<R>,
    max_bytes: u64,
    record: impl AsyncFnOnce(&mut TenantTx, &Stored) -> Result<T>,
) -> Result<T>
where
    R: AsyncRead + Unpin,
{
    let file = storage
        .put(&key, incoming.reader, max_bytes)
        .await
        .map_err(storage_error)?;
    let stored = Stored {
        file_name: clean_file_name(incoming.file_name.as_deref()),
        content_type: clean_content_type(incoming.content_type.as_deref()),
        key,
        file,
    };
    record_or_remove(db, storage, tenant, &stored.key, async |tx| {
        record(tx, &stored).await
    })
    .await
}

/// Runs `record` in a fresh tenant transaction and commits it; if it fails, the object
/// already stored under `key` is removed, so no file is left without its row.
pub async fn record_or_remove<T>(
    db: &Database,
    storage: &Storage,
    tenant: TenantId,
    key: &str,
    record: impl AsyncFnOnce(&mut TenantTx) -> Result<T>,
) -> Result<T> {
    let result = async {
        let mut tx = db.begin_tenant(tenant).await?;
        let value = record(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }
    .await;
    if result.is_err() {
        storage.delete(key).await;
    }
    result
}

/// A storage failure, as the person who sent or asked for the file should hear it.
pub fn storage_error(e: StorageError) -> Error {
    match e {
        StorageError::TooLarge { limit } => Error::PayloadTooLarge {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        },
        StorageError::Empty => Error::invalid("file", "is empty"),
        StorageError::Interrupted(e) => match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<PartAfterFile>())
        {
            Some(after) => Error::invalid(
                if after.field.is_empty() {
                    "file"
                } else {
                    after.field.as_str()
                },
                "comes after the file: a form takes one file, as its last part",
            ),
            None => Error::MalformedForm(format!("the upload was interrupted: {e}")),
        },
        StorageError::NotFound => Error::Internal("a stored file is missing".into()),
        StorageError::Full => {
            tracing::error!("file storage is full");
            Error::StorageFull
        }
        StorageError::Backend(e) => {
            tracing::error!(error = %e, "file storage failed");
            Error::Outage(
                "File storage is unavailable; nothing was kept. Please try again shortly.".into(),
            )
        }
    }
}

/// A text field of a form, trimmed; an error is added to `fields` if it is missing (when
/// `required`), longer than `max` characters or holds control characters.
pub fn text(
    fields: &mut Fields,
    values: &HashMap<String, String>,
    name: &str,
    max: usize,
    required: bool,
) -> Option<String> {
    let value = values
        .get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    match value {
        None if required => {
            fields.add(name, "is required");
            None
        }
        None => None,
        Some(v) if v.chars().count() > max => {
            fields.add(name, format!("must be at most {max} characters"));
            None
        }
        Some(v)
            if v.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') =>
        {
            fields.add(name, "must not contain control characters");
            None
        }
        Some(v) => Some(v),
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

    #[test]
    fn text_fields_are_trimmed_bounded_and_required() {
        let values: HashMap<String, String> = [
            ("title".to_owned(), "  Essay  ".to_owned()),
            ("long".to_owned(), "abcdef".to_owned()),
            ("bell".to_owned(), "a\u{7}b".to_owned()),
            ("blank".to_owned(), "   ".to_owned()),
        ]
        .into();
        let mut fields = Fields::default();
        assert_eq!(
            text(&mut fields, &values, "title", 10, true).as_deref(),
            Some("Essay")
        );
        assert_eq!(text(&mut fields, &values, "long", 5, true), None);
        assert_eq!(text(&mut fields, &values, "bell", 5, true), None);
        assert_eq!(text(&mut fields, &values, "blank", 5, false), None);
        assert_eq!(text(&mut fields, &values, "missing", 5, true), None);
        let Err(Error::Validation(errors)) = fields.finish() else {
            panic!("expected field errors");
        };
        let named: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["long", "bell", "missing"]);
    }
}
