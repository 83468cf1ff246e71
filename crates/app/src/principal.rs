//! Who is acting: an authenticated person in their tenant, with their roles and the
//! relationships the visibility rules are written in.

use folio_db::audit::Actor;
use folio_db::enrolments::{Enrolment, Viewer};
use folio_domain::access::EnrolmentRelation;
use folio_domain::{AuditReach, EnrolmentScope, Permission, Role, TenantId};
use uuid::Uuid;

use crate::{Error, Result};

/// Which credential authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialId {
    /// A sign-in session.
    Session(Uuid),
    /// A personal API token.
    ApiToken(Uuid),
}

/// An authenticated person in their tenant.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Their tenant.
    pub tenant: TenantId,
    /// Their id.
    pub user_id: Uuid,
    /// Their roles: the auditor role only while an admin's grant to them is in force.
    pub roles: Vec<Role>,
    /// How far their auditor grants in force reach (`None` when none is).
    pub audit: Option<AuditReach>,
    /// The credential they presented.
    pub credential: CredentialId,
}

impl Principal {
    /// Who is looking at enrolments, and through which relationships (the one visibility
    /// rule, applied in SQL by `folio_db::enrolments`).
    pub fn viewer(&self) -> Viewer {
        Viewer {
            user_id: self.user_id,
            scope: EnrolmentScope::for_roles(&self.roles, self.audit),
        }
    }

    /// Whether they see the whole organisation: an admin, or an auditor granted every
    /// learner (organisation-wide lists, exports and digests).
    pub fn sees_whole_organisation(&self) -> bool {
        self.viewer().scope.all
    }

    /// Whether they are reading as an auditor now (a grant to them is in force).
    pub fn is_auditing(&self) -> bool {
        self.has(Role::Auditor) && self.audit.is_some()
    }

    /// Whether they hold `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// How they stand to the enrolment: its learner, its assessor, its IQA (the
    /// relationships its staff-only records are shared through).
    pub fn relation_to(&self, enrolment: &Enrolment) -> EnrolmentRelation {
        EnrolmentRelation {
            learner: enrolment.learner_id == self.user_id,
            assessor: enrolment.assessor_id == Some(self.user_id),
            iqa: enrolment.iqa_id == Some(self.user_id),
        }
    }

    /// Whether this is the enrolment's own learner.
    pub fn is_learner_of(&self, enrolment: &Enrolment) -> bool {
        enrolment.learner_id == self.user_id && self.has(Role::Learner)
    }

    /// Whether the principal manages the enrolment: an admin, or its own assessor.
    pub fn manages(&self, enrolment: &Enrolment) -> bool {
        folio_domain::may_manage_enrolment(&self.roles, enrolment.assessor_id == Some(self.user_id))
    }

    /// Whether they are staff of the provider: admin, assessor, IQA or auditor.
    pub fn is_staff(&self) -> bool {
        self.roles
            .iter()
            .any(|r| matches!(r, Role::Admin | Role::Assessor | Role::Iqa | Role::Auditor))
    }

    /// Whether the principal has `permission` (for what a page offers; use cases
    /// [`Self::require`] it).
    pub fn may(&self, permission: Permission) -> bool {
        permission.allows_auditing(&self.roles, self.audit)
    }

    /// Fails with 403 unless the principal has `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// The principal as the actor of an audited write.
    pub fn actor(&self) -> Actor {
        Actor::User(self.user_id)
    }
}
