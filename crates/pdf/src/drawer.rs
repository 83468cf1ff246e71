//! The PDF drawer: a short-lived child process that draws one page (or counts the pages)
//! of an uploaded PDF, so a hostile file can cost at most this process. hayro's decoders
//! put no bound on what a stream decodes to, and a content stream can be written to run
//! for minutes: inside the server either would take every request down with it.
//!
//! The child caps itself before it reads a byte: [`MEMORY_LIMIT`] of address space and
//! [`CPU_SECONDS`] of processor time (`setrlimit`). An allocation past the cap aborts the
//! child; the CPU cap kills it. The parent (folio-app's evidence viewer) adds a wall-clock
//! deadline and kills a child that outlives it.
//!
//! The protocol: the program (the `folio` binary's hidden [`COMMAND`], or the test
//! harness's own small binary) is run with the request as arguments ([`Request::args`]),
//! the PDF on standard input; it answers on standard output (the page count in decimal,
//! or the PNG) with exit status 0, or [`EXIT_NO_SUCH_PAGE`] / [`EXIT_UNREADABLE`].

use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::ExitCode;

use crate::preview::{self, MAX_BYTES, PreviewError};

/// The `folio` subcommand that runs the drawer (hidden from `folio --help`).
pub const COMMAND: &str = "draw-pdf-page";
/// The address space the drawer may use: the file (at most 20 MiB), hayro's structures,
/// decoded images and the 1000 × 3000 pixel canvas fit with room to spare.
pub const MEMORY_LIMIT: u64 = 1024 * 1024 * 1024;
/// The processor time the drawer may use. A page of an ordinary document takes well
/// under a second.
pub const CPU_SECONDS: u64 = 10;
/// Exit status: the PDF has no such page.
pub const EXIT_NO_SUCH_PAGE: u8 = 3;
/// Exit status: the file cannot be opened or drawn.
pub const EXIT_UNREADABLE: u8 = 4;
/// Exit status: the drawer was run with arguments it does not understand, or could not
/// cap itself.
pub const EXIT_USAGE: u8 = 2;

/// What the drawer is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// How many pages the PDF has.
    PageCount,
    /// Page `n` (from 1) as a PNG.
    Page(usize),
}

impl Request {
    /// The arguments that ask for this (after the program and any leading arguments).
    pub fn args(self) -> Vec<String> {
        match self {
            Request::PageCount => vec!["count".into()],
            Request::Page(n) => vec!["page".into(), n.to_string()],
        }
    }

    fn parse(args: &[String]) -> Option<Self> {
        match args {
            [what] if what == "count" => Some(Request::PageCount),
            [what, n] if what == "page" => n.parse().ok().map(Request::Page),
            _ => None,
        }
    }
}

/// Caps this process's memory and processor time (see the module's documentation).
fn cap_self() -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    setrlimit(
        Resource::As,
        Rlimit {
            current: Some(MEMORY_LIMIT),
            maximum: Some(MEMORY_LIMIT),
        },
    )?;
    // No core dump: a drawer stopped by its caps would otherwise leave up to 1 GiB on disk.
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )?;
    // Past the soft limit the kernel sends SIGXCPU (which ends the process); the hard
    // limit a second later is SIGKILL, in case that signal is caught.
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(CPU_SECONDS),
            maximum: Some(CPU_SECONDS + 1),
        },
    )?;
    Ok(())
}

/// The drawer's `main`: `args` are the request's arguments ([`Request::args`]). Call it
/// before starting any runtime or thread.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let Some(request) = Request::parse(&args) else {
        eprintln!("usage: {COMMAND} count | page <n>   (the PDF on standard input)");
        return ExitCode::from(EXIT_USAGE);
    };
    if let Err(err) = cap_self() {
        eprintln!("{COMMAND}: cannot limit its own memory and time: {err}");
        return ExitCode::from(EXIT_USAGE);
    }
    let mut bytes = Vec::new();
    let cap = u64::try_from(MAX_BYTES).unwrap_or(u64::MAX);
    if std::io::stdin()
        .lock()
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .is_err()
        || bytes.len() as u64 > cap
    {
        return ExitCode::from(EXIT_UNREADABLE);
    }
    let answer = match request {
        Request::PageCount => preview::page_count(bytes).map(|n| n.to_string().into_bytes()),
        Request::Page(n) => preview::draw_page(bytes, n),
    };
    match answer {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(&out)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::from(EXIT_UNREADABLE);
            }
            ExitCode::SUCCESS
        }
        Err(PreviewError::NoSuchPage(_)) => ExitCode::from(EXIT_NO_SUCH_PAGE),
        Err(PreviewError::Unreadable) => ExitCode::from(EXIT_UNREADABLE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_their_arguments() {
        for request in [Request::PageCount, Request::Page(1), Request::Page(42)] {
            assert_eq!(Request::parse(&request.args()), Some(request));
        }
        for wrong in [
            &[][..],
            &["page".to_owned()][..],
            &["page".to_owned(), "two".to_owned()][..],
            &["count".to_owned(), "1".to_owned()][..],
        ] {
            assert_eq!(Request::parse(wrong), None, "{wrong:?}");
        }
    }
}
