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
    /// The criteria of the learner's units (mandatory and chosen optional; English and
    /// maths aims apart), signed off.
    pub mandatory: Tally,
    /// The criteria of the course's English and maths aims, signed off; `None` when the
    /// course has none.
    pub english_maths: Option<Tally>,
    /// Off-the-job hours done to the nearest whole hour, as the funding return counts
    /// them (OTJActHours).
    pub otj_actual_whole_hours: i64,
    /// The rule's minimum in whole hours, if it yields one.
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
    /// Every criterion the learner must achieve signed off: those of their mandatory units
    /// and of the optional units chosen for them.
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

/// The checklist, in the order people read it. A list with nothing in it (a unit or aim
/// without criteria yet) is not met: there is nothing to show the learner achieved.
pub fn checklist(input: &GatewayInput) -> Vec<Check> {
    let criteria = |key, t: Tally, what: &str| Check {
        key,
        met: t.of > 0 && t.done >= t.of,
        detail: if t.of == 0 {
            format!("No {what} are set up yet.")
        } else if t.done >= t.of {
            format!("All {} {what} signed off.", t.of)
        } else {
            format!("{} of {} {what} signed off.", t.done, t.of)
        },
    };
    let done = input.otj_actual_whole_hours;
    let otj = match input.otj_required {
        Some(required) => {
            let required = required.hundredths().div_euclid(100);
            Check {
                key: CheckKey::OffTheJobMinimum,
                met: done >= required,
                detail: format!(
                    "{done} of the {required} hours required done (to the nearest whole hour, \
                     as on the funding return)."
                ),
            }
        }
        None => Check {
            key: CheckKey::OffTheJobMinimum,
            met: false,
            detail: format!("{done} hours done; no minimum could be worked out for this learner."),
        },
    };
    let english_maths = match input.english_maths {
        Some(t) => criteria(CheckKey::EnglishMaths, t, "English and maths criteria"),
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
        criteria(
            CheckKey::MandatoryCriteria,
            input.mandatory,
            "criteria of the learner's units",
        ),
        otj,
        english_maths,
        agrees(CheckKey::LearnerAgrees, input.learner_agreed, "learner"),
        employer,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> GatewayInput {
        GatewayInput {
            mandatory: Tally { done: 12, of: 12 },
            english_maths: None,
            otj_actual_whole_hours: 187,
            otj_required: Some(Hours::from_hundredths(18_700)),
            has_employer: true,
            learner_agreed: true,
            employer_agreed: true,
        }
    }

    #[test]
    fn a_learner_who_has_done_everything_meets_every_check() {
        let checks = checklist(&ready());
        assert!(checks.iter().all(|c| c.met), "{checks:?}");
        assert_eq!(
            checks[0].detail,
            "All 12 criteria of the learner's units signed off."
        );
        assert_eq!(
            checks[1].detail,
            "187 of the 187 hours required done (to the nearest whole hour, as on the funding return)."
        );
        assert_eq!(checks[2].detail, "The course has no English or maths aim.");
    }

    #[test]
    fn each_gap_is_named_in_words() {
        let input = GatewayInput {
            mandatory: Tally { done: 11, of: 12 },
            english_maths: Some(Tally { done: 3, of: 4 }),
            otj_actual_whole_hours: 186,
            otj_required: Some(Hours::from_hundredths(18_700)),
            has_employer: true,
            learner_agreed: false,
            employer_agreed: false,
        };
        let checks = checklist(&input);
        assert!(checks.iter().all(|c| !c.met), "{checks:?}");
        assert_eq!(
            checks[0].detail,
            "11 of 12 criteria of the learner's units signed off."
        );
        assert!(
            checks[1]
                .detail
                .starts_with("186 of the 187 hours required done")
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
    fn without_a_minimum_an_employer_or_any_criteria_those_checks_cannot_be_met() {
        let input = GatewayInput {
            mandatory: Tally { done: 0, of: 0 },
            english_maths: Some(Tally { done: 0, of: 0 }),
            otj_required: None,
            has_employer: false,
            ..ready()
        };
        let checks = checklist(&input);
        assert!(
            checks
                .iter()
                .all(|c| !c.met || c.key == CheckKey::LearnerAgrees)
        );
        assert_eq!(
            checks[0].detail,
            "No criteria of the learner's units are set up yet."
        );
        assert!(checks[1].detail.contains("no minimum could be worked out"));
        assert_eq!(
            checks[2].detail,
            "No English and maths criteria are set up yet."
        );
        assert_eq!(
            checks[4].detail,
            "No employer's manager is recorded for this learner."
        );
    }
}
