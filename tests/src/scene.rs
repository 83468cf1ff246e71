//! Scenes: the organisation a test starts from — its admin, courses, people, employers and
//! enrolments — declared in one place and made as an organisation would make them.
//!
//! The tenant and its people's accounts are made by the operator (as [`TestApp::tenant`]
//! and [`TestApp::user`] make them: every account has [`crate::PASSWORD`]); everything
//! else goes through the public API as the tenant's admin: courses are built item by item
//! (course, components, units, criteria), employers created and their contacts linked
//! (`PATCH /api/v1/users/{id}`), learners enrolled, optional units chosen and statuses
//! changed. Then everyone signs in.
//!
//! ```ignore
//! let s = TestApp::spawn().await.into_scene("northgate")
//!     .course(NewCourse::new("ST0457", "Engineering"))
//!     .people(&[("amelia@n.example", Role::Learner), ("tom@n.example", Role::Assessor)])
//!     .enrol(NewEnrolment::new("amelia").assessor("tom"))
//!     .build()
//!     .await;
//! s.token("amelia"); s.id("tom"); s.enrolment("amelia");
//! ```
//!
//! People are named by their address or by its part before the `@`.

use std::borrow::Borrow;

use chrono::{Days, NaiveDate, Utc};
use folio_db::platform::Tenant;
use folio_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{TestApp, id as id_of};

/// Today (UTC).
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `n` days before today.
pub fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).unwrap()
}

/// `n` days after today.
pub fn days_ahead(n: u64) -> NaiveDate {
    today().checked_add_days(Days::new(n)).unwrap()
}

/// A date that exists.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A course to build: its code and title, then its components in order.
#[derive(Debug, Clone)]
pub struct NewCourse {
    code: String,
    title: String,
    off_the_job_minimum_hours: Option<i64>,
    components: Vec<(String, Vec<NewUnit>)>,
}

impl NewCourse {
    /// A course without components.
    pub fn new(code: &str, title: &str) -> Self {
        Self {
            code: code.into(),
            title: title.into(),
            off_the_job_minimum_hours: None,
            components: Vec::new(),
        }
    }

    /// The off-the-job hours the course requires.
    pub fn off_the_job_minimum_hours(mut self, hours: i64) -> Self {
        self.off_the_job_minimum_hours = Some(hours);
        self
    }

    /// Adds a component (after those already added) with these units.
    pub fn component(mut self, title: &str, units: impl IntoIterator<Item = NewUnit>) -> Self {
        self.components
            .push((title.into(), units.into_iter().collect()));
        self
    }
}

/// A unit of a [`NewCourse`]: mandatory unless said otherwise, with its criteria in order.
#[derive(Debug, Clone)]
pub struct NewUnit {
    code: String,
    title: String,
    optional: bool,
    optional_group: Option<String>,
    criteria: Vec<(String, String)>,
}

impl NewUnit {
    /// A mandatory unit without criteria.
    pub fn new(code: &str, title: &str) -> Self {
        Self {
            code: code.into(),
            title: title.into(),
            optional: false,
            optional_group: None,
            criteria: Vec::new(),
        }
    }

    /// Chosen per learner.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Optional, chosen from `group`.
    pub fn group(mut self, group: &str) -> Self {
        self.optional = true;
        self.optional_group = Some(group.into());
        self
    }

    /// Adds a criterion.
    pub fn criterion(mut self, code: &str, text: &str) -> Self {
        self.criteria.push((code.into(), text.into()));
        self
    }

    /// Adds `count` criteria coded `{unit}.1`, `{unit}.2`, … with this text.
    pub fn criteria(mut self, count: usize, text: &str) -> Self {
        for n in 1..=count {
            let code = format!("{}.{n}", self.code);
            self.criteria.push((code, text.into()));
        }
        self
    }
}

/// A built course, with the ids of everything in it.
#[derive(Debug, Clone)]
pub struct Course {
    /// Id.
    pub id: Uuid,
    /// Code.
    pub code: String,
    /// Components, in order.
    pub components: Vec<Component>,
}

/// A component of a [`Course`].
#[derive(Debug, Clone)]
pub struct Component {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Units, in order.
    pub units: Vec<Unit>,
}

