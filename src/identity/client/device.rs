//! What device a session is on, in words people use ("Chrome on macOS"), from the `User-Agent`
//! header (read with uap-core's regexes by the `ua-parser` crate) and, where they agree with it,
//! User-Agent Client Hints.

use crate::identity::model::DeviceKind;
use std::{borrow::Cow, sync::LazyLock};

/// Compiled on first use (about 0.2 s and 25–40 MB in a release build). The regexes are vendored
/// (see `uap/README.md`) and `agrees_with_the_reference_corpus` loads them, so this cannot fail
/// at run time.
static PARSER: LazyLock<ua_parser::Extractor<'static>> = LazyLock::new(|| {
    let regexes = load_regexes(include_str!("uap/regexes.yaml")).expect("uap/regexes.yaml reads");
    ua_parser::Extractor::try_from(regexes).expect("uap/regexes.yaml compiles")
});

/// User agents longer than this are stored cut and parsed as unknown: nothing real is that long.
pub const MAX_USER_AGENT: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device {
    pub browser: Option<String>,
    pub os: Option<String>,
    pub kind: DeviceKind,
    pub model: Option<String>,
}

/// The Client Hints a request carried (`Sec-CH-UA-*`), already unquoted.
#[derive(Debug, Clone, Default)]
pub struct ClientHints {
    pub platform: Option<String>,
    pub platform_version: Option<String>,
    pub mobile: Option<bool>,
    pub model: Option<String>,
}

impl ClientHints {
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        use http::HeaderName;
        // Names parsed once, not on every request.
        static PLATFORM: HeaderName = HeaderName::from_static("sec-ch-ua-platform");
        static PLATFORM_VERSION: HeaderName = HeaderName::from_static("sec-ch-ua-platform-version");
        static MOBILE: HeaderName = HeaderName::from_static("sec-ch-ua-mobile");
        static MODEL: HeaderName = HeaderName::from_static("sec-ch-ua-model");
        let get = |name: &HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().trim_matches('"').trim().to_owned())
                .filter(|v| !v.is_empty() && v.len() <= 64)
        };
        ClientHints {
            platform: get(&PLATFORM),
            platform_version: get(&PLATFORM_VERSION),
            mobile: get(&MOBILE).map(|v| v == "?1"),
            model: get(&MODEL),
        }
    }
}

/// Who is asking, as the request shows it: the client's address (proxies resolved), its
/// User-Agent (cut to a sane length) and Client Hints.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: std::net::IpAddr,
    pub user_agent: String,
    pub hints: ClientHints,
}

impl ClientInfo {
    pub fn local(user_agent: &str) -> Self {
        ClientInfo {
            ip: std::net::IpAddr::from([127, 0, 0, 1]),
            user_agent: user_agent.to_owned(),
            hints: ClientHints::default(),
        }
    }

    /// From a request: `X-Forwarded-For` is believed only from `trusted_proxies`.
    pub fn from_request(
        peer: Option<std::net::IpAddr>,
        headers: &http::HeaderMap,
        trusted_proxies: &[ipnet::IpNet],
    ) -> Self {
        static X_FORWARDED_FOR: http::HeaderName = http::HeaderName::from_static("x-forwarded-for");
        let forwarded: Vec<&str> = headers.get_all(&X_FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok()).collect();
        let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
        let peer = peer.unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        let user_agent = headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
        ClientInfo {
            ip: crate::infra::client::client_ip(peer, forwarded.as_deref(), trusted_proxies),
            user_agent: clip(user_agent, MAX_USER_AGENT).to_owned(),
            hints: ClientHints::from_headers(headers),
        }
    }
}

/// Builds the parser now (a fraction of a second), so the first sign-in after start-up does
/// not wait for it.
pub fn warm_up() {
    LazyLock::force(&PARSER);
}

