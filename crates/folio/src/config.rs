//! Configuration: built-in defaults, then an optional TOML file, then `FOLIO_*`
//! environment variables, each overriding the one before.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use folio_app::credentials::PasswordHashCost;
use serde::{Deserialize, Serialize};

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where files are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// The local filesystem under the data directory.
    Fs,
    /// An S3-compatible object store.
    S3,
}

/// Everything a Folio process can be told. See the configuration reference in README.md.
#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// PostgreSQL URL (`FOLIO_DATABASE_URL`).
    pub database_url: String,
    /// Connections this process may open (`FOLIO_DATABASE_MAX_CONNECTIONS`).
    pub database_max_connections: u32,
    /// How long a request waits for a database connection before it is answered 503 with
    /// `Retry-After` (`FOLIO_DATABASE_ACQUIRE_TIMEOUT_MS`, `folio serve` only).
    pub database_acquire_timeout_ms: u64,
    /// Redis URL (`FOLIO_REDIS_URL`).
    pub redis_url: String,
    /// Prefix of every Redis key of this deployment (`FOLIO_REDIS_NAMESPACE`), so that
    /// several deployments can share one Redis.
    pub redis_namespace: String,
    /// Jobs one `folio work` process runs at once (`FOLIO_WORKER_CONCURRENCY`).
    pub worker_concurrency: usize,
    /// How often an idle worker looks for new jobs, in milliseconds
    /// (`FOLIO_WORKER_POLL_MS`).
    pub worker_poll_ms: u64,
    /// Seconds between a worker's heartbeats (`FOLIO_WORKER_HEARTBEAT_SECS`); the jobs of a
    /// worker that misses three are handed to other workers.
    pub worker_heartbeat_secs: u64,
    /// When the scheduler ticks, as cron with a seconds field first
    /// (`FOLIO_SCHEDULER_CRON`). Each tick queues the runs that have come due in each
    /// provider's time zone and any waiting email.
    pub scheduler_cron: String,
    /// Address to listen on (`FOLIO_LISTEN`).
    pub listen: String,
    /// Where files live when stored on the local filesystem (`FOLIO_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `fs` (files under `data_dir/files`) or `s3` (`FOLIO_STORAGE`).
    pub storage: StorageKind,
    /// S3 endpoint URL (`FOLIO_S3_ENDPOINT`).
    pub s3_endpoint: String,
    /// S3 bucket (`FOLIO_S3_BUCKET`).
    pub s3_bucket: String,
    /// S3 region (`FOLIO_S3_REGION`).
    pub s3_region: String,
    /// S3 access key id (`FOLIO_S3_ACCESS_KEY_ID`).
    pub s3_access_key_id: String,
    /// S3 secret access key (`FOLIO_S3_SECRET_ACCESS_KEY`; never printed).
    pub s3_secret_access_key: String,
    /// Sign-in session lifetime in minutes (`FOLIO_SESSION_TTL_MINUTES`).
    pub session_ttl_minutes: u64,
    /// Mark the session cookie `Secure` (`FOLIO_COOKIE_SECURE`).
    pub cookie_secure: bool,
    /// The URL people reach Folio at, e.g. `https://folio.example.com`; single sign-on
    /// callbacks are built on it (`FOLIO_PUBLIC_URL`; empty: from each request's `Host`).
    pub public_url: String,
    /// SMTP server for email, e.g. `smtp://mail.example.com:587?tls=required` or
    /// `smtps://user:password@mail.example.com` (`FOLIO_SMTP_URL`; empty: each email is
    /// written as an `.eml` file under `data_dir/mail`).
    pub smtp_url: String,
    /// The sender address of every email (`FOLIO_MAIL_FROM`); the display name is the
    /// training provider's.
    pub mail_from: String,
    /// Days a finished export stays downloadable before it is deleted
    /// (`FOLIO_EXPORT_RETENTION_DAYS`).
    pub export_retention_days: u32,
    /// `text` or `json` (`FOLIO_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `folio_api=debug,info` (`FOLIO_LOG`; `RUST_LOG` wins).
    pub log: String,
    /// The bearer token `GET /metrics` requires, on the API and the workers' listener
    /// (`FOLIO_METRICS_TOKEN`; empty: the API serves no `/metrics` and a worker's listener
    /// is open; never printed).
    pub metrics_token: String,
    /// Address a `folio work` process serves `GET /metrics` on, e.g. `0.0.0.0:9100`
    /// (`FOLIO_WORKER_METRICS_LISTEN`; empty: not served).
    pub worker_metrics_listen: String,
    /// The argon2 cost of new password hashes (`FOLIO_PASSWORD_HASH_COST`): `standard`
    /// (the default, OWASP's parameters) or `test-only-cheap`, which the test suite sets
    /// on the processes it starts and which must never be used for real passwords (a
    /// warning is logged at start-up when it is on).
    pub password_hash_cost: PasswordHashCost,
    /// For development and tests only (`FOLIO_DEV_ALLOW_INSECURE_OUTBOUND`): lets Folio
    /// call identity providers over plain `http` and at loopback and private addresses.
    /// Off, the default, only `https` to public addresses is called (server-side request
    /// forgery). `folio demo` turns it on.
    pub dev_allow_insecure_outbound: bool,
    /// The key stored secrets (SSO client secrets) are sealed with: 32 random bytes in
    /// base64 (`FOLIO_SECRET_KEY`; `openssl rand -base64 32`; never printed). Empty:
    /// single sign-on cannot be set up or used; `folio demo` generates one and keeps it in
    /// `data_dir/secret.key`.
    pub secret_key: String,
    /// Keys that sealed secrets before the current one, comma-separated
    /// (`FOLIO_PREVIOUS_SECRET_KEYS`): they still open what they sealed, and `folio migrate`
    /// seals it again under `FOLIO_SECRET_KEY`. Never printed.
    pub previous_secret_keys: String,
    /// The proxies in front of Folio (load balancer, ingress), comma-separated addresses or
    /// networks, e.g. `10.0.0.0/8` (`FOLIO_TRUSTED_PROXIES`; empty: none). A request
    /// from one of them is taken to come from the address its `X-Forwarded-For` names,
    /// read from the right past these proxies: failed sign-ins are counted per client,
    /// and behind a proxy every client would otherwise share the proxy's address. List
    /// only proxies that set the header themselves.
    pub trusted_proxies: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "postgres://postgres@127.0.0.1:5432/folio".into(),
            database_max_connections: 10,
            database_acquire_timeout_ms: 1000,
            redis_url: "redis://127.0.0.1:6379".into(),
            redis_namespace: "folio".into(),
            worker_concurrency: 4,
            worker_poll_ms: 1000,
            worker_heartbeat_secs: 20,
            scheduler_cron: "0 * * * * *".into(),
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            storage: StorageKind::Fs,
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "eu-west-2".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            session_ttl_minutes: 12 * 60,
            cookie_secure: true,
            public_url: String::new(),
            smtp_url: String::new(),
            mail_from: "no-reply@folio.localhost".into(),
            export_retention_days: 7,
            log_format: LogFormat::Text,
            log: "info".into(),
            metrics_token: String::new(),
            worker_metrics_listen: String::new(),
            password_hash_cost: PasswordHashCost::Standard,
            dev_allow_insecure_outbound: false,
            secret_key: String::new(),
            previous_secret_keys: String::new(),
            trusted_proxies: String::new(),
        }
    }
}

