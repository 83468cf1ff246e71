#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Single sign-on against real OpenID Connect providers: two tenants, each with its own
//! instance of the npm `oidc-provider` on its own port. A "browser" (reqwest with a cookie
//! jar, redirects followed by hand so each hop is checked) goes from Folio's login
//! redirect through the provider's login and consent forms to Folio's callback.

use chrono::Utc;
use folio_api::problem::SsoFailure;
use folio_db::platform::Tenant;
use folio_domain::Role;
use folio_tests::oidc::{Account, OidcProvider};
use folio_tests::{TestApp, problem};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// The outbound policy of the test app: the providers run on this machine.
const DEVELOPMENT: folio_app::outbound::OutboundPolicy =
    folio_app::outbound::OutboundPolicy::DevelopmentAnyAddress;

/// A browser: its own cookie jar, no automatic redirects.
struct Browser {
    http: reqwest::Client,
}

impl Browser {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn get(&self, url: &str) -> Response {
        self.http.get(url).send().await.unwrap()
    }

    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.http.post(url).form(form).send().await.unwrap()
    }
}

fn location(response: &Response) -> String {
    let location = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on {}", response.status()))
        .to_str()
        .unwrap();
    response.url().join(location).unwrap().to_string()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn with_query_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

/// The `action` of the form whose submit button has this text (or the first form).
fn form_action(html: &str, button: &str) -> String {
    let forms: Vec<&str> = html.split("<form").skip(1).collect();
    let form = forms
        .iter()
        .find(|f| f.split("</form>").next().unwrap_or("").contains(button))
        .unwrap_or_else(|| panic!("no form with {button}: {html}"));
    let action = form.split("action=\"").nth(1).unwrap();
    action.split('"').next().unwrap().to_owned()
}

/// Where a walk through redirects stopped.
enum Stop {
    /// A page (200) at this URL.
    Page(String, String),
    /// A redirect to Folio: this URL, not followed.
    Folio(String),
}

struct Sso<'a> {
    app: &'a TestApp,
    browser: Browser,
}

