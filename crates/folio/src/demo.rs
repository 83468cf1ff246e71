//! `folio demo`: two training providers with staff, an employer and learners, loaded
//! idempotently (running it again changes nothing that exists).

use folio_db::Database;
use folio_db::audit::{self, Actor, Event};
use folio_db::employers::{self, EmployerDetails};
use folio_db::platform::{self, Tenant};
use folio_domain::{OptionalText, OrganisationName, Password, Role};
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
        for (local, name, roles) in demo.people {
            let email = format!("{local}@{}", demo.domain);
            let person = NewPerson {
                email: email.clone(),
                name: (*name).to_owned(),
                roles: roles.to_vec(),
                employer_id: roles.contains(&Role::Employer).then_some(employer_id),
                password: Some(password.clone()),
            };
            operator::create_user(db, &tenant, person, true).await?;
            accounts.push((email, roles.to_vec()));
        }
        out.push(DemoOrganisation {
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            accounts,
        });
    }
    Ok(out)
}

async fn ensure_tenant(db: &Database, demo: &DemoTenant) -> anyhow::Result<Tenant> {
    if let Some(t) = platform::find_by_slug(db.pool(), demo.slug).await? {
        return Ok(t);
    }
    match operator::create_tenant(db, demo.slug, demo.name).await {
        Ok(t) => Ok(t),
        // Created by a concurrent run in the meantime.
        Err(e) => match platform::find_by_slug(db.pool(), demo.slug).await? {
            Some(t) => Ok(t),
            None => Err(e),
        },
    }
}

async fn ensure_employer(db: &Database, tenant: &Tenant, name: &str) -> anyhow::Result<Uuid> {
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    let page = employers::list(&mut tx, Some(name), None, 10).await?;
    if let Some(existing) = page.items.iter().find(|e| e.name == name) {
        return Ok(existing.id);
    }
    let id = Uuid::now_v7();
    let details = EmployerDetails {
        name: OrganisationName::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?,
        contact_name: OptionalText::parse(None, 200).map_err(|e| anyhow::anyhow!("{e}"))?,
        contact_email: None,
        phone: OptionalText::parse(None, 50).map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    employers::insert(&mut tx, id, &details).await?;
    audit::record(
        &mut tx,
        Event {
            actor: Actor::Operator,
            action: "employer.create",
            entity_type: "employer",
            entity_id: Some(id),
            details: serde_json::json!({ "source": "demo" }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
