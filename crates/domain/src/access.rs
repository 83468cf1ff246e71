//! Who may do what, by role. Relationship rules (an assessor's caseload, an employer's own
//! employees, a learner's own records) join these as their resources arrive; this is the
//! one place they are written.

use crate::Role;

/// Something a person may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create people, change their roles, deactivate them, reset passwords.
    ManageUsers,
    /// List and read people.
    ReadUsers,
    /// Create, change and remove employer organisations.
    ManageEmployers,
    /// List and read employer organisations.
    ReadEmployers,
    /// Read the audit log.
    ReadAuditLog,
}

impl Permission {
    /// The roles granted this permission.
    pub fn granted_to(self) -> &'static [Role] {
        match self {
            Permission::ManageUsers | Permission::ManageEmployers => &[Role::Admin],
            Permission::ReadUsers => &[Role::Admin, Role::Auditor],
            Permission::ReadEmployers => &[Role::Admin, Role::Assessor, Role::Iqa, Role::Auditor],
            Permission::ReadAuditLog => &[Role::Admin, Role::Auditor],
        }
    }

    /// Whether someone holding `roles` has this permission.
    pub fn allows(self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.granted_to().contains(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;
    use Role::*;

    /// The whole matrix, written out, so that a change to it is a visible change here.
    #[test]
    fn permission_matrix() {
        let expected: &[(Permission, &[Role])] = &[
            (ManageUsers, &[Admin]),
            (ReadUsers, &[Admin, Auditor]),
            (ManageEmployers, &[Admin]),
            (ReadEmployers, &[Admin, Assessor, Iqa, Auditor]),
            (ReadAuditLog, &[Admin, Auditor]),
        ];
        for (permission, allowed) in expected {
            for role in Role::ALL {
                assert_eq!(
                    permission.allows(&[role]),
                    allowed.contains(&role),
                    "{permission:?} for {role}"
                );
            }
        }
    }

    #[test]
    fn any_held_role_suffices_and_none_grants_nothing() {
        assert!(ManageUsers.allows(&[Learner, Admin]));
        assert!(!ReadUsers.allows(&[]));
    }
}
