//! What was new about a sign-in: a browser that never signed in to the account, or a country
//! none of its sign-ins came from. Decides sign-in alerts and the flags on the list.

/// What was new about a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Novelty {
    /// The browser carried no device token from an earlier sign-in to this account.
    pub new_device: bool,
    /// The place is in a country no earlier sign-in of the account came from.
    pub new_country: bool,
}

impl Novelty {
    pub fn any(self) -> bool {
        self.new_device || self.new_country
    }
}

/// The country of a place ("London, United Kingdom" → "United Kingdom"), when it names one.
pub fn country(place: &str) -> Option<&str> {
    place.rsplit_once(", ").map(|(_, country)| country)
}

/// Whether `place` is in a country none of `earlier` is in. With no known country before,
/// there is nothing to compare with: not new.
pub fn is_new_country(place: &str, earlier: &[String]) -> bool {
    let Some(here) = country(place) else { return false };
    let mut known = earlier.iter().filter_map(|p| country(p)).peekable();
    known.peek().is_some() && !known.any(|c| c == here)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_country_needs_a_known_one_to_differ_from() {
        let earlier = ["London, United Kingdom".to_owned(), "Local network".to_owned()];
        assert!(is_new_country("Linköping, Sweden", &earlier));
        assert!(!is_new_country("Boxford, United Kingdom", &earlier));
        assert!(!is_new_country("Local network", &earlier), "no country to speak of");
        assert!(!is_new_country("Linköping, Sweden", &["Local network".to_owned()]), "nothing known before");
        assert!(!is_new_country("Linköping, Sweden", &[]));
        assert_eq!(country("Milton, United States"), Some("United States"));
        assert_eq!(country("Unknown location"), None);
    }
}
