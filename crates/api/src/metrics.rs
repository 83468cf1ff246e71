//! Prometheus metrics over HTTP: every request counted and timed by method, route template
//! and status class, and `GET /metrics`, the process's metrics in the text exposition
//! format (the names are in [`folio_app::telemetry`]).
//!
//! `/metrics` is outside `/api/v1` and the OpenAPI document. It tells how busy Folio is, so
//! on the API's own port (which is public) it is served only once a token is set
//! (`FOLIO_METRICS_TOKEN`, sent by scrapers as `Authorization: Bearer …`): without one it
//! is not there (404). A worker serves it on a listener of its own
//! (`FOLIO_WORKER_METRICS_LISTEN`), behind the token when one is set.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use folio_app::telemetry::{HTTP_REQUEST_DURATION, HTTP_REQUESTS_TOTAL};
use poem::error::NotFoundError;
use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, PathPattern, Request, Response};
use sha2::{Digest, Sha256};

/// Counts and times `next`'s requests. The route label is the matched route's template
/// (`/api/v1/enrolments/{id}`), never the path itself, which holds ids; a path no route
/// matches (or a handler that panicked) is `unmatched`. Errors are turned into their
/// problem responses here, so the status counted is the one sent.
pub(crate) async fn track<E: Endpoint>(
    next: E,
    req: Request,
    routes: RouteNames,
) -> poem::Result<Response> {
    let method = method_label(req.method());
    let started = Instant::now();
    let (response, pattern) = match next.call(req).await {
        Ok(r) => {
            let r = r.into_response();
            let pattern = r.data::<PathPattern>().map(|p| p.0.clone());
            (r, pattern)
        }
        Err(e) => {
            let pattern = if e.is::<NotFoundError>() {
                None
            } else {
                e.data::<PathPattern>().map(|p| p.0.clone())
            };
            (crate::problem::into_problem_response(e), pattern)
        }
    };
    let route = pattern.map_or_else(|| "unmatched".to_owned(), |p| routes.name(&p));
    let status = status_class(response.status());
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", status.to_owned()),
    ];
    metrics::counter!(HTTP_REQUESTS_TOTAL, &labels).increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION, &labels).record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// The method, from a fixed set: any other (a client may send anything) is `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The OpenAPI document's paths by the pattern poem routes them under: poem-openapi numbers
/// path parameters, routing `/api/v1/enrolments/{id}` as `/api/v1/enrolments/:param0`.
#[derive(Clone, Default)]
pub(crate) struct RouteNames(Arc<HashMap<String, String>>);

impl RouteNames {
    /// The names of the paths in `spec`, an OpenAPI document.
    pub(crate) fn from_spec(spec: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        let mut names = HashMap::new();
        if let Some(paths) = spec.get("paths").and_then(|p| p.as_object()) {
            for path in paths.keys() {
                names.entry(numbered(path)).or_insert_with(|| path.clone());
            }
        }
        Self(Arc::new(names))
    }

    /// The route label of a poem path pattern: the OpenAPI path, else the pattern with its
    /// parameters in braces.
    fn name(&self, pattern: &str) -> String {
        let template = route_template(pattern);
        self.0.get(&template).cloned().unwrap_or(template)
    }
}

/// An OpenAPI path with its parameters numbered as poem-openapi routes them.
fn numbered(path: &str) -> String {
    let mut n = 0;
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                n += 1;
                format!("{{param{}}}", n - 1)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A poem path pattern with its `:name` segments written `{name}`, as in OpenAPI.
fn route_template(pattern: &str) -> String {
    if pattern.is_empty() {
        return "/".into();
    }
    pattern
        .split('/')
        .map(|segment| match segment.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `GET /metrics`: the process's metrics as Prometheus text; with a token, only for
/// requests that bear it.
#[derive(Clone)]
pub struct MetricsEndpoint {
    /// SHA-256 of the token, compared digest to digest so the comparison tells nothing
    /// about the token.
    token: Option<Arc<[u8; 32]>>,
    /// Without a token: served to anyone (a listener of its own), or not at all.
    open_without_token: bool,
}

impl MetricsEndpoint {
    /// The endpoint on the API's public port: `token` (none or empty: `/metrics` answers
    /// 404, as for a path that does not exist) is required as a bearer token.
    pub fn public(token: Option<&str>) -> Self {
        Self::new(token, false)
    }

    /// The endpoint on a listener of its own (a worker's `FOLIO_WORKER_METRICS_LISTEN`,
    /// kept off the public internet by its address): `token`, when set and not empty, is
    /// required as a bearer token; otherwise it is open.
    pub fn own_listener(token: Option<&str>) -> Self {
        Self::new(token, true)
    }

    fn new(token: Option<&str>, open_without_token: bool) -> Self {
        folio_app::telemetry::install();
        Self {
            token: token
                .filter(|t| !t.is_empty())
                .map(|t| Arc::new(Sha256::digest(t.as_bytes()).into())),
            open_without_token,
        }
    }
}

impl Endpoint for MetricsEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if self.token.is_none() && !self.open_without_token {
            return Err(NotFoundError.into());
        }
        if let Some(expected) = &self.token {
            let presented = req
                .header(header::AUTHORIZATION)
                .and_then(|h| h.strip_prefix("Bearer "))
                .map(|t| <[u8; 32]>::from(Sha256::digest(t.trim().as_bytes())));
            if presented.as_ref() != Some(&**expected) {
                return Ok(StatusCode::UNAUTHORIZED
                    .with_header(header::WWW_AUTHENTICATE, "Bearer")
                    .into_response());
            }
        }
        Ok(folio_app::telemetry::render()
            .with_content_type("text/plain; version=0.0.4; charset=utf-8")
            .into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_templates_name_parameters_as_the_openapi_document_does() {
        assert_eq!(
            route_template("/api/v1/enrolments/:id/comments"),
            "/api/v1/enrolments/{id}/comments"
        );
        assert_eq!(route_template("/healthz"), "/healthz");
        assert_eq!(route_template(""), "/");
        let names = RouteNames::from_spec(
            r#"{"paths": {"/api/v1/enrolments/{id}/comments/{comment_id}": {}}}"#,
        );
        assert_eq!(
            names.name("/api/v1/enrolments/:param0/comments/:param1"),
            "/api/v1/enrolments/{id}/comments/{comment_id}"
        );
        assert_eq!(names.name("/api/docs/:file"), "/api/docs/{file}");
    }

    #[test]
    fn odd_methods_and_statuses_fall_into_fixed_labels() {
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").unwrap_or_default()),
            "OTHER"
        );
        assert_eq!(status_class(StatusCode::NOT_FOUND), "4xx");
        assert_eq!(status_class(StatusCode::BAD_GATEWAY), "5xx");
    }
}
