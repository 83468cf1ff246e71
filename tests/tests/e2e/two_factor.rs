//! Two-step sign-in end to end through the API, with the codes computed here by an
//! independent RFC 6238 implementation (HMAC-SHA1 over the 30-second counter, dynamic
//! truncation), not Folio's: enrolment (secret, otpauth URL, QR code; the secret sealed at
//! rest), confirmation with recovery codes, the challenge at sign-in, replayed and wrong
//! codes, recovery codes used once, the challenge ended by five wrong codes, turning off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::{PASSWORD, TestApp, problem};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha1::Sha1;

/// RFC 4648 base32 (no padding), decoded by hand.
fn base32(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u32, Vec::new());
    for c in s.trim_end_matches('=').bytes() {
        let index = ALPHABET.iter().position(|a| *a == c).expect("base32") as u32;
        value = (value << 5) | index;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

/// The six-digit code for `secret` (base32) at Unix time `at` (RFC 6238, RFC 4226 §5.3).
fn code_at(secret: &str, at: u64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(&base32(secret)).unwrap();
    mac.update(&(at / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let binary = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!("{:06}", binary % 1_000_000)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn the_independent_implementation_meets_the_rfc_test_vector() {
    // RFC 6238 appendix B, SHA-1: secret "12345678901234567890" (base32 below), T = 59 s
    // → 94287082; six digits: 287082. T = 1111111109 → 07081804 → 081804.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(base32(secret), b"12345678901234567890");
    assert_eq!(code_at(secret, 59), "287082");
    assert_eq!(code_at(secret, 1_111_111_109), "081804");
}

async fn login(app: &TestApp, password: &str) -> reqwest::Response {
    app.login_response("northgate", "tess@northgate.example", password)
        .await
}

async fn second_step(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/auth/login/two-factor")
        .json(&json!({ "challenge": challenge, "code": code }))
        .send()
        .await
        .unwrap()
}

async fn challenge(app: &TestApp) -> String {
    let r = login(app, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let body: Value = r.json().await.unwrap();
    assert!(
        body.get("token").is_none(),
        "no session before the code: {body}"
    );
    body["challenge"].as_str().unwrap().to_owned()
}

/// Turns two-step sign-in on for the holder of `token` with a code for now; returns the
/// secret, the time the code was for, and the recovery codes.
async fn turn_on(app: &TestApp, token: &str) -> (String, u64, Vec<String>) {
    let new: Value = app
        .authed(Method::POST, "/api/v1/me/two-factor", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = new["secret"].as_str().unwrap().to_owned();
    let t = now();
    let r = app
        .authed(Method::POST, "/api/v1/me/two-factor/confirm", token)
        .json(&json!({ "code": code_at(&secret, t) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let codes = serde_json::from_value(body["recovery_codes"].clone()).unwrap();
    (secret, t, codes)
}

#[tokio::test]
async fn a_person_turns_on_two_step_sign_in_and_then_needs_a_code_once_each() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "tess@northgate.example", &[Role::Assessor])
        .await;
    let token = app.login(&tenant, "tess@northgate.example").await;
    let call = |method: Method, path: &'static str| app.authed(method, path, &token);

    let status: Value = call(Method::GET, "/api/v1/me/two-factor")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status, json!({ "on": false, "recovery_codes_left": 0 }));

    // Enrolment: a secret, its otpauth URL and QR code.
    let r = call(Method::POST, "/api/v1/me/two-factor")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let new: Value = r.json().await.unwrap();
    let secret = new["secret"].as_str().unwrap().to_owned();
    assert_eq!(base32(&secret).len(), 20, "160 bits");
    let url = new["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    assert!(new["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let stored: String = sqlx::query_scalar("select secret_sealed from two_factor")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert!(!stored.contains(&secret), "the secret is sealed at rest");
    // Not yet confirmed: the password alone still signs in.
    assert_eq!(login(&app, PASSWORD).await.status(), StatusCode::OK);

    // Confirmed with the code the app shows now; a code from ten minutes ahead is wrong.
    let t = now();
    let r = call(Method::POST, "/api/v1/me/two-factor/confirm")
        .json(&json!({ "code": code_at(&secret, t + 600) }))
        .send()
        .await
        .unwrap();
    let body = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "code");
    let r = call(Method::POST, "/api/v1/me/two-factor/confirm")
        .json(&json!({ "code": code_at(&secret, t) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let codes: Vec<String> =
        serde_json::from_value(r.json::<Value>().await.unwrap()["recovery_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);

    // Now the password earns a challenge; a wrong code and the code already used at
    // confirmation are refused; the next step's code signs in.
    let c = challenge(&app).await;
    let r = second_step(&app, &c, &code_at(&secret, t + 600)).await;
    assert_eq!(
        problem(r, StatusCode::UNAUTHORIZED).await["type"],
        "/problems/two-factor-code-wrong"
    );
    let r = second_step(&app, &c, &code_at(&secret, t)).await;
    problem(r, StatusCode::UNAUTHORIZED).await;
    let next = code_at(&secret, t + 30);
    let r = second_step(&app, &c, &next).await;
    assert_eq!(r.status(), StatusCode::OK);
    let session: Value = r.json().await.unwrap();
    let me = app
        .authed(
            Method::GET,
            "/api/v1/me",
            session["token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // The challenge is spent, and the code cannot be replayed on a new one.
    problem(second_step(&app, &c, &next).await, StatusCode::UNAUTHORIZED).await;
    let c = challenge(&app).await;
    problem(second_step(&app, &c, &next).await, StatusCode::UNAUTHORIZED).await;

    // A recovery code (any case, spaces for the dash) signs in once.
    let recovery = codes[0].to_uppercase().replace('-', " ");
    assert_eq!(
        second_step(&app, &c, &recovery).await.status(),
        StatusCode::OK
    );
    let c = challenge(&app).await;
    problem(
        second_step(&app, &c, &codes[0]).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Five wrong codes end the challenge: even a good recovery code is then refused.
    let c = challenge(&app).await;
    for _ in 0..5 {
        problem(
            second_step(&app, &c, "000000x").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let r = second_step(&app, &c, &codes[1]).await;
    assert_eq!(
        problem(r, StatusCode::UNAUTHORIZED).await["type"],
        "/problems/two-factor-expired"
    );

    // Turning it off takes a code: a wrong one is named, a recovery code does it.
    let r = call(Method::POST, "/api/v1/me/two-factor/off")
        .json(&json!({ "code": "123456" }))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let r = call(Method::POST, "/api/v1/me/two-factor/off")
        .json(&json!({ "code": codes[2] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(login(&app, PASSWORD).await.status(), StatusCode::OK);
    let audit: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action in ('user.two_factor_on', 'user.two_factor_off')",
    )
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(audit, 2);
    app.finish().await;
}

#[tokio::test]
async fn a_new_secret_key_seals_the_two_step_secrets_again() {
    use folio_app::secrets::SecretKeys;
    let old_key = SecretKeys::generate();
    let app = TestApp::spawn_with(
        folio_api::ApiSettings {
            cookie_secure: false,
            secrets: SecretKeys::parse(&old_key, &[]).unwrap(),
            ..folio_api::ApiSettings::default()
        },
        &folio_tests::redis_url(),
    )
    .await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "tess@northgate.example", &[Role::Assessor])
        .await;
    let token = app.login(&tenant, "tess@northgate.example").await;
    let new: Value = app
        .authed(Method::POST, "/api/v1/me/two-factor", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = new["secret"].as_str().unwrap();
    let sealed = || async {
        sqlx::query_scalar::<_, String>("select secret_sealed from two_factor")
            .fetch_one(&app.database.pool)
            .await
            .unwrap()
    };
    let before = sealed().await;

    // The operator rotates: new key current, the old one previous; `folio migrate` reseals.
    let new_key = SecretKeys::generate();
    let rotated = SecretKeys::parse(&new_key, &[&old_key]).unwrap();
    let resealed = folio_app::operator::reseal_secrets(&app.db, &rotated)
        .await
        .unwrap();
    assert_eq!(resealed, 1);
    let after = sealed().await;
    assert_ne!(before, after);
    // The new key alone opens it, to the same secret.
    let only_new = SecretKeys::parse(&new_key, &[]).unwrap();
    assert_eq!(only_new.open("totp-secret", &after).unwrap(), secret);
    assert!(only_new.open("totp-secret", &before).is_err());
    app.finish().await;
}

#[tokio::test]
async fn an_organisation_that_requires_it_sends_staff_to_set_it_up_before_anything_else() {
    let app = TestApp::spawn().await;
    let (tenant, _, admin) = app.tenant_with_admin("northgate").await;
    app.user(&tenant, "tess@northgate.example", &[Role::Assessor])
        .await;
    app.user(&tenant, "lena@northgate.example", &[Role::Learner])
        .await;
    let mut settings: Value = app
        .authed(Method::GET, "/api/v1/settings", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["require_two_factor_for_staff"], false);
    settings["require_two_factor_for_staff"] = json!(true);
    let r = app
        .authed(Method::PUT, "/api/v1/settings", &admin)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Tess (an assessor) signs in with her password: everything but setting it up is
    // refused, and her pages send her to the set-up page.
    let tess = app.login(&tenant, "tess@northgate.example").await;
    let r = app
        .authed(Method::GET, "/api/v1/enrolments", &tess)
        .send()
        .await
        .unwrap();
    let body = problem(r, StatusCode::FORBIDDEN).await;
    assert_eq!(body["type"], "/problems/two-factor-required");
    let page = app.page(&tess, "/app/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/app/profile/two-step"));
    let page = app.page(&tess, "/app/profile/two-step").await;
    assert_eq!(page.status, StatusCode::OK);
    // The admin who turned it on is staff too.
    let r = app
        .authed(Method::GET, "/api/v1/users", &admin)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN).await;
    // A learner is not asked.
    let lena = app.login(&tenant, "lena@northgate.example").await;
    let r = app
        .authed(Method::GET, "/api/v1/me/two-factor", &lena)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Tess sets it up on the same session; then her work is open to her.
    turn_on(&app, &tess).await;
    let r = app
        .authed(Method::GET, "/api/v1/enrolments", &tess)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.finish().await;
}

#[tokio::test]
async fn ten_wrong_codes_across_challenges_lock_the_second_step_for_a_while() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "tess@northgate.example", &[Role::Assessor])
        .await;
    let token = app.login(&tenant, "tess@northgate.example").await;
    let (secret, t, codes) = turn_on(&app, &token).await;

    // A new challenge does not start the count again: 4 + 4 at sign-in, 2 when turning
    // it off, 10 in all.
    for _ in 0..2 {
        let c = challenge(&app).await;
        for _ in 0..4 {
            problem(
                second_step(&app, &c, "000000x").await,
                StatusCode::UNAUTHORIZED,
            )
            .await;
        }
    }
    for _ in 0..2 {
        let r = app
            .authed(Method::POST, "/api/v1/me/two-factor/off", &token)
            .json(&json!({ "code": "000000x" }))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // Now even a right code is refused, at sign-in and when turning it off.
    let c = challenge(&app).await;
    let r = second_step(&app, &c, &code_at(&secret, t + 30)).await;
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    problem(r, StatusCode::TOO_MANY_REQUESTS).await;
    let r = app
        .authed(Method::POST, "/api/v1/me/two-factor/off", &token)
        .json(&json!({ "code": codes[0] }))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::TOO_MANY_REQUESTS).await;
    // Once the lock lapses, a right code works again.
    sqlx::query("update two_factor set locked_until = now() - interval '1 second'")
        .execute(&app.database.pool)
        .await
        .unwrap();
    let c = challenge(&app).await;
    let r = second_step(&app, &c, &codes[1]).await;
    assert_eq!(r.status(), StatusCode::OK);
    app.finish().await;
}
