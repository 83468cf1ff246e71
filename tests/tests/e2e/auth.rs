//! Sign-in, sessions, API tokens, deactivation and the failed sign-in throttle.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::{PASSWORD, TestApp, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn sign_in_returns_a_token_and_an_http_only_cookie_that_both_work() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(
        &tenant,
        "ada@northgate.example",
        &[Role::Assessor, Role::Iqa],
    )
    .await;

    // Address matching ignores case.
    let response = app
        .login_response("northgate", "Ada@Northgate.EXAMPLE", PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(
        cookie.starts_with(&format!("folio_session={token};")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    assert_eq!(body["user"]["email"], "ada@northgate.example");
    assert_eq!(body["tenant"]["slug"], "northgate");

    let by_bearer: Value = app
        .authed(Method::GET, "/api/v1/me", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_bearer["roles"], json!(["assessor", "iqa"]));
    assert_eq!(by_bearer["tenant"]["name"], "northgate Training");
    assert!(
        by_bearer["user"]["last_login_at"].is_string(),
        "last login recorded"
    );

    let by_cookie = app
        .request(Method::GET, "/api/v1/me")
        .header("cookie", format!("folio_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::OK);

    // The token is stored hashed: the database never holds the secret.
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from sessions where token_hash = convert_to($1, 'UTF8')",
    )
    .bind(token)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(stored, 0);
    app.finish().await;
}

#[tokio::test]
async fn wrong_password_unknown_address_and_unknown_tenant_look_the_same() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;

    let mut bodies = Vec::new();
    for (tenant, email, password) in [
        ("northgate", "ada@northgate.example", "wrong-password-1"),
        ("northgate", "nobody@northgate.example", PASSWORD),
        ("no-such-provider", "ada@northgate.example", PASSWORD),
    ] {
        let response = app.login_response(tenant, email, password).await;
        let body = problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["type"], "/problems/invalid-credentials");
        bodies.push(body);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[1], bodies[2]);
    app.finish().await;
}

#[tokio::test]
async fn missing_and_garbage_credentials_are_401() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::GET, "/api/v1/me").send().await.unwrap();
    let body = problem(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["type"], "/problems/unauthenticated");
    for garbage in [
        "garbage",
        "fos_zzz_yyy",
        "fot_00000000000000000000000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let response = app
            .authed(Method::GET, "/api/v1/me", garbage)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
    app.finish().await;
}

#[tokio::test]
async fn expired_sessions_and_logged_out_sessions_stop_working() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;

    let expiring = app.login(&tenant, "ada@northgate.example").await;
    sqlx::query("update sessions set expires_at = now() - interval '1 second'")
        .execute(&app.database.pool)
        .await
        .unwrap();
    let response = app
        .authed(Method::GET, "/api/v1/me", &expiring)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;

    let token = app.login(&tenant, "ada@northgate.example").await;
    let logout = app
        .authed(Method::POST, "/api/v1/auth/logout", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let cleared = logout.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cleared.starts_with("folio_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let response = app
        .authed(Method::GET, "/api/v1/me", &token)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
    app.finish().await;
}

#[tokio::test]
async fn api_tokens_are_shown_once_listed_without_secret_and_revocable() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Admin])
        .await;
    let session = app.login(&tenant, "ada@northgate.example").await;

    let response = app
        .authed(Method::POST, "/api/v1/me/tokens", &session)
        .json(&json!({ "name": "MIS sync", "expires_in_days": 30 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("fot_"));
    let id = created["api_token"]["id"].as_str().unwrap().to_owned();

    let me = app
        .authed(Method::GET, "/api/v1/me", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // Integrations act with the owner's roles.
    let users = app
        .authed(Method::GET, "/api/v1/users", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), StatusCode::OK);

    let listed = app
        .authed(Method::GET, "/api/v1/me/tokens", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&token), "the secret is never listed");
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["name"], "MIS sync");
    assert!(listed[0]["last_used_at"].is_string(), "use is recorded");

    let revoke = app
        .authed(Method::DELETE, &format!("/api/v1/me/tokens/{id}"), &session)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    let response = app
        .authed(Method::GET, "/api/v1/me", &token)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
    let listed: Value = app
        .authed(Method::GET, "/api/v1/me/tokens", &session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed[0]["revoked_at"].is_string());
    app.finish().await;
}

