//! SMTP delivery through a small pool of lettre connections that Folio opens itself, so
//! that it can set `TCP_NODELAY` on them.
//!
//! lettre's own pooled transport (0.11) leaves Nagle's algorithm on. An SMTP exchange
//! writes the message and then its terminating `.` in two writes; with Nagle on, the
//! second waits for the server's acknowledgement of the first, which the server delays by
//! up to 40 ms because it has nothing to say until the terminator arrives. That caps each
//! connection at about 25 messages a second (measured in `BENCHMARKS.md`). The SMTP
//! protocol itself is still lettre's: [`AsyncSmtpConnection`] for the commands, STARTTLS
//! and authentication.
//!
//! The URL forms are lettre's (`AsyncSmtpTransport::from_url`): `smtp://host[:25]`,
//! `smtp://host[:587]?tls=required|opportunistic` (STARTTLS) and `smtps://host[:465]`
//! (implicit TLS), with `user:password@` and an optional `/hello-name` path.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope as SmtpEnvelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::Semaphore;

use crate::MailError;

/// Connections open at most (and so messages in flight at once per process).
const MAX_CONNECTIONS: usize = 8;
/// An idle connection older than this is closed rather than reused: servers drop idle
/// clients after a few minutes, and a message sent on a dropped connection fails.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// How the connection is secured.
#[derive(Clone)]
enum Security {
    /// Plain text (`smtp://` without `tls`).
    None,
    /// STARTTLS after the greeting: required, or used when offered.
    StartTls {
        params: TlsParameters,
        required: bool,
    },
    /// TLS from the first byte (`smtps://`).
    Implicit(TlsParameters),
}

/// Where and how to connect.
#[derive(Clone)]
struct Target {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
}

struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// A pool of SMTP connections to one server.
pub struct SmtpPool {
    target: Target,
    idle: Mutex<Vec<Idle>>,
    permits: Semaphore,
}

impl SmtpPool {
    /// A pool for `url`; nothing is connected until the first message.
    pub(crate) fn from_url(url: &str, timeout: Duration) -> Result<Self, MailError> {
        let bad = |what: &str| MailError::Build(format!("FOLIO_SMTP_URL: {what}"));
        let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let params =
            || TlsParameters::new(host.clone()).map_err(|e| bad(&format!("TLS for {host}: {e}")));
        let (port, security) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None) => (25, Security::None),
            ("smtp", Some(mode @ ("required" | "opportunistic"))) => (
                587,
                Security::StartTls {
                    params: params()?,
                    required: mode == "required",
                },
            ),
            ("smtps", _) => (465, Security::Implicit(params()?)),
            (scheme, tls) => {
                return Err(bad(&format!(
                    "unknown scheme `{scheme}` or tls parameter `{}` (use smtp://, \
                     smtp://…?tls=required or smtps://)",
                    tls.unwrap_or_default()
                )));
            }
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| bad("user or password is not UTF-8"))
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                decode(parsed.username())?,
                decode(password)?,
            )),
            None => None,
        };
        let path = parsed.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_owned())
        };
        Ok(Self {
            target: Target {
                host,
                port: parsed.port().unwrap_or(port),
                security,
                credentials,
                hello,
                timeout,
            },
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(MAX_CONNECTIONS),
        })
    }

    /// Sends one message on a pooled connection (or a new one). A connection that fails is
    /// closed, never reused; the message is not retried here (the outbox retries it later,
    /// with the same `Message-ID`).
    pub(crate) async fn send(
        &self,
        envelope: &SmtpEnvelope,
        message: &[u8],
    ) -> Result<(), MailError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| MailError::Transient("the SMTP pool is closed".into()))?;
        let mut conn = match self.checkout().await {
            Some(conn) => conn,
            None => self.target.connect().await?,
        };
        match tokio::time::timeout(self.target.timeout, conn.send(envelope, message)).await {
            Ok(Ok(_)) if !conn.has_broken() => {
                self.checkin(conn);
                Ok(())
            }
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                conn.abort().await;
                Err(classify(e))
            }
            Err(_) => Err(MailError::Transient(format!(
                "no answer from the mail server within {} s",
                self.target.timeout.as_secs()
            ))),
        }
    }

    /// An idle connection that still answers, closing stale ones on the way.
    async fn checkout(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let idle = self.idle.lock().ok()?.pop()?;
            let mut conn = idle.conn;
            if idle.since.elapsed() < MAX_IDLE
                && tokio::time::timeout(self.target.timeout, conn.test_connected())
                    .await
                    .unwrap_or(false)
            {
                return Some(conn);
            }
            conn.abort().await;
        }
    }

    fn checkin(&self, conn: AsyncSmtpConnection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }
}