/// The keys [`Config`] has, for spotting misspelt environment variables (and, in
/// `tests/infra.rs`, misspelt ones in the deployment files).
pub const KEYS: &[&str] = &[
    "database_url",
    "database_max_connections",
    "database_acquire_timeout_ms",
    "redis_url",
    "redis_namespace",
    "worker_concurrency",
    "worker_poll_ms",
    "worker_heartbeat_secs",
    "scheduler_cron",
    "listen",
    "data_dir",
    "storage",
    "s3_endpoint",
    "s3_bucket",
    "s3_region",
    "s3_access_key_id",
    "s3_secret_access_key",
    "session_ttl_minutes",
    "cookie_secure",
    "public_url",
    "smtp_url",
    "mail_from",
    "export_retention_days",
    "log_format",
    "log",
    "metrics_token",
    "worker_metrics_listen",
    "password_hash_cost",
    "dev_allow_insecure_outbound",
    "secret_key",
    "previous_secret_keys",
    "trusted_proxies",
];

impl Config {
    /// Which addresses Folio may call.
    pub fn outbound(&self) -> folio_app::outbound::OutboundPolicy {
        if self.dev_allow_insecure_outbound {
            folio_app::outbound::OutboundPolicy::DevelopmentAnyAddress
        } else {
            folio_app::outbound::OutboundPolicy::PublicHttpsOnly
        }
    }

