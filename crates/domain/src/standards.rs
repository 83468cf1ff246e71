//! Apprenticeship standards as published data: each standard's minimum off-the-job hours
//! and the first start date it applies to (a standard's transition list for starts August
//! to December 2025 is several rows of the same standard). A platform operator imports
//! them; the minimum for an enrolment is the one in force at its start date.

use std::fmt;

use chrono::NaiveDate;

use crate::off_the_job::PublishedMinimum;

/// One published value: a standard, its version, and its minimum from a start date on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedStandard {
    /// The standard's reference, `ST` and four digits (ST0118).
    pub code: String,
    /// Its version, as published (1.0).
    pub version: String,
    /// Its title.
    pub title: String,
    /// The minimum off-the-job hours.
    pub otj_minimum_hours: i32,
    /// The first start date it applies to.
    pub applies_from: NaiveDate,
}

/// Whether `code` is a standard's reference: `ST` and four digits.
pub fn is_standard_code(code: &str) -> bool {
    code.len() == 6 && code.starts_with("ST") && code[2..].bytes().all(|b| b.is_ascii_digit())
}

/// Whether `version` is a standard's version: one or two digits, a dot, one or two digits.
pub fn is_standard_version(version: &str) -> bool {
    let mut parts = version.split('.');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// A row of an import that cannot be taken, in words naming the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The column at fault.
    pub column: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.column, self.message)
    }
}

impl PublishedStandard {
    /// One row of the published list (`code`, `version`, `title`, `otj_minimum_hours`,
    /// `applies_from` as YYYY-MM-DD), checked; every column at fault is named.
    pub fn parse(
        code: &str,
        version: &str,
        title: &str,
        otj_minimum_hours: &str,
        applies_from: &str,
    ) -> Result<Self, Vec<RowProblem>> {
        let mut problems = Vec::new();
        let mut problem = |column, message: &str| {
            problems.push(RowProblem {
                column,
                message: message.to_owned(),
            })
        };
        let (code, version, title) = (code.trim(), version.trim(), title.trim());
        if !is_standard_code(code) {
            problem("code", "must be ST and four digits, as published (ST0118)");
        }
        if !is_standard_version(version) {
            problem("version", "must be a version number such as 1.0");
        }
        if title.is_empty() || title.chars().count() > 300 {
            problem("title", "must be 1 to 300 characters");
        }
        let hours = otj_minimum_hours
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|h| (1..=10_000).contains(h));
        if hours.is_none() {
            problem(
                "otj_minimum_hours",
                "must be a whole number of hours from 1 to 10000",
            );
        }
        let from = NaiveDate::parse_from_str(applies_from.trim(), "%Y-%m-%d").ok();
        if from.is_none() {
            problem("applies_from", "must be a date as YYYY-MM-DD");
        }
        match (hours, from) {
            (Some(otj_minimum_hours), Some(applies_from)) if problems.is_empty() => Ok(Self {
                code: code.to_owned(),
                version: version.to_owned(),
                title: title.to_owned(),
                otj_minimum_hours,
                applies_from,
            }),
            _ => Err(problems),
        }
    }

    /// Where a figure came from, in words: "standard ST0118 v1.0 (Engineering technician),
    /// published minimum for starts from 2025-08-01".
    pub fn source(&self) -> String {
        format!(
            "standard {} v{} ({}), published minimum for starts from {}",
            self.code, self.version, self.title, self.applies_from
        )
    }
}

/// The published value in force at `start` among `published` (all of one standard and
/// version): the latest whose `applies_from` is on or before the start.
pub fn in_force_at(
    published: &[PublishedStandard],
    start: NaiveDate,
) -> Option<&PublishedStandard> {
    published
        .iter()
        .filter(|p| p.applies_from <= start)
        .max_by_key(|p| p.applies_from)
}

/// The value in force at `start` for the standard `code` at `version` (any version when the
/// course names none) among every published value.
pub fn minimum_for<'a>(
    published: &'a [PublishedStandard],
    code: &str,
    version: Option<&str>,
    start: NaiveDate,
) -> Option<&'a PublishedStandard> {
    published
        .iter()
        .filter(|p| p.code == code && version.is_none_or(|v| p.version == v))
        .filter(|p| p.applies_from <= start)
        .max_by(|a, b| (a.applies_from, &a.version).cmp(&(b.applies_from, &b.version)))
}

