//! Internal quality assurance (issue 23): an IQA samples an assessor's decisions (the
//! criteria they signed off on a learner's programme) and records a decision. Who may do
//! what, and what each decision does, are written here once.

use crate::access::EnrolmentRelation;
use crate::text::multi_line;
use crate::{InvalidValue, Role};

/// What the IQA decided about the sampled decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The assessor's decisions stand.
    Agree,
    /// They do not: the sampled sign-offs are reopened, to be assessed again.
    Disagree,
    /// Referred back to the assessor to act on (more evidence, a clearer record); the
    /// sign-offs stand meanwhile.
    Refer,
}

impl Decision {
    /// Parses `agree`, `disagree` or `refer`.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "agree" => Ok(Self::Agree),
            "disagree" => Ok(Self::Disagree),
            "refer" => Ok(Self::Refer),
            _ => Err(InvalidValue::new("must be agree, disagree or refer")),
        }
    }

    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agree => "agree",
            Self::Disagree => "disagree",
            Self::Refer => "refer",
        }
    }

    /// Whether it withdraws the sampled sign-offs (a disagreement).
    pub fn reopens_sign_offs(self) -> bool {
        self == Self::Disagree
    }

    /// Whether the IQA must say what they found: the assessor acts on anything but
    /// agreement.
    pub fn needs_feedback(self) -> bool {
        self != Self::Agree
    }
}

/// When in the programme the sample is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// During learning.
    Interim,
    /// At the end, before the learner is put forward.
    Summative,
}

impl Stage {
    /// Parses `interim` or `summative`.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "interim" => Ok(Self::Interim),
            "summative" => Ok(Self::Summative),
            _ => Err(InvalidValue::new("must be interim or summative")),
        }
    }

    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interim => "interim",
            Self::Summative => "summative",
        }
    }
}

/// Written feedback or an answer (1 to 5,000 characters), or an action for the assessor
/// (1 to 2,000); lines allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleText(String);

impl SampleText {
    /// The most characters.
    pub const MAX_CHARS: usize = 5000;

    /// The most characters of what the assessor must do.
    pub const MAX_ACTION_CHARS: usize = 2000;

    /// Checks and trims feedback or an answer.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        multi_line(raw, Self::MAX_CHARS).map(Self)
    }

    /// Checks and trims what the assessor must do.
    pub fn parse_action(raw: &str) -> Result<Self, InvalidValue> {
        multi_line(raw, Self::MAX_ACTION_CHARS).map(Self)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What someone may do with a programme's IQA samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SampleAccess {
    /// Nothing, not even learn there are any (404).
    None,
    /// Read them: admins and auditors.
    Read,
    /// Read them and answer them: the programme's assessor, whose decisions they are.
    Answer,
    /// Read them and sample: the programme's IQA.
    Sample,
}

/// IQA records are staff's: the programme's IQA samples (unless they are also its
/// assessor: nobody quality-assures their own decisions), its assessor answers, admins and
/// auditors read; the learner (whatever other roles they hold) and employers see none.
pub fn sample_access(roles: &[Role], relation: EnrolmentRelation) -> SampleAccess {
    let has = |r: Role| roles.contains(&r);
    if relation.learner && has(Role::Learner) {
        SampleAccess::None
    } else if relation.assessor && has(Role::Assessor) {
        // Never the IQA of their own decisions.
        SampleAccess::Answer
    } else if relation.iqa && has(Role::Iqa) {
        SampleAccess::Sample
    } else if has(Role::Admin) || has(Role::Auditor) {
        SampleAccess::Read
    } else {
        SampleAccess::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    #[test]
    fn only_a_disagreement_reopens_and_only_agreement_needs_no_feedback() {
        assert!(Decision::Disagree.reopens_sign_offs());
        assert!(!Decision::Refer.reopens_sign_offs());
        assert!(!Decision::Agree.reopens_sign_offs());
        assert!(!Decision::Agree.needs_feedback());
        assert!(Decision::Refer.needs_feedback());
        assert!(Decision::Disagree.needs_feedback());
        assert!(Decision::parse("maybe").is_err());
        assert_eq!(Stage::parse("summative"), Ok(Stage::Summative));
    }

    #[test]
    fn samples_are_the_iqas_to_take_and_the_assessors_to_answer() {
        let none = EnrolmentRelation::default();
        let iqa = EnrolmentRelation { iqa: true, ..none };
        let assessor = EnrolmentRelation {
            assessor: true,
            ..none
        };
        let learner = EnrolmentRelation {
            learner: true,
            ..none
        };
        let cases: &[(&[Role], EnrolmentRelation, SampleAccess)] = &[
            (&[Iqa], iqa, SampleAccess::Sample),
            (&[Iqa], none, SampleAccess::None),
            (&[Assessor], assessor, SampleAccess::Answer),
            (&[Assessor], none, SampleAccess::None),
            (&[Assessor, Iqa], assessor, SampleAccess::Answer),
            (
                &[Assessor, Iqa],
                EnrolmentRelation {
                    assessor: true,
                    iqa: true,
                    ..none
                },
                SampleAccess::Answer,
            ),
            (&[Admin], none, SampleAccess::Read),
            (&[Auditor], none, SampleAccess::Read),
            (&[Employer], none, SampleAccess::None),
            (&[Learner], learner, SampleAccess::None),
            (&[Admin, Learner], learner, SampleAccess::None),
        ];
        for (roles, relation, expected) in cases {
            assert_eq!(
                sample_access(roles, *relation),
                *expected,
                "{roles:?} {relation:?}"
            );
        }
    }
}
