//! The unit of work every use case runs in: the caller, authenticated once, and one tenant
//! transaction. Audit rows and queued e-mails are written in that transaction, so a use
//! case's change, its record and its notifications commit or roll back together.
//!
//! Access is narrowed by what the caller proved: [`UnitOfWork::visible_enrolment`] hands
//! out a [`Visible`] enrolment and [`UnitOfWork::managed_enrolment`] a [`Managed`] one, and
//! a use case that changes a portfolio takes the proof, not an id, so it cannot be called
//! for an enrolment nobody checked.

use std::collections::HashMap;
use std::ops::Deref;

use folio_db::enrolments::{self, Enrolment};
use folio_db::outbox::{self, NewEmail};
use folio_db::{Database, TenantTx, audit, auth, settings};
use folio_domain::{AuditReach, Permission, Role, TenantId, TenantSettings};
use uuid::Uuid;

use crate::credentials::{TokenKind, hash_token, parse_token};
use crate::principal::{CredentialId, Principal};
use crate::{Error, Result};

tokio::task_local! {
    /// The request being served, as the HTTP layer sets it for the work done in it: what
    /// an auditor's read is recorded as in the audit log.
    pub static REQUEST_LINE: RequestLine;
}

/// A request's method and path (never its query string: a search may be a person's name).
#[derive(Debug, Clone)]
pub struct RequestLine {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, e.g. `/api/v1/enrolments/…/progress`.
    pub path: String,
}

/// Whether a learner must have accepted the organisation's current disclaimer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclaimer {
    /// Every use case but the few below: a learner who has not accepted it gets 403
    /// `disclaimer-required`.
    MustBeAccepted,
    /// Who they are, the disclaimer itself, signing out: what a learner must reach first.
    NotYetNeeded,
}

/// An authenticated caller and their tenant's transaction.
pub struct UnitOfWork {
    /// Who is acting.
    pub principal: Principal,
    /// Their tenant's transaction. Repository functions take it; use cases written on this
    /// layer reach it through the narrowed views where one exists.
    pub(crate) tx: TenantTx,
    /// What a read-only unit of work has already read, so that the use cases a page is
    /// built from do not each read it again (see [`UnitOfWork::remember_reads`]); `None`
    /// while it may change things.
    reads: Option<Reads>,
}

/// Reads a read-only unit of work keeps: the tenant's settings and the enrolments found
/// visible (a page's panels each check the same portfolio).
#[derive(Default)]
struct Reads {
    settings: Option<TenantSettings>,
    visible: HashMap<Uuid, Enrolment>,
}

impl UnitOfWork {
    /// Checks a session or API token and opens the caller's tenant transaction. Any
    /// failure is 401: the answer does not say whether the token was malformed, unknown,
    /// expired or revoked, or whether its owner was deactivated.
    pub async fn authenticate(db: &Database, token: &str, disclaimer: Disclaimer) -> Result<Self> {
        let (kind, tenant) = parse_token(token).ok_or(Error::Unauthenticated)?;
        let hash = hash_token(token);
        let mut tx = db.begin_tenant(tenant).await?;
        let owner = match kind {
            TokenKind::Session => auth::find_session(&mut tx, &hash).await?,
            TokenKind::ApiToken => auth::find_api_token(&mut tx, &hash).await?,
        }
        .ok_or(Error::Unauthenticated)?;
        let span = tracing::Span::current();
        span.record("tenant_id", tracing::field::display(tenant));
        span.record("user_id", tracing::field::display(owner.user_id));
        let credential = match kind {
            TokenKind::Session => CredentialId::Session(owner.credential_id),
            TokenKind::ApiToken => CredentialId::ApiToken(owner.credential_id),
        };
        let roles = owner.roles.iter().filter_map(|r| r.parse().ok()).collect();
        let audit = match owner.audit_reach.as_deref() {
            Some("organisation") => Some(AuditReach::Organisation),
            Some("sample") => Some(AuditReach::Sample),
            _ => None,
        };
        let principal = Principal {
            tenant,
            user_id: owner.user_id,
            roles,
            audit,
            credential,
        };
        if principal.is_auditing() {
            // Every request an auditor makes is in the audit log, refused ones included:
            // the record commits on its own before the work, so that no later refusal
            // rolls it back, and the work goes on in a fresh transaction (taken once this
            // one is given back, never two at once).
            record_auditor_read(&mut tx, &principal).await?;
            tx.commit().await?;
            tx = db.begin_tenant(tenant).await?;
        }
        let staff = [Role::Admin, Role::Assessor, Role::Iqa, Role::Auditor]
            .into_iter()
            .any(|r| principal.has(r));
        if disclaimer == Disclaimer::MustBeAccepted && owner.two_factor_missing && staff {
            return Err(Error::TwoFactorSetupRequired);
        }
        if disclaimer == Disclaimer::MustBeAccepted
            && principal.has(Role::Learner)
            && folio_db::profile::pending_disclaimer(&mut tx, principal.user_id)
                .await?
                .is_some()
        {
            return Err(Error::DisclaimerRequired);
        }
        Ok(Self {
            principal,
            tx,
            reads: None,
        })
    }

    /// [`UnitOfWork::authenticate`], then 403 unless the caller has `permission`.
    pub async fn authorize(db: &Database, token: &str, permission: Permission) -> Result<Self> {
        let uow = Self::authenticate(db, token, Disclaimer::MustBeAccepted).await?;
        uow.principal.require(permission)?;
        Ok(uow)
    }

    /// The tenant the work is for.
    pub fn tenant(&self) -> TenantId {
        self.principal.tenant
    }

