//! Bulk import of a whole course, from JSON or from CSV.
//!
//! Both formats are checked completely before anything is written, and every problem is
//! reported at once: an admin fixing a spreadsheet of hundreds of rows should not have to
//! upload it once per mistake. JSON problems are named by path
//! (`components[0].units[2].code`), CSV problems by data row and column
//! (`rows[3].unit_code`, row 1 being the first row after the header).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use folio_app::curriculum::{CourseDetails, NewComponent, NewCriterion, NewUnit};
use folio_domain::{
    ComponentTitle, CourseTitle, CriterionText, CurriculumCode, OptionalGroup, UnitKind, UnitTitle,
};
use poem_openapi::Object;
use serde::Deserialize;

use super::course_details;
use crate::problem::{AppError, AppResult, Fields};

/// A validated import: the new course and its structure, in order.
#[derive(Debug)]
pub struct CourseImport {
    /// The course's own fields.
    pub details: CourseDetails,
    /// Its components, each with its units and their criteria.
    pub components: Vec<NewComponent>,
}

/// A whole course to import; positions follow the order of the arrays.
#[derive(Debug, Object, Deserialize)]
pub struct ImportCourseRequest {
    /// Code, unique in the organisation.
    code: String,
    /// Title.
    title: String,
    /// What the course is about.
    description: Option<String>,
    /// Off-the-job training required, in hours.
    off_the_job_minimum_hours: Option<i64>,
    /// Components (aims); leave out for an empty course.
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::json_body::null_as_default")]
    components: Vec<ImportComponent>,
}

/// A component to import.
#[derive(Debug, Object, Deserialize)]
pub struct ImportComponent {
    /// Title, unique in the course.
    title: String,
    /// Units.
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::json_body::null_as_default")]
    units: Vec<ImportUnit>,
}

/// A unit to import.
#[derive(Debug, Object, Deserialize)]
pub struct ImportUnit {
    /// Code, unique in the component.
    code: String,
    /// Title.
    title: String,
    /// Chosen per learner (default: taken by all).
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::json_body::null_as_default")]
    optional: bool,
    /// The group an optional unit is chosen from.
    optional_group: Option<String>,
    /// Criteria.
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::json_body::null_as_default")]
    criteria: Vec<ImportCriterion>,
}

/// A criterion to import.
#[derive(Debug, Object, Deserialize)]
pub struct ImportCriterion {
    /// Code, unique in the unit.
    code: String,
    /// What it asks of the learner (may span lines).
    text: String,
}

/// Notes a duplicate: `key` was first seen at `first` (returned as the error's wording).
fn first_seen<'a>(seen: &'a mut HashMap<String, String>, key: &str, at: &str) -> Option<&'a str> {
    match seen.entry(key.to_owned()) {
        Entry::Occupied(first) => Some(first.into_mut().as_str()),
        Entry::Vacant(slot) => {
            slot.insert(at.to_owned());
            None
        }
    }
}

/// Checks a JSON import, naming every problem by its path.
pub fn from_json(request: ImportCourseRequest) -> AppResult<CourseImport> {
    let mut fields = Fields::default();
    let details = course_details(
        &mut fields,
        &request.code,
        &request.title,
        request.description.as_deref(),
        request.off_the_job_minimum_hours,
    );
    let mut components = Vec::new();
    let mut titles = HashMap::new();
    let mut criteria_count = 0;
    for (i, component) in request.components.iter().enumerate() {
        let at = format!("components[{i}]");
        let title = fields.check(
            &format!("{at}.title"),
            ComponentTitle::parse(&component.title),
        );
        if let Some(title) = &title
            && let Some(first) = first_seen(&mut titles, title.as_str(), &format!("{at}.title"))
        {
            fields.add(format!("{at}.title"), format!("duplicates {first}"));
        }
        let mut units = Vec::new();
        let mut codes = HashMap::new();
        for (j, unit) in component.units.iter().enumerate() {
            let at = format!("{at}.units[{j}]");
            criteria_count += unit.criteria.len();
            let unit = json_unit(&mut fields, &at, unit, &mut codes);
            units.push(unit);
        }
        components.push(
            title
                .zip(units.into_iter().collect::<Option<Vec<_>>>())
                .map(|(title, units)| NewComponent { title, units }),
        );
    }
    // Components without a single criterion are almost certainly a mistaken file (e.g.
    // the wrong sheet); an empty course is made by leaving components out altogether.
    fields.require(
        "components",
        request.components.is_empty() || criteria_count > 0,
        "hold no criteria: leave components out to create an empty course",
    );
    fields.finish()?;
    match (details, components.into_iter().collect::<Option<Vec<_>>>()) {
        (Some(details), Some(components)) => Ok(CourseImport {
            details,
            components,
        }),
        _ => Err(AppError::Internal("validated import incomplete".into())),
    }
}

