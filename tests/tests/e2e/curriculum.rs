//! The curriculum: admins build courses item by item or import them whole (JSON or CSV,
//! all or nothing); staff read them; other roles and other tenants get nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::{TestApp, fields, problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    let actual = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "{body}");
    body
}

async fn send(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    let status = if method == Method::POST {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json_of(
        app.authed(method, path, token)
            .json(&body)
            .send()
            .await
            .unwrap(),
        status,
    )
    .await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    json_of(
        app.authed(Method::GET, path, token).send().await.unwrap(),
        StatusCode::OK,
    )
    .await
}

async fn table_count(app: &TestApp, table: &str) -> i64 {
    // The login role sees every tenant: this counts what is stored, not what one sees.
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
        .fetch_one(&app.database.pool)
        .await
        .unwrap()
}

async fn curriculum_rows(app: &TestApp) -> [i64; 4] {
    [
        table_count(app, "courses").await,
        table_count(app, "components").await,
        table_count(app, "units").await,
        table_count(app, "criteria").await,
    ]
}

async fn audit_actions(app: &TestApp, token: &str, entity: &str) -> Vec<String> {
    let audit = get(
        app,
        &format!("/api/v1/audit-log?entity_id={entity}&limit=200"),
        token,
    )
    .await;
    audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

/// The `code`s (or `title`s for components) of a level of a structure, in order.
fn codes(items: &Value, key: &str) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn admins_build_and_edit_a_course_item_by_item() {
    let app = TestApp::spawn().await;
    let (_, admin_id, admin) = app.tenant_with_admin("northgate").await;

    let course = send(
        &app,
        Method::POST,
        "/api/v1/courses",
        &admin,
        json!({ "code": " ST0457 ", "title": "Engineering Technician",
                "description": "Level 3.\nFour years.", "off_the_job_minimum_hours": 400 }),
    )
    .await;
    assert_eq!(course["code"], "ST0457");
    assert_eq!(course["description"], "Level 3.\nFour years.");
    assert_eq!(course["off_the_job_minimum_hours"], 400);
    let course_id = id(&course);

    // Components go last unless placed; Maths is placed first, Diploma moved last.
    let diploma = send(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course_id}/components"),
        &admin,
        json!({ "title": "Diploma" }),
    )
    .await;
    assert_eq!(diploma["position"], 0);
    assert_eq!(diploma["course_id"], course_id.as_str());
    let standard = send(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course_id}/components"),
        &admin,
        json!({ "title": "Standard" }),
    )
    .await;
    assert_eq!(standard["position"], 1);
    let maths = send(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course_id}/components"),
        &admin,
        json!({ "title": "Maths", "position": 0 }),
    )
    .await;
    let diploma_id = id(&diploma);
    let moved = send(
        &app,
        Method::PUT,
        &format!("/api/v1/components/{diploma_id}"),
        &admin,
        json!({ "title": "Diploma", "position": 2 }),
    )
    .await;
    assert_eq!(moved["position"], 2);

    let u2 = send(
        &app,
        Method::POST,
        &format!("/api/v1/components/{diploma_id}/units"),
        &admin,
        json!({ "code": "U2", "title": "Tools", "optional": true, "optional_group": "Group A" }),
    )
    .await;
    assert_eq!(u2["optional"], true);
    assert_eq!(u2["optional_group"], "Group A");
    assert_eq!(u2["position"], 0);
    let u1 = send(
        &app,
        Method::POST,
        &format!("/api/v1/components/{diploma_id}/units"),
        &admin,
        json!({ "code": "U1", "title": "Safety", "optional": false }),
    )
    .await;
    assert_eq!(u1["position"], 1);
    let u1_id = id(&u1);
    // Move U1 before U2.
    let moved = send(
        &app,
        Method::PUT,
        &format!("/api/v1/units/{u1_id}"),
        &admin,
        json!({ "code": "U1", "title": "Health and safety", "optional": false, "position": 0 }),
    )
    .await;
    assert_eq!(moved["title"], "Health and safety");
    // U2 stays where it was when its position is left out of a change.
    let u2_id = id(&u2);
    let unmoved = send(
        &app,
        Method::PUT,
        &format!("/api/v1/units/{u2_id}"),
        &admin,
        json!({ "code": "U2", "title": "Tools", "optional": true }),
    )
    .await;
    assert_eq!(unmoved["position"], 0);
    assert_eq!(unmoved["optional_group"], Value::Null);
    send(
        &app,
        Method::PUT,
        &format!("/api/v1/units/{u2_id}"),
        &admin,
        json!({ "code": "U2", "title": "Tools", "optional": true, "position": 5 }),
    )
    .await;

    let mut criteria = Vec::new();
    for (code, text, position) in [
        ("1.2", "Report hazards", Some(5)),
        ("1.1", "Identify\n\thazards", None),
    ] {
        let c = send(
            &app,
            Method::POST,
            &format!("/api/v1/units/{u1_id}/criteria"),
            &admin,
            json!({ "code": code, "text": text, "position": position }),
        )
        .await;
        assert_eq!(c["unit_id"], u1_id.as_str());
        criteria.push((id(&c), c["position"].clone()));
    }
    // Without a position, 1.1 went after the last.
    assert_eq!(criteria[1].1, 6);
    let criteria: Vec<String> = criteria.into_iter().map(|(id, _)| id).collect();
    let spare = send(
        &app,
        Method::POST,
        &format!("/api/v1/units/{u1_id}/criteria"),
        &admin,
        json!({ "code": "1.3", "text": "Spare" }),
    )
    .await;
    // 1.1 moves first.
    let edited = send(
        &app,
        Method::PUT,
        &format!("/api/v1/criteria/{}", criteria[1]),
        &admin,
        json!({ "code": "1.1", "text": "Identify\r\n\thazards and risks", "position": 0 }),
    )
    .await;
    assert_eq!(edited["text"], "Identify\n\thazards and risks");
    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/criteria/{}", id(&spare)),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/components/{}", id(&standard)),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let renamed = send(
        &app,
        Method::PUT,
        &format!("/api/v1/components/{}", id(&maths)),
        &admin,
        json!({ "title": "Functional Skills Maths" }),
    )
    .await;
    assert_eq!(renamed["position"], 0, "position kept when left out");

    let structure = get(&app, &format!("/api/v1/courses/{course_id}"), &admin).await;
    assert_eq!(structure["code"], "ST0457");
    let components = &structure["components"];
    assert_eq!(
        codes(components, "title"),
        ["Functional Skills Maths", "Diploma"]
    );
    assert_eq!(components[0]["units"], json!([]));
    let units = &components[1]["units"];
    assert_eq!(codes(units, "code"), ["U1", "U2"]);
    assert_eq!(units[0]["optional"], false);
    assert_eq!(units[1]["position"], 5);
    assert_eq!(codes(&units[0]["criteria"], "code"), ["1.1", "1.2"]);
    assert_eq!(
        units[0]["criteria"][0]["text"],
        "Identify\n\thazards and risks"
    );
    assert_eq!(units[1]["criteria"], json!([]));

    // Replacing the course's own fields leaves its structure alone.
    let replaced = send(
        &app,
        Method::PUT,
        &format!("/api/v1/courses/{course_id}"),
        &admin,
        json!({ "code": "ST0457", "title": "Engineering Technician (L3)" }),
    )
    .await;
    assert_eq!(replaced["description"], Value::Null);
    let after = get(&app, &format!("/api/v1/courses/{course_id}"), &admin).await;
    assert_eq!(after["components"], structure["components"]);

    // Invalid input names every field at fault.
    let response = app
        .authed(Method::POST, &format!("/api/v1/components/{diploma_id}/units"), &admin)
        .json(&json!({ "code": "", "title": "x\ny", "optional": false, "optional_group": "G", "position": -1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["code", "title", "optional_group", "position"]
    );
    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/units/{u1_id}/criteria"),
            &admin,
        )
        .json(&json!({ "code": "1.9", "text": "nul\u{0}inside" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["text"]
    );
    let response = app
        .authed(Method::POST, "/api/v1/courses", &admin)
        .json(&json!({ "code": "X", "title": "T", "off_the_job_minimum_hours": -1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["off_the_job_minimum_hours"]
    );

    // Every write was audited, naming the admin.
    assert_eq!(
        audit_actions(&app, &admin, &course_id).await,
        ["course.update", "course.create"]
    );
    assert_eq!(
        audit_actions(&app, &admin, &u1_id).await,
        ["unit.update", "unit.create"]
    );
    assert_eq!(
        audit_actions(&app, &admin, &id(&spare)).await,
        ["criterion.delete", "criterion.create"]
    );
    let audit = get(
        &app,
        &format!("/api/v1/audit-log?entity_id={}", id(&standard)),
        &admin,
    )
    .await;
    assert_eq!(audit["items"][0]["action"], "component.delete");
    assert_eq!(audit["items"][0]["actor_user_id"], admin_id.to_string());
    assert_eq!(
        audit["items"][0]["details"]["course_id"],
        course_id.as_str()
    );

    // Removing the course removes its whole structure.
    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/courses/{course_id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app
        .authed(Method::GET, &format!("/api/v1/courses/{course_id}"), &admin)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(curriculum_rows(&app).await, [0, 0, 0, 0]);
    let audit = get(
        &app,
        &format!("/api/v1/audit-log?entity_id={course_id}"),
        &admin,
    )
    .await;
    assert_eq!(audit["items"][0]["action"], "course.delete");
    assert_eq!(
        audit["items"][0]["details"],
        json!({ "components": 2, "units": 2, "criteria": 2 })
    );
    app.finish().await;
}

#[tokio::test]
async fn duplicate_codes_and_titles_are_conflicts() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;
    let course = send(
        &app,
        Method::POST,
        "/api/v1/courses",
        &admin,
        json!({ "code": "ST1", "title": "One" }),
    )
    .await;
    let other = send(
        &app,
        Method::POST,
        "/api/v1/courses",
        &admin,
        json!({ "code": "ST2", "title": "Two" }),
    )
    .await;
    let component = send(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{}/components", id(&course)),
        &admin,
        json!({ "title": "Diploma" }),
    )
    .await;
    let unit = send(
        &app,
        Method::POST,
        &format!("/api/v1/components/{}/units", id(&component)),
        &admin,
        json!({ "code": "U1", "title": "Safety", "optional": false }),
    )
    .await;
    send(
        &app,
        Method::POST,
        &format!("/api/v1/units/{}/criteria", id(&unit)),
        &admin,
        json!({ "code": "1.1", "text": "Identify hazards" }),
    )
    .await;
    // The same title in another course is fine.
    send(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{}/components", id(&other)),
        &admin,
        json!({ "title": "Diploma" }),
    )
    .await;

    let clashes = [
        (
            Method::POST,
            "/api/v1/courses".to_owned(),
            json!({ "code": "ST1", "title": "Again" }),
            "code",
        ),
        (
            Method::PUT,
            format!("/api/v1/courses/{}", id(&other)),
            json!({ "code": "ST1", "title": "Two" }),
            "code",
        ),
        (
            Method::POST,
            format!("/api/v1/courses/{}/components", id(&course)),
            json!({ "title": "Diploma" }),
            "title",
        ),
        (
            Method::POST,
            format!("/api/v1/components/{}/units", id(&component)),
            json!({ "code": "U1", "title": "Other", "optional": false }),
            "code",
        ),
        (
            Method::POST,
            format!("/api/v1/units/{}/criteria", id(&unit)),
            json!({ "code": "1.1", "text": "Other" }),
            "code",
        ),
        (
            Method::POST,
            "/api/v1/courses/import".to_owned(),
            json!({ "code": "ST1", "title": "Imported" }),
            "code",
        ),
    ];
    for (method, path, body, field) in clashes {
        let response = app
            .authed(method.clone(), &path, &admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = problem(response, StatusCode::CONFLICT).await;
        assert_eq!(fields(&p), [field], "{method} {path}");
    }
    let response = app
        .authed(Method::POST, "/api/v1/courses/import-csv", &admin)
        .header("content-type", "text/csv")
        .body("course_code,course_title,component,unit_code,unit_title,criterion_code,criterion_text\nST1,Imported,C,U,Unit,1,Do it\n")
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(response, StatusCode::CONFLICT).await),
        ["code"]
    );
    assert_eq!(curriculum_rows(&app).await, [2, 2, 1, 1]);
    app.finish().await;
}

fn import_document() -> Value {
    json!({
        "code": "ST0457", "title": "Engineering Technician",
        "description": "Level 3", "off_the_job_minimum_hours": 400,
        "components": [
            { "title": "Diploma", "units": [
                { "code": "U1", "title": "Safety", "criteria": [
                    { "code": "1.1", "text": "Identify hazards" },
                    { "code": "1.2", "text": "Report hazards:\n- verbally\n- in writing" }
                ]},
                { "code": "U2", "title": "Tools", "optional": true, "optional_group": "Group A",
                  "criteria": [{ "code": "2.1", "text": "Select tools" }] },
                { "code": "U3", "title": "Drawings", "optional": true,
                  "criteria": [{ "code": "3.1", "text": "Read drawings" }] }
            ]},
            { "title": "Functional Skills Maths", "units": [
                { "code": "M1", "title": "Number", "criteria": [{ "code": "1", "text": "Fractions" }] }
            ]},
            { "title": "End-point assessment" }
        ]
    })
}

#[tokio::test]
async fn a_json_import_creates_a_whole_course_in_order() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;

    let created = json_of(
        app.authed(Method::POST, "/api/v1/courses/import", &admin)
            .json(&import_document())
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["code"], "ST0457");
    assert_eq!(created["off_the_job_minimum_hours"], 400);
    let components = &created["components"];
    assert_eq!(
        codes(components, "title"),
        ["Diploma", "Functional Skills Maths", "End-point assessment"]
    );
    let positions: Vec<_> = components
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [0, 1, 2]);
    let units = &components[0]["units"];
    assert_eq!(codes(units, "code"), ["U1", "U2", "U3"]);
    assert_eq!(units[1]["optional"], true);
    assert_eq!(units[1]["optional_group"], "Group A");
    assert_eq!(units[2]["optional_group"], Value::Null);
    assert_eq!(codes(&units[0]["criteria"], "code"), ["1.1", "1.2"]);
    assert_eq!(
        units[0]["criteria"][1]["text"],
        "Report hazards:\n- verbally\n- in writing"
    );
    assert_eq!(components[2]["units"], json!([]));

    // What the import answered is what a later read shows.
    let course_id = id(&created);
    let read = get(&app, &format!("/api/v1/courses/{course_id}"), &admin).await;
    assert_eq!(read, created);

    let audit = get(
        &app,
        &format!("/api/v1/audit-log?entity_id={course_id}"),
        &admin,
    )
    .await;
    assert_eq!(audit["items"][0]["action"], "course.import");
    assert_eq!(
        audit["items"][0]["details"],
        json!({ "format": "json", "components": 3, "units": 4, "criteria": 5 })
    );

    // An empty course needs no components at all.
    let empty = json_of(
        app.authed(Method::POST, "/api/v1/courses/import", &admin)
            .json(&json!({ "code": "EMPTY", "title": "To be written" }))
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(empty["components"], json!([]));

    // Listing pages by title, and searches code and title.
    let page = get(&app, "/api/v1/courses?limit=1", &admin).await;
    assert_eq!(codes(&page["items"], "code"), ["ST0457"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = get(
        &app,
        &format!("/api/v1/courses?limit=1&cursor={cursor}"),
        &admin,
    )
    .await;
    assert_eq!(codes(&next["items"], "code"), ["EMPTY"]);
    assert_eq!(next["next_cursor"], Value::Null);
    let found = get(&app, "/api/v1/courses?q=st04", &admin).await;
    assert_eq!(codes(&found["items"], "code"), ["ST0457"]);
    let found = get(&app, "/api/v1/courses?q=WRITTEN", &admin).await;
    assert_eq!(codes(&found["items"], "code"), ["EMPTY"]);
    app.finish().await;
}

#[tokio::test]
async fn a_bad_json_import_lists_every_problem_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;
    let mut document = import_document();
    document["title"] = json!("");
    document["components"][0]["units"][1]["code"] = json!("U1");
    document["components"][0]["units"][2]["optional"] = json!(false);
    document["components"][0]["units"][2]["optional_group"] = json!("Group B");
    document["components"][0]["units"][0]["criteria"][1]["code"] = json!("1.1");
    document["components"][1]["units"][0]["criteria"][0]["text"] = json!("x".repeat(2001));
    document["components"][2]["title"] = json!("Diploma");

    let response = app
        .authed(Method::POST, "/api/v1/courses/import", &admin)
        .json(&document)
        .send()
        .await
        .unwrap();
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        fields(&p),
        [
            "title",
            "components[0].units[0].criteria[1].code",
            "components[0].units[1].code",
            "components[0].units[2].optional_group",
            "components[1].units[0].criteria[0].text",
            "components[2].title",
        ]
    );
    assert_eq!(curriculum_rows(&app).await, [0, 0, 0, 0]);

    // Components without a single criterion are refused too.
    let response = app
        .authed(Method::POST, "/api/v1/courses/import", &admin)
        .json(&json!({ "code": "ST1", "title": "T", "components": [{ "title": "C" }] }))
        .send()
        .await
        .unwrap();
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["components"]);
    // A wrong type is named by its path.
    let response = app
        .authed(Method::POST, "/api/v1/courses/import", &admin)
        .json(&json!({ "code": "ST1", "title": "T", "components": [{ "title": "C", "units": [{ "code": "U", "title": "U", "optional": "yes" }] }] }))
        .send()
        .await
        .unwrap();
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["components[0].units[0].optional"]);
    assert_eq!(curriculum_rows(&app).await, [0, 0, 0, 0]);
    let audit = get(&app, "/api/v1/audit-log?limit=200", &admin).await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["action"].as_str().unwrap().starts_with("course.")),
        "{audit}"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_csv_import_creates_a_course_from_a_spreadsheet_export() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;
    // Columns in another order, Windows line endings, a quoted comma, a quoted line
    // break and a doubled quote, as spreadsheets write them.
    let csv = "unit_code,unit_title,course_code,course_title,component,unit_optional,optional_group,criterion_code,criterion_text\r\n\
               U1,\"Safety, health and welfare\",ST0457,Engineering Technician,Diploma,no,,1.1,\"Identify hazards, and\r\nreport them\"\r\n\
               U1,\"Safety, health and welfare\",ST0457,Engineering Technician,Diploma,,,1.2,\"Use \"\"safe\"\" methods\"\r\n\
               U2,Tools,ST0457,Engineering Technician,Diploma,Yes,Group A,2.1,Select tools\r\n\
               M1,Number,ST0457,Engineering Technician,Maths,false,,1,Fractions\r\n";
    let created = json_of(
        app.authed(Method::POST, "/api/v1/courses/import-csv", &admin)
            .header("content-type", "text/csv; charset=utf-8")
            .body(csv)
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["code"], "ST0457");
    assert_eq!(created["title"], "Engineering Technician");
    let components = &created["components"];
    assert_eq!(codes(components, "title"), ["Diploma", "Maths"]);
    let units = &components[0]["units"];
    assert_eq!(codes(units, "code"), ["U1", "U2"]);
    assert_eq!(units[0]["title"], "Safety, health and welfare");
    assert_eq!(units[0]["optional"], false);
    assert_eq!(units[1]["optional"], true);
    assert_eq!(units[1]["optional_group"], "Group A");
    let criteria = &units[0]["criteria"];
    assert_eq!(codes(criteria, "code"), ["1.1", "1.2"]);
    assert_eq!(criteria[0]["text"], "Identify hazards, and\nreport them");
    assert_eq!(criteria[1]["text"], "Use \"safe\" methods");
    assert_eq!(
        codes(&components[1]["units"][0]["criteria"], "text"),
        ["Fractions"]
    );
    assert_eq!(curriculum_rows(&app).await, [1, 2, 3, 4]);
    let audit = get(
        &app,
        &format!("/api/v1/audit-log?entity_id={}", id(&created)),
        &admin,
    )
    .await;
    assert_eq!(
        audit["items"][0]["details"],
        json!({ "format": "csv", "components": 2, "units": 3, "criteria": 4 })
    );

    // The CSV endpoint takes CSV only.
    let response = app
        .authed(Method::POST, "/api/v1/courses/import-csv", &admin)
        .json(&json!({ "code": "X" }))
        .send()
        .await
        .unwrap();
    let p = problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(p["detail"].as_str().unwrap().contains("text/csv"), "{p}");
    app.finish().await;
}