#[tokio::test]
async fn deactivation_stops_sessions_and_tokens_at_once_and_reactivation_allows_sign_in() {
    let app = TestApp::spawn().await;
    let (tenant, _, admin) = app.tenant_with_admin("northgate").await;
    let learner = app
        .user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;
    let session = app.login(&tenant, "ada@northgate.example").await;
    let created: Value = app
        .authed(Method::POST, "/api/v1/me/tokens", &session)
        .json(&json!({ "name": "phone" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();

    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/users/{learner}/deactivate"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "deactivated");

    for credential in [&session, &token] {
        let response = app
            .authed(Method::GET, "/api/v1/me", credential)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
    let response = app
        .login_response("northgate", "ada@northgate.example", PASSWORD)
        .await;
    problem(response, StatusCode::UNAUTHORIZED).await;

    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/users/{learner}/reactivate"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.login(&tenant, "ada@northgate.example").await;
    // Tokens revoked at deactivation stay revoked.
    let response = app
        .authed(Method::GET, "/api/v1/me", &token)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
    app.finish().await;
}

#[tokio::test]
async fn repeated_failures_lock_an_address_whether_or_not_it_has_an_account() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;

    for email in ["ada@northgate.example", "nobody@northgate.example"] {
        for _ in 0..5 {
            let response = app
                .login_response("northgate", email, "wrong-password-1")
                .await;
            problem(response, StatusCode::UNAUTHORIZED).await;
        }
        // Locked now, even with the right password.
        let response = app.login_response("northgate", email, PASSWORD).await;
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        let body = problem(response, StatusCode::TOO_MANY_REQUESTS).await;
        assert_eq!(body["type"], "/problems/too-many-attempts");
    }

    // Once the lock lapses, the right password works and the count starts again.
    sqlx::query("update login_throttle set locked_until = now() - interval '1 second', window_started_at = now() - interval '1 hour'")
        .execute(&app.database.pool)
        .await
        .unwrap();
    app.login(&tenant, "ada@northgate.example").await;
    let remaining: i64 = sqlx::query_scalar(
        "select count(*) from login_throttle where email = 'ada@northgate.example'",
    )
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(remaining, 0);
    app.finish().await;
}

#[tokio::test]
async fn suspended_tenants_cannot_sign_in_or_use_existing_sessions() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;
    let session = app.login(&tenant, "ada@northgate.example").await;
    sqlx::query("update tenants set status = 'suspended' where id = $1")
        .bind(tenant.id)
        .execute(&app.database.pool)
        .await
        .unwrap();
    let response = app
        .authed(Method::GET, "/api/v1/me", &session)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
    let response = app
        .login_response("northgate", "ada@northgate.example", PASSWORD)
        .await;
    problem(response, StatusCode::UNAUTHORIZED).await;
    app.finish().await;
}

#[tokio::test]
async fn roles_decide_what_a_person_may_do() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    struct Case {
        email: &'static str,
        role: Role,
        read_users: bool,
        manage_users: bool,
        read_employers: bool,
        manage_employers: bool,
        read_audit: bool,
    }
    let case = |email,
                role,
                [
        read_users,
        manage_users,
        read_employers,
        manage_employers,
        read_audit,
    ]: [bool; 5]| Case {
        email,
        role,
        read_users,
        manage_users,
        read_employers,
        manage_employers,
        read_audit,
    };
    let cases = [
        case(
            "admin@n.example",
            Role::Admin,
            [true, true, true, true, true],
        ),
        case(
            "auditor@n.example",
            Role::Auditor,
            [true, false, true, false, true],
        ),
        case(
            "assessor@n.example",
            Role::Assessor,
            [false, false, true, false, false],
        ),
        case(
            "iqa@n.example",
            Role::Iqa,
            [false, false, true, false, false],
        ),
        case(
            "employer@n.example",
            Role::Employer,
            [false, false, false, false, false],
        ),
        case(
            "learner@n.example",
            Role::Learner,
            [false, false, false, false, false],
        ),
    ];
    for (i, c) in cases.iter().enumerate() {
        app.user(&tenant, c.email, &[c.role]).await;
        let token = app.login(&tenant, c.email).await;
        let expect =
            |allowed: bool, ok: StatusCode| if allowed { ok } else { StatusCode::FORBIDDEN };
        let r = app
            .authed(Method::GET, "/api/v1/users", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            expect(c.read_users, StatusCode::OK),
            "{} read users",
            c.role
        );
        let r = app
            .authed(Method::POST, "/api/v1/users", &token)
            .json(&json!({ "email": format!("new{i}@n.example"), "name": "New", "roles": ["learner"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            expect(c.manage_users, StatusCode::CREATED),
            "{} manage users",
            c.role
        );
        let r = app
            .authed(Method::GET, "/api/v1/employers", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            expect(c.read_employers, StatusCode::OK),
            "{} read employers",
            c.role
        );
        let r = app
            .authed(Method::POST, "/api/v1/employers", &token)
            .json(&json!({ "name": format!("Employer of {}", c.email) }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            expect(c.manage_employers, StatusCode::CREATED),
            "{} manage employers",
            c.role
        );
        let r = app
            .authed(Method::GET, "/api/v1/audit-log", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            expect(c.read_audit, StatusCode::OK),
            "{} audit log",
            c.role
        );
        if !c.read_users {
            let r = app
                .authed(Method::GET, "/api/v1/users", &token)
                .send()
                .await
                .unwrap();
            let body = problem(r, StatusCode::FORBIDDEN).await;
            assert_eq!(body["type"], "/problems/forbidden");
        }
    }
    app.finish().await;
}

#[tokio::test]
async fn a_parallel_burst_of_guesses_cannot_outrun_the_lock() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;
    let attempts = (0..12)
        .map(|_| app.login_response("northgate", "ada@northgate.example", "wrong-password-1"));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let locked = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(refused + locked, 12, "{statuses:?}");
    assert_eq!(
        refused, 5,
        "exactly five guesses were checked: {statuses:?}"
    );
    app.finish().await;
}

#[tokio::test]
async fn api_tokens_expire_and_cannot_mint_more_tokens() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Admin])
        .await;
    let session = app.login(&tenant, "ada@northgate.example").await;
    let created: Value = app
        .authed(Method::POST, "/api/v1/me/tokens", &session)
        .json(&json!({ "name": "sync" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let expires: chrono::DateTime<chrono::Utc> = created["api_token"]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let days = (expires - chrono::Utc::now()).num_days();
    assert!(
        (89..=90).contains(&days),
        "default expiry is 90 days, got {days}"
    );

    let response = app
        .authed(Method::POST, "/api/v1/me/tokens", &token)
        .json(&json!({ "name": "offspring" }))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::FORBIDDEN).await;

    sqlx::query("update api_tokens set expires_at = now() - interval '1 second'")
        .execute(&app.database.pool)
        .await
        .unwrap();
    let response = app
        .authed(Method::GET, "/api/v1/me", &token)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
    app.finish().await;
}

#[tokio::test]
async fn the_session_cookie_is_secure_by_default() {
    let app =
        TestApp::spawn_with(folio_api::ApiSettings::default(), &folio_tests::redis_url()).await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;
    let response = app
        .login_response("northgate", "ada@northgate.example", PASSWORD)
        .await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    app.finish().await;
}

/// The harness hashes passwords at the test-only cost (the production default is checked
/// in folio-app's unit tests), and those hashes sign in like any other.
#[tokio::test]
async fn the_harness_hashes_passwords_at_the_test_only_cost() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("cheap").await;
    let id = app
        .user(&tenant, "ada@cheap.example", &[Role::Learner])
        .await;
    let hash: String = sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(id)
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
    app.login(&tenant, "ada@cheap.example").await;
    app.finish().await;
}

/// A test app behind a "proxy": this machine (where the tests run) is a trusted proxy, so
/// each request's `X-Forwarded-For` says which client it comes from.
async fn behind_a_proxy() -> TestApp {
    TestApp::spawn_with(
        folio_api::ApiSettings {
            cookie_secure: false,
            trusted_proxies: "127.0.0.1/32, ::1".parse().unwrap(),
            ..folio_api::ApiSettings::default()
        },
        &folio_tests::redis_url(),
    )
    .await
}

async fn login_from(app: &TestApp, client: &str, email: &str, password: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/auth/login")
        .header("x-forwarded-for", client)
        .json(&json!({ "tenant": "northgate", "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_strangers_wrong_guesses_do_not_lock_the_person_out() {
    let app = behind_a_proxy().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;
    let (stranger, ada_at_work) = ("203.0.113.66", "198.51.100.7");
    for _ in 0..5 {
        let r = login_from(&app, stranger, "ada@northgate.example", "wrong-password-1").await;
        problem(r, StatusCode::UNAUTHORIZED).await;
    }
    // The stranger is locked out of Ada's address, even with her password…
    let r = login_from(&app, stranger, "ada@northgate.example", PASSWORD).await;
    let body = problem(r, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["type"], "/problems/too-many-attempts");
    // …and Ada, from her own network, signs in.
    let r = login_from(&app, ada_at_work, "ada@northgate.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    // An IPv6 client is one /64: a new address in the stranger's network is no way round.
    for i in 0..5 {
        let client = format!("2001:db8:66:1::{i:x}");
        let r = login_from(&app, &client, "ada@northgate.example", "wrong-password-1").await;
        problem(r, StatusCode::UNAUTHORIZED).await;
    }
    let r = login_from(
        &app,
        "2001:db8:66:1::ffff",
        "ada@northgate.example",
        PASSWORD,
    )
    .await;
    problem(r, StatusCode::TOO_MANY_REQUESTS).await;
    app.finish().await;
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing() {
    // The default test app trusts no proxy: the connection's peer is the client.
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;
    for i in 0..5 {
        let forged = format!("203.0.113.{i}");
        let r = login_from(&app, &forged, "ada@northgate.example", "wrong-password-1").await;
        problem(r, StatusCode::UNAUTHORIZED).await;
    }
    let r = login_from(&app, "198.51.100.99", "ada@northgate.example", PASSWORD).await;
    problem(r, StatusCode::TOO_MANY_REQUESTS).await;
    app.finish().await;
}

#[tokio::test]
async fn one_client_trying_many_addresses_is_stopped_but_an_office_signing_in_is_not() {
    let app = behind_a_proxy().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "ada@northgate.example", &[Role::Learner])
        .await;
    let (sprayer, office) = ("203.0.113.66", "198.51.100.7");
    // 30 addresses, one guess each: no address reaches its own limit of five, but the
    // client reaches its limit of 30 failures in 15 minutes.
    for i in 0..30 {
        let email = format!("person{i}@northgate.example");
        let r = login_from(&app, sprayer, &email, "Summer2026!").await;
        problem(r, StatusCode::UNAUTHORIZED).await;
    }
    // The 31st attempt, even for a real account with its password, is refused.
    let r = login_from(&app, sprayer, "ada@northgate.example", PASSWORD).await;
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    problem(r, StatusCode::TOO_MANY_REQUESTS).await;
    // Ada from her office is not affected.
    let r = login_from(&app, office, "ada@northgate.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    // An office where people sign in all day: 35 successful sign-ins then one mistyped
    // password count as one failure, not 36 (a success is taken off the client's count).
    for _ in 0..35 {
        let r = login_from(&app, office, "ada@northgate.example", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = login_from(&app, office, "ada@northgate.example", "wrong-password-1").await;
    problem(r, StatusCode::UNAUTHORIZED).await;
    let office_failures: i32 = sqlx::query_scalar(
        "select failures from login_throttle where email = '' and client = '198.51.100.7'",
    )
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(office_failures, 1);
    app.finish().await;
}
