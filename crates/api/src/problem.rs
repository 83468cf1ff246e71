//! Errors as RFC 9457 problem documents (`application/problem+json`).
//!
//! Every error the API returns passes through here: handlers return [`ApiError`], and
//! [`into_problem_response`] turns everything else poem and poem-openapi raise (a bad path
//! parameter, an unsupported content type, an unknown route) into the same shape.

use folio_db::DbError;
use poem::http::{StatusCode, header};
use poem::{Response, error::ResponseError};
use serde::Serialize;

/// A field a client got wrong and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name, or its path in the JSON body (`roles[1]`).
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, detail: impl ToString) -> Self {
        Self {
            field: field.into(),
            detail: detail.to_string(),
        }
    }
}

/// Everything a handler can fail with, each a stable problem type.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request body is not JSON at all.
    #[error("malformed request body: {0}")]
    MalformedBody(String),
    /// Well-formed input that breaks a rule, field by field.
    #[error("invalid fields")]
    Validation(Vec<FieldError>),
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong e-mail address or password (never says which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Valid credentials without the role needed.
    #[error("forbidden")]
    Forbidden,
    /// Valid credentials, but the caller does not stand in the relationship needed; the
    /// detail says which (e.g. only the learner's assessor signs as assessor).
    #[error("forbidden: {0}")]
    ForbiddenBecause(String),
    /// A learner who has not yet accepted the organisation's disclaimer.
    #[error("disclaimer not accepted")]
    DisclaimerRequired,
    /// No such thing in this tenant (another tenant's ids look the same).
    #[error("not found")]
    NotFound,
    /// The request clashes with the current state, e.g. a taken e-mail address.
    #[error("conflict: {detail}")]
    Conflict {
        /// The field that clashes, if one does.
        field: Option<String>,
        /// What clashes.
        detail: String,
    },
    /// Too many failed sign-ins for this address.
    #[error("too many attempts")]
    TooManyAttempts {
        /// Seconds until another attempt is allowed.
        retry_after_secs: u64,
    },
    /// The body is larger than allowed.
    #[error("payload too large")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A service Folio depends on is down.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an operational fault: logged in full, reported to the client as opaque.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// One invalid field.
    pub fn invalid(field: impl Into<String>, detail: impl ToString) -> Self {
        ApiError::Validation(vec![FieldError::new(field, detail)])
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::MalformedBody(_) => (
                StatusCode::BAD_REQUEST,
                "malformed-body",
                "Malformed request body",
            ),
            ApiError::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request",
            ),
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            ApiError::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid credentials",
            ),
            ApiError::Forbidden | ApiError::ForbiddenBecause(_) => {
                (StatusCode::FORBIDDEN, "forbidden", "Forbidden")
            }
            ApiError::DisclaimerRequired => (
                StatusCode::FORBIDDEN,
                "disclaimer-required",
                "Disclaimer not accepted",
            ),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::TooManyAttempts { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                "Too many attempts",
            ),
            ApiError::PayloadTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::MalformedBody(reason) => {
                format!("The request body is not valid JSON: {reason}")
            }
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.detail))
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::Unauthenticated => {
                "Sign in, then send the session cookie or an `Authorization: Bearer` token.".into()
            }
            ApiError::InvalidCredentials => {
                "The organisation, e-mail address or password is wrong.".into()
            }
            ApiError::Forbidden => "Your roles do not allow this.".into(),
            ApiError::ForbiddenBecause(why) => why.clone(),
            ApiError::DisclaimerRequired => "Accept your organisation's disclaimer first: read it \
                at GET /api/v1/me/disclaimer and accept it at POST /api/v1/me/disclaimer/accept."
                .into(),
            ApiError::NotFound => "There is no such resource.".into(),
            ApiError::Conflict { detail, .. } => detail.clone(),
            ApiError::TooManyAttempts { retry_after_secs } => format!(
                "Too many failed sign-ins for this address; try again in {} minutes.",
                retry_after_secs.div_ceil(60)
            ),
            ApiError::PayloadTooLarge { limit } => {
                format!("The body must be at most {limit} bytes.")
            }
            ApiError::Unavailable(what) => what.clone(),
            ApiError::Internal(_) => "Something went wrong on our side; it has been logged.".into(),
        }
    }
}

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

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.parts().0
    }

    fn as_response(&self) -> Response {
        let (status, kind, title) = self.parts();
        if let ApiError::Internal(details) = self {
            tracing::error!(error = %details, "internal error");
        }
        let errors = match self {
            ApiError::Validation(errors) => Some(errors.clone()),
            ApiError::Conflict {
                field: Some(field),
                detail,
            } => Some(vec![FieldError::new(field.clone(), detail)]),
            _ => None,
        };
        let mut response = problem_response(status, kind, title, self.detail(), errors);
        if let ApiError::TooManyAttempts { retry_after_secs } = self
            && let Ok(value) = retry_after_secs.to_string().parse()
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// How the constraints declared in the migrations read to a client: which field, and
/// whether it is a clash (409) or a bad reference (422).
fn constraint_error(constraint: &str) -> Option<ApiError> {
    let conflict = |field: &str, detail: &str| ApiError::Conflict {
        field: Some(field.to_owned()),
        detail: detail.to_owned(),
    };
    Some(match constraint {
        "users_email_key" => conflict(
            "email",
            "another person in this organisation has this e-mail address",
        ),
        "users_employer_fkey" => ApiError::invalid("employer_id", "there is no such employer"),
        // Rust and PostgreSQL may lower-case a rare non-ASCII character differently.
        "users_email_check" => {
            ApiError::invalid("email", "cannot be stored: use its lower-case form")
        }
        "tenants_slug_key" => conflict("slug", "this slug is taken"),
        "courses_code_key" => conflict("code", "another course in this organisation has this code"),
        "components_title_key" => {
            conflict("title", "another component of this course has this title")
        }
        "units_code_key" => conflict("code", "another unit of this component has this code"),
        "criteria_code_key" => conflict("code", "another criterion of this unit has this code"),
        // The parent in the path was removed by a concurrent request after it was found.
        "components_course_fkey" | "units_component_fkey" | "criteria_unit_fkey" => {
            ApiError::NotFound
        }
        // The unnamed `check (optional or optional_group is null)`; the API checks it first.
        "units_check" => ApiError::invalid(
            "optional_group",
            "only optional units belong to an optional group",
        ),
        // The component was removed while the file was uploading.
        "evidence_component_fkey" => {
            ApiError::invalid("component_id", "is not a component of the learner's course")
        }
        // A course, component or unit removed while an entry naming it was being saved.
        "time_log_entries_course_fkey" => {
            ApiError::invalid("course_id", "is not part of the learner's course")
        }
        "time_log_entries_component_fkey" => {
            ApiError::invalid("component_id", "is not part of the learner's course")
        }
        "time_log_entries_unit_fkey" => {
            ApiError::invalid("unit_id", "is not part of the learner's course")
        }
        "enrolments_course_fkey" => ApiError::invalid("course_id", "there is no such course"),
        "enrolments_employer_fkey" => ApiError::invalid("employer_id", "there is no such employer"),
        // Documents to sign: each required role signs once, even when two requests race;
        // a fully signed document is final.
        "document_signatures_role_key" => {
            conflict("role", "this document is already signed for this role")
        }
        "document_signatures_signer_fkey" => ApiError::invalid(
            "role",
            "this document does not need a signature for this role",
        ),
        "documents_fully_signed" => ApiError::Conflict {
            field: None,
            detail: "the document is fully signed and cannot be changed".into(),
        },
        // The enrolment was removed while the file was uploading.
        "documents_enrolment_fkey" => ApiError::NotFound,
        _ => return None,
    })
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => ApiError::NotFound,
            DbError::Constraint { ref constraint } => constraint_error(constraint)
                .unwrap_or_else(|| ApiError::Internal(format!("unmapped constraint: {err}"))),
            DbError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable("The database is unavailable; try again shortly.".into())
            }
            DbError::Other(e) => ApiError::Internal(e.to_string()),
        }
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
        return ApiError::invalid(param_name(e.name), clean_reason(&e.reason)).as_response();
    }
    if let Some(e) = err.downcast_ref::<ParsePathError>() {
        return ApiError::invalid(param_name(e.name), clean_reason(&e.reason)).as_response();
    }
    if err.is::<AuthorizationError>() {
        return ApiError::Unauthenticated.as_response();
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
        StatusCode::NOT_FOUND => ApiError::NotFound.as_response(),
        StatusCode::METHOD_NOT_ALLOWED => problem_response(
            status,
            "method-not-allowed",
            "Method not allowed",
            "This resource does not support that method.".into(),
            None,
        ),
        s if s.is_server_error() => ApiError::Internal(err.to_string()).as_response(),
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
    if reason.contains("\"uuid\"")
        || reason.contains("UUID")
        || reason.to_lowercase().contains("invalid character")
    {
        "must be a UUID".to_owned()
    } else {
        reason.to_owned()
    }
}