fn json_unit(
    fields: &mut Fields,
    at: &str,
    unit: &ImportUnit,
    codes: &mut HashMap<String, String>,
) -> Option<NewUnit> {
    let code = fields.check(&format!("{at}.code"), CurriculumCode::parse(&unit.code));
    if let Some(code) = &code
        && let Some(first) = first_seen(codes, code.as_str(), &format!("{at}.code"))
    {
        fields.add(format!("{at}.code"), format!("duplicates {first}"));
    }
    let title = fields.check(&format!("{at}.title"), UnitTitle::parse(&unit.title));
    let kind = fields
        .check(
            &format!("{at}.optional_group"),
            OptionalGroup::parse_optional(unit.optional_group.as_deref()),
        )
        .and_then(|group| {
            fields.check(
                &format!("{at}.optional_group"),
                UnitKind::new(unit.optional, group),
            )
        });
    let mut criteria = Vec::new();
    let mut criterion_codes = HashMap::new();
    for (k, criterion) in unit.criteria.iter().enumerate() {
        let at = format!("{at}.criteria[{k}]");
        let code = fields.check(
            &format!("{at}.code"),
            CurriculumCode::parse(&criterion.code),
        );
        if let Some(code) = &code
            && let Some(first) =
                first_seen(&mut criterion_codes, code.as_str(), &format!("{at}.code"))
        {
            fields.add(format!("{at}.code"), format!("duplicates {first}"));
        }
        let text = fields.check(&format!("{at}.text"), CriterionText::parse(&criterion.text));
        criteria.push(
            code.zip(text)
                .map(|(code, text)| NewCriterion { code, text }),
        );
    }
    let criteria = criteria.into_iter().collect::<Option<Vec<_>>>()?;
    Some(NewUnit {
        code: code?,
        title: title?,
        kind: kind?,
        criteria,
    })
}

/// The columns of a CSV import, in any order.
const CSV_COLUMNS: [&str; 9] = [
    "course_code",
    "course_title",
    "component",
    "unit_code",
    "unit_title",
    "unit_optional",
    "optional_group",
    "criterion_code",
    "criterion_text",
];

/// Columns that may be left out when no unit is optional.
const OPTIONAL_CSV_COLUMNS: [&str; 2] = ["unit_optional", "optional_group"];

/// Where each column is in the file.
struct Columns(HashMap<&'static str, usize>);

impl Columns {
    /// Reads the header row: every required column once, nothing unknown (a misspelt
    /// `optional_group` column would otherwise be ignored without a word).
    fn from_header(header: &csv::StringRecord, fields: &mut Fields) -> Option<Self> {
        let mut found = HashMap::new();
        let mut ok = true;
        for (index, raw) in header.iter().enumerate() {
            let name = raw.trim_start_matches('\u{feff}').trim().to_lowercase();
            match CSV_COLUMNS.iter().find(|c| **c == name) {
                Some(column) => {
                    if found.insert(*column, index).is_some() {
                        fields.add("header", format!("column `{column}` appears twice"));
                        ok = false;
                    }
                }
                None => {
                    fields.add(
                        "header",
                        format!(
                            "unknown column `{name}`; the columns are {}",
                            CSV_COLUMNS.join(", ")
                        ),
                    );
                    ok = false;
                }
            }
        }
        for column in CSV_COLUMNS {
            if !OPTIONAL_CSV_COLUMNS.contains(&column) && !found.contains_key(column) {
                fields.add("header", format!("column `{column}` is missing"));
                ok = false;
            }
        }
        ok.then_some(Self(found))
    }

    /// The cell of `column` in `record` (empty for a missing optional column).
    fn cell<'r>(&self, record: &'r csv::StringRecord, column: &str) -> &'r str {
        self.0
            .get(column)
            .and_then(|&i| record.get(i))
            .unwrap_or("")
    }
}

/// `unit_optional` as people type it in a spreadsheet.
fn yes_no(raw: &str) -> Result<bool, &'static str> {
    match raw.trim().to_lowercase().as_str() {
        "" | "no" | "false" => Ok(false),
        "yes" | "true" => Ok(true),
        _ => Err("must be yes, no, true, false or blank"),
    }
}

/// One valid CSV row, its cells parsed.
struct CsvRow {
    component: ComponentTitle,
    unit_code: CurriculumCode,
    unit_title: UnitTitle,
    kind: UnitKind,
    criterion: NewCriterion,
}

