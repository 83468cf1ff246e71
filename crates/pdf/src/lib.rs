//! Folio's PDF exports. Today one: the learner's **progress map** (gap analysis), every
//! criterion with its state per unit and component (DOMAIN.md, "Evidence and progress").
//!
//! The caller (the API) fetches the map, applies any filter, formats dates and fills a
//! [`ProgressMapDoc`]; [`render`] lays it out on A4 pages and writes the PDF. This crate
//! knows no database. Text is set in the PDF standard fonts Helvetica and Helvetica-Bold
//! (nothing embedded, nothing read from the system), so it is real, searchable and
//! extractable text; characters those fonts' encoding lacks are transliterated (see
//! [`render`]).

pub mod drawer;
mod layout;
mod metrics;
pub mod preview;
mod text;

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
pub use folio_domain::progress::CriterionState;
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::layout::{Op, PAGE_HEIGHT, PAGE_WIDTH, Rgb};
use crate::text::Font;

/// A learner's progress map, ready to print: all text already formatted by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressMapDoc {
    /// The provider's name, shown at the top and in every page's footer.
    pub organisation: String,
    pub learner_name: String,
    pub course_title: String,
    /// When the map was produced, already formatted (e.g. "3 March 2026 14:05").
    pub generated_at: String,
    /// What was left out, if the map is filtered (e.g. "Only criteria not yet signed off").
    pub filter_note: Option<String>,
    /// The overall figures, e.g. "12 of 40 criteria signed off (30%), 20 mapped (50%)".
    pub overall: Option<String>,
    pub components: Vec<ComponentSection>,
}

/// One component of the programme (e.g. "Knowledge, skills and behaviours").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSection {
    pub title: String,
    pub units: Vec<UnitSection>,
}

/// One unit of a component, with its criteria in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSection {
    pub code: String,
    pub title: String,
    /// An optional unit is marked "(optional)" after its title.
    pub optional: bool,
    pub criteria: Vec<CriterionLine>,
}

/// One criterion and where the learner stands on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionLine {
    pub code: String,
    pub text: String,
    pub state: CriterionState,
    /// Pieces of evidence mapped to the criterion.
    pub evidence_count: usize,
    /// The sign-off date, already formatted (e.g. "3 March 2026"), for a signed-off one.
    pub signed_off_on: Option<String>,
}

impl CriterionLine {
    /// The state in words, as printed: "Signed off 3 March 2026", "Mapped (2 pieces of
    /// evidence)", "Not started". A signed-off criterion without a date reads "Signed off".
    pub fn state_label(&self) -> String {
        match self.state {
            CriterionState::SignedOff => match &self.signed_off_on {
                Some(date) if !date.trim().is_empty() => format!("Signed off {}", date.trim()),
                _ => "Signed off".to_owned(),
            },
            CriterionState::Mapped => match self.evidence_count {
                1 => "Mapped (1 piece of evidence)".to_owned(),
                // A mapping whose count the caller did not know.
                0 => "Mapped".to_owned(),
                n => format!("Mapped ({n} pieces of evidence)"),
            },
            CriterionState::None => "Not started".to_owned(),
        }
    }
}

/// Why rendering failed. Laying out cannot fail; only writing to `out` can.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    #[error("writing the PDF: {0}")]
    Io(#[from] std::io::Error),
}

/// Renders `doc` as a PDF (A4 portrait) and writes it to `out`.
///
/// Long maps run over as many pages as they need: a page that continues a unit repeats the
/// unit's heading and the column headings, and every page is numbered "Page n of N".
/// Long texts wrap; a criterion too long for a whole page carries on over the next.
/// Each criterion's state is printed in words with a coloured mark (green signed off,
/// orange mapped, red not started). Text is encoded for the standard fonts
/// (WinAnsiEncoding: Latin-1 plus €, –, —, curly quotes and the like); any other character
/// is transliterated to ASCII ("Ł" → "L") or, failing that, printed as "?".
///
/// The whole document is built in memory before anything is written (a map has at most a
/// few thousand criteria: a few hundred KiB).
pub fn render(doc: &ProgressMapDoc, out: &mut impl Write) -> Result<(), PdfError> {
    let pages = layout::lay_out(doc);
    let bytes = write_pdf(doc, &pages)?;
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

const FONT_REGULAR: Name<'static> = Name(b"F1");
const FONT_BOLD: Name<'static> = Name(b"F2");

fn font_name(font: Font) -> Name<'static> {
    match font {
        Font::Regular => FONT_REGULAR,
        Font::Bold => FONT_BOLD,
    }
}

