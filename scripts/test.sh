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
