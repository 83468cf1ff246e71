//! Text in the standard fonts: encoding to WinAnsiEncoding, measuring and line wrapping.
//!
//! The standard 14 fonts need no embedding, so the PDF carries no font files and nothing is
//! read from the system. Their encoding covers Latin-1 and a few more (€, –, —, curly
//! quotes, Š, Œ, …); anything else is transliterated to ASCII (`ł` → `l`, `Ω` → `O`),
//! never dropped silently into a panic.

use crate::metrics;

/// One of the two fonts the document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    Regular,
    Bold,
}

impl Font {
    fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &metrics::HELVETICA,
            Font::Bold => &metrics::HELVETICA_BOLD,
        }
    }

    /// The advance of one encoded byte at `size` points.
    fn advance(self, byte: u8, size: f32) -> f32 {
        let index = usize::from(byte.saturating_sub(0x20));
        let units = self.widths().get(index).copied().unwrap_or(0);
        f32::from(units) * size / 1000.0
    }

    /// The width of an encoded string at `size` points.
    pub(crate) fn width(self, text: &[u8], size: f32) -> f32 {
        text.iter().map(|&b| self.advance(b, size)).sum()
    }
}

/// The WinAnsiEncoding byte for `c`, if it has one (U+00A0..=U+00FF map to themselves, as
/// does printable ASCII; the 0x80..=0x9F block holds the typographic extras).
fn win_ansi(c: char) -> Option<u8> {
    let code = u32::from(c);
    if (0x20..=0x7E).contains(&code) || (0xA0..=0xFF).contains(&code) {
        return u8::try_from(code).ok();
    }
    let byte = match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        // Other dashes and spaces, as their nearest neighbours.
        '‐' | '‑' | '‒' | '−' => b'-',
        '―' => 0x97,
        '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => b' ',
        _ => return None,
    };
    Some(byte)
}

/// Encodes `text` for one line of the standard fonts. Line breaks, tabs and other control
/// characters become spaces; soft hyphens and zero-width characters go; characters outside
/// WinAnsiEncoding are transliterated, and `?` stands for what has no transliteration.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if let Some(b) = win_ansi(c) {
            // The soft hyphen (0xAD) shows as a hyphen in some viewers: drop it.
            if b != 0xAD {
                out.push(b);
            }
            continue;
        }
        if c.is_control() || c.is_whitespace() {
            out.push(b' ');
            continue;
        }
        if matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}') {
            continue;
        }
        match deunicode::deunicode_char(c) {
            Some(ascii) => out.extend(
                ascii
                    .chars()
                    .map(|a| win_ansi(a).filter(|&b| b != 0xAD).unwrap_or(b'?')),
            ),
            None => out.push(b'?'),
        }
    }
    out
}

/// Wraps `text` into lines no wider than `max_width` points in `font` at `size`. Paragraphs
/// (split on line breaks) start on new lines; words break at spaces, and a word wider than
/// a line is broken wherever it has to be. Always at least one line (maybe empty).
pub(crate) fn wrap(text: &str, font: Font, size: f32, max_width: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        wrap_paragraph(&encode(paragraph), font, size, max_width, &mut lines);
    }
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    lines
}

fn wrap_paragraph(text: &[u8], font: Font, size: f32, max_width: f32, lines: &mut Vec<Vec<u8>>) {
    let space = font.width(b" ", size);
    let mut line: Vec<u8> = Vec::new();
    let mut line_width = 0.0_f32;
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let word_width = font.width(word, size);
        if !line.is_empty() && line_width + space + word_width <= max_width {
            line.push(b' ');
            line.extend_from_slice(word);
            line_width += space + word_width;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if word_width <= max_width {
            line.extend_from_slice(word);
            line_width = word_width;
            continue;
        }
        // Too wide for any line: break it by characters (at least one per line).
        line_width = 0.0;
        for &b in word {
            let w = font.advance(b, size);
            if !line.is_empty() && line_width + w > max_width {
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
            }
            line.push(b);
            line_width += w;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_and_typographic_characters_keep_their_own_bytes() {
        assert_eq!(
            encode("Zoë £5 – “ok” €"),
            b"Zo\xEB \xA35 \x96 \x93ok\x94 \x80"
        );
    }

    #[test]
    fn other_characters_are_transliterated_never_lost() {
        assert_eq!(encode("Łukasz Wąs"), b"Lukasz Was");
        assert_eq!(encode("a\tb\nc"), b"a b c");
        assert_eq!(encode("x\u{200B}y\u{00AD}z"), b"xyz");
        // Whatever comes out is printable and in the encoding.
        for b in encode("日本 🎉 \u{10FFFF} \u{E000}") {
            assert!(b >= 0x20, "{b:#x}");
        }
    }

    #[test]
    fn wraps_at_spaces_within_the_width() {
        let text = "the quick brown fox jumps over the lazy dog ".repeat(10);
        let lines = wrap(&text, Font::Regular, 10.0, 100.0);
        assert!(lines.len() > 5);
        for line in &lines {
            assert!(Font::Regular.width(line, 10.0) <= 100.0);
            assert!(!line.starts_with(b" ") && !line.ends_with(b" "));
        }
    }

    #[test]
    fn breaks_words_longer_than_a_line() {
        let lines = wrap(&"W".repeat(100), Font::Bold, 10.0, 50.0);
        assert!(lines.len() > 10);
        assert!(
            lines
                .iter()
                .all(|l| !l.is_empty() && Font::Bold.width(l, 10.0) <= 50.0)
        );
        // Even narrower than one character: one per line, no endless loop.
        assert_eq!(wrap("WW", Font::Bold, 10.0, 1.0).len(), 2);
    }

    #[test]
    fn empty_text_is_one_empty_line() {
        assert_eq!(wrap("", Font::Regular, 9.0, 100.0), vec![Vec::<u8>::new()]);
        assert_eq!(wrap("a\n\nb", Font::Regular, 9.0, 100.0).len(), 2);
    }

    #[test]
    fn helvetica_widths_are_the_standard_ones() {
        assert_eq!(Font::Regular.width(b"A", 1000.0), 667.0);
        assert_eq!(Font::Bold.width(b"A", 1000.0), 722.0);
        assert_eq!(Font::Regular.width(b" ", 1000.0), 278.0);
    }
}
