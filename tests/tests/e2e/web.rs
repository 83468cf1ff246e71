//! The web pages' own guards, over HTTP against the real server: forms from another site
//! are refused, an unbounded body is refused before it is read, a crafted `next` cannot
//! send anyone elsewhere after signing in, a form naming a broken API path is a readable
//! 400 and not a crash, the flash message cannot be written by a link, and another
//! organisation's learner is a "Not found" page. (What the pages show and do is tested in
//! a real browser: `crates/folio/tests/binary/browser.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_domain::Role;
use folio_tests::scene::{NewCourse, NewEnrolment, Scene, date};
use folio_tests::{PASSWORD, Page, TestApp};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{StatusCode, redirect};

/// Organisation "north" with the usual cast and Amelia enrolled on ST1 Engineering.
async fn amelia_on_engineering(app: &TestApp) -> Scene<&TestApp> {
    app.scene("north")
        .course(NewCourse::new("ST1", "Engineering"))
        .cast()
        .enrol(NewEnrolment::amelia())
        .build()
        .await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn page_forms_are_guarded() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "admin@n.example", &[Role::Admin]).await;
    let token = app.login(&tenant, "admin@n.example").await;
    let http = no_redirects();
    let cookie = format!("folio_session={token}");
    let form =
        "_api=/api/v1/users&_back=/app/admin/people&name=Eve&email=eve@n.example&roles:list=admin";

    // From another site: refused, and nobody is created.
    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
    ] {
        let response = http
            .post(format!("{}/app/do", app.base))
            .header(COOKIE, &cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header, value)
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{header}: {value}"
        );
    }
    let eve: i64 = sqlx::query_scalar("select count(*) from users where email = 'eve@n.example'")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(eve, 0);

    // From the page itself: done, and the page after it says so through the flash cookie.
    let response = http
        .post(format!("{}/app/do", app.base))
        .header(COOKIE, &cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("origin", &app.base)
        .body(format!("{form}&_notice=Person+added."))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/app/admin/people");
    let flash = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(flash.starts_with("folio_flash=n:Person+added."), "{flash}");
    let flash_value = flash.split(';').next().unwrap().to_owned();
    let page = http
        .get(format!("{}/app/admin/people", app.base))
        .header(COOKIE, format!("{cookie}; {flash_value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let cleared = page.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cleared.starts_with("folio_flash=; Path=/; Max-Age=0"),
        "{cleared}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Person added."));
    assert!(html.contains("eve@n.example"));

    // A message in the link itself is not shown.
    let html = http
        .get(format!(
            "{}/app/admin/people?notice=Call+0800+to+keep+your+account",
            app.base
        ))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Call 0800"));

    // A body without a length, or too big, is refused before it is read.
    let chunked =
        reqwest::Body::wrap_stream(futures_util::stream::iter(vec![Ok::<_, std::io::Error>(
            form.as_bytes().to_vec(),
        )]));
    let response = http
        .post(format!("{}/app/do", app.base))
        .header(COOKIE, &cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(chunked)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::LENGTH_REQUIRED);
    let response = http
        .post(format!("{}/app/do", app.base))
        .header(COOKIE, &cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(vec![b'a'; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // A form naming a path that is no URI, or is outside the API: a readable refusal.
    for api in ["/api/v1/users%20x y", "/metrics", "/api/v1/../metrics"] {
        let response = http
            .post(format!("{}/app/do", app.base))
            .header(COOKIE, &cookie)
            .form(&[("_api", api), ("_back", "/app")])
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::SEE_OTHER,
            "{api}: {status}"
        );
        if status == StatusCode::SEE_OTHER {
            let flash = response.headers()[SET_COOKIE].to_str().unwrap();
            assert!(flash.starts_with("folio_flash=p:"), "{api}: {flash}");
        }
    }
    app.finish().await;
}

#[tokio::test]
async fn sign_in_goes_only_to_this_site() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "learner@n.example", &[Role::Learner])
        .await;
    let http = no_redirects();
    for (next, expected) in [
        ("/app/exports", "/app/exports"),
        ("https://evil.example/", "/app"),
        ("//evil.example", "/app"),
        ("/\t/evil.example", "/app"),
        ("/\\evil.example", "/app"),
    ] {
        let response = http
            .post(format!("{}/sign-in", app.base))
            .form(&[
                ("tenant", "northgate"),
                ("email", "learner@n.example"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(response.headers()[LOCATION], expected, "{next:?}");
    }
    // A wrong password is the sign-in page again with a readable message, and 401.
    let response = http
        .post(format!("{}/sign-in", app.base))
        .form(&[
            ("tenant", "northgate"),
            ("email", "learner@n.example"),
            ("password", "wrong-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let html = response.text().await.unwrap();
    assert!(html.contains("password is not right"));
    assert!(html.contains("value=\"learner@n.example\""));
    app.finish().await;
}

#[tokio::test]
async fn the_sign_in_page_shares_the_apis_lock_out_and_sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "learner@n.example", &[Role::Learner])
        .await;
    app.user(&tenant, "tutor@n.example", &[Role::Assessor])
        .await;
    let http = no_redirects();
    let sign_in = |email: &'static str, password: &'static str| {
        let http = http.clone();
        let url = format!("{}/sign-in", app.base);
        async move {
            http.post(url)
                .form(&[
                    ("tenant", "northgate"),
                    ("email", email),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
        }
    };

    // Five wrong passwords through the API lock the address out of the page too, even
    // with the right password: 429, a readable message and when to try again.
    for _ in 0..5 {
        let response = http
            .post(format!("{}/api/v1/auth/login", app.base))
            .json(&serde_json::json!({
                "tenant": "northgate", "email": "learner@n.example", "password": "wrong-password"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = sign_in("learner@n.example", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // 15 minutes' lock-out, begun a moment ago.
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((840..=900).contains(&retry), "{retry}");
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Too many failed sign-ins for this address; try again in 15 minutes."),
        "{html}"
    );

    // An address that is not one is named, in words.
    let response = sign_in("not an address", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Please correct: email:"), "{html}");

    // Signing in on the page starts a session the pages accept; signing out ends it (the
    // old cookie no longer opens a page) and goes back to the organisation's sign-in.
    let response = sign_in("tutor@n.example", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let session = cookie.split(';').next().unwrap().to_owned();
    let home = http
        .get(format!("{}/app/", app.base))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let out = http
        .post(format!("{}/sign-out", app.base))
        .header(COOKIE, &session)
        .header("sec-fetch-site", "same-origin")
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()[LOCATION], "/sign-in?org=northgate");
    assert!(
        out.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("folio_session=; ")
    );
    let after = http
        .get(format!("{}/app/", app.base))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert!(
        after.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/sign-in")
    );
    app.finish().await;
}

#[tokio::test]
async fn another_organisations_learner_is_not_found() {
    let app = TestApp::spawn().await;
    // An enrolment of alpha's, looked at by bravo's admin through the pages.
    let alpha = app
        .scene("alpha")
        .course(NewCourse::new("ST1", "Course"))
        .person("l@alpha.example", Role::Learner)
        .enrol(NewEnrolment::new("l").dates(date(2026, 9, 1), date(2028, 3, 1)))
        .signed_out()
        .build()
        .await;
    let (_bravo, _, bravo_admin) = app.tenant_with_admin("bravo").await;
    let alpha_admin = &alpha.admin;
    let id = alpha.enrolment("l");
    let http = no_redirects();
    for path in ["", "/evidence", "/progress-map", "/time-log", "/units"] {
        let mine = http
            .get(format!("{}/app/enrolments/{id}{path}", app.base))
            .header(COOKIE, format!("folio_session={alpha_admin}"))
            .send()
            .await
            .unwrap();
        assert_eq!(mine.status(), StatusCode::OK, "alpha{path}");
        let theirs = http
            .get(format!("{}/app/enrolments/{id}{path}", app.base))
            .header(COOKIE, format!("folio_session={bravo_admin}"))
            .send()
            .await
            .unwrap();
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "bravo{path}");
        let html = theirs.text().await.unwrap();
        assert!(html.contains("Not found") && !html.contains("l@alpha.example"));
    }
    app.finish().await;
}

#[tokio::test]
async fn long_lists_page_and_the_enrolment_form_does_not_list_learners() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "admin@n.example", &[Role::Admin]).await;
    let token = app.login(&tenant, "admin@n.example").await;
    // 450 learners, in SQL (through the API each would hash a password).
    sqlx::query(
        "with l as (insert into users (tenant_id, id, email, name)
                    select $1, gen_random_uuid(), 'learner' || lpad(n::text, 3, '0') || '@n.example',
                           'Learner ' || lpad(n::text, 3, '0')
                    from generate_series(1, 450) n returning id)
         insert into user_roles (tenant_id, user_id, role) select $1, id, 'learner' from l",
    )
    .bind(tenant.id)
    .execute(&app.database.pool)
    .await
    .unwrap();
    let get = |path: String| {
        let (app, token) = (&app, &token);
        async move {
            let page = app.page(token, &path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            page.html
        }
    };

    // The people list pages on: every learner is on one page or another, once.
    let mut seen = std::collections::HashSet::new();
    let mut path = "/app/admin/people?role=learner".to_owned();
    for page in 0..10 {
        let html = get(path.clone()).await;
        // 50 people a page, each with their roles in words; the forms on the page come
        // back to it, search and place kept.
        assert!(html.matches("<tr data-user=").count() <= 50);
        if page == 0 {
            assert!(
                html.contains("<td data-label=\"Roles\">Learner</td>"),
                "{html}"
            );
            assert!(
                html.contains("name=\"_back\" value=\"/app/admin/people?role&#x3D;learner\""),
                "{html}"
            );
        }
        for n in 1..=450 {
            if html.contains(&format!("learner{n:03}@n.example")) {
                assert!(seen.insert(n), "learner {n} listed twice");
            }
        }
        let Some(more) = html.split("href=\"/app/admin/people?").nth(1) else {
            break;
        };
        let query = more.split('"').next().unwrap().replace("&amp;", "&");
        path = format!("/app/admin/people?{query}");
    }
    assert_eq!(seen.len(), 450);

    // The enrolment form takes the learner's e-mail address rather than listing 450 of
    // them (a provider has thousands): none is on the page.
    let html = get("/app/admin/enrolments".to_owned()).await;
    assert!(html.contains("<input type=\"email\" id=\"learner_email\" name=\"learner_email\""));
    let offered = (1..=450)
        .filter(|n| html.contains(&format!("learner{n:03}@n.example")))
        .count();
    assert_eq!(offered, 0);
    app.finish().await;
}

/// The `href` of the first `<a>` whose opening tag contains `marker`, as the browser would
/// follow it (`&amp;` decoded).
fn href_near(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page"));
    let start = html[..at].rfind("<a ").expect("a link");
    let tag = &html[start..];
    let href = tag.split("href=\"").nth(1).expect("an href");
    href.split('"').next().unwrap().replace("&amp;", "&")
}

#[tokio::test]
async fn home_pages_show_each_person_their_own_and_every_link_opens() {
    let app = TestApp::spawn().await;
    let s = app
        .scene("north")
        .course(NewCourse::new("ST1", "Engineering"))
        .cast()
        .person("nadia@n.example", Role::Learner)
        .enrol(NewEnrolment::amelia())
        .enrol(NewEnrolment::olly())
        .build()
        .await;

    // Tom's home page: his caseload is Amelia and Olly (2), and the tile opens the list of
    // exactly them, each linking to a portfolio that opens.
    let home = app.page(s.token("tom"), "/app/").await;
    assert_eq!(home.status, StatusCode::OK);
    let html = home.html;
    assert!(html.contains("Your caseload"), "{html}");
    assert!(
        html.contains(r#"data-tile="caseload"><span class="n">2</span>Caseload"#),
        "{html}"
    );
    let caseload = href_near(&html, r#"data-tile="caseload""#);
    assert_eq!(caseload, "/app/tiles/caseload");
    let list = app.page(s.token("tom"), caseload).await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.html;
    assert!(html.contains("<h1>Caseload</h1>"), "{html}");
    assert!(html.contains("Person amelia@n.example") && html.contains("Person olly@n.example"));
    assert!(!html.contains("nadia@n.example"));
    let amelia = s.enrolment("amelia");
    let portfolio = href_near(&html, ">Person amelia@n.example<");
    assert_eq!(portfolio, format!("/app/enrolments/{amelia}"));
    let page = app.page(s.token("tom"), portfolio).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Person amelia@n.example"));
    // The learners tile lists everyone in reach; an unknown list is the "Not found" page.
    let learners = app.page(s.token("tom"), "/app/tiles/learners").await;
    assert_eq!(learners.status, StatusCode::OK);
    let html = learners.html;
    assert!(html.contains("<h1>Learners and their last login</h1>"));
    assert!(html.contains("Person olly@n.example"));
    let unknown = app.page(s.token("tom"), "/app/tiles/nonsense").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // The admin sees the whole organisation.
    let html = app.page(s.token("admin@north.example"), "/app/").await.html;
    assert!(html.contains("Whole organisation"), "{html}");
    assert!(html.contains(r#"data-tile="caseload"><span class="n">2</span>Caseload"#));

    // Amelia, on one programme, goes straight to it; Nadia, on none, is told so; neither
    // has a dashboard list.
    let home = app.page(s.token("amelia"), "/app/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    let there = home.location.clone().unwrap();
    assert_eq!(there, format!("/app/enrolments/{amelia}"));
    assert_eq!(
        app.page(s.token("amelia"), there).await.status,
        StatusCode::OK
    );
    let html = app.page(s.token("nadia"), "/app/").await.html;
    assert!(
        html.contains("You have no programmes in Folio yet."),
        "{html}"
    );
    let refused = app.page(s.token("amelia"), "/app/tiles/caseload").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Manny, Amelia's employer contact, sees her programme (and not Olly's), linked.
    let html = app.page(s.token("manny"), "/app/").await.html;
    assert!(html.contains("Person amelia@n.example") && !html.contains("olly@n.example"));
    let link = href_near(&html, ">Person amelia@n.example<");
    assert_eq!(link, format!("/app/enrolments/{amelia}"));
    assert_eq!(
        app.page(s.token("manny"), link).await.status,
        StatusCode::OK
    );
    app.finish().await;
}

#[tokio::test]
async fn the_overview_shows_each_person_the_sections_the_api_gives_them() {
    use folio_tests::scene::days_ago;
    use reqwest::Method;
    use serde_json::{Value, json};

    let app = TestApp::spawn().await;
    let s = amelia_on_engineering(&app).await;
    let e = s.enrolment("amelia");
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/comments"),
            s.token("tom"),
            Some(json!({ "text": "Struggling with the maths unit" })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/actions"),
            s.token("tom"),
            Some(json!({ "title": "Write up the pump overhaul", "target_date": days_ago(2) })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let action: Value = r.json().await.unwrap();
    let action = action["id"].as_str().unwrap().to_owned();
    let page = |who: &str, path: String| {
        let token = s.token(who).to_owned();
        let app = &app;
        async move {
            let page = app.page(&token, &path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            page.html
        }
    };
    let overview = format!("/app/enrolments/{e}");

    // The admin: the people form with Tom and Iris chosen and Manny as manager, the staff
    // comment, the one overdue action linked to its page.
    let html = page("admin@north.example", overview.clone()).await;
    for (who, select) in [
        ("tom", "people-assessor"),
        ("iris", "people-iqa"),
        ("manny", "people-manager"),
    ] {
        let options = html.split(&format!("id=\"{select}\"")).nth(1).unwrap();
        let options = options.split("</select>").next().unwrap();
        assert!(
            options.contains(&format!("<option value=\"{}\" selected>", s.id(who))),
            "{select}: {options}"
        );
    }
    assert!(html.contains("Struggling with the maths unit"));
    assert!(
        html.contains("Outstanding actions: 1 (1 overdue)"),
        "{html}"
    );
    let link = href_near(&html, ">Write up the pump overhaul<");
    assert_eq!(link, format!("/app/enrolments/{e}/actions/{action}"));
    assert!(
        page("admin@north.example", link)
            .await
            .contains("Write up the pump overhaul")
    );

    // Tom, her assessor: the comment and the staff tools, not the admin's people form.
    let html = page("tom", overview.clone()).await;
    assert!(html.contains("Struggling with the maths unit"));
    assert!(html.contains("id=\"set-action\"") && !html.contains("id=\"enrolment-people\""));

    // Amelia: her action, no internal comment, no staff tools.
    let html = page("amelia", overview.clone()).await;
    assert!(html.contains("Write up the pump overhaul"));
    assert!(!html.contains("Struggling with the maths unit"));
    assert!(!html.contains("id=\"set-action\"") && !html.contains("id=\"enrolment-people\""));

    // A session Tom books is listed and its page opens with its notes, for Amelia too; an
    // action id that is not hers is not found under her portfolio.
    let starts = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/sessions"),
            s.token("tom"),
            Some(json!({ "session_type": "review", "starts_at": starts,
                         "duration_minutes": 60, "planning_notes": "Bring the logbook." })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let session: Value = r.json().await.unwrap();
    let session = session["id"].as_str().unwrap().to_owned();
    let html = page("amelia", overview.clone()).await;
    let link = html
        .split(&format!("data-session=\"{session}\""))
        .nth(1)
        .and_then(|row| row.split("href=\"").nth(1))
        .and_then(|h| h.split('"').next())
        .expect("the session links to its page")
        .to_owned();
    assert_eq!(link, format!("/app/sessions/{session}"));
    let html = page("amelia", link).await;
    assert!(
        html.contains("Bring the logbook.") && html.contains("<dd>Review"),
        "{html}"
    );
    let stranger = app
        .page(s.token("amelia"), format!("{overview}/actions/{session}"))
        .await
        .status;
    assert_eq!(stranger, StatusCode::NOT_FOUND);

    // Manny, her manager: no internal comment either.
    let html = page("manny", overview).await;
    assert!(
        !html.contains("Struggling with the maths unit") && !html.contains("Internal comments")
    );
    app.finish().await;
}

#[tokio::test]
async fn the_time_log_pages_show_the_entries_and_their_links_open_the_entry() {
    use folio_tests::scene::days_ago;
    use reqwest::Method;
    use serde_json::{Value, json};

    let app = TestApp::spawn().await;
    let s = amelia_on_engineering(&app).await;
    let e = s.enrolment("amelia");
    let day = days_ago(3);
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/enrolments/{e}/time-log"),
            s.token("amelia"),
            Some(
                json!({ "entry_date": day, "activity_type": "distance_learning",
                         "minutes": 90, "reflection": "Read about pumps" }),
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let entry: Value = r.json().await.unwrap();
    let entry = entry["id"].as_str().unwrap().to_owned();
    let amelia = s.token("amelia");

    // The list: the entry with its activity's name and 1:30, counted off the job
    // (distance learning is off the job by default): 90 min = 1.5 hours logged.
    let r = app
        .page(amelia, format!("/app/enrolments/{e}/time-log"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.html;
    assert!(
        html.contains("Read about pumps") && html.contains("1:30"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Logged (counting)</dt><dd>1.5 hours</dd>"),
        "{html}"
    );
    // Where the learner works, the figures say how they were reached.
    assert!(html.contains("How these figures are worked out"), "{html}");
    assert!(
        html.contains("1.50 hours (official return: 2 whole hours, to the nearest hour)"),
        "{html}"
    );
    assert!(html.contains("days of learning"), "{html}");
    assert!(html.contains("minimum duration 8 months"), "{html}");
    let opened = html
        .split("href=\"/app/time-log/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the entry links to its page");
    assert_eq!(opened, entry);

    // Its page: the form filled in with the entry as it is.
    let r = app.page(amelia, format!("/app/time-log/{entry}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.html;
    assert!(html.contains(&format!("value=\"{day}\"")), "{html}");
    assert!(
        html.contains(r#"<option value="distance_learning" selected>"#),
        "{html}"
    );
    // 90 minutes shown as 1 hour and 30 minutes.
    assert!(
        html.contains(r#"name="minutes:hours" inputmode="decimal" size="5" value="1""#),
        "{html}"
    );
    assert!(html.contains(r#"name="minutes:addmin" inputmode="numeric" size="5" value="30""#));
    assert!(html.contains(">Read about pumps</textarea>"));
    assert!(html.contains(&format!("href=\"/app/enrolments/{e}/time-log\"")));
    // Off the job follows the activity: the learner has no box to tick (it was ticked for
    // every activity), only the rule; the assessor has the exception and its reason.
    assert!(!html.contains("name=\"off_the_job"), "{html}");
    assert!(
        html.contains("Off the job follows the activity: Traditional face-to-face session;"),
        "{html}"
    );
    assert!(!html.contains("follows the activity: Traditional face-to-face session; Trainer or assessor led training; Electronic or distance learning or self-study; Coaching or mentoring; Gaining"), "{html}");
    let html = app
        .page(s.token("tom"), format!("/app/time-log/{entry}"))
        .await
        .html;
    assert!(
        html.contains(r#"<select id="off_the_job" name="off_the_job:optbool""#)
            && html.contains(r#"name="off_the_job_reason""#),
        "{html}"
    );

    // Filtered to on the job it is not listed; a bad filter is a page naming it.
    let html = app
        .page(
            amelia,
            format!("/app/enrolments/{e}/time-log?off_the_job=false"),
        )
        .await
        .html;
    assert!(!html.contains("Read about pumps") && html.contains("that matches these filters"));
    let r = app
        .page(
            amelia,
            format!("/app/enrolments/{e}/time-log?from=yesterday"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The month's calendar: the day shows 1:30 in all, the month totals 1:30 of which 1:30 off
    // the job.
    let month = day.format("%Y-%m");
    let html = app
        .page(
            amelia,
            format!("/app/enrolments/{e}/time-log?view=calendar&month={month}"),
        )
        .await
        .html;
    let cell = html
        .split(&format!("data-date=\"{day}\""))
        .nth(1)
        .and_then(|c| c.split("</td>").next())
        .expect("the day is in the calendar");
    assert!(cell.contains("1:30 in all"), "{cell}");
    assert!(
        html.contains("Month total: 1:30, of which off the job 1:30."),
        "{html}"
    );

    // The calendar is clickable: the day's entry opens its page...
    assert!(
        cell.contains(&format!(
            "<a href=\"/app/time-log/{entry}\">1:30 Electronic or distance learning or self-study</a>"
        )),
        "{cell}"
    );
    // ...and "+ Log" on the day opens the log-time form on that day, coming back to the
    // month's calendar once logged.
    let add = cell
        .split("class=\"cal-add\" href=\"")
        .nth(1)
        .and_then(|a| a.split('"').next())
        .expect("the day offers to log time on it")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&");
    let calendar = format!("/app/enrolments/{e}/time-log?view=calendar&month={month}");
    assert_eq!(add, format!("{calendar}&day={day}#log-time"));
    let path = add.split('#').next().unwrap();
    let html = app.page(amelia, path).await.html;
    let form = html.split("id=\"log-time\"").nth(1).unwrap();
    // (Attribute values as the browser reads them: handlebars writes `=` as `&#x3D;`.)
    let form = form
        .split("</form>")
        .next()
        .unwrap()
        .replace("&#x3D;", "=")
        .replace("&amp;", "&");
    assert!(form.contains(&format!("value=\"{day}\"")), "{form}");
    assert!(
        form.contains(&format!("name=\"_back\" value=\"{calendar}\"")),
        "{form}"
    );
    // A day that is no date is a page naming it; days to come offer no "+ Log", and the
    // employer's manager (a reader) gets none at all.
    let r = app.page(amelia, format!("{calendar}&day=someday")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let tomorrow = folio_tests::scene::days_ahead(1);
    let html = app
        .page(
            amelia,
            format!(
                "/app/enrolments/{e}/time-log?view=calendar&month={}",
                tomorrow.format("%Y-%m")
            ),
        )
        .await
        .html;
    let cell = html
        .split(&format!("data-date=\"{tomorrow}\""))
        .nth(1)
        .and_then(|c| c.split("</td>").next())
        .unwrap();
    assert!(!cell.contains("cal-add"), "{cell}");
    let html = app
        .page(
            s.token("manny"),
            format!("/app/enrolments/{e}/time-log?view=calendar&month={month}"),
        )
        .await
        .html;
    assert!(html.contains("Month total: 1:30"), "{html}");
    assert!(!html.contains("cal-add") && !html.contains("href=\"/app/time-log/"));
    app.finish().await;
}

#[tokio::test]
async fn the_admin_pages_show_courses_enrolments_and_settings_and_their_links_open() {
    use folio_tests::scene::NewUnit;

    let app = TestApp::spawn().await;
    let s = app
        .scene("north")
        .course(
            NewCourse::new("ST1", "Engineering")
                .off_the_job_minimum_hours(278)
                .component(
                    "Knowledge",
                    [NewUnit::new("K1", "Materials").criterion("K1.1", "Names three alloys")],
                ),
        )
        .course(NewCourse::new("ST2", "Welding"))
        .cast()
        .enrol(NewEnrolment::amelia())
        .build()
        .await;
    let admin = "admin@north.example";

    // Courses: both listed; the link opens the course with its whole structure, and every
    // form on it comes back to it.
    let Page { status, html, .. } = app.page(s.token(admin), "/app/admin/courses").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("278 hours") && html.contains("Welding"),
        "{html}"
    );
    let st1 = s.course("ST1");
    let link = href_near(&html, ">ST1<");
    assert_eq!(link, format!("/app/admin/courses/{}", st1.id));
    let Page { status, html, .. } = app.page(s.token(admin), link.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>ST1 Engineering</h1>"), "{html}");
    assert!(html.contains("<h2>Knowledge</h2>") && html.contains("K1 Materials"));
    assert!(html.contains("<strong>K1.1</strong> Names three alloys"));
    let criterion = st1.unit("K1").criteria[0];
    assert!(html.contains(&format!("/api/v1/criteria/{criterion}")));
    let backs = html.matches(r#"name="_back" value=""#).count();
    let to_here = html
        .matches(&format!(r#"name="_back" value="{link}""#))
        .count();
    assert_eq!(
        (backs, to_here),
        (6, 6),
        "edit, remove, add criterion, unit, component, file from course"
    );
    // A search narrows the list, and says when nothing matches.
    let Page { html, .. } = app.page(s.token(admin), "/app/admin/courses?q=weld").await;
    assert!(html.contains("Welding") && !html.contains("Engineering"));
    let Page { html, .. } = app.page(s.token(admin), "/app/admin/courses?q=zzz").await;
    assert!(html.contains("No course matches “zzz”."), "{html}");
    // A course that is not there, or not a course id at all, is the "Not found" page.
    let Page { status, .. } = app
        .page(
            s.token(admin),
            format!("/app/admin/courses/{}", uuid::Uuid::nil()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let Page { status, .. } = app
        .page(s.token(admin), "/app/admin/courses/nonsense")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Learners do not read the curriculum.
    let Page { status, .. } = app.page(s.token("amelia"), "/app/admin/courses").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Enrolments: Amelia's, linked to her portfolio, which opens; the form offers each
    // active person of each role, every course and the employer.
    let Page { status, html, .. } = app.page(s.token(admin), "/app/admin/enrolments").await;
    assert_eq!(status, StatusCode::OK);
    let portfolio = href_near(&html, ">Person amelia@n.example<");
    assert_eq!(
        portfolio,
        format!("/app/enrolments/{}", s.enrolment("amelia"))
    );
    assert_eq!(
        app.page(s.token(admin), portfolio).await.status,
        StatusCode::OK
    );
    // The learner is typed by address, not chosen: Olly is not offered.
    assert!(!html.contains("olly@n.example"), "{html}");
    for choice in [
        r#"<option value="ID">Person tom@n.example</option>"#,
        r#"<option value="ID">Person iris@n.example</option>"#,
        r#"<option value="ID">Person manny@n.example</option>"#,
        r#"<option value="ID">Acme Engineering</option>"#,
    ] {
        let id = match choice {
            c if c.contains("tom") => s.id("tom"),
            c if c.contains("iris") => s.id("iris"),
            c if c.contains("manny") => s.id("manny"),
            _ => s.employer("Acme Engineering"),
        };
        let choice = choice.replace("ID", &id.to_string());
        assert!(html.contains(&choice), "{choice} in {html}");
    }
    assert!(html.contains(&format!(
        r#"<option value="{}">ST2 Welding</option>"#,
        s.course("ST2").id
    )));

    // Settings: the admin sees every form, and the redirect URI to register at the
    // identity provider before single sign-on is set up.
    let Page { status, html, .. } = app.page(s.token(admin), "/app/admin/settings").await;
    assert_eq!(status, StatusCode::OK);
    let callback = format!("{}/auth/north/sso/callback", app.base);
    assert!(html.contains(&format!("<code>{callback}</code>")), "{html}");
    assert!(html.contains("Save settings") && html.contains("Save single sign-on"));
    assert!(!html.contains("disabled"));
    // An assessor reads the settings that shape their work, without the forms to change
    // them, and without single sign-on.
    let Page { status, html, .. } = app.page(s.token("tom"), "/app/admin/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"<fieldset class="plain" disabled>"#),
        "{html}"
    );
    assert!(!html.contains("Save settings") && !html.contains("Single sign-on"));
    let Page { status, .. } = app.page(s.token("amelia"), "/app/admin/settings").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.finish().await;
}

/// The enrolment page's status form starts a break as the funding rules describe it: with
/// its reason and the return agreed, posted as the browser posts the form (the withdrawal
/// reason left blank).
#[tokio::test]
async fn the_status_form_starts_a_break_with_its_reason_and_expected_return() {
    use folio_tests::scene::{days_ago, days_ahead};
    use reqwest::Method;
    use serde_json::Value;

    let app = TestApp::spawn().await;
    let s = app
        .scene("north")
        .course(NewCourse::new("ST1", "Engineering"))
        .cast()
        .enrol(NewEnrolment::amelia().status_because("in_learning", days_ago(20), "started"))
        .build()
        .await;
    let e = s.enrolment("amelia");
    let cookie = format!("folio_session={}", s.admin);
    let http = no_redirects();
    let page = http
        .get(format!("{}/app/enrolments/{e}", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for field in [
        "name=\"break_reason\"",
        "name=\"expected_return_on\"",
        "<option value=\"parental_leave\">",
    ] {
        assert!(page.contains(field), "the status form has {field}");
    }
    let (on, back) = (days_ago(5), days_ahead(60));
    let form = format!(
        "_api=/api/v1/enrolments/{e}/status&_back=/app/enrolments/{e}&_notice=Status+changed.\
         &status=break_in_learning&on={on}&reason=&break_reason=parental_leave\
         &expected_return_on={back}"
    );
    let response = http
        .post(format!("{}/app/do", app.base))
        .header(COOKIE, &cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("origin", &app.base)
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION].to_str().unwrap(),
        format!("/app/enrolments/{e}")
    );
    let enrolment: Value = app
        .send(
            Method::GET,
            &format!("/api/v1/enrolments/{e}"),
            &s.admin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enrolment["status"], "break_in_learning");
    assert_eq!(enrolment["break_reason"], "parental_leave");
    assert_eq!(enrolment["break_expected_return_on"], back.to_string());
    // The page shows the break and the off-the-job figures, with the way to their workings.
    let page = http
        .get(format!("{}/app/enrolments/{e}", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let breaks = page
        .split("id=\"overview-breaks\"")
        .nth(1)
        .expect("the breaks are listed");
    assert!(
        breaks.contains("(Parental leave)") && breaks.contains("still on the break"),
        "{breaks:.400}"
    );
    let otj = page
        .split("id=\"overview-otj\"")
        .nth(1)
        .expect("the off-the-job figures are shown");
    assert!(otj.contains("Expected by today") && otj.contains("how each figure is worked out"));
    app.finish().await;
}

#[tokio::test]
async fn taking_something_away_is_asked_first_on_a_page_of_its_own() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("northgate").await;
    app.user(&tenant, "admin@n.example", &[Role::Admin]).await;
    let eve = app.user(&tenant, "eve@n.example", &[Role::Learner]).await;
    let token = app.login(&tenant, "admin@n.example").await;
    let http = no_redirects();
    let cookie = format!("folio_session={token}");
    let status = || async {
        sqlx::query_scalar::<_, String>("select status from users where id = $1")
            .bind(eve)
            .fetch_one(&app.database.pool)
            .await
            .unwrap()
    };

    // The people page's Deactivate carries its question, and looks like what it does.
    let people = http
        .get(format!("{}/app/admin/people", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(people.contains("name=\"_confirm\""), "{people}");
    assert!(people.contains("class=\"link danger\""), "{people}");

    // Sent without the confirmation: a page asks, and nothing has changed.
    let form = format!(
        "_api=/api/v1/users/{eve}/deactivate&_back=/app/admin/people&_notice=Account+deactivated.\
         &_confirm=Deactivate+Eve%27s+account%3F&_confirm_button=Deactivate+the+account"
    );
    let post = |body: String| {
        http.post(format!("{}/app/do", app.base))
            .header(COOKIE, &cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("origin", &app.base)
            .body(body)
            .send()
    };
    let asked = post(form.clone()).await.unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    let page = asked.text().await.unwrap();
    assert_eq!(folio_tests::heading(&page), "Are you sure?");
    assert!(page.contains("Deactivate Eve&#x27;s account?"), "{page}");
    assert!(page.contains(">Deactivate the account</button>"), "{page}");
    assert!(
        page.contains("href=\"/app/admin/people\">Cancel</a>"),
        "{page}"
    );
    assert!(
        page.contains(&format!("value=\"/api/v1/users/{eve}/deactivate\"")),
        "{page}"
    );
    assert!(page.contains("name=\"_confirmed\" value=\"yes\""), "{page}");
    assert_eq!(status().await, "active");

    // Confirmed: done, and back to the people page.
    let done = post(format!("{form}&_confirmed=yes")).await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()[LOCATION], "/app/admin/people");
    assert_eq!(status().await, "deactivated");
    app.finish().await;
}

#[tokio::test]
async fn the_portfolio_says_what_needs_doing_and_who_is_around() {
    use crate::evidence::{content, form, upload};
    use folio_tests::scene::NewUnit;
    use reqwest::Method;
    use reqwest::multipart::{Form, Part};
    use serde_json::{Value, json};

    let app = TestApp::spawn().await;
    let s = app
        .scene("north")
        .course(
            NewCourse::new("ST1", "Engineering").component(
                "Knowledge",
                [NewUnit::new("K1", "Safety")
                    .criterion("K1.1", "Explains the hazards")
                    .criterion("K1.2", "Uses the permit to work")],
            ),
        )
        .cast()
        .enrol(NewEnrolment::amelia())
        .build()
        .await;
    let e = s.enrolment("amelia");
    let course = s.course("ST1");
    // K1.2, the second criterion of K1.
    let k1_2 = course.unit("K1").criteria[1];
    let overview = format!("/app/enrolments/{e}");
    let page = |who: &str, path: String| {
        let token = s.token(who).to_owned();
        let app = &app;
        async move {
            let page = app.page(&token, &path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            page.html
        }
    };

    // Who is around her, by name, on every page of her portfolio.
    for path in [overview.clone(), format!("{overview}/evidence")] {
        let html = page("amelia", path).await;
        let people = html.split("id=\"people-around\"").nth(1).unwrap();
        let people = people.split("</p>").next().unwrap();
        assert!(
            people.contains("Assessor: Person tom@n.example")
                && people.contains("IQA: Person iris@n.example")
                && people.contains("Manager: Person manny@n.example"),
            "{people}"
        );
    }

    // A document Amelia and Manny both sign: "for you to sign: 1" for each until they have,
    // then gone for Amelia though Manny has still to sign.
    let r = app
        .authed(Method::POST, "/api/v1/documents", s.token("tom"))
        .multipart(
            Form::new()
                .text("enrolment_ids", e.to_string())
                .text("roles", "learner,employer")
                .text("title", "Apprenticeship agreement")
                .part(
                    "file",
                    Part::bytes(content(2048, 3))
                        .file_name("agreement.pdf")
                        .mime_str("application/pdf")
                        .unwrap(),
                ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let sent: Value = r.json().await.unwrap();
    let document = sent["items"][0]["id"].as_str().unwrap().to_owned();
    for who in ["amelia", "manny"] {
        let html = page(who, overview.clone()).await;
        assert!(html.contains("Documents for you to sign: 1"), "{who}");
    }
    assert!(
        !page("tom", overview.clone())
            .await
            .contains("for you to sign")
    );
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/documents/{document}/signatures"),
            s.token("amelia"),
            Some(json!({ "role": "learner", "typed_name": "Amelia Clarke" })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = page("amelia", overview.clone()).await;
    assert!(
        !html.contains("for you to sign"),
        "signed, so nothing left for her"
    );
    assert!(
        html.contains("waiting for Employer"),
        "the document still says who is left"
    );
    assert!(
        page("manny", overview.clone())
            .await
            .contains("Documents for you to sign: 1")
    );

    // Evidence returned for changes is flagged on the overview, linked to the library,
    // where the row says it needs her changes; the criteria mapped are named.
    let r = upload(
        &app,
        s.token("amelia"),
        e,
        form(course.components[0].id, "a.pdf", content(900, 1)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let evidence: Value = r.json().await.unwrap();
    let evidence = evidence["id"].as_str().unwrap().to_owned();
    let r = app
        .send(
            Method::PUT,
            &format!("/api/v1/evidence/{evidence}/criteria"),
            s.token("tom"),
            Some(json!({ "criterion_ids": [k1_2] })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        !page("amelia", overview.clone())
            .await
            .contains("id=\"returned-evidence\"")
    );
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/evidence/{evidence}/return"),
            s.token("tom"),
            Some(json!({ "points": "Add the permit number." })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = page("amelia", overview.clone()).await;
    assert!(html.contains("Evidence returned for changes: 1"), "{html}");
    let link = href_near(&html, ">Evidence returned for changes");
    assert_eq!(link, format!("{overview}/evidence"));
    let html = page("amelia", link.clone()).await;
    assert!(html.contains("Returned: needs your changes"), "{html}");
    assert!(
        html.contains(">K1.2</abbr>") && !html.contains(">K1.1</abbr>"),
        "{html}"
    );
    assert!(
        page("tom", link)
            .await
            .contains("Returned: waiting for the learner")
    );
    let html = page("amelia", format!("/app/evidence/{evidence}")).await;
    let mapped = html.split("id=\"mapped-to\"").nth(1).unwrap();
    let mapped = mapped.split("</dd>").next().unwrap();
    assert!(
        mapped.contains("<strong>K1.2</strong> Uses the permit to work")
            && !mapped.contains("K1.1"),
        "{mapped}"
    );

    // Audrey the auditor reads the internal comments but is offered no form to add one
    // (the API refuses her); Tom is.
    let html = page("audrey", overview.clone()).await;
    assert!(html.contains("Internal comments") && !html.contains("id=\"add-comment\""));
    assert!(page("tom", overview).await.contains("id=\"add-comment\""));
    app.finish().await;
}

#[tokio::test]
async fn a_form_refused_without_the_script_comes_back_as_typed_with_its_errors() {
    let app = TestApp::spawn().await;
    let s = amelia_on_engineering(&app).await;
    let e = s.enrolment("amelia");
    let http = no_redirects();
    let page = format!("/app/enrolments/{e}/time-log");
    // What the time log's form sends without the script, with "one" typed for the hours
    // and no date.
    let form = format!(
        "_api=/api/v1/enrolments/{e}/time-log&_back={page}&_notice=Time+logged.\
         &entry_date=&activity_type=coaching_mentoring&minutes%3Ahours=one&minutes%3Aaddmin=20\
         &with_assessor%3Abool=false&with_assessor%3Abool=true\
         &reflection=Lifting+plan+%3Cworkshop%3E+with+the+engineer"
    );
    let r = http
        .post(format!("{}/app/do", app.base))
        .header(COOKIE, format!("folio_session={}", s.token("amelia")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("origin", &app.base)
        .body(form)
        .send()
        .await
        .unwrap();
    // The page itself comes back, refused: not a redirect that forgets what was typed.
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert_eq!(
        folio_tests::heading(&html),
        "Person amelia@n.example · Time log"
    );
    let form = html.split("id=\"log-time\"").nth(1).unwrap();
    let form = form.split("</form>").next().unwrap();
    // Every value as typed, and every field at fault marked with its message.
    assert!(
        form.contains("role=\"alert\">Please correct the fields marked below."),
        "{form}"
    );
    assert!(form.contains("name=\"minutes:hours\" inputmode=\"decimal\" size=\"5\" value=\"one\" aria-invalid=\"true\""), "{form}");
    assert!(
        form.contains("value=\"20\" aria-invalid=\"true\""),
        "{form}"
    );
    assert!(
        form.contains("class=\"field-error\" id=\"err-0\">must be a whole number (you gave &quot;one&quot;)</span>"),
        "{form}"
    );
    assert!(
        form.contains("<option value=\"coaching_mentoring\" selected=\"\">"),
        "{form}"
    );
    assert!(form.contains("value=\"true\" checked=\"\""), "{form}");
    assert!(
        form.contains(">Lifting plan &lt;workshop&gt; with the engineer</textarea>"),
        "{form}"
    );
    // Nothing was logged.
    let n: i64 = sqlx::query_scalar("select count(*) from time_log_entries")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    app.finish().await;
}

#[tokio::test]
async fn files_are_uploaded_without_the_script_and_streamed_on_to_the_api() {
    use crate::evidence::{component, content, portfolio};
    use reqwest::multipart::{Form, Part};
    use sha2::{Digest, Sha256};

    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let e = p.enrolment("learner");
    let http = no_redirects();
    let cookie = format!("folio_session={}", p.token("learner"));
    let page = format!("/app/enrolments/{e}/evidence");
    // What the evidence library's upload form sends without the script: the page's own
    // fields first, the file last. Bigger than a plain form may be (2 MiB).
    let file = content(3 * 1024 * 1024 + 17, 5);
    let form = |with_file: bool| {
        let form = Form::new()
            .text("_api", format!("/api/v1/enrolments/{e}/evidence"))
            .text("_back", page.clone())
            .text("_notice", "Your evidence is uploaded.")
            .text("component_id", component(&p).to_string())
            .text("title", "Lifting plan")
            .text("description", "")
            .text("declaration", "true")
            .text("signature_name", "Lena Learner");
        let part = if with_file {
            Part::bytes(file.clone())
                .file_name("lifting plan.pdf")
                .mime_str("application/pdf")
                .unwrap()
        } else {
            // No file chosen: browsers send an empty part with an empty name.
            Part::bytes(Vec::new())
                .file_name("")
                .mime_str("application/octet-stream")
                .unwrap()
        };
        form.part("file", part)
    };
    let send = |form: Form| {
        http.post(format!("{}/app/do", app.base))
            .header(COOKIE, &cookie)
            .header("origin", &app.base)
            .multipart(form)
            .send()
    };

    // A text field bigger than a form with a file takes is refused, not read whole.
    let r = send(
        Form::new()
            .text("_api", format!("/api/v1/enrolments/{e}/evidence"))
            .text("_back", page.clone())
            .text("title", "x".repeat(3 * 1024 * 1024)),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("more text than Folio takes")
    );
    // Only /app/do takes a form over 2 MiB: sign-in does not, multipart or not.
    let r = http
        .post(format!("{}/sign-in", app.base))
        .header("origin", &app.base)
        .multipart(Form::new().part("file", Part::bytes(file.clone()).file_name("a.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // No file: the library again, refused, with what was typed and the file marked.
    let r = send(form(false)).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let upload = html.split("id=\"upload\"").nth(1).unwrap();
    let upload = upload.split("</form>").next().unwrap();
    assert!(upload.contains("value=\"Lifting plan\""), "{upload}");
    assert!(
        upload.contains("name=\"file\" required aria-invalid=\"true\""),
        "{upload}"
    );

    // With it: stored whole, and on to the next page with the notice.
    let r = send(form(true)).await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(r.headers()[LOCATION], page.as_str());
    let (name, size, sha): (String, i64, Vec<u8>) = sqlx::query_as(
        "select v.file_name, v.size_bytes, v.sha256 from evidence_versions v
         join evidence e on e.tenant_id = v.tenant_id and e.id = v.evidence_id
         where e.title = 'Lifting plan'",
    )
    .fetch_one(&app.database.pool)
    .await
    .unwrap();
    assert_eq!(name, "lifting plan.pdf");
    assert_eq!(size, i64::try_from(file.len()).unwrap());
    assert_eq!(sha, Sha256::digest(&file).to_vec());
    app.finish().await;
}

/// The overview draws progress and off-the-job hours over time, each with its table, and
/// the staff home draws the caseload's split by track.
#[tokio::test]
async fn the_overview_and_home_draw_progress_over_time_with_tables() {
    use reqwest::Method;
    use serde_json::json;

    let app = TestApp::spawn().await;
    // From 4 August 2025 (the standard-minimum rule) to 3 August 2026: 364 days, over
    // before today, so the last figures are the whole plan: 300 planned, 280 minimum.
    let s = app
        .scene("north")
        .course(NewCourse::new("ST1", "Engineering").off_the_job_minimum_hours(280))
        .cast()
        .enrol(
            NewEnrolment::amelia()
                .dates(date(2025, 8, 4), date(2026, 8, 3))
                .hours(37.5, 300.0),
        )
        .build()
        .await;
    let e = s.enrolment("amelia");
    for (day, minutes) in [("2025-09-10", 120), ("2025-10-01", 90)] {
        let r = app
            .send(
                Method::POST,
                &format!("/api/v1/enrolments/{e}/time-log"),
                s.token("amelia"),
                Some(
                    json!({ "entry_date": day, "activity_type": "distance_learning",
                             "minutes": minutes, "reflection": "Read about pumps" }),
                ),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    // Three nights as the nightly recalculation records them: two in January 2026 (only
    // the month's last is drawn, being over three months ago) and yesterday.
    let tenant: uuid::Uuid = sqlx::query_scalar("select tenant_id from enrolments where id = $1")
        .bind(e)
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    let yesterday = folio_tests::scene::days_ago(1);
    for (on, signed, mapped, elapsed, status) in [
        (date(2026, 1, 15), 10.0, 20.0, 44.5, "off_track"),
        (date(2026, 1, 31), 12.5, 25.0, 49.2, "off_track"),
        (yesterday, 60.0, 80.0, 100.0, "on_track"),
    ] {
        sqlx::query(
            "insert into enrolment_track_history (tenant_id, enrolment_id, computed_on,
                 criteria, mapped, signed_off, mapped_percent, signed_off_percent,
                 elapsed_percent, past_end, track_status)
             values ($1, $2, $3, 8, 1, 1, $4, $5, $6, $7, $8)",
        )
        .bind(tenant)
        .bind(e)
        .bind(on)
        .bind(mapped)
        .bind(signed)
        .bind(elapsed)
        .bind(elapsed >= 100.0)
        .bind(status)
        .execute(&app.database.pool)
        .await
        .unwrap();
    }

    let page = app
        .page(s.token("amelia"), format!("/app/enrolments/{e}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html;
    let history = html.split("id=\"progress-history\"").nth(1).unwrap();
    let history = history.split("</figure>").next().unwrap();
    assert!(history.contains("<svg class=\"chart\""), "{history}");
    let yesterday_words = yesterday.format("%d/%m/%Y").to_string();
    // The table, newest first: yesterday, then 31 January; 15 January thinned out.
    let rows: Vec<&str> = history.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "{history}");
    assert!(
        rows[0].contains(&format!(
            "<td>{yesterday_words}</td><td>60%</td><td>80%</td><td>100%</td><td>On track</td>"
        )),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains(
            "<td>31/01/2026</td><td>12.5%</td><td>25%</td><td>49.2%</td><td>Off track</td>"
        ),
        "{}",
        rows[1]
    );
    assert!(!history.contains("15/01/2026"));
    // Named at their ends with the latest night's figures, for a reader without colour.
    assert!(history.contains(">Signed off 60%</text>"), "{history}");
    assert!(history.contains(">With evidence 80%</text>"), "{history}");
    assert!(history.contains(">Time 100%</text>"), "{history}");

    let otj = html.split("id=\"overview-otj\"").nth(1).unwrap();
    let otj = otj.split("</figure>").next().unwrap();
    assert!(otj.contains("<svg class=\"chart\""), "{otj}");
    // By 30 September 2025, 57 of 364 days: planned 300 × 57 / 364 = 46.978 → 46.98 h;
    // minimum 280 × 57 / 364 = 43.846 → 43.85 h; actual the 120 minutes of 10 September.
    assert!(
        otj.contains("<td>30/09/2025</td><td>46.98 h</td><td>43.85 h</td><td>2.00 h</td>"),
        "{otj}"
    );
    // By 31 October, 88 days: 300 × 88 / 364 = 72.527 → 72.53 h; 280 × 88 / 364 = 67.692
    // → 67.69 h; 120 + 90 minutes = 3.5 h.
    assert!(
        otj.contains("<td>31/10/2025</td><td>72.53 h</td><td>67.69 h</td><td>3.50 h</td>"),
        "{otj}"
    );
    // Today, past the planned end: the whole plan and minimum.
    assert!(
        otj.contains(&format!(
            "<td>{}</td><td>300.00 h</td><td>280.00 h</td><td>3.50 h</td>",
            folio_tests::scene::today().format("%d/%m/%Y")
        )),
        "{otj}"
    );
    assert!(otj.contains(">Actual 3.5 h</text>"), "{otj}");

    // The API gives the same nights.
    let nights: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/enrolments/{e}/progress/history"),
            s.token("tom"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nights.as_array().map(Vec::len), Some(2), "{nights}");
    assert_eq!(nights[0]["on"], "2026-01-31");
    assert_eq!(nights[0]["track_status"], "off_track");
    assert_eq!(nights[1]["signed_off_percent"], 60.0);

    // Tom's home: his caseload of one, not yet judged (no nightly figures for today).
    let home = app.page(s.token("tom"), "/app/").await;
    let split = home.html.split("id=\"track-split\"").nth(1).unwrap();
    let split = split.split("</figure>").next().unwrap();
    assert!(split.contains(">Off track: 0</text>"), "{split}");
    assert!(split.contains(">Not judged: 1</text>"), "{split}");
    assert!(
        split.contains("<td>Not judged</td><td>1</td><td>100%</td>"),
        "{split}"
    );
    app.finish().await;
}

/// The unread count in the header's bell, none when there is nothing unread.
fn bell_count(html: &str) -> Option<String> {
    let bell = html
        .split("id=\"bell\"")
        .nth(1)
        .expect("the bell in the header");
    let bell = bell.split("</a>").next().unwrap();
    bell.split("class=\"count\">")
        .nth(1)
        .map(|c| c.split('<').next().unwrap().to_owned())
}

/// The notification links on the notifications page, newest first, with what each says.
fn notification_links(html: &str) -> Vec<(String, String, bool)> {
    let list = html.split("class=\"notifications\"").nth(1).unwrap_or("");
    let list = list.split("</ul>").next().unwrap();
    list.split("<li class=\"")
        .skip(1)
        .map(|li| {
            let unread = li.starts_with("unread");
            let link = li.split("href=\"").nth(1).unwrap();
            let href = link.split('"').next().unwrap();
            let text = link.split_once("\">").unwrap().1;
            let text = text.split("</a>").next().unwrap();
            let text = text.replace("<strong class=\"tag unread-tag\">New</strong> ", "");
            (href.to_owned(), text, unread)
        })
        .collect()
}

#[tokio::test]
async fn the_bell_lists_what_the_e_mails_said_and_opening_one_reads_it() {
    use reqwest::Method;
    use serde_json::json;

    let app = TestApp::spawn().await;
    let s = amelia_on_engineering(&app).await;
    let e = s.enrolment("amelia");
    let home = app.page(s.token("amelia"), "/app/profile").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(bell_count(&home.html), None, "nothing unread yet");
    let empty = app.page(s.token("amelia"), "/app/notifications").await;
    assert!(empty.html.contains("Nothing yet."), "{}", empty.html);

    // Tom writes to Amelia twice: two e-mails, so two notifications.
    let mut threads = Vec::new();
    for subject in ["Your review on Friday", "Lifting plan <draft>"] {
        let sent = app
            .ok(
                Method::POST,
                "/api/v1/messages",
                s.token("tom"),
                Some(json!({
                    "enrolment_id": e, "to": "learner", "subject": subject,
                    "body": "Please bring your log book."
                })),
            )
            .await;
        threads.push(sent["thread_id"].as_str().unwrap().to_owned());
    }
    let home = app.page(s.token("amelia"), "/app/profile").await;
    assert_eq!(bell_count(&home.html).as_deref(), Some("2"));
    let list = app.page(s.token("amelia"), "/app/notifications").await;
    assert_eq!(list.status, StatusCode::OK);
    let links = notification_links(&list.html);
    // Newest first, in the words of the e-mail's subject (escaped as any text).
    assert_eq!(
        links
            .iter()
            .map(|(_, text, unread)| (text.as_str(), *unread))
            .collect::<Vec<_>>(),
        vec![
            (
                "New message from Person tom@n.example: Lifting plan &lt;draft&gt;",
                true
            ),
            (
                "New message from Person tom@n.example: Your review on Friday",
                true
            ),
        ]
    );
    assert!(list.html.contains("Mark all as read"));

    // Tom cannot open Amelia's notification, and trying does not read it.
    let (newest, _, _) = &links[0];
    assert_eq!(
        app.page(s.token("tom"), newest).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bell_count(&app.page(s.token("amelia"), "/app/profile").await.html).as_deref(),
        Some("2")
    );
    // Amelia opens the newest as she would: it takes her to the conversation, which opens.
    let opened = app.page(s.token("amelia"), newest).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    let to = opened.location.unwrap();
    assert_eq!(to, format!("/app/messages/{}", threads[1]));
    let thread = app.page(s.token("amelia"), &to).await;
    assert_eq!(thread.status, StatusCode::OK);
    assert!(thread.html.contains("Lifting plan &lt;draft&gt;"));
    // Read now: one left unread.
    assert_eq!(
        bell_count(&app.page(s.token("amelia"), "/app/profile").await.html).as_deref(),
        Some("1")
    );
    let links = notification_links(&app.page(s.token("amelia"), "/app/notifications").await.html);
    assert_eq!(
        links
            .iter()
            .map(|(_, _, unread)| *unread)
            .collect::<Vec<_>>(),
        vec![false, true]
    );
    // Tom's own bell is his: nothing.
    assert_eq!(
        bell_count(&app.page(s.token("tom"), "/app/").await.html),
        None
    );
    // She opens the other conversation from her Messages page, not the bell: its
    // notification is read too, and the page she lands on already counts nothing.
    let other = app
        .page(s.token("amelia"), format!("/app/messages/{}", threads[0]))
        .await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(bell_count(&other.html), None);
    let links = notification_links(&app.page(s.token("amelia"), "/app/notifications").await.html);
    assert!(links.iter().all(|(_, _, unread)| !unread));
    // A third message, left unread, for "Mark all as read".
    app.ok(
        Method::POST,
        "/api/v1/messages",
        s.token("tom"),
        Some(json!({
            "enrolment_id": e, "to": "learner", "subject": "Timesheet",
            "body": "Please send it."
        })),
    )
    .await;
    assert_eq!(
        bell_count(&app.page(s.token("amelia"), "/app/profile").await.html).as_deref(),
        Some("1")
    );

    // "Mark all as read", the page's form as the browser sends it without the script.
    let r = no_redirects()
        .post(format!("{}/app/do", app.base))
        .header(COOKIE, format!("folio_session={}", s.token("amelia")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("origin", &app.base)
        .body(
            "_api=/api/v1/me/notifications/read&_back=/app/notifications\
             &_notice=All+notifications+are+marked+read.",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(back.starts_with("/app/notifications"), "{back}");
    // The next page says it was done (the flash cookie the form's answer set).
    let flash = r.headers()[SET_COOKIE].to_str().unwrap();
    let flash = flash.split(';').next().unwrap();
    let html = no_redirects()
        .get(format!("{}{back}", app.base))
        .header(
            COOKIE,
            format!("folio_session={}; {flash}", s.token("amelia")),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("All notifications are marked read."),
        "{html}"
    );
    let list = app.page(s.token("amelia"), &back).await;
    assert_eq!(bell_count(&list.html), None);
    assert!(
        notification_links(&list.html)
            .iter()
            .all(|(_, _, unread)| !unread)
    );
    // The API says the same: nothing was left to mark.
    let marked = app
        .ok(
            Method::POST,
            "/api/v1/me/notifications/read",
            s.token("amelia"),
            None,
        )
        .await;
    assert_eq!(marked["marked"], 0);

    // An id that is no notification, or not an id, is a "Not found" page.
    for path in [
        format!("/app/notifications/{}", uuid::Uuid::now_v7()),
        "/app/notifications/nope".to_owned(),
    ] {
        assert_eq!(
            app.page(s.token("amelia"), &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn files_from_course_are_added_on_the_course_page_and_read_from_the_portfolio() {
    use reqwest::multipart::{Form, Part};

    let app = TestApp::spawn().await;
    let s = app
        .scene("north")
        .course(NewCourse::new("ST1", "Engineering"))
        .course(NewCourse::new("ST2", "Business"))
        .cast()
        .enrol(NewEnrolment::amelia())
        .enrol(NewEnrolment::olly().course("ST2"))
        .build()
        .await;
    let course = s.course("ST1").id;
    let amelia = s.enrolment("amelia");
    let olly = s.enrolment("olly");
    let http = no_redirects();
    let course_page = format!("/app/admin/courses/{course}");
    let tab = format!("/app/enrolments/{amelia}/resources");

    // Nothing yet, said in words, on the portfolio's tab (linked from its navigation).
    let overview = app
        .page(s.token("amelia"), format!("/app/enrolments/{amelia}"))
        .await;
    assert!(overview.html.contains(&format!("href=\"{tab}\"")));
    let empty = app.page(s.token("amelia"), &tab).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(
        empty
            .html
            .contains("No files have been added to this course yet.")
    );

    // The admin adds a handbook from the course's page, as the form sends it without the
    // script (fields first, the file last).
    let page = app.page(s.token("admin"), &course_page).await;
    assert!(page.html.contains("id=\"add-resource\""));
    let handbook = b"%PDF-1.4 the learner handbook".repeat(100);
    let r = http
        .post(format!("{}/app/do", app.base))
        .header(COOKIE, format!("folio_session={}", s.token("admin")))
        .header("origin", &app.base)
        .multipart(
            Form::new()
                .text("_api", format!("/api/v1/courses/{course}/resources"))
                .text("_back", course_page.clone())
                .text("_notice", "File added to the course.")
                .text("title", "Learner handbook")
                .text("description", "Read before your induction.")
                .part(
                    "file",
                    Part::bytes(handbook.clone())
                        .file_name("handbook.pdf")
                        .mime_str("application/pdf")
                        .unwrap(),
                ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert_eq!(r.headers()[LOCATION], course_page.as_str());

    // Amelia sees it on her tab, with its size in words (29 bytes x 100 = 2900 bytes,
    // 2900 / 1024 = 2.83 KB, rounded to 3 KB), and its link downloads what was added.
    let listed = app.page(s.token("amelia"), &tab).await;
    assert!(listed.html.contains("Learner handbook"), "{}", listed.html);
    assert!(
        listed.html.contains("handbook.pdf, 3 KB"),
        "{}",
        listed.html
    );
    assert!(listed.html.contains("Read before your induction."));
    assert!(
        !listed.html.contains("Remove"),
        "a learner cannot remove it"
    );
    let download = listed
        .html
        .split("data-resource=")
        .nth(1)
        .unwrap()
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let file = http
        .get(format!("{}{download}", app.base))
        .header(COOKIE, format!("folio_session={}", s.token("amelia")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.unwrap().as_ref(), handbook.as_slice());
    // Her assessor sees the same tab; Olly, on another course, does not see hers, and his
    // own course has nothing.
    let assessor = app.page(s.token("tom"), &tab).await;
    assert!(assessor.html.contains("Learner handbook"));
    assert_eq!(
        app.page(s.token("olly"), &tab).await.status,
        StatusCode::NOT_FOUND
    );
    let his = app
        .page(s.token("olly"), format!("/app/enrolments/{olly}/resources"))
        .await;
    assert!(
        his.html
            .contains("No files have been added to this course yet.")
    );

    // The admin removes it from the course page: asked first, then gone from the tab.
    let page = app.page(s.token("admin"), &course_page).await;
    assert!(page.html.contains("Learner handbook"));
    let api = page
        .html
        .split("data-resource=")
        .nth(1)
        .unwrap()
        .split("name=\"_api\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let remove = |confirmed: bool| {
        let mut form = vec![
            ("_api", api.clone()),
            ("_method", "DELETE".to_owned()),
            ("_back", course_page.clone()),
            ("_notice", "File removed from the course.".to_owned()),
            ("_confirm", "Remove it?".to_owned()),
        ];
        if confirmed {
            form.push(("_confirmed", "yes".to_owned()));
        }
        http.post(format!("{}/app/do", app.base))
            .header(COOKIE, format!("folio_session={}", s.token("admin")))
            .header("origin", &app.base)
            .form(&form)
            .send()
    };
    let asked = remove(false).await.unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(asked.text().await.unwrap().contains("Are you sure?"));
    assert!(
        app.page(s.token("amelia"), &tab)
            .await
            .html
            .contains("Learner handbook"),
        "asking removed nothing"
    );
    let done = remove(true).await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(
        app.page(s.token("amelia"), &tab)
            .await
            .html
            .contains("No files have been added to this course yet.")
    );
    app.finish().await;
}

#[tokio::test]
async fn a_picture_of_evidence_is_shown_in_its_page_and_other_files_are_not() {
    use crate::evidence::{component, portfolio, upload};
    use reqwest::multipart::{Form, Part};
    use serde_json::Value;

    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let e = p.enrolment("learner");
    let send = |file_name: &'static str, mime: &'static str, bytes: Vec<u8>| {
        let form = Form::new()
            .text("component_id", component(&p).to_string())
            .text("title", "Finished panel")
            .text("declaration", "true")
            .text("signature_name", "Lena Learner")
            .part(
                "file",
                Part::bytes(bytes)
                    .file_name(file_name)
                    .mime_str(mime)
                    .unwrap(),
            );
        let app = &app;
        let token = p.token("learner").to_owned();
        async move {
            let r = upload(app, &token, e, form).await;
            assert_eq!(r.status(), StatusCode::CREATED);
            let body: Value = r.json().await.unwrap();
            body["id"].as_str().unwrap().to_owned()
        }
    };
    // A PNG: its page draws it, the picture's address is the version's file, and that
    // answers the very bytes for the learner and her assessor.
    let png = b"\x89PNG\r\n\x1a\n not really drawn here".to_vec();
    let picture = send("panel.png", "image/png", png.clone()).await;
    for who in ["learner", "assessor"] {
        let page = app
            .page(p.token(who), format!("/app/evidence/{picture}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let figure = page
            .html
            .split("id=\"preview\"")
            .nth(1)
            .expect("the picture is shown")
            .split("</figure>")
            .next()
            .unwrap();
        let src = format!("/api/v1/evidence/{picture}/versions/1/file");
        assert!(figure.contains(&format!("<img src=\"{src}\"")), "{figure}");
        assert!(
            figure.contains("alt=\"Version 1 of “Finished panel”: panel.png\""),
            "{figure}"
        );
        let file = no_redirects()
            .get(format!("{}{src}", app.base))
            .header(COOKIE, format!("folio_session={}", p.token(who)))
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), StatusCode::OK);
        // Opened on its own it is only downloaded, never read as a page.
        assert_eq!(file.headers()["x-content-type-options"], "nosniff");
        assert!(
            file.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(file.bytes().await.unwrap().as_ref(), png.as_slice());
    }
    // An SVG (a document that can hold script) and a PDF are listed to download only.
    for (name, mime) in [
        ("panel.svg", "image/svg+xml"),
        ("panel.pdf", "application/pdf"),
    ] {
        let id = send(
            name,
            mime,
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
        )
        .await;
        let page = app
            .page(p.token("learner"), format!("/app/evidence/{id}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.html.contains("id=\"preview\""), "{name}");
        assert!(page.html.contains(name), "{name}");
    }
    app.finish().await;
}

/// The conversations listed on a messages page: (link, subject, unread badge).
fn conversation_rows(html: &str) -> Vec<(String, String, Option<String>)> {
    let Some(list) = html.split("id=\"conversations\"").nth(1) else {
        return Vec::new();
    };
    let list = list.split("</ul>").next().unwrap();
    list.split("<li class=\"card")
        .skip(1)
        .map(|li| {
            let href = li
                .split("href=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let subject = li
                .split("<strong>")
                .nth(1)
                .unwrap()
                .split("</strong>")
                .next()
                .unwrap();
            let badge = li
                .split("class=\"badge amber\">")
                .nth(1)
                .map(|b| b.split('<').next().unwrap().to_owned());
            (href.to_owned(), subject.to_owned(), badge)
        })
        .collect()
}

#[tokio::test]
async fn every_conversation_is_reached_page_by_page_newest_first() {
    use reqwest::Method;
    use serde_json::json;

    let app = TestApp::spawn().await;
    let s = amelia_on_engineering(&app).await;
    let e = s.enrolment("amelia");
    // 55 conversations Tom starts with Amelia: more than a page of 50.
    let mut threads = Vec::new();
    for n in 1..=55 {
        let sent = app
            .ok(
                Method::POST,
                "/api/v1/messages",
                s.token("tom"),
                Some(json!({
                    "enrolment_id": e, "to": "learner", "subject": format!("Topic {n}"),
                    "body": "Please reply."
                })),
            )
            .await;
        threads.push(sent["id"].as_str().unwrap().to_owned());
    }
    // She answers the last five 40 times each: 200 messages newer than the other 50
    // conversations (the page once read only the latest 200 messages, and lost those).
    for thread in &threads[50..] {
        for _ in 0..40 {
            let r = app
                .send(
                    Method::POST,
                    &format!("/api/v1/messages/{thread}/replies"),
                    s.token("amelia"),
                    Some(json!({ "body": "Noted." })),
                )
                .await;
            assert!(r.status().is_success(), "{:?}", r.text().await);
        }
    }
    // Then she answers the first conversation: it is now the newest.
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/messages/{}/replies", threads[0]),
            s.token("amelia"),
            Some(json!({ "body": "Thank you." })),
        )
        .await;
    assert!(r.status().is_success(), "{:?}", r.text().await);

    let first = app.page(s.token("amelia"), "/app/messages").await;
    assert_eq!(first.status, StatusCode::OK);
    let page1 = conversation_rows(&first.html);
    assert_eq!(page1.len(), 50);
    // Newest first by latest message: Topic 1 (answered last), then 55, 54... 7.
    assert_eq!(page1[0].1, "Topic 1");
    assert_eq!(page1[1].1, "Topic 55");
    assert_eq!(page1[49].1, "Topic 7");
    // Tom's message in each is unread by her (answering does not open it); her own 40
    // answers are not "new" to her.
    assert_eq!(page1[1].2.as_deref(), Some("1 new"));
    assert_eq!(page1[10].2.as_deref(), Some("1 new"));
    let older = first
        .html
        .split("id=\"older-conversations\"")
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let second = app.page(s.token("amelia"), &older).await;
    assert_eq!(second.status, StatusCode::OK);
    let page2 = conversation_rows(&second.html);
    assert_eq!(
        page2.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
        vec!["Topic 6", "Topic 5", "Topic 4", "Topic 3", "Topic 2"]
    );
    assert!(!second.html.contains("id=\"older-conversations\""));
    assert!(second.html.contains("← Newest conversations"));
    // Every conversation once, each link opening it.
    let mut links: Vec<_> = page1.iter().chain(&page2).map(|r| r.0.clone()).collect();
    links.sort();
    links.dedup();
    assert_eq!(links.len(), 55);
    assert_eq!(
        app.page(s.token("amelia"), &page2[4].0).await.status,
        StatusCode::OK
    );
    // Tom sees the same 55 from his side; a cursor that is not one is a page naming it.
    assert_eq!(
        conversation_rows(&app.page(s.token("tom"), "/app/messages").await.html).len(),
        50
    );
    assert_eq!(
        app.page(s.token("amelia"), "/app/messages?cursor=nope")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.finish().await;
}

#[tokio::test]
async fn a_deleted_entry_offers_undo_on_the_next_page_and_undo_brings_it_back() {
    let app = TestApp::spawn().await;
    let s = amelia_on_engineering(&app).await;
    let (token, enrolment) = (s.token("amelia"), s.enrolment("amelia"));
    let logged: serde_json::Value = app
        .authed(
            reqwest::Method::POST,
            &format!("/api/v1/enrolments/{enrolment}/time-log"),
            token,
        )
        .json(&serde_json::json!({
            "entry_date": folio_tests::scene::days_ago(1),
            "activity_type": "distance_learning", "minutes": 30
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = logged["id"].as_str().unwrap().to_owned();
    let entries = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from time_log_entries")
            .fetch_one(&app.database.pool)
            .await
            .unwrap()
    };
    let http = no_redirects();
    let cookie = format!("folio_session={token}");
    let back = format!("/app/enrolments/{enrolment}/time-log");
    let post = |form: String| {
        let (http, cookie, base) = (&http, &cookie, &app.base);
        let url = format!("{base}/app/do");
        async move {
            http.post(url)
                .header(COOKIE, cookie)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("origin", base)
                .body(form)
                .send()
                .await
                .unwrap()
        }
    };
    let encoded = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();

    // Deleted, confirmed, as the page's form sends it without the script.
    let deleted = post(format!(
        "_api=/api/v1/time-log/{id}&_method=DELETE&_back={}&_notice=Entry+deleted.\
         &_undo=/api/v1/time-log/{id}/restore&_confirm=Sure%3F&_confirmed=yes",
        encoded(&back)
    ))
    .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(deleted.headers()[LOCATION], back.as_str());
    let flash = deleted.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(flash.starts_with("folio_flash=u:"), "{flash}");
    assert_eq!(entries().await, 0);

    // The page it lands on says so and offers Undo: a form to /app/do naming the restore.
    let flash = flash.split(';').next().unwrap().to_owned();
    let page = http
        .get(format!("{}{back}", app.base))
        .header(COOKIE, format!("{cookie}; {flash}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Entry deleted."), "{html}");
    let form = html
        .split("id=\"undo\"")
        .nth(1)
        .and_then(|f| f.split("</form>").next())
        .expect("an Undo form in the notice");
    let value = |name: &str| {
        form.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|v| v.split('"').next())
            .unwrap_or_else(|| panic!("{name} in {form}"))
            .replace("&#x2F;", "/")
            .replace("&#x3D;", "=")
    };
    assert_eq!(value("_api"), format!("/api/v1/time-log/{id}/restore"));
    assert_eq!(value("_back"), back);

    // Pressed: the entry is back, and the page says so.
    let undone = post(format!(
        "_api={}&_back={}&_notice={}",
        encoded(&value("_api")),
        encoded(&value("_back")),
        encoded(&value("_notice"))
    ))
    .await;
    assert_eq!(undone.status(), StatusCode::SEE_OTHER);
    let flash = undone.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(flash.starts_with("folio_flash=n:Brought+back."), "{flash}");
    assert_eq!(entries().await, 1);

    // A flash cookie cannot make the page offer to post anywhere but Folio's API.
    let page = http
        .get(format!("{}{back}", app.base))
        .header(
            COOKIE,
            format!("{cookie}; folio_flash=u:Hi|https%3A%2F%2Fevil.example%2F|%2Fapp"),
        )
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Hi") && !html.contains("id=\"undo\""),
        "{html}"
    );
    app.finish().await;
}

/// A file over the organisation's limit sent without the script: the form comes back
/// filled in as it was, saying in words how large a file may be, and nothing is stored.
#[tokio::test]
async fn a_file_over_the_limit_comes_back_in_the_form_in_words() {
    use crate::evidence::{component, content, portfolio};
    use reqwest::multipart::{Form, Part};

    let app = TestApp::spawn().await;
    let p = portfolio(&app, "northgate").await;
    let e = p.enrolment("learner");
    let r = app
        .change_settings(&p.admin, |settings| {
            settings["evidence_max_bytes"] = serde_json::json!(1024 * 1024);
        })
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let http = no_redirects();
    let cookie = format!("folio_session={}", p.token("learner"));
    let page = format!("/app/enrolments/{e}/evidence");
    // 3 MiB against a 1 MiB limit.
    let form = Form::new()
        .text("_api", format!("/api/v1/enrolments/{e}/evidence"))
        .text("_back", page.clone())
        .text("component_id", component(&p).to_string())
        .text("title", "Site survey")
        .text("declaration", "true")
        .text("signature_name", "Lena Learner")
        .part(
            "file",
            Part::bytes(content(3 * 1024 * 1024, 5))
                .file_name("survey.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = http
        .post(format!("{}/app/do", app.base))
        .header(COOKIE, &cookie)
        .header("origin", &app.base)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let upload = html.split("id=\"upload\"").nth(1).unwrap();
    let upload = upload.split("</form>").next().unwrap();
    assert!(
        upload.contains("That is too large: the most Folio takes here is 1 MiB."),
        "{upload}"
    );
    assert!(upload.contains("value=\"Site survey\""), "{upload}");
    assert!(upload.contains("choose it again"), "{upload}");
    let stored: i64 = sqlx::query_scalar("select count(*) from evidence")
        .fetch_one(&app.database.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // The API says the same in its problem.
    let r = crate::evidence::upload(
        &app,
        p.token("learner"),
        e,
        crate::evidence::form(component(&p), "survey.pdf", content(3 * 1024 * 1024, 6)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        problem["detail"],
        "That is too large: the most Folio takes here is 1 MiB."
    );
    app.finish().await;
}
