//! Lays a progress map out on A4 pages: a list of drawing operations per page, in PDF
//! points from the bottom-left corner. Nothing here writes PDF syntax.

use crate::text::{self, Font};
use crate::{CriterionLine, CriterionState, ProgressMapDoc, UnitSection};

/// A4 portrait, in points.
pub(crate) const PAGE_WIDTH: f32 = 595.276;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;

const MARGIN_X: f32 = 42.0;
const MARGIN_TOP: f32 = 40.0;
/// Content stops this far above the bottom edge; the footer sits below it.
const MARGIN_BOTTOM: f32 = 54.0;
const FOOTER_BASELINE: f32 = 30.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;

// The criteria table: reference, criterion text, state (a coloured mark, then words).
const CODE_X: f32 = MARGIN_X;
const CODE_WIDTH: f32 = 58.0;
const TEXT_X: f32 = CODE_X + CODE_WIDTH + 8.0;
const STATE_WIDTH: f32 = 150.0;
const STATE_X: f32 = MARGIN_X + CONTENT_WIDTH - STATE_WIDTH;
const TEXT_WIDTH: f32 = STATE_X - 12.0 - TEXT_X;
const MARK_SIZE: f32 = 7.0;
const STATE_TEXT_X: f32 = STATE_X + MARK_SIZE + 5.0;
const STATE_TEXT_WIDTH: f32 = STATE_WIDTH - MARK_SIZE - 5.0;

const BODY_SIZE: f32 = 9.0;
const BODY_LEADING: f32 = 11.5;
const ROW_PAD: f32 = 3.5;

/// A colour, each channel 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rgb(pub f32, pub f32, pub f32);

const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);
const GREY: Rgb = Rgb(0.4, 0.4, 0.4);
const RULE: Rgb = Rgb(0.82, 0.82, 0.82);
const HEADING_RULE: Rgb = Rgb(0.25, 0.25, 0.25);

/// The mark's colour and the words' colour for a state (DOMAIN.md: green, orange, red).
fn state_colours(state: CriterionState) -> (Rgb, Rgb) {
    match state {
        CriterionState::SignedOff => (Rgb(0.18, 0.62, 0.24), Rgb(0.08, 0.42, 0.13)),
        CriterionState::Mapped => (Rgb(0.96, 0.58, 0.1), Rgb(0.66, 0.36, 0.0)),
        CriterionState::None => (Rgb(0.84, 0.16, 0.16), Rgb(0.66, 0.08, 0.08)),
    }
}

/// One thing drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// One line of encoded text, `y` its baseline.
    Text {
        x: f32,
        y: f32,
        font: Font,
        size: f32,
        colour: Rgb,
        text: Vec<u8>,
    },
    /// A filled rectangle (also used for rules), `(x, y)` its bottom-left corner.
    Rect {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        colour: Rgb,
    },
}

/// Lays out the whole document; every page ends with its footer ("Page n of N").
pub(crate) fn lay_out(doc: &ProgressMapDoc) -> Vec<Vec<Op>> {
    let mut layout = Layout::new(doc);
    layout.title_block();
    if doc.components.iter().all(|c| c.units.is_empty()) {
        layout.paragraph(
            "No criteria to show.",
            Font::Regular,
            10.0,
            13.0,
            GREY,
            MARGIN_X,
        );
    }
    for component in &doc.components {
        layout.component(&component.title, &component.units);
    }
    layout.finish()
}

/// A cell's wrapped lines, ready to place.
struct Row {
    code: Vec<Vec<u8>>,
    text: Vec<Vec<u8>>,
    state: Vec<Vec<u8>>,
    state_kind: CriterionState,
}

impl Row {
    fn new(criterion: &CriterionLine) -> Self {
        Row {
            code: text::wrap(&criterion.code, Font::Bold, BODY_SIZE, CODE_WIDTH),
            text: text::wrap(&criterion.text, Font::Regular, BODY_SIZE, TEXT_WIDTH),
            state: text::wrap(
                &criterion.state_label(),
                Font::Regular,
                BODY_SIZE,
                STATE_TEXT_WIDTH,
            ),
            state_kind: criterion.state,
        }
    }

