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
pub struct PagePeer(pub Option<std::net::IpAddr>);

/// Whether a browser's state-changing request comes from Folio's own pages, by what the
/// browser says of it: `Sec-Fetch-Site` (`same-origin`, or `none` for one the person
/// typed or bookmarked), or failing that `Origin`, which must be this site — the request's
/// `Host`, or the configured public URL. A request with neither header is not a browser's
/// cross-site request (browsers send one or the other on every such write), so it is let
/// through: a script of the person's own, a command-line client.
///
/// One rule for the pages' form posts and the API's cookie-authenticated writes, so a
/// cross-site form or script can use neither.
pub fn from_same_site(
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    host: Option<&str>,
    public_url: Option<&str>,
) -> bool {
    if let Some(site) = sec_fetch_site {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = origin else {
        return true;
    };
    let Ok(origin) = url::Url::parse(origin) else {
        // `Origin: null` (a sandboxed frame, a redirect from elsewhere) is no origin of ours.
        return false;
    };
    let matches_host = host.is_some_and(|host| {
        let origin_host = match (origin.host_str(), origin.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => return false,
        };
        origin_host.eq_ignore_ascii_case(host)
    });
    let matches_public_url = public_url
        .and_then(|u| url::Url::parse(u).ok())
        .is_some_and(|public| public.origin() == origin.origin());
    matches_host || matches_public_url
}

#[cfg(test)]
mod tests {
    use super::from_same_site;

    #[test]
    fn a_write_is_from_this_site_only_when_the_browser_says_so() {
        let host = Some("folio.example:8080");
        // Sec-Fetch-Site decides when it is there.
        assert!(from_same_site(Some("same-origin"), None, host, None));
        assert!(from_same_site(Some("none"), None, host, None));
        for site in ["cross-site", "same-site"] {
            assert!(!from_same_site(
                Some(site),
                Some("http://folio.example:8080"),
                host,
                None
            ));
        }
        // Else Origin, against the Host or the public URL.
        assert!(from_same_site(
            None,
            Some("http://folio.example:8080"),
            host,
            None
        ));
        assert!(!from_same_site(
            None,
            Some("http://evil.example"),
            host,
            None
        ));
        assert!(!from_same_site(None, Some("null"), host, None));
        assert!(from_same_site(
            None,
            Some("https://folio.example"),
            Some("10.0.0.5:8080"),
            Some("https://folio.example")
        ));
        assert!(!from_same_site(
            None,
            Some("http://folio.example"),
            Some("10.0.0.5:8080"),
            Some("https://folio.example")
        ));
        // Neither: not a browser's cross-site request.
        assert!(from_same_site(None, None, host, None));
    }
}
