//! Internal quality assurance (issue 23): an IQA samples an assessor's decisions (the
//! criteria they signed off on a learner's programme) and records a decision. Who may do
//! what, and what each decision does, are written here once.

use chrono::{Days, NaiveDate};

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

    /// Its name in words.
    pub fn words(self) -> &'static str {
        match self {
            Self::Interim => "Interim",
            Self::Summative => "Summative",
        }
    }

    /// The words of a stage as stored (the database holds only `interim` and
    /// `summative`; anything else reads as interim, the default).
    pub fn words_of(stored: &str) -> &'static str {
        Self::parse(stored).map_or(Self::Interim.words(), Self::words)
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

/// The assessment method whose decisions a sample looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// Watching the learner work.
    Observation,
    /// A planned, recorded discussion.
    ProfessionalDiscussion,
    /// Oral or written questions.
    Questioning,
    /// What the learner made or produced at work.
    ProductOfWork,
    /// A statement by someone who saw the learner work.
    WitnessTestimony,
    /// An assignment, project or test.
    WrittenAssessment,
}

impl Method {
    /// Every method, in the order they are listed.
    pub const ALL: [Method; 6] = [
        Self::Observation,
        Self::ProfessionalDiscussion,
        Self::Questioning,
        Self::ProductOfWork,
        Self::WitnessTestimony,
        Self::WrittenAssessment,
    ];

    /// Parses its stable name.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                InvalidValue::new(
                    "must be observation, professional_discussion, questioning, product_of_work, \
                 witness_testimony or written_assessment",
                )
            })
    }

    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Observation => "observation",
            Self::ProfessionalDiscussion => "professional_discussion",
            Self::Questioning => "questioning",
            Self::ProductOfWork => "product_of_work",
            Self::WitnessTestimony => "witness_testimony",
            Self::WrittenAssessment => "written_assessment",
        }
    }

    /// Its name in words.
    pub fn words(self) -> &'static str {
        match self {
            Self::Observation => "Observation",
            Self::ProfessionalDiscussion => "Professional discussion",
            Self::Questioning => "Questioning",
            Self::ProductOfWork => "Product of work",
            Self::WitnessTestimony => "Witness testimony",
            Self::WrittenAssessment => "Written assessment",
        }
    }
}

/// Which of an assessor's learners on a course a plan samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// All of them (a new assessor, or one whose decisions were found wanting).
    EveryLearner,
    /// This per cent of them, rounded up (1 to 100): an experienced assessor.
    Percentage(u8),
}

impl Strategy {
    /// Parses `every_learner` (a per cent from 1 to 100 given with it is not used: every
    /// learner is sampled), or `percentage` with its per cent.
    pub fn parse(
        strategy: &str,
        percentage: Option<i64>,
    ) -> Result<Self, (&'static str, InvalidValue)> {
        match (strategy, percentage) {
            ("every_learner", Some(p)) if !(1..=100).contains(&p) => Err((
                "percentage",
                InvalidValue::new("must be a whole number from 1 to 100 (or left out)"),
            )),
            ("every_learner", _) => Ok(Self::EveryLearner),
            ("percentage", Some(p)) => u8::try_from(p)
                .ok()
                .filter(|p| (1..=100).contains(p))
                .map(Self::Percentage)
                .ok_or((
                    "percentage",
                    InvalidValue::new("must be a whole number from 1 to 100"),
                )),
            ("percentage", None) => Err((
                "percentage",
                InvalidValue::new("say what per cent of the learners to sample (1 to 100)"),
            )),
            _ => Err((
                "strategy",
                InvalidValue::new("must be every_learner or percentage"),
            )),
        }
    }

    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EveryLearner => "every_learner",
            Self::Percentage(_) => "percentage",
        }
    }

    /// How many of `learners` are to be sampled: every one, or the per cent rounded up
    /// (so a plan over any learners samples at least one).
    pub fn learners_to_sample(self, learners: usize) -> usize {
        match self {
            Self::EveryLearner => learners,
            Self::Percentage(p) => (learners * usize::from(p)).div_ceil(100),
        }
    }
}