/// A unit of a [`Component`].
#[derive(Debug, Clone)]
pub struct Unit {
    /// Id.
    pub id: Uuid,
    /// Code.
    pub code: String,
    /// Its criteria's ids, in order.
    pub criteria: Vec<Uuid>,
}

impl Course {
    /// The component titled `title`.
    pub fn component(&self, title: &str) -> &Component {
        self.components
            .iter()
            .find(|c| c.title == title)
            .unwrap_or_else(|| panic!("course {} has no component {title}", self.code))
    }

    /// The unit coded `code` (the first, in whichever component).
    pub fn unit(&self, code: &str) -> &Unit {
        self.components
            .iter()
            .flat_map(|c| &c.units)
            .find(|u| u.code == code)
            .unwrap_or_else(|| panic!("course {} has no unit {code}", self.code))
    }
}

/// Someone in the scene.
#[derive(Debug, Clone)]
pub struct Person {
    /// Their user id.
    pub id: Uuid,
    /// Their address.
    pub email: String,
    /// Their session token, once signed in.
    pub token: Option<String>,
}

/// An enrolment to make. By default: on the scene's first course, started 30 days ago and
/// planned to end in 335 days, 37.5 contracted hours a week, 300 planned off-the-job hours,
/// no one but the learner named.
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    learner: String,
    course: Option<String>,
    assessor: Option<String>,
    iqa: Option<String>,
    employer: Option<String>,
    manager: Option<String>,
    start: NaiveDate,
    planned_end: NaiveDate,
    contracted_hours: f64,
    planned_otj_hours: f64,
    optional_units: Vec<String>,
    statuses: Vec<(String, NaiveDate, Option<String>)>,
}

impl NewEnrolment {
    /// An enrolment of `learner` (an address, or its part before the `@`).
    pub fn new(learner: &str) -> Self {
        Self {
            learner: learner.into(),
            course: None,
            assessor: None,
            iqa: None,
            employer: None,
            manager: None,
            start: days_ago(30),
            planned_end: days_ahead(335),
            contracted_hours: 37.5,
            planned_otj_hours: 300.0,
            optional_units: Vec::new(),
            statuses: Vec::new(),
        }
    }

    /// Amelia's, in the [`SceneBuilder::cast`]: assessor Tom, IQA Iris, at Acme Engineering
    /// with Manny as her manager.
    pub fn amelia() -> Self {
        Self::new("amelia")
            .assessor("tom")
            .iqa("iris")
            .employer("Acme Engineering")
            .manager("manny")
    }

    /// Olly's, in the [`SceneBuilder::cast`]: assessor Tom, no one else.
    pub fn olly() -> Self {
        Self::new("olly").assessor("tom")
    }

    /// On the course coded `code`.
    pub fn course(mut self, code: &str) -> Self {
        self.course = Some(code.into());
        self
    }

    /// With this assessor.
    pub fn assessor(mut self, who: &str) -> Self {
        self.assessor = Some(who.into());
        self
    }

    /// With this IQA.
    pub fn iqa(mut self, who: &str) -> Self {
        self.iqa = Some(who.into());
        self
    }

    /// At the employer named `name` (one of the scene's).
    pub fn employer(mut self, name: &str) -> Self {
        self.employer = Some(name.into());
        self
    }

    /// With this manager (a contact of the employer).
    pub fn manager(mut self, who: &str) -> Self {
        self.manager = Some(who.into());
        self
    }

    /// Starting on `start`, planned to end on `planned_end`.
    pub fn dates(mut self, start: NaiveDate, planned_end: NaiveDate) -> Self {
        self.start = start;
        self.planned_end = planned_end;
        self
    }

    /// Contracted hours a week and planned off-the-job hours.
    pub fn hours(mut self, contracted: f64, planned_otj: f64) -> Self {
        self.contracted_hours = contracted;
        self.planned_otj_hours = planned_otj;
        self
    }

    /// Then chooses these optional units (by code), as the admin.
    pub fn optional_units(mut self, codes: &[&str]) -> Self {
        self.optional_units = codes.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Then changes its status to `status` on `on`, as the admin (after any earlier ones).
    pub fn status(mut self, status: &str, on: NaiveDate) -> Self {
        self.statuses.push((status.into(), on, None));
        self
    }

    /// As [`NewEnrolment::status`], giving a reason.
    pub fn status_because(mut self, status: &str, on: NaiveDate, reason: &str) -> Self {
        self.statuses.push((status.into(), on, Some(reason.into())));
        self
    }
}

/// A made enrolment.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Id.
    pub id: Uuid,
    /// The learner's user id.
    pub learner: Uuid,
    /// The course's id.
    pub course: Uuid,
}

