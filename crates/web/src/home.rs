//! The staff home page (the dashboard's figures, each a tile) and the list behind each
//! tile, read through `folio_app::dashboard` in one unit of work and rendered from typed
//! views. Who has a dashboard and over which enrolments is the use case's rule; the page
//! only names the tiles and links the rows.

use super::charts::{self, Chart, Part};
use super::{Flash, PageQuery, PageResult, Web, redirect};
use chrono::{DateTime, NaiveDate, Utc};
use folio_app::dashboard::{self, Figures, List, Reach, Row, Tile};
use folio_app::enrolments::{self, EnrolmentFilter, EnrolmentPage, EnrolmentView};
use folio_app::routes;
use poem::web::{Data, Path, Query};
use poem::{Request, handler};
use serde::Serialize;

/// A tile's heading. Exhaustive, so a new list cannot go without a name.
fn title(tile: Tile) -> &'static str {
    match tile {
        Tile::Caseload => "Caseload",
        Tile::OffTrack => "Off track",
        Tile::OnTrack => "On track",
        Tile::Ahead => "Ahead",
        Tile::NewEvidenceToReview => "New evidence to review",
        Tile::ActionsNeedingCompletion => "Actions needing completion",
        Tile::UpcomingSessions => "Upcoming sessions",
        Tile::ReviewsOverdue => "Reviews overdue",
        Tile::InductionsOverdue => "Inductions overdue",
        Tile::UnclosedSessions => "Unclosed sessions",
        Tile::OtjBehindPlan => "Off the job behind plan",
        Tile::PastPlannedEnd => "Past planned end",
        Tile::Learners => "Learners and their last login",
    }
}

/// One figure on the home page.
#[derive(Debug, Serialize)]
struct TileView {
    key: &'static str,
    title: &'static str,
    count: i64,
    /// The list behind it.
    link: String,
}

/// The staff home page.
#[derive(Debug, Serialize)]
struct StaffHomeView {
    /// True for an assessor's or IQA's caseload, false for the whole organisation.
    caseload: bool,
    today: NaiveDate,
    figures_as_of: Option<NaiveDate>,
    tiles: Vec<TileView>,
    /// Everyone in reach with their last sign-in.
    learners: TileView,
    /// The caseload split by track, drawn; none without a caseload.
    split: Option<Chart>,
}

impl StaffHomeView {
    fn new(f: Figures) -> Self {
        let tile = |tile: Tile, count: i64| TileView {
            key: tile.key(),
            title: title(tile),
            count,
            link: routes::tile(tile),
        };
        let caseload = f
            .tiles
            .iter()
            .find(|(t, _)| *t == Tile::Caseload)
            .map_or(0, |(_, n)| *n);
        let split = track_split(&f.tiles, caseload);
        Self {
            split,
            caseload: f.reach == Reach::Caseload,
            today: f.today,
            figures_as_of: f.figures_as_of,
            learners: tile(Tile::Learners, caseload),
            tiles: f.tiles.into_iter().map(|(t, n)| tile(t, n)).collect(),
        }
    }
}

/// The caseload by track status, from the same nightly counts as the tiles: off track, on
/// track, ahead, and the rest (finished, without criteria, or not worked out yet).
fn track_split(tiles: &[(Tile, i64)], caseload: i64) -> Option<Chart> {
    let count = |tile| {
        tiles
            .iter()
            .find(|(t, _)| *t == tile)
            .map_or(0, |(_, n)| *n)
    };
    let judged = [
        (Tile::OffTrack, "s-off"),
        (Tile::OnTrack, "s-on"),
        (Tile::Ahead, "s-ahead"),
    ];
    let mut parts: Vec<Part> = judged
        .iter()
        .map(|&(tile, class)| Part {
            name: title(tile),
            class,
            count: count(tile),
        })
        .collect();
    let rest = caseload - parts.iter().map(|p| p.count).sum::<i64>();
    if rest > 0 {
        parts.push(Part {
            name: "Not judged",
            class: "s-none",
            count: rest,
        });
    }
    if caseload <= 0 {
        return None;
    }
    let svg = charts::split_bar("track-split", "Learners by track", &parts);
    Some(Chart {
        title: "Learners by track".into(),
        svg,
        note: Some(
            "From last night's figures. Not judged: finished, without criteria, or not worked \
             out yet."
                .into(),
        ),
        head: vec!["Track", "Learners", "Share"],
        rows: parts
            .iter()
            .map(|p| {
                vec![
                    p.name.to_owned(),
                    p.count.to_string(),
                    format!("{}%", charts::share(p.count, caseload)),
                ]
            })
            .collect(),
    })
}

