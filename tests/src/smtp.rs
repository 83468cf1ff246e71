//! A real SMTP server that captures mail for tests: aiosmtpd (PyPI, pinned in
//! tests/requirements.txt, installed by scripts/test-setup) with its Maildir handler, on a
//! free port of 127.0.0.1.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running SMTP server writing every message it accepts into a Maildir; stopped and
/// removed when dropped.
pub struct SmtpServer {
    child: Child,
    /// `smtp://127.0.0.1:PORT`.
    pub url: String,
    /// The port.
    pub port: u16,
    maildir: PathBuf,
}

/// A captured message.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The raw message.
    pub raw: String,
}

impl Captured {
    /// The plain-text part, decoded (transfer encoding and charset undone).
    pub fn text(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(self.raw.as_bytes())
            .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }

    /// The HTML part, decoded.
    pub fn html(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(self.raw.as_bytes())
            .and_then(|m| m.body_html(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }

    /// The decoded subject.
    pub fn subject(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(self.raw.as_bytes())
            .and_then(|m| m.subject().map(str::to_owned))
            .unwrap_or_default()
    }

    /// A header's value (the first of that name), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or(&self.raw);
        let head = head
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ")
            .replace("\n ", " ");
        head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

impl SmtpServer {
    /// Installs aiosmtpd if needed and starts it.
    pub async fn start() -> Self {
        crate::python::require("aiosmtpd");
        let port = crate::python::free_port();
        let maildir =
            std::env::temp_dir().join(format!("folio-smtp-{port}-{}", uuid::Uuid::new_v4()));
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let server = Self {
            child,
            url: format!("smtp://127.0.0.1:{port}"),
            port,
            maildir,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// The Maildir messages are written to (`new/`, one file each).
    pub fn maildir(&self) -> &std::path::Path {
        &self.maildir
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Captured> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                if let Ok(raw) = std::fs::read_to_string(entry.path()) {
                    out.push(Captured { raw });
                }
            }
        }
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}
