//! Approximate location of an IP address, from a MaxMind-format database when one is configured.

use maxminddb::{Reader, geoip2};
use std::{net::IpAddr, path::Path};

pub const LOCAL_NETWORK: &str = "Local network";
pub const UNKNOWN_LOCATION: &str = "Unknown location";

pub struct GeoIp {
    reader: Option<Reader<Vec<u8>>>,
}

impl GeoIp {
    pub fn disabled() -> Self {
        GeoIp { reader: None }
    }

    pub fn open(path: &Path) -> Result<Self, String> {
        Reader::open_readfile(path)
            .map(|reader| GeoIp { reader: Some(reader) })
            .map_err(|e| format!("GEOIP_DB: could not open {}: {e}", path.display()))
    }

    /// "London, United Kingdom", "Local network" or "Unknown location".
    pub fn locate(&self, ip: IpAddr) -> String {
        let ip = ip.to_canonical();
        if is_local(ip) {
            return LOCAL_NETWORK.to_owned();
        }
        self.lookup(ip).unwrap_or_else(|| UNKNOWN_LOCATION.to_owned())
    }

    fn lookup(&self, ip: IpAddr) -> Option<String> {
        let reader = self.reader.as_ref()?;
        let city: geoip2::City = reader.lookup(ip).ok()?.decode().ok()??;
        let city_name = city.city.names.english;
        let country = city.country.names.english;
        match (city_name, country) {
            (Some(city), Some(country)) => Some(format!("{city}, {country}")),
            (None, Some(country)) => Some(country.to_owned()),
            (Some(city), None) => Some(city.to_owned()),
            (None, None) => None,
        }
    }
}

fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.is_unspecified() || v6.is_unique_local() || v6.is_unicast_link_local()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_db() -> GeoIp {
        GeoIp::open(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/GeoLite2-City-Test.mmdb")))
            .unwrap()
    }

    #[test]
    fn known_addresses() {
        let geo = test_db();
        let at = |ip: &str| geo.locate(ip.parse().unwrap());
        assert_eq!(at("81.2.69.142"), "London, United Kingdom");
        assert_eq!(at("89.160.20.112"), "Linköping, Sweden");
        assert_eq!(at("216.160.83.56"), "Milton, United States");
        assert_eq!(at("127.0.0.1"), LOCAL_NETWORK);
        assert_eq!(at("::1"), LOCAL_NETWORK);
        assert_eq!(at("192.168.1.20"), LOCAL_NETWORK);
        assert_eq!(at("::ffff:10.0.0.1"), LOCAL_NETWORK);
        assert_eq!(at("8.8.8.8"), UNKNOWN_LOCATION);
        assert_eq!(GeoIp::disabled().locate("81.2.69.142".parse().unwrap()), UNKNOWN_LOCATION);
    }
}
