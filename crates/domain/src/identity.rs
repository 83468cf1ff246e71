//! People and what they may do: roles, e-mail addresses, names, passwords.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text::{InvalidValue, single_line};

/// A role a person holds inside one tenant; one person may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Provider admin: settings, users, courses, compliance exports.
    Admin,
    /// Training adviser or tutor with a caseload of learners.
    Assessor,
    /// Internal quality assurer: samples assessors' decisions.
    Iqa,
    /// A learner's manager at their employer: sees own employees, signs reviews.
    Employer,
    /// The apprentice.
    Learner,
    /// Read-only, time-limited access for an inspector or auditor.
    Auditor,
}

impl Role {
    /// Every role, in the order they are listed to people.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Assessor,
        Role::Iqa,
        Role::Employer,
        Role::Learner,
        Role::Auditor,
    ];

    /// The role's stable name, as stored and as sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Assessor => "assessor",
            Role::Iqa => "iqa",
            Role::Employer => "employer",
            Role::Learner => "learner",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            InvalidValue::new(format!(
                "unknown role `{s}`; expected one of admin, assessor, iqa, employer, learner, auditor"
            ))
        })
    }
}

/// An e-mail address, stored lower-case so that one person has one account per tenant
/// whatever case they type it in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// The longest address SMTP allows.
    pub const MAX_LEN: usize = 254;

    /// A pragmatic check (one `@`, a non-empty local part, a dotted domain, no spaces):
    /// whether the address exists is only ever proven by mail reaching it.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(InvalidValue::new("must not be empty"));
        }
        if email.len() > Self::MAX_LEN {
            return Err(InvalidValue::new(format!(
                "must be at most {} characters",
                Self::MAX_LEN
            )));
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
        if !valid || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidValue::new("is not an e-mail address"));
        }
        Ok(Self(email))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`, for allowed-domain checks.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's name as they want it shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Trimmed, 1 to 200 characters, one line.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, 200).map(Self)
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A label a person gives one of their API tokens, e.g. "payroll export".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    /// Trimmed, 1 to 100 characters, one line.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, 100).map(Self)
    }

    /// The label as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password chosen by or for a person. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// NCSC and NIST both advise length over composition rules.
    pub const MIN_CHARS: usize = 10;
    /// Hashing cost grows with length; an unbounded password is a denial-of-service lever.
    pub const MAX_BYTES: usize = 1024;

    /// Accepts 10 characters to 1 KiB; nothing else is imposed.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(InvalidValue::new(format!(
                "must be at least {} characters",
                Self::MIN_CHARS
            )));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(InvalidValue::new(format!(
                "must be at most {} bytes",
                Self::MAX_BYTES
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn email_addresses_are_normalised_to_lower_case() {
        let email = EmailAddress::parse("  Ada.Lovelace@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.org");
        assert_eq!(email.domain(), "example.org");
    }

    #[test]
    fn malformed_email_addresses_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a b@example.org",
            "ada@@example.org",
            "ada@.example.org",
            "ada@example..org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn passwords_need_length_and_are_never_printed() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(1025)).is_err());
        let password = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
    }
}
