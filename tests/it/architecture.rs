//! The shape of the code (docs/ARCHITECTURE.md), checked: imports among the top-level modules
//! of `src/` run one way, no source file grows past ~500 lines, `identity` is a few rooms that
//! features enter only by their doors and whose stores stay inside, no feature touches the
//! database, both migration folders define the same schema, and every path in
//! `infra::routes` is a page the app serves.

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
    ("features", &["auth", "account_recovery", "sessions", "settings", "activity", "two_factor", "passkeys", "admin", "live", "operator_api"]),
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

const FEATURES: &[&str] = &["auth", "account_recovery", "sessions", "settings", "activity", "two_factor", "passkeys", "admin", "live", "operator_api"];
const IDENTITY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/identity");

/// Room modules that are doors themselves (public on purpose): the session check's
/// coherence choice is made by the composition root.
const PUBLIC_SUBMODULES: &[&str] = &["session::check"];

fn ident_at(text: &str, at: usize) -> Option<(String, usize)> {
    let rest = &text[at..];
    let len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
    (len > 0).then(|| (rest[..len].to_owned(), at + len))
}

fn skip_space(text: &str, mut at: usize) -> usize {
    while text[at..].starts_with(|c: char| c.is_whitespace()) {
        at += text[at..].chars().next().unwrap().len_utf8();
    }
    at
}

/// The paths a use-tree (or an expression path) starting at `at` names, each as its segments.
fn use_tree(text: &str, at: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let mut path = prefix;
    let mut at = skip_space(text, at);
    loop {
        if text[at..].starts_with('{') {
            let mut out = Vec::new();
            at += 1;
            loop {
                at = skip_space(text, at);
                if text[at..].starts_with('}') {
                    return (out, at + 1);
                }
                let (paths, next) = use_tree(text, at, path.clone());
                out.extend(paths);
                at = skip_space(text, next);
                if text[at..].starts_with(',') {
                    at += 1;
                }
            }
        }
        if text[at..].starts_with('*') {
            path.push("*".into());
            return (vec![path], at + 1);
        }
        let Some((name, next)) = ident_at(text, at) else { return (vec![path], at) };
        path.push(name);
        at = next;
        let after = skip_space(text, at);
        if text[after..].starts_with("::") {
            at = skip_space(text, after + 2);
            continue;
        }
        // `x as y`
        if let Some(rest) = text[after..].strip_prefix("as ") {
            let skipped = after + 3 + (rest.len() - rest.trim_start().len());
            if let Some((_, next)) = ident_at(text, skipped) {
                at = next;
            }
        }
        return (vec![path], at);
    }
}

/// Every path through `identity::` in `text`: the segments after `identity`.
fn identity_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("identity::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        out.extend(use_tree(text, at + "identity::".len(), Vec::new()).0);
    }
    out
}

/// What a room's door (`src/identity/<room>/mod.rs`) lets through: what it re-exports, its
/// public modules, and the public items it defines itself.
fn door(room: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!("{IDENTITY}/{room}/mod.rs")).unwrap();
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("pub use ") {
            for path in use_tree(rest, 0, Vec::new()).0 {
                // `a::b as c` exports `c`: read the alias from the text.
                names.insert(path.last().unwrap().clone());
            }
            for alias in rest.split(" as ").skip(1) {
                if let Some((name, _)) = ident_at(alias, 0) {
                    names.insert(name);
                }
            }
        }
        for item in ["pub mod ", "pub struct ", "pub enum ", "pub fn ", "pub async fn ", "pub const ", "pub type ", "pub trait "] {
            if let Some(rest) = line.strip_prefix(item) {
                if let Some((name, _)) = ident_at(rest, 0) {
                    names.insert(name);
                }
            }
        }
    }
    names
}

fn rooms() -> Vec<String> {
    std::fs::read_dir(IDENTITY)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
        .collect()
}

fn feature_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for feature in FEATURES.iter().chain(&["app"]) {
        let dir = Path::new(SRC).join(feature);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(Path::new(SRC).join(format!("{feature}.rs")));
        }
    }
    files
}

