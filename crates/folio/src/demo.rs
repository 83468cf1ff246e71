//! `folio demo`: two training providers with staff, an employer, learners enrolled on a
//! course with an assessor, and a disclaimer for learners to accept at first sign-in,
//! loaded idempotently (running it again changes nothing that exists).

use chrono::{Days, Utc};
use folio_app::demo::{
    self, CourseDetails, EmployerDetails, NewComponent, NewCriterion, NewEnrolment, NewUnit,
    Programme,
};
use folio_app::operator::Tenant;
use folio_app::{Database, SystemWork};
use folio_domain::{
    ComponentTitle, CourseTitle, CriterionText, CurriculumCode, OptionalGroup, OptionalText,
    OrganisationName, Password, Role, UnitKind, UnitTitle,
};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::operator::{self, NewPerson};

/// The password every demo account has. Demo data only: real accounts get their own.
pub const DEMO_PASSWORD: &str = "folio-demo-2026";

struct DemoTenant {
    slug: &'static str,
    name: &'static str,
    domain: &'static str,
    employer: &'static str,
    people: &'static [(&'static str, &'static str, &'static [Role])],
}

const TENANTS: &[DemoTenant] = &[
    DemoTenant {
        slug: "northgate-training",
        name: "Northgate Training",
        domain: "northgate.example",
        employer: "Acme Engineering Ltd",
        people: &[
            ("admin", "Priya Shah", &[Role::Admin]),
            ("assessor1", "Tom Hughes", &[Role::Assessor]),
            ("assessor2", "Grace Okafor", &[Role::Assessor, Role::Iqa]),
            ("manager", "Dan Walsh", &[Role::Employer]),
            ("auditor", "Ruth Adeyemi", &[Role::Auditor]),
            ("learner1", "Amelia Clarke", &[Role::Learner]),
            ("learner2", "Jack Robinson", &[Role::Learner]),
            ("learner3", "Chloe Patel", &[Role::Learner]),
        ],
    },
    DemoTenant {
        slug: "riverside-skills",
        name: "Riverside Skills Academy",
        domain: "riverside.example",
        employer: "Harbour Care Group",
        people: &[
            ("admin", "Mark Evans", &[Role::Admin]),
            ("assessor1", "Sofia Rossi", &[Role::Assessor]),
            ("assessor2", "Ben Carter", &[Role::Assessor]),
            ("manager", "Laura Kim", &[Role::Employer]),
            ("learner1", "Oliver Bennett", &[Role::Learner]),
            ("learner2", "Isla Murphy", &[Role::Learner]),
            ("learner3", "Noah Williams", &[Role::Learner]),
        ],
    },
];

/// A demo organisation and the accounts in it, for `folio demo` to print.
pub struct DemoOrganisation {
    /// Its slug (typed at sign-in).
    pub slug: String,
    /// Its name.
    pub name: String,
    /// (e-mail address, roles) of each account.
    pub accounts: Vec<(String, Vec<Role>)>,
}

/// Loads the demo data; safe to run any number of times.
pub async fn load(db: &Database) -> anyhow::Result<Vec<DemoOrganisation>> {
    let password = Password::parse(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = Vec::new();
    for demo in TENANTS {
        let tenant = ensure_tenant(db, demo).await?;
        let employer_id = ensure_employer(db, &tenant, demo.employer).await?;
        let mut accounts = Vec::new();
        let mut ids = Vec::new();
        for (local, name, roles) in demo.people {
            let email = format!("{local}@{}", demo.domain);
            let person = NewPerson {
                email: email.clone(),
                name: (*name).to_owned(),
                roles: roles.to_vec(),
                employer_id: roles.contains(&Role::Employer).then_some(employer_id),
                password: Some(password.clone()),
            };
            let id = operator::create_user(db, &tenant, person, true).await?;
            ids.push((*local, id));
            accounts.push((email, roles.to_vec()));
        }
        ensure_programme(db, &tenant, employer_id, &ids).await?;
        out.push(DemoOrganisation {
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            accounts,
        });
    }
    Ok(out)
}

async fn ensure_tenant(db: &Database, demo: &DemoTenant) -> anyhow::Result<Tenant> {
    if let Some(t) = folio_app::operator::tenant(db, demo.slug).await? {
        return Ok(t);
    }
    match operator::create_tenant(db, demo.slug, demo.name).await {
        Ok(t) => Ok(t),
        // Created by a concurrent run in the meantime.
        Err(e) => match folio_app::operator::tenant(db, demo.slug).await? {
            Some(t) => Ok(t),
            None => Err(e),
        },
    }
}

async fn ensure_employer(db: &Database, tenant: &Tenant, name: &str) -> anyhow::Result<Uuid> {
    let mut work = SystemWork::begin_as_operator(db, tenant.tenant_id()).await?;
    if let Some(existing) = demo::employer_named(&mut work, name).await? {
        return Ok(existing);
    }
    let id = Uuid::now_v7();
    let details = EmployerDetails {
        name: OrganisationName::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?,
        contact_name: OptionalText::parse(None, 200).map_err(|e| anyhow::anyhow!("{e}"))?,
        contact_email: None,
        phone: OptionalText::parse(None, 50).map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    demo::add_employer(&mut work, id, &details).await?;
    work.commit().await?;
    Ok(id)
}

/// The demo course: its code, title and structure (component, then units of criteria).
const COURSE: (&str, &str) = ("ST0457", "Engineering Technician (Level 3)");
type DemoUnit = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);
const STRUCTURE: &[(&str, &[DemoUnit])] = &[
    (
        "Knowledge and skills",
        &[
            (
                "K1",
                "Health, safety and the environment",
                &[
                    (
                        "K1.1",
                        "Identify the hazards of a workshop task and the controls that reduce them",
                    ),
                    ("K1.2", "Explain the permit-to-work system used on site"),
                    (
                        "K1.3",
                        "Dispose of waste materials as the site's procedures require",
                    ),
                ],
            ),
            (
                "K2",
                "Engineering drawings and specifications",
                &[
                    (
                        "K2.1",
                        "Interpret an orthographic drawing, including tolerances",
                    ),
                    (
                        "K2.2",
                        "Produce a sketch with the dimensions a colleague needs",
                    ),
                    (
                        "K2.3",
                        "Check a finished part against its specification and record the result",
                    ),
                ],
            ),
        ],
    ),
    (
        "Behaviours",
        &[
            (
                "B1",
                "Teamwork and communication",
                &[
                    (
                        "B1.1",
                        "Hand over work-in-progress clearly at the end of a shift",
                    ),
                    (
                        "B1.2",
                        "Raise a concern about quality with the right person",
                    ),
                ],
            ),
            (
                "B2",
                "Professional development",
                &[
                    ("B2.1", "Reflect on feedback and set a development goal"),
                    ("B2.2", "Keep a record of learning and its outcomes"),
                ],
            ),
        ],
    ),
    (
        "Specialist options",
        &[
            (
                "O1",
                "Machining",
                &[
                    ("O1.1", "Set up a lathe for a turning operation"),
                    ("O1.2", "Machine a part to a drawing's tolerances"),
                ],
            ),
            (
                "O2",
                "Fabrication",
                &[
                    ("O2.1", "Mark out and cut sheet metal to a drawing"),
                    ("O2.2", "Join fabricated parts by an approved method"),
                ],
            ),
        ],
    ),
];

/// Units the learner chooses (one of them): the option group they belong to.
const OPTIONAL_UNITS: &[&str] = &["O1", "O2"];

const DISCLAIMER: &str = "Everything you upload to your portfolio must be your own work. \
Your assessor, your employer and your training provider's quality team can see what you upload \
and the time you log. Do not upload other people's personal information.";

fn parsed<T, E: std::fmt::Display>(r: Result<T, E>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("demo data: {e}"))
}

