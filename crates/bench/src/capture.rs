//! What SQL a page read runs, recorded on the wire: a TCP proxy between Folio's server and
//! PostgreSQL that forwards every byte unchanged and reads two things on the way.
//!
//! - From the client: each `Parse` message (statement name, SQL text, the parameter type
//!   OIDs sqlx declares), so a statement's parameters can be written with their types.
//! - From the server: the `NoticeResponse`s PostgreSQL sends when the connection runs with
//!   `log_statement = all` and `client_min_messages = log` (the server's database URL sets
//!   both through `options`, as the superuser login role may): `statement: BEGIN`,
//!   `execute sqlx_s_3: select …` with the detail `parameters: $1 = '…', $2 = NULL`, the
//!   values rendered as text by PostgreSQL itself, whatever format sqlx bound them in.
//!
//! [`Recorder::statements`] turns what a stretch of traffic ran into standalone SQL with
//! the values written in as typed literals, ready for a pgbench script. The connection
//! must be unencrypted (`sslmode=disable`) for the messages to be readable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy saw, in the order it saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The client prepared statement `name` with these parameter type OIDs.
    Parse {
        conn: u64,
        name: String,
        oids: Vec<u32>,
    },
    /// PostgreSQL logged a statement it ran.
    Log {
        conn: u64,
        message: String,
        detail: Option<String>,
    },
}

