//! The client's address: the socket peer, or — only when the peer is a configured trusted
//! proxy — the nearest untrusted hop in `X-Forwarded-For`.

use ipnet::IpNet;
use std::net::IpAddr;

pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else { return peer };
    // Walk from the right (the hop closest to us); the first address no trusted proxy of ours
    // vouches for is the client. A malformed hop ends the walk: trust nothing beyond it.
    let mut client = peer;
    for hop in header.rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else { break };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // Direct client: the header is ignored.
        assert_eq!(client_ip(ip("203.0.113.9"), Some("81.2.69.142"), &trusted), ip("203.0.113.9"));
        // Through our proxy: the client it saw.
        assert_eq!(client_ip(ip("10.1.2.3"), Some("81.2.69.142"), &trusted), ip("81.2.69.142"));
        // A forged left-most entry is skipped: the right-most untrusted hop wins.
        assert_eq!(client_ip(ip("10.1.2.3"), Some("1.1.1.1, 81.2.69.142, 10.9.9.9"), &trusted), ip("81.2.69.142"));
        // Garbage stops the walk.
        assert_eq!(client_ip(ip("10.1.2.3"), Some("81.2.69.142, nonsense"), &trusted), ip("10.1.2.3"));
        assert_eq!(client_ip(ip("10.1.2.3"), None, &trusted), ip("10.1.2.3"));
        // No trusted proxies: never believed.
        assert_eq!(client_ip(ip("10.1.2.3"), Some("81.2.69.142"), &[]), ip("10.1.2.3"));
        assert_eq!(client_ip(ip("::ffff:10.1.2.3"), Some("81.2.69.142"), &trusted), ip("81.2.69.142"));
    }
}