impl<'a> Sso<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            browser: Browser::new(),
        }
    }

    /// Follows redirects from `response`, asserting each is a 302/303, until a page or a
    /// redirect back to Folio.
    async fn walk(&self, mut response: Response) -> Stop {
        for _ in 0..10 {
            let status = response.status();
            if status == StatusCode::OK {
                let url = response.url().to_string();
                return Stop::Page(url, response.text().await.unwrap());
            }
            if status != StatusCode::FOUND && status != StatusCode::SEE_OTHER {
                let url = response.url().to_string();
                let text = response.text().await.unwrap_or_default();
                panic!("hop {url} answered {status}: {text}");
            }
            let next = location(&response);
            if next.starts_with(&self.app.base) {
                return Stop::Folio(next);
            }
            response = self.browser.get(&next).await;
        }
        panic!("too many redirects");
    }

    /// Folio's login redirect: checks it is an authorization code request with PKCE S256,
    /// state and nonce, and returns the provider URL.
    async fn start(&self, slug: &str, idp: &OidcProvider) -> String {
        let response = self
            .browser
            .get(&format!("{}/auth/{slug}/sso/login", self.app.base))
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let to = location(&response);
        assert!(to.starts_with(&format!("{}/auth?", idp.issuer)), "{to}");
        assert_eq!(query_param(&to, "response_type").as_deref(), Some("code"));
        assert_eq!(
            query_param(&to, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert!(query_param(&to, "code_challenge").is_some());
        assert!(query_param(&to, "state").is_some_and(|s| s.len() >= 16));
        assert!(query_param(&to, "nonce").is_some_and(|s| s.len() >= 16));
        assert_eq!(
            query_param(&to, "client_id").as_deref(),
            Some(idp.client_id.as_str())
        );
        to
    }

    /// From the provider's authorization URL through its login form (unless the browser
    /// already has a session there) and consent form, to the redirect back to Folio's
    /// callback, which is returned unfollowed.
    async fn authorize(
        &self,
        auth_url: &str,
        idp: &OidcProvider,
        login: &str,
        allow: bool,
    ) -> String {
        let account = idp.account(login).clone();
        let mut stop = self.walk(self.browser.get(auth_url).await).await;
        for _ in 0..3 {
            let (url, html) = match stop {
                Stop::Folio(callback) => {
                    assert!(callback.contains("/sso/callback?"), "{callback}");
                    return callback;
                }
                Stop::Page(url, html) => (url, html),
            };
            let base = url::Url::parse(&url).unwrap();
            let response = if html.contains("type=\"password\"") {
                let action = base.join(&form_action(&html, "Sign in")).unwrap();
                self.browser
                    .post_form(
                        action.as_str(),
                        &[("login", &account.login), ("password", &account.password)],
                    )
                    .await
            } else if html.contains("Allow access") {
                let button = if allow { "Allow" } else { "Deny" };
                let action = base.join(&form_action(&html, button)).unwrap();
                self.browser
                    .post_form(action.as_str(), &[("decision", &button.to_lowercase())])
                    .await
            } else {
                panic!("unexpected page at {url}: {html}");
            };
            stop = self.walk(response).await;
        }
        panic!("the provider never sent the browser back");
    }

    async fn callback(&self, url: &str) -> Response {
        self.browser.get(url).await
    }

    /// The whole flow; returns the callback's response.
    async fn sign_in(&self, slug: &str, idp: &OidcProvider, login: &str) -> Response {
        let auth = self.start(slug, idp).await;
        let callback = self.authorize(&auth, idp, login, true).await;
        self.callback(&callback).await
    }

    /// An API request from one of Folio's pages in this browser: its cookie, and Folio's
    /// own origin.
    fn api(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.browser
            .http
            .request(method, format!("{}{path}", self.app.base))
            .header("origin", &self.app.base)
    }

    /// Signs in to `slug` with a password in this browser (the session cookie).
    async fn password(&self, slug: &str, email: &str) {
        let response = self
            .api(Method::POST, "/api/v1/auth/login")
            .json(&json!({ "tenant": slug, "email": email, "password": folio_tests::PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// Links the account signed in in this browser to the provider's `login`; returns the
    /// callback's response.
    async fn link(&self, slug: &str, idp: &OidcProvider, login: &str) -> Response {
        let response = self
            .browser
            .get(&format!("{}/auth/{slug}/sso/link", self.app.base))
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let auth = location(&response);
        assert!(auth.starts_with(&format!("{}/auth?", idp.issuer)), "{auth}");
        assert_eq!(
            query_param(&auth, "prompt").as_deref(),
            Some("login"),
            "the provider asks who is linking, whoever was signed in there"
        );
        let callback = self.authorize(&auth, idp, login, true).await;
        self.callback(&callback).await
    }

    /// GET /api/v1/me with the browser's cookie.
    async fn me(&self) -> Response {
        self.browser
            .get(&format!("{}/api/v1/me", self.app.base))
            .await
    }
}

/// Signs in and checks the session: 302 to `/` with the session cookie; returns /me.
async fn signed_in(sso: &Sso<'_>, slug: &str, idp: &OidcProvider, login: &str) -> Value {
    let response = sso.sign_in(slug, idp, login).await;
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "{}",
        response.text().await.unwrap_or_default()
    );
    assert_eq!(location(&response), format!("{}/", sso.app.base));
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("folio_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let me = sso.me().await;
    assert_eq!(me.status(), StatusCode::OK);
    me.json().await.unwrap()
}

async fn refused(response: Response, status: StatusCode, kind: &str) -> Value {
    let body = problem(response, status).await;
    assert_eq!(body["type"], format!("/problems/{kind}"), "{body}");
    body
}

struct World {
    app: TestApp,
    a: Tenant,
    b: Tenant,
    admin_a: String,
    admin_b: String,
    idp_a: OidcProvider,
    idp_b: OidcProvider,
}

fn accounts(domain: &str) -> Vec<Account> {
    vec![
        Account::new(
            "tutor",
            json!({ "email": format!("Tutor@{domain}"), "email_verified": true,
                    "name": "Tess Tutor", "groups": ["tutors", "staff"] }),
        ),
        Account::new(
            "boss",
            json!({ "email": format!("boss@{domain}"), "name": "Bea Boss",
                    "groups": ["folio-admins"] }),
        ),
        Account::new(
            "learner",
            json!({ "email": format!("learner@{domain}"), "name": "Lee Learner",
                    "groups": ["apprentices"] }),
        ),
        Account::new(
            "outsider",
            json!({ "email": "someone@elsewhere.example", "name": "Out Sider",
                    "groups": ["tutors"] }),
        ),
        Account::new(
            "nogroups",
            json!({ "email": format!("nogroups@{domain}"), "name": "No Groups",
                    "groups": ["canteen"] }),
        ),
        Account::new(
            "unverified",
            json!({ "email": format!("unverified@{domain}"), "email_verified": false,
                    "groups": ["tutors"] }),
        ),
        // Asserts the address of the organisation's local admin (verified, even).
        Account::new(
            "admin",
            json!({ "email": format!("admin@{domain}"), "email_verified": true,
                    "name": "Ada Admin", "groups": ["apprentices"] }),
        ),
        // Another subject asserting the tutor's address.
        Account::new(
            "tutor2",
            json!({ "email": format!("tutor@{domain}"), "email_verified": true,
                    "groups": ["tutors"] }),
        ),
        // Says nothing of verification, as Entra ID does.
        Account::new(
            "quiet",
            json!({ "email": format!("invitee@{domain}"), "groups": ["tutors"] }),
        ),
    ]
}

/// Alpha's settings: people provisioned on first sign-in with roles mapped from `groups`,
/// only alpha.example addresses; `password_sign_in` as given.
fn alpha_settings(idp: &OidcProvider, password_sign_in: bool) -> Value {
    json!({
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "scopes": ["openid", "email", "profile", "groups"],
        "role_claim": "groups",
        "role_mapping": { "tutors": ["assessor"], "staff": ["iqa"], "folio-admins": ["admin"],
                          "apprentices": ["learner"] },
        "provisioning": "create",
        "allowed_email_domains": ["alpha.example"],
        "password_sign_in": password_sign_in,
    })
}

/// Tenant A provisions people on first sign-in and maps roles from `groups`, and has
/// turned password sign-in off (its admin `boss` signed in through the provider to do
/// it); tenant B admits only people invited beforehand and keeps the roles Folio gave
/// them.
async fn world() -> World {
    let app = TestApp::spawn().await;
    let (a, _, admin_a) = app.tenant_with_admin("alpha").await;
    let (b, _, admin_b) = app.tenant_with_admin("bravo").await;
    let idp_a = OidcProvider::start(
        "folio-alpha",
        &format!("{}/auth/alpha/sso/callback", app.base),
        &format!("{}/", app.base),
        accounts("alpha.example"),
    )
    .await;
    let idp_b = OidcProvider::start(
        "folio-bravo",
        &format!("{}/auth/bravo/sso/callback", app.base),
        &format!("{}/", app.base),
        accounts("bravo.example"),
    )
    .await;
    let w = World {
        app,
        a,
        b,
        admin_a,
        admin_b,
        idp_a,
        idp_b,
    };
    put_settings(&w.app, &w.admin_a, alpha_settings(&w.idp_a, true)).await;
    let boss = Sso::new(&w.app);
    let me = signed_in(&boss, "alpha", &w.idp_a, "boss").await;
    assert_eq!(me["roles"], json!(["admin"]));
    let off = boss
        .api(Method::PUT, "/api/v1/settings/sso")
        .json(&alpha_settings(&w.idp_a, false))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), StatusCode::OK);
    put_settings(
        &w.app,
        &w.admin_b,
        json!({
            "issuer": w.idp_b.issuer,
            "client_id": w.idp_b.client_id,
            "client_secret": w.idp_b.client_secret,
        }),
    )
    .await;
    w
}

async fn put_settings(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app
        .authed(Method::PUT, "/api/v1/settings/sso", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    if let Some(secret) = body["client_secret"].as_str() {
        assert!(!text.contains(secret), "the secret is never returned");
    }
    serde_json::from_str(&text).unwrap()
}

impl World {
    async fn finish(self) {
        drop(self.idp_a);
        drop(self.idp_b);
        self.app.finish().await;
    }
}

#[tokio::test]
async fn two_tenants_sign_in_through_their_own_providers_with_mapped_roles() {
    let w = world().await;
    // Bravo invites its tutor beforehand, as a learner and assessor.
    let invited = w
        .app
        .user(
            &w.b,
            "tutor@bravo.example",
            &[Role::Assessor, Role::Learner],
        )
        .await;

    // Alpha: the tutor is new to Folio, provisioned with roles mapped from `groups`.
    let alpha = Sso::new(&w.app);
    let me = signed_in(&alpha, "alpha", &w.idp_a, "tutor").await;
    assert_eq!(me["tenant"]["slug"], "alpha");
    assert_eq!(me["user"]["email"], "tutor@alpha.example");
    assert_eq!(me["user"]["name"], "Tess Tutor");
    assert_eq!(me["roles"], json!(["assessor", "iqa"]));
    assert!(
        me["user"]["last_login_at"].is_string(),
        "last login recorded"
    );

    // Bravo: matched to the invited person by address; roles kept (no role claim).
    let bravo = Sso::new(&w.app);
    let me = signed_in(&bravo, "bravo", &w.idp_b, "tutor").await;
    assert_eq!(me["tenant"]["slug"], "bravo");
    assert_eq!(me["user"]["id"], invited.to_string());
    assert_eq!(me["roles"], json!(["assessor", "learner"]));

    // The identity is linked by (tenant, issuer, subject): a second sign-in finds it, and
    // the same subject at the other tenant's provider is another person.
    let identities: Vec<(String, String)> = sqlx::query_as(
        "select issuer, subject from user_identities where subject = 'tutor' order by issuer",
    )
    .fetch_all(&w.app.database.pool)
    .await
    .unwrap();
    assert_eq!(identities.len(), 2);
    assert_ne!(identities[0].0, identities[1].0);
    let again = Sso::new(&w.app);
    let me2 = signed_in(&again, "alpha", &w.idp_a, "tutor").await;
    assert_eq!(me2["user"]["id"], me_id(&alpha).await);

    // The admin at alpha comes through mapped to admin.
    let boss = Sso::new(&w.app);
    let me = signed_in(&boss, "alpha", &w.idp_a, "boss").await;
    assert_eq!(me["roles"], json!(["admin"]));

    // Password sign-in is off at alpha, still on at bravo.
    let response = w
        .app
        .login_response("alpha", "admin@alpha.example", folio_tests::PASSWORD)
        .await;
    refused(response, StatusCode::FORBIDDEN, "password-sign-in-disabled").await;
    w.app.login(&w.b, "admin@bravo.example").await;

    // Sign-ins are audited as SSO sessions; the secret is in no audit record.
    let audit: Vec<Value> = sqlx::query_scalar("select details from audit_log")
        .fetch_all(&w.app.database.pool)
        .await
        .unwrap();
    assert!(audit.iter().any(|d| d["method"] == "sso"));
    let all = serde_json::to_string(&audit).unwrap();
    assert!(!all.contains(&w.idp_a.client_secret));

    // The ID token is kept on the session, sealed (never in clear).
    let sealed: Vec<Option<String>> =
        sqlx::query_scalar("select sso_id_token_sealed from sessions where method = 'sso'")
            .fetch_all(&w.app.database.pool)
            .await
            .unwrap();
    assert!(!sealed.is_empty());
    assert!(
        sealed
            .iter()
            // A JWT in clear starts with its header, `{"alg":` in base64url; three
            // characters (`eyJ`) also turn up by chance in a long sealed value.
            .all(|s| s
                .as_deref()
                .is_some_and(|s| s.starts_with("sealed:v1:") && !s.contains("eyJhbGci"))),
        "{sealed:?}"
    );
    // Signing out of an SSO session (the pages' "Sign out" comes here) ends the Folio
    // session and goes to the provider's end_session_endpoint with the ID token as
    // id_token_hint, and where to send the browser back.
    let rp = alpha
        .browser
        .get(&format!("{}/auth/alpha/sso/logout", w.app.base))
        .await;
    assert_eq!(rp.status(), StatusCode::FOUND);
    assert_eq!(alpha.me().await.status(), StatusCode::UNAUTHORIZED);
    let end = location(&rp);
    let hint = query_param(&end, "id_token_hint").expect("an id_token_hint");
    assert_eq!(hint.split('.').count(), 3, "a JWT: {hint}");
    assert!(
        end.starts_with(&format!("{}/session/end?", w.idp_a.issuer)),
        "{end}"
    );
    assert_eq!(
        query_param(&end, "client_id").as_deref(),
        Some(w.idp_a.client_id.as_str())
    );
    assert_eq!(
        query_param(&end, "post_logout_redirect_uri"),
        Some(format!("{}/", w.app.base))
    );
    let page = alpha.browser.get(&end).await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the provider asks to confirm"
    );
    w.finish().await;
}

async fn me_id(sso: &Sso<'_>) -> Value {
    let me: Value = sso.me().await.json().await.unwrap();
    me["user"]["id"].clone()
}

#[tokio::test]
async fn sso_settings_are_for_admins_and_never_show_the_secret() {
    let w = world().await;
    let response = w
        .app
        .authed(Method::GET, "/api/v1/settings/sso", &w.admin_a)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(!text.contains(&w.idp_a.client_secret));
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["client_secret_set"], true);
    // Nor is it stored in clear: the column holds it sealed (and sign-ins, which need it
    // at the token endpoint, work: the world's admin signed in through it).
    let stored: Vec<String> = sqlx::query_scalar("select client_secret from sso_settings")
        .fetch_all(&w.app.database.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    for (column, secret) in stored
        .iter()
        .flat_map(|c| [(c, &w.idp_a.client_secret), (c, &w.idp_b.client_secret)])
    {
        assert!(column.starts_with("sealed:v1:"), "{column}");
        assert!(!column.contains(secret.as_str()));
    }
    // Nonces and verifiers of finished sign-ins are gone; none has expired and stayed.
    let kept: i64 = sqlx::query_scalar(
        "select count(*) from sso_login_states
         where (used_at is not null and (nonce is not null or pkce_verifier is not null))
            or expires_at < now()",
    )
    .fetch_one(&w.app.database.pool)
    .await
    .unwrap();
    assert_eq!(kept, 0);
    assert_eq!(body["issuer"], w.idp_a.issuer);
    assert_eq!(body["role_mapping"]["tutors"], json!(["assessor"]));
    assert_eq!(body["provisioning"], "create");
    assert_eq!(
        body["redirect_uri"],
        format!("{}/auth/alpha/sso/callback", w.app.base)
    );

    // Leaving the secret out keeps it: sign-in still works after a change.
    let changed = put_settings(
        &w.app,
        &w.admin_a,
        json!({
            "issuer": w.idp_a.issuer, "client_id": w.idp_a.client_id,
            "scopes": ["openid", "email", "profile", "groups"],
            "role_claim": "groups", "role_mapping": { "tutors": ["learner"] },
            "provisioning": "create",
        }),
    )
    .await;
    assert_eq!(changed["password_sign_in"], true);
    let me = signed_in(&Sso::new(&w.app), "alpha", &w.idp_a, "tutor").await;
    assert_eq!(me["roles"], json!(["learner"]));

    // A first setup needs a secret; fields are checked.
    let (_, _, admin_c) = w.app.tenant_with_admin("charlie").await;
    let response = w
        .app
        .authed(Method::PUT, "/api/v1/settings/sso", &admin_c)
        .json(
            &json!({ "issuer": "not a url", "client_id": "", "client_secret": "x",
                       "allowed_email_domains": ["a@b"] }),
        )
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        folio_tests::fields(&body),
        vec!["issuer", "client_id", "allowed_email_domains[0]"]
    );
    let response = w
        .app
        .authed(Method::PUT, "/api/v1/settings/sso", &admin_c)
        .json(
            &json!({ "issuer": "https://idp.example", "client_id": "x", "client_secret": "x",
                       "role_mapping": { "wizards": ["wizard"] } }),
        )
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(folio_tests::fields(&body), vec!["role_mapping.wizards[0]"]);
    let response = w
        .app
        .authed(Method::PUT, "/api/v1/settings/sso", &admin_c)
        .json(&json!({ "issuer": "https://idp.example", "client_id": "x" }))
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(folio_tests::fields(&body), vec!["client_secret"]);
    let response = w
        .app
        .authed(Method::GET, "/api/v1/settings/sso", &admin_c)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    // Charlie has no SSO: its login URL says so.
    let response = Browser::new()
        .get(&format!("{}/auth/charlie/sso/login", w.app.base))
        .await;
    refused(response, StatusCode::NOT_FOUND, "sso-not-configured").await;

    // Only admins.
    w.app
        .user(&w.a, "assessor@alpha.example", &[Role::Assessor])
        .await;
    let token = {
        // Password sign-in is off at alpha: use bravo's for a non-admin.
        w.app
            .user(&w.b, "assessor@bravo.example", &[Role::Assessor])
            .await;
        w.app.login(&w.b, "assessor@bravo.example").await
    };
    let response = w
        .app
        .authed(Method::GET, "/api/v1/settings/sso", &token)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::FORBIDDEN).await;
    w.finish().await;
}

#[tokio::test]
async fn denied_consent_is_refused() {
    let w = world().await;
    let sso = Sso::new(&w.app);
    let auth = sso.start("alpha", &w.idp_a).await;
    let callback = sso.authorize(&auth, &w.idp_a, "tutor", false).await;
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("access_denied")
    );
    refused(
        sso.callback(&callback).await,
        StatusCode::FORBIDDEN,
        "sso-access-denied",
    )
    .await;
    assert_eq!(sso.me().await.status(), StatusCode::UNAUTHORIZED);
    w.finish().await;
}

