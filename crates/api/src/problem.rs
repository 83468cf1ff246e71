//! Errors as RFC 9457 problem documents (`application/problem+json`).
//!
//! Every error the API returns passes through here: handlers return [`ApiError`], and
//! [`into_problem_response`] turns everything else poem and poem-openapi raise (a bad path
//! parameter, an unsupported content type, an unknown route) into the same shape.

pub use folio_app::{
    Error as AppError, FieldError, Fields, Result as AppResult, SsoFailure, checked,
};
use poem::http::{StatusCode, header};
use poem::{Response, error::ResponseError};
use serde::Serialize;

/// A use case's error as the API answers it: problem JSON with the error's status and type.
/// (A wrapper only because the response traits are poem's and the error is the app's.)
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub AppError);

/// Result alias for the API's operations.
pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldError>>,
}

/// Builds a problem response.
pub fn problem_response(
    status: StatusCode,
    kind: &str,
    title: &str,
    detail: String,
    errors: Option<Vec<FieldError>>,
) -> Response {
    let body = Problem {
        kind: format!("/problems/{kind}"),
        title,
        status: status.as_u16(),
        detail,
        errors,
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/problem+json")
        .body(json)
}

fn status_code(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        status_code(&self.0)
    }

    fn as_response(&self) -> Response {
        let problem = self.0.problem();
        if let AppError::Internal(details) = &self.0 {
            tracing::error!(error = %details, "internal error");
        }
        let mut response = problem_response(
            status_code(&self.0),
            problem.kind,
            problem.title,
            self.0.detail(),
            self.0.field_errors(),
        );
        if let Some(secs) = self.0.retry_after_secs()
            && let Ok(value) = secs.to_string().parse()
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl ApiError {
    /// The error as a problem response.
    pub fn response(err: AppError) -> Response {
        ApiError(err).as_response()
    }
}

/// Turns any error that escaped a handler into a problem response.
pub fn into_problem_response(err: poem::Error) -> Response {
    use poem_openapi::error::{
        AuthorizationError, ContentTypeError, ParseParamError, ParsePathError,
    };
    if let Some(api) = err.downcast_ref::<ApiError>() {
        return api.as_response();
    }
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        return ApiError::response(AppError::invalid(
            param_name(e.name),
            clean_reason(&e.reason),
        ));
    }
    if let Some(e) = err.downcast_ref::<ParsePathError>() {
        return ApiError::response(AppError::invalid(
            param_name(e.name),
            clean_reason(&e.reason),
        ));
    }
    if err.is::<AuthorizationError>() {
        return ApiError::response(AppError::Unauthenticated);
    }
    if let Some(e) = err.downcast_ref::<ContentTypeError>() {
        return problem_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!(
                "{e}; send `Content-Type: application/json` \
                 (`text/csv` to the CSV import)"
            ),
            None,
        );
    }
    let status = err.status();
    match status {
        StatusCode::NOT_FOUND => ApiError::response(AppError::NotFound),
        StatusCode::METHOD_NOT_ALLOWED => problem_response(
            status,
            "method-not-allowed",
            "Method not allowed",
            "This resource does not support that method.".into(),
            None,
        ),
        s if s.is_server_error() => ApiError::response(AppError::Internal(err.to_string())),
        s => problem_response(
            s,
            "bad-request",
            s.canonical_reason().unwrap_or("Bad request"),
            err.to_string(),
            None,
        ),
    }
}

/// poem-openapi reports path parameters as `param0`, `param1`… rather than by their
/// names; say `path[0]`, `path[1]`… (the parameters in order from the left) instead.
fn param_name(name: &str) -> String {
    match name
        .strip_prefix("param")
        .and_then(|n| n.parse::<usize>().ok())
    {
        Some(n) => format!("path[{n}]"),
        None => name.to_owned(),
    }
}

/// poem-openapi's parse messages name Rust-ish types; keep the part a person can act on.
fn clean_reason(reason: &str) -> String {
    let reason = reason
        .split(" (occurred while parsing")
        .next()
        .unwrap_or(reason);
    // chrono's messages for a date or time it cannot read (e.g. "2026-13-01", a
    // five-digit year), which would otherwise read as a UUID's "invalid character".
    const DATE_REASONS: [&str; 5] = [
        "input contains invalid characters",
        "input is out of range",
        "premature end of input",
        "trailing input",
        "input is not enough for unique",
    ];
    if DATE_REASONS.iter().any(|d| reason.contains(d)) {
        "must be a date written YYYY-MM-DD (or a date and time) that exists".to_owned()
    } else if reason.contains("\"uuid\"")
        || reason.contains("UUID")
        || reason.to_lowercase().contains("invalid character")
    {
        "must be a UUID".to_owned()
    } else {
        reason.to_owned()
    }
}

/// The problem document as it appears in the OpenAPI spec.
#[derive(Debug, poem_openapi::Object)]
#[oai(rename = "Problem")]
pub struct ProblemSchema {
    /// Stable problem type, e.g. `/problems/validation`.
    #[oai(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// For 422 (and field conflicts): each field at fault.
    pub errors: Option<Vec<FieldErrorSchema>>,
}

/// A field at fault, in the OpenAPI spec.
#[derive(Debug, poem_openapi::Object)]
#[oai(rename = "FieldError")]
pub struct FieldErrorSchema {
    /// Field name or JSON path, e.g. `email` or `roles[1]`.
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

impl poem_openapi::ApiResponse for ApiError {
    fn meta() -> poem_openapi::registry::MetaResponses {
        use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses};
        use poem_openapi::types::Type;
        let documented: [(u16, &'static str); 10] = [
            (400, "Malformed JSON body"),
            (401, "Missing, invalid, expired or revoked credentials"),
            (403, "Your roles do not allow this"),
            (404, "No such resource in your organisation"),
            (409, "Conflicts with the current state"),
            (
                410,
                "A link to set a password that has expired or has been used",
            ),
            (422, "Invalid fields, each named in `errors`"),
            (429, "Too many failed attempts; see Retry-After"),
            (
                503,
                "A dependency is unavailable; while PostgreSQL or file storage is away for \
                 now, Retry-After says when to try again",
            ),
            (507, "The file store is full; nothing was kept"),
        ];
        MetaResponses {
            responses: documented
                .into_iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/problem+json",
                        schema: ProblemSchema::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        use poem_openapi::types::Type;
        ProblemSchema::register(registry);
    }
}

impl poem::IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.as_response()
    }
}