pub fn parse(user_agent: &str, hints: &ClientHints) -> Device {
    if user_agent.len() > MAX_USER_AGENT {
        return Device::default();
    }
    let Some(agent) = PARSER.ua.extract(user_agent) else {
        return Device::default();
    };
    let Some(browser) = browser_name(&agent.family, user_agent) else {
        return Device::default();
    };
    // Crawlers often present as a browser; uap-core's device rules know them.
    let hardware = PARSER.dev.extract(user_agent);
    let hardware = hardware.as_ref().map_or("Other", |d| &*d.device);
    if hardware == "Spider" {
        return Device::default();
    }
    let os = PARSER.os.extract(user_agent);
    let (os, mut kind) = os_and_kind(os.as_ref().map_or("Other", |o| &*o.os), hardware, user_agent);
    let mut device = Device { browser: Some(browser.to_owned()), os: os.map(str::to_owned), kind, model: None };

    // Client Hints add detail only where they agree with what the User-Agent said: only
    // Chromium-based browsers send them, and only about the platform the User-Agent names.
    let chromium = matches!(
        device.browser.as_deref(),
        Some("Chrome" | "Edge" | "Opera" | "Samsung Internet" | "Vivaldi" | "Yandex Browser")
    );
    let hinted_platform = if chromium { hints.platform.as_deref() } else { None };
    match (device.os.as_deref(), hinted_platform) {
        (Some("Windows"), Some("Windows")) => {
            // Windows 11 reports platform version 13 or higher; the User-Agent says "10" for both.
            let major = hints
                .platform_version
                .as_deref()
                .and_then(|v| v.split('.').next())
                .and_then(|v| v.parse::<u32>().ok());
            if let Some(major) = major {
                device.os = Some(if major >= 13 { "Windows 11" } else { "Windows 10" }.to_owned());
            }
        }
        (Some("Android"), Some("Android")) => {
            if hints.mobile == Some(false) && kind == DeviceKind::Phone {
                kind = DeviceKind::Tablet;
                device.kind = kind;
            }
            device.model = hints.model.clone().filter(|m| is_plain_text(m));
        }
        _ => {}
    }
    device
}

/// uap-core's browser families in the words people use. Families it already spells that way
/// pass through, and so does any other family whose User-Agent presents as a web browser;
/// libraries and apps with their own User-Agent (curl, SDKs) are not browsers.
fn browser_name<'a>(family: &'a str, user_agent: &str) -> Option<&'a str> {
    let name = match family {
        "Chrome" | "Chrome Mobile" | "Chrome Mobile iOS" | "Chrome Mobile WebView" => "Chrome",
        "Firefox" | "Firefox Mobile" | "Firefox iOS" | "Firefox Beta" => "Firefox",
        "Safari" | "Mobile Safari" | "Mobile Safari UI/WKWebView" => "Safari",
        "Edge" | "Edge Mobile" => "Edge",
        "Opera" | "Opera Mobile" | "Opera Tablet" | "Opera Touch" | "Opera GX" => "Opera",
        "IE" | "IE Mobile" => "Internet Explorer",
        "Amazon Silk" => "Silk",
        // Android's own browser from before Chrome.
        "Android" => "Android Browser",
        "DuckDuckGo Mobile" => "DuckDuckGo",
        "Chromium" | "Opera Mini" | "Samsung Internet" | "Vivaldi" | "Yandex Browser" | "Brave" | "UC Browser"
        | "Whale" => family,
        _ if user_agent.starts_with("Mozilla/") || user_agent.starts_with("Opera") => family,
        _ => return None,
    };
    Some(name)
}

