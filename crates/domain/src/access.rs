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
    /// Create, change, import and remove courses and their structure.
    ManageCurriculum,
    /// Read every course of the organisation (people on a course read it through their
    /// enrolment instead).
    ReadCurriculum,
    /// Enrol learners, assign assessors, IQAs and employers.
    ManageEnrolments,
    /// Read the organisation's settings: the staff whose figures (track status, review and
    /// induction deadlines) the settings decide, who must be able to say why a learner
    /// shows as off track. Learners and employers see the figures, not the configuration.
    ReadSettings,
    /// Change the organisation's settings.
    ManageSettings,
    /// Run background jobs by hand, and see how runs and email deliveries went.
    RunJobs,
}

impl Permission {
    /// The roles granted this permission.
    pub fn granted_to(self) -> &'static [Role] {
        match self {
            Permission::ManageUsers
            | Permission::ManageEmployers
            | Permission::ManageCurriculum
            | Permission::ManageEnrolments
            | Permission::ManageSettings
            | Permission::RunJobs => &[Role::Admin],
            Permission::ReadSettings => &[Role::Admin, Role::Assessor, Role::Iqa, Role::Auditor],
            Permission::ReadCurriculum => &[Role::Admin, Role::Assessor, Role::Iqa, Role::Auditor],
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

/// Which enrolments (and so which learners' portfolios) someone may see: admins and
/// auditors every one in the organisation; everyone else those they stand in a
/// relationship to — learners their own, assessors their caseload, IQAs those assigned to
/// them, employers' managers their organisation's employees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EnrolmentScope {
    /// Every enrolment in the organisation.
    pub all: bool,
    /// Enrolments where the viewer is the learner.
    pub as_learner: bool,
    /// Enrolments where the viewer is the assessor.
    pub as_assessor: bool,
    /// Enrolments where the viewer is the IQA.
    pub as_iqa: bool,
    /// Enrolments at the viewer's employer organisation or managed by the viewer.
    pub as_employer: bool,
}

impl EnrolmentScope {
    /// The scope of someone holding `roles`.
    pub fn for_roles(roles: &[Role]) -> Self {
        let has = |r: Role| roles.contains(&r);
        Self {
            all: has(Role::Admin) || has(Role::Auditor),
            as_learner: has(Role::Learner),
            as_assessor: has(Role::Assessor),
            as_iqa: has(Role::Iqa),
            as_employer: has(Role::Employer),
        }
    }
}

/// Whether someone may change an enrolment's day-to-day state (status, breaks, optional
/// units, a revised end date): the organisation's admins, and the enrolment's own assessor.
pub fn may_manage_enrolment(roles: &[Role], is_its_assessor: bool) -> bool {
    roles.contains(&Role::Admin) || (is_its_assessor && roles.contains(&Role::Assessor))
}

/// How someone stands to one enrolment: the relationships its records are shared through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EnrolmentRelation {
    /// They are its learner.
    pub learner: bool,
    /// They are its assessor.
    pub assessor: bool,
    /// They are its IQA.
    pub iqa: bool,
}

/// What someone may do with the internal comments on a learner's enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CommentAccess {
    /// Nothing, not even learn that there are any: the API answers as for an id that does
    /// not exist.
    None,
    /// Read them.
    Read,
    /// Read them and write their own (edit and delete only their own; admins may delete
    /// any, see [`may_delete_comment`]).
    Write,
}

/// Internal comments are for staff: the organisation's admins, and the enrolment's own
/// assessor and IQA, write them; auditors read them; employers and learners never see them.
/// The enrolment's own learner is refused whatever other roles they hold, so that a member
/// of staff who is also an apprentice never reads what is written about them.
pub fn internal_comment_access(roles: &[Role], relation: EnrolmentRelation) -> CommentAccess {
    let has = |r: Role| roles.contains(&r);
    if relation.learner && has(Role::Learner) {
        CommentAccess::None
    } else if has(Role::Admin)
        || (relation.assessor && has(Role::Assessor))
        || (relation.iqa && has(Role::Iqa))
    {
        CommentAccess::Write
    } else if has(Role::Auditor) {
        CommentAccess::Read
    } else {
        CommentAccess::None
    }
}

/// A comment is edited only by its author; it is deleted by its author or an admin. Both
/// need write access to the enrolment's comments still.
pub fn may_edit_comment(access: CommentAccess, is_author: bool) -> bool {
    access == CommentAccess::Write && is_author
}

