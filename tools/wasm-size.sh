#!/usr/bin/env bash
# Builds only the browser bundle the way cargo-leptos does for release (wasm-release profile,
# wasm-bindgen, wasm-opt -Oz) and prints its brotli size. For quick size work.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$PATH"
cargo build --lib --target wasm32-unknown-unknown --profile wasm-release --no-default-features --features hydrate --quiet
out=$(mktemp -d)
wasm-bindgen --target web --out-dir "$out" target/wasm32-unknown-unknown/wasm-release/active_sessions.wasm
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  "$out/active_sessions_bg.wasm" -o "$out/active-sessions.wasm"
cp "$out/active_sessions.js" "$out/active-sessions.js"
cp style/main.css "$out/active-sessions.css"
rm "$out/active_sessions_bg.wasm" "$out/active_sessions.js"
node tools/payload.mjs "$out"
rm -rf "$out"
