//! Keyset pagination: a page is "the next `limit` rows after this key", which stays fast
//! and stable however deep a client pages, unlike OFFSET.

use uuid::Uuid;

/// The position after which the next page starts, for lists ordered by (name, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameKey {
    /// The sort name of the last row of the previous page.
    pub name: String,
    /// Its id, to break ties between equal names.
    pub id: Uuid,
}

/// One page of rows and whether another follows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, at most the limit asked for.
    pub items: Vec<T>,
    /// True when more rows follow the last one.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from a query that fetched `limit + 1` rows: the extra row only says
    /// that there is more.
    pub fn from_overfetch(mut rows: Vec<T>, limit: i64) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Self {
            items: rows,
            has_more,
        }
    }
}

/// A search term as a case-insensitive `LIKE` pattern matching it anywhere, with the
/// pattern characters the user typed matched literally.
pub fn contains_pattern(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn overfetched_row_means_more() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2);
        assert_eq!(page.items, vec![1, 2]);
        assert!(page.has_more);
        let last = Page::from_overfetch(vec![1, 2], 2);
        assert!(!last.has_more);
    }
}