    fn lines(&self) -> usize {
        self.code
            .len()
            .max(self.text.len())
            .max(self.state.len())
            .max(1)
    }
}

fn row_height(lines: usize) -> f32 {
    lines as f32 * BODY_LEADING + 2.0 * ROW_PAD
}

struct Layout<'a> {
    doc: &'a ProgressMapDoc,
    pages: Vec<Vec<Op>>,
    /// The top of the space left on the current page.
    y: f32,
    /// While inside a unit: its heading, repeated (with the column headings) atop a new page.
    continuing: Option<String>,
}

impl<'a> Layout<'a> {
    fn new(doc: &'a ProgressMapDoc) -> Self {
        let mut layout = Layout {
            doc,
            pages: Vec::new(),
            y: 0.0,
            continuing: None,
        };
        layout.new_page();
        layout
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn push(&mut self, op: Op) {
        self.page().push(op);
    }

    fn text(&mut self, x: f32, baseline: f32, font: Font, size: f32, colour: Rgb, text: Vec<u8>) {
        self.push(Op::Text {
            x,
            y: baseline,
            font,
            size,
            colour,
            text,
        });
    }

    fn rule(&mut self, y: f32, thickness: f32, colour: Rgb) {
        self.push(Op::Rect {
            x: MARGIN_X,
            y,
            width: CONTENT_WIDTH,
            height: thickness,
            colour,
        });
    }

    fn room(&self) -> f32 {
        self.y - MARGIN_BOTTOM
    }

    /// Starts a page: a running header after the first, and the unit's headings again if a
    /// unit carries on here.
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE_HEIGHT - MARGIN_TOP;
        if self.pages.len() > 1 {
            let running = format!(
                "Progress map: {} \u{2013} {}",
                self.doc.learner_name, self.doc.course_title
            );
            let line = first_line(&running, Font::Regular, 8.0, CONTENT_WIDTH);
            self.text(MARGIN_X, self.y - 8.0, Font::Regular, 8.0, GREY, line);
            self.y -= 12.0;
            self.rule(self.y, 0.5, RULE);
            self.y -= 10.0;
            if let Some(heading) = self.continuing.clone() {
                let heading = format!("{heading} (continued)");
                let line = first_line(&heading, Font::Bold, 9.5, CONTENT_WIDTH);
                self.text(MARGIN_X, self.y - 9.5, Font::Bold, 9.5, BLACK, line);
                self.y -= 14.0;
                self.column_headings();
            }
        }
    }

    /// Makes sure `height` fits on this page, starting a new one if not.
    fn ensure(&mut self, height: f32) {
        if height > self.room() {
            self.new_page();
        }
    }

    /// Wrapped text from `x` to the right margin, a new page whenever a line does not fit.
    fn paragraph(&mut self, text: &str, font: Font, size: f32, leading: f32, colour: Rgb, x: f32) {
        for line in text::wrap(text, font, size, MARGIN_X + CONTENT_WIDTH - x) {
            self.ensure(leading);
            self.text(x, self.y - size, font, size, colour, line);
            self.y -= leading;
        }
    }