/// `hardware` is uap-core's device family: it tells an iPad from an iPhone.
fn os_and_kind<'a>(os: &'a str, hardware: &str, user_agent: &str) -> (Option<&'a str>, DeviceKind) {
    let fallback = match hardware {
        "Generic Tablet" | "Kindle" => DeviceKind::Tablet,
        "Generic Smartphone" | "Generic Feature Phone" => DeviceKind::Phone,
        _ => DeviceKind::Unknown,
    };
    let (name, kind) = match os {
        "Other" => return (None, fallback),
        "Mac OS X" => ("macOS", DeviceKind::Desktop),
        "iOS" => match hardware {
            "iPad" => ("iPad", DeviceKind::Tablet),
            "iPhone" | "iPod" => ("iPhone", DeviceKind::Phone),
            // Chrome and Edge asking for desktop sites claim a Mac: an iPad or an iPhone.
            _ => ("iOS", DeviceKind::Unknown),
        },
        "Android" => {
            // Android tablets leave "Mobile" out of their User-Agent.
            let kind = if user_agent.contains("Mobile") { DeviceKind::Phone } else { DeviceKind::Tablet };
            ("Android", kind)
        }
        "Chrome OS" => ("ChromeOS", DeviceKind::Desktop),
        "Windows" => ("Windows", DeviceKind::Desktop),
        "Linux" | "Ubuntu" | "Kubuntu" | "Debian" | "Fedora" | "Gentoo" | "SUSE" | "Red Hat" | "Slackware"
        | "Mandriva" | "CentOS" | "Linux Mint" | "PCLinuxOS" | "Puppy" | "Arch Linux" | "Mageia" => {
            ("Linux", DeviceKind::Desktop)
        }
        "Windows Phone" | "Windows Mobile" | "BlackBerry OS" | "Symbian OS" | "KaiOS" | "Firefox OS" => {
            (os, DeviceKind::Phone)
        }
        other => (other, fallback),
    };
    (Some(name), kind)
}

