//! A portfolio's units page (`/app/enrolments/{id}/units`): the learner's mandatory and
//! chosen optional units by component, each with its figures and the day it was achieved;
//! staff who may read the curriculum also choose the optional units there. Read through
//! the use cases in one unit of work and rendered from a typed view.

use chrono::NaiveDate;
use folio_app::progress::{self, Unit};
use folio_app::{Error as AppError, curriculum, routes};
use folio_domain::progress::ShownFigures;
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;
use uuid::Uuid;

use super::portfolio::OverviewView;
use super::{Flash, PageResult, Web, path_id};

/// A unit with the learner's figures.
#[derive(Debug, Serialize)]
struct UnitRow {
    code: String,
    title: String,
    optional: bool,
    optional_group: Option<String>,
    criteria: u32,
    criteria_signed_off: u32,
    criteria_with_evidence: u32,
    signed_off_percent: f64,
    mapped_percent: f64,
    achieved_on: Option<NaiveDate>,
}

impl From<Unit> for UnitRow {
    fn from(u: Unit) -> Self {
        let shown = ShownFigures::of(u.counts);
        Self {
            achieved_on: u.achieved_on(),
            code: u.code,
            title: u.title,
            optional: u.optional,
            optional_group: u.optional_group,
            criteria: shown.criteria,
            criteria_signed_off: shown.signed_off,
            criteria_with_evidence: shown.with_evidence,
            signed_off_percent: shown.signed_off_percent,
            mapped_percent: shown.mapped_percent,
        }
    }
}

/// A component's units.
#[derive(Debug, Serialize)]
struct ComponentRows {
    title: String,
    units: Vec<UnitRow>,
}

/// An optional unit of the course, to choose.
#[derive(Debug, Serialize)]
struct OptionalUnit {
    id: Uuid,
    code: String,
    title: String,
    optional_group: Option<String>,
    chosen: bool,
}

/// The optional units form (staff who may read the curriculum).
#[derive(Debug, Serialize)]
struct Choosing {
    /// The course's optional units, in course order.
    units: Vec<OptionalUnit>,
    /// Where the form posts, and this page.
    api: String,
    back: String,
}

/// The units page.
#[derive(Debug, Serialize)]
struct UnitsPage {
    /// The enrolment.
    id: Uuid,
    overview: OverviewView,
    components: Vec<ComponentRows>,
    choosing: Option<Choosing>,
}

/// `/app/enrolments/{id}/units`.
#[handler]
pub(super) async fn units_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, page) = web
        .read_page(req, async |uow, viewer| {
            let id = path_id(&id)?;
            let overview = progress::overview(uow, id).await?;
            let (enrolment, components) = progress::units(uow, id).await?;
            let course = if viewer.is_staff() {
                match curriculum::course(uow, enrolment.course_id).await {
                    Ok(c) => Some(c),
                    Err(AppError::Forbidden | AppError::NotFound) => None,
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            let choosing = course.map(|c| Choosing {
                units: c
                    .units
                    .into_iter()
                    .filter(|u| u.optional)
                    .map(|u| OptionalUnit {
                        chosen: enrolment.optional_unit_ids.contains(&u.id),
                        id: u.id,
                        code: u.code,
                        title: u.title,
                        optional_group: u.optional_group,
                    })
                    .collect(),
                api: format!("/api/v1/enrolments/{id}/optional-units"),
                back: routes::units(id),
            });
            Ok(UnitsPage {
                id,
                overview: OverviewView::from(overview),
                components: components
                    .into_iter()
                    .map(|c| ComponentRows {
                        title: c.title,
                        units: c.items.into_iter().map(UnitRow::from).collect(),
                    })
                    .collect(),
                choosing,
            })
        })
        .await?;
    Ok(web.typed_page(&viewer, "units", "Units", &page, flash))
}
