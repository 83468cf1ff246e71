//! Bad input gets a 4xx problem document naming the field, and nothing is written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn user_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.database.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;
    for body in [
        "{\"email\": ",
        "",
        "not json",
        "{\"email\": \"a@b.c\"} trailing",
    ] {
        let response = app
            .authed(Method::POST, "/api/v1/users", &admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let p = problem(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(p["type"], "/problems/malformed-body", "{body:?}");
    }
    app.finish().await;
}

#[tokio::test]
async fn invalid_fields_are_422_and_named() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;
    let before = user_count(&app).await;
    let long = "x".repeat(201);
    let cases = [
        (json!({ "name": "A", "roles": ["learner"] }), vec!["email"]),
        (
            json!({ "email": "a@n.example", "name": "A" }),
            vec!["roles"],
        ),
        (
            json!({ "email": "a@n.example", "name": "A", "roles": ["root"] }),
            vec!["roles[0]"],
        ),
        (
            json!({ "email": "a@n.example", "name": 7, "roles": ["learner"] }),
            vec!["name"],
        ),
        (
            json!({ "email": "a@n.example", "name": long, "roles": ["learner"] }),
            vec!["name"],
        ),
        (
            json!({ "email": format!("{}@n.example", "a".repeat(250)), "name": "A", "roles": ["learner"] }),
            vec!["email"],
        ),
        (
            json!({ "email": "not-an-address", "name": " ", "roles": [] }),
            vec!["email", "name", "roles"],
        ),
        (
            json!({ "email": "a@n.example", "name": "A", "roles": ["learner"], "password": "short" }),
            vec!["password"],
        ),
        (
            json!({ "email": "a@n.example", "name": "A\nB", "roles": ["learner"] }),
            vec!["name"],
        ),
        (
            json!({ "email": "a@n.example", "name": "A", "roles": ["learner"], "employer_id": "nope" }),
            vec!["employer_id"],
        ),
    ];
    for (body, expected) in cases {
        let response = app
            .authed(Method::POST, "/api/v1/users", &admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(p["type"], "/problems/validation");
        assert_eq!(fields(&p), expected, "{body}");
    }
    assert_eq!(user_count(&app).await, before, "nothing was written");

    let response = app
        .login_response("northgate", "admin@northgate.example", &"p".repeat(1025))
        .await;
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        vec!["password"]
    );
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&json!({ "tenant": "northgate", "password": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        vec!["email"]
    );
    let response = app
        .authed(Method::POST, "/api/v1/me/tokens", &admin)
        .json(&json!({ "name": "t", "expires_in_days": 0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        vec!["expires_in_days"]
    );
    app.finish().await;
}

#[tokio::test]
async fn bad_ids_queries_and_content_types_are_4xx_problems() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;

    let response = app
        .authed(Method::GET, "/api/v1/users/not-a-uuid", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        vec!["path[0]"]
    );
    let response = app
        .authed(Method::GET, "/api/v1/audit-log?entity_id=123", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        vec!["entity_id"]
    );
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("cursor=%21%21", "cursor"),
        ("role=root", "role"),
    ] {
        let response = app
            .authed(Method::GET, &format!("/api/v1/users?{query}"), &admin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
            vec![field],
            "{query}"
        );
    }
    let response = app
        .authed(Method::GET, "/api/v1/users?q=a%00b", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        vec!["q"]
    );
    let long_q = "q".repeat(201);
    let response = app
        .authed(
            Method::GET,
            &format!("/api/v1/employers?q={long_q}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        vec!["q"]
    );
    let unknown = uuid::Uuid::now_v7();
    let response = app
        .authed(Method::GET, &format!("/api/v1/users/{unknown}"), &admin)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;

    let response = app
        .authed(Method::POST, "/api/v1/employers", &admin)
        .header("content-type", "text/plain")
        .body("name=Acme")
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    let response = app
        .authed(Method::GET, "/api/v1/no-such-thing", &admin)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    let response = app
        .authed(Method::DELETE, "/api/v1/me", &admin)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::METHOD_NOT_ALLOWED).await;

    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let response = app
        .authed(Method::POST, "/api/v1/employers", &admin)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    app.finish().await;
}

#[tokio::test]
async fn other_resources_name_their_invalid_fields_too() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;
    let cases = [
        (
            "/api/v1/employers",
            json!({ "name": "x".repeat(201) }),
            vec!["name"],
        ),
        (
            "/api/v1/employers",
            json!({ "name": "Acme", "contact_email": "nope", "phone": "1".repeat(51) }),
            vec!["contact_email", "phone"],
        ),
        (
            "/api/v1/me/tokens",
            json!({ "name": "t".repeat(101) }),
            vec!["name"],
        ),
        (
            "/api/v1/auth/login",
            json!({ "tenant": "Not A Slug", "email": "x", "password": "" }),
            vec!["tenant", "email", "password"],
        ),
    ];
    for (path, body, expected) in cases {
        let response = app
            .authed(Method::POST, path, &admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
            expected,
            "{path} {body}"
        );
    }
    let employers: i64 = sqlx::query_scalar("select count(*) from employers")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(employers, 0, "nothing was written");
    app.finish().await;
}

#[tokio::test]
async fn credentials_are_checked_before_the_body() {
    let app = TestApp::spawn().await;
    app.tenant_with_admin("northgate").await;
    let response = app
        .authed(Method::POST, "/api/v1/users", "not-a-token")
        .json(&json!({ "email": "bad", "name": "", "roles": [], "password": "x" }))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
    app.finish().await;
}