    fn title_block(&mut self) {
        let doc = self.doc;
        self.paragraph("Progress map", Font::Bold, 18.0, 22.0, BLACK, MARGIN_X);
        self.paragraph(&doc.organisation, Font::Regular, 11.0, 14.0, GREY, MARGIN_X);
        self.y -= 8.0;
        let mut fields = vec![
            ("Learner", doc.learner_name.as_str()),
            ("Course", doc.course_title.as_str()),
            ("Generated", doc.generated_at.as_str()),
        ];
        if let Some(note) = &doc.filter_note {
            fields.push(("Showing", note.as_str()));
        }
        if let Some(overall) = &doc.overall {
            fields.push(("Progress", overall.as_str()));
        }
        const LABEL_WIDTH: f32 = 70.0;
        for (label, value) in fields {
            let lines = text::wrap(value, Font::Regular, 10.0, CONTENT_WIDTH - LABEL_WIDTH);
            for (i, line) in lines.into_iter().enumerate() {
                self.ensure(13.0);
                if i == 0 {
                    self.text(
                        MARGIN_X,
                        self.y - 10.0,
                        Font::Bold,
                        10.0,
                        BLACK,
                        text::encode(label),
                    );
                }
                self.text(
                    MARGIN_X + LABEL_WIDTH,
                    self.y - 10.0,
                    Font::Regular,
                    10.0,
                    BLACK,
                    line,
                );
                self.y -= 13.0;
            }
        }
        // The key to the marks.
        self.y -= 6.0;
        self.ensure(14.0);
        let baseline = self.y - 9.0;
        let mut x = MARGIN_X;
        for (state, words) in [
            (CriterionState::SignedOff, "Signed off"),
            (
                CriterionState::Mapped,
                "Mapped: evidence, not yet signed off",
            ),
            (CriterionState::None, "Not started: no evidence"),
        ] {
            self.mark(x, baseline, state);
            let words = text::encode(words);
            let width = Font::Regular.width(&words, 8.5);
            self.text(
                x + MARK_SIZE + 4.0,
                baseline,
                Font::Regular,
                8.5,
                GREY,
                words,
            );
            x += MARK_SIZE + 4.0 + width + 16.0;
        }
        self.y -= 14.0;
    }

    /// A state's coloured square, sitting on `baseline`.
    fn mark(&mut self, x: f32, baseline: f32, state: CriterionState) {
        let (colour, _) = state_colours(state);
        self.push(Op::Rect {
            x,
            y: baseline - 0.5,
            width: MARK_SIZE,
            height: MARK_SIZE,
            colour,
        });
    }

    fn component(&mut self, title: &str, units: &[UnitSection]) {
        self.continuing = None;
        let lines = text::wrap(title, Font::Bold, 13.0, CONTENT_WIDTH);
        let heading = 14.0 + lines.len() as f32 * 16.0 + 4.0;
        // Keep the heading with the first unit's heading and first row.
        let next = units
            .first()
            .map_or(0.0, |u| self.unit_heading_height(u) + first_row_height(u));
        self.ensure(heading + next);
        self.y -= 14.0;
        for line in lines {
            self.text(MARGIN_X, self.y - 13.0, Font::Bold, 13.0, BLACK, line);
            self.y -= 16.0;
        }
        self.rule(self.y, 1.0, HEADING_RULE);
        self.y -= 4.0;
        if units.is_empty() {
            self.paragraph(
                "No criteria to show.",
                Font::Regular,
                BODY_SIZE,
                13.0,
                GREY,
                MARGIN_X,
            );
        }
        for unit in units {
            self.unit(unit);
        }
        self.continuing = None;
    }

    fn unit_label(unit: &UnitSection) -> String {
        let optional = if unit.optional { " (optional)" } else { "" };
        match (unit.code.trim(), unit.title.trim()) {
            ("", title) => format!("{title}{optional}"),
            (code, "") => format!("{code}{optional}"),
            (code, title) => format!("{code}  {title}{optional}"),
        }
    }

    fn unit_heading_lines(unit: &UnitSection) -> Vec<Vec<u8>> {
        text::wrap(&Self::unit_label(unit), Font::Bold, 10.5, CONTENT_WIDTH)
    }

    fn unit_heading_height(&self, unit: &UnitSection) -> f32 {
        10.0 + Self::unit_heading_lines(unit).len() as f32 * 13.0 + COLUMN_HEADINGS_HEIGHT
    }

