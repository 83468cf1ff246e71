//! Documents to sign: a file staff send to a learner naming the roles that must sign it
//! ("New Docs to Sign" in the learner's guide). Each required role signs once, with a
//! typed name; once every required role has signed, the document is fully signed and fixed.
//!
//! Who signs for a role is a relationship to the document's enrolment, not just a role:
//! - `learner`: the enrolment's own learner;
//! - `employer`: someone with the employer role whose employer organisation is the
//!   enrolment's employer (a choice: any of the organisation's contacts may sign, as the
//!   guide's "employer" is the organisation, not one named manager);
//! - `assessor`: the enrolment's assessor.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text::{InvalidValue, single_line};

/// The longest typed name kept with a signature.
pub const MAX_TYPED_NAME_CHARS: usize = 200;

/// A role that may be asked to sign a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerRole {
    /// The apprentice.
    Learner,
    /// The learner's employer.
    Employer,
    /// The learner's assessor (training adviser).
    Assessor,
}

impl SignerRole {
    /// Every value, in the order a document shows them.
    pub const ALL: &'static [SignerRole] = &[
        SignerRole::Learner,
        SignerRole::Employer,
        SignerRole::Assessor,
    ];

    /// The stable name, as stored and sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SignerRole::Learner => "learner",
            SignerRole::Employer => "employer",
            SignerRole::Assessor => "assessor",
        }
    }
}

impl fmt::Display for SignerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignerRole {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignerRole::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                InvalidValue::new(format!(
                    "unknown role `{s}`: expected learner, employer or assessor"
                ))
            })
    }
}

/// Parses the roles that must sign, given as a list separated by commas or white space
/// (`learner, employer`): at least one, each known; repeats are ignored. Returned in
/// [`SignerRole::ALL`] order.
pub fn parse_signer_roles(raw: &str) -> Result<Vec<SignerRole>, InvalidValue> {
    let mut roles = Vec::new();
    for name in raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
    {
        let role: SignerRole = name.parse()?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(InvalidValue::new(
            "must name at least one of learner, employer, assessor",
        ));
    }
    roles.sort();
    Ok(roles)
}

/// The name a signer types to sign: trimmed, non-empty, at most
/// [`MAX_TYPED_NAME_CHARS`] characters, on one line.
pub fn parse_typed_name(raw: &str) -> Result<String, InvalidValue> {
    single_line(raw, MAX_TYPED_NAME_CHARS)
}

/// How the person signing stands to the document's enrolment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignerFacts {
    /// They are its learner (and hold the learner role).
    pub is_its_learner: bool,
    /// They hold the employer role.
    pub is_employer: bool,
    /// The enrolment has an employer organisation, and it is theirs.
    pub works_for_its_employer: bool,
    /// The enrolment has an employer organisation at all.
    pub has_employer: bool,
    /// They are its assessor (and hold the assessor role).
    pub is_its_assessor: bool,
}

/// Why someone may not sign for a role; the message is shown to them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotASigner(pub String);

/// Whether the person described by `facts` may sign for `role`; if not, says why.
pub fn check_may_sign(role: SignerRole, facts: SignerFacts) -> Result<(), NotASigner> {
    let refusal = match role {
        SignerRole::Learner if facts.is_its_learner => return Ok(()),
        SignerRole::Learner => "only the learner themself can sign as learner",
        SignerRole::Employer if facts.is_employer && facts.works_for_its_employer => {
            return Ok(());
        }
        SignerRole::Employer if !facts.has_employer => {
            "this learner has no employer recorded, so nobody can sign as employer yet"
        }
        SignerRole::Employer => {
            "only someone with the employer role at the learner's employer can sign as employer"
        }
        SignerRole::Assessor if facts.is_its_assessor => return Ok(()),
        SignerRole::Assessor => "only the learner's assessor can sign as assessor",
    };
    Err(NotASigner(refusal.to_owned()))
}

/// Whether every required role has signed (a document always requires at least one).
pub fn is_fully_signed(required: &[SignerRole], signed: &[SignerRole]) -> bool {
    !required.is_empty() && required.iter().all(|r| signed.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use SignerRole::*;

    #[test]
    fn roles_parse_from_a_list_in_a_fixed_order() {
        assert_eq!(
            parse_signer_roles("assessor, learner").unwrap(),
            vec![Learner, Assessor]
        );
        assert_eq!(
            parse_signer_roles("employer employer,learner").unwrap(),
            vec![Learner, Employer]
        );
        assert!(parse_signer_roles("").is_err());
        assert!(parse_signer_roles(" , ").is_err());
        let unknown = parse_signer_roles("learner,iqa").unwrap_err();
        assert!(unknown.0.contains("`iqa`"), "{unknown}");
        assert!(parse_signer_roles("Learner").is_err(), "names are exact");
    }

    #[test]
    fn typed_names_are_one_trimmed_line_of_at_most_200_characters() {
        assert_eq!(parse_typed_name("  Amelia Hart ").unwrap(), "Amelia Hart");
        assert!(parse_typed_name("   ").is_err());
        assert!(parse_typed_name("Amelia\nHart").is_err());
        assert!(parse_typed_name(&"a".repeat(200)).is_ok());
        assert!(parse_typed_name(&"a".repeat(201)).is_err());
    }

    #[test]
    fn each_role_is_signed_only_by_its_relationship() {
        let learner = SignerFacts {
            is_its_learner: true,
            has_employer: true,
            ..SignerFacts::default()
        };
        assert!(check_may_sign(Learner, learner).is_ok());
        assert!(check_may_sign(Employer, learner).is_err());
        assert!(check_may_sign(Assessor, learner).is_err());

        let employer = SignerFacts {
            is_employer: true,
            works_for_its_employer: true,
            has_employer: true,
            ..SignerFacts::default()
        };
        assert!(check_may_sign(Employer, employer).is_ok());
        assert!(check_may_sign(Learner, employer).is_err());
        // The employer role alone, at another organisation, is not enough.
        let elsewhere = SignerFacts {
            works_for_its_employer: false,
            ..employer
        };
        assert!(check_may_sign(Employer, elsewhere).is_err());
        let none = SignerFacts {
            is_employer: true,
            ..SignerFacts::default()
        };
        assert!(
            check_may_sign(Employer, none)
                .unwrap_err()
                .0
                .contains("no employer")
        );

        let assessor = SignerFacts {
            is_its_assessor: true,
            ..SignerFacts::default()
        };
        assert!(check_may_sign(Assessor, assessor).is_ok());
        assert!(check_may_sign(Learner, assessor).is_err());
    }

    #[test]
    fn fully_signed_needs_every_required_role() {
        assert!(!is_fully_signed(&[Learner, Employer], &[Learner]));
        assert!(is_fully_signed(&[Learner, Employer], &[Employer, Learner]));
        assert!(!is_fully_signed(&[], &[]));
    }
}
