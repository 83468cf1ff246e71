//! Renders progress maps to real PDF files and reads them back with poppler's `pdftotext`
//! and `pdfinfo` (Debian package poppler-utils), as a person's PDF viewer would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use folio_pdf::{
    ComponentSection, CriterionLine, CriterionState, ProgressMapDoc, UnitSection, render,
};

/// Runs a poppler tool, failing with the install hint if it is missing.
fn poppler(tool: &str, args: &[&str], file: &Path) -> String {
    let output = Command::new(tool).args(args).arg(file).arg("-").output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{tool}` not found: these tests read the PDFs back with poppler; \
             run scripts/test-setup (it installs Debian's poppler-utils)"
        ),
        Err(e) => panic!("running {tool}: {e}"),
    };
    assert!(
        output.status.success(),
        "{tool} failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler prints UTF-8")
}

fn pdftotext(file: &Path) -> String {
    poppler("pdftotext", &["-layout", "-enc", "UTF-8"], file)
}

fn page_count(file: &Path) -> usize {
    // pdfinfo takes no "-" for output; it prints to stdout. Run it on the file alone.
    let output = Command::new("pdfinfo")
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("`pdfinfo` ({e}): run scripts/test-setup (it installs poppler-utils)")
        });
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let info = String::from_utf8_lossy(&output.stdout).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap_or_else(|| panic!("no page count in {info}"))
        .trim()
        .parse()
        .unwrap()
}

fn render_to_file(doc: &ProgressMapDoc) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    render(doc, file.as_file_mut()).unwrap();
    file
}

/// Text as pdftotext lays it out, with runs of spaces squeezed, so that a phrase that
/// wrapped within a cell is still found line by line.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn criterion(code: String, text: String, i: usize) -> CriterionLine {
    match i % 3 {
        0 => CriterionLine {
            code,
            text,
            state: CriterionState::SignedOff,
            evidence_count: 2,
            signed_off_on: Some("3 March 2026".into()),
        },
        1 => CriterionLine {
            code,
            text,
            state: CriterionState::Mapped,
            evidence_count: if i.is_multiple_of(2) { 1 } else { 2 },
            signed_off_on: None,
        },
        _ => CriterionLine {
            code,
            text,
            state: CriterionState::None,
            evidence_count: 0,
            signed_off_on: None,
        },
    }
}

/// Two components, six units (one optional), 330 criteria, some with long texts.
fn big_map() -> ProgressMapDoc {
    let mut n = 0;
    let mut components = Vec::new();
    for (c, component) in ["Knowledge, skills and behaviours", "Functional skills"]
        .iter()
        .enumerate()
    {
        let mut units = Vec::new();
        for u in 0..3 {
            let unit_code = format!("U{}{:02}", c + 1, u + 1);
            let mut criteria = Vec::new();
            for k in 0..55 {
                let code = format!("{}.{}", u + 1, k + 1);
                let text = if k % 7 == 0 {
                    format!(
                        "Criterion {n}: explain in detail how the organisation's policies and \
                         procedures for health, safety and wellbeing apply to their own role, \
                         including the legislation that underpins them, the responsibilities of \
                         employers and employees, how risks are assessed and recorded, and what \
                         to do when something goes wrong, giving examples from the workplace. {}",
                        "Further guidance for the assessor follows. ".repeat(6)
                    )
                } else {
                    format!("Criterion {n}: describe the purpose of item {k}")
                };
                criteria.push(criterion(code, text, n));
                n += 1;
            }
            units.push(UnitSection {
                code: unit_code,
                title: format!("Unit title {}-{}", c + 1, u + 1),
                optional: c == 0 && u == 2,
                criteria,
            });
        }
        components.push(ComponentSection {
            title: (*component).to_owned(),
            units,
        });
    }
    ProgressMapDoc {
        organisation: "Northfield Training Ltd".into(),
        learner_name: "Amira Okafor".into(),
        course_title: "Level 3 Business Administrator".into(),
        generated_at: "23 November 2026 14:05".into(),
        filter_note: None,
        overall: Some("110 of 330 criteria signed off (33.3%), 220 mapped (66.7%)".into()),
        components,
    }
}

#[test]
fn a_big_map_runs_over_many_pages_with_every_criterion_readable() {
    let doc = big_map();
    let file = render_to_file(&doc);
    let text = pdftotext(file.path());
    let flat = squeeze(&text);

    for expected in [
        "Progress map",
        "Northfield Training Ltd",
        "Amira Okafor",
        "Level 3 Business Administrator",
        "23 November 2026 14:05",
        "110 of 330 criteria signed off (33.3%), 220 mapped (66.7%)",
        "Knowledge, skills and behaviours",
        "Functional skills",
        "Signed off 3 March 2026",
        "Mapped (1 piece of evidence)",
        "Mapped (2 pieces of evidence)",
        "Not started",
    ] {
        assert!(
            flat.contains(expected),
            "{expected:?} missing from the PDF text"
        );
    }

    // Each unit's code and title, and "(optional)" on the optional one only.
    for component in &doc.components {
        for unit in &component.units {
            let heading = format!("{} {}", unit.code, unit.title);
            assert!(flat.contains(&heading), "unit heading {heading:?} missing");
            assert_eq!(
                flat.contains(&format!("{heading} (optional)")),
                unit.optional,
                "{heading}"
            );
        }
    }

    // Every criterion: its code at the start of a row, and its number in its text. Codes
    // repeat across units, so count them: each appears once per unit that has it.
    let units = doc.components.iter().map(|c| c.units.len()).sum::<usize>();
    for k in 1..=55 {
        for u in 1..=3 {
            let code = format!("{u}.{k}");
            let rows = text
                .lines()
                .filter(|l| l.trim_start().starts_with(&format!("{code} ")))
                .count();
            assert_eq!(rows, units / 3, "criterion {code} found in {rows} rows");
        }
    }
    for n in 0..330 {
        assert!(
            flat.contains(&format!("Criterion {n}:")),
            "criterion {n}'s text missing"
        );
    }
    // The long texts wrapped rather than ran off the page: their end is there too.
    assert!(flat.contains("giving examples from the workplace."));

    let pages = page_count(file.path());
    assert!(pages > 1, "{pages} pages");
    assert!(flat.contains(&format!("Page {pages} of {pages}")));
    // Units that run over a page say so at the top of the next.
    assert!(flat.contains("(continued)"));
}

#[test]
fn non_ascii_text_comes_out_right_or_transliterated() {
    let doc = ProgressMapDoc {
        organisation: "Café Société – Training £".into(),
        learner_name: "Zoë Brontë-Ødegård".into(),
        course_title: "Level 2 “Hospitality” — Team Member".into(),
        generated_at: "1 März 2026".into(),
        filter_note: Some("Only criteria not yet signed off".into()),
        overall: None,
        components: vec![ComponentSection {
            title: "Compétences".into(),
            units: vec![UnitSection {
                code: "Ü1".into(),
                title: "Façade €uro ‘quotes’".into(),
                optional: true,
                criteria: vec![
                    CriterionLine {
                        code: "1.1".into(),
                        text: "Łukasz’s Żółć: naïve coöperation, 5 × £3 ≥ ¥2 … 日本語 🎉".into(),
                        state: CriterionState::Mapped,
                        evidence_count: 3,
                        signed_off_on: None,
                    },
                    CriterionLine {
                        code: "1.2".into(),
                        text: "Control\u{0}chars\ttabs\r\nand\u{200B}zero-width\u{FEFF} and \u{10FFFF}".into(),
                        state: CriterionState::SignedOff,
                        evidence_count: 1,
                        signed_off_on: Some("1 Décembre 2025".into()),
                    },
                ],
            }],
        }],
    };
    let file = render_to_file(&doc);
    let flat = squeeze(&pdftotext(file.path()));
    for expected in [
        "Café Société – Training £",
        "Zoë Brontë-Ødegård",
        "Level 2 “Hospitality” — Team Member",
        "1 März 2026",
        "Only criteria not yet signed off",
        "Compétences",
        "Ü1 Façade €uro ‘quotes’ (optional)",
        // Outside the standard fonts' encoding: transliterated, not lost.
        "Lukasz’s Zólc: naïve coöperation, 5 × £3 >= ¥2 …",
        "Mapped (3 pieces of evidence)",
        "Signed off 1 Décembre 2025",
        "andzero-width and ?",
    ] {
        assert!(flat.contains(expected), "{expected:?} missing from {flat}");
    }
    assert_eq!(page_count(file.path()), 1);
}

#[test]
fn an_empty_filtered_map_still_renders() {
    let doc = ProgressMapDoc {
        organisation: "Org".into(),
        learner_name: "Learner".into(),
        course_title: "Course".into(),
        generated_at: "now".into(),
        filter_note: Some("Only criteria not yet signed off".into()),
        overall: None,
        components: Vec::new(),
    };
    let file = render_to_file(&doc);
    let flat = squeeze(&pdftotext(file.path()));
    assert!(flat.contains("No criteria to show."), "{flat}");
    assert_eq!(page_count(file.path()), 1);
}

#[test]
fn output_is_a_pdf_and_the_same_every_time() {
    let doc = big_map();
    let mut first = Vec::new();
    render(&doc, &mut first).unwrap();
    let mut second = Vec::new();
    render(&doc, &mut second).unwrap();
    assert!(first.starts_with(b"%PDF-"));
    assert_eq!(first, second);
    // Compressed: a few criteria per KiB, not a whole page per criterion.
    assert!(first.len() < 200 * 1024, "{} bytes", first.len());
}
