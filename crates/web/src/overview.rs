//! A portfolio's overview page (`/app/enrolments/{id}`): the header, the progress bars, the
//! learning plan (sessions and actions), the documents and, for staff, the internal
//! comments; for admins also the people who can be put around the learner. Everything is
//! read through the use cases in one unit of work and rendered from a typed view. A
//! section the viewer may not see (the use case says 403 or 404) is left out, exactly as
//! the API refuses it to them.

use chrono::{DateTime, NaiveDate, Utc};
use folio_app::comments;
use folio_app::documents::{self, DocumentView};
use folio_app::enrolments;
use folio_app::evidence;
use folio_app::learning_plan::{self, ActionView, SessionView};
use folio_app::messages;
use folio_app::profile;
use folio_app::progress::{self, ComponentBars, Overview};
use folio_app::routes;
use folio_app::time_log;
use folio_app::users::{self, ListQuery, Status};
use folio_app::{Error as AppError, UnitOfWork};
use folio_domain::Role;
use folio_domain::learning_plan::ActionStatus;
use folio_domain::off_the_job::{Hours, OtjTrendPoint};
use folio_domain::progress::ProgressBars;
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;
use uuid::Uuid;

use super::charts::{self, Chart, Line, Marker, Unit};
use super::portfolio::OverviewView;
use super::{Flash, PageResult, Web, path_id};

/// Progress bars, as drawn.
#[derive(Debug, Serialize)]
struct BarsView {
    criteria: u32,
    criteria_signed_off: u32,
    signed_off_percent: f64,
    mapped_percent: f64,
    time_elapsed_percent: f64,
    /// Past the planned end: the time bar is drawn red.
    past_end: bool,
    projected_completion_date: Option<NaiveDate>,
    /// `on_track`, `off_track`, `ahead` or `not_applicable`.
    track_status: &'static str,
}

impl From<&ProgressBars> for BarsView {
    fn from(b: &ProgressBars) -> Self {
        let shown = b.shown();
        Self {
            criteria: shown.criteria,
            criteria_signed_off: shown.signed_off,
            signed_off_percent: shown.signed_off_percent,
            mapped_percent: shown.mapped_percent,
            time_elapsed_percent: b.elapsed_shown(),
            past_end: b.elapsed.past_end,
            projected_completion_date: b.projected_completion,
            track_status: b.track.as_str(),
        }
    }
}

/// A component's bars.
#[derive(Debug, Serialize)]
struct ComponentView {
    title: String,
    #[serde(flatten)]
    bars: BarsView,
}

impl From<&ComponentBars> for ComponentView {
    fn from(c: &ComponentBars) -> Self {
        Self {
            title: c.title.clone(),
            bars: BarsView::from(&c.bars),
        }
    }
}

/// The progress section.
#[derive(Debug, Serialize)]
struct ProgressView {
    overall: BarsView,
    components: Vec<ComponentView>,
}

/// A session of the learning plan.
#[derive(Debug, Serialize)]
struct SessionRow {
    id: Uuid,
    link: String,
    session_type: &'static str,
    face_to_face: bool,
    planning_notes: Option<String>,
    feedback: Option<String>,
    starts_at: DateTime<Utc>,
    duration_minutes: i32,
    outcome: Option<&'static str>,
    /// Over and never closed.
    unclosed: bool,
    /// Actions set at this session.
    actions: u32,
    /// Of which not complete yet: the guide's red marker (green when none).
    open_actions: u32,
}

impl From<SessionView> for SessionRow {
    fn from(v: SessionView) -> Self {
        let s = v.session;
        Self {
            link: routes::session(s.id),
            id: s.id,
            session_type: v.session_type.as_str(),
            face_to_face: s.face_to_face,
            planning_notes: s.planning_notes,
            feedback: s.feedback,
            starts_at: s.starts_at,
            duration_minutes: s.duration_minutes,
            outcome: v.outcome.map(|o| o.as_str()),
            unclosed: v.unclosed,
            actions: 0,
            open_actions: 0,
        }
    }
}

