//! Admins manage people and employers; every write is audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

#[tokio::test]
async fn admins_create_find_change_and_deactivate_people() {
    let app = TestApp::spawn().await;
    let (tenant, admin_id, admin) = app.tenant_with_admin("northgate").await;

    let employer = json_of(
        app.authed(Method::POST, "/api/v1/employers", &admin)
            .json(&json!({ "name": "Acme Engineering Ltd", "contact_email": "HR@Acme.example" }))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(employer["contact_email"], "hr@acme.example");
    let employer_id = employer["id"].as_str().unwrap();

    let created = json_of(
        app.authed(Method::POST, "/api/v1/users", &admin)
            .json(&json!({
                "email": "Dan.Walsh@Acme.example", "name": "  Dan Walsh ",
                "roles": ["employer", "employer"], "employer_id": employer_id,
                "password": "a-long-password"
            }))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["email"], "dan.walsh@acme.example");
    assert_eq!(created["name"], "Dan Walsh");
    assert_eq!(created["roles"], json!(["employer"]));
    assert_eq!(created["employer_id"], employer_id);
    assert_eq!(created["has_password"], true);
    let id = created["id"].as_str().unwrap().to_owned();
    // The password set by the admin works.
    let response = app
        .login_response("northgate", "dan.walsh@acme.example", "a-long-password")
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // The same address in any case is taken.
    let response = app
        .authed(Method::POST, "/api/v1/users", &admin)
        .json(&json!({ "email": "DAN.WALSH@acme.example", "name": "Other", "roles": ["learner"] }))
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::CONFLICT).await;
    assert_eq!(fields(&body), vec!["email"]);

    let updated = json_of(
        app.authed(Method::PATCH, &format!("/api/v1/users/{id}"), &admin)
            .json(&json!({ "name": "Daniel Walsh", "employer_id": null }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["name"], "Daniel Walsh");
    assert_eq!(updated["employer_id"], Value::Null);
    assert_eq!(
        updated["email"], "dan.walsh@acme.example",
        "fields left out stay"
    );

    let roles = json_of(
        app.authed(Method::PUT, &format!("/api/v1/users/{id}/roles"), &admin)
            .json(&json!({ "roles": ["learner", "employer"] }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(roles["roles"], json!(["employer", "learner"]));

    // Admins cannot lock themselves out.
    let response = app
        .authed(
            Method::PUT,
            &format!("/api/v1/users/{admin_id}/roles"),
            &admin,
        )
        .json(&json!({ "roles": ["assessor"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        vec!["roles"]
    );
    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/users/{admin_id}/deactivate"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::CONFLICT).await;

    // A password reset ends the person's sessions.
    let session = app
        .login_response("northgate", "dan.walsh@acme.example", "a-long-password")
        .await;
    let session: Value = session.json().await.unwrap();
    let session = session["token"].as_str().unwrap();
    let response = app
        .authed(Method::PUT, &format!("/api/v1/users/{id}/password"), &admin)
        .json(&json!({ "password": "another-long-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    problem(
        app.authed(Method::GET, "/api/v1/me", session)
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Every write left an audit row naming the admin.
    let audit = json_of(
        app.authed(
            Method::GET,
            &format!("/api/v1/audit-log?entity_id={id}"),
            &admin,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "user.set_password",
            "user.set_roles",
            "user.update",
            "user.create"
        ]
    );
    for entry in audit["items"].as_array().unwrap() {
        assert_eq!(entry["actor_kind"], "user");
        assert_eq!(entry["actor_user_id"], admin_id.to_string());
    }
    let _ = tenant;
    app.finish().await;
}

#[tokio::test]
async fn people_lists_page_by_name_and_filter() {
    let app = TestApp::spawn().await;
    let (tenant, _, admin) = app.tenant_with_admin("northgate").await;
    for (email, role) in [
        ("learner-e@n.example", Role::Learner),
        ("learner-b@n.example", Role::Learner),
        ("learner-d@n.example", Role::Assessor),
        ("learner-a@n.example", Role::Learner),
        ("learner-c@n.example", Role::Learner),
    ] {
        app.user(&tenant, email, &[role]).await;
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=2&cursor={c}"),
            None => "/api/v1/users?limit=2".to_owned(),
        };
        let page = json_of(
            app.authed(Method::GET, &path, &admin).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        pages += 1;
        for user in page["items"].as_array().unwrap() {
            seen.push(user["email"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            "admin@northgate.example",
            "learner-a@n.example",
            "learner-b@n.example",
            "learner-c@n.example",
            "learner-d@n.example",
            "learner-e@n.example"
        ]
    );

    let learners = json_of(
        app.authed(
            Method::GET,
            "/api/v1/users?role=learner&q=%40N.EXAMPLE",
            &admin,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(learners["items"].as_array().unwrap().len(), 4);

    // Pattern characters in a search are matched literally.
    let none = json_of(
        app.authed(Method::GET, "/api/v1/users?q=%25", &admin)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["items"], json!([]));
    app.finish().await;
}

#[tokio::test]
async fn employers_are_managed_by_admins_and_kept_while_people_are_linked() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;
    let employer = json_of(
        app.authed(Method::POST, "/api/v1/employers", &admin)
            .json(&json!({ "name": "Harbour Care Group", "phone": "0161 496 0000" }))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let id = employer["id"].as_str().unwrap().to_owned();

    let replaced = json_of(
        app.authed(Method::PUT, &format!("/api/v1/employers/{id}"), &admin)
            .json(&json!({ "name": "Harbour Care Group plc", "contact_name": "Laura Kim" }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(replaced["name"], "Harbour Care Group plc");
    assert_eq!(replaced["phone"], Value::Null, "PUT replaces every field");

    let listed = json_of(
        app.authed(Method::GET, "/api/v1/employers?q=harbour", &admin)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"][0]["id"], id.as_str());

    app.authed(Method::POST, "/api/v1/users", &admin)
        .json(&json!({ "email": "laura@harbour.example", "name": "Laura Kim", "roles": ["employer"], "employer_id": id }))
        .send()
        .await
        .unwrap();
    let response = app
        .authed(Method::DELETE, &format!("/api/v1/employers/{id}"), &admin)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::CONFLICT).await;

    let other = json_of(
        app.authed(Method::POST, "/api/v1/employers", &admin)
            .json(&json!({ "name": "Unused Ltd" }))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let other = other["id"].as_str().unwrap();
    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/employers/{other}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app
        .authed(Method::GET, &format!("/api/v1/employers/{other}"), &admin)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    app.finish().await;
}
