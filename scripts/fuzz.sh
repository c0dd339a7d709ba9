#!/usr/bin/env bash
# Runs the parser property tests (tests/parse_props.rs) with a large case
# count, as a long fuzzing pass: every property must hold, and no input may
# make a parser panic. `cargo test` runs the same properties with 256 cases
# each; this script runs 250000 each, or the count given as its argument.
#
# Usage: bash scripts/fuzz.sh [CASES_PER_PROPERTY]
# A failing case is shrunk, printed, and saved by proptest to
# tests/parse_props.proptest-regressions, so later runs try it first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

cases_per_property="${1:-250000}"
if ! [[ "$cases_per_property" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: CASES_PER_PROPERTY must be a positive integer, got \"$cases_per_property\"" >&2
  exit 2
fi

# Release mode: the optimized parsers run about ten times as many cases per second.
cargo test --release --locked --test parse_props --no-run
properties=$(cargo test --release --locked --test parse_props -- --list 2>/dev/null | grep -c ': test$')
total=$((properties * cases_per_property))
echo "fuzz: ${properties} properties × ${cases_per_property} cases = ${total} cases"

started=$(date +%s)
PROPTEST_CASES="$cases_per_property" cargo test --release --locked --test parse_props
elapsed=$(($(date +%s) - started))

# cargo test exits non-zero on a failed property, so reaching this line
# means every case passed.
echo "fuzz: ${total} cases passed in ${elapsed} s, no panic and no failed property"