#[tokio::test]
async fn a_bad_csv_import_lists_problems_by_row_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (_, _, admin) = app.tenant_with_admin("northgate").await;
    let csv = "course_code,course_title,component,unit_code,unit_title,unit_optional,optional_group,criterion_code,criterion_text\n\
               ST1,Engineer,Diploma,U1,Safety,no,,1.1,Identify hazards\n\
               ST1,Engineer,Diploma,U1,Safety,no,,1.1,\"Same code,\nagain\"\n\
               ST1,Engineer,Diploma,U2,Tools,perhaps,,2.1,Select tools\n\
               ST9,Engineer,,U3,Drawings,no,Group B,3.1,\n\
               ST1,Engineer,Diploma\n";
    let response = app
        .authed(Method::POST, "/api/v1/courses/import-csv", &admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        fields(&p),
        [
            "rows[2].criterion_code",
            "rows[3].unit_optional",
            "rows[4].course_code",
            "rows[4].component",
            "rows[4].optional_group",
            "rows[4].criterion_text",
            "rows[5]",
        ],
        "{p}"
    );
    assert_eq!(curriculum_rows(&app).await, [0, 0, 0, 0]);

    // Text that is not UTF-8 (a legacy spreadsheet encoding) is refused as a whole.
    let response = app
        .authed(Method::POST, "/api/v1/courses/import-csv", &admin)
        .header("content-type", "text/csv")
        .body(b"course_code,course_title\nST1,Caf\xe9\n".to_vec())
        .send()
        .await
        .unwrap();
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["body"]);
    // Too large: refused before it is parsed.
    let response = app
        .authed(Method::POST, "/api/v1/courses/import-csv", &admin)
        .header("content-type", "text/csv")
        .body(vec![b'a'; 4 * 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(curriculum_rows(&app).await, [0, 0, 0, 0]);
    app.finish().await;
}

/// A course with one of everything, made by `token`; returns the ids of each level.
async fn arrange_course(app: &TestApp, token: &str) -> [String; 4] {
    let created = json_of(
        app.authed(Method::POST, "/api/v1/courses/import", token)
            .json(&import_document())
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let component = &created["components"][0];
    let unit = &component["units"][0];
    [
        id(&created),
        id(component),
        id(unit),
        id(&unit["criteria"][0]),
    ]
}

/// Every curriculum endpoint with a body that would succeed, for the ids given.
fn every_endpoint(ids: &[String; 4]) -> Vec<(Method, String, Option<Value>, bool)> {
    let [course, component, unit, criterion] = ids;
    let csv_marker = json!("csv");
    vec![
        (Method::GET, "/api/v1/courses".into(), None, false),
        (
            Method::GET,
            format!("/api/v1/courses/{course}"),
            None,
            false,
        ),
        (
            Method::POST,
            "/api/v1/courses".into(),
            Some(json!({ "code": "NEW", "title": "New" })),
            true,
        ),
        (
            Method::POST,
            "/api/v1/courses/import".into(),
            Some(json!({ "code": "IMP", "title": "Imported" })),
            true,
        ),
        (
            Method::POST,
            "/api/v1/courses/import-csv".into(),
            Some(csv_marker),
            true,
        ),
        (
            Method::PUT,
            format!("/api/v1/courses/{course}"),
            Some(json!({ "code": "ST0457", "title": "Changed" })),
            true,
        ),
        (
            Method::POST,
            format!("/api/v1/courses/{course}/components"),
            Some(json!({ "title": "New component" })),
            true,
        ),
        (
            Method::PUT,
            format!("/api/v1/components/{component}"),
            Some(json!({ "title": "Changed" })),
            true,
        ),
        (
            Method::POST,
            format!("/api/v1/components/{component}/units"),
            Some(json!({ "code": "NEW", "title": "New", "optional": false })),
            true,
        ),
        (
            Method::PUT,
            format!("/api/v1/units/{unit}"),
            Some(json!({ "code": "U1", "title": "Changed", "optional": false })),
            true,
        ),
        (
            Method::POST,
            format!("/api/v1/units/{unit}/criteria"),
            Some(json!({ "code": "NEW", "text": "New" })),
            true,
        ),
        (
            Method::PUT,
            format!("/api/v1/criteria/{criterion}"),
            Some(json!({ "code": "1.1", "text": "Changed" })),
            true,
        ),
        (
            Method::DELETE,
            format!("/api/v1/criteria/{criterion}"),
            None,
            true,
        ),
        (Method::DELETE, format!("/api/v1/units/{unit}"), None, true),
        (
            Method::DELETE,
            format!("/api/v1/components/{component}"),
            None,
            true,
        ),
        (
            Method::DELETE,
            format!("/api/v1/courses/{course}"),
            None,
            true,
        ),
    ]
}

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.authed(method, path, token);
    match body {
        Some(Value::String(s)) if s == "csv" => {
            request = request.header("content-type", "text/csv").body(
                "course_code,course_title,component,unit_code,unit_title,criterion_code,criterion_text\nCSV,From CSV,C,U,Unit,1,Do it\n",
            );
        }
        Some(body) => request = request.json(&body),
        None => {}
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn admins_write_staff_read_and_learners_and_employers_get_nothing() {
    let app = TestApp::spawn().await;
    let (tenant, _, admin) = app.tenant_with_admin("northgate").await;
    let ids = arrange_course(&app, &admin).await;

    let mut readers = Vec::new();
    for (email, role) in [
        ("assessor@n.example", Role::Assessor),
        ("iqa@n.example", Role::Iqa),
        ("auditor@n.example", Role::Auditor),
    ] {
        app.user(&tenant, email, &[role]).await;
        readers.push((role, app.login(&tenant, email).await));
    }
    let mut outsiders = Vec::new();
    for (email, role) in [
        ("learner@n.example", Role::Learner),
        ("manager@n.example", Role::Employer),
    ] {
        app.user(&tenant, email, &[role]).await;
        outsiders.push((role, app.login(&tenant, email).await));
    }
    let before = curriculum_rows(&app).await;

    for (method, path, body, writes) in every_endpoint(&ids) {
        for (role, token) in &readers {
            let response = call(&app, token, method.clone(), &path, body.clone()).await;
            if writes {
                let p = problem(response, StatusCode::FORBIDDEN).await;
                assert_eq!(p["type"], "/problems/forbidden", "{role} {method} {path}");
            } else {
                assert_eq!(response.status(), StatusCode::OK, "{role} {method} {path}");
            }
        }
        for (role, token) in &outsiders {
            let response = call(&app, token, method.clone(), &path, body.clone()).await;
            let p = problem(response, StatusCode::FORBIDDEN).await;
            assert_eq!(p["type"], "/problems/forbidden", "{role} {method} {path}");
        }
    }
    assert_eq!(curriculum_rows(&app).await, before, "nothing was written");

    // The admin can do all of it, in this order (deletes last, leaves first).
    for (method, path, body, writes) in every_endpoint(&ids) {
        let response = call(&app, &admin, method.clone(), &path, body).await;
        let expected = match (method.clone(), writes) {
            (Method::POST, _) => StatusCode::CREATED,
            (Method::DELETE, _) => StatusCode::NO_CONTENT,
            _ => StatusCode::OK,
        };
        assert_eq!(response.status(), expected, "admin {method} {path}");
    }
    // The arranged course is gone; the three created at the top level remain.
    assert_eq!(table_count(&app, "courses").await, 3);
    app.finish().await;
}

/// What B can see of its course and its audit log.
async fn snapshot(app: &TestApp, token: &str, course: &str) -> (Value, Value) {
    (
        get(app, &format!("/api/v1/courses/{course}"), token).await,
        get(app, "/api/v1/audit-log?limit=200", token).await,
    )
}

#[tokio::test]
async fn tenant_a_cannot_reach_tenant_bs_curriculum() {
    let app = TestApp::spawn().await;
    let (_, _, a) = app.tenant_with_admin("tenant-a").await;
    let (_, _, b) = app.tenant_with_admin("tenant-b").await;
    let ids = arrange_course(&app, &b).await;
    let before = snapshot(&app, &b, &ids[0]).await;

    for (method, path, body, _) in every_endpoint(&ids) {
        // Paths without an id act on A's own data; they are A's business, not B's.
        if !ids.iter().any(|id| path.contains(id.as_str())) {
            continue;
        }
        let response = call(&app, &a, method.clone(), &path, body).await;
        let p = problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(p["type"], "/problems/not-found", "{method} {path}");
    }

    // A sees none of B's courses, and may reuse B's course code.
    let listed = get(&app, "/api/v1/courses", &a).await;
    assert_eq!(listed["items"], json!([]));
    let imported = json_of(
        app.authed(Method::POST, "/api/v1/courses/import", &a)
            .json(&import_document())
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(id(&imported), ids[0]);
    let listed = get(&app, "/api/v1/courses", &a).await;
    assert_eq!(codes(&listed["items"], "id"), [id(&imported)]);

    // B is unchanged.
    assert_eq!(snapshot(&app, &b, &ids[0]).await, before);
    let b_list = get(&app, "/api/v1/courses", &b).await;
    assert_eq!(codes(&b_list["items"], "id"), [ids[0].clone()]);
    app.finish().await;
}
