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
    /// Password sign-in is turned off for this organisation: its people sign in through
    /// its identity provider.
    #[error("password sign-in disabled")]
    PasswordSignInDisabled,
    /// A single sign-on refused or failed, for the reason given.
    #[error("single sign-on failed: {0:?}")]
    Sso(SsoFailure),
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
            ApiError::PasswordSignInDisabled => (
                StatusCode::FORBIDDEN,
                "password-sign-in-disabled",
                "Password sign-in disabled",
            ),
            ApiError::Sso(failure) => failure.parts(),
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
            ApiError::PasswordSignInDisabled => "This organisation signs its people in through \
                its own identity provider: use single sign-on (GET /auth/{organisation}/sso/login)."
                .into(),
            ApiError::Sso(failure) => failure.detail(),
            ApiError::Unavailable(what) => what.clone(),
            ApiError::Internal(_) => "Something went wrong on our side; it has been logged.".into(),
        }
    }
}

/// Why a single sign-on was refused or could not finish: each a problem type of its own
/// (`/problems/sso-…`), so a person, a help desk and the logs can tell them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoFailure {
    /// The organisation has not configured single sign-on.
    NotConfigured,
    /// The identity provider could not be reached (or answered with something that is not
    /// OpenID Connect discovery).
    ProviderUnavailable {
        /// The issuer URL tried.
        issuer: String,
    },
    /// The provider answered the token request with something unusable.
    ProviderError,
    /// The person declined (or the provider denied) the sign-in.
    AccessDenied,
    /// The provider reported another error on the callback (its OAuth error code).
    ProviderRefused {
        /// The provider's error code, e.g. `login_required`.
        error: String,
    },
    /// The callback lacks `state` or `code`, or its state was never issued for this
    /// organisation.
    StateUnknown,
    /// The sign-in was started too long ago.
    StateExpired,
    /// The callback was already used once.
    StateReplayed,
    /// The callback's state is not the one this browser started.
    StateMismatch,
    /// The provider refused the authorization code (e.g. a code issued by another
    /// organisation's provider).
    CodeRejected,
    /// The ID token's issuer is not this organisation's provider.
    WrongIssuer,
    /// The ID token was issued to another client.
    WrongAudience,
    /// The ID token has expired.
    TokenExpired,
    /// The ID token's nonce is not the one sent.
    NonceMismatch,
    /// The ID token's signature does not verify with the provider's keys.
    BadSignature,
    /// The ID token is missing or malformed.
    InvalidToken,
    /// The ID token carries no usable e-mail address.
    EmailMissing,
    /// The provider says the e-mail address is not verified.
    EmailUnverified,
    /// The e-mail address's domain is not allowed for this organisation.
    DomainNotAllowed,
    /// None of the person's role values maps to a Folio role.
    NoRoles,
    /// The person's Folio account is deactivated.
    UserDeactivated,
    /// No Folio account, and the organisation admits only people invited beforehand.
    NotProvisioned,
}

