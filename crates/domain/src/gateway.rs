//! Gateway readiness: the checklist a learner passes before gateway (DOMAIN.md; issue
//! 23): every mandatory criterion signed off, the off-the-job minimum met, English and
//! maths achieved where the course has them, and the learner and their employer agreeing.
//! Each check says in words what it found; the learner is ready when every one is met.

use serde::Serialize;

use crate::off_the_job::Hours;

/// Of how many, how many are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Done.
    pub done: u32,
    /// Of.
    pub of: u32,
}

/// What the checklist is worked out from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayInput {
    /// The criteria of the learner's mandatory units (English and maths aims apart),
    /// signed off.
    pub mandatory: Tally,
    /// The criteria of the course's English and maths aims, signed off; `None` when the
    /// course has none.
    pub english_maths: Option<Tally>,
    /// Off-the-job hours done, as counted for the funding return.
    pub otj_actual: Hours,
    /// The rule's minimum, if it yields one.
    pub otj_required: Option<Hours>,
    /// Whether the learner has an employer's manager to agree.
    pub has_employer: bool,
    /// Whether the learner agreed.
    pub learner_agreed: bool,
    /// Whether the employer's manager agreed.
    pub employer_agreed: bool,
}

/// What a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKey {
    /// Every mandatory criterion signed off.
    MandatoryCriteria,
    /// The off-the-job minimum met.
    OffTheJobMinimum,
    /// English and maths achieved, where required.
    EnglishMaths,
    /// The learner agrees.
    LearnerAgrees,
    /// The employer agrees.
    EmployerAgrees,
}

impl CheckKey {
    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKey::MandatoryCriteria => "mandatory_criteria",
            CheckKey::OffTheJobMinimum => "off_the_job_minimum",
            CheckKey::EnglishMaths => "english_maths",
            CheckKey::LearnerAgrees => "learner_agrees",
            CheckKey::EmployerAgrees => "employer_agrees",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What it is about.
    pub key: CheckKey,
    /// Whether it is met.
    pub met: bool,
    /// What was found, in words.
    pub detail: String,
}

/// The checklist, in the order people read it.
pub fn checklist(input: &GatewayInput) -> Vec<Check> {
    let criteria = |t: Tally, what: &str| {
        if t.done >= t.of {
            format!("All {} {what} signed off.", t.of)
        } else {
            format!("{} of {} {what} signed off.", t.done, t.of)
        }
    };
    let otj = match input.otj_required {
        Some(required) => Check {
            key: CheckKey::OffTheJobMinimum,
            met: input.otj_actual >= required,
            detail: format!(
                "{} of the {required} hours required done.",
                input.otj_actual
            ),
        },
        None => Check {
            key: CheckKey::OffTheJobMinimum,
            met: false,
            detail: format!(
                "{} hours done; no minimum could be worked out for this learner.",
                input.otj_actual
            ),
        },
    };
    let english_maths = match input.english_maths {
        Some(t) => Check {
            key: CheckKey::EnglishMaths,
            met: t.done >= t.of,
            detail: criteria(t, "English and maths criteria"),
        },
        None => Check {
            key: CheckKey::EnglishMaths,
            met: true,
            detail: "The course has no English or maths aim.".to_owned(),
        },
    };
    let agrees = |key, agreed: bool, who: &str| Check {
        key,
        met: agreed,
        detail: if agreed {
            format!("The {who} agrees.")
        } else {
            format!("The {who} has not yet agreed.")
        },
    };
    let employer = if input.has_employer {
        agrees(
            CheckKey::EmployerAgrees,
            input.employer_agreed,
            "employer's manager",
        )
    } else {
        Check {
            key: CheckKey::EmployerAgrees,
            met: false,
            detail: "No employer's manager is recorded for this learner.".to_owned(),
        }
    };
    vec![
        Check {
            key: CheckKey::MandatoryCriteria,
            met: input.mandatory.done >= input.mandatory.of,
            detail: criteria(input.mandatory, "mandatory criteria"),
        },
        otj,
        english_maths,
        agrees(CheckKey::LearnerAgrees, input.learner_agreed, "learner"),
        employer,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(h: i64) -> Hours {
        Hours::from_hundredths(h * 100)
    }

    fn ready() -> GatewayInput {
        GatewayInput {
            mandatory: Tally { done: 12, of: 12 },
            english_maths: None,
            otj_actual: hours(190),
            otj_required: Some(hours(187)),
            has_employer: true,
            learner_agreed: true,
            employer_agreed: true,
        }
    }

    #[test]
    fn a_learner_who_has_done_everything_meets_every_check() {
        let checks = checklist(&ready());
        assert!(checks.iter().all(|c| c.met), "{checks:?}");
        assert_eq!(checks[0].detail, "All 12 mandatory criteria signed off.");
        assert_eq!(
            checks[1].detail,
            "190.00 of the 187.00 hours required done."
        );
        assert_eq!(checks[2].detail, "The course has no English or maths aim.");
    }

    #[test]
    fn each_gap_is_named_in_words() {
        let input = GatewayInput {
            mandatory: Tally { done: 11, of: 12 },
            english_maths: Some(Tally { done: 3, of: 4 }),
            otj_actual: hours(186),
            otj_required: Some(hours(187)),
            has_employer: true,
            learner_agreed: false,
            employer_agreed: false,
        };
        let checks = checklist(&input);
        assert!(checks.iter().all(|c| !c.met), "{checks:?}");
        assert_eq!(checks[0].detail, "11 of 12 mandatory criteria signed off.");
        assert_eq!(
            checks[1].detail,
            "186.00 of the 187.00 hours required done."
        );
        assert_eq!(
            checks[2].detail,
            "3 of 4 English and maths criteria signed off."
        );
        assert_eq!(checks[3].detail, "The learner has not yet agreed.");
        assert_eq!(
            checks[4].detail,
            "The employer's manager has not yet agreed."
        );
    }

    #[test]
    fn without_a_minimum_or_an_employer_those_checks_cannot_be_met() {
        let input = GatewayInput {
            otj_required: None,
            has_employer: false,
            ..ready()
        };
        let checks = checklist(&input);
        assert!(!checks[1].met);
        assert!(checks[1].detail.contains("no minimum could be worked out"));
        assert!(!checks[4].met);
        assert_eq!(
            checks[4].detail,
            "No employer's manager is recorded for this learner."
        );
    }
}
