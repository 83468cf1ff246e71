//! Runs the PDF drawer ([`folio_pdf::drawer`]) for the evidence viewer: one child process
//! per page or page count, the file on its standard input, under the child's own memory
//! and CPU caps and a wall-clock deadline here. A file that would exhaust memory or run
//! for minutes costs that child, never the server.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use folio_pdf::drawer::{EXIT_NO_SUCH_PAGE, Request};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::Command;
use tokio::sync::Semaphore;

/// The largest answer read back (a PNG of at most 1000 × 3000 pixels is far smaller).
const MAX_ANSWER: u64 = 64 * 1024 * 1024;

/// Why a drawing has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// The PDF has no such page.
    #[error("no such page")]
    NoSuchPage,
    /// The file cannot be drawn: it is not a PDF, is damaged, or the drawer ran out of
    /// memory or time (killed) doing it.
    #[error("the PDF cannot be drawn")]
    Unreadable,
    /// The drawer could not be run at all (a deployment fault, logged).
    #[error("the PDF drawer could not be run")]
    Unavailable,
    /// Every turn stayed taken for [`PdfDrawer::QUEUE_WAIT`]: other pages are being drawn.
    #[error("the PDF drawer is busy")]
    Busy,
}

/// A turn to draw (see [`PdfDrawer::turn`]), held until the drawing's child has ended.
#[derive(Debug)]
pub struct Turn(tokio::sync::OwnedSemaphorePermit);

/// How to run the drawer, and how many may run at once.
#[derive(Clone)]
pub struct PdfDrawer {
    program: PathBuf,
    leading_args: Vec<OsString>,
    deadline: Duration,
    /// Drawings under way: one per core at most, the rest wait (drawing is CPU work). A
    /// drawing holds its turn until its child has ended, even when the request that asked
    /// for it has gone (a client that disconnects and asks again cannot stack them up).
    turns: Arc<Semaphore>,
}

impl std::fmt::Debug for PdfDrawer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfDrawer")
            .field("program", &self.program)
            .field("leading_args", &self.leading_args)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl PdfDrawer {
    /// How long a drawing may take, start to finish, before its child is killed: the
    /// child's own CPU cap ([`folio_pdf::drawer::CPU_SECONDS`]) with room for a busy
    /// machine.
    pub const DEADLINE: Duration = Duration::from_secs(20);

    /// Runs `program` with `leading_args` before the request's own.
    pub fn new(program: impl Into<PathBuf>, leading_args: Vec<OsString>) -> Self {
        Self {
            program: program.into(),
            leading_args,
            deadline: Self::DEADLINE,
            turns: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
        }
    }

    /// The running `folio` binary's hidden drawer subcommand.
    pub fn this_binary() -> std::io::Result<Self> {
        Ok(Self::new(
            std::env::current_exe()?,
            vec![folio_pdf::drawer::COMMAND.into()],
        ))
    }

    /// The same drawer with another deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long a request waits for a turn before it is told to try again.
    pub const QUEUE_WAIT: Duration = Duration::from_secs(10);

    /// Waits for a turn to draw, at most [`PdfDrawer::QUEUE_WAIT`]. Take it before reading
    /// the file, so that requests waiting in line hold no file in memory.
    pub async fn turn(&self) -> Result<Turn, DrawError> {
        match tokio::time::timeout(Self::QUEUE_WAIT, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn(permit)),
            Ok(Err(_)) => Err(DrawError::Unavailable),
            Err(_) => Err(DrawError::Busy),
        }
    }

    /// Asks a child for `request` about `pdf`, once a turn is free.
    pub async fn draw(&self, request: Request, pdf: Vec<u8>) -> Result<Vec<u8>, DrawError> {
        let turn = self.turn().await?;
        self.draw_in_turn(turn, request, pdf).await
    }

    /// Asks a child for `request` about `pdf` in a turn already taken.
    pub async fn draw_in_turn(
        &self,
        turn: Turn,
        request: Request,
        pdf: Vec<u8>,
    ) -> Result<Vec<u8>, DrawError> {
        let mut child = Command::new(&self.program)
            .args(&self.leading_args)
            .args(request.args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_clear()
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| {
                tracing::error!(program = %self.program.display(), %err, "the PDF drawer could not be started");
                DrawError::Unavailable
            })?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(DrawError::Unavailable);
        };
        let deadline = self.deadline;
        // The child ends (answer or not) or is killed; either way it is reaped before the
        // turn is given back, on a task of its own so a caller that leaves cannot skip it.
        let run = tokio::spawn(async move {
            let Turn(_turn) = turn;
            let exchange = async {
                // The child reads all of its input before it writes: write, close, read.
                // A child that dies early closes its end; the write then fails, harmlessly.
                let _ = stdin.write_all(&pdf).await;
                drop(stdin);
                let mut answer = Vec::new();
                let _ = stdout.take(MAX_ANSWER).read_to_end(&mut answer).await;
                let status = child.wait().await;
                (answer, status)
            };
            match tokio::time::timeout(deadline, exchange).await {
                Ok((answer, Ok(status))) => match status.code() {
                    Some(0) => Ok(answer),
                    Some(code) if code == i32::from(EXIT_NO_SUCH_PAGE) => {
                        Err(DrawError::NoSuchPage)
                    }
                    _ => {
                        tracing::warn!(%status, "the PDF drawer refused a file or was stopped by its limits");
                        Err(DrawError::Unreadable)
                    }
                },
                Ok((_, Err(err))) => {
                    tracing::error!(%err, "the PDF drawer could not be waited for");
                    Err(DrawError::Unavailable)
                }
                Err(_) => {
                    tracing::warn!(
                        seconds = deadline.as_secs_f64(),
                        "the PDF drawer ran past its deadline and was killed"
                    );
                    let _ = child.start_kill();
                    let _ = child.wait().await;
                    Err(DrawError::Unreadable)
                }
            }
        });
        run.await.unwrap_or(Err(DrawError::Unavailable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_drawer_that_runs_past_its_deadline_is_killed_and_refused() {
        // `sh -c 'sleep 30' count`: reads nothing, answers nothing, ends after 30 s.
        let drawer = PdfDrawer::new("/bin/sh", vec!["-c".into(), "sleep 30".into()])
            .with_deadline(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let answer = drawer.draw(Request::PageCount, b"%PDF-1.4".to_vec()).await;
        assert_eq!(answer, Err(DrawError::Unreadable));
        // Killed at the deadline, not after the child's 30 s (a generous margin).
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn exit_statuses_become_answers() {
        async fn run(script: &str) -> Result<Vec<u8>, DrawError> {
            PdfDrawer::new("/bin/sh", vec!["-c".into(), script.into()])
                .draw(Request::Page(2), b"%PDF-1.4".to_vec())
                .await
        }
        // Input read whole, answer echoed: the child sees what was written.
        assert_eq!(run("cat").await, Ok(b"%PDF-1.4".to_vec()));
        assert_eq!(run("exit 3").await, Err(DrawError::NoSuchPage));
        assert_eq!(run("exit 4").await, Err(DrawError::Unreadable));
        // Killed by a signal (as the kernel does at the CPU cap): no exit code.
        assert_eq!(run("kill -9 $$").await, Err(DrawError::Unreadable));
        let missing = PdfDrawer::new("/nonexistent/folio", Vec::new());
        assert_eq!(
            missing.draw(Request::PageCount, Vec::new()).await,
            Err(DrawError::Unavailable)
        );
    }
}
