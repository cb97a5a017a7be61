//! What deserves a second look about a session, decided from what was recorded: what was new
//! at its sign-in (stored with it), and the history of places and browsers it was seen with.
//! Address changes alone are normal (phones move between networks) and raise no flag; a new
//! country or another browser does.

use super::types::{Flag, FlagKind};
use crate::identity::{
    session::{SessionRecord, SightingRecord},
    sign_in::country,
    model::device_label,
};

/// The flags of `session`, from its recorded `history` (oldest first; its first entry is the
/// sign-in).
pub fn flags(session: &SessionRecord, history: &[SightingRecord]) -> Vec<Flag> {
    let mut flags = Vec::new();
    if session.new_device {
        flags.push(Flag { kind: FlagKind::NewDevice, reason: "First sign-in to your account from this browser".to_owned() });
    }
    let signed_in_from = history.first().and_then(|s| s.sighting.location.clone()).or_else(|| session.location.clone());
    if session.new_country {
        let reason = match signed_in_from.as_deref().and_then(country) {
            Some(country) => format!("First sign-in to your account from {country}"),
            None => "First sign-in to your account from this country".to_owned(),
        };
        flags.push(Flag { kind: FlagKind::NewCountry, reason });
    }
    if let Some(reason) = change(history) {
        flags.push(Flag { kind: FlagKind::Changed, reason });
    }
    flags
}

/// The latest change of country or browser after the sign-in, in words.
fn change(history: &[SightingRecord]) -> Option<String> {
    let (first, later) = history.split_first()?;
    let first_country = first.sighting.location.as_deref().and_then(country);
    let first_device = device_label(first.sighting.browser.as_deref(), first.sighting.os.as_deref());
    later.iter().rev().find_map(|seen| {
        let here = seen.sighting.location.as_deref().and_then(country);
        if let (Some(from), Some(to)) = (first_country, here)
            && from != to
        {
            return Some(format!("Seen in {to} after signing in from {from}"));
        }
        let device = device_label(seen.sighting.browser.as_deref(), seen.sighting.os.as_deref());
        (device != first_device).then(|| format!("Browser changed from {first_device} to {device}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::session::Sighting;

    fn seen(at: i64, ip: &str, place: &str, browser: &str) -> SightingRecord {
        SightingRecord {
            session_id: "s".into(),
            at,
            sighting: Sighting {
                ip: ip.into(),
                location: Some(place.into()),
                browser: Some(browser.into()),
                os: Some("Windows".into()),
                device_kind: "desktop".into(),
            },
        }
    }

    fn session(new_device: bool, new_country: bool) -> SessionRecord {
        let mut s = SessionRecord::seed("s", &[0; 32], 1, 0, 1000);
        s.new_device = new_device;
        s.new_country = new_country;
        s
    }

    fn kinds_and_reasons(flags: Vec<Flag>) -> Vec<(FlagKind, String)> {
        flags.into_iter().map(|f| (f.kind, f.reason)).collect()
    }

    #[test]
    fn flags_come_from_the_sign_in_and_the_history() {
        let london = "London, United Kingdom";
        let boxford = "Boxford, United Kingdom";
        let linkoping = "Linköping, Sweden";
        let cases: Vec<(&str, SessionRecord, Vec<SightingRecord>, Vec<(FlagKind, &str)>)> = vec![
            ("nothing new, never moved", session(false, false), vec![seen(0, "81.2.69.142", london, "Chrome")], vec![]),
            (
                "a new address in the same country is no flag",
                session(false, false),
                vec![seen(0, "81.2.69.142", london, "Chrome"), seen(5, "2.125.160.216", boxford, "Chrome")],
                vec![],
            ),
            (
                "new device and new country at sign-in",
                session(true, true),
                vec![seen(0, "89.160.20.112", linkoping, "Chrome")],
                vec![
                    (FlagKind::NewDevice, "First sign-in to your account from this browser"),
                    (FlagKind::NewCountry, "First sign-in to your account from Sweden"),
                ],
            ),
            (
                "moved to another country after signing in",
                session(false, false),
                vec![
                    seen(0, "81.2.69.142", london, "Chrome"),
                    seen(5, "2.125.160.216", boxford, "Chrome"),
                    seen(9, "89.160.20.112", linkoping, "Chrome"),
                ],
                vec![(FlagKind::Changed, "Seen in Sweden after signing in from United Kingdom")],
            ),
            (
                "another browser with the same cookie",
                session(false, false),
                vec![seen(0, "81.2.69.142", london, "Chrome"), seen(5, "81.2.69.142", london, "Firefox")],
                vec![(FlagKind::Changed, "Browser changed from Chrome on Windows to Firefox on Windows")],
            ),
            (
                "unknown places are never a change of country",
                session(false, false),
                vec![seen(0, "127.0.0.1", "Local network", "Chrome"), seen(5, "89.160.20.112", linkoping, "Chrome")],
                vec![],
            ),
            ("no history recorded", session(false, false), vec![], vec![]),
        ];
        for (what, s, history, want) in cases {
            let want: Vec<(FlagKind, String)> = want.into_iter().map(|(k, r)| (k, r.to_owned())).collect();
            assert_eq!(kinds_and_reasons(flags(&s, &history)), want, "{what}");
        }
    }
}