#[test]
fn identity_is_a_few_rooms_each_with_a_purpose() {
    let entries: Vec<_> = std::fs::read_dir(IDENTITY).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(entries.len() <= 10, "src/identity has {} entries: {entries:?}", entries.len());
    for entry in entries {
        let file = if entry.is_dir() { entry.join("mod.rs") } else { entry.clone() };
        let text = std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("{} has no mod.rs", entry.display()));
        assert!(text.starts_with("//! "), "{} does not begin by saying what it is for (a //! line)", file.display());
    }
}

#[test]
fn room_internals_stay_inside() {
    let mut wrong = Vec::new();
    for room in rooms() {
        let mut files = Vec::new();
        rust_files(&Path::new(IDENTITY).join(&room), &mut files);
        for file in files.iter().filter(|f| f.file_name().unwrap() == "mod.rs") {
            let text = std::fs::read_to_string(file).unwrap();
            let module = file.parent().unwrap().strip_prefix(IDENTITY).unwrap().to_str().unwrap().replace('/', "::");
            for line in text.lines().filter(|l| l.starts_with("pub mod ")) {
                let name = ident_at(&line["pub mod ".len()..], 0).unwrap().0;
                let path = format!("{module}::{name}");
                if !PUBLIC_SUBMODULES.contains(&path.as_str()) {
                    wrong.push(format!("{}: pub mod {name} (stores and services stay inside; export what others need)", file.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn features_enter_identity_by_its_doors() {
    let rooms = rooms();
    let doors: BTreeMap<String, BTreeSet<String>> = rooms.iter().map(|r| (r.clone(), door(r))).collect();
    let mut wrong = Vec::new();
    let mut seen = 0;
    for file in feature_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let code: String = text.lines().map(|l| l.split("//").next().unwrap()).collect::<Vec<_>>().join("\n");
        for path in identity_paths(&code) {
            seen += 1;
            let Some(first) = path.first() else { continue };
            if !rooms.contains(first) {
                // `identity::model::…` (the shared words) and `identity::Identity`.
                continue;
            }
            let ok = path.get(1).is_none_or(|name| {
                doors[first].contains(name) || PUBLIC_SUBMODULES.contains(&format!("{first}::{name}").as_str())
            });
            if !ok {
                wrong.push(format!("{}: identity::{}", file.display(), path.join("::")));
            }
        }
    }
    assert!(seen > 20, "the scan found only {seen} paths into identity");
    assert!(wrong.is_empty(), "paths past a room's door:\n{}", wrong.join("\n"));
}

#[test]
fn no_feature_touches_the_database() {
    let touching = |files: &[PathBuf]| {
        let mut found = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap();
                if [".db", "db_read!", "db_write!", "sqlx::", "infra::db", "Db::"].iter().any(|needle| code.contains(needle)) {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
        found
    };
    let (app, features): (Vec<PathBuf>, Vec<PathBuf>) = feature_files().into_iter().partition(|f| f.starts_with(Path::new(SRC).join("app")));
    assert!(!touching(&app).is_empty(), "the scan finds the composition root's database handle");
    let wrong = touching(&features);
    assert!(wrong.is_empty(), "a rule that touches the database belongs in an identity service:\n{}", wrong.join("\n"));
}

#[test]
fn the_scanners_see_what_they_should() {
    let paths = identity_paths("use crate::{identity::{web::{Caller, SignedIn}, session::SessionRecord as R}, infra::x};");
    assert_eq!(paths, vec![vec!["web", "Caller"], vec!["web", "SignedIn"], vec!["session", "SessionRecord"]]);
    assert_eq!(identity_paths("let me = crate::identity::web::SignedIn::get()?;"), vec![vec!["web", "SignedIn", "get"]]);
    assert!(door("session").contains("SessionService") && !door("session").contains("store"));
    assert!(door("account").contains("seed_users"), "aliases count");
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