/// A unit being assembled from rows, with the row that introduced it.
struct UnitDraft {
    first_row: usize,
    unit: NewUnit,
    criterion_rows: HashMap<String, usize>,
}

/// A component being assembled from rows.
struct ComponentDraft {
    title: ComponentTitle,
    units: Vec<UnitDraft>,
    unit_index: HashMap<String, usize>,
}

/// Checks a CSV import (a header row, then one row per criterion), naming every problem
/// by row and column. Components and units are listed in the order they first appear.
pub fn from_csv(text: &str) -> AppResult<CourseImport> {
    let mut fields = Fields::default();
    // Flexible, so that a short row is one reported problem rather than the end of parsing.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => return Err(AppError::invalid("header", e)),
        None => {
            return Err(AppError::invalid(
                "body",
                "is empty: send a header row, then one row per criterion",
            ));
        }
    };
    let Some(columns) = Columns::from_header(&header, &mut fields) else {
        fields.finish()?;
        return Err(AppError::Internal("header refused without a reason".into()));
    };
    let mut course: Option<(usize, String, String)> = None;
    let mut details = None;
    let mut components: Vec<ComponentDraft> = Vec::new();
    let mut component_index: HashMap<String, usize> = HashMap::new();
    let mut data_rows = 0;
    for (i, record) in records.enumerate() {
        let n = i + 1;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                fields.add(format!("rows[{n}]"), e);
                continue;
            }
        };
        // Spreadsheets export trailing rows of empty cells; they are not data.
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        data_rows += 1;
        if record.len() != header.len() {
            fields.add(
                format!("rows[{n}]"),
                format!(
                    "has {} fields; the header has {}",
                    record.len(),
                    header.len()
                ),
            );
            continue;
        }
        let code = columns.cell(&record, "course_code").trim();
        let title = columns.cell(&record, "course_title").trim();
        match &course {
            None => {
                course = Some((n, code.to_owned(), title.to_owned()));
                let code = fields.check(
                    &format!("rows[{n}].course_code"),
                    CurriculumCode::parse(code),
                );
                let title = fields.check(
                    &format!("rows[{n}].course_title"),
                    CourseTitle::parse(title),
                );
                details = code.zip(title).map(|(code, title)| CourseDetails {
                    code,
                    title,
                    description: None,
                    off_the_job_minimum_hours: None,
                    standard: None,
                });
            }
            Some((first, first_code, first_title)) => {
                if code != first_code {
                    fields.add(
                        format!("rows[{n}].course_code"),
                        format!("must be the same on every row (row {first} has `{first_code}`)"),
                    );
                }
                if title != first_title {
                    fields.add(
                        format!("rows[{n}].course_title"),
                        format!("must be the same on every row (row {first} has `{first_title}`)"),
                    );
                }
            }
        }
        let Some(row) = csv_row(&mut fields, n, &columns, &record) else {
            continue;
        };
        let c = *component_index
            .entry(row.component.as_str().to_owned())
            .or_insert_with(|| {
                components.push(ComponentDraft {
                    title: row.component.clone(),
                    units: Vec::new(),
                    unit_index: HashMap::new(),
                });
                components.len() - 1
            });
        let component = &mut components[c];
        let u = match component.unit_index.get(row.unit_code.as_str()) {
            Some(&u) => {
                let draft = &component.units[u];
                let first = draft.first_row;
                let code = draft.unit.code.as_str();
                if draft.unit.title != row.unit_title {
                    fields.add(
                        format!("rows[{n}].unit_title"),
                        format!("differs from row {first}, which gives unit `{code}` its title"),
                    );
                }
                if draft.unit.kind.is_optional() != row.kind.is_optional() {
                    fields.add(
                        format!("rows[{n}].unit_optional"),
                        format!("differs from row {first} for unit `{code}`"),
                    );
                } else if draft.unit.kind != row.kind {
                    fields.add(
                        format!("rows[{n}].optional_group"),
                        format!("differs from row {first} for unit `{code}`"),
                    );
                }
                u
            }
            None => {
                component
                    .unit_index
                    .insert(row.unit_code.as_str().to_owned(), component.units.len());
                component.units.push(UnitDraft {
                    first_row: n,
                    unit: NewUnit {
                        code: row.unit_code,
                        title: row.unit_title,
                        kind: row.kind,
                        criteria: Vec::new(),
                    },
                    criterion_rows: HashMap::new(),
                });
                component.units.len() - 1
            }
        };
        let draft = &mut component.units[u];
        match draft
            .criterion_rows
            .entry(row.criterion.code.as_str().to_owned())
        {
            Entry::Occupied(first) => fields.add(
                format!("rows[{n}].criterion_code"),
                format!(
                    "duplicates row {} in unit `{}`",
                    first.get(),
                    draft.unit.code.as_str()
                ),
            ),
            Entry::Vacant(slot) => {
                slot.insert(n);
                draft.unit.criteria.push(row.criterion);
            }
        }
    }
    fields.require(
        "rows",
        data_rows > 0,
        "there are none: add one row per criterion below the header",
    );
    fields.finish()?;
    let details = details.ok_or_else(|| AppError::Internal("course row missing".into()))?;
    Ok(CourseImport {
        details,
        components: components
            .into_iter()
            .map(|c| NewComponent {
                title: c.title,
                units: c.units.into_iter().map(|u| u.unit).collect(),
            })
            .collect(),
    })
}

