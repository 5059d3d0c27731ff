//! Server-side request forgery: a webhook must not reach into the force's
//! own network (or the cloud's metadata service). Its URL is checked when
//! the hook is made, and every address its host resolves to is checked
//! again at each delivery, after resolution and before connecting, so a
//! name that later resolves somewhere private (DNS rebinding) is refused
//! too. [`GuardedResolver`] is the resolver the delivery client uses: the
//! client connects only to the addresses it passed.
//!
//! ```text
//! URL ─► scheme http/https ─► host: IP literal ─► allowed(ip)?
//!                                  name ─► resolve ─► every address allowed?
//! ```

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Why an address may not be a webhook's target, if it may not.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified",
        (0, _, _) => "this network (0.0.0.0/8)",
        (127, _, _) => "loopback",
        (10, _, _) => "private (10.0.0.0/8)",
        (172, 16..=31, _) => "private (172.16.0.0/12)",
        (192, 168, _) => "private (192.168.0.0/16)",
        (100, 64..=127, _) => "shared address space (100.64.0.0/10, carrier-grade NAT)",
        (169, 254, _) => "link-local (169.254.0.0/16, cloud metadata)",
        (192, 0, 0) => "IETF protocol assignments (192.0.0.0/24)",
        (198, 18..=19, _) => "benchmarking (198.18.0.0/15)",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved or broadcast (240.0.0.0/4)",
        _ => return None,
    })
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    // An IPv4 address in an IPv6 form is judged as that IPv4 address:
    // mapped (::ffff:a.b.c.d), compatible (::a.b.c.d, deprecated), NAT64
    // (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48).
    let s = ip.segments();
    let embedded = if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if (s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1))
        || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
    {
        Some(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32))
    } else if s[0] == 0x2002 {
        Some(Ipv4Addr::from(((s[1] as u32) << 16) | s[2] as u32))
    } else {
        None
    };
    if let Some(v4) = embedded {
        return refused_v4(v4);
    }
    Some(match s[0] {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        0xfc00..=0xfdff => "unique local (fc00::/7)",
        0xfe80..=0xfebf => "link-local (fe80::/10)",
        0xfec0..=0xfeff => "site-local (fec0::/10)",
        0xff00..=0xffff => "multicast",
        // NAT64 for local use (64:ff9b:1::/48) and discard-only (100::/64).
        0x0064 if s[1] == 0xff9b && s[2] == 1 => "local NAT64 (64:ff9b:1::/48)",
        0x0100 if s[1..4] == [0, 0, 0] => "discard-only (100::/64)",
        _ => return None,
    })
}

/// Why a webhook URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Checks a hook's URL before it is stored: http or https, a host, and
/// (unless `allow_private`) no address of a kind [`refused`] names, for an
/// IP literal or any address the name resolves to now.
pub async fn check_url(url: &str, allow_private: bool) -> Result<Url, Refused> {
    let parsed = Url::parse(url).map_err(|e| Refused(format!("'{url}' is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Refused(format!(
            "'{}' is not http or https",
            parsed.scheme()
        )));
    }
    let Some(host) = parsed.host() else {
        return Err(Refused("the URL has no host".into()));
    };
    if allow_private {
        return Ok(parsed);
    }
    match host {
        url::Host::Ipv4(ip) => check_ip(IpAddr::V4(ip))?,
        url::Host::Ipv6(ip) => check_ip(IpAddr::V6(ip))?,
        url::Host::Domain(name) => {
            let addrs = resolve(name).await?;
            for addr in addrs {
                check_ip(addr.ip()).map_err(|Refused(why)| {
                    Refused(format!("{name} resolves to {}: {why}", addr.ip()))
                })?;
            }
        }
    }
    Ok(parsed)
}

/// Checks the host of a URL about to be delivered to, when it is an IP
/// literal (a name goes through [`GuardedResolver`]).
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), Refused> {
    if allow_private {
        return Ok(());
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip)),
        _ => Ok(()),
    }
}

fn check_ip(ip: IpAddr) -> Result<(), Refused> {
    match refused(ip) {
        Some(why) => Err(Refused(format!(
            "{ip} is {why}: webhooks may not target it (a collector started with --allow-private-webhooks may)"
        ))),
        None => Ok(()),
    }
}

async fn resolve(name: &str) -> Result<Vec<SocketAddr>, Refused> {
    let looked_up = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::lookup_host((name.trim_end_matches('.'), 0)),
    )
    .await
    .map_err(|_| Refused(format!("{name} did not resolve within 5 s")))?
    .map_err(|e| Refused(format!("{name} does not resolve: {e}")))?;
    let addrs: Vec<SocketAddr> = looked_up.collect();
    if addrs.is_empty() {
        return Err(Refused(format!("{name} has no address")));
    }
    Ok(addrs)
}

/// The delivery client's resolver: the system's, with every address that
/// may not be a webhook's target taken out; a name left with none fails
/// with [`Refused`] (found by [`is_refused`] in the client's error).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Let everything through (`allow_private_webhooks`).
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let mut kept = Vec::new();
            let mut why = None;
            for addr in addrs {
                match refused(addr.ip()) {
                    Some(reason) if !allow_private => why = Some((addr.ip(), reason)),
                    _ => kept.push(addr),
                }
            }
            if kept.is_empty() {
                let msg = match why {
                    Some((ip, reason)) => format!("{host} resolves to {ip}: {reason}"),
                    None => format!("{host} has no address"),
                };
                let err: Box<dyn std::error::Error + Send + Sync> = Box::new(Refused(msg));
                return Err(err);
            }
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// The [`Refused`] somewhere in `e`'s chain of causes, if any.
pub fn is_refused<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(r) = e.downcast_ref::<Refused>() {
            return Some(r);
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no(s: &str) -> bool {
        refused(s.parse().unwrap()).is_some()
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for a in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:0a00:0001::1",
        ] {
            assert!(no(a), "{a} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.0.1",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "193.0.0.1",
            "2001:4860:4860::8888",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!no(a), "{a} should pass");
        }
    }

    #[tokio::test]
    async fn urls_are_checked_for_scheme_and_host() {
        for (url, why) in [
            ("ftp://example.org/", "not http or https"),
            ("not a url", "not a URL"),
            ("http://127.0.0.1:9000/hook", "loopback"),
            ("http://10.0.0.5/", "private"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://[::1]:8080/", "loopback"),
            ("http://[::ffff:192.168.0.1]/", "private"),
            // WHATWG parsing reads these as 127.0.0.1 too.
            ("http://2130706433/", "loopback"),
            ("http://0x7f.1/", "loopback"),
            // A name is resolved and judged by its addresses.
            ("http://localhost:1/", "loopback"),
        ] {
            let err = check_url(url, false).await.unwrap_err();
            assert!(err.0.contains(why), "{url}: {err}");
        }
        assert!(check_url("http://127.0.0.1:9000/hook", true).await.is_ok());
        assert!(check_url("https://93.184.215.14/hook", false).await.is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        let err = GuardedResolver {
            allow_private: false,
        }
        .resolve("localhost".parse().unwrap())
        .await
        .err()
        .unwrap();
        assert!(is_refused(err.as_ref()).is_some(), "{err}");
        let ok = GuardedResolver {
            allow_private: true,
        }
        .resolve("localhost".parse().unwrap())
        .await
        .unwrap();
        assert!(ok.into_iter().all(|a| a.ip().is_loopback()));
    }
}