/// The sessions section.
#[derive(Debug, Serialize)]
struct SessionsView {
    items: Vec<SessionRow>,
    next_session: Option<SessionRow>,
}

/// An action.
#[derive(Debug, Serialize)]
struct ActionRow {
    id: Uuid,
    link: String,
    title: String,
    description: Option<String>,
    target_date: NaiveDate,
    /// `outstanding`, `in_progress` or `complete`.
    status: &'static str,
    overdue: bool,
    learner_feedback: Option<String>,
    time_spent_minutes: Option<i32>,
    /// The session it was set at, if any.
    session: Option<SessionRef>,
}

/// The session an action belongs to, as linked from it.
#[derive(Debug, Serialize)]
struct SessionRef {
    link: String,
    session_type: &'static str,
    starts_at: DateTime<Utc>,
}

/// An action as listed, counted against its session's marker.
fn action_row(enrolment: Uuid, v: ActionView, sessions: Option<&mut SessionsView>) -> ActionRow {
    let ActionView {
        action,
        status,
        overdue,
    } = v;
    let session = action.session_id.and_then(|sid| {
        let row = sessions?.items.iter_mut().find(|s| s.id == sid)?;
        row.actions += 1;
        if status != ActionStatus::Complete {
            row.open_actions += 1;
        }
        Some(SessionRef {
            link: row.link.clone(),
            session_type: row.session_type,
            starts_at: row.starts_at,
        })
    });
    ActionRow {
        link: routes::action(enrolment, action.id),
        id: action.id,
        title: action.title,
        description: action.description,
        target_date: action.target_date,
        status: status.as_str(),
        overdue,
        learner_feedback: action.learner_feedback,
        time_spent_minutes: action.time_spent_minutes,
        session,
    }
}

/// The actions section.
#[derive(Debug, Serialize)]
struct ActionsView {
    items: Vec<ActionRow>,
    outstanding: u32,
    overdue: u32,
}

/// Whether a role has signed a document.
#[derive(Debug, Serialize)]
struct SignatureRow {
    role: &'static str,
    signed: bool,
}

/// A document sent to be signed.
#[derive(Debug, Serialize)]
struct DocumentRow {
    title: String,
    /// Its file (through the API, as an attachment).
    download: String,
    fully_signed: bool,
    withdrawn: bool,
    signatures: Vec<SignatureRow>,
}

impl From<DocumentView> for DocumentRow {
    fn from(d: DocumentView) -> Self {
        Self {
            withdrawn: d.withdrawn(),
            download: format!("/api/v1/documents/{}/file", d.document.id),
            title: d.document.title,
            fully_signed: d.fully_signed,
            signatures: d
                .signatures
                .into_iter()
                .map(|s| SignatureRow {
                    role: s.role.as_str(),
                    signed: s.signature.is_some(),
                })
                .collect(),
        }
    }
}

/// The documents section.
#[derive(Debug, Serialize)]
struct DocumentsView {
    items: Vec<DocumentRow>,
}

/// An internal comment.
#[derive(Debug, Serialize)]
struct CommentRow {
    text: String,
    author_name: String,
    created_at: DateTime<Utc>,
}

/// The internal comments (staff only).
#[derive(Debug, Serialize)]
struct CommentsView {
    items: Vec<CommentRow>,
    /// The viewer may add one (not an auditor, who reads).
    may_write: bool,
}

/// A person who can be chosen.
#[derive(Debug, Serialize)]
struct Choice {
    id: Uuid,
    name: String,
}

/// Who is around the learner now, and who could be (admins).
#[derive(Debug, Serialize)]
struct PeopleView {
    assessor_id: Option<Uuid>,
    iqa_id: Option<Uuid>,
    manager_id: Option<Uuid>,
    assessors: Vec<Choice>,
    iqas: Vec<Choice>,
    managers: Vec<Choice>,
}

