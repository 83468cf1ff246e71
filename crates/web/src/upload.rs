//! A form with a file sent without the script (`multipart/form-data` to `/app/do`): its
//! text fields are read (bounded), and the API is sent the form as the script would send
//! it: the same text fields without the page's own (`_api`, `_back`…), `name:csv` values
//! joined by commas, and the file last, streamed through as it arrives, never held whole.

use std::pin::Pin;
use std::task::{Context, Poll};

use poem::web::Multipart;
use poem::{Body, FromRequest, Request, RequestBody};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

/// The most text fields read before the file (the API takes no more either).
const MAX_TEXT_FIELDS: usize = 32;
/// The most text read before the file, in all.
const MAX_TEXT_BYTES: usize = 512 * 1024;

/// A form sent with a file.
pub(crate) struct Upload {
    /// Its text fields as sent, the page's own included.
    pub fields: Vec<(String, String)>,
    /// The form for the API, if a file was chosen: its content type and body.
    pub api_form: Option<(String, Body)>,
}

/// Why a form could not be read, in words.
pub(crate) type Unreadable = &'static str;

/// Reads a multipart form's text fields up to its file, and makes the API's form of it.
pub(crate) async fn read(req: &Request, body: &mut RequestBody) -> Result<Upload, Unreadable> {
    const UNREADABLE: &str = "The form could not be read. Reload the page and try again.";
    let mut multipart = Multipart::from_request(req, body)
        .await
        .map_err(|_| UNREADABLE)?;
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut text_bytes = 0;
    while let Some(field) = multipart.next_field().await.map_err(|_| UNREADABLE)? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if let Some(file_name) = field.file_name().map(str::to_owned) {
            if file_name.is_empty() {
                // No file chosen: the browser sends an empty part. The API says the file is
                // missing, naming its field.
                continue;
            }
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let boundary = format!("folio-form-{}", uuid::Uuid::new_v4().simple());
            let mut head = String::new();
            for (name, value) in api_fields(&fields) {
                head.push_str(&format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                    quoted(&name)
                ));
            }
            head.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\
                 Content-Type: {}\r\n\r\n",
                quoted(&name),
                quoted(&file_name),
                quoted(&content_type),
            ));
            let tail = format!("\r\n--{boundary}--\r\n");
            let stream = std::io::Cursor::new(head.into_bytes())
                .chain(field.into_async_read())
                .chain(std::io::Cursor::new(tail.into_bytes()));
            let body = Body::from_async_read(KeepParsing {
                read: Box::pin(stream),
                _rest: multipart,
            });
            return Ok(Upload {
                fields,
                api_form: Some((format!("multipart/form-data; boundary={boundary}"), body)),
            });
        }
        // Bounded before it is read: a text part is never read past what is left of the
        // form's allowance.
        const TOO_MUCH: &str = "The form has more text than Folio takes with a file.";
        if fields.len() >= MAX_TEXT_FIELDS {
            return Err(TOO_MUCH);
        }
        let allowance = MAX_TEXT_BYTES.saturating_sub(text_bytes + name.len());
        let mut raw = Vec::new();
        field
            .into_async_read()
            .take(allowance as u64 + 1)
            .read_to_end(&mut raw)
            .await
            .map_err(|_| UNREADABLE)?;
        if raw.len() > allowance {
            return Err(TOO_MUCH);
        }
        text_bytes += raw.len() + name.len();
        let text = String::from_utf8(raw).map_err(|_| UNREADABLE)?;
        fields.push((name, text));
    }
    Ok(Upload {
        api_form: (!fields.is_empty()).then(|| {
            // No file at all: the text fields alone, so the API names what is missing.
            let boundary = format!("folio-form-{}", uuid::Uuid::new_v4().simple());
            let mut body = String::new();
            for (name, value) in api_fields(&fields) {
                body.push_str(&format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                    quoted(&name)
                ));
            }
            body.push_str(&format!("--{boundary}--\r\n"));
            (
                format!("multipart/form-data; boundary={boundary}"),
                Body::from_string(body),
            )
        }),
        fields,
    })
}

/// The text fields as the API takes them (as `folio.js` sends them): the page's own left
/// out, a name's `:kind` dropped, `name:csv` values joined by commas into one field.
fn api_fields(fields: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in fields {
        if name.starts_with('_') {
            continue;
        }
        let (key, kind) = name.split_once(':').unwrap_or((name.as_str(), ""));
        if kind == "csv"
            && let Some((_, joined)) = out.iter_mut().find(|(k, _)| k == key)
        {
            joined.push(',');
            joined.push_str(value);
            continue;
        }
        out.push((key.to_owned(), value.clone()));
    }
    out
}

/// A name or value made safe inside a part header's quotes (as browsers do).
fn quoted(s: &str) -> String {
    s.replace('"', "%22").replace(['\r', '\n'], " ")
}

/// The file's stream, with the multipart parser it comes from kept alive until it ends.
struct KeepParsing {
    read: Pin<Box<dyn AsyncRead + Send>>,
    _rest: Multipart,
}

impl AsyncRead for KeepParsing {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.read.as_mut().poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_gets_the_fields_the_script_would_send() {
        let sent: Vec<(String, String)> = [
            ("_api", "/api/v1/documents"),
            ("_next", "/app"),
            ("enrolment_ids", "e1"),
            ("roles:csv", "learner"),
            ("roles:csv", "employer"),
            ("title", "Plan \"A\""),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
        let api: Vec<(String, String)> = api_fields(&sent);
        assert_eq!(
            api,
            [
                ("enrolment_ids".to_owned(), "e1".to_owned()),
                ("roles".to_owned(), "learner,employer".to_owned()),
                ("title".to_owned(), "Plan \"A\"".to_owned()),
            ]
        );
        assert_eq!(quoted("a\"b\r\nc"), "a%22b  c");
    }
}
