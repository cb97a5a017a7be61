//! Where webhooks may go: http(s) URLs whose host resolves only to public addresses, unless
//! the operator allows private ones (`WEBHOOK_ALLOW_PRIVATE=1`). Checked when an endpoint is
//! added and again by the delivery client's resolver at every connection (no DNS rebinding).

use ipnet::IpNet;
use std::{
    net::{IpAddr, SocketAddr},
    sync::OnceLock,
};
use url::{Host, Url};

/// Ranges no webhook may reach: loopback, private, link-local, shared (CGNAT), documentation,
/// benchmarking, multicast, reserved and unspecified, in IPv4 and IPv6.
fn blocked() -> &'static [IpNet] {
    static NETS: OnceLock<Vec<IpNet>> = OnceLock::new();
    NETS.get_or_init(|| {
        [
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
            "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "64:ff9b:1::/48", "100::/64",
            "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
        ]
        .iter()
        .map(|n| n.parse().expect("a valid network"))
        .collect()
    })
}

/// Whether `ip` is outside the public internet.
pub fn is_private(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    blocked().iter().any(|net| net.contains(&ip))
}

/// Why a URL cannot receive webhooks.
pub fn check(url: &str, allow_private: bool) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err("use an http or https URL".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("put no credentials in the URL; verify the signature instead".into());
    }
    let literal = match parsed.host() {
        None => return Err("the URL has no host".into()),
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(Host::Domain(_)) => None,
    };
    if let Some(ip) = literal
        && !allow_private
        && is_private(ip)
    {
        return Err(format!("{ip} is a loopback or private address (set WEBHOOK_ALLOW_PRIVATE=1 to allow it)"));
    }
    Ok(parsed)
}

/// Resolves `url`'s host now: an error when it has no public address (and private ones are not
/// allowed).
pub async fn resolves_publicly(url: &Url, allow_private: bool) -> Result<(), String> {
    let (Some(Host::Domain(host)), false) = (url.host(), allow_private) else { return Ok(()) };
    let addrs: Vec<SocketAddr> =
        tokio::net::lookup_host((host, 0)).await.map_err(|e| format!("{host} does not resolve: {e}"))?.collect();
    if addrs.is_empty() || addrs.iter().any(|a| is_private(a.ip())) {
        return Err(format!("{host} resolves to a loopback or private address (set WEBHOOK_ALLOW_PRIVATE=1 to allow it)"));
    }
    Ok(())
}

/// The delivery client's resolver: names resolve to their public addresses only.
pub struct PublicOnly {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = addrs.into_iter().filter(|a| allow_private || !is_private(a.ip())).collect();
            if usable.is_empty() {
                let refused = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "the host has no public address");
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(usable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_refused_and_public_ones_pass() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "0.0.0.0"] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
        assert!(check("http://127.0.0.1:9/hook", false).is_err());
        assert!(check("http://[::1]/hook", false).is_err());
        assert!(check("http://127.0.0.1:9/hook", true).is_ok());
        assert!(check("ftp://example.com/", false).is_err());
        assert!(check("https://user:pw@example.com/", false).is_err());
        assert!(check("https://example.com/hooks", false).is_ok());
    }
}
