//! What a use case can fail with: each a stable problem type (`/problems/{kind}`) with an
//! HTTP status, so that the API answers it as RFC 9457 problem JSON and the pages show it
//! in words, from one definition.

use folio_db::DbError;
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
pub enum Error {
    /// The request body is not JSON at all.
    #[error("malformed request body: {0}")]
    MalformedBody(String),
    /// A `multipart/form-data` body (an upload's form) that cannot be read as one.
    #[error("malformed form: {0}")]
    MalformedForm(String),
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
    /// The change would leave the organisation without an active admin who can sign in.
    #[error("last admin: {detail}")]
    LastAdmin {
        /// The field whose change is refused, if one is.
        field: Option<String>,
        /// What would happen, in words.
        detail: String,
    },
    /// The organisation requires two-step sign-in for staff and the caller has not set it
    /// up.
    #[error("two-factor set-up required")]
    TwoFactorSetupRequired,
    /// The code given for a two-step sign-in is not right.
    #[error("two-factor code wrong")]
    TwoFactorCodeWrong,
    /// The two-step sign-in waited too long, took too many wrong codes, or never was.
    #[error("two-factor challenge expired")]
    TwoFactorExpired,
    /// A link to set a password that has expired, has been used, or never existed.
    #[error("password link not usable")]
    PasswordLinkNotUsable,
    /// Too many single sign-ons started and not finished, from this client or in all.
    #[error("too many sign-ins started")]
    TooManySignInsStarted {
        /// Seconds until some have expired.
        retry_after_secs: u64,
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
    /// A service Folio depends on is away for now (PostgreSQL unreachable, file storage
    /// failing): 503 with `Retry-After`, and nothing was changed.
    #[error("temporarily unavailable: {0}")]
    Outage(String),
    /// The file store is full: 507, and nothing was kept.
    #[error("insufficient storage")]
    StorageFull,
    /// A bug or an operational fault: logged in full, reported to the client as opaque.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What `Retry-After` says while a dependency is away: soon enough that a brief restart is
/// over by then, late enough that clients do not hammer a recovering server.
pub const OUTAGE_RETRY_AFTER_SECS: u64 = 5;

/// Result alias for use cases.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// One invalid field.
    pub fn invalid(field: impl Into<String>, detail: impl ToString) -> Self {
        Error::Validation(vec![FieldError::new(field, detail)])
    }

    fn parts(&self) -> (u16, &'static str, &'static str) {
        match self {
            Error::MalformedBody(_) | Error::MalformedForm(_) => {
                (400, "malformed-body", "Malformed request body")
            }
            Error::Validation(_) => (422, "validation", "Invalid request"),
            Error::Unauthenticated => (401, "unauthenticated", "Authentication required"),
            Error::InvalidCredentials => (401, "invalid-credentials", "Invalid credentials"),
            Error::Forbidden | Error::ForbiddenBecause(_) => (403, "forbidden", "Forbidden"),
            Error::DisclaimerRequired => (403, "disclaimer-required", "Disclaimer not accepted"),
            Error::NotFound => (404, "not-found", "Not found"),
            Error::Conflict { .. } => (409, "conflict", "Conflict"),
            Error::LastAdmin { .. } => (409, "last-admin", "An admin must remain"),
            Error::TooManyAttempts { .. } | Error::TooManySignInsStarted { .. } => {
                (429, "too-many-attempts", "Too many attempts")
            }
            Error::PasswordLinkNotUsable => (410, "link-not-usable", "Link expired or used"),
            Error::TwoFactorCodeWrong => (401, "two-factor-code-wrong", "Wrong code"),
            Error::TwoFactorSetupRequired => {
                (403, "two-factor-required", "Two-step sign-in required")
            }
            Error::TwoFactorExpired => (401, "two-factor-expired", "Sign in again"),
            Error::PayloadTooLarge { .. } => (413, "payload-too-large", "Payload too large"),
            Error::PasswordSignInDisabled => (
                403,
                "password-sign-in-disabled",
                "Password sign-in disabled",
            ),
            Error::Sso(failure) => failure.parts(),
            Error::Unavailable(_) | Error::Outage(_) => (503, "unavailable", "Service unavailable"),
            Error::StorageFull => (507, "insufficient-storage", "Insufficient storage"),
            Error::Internal(_) => (500, "internal", "Internal server error"),
        }
    }

    /// What went wrong this time, in words for the person who asked.
    pub fn detail(&self) -> String {
        match self {
            Error::MalformedBody(reason) => {
                format!("The request body is not valid JSON: {reason}")
            }
            Error::MalformedForm(reason) => {
                format!("The form (multipart/form-data) could not be read: {reason}")
            }
            Error::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.detail))
                .collect::<Vec<_>>()
                .join("; "),
            Error::Unauthenticated => {
                "Sign in, then send the session cookie or an `Authorization: Bearer` token.".into()
            }
            Error::InvalidCredentials => {
                "The organisation, e-mail address or password is wrong.".into()
            }
            Error::Forbidden => "Your roles do not allow this.".into(),
            Error::ForbiddenBecause(why) => why.clone(),
            Error::DisclaimerRequired => "Accept your organisation's disclaimer first: read it \
                at GET /api/v1/me/disclaimer and accept it at POST /api/v1/me/disclaimer/accept."
                .into(),
            Error::NotFound => "There is no such resource.".into(),
            Error::Conflict { detail, .. } | Error::LastAdmin { detail, .. } => detail.clone(),
            Error::TooManySignInsStarted { retry_after_secs } => format!(
                "Too many sign-ins were started from here without being finished; finish one \
                 or try again in {} minutes.",
                retry_after_secs.div_ceil(60)
            ),
            Error::TooManyAttempts { retry_after_secs } => format!(
                "Too many failed sign-ins for this address; try again in {} minutes.",
                retry_after_secs.div_ceil(60)
            ),
            Error::TwoFactorSetupRequired => "Your organisation requires staff to use two-step \
                sign-in: set it up first (on your profile, or POST /api/v1/me/two-factor)."
                .into(),
            Error::TwoFactorCodeWrong => "That code is not right. Type the code your \
                authenticator app shows now, or one of your recovery codes."
                .into(),
            Error::TwoFactorExpired => "This sign-in has expired or had too many wrong codes. \
                Sign in again with your password."
                .into(),
            Error::PasswordLinkNotUsable => "This link has expired or has already been used. \
                Ask for a new one with \"Forgot password?\" on the sign-in page, or ask your \
                administrator to send your invitation again."
                .into(),
            Error::PayloadTooLarge { limit } => {
                format!(
                    "That is too large: the most Folio takes here is {}.",
                    size_in_words(*limit)
                )
            }
            Error::PasswordSignInDisabled => "This organisation signs its people in through \
                its own identity provider: use single sign-on (GET /auth/{organisation}/sso/login)."
                .into(),
            Error::Sso(failure) => failure.detail(),
            Error::Unavailable(what) | Error::Outage(what) => what.clone(),
            Error::StorageFull => "There is no room left to store files just now; nothing was \
                kept. Please try again later, and tell your administrator."
                .into(),
            Error::Internal(_) => "Something went wrong on our side; it has been logged.".into(),
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
    /// The provider's issuer or one of its endpoints is an address Folio may not call
    /// (plain http, or a private address, in production).
    ProviderNotAllowed {
        /// Which address, and why, in words.
        detail: String,
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
    /// The Folio account with the person's address is linked to another subject at a
    /// provider already: a new subject is never linked to it by address.
    AccountLinkedElsewhere,
    /// The account with the person's address could be linked by address, but the provider
    /// does not say the address is verified (and the organisation does not trust
    /// unverified addresses).
    LinkNeedsVerifiedEmail,
    /// The account with the person's address is an admin's, which is never linked by
    /// address: its owner links it from a signed-in session.
    AdminLinkNeedsPassword,
    /// Linking: this subject at the provider is linked to another Folio account.
    IdentityLinkedElsewhere,
    /// Linking: the Folio session that started the link has ended (or is another
    /// person's).
    LinkSessionEnded,
}

impl SsoFailure {
    /// The refusal a problem type's last part names (`kind`), as a page shows it after
    /// the browser was sent back; details a refusal carried (an issuer, the provider's
    /// error code) are not in the kind, so they are left out. `None` for a kind Folio
    /// does not have.
    pub fn for_kind(kind: &str) -> Option<Self> {
        use SsoFailure as F;
        let all = [
            F::NotConfigured,
            F::ProviderUnavailable {
                issuer: String::new(),
            },
            F::ProviderNotAllowed {
                detail: String::new(),
            },
            F::ProviderError,
            F::AccessDenied,
            F::ProviderRefused {
                error: String::new(),
            },
            F::StateUnknown,
            F::StateExpired,
            F::StateReplayed,
            F::StateMismatch,
            F::CodeRejected,
            F::WrongIssuer,
            F::WrongAudience,
            F::TokenExpired,
            F::NonceMismatch,
            F::BadSignature,
            F::InvalidToken,
            F::EmailMissing,
            F::EmailUnverified,
            F::DomainNotAllowed,
            F::NoRoles,
            F::UserDeactivated,
            F::NotProvisioned,
            F::AccountLinkedElsewhere,
            F::LinkNeedsVerifiedEmail,
            F::AdminLinkNeedsPassword,
            F::IdentityLinkedElsewhere,
            F::LinkSessionEnded,
        ];
        all.into_iter().find(|f| f.kind() == kind)
    }

    /// The problem type's last part, e.g. `sso-nonce-mismatch` (also used in logs).
    pub fn kind(&self) -> &'static str {
        self.parts().1
    }

    fn parts(&self) -> (u16, &'static str, &'static str) {
        use SsoFailure as F;
        let (status, kind, title) = match self {
            F::NotConfigured => (404, "sso-not-configured", "Single sign-on not configured"),
            F::ProviderUnavailable { .. } => (
                502,
                "sso-provider-unavailable",
                "Identity provider unavailable",
            ),
            F::ProviderNotAllowed { .. } => (
                502,
                "sso-provider-not-allowed",
                "Identity provider address not allowed",
            ),
            F::ProviderError => (502, "sso-provider-error", "Identity provider error"),
            F::AccessDenied => (403, "sso-access-denied", "Sign-in denied"),
            F::ProviderRefused { .. } => (401, "sso-provider-refused", "Identity provider refused"),
            F::StateUnknown => (400, "sso-state-unknown", "Unknown sign-in"),
            F::StateExpired => (400, "sso-state-expired", "Sign-in expired"),
            F::StateReplayed => (400, "sso-state-replayed", "Sign-in already used"),
            F::StateMismatch => (400, "sso-state-mismatch", "Sign-in started elsewhere"),
            F::CodeRejected => (401, "sso-code-rejected", "Authorization code rejected"),
            F::WrongIssuer => (401, "sso-wrong-issuer", "ID token from another issuer"),
            F::WrongAudience => (401, "sso-wrong-audience", "ID token for another client"),
            F::TokenExpired => (401, "sso-token-expired", "ID token expired"),
            F::NonceMismatch => (401, "sso-nonce-mismatch", "Nonce mismatch"),
            F::BadSignature => (401, "sso-bad-signature", "ID token signature invalid"),
            F::InvalidToken => (401, "sso-invalid-token", "ID token invalid"),
            F::EmailMissing => (403, "sso-email-missing", "No e-mail address"),
            F::EmailUnverified => (403, "sso-email-unverified", "E-mail address not verified"),
            F::DomainNotAllowed => (
                403,
                "sso-email-domain-not-allowed",
                "E-mail domain not allowed",
            ),
            F::NoRoles => (403, "sso-no-roles", "No Folio role"),
            F::UserDeactivated => (403, "sso-user-deactivated", "Account deactivated"),
            F::NotProvisioned => (403, "sso-not-provisioned", "No account"),
            F::AccountLinkedElsewhere => (
                403,
                "sso-account-linked-elsewhere",
                "Account linked to another identity",
            ),
            F::LinkNeedsVerifiedEmail => (
                403,
                "sso-link-needs-verified-email",
                "E-mail address not verified by the provider",
            ),
            F::AdminLinkNeedsPassword => (
                403,
                "sso-admin-link-needs-password",
                "Admin account not linked yet",
            ),
            F::IdentityLinkedElsewhere => (
                409,
                "sso-identity-linked-elsewhere",
                "Identity linked to another account",
            ),
            F::LinkSessionEnded => (401, "sso-link-session-ended", "Signed out while linking"),
        };
        (status, kind, title)
    }

    /// What went wrong this time, in words for the person who asked.
    pub fn detail(&self) -> String {
        use SsoFailure as F;
        match self {
            F::NotConfigured => "This organisation has not set up single sign-on.".into(),
            F::ProviderUnavailable { issuer } if issuer.is_empty() => {
                "Your organisation's identity provider could not be reached; try again shortly."
                    .into()
            }
            F::ProviderUnavailable { issuer } => format!(
                "Your organisation's identity provider ({issuer}) could not be reached; \
                 try again shortly."
            ),
            F::ProviderNotAllowed { detail } if detail.is_empty() => {
                "Folio does not call your organisation's identity provider at the address it \
                 is set up with. Ask your administrator to check its single sign-on settings."
                    .into()
            }
            F::ProviderNotAllowed { detail } => format!(
                "Folio does not call your organisation's identity provider: {detail}. Ask \
                 your administrator to check its single sign-on settings."
            ),
            F::ProviderError => "Your organisation's identity provider answered with something \
                Folio cannot use; try again, or ask your administrator."
                .into(),
            F::AccessDenied => {
                "The sign-in was cancelled or denied at your identity provider.".into()
            }
            F::ProviderRefused { error } if error.is_empty() => {
                "Your identity provider refused the sign-in.".into()
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
            F::AccountLinkedElsewhere => "The Folio account with your e-mail address is already \
                linked to a different account at your identity provider. Sign in with that \
                account, or ask your administrator to unlink it."
                .into(),
            F::LinkNeedsVerifiedEmail => "Your identity provider does not say that your e-mail \
                address is verified, so Folio will not link it to the existing account with \
                that address. Sign in with your Folio password once and link your organisation \
                account from your profile page, or ask your administrator."
                .into(),
            F::AdminLinkNeedsPassword => "The Folio account with your e-mail address is an \
                admin account, which Folio never links to an identity provider by e-mail \
                address alone. Sign in with your Folio password once, then choose “Link my \
                organisation account” on your profile page."
                .into(),
            F::IdentityLinkedElsewhere => "This account at your identity provider is already \
                linked to another Folio account; ask your administrator to unlink it first."
                .into(),
            F::LinkSessionEnded => "You were signed out of Folio while linking your \
                organisation account; sign in and start again from your profile page."
                .into(),
        }
    }
}

impl Error {
    /// The status, the problem type's last part (e.g. `validation`) and its title.
    pub fn problem(&self) -> Problem {
        let (status, kind, title) = self.parts();
        Problem {
            status,
            kind,
            title,
        }
    }

    /// The fields at fault: a validation error's, or a conflict's one field.
    pub fn field_errors(&self) -> Option<Vec<FieldError>> {
        match self {
            Error::Validation(errors) => Some(errors.clone()),
            Error::Conflict {
                field: Some(field),
                detail,
            }
            | Error::LastAdmin {
                field: Some(field),
                detail,
            } => Some(vec![FieldError::new(field.clone(), detail)]),
            _ => None,
        }
    }

    /// Seconds the client should wait before trying again, where the error says.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::TooManyAttempts { retry_after_secs }
            | Error::TooManySignInsStarted { retry_after_secs } => Some(*retry_after_secs),
            Error::Outage(_) => Some(OUTAGE_RETRY_AFTER_SECS),
            _ => None,
        }
    }
}