/// The overview page.
#[derive(Debug, Serialize)]
struct OverviewPage {
    /// The enrolment.
    id: Uuid,
    /// Progress over time, from the nightly figures; none before the first night.
    history: Option<Chart>,
    overview: OverviewView,
    progress: ProgressView,
    sessions: Option<SessionsView>,
    actions: Option<ActionsView>,
    documents: Option<DocumentsView>,
    comments: Option<CommentsView>,
    people: Option<PeopleView>,
    /// The learner's photo, when they have one the viewer may see.
    photo: Option<String>,
    /// Where the viewer's documents to sign are listed.
    documents_link: String,
    /// How many of this learner's documents wait for the viewer's own signature (not
    /// those waiting only for someone else's).
    to_sign: usize,
    /// Whom the viewer may write a message to about this learner: `assessor`, `iqa` or
    /// `learner`.
    write_to: Vec<&'static str>,
    /// How many pieces of evidence were returned for changes, and where they are.
    returned_evidence: u32,
    evidence_link: String,
    /// The official return's withdrawal reasons, for the status form.
    withdraw_reasons: Vec<WithdrawReasonChoice>,
    /// The off-the-job figures, for those who may see the time log.
    otj: Option<OtjSummary>,
    /// Its breaks in learning, oldest first.
    breaks: Vec<BreakRow>,
    /// Where the time log (and how the figures are worked out) is.
    time_log_link: String,
    /// The viewer manages this enrolment (its assessor, or an admin), so is offered the
    /// changes staff make; an IQA or auditor reads.
    may_manage: bool,
}

/// The off-the-job figures in brief.
#[derive(Debug, Serialize)]
struct OtjSummary {
    actual_hours: f64,
    expected_to_date_hours: f64,
    planned_hours: f64,
    required_minimum_hours: Option<f64>,
    behind_expected: bool,
    rule_text: &'static str,
    /// The same over time.
    chart: Option<Chart>,
}

/// A break in learning as the page lists it.
#[derive(Debug, Serialize)]
struct BreakRow {
    started_on: chrono::NaiveDate,
    reason: Option<&'static str>,
    expected_return_on: Option<chrono::NaiveDate>,
    ended_on: Option<chrono::NaiveDate>,
    revised_end_after: Option<chrono::NaiveDate>,
}

/// A withdrawal reason to choose: the ILR's code and its words.
#[derive(Debug, Serialize)]
struct WithdrawReasonChoice {
    code: i16,
    words: &'static str,
}