impl SsoFailure {
    /// The problem type's last part, e.g. `sso-nonce-mismatch` (also used in logs).
    pub fn kind(&self) -> &'static str {
        self.parts().1
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use SsoFailure as F;
        let (status, kind, title) = match self {
            F::NotConfigured => (
                StatusCode::NOT_FOUND,
                "sso-not-configured",
                "Single sign-on not configured",
            ),
            F::ProviderUnavailable { .. } => (
                StatusCode::BAD_GATEWAY,
                "sso-provider-unavailable",
                "Identity provider unavailable",
            ),
            F::ProviderError => (
                StatusCode::BAD_GATEWAY,
                "sso-provider-error",
                "Identity provider error",
            ),
            F::AccessDenied => (StatusCode::FORBIDDEN, "sso-access-denied", "Sign-in denied"),
            F::ProviderRefused { .. } => (
                StatusCode::UNAUTHORIZED,
                "sso-provider-refused",
                "Identity provider refused",
            ),
            F::StateUnknown => (
                StatusCode::BAD_REQUEST,
                "sso-state-unknown",
                "Unknown sign-in",
            ),
            F::StateExpired => (
                StatusCode::BAD_REQUEST,
                "sso-state-expired",
                "Sign-in expired",
            ),
            F::StateReplayed => (
                StatusCode::BAD_REQUEST,
                "sso-state-replayed",
                "Sign-in already used",
            ),
            F::StateMismatch => (
                StatusCode::BAD_REQUEST,
                "sso-state-mismatch",
                "Sign-in started elsewhere",
            ),
            F::CodeRejected => (
                StatusCode::UNAUTHORIZED,
                "sso-code-rejected",
                "Authorization code rejected",
            ),
            F::WrongIssuer => (
                StatusCode::UNAUTHORIZED,
                "sso-wrong-issuer",
                "ID token from another issuer",
            ),
            F::WrongAudience => (
                StatusCode::UNAUTHORIZED,
                "sso-wrong-audience",
                "ID token for another client",
            ),
            F::TokenExpired => (
                StatusCode::UNAUTHORIZED,
                "sso-token-expired",
                "ID token expired",
            ),
            F::NonceMismatch => (
                StatusCode::UNAUTHORIZED,
                "sso-nonce-mismatch",
                "Nonce mismatch",
            ),
            F::BadSignature => (
                StatusCode::UNAUTHORIZED,
                "sso-bad-signature",
                "ID token signature invalid",
            ),
            F::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "sso-invalid-token",
                "ID token invalid",
            ),
            F::EmailMissing => (
                StatusCode::FORBIDDEN,
                "sso-email-missing",
                "No e-mail address",
            ),
            F::EmailUnverified => (
                StatusCode::FORBIDDEN,
                "sso-email-unverified",
                "E-mail address not verified",
            ),
            F::DomainNotAllowed => (
                StatusCode::FORBIDDEN,
                "sso-email-domain-not-allowed",
                "E-mail domain not allowed",
            ),
            F::NoRoles => (StatusCode::FORBIDDEN, "sso-no-roles", "No Folio role"),
            F::UserDeactivated => (
                StatusCode::FORBIDDEN,
                "sso-user-deactivated",
                "Account deactivated",
            ),
            F::NotProvisioned => (StatusCode::FORBIDDEN, "sso-not-provisioned", "No account"),
        };
        (status, kind, title)
    }

    fn detail(&self) -> String {
        use SsoFailure as F;
        match self {
            F::NotConfigured => "This organisation has not set up single sign-on.".into(),
            F::ProviderUnavailable { issuer } => format!(
                "Your organisation's identity provider ({issuer}) could not be reached; \
                 try again shortly."
            ),
            F::ProviderError => "Your organisation's identity provider answered with something \
                Folio cannot use; try again, or ask your administrator."
                .into(),
            F::AccessDenied => {
                "The sign-in was cancelled or denied at your identity provider.".into()
            }
            F::ProviderRefused { error } => {
                format!("Your identity provider refused the sign-in (`{error}`).")
            }
            F::StateUnknown => "This sign-in link is not one Folio issued for this organisation; \
                start signing in again."
                .into(),
            F::StateExpired => "This sign-in took too long; start signing in again.".into(),
            F::StateReplayed => {
                "This sign-in link has already been used; start signing in again.".into()
            }
            F::StateMismatch => "This sign-in was not started in this browser; start signing \
                in again."
                .into(),
            F::CodeRejected => "Your identity provider did not accept the sign-in code (it may \
                belong to another organisation's provider, or have been used already)."
                .into(),
            F::WrongIssuer => "The identity token was issued by a provider other than this \
                organisation's."
                .into(),
            F::WrongAudience => "The identity token was issued to another application.".into(),
            F::TokenExpired => "The identity token has expired; start signing in again.".into(),
            F::NonceMismatch => {
                "The identity token does not belong to this sign-in; start signing in again.".into()
            }
            F::BadSignature => "The identity token's signature is not valid.".into(),
            F::InvalidToken => "The identity provider sent no valid identity token.".into(),
            F::EmailMissing => "Your identity provider did not say which e-mail address you \
                have; ask your administrator."
                .into(),
            F::EmailUnverified => {
                "Your identity provider has not verified your e-mail address.".into()
            }
            F::DomainNotAllowed => "Your e-mail address's domain is not allowed to sign in to \
                this organisation."
                .into(),
            F::NoRoles => "None of the groups or roles your identity provider gives you is \
                mapped to a role in Folio; ask your administrator."
                .into(),
            F::UserDeactivated => "Your Folio account is deactivated.".into(),
            F::NotProvisioned => "You have no Folio account in this organisation, and it admits \
                only people invited beforehand; ask your administrator."
                .into(),
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
