//! Part of step 2: what the page and the live list's fragments weigh on the wire, compressed
//! as browsers ask (brotli, gzip), for the account with 20 sessions.

use active_sessions::app::state::AppState;
use crate::report::Report;
use active_sessions::identity::session::SessionToken;
use std::net::SocketAddr;

pub struct Sizes {
    /// (what, plain bytes, brotli bytes, gzip bytes)
    rows: Vec<(String, usize, usize, usize)>,
}

async fn weigh(url: &str, cookie: &str, encoding: &str) -> usize {
    // reqwest here decompresses nothing: the body is what came over the wire.
    let res = reqwest::Client::new().get(url).header("cookie", cookie).header("accept-encoding", encoding).send().await.unwrap();
    assert!(res.status().is_success(), "{url}: {}", res.status());
    res.bytes().await.unwrap().len()
}

pub async fn sizes(state: &AppState, addr: SocketAddr, cookie: &str) -> Sizes {
    let token = SessionToken::parse(cookie.split_once('=').unwrap().1).unwrap();
    let me = state.sessions.find(token.id()).await.unwrap().expect("the bench session exists");
    let other = state.sessions.list(me.user_id).await.unwrap().into_iter().find(|s| s.id != me.id).unwrap();
    let base = format!("http://{addr}");
    let mut rows = Vec::new();
    for (what, path) in [
        ("the Active sessions page (20 sessions)".to_owned(), "/active-sessions".to_owned()),
        ("one row for the live list (`/active-sessions/rows/<id>`)".to_owned(), format!("/active-sessions/rows/{}", other.id)),
        ("every row, after a reconnection (`/active-sessions/rows`)".to_owned(), "/active-sessions/rows".to_owned()),
    ] {
        let url = format!("{base}{path}");
        rows.push((what, weigh(&url, cookie, "identity").await, weigh(&url, cookie, "br").await, weigh(&url, cookie, "gzip").await));
    }
    Sizes { rows }
}

pub fn report(sizes: &Sizes, r: &mut Report) {
    r.line("### On the wire");
    r.line("");
    r.line("What the same account's pages and the live list's fragments weigh as sent (SQLite run), compressed as the browser asks. The event stream itself carries a few dozen bytes per event (`event: sessions` / `data: added <id>`) and is never compressed.");
    r.line("");
    r.line("| what | plain bytes | brotli bytes | gzip bytes |");
    r.line("|---|---:|---:|---:|");
    for (what, plain, br, gz) in &sizes.rows {
        r.line(format!("| {what} | {plain} | {br} | {gz} |"));
    }
    r.line("");
}