    /// The keys stored secrets are sealed with; a malformed key is an error naming it.
    pub fn secret_keys(&self) -> anyhow::Result<folio_app::secrets::SecretKeys> {
        let previous: Vec<&str> = self.previous_secret_keys.split(',').collect();
        folio_app::secrets::SecretKeys::parse(&self.secret_key, &previous)
            .map_err(|e| anyhow::anyhow!(e))
    }

    /// Where email goes: the SMTP server, or `.eml` files under `data_dir/mail`.
    pub fn mailer(&self) -> anyhow::Result<folio_mail::Mailer> {
        Ok(if self.smtp_url.is_empty() {
            folio_mail::Mailer::files(self.data_dir.join("mail"), &self.mail_from)?
        } else {
            folio_mail::Mailer::smtp(&self.smtp_url, &self.mail_from)?
        })
    }

    /// The proxies whose `X-Forwarded-For` is believed; a malformed entry is an error
    /// naming it.
    pub fn trusted_proxies(&self) -> anyhow::Result<folio_app::client_address::TrustedProxies> {
        self.trusted_proxies
            .parse()
            .map_err(|e| anyhow::anyhow!("FOLIO_TRUSTED_PROXIES: {e}"))
    }

    /// The scheduler's cron schedule.
    pub fn schedule(&self) -> anyhow::Result<cron::Schedule> {
        self.scheduler_cron.parse().map_err(|e| {
            anyhow::anyhow!(
                "FOLIO_SCHEDULER_CRON `{}` is not a cron schedule with a seconds field first: {e}",
                self.scheduler_cron
            )
        })
    }

    /// How the workers' heartbeats go.
    pub fn heartbeat(&self) -> folio_jobs::queue::Heartbeat {
        folio_jobs::queue::Heartbeat {
            interval: std::time::Duration::from_secs(self.worker_heartbeat_secs),
            missed: 3,
        }
    }

    /// The address people reach Folio at, for links: `public_url`, or `http://` + `listen`.
    pub fn app_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }
}

/// The environment variable naming a configuration file.
pub const CONFIG_FILE_VAR: &str = "FOLIO_CONFIG";

impl Config {
    /// The file store this configuration describes.
    pub fn storage_config(&self) -> anyhow::Result<folio_storage::StorageConfig> {
        Ok(match self.storage {
            StorageKind::Fs => folio_storage::StorageConfig::Fs {
                root: self.data_dir.join("files"),
            },
            StorageKind::S3 => {
                for (name, value) in [
                    ("FOLIO_S3_ENDPOINT", &self.s3_endpoint),
                    ("FOLIO_S3_BUCKET", &self.s3_bucket),
                    ("FOLIO_S3_ACCESS_KEY_ID", &self.s3_access_key_id),
                    ("FOLIO_S3_SECRET_ACCESS_KEY", &self.s3_secret_access_key),
                ] {
                    anyhow::ensure!(
                        !value.is_empty(),
                        "{name} must be set when FOLIO_STORAGE=s3"
                    );
                }
                folio_storage::StorageConfig::S3 {
                    endpoint: self.s3_endpoint.clone(),
                    bucket: self.s3_bucket.clone(),
                    region: self.s3_region.clone(),
                    access_key_id: self.s3_access_key_id.clone(),
                    secret_access_key: self.s3_secret_access_key.clone(),
                }
            }
        })
    }

