//! The server binary itself: bad configuration stops it with the variable's name, `/healthz`
//! answers, SIGTERM stops it cleanly.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_active-sessions");

fn run_with(vars: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .env("DATABASE_URL", format!("sqlite://{}/db.sqlite", dir.path().display()))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_configuration_stops_start_up_naming_the_variable() {
    for (var, value) in [
        ("SESSION_IDLE_TIMEOUT", "banana"),
        ("SESSION_MAX_LIFETIME", "0s"),
        ("TRUSTED_PROXIES", "not-an-ip"),
        ("PUBLIC_URL", "https://example.com/some/path"),
        ("LOGIN_MAX_FAILURES_PER_EMAIL", "-3"),
        ("MAX_SESSIONS_PER_USER", "0"),
        ("SESSION_CACHE", "sometimes"),
        ("GEOIP_DB", "/nonexistent/GeoLite2-City.mmdb"),
        ("DATABASE_URL", "mysql://localhost/x"),
    ] {
        let (ok, stderr) = run_with(&[(var, value)]);
        assert!(!ok, "{var}={value} must stop start-up");
        assert!(stderr.contains(var) || stderr.contains(&var.to_lowercase().replace('_', "-")), "{var}: {stderr}");
    }
    let (ok, stderr) = run_with(&[("SESSION_IDLE_TIMEOUT", "31d")]);
    assert!(!ok && stderr.contains("SESSION_IDLE_TIMEOUT"), "idle longer than the lifetime: {stderr}");
}

#[test]
fn serves_health_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(BIN)
        .env("DATABASE_URL", format!("sqlite://{}/db.sqlite", dir.path().display()))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let healthy = loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            break answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok");
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(healthy);
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let stopped = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "clean exit on SIGTERM: {status}");
            break;
        }
        assert!(stopped.elapsed() < Duration::from_secs(10), "still running 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn http(port: u16, request: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return String::new() };
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// `/metrics` (Prometheus text) is served on its own address, only when METRICS_ADDR is set,
/// and counts what the server does.
#[test]
fn metrics_for_operators_on_their_own_address() {
    let dir = tempfile::tempdir().unwrap();
    let free = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (port, metrics) = (free(), free());
    let mut child = Command::new(BIN)
        .env("DATABASE_URL", format!("sqlite://{}/db.sqlite", dir.path().display()))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("METRICS_ADDR", format!("127.0.0.1:{metrics}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !http(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 200") {
        assert!(started.elapsed() < Duration::from_secs(20), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let body = "email=metrics%40example.com&password=correct+horse+battery+staple";
    let signup = http(
        port,
        &format!(
            "POST /api/signup HTTP/1.1\r\nHost: x\r\nSec-Fetch-Site: same-origin\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    let cookie = signup.lines().find_map(|l| l.strip_prefix("set-cookie: session=")).unwrap().split(';').next().unwrap().to_owned();
    let page = http(port, &format!("GET /active-sessions HTTP/1.1\r\nHost: x\r\nCookie: session={cookie}\r\nConnection: close\r\n\r\n"));
    assert!(page.starts_with("HTTP/1.1 200"));
    let scrape = http(metrics, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(scrape.starts_with("HTTP/1.1 200"), "{scrape}");
    assert!(scrape.contains("sessions_checked_total{result=\"accepted\"} 1"), "{scrape}");
    assert!(scrape.contains("password_hashes_in_use"), "{scrape}");
    // Not on the public address.
    let public = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(!public.starts_with("HTTP/1.1 200") && !public.contains("sessions_checked_total"), "{public}");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}