/// When a plan's samples fall due in each learner's programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The interim sample: this per cent of the way from start to planned end (10 to 90).
    pub interim_at_percent: u8,
    /// The summative sample: this many weeks before the planned end (0 to 52), never
    /// before the interim one.
    pub summative_weeks_before_end: u8,
}

impl Timing {
    /// Half way through, and four weeks before the end.
    pub const DEFAULT: Timing = Timing {
        interim_at_percent: 50,
        summative_weeks_before_end: 4,
    };

    /// Checks the interim per cent (10 to 90).
    pub fn interim(p: i64) -> Result<u8, InvalidValue> {
        u8::try_from(p)
            .ok()
            .filter(|p| (10..=90).contains(p))
            .ok_or(InvalidValue::new("must be a whole number from 10 to 90"))
    }

    /// Checks the weeks before the end (0 to 52).
    pub fn weeks(w: i64) -> Result<u8, InvalidValue> {
        u8::try_from(w)
            .ok()
            .filter(|w| *w <= 52)
            .ok_or(InvalidValue::new(
                "must be a whole number of weeks from 0 to 52",
            ))
    }

    /// When each stage falls due for a programme from `start` to `planned_end`.
    pub fn due(self, start: NaiveDate, planned_end: NaiveDate) -> (NaiveDate, NaiveDate) {
        let days = (planned_end - start).num_days().max(0);
        let interim = start
            + Days::new(
                u64::try_from(days * i64::from(self.interim_at_percent) / 100).unwrap_or(0),
            );
        let summative = planned_end
            .checked_sub_days(Days::new(7 * u64::from(self.summative_weeks_before_end)))
            .unwrap_or(planned_end)
            .max(interim);
        (interim, summative)
    }
}

/// A learner a plan covers: their programme's dates and the first sample of each stage
/// taken of their assessor's decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLearner<Id> {
    /// Who (an enrolment).
    pub id: Id,
    /// Their start date.
    pub start: NaiveDate,
    /// Their planned end date.
    pub planned_end: NaiveDate,
    /// The day of their first interim sample, if taken.
    pub interim_on: Option<NaiveDate>,
    /// The day of their first summative sample, if taken.
    pub summative_on: Option<NaiveDate>,
}

/// One planned sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned<Id> {
    /// Whose.
    pub id: Id,
    /// Interim or summative.
    pub stage: Stage,
    /// When it falls due.
    pub due_on: NaiveDate,
    /// When it was done, if it was.
    pub done_on: Option<NaiveDate>,
}

impl<Id> Planned<Id> {
    /// Not done and due before `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.done_on.is_none() && self.due_on < today
    }
}

/// The samples a plan asks for: for each learner it chooses, an interim and a summative
/// sample, each due by `timing`, and done once one was taken. Which learners: every one,
/// or the per cent rounded up. Learners already sampled count first (their samples are
/// done work), up to the number wanted; the rest are chosen evenly across the others in
/// order of start date, so a plan does not sample only the newest or the oldest. In
/// learner order (start date).
pub fn schedule<Id: Copy + Ord>(
    strategy: Strategy,
    timing: Timing,
    learners: &[PlanLearner<Id>],
) -> Vec<Planned<Id>> {
    let mut ordered: Vec<&PlanLearner<Id>> = learners.iter().collect();
    ordered.sort_by_key(|l| (l.start, l.id));
    let wanted = strategy.learners_to_sample(ordered.len());
    let (mut sampled, rest): (Vec<_>, Vec<_>) = ordered
        .iter()
        .copied()
        .partition(|l| l.interim_on.is_some() || l.summative_on.is_some());
    // More sampled than wanted (the plan was made smaller): keep those furthest along,
    // both stages done first, then the earliest starts; the others' samples stand, but the
    // plan asks nothing more of them.
    sampled.sort_by_key(|l: &&PlanLearner<Id>| {
        (
            !(l.interim_on.is_some() && l.summative_on.is_some()),
            l.start,
            l.id,
        )
    });
    sampled.truncate(wanted);
    let more = wanted.saturating_sub(sampled.len()).min(rest.len());
    // Evenly spread: the middle of each of `more` equal slices of the rest.
    let chosen_rest = (0..more).map(|j| rest[(2 * j + 1) * rest.len() / (2 * more)]);
    let mut chosen: Vec<&PlanLearner<Id>> = sampled.into_iter().chain(chosen_rest).collect();
    chosen.sort_by_key(|l| (l.start, l.id));
    chosen
        .into_iter()
        .flat_map(|l| {
            let (interim, summative) = timing.due(l.start, l.planned_end);
            [
                Planned {
                    id: l.id,
                    stage: Stage::Interim,
                    due_on: interim,
                    done_on: l.interim_on,
                },
                Planned {
                    id: l.id,
                    stage: Stage::Summative,
                    due_on: summative,
                    done_on: l.summative_on,
                },
            ]
        })
        .collect()
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

/// What someone may do with an IQA sampling plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanAccess {
    /// Nothing (it does not exist for them).
    None,
    /// Read it: auditors, and the assessor whose decisions it samples.
    Read,
    /// Make, change and delete it: IQAs and admins, never about their own decisions.
    Manage,
}