/// Collects every invalid field of a request, so a client learns of all of them at once.
#[derive(Debug, Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    /// Keeps `result`'s value, or notes its error against `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        result
            .map_err(|e| self.errors.push(FieldError::new(field, e)))
            .ok()
    }

    /// Notes an error against `field` (one found by a check of its own, e.g. a duplicate).
    pub fn add(&mut self, field: impl Into<String>, detail: impl ToString) {
        self.errors.push(FieldError::new(field, detail));
    }

    /// Notes an error against `field` unless `date` is one a programme can sensibly have
    /// (1990 to 2200): PostgreSQL refuses some dates chrono accepts (years before 4713 BC),
    /// and nothing outside this range is a real apprenticeship.
    pub fn date(&mut self, field: &str, date: chrono::NaiveDate) {
        let in_range = (1990..=2200).contains(&chrono::Datelike::year(&date));
        self.require(field, in_range, "must be between 1990-01-01 and 2200-12-31");
    }

    /// Notes an error against `field` unless `ok`.
    pub fn require(&mut self, field: &str, ok: bool, detail: &str) {
        if !ok {
            self.errors.push(FieldError::new(field, detail));
        }
    }

    /// 422 naming every invalid field, if there are any.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// Unwraps a value [`Fields::check`] kept, after [`Fields::finish`] succeeded.
pub fn checked<T>(value: Option<T>) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::Internal("validated value missing".into()))
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
        let documented: [(u16, &'static str); 8] = [
            (400, "Malformed JSON body"),
            (401, "Missing, invalid, expired or revoked credentials"),
            (403, "Your roles do not allow this"),
            (404, "No such resource in your organisation"),
            (409, "Conflicts with the current state"),
            (422, "Invalid fields, each named in `errors`"),
            (429, "Too many failed attempts; see Retry-After"),
            (503, "A dependency is unavailable"),
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
