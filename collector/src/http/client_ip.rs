//! Who the client is, for the rate limiter: the TCP peer, or, when the peer
//! is one of the `trusted_proxies`, the address that proxy reports.
//!
//! ```text
//! peer untrusted ─────────────────────────────────────────────► peer
//! peer trusted ─► the deployment's header (X-Forwarded-For, or Forwarded: for=),
//!                 right to left, skipping trusted proxies ─► first address that is not one
//! ```
//!
//! Only the right-hand end of `X-Forwarded-For` can be believed: each
//! trusted proxy appends the address it saw, while anything to the left may
//! have been sent by the client itself. A header from an untrusted peer is
//! ignored altogether, so a client cannot pick its own key; so is the
//! header the proxies do not write (`forwarded_header`), which a proxy
//! may pass on from the client as it came.
//!
//! The address is used as a key in the limiter's memory and nowhere else:
//! it is neither stored nor logged.

use crate::config::{ForwardedHeader, TrustedProxy};
use axum::extract::ConnectInfo;
use axum::http::header::FORWARDED;
use axum::http::{HeaderMap, Request};
use forwarded_header_value::ForwardedHeaderValue;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::GovernorError;

/// Keys the per-client limit by [`client_ip`], an IPv6 client by its /64
/// (one household or phone gets a whole /64, and could otherwise take a
/// fresh budget, and a fresh entry in the limiter, with every request).
#[derive(Debug, Clone)]
pub struct ClientKey {
    trusted: Arc<[TrustedProxy]>,
    header: ForwardedHeader,
}

impl ClientKey {
    /// A key extractor that believes `header` from `trusted`.
    pub fn new(trusted: &[TrustedProxy], header: ForwardedHeader) -> ClientKey {
        ClientKey {
            trusted: trusted.into(),
            header,
        }
    }
}

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        // Without a peer (a router called in-process, as some tests do) all
        // such requests share one budget.
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        Ok(limiter_key(client_ip(
            peer,
            req.headers(),
            &self.trusted,
            self.header,
        )))
    }
}

/// An IPv4 client as it is; an IPv6 client by its /64.
fn limiter_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !(u128::MAX >> 64);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

/// The client's address: `peer`, unless `peer` is a trusted proxy, in
/// which case the right-most address in `header` (`X-Forwarded-For` or
/// `Forwarded: for=`) that is not itself a trusted proxy. When an entry
/// cannot be read (`unknown`, an obfuscated name, garbage), the nearest
/// trusted hop to its right is the best that is known.
pub fn client_ip(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &[TrustedProxy],
    header: ForwardedHeader,
) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = match header {
        ForwardedHeader::XForwardedFor => forwarded_for(headers),
        ForwardedHeader::Forwarded => forwarded(headers),
    };
    let mut nearest = peer;
    for hop in hops.unwrap_or_default().into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => nearest = ip,
            Some(ip) => return ip,
            None => break,
        }
    }
    nearest
}

/// The `X-Forwarded-For` entries, left to right, over every such header;
/// `None` for an entry that is not an address. `None` without the header.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut values = headers.get_all("x-forwarded-for").iter().peekable();
    values.peek()?;
    let mut hops = Vec::new();
    for value in values {
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        hops.extend(text.split(',').map(|s| parse_hop(s.trim())));
    }
    Some(hops)
}

/// The `for=` of every `Forwarded` element, left to right. A header that
/// does not parse is one unreadable entry.
fn forwarded(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut values = headers.get_all(FORWARDED).iter().peekable();
    values.peek()?;
    let mut hops = Vec::new();
    for value in values {
        match value
            .to_str()
            .ok()
            .and_then(|s| ForwardedHeaderValue::from_forwarded(s).ok())
        {
            Some(parsed) => hops.extend(
                parsed
                    .iter()
                    .map(|stanza| stanza.forwarded_for_ip().map(|ip| ip.to_canonical())),
            ),
            None => hops.push(None),
        }
    }
    Some(hops)
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .or_else(|_| s.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    const FWD: ForwardedHeader = ForwardedHeader::Forwarded;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> Vec<TrustedProxy> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("198.51.100.1"), &h, &trusted, XFF),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("198.51.100.1"), &h, &[], XFF),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "192.0.2.7"]);
        // The client sent a made-up address on the left; the proxies appended
        // what they saw.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 192.0.2.7")]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &h, &trusted, XFF),
            ip("203.0.113.9")
        );
        // Several headers are one list, in order.
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.9:4711"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &h, &trusted, XFF),
            ip("203.0.113.9")
        );
        // Only trusted hops: the left-most of them.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 192.0.2.7")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted, XFF), ip("10.9.9.9"));
        // An unreadable entry: the nearest trusted hop to its right.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, unknown, 192.0.2.7")]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &h, &trusted, XFF),
            ip("192.0.2.7")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &trusted, XFF),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn only_the_header_the_proxies_write_is_read() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let h = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8::5]:4711\";proto=https, for=10.0.0.9",
        )]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &h, &trusted, FWD),
            ip("2001:db8::5")
        );
        let h = headers(&[("forwarded", "for=_hidden, for=10.0.0.9")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted, FWD), ip("10.0.0.9"));
        // A proxy that writes one header passes the other on as the client
        // sent it: a made-up address there must not be the key.
        let h = headers(&[
            ("forwarded", "for=203.0.113.1"),
            ("x-forwarded-for", "198.51.100.77"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &h, &trusted, FWD),
            ip("203.0.113.1")
        );
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.2"),
            ("forwarded", "for=198.51.100.77"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &h, &trusted, XFF),
            ip("203.0.113.2")
        );
        // Without the proxies' header: the proxy itself, not the other one.
        let h = headers(&[("forwarded", "for=198.51.100.77")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted, XFF), ip("10.0.0.2"));
        assert_eq!(
            "Forwarded".parse::<ForwardedHeader>(),
            Ok(FWD),
            "named as in the configuration"
        );
        assert!("via".parse::<ForwardedHeader>().is_err());
    }

    #[test]
    fn ipv4_mapped_peers_count_as_ipv4() {
        let trusted = proxies(&["127.0.0.1"]);
        let h = headers(&[("x-forwarded-for", "::ffff:203.0.113.9")]);
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &h, &trusted, XFF),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn ipv6_clients_share_a_key_per_64() {
        assert_eq!(
            limiter_key(ip("2001:db8:1:2:aaaa::1")),
            limiter_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            limiter_key(ip("2001:db8:1:2::1")),
            limiter_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limiter_key(ip("203.0.113.9")), ip("203.0.113.9"));
    }
}
