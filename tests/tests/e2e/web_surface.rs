//! The hardened web surface, over HTTP against the real server: every kind of response
//! (API JSON, problems, pages, static files, redirects, the API documentation) carries the
//! security headers, and a write to the API authenticated by the browser's cookie is
//! refused when another site sent it. (That the pages pass their Content-Security-Policy
//! in a real browser is checked by `crates/folio/tests/binary/browser.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_api::ApiSettings;
use folio_domain::Role;
use folio_tests::{PASSWORD, TestApp, problem, redis_url};
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, HeaderMap, ORIGIN, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use reqwest::{Method, StatusCode, redirect};
use serde_json::json;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &reqwest::header::HeaderName) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// The headers every response must carry, whatever answered it.
fn assert_hardened(what: &str, headers: &HeaderMap) {
    let csp = header(headers, &CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{what}: CSP {csp:?}"
    );
    assert!(csp.contains("default-src 'self'"), "{what}: CSP {csp:?}");
    let scripts = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap_or_default();
    assert!(
        !scripts.is_empty()
            && !scripts.contains("unsafe-inline")
            && !scripts.contains("unsafe-eval"),
        "{what}: scripts {scripts:?}"
    );
    assert_eq!(header(headers, &X_FRAME_OPTIONS), "DENY", "{what}");
    assert_eq!(
        header(headers, &X_CONTENT_TYPE_OPTIONS),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(headers, &REFERRER_POLICY), "same-origin", "{what}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "admin@n.example", &[Role::Admin]).await;
    let token = app.login(&tenant, "admin@n.example").await;
    let cookie = format!("folio_session={token}");
    let http = no_redirects();

    // (what, path, signed in, expected status, expected Cache-Control)
    let cases = [
        ("API JSON", "/api/v1/me", true, 200, "no-store"),
        ("API problem", "/api/v1/me", false, 401, "no-store"),
        ("API 404", "/api/v1/no-such-thing", true, 404, "no-store"),
        ("unknown path", "/no-such-thing", false, 404, "no-store"),
        ("redirect", "/", false, 303, "no-store"),
        ("signed-in page", "/app/admin/people", true, 200, "no-store"),
        (
            "page sent to sign in",
            "/app/admin/people",
            false,
            303,
            "no-store",
        ),
        (
            "sign-in page",
            "/sign-in?org=northgate",
            false,
            200,
            "no-store",
        ),
        (
            "stylesheet",
            "/static/folio.css",
            false,
            200,
            "public, max-age=300",
        ),
        (
            "script",
            "/static/folio.js",
            false,
            200,
            "public, max-age=300",
        ),
        (
            "OpenAPI document",
            "/api/openapi.json",
            false,
            200,
            "no-store",
        ),
        ("API documentation", "/api/docs/", false, 200, "no-store"),
        ("health", "/healthz", false, 200, "no-store"),
        ("metrics (not served)", "/metrics", false, 404, "no-store"),
    ];
    for (what, path, signed_in, status, cache) in cases {
        let mut request = http.get(format!("{}{path}", app.base));
        if signed_in {
            request = request.header(COOKIE, &cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{what}: {path}");
        let headers = response.headers();
        assert_hardened(what, headers);
        assert_eq!(header(headers, &CACHE_CONTROL), cache, "{what}");
        // Plain HTTP, no public URL: nothing says the browser came over HTTPS.
        assert!(
            headers.get(STRICT_TRANSPORT_SECURITY).is_none(),
            "{what}: HSTS over plain HTTP"
        );
    }

    // The pages' policy allows no inline script or style at all; the API documentation's
    // (Swagger UI, whose start-up is inline) allows its own scripts by their hashes only.
    let page = http
        .get(format!("{}/sign-in", app.base))
        .send()
        .await
        .unwrap();
    let csp = header(page.headers(), &CONTENT_SECURITY_POLICY).to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("style-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    let docs = http
        .get(format!("{}/api/docs/", app.base))
        .send()
        .await
        .unwrap();
    let csp = header(docs.headers(), &CONTENT_SECURITY_POLICY).to_owned();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");

    // A sign-in refused at the form, and a form from another site: still hardened.
    let response = http
        .post(format!("{}/sign-in", app.base))
        .header(ORIGIN, "https://evil.example")
        .form(&[
            ("tenant", "northgate"),
            ("email", "x@n.example"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_hardened("refused page form", response.headers());
    app.finish().await;
}

#[tokio::test]
async fn an_https_public_url_brings_strict_transport_security() {
    let app = TestApp::spawn_with(
        ApiSettings {
            cookie_secure: true,
            public_url: Some("https://folio.example".into()),
            ..ApiSettings::default()
        },
        &redis_url(),
    )
    .await;
    for path in ["/sign-in", "/api/v1/me", "/static/folio.css", "/"] {
        let response = no_redirects()
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_hardened(path, response.headers());
        assert_eq!(
            header(response.headers(), &STRICT_TRANSPORT_SECURITY),
            "max-age=31536000",
            "{path}"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn cookie_authenticated_api_writes_from_another_site_are_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "admin@n.example", &[Role::Admin]).await;
    let token = app.login(&tenant, "admin@n.example").await;
    let cookie = format!("folio_session={token}");
    let person =
        |n: u32| json!({ "email": format!("p{n}@n.example"), "name": "P", "roles": ["learner"] });
    let people = async |app: &TestApp| -> i64 {
        sqlx::query_scalar("select count(*) from users where email like 'p%@n.example'")
            .fetch_one(&app.database.pool)
            .await
            .unwrap()
    };

    // With only the cookie, from another site's page or script: refused, nothing done.
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
        ("origin", "null"),
    ] {
        let response = app
            .request(Method::POST, "/api/v1/users")
            .header(COOKIE, &cookie)
            .header(name, value)
            .json(&person(0))
            .send()
            .await
            .unwrap();
        let body = problem(response, StatusCode::FORBIDDEN).await;
        assert_eq!(
            body["type"], "/problems/cross-site-request",
            "{name}: {value}"
        );
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("came from another site"), "{detail}");
    }
    // A cross-site multipart upload with the cookie is refused before its body is read.
    let form = reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(vec![0xff, 0xd8, 0xff, 0xe0]).file_name("me.jpg"),
    );
    let response = app
        .request(Method::PUT, "/api/v1/me/profile/photo")
        .header(COOKIE, &cookie)
        .header("sec-fetch-site", "cross-site")
        .multipart(form)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::FORBIDDEN).await;
    // Reads are not writes: a cross-site link still opens.
    let response = app
        .request(Method::GET, "/api/v1/me")
        .header(COOKIE, &cookie)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(people(&app).await, 0);

    // From Folio's own pages (the browser says so either way), or from a client that is
    // no browser (neither header): done.
    let same_origin = [
        ("sec-fetch-site", "same-origin".to_owned()),
        ("origin", app.base.clone()),
    ];
    for (n, (name, value)) in (1..).zip(same_origin) {
        let response = app
            .request(Method::POST, "/api/v1/users")
            .header(COOKIE, &cookie)
            .header(name, value)
            .json(&person(n))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
    }
    let response = app
        .request(Method::POST, "/api/v1/users")
        .header(COOKIE, &cookie)
        .json(&person(3))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // A bearer token is an API client's, whatever the headers say.
    let response = app
        .authed(Method::POST, "/api/v1/users", &token)
        .header("sec-fetch-site", "cross-site")
        .header(ORIGIN, "https://elsewhere.example")
        .json(&person(4))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(people(&app).await, 4);

    // Signing in from another site's form (login CSRF: the victim's browser signed in to
    // the attacker's account) is refused too; from Folio's page it works.
    let login = json!({ "tenant": "northgate", "email": "admin@n.example", "password": PASSWORD });
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header(ORIGIN, "https://evil.example")
        .json(&login)
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::FORBIDDEN).await;
    assert_eq!(body["type"], "/problems/cross-site-request");
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("sec-fetch-site", "same-origin")
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.finish().await;
}