impl Target {
    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let address = (self.host.as_str(), self.port);
        let unreachable = |e: &dyn std::fmt::Display| {
            MailError::Transient(format!(
                "cannot connect to {}:{}: {e}",
                self.host, self.port
            ))
        };
        let mut conn = match &self.security {
            // Implicit TLS goes through lettre's own connect, which wraps the socket in
            // TLS before the greeting; that socket keeps Nagle on.
            Security::Implicit(params) => AsyncSmtpConnection::connect_tokio1(
                address,
                Some(self.timeout),
                &self.hello,
                Some(params.clone()),
                None,
            )
            .await
            .map_err(classify)?,
            Security::None | Security::StartTls { .. } => {
                let stream =
                    tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect(address))
                        .await
                        .map_err(|e| unreachable(&e))?
                        .map_err(|e| unreachable(&e))?;
                stream.set_nodelay(true).map_err(|e| unreachable(&e))?;
                let mut conn = tokio::time::timeout(
                    self.timeout,
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello),
                )
                .await
                .map_err(|e| unreachable(&e))?
                .map_err(classify)?;
                if let Security::StartTls { params, required } = &self.security {
                    if conn.can_starttls() {
                        conn.starttls(params.clone(), &self.hello)
                            .await
                            .map_err(classify)?;
                    } else if *required {
                        conn.abort().await;
                        return Err(unreachable(
                            &"the server does not offer STARTTLS, which the URL requires",
                        ));
                    }
                }
                conn
            }
        };
        if let Some(credentials) = &self.credentials
            && let Err(e) = conn
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
        {
            conn.abort().await;
            return Err(classify(e));
        }
        Ok(conn)
    }
}

fn classify(e: lettre::transport::smtp::Error) -> MailError {
    if e.is_permanent() {
        MailError::Permanent(e.to_string())
    } else {
        MailError::Transient(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn pool(url: &str) -> Target {
        SmtpPool::from_url(url, Duration::from_secs(5))
            .unwrap()
            .target
    }

    #[test]
    fn urls_read_as_lettre_reads_them() {
        let plain = pool("smtp://mail.example");
        assert_eq!((plain.host.as_str(), plain.port), ("mail.example", 25));
        assert!(matches!(plain.security, Security::None));
        assert!(plain.credentials.is_none());

        let starttls = pool("smtp://mail.example?tls=required");
        assert_eq!(starttls.port, 587);
        assert!(matches!(
            starttls.security,
            Security::StartTls { required: true, .. }
        ));
        let opportunistic = pool("smtp://mail.example:2525?tls=opportunistic");
        assert_eq!(opportunistic.port, 2525);
        assert!(matches!(
            opportunistic.security,
            Security::StartTls {
                required: false,
                ..
            }
        ));

        let implicit = pool("smtps://apikey:s%40cret%2F1@smtp.example/folio.example");
        assert_eq!(implicit.port, 465);
        assert!(matches!(implicit.security, Security::Implicit(_)));
        assert_eq!(
            implicit.credentials,
            Some(Credentials::new("apikey".into(), "s@cret/1".into())),
            "user and password are percent-decoded"
        );
        assert_eq!(implicit.hello, ClientId::Domain("folio.example".into()));

        let v6 = pool("smtp://[::1]:1025");
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 1025));
    }

    #[test]
    fn unusable_urls_are_refused_naming_the_setting() {
        for url in [
            "http://mail.example",
            "smtp://mail.example?tls=sometimes",
            "smtp://",
            "not a url",
        ] {
            let Err(MailError::Build(message)) = SmtpPool::from_url(url, Duration::from_secs(5))
            else {
                panic!("{url} accepted");
            };
            assert!(message.starts_with("FOLIO_SMTP_URL"), "{url}: {message}");
        }
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_temporary_failure() {
        // A port nothing listens on: bind one, then close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pool = SmtpPool::from_url(&format!("smtp://127.0.0.1:{port}"), Duration::from_secs(5))
            .unwrap();
        let envelope = SmtpEnvelope::new(
            Some("a@folio.example".parse().unwrap()),
            vec!["b@folio.example".parse().unwrap()],
        )
        .unwrap();
        let result = pool.send(&envelope, b"Subject: x\r\n\r\nx\r\n").await;
        assert!(matches!(result, Err(MailError::Transient(_))), "{result:?}");
    }
}