/// A row of a tile's list.
#[derive(Debug, Serialize)]
struct RowView {
    learner_name: String,
    /// The learner's portfolio.
    enrolment_link: String,
    course_title: String,
    track_status: Option<String>,
    /// The evidence, action or session the row is about, if any.
    title: Option<String>,
    /// Where that item is shown: the evidence, else the portfolio.
    item_link: String,
    session_type: Option<String>,
    starts_at: Option<DateTime<Utc>>,
    submitted_at: Option<DateTime<Utc>>,
    due_date: Option<NaiveDate>,
    last_review: Option<NaiveDate>,
    /// The day of the track figures; the progress and time bars show when there is one.
    computed_on: Option<NaiveDate>,
    progress_percent: Option<f64>,
    elapsed_percent: Option<f64>,
    /// Off-the-job hours, as written (`12.50`).
    otj_expected_hours: Option<String>,
    otj_actual_hours: Option<String>,
    planned_end_date: NaiveDate,
    /// On the figures' day the planned end (moved on by any break in learning, as the
    /// nightly figures count it) had passed: the time bar is drawn red and says so.
    past_end: bool,
    last_login_at: Option<DateTime<Utc>>,
}

impl From<Row> for RowView {
    fn from(r: Row) -> Self {
        let item_link = match (r.item_id, r.submitted_at) {
            (Some(id), Some(_)) => routes::evidence(id),
            _ => routes::enrolment(r.enrolment_id),
        };
        Self {
            learner_name: r.learner_name,
            enrolment_link: routes::enrolment(r.enrolment_id),
            course_title: r.course_title,
            track_status: r.track_status,
            title: r.title,
            item_link,
            session_type: r.session_type,
            starts_at: r.starts_at,
            submitted_at: r.submitted_at,
            due_date: r.due_date,
            last_review: r.last_review,
            computed_on: r.computed_on,
            progress_percent: r.progress_percent,
            elapsed_percent: r.elapsed_percent,
            otj_expected_hours: r.otj_expected.map(|h| h.to_string()),
            otj_actual_hours: r.otj_actual.map(|h| h.to_string()),
            past_end: r.past_end.unwrap_or(false),
            planned_end_date: r.planned_end_date,
            last_login_at: r.last_login_at,
        }
    }
}

/// A page of the list behind a tile.
#[derive(Debug, Serialize)]
struct TileListView {
    title: &'static str,
    home: String,
    items: Vec<RowView>,
    /// The list, to page on from.
    link: String,
    /// The next page's cursor, on all but the last.
    next_cursor: Option<String>,
}

impl TileListView {
    fn new(list: List) -> Self {
        let link = routes::tile(list.tile);
        Self {
            title: title(list.tile),
            home: routes::home(),
            next_cursor: list.next_cursor,
            link,
            items: list.items.into_iter().map(RowView::from).collect(),
        }
    }
}

/// A programme on a learner's (or an employer's) home page.
#[derive(Debug, Serialize)]
struct ProgrammeView {
    link: String,
    learner_name: String,
    course_code: String,
    course_title: String,
    planned_end_date: NaiveDate,
    /// The status's stable name (`in_learning`…).
    status: &'static str,
}

/// The home page of someone without a dashboard: their programmes (a learner's own, an
/// employer's employees', an auditor's sample).
#[derive(Debug, Serialize)]
struct ProgrammesView {
    enrolments: Vec<ProgrammeView>,
    /// What an empty list means for this person.
    empty: &'static str,
}

/// What a home page shows.
enum Home {
    /// A dashboard's figures.
    Staff(Figures),
    /// The programmes the viewer can see.
    Programmes(EnrolmentPage),
}

