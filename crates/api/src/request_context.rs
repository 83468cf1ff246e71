//! A request id and a tracing span for every request.

use std::time::Instant;

use std::net::IpAddr;

use folio_app::browser::PagePeer;
use folio_app::client_address::{ClientAddress, TrustedProxies};
use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;
use uuid::Uuid;

/// The header carrying the request id, in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The address a request came from: the client the HTTP application found behind the
/// operator's trusted proxies ([`ClientAddress`]), else the connection's peer.
pub(crate) fn client_ip(req: &poem::Request) -> Option<IpAddr> {
    match req.extensions().get::<ClientAddress>() {
        Some(ClientAddress(ip)) => *ip,
        None => req
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_canonical()),
    }
}

/// Who is calling, for the records that keep an address (signatures, disclaimer
/// acceptance) and for counting failed sign-ins: the client, or for a page's call the
/// browser behind it.
pub(crate) fn caller_ip(req: &poem::Request) -> Option<IpAddr> {
    match req.extensions().get::<PagePeer>() {
        Some(PagePeer(ip)) => *ip,
        None => client_ip(req),
    }
}

/// Sets [`ClientAddress`] on the request: its peer, or behind one of `proxies` the
/// address they forwarded for.
pub async fn client_address<E: Endpoint>(
    next: E,
    mut req: Request,
    proxies: std::sync::Arc<TrustedProxies>,
) -> poem::Result<Response> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let client = proxies.client(peer, &forwarded);
    req.extensions_mut().insert(ClientAddress(client));
    next.call(req).await.map(IntoResponse::into_response)
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
    let line = folio_app::RequestLine {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
    };
    async move {
        let started = Instant::now();
        let served = folio_app::REQUEST_LINE.scope(line, next.call(req));
        let mut response = match served.await {
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
