//! Opaque keyset cursors and page limits for lists, the same for the API and the pages.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use folio_db::pagination::{NameKey, Page};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Error as AppError;

/// The page size when none is asked for.
pub const DEFAULT_LIMIT: i64 = 50;
/// The largest page.
pub const MAX_LIMIT: i64 = 200;

/// Checks the `limit` query parameter.
pub fn page_limit(requested: Option<i64>) -> Result<i64, AppError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

#[derive(Serialize, Deserialize)]
struct NameCursor {
    n: String,
    i: Uuid,
}

/// Encodes the position after the last row of a page ordered by (name, id).
pub fn encode_name_cursor(name: &str, id: Uuid) -> String {
    let json = serde_json::to_vec(&NameCursor {
        n: name.to_owned(),
        i: id,
    })
    .unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The cursor for the page after `page`, for lists ordered by (name, id); `None` on the last.
pub fn next_name_cursor<T>(page: &Page<T>, key: impl Fn(&T) -> (&str, Uuid)) -> Option<String> {
    if !page.has_more {
        return None;
    }
    page.items.last().map(|last| {
        let (name, id) = key(last);
        encode_name_cursor(name, id)
    })
}

/// Decodes a `cursor` query parameter produced by [`encode_name_cursor`].
pub fn decode_name_cursor(cursor: Option<&str>) -> Result<Option<NameKey>, AppError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || AppError::invalid("cursor", "is not a cursor this API returned");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let c: NameCursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if c.n.chars().any(char::is_control) {
        return Err(bad());
    }
    Ok(Some(NameKey { name: c.n, id: c.i }))
}

/// A newest-first list's page: after which row (an id cursor) and how many. Checked before
/// anything is read, so a bad query is refused whoever asks.
#[derive(Debug, Clone, Copy)]
pub struct PageQuery {
    /// The last row of the previous page.
    pub(crate) before: Option<Uuid>,
    /// The page size.
    pub(crate) limit: i64,
}

impl PageQuery {
    /// Checks a cursor from a previous page and a page size.
    pub fn parse(cursor: Option<&str>, limit: Option<i64>) -> Result<Self, AppError> {
        Ok(Self {
            before: decode_id_cursor(cursor)?,
            limit: page_limit(limit)?,
        })
    }
}

/// The cursor for the page after `page` of a newest-first list (its last row's id); `None`
/// on the last.
pub fn next_id_cursor<T>(page: &Page<T>, id: impl Fn(&T) -> Uuid) -> Option<String> {
    if !page.has_more {
        return None;
    }
    page.items.last().map(|last| id(last).to_string())
}

/// Decodes a cursor that is a row id (newest-first lists).
pub fn decode_id_cursor(cursor: Option<&str>) -> Result<Option<Uuid>, AppError> {
    cursor
        .map(|c| {
            Uuid::try_parse(c)
                .map_err(|_| AppError::invalid("cursor", "is not a cursor this API returned"))
        })
        .transpose()
}

/// Trims a search term; blank means no search. Long terms are refused rather than cut.
pub fn search_term(q: Option<String>) -> Result<Option<String>, AppError> {
    match q.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().any(char::is_control) => Err(AppError::invalid(
            "q",
            "must not contain control characters",
        )),
        Some(t) if t.chars().count() > 200 => {
            Err(AppError::invalid("q", "must be at most 200 characters"))
        }
        Some(t) => Ok(Some(t.to_owned())),
    }
}

const OFFSET_PREFIX: &str = "offset:";

/// Encodes the position `offset` rows into a list ordered by a computed urgency (the
/// dashboard's lists, where no column is a stable key).
pub fn encode_offset_cursor(offset: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{OFFSET_PREFIX}{offset}"))
}

/// Decodes [`encode_offset_cursor`]'s cursor; none is the start, anything else 422.
pub fn decode_offset_cursor(cursor: Option<&str>) -> Result<i64, AppError> {
    let Some(cursor) = cursor else { return Ok(0) };
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(OFFSET_PREFIX)?.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this API returned"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = Uuid::now_v7();
        let cursor = encode_name_cursor("Ada", id);
        assert_eq!(
            decode_name_cursor(Some(&cursor)).unwrap(),
            Some(NameKey {
                name: "Ada".into(),
                id
            })
        );
        assert!(decode_name_cursor(Some("not-a-cursor!")).is_err());
        assert!(decode_name_cursor(Some("e30")).is_err());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_LIMIT);
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(MAX_LIMIT + 1)).is_err());
    }

    #[test]
    fn offset_cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_offset_cursor(None).ok(), Some(0));
        assert_eq!(
            decode_offset_cursor(Some(&encode_offset_cursor(150))).ok(),
            Some(150)
        );
        assert!(decode_offset_cursor(Some("150")).is_err());
        assert!(decode_offset_cursor(Some(&URL_SAFE_NO_PAD.encode("offset:-1"))).is_err());
    }
}
