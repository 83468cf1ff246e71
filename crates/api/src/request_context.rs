//! A request id and a tracing span for every request.

use std::time::Instant;

use folio_app::browser::PagePeer;
use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;
use uuid::Uuid;

/// The header carrying the request id, in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The address a request came from, as this process saw it: the peer of the connection
/// (an IPv4-mapped IPv6 address as plain IPv4). A proxy's `X-Forwarded-For` is not
/// trusted: nothing in Folio's deployment establishes which proxies are its own.
pub(crate) fn client_ip(addr: &poem::web::RemoteAddr) -> Option<String> {
    addr.as_socket_addr()
        .map(|a| a.ip().to_canonical().to_string())
}

/// Who is calling, for the records that keep an address (signatures, disclaimer
/// acceptance): the connection's peer, or for a page's call the browser behind it.
pub(crate) fn caller_ip(req: &poem::Request) -> Option<String> {
    match req.extensions().get::<PagePeer>() {
        Some(PagePeer(ip)) => ip.clone(),
        None => client_ip(req.remote_addr()),
    }
}

/// Runs `next` inside a span carrying the request id (taken from a well-formed incoming
/// `X-Request-Id`, else a new UUID v7), and sets the id on the response. Tenant and user
/// ids are filled in once the caller is authenticated. Query strings are left out of logs:
/// a search term may be a person's name.
pub async fn request_context<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let request_id = req
        .header(REQUEST_ID_HEADER)
        .filter(|id| {
            (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        })
        .map_or_else(|| Uuid::now_v7().to_string(), str::to_owned);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.uri().path(),
        tenant_id = tracing::field::Empty,
        user_id = tracing::field::Empty,
    );
    async move {
        let started = Instant::now();
        let mut response = match next.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => crate::problem::into_problem_response(e),
        };
        let status = response.status().as_u16();
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::error!(status, elapsed_ms, "request failed");
        } else {
            tracing::info!(status, elapsed_ms, "request");
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        Ok(response)
    }
    .instrument(span)
    .await
}