/// A section the viewer may not see (refused or hidden from them: the enrolment itself is
/// already known to be visible) is `None`; any other refusal stands.
fn if_allowed<T>(read: Result<T, AppError>) -> Result<Option<T>, AppError> {
    match read {
        Ok(t) => Ok(Some(t)),
        Err(AppError::Forbidden | AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every active person with `role`, by name, all pages.
async fn everyone(uow: &mut UnitOfWork, role: Role) -> Result<Vec<Choice>, AppError> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = ListQuery::parse(
            None,
            Some(role),
            Some(Status::Active),
            cursor.as_deref(),
            Some(200),
        )?;
        let page = users::list(uow, &query).await?;
        all.extend(page.items.into_iter().map(|p| Choice {
            id: p.user.id,
            name: p.user.name,
        }));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

/// What the page reads, in one unit of work.
async fn read(
    uow: &mut UnitOfWork,
    id: Uuid,
    staff: bool,
    admin: bool,
) -> Result<OverviewPage, AppError> {
    let progress = progress::progress(uow, id).await?;
    let enrolment = progress.enrolment.clone();
    let overview = OverviewView::from(Overview {
        reads_iqa_samples: folio_app::iqa::reads_samples(&uow.principal, &progress.enrolment),
        enrolment: progress.enrolment.clone(),
        bars: progress.overall,
    });
    let mut sessions = if_allowed(learning_plan::sessions(uow, id).await)?.map(|s| SessionsView {
        items: s.items.into_iter().map(SessionRow::from).collect(),
        next_session: s.next_session.map(SessionRow::from),
    });
    let actions = if_allowed(learning_plan::actions(uow, id, None).await)?.map(|a| ActionsView {
        outstanding: a.counts.outstanding,
        overdue: a.counts.overdue,
        items: a
            .items
            .into_iter()
            .map(|v| action_row(id, v, sessions.as_mut()))
            .collect(),
    });
    let documents = if_allowed(documents::list(uow, id, false).await)?.map(|d| DocumentsView {
        items: d.items.into_iter().map(DocumentRow::from).collect(),
    });
    let comments = if staff {
        let may_write = comments::may_write(uow, id).await?;
        if_allowed(comments::list(uow, id, None, None).await)?.map(|page| CommentsView {
            may_write,
            items: page
                .items
                .into_iter()
                .map(|c| CommentRow {
                    text: c.body,
                    author_name: c.author_name,
                    created_at: c.created_at,
                })
                .collect(),
        })
    } else {
        None
    };
    let people = if admin {
        Some(PeopleView {
            assessor_id: enrolment.assessor_id,
            iqa_id: enrolment.iqa_id,
            manager_id: enrolment.manager_id,
            assessors: everyone(uow, Role::Assessor).await?,
            iqas: everyone(uow, Role::Iqa).await?,
            managers: everyone(uow, Role::Employer).await?,
        })
    } else {
        None
    };
    // The learner's photo, when there is one and the viewer may see their profile.
    let learner = enrolment.learner_id;
    let photo = match profile::of(uow, learner).await {
        Ok(p) => p
            .has_photo()
            .then(|| format!("/api/v1/users/{learner}/profile/photo")),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let hours = |h: folio_domain::off_the_job::Hours| h.hundredths() as f64 / 100.0;
    let otj = if_allowed(time_log::off_the_job(uow, id).await)?.map(|o| OtjSummary {
        actual_hours: hours(o.figures.actual.hours),
        expected_to_date_hours: hours(o.figures.expected_to_date),
        planned_hours: hours(o.figures.planned),
        required_minimum_hours: o.figures.required.hours.map(hours),
        behind_expected: o.figures.behind_expected,
        rule_text: o.figures.rule.text(),
        chart: otj_chart(&o.trend),
    });
    let history = progress_chart(&progress::history(uow, id).await?);
    let breaks = enrolments::breaks(uow, id)
        .await?
        .into_iter()
        .map(|b| BreakRow {
            started_on: b.started_on,
            reason: b
                .reason
                .as_deref()
                .and_then(|r| r.parse::<folio_domain::BreakReason>().ok())
                .map(folio_domain::BreakReason::label),
            expected_return_on: b.expected_return_on,
            ended_on: b.ended_on,
            revised_end_after: b.revised_end_after,
        })
        .collect();
    let may_manage = uow.manages_enrolment(id).await?;
    let to_sign = documents::to_sign_on(uow, id).await?.len();
    let returned_evidence = evidence::returned_count(uow, id).await?;
    let write_to = messages::may_write_to(uow, id)
        .await?
        .into_iter()
        .map(|r| r.as_str())
        .collect();
    Ok(OverviewPage {
        history,
        write_to,
        to_sign,
        returned_evidence,
        evidence_link: routes::evidence_list(id),
        may_manage,
        otj,
        breaks,
        time_log_link: routes::time_log(id),
        withdraw_reasons: folio_domain::ilr::WITHDRAW_REASONS
            .iter()
            .map(|&(code, words)| WithdrawReasonChoice { code, words })
            .collect(),
        id,
        overview,
        progress: ProgressView {
            overall: BarsView::from(&progress.overall),
            components: progress
                .components
                .iter()
                .map(ComponentView::from)
                .collect(),
        },
        sessions,
        actions,
        documents,
        comments,
        people,
        photo,
        documents_link: routes::DOCUMENTS.pattern().to_owned(),
    })
}

/// `/app/enrolments/{id}`.
#[handler]
pub(super) async fn overview_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, page) = web
        .read_page(req, async |uow, viewer| {
            read(uow, path_id(&id)?, viewer.is_staff(), viewer.has("admin")).await
        })
        .await?;
    Ok(web.typed_page(&viewer, "enrolment", "Overview", &page, flash))
}

/// The learner's progress over time: signed off, with evidence and time elapsed each
/// night, as the nightly recalculation recorded them; none before its first night.
fn progress_chart(nights: &[progress::Night]) -> Option<Chart> {
    let last = nights.last()?;
    let line = |name, class, marker, value: fn(&progress::Night) -> f64| Line {
        name,
        class,
        marker,
        points: nights.iter().map(|n| (n.on, value(n))).collect(),
    };
    let pct = |v: f64| format!("{}%", charts::trim(v));
    let summary = format!(
        "On {}: signed off {}, with evidence {}, time elapsed {}.",
        last.on.format("%-d %B %Y"),
        pct(last.signed_off_percent),
        pct(last.mapped_percent),
        pct(last.elapsed_percent),
    );
    let svg = charts::line_chart(
        "progress-history",
        "Progress over time",
        &summary,
        Unit::Percent,
        &[
            line("Signed off", "s-signed", Marker::Circle, |n| {
                n.signed_off_percent
            }),
            line("With evidence", "s-mapped", Marker::Square, |n| {
                n.mapped_percent
            }),
            line("Time", "s-time", Marker::Triangle, |n| n.elapsed_percent),
        ],
    );
    Some(Chart {
        title: "Progress over time".into(),
        svg,
        note: Some(
            "As worked out each night: every night of the last three months, and the last \
             night of each month before. The bars above are as of now."
                .into(),
        ),
        head: vec![
            "Night",
            "Signed off",
            "With evidence",
            "Time elapsed",
            "Track",
        ],
        rows: nights
            .iter()
            .rev()
            .map(|n| {
                vec![
                    charts::day(n.on),
                    pct(n.signed_off_percent),
                    pct(n.mapped_percent),
                    pct(n.elapsed_percent),
                    super::render::human(n.track.as_str()),
                ]
            })
            .collect(),
    })
}

/// Off-the-job hours over time: what the plan expected, what the minimum asks at the same
/// pace, and what was logged, at each month's end.
fn otj_chart(trend: &[OtjTrendPoint]) -> Option<Chart> {
    let last = trend.last()?;
    let hours = |h: Hours| h.hundredths() as f64 / 100.0;
    let mut lines = vec![Line {
        name: "Planned",
        class: "s-time",
        marker: Marker::Triangle,
        points: trend.iter().map(|p| (p.on, hours(p.planned))).collect(),
    }];
    if trend.iter().all(|p| p.required.is_some()) {
        lines.push(Line {
            name: "Minimum",
            class: "s-required",
            marker: Marker::Square,
            points: trend
                .iter()
                .filter_map(|p| p.required.map(|r| (p.on, hours(r))))
                .collect(),
        });
    }
    lines.push(Line {
        name: "Actual",
        class: "s-signed",
        marker: Marker::Circle,
        points: trend.iter().map(|p| (p.on, hours(p.actual))).collect(),
    });
    let summary = format!(
        "By {}: {} hours logged that count, against {} planned by then{}.",
        last.on.format("%-d %B %Y"),
        last.actual,
        last.planned,
        last.required
            .map(|r| format!(" and {r} for the minimum at the same pace"))
            .unwrap_or_default(),
    );
    Some(Chart {
        title: "Off-the-job hours over time".into(),
        svg: charts::line_chart(
            "otj-history",
            "Off-the-job hours over time",
            &summary,
            Unit::Hours,
            &lines,
        ),
        note: Some(
            "Planned and minimum: the hours expected by each month's end, paced over the \
             planned duration (breaks left out). Actual: entries that count, dated by then."
                .into(),
        ),
        head: vec!["By", "Planned", "Minimum", "Actual"],
        rows: trend
            .iter()
            .rev()
            .map(|p| {
                vec![
                    charts::day(p.on),
                    format!("{} h", p.planned),
                    p.required
                        .map_or_else(|| "no figure".to_owned(), |r| format!("{r} h")),
                    format!("{} h", p.actual),
                ]
            })
            .collect(),
    })
}
