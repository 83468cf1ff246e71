//! Dashboards: the provider admin's figures across the organisation and the assessor's
//! homepage figures for their caseload, each a tile with the list behind it.
//!
//! Who sees what, once: admins and auditors see the whole organisation; assessors the
//! enrolments they assess; IQAs those they quality-assure (someone with both roles, both).
//! Learners and employers get 403. Only enrolments in progress are counted. "Today" is the
//! provider's local date (the `timezone` setting), as for the nightly reminders, and the
//! rules are theirs (`folio_db::dashboard`), so a dashboard and the e-mails agree.

use chrono::{NaiveDate, Utc};
use folio_db::dashboard::{self as queries, Rules, Scope};
use folio_domain::TrackBasis;
use folio_domain::jobs::local_date;

pub use folio_db::dashboard::{Row, Tile};

use crate::paging::{decode_offset_cursor, encode_offset_cursor, page_limit};
use crate::{Error, Result, UnitOfWork};

/// Whose enrolments a dashboard counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The whole organisation (admins, auditors).
    Organisation,
    /// The enrolments the caller assesses or quality-assures.
    Caseload,
}

impl Reach {
    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::Organisation => "organisation",
            Reach::Caseload => "caseload",
        }
    }
}

/// A dashboard's figures.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Whose enrolments are counted.
    pub reach: Reach,
    /// The organisation's local date the figures are for.
    pub today: NaiveDate,
    /// The day of the track figures' time elapsed (the night's run; their progress
    /// follows every change); none until the recalculation has run.
    pub figures_as_of: Option<NaiveDate>,
    /// Every figure, in the dashboard's order.
    pub tiles: Vec<(Tile, i64)>,
}

/// A page of the list behind a figure.
#[derive(Debug, Clone)]
pub struct List {
    /// Which list.
    pub tile: Tile,
    /// The organisation's local date the list is for.
    pub today: NaiveDate,
    /// The rows, most urgent first.
    pub items: Vec<Row>,
    /// The cursor of the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// The caller's reach, or 403 for anyone who has no dashboard (learners, employers).
fn scope_of(uow: &UnitOfWork) -> Result<(Scope, Reach)> {
    let s = uow.principal.viewer().scope;
    if !(s.all || s.as_assessor || s.as_iqa) {
        return Err(Error::Forbidden);
    }
    let scope = Scope {
        user_id: uow.principal.user_id,
        all: s.all,
        as_assessor: s.as_assessor,
        as_iqa: s.as_iqa,
    };
    let reach = if s.all {
        Reach::Organisation
    } else {
        Reach::Caseload
    };
    Ok((scope, reach))
}

/// The organisation's rules and its "today".
async fn rules(uow: &mut UnitOfWork) -> Result<Rules> {
    let s = uow.settings().await?;
    let now = Utc::now();
    Ok(Rules {
        today: local_date(&s.tz(), now),
        now,
        review_frequency_weeks: s.review_frequency_weeks,
        induction_within_days: s.induction_within_days,
        signed_off_basis: s.track.basis == TrackBasis::SignedOff,
    })
}

/// The caller's dashboard figures (staff with a dashboard; anyone else 403).
pub async fn figures(uow: &mut UnitOfWork) -> Result<Figures> {
    let (scope, reach) = scope_of(uow)?;
    let rules = rules(uow).await?;
    let figures = queries::figures(&mut uow.tx, scope, &rules).await?;
    Ok(Figures {
        reach,
        today: rules.today,
        figures_as_of: figures.figures_as_of,
        tiles: figures.counts,
    })
}

/// The list behind the figure `key` (or `learners`: everyone in scope with their last
/// sign-in), a page at a time, most urgent first. 403 for anyone without a dashboard,
/// then 404 for an unknown key.
pub async fn list(
    uow: &mut UnitOfWork,
    key: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<List> {
    let (scope, _) = scope_of(uow)?;
    let tile = Tile::from_key(key).ok_or(Error::NotFound)?;
    let limit = page_limit(limit)?;
    let offset = decode_offset_cursor(cursor)?;
    let rules = rules(uow).await?;
    let page = queries::list(&mut uow.tx, tile, scope, &rules, offset, limit).await?;
    let next_offset = offset.saturating_add(i64::try_from(page.items.len()).unwrap_or(0));
    Ok(List {
        tile,
        today: rules.today,
        next_cursor: page.has_more.then(|| encode_offset_cursor(next_offset)),
        items: page.items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_has_a_key() {
        for tile in Tile::LISTS {
            assert_eq!(Tile::from_key(tile.key()), Some(tile));
        }
        assert_eq!(Tile::from_key("nonsense"), None);
    }
}
