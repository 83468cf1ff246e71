//! Folio's domain: the types and rules of an apprenticeship e-portfolio, free of I/O.
//!
//! Values that reach this crate have been parsed: a [`EmailAddress`] or a [`PersonName`]
//! cannot exist in an invalid state, so code past the edge never re-checks them.

pub mod access;
pub mod curriculum;
pub mod documents;
pub mod enrolment;
pub mod gateway;
pub mod identity;
pub mod ilr;
pub mod iqa;
pub mod jobs;
pub mod learning_plan;
pub mod login_throttle;
pub mod messages;
pub mod off_the_job;
pub mod progress;
pub mod reviews;
pub mod settings;
pub mod standards;
pub mod tenant;
mod text;
pub mod time_log;

pub use access::{AuditPurpose, AuditReach, EnrolmentScope, Permission, may_manage_enrolment};
pub use curriculum::{
    ComponentTitle, CourseDescription, CourseTitle, CriterionText, CurriculumCode, OffTheJobHours,
    OptionalGroup, Position, UnitKind, UnitTitle,
};
pub use enrolment::{
    BreakReason, EnrolmentStatus, StatusChange, TransitionError, check_transition,
};
pub use identity::{EmailAddress, Password, PersonName, Role, TokenName};
pub use login_throttle::{LoginThrottle, ThrottleState};
pub use settings::{TenantSettings, TrackBasis, TrackRule};
pub use tenant::{OrganisationName, TenantId, TenantName, TenantSlug};
pub use text::{InvalidValue, OptionalText};