/// A running recording proxy.
pub struct Recorder {
    /// Where it listens (point the server's database URL here).
    pub addr: SocketAddr,
    events: Arc<Mutex<Vec<Event>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    /// Listens on a free loopback port and forwards each connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<Recorder> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let events = Arc::new(Mutex::new(Vec::new()));
        let shared = events.clone();
        let next = Arc::new(AtomicU64::new(1));
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let events = shared.clone();
                let conn = next.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        let (cr, cw) = client.into_split();
                        let (sr, sw) = server.into_split();
                        let up = pump(cr, sw, Side::Client, conn, events.clone());
                        let down = pump(sr, cw, Side::Server, conn, events);
                        let _ = tokio::join!(up, down);
                    }
                });
            }
        });
        Ok(Recorder { addr, events, task })
    }

    /// How many events there are so far (a mark to read from later).
    pub fn mark(&self) -> usize {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The statements logged between two marks, in order, each with its parameters'
    /// values and declared types (`types` names each OID).
    pub fn statements(
        &self,
        (from, to): (usize, usize),
        types: &HashMap<u32, String>,
    ) -> anyhow::Result<Vec<Statement>> {
        // Read under the lock (statements are built after the traffic), not copied.
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        // A statement may have been prepared on its connection before the mark.
        let mut prepared: HashMap<(u64, &str), &[u32]> = HashMap::new();
        let mut out = Vec::new();
        for (i, event) in events.iter().enumerate().take(to) {
            match event {
                Event::Parse { conn, name, oids } => {
                    prepared.insert((*conn, name.as_str()), oids);
                }
                Event::Log { .. } if i < from => {}
                Event::Log {
                    conn,
                    message,
                    detail,
                } => {
                    if let Some(sql) = message.strip_prefix("statement: ") {
                        out.push(Statement {
                            sql: sql.to_owned(),
                            values: Vec::new(),
                            types: Vec::new(),
                        });
                    } else if let Some(rest) = message.strip_prefix("execute ") {
                        let Some((name, sql)) = rest.split_once(": ") else {
                            bail!("an execute line without its statement: {message}");
                        };
                        let values = match detail
                            .as_deref()
                            .and_then(|d| d.strip_prefix("parameters: "))
                        {
                            Some(list) => parameters(list)?,
                            None => Vec::new(),
                        };
                        // The unnamed statement was prepared under the empty name.
                        let name = if name == "<unnamed>" { "" } else { name };
                        let oids = prepared.get(&(*conn, name)).copied().unwrap_or(&[]);
                        out.push(Statement {
                            sql: sql.to_owned(),
                            types: (0..values.len())
                                .map(|k| {
                                    oids.get(k)
                                        .filter(|&&oid| oid != 0)
                                        .and_then(|oid| types.get(oid))
                                        .cloned()
                                })
                                .collect(),
                            values,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every parameter type OID seen, for naming them.
    pub fn oids(&self) -> Vec<u32> {
        let mut oids: Vec<u32> = self
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flat_map(|e| match e {
                Event::Parse { oids, .. } => oids.clone(),
                Event::Log { .. } => Vec::new(),
            })
            .collect();
        oids.sort_unstable();
        oids.dedup();
        oids
    }
}

/// A statement a connection ran, as PostgreSQL logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Its SQL text, `$1…$n` and all.
    pub sql: String,
    /// The value of each parameter, as text (`None`: NULL).
    pub values: Vec<Option<String>>,
    /// The declared type of each parameter, if sqlx declared one.
    pub types: Vec<Option<String>>,
}

impl Statement {
    /// Standalone SQL with the values written in as literals of their declared types (what
    /// a read ran, for reading it).
    #[cfg(test)]
    fn with_values(&self) -> anyhow::Result<String> {
        rewrite(&self.sql, |k| {
            let Some(value) = self.values.get(k) else {
                bail!("${} has no value in the log of {}", k + 1, self.sql);
            };
            let written = value.as_deref().map_or_else(|| "NULL".to_owned(), literal);
            Ok(self.cast(k, &written))
        })
    }

    /// `written` cast to parameter `k`'s declared type, if it has one.
    pub fn cast(&self, k: usize, written: &str) -> String {
        match self.types.get(k).and_then(Option::as_ref) {
            Some(name) => format!("({written})::{name}"),
            None => written.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// Forwards `from` to `to`, reading each complete protocol message on the way.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    side: Side,
    conn: u64,
    events: Arc<Mutex<Vec<Event>>>,
) -> anyhow::Result<()> {
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    // The client's first message (startup) has no type byte.
    let mut started = side == Side::Server;
    loop {
        let n = from.read(&mut chunk).await?;
        if n == 0 {
            let _ = to.shutdown().await;
            return Ok(());
        }
        let bytes = chunk.get(..n).context("read past the buffer")?;
        buffer.extend_from_slice(bytes);
        loop {
            let header = if started { 5 } else { 4 };
            let Some(length) = buffer
                .get(header - 4..header)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(|b| u32::from_be_bytes(b) as usize)
            else {
                break;
            };
            let total = header - 4 + length;
            if length < 4 || buffer.len() < total {
                break;
            }
            if started {
                let kind = buffer.first().copied().unwrap_or(0);
                let body = buffer.get(5..total).unwrap_or_default();
                if let Some(event) = read_message(side, kind, body, conn) {
                    events
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(event);
                }
            }
            started = true;
            buffer.drain(..total);
        }
        // Recorded before it is passed on: a statement's Parse precedes its log line.
        to.write_all(bytes).await?;
    }
}

/// A zero-terminated string at the start of `b`, and what follows it.
fn cstring(b: &[u8]) -> Option<(String, &[u8])> {
    let end = b.iter().position(|&c| c == 0)?;
    let s = String::from_utf8_lossy(b.get(..end)?).into_owned();
    Some((s, b.get(end + 1..)?))
}

/// The event a message is, if it is one the recorder keeps.
fn read_message(side: Side, kind: u8, body: &[u8], conn: u64) -> Option<Event> {
    match (side, kind) {
        (Side::Client, b'P') => {
            let (name, rest) = cstring(body)?;
            let (_sql, rest) = cstring(rest)?;
            let count = u16::from_be_bytes(rest.get(..2)?.try_into().ok()?) as usize;
            let oids = (0..count)
                .map(|i| {
                    let at = 2 + i * 4;
                    Some(u32::from_be_bytes(rest.get(at..at + 4)?.try_into().ok()?))
                })
                .collect::<Option<Vec<u32>>>()?;
            Some(Event::Parse { conn, name, oids })
        }
        (Side::Server, b'N') => {
            let mut fields = HashMap::new();
            let mut rest = body;
            while let Some((&code, after)) = rest.split_first() {
                if code == 0 {
                    break;
                }
                let (value, after) = cstring(after)?;
                fields.insert(code, value);
                rest = after;
            }
            // Non-localised severity: only the statement log lines are wanted.
            if fields.get(&b'V').map(String::as_str) != Some("LOG") {
                return None;
            }
            Some(Event::Log {
                conn,
                message: fields.remove(&b'M')?,
                detail: fields.remove(&b'D'),
            })
        }
        _ => None,
    }
}

/// The values of a `parameters: $1 = '…', $2 = NULL` detail, in order (`None` for NULL).
fn parameters(list: &str) -> anyhow::Result<Vec<Option<String>>> {
    let mut out = Vec::new();
    let mut rest = list;
    while !rest.is_empty() {
        let Some((_, after)) = rest.split_once(" = ") else {
            bail!("a parameter list PostgreSQL did not write as expected: {list}");
        };
        if let Some(after_null) = after.strip_prefix("NULL") {
            out.push(None);
            rest = after_null.strip_prefix(", ").unwrap_or(after_null);
            continue;
        }
        let Some(quoted) = after.strip_prefix('\'') else {
            bail!("a parameter value PostgreSQL did not quote: {list}");
        };
        let mut value = String::new();
        let mut chars = quoted.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|&(_, n)| n) == Some('\'') {
                    value.push('\'');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                value.push(c);
            }
        }
        let Some(end) = end else {
            bail!("an unterminated parameter value: {list}");
        };
        out.push(Some(value));
        let after_value = quoted.get(end..).unwrap_or_default();
        rest = after_value.strip_prefix(", ").unwrap_or(after_value);
    }
    Ok(out)
}

/// A string literal pgbench passes through untouched: a Unicode-escape literal in which
/// `\` is doubled, `'` doubled and `:` (pgbench's variable marker) written `\003A`.
fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    out.push_str("U&'");
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            ':' => out.push_str("\\003A"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `sql` as one line that pgbench takes as it is: each `$n` replaced by `write(n - 1)`,
/// comments dropped, string literals holding `:` (pgbench's variable marker) rewritten by
/// [`literal`].
pub fn rewrite(
    sql: &str,
    write: impl Fn(usize) -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while let Some(c) = at(i) {
        match c {
            '-' if at(i + 1) == Some('-') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => {
                i += 2;
                while at(i).is_some() && !(at(i) == Some('*') && at(i + 1) == Some('/')) {
                    i += 1;
                }
                i += 2;
            }
            '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match at(i) {
                        None => bail!("an unterminated string in {sql}"),
                        Some('\'') if at(i + 1) == Some('\'') => {
                            value.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(c) => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
                if value.contains(':') {
                    out.push_str(&literal(&value));
                } else {
                    out.push('\'');
                    out.push_str(&value.replace('\'', "''"));
                    out.push('\'');
                }
            }
            '"' => {
                out.push('"');
                i += 1;
                while let Some(c) = at(i) {
                    out.push(c);
                    i += 1;
                    if c == '"' {
                        break;
                    }
                }
            }
            '$' if at(i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                let mut j = i + 1;
                while at(j).is_some_and(|c| c.is_ascii_digit()) {
                    j += 1;
                }
                let n: usize = chars
                    .get(i + 1..j)
                    .unwrap_or_default()
                    .iter()
                    .collect::<String>()
                    .parse()?;
                let Some(k) = n.checked_sub(1) else {
                    bail!("$0 in {sql}");
                };
                out.push_str(&write(k)?);
                i = j;
            }
            // Whitespace outside literals and identifiers: one space (the statement on
            // one line); inside them it is kept as it is.
            c if c.is_whitespace() => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out.trim().trim_end_matches(';').trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_as_postgresql_quotes_them() {
        let values =
            parameters("$1 = 'a''b, c', $2 = NULL, $3 = '2026-12-07 10:00:00+00'").expect("parsed");
        assert_eq!(
            values,
            vec![
                Some("a'b, c".to_owned()),
                None,
                Some("2026-12-07 10:00:00+00".to_owned())
            ]
        );
    }

    #[test]
    fn statements_become_one_line_without_pgbench_variables() {
        let sql = "select x -- the learner's\n from t where id = $1 and at < $2 and f = 'HH24:MI' and $10 is null and g = 'a  b'";
        let mut values: Vec<Option<String>> =
            vec![Some("0190".into()), Some("2026-12-07 10:00:00+00".into())];
        values.extend(std::iter::repeat_n(None, 8));
        let mut types = vec![
            Some("uuid".to_owned()),
            Some("timestamp with time zone".to_owned()),
        ];
        types.extend(std::iter::repeat_n(None, 8));
        let statement = Statement {
            sql: sql.to_owned(),
            values,
            types,
        };
        assert_eq!(
            statement.with_values().expect("written"),
            "select x from t where id = (U&'0190')::uuid and at < (U&'2026-12-07 10\\003A00\\003A00+00')::timestamp with time zone \
             and f = U&'HH24\\003AMI' and NULL is null and g = 'a  b'"
        );
        let variables =
            rewrite(sql, |k| Ok(statement.cast(k, &format!(":v{k}")))).expect("written");
        assert!(
            variables.contains("id = (:v0)::uuid and at < (:v1)::timestamp with time zone"),
            "{variables}"
        );
    }
}
