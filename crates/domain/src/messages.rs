//! Messages a learner writes to the people around their enrolment, and the internal
//! comments staff keep on a learner. Who may read and write them is in [`crate::access`].

use std::fmt;
use std::str::FromStr;

use crate::text::{InvalidValue, multi_line, single_line};

/// Whom of their enrolment's people a learner writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// The enrolment's assessor (training adviser).
    Assessor,
    /// The enrolment's internal quality assurer.
    Iqa,
    /// The enrolment's learner (written to by their assessor or IQA).
    Learner,
}

impl Recipient {
    /// Every recipient.
    pub const ALL: [Recipient; 3] = [Recipient::Assessor, Recipient::Iqa, Recipient::Learner];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::Assessor => "assessor",
            Recipient::Iqa => "iqa",
            Recipient::Learner => "learner",
        }
    }

    /// The role's name in a sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Recipient::Assessor => "assessor",
            Recipient::Iqa => "IQA",
            Recipient::Learner => "learner",
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Recipient {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Recipient::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| InvalidValue::new(format!("unknown recipient `{s}`")))
    }
}

/// A message's subject: one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSubject(String);

impl MessageSubject {
    /// The longest subject.
    pub const MAX_CHARS: usize = 200;

    /// Trimmed, 1 to 200 characters, no control characters.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        single_line(raw, Self::MAX_CHARS).map(Self)
    }

    /// The subject.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message's text: paragraphs, so newlines and tabs are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    /// The longest text.
    pub const MAX_CHARS: usize = 10_000;

    /// Trimmed, 1 to 10 000 characters, no control characters but newline and tab.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        multi_line(raw, Self::MAX_CHARS).map(Self)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An internal comment's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentText(String);

impl CommentText {
    /// The longest comment.
    pub const MAX_CHARS: usize = 5000;

    /// Trimmed, 1 to 5000 characters, no control characters but newline and tab.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        multi_line(raw, Self::MAX_CHARS).map(Self)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_round_trip() {
        for r in Recipient::ALL {
            assert_eq!(r.as_str().parse::<Recipient>(), Ok(r));
        }
        assert!("employer".parse::<Recipient>().is_err());
    }

    #[test]
    fn subjects_are_one_line_of_at_most_200_characters() {
        assert_eq!(
            MessageSubject::parse("  Review date ").unwrap().as_str(),
            "Review date"
        );
        assert!(MessageSubject::parse(" ").is_err());
        assert!(MessageSubject::parse("a\nb").is_err());
        assert!(MessageSubject::parse(&"é".repeat(200)).is_ok());
        assert!(MessageSubject::parse(&"é".repeat(201)).is_err());
    }

    #[test]
    fn texts_keep_paragraphs_within_their_limits() {
        assert_eq!(
            MessageText::parse("Hello,\r\n\r\nthanks\n")
                .unwrap()
                .as_str(),
            "Hello,\n\nthanks"
        );
        assert!(MessageText::parse("\n\t").is_err());
        assert!(MessageText::parse(&"x".repeat(10_000)).is_ok());
        assert!(MessageText::parse(&"x".repeat(10_001)).is_err());
        assert!(CommentText::parse(&"x".repeat(5000)).is_ok());
        assert!(CommentText::parse(&"x".repeat(5001)).is_err());
        assert!(CommentText::parse("a\u{1b}[31m").is_err());
    }
}
