//! A real OpenID Connect provider for tests: panva's certified npm `oidc-provider`, pinned
//! in tests/oidc/package.json and package-lock.json, installed into tests/oidc/node_modules
//! by scripts/test-setup (`npm ci`) and run by tests/oidc/provider.js on a free port of
//! 127.0.0.1, with known accounts.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc");

/// Fails the test, naming the setup script, unless oidc-provider is installed.
fn require_installed() {
    let marker = std::path::Path::new(DIR).join("node_modules/oidc-provider/package.json");
    assert!(
        marker.exists(),
        "oidc-provider is not installed in {DIR}/node_modules: run {}",
        crate::SETUP_SCRIPT
    );
}

/// A known account at a provider.
#[derive(Debug, Clone)]
pub struct Account {
    /// Login name, also the subject (`sub`).
    pub login: String,
    /// Password typed into the login form.
    pub password: String,
    /// Claims put in the ID token (e.g. `email`, `name`, `groups`).
    pub claims: Value,
}

impl Account {
    /// An account whose password is `"<login>-password"`.
    pub fn new(login: &str, claims: Value) -> Self {
        Self {
            login: login.into(),
            password: format!("{login}-password"),
            claims,
        }
    }
}

/// A running provider; stopped when dropped.
pub struct OidcProvider {
    child: Option<Child>,
    port: u16,
    /// Its issuer, `http://127.0.0.1:PORT`.
    pub issuer: String,
    /// The one client's id.
    pub client_id: String,
    /// The one client's secret.
    pub client_secret: String,
    redirect_uri: String,
    post_logout_redirect_uri: String,
    accounts: Vec<Account>,
    claims_at_userinfo: bool,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl OidcProvider {
    /// Starts an instance whose client redirects to `redirect_uri` (oidc-provider must be
    /// installed: scripts/test-setup).
    pub async fn start(
        client_id: &str,
        redirect_uri: &str,
        post_logout_redirect_uri: &str,
        accounts: Vec<Account>,
    ) -> Self {
        Self::launch(
            client_id,
            redirect_uri,
            post_logout_redirect_uri,
            accounts,
            false,
        )
        .await
    }

    /// Like [`OidcProvider::start`], but the ID tokens carry only `sub`: the accounts'
    /// other claims (e-mail, roles) are given only at the userinfo endpoint.
    pub async fn start_with_claims_at_userinfo(
        client_id: &str,
        redirect_uri: &str,
        post_logout_redirect_uri: &str,
        accounts: Vec<Account>,
    ) -> Self {
        Self::launch(
            client_id,
            redirect_uri,
            post_logout_redirect_uri,
            accounts,
            true,
        )
        .await
    }

    async fn launch(
        client_id: &str,
        redirect_uri: &str,
        post_logout_redirect_uri: &str,
        accounts: Vec<Account>,
        claims_at_userinfo: bool,
    ) -> Self {
        require_installed();
        let port = free_port();
        let mut provider = Self {
            child: None,
            port,
            issuer: format!("http://127.0.0.1:{port}"),
            client_id: client_id.into(),
            client_secret: format!("{client_id}-secret-{}", uuid::Uuid::new_v4().simple()),
            redirect_uri: redirect_uri.into(),
            post_logout_redirect_uri: post_logout_redirect_uri.into(),
            accounts,
            claims_at_userinfo,
        };
        provider.child = Some(provider.spawn().await);
        provider
    }

    async fn spawn(&self) -> Child {
        let accounts: serde_json::Map<String, Value> = self
            .accounts
            .iter()
            .map(|a| {
                (
                    a.login.clone(),
                    serde_json::json!({ "password": a.password, "claims": a.claims }),
                )
            })
            .collect();
        let mut child = Command::new("node")
            .arg(format!("{DIR}/provider.js"))
            .args(["--port", &self.port.to_string()])
            .args(["--issuer", &self.issuer])
            .args(["--client-id", &self.client_id])
            .args(["--client-secret", &self.client_secret])
            .args(["--redirect-uri", &self.redirect_uri])
            .args(["--post-logout-redirect-uri", &self.post_logout_redirect_uri])
            .args(["--accounts", &Value::Object(accounts).to_string()])
            .args(self.claims_at_userinfo.then_some("--claims-at-userinfo"))
            .current_dir(DIR)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node tests/oidc/provider.js");
        let http = reqwest::Client::new();
        let discovery = format!("{}/.well-known/openid-configuration", self.issuer);
        for _ in 0..200 {
            if http
                .get(&discovery)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return child;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("oidc-provider did not start on port {}", self.port);
    }

    /// Stops the provider and starts it again on the same port: same issuer, client and
    /// accounts, but a new signing key (a key rotation) and no sessions.
    pub async fn restart(&mut self) {
        self.stop();
        self.child = Some(self.spawn().await);
    }

    /// Stops the provider (it is then unreachable).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Shifts the clock the provider's token endpoint uses by `seconds`.
    pub async fn set_token_clock_offset(&self, seconds: i64) {
        let response = reqwest::Client::new()
            .post(format!("{}/__test/clock?offset={seconds}", self.issuer))
            .send()
            .await
            .expect("set clock");
        assert!(response.status().is_success());
    }

    /// The account with this login.
    pub fn account(&self, login: &str) -> &Account {
        self.accounts
            .iter()
            .find(|a| a.login == login)
            .expect("known account")
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.stop();
    }
}
