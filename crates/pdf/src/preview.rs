//! A page of an uploaded PDF drawn as a picture, for the evidence viewer: the browser is
//! sent a PNG, never the PDF, so nothing of the file runs or renders in Folio's pages
//! (Chromium will not show a PDF in a sandboxed frame at all). Drawn with hayro, a PDF
//! rasteriser in pure Rust that forbids unsafe code, with the 14 standard fonts embedded
//! (nothing read from the system). These functions are CPU work: call them off the async
//! runtime, with the file's size capped ([`MAX_BYTES`]).

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings, render};

/// The largest PDF drawn in the page (bigger ones are only downloaded).
pub const MAX_BYTES: i64 = 20 * 1024 * 1024;
/// The width a page is drawn at, in pixels (a tall page is drawn narrower, see
/// [`MAX_HEIGHT`]).
pub const WIDTH: f32 = 1000.0;
/// The tallest drawing, in pixels.
pub const MAX_HEIGHT: f32 = 3000.0;

/// Why a page cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    /// Not a PDF, or one hayro cannot open (a password, damage).
    #[error("the file is not a PDF that can be drawn")]
    Unreadable,
    /// Past the last page (or page 0).
    #[error("the PDF has no page {0}")]
    NoSuchPage(usize),
}

fn open(bytes: Vec<u8>) -> Result<Pdf, PreviewError> {
    // The header may follow a little junk (the specification allows 1024 bytes).
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PreviewError::Unreadable);
    }
    Pdf::new(bytes).map_err(|_| PreviewError::Unreadable)
}

/// How many pages the PDF has.
pub fn page_count(bytes: Vec<u8>) -> Result<usize, PreviewError> {
    Ok(open(bytes)?.pages().len())
}

/// Page `number` (from 1) as a PNG on white, [`WIDTH`] pixels wide (narrower for a page
/// taller than [`MAX_HEIGHT`] would allow).
pub fn draw_page(bytes: Vec<u8>, number: usize) -> Result<Vec<u8>, PreviewError> {
    let pdf = open(bytes)?;
    let pages = pdf.pages();
    let page = number
        .checked_sub(1)
        .and_then(|i| pages.get(i))
        .ok_or(PreviewError::NoSuchPage(number))?;
    let (width, height) = page.render_dimensions();
    if !(width.is_finite() && height.is_finite() && width >= 1.0 && height >= 1.0) {
        return Err(PreviewError::Unreadable);
    }
    let scale = (WIDTH / width).min(MAX_HEIGHT / height);
    let pixmap = render(
        page,
        &RenderCache::new(),
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    pixmap.into_png().map_err(|_| PreviewError::Unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-page PDF written by hand: "Page one" and "Page two" in Helvetica, 12 pt at
    /// (72, 720) on A4 (595 × 842 pt).
    fn two_pages() -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 7 0 R >> >> /Contents 4 0 R >>".to_owned(),
            stream("BT /F1 48 Tf 72 720 Td (Page one) Tj ET"),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 7 0 R >> >> /Contents 6 0 R >>".to_owned(),
            stream("BT /F1 48 Tf 72 720 Td (Page two) Tj ET"),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, object) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }

    fn stream(content: &str) -> String {
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        )
    }

    /// Width, height and the share of dark pixels of a PNG (RGBA, 8 bits).
    fn dark_share(png: &[u8]) -> (u32, u32, f64) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buffer = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut buffer).expect("a frame");
        let pixels = buffer.get(..info.buffer_size()).expect("the frame");
        let step = info.color_type.samples();
        let dark = pixels
            .chunks(step)
            .filter(|p| p.iter().take(3).all(|&c| c < 128))
            .count();
        (
            info.width,
            info.height,
            dark as f64 / (pixels.len() / step) as f64,
        )
    }

    #[test]
    fn counts_the_pages() {
        assert_eq!(page_count(two_pages()), Ok(2));
    }

    #[test]
    fn draws_a_page_with_its_text_on_white() {
        let png = draw_page(two_pages(), 2).expect("drawn");
        let (width, height, dark) = dark_share(&png);
        // 1000 px wide; 842 / 595 × 1000 = 1415.1 px tall.
        assert_eq!((width, height), (1000, 1415));
        // Eight letters of 48 pt text: some ink, mostly paper.
        assert!(dark > 0.002 && dark < 0.05, "dark share {dark}");
    }

    #[test]
    fn refuses_what_it_cannot_draw() {
        assert_eq!(draw_page(two_pages(), 3), Err(PreviewError::NoSuchPage(3)));
        assert_eq!(draw_page(two_pages(), 0), Err(PreviewError::NoSuchPage(0)));
        assert_eq!(
            page_count(b"GIF89a not a pdf".to_vec()),
            Err(PreviewError::Unreadable)
        );
        assert_eq!(
            page_count(b"%PDF-1.4 but nothing else".to_vec()),
            Err(PreviewError::Unreadable)
        );
    }
}
