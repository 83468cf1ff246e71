#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A hostile PDF costs its drawer, never the server: a "deflate bomb" (a few MiB that
//! decode to gigabytes) is drawn in a child process capped at 1 GiB, so the server's own
//! memory does not grow with it. A binary of its own, so that this process's peak memory
//! is the in-process server's and this test's alone.

use folio_domain::Role;
use folio_tests::TestApp;
use folio_tests::scene::{NewCourse, NewEnrolment, NewUnit, date};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Appends bits to a DEFLATE stream (RFC 1951 packs them from the least significant bit).
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    len: u32,
}

impl Bits {
    /// `count` bits of `value`, least significant first (header fields).
    fn lsb_first(&mut self, value: u64, count: u32) {
        self.acc |= value << self.len;
        self.len += count;
        while self.len >= 8 {
            self.out.push((self.acc & 0xff) as u8);
            self.acc >>= 8;
            self.len -= 8;
        }
    }

    /// A Huffman code of `count` bits, its most significant bit first (RFC 1951, 3.1.1).
    fn code(&mut self, code: u64, count: u32) {
        let reversed = (0..count).fold(0, |r, i| r | ((code >> i) & 1) << (count - 1 - i));
        self.lsb_first(reversed, count);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.len > 0 {
            self.out.push((self.acc & 0xff) as u8);
        }
        self.out
    }
}

/// A zlib stream of `1 + 258 × matches` zero bytes written by hand: one block with the
/// fixed Huffman codes (RFC 1951, 3.2.6): the literal 0 (8 bits, 0x30), then `matches`
/// copies of "length 258 (code 285 = 0b11000101, 8 bits), distance 1 (code 0, 5 bits)",
/// 13 bits for 258 bytes, then end of block (code 256, 7 zero bits).
fn zeros_bomb(matches: u64) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.lsb_first(1, 1); // BFINAL: the last block
    bits.lsb_first(1, 2); // BTYPE 01: fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    for _ in 0..matches {
        bits.code(0b1100_0101, 8); // length 258
        bits.code(0, 5); // distance 1
    }
    bits.code(0, 7); // end of block
    // zlib (RFC 1950): CMF 0x78, FLG 0x01 (0x7801 = 30721 = 31 × 991), then Adler-32 of
    // the data, big-endian. For n zero bytes: a = 1 + 0 = 1, b = n × 1 (mod 65521).
    let n = 1 + 258 * matches;
    let adler = ((n % 65_521) << 16) | 1;
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(bits.finish());
    zlib.extend_from_slice(&u32::try_from(adler).unwrap().to_be_bytes());
    zlib
}

/// A one-page PDF whose page content is `content`, compressed (FlateDecode) as given.
fn pdf_with_content(content: &[u8]) -> Vec<u8> {
    folio_tests::pdf_of(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        [
            format!(
                "<< /Length {} /Filter /FlateDecode >>\nstream\n",
                content.len()
            )
            .into_bytes(),
            content.to_vec(),
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ])
}

/// This process's peak resident memory so far (VmHWM), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[tokio::test]
async fn a_pdf_that_decodes_to_gigabytes_costs_its_drawer_not_the_server() {
    let app = TestApp::spawn().await;
    let p = app
        .scene("northgate")
        .course(NewCourse::new("ST0001", "Course").component(
            "Standard",
            [NewUnit::new("M1", "Unit").criterion("1.1", "Criterion")],
        ))
        .people(&[
            ("learner@northgate.example", Role::Learner),
            ("assessor@northgate.example", Role::Assessor),
        ])
        .enrol(
            NewEnrolment::new("learner")
                .assessor("assessor")
                .dates(date(2026, 1, 5), date(2027, 7, 5))
                .hours(37.5, 400.0),
        )
        .build()
        .await;
    // 6,000,000 matches: 6,000,000 × 13 bits = 9.75 MB of file; decoded, 1 + 258 ×
    // 6,000,000 = 1,548,000,001 bytes (1.44 GiB) of page content, past the drawer's 1 GiB.
    let bomb = pdf_with_content(&zeros_bomb(6_000_000));
    assert!(bomb.len() < 10 * 1024 * 1024, "{} bytes", bomb.len());
    let form = Form::new()
        .text(
            "component_id",
            p.course("ST0001").components[0].id.to_string(),
        )
        .text("title", "Plan")
        .text("declaration", "true")
        .text("signature_name", "Amelia Clarke")
        .part(
            "file",
            Part::bytes(bomb)
                .file_name("plan.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let uploaded = app
        .authed(
            Method::POST,
            &format!("/api/v1/enrolments/{}/evidence", p.enrolment("learner")),
            p.token("learner"),
        )
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let id = uploaded.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let before = peak_kib();
    let page = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{id}/versions/1/pages/1"),
            p.token("assessor"),
        )
        .send()
        .await
        .unwrap();
    // The drawer either gives up on the stream it cannot hold (a blank page) or is
    // stopped by its limits (422 naming the version): never a 500, never the server's
    // memory. Drawn in this process, the stream alone would take 1.44 GiB.
    let status = page.status();
    let body = page.bytes().await.unwrap();
    assert!(
        status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}: {}",
        String::from_utf8_lossy(&body[..body.len().min(400)])
    );
    let grown = peak_kib().saturating_sub(before);
    assert!(
        grown < 256 * 1024,
        "the server's peak memory grew by {} MiB drawing the bomb",
        grown / 1024
    );
    // And the server still draws what it can.
    let pages = app
        .authed(
            Method::GET,
            &format!("/api/v1/evidence/{id}/versions/1/pages"),
            p.token("assessor"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(pages.status(), StatusCode::OK);
    assert_eq!(pages.json::<Value>().await.unwrap()["pages"], 1);
    app.finish().await;
}