/// A problem type: its status and the names it is known by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Problem {
    /// The HTTP status.
    pub status: u16,
    /// The problem type's last part, e.g. `not-found`.
    pub kind: &'static str,
    /// Its title.
    pub title: &'static str,
}

/// How the constraints declared in the migrations read to a client: which field, and
/// whether it is a clash (409) or a bad reference (422).
fn constraint_error(constraint: &str) -> Option<Error> {
    let conflict = |field: &str, detail: &str| Error::Conflict {
        field: Some(field.to_owned()),
        detail: detail.to_owned(),
    };
    Some(match constraint {
        "users_email_key" => conflict(
            "email",
            "another person in this organisation has this e-mail address",
        ),
        "users_employer_fkey" => Error::invalid("employer_id", "there is no such employer"),
        // Rust and PostgreSQL may lower-case a rare non-ASCII character differently.
        "users_email_check" => Error::invalid("email", "cannot be stored: use its lower-case form"),
        "tenants_slug_key" => conflict("slug", "this slug is taken"),
        "courses_code_key" => conflict("code", "another course in this organisation has this code"),
        "components_title_key" => {
            conflict("title", "another component of this course has this title")
        }
        "units_code_key" => conflict("code", "another unit of this component has this code"),
        "criteria_code_key" => conflict("code", "another criterion of this unit has this code"),
        // The parent in the path was removed by a concurrent request after it was found.
        "components_course_fkey" | "units_component_fkey" | "criteria_unit_fkey" => Error::NotFound,
        // The unnamed `check (optional or optional_group is null)`; the API checks it first.
        "units_check" => Error::invalid(
            "optional_group",
            "only optional units belong to an optional group",
        ),
        // The component was removed while the file was uploading.
        "evidence_component_fkey" => {
            Error::invalid("component_id", "is not a component of the learner's course")
        }
        // A course, component or unit removed while an entry naming it was being saved.
        "time_log_entries_course_fkey" => {
            Error::invalid("course_id", "is not part of the learner's course")
        }
        "time_log_entries_component_fkey" => {
            Error::invalid("component_id", "is not part of the learner's course")
        }
        "time_log_entries_unit_fkey" => {
            Error::invalid("unit_id", "is not part of the learner's course")
        }
        "enrolments_course_fkey" => Error::invalid("course_id", "there is no such course"),
        "enrolments_employer_fkey" => Error::invalid("employer_id", "there is no such employer"),
        // Documents to sign: each required role signs once, even when two requests race;
        // a fully signed document is final.
        "document_signatures_role_key" => {
            conflict("role", "this document is already signed for this role")
        }
        "document_signatures_signer_fkey" => Error::invalid(
            "role",
            "this document does not need a signature for this role",
        ),
        "documents_fully_signed" => Error::Conflict {
            field: None,
            detail: "the document is fully signed and cannot be changed".into(),
        },
        // The enrolment was removed while the file was uploading.
        "documents_enrolment_fkey" => Error::NotFound,
        _ => return None,
    })
}