/// `/app/`: staff see their dashboard; anyone else their programmes, and a learner on one
/// programme (nearly everyone) goes straight to it. One unit of work either way.
#[handler]
pub(super) async fn home_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let (viewer, home) = web
        .read_page(req, async |uow, _| {
            // An auditor granted a sample has no dashboard: their home is the sample.
            let scope = uow.principal.viewer().scope;
            Ok(if scope.all || scope.as_assessor || scope.as_iqa {
                Home::Staff(dashboard::figures(uow).await?)
            } else {
                let all = EnrolmentFilter::default();
                Home::Programmes(enrolments::list(uow, &all, None, Some(50)).await?)
            })
        })
        .await?;
    let page = match home {
        Home::Staff(figures) => {
            let view = StaffHomeView::new(figures);
            return Ok(web.typed_page(&viewer, "staff_home", "Home", &view, flash));
        }
        Home::Programmes(page) => page,
    };
    if let [only] = page.items.as_slice()
        && viewer.has("learner")
    {
        return Ok(redirect(&routes::enrolment(only.enrolment.id)));
    }
    let view = ProgrammesView {
        enrolments: page
            .items
            .into_iter()
            .map(
                |EnrolmentView {
                     enrolment: e,
                     status,
                 }| ProgrammeView {
                    link: routes::enrolment(e.id),
                    learner_name: e.learner_name,
                    course_code: e.course_code,
                    course_title: e.course_title,
                    planned_end_date: e.planned_end_date,
                    status: status.as_str(),
                },
            )
            .collect(),
        empty: if viewer.has("learner") {
            "You have no programmes in Folio yet. Your training provider will enrol you."
        } else if viewer.has("employer") {
            "None of your employees is enrolled in Folio yet."
        } else {
            "You have no access to any learner's records at the moment. If you were given \
             access as an auditor, it has ended or not yet begun: ask the training provider."
        },
    };
    Ok(web.typed_page(&viewer, "learner_home", "Home", &view, flash))
}

/// `/app/tiles/{key}`: a page of the list behind a tile.
#[handler]
pub(super) async fn tile_page(
    req: &Request,
    web: Data<&Web>,
    Path(key): Path<String>,
    Query(page): Query<PageQuery>,
    flash: Flash,
) -> PageResult {
    let cursor = page.cursor.as_deref().filter(|c| !c.is_empty());
    let (viewer, list) = web
        .read_page(req, async |uow, _| {
            dashboard::list(uow, &key, cursor, None).await
        })
        .await?;
    let view = TileListView::new(list);
    Ok(web.typed_page(&viewer, "tile", view.title, &view, flash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn every_list_has_a_title_of_its_own() {
        let mut titles: Vec<_> = Tile::LISTS.into_iter().map(title).collect();
        titles.sort_unstable();
        titles.dedup();
        assert_eq!(titles.len(), Tile::LISTS.len());
    }

    /// A row of a list: Amelia's enrolment (id 1), planned to end on 05/01/2027.
    fn row(item_id: Option<Uuid>, submitted_at: Option<DateTime<Utc>>) -> Row {
        Row {
            enrolment_id: Uuid::from_u128(1),
            learner_id: Uuid::from_u128(3),
            learner_name: "Amelia".into(),
            course_title: "Engineering".into(),
            assessor_id: None,
            assessor_name: None,
            enrolment_status: "in_learning".into(),
            start_date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
            planned_end_date: NaiveDate::from_ymd_opt(2027, 1, 5).unwrap_or_default(),
            last_login_at: None,
            item_id,
            title: None,
            session_type: None,
            starts_at: None,
            submitted_at,
            due_date: None,
            last_review: None,
            booked: None,
            track_status: None,
            off_track_since: None,
            elapsed_percent: None,
            progress_percent: None,
            computed_on: None,
            past_end: None,
            time_spent_minutes: None,
            otj_expected: None,
            otj_actual: None,
        }
    }

    #[test]
    fn evidence_rows_link_the_evidence_and_others_the_portfolio() {
        let item = Uuid::from_u128(2);
        let evidence = RowView::from(row(Some(item), Some(Utc::now())));
        assert_eq!(
            evidence.item_link,
            "/app/evidence/00000000-0000-0000-0000-000000000002"
        );
        let action = RowView::from(row(Some(item), None));
        assert_eq!(
            action.item_link,
            "/app/enrolments/00000000-0000-0000-0000-000000000001"
        );
    }

    #[test]
    fn the_time_bar_is_late_as_the_nightly_figures_judged() {
        let late = |past_end| {
            let mut r = row(None, None);
            r.past_end = past_end;
            RowView::from(r).past_end
        };
        assert!(late(Some(true)));
        assert!(!late(Some(false)));
        assert!(!late(None), "no figures, no judgement");
    }
}
