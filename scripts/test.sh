#!/usr/bin/env bash
# Runs every test: native Rust, wasm in Node and headless Chromium, the
# emulator's own tests, the JS API tests against the emulator, and the
# end-to-end pages in Chromium. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh --browser
node scripts/build.mjs

step() { printf '\n=== %s\n' "$1"; }

step "clippy, native and wasm32"
# -D warnings makes any lint a failure. The library denies unwrap, expect,
# panic and indexing outside tests (src/lib.rs), because a panic poisons the
# wasm instance for the whole page.
if ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add clippy
fi
cargo clippy --all-targets --locked -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --locked -- -D warnings

step "native Rust tests"
cargo test --locked

step "wasm tests in Node"
cargo test --locked --target wasm32-unknown-unknown --test wasm_node

step "wasm tests in headless Chromium"
cargo test --locked --target wasm32-unknown-unknown --test wasm_browser

step "emulator, JS API and end-to-end tests"
# Node 20 takes file names, not globs, so the shell expands them. The
# timeout keeps a hung server from holding the run forever.
timeout 900 node --test --test-concurrency=1 tests/emulator/*.test.mjs tests/js/*.test.mjs tests/e2e/*.test.mjs

step "type tests, examples and a consumer file under tsc --strict"
npx tsc -p tests/types --strict --noEmit

step "CLI, the packed package in Node, Vite, webpack and a plain page, and the examples"
timeout 600 node --test --test-concurrency=1 tests/cli/cli.test.mjs tests/consumers/consumers.test.mjs tests/consumers/examples.test.mjs
