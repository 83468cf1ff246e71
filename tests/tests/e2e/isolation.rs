//! Tenant A's credentials against tenant B's ids, through every endpoint: always 404 (or an
//! empty list), and B's data is unchanged afterwards. Then the same at the SQL level: a
//! query that forgets its tenant filter still sees only its own tenant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::{TestApp, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

struct TenantB {
    admin_token: String,
    learner: Uuid,
    employer: Uuid,
    api_token_id: Uuid,
    api_token: String,
}

async fn arrange_b(app: &TestApp) -> TenantB {
    let b = app
        .scene("tenant-b")
        .person("learner@b.example", Role::Learner)
        .employer("B Employer Ltd", &[])
        .build()
        .await;
    let learner_token = b.token("learner");
    let created: Value = app
        .authed(Method::POST, "/api/v1/me/tokens", learner_token)
        .json(&json!({ "name": "B integration" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    TenantB {
        admin_token: b.admin.clone(),
        learner: b.id("learner"),
        employer: b.employer("B Employer Ltd"),
        api_token_id: created["api_token"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        api_token: created["token"].as_str().unwrap().to_owned(),
    }
}

async fn snapshot(app: &TestApp, b: &TenantB) -> (Value, Value, Value) {
    let get = |path: String| async move {
        let mut v: Value = app
            .authed(Method::GET, &path, &b.admin_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // The snapshot compares data, not the moving clock of the last sign-in.
        if let Some(o) = v.as_object_mut() {
            o.remove("last_login_at");
        }
        v
    };
    let audit: Value = app
        .authed(Method::GET, "/api/v1/audit-log?limit=200", &b.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        get(format!("/api/v1/users/{}", b.learner)).await,
        get(format!("/api/v1/employers/{}", b.employer)).await,
        audit,
    )
}

#[tokio::test]
async fn tenant_a_cannot_read_or_change_anything_of_tenant_b() {
    let app = TestApp::spawn().await;
    let (_, _, a) = app.tenant_with_admin("tenant-a").await;
    let b = arrange_b(&app).await;
    let before = snapshot(&app, &b).await;

    let user = format!("/api/v1/users/{}", b.learner);
    let employer = format!("/api/v1/employers/{}", b.employer);
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, user.clone(), None),
        (
            Method::PATCH,
            user.clone(),
            Some(json!({ "name": "Hijacked" })),
        ),
        (
            Method::PUT,
            format!("{user}/roles"),
            Some(json!({ "roles": ["admin"] })),
        ),
        (Method::POST, format!("{user}/deactivate"), None),
        (Method::POST, format!("{user}/reactivate"), None),
        (
            Method::PUT,
            format!("{user}/password"),
            Some(json!({ "password": "taken-over-1234" })),
        ),
        (Method::GET, format!("{user}/identities"), None),
        (
            Method::DELETE,
            format!("{user}/identities/{}", uuid::Uuid::now_v7()),
            None,
        ),
        (Method::GET, employer.clone(), None),
        (
            Method::PUT,
            employer.clone(),
            Some(json!({ "name": "Hijacked Ltd" })),
        ),
        (Method::DELETE, employer.clone(), None),
        (
            Method::DELETE,
            format!("/api/v1/me/tokens/{}", b.api_token_id),
            None,
        ),
    ];
    for (method, path, body) in attempts {
        let mut request = app.authed(method.clone(), &path, &a);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let p = problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(p["type"], "/problems/not-found", "{method} {path}");
    }

    // Lists and filters show nothing of B.
    let listed: Value = app
        .authed(Method::GET, "/api/v1/users?q=b.example", &a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]));
    let all: Value = app
        .authed(Method::GET, "/api/v1/users", &a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["email"].as_str().unwrap().ends_with("tenant-a.example"))
    );
    let employers: Value = app
        .authed(Method::GET, "/api/v1/employers", &a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(employers["items"], json!([]));
    let audit: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/audit-log?entity_id={}", b.learner),
            &a,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"], json!([]));

    // B's employer cannot be referenced from A.
    let response = app
        .authed(Method::POST, "/api/v1/users", &a)
        .json(&json!({ "email": "x@tenant-a.example", "name": "X", "roles": ["employer"], "employer_id": b.employer }))
        .send()
        .await
        .unwrap();
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(folio_tests::fields(&p), vec!["employer_id"]);

    // Nothing of B changed, and B's credentials still work.
    assert_eq!(snapshot(&app, &b).await, before);
    let me = app
        .authed(Method::GET, "/api/v1/me", &b.api_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    app.finish().await;
}

#[tokio::test]
async fn a_token_naming_another_tenant_does_not_authenticate() {
    let app = TestApp::spawn().await;
    let (tenant_a, _, a) = app.tenant_with_admin("tenant-a").await;
    let (tenant_b, _, _) = app.tenant_with_admin("tenant-b").await;
    // Swap the tenant part of A's token for B's: the secret is A's, B has no such hash.
    let forged = a.replace(
        &tenant_a.id.simple().to_string(),
        &tenant_b.id.simple().to_string(),
    );
    assert_ne!(forged, a);
    let response = app
        .authed(Method::GET, "/api/v1/me", &forged)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
    app.finish().await;
}

#[tokio::test]
async fn a_query_that_forgets_its_tenant_filter_still_sees_only_its_tenant() {
    let app = TestApp::spawn().await;
    let a = app.tenant("tenant-a").await;
    let b = app.tenant("tenant-b").await;
    for i in 0..3 {
        app.user(&a, &format!("a{i}@a.example"), &[Role::Learner])
            .await;
    }
    let b_user = app.user(&b, "b@b.example", &[Role::Learner]).await;

    let mut tx = app.db.begin_tenant(a.tenant_id()).await.unwrap();
    let visible: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(visible, 3);
    let b_rows: i64 = sqlx::query_scalar("select count(*) from users where tenant_id = $1")
        .bind(b.id)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(b_rows, 0);
    let tenants: i64 = sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(tenants, 1, "only the current tenant's row is visible");
    // Unfiltered writes touch only the current tenant.
    let updated = sqlx::query("update users set name = 'Renamed'")
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 3);
    let deleted = sqlx::query("delete from user_roles")
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 3);
    tx.commit().await.unwrap();

    // Writing a row for another tenant is refused by the policy's WITH CHECK.
    let mut tx = app.db.begin_tenant(a.tenant_id()).await.unwrap();
    let err =
        sqlx::query("insert into employers (tenant_id, id, name) values ($1, $2, 'Sneaky Ltd')")
            .bind(b.id)
            .bind(Uuid::now_v7())
            .execute(tx.conn())
            .await
            .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);

    // B's rows are untouched (read as the login role, which sees every tenant).
    let (name, roles): (String, i64) = sqlx::query_as(
        "select u.name, (select count(*) from user_roles r where r.tenant_id = u.tenant_id and r.user_id = u.id)
         from users u where u.tenant_id = $1 and u.id = $2",
    )
    .bind(b.id)
    .bind(b_user)
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(name, "Person b@b.example");
    assert_eq!(roles, 1);

    app.finish().await;
}
