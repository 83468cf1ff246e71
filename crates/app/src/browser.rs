//! What a browser carries between Folio's two HTTP adapters (the JSON API and the pages):
//! the session cookie's name and form, and the address of the browser behind a page's
//! in-process call to the API.

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "folio_session";

/// The `Set-Cookie` value of a session cookie holding `value` for `max_age_secs` (0 clears
/// it): HttpOnly, SameSite=Lax, and `Secure` when `secure`.
pub fn session_cookie(secure: bool, value: &str, max_age_secs: u64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    )
}

/// The browser's address behind a web page's in-process API call, which has no peer of
/// its own. Only the pages set it, as a request extension: nothing from the network
/// becomes an extension.
#[derive(Debug, Clone)]
pub struct PagePeer(pub Option<String>);
