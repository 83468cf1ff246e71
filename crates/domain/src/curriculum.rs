//! The curriculum: a course (programme, e.g. an apprenticeship standard) made of components
//! (aims), each of units (mandatory or optional), each of criteria (a code and a text).
//!
//! The limits here match the checks in the `curriculum` migration, so a value that parses
//! always fits its column.

use crate::text::{InvalidValue, multi_line, single_line};

/// The code of a course, unit or criterion as the awarding body writes it, e.g. `ST0457`,
/// `Unit 301` or `1.2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CurriculumCode(String);

impl CurriculumCode {
    /// The longest code.
    pub const MAX_CHARS: usize = 50;

    /// Trimmed, 1 to 50 characters, one line.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, Self::MAX_CHARS).map(Self)
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The title of a course, e.g. "Engineering Technician (Level 3)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseTitle(String);

impl CourseTitle {
    /// Trimmed, 1 to 200 characters, one line.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, 200).map(Self)
    }

    /// The title as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a course is about, shown to the people on it; may run to several paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseDescription(String);

impl CourseDescription {
    /// The longest description.
    pub const MAX_CHARS: usize = 5000;

    /// Optional: blank means none. Otherwise trimmed, at most 5000 characters, newlines
    /// and tabs allowed but no other control characters.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, InvalidValue> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(value) => multi_line(value, Self::MAX_CHARS).map(|v| Some(Self(v))),
        }
    }

    /// The description as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The off-the-job training a course requires, in whole hours (set per apprenticeship
/// standard for starts from August 2025).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffTheJobHours(i32);

impl OffTheJobHours {
    /// Far above any real programme's requirement: a larger figure is a typing mistake.
    pub const MAX: i32 = 10_000;

    /// Accepts 0 to 10,000 hours.
    pub fn new(hours: i64) -> Result<Self, InvalidValue> {
        match i32::try_from(hours) {
            Ok(h) if (0..=Self::MAX).contains(&h) => Ok(Self(h)),
            _ => Err(InvalidValue::new(format!(
                "must be between 0 and {}",
                Self::MAX
            ))),
        }
    }

    /// The hours.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// The title of a component (aim) within its course, e.g. "Functional Skills Maths".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ComponentTitle(String);

impl ComponentTitle {
    /// Trimmed, 1 to 200 characters, one line.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, 200).map(Self)
    }

    /// The title as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The title of a unit, e.g. "Health and safety in the workplace".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTitle(String);

impl UnitTitle {
    /// Trimmed, 1 to 300 characters, one line.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, 300).map(Self)
    }

    /// The title as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of a group of optional units a learner chooses from, e.g. "Group B: choose 2".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalGroup(String);

impl OptionalGroup {
    /// Trimmed, 1 to 100 characters, one line.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, 100).map(Self)
    }

    /// Optional: blank means ungrouped.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, InvalidValue> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(value) => Self::parse(value).map(Some),
        }
    }

    /// The group's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether every learner on the course takes a unit, or the assessor chooses it for some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitKind {
    /// Every learner takes it.
    Mandatory,
    /// Chosen per learner, possibly from a named group.
    Optional {
        /// The group it is chosen from, if any.
        group: Option<OptionalGroup>,
    },
}

impl UnitKind {
    /// A unit's kind from its two fields: a group makes sense only for an optional unit,
    /// so a mandatory unit in a group is refused rather than silently ungrouped.
    pub fn new(optional: bool, group: Option<OptionalGroup>) -> Result<Self, InvalidValue> {
        match (optional, group) {
            (true, group) => Ok(UnitKind::Optional { group }),
            (false, None) => Ok(UnitKind::Mandatory),
            (false, Some(_)) => Err(InvalidValue::new(
                "only optional units belong to an optional group",
            )),
        }
    }

    /// Whether the unit is optional.
    pub fn is_optional(&self) -> bool {
        matches!(self, UnitKind::Optional { .. })
    }

    /// The optional group's name, if any.
    pub fn group(&self) -> Option<&str> {
        match self {
            UnitKind::Optional { group } => group.as_ref().map(OptionalGroup::as_str),
            UnitKind::Mandatory => None,
        }
    }
}

/// What a criterion asks of the learner (a performance criterion, or a piece of knowledge,
/// skill or behaviour). Awarding bodies write these as lists, so newlines and tabs are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionText(String);