/// Plans are quality assurance's: IQAs and admins make them, for any assessor but
/// themselves; the assessor reads what is planned for them; auditors read them all;
/// learners and employers see none.
pub fn plan_access(roles: &[Role], own_decisions: bool) -> PlanAccess {
    let has = |r: Role| roles.contains(&r);
    if !own_decisions && (has(Role::Iqa) || has(Role::Admin)) {
        PlanAccess::Manage
    } else if own_decisions && has(Role::Assessor)
        || has(Role::Auditor)
        || has(Role::Iqa)
        || has(Role::Admin)
    {
        PlanAccess::Read
    } else {
        PlanAccess::None
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
        assert_eq!(Stage::words_of("summative"), "Summative");
        assert_eq!(Stage::words_of("interim"), "Interim");
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

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn learner(id: u8, start: &str, end: &str) -> PlanLearner<u8> {
        PlanLearner {
            id,
            start: d(start),
            planned_end: d(end),
            interim_on: None,
            summative_on: None,
        }
    }

    #[test]
    fn a_percentage_is_rounded_up_and_every_learner_is_every_one() {
        assert_eq!(Strategy::Percentage(25).learners_to_sample(10), 3); // 2.5 → 3
        assert_eq!(Strategy::Percentage(10).learners_to_sample(1), 1); // 0.1 → 1
        assert_eq!(Strategy::Percentage(50).learners_to_sample(8), 4); // 4 exactly
        assert_eq!(Strategy::Percentage(100).learners_to_sample(7), 7);
        assert_eq!(Strategy::Percentage(30).learners_to_sample(0), 0);
        assert_eq!(Strategy::EveryLearner.learners_to_sample(7), 7);
        assert_eq!(
            Strategy::parse("percentage", Some(0)).unwrap_err().0,
            "percentage"
        );
        assert_eq!(
            Strategy::parse("percentage", None).unwrap_err().0,
            "percentage"
        );
        assert_eq!(
            Strategy::parse("every_learner", Some(5)),
            Ok(Strategy::EveryLearner)
        );
        assert_eq!(
            Strategy::parse("every_learner", Some(500)).unwrap_err().0,
            "percentage"
        );
        assert_eq!(Strategy::parse("some", None).unwrap_err().0, "strategy");
        assert_eq!(
            Strategy::parse("percentage", Some(20)),
            Ok(Strategy::Percentage(20))
        );
        assert_eq!(Method::parse("observation"), Ok(Method::Observation));
        assert!(Method::parse("Observation").is_err());
    }

    #[test]
    fn samples_fall_due_part_way_through_and_weeks_before_the_end() {
        // 2026-01-01 to 2027-01-01 is 365 days; 50 % of 365 = 182.5 → 182 days after the
        // start: 2026-07-02. Four weeks (28 days) before 2027-01-01: 2026-12-04.
        assert_eq!(
            Timing::DEFAULT.due(d("2026-01-01"), d("2027-01-01")),
            (d("2026-07-02"), d("2026-12-04"))
        );
        // A ten-week programme with the summative sample 52 weeks before its end: never
        // before the interim one. 70 days × 30 % = 21 days: 2026-03-22.
        let t = Timing {
            interim_at_percent: 30,
            summative_weeks_before_end: 52,
        };
        assert_eq!(
            t.due(d("2026-03-01"), d("2026-05-10")),
            (d("2026-03-22"), d("2026-03-22"))
        );
    }

    #[test]
    fn a_percentage_counts_the_sampled_first_and_spreads_the_rest() {
        // Ten learners starting on the 1st to the 10th of January, a year each.
        let mut ls: Vec<PlanLearner<u8>> = (1..=10)
            .map(|i| learner(i, &format!("2026-01-{i:02}"), &format!("2027-01-{i:02}")))
            .collect();
        // 30 % of 10 = 3 learners; none sampled yet: the middles of three slices of ten,
        // indexes 10/6 = 1, 30/6 = 5, 50/6 = 8: learners 2, 6 and 9.
        let plan = schedule(Strategy::Percentage(30), Timing::DEFAULT, &ls);
        let ids: Vec<u8> = plan.iter().map(|p| p.id).collect();
        assert_eq!(ids, [2, 2, 6, 6, 9, 9]);
        assert_eq!(plan[0].stage, Stage::Interim);
        assert_eq!(plan[1].stage, Stage::Summative);
        // Learner 2: 2026-01-02 to 2027-01-02, 365 days, interim after 182: 2026-07-03.
        assert_eq!(plan[0].due_on, d("2026-07-03"));
        assert!(plan[0].overdue(d("2026-07-04")));
        assert!(!plan[0].overdue(d("2026-07-03")));
        // Learner 4 has had an interim sample: counted first, then two of the other nine,
        // indexes 9/4 = 2 and 27/4 = 6 of [1, 2, 3, 5, 6, 7, 8, 9, 10]: learners 3 and 8.
        ls[3].interim_on = Some(d("2026-06-30"));
        let plan = schedule(Strategy::Percentage(30), Timing::DEFAULT, &ls);
        let ids: Vec<u8> = plan.iter().map(|p| p.id).collect();
        assert_eq!(ids, [3, 3, 4, 4, 8, 8]);
        assert_eq!(plan[2].done_on, Some(d("2026-06-30")));
        assert!(!plan[2].overdue(d("2027-01-01")));
        assert_eq!(plan[3].done_on, None);
        // Made smaller after three were sampled: 10 % of 10 = 1 learner. Learner 7 has
        // both stages done, so is kept before 4 and 5 (one stage each), though they
        // started earlier; nothing more is asked of 4 and 5.
        ls[4].interim_on = Some(d("2026-07-01"));
        ls[6].interim_on = Some(d("2026-07-05"));
        ls[6].summative_on = Some(d("2026-12-01"));
        let plan = schedule(Strategy::Percentage(10), Timing::DEFAULT, &ls);
        let ids: Vec<u8> = plan.iter().map(|p| p.id).collect();
        assert_eq!(ids, [7, 7]);
        // Every learner: all ten, twice each.
        assert_eq!(
            schedule(Strategy::EveryLearner, Timing::DEFAULT, &ls).len(),
            20
        );
        assert!(
            schedule(
                Strategy::EveryLearner,
                Timing::DEFAULT,
                &[] as &[PlanLearner<u8>]
            )
            .is_empty()
        );
    }

    #[test]
    fn iqas_and_admins_plan_for_others_and_the_assessor_reads_their_own() {
        assert_eq!(plan_access(&[Iqa], false), PlanAccess::Manage);
        assert_eq!(plan_access(&[Admin], false), PlanAccess::Manage);
        // Nobody plans the sampling of their own decisions, but reads the plan.
        assert_eq!(plan_access(&[Iqa, Assessor], true), PlanAccess::Read);
        assert_eq!(plan_access(&[Admin], true), PlanAccess::Read);
        assert_eq!(plan_access(&[Assessor], true), PlanAccess::Read);
        assert_eq!(plan_access(&[Assessor], false), PlanAccess::None);
        assert_eq!(plan_access(&[Auditor], false), PlanAccess::Read);
        assert_eq!(plan_access(&[Learner, Employer], false), PlanAccess::None);
    }
}