    fn unit(&mut self, unit: &UnitSection) {
        self.continuing = None;
        // A heading never ends a page: keep it with the first row (or as much of it as fits
        // on a fresh page, for a criterion longer than a page).
        let needed = (self.unit_heading_height(unit) + first_row_height(unit))
            .min(PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM - 60.0);
        self.ensure(needed);
        self.y -= 10.0;
        for line in Self::unit_heading_lines(unit) {
            self.text(MARGIN_X, self.y - 10.5, Font::Bold, 10.5, BLACK, line);
            self.y -= 13.0;
        }
        self.column_headings();
        self.continuing = Some(Self::unit_label(unit));
        if unit.criteria.is_empty() {
            let line = text::encode("No criteria to show.");
            self.ensure(row_height(1));
            self.text(
                TEXT_X,
                self.y - ROW_PAD - BODY_SIZE,
                Font::Regular,
                BODY_SIZE,
                GREY,
                line,
            );
            self.y -= row_height(1);
        }
        for criterion in &unit.criteria {
            self.row(&Row::new(criterion));
        }
        self.continuing = None;
    }

    fn column_headings(&mut self) {
        let baseline = self.y - 3.0 - 8.0;
        for (x, words) in [(CODE_X, "Ref"), (TEXT_X, "Criterion"), (STATE_X, "State")] {
            self.text(x, baseline, Font::Bold, 8.0, GREY, text::encode(words));
        }
        self.y -= 14.0;
        self.rule(self.y, 0.75, GREY);
    }

    /// Places one criterion; a row moves whole to the next page if it fits there, and only a
    /// row taller than a page is split (its lines carry on, the headings repeated).
    fn row(&mut self, row: &Row) {
        let lines = row.lines();
        if row_height(lines) > self.room() && row_height(lines) <= fresh_page_room() {
            self.new_page();
        }
        let mut done = 0;
        while done < lines {
            let fit = ((self.room() - 2.0 * ROW_PAD) / BODY_LEADING).floor();
            let fit = if fit >= 1.0 { fit as usize } else { 0 };
            if fit == 0 {
                self.new_page();
                continue;
            }
            let take = fit.min(lines - done);
            self.row_part(row, done, take);
            done += take;
            if done < lines {
                self.new_page();
            }
        }
    }

    /// Lines `from..from + count` of a row, at the top of the space left.
    fn row_part(&mut self, row: &Row, from: usize, count: usize) {
        let top = self.y - ROW_PAD;
        for i in 0..count {
            let baseline = top - BODY_SIZE - i as f32 * BODY_LEADING;
            let (_, words) = state_colours(row.state_kind);
            for (x, font, colour, cell) in [
                (CODE_X, Font::Bold, BLACK, &row.code),
                (TEXT_X, Font::Regular, BLACK, &row.text),
                (STATE_TEXT_X, Font::Regular, words, &row.state),
            ] {
                if let Some(line) = cell.get(from + i) {
                    self.text(x, baseline, font, BODY_SIZE, colour, line.clone());
                }
            }
            if from + i == 0 {
                self.mark(STATE_X, baseline, row.state_kind);
            }
        }
        self.y -= row_height(count);
        self.rule(self.y, 0.4, RULE);
    }

    /// Adds each page's footer, now that the number of pages is known.
    fn finish(mut self) -> Vec<Vec<Op>> {
        let total = self.pages.len();
        let left = format!(
            "{} \u{00B7} generated {}",
            self.doc.organisation, self.doc.generated_at
        );
        for (i, page) in self.pages.iter_mut().enumerate() {
            let number = text::encode(&format!("Page {} of {}", i + 1, total));
            let number_width = Font::Regular.width(&number, 7.5);
            let left = first_line(
                &left,
                Font::Regular,
                7.5,
                CONTENT_WIDTH - number_width - 20.0,
            );
            page.push(Op::Rect {
                x: MARGIN_X,
                y: FOOTER_BASELINE + 11.0,
                width: CONTENT_WIDTH,
                height: 0.5,
                colour: RULE,
            });
            page.push(Op::Text {
                x: MARGIN_X,
                y: FOOTER_BASELINE,
                font: Font::Regular,
                size: 7.5,
                colour: GREY,
                text: left,
            });
            page.push(Op::Text {
                x: MARGIN_X + CONTENT_WIDTH - number_width,
                y: FOOTER_BASELINE,
                font: Font::Regular,
                size: 7.5,
                colour: GREY,
                text: number,
            });
        }
        self.pages
    }
}