/// Parses the cells of one row below the course columns; `None` if any is invalid.
fn csv_row(
    fields: &mut Fields,
    n: usize,
    columns: &Columns,
    record: &csv::StringRecord,
) -> Option<CsvRow> {
    let cell = |column: &str| columns.cell(record, column);
    let at = |column: &str| format!("rows[{n}].{column}");
    let component = fields.check(&at("component"), ComponentTitle::parse(cell("component")));
    let unit_code = fields.check(&at("unit_code"), CurriculumCode::parse(cell("unit_code")));
    let unit_title = fields.check(&at("unit_title"), UnitTitle::parse(cell("unit_title")));
    let optional = fields.check(&at("unit_optional"), yes_no(cell("unit_optional")));
    let group = fields.check(
        &at("optional_group"),
        OptionalGroup::parse_optional(Some(cell("optional_group"))),
    );
    let kind = match (optional, group) {
        (Some(optional), Some(group)) => {
            fields.check(&at("optional_group"), UnitKind::new(optional, group))
        }
        _ => None,
    };
    let criterion_code = fields.check(
        &at("criterion_code"),
        CurriculumCode::parse(cell("criterion_code")),
    );
    let criterion_text = fields.check(
        &at("criterion_text"),
        CriterionText::parse(cell("criterion_text")),
    );
    Some(CsvRow {
        component: component?,
        unit_code: unit_code?,
        unit_title: unit_title?,
        kind: kind?,
        criterion: NewCriterion {
            code: criterion_code?,
            text: criterion_text?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::FieldError;

    const HEADER: &str = "course_code,course_title,component,unit_code,unit_title,unit_optional,optional_group,criterion_code,criterion_text\n";

    fn errors(result: AppResult<CourseImport>) -> Vec<FieldError> {
        match result {
            Err(AppError::Validation(errors)) => errors,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn field_names(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn rows_group_into_components_and_units_in_order_of_appearance() {
        let csv = format!(
            "{HEADER}\
             ST1,Engineer,Diploma,U1,Safety,no,,1.1,\"Identify hazards, risks\"\n\
             ST1,Engineer,Diploma,U2,Tools,yes,Group A,2.1,\"Select tools:\n- hand\n- power\"\n\
             ST1,Engineer,Maths,M1,Number,,,1,Fractions\n\
             ST1,Engineer,Diploma,U1,Safety,NO,,1.2,Report hazards\n\
             ,,,,,,,,\n"
        );
        let import = from_csv(&csv).unwrap();
        assert_eq!(import.details.code.as_str(), "ST1");
        assert_eq!(import.details.title.as_str(), "Engineer");
        let titles: Vec<_> = import.components.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["Diploma", "Maths"]);
        let diploma = &import.components[0];
        let units: Vec<_> = diploma.units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(units, ["U1", "U2"]);
        let u1: Vec<_> = diploma.units[0]
            .criteria
            .iter()
            .map(|c| (c.code.as_str(), c.text.as_str()))
            .collect();
        assert_eq!(
            u1,
            [
                ("1.1", "Identify hazards, risks"),
                ("1.2", "Report hazards")
            ]
        );
        assert_eq!(diploma.units[0].kind, UnitKind::Mandatory);
        assert_eq!(diploma.units[1].kind.group(), Some("Group A"));
        assert_eq!(
            diploma.units[1].criteria[0].text.as_str(),
            "Select tools:\n- hand\n- power"
        );
    }

    #[test]
    fn columns_may_come_in_any_order_with_a_bom_and_without_the_optional_ones() {
        let csv = "\u{feff}Criterion_Text, criterion_code ,unit_title,unit_code,component,course_title,course_code\r\n\
                   Do it,1,Unit,U1,Comp,Course,C1\r\n";
        let import = from_csv(csv).unwrap();
        let unit = &import.components[0].units[0];
        assert_eq!(unit.code.as_str(), "U1");
        assert_eq!(unit.kind, UnitKind::Mandatory);
        assert_eq!(unit.criteria[0].text.as_str(), "Do it");
    }

    #[test]
    fn every_problem_is_reported_by_row_and_column() {
        let long = "x".repeat(2001);
        let csv = format!(
            "{HEADER}\
             ST1,Engineer,Diploma,U1,Safety,no,,1.1,Fine\n\
             ST2,Engineer,Diploma,U1,Safety,maybe,,1.2,Fine\n\
             ST1,Engineer,Diploma,U1,Other title,no,,1.1,Duplicate code\n\
             ST1,Engineer,Diploma,,Safety,no,Group,1.3,{long}\n\
             ST1,Engineer,Diploma,U2\n\
             ST1,Engineer,Diploma,U3,Three,no,Group C,3.1,Grouped but mandatory\n"
        );
        let errors = errors(from_csv(&csv));
        assert_eq!(
            field_names(&errors),
            [
                "rows[2].course_code",
                "rows[2].unit_optional",
                "rows[3].unit_title",
                "rows[3].criterion_code",
                "rows[4].unit_code",
                "rows[4].optional_group",
                "rows[4].criterion_text",
                "rows[5]",
                "rows[6].optional_group",
            ],
            "{errors:?}"
        );
        assert!(errors[0].detail.contains("row 1 has `ST1`"), "{errors:?}");
        assert!(errors[3].detail.contains("duplicates row 1"), "{errors:?}");
    }

    #[test]
    fn header_problems_are_all_named() {
        let errors = errors(from_csv(
            "course_code,course_title,component,unit_code,unit_code,critrion_text\n",
        ));
        let details: Vec<_> = errors.iter().map(|e| e.detail.as_str()).collect();
        assert!(errors.iter().all(|e| e.field == "header"), "{errors:?}");
        assert!(
            details
                .iter()
                .any(|d| d.contains("`unit_code` appears twice"))
        );
        assert!(
            details
                .iter()
                .any(|d| d.contains("unknown column `critrion_text`"))
        );
        assert!(
            details
                .iter()
                .any(|d| d.contains("`unit_title` is missing"))
        );
        assert!(
            details
                .iter()
                .any(|d| d.contains("`criterion_code` is missing"))
        );
        assert!(
            details
                .iter()
                .any(|d| d.contains("`criterion_text` is missing"))
        );
    }

    #[test]
    fn empty_files_and_files_without_rows_are_refused() {
        assert_eq!(field_names(&errors(from_csv(""))), ["body"]);
        assert_eq!(field_names(&errors(from_csv(HEADER))), ["rows"]);
    }

    #[test]
    fn the_first_rows_bad_course_fields_are_named_by_column() {
        let errors = errors(from_csv(&format!("{HEADER} ,,Comp,U1,Unit,,,1,Do it\n")));
        assert_eq!(
            field_names(&errors),
            ["rows[1].course_code", "rows[1].course_title"]
        );
    }

    fn json(value: serde_json::Value) -> AppResult<CourseImport> {
        from_json(serde_json::from_value(value).unwrap())
    }

    #[test]
    fn json_problems_are_named_by_path() {
        let errors = errors(json(serde_json::json!({
            "code": "ST1", "title": "Engineer", "off_the_job_minimum_hours": -5,
            "components": [
                { "title": "Diploma", "units": [
                    { "code": "U1", "title": "Safety", "criteria": [
                        { "code": "1.1", "text": "Fine" },
                        { "code": "1.1", "text": "Again" }
                    ]},
                    { "code": "U1", "title": "", "optional_group": "G", "criteria": [] }
                ]},
                { "title": "Diploma", "units": [] }
            ]
        })));
        assert_eq!(
            field_names(&errors),
            [
                "off_the_job_minimum_hours",
                "components[0].units[0].criteria[1].code",
                "components[0].units[1].code",
                "components[0].units[1].title",
                "components[0].units[1].optional_group",
                "components[1].title",
            ],
            "{errors:?}"
        );
        assert_eq!(errors[2].detail, "duplicates components[0].units[0].code");
    }

    #[test]
    fn components_without_criteria_are_refused_but_no_components_is_an_empty_course() {
        let errors = errors(json(serde_json::json!({
            "code": "ST1", "title": "Engineer",
            "components": [{ "title": "Diploma", "units": [{ "code": "U1", "title": "Safety" }] }]
        })));
        assert_eq!(field_names(&errors), ["components"]);
        let empty = json(serde_json::json!({ "code": "ST1", "title": "Engineer" })).unwrap();
        assert!(empty.components.is_empty());
    }
}