    /// Loads the configuration from defaults, `file` (if given, else `FOLIO_CONFIG`, if
    /// set) and the environment. Returns warnings about `FOLIO_*` variables that match no
    /// setting, so a typo does not silently fall back to a default.
    pub fn load(file: Option<&Path>) -> anyhow::Result<(Self, Vec<String>)> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os(CONFIG_FILE_VAR).map(PathBuf::from));
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = &file {
            anyhow::ensure!(
                path.is_file(),
                "configuration file {} not found",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        let env = Env::prefixed("FOLIO_").ignore(&["config"]);
        let warnings = env
            .iter()
            .filter(|(key, _)| !KEYS.contains(&key.as_str()))
            .map(|(key, _)| {
                format!(
                    "ignoring unknown setting FOLIO_{}",
                    key.as_str().to_uppercase()
                )
            })
            .collect();
        let config: Config = figment
            .merge(env)
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        anyhow::ensure!(
            config.database_max_connections > 0,
            "FOLIO_DATABASE_MAX_CONNECTIONS must be at least 1"
        );
        anyhow::ensure!(
            (50..=60_000).contains(&config.database_acquire_timeout_ms),
            "FOLIO_DATABASE_ACQUIRE_TIMEOUT_MS must be between 50 and 60000 (milliseconds)"
        );
        anyhow::ensure!(
            config.session_ttl_minutes > 0,
            "FOLIO_SESSION_TTL_MINUTES must be at least 1"
        );
        anyhow::ensure!(
            config.worker_concurrency > 0,
            "FOLIO_WORKER_CONCURRENCY must be at least 1"
        );
        anyhow::ensure!(
            config.worker_poll_ms > 0 && config.worker_heartbeat_secs > 0,
            "FOLIO_WORKER_POLL_MS and FOLIO_WORKER_HEARTBEAT_SECS must be at least 1"
        );
        anyhow::ensure!(
            !config.redis_namespace.is_empty(),
            "FOLIO_REDIS_NAMESPACE must not be empty"
        );
        config.schedule()?;
        anyhow::ensure!(
            (1..=365).contains(&config.export_retention_days),
            "FOLIO_EXPORT_RETENTION_DAYS must be between 1 and 365"
        );
        Ok((config, warnings))
    }
}

/// A secret setting as printed: whether it is set, never its value.
fn redacted(value: &str) -> &'static str {
    if value.is_empty() { "" } else { "<redacted>" }
}

/// A URL with its password hidden.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("********"));
            }
            parsed.to_string()
        }
        Err(_) => "<unparsable url>".into(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact(&self.database_url))
            .field("database_max_connections", &self.database_max_connections)
            .field(
                "database_acquire_timeout_ms",
                &self.database_acquire_timeout_ms,
            )
            .field("redis_url", &redact(&self.redis_url))
            .field("redis_namespace", &self.redis_namespace)
            .field("worker_concurrency", &self.worker_concurrency)
            .field("worker_poll_ms", &self.worker_poll_ms)
            .field("worker_heartbeat_secs", &self.worker_heartbeat_secs)
            .field("scheduler_cron", &self.scheduler_cron)
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("storage", &self.storage)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_credentials", &"<redacted>")
            .field("session_ttl_minutes", &self.session_ttl_minutes)
            .field("cookie_secure", &self.cookie_secure)
            .field("public_url", &self.public_url)
            .field("smtp_url", &redact(&self.smtp_url))
            .field("mail_from", &self.mail_from)
            .field("export_retention_days", &self.export_retention_days)
            .field("log_format", &self.log_format)
            .field("log", &self.log)
            .field(
                "metrics_token",
                &if self.metrics_token.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("worker_metrics_listen", &self.worker_metrics_listen)
            .field("password_hash_cost", &self.password_hash_cost)
            .field(
                "dev_allow_insecure_outbound",
                &self.dev_allow_insecure_outbound,
            )
            .field("secret_key", &redacted(&self.secret_key))
            .field(
                "previous_secret_keys",
                &redacted(&self.previous_secret_keys),
            )
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_passwords() {
        let config = Config {
            database_url: "postgres://folio:hunter2-secret@db:5432/folio".into(),
            redis_url: "redis://:redis-secret@cache:6379".into(),
            ..Config::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2-secret"), "{printed}");
        assert!(!printed.contains("redis-secret"), "{printed}");
        assert!(printed.contains("********"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own large error
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "folio.toml",
                "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\n",
            )?;
            jail.set_env("FOLIO_LOG_FORMAT", "text");
            jail.set_env("FOLIO_SESSION_TTL_MINUTES", "30");
            jail.set_env("FOLIO_LISTN", "typo");
            jail.set_env("FOLIO_PASSWORD_HASH_COST", "test-only-cheap");
            let (config, warnings) =
                Config::load(Some(Path::new("folio.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(config.listen, "0.0.0.0:9000");
            assert_eq!(config.log_format, LogFormat::Text);
            assert_eq!(config.session_ttl_minutes, 30);
            assert_eq!(config.redis_url, "redis://127.0.0.1:6379");
            assert_eq!(config.password_hash_cost, PasswordHashCost::TestOnlyCheap);
            assert_eq!(
                Config::default().password_hash_cost,
                PasswordHashCost::Standard
            );
            assert_eq!(
                warnings,
                vec!["ignoring unknown setting FOLIO_LISTN".to_owned()]
            );
            Ok(())
        });
    }
}