/// The demo course, its learners enrolled with their assessor, IQA and employer, and the
/// disclaimer; done once per organisation (nothing is added if the course exists).
async fn ensure_programme(
    db: &Database,
    tenant: &Tenant,
    employer_id: Uuid,
    people: &[(&str, Uuid)],
) -> anyhow::Result<()> {
    let person = |local: &str| {
        people
            .iter()
            .find(|(l, _)| *l == local)
            .map(|(_, id)| *id)
            .ok_or_else(|| anyhow::anyhow!("demo data: no {local}"))
    };
    let mut work = SystemWork::begin_as_operator(db, tenant.tenant_id()).await?;
    if demo::has_course(&mut work, COURSE.0).await? {
        return Ok(());
    }
    let course_id = Uuid::now_v7();
    let course = CourseDetails {
        code: parsed(CurriculumCode::parse(COURSE.0))?,
        title: parsed(CourseTitle::parse(COURSE.1))?,
        description: None,
        off_the_job_minimum_hours: None,
        standard: None,
    };
    let mut components = Vec::new();
    for (title, units) in STRUCTURE {
        let mut new_units = Vec::new();
        for (code, title, criteria) in *units {
            let mut new_criteria = Vec::new();
            for (code, text) in *criteria {
                new_criteria.push(NewCriterion {
                    code: parsed(CurriculumCode::parse(code))?,
                    text: parsed(CriterionText::parse(text))?,
                });
            }
            let kind = if OPTIONAL_UNITS.contains(code) {
                UnitKind::Optional {
                    group: Some(parsed(OptionalGroup::parse("Specialism"))?),
                }
            } else {
                UnitKind::Mandatory
            };
            new_units.push(NewUnit {
                code: parsed(CurriculumCode::parse(code))?,
                title: parsed(UnitTitle::parse(title))?,
                kind,
                criteria: new_criteria,
            });
        }
        components.push(NewComponent {
            title: parsed(ComponentTitle::parse(title))?,
            units: new_units,
        });
    }
    let today = Utc::now().date_naive();
    let days_ago = |d: u64| today.checked_sub_days(Days::new(d)).unwrap_or(today);
    // (learner, assessor, days since start): learner 2 started long ago and is behind.
    let mut enrolments = Vec::new();
    for (learner, assessor, started) in [
        ("learner1", "assessor1", 120),
        ("learner2", "assessor1", 400),
        ("learner3", "assessor2", 30),
    ] {
        let start_date = days_ago(started);
        enrolments.push(NewEnrolment {
            id: Uuid::now_v7(),
            learner_id: person(learner)?,
            course_id,
            start_date,
            planned_end_date: start_date
                .checked_add_days(Days::new(548))
                .unwrap_or(start_date),
            assessor_id: Some(person(assessor)?),
            iqa_id: Some(person("assessor2")?),
            employer_id: Some(employer_id),
            manager_id: Some(person("manager")?),
            contracted_hours_per_week: Decimal::new(375, 1),
            planned_otj_hours: Decimal::new(300, 0),
            rpl_otj_hours: Decimal::ZERO,
            rpl_duration_weeks: 0,
            rpl_reason: None,
            uln: None,
            learner_ref: None,
        });
    }
    demo::add_programme(
        &mut work,
        &Programme {
            course_id,
            course: &course,
            structure: &components,
            enrolments: &enrolments,
            disclaimer: DISCLAIMER,
            disclaimer_set_by: person("admin")?,
        },
    )
    .await?;
    work.commit().await?;
    Ok(())
}
