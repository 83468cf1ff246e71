//! Tenants: the training providers that share the platform.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::text::{InvalidValue, single_line};

/// The id of a tenant. Every tenant-owned row carries one, and every database transaction
/// on tenant data is bound to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub Uuid);

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A tenant's short name in URLs and on the sign-in form, e.g. `northgate-training`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// The longest slug: it must fit a DNS label, as tenants get their own host names.
    pub const MAX_LEN: usize = 63;

    /// Accepts lower-case ASCII letters, digits and single inner hyphens, 2 to 63 long.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let slug = raw.trim();
        let well_formed = (2..=Self::MAX_LEN).contains(&slug.len())
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && !slug.contains("--");
        if well_formed {
            Ok(Self(slug.to_owned()))
        } else {
            Err(InvalidValue::new(
                "must be 2-63 lower-case letters, digits and single hyphens, \
                 starting and ending with a letter or digit",
            ))
        }
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A training provider's display name, shown on every page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    /// Trimmed, 1 to 200 characters, one line.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, 200).map(Self)
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of an employer organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationName(String);

impl OrganisationName {
    /// Trimmed, 1 to 200 characters, one line.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, 200).map(Self)
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_dns_label_like() {
        for good in ["ab", "northgate-training", "a1-b2-c3"] {
            assert!(TenantSlug::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "a",
            "-ab",
            "ab-",
            "a--b",
            "Upper",
            "with space",
            "ünï",
            &"x".repeat(64),
        ] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad}");
        }
    }
}
