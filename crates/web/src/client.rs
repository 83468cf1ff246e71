//! The no-script forms' way to the API (`/app/do`): the request a form names, made
//! in-process to the same poem-openapi service the JSON API serves, with the browser's own
//! session cookie: the same authentication, rules and problem details as the script's
//! direct call, and no rule written twice.

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use serde_json::Value;
use tracing::Instrument;

use folio_app::browser::{PagePeer, SESSION_COOKIE};

/// The API service, as an endpoint the pages call.
#[derive(Clone)]
pub(crate) struct ApiClient {
    api: Arc<BoxEndpoint<'static, Response>>,
}

/// An answer from the API.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Its status.
    pub status: StatusCode,
    /// Its JSON body (`Null` when it had none or it was not JSON).
    pub body: Value,
}

impl Reply {
    /// Whether it is a success (2xx).
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The problem type's last part (`disclaimer-required` of `/problems/disclaimer-required`).
    pub fn problem(&self) -> Option<&str> {
        self.body
            .get("type")
            .and_then(Value::as_str)
            .and_then(|t| t.strip_prefix("/problems/"))
    }

    /// A 422 answer's field errors: (field, detail), in the API's order.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body
            .get("errors")
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| {
                        let field = e.get("field")?.as_str()?;
                        let detail = e.get("detail")?.as_str()?;
                        Some((field.to_owned(), detail.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The problem's detail, or its title, for a person to read.
    pub fn message(&self) -> String {
        let detail = self.body.get("detail").and_then(Value::as_str);
        let title = self.body.get("title").and_then(Value::as_str);
        match (detail, title) {
            (Some(d), _) if !d.is_empty() => d.to_owned(),
            (_, Some(t)) => t.to_owned(),
            _ => format!("The request failed ({}).", self.status),
        }
    }
}

impl ApiClient {
    /// Wraps the API service.
    pub fn new(api: BoxEndpoint<'static, Response>) -> Self {
        Self { api: Arc::new(api) }
    }

    /// Calls the API with a body of any content type (`(content type, bytes)`), on behalf
    /// of the browser at `peer` (recorded where the API keeps an address).
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        peer: Option<std::net::IpAddr>,
        body: Option<(String, poem::Body)>,
    ) -> Reply {
        // A path a form named that is no URI at all is the form's mistake, not a crash.
        let Ok(uri) = poem::http::Uri::try_from(path) else {
            return Reply {
                status: StatusCode::BAD_REQUEST,
                body: serde_json::json!({
                    "type": "/problems/invalid-request",
                    "title": "Invalid request",
                    "status": 400,
                    "detail": "The form did not say where to send it.",
                }),
            };
        };
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            builder = builder.header(header::COOKIE, format!("{SESSION_COOKIE}={token}"));
        }
        let mut req = match body {
            Some((content_type, bytes)) => builder
                .header(header::CONTENT_TYPE, content_type)
                .body(bytes),
            None => builder.finish(),
        };
        req.extensions_mut().insert(PagePeer(peer));
        // The API records who is calling on the current span: give each call its own, a
        // child of the page's request span (the path without its query, which may hold a
        // person's name).
        let span = tracing::info_span!(
            "api",
            path = %path.split('?').next().unwrap_or_default(),
            tenant_id = tracing::field::Empty,
            user_id = tracing::field::Empty,
        );
        let response = match self.api.call(req).instrument(span).await {
            Ok(r) => r.into_response(),
            // The service answers its refusals itself (`folio_api::in_process`).
            Err(e) => e.into_response(),
        };
        let status = response.status();
        let bytes = response.into_body().into_vec().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, body }
    }
}
