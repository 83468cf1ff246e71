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
    /// Grant external auditors read-only access for a time, and withdraw it.
    ManageAuditorAccess,
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
            | Permission::RunJobs
            | Permission::ManageAuditorAccess => &[Role::Admin],
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

    /// [`Permission::allows`] for someone whose auditor access reaches as far as `audit`:
    /// an auditor granted a sample of learners reads what those learners' records need
    /// (courses, settings) but not the organisation's people, employers' contacts or its
    /// audit log.
    pub fn allows_auditing(self, roles: &[Role], audit: Option<AuditReach>) -> bool {
        let whole_organisation = matches!(
            self,
            Permission::ReadUsers | Permission::ReadAuditLog | Permission::ReadEmployers
        );
        if whole_organisation && audit == Some(AuditReach::Sample) {
            roles
                .iter()
                .any(|r| *r != Role::Auditor && self.granted_to().contains(r))
        } else {
            self.allows(roles)
        }
    }
}

/// What an auditor's access is for, in the admin's words ("ESFA funding audit, December
/// 2026"): one line of 1 to 200 characters, shown in the auditor's banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPurpose(String);

impl AuditPurpose {
    /// Checks and trims a purpose.
    pub fn parse(raw: &str) -> Result<Self, crate::InvalidValue> {
        crate::text::single_line(raw, 200).map(Self)
    }

    /// The purpose.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How far an auditor's access reaches while an admin's grant is in force (its dates
/// include today and nobody withdrew it). An auditor with no grant in force holds no
/// auditor role at all: their access has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditReach {
    /// Every learner of the organisation, as an admin reads them.
    Organisation,
    /// Only the enrolments an admin chose, checked against the grants where each is read.
    Sample,
}

/// Which enrolments (and so which learners' portfolios) someone may see: admins every one
/// in the organisation, auditors every one or the sample their grant names (see
/// [`AuditReach`]); everyone else those they stand in a relationship to — learners their
/// own, assessors their caseload, IQAs those assigned to them, employers' managers their
/// organisation's employees.
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
    /// Enrolments in the sample of an auditor grant to the viewer that is in force.
    pub as_auditor: bool,
}

impl EnrolmentScope {
    /// The scope of someone holding `roles`, whose auditor access (if any) reaches as far
    /// as `audit`.
    pub fn for_roles(roles: &[Role], audit: Option<AuditReach>) -> Self {
        let has = |r: Role| roles.contains(&r);
        let auditor = has(Role::Auditor);
        Self {
            all: has(Role::Admin) || (auditor && audit == Some(AuditReach::Organisation)),
            as_auditor: auditor && audit == Some(AuditReach::Sample),
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
            (ManageAuditorAccess, &[Admin]),
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

    /// An auditor granted a sample reads neither people nor the audit log; one granted
    /// the organisation does; an auditor who is also an admin keeps the admin's reach.
    #[test]
    fn a_sample_auditor_reads_no_organisation_wide_records() {
        let sample = Some(AuditReach::Sample);
        let org = Some(AuditReach::Organisation);
        assert!(!ReadUsers.allows_auditing(&[Auditor], sample));
        assert!(!ReadAuditLog.allows_auditing(&[Auditor], sample));
        assert!(!ReadEmployers.allows_auditing(&[Auditor], sample));
        assert!(ReadEmployers.allows_auditing(&[Auditor], org));
        assert!(ReadCurriculum.allows_auditing(&[Auditor], sample));
        assert!(ReadSettings.allows_auditing(&[Auditor], sample));
        assert!(ReadUsers.allows_auditing(&[Auditor], org));
        assert!(ReadAuditLog.allows_auditing(&[Auditor], org));
        assert!(ReadUsers.allows_auditing(&[Admin, Auditor], sample));
        assert!(!ManageUsers.allows_auditing(&[Auditor], org));
    }

    #[test]
    fn enrolment_scopes_follow_roles_and_relationships() {
        assert!(EnrolmentScope::for_roles(&[Admin], None).all);
        let org = Some(AuditReach::Organisation);
        let sample = Some(AuditReach::Sample);
        assert!(EnrolmentScope::for_roles(&[Auditor], org).all);
        let sampled = EnrolmentScope::for_roles(&[Auditor], sample);
        assert!(!sampled.all && sampled.as_auditor);
        // No grant in force: nothing, whatever the role says.
        assert_eq!(
            EnrolmentScope::for_roles(&[Auditor], None),
            EnrolmentScope::default()
        );
        // A grant without the role (it was taken away): nothing either.
        assert_eq!(
            EnrolmentScope::for_roles(&[Assessor], org),
            EnrolmentScope {
                as_assessor: true,
                ..EnrolmentScope::default()
            }
        );
        let assessor = EnrolmentScope::for_roles(&[Assessor], None);
        assert!(!assessor.all && assessor.as_assessor && !assessor.as_learner);
        let both = EnrolmentScope::for_roles(&[Assessor, Iqa], None);
        assert!(both.as_assessor && both.as_iqa);
        assert_eq!(
            EnrolmentScope::for_roles(&[], None),
            EnrolmentScope::default()
        );
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
