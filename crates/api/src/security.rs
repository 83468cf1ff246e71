//! The web surface's defences that hold for every response and every write, whichever
//! part of the application answers: security headers ([`headers`]) and the same-site rule
//! for the API's cookie-authenticated writes ([`same_site_writes`]). Both wrap the whole
//! application in [`crate::app`], so a page, a static file, an error, a redirect or the
//! API's JSON cannot leave without them.

use base64::Engine;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use sha2::{Digest, Sha256};

/// The pages' Content-Security-Policy: scripts, styles, images and connections from Folio
/// itself only (the pages have no inline script, style or event handler: the script and
/// stylesheet are `/static/` files), forms posted only to Folio, and no framing by any
/// site (clickjacking).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// How long browsers keep to HTTPS once told (a year).
const HSTS: &str = "max-age=31536000";

/// What the security headers depend on in the configuration.
#[derive(Debug, Clone, Copy)]
pub struct SurfaceSettings {
    /// Folio is reached over HTTPS (its public URL is `https://…`): browsers are told to
    /// keep to it (`Strict-Transport-Security`). Without a public URL, or with an `http://`
    /// one, nothing establishes that the browser came over HTTPS: Folio has no notion of a
    /// trusted proxy whose `X-Forwarded-Proto` it could believe.
    pub https: bool,
}

impl SurfaceSettings {
    /// The settings for Folio at `public_url` (none: each request's `Host`, plain HTTP).
    pub fn for_public_url(public_url: Option<&str>) -> Self {
        Self {
            https: public_url.is_some_and(|u| {
                u.get(..8)
                    .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            }),
        }
    }
}

/// Adds the security headers to whatever `next` answers, an error included:
/// `Content-Security-Policy` (the pages' policy unless the answer brought its own, as the
/// API documentation does), `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`,
/// `Referrer-Policy: same-origin` (addresses hold ids: other sites are not told them),
/// `Strict-Transport-Security` over HTTPS, and `Cache-Control: no-store` unless the answer
/// says how it may be cached (the static files do): API answers and signed-in pages are
/// one person's and must not stay in a shared cache or the browser's history.
pub(crate) async fn headers<E: Endpoint>(
    next: E,
    req: Request,
    settings: SurfaceSettings,
) -> poem::Result<Response> {
    let mut response = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => crate::problem::into_problem_response(e),
    };
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if settings.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// The policy of the API documentation (`/api/docs`), which is poem-openapi's Swagger UI:
/// one HTML page with the Swagger bundle and its start-up inline. Its scripts are allowed
/// by their SHA-256 hashes, computed from the page as served (so a new poem-openapi needs
/// no change here), never by `'unsafe-inline'`; its styles are inline (the bundle's
/// stylesheet and the style attributes it sets), which only styles may be.
pub(crate) async fn docs_policy<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let response = next.call(req).await?.into_response();
    let is_html = response
        .content_type()
        .is_some_and(|t| t.starts_with("text/html"));
    if !is_html {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let html = body.into_string().await?;
    let scripts: Vec<String> = inline_scripts(&html)
        .into_iter()
        .map(|s| {
            let digest = Sha256::digest(s.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src {}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
        if scripts.is_empty() {
            "'none'".to_owned()
        } else {
            scripts.join(" ")
        }
    );
    let mut response = Response::from_parts(parts, html.into());
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

/// The text of each inline `<script>` element of `html` (those without `src`), read from
/// each opening tag to its closing tag, so a script's text mentioning `<script` is not
/// taken for another element.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let Some((tag, after)) = rest[start..].split_once('>') else {
            break;
        };
        let Some((text, after)) = after.split_once("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            found.push(text);
        }
        rest = after;
    }
    found
}

/// Refuses a write to the API (`POST`, `PUT`, `PATCH`, `DELETE` under `/api/v1/`) sent
/// without a bearer token from a page of another site: with only the browser's cookie to
/// authenticate it (or, at sign-in, none yet: a cross-site form must not sign the browser
/// in to an account of the attacker's either), it must come from Folio's own pages by
/// [`folio_app::browser::from_same_site`], the rule of the pages' forms. A request with
/// `Authorization: Bearer …` is an API client's, which a browser never sends cross-site
/// without Folio's consent (there is no CORS), and is left alone.
pub(crate) async fn same_site_writes<E: Endpoint>(
    next: E,
    req: Request,
    public_url: Option<&str>,
) -> poem::Result<Response> {
    let write = !matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    let bearer = req
        .header(header::AUTHORIZATION)
        .and_then(|a| a.get(..7))
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer "));
    if write
        && !bearer
        && req.uri().path().starts_with("/api/v1/")
        && !folio_app::browser::from_same_site(
            req.header("sec-fetch-site"),
            req.header(header::ORIGIN),
            req.header(header::HOST),
            public_url,
        )
    {
        return Ok(crate::problem::problem_response(
            StatusCode::FORBIDDEN,
            "cross-site-request",
            "Request from another site",
            "This request came from another site, so Folio refused it: changes made with \
             the browser's Folio sign-in are accepted only from Folio's own pages. Open \
             Folio and do it there; an API client sends its token as \
             `Authorization: Bearer …` instead."
                .into(),
            None,
        ));
    }
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_scripts_with_a_source_are_not() {
        let html = "<head><script src=\"/a.js\"></script><script charset=\"UTF-8\">\
                    one('<script')</script></head><body><script>\n two()\n</script></body>";
        assert_eq!(inline_scripts(html), ["one('<script')", "\n two()\n"]);
    }

    #[test]
    fn strict_transport_security_follows_an_https_public_url() {
        assert!(SurfaceSettings::for_public_url(Some("https://folio.example")).https);
        assert!(SurfaceSettings::for_public_url(Some("HTTPS://folio.example")).https);
        assert!(!SurfaceSettings::for_public_url(Some("http://folio.example")).https);
        assert!(!SurfaceSettings::for_public_url(None).https);
    }
}