#[tokio::test]
async fn unknown_replayed_expired_and_foreign_states_are_refused() {
    let w = world().await;
    let sso = Sso::new(&w.app);
    let auth = sso.start("alpha", &w.idp_a).await;
    let callback = sso.authorize(&auth, &w.idp_a, "tutor", true).await;

    // Another browser presenting this callback (a login CSRF) is refused, and that
    // uses the state up.
    let stranger = Sso::new(&w.app);
    refused(
        stranger.callback(&callback).await,
        StatusCode::BAD_REQUEST,
        "sso-state-mismatch",
    )
    .await;
    refused(
        sso.callback(&callback).await,
        StatusCode::BAD_REQUEST,
        "sso-state-replayed",
    )
    .await;

    // A state Folio never issued.
    let forged = with_query_param(&callback, "state", "made-up-state-value");
    refused(
        sso.callback(&forged).await,
        StatusCode::BAD_REQUEST,
        "sso-state-unknown",
    )
    .await;
    let no_state = format!("{}/auth/alpha/sso/callback?code=abc", w.app.base);
    refused(
        sso.callback(&no_state).await,
        StatusCode::BAD_REQUEST,
        "sso-state-unknown",
    )
    .await;

    // A good sign-in, then the replay of its callback.
    let auth = sso.start("alpha", &w.idp_a).await;
    let callback = sso.authorize(&auth, &w.idp_a, "tutor", true).await;
    assert_eq!(sso.callback(&callback).await.status(), StatusCode::FOUND);
    refused(
        sso.callback(&callback).await,
        StatusCode::BAD_REQUEST,
        "sso-state-replayed",
    )
    .await;

    // A sign-in that took too long.
    let late = Sso::new(&w.app);
    let auth = late.start("alpha", &w.idp_a).await;
    let callback = late.authorize(&auth, &w.idp_a, "tutor", true).await;
    sqlx::query(
        "update sso_login_states set expires_at = now() - interval '1 second' where used_at is null",
    )
    .execute(&w.app.database.pool)
    .await
    .unwrap();
    refused(
        late.callback(&callback).await,
        StatusCode::BAD_REQUEST,
        "sso-state-expired",
    )
    .await;

    // Alpha's state at bravo's callback: states are bound to their tenant.
    let auth = sso.start("alpha", &w.idp_a).await;
    let callback = sso.authorize(&auth, &w.idp_a, "tutor", true).await;
    let at_bravo = callback.replace("/auth/alpha/", "/auth/bravo/");
    refused(
        sso.callback(&at_bravo).await,
        StatusCode::BAD_REQUEST,
        "sso-state-unknown",
    )
    .await;
    w.finish().await;
}

