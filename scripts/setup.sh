#!/usr/bin/env bash
# Installs what building and testing need, skipping what is already there:
# the wasm32 Rust target, the wasm-bindgen CLI at the exact version in
# Cargo.lock, the npm packages, and with --browser Debian's Chromium and
# ChromeDriver. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

want_browser=0
for argument in "$@"; do
  case "$argument" in
    --browser) want_browser=1 ;;
    *) echo "setup: unknown argument $argument (expected --browser)" >&2; exit 2 ;;
  esac
done

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must match the wasm-bindgen crate exactly, or the glue it writes
# does not fit the wasm. Cargo.toml pins the crate with "=".
if [ ! -f Cargo.lock ]; then
  cargo generate-lockfile
fi
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  echo "setup: installing wasm-bindgen-cli $bindgen_version (takes about 5 minutes once)"
  # Without --locked: a locked dependency of the CLI can be newer than the
  # registry's copy, and then a locked install fails.
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
fi

if [ "$want_browser" = 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  echo "setup: installing Debian's chromium and chromium-driver"
  sudo_command=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then
      sudo_command="sudo"
    else
      echo "setup: Chromium is missing and installing it needs root; run: apt-get install chromium chromium-driver" >&2
      exit 1
    fi
  fi
  $sudo_command apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_command apt-get install -y -qq chromium chromium-driver >/dev/null
fi
