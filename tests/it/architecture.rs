//! The shape of the code (docs/ARCHITECTURE.md), checked: imports among the top-level modules
//! of `src/` run one way, no source file grows past ~500 lines, both migration folders define
//! the same schema, and every path in `infra::routes` is a page the app serves.

use crate::support::*;
use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The layers, bottom first. A module may import its own layer's neighbours only where this
/// table allows it, and anything below.
const LAYERS: &[(&str, &[&str])] = &[
    ("infra", &["infra"]),
    ("identity", &["identity"]),
    ("features", &["auth", "account_recovery", "sessions", "settings", "activity", "two_factor", "passkeys", "admin", "live"]),
    ("app", &["app"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/identity/cookie.rs` → `identity`).
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(SRC).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_owned())
}

/// The first identifier of each path in `{a::b, c, d::{e, f}}` (the text after the `{`).
fn group_heads(group: &str) -> Vec<String> {
    let mut depth = 0;
    let mut heads = Vec::new();
    let mut current = String::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => heads.push(std::mem::take(&mut current)),
            _ if depth == 0 => current.push(c),
            _ => {}
        }
    }
    heads.push(current);
    heads.iter().map(|h| ident(h.trim())).filter(|h| !h.is_empty()).collect()
}

fn ident(text: &str) -> String {
    text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// `module → modules it names as crate::<module>` (also `$crate::`, in macros).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(Path::new(SRC), &mut files);
    let is_module = |name: &str| Path::new(SRC).join(name).is_dir() || Path::new(SRC).join(format!("{name}.rs")).is_file();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(from) = module_of(&file) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        let uses = graph.entry(from.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let names = match rest.strip_prefix('{') {
                Some(group) => group_heads(group),
                None => vec![ident(rest)],
            };
            uses.extend(names.into_iter().filter(|n| *n != from && is_module(n) && n != "lib" && n != "main"));
        }
    }
    graph
}

fn layer_of(module: &str) -> usize {
    LAYERS.iter().position(|(_, members)| members.contains(&module)).unwrap_or_else(|| {
        panic!("src/{module} is in no layer: add it to LAYERS here and to docs/ARCHITECTURE.md")
    })
}

#[test]
fn imports_run_downward_only() {
    let graph = imports();
    assert!(graph.contains_key("identity") && graph["identity"].contains("infra"), "the scan found nothing: {graph:?}");
    let mut wrong = Vec::new();
    for (from, tos) in &graph {
        for to in tos {
            if layer_of(to) > layer_of(from) {
                wrong.push(format!("{from} ({}) imports {to} ({})", LAYERS[layer_of(from)].0, LAYERS[layer_of(to)].0));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that run upward:\n{}", wrong.join("\n"));
}

#[test]
fn no_cycles_among_top_level_modules() {
    let graph = imports();
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn no_source_file_is_over_500_lines() {
    let mut files = Vec::new();
    rust_files(Path::new(SRC), &mut files);
    let long: Vec<String> = files
        .iter()
        .map(|f| (f, std::fs::read_to_string(f).unwrap().lines().count()))
        .filter(|(_, n)| *n > 500)
        .map(|(f, n)| format!("{} ({n} lines)", f.display()))
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}

/// Tables, their columns (with nullability) and their indexes (with columns), as one database
/// describes them.
type Schema = BTreeMap<String, (BTreeSet<(String, bool)>, BTreeSet<(String, String)>)>;

async fn schema(app: &TestApp) -> Schema {
    use active_sessions::infra::db::Db;
    let mut out = Schema::new();
    match &app.state.db {
        Db::Sqlite { read, .. } => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
            )
            .fetch_all(read)
            .await
            .unwrap();
            for table in tables {
                let columns: Vec<(String, i64)> =
                    sqlx::query_as(&format!("SELECT name, \"notnull\" FROM pragma_table_info('{table}')")).fetch_all(read).await.unwrap();
                let pk: Vec<String> = sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}') WHERE pk > 0"))
                    .fetch_all(read)
                    .await
                    .unwrap();
                let indexes: Vec<(String, String)> = sqlx::query_as(&format!(
                    "SELECT il.name, group_concat(ii.name, ',') FROM pragma_index_list('{table}') il, pragma_index_info(il.name) ii \
                     WHERE il.origin = 'c' GROUP BY il.name"
                ))
                .fetch_all(read)
                .await
                .unwrap();
                // SQLite lets primary-key columns be NULL unless declared otherwise; Postgres
                // never does: both mean "not null" here.
                let columns = columns.into_iter().map(|(c, nn)| (c.clone(), nn == 1 || pk.contains(&c))).collect();
                out.insert(table, (columns, indexes.into_iter().collect()));
            }
        }
        Db::Postgres(pool) => {
            let columns: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for (table, column, nullable) in columns {
                out.entry(table).or_default().0.insert((column, nullable == "NO"));
            }
            let indexes: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT t.relname::text, i.relname::text, string_agg(a.attname::text, ',' ORDER BY k.ord) \
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                 WHERE n.nspname = 'public' AND NOT x.indisprimary AND NOT x.indisunique AND t.relname NOT LIKE '_sqlx%' \
                 GROUP BY t.relname, i.relname",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for (table, index, columns) in indexes {
                out.entry(table).or_default().1.insert((index, columns));
            }
        }
    }
    out
}

/// Both migration folders must build the same tables, columns and (non-unique) indexes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_databases_have_the_same_schema() {
    bounded(async {
        let Some(sqlite) = TestApp::start(Backend::Sqlite, |_| {}).await else { return };
        let Some(postgres) = TestApp::start(Backend::Postgres, |_| {}).await else {
            sqlite.finish().await;
            return;
        };
        let (a, b) = (schema(&sqlite).await, schema(&postgres).await);
        sqlite.finish().await;
        postgres.finish().await;
        assert!(a.contains_key("sessions") && a["sessions"].0.len() > 10, "{a:?}");
        // Unique constraints show as indexes in SQLite only: compare the rest.
        let strip = |s: Schema| -> Schema {
            s.into_iter()
                .map(|(t, (c, i))| (t, (c, i.into_iter().filter(|(name, _)| !name.starts_with("sqlite_autoindex")).collect())))
                .collect()
        };
        assert_eq!(strip(a), strip(b), "migrations/sqlite and migrations/postgres differ");
    })
    .await
}

backend_tests! {
    // Every route constant is a page the app serves (not the "Page not found" fallback).
    async fn every_route_constant_is_served(app: TestApp) {
        use active_sessions::infra::routes;
        let (mut device, _) = app.signed_up(CHROME_MAC).await;
        let id = device.session_id();
        let mut pages: Vec<String> = routes::SIGNED_IN_PAGES.iter().map(|p| p.to_string()).collect();
        pages.push(routes::end_session(&id));
        for page in pages {
            let res = device.get(&page).await;
            assert_eq!(res.status, reqwest::StatusCode::OK, "{page}");
            assert!(!res.body.contains("Page not found"), "{page}");
        }
        let mut anonymous = app.device(CHROME_MAC);
        for page in [routes::LOGIN, routes::SIGNUP, routes::HEALTH] {
            assert_eq!(anonymous.get(page).await.status, reqwest::StatusCode::OK, "{page}");
        }
    }
}
