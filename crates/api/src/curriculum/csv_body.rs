//! A `text/csv` request body, read with a size bound.
//!
//! poem-openapi's `PlainText` accepts only `text/plain` and reads the body without a
//! limit; a spreadsheet export is `text/csv` and may be large, so it gets its own payload.

use poem::{Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::MetaSchemaRef;
use poem_openapi::types::Type;
use tokio::io::AsyncReadExt;

use crate::problem::{ApiError, AppError};

/// The largest CSV body accepted: a course of thousands of criteria fits easily.
pub const MAX_CSV_BYTES: usize = 4 * 1024 * 1024;

/// A CSV request body as text.
#[derive(Debug)]
pub struct CsvBody(pub String);

impl Payload for CsvBody {
    const CONTENT_TYPE: &'static str = "text/csv; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(ct) if ct.type_() == "text"
            && ct.subtype() == "csv")
    }

    fn schema_ref() -> MetaSchemaRef {
        String::schema_ref()
    }
}

impl ParsePayload for CsvBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let mut bytes = Vec::new();
        body.take()?
            .into_async_read()
            .take(MAX_CSV_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| ApiError(AppError::MalformedBody(e.to_string())))?;
        if bytes.len() > MAX_CSV_BYTES {
            return Err(ApiError(AppError::PayloadTooLarge {
                limit: MAX_CSV_BYTES,
            })
            .into());
        }
        // Spreadsheets save CSV in the machine's legacy encoding unless told otherwise;
        // guessing would garble names silently, so the client is asked for UTF-8.
        let text = String::from_utf8(bytes).map_err(|_| {
            ApiError(AppError::invalid(
                "body",
                "is not UTF-8 text: save the spreadsheet as CSV UTF-8",
            ))
        })?;
        Ok(Self(text))
    }
}

// The trailing comma picks the macro's arm with (no) bounds: its bound-less arm calls
// itself unqualified, which only resolves inside poem-openapi.
poem_openapi::impl_apirequest_for_payload!(CsvBody,);
