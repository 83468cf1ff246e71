//! Where Folio may send requests of its own: an admin can configure an address (their
//! identity provider's issuer) and the document fetched from it names more (the token,
//! key set, userinfo and sign-out endpoints), so each is a way to make Folio call into
//! the network it runs in (server-side request forgery). In production they must be
//! `https` and reach public addresses only; an operator setting meant for development and
//! tests allows plain `http` and private addresses (a provider on the same machine).
//!
//! The URL check here is the first line; the HTTP client's resolver applies
//! [`is_public`] again to every address a name resolves to when it connects, so a name
//! that resolves to a private address (or starts to, between check and use) is refused
//! too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which addresses Folio may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutboundPolicy {
    /// `https` to public addresses only (production).
    #[default]
    PublicHttpsOnly,
    /// Also plain `http` and loopback, private and link-local addresses: for development
    /// and tests only (`FOLIO_DEV_ALLOW_INSECURE_OUTBOUND`).
    DevelopmentAnyAddress,
}

impl OutboundPolicy {
    /// Whether private addresses may be called.
    pub fn allows_private(self) -> bool {
        self == OutboundPolicy::DevelopmentAnyAddress
    }

    /// Why `url` may not be called under this policy, in words for the admin who set it;
    /// `None` when it may.
    pub fn refusal(self, url: &url::Url) -> Option<String> {
        if self.allows_private() {
            return match url.scheme() {
                "https" | "http" => None,
                other => Some(format!("uses `{other}`, not https")),
            };
        }
        if url.scheme() != "https" {
            return Some("must use https".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Some("must not carry a user name or password".into());
        }
        match url.host() {
            None => Some("has no host".into()),
            Some(url::Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => {
                Some(format!("points at {ip}, which is not a public address"))
            }
            Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => {
                Some(format!("points at {ip}, which is not a public address"))
            }
            Some(url::Host::Domain(name)) if is_local_name(name) => {
                Some(format!("points at {name}, which is not a public name"))
            }
            Some(_) => None,
        }
    }
}

/// Names that never lead to the public internet.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || [".localhost", ".local", ".internal", ".home.arpa", ".lan"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        || !name.contains('.')
}

/// Whether `ip` is an address of the public internet: not loopback, private, shared
/// (carrier-grade NAT), link-local (cloud metadata services live there), multicast,
/// broadcast, unspecified, reserved or documentation; an IPv6 address that embeds an IPv4
/// one (mapped, compatible, NAT64, 6to4) is judged by the IPv4 address it carries.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let not_public = a == 0 // "this network"
        || a == 10 // private
        || a == 127 // loopback
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168) // private
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !not_public
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded_v4 =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    // IPv4-compatible (deprecated) ::a.b.c.d, and :: and ::1 with them.
    if s[..6] == [0; 6] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // NAT64 64:ff9b::/96 and the local-use 64:ff9b:1::/48.
    if s[0] == 0x64 && s[1] == 0xff9b {
        return s[2] == 0 && s[3..6] == [0; 3] && is_public_v4(embedded_v4(s[6], s[7]));
    }
    // 6to4 2002::/16 carries the IPv4 address in its next 32 bits.
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    let not_public = (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: tunnels to anywhere
        || (s[0] == 0x0100 && s[1..4] == [0; 3]) // discard-only 100::/64
        || (s[0] & 0xe000) != 0x2000; // outside global unicast 2000::/3
    !not_public
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(ip: &str) -> bool {
        is_public(ip.parse().unwrap())
    }

    #[test]
    fn internal_ipv4_addresses_are_not_public() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!public(ip), "{ip}");
        }
    }

    #[test]
    fn public_ipv4_addresses_are_public() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "20.190.128.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "223.255.255.254",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn internal_ipv6_forms_are_not_public() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
            "64:ff9b:1::1",
            "2002:7f00:1::1",   // 6to4 of 127.0.0.1
            "2002:c0a8:101::1", // 6to4 of 192.168.1.1
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "100::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
    }

    #[test]
    fn public_ipv6_addresses_are_public() {
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4009:81f::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    fn refusal(policy: OutboundPolicy, url: &str) -> Option<String> {
        policy.refusal(&url::Url::parse(url).unwrap())
    }

    #[test]
    fn production_calls_public_https_only() {
        let p = OutboundPolicy::PublicHttpsOnly;
        assert_eq!(refusal(p, "https://login.microsoftonline.com/t/v2.0"), None);
        assert_eq!(refusal(p, "https://idp.example.ac.uk:8443/realms/x"), None);
        for url in [
            "http://idp.example.com",
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:a9fe:a9fe]/",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.5:8443/",
            "https://localhost/",
            "https://keycloak.internal/",
            "https://intranet/",
            "https://user:pw@idp.example.com/",
            "https://2130706433/", // 127.0.0.1 as one number
            "https://0x7f.1/",
        ] {
            assert!(refusal(p, url).is_some(), "{url}");
        }
    }

    #[test]
    fn development_also_calls_local_http() {
        let p = OutboundPolicy::DevelopmentAnyAddress;
        assert_eq!(refusal(p, "http://127.0.0.1:4000"), None);
        assert_eq!(refusal(p, "https://10.0.0.5/"), None);
        assert!(refusal(p, "ftp://idp.example.com").is_some());
    }
}
