//! What device a session is on, in words people use ("Chrome on macOS"), from the `User-Agent`
//! header (parsed by woothee) and, where they agree with it, User-Agent Client Hints.

use super::types::DeviceKind;
use std::sync::LazyLock;

static PARSER: LazyLock<woothee::parser::Parser> = LazyLock::new(woothee::parser::Parser::new);

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

pub fn parse(user_agent: &str, hints: &ClientHints) -> Device {
    if user_agent.len() > MAX_USER_AGENT {
        return Device::default();
    }
    let Some(result) = PARSER.parse(user_agent) else {
        return Device::default();
    };
    // Libraries and crawlers are not browsers a person would recognise.
    if result.browser_type != "browser" {
        return Device::default();
    }
    let browser = browser_name(result.name);
    let (os, mut kind) = os_and_kind(result.os, result.category, user_agent);
    let mut device = Device { browser, os, kind, model: None };

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

fn browser_name(name: &str) -> Option<String> {
    let name = match name {
        "UNKNOWN" | "" => return None,
        "SamsungBrowser" => "Samsung Internet",
        "Internet Explorer" => "Internet Explorer",
        "Mobile Safari" | "Webview" => "Safari",
        other => other,
    };
    Some(name.to_owned())
}

fn os_and_kind(os: &str, category: &str, user_agent: &str) -> (Option<String>, DeviceKind) {
    let kind_from_category = match category {
        "pc" => DeviceKind::Desktop,
        "smartphone" | "mobilephone" => DeviceKind::Phone,
        _ => DeviceKind::Unknown,
    };
    let (name, kind) = match os {
        "UNKNOWN" | "" => return (None, kind_from_category),
        "Mac OSX" => ("macOS", DeviceKind::Desktop),
        "iPhone" | "iPod" => ("iPhone", DeviceKind::Phone),
        "iPad" => ("iPad", DeviceKind::Tablet),
        "Android" => {
            // Android tablets leave "Mobile" out of their User-Agent.
            let kind = if user_agent.contains("Mobile") { DeviceKind::Phone } else { DeviceKind::Tablet };
            ("Android", kind)
        }
        "ChromeOS" => ("ChromeOS", DeviceKind::Desktop),
        other if other.starts_with("Windows Phone") => ("Windows Phone", DeviceKind::Phone),
        other if other.starts_with("Windows") => ("Windows", DeviceKind::Desktop),
        "Linux" => ("Linux", DeviceKind::Desktop),
        other => (other, kind_from_category),
    };
    (Some(name.to_owned()), kind)
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
    use crate::identity::types::device_label;

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
    fn oversized_user_agents_are_unknown() {
        let long = format!("Mozilla/5.0 {}", "x".repeat(MAX_USER_AGENT));
        assert_eq!(label(&long), "Unknown browser");
        assert_eq!(clip("ééé", 3), "é");
    }
}