/// What a scene will hold; [`SceneBuilder::build`] makes it.
pub struct SceneBuilder<A> {
    app: A,
    slug: String,
    courses: Vec<NewCourse>,
    people: Vec<(String, Role)>,
    employers: Vec<(String, Vec<String>)>,
    enrolments: Vec<NewEnrolment>,
    sign_in: bool,
}

impl TestApp {
    /// A scene in a new tenant `slug` of this app (its admin is `admin@{slug}.example`).
    pub fn scene(&self, slug: &str) -> SceneBuilder<&Self> {
        SceneBuilder::new(self, slug)
    }

    /// As [`TestApp::scene`], the scene owning the app (`scene.app`).
    pub fn into_scene(self, slug: &str) -> SceneBuilder<Self> {
        SceneBuilder::new(self, slug)
    }
}

impl<A: Borrow<TestApp>> SceneBuilder<A> {
    fn new(app: A, slug: &str) -> Self {
        Self {
            app,
            slug: slug.into(),
            courses: Vec::new(),
            people: Vec::new(),
            employers: Vec::new(),
            enrolments: Vec::new(),
            sign_in: true,
        }
    }

    /// Builds this course.
    pub fn course(mut self, course: NewCourse) -> Self {
        self.courses.push(course);
        self
    }

    /// Adds a person with one role, named `Person {email}`.
    pub fn person(mut self, email: &str, role: Role) -> Self {
        self.people.push((email.into(), role));
        self
    }

    /// Adds people, each with one role, in this order.
    pub fn people(mut self, people: &[(&str, Role)]) -> Self {
        for (email, role) in people {
            self.people.push(((*email).into(), *role));
        }
        self
    }

    /// The usual cast, at `n.example`: learners Amelia and Olly, assessor Tom, IQA Iris,
    /// Manny (the contact of employer "Acme Engineering") and auditor Audrey. Nobody is
    /// enrolled: see [`NewEnrolment::amelia`] and [`NewEnrolment::olly`].
    pub fn cast(self) -> Self {
        self.people(&[
            ("amelia@n.example", Role::Learner),
            ("olly@n.example", Role::Learner),
            ("tom@n.example", Role::Assessor),
            ("iris@n.example", Role::Iqa),
            ("manny@n.example", Role::Employer),
            ("audrey@n.example", Role::Auditor),
        ])
        .employer("Acme Engineering", &["manny"])
    }

    /// Creates an employer organisation, its `contacts` (people of the scene) linked to it.
    pub fn employer(mut self, name: &str, contacts: &[&str]) -> Self {
        self.employers.push((
            name.into(),
            contacts.iter().map(|c| (*c).to_owned()).collect(),
        ));
        self
    }

    /// Enrols a learner (after the courses, people and employers are made).
    pub fn enrol(mut self, enrolment: NewEnrolment) -> Self {
        self.enrolments.push(enrolment);
        self
    }

    /// Nobody but the admin signs in (tokens can be had later with [`Scene::sign_in`]).
    pub fn signed_out(mut self) -> Self {
        self.sign_in = false;
        self
    }

    /// Makes the tenant, then the courses, people, employers and enrolments in the order
    /// given, then signs everyone in.
    pub async fn build(self) -> Scene<A> {
        let (tenant, admin_id, admin) = self.app.borrow().tenant_with_admin(&self.slug).await;
        let mut scene = Scene {
            app: self.app,
            people: vec![Person {
                id: admin_id,
                email: format!("admin@{}.example", self.slug),
                token: Some(admin.clone()),
            }],
            tenant,
            admin,
            admin_id,
            courses: Vec::new(),
            employers: Vec::new(),
            enrolments: Vec::new(),
        };
        for course in &self.courses {
            scene.add_course(course).await;
        }
        for (email, role) in &self.people {
            scene.add_person(email, *role).await;
        }
        for (name, contacts) in &self.employers {
            let contacts: Vec<&str> = contacts.iter().map(String::as_str).collect();
            scene.add_employer(name, &contacts).await;
        }
        for enrolment in self.enrolments {
            scene.enrol(enrolment).await;
        }
        if self.sign_in {
            for (email, _) in &self.people {
                scene.sign_in(email).await;
            }
        }
        scene
    }
}

