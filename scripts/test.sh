#!/usr/bin/env bash
# Runs every test: formatting, lints, unit, golden and integration tests, including the ones
# that start a real etcd and, as root, the CNI and NAT tests in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
# cargo 1.95 can cache a failed target-information probe of rustc during the clippy run and
# reuse it for the release build ("failed to run `rustc` to learn about target-specific
# information"), seen on fresh clones only: probe afresh each time.
export CARGO_CACHE_RUSTC_INFO=0
scripts/install-deps.sh
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --release