    /// Declares that this unit of work only reads (a page being drawn): from now on the
    /// tenant's settings and each visible enrolment are read once and then remembered.
    /// Nothing it reads can change before it ends, since it changes nothing itself and
    /// PostgreSQL's read-committed snapshot is per statement anyway: a page is already a
    /// set of reads a moment apart.
    pub fn remember_reads(&mut self) {
        self.reads.get_or_insert_with(Reads::default);
    }

    /// The tenant's settings (defaults filled in); read once in a read-only unit of work.
    pub async fn settings(&mut self) -> Result<TenantSettings> {
        if let Some(kept) = self.reads.as_ref().and_then(|r| r.settings.as_ref()) {
            return Ok(kept.clone());
        }
        let read = settings::get(&mut self.tx).await?;
        if let Some(reads) = self.reads.as_mut() {
            reads.settings = Some(read.clone());
        }
        Ok(read)
    }

    /// The enrolment, if the caller may see it; 404 otherwise, exactly as for an id that
    /// does not exist.
    pub async fn visible_enrolment(&mut self, id: Uuid) -> Result<Visible> {
        if let Some(kept) = self.reads.as_ref().and_then(|r| r.visible.get(&id)) {
            return Ok(Visible(kept.clone()));
        }
        let viewer = self.principal.viewer();
        let enrolment = enrolments::get_visible(&mut self.tx, &viewer, id).await?;
        if let Some(reads) = self.reads.as_mut() {
            reads.visible.insert(id, enrolment.clone());
        }
        Ok(Visible(enrolment))
    }

    /// Whether the caller manages the enrolment (its assessor, or an admin): the rule
    /// [`UnitOfWork::managed_enrolment`] applies before every change staff make, for pages
    /// to offer those changes only to whoever may make them (404 if it cannot be seen).
    pub async fn manages_enrolment(&mut self, id: Uuid) -> Result<bool> {
        let Visible(enrolment) = self.visible_enrolment(id).await?;
        Ok(self.principal.manages(&enrolment))
    }

    /// The enrolment, if the caller may see it (404 otherwise) and manage it (403
    /// otherwise), locked until the unit of work ends so that changes to one portfolio
    /// happen one after another.
    pub async fn managed_enrolment(&mut self, id: Uuid) -> Result<Managed> {
        self.lock_enrolment(id).await?;
        let Visible(enrolment) = self.visible_enrolment(id).await?;
        if !self.principal.manages(&enrolment) {
            return Err(Error::Forbidden);
        }
        Ok(Managed(enrolment))
    }

    /// Locks the enrolment until the unit of work ends, before a change to it or its
    /// portfolio (one change after another). A unit of work that changes things remembers
    /// no reads from here on: what it reads again is read afresh.
    pub(crate) async fn lock_enrolment(&mut self, id: Uuid) -> Result<()> {
        self.changing();
        enrolments::lock(&mut self.tx, id).await?;
        Ok(())
    }

    /// Stops remembering reads (see [`UnitOfWork::remember_reads`]) and forgets what was
    /// kept: called before anything is changed.
    pub(crate) fn changing(&mut self) {
        self.reads = None;
    }

    /// Records in the audit log that the caller did `action` to the entity.
    pub async fn audit(
        &mut self,
        action: &str,
        entity_type: &str,
        entity_id: Uuid,
        details: serde_json::Value,
    ) -> Result<()> {
        let actor = self.principal.actor();
        record_audit(&mut self.tx, actor, action, entity_type, entity_id, details).await
    }

    /// Queues an e-mail, sent once the unit of work commits (the outbox). Returns whether
    /// it was queued: false when one with the same dedup key already was.
    pub async fn queue_email(&mut self, email: &NewEmail<'_>) -> Result<bool> {
        Ok(outbox::enqueue(&mut self.tx, email).await?)
    }

    /// Makes the work permanent.
    pub async fn commit(self) -> Result<Principal> {
        self.tx.commit().await?;
        Ok(self.principal)
    }
}

/// Records that the auditor `principal` is reading what the request names.
async fn record_auditor_read(tx: &mut TenantTx, principal: &Principal) -> Result<()> {
    let details = match REQUEST_LINE.try_with(RequestLine::clone) {
        Ok(l) => serde_json::json!({ "method": l.method, "path": l.path }),
        Err(_) => serde_json::json!({}),
    };
    let (actor, me) = (principal.actor(), principal.user_id);
    record_audit(tx, actor, "auditor.read", "user", me, details).await
}

/// Records in the audit log, in `tx`, that `actor` did `action` to the entity: the one way
/// a unit of work, a person's or the system's, writes its audit rows.
pub(crate) async fn record_audit(
    tx: &mut TenantTx,
    actor: audit::Actor,
    action: &str,
    entity_type: &str,
    entity_id: Uuid,
    details: serde_json::Value,
) -> Result<()> {
    audit::record(
        tx,
        audit::Event {
            actor,
            action,
            entity_type,
            entity_id: Some(entity_id),
            details,
        },
    )
    .await?;
    Ok(())
}

/// An enrolment the caller may see, as proven by [`UnitOfWork::visible_enrolment`].
#[derive(Debug)]
pub struct Visible(Enrolment);

/// An enrolment the caller may see and manage, locked for the unit of work, as proven by
/// [`UnitOfWork::managed_enrolment`].
#[derive(Debug)]
pub struct Managed(Enrolment);

impl Deref for Visible {
    type Target = Enrolment;
    fn deref(&self) -> &Enrolment {
        &self.0
    }
}

impl Deref for Managed {
    type Target = Enrolment;
    fn deref(&self) -> &Enrolment {
        &self.0
    }
}

impl Visible {
    /// The enrolment itself.
    pub fn into_inner(self) -> Enrolment {
        self.0
    }
}

impl Managed {
    /// The enrolment itself.
    pub fn into_inner(self) -> Enrolment {
        self.0
    }
}
