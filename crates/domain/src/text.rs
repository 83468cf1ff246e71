//! Shared checks for the free-text values users type.

use thiserror::Error;

/// Why a value was refused; the API adds the name of the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

impl InvalidValue {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Trims `raw` and checks it is non-empty, at most `max_chars` long and free of control
/// characters (a name with a newline in it breaks every list and export it appears in).
pub(crate) fn single_line(raw: &str, max_chars: usize) -> Result<String, InvalidValue> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InvalidValue::new("must not be empty"));
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(InvalidValue::new(format!(
            "must be at most {max_chars} characters (got {chars})"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidValue::new("must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// Trims `raw` and checks it is non-empty, at most `max_chars` long and free of control
/// characters other than newline and tab: for paragraphs such as a criterion's wording.
/// Windows line endings (from spreadsheets and CSV files) are normalised to `\n`, so the
/// same text typed on two systems is stored alike.
pub(crate) fn multi_line(raw: &str, max_chars: usize) -> Result<String, InvalidValue> {
    let value = raw.replace("\r\n", "\n");
    let value = value.trim();
    if value.is_empty() {
        return Err(InvalidValue::new("must not be empty"));
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(InvalidValue::new(format!(
            "must be at most {max_chars} characters (got {chars})"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(InvalidValue::new(
            "must not contain control characters other than newline and tab",
        ));
    }
    Ok(value.to_owned())
}

/// Optional single-line text such as a phone number or a contact name: empty means absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalText(Option<String>);

impl OptionalText {
    /// Parses optional text of at most `max_chars`; blank input is treated as absent.
    pub fn parse(raw: Option<&str>, max_chars: usize) -> Result<Self, InvalidValue> {
        match raw.map(str::trim) {
            None | Some("") => Ok(Self(None)),
            Some(value) => single_line(value, max_chars).map(|v| Self(Some(v))),
        }
    }

    /// The text, if any.
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// Consumes the value.
    pub fn into_inner(self) -> Option<String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_accepts_ordinary_text() {
        assert_eq!(
            single_line("  Ada Lovelace ", 20),
            Ok("Ada Lovelace".to_owned())
        );
    }

    #[test]
    fn refuses_empty_long_and_control_characters() {
        assert!(single_line("   ", 10).is_err());
        assert!(single_line("abcdefghijk", 10).is_err());
        assert!(single_line("a\nb", 10).is_err());
        assert!(single_line("abcdefghij", 10).is_ok());
    }

    #[test]
    fn multi_line_text_keeps_newlines_and_tabs_only() {
        assert_eq!(
            multi_line("  first\r\n\tsecond \n", 50),
            Ok("first\n\tsecond".to_owned())
        );
        assert!(multi_line(" \n\t ", 50).is_err());
        assert!(multi_line("a\0b", 50).is_err());
        assert!(multi_line("a\rb", 50).is_err());
        assert!(multi_line("a\u{1b}[31mb", 50).is_err());
        assert!(multi_line(&"é".repeat(11), 10).is_err());
        assert!(multi_line(&"é".repeat(10), 10).is_ok());
    }

    #[test]
    fn blank_optional_text_is_absent() {
        assert_eq!(OptionalText::parse(Some("  "), 5), Ok(OptionalText(None)));
        assert_eq!(OptionalText::parse(None, 5), Ok(OptionalText(None)));
        assert!(OptionalText::parse(Some("toolong"), 5).is_err());
    }
}