/// An organisation set up for a test: its tenant and admin, and whatever the builder made.
pub struct Scene<A = TestApp> {
    /// The app (owned, or borrowed for a second organisation in one test).
    pub app: A,
    /// The tenant.
    pub tenant: Tenant,
    /// The admin's session token.
    pub admin: String,
    /// The admin's user id.
    pub admin_id: Uuid,
    /// The courses built, in order.
    pub courses: Vec<Course>,
    /// Everyone, the admin first.
    pub people: Vec<Person>,
    /// Employer organisations: (name, id).
    pub employers: Vec<(String, Uuid)>,
    /// The enrolments, in order.
    pub enrolments: Vec<Enrolment>,
}

/// Sends `body` and returns the JSON answer, which must be 201 for a POST that creates
/// and 200 otherwise (a status change is a POST that creates nothing).
async fn call(app: &TestApp, method: Method, path: &str, token: &str, body: &Value) -> Value {
    let expected = if method == Method::POST && !path.ends_with("/status") {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let response = app
        .authed(method.clone(), path, token)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(status, expected, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

impl<A> Scene<A> {
    /// The person at `who`: their address, or its part before the `@`.
    pub fn person(&self, who: &str) -> &Person {
        self.people
            .iter()
            .find(|p| p.email == who)
            .or_else(|| {
                self.people
                    .iter()
                    .find(|p| p.email.split('@').next() == Some(who))
            })
            .unwrap_or_else(|| panic!("nobody called {who} in the scene"))
    }

    /// Their user id.
    pub fn id(&self, who: &str) -> Uuid {
        self.person(who).id
    }

    /// Their session token.
    pub fn token(&self, who: &str) -> &str {
        self.person(who)
            .token
            .as_deref()
            .unwrap_or_else(|| panic!("{who} has not signed in"))
    }

    /// The course coded `code`.
    pub fn course(&self, code: &str) -> &Course {
        self.courses
            .iter()
            .find(|c| c.code == code)
            .unwrap_or_else(|| panic!("no course {code} in the scene"))
    }

    /// The employer organisation called `name`.
    pub fn employer(&self, name: &str) -> Uuid {
        self.employers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
            .unwrap_or_else(|| panic!("no employer {name} in the scene"))
    }

    /// The (first) enrolment of `learner`.
    pub fn enrolment(&self, learner: &str) -> Uuid {
        let learner = self.id(learner);
        self.enrolments
            .iter()
            .find(|e| e.learner == learner)
            .map(|e| e.id)
            .unwrap_or_else(|| panic!("{learner} is not enrolled"))
    }
}

impl<A: Borrow<TestApp>> Scene<A> {
    /// Builds a course item by item as the admin.
    pub async fn add_course(&mut self, new: &NewCourse) -> Course {
        let (app, admin) = (self.app.borrow(), self.admin.as_str());
        let body = json!({
            "code": new.code, "title": new.title,
            "off_the_job_minimum_hours": new.off_the_job_minimum_hours
        });
        let id = id_of(&call(app, Method::POST, "/api/v1/courses", admin, &body).await);
        let mut course = Course {
            id,
            code: new.code.clone(),
            components: Vec::new(),
        };
        for (title, units) in &new.components {
            let path = format!("/api/v1/courses/{id}/components");
            let body = json!({ "title": title });
            let mut component = Component {
                id: id_of(&call(app, Method::POST, &path, admin, &body).await),
                title: title.clone(),
                units: Vec::new(),
            };
            for u in units {
                let path = format!("/api/v1/components/{}/units", component.id);
                let body = json!({
                    "code": u.code, "title": u.title, "optional": u.optional,
                    "optional_group": u.optional_group
                });
                let mut unit = Unit {
                    id: id_of(&call(app, Method::POST, &path, admin, &body).await),
                    code: u.code.clone(),
                    criteria: Vec::new(),
                };
                for (code, text) in &u.criteria {
                    let path = format!("/api/v1/units/{}/criteria", unit.id);
                    let body = json!({ "code": code, "text": text });
                    let created = call(app, Method::POST, &path, admin, &body).await;
                    unit.criteria.push(id_of(&created));
                }
                component.units.push(unit);
            }
            course.components.push(component);
        }
        self.courses.push(course.clone());
        course
    }

    /// Adds a person with one role, named `Person {email}`.
    pub async fn add_person(&mut self, email: &str, role: Role) -> Uuid {
        let id = self.app.borrow().user(&self.tenant, email, &[role]).await;
        self.people.push(Person {
            id,
            email: email.into(),
            token: None,
        });
        id
    }

    /// Creates an employer organisation as the admin and links `contacts` to it.
    pub async fn add_employer(&mut self, name: &str, contacts: &[&str]) -> Uuid {
        let app = self.app.borrow();
        let body = call(
            app,
            Method::POST,
            "/api/v1/employers",
            &self.admin,
            &json!({ "name": name }),
        )
        .await;
        let employer = id_of(&body);
        for contact in contacts {
            call(
                app,
                Method::PATCH,
                &format!("/api/v1/users/{}", self.id(contact)),
                &self.admin,
                &json!({ "employer_id": employer }),
            )
            .await;
        }
        self.employers.push((name.into(), employer));
        employer
    }

    /// Enrols a learner as the admin, then chooses its optional units and changes its
    /// status as [`NewEnrolment`] says.
    pub async fn enrol(&mut self, e: NewEnrolment) -> Uuid {
        let course = match &e.course {
            Some(code) => self.course(code),
            None => self.courses.first().expect("a course in the scene"),
        };
        let learner = self.id(&e.learner);
        let mut body = json!({
            "learner_id": learner, "course_id": course.id,
            "start_date": e.start, "planned_end_date": e.planned_end,
            "contracted_hours_per_week": e.contracted_hours,
            "planned_otj_hours": e.planned_otj_hours
        });
        for (key, who) in [
            ("assessor_id", &e.assessor),
            ("iqa_id", &e.iqa),
            ("manager_id", &e.manager),
        ] {
            if let Some(who) = who {
                body[key] = json!(self.id(who));
            }
        }
        if let Some(name) = &e.employer {
            body["employer_id"] = json!(self.employer(name));
        }
        let units: Vec<Uuid> = e
            .optional_units
            .iter()
            .map(|code| course.unit(code).id)
            .collect();
        let course = course.id;
        let id = id_of(
            &call(
                self.app.borrow(),
                Method::POST,
                "/api/v1/enrolments",
                &self.admin,
                &body,
            )
            .await,
        );
        self.enrolments.push(Enrolment {
            id,
            learner,
            course,
        });
        if !units.is_empty() {
            self.choose_units(id, &units).await;
        }
        for (status, on, reason) in &e.statuses {
            self.set_status(id, status, *on, reason.as_deref()).await;
        }
        id
    }

    /// Chooses an enrolment's optional units, as the admin.
    pub async fn choose_units(&self, enrolment: Uuid, units: &[Uuid]) {
        call(
            self.app.borrow(),
            Method::PUT,
            &format!("/api/v1/enrolments/{enrolment}/optional-units"),
            &self.admin,
            &json!({ "unit_ids": units }),
        )
        .await;
    }

    /// Changes an enrolment's status, as the admin. A break is taken for illness with a
    /// return expected four weeks on.
    pub async fn set_status(
        &self,
        enrolment: Uuid,
        status: &str,
        on: NaiveDate,
        reason: Option<&str>,
    ) {
        let mut body = json!({ "status": status, "on": on });
        if let Some(reason) = reason {
            body["reason"] = json!(reason);
        }
        if status == "withdrawn" {
            // Other personal reasons.
            body["withdrawal_reason_code"] = json!(44);
        }
        if status == "break_in_learning" {
            body["break_reason"] = json!("illness");
            body["expected_return_on"] = json!(on + chrono::Days::new(28));
        }
        call(
            self.app.borrow(),
            Method::POST,
            &format!("/api/v1/enrolments/{enrolment}/status"),
            &self.admin,
            &body,
        )
        .await;
    }

    /// Signs `who` in (again) and returns their token.
    pub async fn sign_in(&mut self, who: &str) -> String {
        let email = self.person(who).email.clone();
        let token = self.app.borrow().login(&self.tenant, &email).await;
        if let Some(p) = self.people.iter_mut().find(|p| p.email == email) {
            p.token = Some(token.clone());
        }
        token
    }
}