#[tokio::test]
async fn tenant_a_code_and_id_token_are_refused_for_tenant_b() {
    let w = world().await;
    w.app
        .user(&w.b, "tutor@bravo.example", &[Role::Assessor])
        .await;
    let browser = Sso::new(&w.app);

    // A code alpha's provider issued, presented at bravo's callback with a state bravo
    // issued to this browser: bravo's provider refuses it at the token endpoint.
    let auth_a = browser.start("alpha", &w.idp_a).await;
    let callback_a = browser.authorize(&auth_a, &w.idp_a, "tutor", true).await;
    let code_a = query_param(&callback_a, "code").unwrap();
    let auth_b = browser.start("bravo", &w.idp_b).await;
    let state_b = query_param(&auth_b, "state").unwrap();
    let forged = format!(
        "{}/auth/bravo/sso/callback?code={code_a}&state={state_b}",
        w.app.base
    );
    refused(
        browser.callback(&forged).await,
        StatusCode::UNAUTHORIZED,
        "sso-code-rejected",
    )
    .await;
    assert_eq!(browser.me().await.status(), StatusCode::UNAUTHORIZED);

    // A real ID token from alpha's provider, fetched with alpha's code, verifier and
    // secret, checked the way bravo's callback checks tokens.
    let auth_a = browser.start("alpha", &w.idp_a).await;
    let callback_a = browser.authorize(&auth_a, &w.idp_a, "tutor", true).await;
    let code = query_param(&callback_a, "code").unwrap();
    let (verifier, nonce): (String, String) = sqlx::query_as(
        "select pkce_verifier, nonce from sso_login_states where used_at is null
         and tenant_id = $1 order by id desc limit 1",
    )
    .bind(w.a.id)
    .fetch_one(&w.app.database.pool)
    .await
    .unwrap();
    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/token", w.idp_a.issuer))
        .basic_auth(&w.idp_a.client_id, Some(&w.idp_a.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &verifier),
            (
                "redirect_uri",
                &format!("{}/auth/alpha/sso/callback", w.app.base),
            ),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"]
        .as_str()
        .unwrap_or_else(|| panic!("id token: {tokens}"))
        .to_owned();
    let now = Utc::now();
    let verify = |issuer: String, client: String, nonce: String, at| {
        let id_token = id_token.clone();
        async move {
            folio_api::verify_id_token(&issuer, &client, &id_token, &nonce, at, DEVELOPMENT).await
        }
    };
    // As alpha expects it: good.
    let claims = verify(
        w.idp_a.issuer.clone(),
        w.idp_a.client_id.clone(),
        nonce.clone(),
        now,
    )
    .await
    .unwrap();
    assert_eq!(claims["sub"], "tutor");
    // At bravo: another issuer.
    assert_eq!(
        verify(
            w.idp_b.issuer.clone(),
            w.idp_b.client_id.clone(),
            nonce.clone(),
            now
        )
        .await
        .unwrap_err(),
        SsoFailure::WrongIssuer
    );
    // Issued to another client, for another sign-in, or checked too late.
    assert_eq!(
        verify(
            w.idp_a.issuer.clone(),
            w.idp_b.client_id.clone(),
            nonce.clone(),
            now
        )
        .await
        .unwrap_err(),
        SsoFailure::WrongAudience
    );
    assert_eq!(
        verify(
            w.idp_a.issuer.clone(),
            w.idp_a.client_id.clone(),
            "another-nonce".into(),
            now
        )
        .await
        .unwrap_err(),
        SsoFailure::NonceMismatch
    );
    assert_eq!(
        verify(
            w.idp_a.issuer.clone(),
            w.idp_a.client_id.clone(),
            nonce.clone(),
            now + chrono::Duration::hours(2)
        )
        .await
        .unwrap_err(),
        SsoFailure::TokenExpired
    );
    // A tampered payload fails the signature check.
    let mut parts: Vec<String> = id_token.split('.').map(str::to_owned).collect();
    let payload = parts[1].clone();
    parts[1] = format!("{}A", &payload[..payload.len() - 1]);
    let tampered = parts.join(".");
    let failure = folio_api::verify_id_token(
        &w.idp_a.issuer,
        &w.idp_a.client_id,
        &tampered,
        &nonce,
        now,
        DEVELOPMENT,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(failure, SsoFailure::BadSignature | SsoFailure::InvalidToken),
        "{failure:?}"
    );
    w.finish().await;
}

#[tokio::test]
async fn a_nonce_from_another_sign_in_is_refused() {
    let w = world().await;
    let sso = Sso::new(&w.app);
    // Two sign-ins started; the provider is sent the first one's nonce with the second
    // one's state, so the ID token's nonce is not the one stored with that state.
    let first = sso.start("alpha", &w.idp_a).await;
    let second = sso.start("alpha", &w.idp_a).await;
    let nonce1 = query_param(&first, "nonce").unwrap();
    let mixed = with_query_param(&second, "nonce", &nonce1);
    let callback = sso.authorize(&mixed, &w.idp_a, "tutor", true).await;
    refused(
        sso.callback(&callback).await,
        StatusCode::UNAUTHORIZED,
        "sso-nonce-mismatch",
    )
    .await;
    assert_eq!(sso.me().await.status(), StatusCode::UNAUTHORIZED);
    w.finish().await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let w = world().await;
    // The provider's token endpoint runs two hours behind: its ID tokens expired an
    // hour ago when they arrive.
    w.idp_a.set_token_clock_offset(-7200).await;
    let sso = Sso::new(&w.app);
    refused(
        sso.sign_in("alpha", &w.idp_a, "tutor").await,
        StatusCode::UNAUTHORIZED,
        "sso-token-expired",
    )
    .await;
    w.finish().await;
}

#[tokio::test]
async fn who_may_sign_in_is_decided_by_the_tenant_settings() {
    let w = world().await;
    // Alpha allows only alpha.example addresses.
    refused(
        Sso::new(&w.app)
            .sign_in("alpha", &w.idp_a, "outsider")
            .await,
        StatusCode::FORBIDDEN,
        "sso-email-domain-not-allowed",
    )
    .await;
    // No group of theirs maps to a Folio role.
    refused(
        Sso::new(&w.app)
            .sign_in("alpha", &w.idp_a, "nogroups")
            .await,
        StatusCode::FORBIDDEN,
        "sso-no-roles",
    )
    .await;
    // The provider says the address is unverified.
    refused(
        Sso::new(&w.app)
            .sign_in("alpha", &w.idp_a, "unverified")
            .await,
        StatusCode::FORBIDDEN,
        "sso-email-unverified",
    )
    .await;
    // Bravo admits only people invited beforehand.
    refused(
        Sso::new(&w.app).sign_in("bravo", &w.idp_b, "learner").await,
        StatusCode::FORBIDDEN,
        "sso-not-provisioned",
    )
    .await;
    let count: i64 = sqlx::query_scalar("select count(*) from users where email like 'learner@%'")
        .fetch_one(&w.app.database.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nobody was created");

    // A deactivated person is refused, whether matched by address or by subject.
    let learner = Sso::new(&w.app);
    let me = signed_in(&learner, "alpha", &w.idp_a, "learner").await;
    assert_eq!(me["roles"], json!(["learner"]));
    let id = me["user"]["id"].as_str().unwrap().to_owned();
    let response = w
        .app
        .authed(
            Method::POST,
            &format!("/api/v1/users/{id}/deactivate"),
            // Alpha is SSO-only: its admin signed in through the provider.
            &token_of(&w.app, "boss@alpha.example").await,
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    refused(
        Sso::new(&w.app).sign_in("alpha", &w.idp_a, "learner").await,
        StatusCode::FORBIDDEN,
        "sso-user-deactivated",
    )
    .await;
    let invited = w.app.user(&w.b, "tutor@bravo.example", &[Role::Iqa]).await;
    sqlx::query("update users set status = 'deactivated' where id = $1")
        .bind(invited)
        .execute(&w.app.database.pool)
        .await
        .unwrap();
    refused(
        Sso::new(&w.app).sign_in("bravo", &w.idp_b, "tutor").await,
        StatusCode::FORBIDDEN,
        "sso-user-deactivated",
    )
    .await;
    w.finish().await;
}

/// A (password) session token for the person with this address, minted the way sign-in
/// does, for people who cannot sign in with a password.
async fn token_of(app: &TestApp, email: &str) -> String {
    let (tenant, user): (uuid::Uuid, uuid::Uuid) =
        sqlx::query_as("select tenant_id, id from users where email = $1")
            .bind(email)
            .fetch_one(&app.database.pool)
            .await
            .unwrap();
    let minted = folio_app::credentials::mint(
        folio_app::credentials::TokenKind::Session,
        folio_domain::TenantId(tenant),
    );
    sqlx::query(
        "insert into sessions (tenant_id, id, user_id, token_hash, expires_at)
         values ($1, $2, $3, $4, now() + interval '1 hour')",
    )
    .bind(tenant)
    .bind(uuid::Uuid::now_v7())
    .bind(user)
    .bind(minted.hash.as_slice())
    .execute(&app.database.pool)
    .await
    .unwrap();
    minted.token
}

#[tokio::test]
async fn an_unreachable_provider_is_a_502_not_a_500() {
    let mut w = world().await;
    // Nothing listens on the issuer's port.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (charlie, _, admin_c) = w.app.tenant_with_admin("charlie").await;
    // Saving settings for a provider that cannot be reached is refused, in words...
    let response = w
        .app
        .authed(Method::PUT, "/api/v1/settings/sso", &admin_c)
        .json(
            &json!({ "issuer": format!("http://127.0.0.1:{dead}"), "client_id": "charlie-client",
                     "client_secret": "charlie-client-secret-value" }),
        )
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(folio_tests::fields(&body), vec!["issuer"]);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{body}"
    );
    // ...so here the provider went away after it was set up.
    sqlx::query(
        "insert into sso_settings (tenant_id, issuer, client_id, client_secret)
         values ($1, $2, 'charlie-client', 'charlie-client-secret-value')",
    )
    .bind(charlie.id)
    .bind(format!("http://127.0.0.1:{dead}"))
    .execute(&w.app.database.pool)
    .await
    .unwrap();
    let body = refused(
        Browser::new()
            .get(&format!("{}/auth/charlie/sso/login", w.app.base))
            .await,
        StatusCode::BAD_GATEWAY,
        "sso-provider-unavailable",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{dead}")),
        "{body}"
    );

    // The provider goes away between the redirect and the callback.
    let sso = Sso::new(&w.app);
    let auth = sso.start("alpha", &w.idp_a).await;
    let callback = sso.authorize(&auth, &w.idp_a, "tutor", true).await;
    w.idp_a.stop();
    refused(
        sso.callback(&callback).await,
        StatusCode::BAD_GATEWAY,
        "sso-provider-unavailable",
    )
    .await;
    w.finish().await;
}

#[tokio::test]
async fn keys_are_fetched_again_when_the_provider_rotates_them() {
    let mut w = world().await;
    signed_in(&Sso::new(&w.app), "alpha", &w.idp_a, "tutor").await;
    // Same issuer, new signing key: the cached key set no longer has the token's key id.
    w.idp_a.restart().await;
    let me = signed_in(&Sso::new(&w.app), "alpha", &w.idp_a, "tutor").await;
    assert_eq!(me["tenant"]["slug"], "alpha");
    w.finish().await;
}

/// The roles the person with this address holds, alphabetically.
async fn roles_of(app: &TestApp, email: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select coalesce(array_agg(r.role order by r.role), '{}') from users u
         left join user_roles r on r.tenant_id = u.tenant_id and r.user_id = u.id
         where u.email = $1",
    )
    .bind(email)
    .fetch_one(&app.database.pool)
    .await
    .unwrap()
}

/// The audit records of `action`, oldest first: their details.
async fn audited(app: &TestApp, action: &str) -> Vec<Value> {
    sqlx::query_scalar("select details from audit_log where action = $1 order by at, id")
        .bind(action)
        .fetch_all(&app.database.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_identity_provider_cannot_sign_anyone_into_an_account_it_does_not_own() {
    let w = world().await;

    // A provider user asserting the local admin's (verified) address is not signed in as
    // that admin, and the admin keeps the admin role (the mapping would give `learner`).
    refused(
        Sso::new(&w.app).sign_in("alpha", &w.idp_a, "admin").await,
        StatusCode::FORBIDDEN,
        "sso-admin-link-needs-password",
    )
    .await;
    assert_eq!(roles_of(&w.app, "admin@alpha.example").await, ["admin"]);
    let linked: i64 =
        sqlx::query_scalar("select count(*) from user_identities where subject = 'admin'")
            .fetch_one(&w.app.database.pool)
            .await
            .unwrap();
    assert_eq!(linked, 0);

    // A provider that does not say the address is verified links nobody by address...
    let invitee = w
        .app
        .user(&w.b, "invitee@bravo.example", &[Role::Learner])
        .await;
    refused(
        Sso::new(&w.app).sign_in("bravo", &w.idp_b, "quiet").await,
        StatusCode::FORBIDDEN,
        "sso-link-needs-verified-email",
    )
    .await;
    // ...unless the organisation chooses to trust its addresses.
    let trusting = put_settings(
        &w.app,
        &w.admin_b,
        json!({ "issuer": w.idp_b.issuer, "client_id": w.idp_b.client_id,
                "trust_unverified_emails": true }),
    )
    .await;
    assert_eq!(trusting["trust_unverified_emails"], true);
    let me = signed_in(&Sso::new(&w.app), "bravo", &w.idp_b, "quiet").await;
    assert_eq!(me["user"]["id"], invitee.to_string());
    let links = audited(&w.app, "user.sso_link").await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["subject"], "quiet");
    assert_eq!(links[0]["by"], "email");
    assert_eq!(links[0]["email"], "trusted");

    // An account linked once is never linked to a second subject by address.
    let tutor = w
        .app
        .user(&w.b, "tutor@bravo.example", &[Role::Assessor])
        .await;
    let me = signed_in(&Sso::new(&w.app), "bravo", &w.idp_b, "tutor").await;
    assert_eq!(me["user"]["id"], tutor.to_string());
    refused(
        Sso::new(&w.app).sign_in("bravo", &w.idp_b, "tutor2").await,
        StatusCode::FORBIDDEN,
        "sso-account-linked-elsewhere",
    )
    .await;
    let subjects: Vec<String> =
        sqlx::query_scalar("select subject from user_identities where user_id = $1")
            .bind(tutor)
            .fetch_all(&w.app.database.pool)
            .await
            .unwrap();
    assert_eq!(subjects, ["tutor"]);

    // Roles a provider changes at sign-in are audited with what they were.
    w.app
        .user(&w.a, "tutor@alpha.example", &[Role::Learner])
        .await;
    let me = signed_in(&Sso::new(&w.app), "alpha", &w.idp_a, "tutor").await;
    assert_eq!(me["roles"], json!(["assessor", "iqa"]));
    let changes = audited(&w.app, "user.set_roles").await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["source"], "sso");
    assert_eq!(changes[0]["before"], json!(["learner"]));
    assert_eq!(changes[0]["roles"], json!(["assessor", "iqa"]));

    // The mapping cannot take the admin role from the last admin who can sign in (boss:
    // alpha's password sign-in is off, so its local admin cannot): boss keeps it.
    let mut settings = alpha_settings(&w.idp_a, false);
    settings["role_mapping"]["folio-admins"] = json!(["assessor"]);
    put_settings(&w.app, &w.admin_a, settings).await;
    let me = signed_in(&Sso::new(&w.app), "alpha", &w.idp_a, "boss").await;
    assert_eq!(me["roles"], json!(["admin", "assessor"]));
    let changes = audited(&w.app, "user.set_roles").await;
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[1]["kept_admin_role"], true);
    assert_eq!(changes[1]["before"], json!(["admin"]));
    w.finish().await;
}