/// The published minimum for an enrolment starting on `start` on a course of the standard
/// `standard` (code and version, if the course names one): the standard's value in force
/// then; else the course's own minimum setting (`own`: its hours and the course's code),
/// which a course without a published value keeps; else none.
pub fn published_minimum(
    published: &[PublishedStandard],
    standard: Option<(&str, Option<&str>)>,
    own: Option<(i32, &str)>,
    start: NaiveDate,
) -> Option<PublishedMinimum> {
    let from_standard =
        standard.and_then(|(code, version)| minimum_for(published, code, version, start));
    match (from_standard, own) {
        (Some(p), _) => Some(PublishedMinimum {
            hours: i64::from(p.otj_minimum_hours),
            source: p.source(),
        }),
        (None, Some((hours, course))) => Some(PublishedMinimum {
            hours: i64::from(hours),
            source: format!(
                "the course {course}'s own minimum setting (no published value for its standard at the start date)"
            ),
        }),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn a_row_is_checked_column_by_column() {
        let ok = PublishedStandard::parse(
            "ST0118",
            "1.0",
            " Engineering technician ",
            "360",
            "2025-08-01",
        );
        assert_eq!(
            ok,
            Ok(PublishedStandard {
                code: "ST0118".into(),
                version: "1.0".into(),
                title: "Engineering technician".into(),
                otj_minimum_hours: 360,
                applies_from: date(2025, 8, 1),
            })
        );
        let bad = PublishedStandard::parse("118", "v1", "", "-5", "1/8/2025").unwrap_err();
        let columns: Vec<&str> = bad.iter().map(|p| p.column).collect();
        assert_eq!(
            columns,
            [
                "code",
                "version",
                "title",
                "otj_minimum_hours",
                "applies_from"
            ]
        );
        assert!(is_standard_version("10.12") && !is_standard_version("1.0.1"));
    }

    /// "Starts Aug–Dec 2025 follow the transition list": the value in force at the start.
    #[test]
    fn the_value_in_force_at_the_start_date_applies() {
        let row = |hours, from| PublishedStandard {
            code: "ST0118".into(),
            version: "1.0".into(),
            title: "Engineering technician".into(),
            otj_minimum_hours: hours,
            applies_from: from,
        };
        let list = [row(400, date(2025, 8, 1)), row(360, date(2026, 1, 1))];
        assert_eq!(in_force_at(&list, date(2025, 7, 31)), None);
        assert_eq!(
            in_force_at(&list, date(2025, 9, 1)).map(|p| p.otj_minimum_hours),
            Some(400)
        );
        assert_eq!(
            in_force_at(&list, date(2025, 12, 31)).map(|p| p.otj_minimum_hours),
            Some(400)
        );
        assert_eq!(
            in_force_at(&list, date(2026, 1, 1)).map(|p| p.otj_minimum_hours),
            Some(360)
        );
        assert!(list[0].source().contains("standard ST0118 v1.0"));
    }

    #[test]
    fn the_standard_wins_over_the_courses_own_setting() {
        let list = [PublishedStandard {
            code: "ST0118".into(),
            version: "1.0".into(),
            title: "Engineering technician".into(),
            otj_minimum_hours: 400,
            applies_from: date(2025, 8, 1),
        }];
        let start = date(2025, 9, 1);
        let std = Some(("ST0118", Some("1.0")));
        assert_eq!(
            published_minimum(&list, std, Some((250, "ENG1")), start).map(|m| m.hours),
            Some(400)
        );
        let own = published_minimum(&list, std, Some((250, "ENG1")), date(2025, 7, 1)).unwrap();
        assert_eq!(own.hours, 250);
        assert!(
            own.source.contains("ENG1's own minimum setting"),
            "{}",
            own.source
        );
        assert_eq!(published_minimum(&list, None, None, start), None);
    }
}