/// See [`may_edit_comment`].
pub fn may_delete_comment(access: CommentAccess, is_author: bool, roles: &[Role]) -> bool {
    access == CommentAccess::Write && (is_author || roles.contains(&Role::Admin))
}

/// A message is read by its sender, its recipient, and the organisation's admins and
/// auditors (who see every enrolment); nobody else learns it exists.
pub fn may_read_message(roles: &[Role], is_sender: bool, is_recipient: bool) -> bool {
    is_sender || is_recipient || roles.contains(&Role::Admin) || roles.contains(&Role::Auditor)
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
            (ManageCurriculum, &[Admin]),
            (ReadCurriculum, &[Admin, Assessor, Iqa, Auditor]),
            (ManageEnrolments, &[Admin]),
            (ReadSettings, &[Admin, Assessor, Iqa, Auditor]),
            (ManageSettings, &[Admin]),
            (RunJobs, &[Admin]),
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
    fn enrolment_scopes_follow_roles_and_relationships() {
        assert!(EnrolmentScope::for_roles(&[Admin]).all);
        assert!(EnrolmentScope::for_roles(&[Auditor]).all);
        let assessor = EnrolmentScope::for_roles(&[Assessor]);
        assert!(!assessor.all && assessor.as_assessor && !assessor.as_learner);
        let both = EnrolmentScope::for_roles(&[Assessor, Iqa]);
        assert!(both.as_assessor && both.as_iqa);
        assert_eq!(EnrolmentScope::for_roles(&[]), EnrolmentScope::default());
        assert!(may_manage_enrolment(&[Admin], false));
        assert!(may_manage_enrolment(&[Assessor], true));
        assert!(!may_manage_enrolment(&[Assessor], false));
        assert!(!may_manage_enrolment(
            &[Iqa, Employer, Learner, Auditor],
            true
        ));
    }

    /// Internal comments, written out role by role and relationship by relationship.
    #[test]
    fn internal_comments_are_for_staff_only() {
        let none = EnrolmentRelation::default();
        let learner = EnrolmentRelation {
            learner: true,
            ..none
        };
        let assessor = EnrolmentRelation {
            assessor: true,
            ..none
        };
        let iqa = EnrolmentRelation { iqa: true, ..none };
        let cases: &[(&[Role], EnrolmentRelation, CommentAccess)] = &[
            (&[Admin], none, CommentAccess::Write),
            (&[Assessor], assessor, CommentAccess::Write),
            (&[Assessor], none, CommentAccess::None),
            (&[Assessor], iqa, CommentAccess::None),
            (&[Iqa], iqa, CommentAccess::Write),
            (&[Iqa], none, CommentAccess::None),
            (&[Auditor], none, CommentAccess::Read),
            (&[Auditor, Assessor], assessor, CommentAccess::Write),
            (&[Employer], none, CommentAccess::None),
            (&[Learner], learner, CommentAccess::None),
            (&[Learner], none, CommentAccess::None),
            // Staff who are also this enrolment's learner see nothing of it.
            (&[Admin, Learner], learner, CommentAccess::None),
            (&[Auditor, Learner], learner, CommentAccess::None),
            (&[], none, CommentAccess::None),
        ];
        for (roles, relation, expected) in cases {
            assert_eq!(
                internal_comment_access(roles, *relation),
                *expected,
                "{roles:?} {relation:?}"
            );
        }
        assert!(may_edit_comment(CommentAccess::Write, true));
        assert!(!may_edit_comment(CommentAccess::Write, false));
        assert!(!may_edit_comment(CommentAccess::Read, true));
        assert!(may_delete_comment(CommentAccess::Write, true, &[Iqa]));
        assert!(may_delete_comment(CommentAccess::Write, false, &[Admin]));
        assert!(!may_delete_comment(
            CommentAccess::Write,
            false,
            &[Assessor]
        ));
        assert!(!may_delete_comment(CommentAccess::Read, true, &[Auditor]));
    }

    #[test]
    fn messages_are_read_by_their_two_people_and_admins_and_auditors() {
        assert!(may_read_message(&[Learner], true, false));
        assert!(may_read_message(&[Assessor], false, true));
        assert!(may_read_message(&[Admin], false, false));
        assert!(may_read_message(&[Auditor], false, false));
        for role in [Learner, Assessor, Iqa, Employer] {
            assert!(!may_read_message(&[role], false, false), "{role}");
        }
    }

    #[test]
    fn any_held_role_suffices_and_none_grants_nothing() {
        assert!(ManageUsers.allows(&[Learner, Admin]));
        assert!(!ReadUsers.allows(&[]));
    }
}