#[tokio::test]
async fn an_admin_links_their_account_from_a_password_session_and_cannot_lock_the_tenant_out() {
    let w = world().await;
    let admin_id: String =
        sqlx::query_scalar("select id::text from users where email = 'admin@bravo.example'")
            .fetch_one(&w.app.database.pool)
            .await
            .unwrap();

    // Linking needs a Folio session.
    let stranger = Browser::new()
        .get(&format!("{}/auth/bravo/sso/link", w.app.base))
        .await;
    problem(stranger, StatusCode::UNAUTHORIZED).await;

    // Signed in with the password, the admin links their provider account...
    let admin = Sso::new(&w.app);
    admin.password("bravo", "admin@bravo.example").await;
    // A page of another site cannot start it for them.
    let cross_site = admin
        .browser
        .http
        .get(format!("{}/auth/bravo/sso/link", w.app.base))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    problem(cross_site, StatusCode::FORBIDDEN).await;
    let linked = admin.link("bravo", &w.idp_b, "admin").await;
    assert_eq!(linked.status(), StatusCode::FOUND);
    assert_eq!(location(&linked), format!("{}/app/profile", w.app.base));
    let links = audited(&w.app, "user.sso_link").await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["by"], "signed-in session");
    // ...and signs in through it from then on, as themself, still an admin.
    let sso_admin = Sso::new(&w.app);
    let me = signed_in(&sso_admin, "bravo", &w.idp_b, "admin").await;
    assert_eq!(me["user"]["id"], admin_id);
    assert_eq!(me["roles"], json!(["admin"]));
    let identities: Value = w
        .app
        .authed(
            Method::GET,
            &format!("/api/v1/users/{admin_id}/identities"),
            &w.admin_b,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(identities.as_array().unwrap().len(), 1, "{identities}");
    assert_eq!(identities[0]["subject"], "admin");
    assert_eq!(identities[0]["issuer"], w.idp_b.issuer);

    // Someone else's provider account cannot be linked to it.
    w.app
        .user(&w.b, "tutor@bravo.example", &[Role::Assessor])
        .await;
    signed_in(&Sso::new(&w.app), "bravo", &w.idp_b, "tutor").await;
    let other = Sso::new(&w.app);
    other.password("bravo", "admin@bravo.example").await;
    refused(
        other.link("bravo", &w.idp_b, "tutor").await,
        StatusCode::CONFLICT,
        "sso-identity-linked-elsewhere",
    )
    .await;

    // Password sign-in cannot be turned off from a password session...
    let off = json!({ "issuer": w.idp_b.issuer, "client_id": w.idp_b.client_id,
                      "password_sign_in": false });
    let response = w
        .app
        .authed(Method::PUT, "/api/v1/settings/sso", &w.admin_b)
        .json(&off)
        .send()
        .await
        .unwrap();
    let body = refused(response, StatusCode::CONFLICT, "last-admin").await;
    assert_eq!(folio_tests::fields(&body), vec!["password_sign_in"]);
    // ...but can by an admin who just signed in through the provider.
    let response = sso_admin
        .api(Method::PUT, "/api/v1/settings/sso")
        .json(&off)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Now the admin's link is the only way any admin gets in: it cannot be removed.
    let identity = identities[0]["id"].as_str().unwrap();
    let response = sso_admin
        .api(
            Method::DELETE,
            &format!("/api/v1/users/{admin_id}/identities/{identity}"),
        )
        .send()
        .await
        .unwrap();
    refused(response, StatusCode::CONFLICT, "last-admin").await;

    // Another admin who cannot sign in (no password way, no link) cannot deactivate or
    // demote the one who can; the one who can may demote them.
    let second = w
        .app
        .user(&w.b, "second@bravo.example", &[Role::Admin])
        .await;
    let second_token = token_of(&w.app, "second@bravo.example").await;
    let response = w
        .app
        .authed(
            Method::POST,
            &format!("/api/v1/users/{admin_id}/deactivate"),
            &second_token,
        )
        .send()
        .await
        .unwrap();
    refused(response, StatusCode::CONFLICT, "last-admin").await;
    let response = w
        .app
        .authed(
            Method::PUT,
            &format!("/api/v1/users/{admin_id}/roles"),
            &second_token,
        )
        .json(&json!({ "roles": ["assessor"] }))
        .send()
        .await
        .unwrap();
    let body = refused(response, StatusCode::CONFLICT, "last-admin").await;
    assert_eq!(folio_tests::fields(&body), vec!["roles"]);
    assert_eq!(roles_of(&w.app, "admin@bravo.example").await, ["admin"]);
    let response = sso_admin
        .api(Method::PUT, &format!("/api/v1/users/{second}/roles"))
        .json(&json!({ "roles": ["assessor"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    w.finish().await;
}

#[tokio::test]
async fn settings_that_would_make_folio_call_internal_addresses_are_refused() {
    // Production's outbound policy: https to public addresses only.
    let app = TestApp::spawn_with(
        folio_api::ApiSettings {
            cookie_secure: false,
            ..folio_api::ApiSettings::default()
        },
        &folio_tests::redis_url(),
    )
    .await;
    let (_, _, admin) = app.tenant_with_admin("delta").await;
    for issuer in [
        "http://idp.example.com",
        "https://127.0.0.1:8443",
        "https://localhost:6379",
        "https://10.1.2.3/realms/x",
        "https://172.20.0.5",
        "https://192.168.0.10",
        "https://169.254.169.254/latest/meta-data",
        "https://100.100.100.200",
        "https://[::1]:8080",
        "https://[::ffff:7f00:1]",
        "https://[fe80::1]",
        "https://[fd00:ec2::254]",
        "https://[64:ff9b::a9fe:a9fe]",
        "https://2130706433",
        "https://0x7f.0.0.1",
        "https://metadata.google.internal",
        "https://redis",
    ] {
        let response = app
            .authed(Method::PUT, "/api/v1/settings/sso", &admin)
            .json(&json!({ "issuer": issuer, "client_id": "folio", "client_secret": "s3cret" }))
            .send()
            .await
            .unwrap();
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            folio_tests::fields(&body),
            vec!["issuer"],
            "{issuer}: {body}"
        );
    }
    let response = app
        .authed(Method::GET, "/api/v1/settings/sso", &admin)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    app.finish().await;
}

/// A 422 naming `field`, whose detail says `words`.
async fn wrong(response: Response, field: &str, words: &str) {
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(folio_tests::fields(&body), vec![field], "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(words), "{detail}");
}

#[tokio::test]
async fn saving_settings_tests_the_connection_and_says_what_is_wrong() {
    let w = world().await;
    let put = |body: Value| {
        w.app
            .authed(Method::PUT, "/api/v1/settings/sso", &w.admin_b)
            .json(&body)
            .send()
    };
    // A wrong secret.
    let response = put(
        json!({ "issuer": w.idp_b.issuer, "client_id": w.idp_b.client_id,
                               "client_secret": "not-the-secret" }),
    )
    .await
    .unwrap();
    wrong(
        response,
        "client_secret",
        "refused Folio's client id and secret",
    )
    .await;
    // The issuer not exactly as the provider states it.
    let response = put(json!({ "issuer": format!("{}/", w.idp_b.issuer),
                               "client_id": w.idp_b.client_id }))
    .await
    .unwrap();
    wrong(response, "issuer", "names another issuer").await;
    // A provider that redirects elsewhere (here, towards a metadata service): not followed.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 2048];
            let _ = socket.read(&mut request).await;
            let _ = socket
                .write_all(
                    b"HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/latest/meta-data\r\n\
                      content-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
    });
    let response = put(json!({ "issuer": format!("http://127.0.0.1:{port}"),
                               "client_id": w.idp_b.client_id }))
    .await
    .unwrap();
    wrong(response, "issuer", "302").await;
    // Nothing was changed: bravo's people still sign in.
    w.app
        .user(&w.b, "tutor@bravo.example", &[Role::Assessor])
        .await;
    signed_in(&Sso::new(&w.app), "bravo", &w.idp_b, "tutor").await;
    w.finish().await;
}

#[tokio::test]
async fn sso_keeps_the_deep_link_checks_iss_and_refuses_in_a_page() {
    let w = world().await;
    // A deep link followed before signing in is where the sign-in ends.
    let sso = Sso::new(&w.app);
    let response = sso
        .browser
        .get(&format!(
            "{}/auth/alpha/sso/login?next=%2Fapp%2Fprofile",
            w.app.base
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let callback = sso
        .authorize(&location(&response), &w.idp_a, "tutor", true)
        .await;
    let done = sso.callback(&callback).await;
    assert_eq!(done.status(), StatusCode::FOUND);
    assert_eq!(location(&done), format!("{}/app/profile", w.app.base));
    // Never another site.
    let sso = Sso::new(&w.app);
    let response = sso
        .browser
        .get(&format!(
            "{}/auth/alpha/sso/login?next=%2F%2Fevil.example%2F",
            w.app.base
        ))
        .await;
    let callback = sso
        .authorize(&location(&response), &w.idp_a, "tutor", true)
        .await;
    let done = sso.callback(&callback).await;
    assert_eq!(location(&done), format!("{}/", w.app.base));

    // RFC 9207: a response that says another issuer sent it is refused.
    let sso = Sso::new(&w.app);
    let auth = sso.start("alpha", &w.idp_a).await;
    let callback = sso.authorize(&auth, &w.idp_a, "tutor", true).await;
    let mixed_up = with_query_param(&callback, "iss", "https://evil.example");
    refused(
        sso.callback(&mixed_up).await,
        StatusCode::UNAUTHORIZED,
        "sso-wrong-issuer",
    )
    .await;

    // A person in a browser is shown the sign-in page saying why, not a JSON document.
    let sso = Sso::new(&w.app);
    let auth = sso.start("alpha", &w.idp_a).await;
    let callback = sso.authorize(&auth, &w.idp_a, "outsider", true).await;
    let response = sso
        .browser
        .http
        .get(&callback)
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let page_url = location(&response);
    assert_eq!(
        page_url,
        format!(
            "{}/sign-in?org=alpha&sso_error=sso-email-domain-not-allowed",
            w.app.base
        )
    );
    let page = sso.browser.get(&page_url).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("domain is not allowed to sign in to this organisation"),
        "{html}"
    );
    // The page offers single sign-on again, carrying a deep link on.
    let page = sso
        .browser
        .get(&format!(
            "{}/sign-in?org=alpha&next=%2Fapp%2Fprofile",
            w.app.base
        ))
        .await;
    // (Handlebars writes `=` in an attribute as `&#x3D;`, which the browser reads as `=`.)
    let html = page.text().await.unwrap().replace("&#x3D;", "=");
    assert!(
        html.contains("href=\"/auth/alpha/sso/login?next=%2Fapp%2Fprofile\""),
        "{html}"
    );
    w.finish().await;
}

/// A provider that gives the e-mail address and the groups only at its userinfo endpoint
/// (the ID token carries `sub` alone): Folio asks userinfo and signs the person in with
/// the address and the mapped roles found there.
#[tokio::test]
async fn claims_given_only_at_userinfo_are_read_from_there() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("gamma").await;
    let idp = OidcProvider::start_with_claims_at_userinfo(
        "folio-gamma",
        &format!("{}/auth/gamma/sso/callback", app.base),
        &format!("{}/", app.base),
        accounts("gamma.example"),
    )
    .await;
    let mut settings = alpha_settings(&idp, true);
    settings["allowed_email_domains"] = json!(["gamma.example"]);
    put_settings(&app, &admin, settings).await;

    let me = signed_in(&Sso::new(&app), "gamma", &idp, "tutor").await;
    // groups ["tutors", "staff"] → assessor and iqa, as the mapping says.
    assert_eq!(me["user"]["email"], "tutor@gamma.example");
    assert_eq!(me["roles"], json!(["assessor", "iqa"]));
    drop(idp);
    app.finish().await;
}

/// `/sso/login` stores a pending sign-in per call: one client may hold 30 at once (each
/// lasts 10 minutes), then is refused with 429 until some expire.
#[tokio::test]
async fn one_client_cannot_fill_the_table_of_pending_sign_ins() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("gamma").await;
    let idp = OidcProvider::start(
        "folio-gamma",
        &format!("{}/auth/gamma/sso/callback", app.base),
        &format!("{}/", app.base),
        accounts("gamma.example"),
    )
    .await;
    put_settings(&app, &admin, alpha_settings(&idp, true)).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let start = || {
        browser
            .get(format!("{}/auth/gamma/sso/login", app.base))
            .send()
    };
    for _ in 0..30 {
        assert_eq!(start().await.unwrap().status(), StatusCode::FOUND);
    }
    let r = start().await.unwrap();
    assert_eq!(r.headers()["retry-after"], "600");
    let body = refused(r, StatusCode::TOO_MANY_REQUESTS, "too-many-attempts").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("started from here"),
        "{body}"
    );
    let pending: i64 = sqlx::query_scalar("select count(*) from sso_login_states")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(pending, 30);
    // Once they expire (and are cleared at the next start), sign-in starts again.
    sqlx::query("update sso_login_states set expires_at = now() - interval '1 second'")
        .execute(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(start().await.unwrap().status(), StatusCode::FOUND);
    drop(idp);
    app.finish().await;
}
