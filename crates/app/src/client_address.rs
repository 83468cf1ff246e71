//! Who a request comes from: the connection's peer, or, when the peer is one of the
//! operator's own proxies (`FOLIO_TRUSTED_PROXIES`), the address that proxy says it
//! forwarded for. Failed sign-ins are counted per client, so behind a load balancer Folio
//! must see past it: otherwise every person would share the balancer's address, and one
//! person's mistakes (or an attacker's) would lock everyone out.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` Folio believes: addresses or networks
/// (`10.0.0.0/8`, `192.0.2.7`, `fd00::/8`). Empty: none, the peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma- or space-separated list; each item an address or a network in CIDR form.
    fn from_str(list: &str) -> Result<Self, String> {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("`{item}` is not an IP address or a network like 10.0.0.0/8")
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    /// Whether `ip` is one of these proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind a request whose connection came from `peer`, given the
    /// `X-Forwarded-For` header values in the order received. Each trusted proxy appends
    /// the address it received from, so the list is read from the right, past the
    /// trusted proxies; the first address that is not one is the client (anything left of
    /// it was written by the client itself and proves nothing). A peer that is not a
    /// trusted proxy is the client, whatever the header says.
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let peer = peer.map(|p| p.to_canonical())?;
        if !self.contains(peer) {
            return Some(peer);
        }
        let mut client = peer;
        let hops = forwarded_for
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // A malformed entry: nothing left of it can be trusted.
                break;
            };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        Some(client)
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

/// The client's address as the pages and the API learn it, set on every request by the
/// HTTP application (nothing from the network becomes an extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

/// The key failed sign-ins are counted under for a client: an IPv4 address as it is, an
/// IPv6 address by its /64 network (one subscriber is given a whole /64, so counting
/// single IPv6 addresses would count nothing). Unknown: the empty key.
pub fn throttle_key(client: Option<IpAddr>) -> String {
    match client.map(|c| c.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(Some(ip("198.51.100.7")), &["203.0.113.9"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(none.client(None, &["203.0.113.9"]), None);
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.0.2.7".parse().unwrap();
        // client → 192.0.2.7 (edge proxy) → 10.1.2.3 (ingress) → Folio.
        assert_eq!(
            proxies.client(
                Some(ip("10.1.2.3")),
                &["198.51.100.20, 203.0.113.9", "192.0.2.7"]
            ),
            Some(ip("203.0.113.9")),
            "198.51.100.20 was written by the client and is not believed"
        );
        // A peer outside the list is believed over any header.
        assert_eq!(
            proxies.client(Some(ip("203.0.113.50")), &["10.9.9.9"]),
            Some(ip("203.0.113.50"))
        );
        // A trusted proxy with no header: the proxy is all there is.
        assert_eq!(
            proxies.client(Some(ip("10.1.2.3")), &[]),
            Some(ip("10.1.2.3"))
        );
        // Ports and IPv6 brackets are read; garbage stops the walk.
        assert_eq!(
            proxies.client(Some(ip("10.1.2.3")), &["[2001:db8::5]:4711"]),
            Some(ip("2001:db8::5"))
        );
        assert_eq!(
            proxies.client(Some(ip("10.1.2.3")), &["203.0.113.9, nonsense"]),
            Some(ip("10.1.2.3"))
        );
        // IPv4-mapped IPv6 peers are matched as IPv4.
        assert_eq!(
            proxies.client(Some(ip("::ffff:10.1.2.3")), &["203.0.113.9"]),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn a_list_that_is_not_addresses_is_refused_naming_the_item() {
        let err = "10.0.0.0/8, proxy.internal"
            .parse::<TrustedProxies>()
            .unwrap_err();
        assert!(err.contains("`proxy.internal`"), "{err}");
        assert_eq!(
            "".parse::<TrustedProxies>().unwrap(),
            TrustedProxies::default()
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        assert_eq!(throttle_key(Some(ip("203.0.113.9"))), "203.0.113.9");
        assert_eq!(throttle_key(Some(ip("::ffff:203.0.113.9"))), "203.0.113.9");
        assert_eq!(
            throttle_key(Some(ip("2001:db8:1:2:aaaa::1"))),
            throttle_key(Some(ip("2001:db8:1:2:bbbb::2")))
        );
        assert_eq!(
            throttle_key(Some(ip("2001:db8:1:2::1"))),
            "2001:db8:1:2::/64"
        );
        assert_eq!(throttle_key(None), "");
    }
}