const COLUMN_HEADINGS_HEIGHT: f32 = 14.0;

fn first_row_height(unit: &UnitSection) -> f32 {
    unit.criteria
        .first()
        .map_or(row_height(1), |c| row_height(Row::new(c).lines()))
}

/// The room for rows on a page that continues a unit (below the running header, the unit's
/// heading and the column headings).
fn fresh_page_room() -> f32 {
    PAGE_HEIGHT - MARGIN_TOP - 22.0 - 14.0 - COLUMN_HEADINGS_HEIGHT - MARGIN_BOTTOM
}

/// The first wrapped line of `text`, with "..." if more was cut.
fn first_line(text: &str, font: Font, size: f32, width: f32) -> Vec<u8> {
    let mut lines = text::wrap(text, font, size, width - font.width(b"...", size)).into_iter();
    let mut first = lines.next().unwrap_or_default();
    if lines.next().is_some() {
        first.extend_from_slice(b"...");
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ComponentSection;

    fn doc(criteria: Vec<CriterionLine>) -> ProgressMapDoc {
        ProgressMapDoc {
            organisation: "Org".into(),
            learner_name: "Learner".into(),
            course_title: "Course".into(),
            generated_at: "today".into(),
            filter_note: None,
            overall: None,
            components: vec![ComponentSection {
                title: "Component".into(),
                units: vec![UnitSection {
                    code: "U1".into(),
                    title: "Unit".into(),
                    optional: false,
                    criteria,
                }],
            }],
        }
    }

    fn criterion(text: &str) -> CriterionLine {
        CriterionLine {
            code: "1.1".into(),
            text: text.into(),
            state: CriterionState::None,
            evidence_count: 0,
            signed_off_on: None,
        }
    }

    /// Every text and shape stays inside the page, clear of the footer.
    fn assert_inside(pages: &[Vec<Op>]) {
        for (n, page) in pages.iter().enumerate() {
            // The footer is the last three ops.
            for op in &page[..page.len() - 3] {
                let (x, y) = match op {
                    Op::Text { x, y, .. } | Op::Rect { x, y, .. } => (*x, *y),
                };
                assert!(
                    y >= MARGIN_BOTTOM - 3.0,
                    "page {n}: {op:?} below the margin"
                );
                assert!(
                    y <= PAGE_HEIGHT - MARGIN_TOP,
                    "page {n}: {op:?} above the margin"
                );
                assert!(
                    (MARGIN_X..PAGE_WIDTH - MARGIN_X).contains(&x),
                    "page {n}: {op:?}"
                );
            }
            for op in page {
                if let Op::Text {
                    x,
                    font,
                    size,
                    text,
                    ..
                } = op
                {
                    assert!(
                        x + font.width(text, *size) <= PAGE_WIDTH - MARGIN_X + 0.01,
                        "{op:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_criterion_longer_than_a_page_carries_on_over_pages() {
        let long = "word ".repeat(3000);
        let pages = lay_out(&doc(vec![
            criterion("short"),
            criterion(&long),
            criterion("end"),
        ]));
        assert!(pages.len() >= 3, "{} pages", pages.len());
        assert_inside(&pages);
    }

    #[test]
    fn many_criteria_fill_many_pages_inside_the_margins() {
        let criteria = (0..400)
            .map(|i| criterion(&"text ".repeat(i % 60)))
            .collect();
        let pages = lay_out(&doc(criteria));
        assert!(pages.len() > 10);
        assert_inside(&pages);
    }

    #[test]
    fn an_empty_map_is_one_page() {
        let mut empty = doc(Vec::new());
        empty.components.clear();
        assert_eq!(lay_out(&empty).len(), 1);
    }
}