impl From<DbError> for Error {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => Error::NotFound,
            DbError::Constraint { ref constraint } => constraint_error(constraint)
                .unwrap_or_else(|| Error::Internal(format!("unmapped constraint: {err}"))),
            DbError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                Error::Outage(
                    "Folio cannot reach its database just now; nothing was changed. \
                     Please try again in a few seconds."
                        .into(),
                )
            }
            DbError::Other(e) => Error::Internal(e.to_string()),
        }
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
    pub fn finish(self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.errors))
        }
    }
}

/// Unwraps a value [`Fields::check`] kept, after [`Fields::finish`] succeeded.
pub fn checked<T>(value: Option<T>) -> Result<T> {
    value.ok_or_else(|| Error::Internal("validated value missing".into()))
}

/// A size as people read it: "25 MiB", "1.5 MiB", "512 KiB", "900 bytes".
pub fn size_in_words(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    const GIB: usize = 1024 * MIB;
    let tenths = |unit: usize| {
        let tenths = (bytes * 10 + unit / 2) / unit;
        if tenths.is_multiple_of(10) {
            format!("{}", tenths / 10)
        } else {
            format!("{}.{}", tenths / 10, tenths % 10)
        }
    };
    if bytes >= GIB {
        format!("{} GiB", tenths(GIB))
    } else if bytes >= MIB {
        format!("{} MiB", tenths(MIB))
    } else if bytes >= KIB {
        format!("{} KiB", tenths(KIB))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_said_in_the_units_people_read() {
        assert_eq!(size_in_words(25 * 1024 * 1024), "25 MiB");
        // 1,572,864 bytes = 1.5 × 1,048,576.
        assert_eq!(size_in_words(1_572_864), "1.5 MiB");
        assert_eq!(size_in_words(512 * 1024), "512 KiB");
        assert_eq!(size_in_words(900), "900 bytes");
        assert_eq!(size_in_words(512 * 1024 * 1024 * 2), "1 GiB");
    }

    #[test]
    fn every_sso_refusal_is_found_by_its_kind() {
        for kind in [
            "sso-not-configured",
            "sso-state-replayed",
            "sso-admin-link-needs-password",
            "sso-link-session-ended",
        ] {
            assert_eq!(SsoFailure::for_kind(kind).map(|f| f.kind()), Some(kind));
        }
        for kind in [
            "sso-provider-unavailable",
            "sso-provider-refused",
            "sso-provider-not-allowed",
        ] {
            let detail = SsoFailure::for_kind(kind).unwrap().detail();
            assert!(!detail.contains("()") && !detail.contains("``"), "{detail}");
        }
        assert_eq!(SsoFailure::for_kind("sso-<script>"), None);
        assert_eq!(SsoFailure::for_kind("not-found"), None);
    }
}