fn write_pdf(doc: &ProgressMapDoc, pages: &[Vec<Op>]) -> Result<Vec<u8>, PdfError> {
    let mut next_id = Ref::new(1);
    let mut alloc = || next_id.bump();
    let catalog_id = alloc();
    let tree_id = alloc();
    let regular_id = alloc();
    let bold_id = alloc();
    let info_id = alloc();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id)
        .pages(tree_id)
        .lang(TextStr("en-GB"));
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|&(page, _)| page))
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    for (id, base) in [(regular_id, "Helvetica"), (bold_id, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let title = format!("Progress map: {}", doc.learner_name);
    pdf.document_info(info_id)
        .title(TextStr(&title))
        .subject(TextStr(&doc.course_title))
        .author(TextStr(&doc.organisation))
        .creator(TextStr("Folio"));

    for (ops, &(page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree_id)
            .contents(content_id);
        page.resources()
            .fonts()
            .pair(FONT_REGULAR, regular_id)
            .pair(FONT_BOLD, bold_id);
        page.finish();

        let content = compress(&page_content(ops))?;
        pdf.stream(content_id, &content).filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

/// One page's content stream: the shapes first, then all the text in one text object.
fn page_content(ops: &[Op]) -> Vec<u8> {
    let mut content = pdf_writer::Content::new();
    let mut fill: Option<Rgb> = None;
    let mut set_fill = |content: &mut pdf_writer::Content, colour: Rgb| {
        if fill != Some(colour) {
            content.set_fill_rgb(colour.0, colour.1, colour.2);
            fill = Some(colour);
        }
    };
    for op in ops {
        if let Op::Rect {
            x,
            y,
            width,
            height,
            colour,
        } = *op
        {
            set_fill(&mut content, colour);
            content.rect(x, y, width, height).fill_nonzero();
        }
    }
    content.begin_text();
    let mut current_font: Option<(Font, f32)> = None;
    for op in ops {
        if let Op::Text {
            x,
            y,
            font,
            size,
            colour,
            ref text,
        } = *op
        {
            if text.is_empty() {
                continue;
            }
            if current_font != Some((font, size)) {
                content.set_font(font_name(font), size);
                current_font = Some((font, size));
            }
            set_fill(&mut content, colour);
            content.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y]);
            content.show(Str(text));
        }
    }
    content.end_text();
    content.finish().into_vec()
}

fn compress(data: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(state: CriterionState, evidence_count: usize, date: Option<&str>) -> CriterionLine {
        CriterionLine {
            code: "1.1".into(),
            text: "Explain".into(),
            state,
            evidence_count,
            signed_off_on: date.map(Into::into),
        }
    }

    #[test]
    fn states_read_as_words() {
        let signed = line(CriterionState::SignedOff, 2, Some("3 March 2026"));
        assert_eq!(signed.state_label(), "Signed off 3 March 2026");
        assert_eq!(
            line(CriterionState::SignedOff, 0, None).state_label(),
            "Signed off"
        );
        assert_eq!(
            line(CriterionState::Mapped, 1, None).state_label(),
            "Mapped (1 piece of evidence)"
        );
        assert_eq!(
            line(CriterionState::Mapped, 2, None).state_label(),
            "Mapped (2 pieces of evidence)"
        );
        assert_eq!(
            line(CriterionState::None, 0, None).state_label(),
            "Not started"
        );
    }
}
