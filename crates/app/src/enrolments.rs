//! Enrolments: learners on courses, the people around them, their status and chosen units.
//!
//! Who may do what, once: admins enrol learners and change the people around them
//! (`Permission::ManageEnrolments`); whoever manages an enrolment (an admin, or its own
//! assessor) changes its status, its revised end date and its optional units, under the
//! enrolment's lock (403 for those who can see it but not manage it); everyone reads the
//! enrolments they can see (404 for any other, exactly as for an id that does not exist).

use chrono::NaiveDate;
pub use folio_db::enrolments::BreakRecord;
use folio_db::enrolments::{
    self as queries, Enrolment, NewBreak, NewEnrolment, PeopleChanges, Return,
};
use folio_db::users;
use folio_domain::enrolment::revised_end_on_return;
use folio_domain::ilr::{check_learner_ref, check_uln, withdraw_reason};
use folio_domain::{
    BreakReason, EmailAddress, EnrolmentStatus, Permission, Role, StatusChange, TransitionError,
    check_transition,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use uuid::Uuid;

pub use folio_db::enrolments::EnrolmentFilter;

use crate::paging::{decode_name_cursor, next_name_cursor, page_limit};
use crate::{Error, FieldError, Fields, Result, UnitOfWork, checked};

/// An enrolment as people see it.
#[derive(Debug, Clone)]
pub struct EnrolmentView {
    /// The stored enrolment.
    pub enrolment: Enrolment,
    /// Its status.
    pub status: EnrolmentStatus,
}

impl EnrolmentView {
    /// The enrolment with its status read; an unknown stored status is an internal error.
    pub fn new(enrolment: Enrolment) -> Result<Self> {
        let status = enrolment.status().ok_or_else(|| {
            Error::Internal(format!("unknown enrolment status `{}`", enrolment.status))
        })?;
        Ok(Self { enrolment, status })
    }
}

/// A page of enrolments ordered by learner name.
#[derive(Debug)]
pub struct EnrolmentPage {
    /// Enrolments.
    pub items: Vec<EnrolmentView>,
    /// The cursor of the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// A learner to enrol.
#[derive(Debug, Clone)]
pub struct Enrolling {
    /// A person with the learner role, by id; or
    pub learner_id: Option<Uuid>,
    /// by e-mail address (exactly one of the two).
    pub learner_email: Option<String>,
    /// The course.
    pub course_id: Uuid,
    /// First day of learning.
    pub start_date: NaiveDate,
    /// Planned end date (after the start; fixed once set).
    pub planned_end_date: NaiveDate,
    /// A person with the assessor role.
    pub assessor_id: Option<Uuid>,
    /// A person with the IQA role.
    pub iqa_id: Option<Uuid>,
    /// Employer organisation.
    pub employer_id: Option<Uuid>,
    /// A person with the employer role: the learner's manager.
    pub manager_id: Option<Uuid>,
    /// Contracted hours a week (more than 0, at most 168, two decimals).
    pub contracted_hours_per_week: f64,
    /// Planned off-the-job hours (0 to 10,000, two decimals; fixed once set).
    pub planned_otj_hours: f64,
    /// Recognised prior learning: the off-the-job hours it takes off the minimum (0 to
    /// 10,000, two decimals; default none), fixed with the plan.
    pub rpl_otj_hours: Option<f64>,
    /// Recognised prior learning: the weeks of duration it took off (0 to 260).
    pub rpl_duration_weeks: Option<i64>,
    /// Why: needed when prior learning takes anything off.
    pub rpl_reason: Option<String>,
    /// The learner's unique learner number (ILR ULN; its check digit is checked).
    pub uln: Option<String>,
    /// The provider's learner reference number (ILR LearnRefNumber).
    pub learner_ref: Option<String>,
}

/// Changes to the people around a learner: `None` leaves a field as it is, `Some(None)`
/// clears it.
#[derive(Debug, Clone, Default)]
pub struct PeopleChange {
    /// Assessor.
    pub assessor_id: Option<Option<Uuid>>,
    /// IQA.
    pub iqa_id: Option<Option<Uuid>>,
    /// Employer organisation.
    pub employer_id: Option<Option<Uuid>>,
    /// Manager.
    pub manager_id: Option<Option<Uuid>>,
    /// Contracted hours a week.
    pub contracted_hours_per_week: Option<f64>,
    /// Progress reviews at least every so many weeks (1–52), as agreed with the employer;
    /// `Some(None)` returns to the funding rule of the start date.
    pub agreed_review_weeks: Option<Option<i64>>,
    /// Unique learner number; `Some(None)` clears it.
    pub uln: Option<Option<String>>,
    /// Learner reference number; `Some(None)` clears it.
    pub learner_ref: Option<Option<String>>,
}

/// A change of status.
#[derive(Debug, Clone)]
pub struct StatusRequest {
    /// The status to move to.
    pub status: EnrolmentStatus,
    /// The day it took effect (for completion, the actual end / gateway date).
    pub on: NaiveDate,
    /// Why: required for a withdrawal.
    pub reason: Option<String>,
    /// Why a break begins: required to start one.
    pub break_reason: Option<BreakReason>,
    /// The expected first day back agreed for a break: required to start one.
    pub expected_return_on: Option<NaiveDate>,
    /// The ILR withdrawal reason code: required to withdraw.
    pub withdrawal_reason_code: Option<i64>,
}

/// Hours as exact decimals with at most two places, within `max`.
fn hours(
    fields: &mut Fields,
    field: &str,
    value: f64,
    allow_zero: bool,
    max: f64,
) -> Option<Decimal> {
    // Judged after rounding to the two places stored: 0.001 hours is 0.00, not "more than 0".
    let decimal = Decimal::from_f64(value)
        .map(|d| d.round_dp(2))
        .filter(|_| value.is_finite());
    let in_range = decimal.is_some_and(|d| {
        d <= Decimal::from_f64(max).unwrap_or(Decimal::MAX)
            && (d > Decimal::ZERO || (allow_zero && d == Decimal::ZERO))
    });
    let low = if allow_zero { "0" } else { "more than 0" };
    fields.require(field, in_range, &format!("must be {low} and at most {max}"));
    decimal.filter(|_| in_range)
}

/// Checks that a manager works for the learner's employer: a manager sees the learner's
/// whole portfolio, so an organisation's manager must not be put on another's employee.
async fn check_manager(
    uow: &mut UnitOfWork,
    fields: &mut Fields,
    manager_id: Option<Uuid>,
    employer_id: Option<Uuid>,
) -> Result<()> {
    if let Some(manager) = manager_id {
        let works_for = folio_db::users::employer_of(&mut uow.tx, manager).await?;
        if employer_id.is_none() || works_for != employer_id {
            fields.add(
                "manager_id",
                "must work for the learner's employer (choose their organisation as the employer)",
            );
        }
    }
    Ok(())
}

/// Checks that each named person is active and holds the role their place needs.
async fn check_people(
    uow: &mut UnitOfWork,
    fields: &mut Fields,
    people: [(&str, Option<Uuid>, Role); 4],
) -> Result<()> {
    for (field, id, role) in people {
        if let Some(id) = id
            && !queries::is_active_with_role(&mut uow.tx, id, role).await?
        {
            fields.require(
                field,
                false,
                &format!("must be an active person with the {role} role"),
            );
        }
    }
    Ok(())
}

/// The learner to enrol, given by id or by e-mail address (exactly one), with the field
/// that named them (for errors about them); none, with the error noted, when they cannot
/// be found. An address nobody in the organisation has is an error on `learner_email`.
async fn learner(
    uow: &mut UnitOfWork,
    fields: &mut Fields,
    id: Option<Uuid>,
    email: Option<&str>,
) -> Result<(&'static str, Option<Uuid>)> {
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    match (id, email) {
        (Some(id), None) => Ok(("learner_id", Some(id))),
        (None, Some(email)) => {
            let Some(address) = fields.check("learner_email", EmailAddress::parse(email)) else {
                return Ok(("learner_email", None));
            };
            let found = users::find_id_by_email(&mut uow.tx, &address).await?;
            if found.is_none() {
                fields.add(
                    "learner_email",
                    "is not the address of anyone in your organisation",
                );
            }
            Ok(("learner_email", found))
        }
        (None, None) => {
            fields.add("learner_email", "is needed: whose e-mail address to enrol");
            Ok(("learner_email", None))
        }
        (Some(_), Some(_)) => {
            fields.add(
                "learner_email",
                "cannot be given with learner_id: name the learner one way",
            );
            Ok(("learner_email", None))
        }
    }
}

/// A ULN and a learner reference as given (blank is none), each checked as the ILR
/// defines it.
fn ilr_ids(
    fields: &mut Fields,
    uln: Option<&str>,
    learner_ref: Option<&str>,
) -> (Option<String>, Option<String>) {
    let uln = uln.map(str::trim).filter(|u| !u.is_empty());
    if let Some(Err(e)) = uln.map(check_uln) {
        fields.add("uln", e);
    }
    let reference = learner_ref.map(str::trim).filter(|r| !r.is_empty());
    if let Some(Err(e)) = reference.map(check_learner_ref) {
        fields.add("learner_ref", e);
    }
    (uln.map(str::to_owned), reference.map(str::to_owned))
}

/// The enrolment as it now is, for the answer to a change.
async fn reread(uow: &mut UnitOfWork, id: Uuid) -> Result<EnrolmentView> {
    EnrolmentView::new(uow.visible_enrolment(id).await?.into_inner())
}

/// Enrols a learner on a course (admins).
pub async fn enrol(uow: &mut UnitOfWork, input: Enrolling) -> Result<EnrolmentView> {
    uow.principal.require(Permission::ManageEnrolments)?;
    let mut fields = Fields::default();
    fields.require(
        "planned_end_date",
        input.planned_end_date > input.start_date,
        "must be after the start date",
    );
    fields.date("start_date", input.start_date);
    fields.date("planned_end_date", input.planned_end_date);
    check_manager(uow, &mut fields, input.manager_id, input.employer_id).await?;
    let contracted = hours(
        &mut fields,
        "contracted_hours_per_week",
        input.contracted_hours_per_week,
        false,
        168.0,
    );
    let planned = hours(
        &mut fields,
        "planned_otj_hours",
        input.planned_otj_hours,
        true,
        10_000.0,
    );
    let rpl_hours = hours(
        &mut fields,
        "rpl_otj_hours",
        input.rpl_otj_hours.unwrap_or(0.0),
        true,
        10_000.0,
    );
    let rpl_weeks = input.rpl_duration_weeks.unwrap_or(0);
    fields.require(
        "rpl_duration_weeks",
        (0..=260).contains(&rpl_weeks),
        "must be a whole number of weeks from 0 to 260",
    );
    let rpl_reason = input
        .rpl_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let (uln, learner_ref) = ilr_ids(
        &mut fields,
        input.uln.as_deref(),
        input.learner_ref.as_deref(),
    );
    let takes_off = input.rpl_otj_hours.unwrap_or(0.0) > 0.0 || rpl_weeks > 0;
    fields.require(
        "rpl_reason",
        !takes_off || rpl_reason.is_some(),
        "is needed when prior learning takes hours or weeks off: what was recognised",
    );
    fields.require(
        "rpl_reason",
        rpl_reason.as_deref().is_none_or(|r| {
            r.chars().count() <= 1000 && !r.chars().any(|c| c.is_control() && c != '\n')
        }),
        "must be at most 1000 characters of text",
    );
    let (learner_field, learner_id) = learner(
        uow,
        &mut fields,
        input.learner_id,
        input.learner_email.as_deref(),
    )
    .await?;
    check_people(
        uow,
        &mut fields,
        [
            (learner_field, learner_id, Role::Learner),
            ("assessor_id", input.assessor_id, Role::Assessor),
            ("iqa_id", input.iqa_id, Role::Iqa),
            ("manager_id", input.manager_id, Role::Employer),
        ],
    )
    .await?;
    fields.finish()?;
    let learner_id = learner_id.ok_or_else(|| Error::Internal("no learner after checks".into()))?;
    let contracted_hours_per_week = checked(contracted)?;
    let planned_otj_hours = checked(planned)?;
    let rpl_otj_hours = checked(rpl_hours)?;
    let id = Uuid::now_v7();
    queries::insert(
        &mut uow.tx,
        &NewEnrolment {
            id,
            learner_id,
            course_id: input.course_id,
            start_date: input.start_date,
            planned_end_date: input.planned_end_date,
            assessor_id: input.assessor_id,
            iqa_id: input.iqa_id,
            employer_id: input.employer_id,
            manager_id: input.manager_id,
            contracted_hours_per_week,
            planned_otj_hours,
            rpl_otj_hours,
            rpl_duration_weeks: i32::try_from(rpl_weeks).unwrap_or(0),
            rpl_reason: if takes_off { rpl_reason } else { None },
            uln,
            learner_ref,
        },
    )
    .await?;
    let details = serde_json::json!({ "learner_id": learner_id, "course_id": input.course_id });
    uow.audit("enrolment.create", "enrolment", id, details)
        .await?;
    reread(uow, id).await
}

/// The enrolments the caller may see, by learner name, a page at a time: all for admins
/// and auditors, their caseload for assessors, their assigned learners for IQAs, their
/// organisation's employees for employers, their own for learners.
pub async fn list(
    uow: &mut UnitOfWork,
    filter: &EnrolmentFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<EnrolmentPage> {
    let after = decode_name_cursor(cursor)?;
    let limit = page_limit(limit)?;
    let viewer = uow.principal.viewer();
    let page = queries::list_visible(&mut uow.tx, &viewer, filter, after.as_ref(), limit).await?;
    let next_cursor = next_name_cursor(&page, |e| (&e.learner_name, e.id));
    let items = page
        .items
        .into_iter()
        .map(EnrolmentView::new)
        .collect::<Result<_>>()?;
    Ok(EnrolmentPage { items, next_cursor })
}

/// One enrolment the caller may see.
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<EnrolmentView> {
    reread(uow, id).await
}

/// Changes the assessor, IQA, employer, manager, contracted hours or the review frequency
/// agreed with the employer (admins).
pub async fn change_people(
    uow: &mut UnitOfWork,
    id: Uuid,
    change: PeopleChange,
) -> Result<EnrolmentView> {
    uow.principal.require(Permission::ManageEnrolments)?;
    let changes = PeopleChanges {
        assessor_id: change.assessor_id,
        iqa_id: change.iqa_id,
        employer_id: change.employer_id,
        manager_id: change.manager_id,
        contracted_hours_per_week: None,
        agreed_review_weeks: None,
        uln: None,
        learner_ref: None,
    };
    uow.lock_enrolment(id).await?;
    let current = uow.visible_enrolment(id).await?;
    let mut fields = Fields::default();
    let contracted = change
        .contracted_hours_per_week
        .map(|h| hours(&mut fields, "contracted_hours_per_week", h, false, 168.0));
    let allowed = folio_domain::reviews::agreement_allowed(current.start_date);
    let agreed = change.agreed_review_weeks.map(|weeks| {
        weeks.and_then(|w| {
            fields.require(
                "agreed_review_weeks",
                allowed,
                "applies only to starts from 1 August 2025; earlier starts are reviewed at \
                 least every 12 weeks",
            );
            let in_range = (1..=52).contains(&w);
            fields.require(
                "agreed_review_weeks",
                in_range,
                "must be a whole number of weeks from 1 to 52",
            );
            i16::try_from(w).ok().filter(|_| in_range && allowed)
        })
    });
    check_manager(
        uow,
        &mut fields,
        changes.manager_id.unwrap_or(current.manager_id),
        changes.employer_id.unwrap_or(current.employer_id),
    )
    .await?;
    check_people(
        uow,
        &mut fields,
        [
            ("assessor_id", changes.assessor_id.flatten(), Role::Assessor),
            ("iqa_id", changes.iqa_id.flatten(), Role::Iqa),
            ("manager_id", changes.manager_id.flatten(), Role::Employer),
            ("learner_id", None, Role::Learner),
        ],
    )
    .await?;
    let uln = change
        .uln
        .map(|u| ilr_ids(&mut fields, u.as_deref(), None).0);
    let learner_ref = change
        .learner_ref
        .map(|r| ilr_ids(&mut fields, None, r.as_deref()).1);
    fields.finish()?;
    let changes = PeopleChanges {
        contracted_hours_per_week: contracted.flatten(),
        agreed_review_weeks: agreed,
        uln,
        learner_ref,
        ..changes
    };
    queries::update_people(&mut uow.tx, id, &changes).await?;
    let changed: Vec<&str> = [
        ("assessor_id", changes.assessor_id.is_some()),
        ("iqa_id", changes.iqa_id.is_some()),
        ("employer_id", changes.employer_id.is_some()),
        ("manager_id", changes.manager_id.is_some()),
        (
            "contracted_hours_per_week",
            changes.contracted_hours_per_week.is_some(),
        ),
        ("agreed_review_weeks", changes.agreed_review_weeks.is_some()),
        ("uln", changes.uln.is_some()),
        ("learner_ref", changes.learner_ref.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect();
    uow.audit(
        "enrolment.update",
        "enrolment",
        id,
        serde_json::json!({ "fields": changed }),
    )
    .await?;
    reread(uow, id).await
}

/// Changes the status: start learning, start or end a break, withdraw, complete (admins
/// and the learner's assessor). Only the transitions the funding rules allow succeed.
pub async fn change_status(
    uow: &mut UnitOfWork,
    id: Uuid,
    request: StatusRequest,
) -> Result<EnrolmentView> {
    // Read under the row lock: concurrent changes to one enrolment queue up and each
    // checks its transition against the state the previous one left.
    let enrolment = uow.managed_enrolment(id).await?;
    let mut dates = Fields::default();
    dates.date("on", request.on);
    if let Some(back) = request.expected_return_on {
        dates.date("expected_return_on", back);
    }
    dates.finish()?;
    let current = enrolment
        .status()
        .ok_or_else(|| Error::Internal("unknown status".into()))?;
    // A withdrawal's words default to its ILR reason's.
    let code_words = request
        .withdrawal_reason_code
        .and_then(|c| i16::try_from(c).ok())
        .and_then(withdraw_reason)
        .unwrap_or_default();
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(code_words)
        .to_owned();
    let on = request.on;
    let change = match request.status {
        EnrolmentStatus::InLearning if current == EnrolmentStatus::BreakInLearning => {
            StatusChange::Resume { on }
        }
        EnrolmentStatus::InLearning => StatusChange::StartLearning { on },
        // A missing reason or return is reported once the transition itself is known to
        // be allowed (below); until then stand-ins that pass the transition's own checks.
        EnrolmentStatus::BreakInLearning => StatusChange::StartBreak {
            on,
            reason: request.break_reason.unwrap_or(BreakReason::Other),
            expected_return: request
                .expected_return_on
                .unwrap_or_else(|| on.succ_opt().unwrap_or(on)),
        },
        EnrolmentStatus::Withdrawn => StatusChange::Withdraw {
            on,
            reason: reason.clone(),
        },
        EnrolmentStatus::Completed => StatusChange::Complete { on },
        EnrolmentStatus::AwaitingInduction => {
            return Err(Error::invalid(
                "status",
                "an enrolment cannot go back to awaiting induction",
            ));
        }
    };
    if reason.chars().count() > 1000 || reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(
            "reason",
            "must be at most 1000 characters of text",
        ));
    }
    let next = check_transition(
        current,
        enrolment.start_date,
        enrolment.break_started_on,
        enrolment.last_break_ended_on(),
        &change,
    )
    .map_err(|e| {
        let field = match e {
            TransitionError::NotAllowed { .. } => "status",
            TransitionError::TooEarly { .. } => "on",
            // The words default to the ILR reason's: with neither, the code is what is
            // missing.
            TransitionError::MissingReason => "withdrawal_reason_code",
            TransitionError::ReturnNotAfterStart { .. } => "expected_return_on",
        };
        Error::Validation(vec![FieldError::new(field, e)])
    })?;
    if next == EnrolmentStatus::BreakInLearning {
        let mut needed = Fields::default();
        needed.require(
            "break_reason",
            request.break_reason.is_some(),
            "is needed to start a break in learning",
        );
        needed.require(
            "expected_return_on",
            request.expected_return_on.is_some(),
            "is needed to start a break in learning: the first day back agreed with the \
             learner and employer",
        );
        needed.finish()?;
    }
    let withdrawal = match &change {
        StatusChange::Withdraw { .. } => {
            let code = request
                .withdrawal_reason_code
                .and_then(|c| i16::try_from(c).ok())
                .filter(|c| withdraw_reason(*c).is_some());
            let Some(code) = code else {
                return Err(Error::invalid(
                    "withdrawal_reason_code",
                    "must be one of the ILR's withdrawal reasons (e.g. 44 other personal \
                     reasons, 3 injury or illness, 29 made redundant, 97 other)",
                ));
            };
            Some((reason.as_str(), code))
        }
        _ => None,
    };
    let new_break = match &change {
        StatusChange::StartBreak {
            reason,
            expected_return,
            ..
        } => Some(NewBreak {
            reason: reason.as_str(),
            expected_return_on: *expected_return,
        }),
        _ => None,
    };
    let moved = match (&change, enrolment.break_started_on) {
        (StatusChange::Resume { on }, Some(from)) => Some((
            from,
            enrolment.revised_end_date,
            revised_end_on_return(
                enrolment.planned_end_date,
                enrolment.revised_end_date,
                from,
                *on,
            ),
        )),
        _ => None,
    };
    let moved_reason = moved.map(|(from, _, _)| {
        format!(
            "moved by {} days for the break in learning from {from} (back on {on})",
            (on - from).num_days()
        )
    });
    let returned = moved
        .zip(moved_reason.as_deref())
        .map(|((_, before, after), reason)| Return {
            reason,
            revised_end_before: before,
            revised_end_after: after,
        });
    queries::apply_status(&mut uow.tx, id, next, on, withdrawal, new_break, returned).await?;
    let details = serde_json::json!({
        "from": current.as_str(), "to": next.as_str(), "on": on,
        "break_reason": new_break.map(|b| b.reason),
        "expected_return_on": new_break.map(|b| b.expected_return_on),
        "revised_end_date": returned.map(|r| r.revised_end_after),
    });
    uow.audit("enrolment.status", "enrolment", id, details)
        .await?;
    reread(uow, id).await
}

/// The breaks in learning of an enrolment the caller may see, oldest first: the history
/// the funding rules ask to keep (start, reason, agreed return, actual return, and the
/// revised end date each return moved).
pub async fn breaks(uow: &mut UnitOfWork, id: Uuid) -> Result<Vec<queries::BreakRecord>> {
    let enrolment = uow.visible_enrolment(id).await?;
    Ok(queries::breaks(&mut uow.tx, enrolment.id).await?)
}

/// Records a revised end date beside the fixed planned one (admins and the learner's
/// assessor).
pub async fn revise_end_date(
    uow: &mut UnitOfWork,
    id: Uuid,
    revised_end_date: NaiveDate,
    reason: &str,
) -> Result<EnrolmentView> {
    let enrolment = uow.managed_enrolment(id).await?;
    let reason = reason.trim();
    let mut fields = Fields::default();
    fields.date("revised_end_date", revised_end_date);
    fields.require(
        "revised_end_date",
        revised_end_date > enrolment.start_date,
        "must be after the start date",
    );
    fields.require(
        "reason",
        !reason.is_empty()
            && reason.chars().count() <= 1000
            && !reason.chars().any(|c| c.is_control() && c != '\n'),
        "must be 1 to 1000 characters of text",
    );
    fields.finish()?;
    queries::revise_end_date(&mut uow.tx, id, revised_end_date, reason).await?;
    let details = serde_json::json!({ "revised_end_date": revised_end_date });
    uow.audit("enrolment.revise_end_date", "enrolment", id, details)
        .await?;
    reread(uow, id).await
}

/// Chooses the learner's optional units (admins and the learner's assessor), replacing the
/// current choice. Every id must be an optional unit of the learner's course.
pub async fn choose_optional_units(
    uow: &mut UnitOfWork,
    id: Uuid,
    mut unit_ids: Vec<Uuid>,
) -> Result<EnrolmentView> {
    let enrolment = uow.managed_enrolment(id).await?;
    if unit_ids.len() > 500 {
        return Err(Error::invalid("unit_ids", "must list at most 500 units"));
    }
    let wrong = queries::not_optional_units_of(&mut uow.tx, enrolment.course_id, &unit_ids).await?;
    if !wrong.is_empty() {
        let errors = unit_ids
            .iter()
            .enumerate()
            .filter(|(_, u)| wrong.contains(u))
            .map(|(i, _)| {
                FieldError::new(
                    format!("unit_ids[{i}]"),
                    "is not an optional unit of this course",
                )
            })
            .collect();
        return Err(Error::Validation(errors));
    }
    unit_ids.sort();
    unit_ids.dedup();
    queries::set_optional_units(&mut uow.tx, id, &unit_ids).await?;
    uow.audit(
        "enrolment.optional_units",
        "enrolment",
        id,
        serde_json::json!({ "unit_ids": unit_ids }),
    )
    .await?;
    reread(uow, id).await
}