impl CriterionText {
    /// The longest text.
    pub const MAX_CHARS: usize = 2000;

    /// Trimmed, 1 to 2000 characters, newlines and tabs allowed but no other control
    /// characters (no NUL, no terminal escapes).
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        multi_line(raw, Self::MAX_CHARS).map(Self)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an item is listed among its siblings (lower first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(i32);

impl Position {
    /// The largest position: enough for any real structure, and it leaves room for one
    /// more after the last without overflowing.
    pub const MAX: i32 = 1_000_000;

    /// Accepts 0 to 1,000,000.
    pub fn new(position: i64) -> Result<Self, InvalidValue> {
        match i32::try_from(position) {
            Ok(p) if (0..=Self::MAX).contains(&p) => Ok(Self(p)),
            _ => Err(InvalidValue::new(format!(
                "must be between 0 and {}",
                Self::MAX
            ))),
        }
    }

    /// The position as a number.
    pub fn get(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_titles_are_trimmed_single_lines_within_their_limits() {
        assert_eq!(
            CurriculumCode::parse("  ST0457 ").unwrap().as_str(),
            "ST0457"
        );
        assert!(CurriculumCode::parse("").is_err());
        assert!(CurriculumCode::parse("1.1\n1.2").is_err());
        assert!(CurriculumCode::parse(&"x".repeat(50)).is_ok());
        assert!(CurriculumCode::parse(&"x".repeat(51)).is_err());
        assert!(CourseTitle::parse(&"t".repeat(200)).is_ok());
        assert!(CourseTitle::parse(&"t".repeat(201)).is_err());
        assert!(ComponentTitle::parse(&"t".repeat(201)).is_err());
        assert!(UnitTitle::parse(&"t".repeat(300)).is_ok());
        assert!(UnitTitle::parse(&"t".repeat(301)).is_err());
        assert!(UnitTitle::parse("Safety\tfirst").is_err());
    }

    #[test]
    fn criterion_text_may_span_lines_but_has_no_other_control_characters() {
        let text = CriterionText::parse(" Describe:\r\n\t- hazards\n\t- controls ").unwrap();
        assert_eq!(text.as_str(), "Describe:\n\t- hazards\n\t- controls");
        assert!(CriterionText::parse("with\0nul").is_err());
        assert!(CriterionText::parse("bell\u{7}").is_err());
        assert!(CriterionText::parse("  \n ").is_err());
        assert!(CriterionText::parse(&"w".repeat(2000)).is_ok());
        assert!(CriterionText::parse(&"w".repeat(2001)).is_err());
    }

    #[test]
    fn blank_descriptions_and_groups_are_absent() {
        assert_eq!(CourseDescription::parse_optional(Some("  ")), Ok(None));
        assert_eq!(CourseDescription::parse_optional(None), Ok(None));
        assert_eq!(
            CourseDescription::parse_optional(Some("Line one\nLine two"))
                .unwrap()
                .unwrap()
                .as_str(),
            "Line one\nLine two"
        );
        assert!(CourseDescription::parse_optional(Some(&"d".repeat(5001))).is_err());
        assert_eq!(OptionalGroup::parse_optional(Some("")), Ok(None));
        assert!(OptionalGroup::parse_optional(Some(&"g".repeat(101))).is_err());
    }

    #[test]
    fn only_optional_units_have_a_group() {
        let group = OptionalGroup::parse("Group B").unwrap();
        assert_eq!(UnitKind::new(false, None), Ok(UnitKind::Mandatory));
        assert!(UnitKind::new(false, Some(group.clone())).is_err());
        let kind = UnitKind::new(true, Some(group)).unwrap();
        assert!(kind.is_optional());
        assert_eq!(kind.group(), Some("Group B"));
        assert_eq!(UnitKind::new(true, None).unwrap().group(), None);
    }

    #[test]
    fn hours_and_positions_are_bounded() {
        assert_eq!(OffTheJobHours::new(0).unwrap().get(), 0);
        assert_eq!(OffTheJobHours::new(400).unwrap().get(), 400);
        assert!(OffTheJobHours::new(-1).is_err());
        assert!(OffTheJobHours::new(10_001).is_err());
        assert!(OffTheJobHours::new(i64::MAX).is_err());
        assert_eq!(Position::new(0).unwrap().get(), 0);
        assert!(Position::new(-1).is_err());
        assert!(Position::new(1_000_001).is_err());
    }
}