/// Reads uap-core's `regexes.yaml` without a YAML library: every entry in it is lines of
/// `key: 'value'`. Anything else is an error, so an update that uses more of YAML fails the tests.
fn load_regexes(yaml: &'static str) -> Result<ua_parser::Regexes<'static>, String> {
    let mut out =
        ua_parser::Regexes { user_agent_parsers: Vec::new(), os_parsers: Vec::new(), device_parsers: Vec::new() };
    let mut section = "";
    for (number, line) in yaml.lines().enumerate() {
        let bad = || format!("uap/regexes.yaml line {}: {line}", number + 1);
        let entry = line.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            section = entry.strip_suffix(':').ok_or_else(bad)?;
            continue;
        }
        let (first, entry) = entry.strip_prefix("- ").map_or((false, entry), |rest| (true, rest));
        let (key, quoted) = entry.split_once(": ").ok_or_else(bad)?;
        let raw = quoted.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).ok_or_else(bad)?;
        // Single-quoted YAML escapes nothing but the quote itself, written twice.
        let value = match raw.contains('\'') {
            false => Cow::Borrowed(raw),
            true if raw.replace("''", "").contains('\'') => return Err(bad()),
            true => Cow::Owned(raw.replace("''", "'")),
        };
        // Each entry starts with its regex.
        if first != (key == "regex") {
            return Err(bad());
        }
        match section {
            "user_agent_parsers" => {
                if first {
                    out.user_agent_parsers.push(Default::default());
                }
                let p = out.user_agent_parsers.last_mut().ok_or_else(bad)?;
                match key {
                    "regex" => p.regex = value,
                    "family_replacement" => p.family_replacement = Some(value),
                    "v1_replacement" => p.v1_replacement = Some(value),
                    "v2_replacement" => p.v2_replacement = Some(value),
                    "v3_replacement" => p.v3_replacement = Some(value),
                    "v4_replacement" => p.v4_replacement = Some(value),
                    _ => return Err(bad()),
                }
            }
            "os_parsers" => {
                if first {
                    out.os_parsers.push(Default::default());
                }
                let p = out.os_parsers.last_mut().ok_or_else(bad)?;
                match key {
                    "regex" => p.regex = value,
                    "os_replacement" => p.os_replacement = Some(value),
                    "os_v1_replacement" => p.os_v1_replacement = Some(value),
                    "os_v2_replacement" => p.os_v2_replacement = Some(value),
                    "os_v3_replacement" => p.os_v3_replacement = Some(value),
                    "os_v4_replacement" => p.os_v4_replacement = Some(value),
                    _ => return Err(bad()),
                }
            }
            "device_parsers" => {
                if first {
                    out.device_parsers.push(Default::default());
                }
                let p = out.device_parsers.last_mut().ok_or_else(bad)?;
                match key {
                    "regex" => p.regex = value,
                    "regex_flag" if value == "i" => p.regex_flag = Some(ua_parser::device::Flag::IgnoreCase),
                    "device_replacement" => p.device_replacement = Some(value),
                    "brand_replacement" => p.brand_replacement = Some(value),
                    "model_replacement" => p.model_replacement = Some(value),
                    _ => return Err(bad()),
                }
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

fn is_plain_text(value: &str) -> bool {
    value.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '(' | ')' | '+'))
}

/// Cuts a header value to what is stored, on a character boundary.
pub fn clip(value: &str, max: usize) -> &str {
    if value.len() <= max {
        return value;
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::model::device_label;

    fn label(ua: &str) -> String {
        let d = parse(ua, &ClientHints::default());
        device_label(d.browser.as_deref(), d.os.as_deref())
    }

    #[test]
    fn names_browsers_as_people_do() {
        let cases = [
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on macOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0", "Opera on Windows"),
            ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"),
            ("Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", "Firefox on Android"),
            ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPad"),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"),
            ("garbage", "Unknown browser"),
            ("curl/8.5.0", "Unknown browser"),
            ("", "Unknown browser"),
        ];
        for (ua, want) in cases {
            assert_eq!(label(ua), want, "{ua}");
        }
    }

    #[test]
    fn device_kinds() {
        let none = ClientHints::default();
        let phone = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
        let tablet = "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(parse(phone, &none).kind, DeviceKind::Phone);
        assert_eq!(parse(tablet, &none).kind, DeviceKind::Tablet);
        assert_eq!(parse("garbage", &none).kind, DeviceKind::Unknown);
    }

    #[test]
    fn client_hints_only_add_what_agrees() {
        let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        let hints = ClientHints { platform: Some("Windows".into()), platform_version: Some("15.0.0".into()), ..Default::default() };
        assert_eq!(parse(windows, &hints).os.as_deref(), Some("Windows 11"));
        // A hint that contradicts the User-Agent is ignored.
        let lying = ClientHints { platform: Some("Android".into()), model: Some("Pixel 8".into()), ..Default::default() };
        let d = parse(windows, &lying);
        // Firefox never sends Client Hints: any that come with its User-Agent are ignored.
        let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(parse(firefox, &hints).os.as_deref(), Some("Windows"));
        assert_eq!(d.os.as_deref(), Some("Windows"));
        assert_eq!(d.model, None);
        let android = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
        let pixel = ClientHints { platform: Some("Android".into()), model: Some("Pixel 8".into()), mobile: Some(true), ..Default::default() };
        assert_eq!(parse(android, &pixel).model.as_deref(), Some("Pixel 8"));
    }

    #[test]
    fn crawlers_and_libraries_are_unknown_and_ios_asking_for_desktop_is_not_a_mac() {
        let cases = [
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Unknown browser"),
            ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Unknown browser"),
            ("python-requests/2.32.3", "Unknown browser"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome on iOS"),
            ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome on iPad"),
        ];
        for (ua, want) in cases {
            assert_eq!(label(ua), want, "{ua}");
        }
    }

    /// A sample of uap-core's own test User-Agents (how it was drawn: the fixture's header):
    /// browser and OS must be what uap-core's reference says, in our words, for 95 % of them.
    #[test]
    fn agrees_with_the_reference_corpus() {
        let corpus = include_str!("../../../tests/fixtures/user-agents.tsv");
        let mut total = 0;
        let mut misses = Vec::new();
        for line in corpus.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let mut columns = line.split('\t');
            let (ua, browser, os) = (columns.next().unwrap(), columns.next().unwrap(), columns.next().unwrap());
            let d = parse(ua, &ClientHints::default());
            total += 1;
            if d.browser.as_deref().unwrap_or("") != browser || d.os.as_deref().unwrap_or("") != os {
                misses.push(format!("{:?} on {:?}, want {browser} on {os}: {ua}", d.browser, d.os));
            }
        }
        println!("{} of {total} user agents differ from the reference", misses.len());
        assert!(total >= 2000, "{total}");
        assert!(misses.len() * 100 <= total * 5, "{} of {total} differ:\n{}", misses.len(), misses.join("\n"));
    }

    #[test]
    fn oversized_user_agents_are_unknown() {
        let long = format!("Mozilla/5.0 {}", "x".repeat(MAX_USER_AGENT));
        assert_eq!(label(&long), "Unknown browser");
        assert_eq!(clip("ééé", 3), "é");
    }
}
