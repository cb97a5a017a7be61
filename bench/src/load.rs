//! Load from wrk and in-process timings: the numbers every step reports.

use axum::Router;
use std::{net::SocketAddr, process::Command, time::Instant};

#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Rounds of alternating measurements in step 1.
pub const ROUNDS: usize = 3;

/// The run with the median throughput.
pub fn median(mut loads: Vec<Load>) -> Load {
    loads.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    loads[loads.len() / 2]
}

/// Runs wrk against `url` (after a one-second warm-up that is thrown away) and reads its
/// throughput and latency percentiles.
pub fn wrk(url: &str, cookie: Option<&str>, seconds: u32, connections: u32) -> Load {
    let headers: Vec<String> = cookie.map(|c| format!("Cookie: {c}")).into_iter().collect();
    wrk_with(url, &headers, seconds, connections)
}

/// [`wrk`] with these request headers (`Name: value`).
pub fn wrk_with(url: &str, headers: &[String], seconds: u32, connections: u32) -> Load {
    run_wrk(url, headers, 1, connections);
    run_wrk(url, headers, seconds, connections)
}

fn run_wrk(url: &str, headers: &[String], seconds: u32, connections: u32) -> Load {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency", "--timeout", "5s"]);
    for header in headers {
        cmd.args(["-H", header]);
    }
    cmd.args(["-H", "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"]);
    cmd.arg(url);
    let out = cmd.output().expect("wrk is installed (make bench installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("wrk said:\n{text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let non_2xx = text.lines().any(|l| l.contains("Non-2xx") || l.contains("Socket errors"));
    assert!(!non_2xx, "wrk saw failures against {url}:\n{text}");
    let percentile = |p: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(p).map(str::trim))
            .map(parse_duration_ms)
            .unwrap_or(f64::NAN)
    };
    Load { rps, p50_ms: percentile("50%"), p99_ms: percentile("99%") }
}

fn parse_duration_ms(value: &str) -> f64 {
    let (number, unit) = value.split_at(value.find(|c: char| c.is_alphabetic()).unwrap_or(value.len()));
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

pub fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

pub async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    addr
}

pub async fn api_latencies(addr: SocketAddr, cookie: &str, path: &str, bodies: Vec<String>) -> (f64, f64) {
    let client = reqwest::Client::new();
    let mut samples = Vec::with_capacity(bodies.len());
    for body in bodies {
        let t = Instant::now();
        let res = client
            .post(format!("http://{addr}{path}"))
            .header("cookie", cookie)
            .header("origin", format!("http://{addr}"))
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        let _ = res.bytes().await;
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    percentiles(samples)
}

