//! Keyset cursors and page limits: the application layer's, as every list endpoint uses them.

pub use folio_app::paging::*;
