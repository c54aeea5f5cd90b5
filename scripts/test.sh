#!/usr/bin/env bash
# Runs every test: formatting, lints, unit, golden and integration tests, including the ones
# that start a real etcd and, as root, the CNI and NAT tests in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
# The `ci` profile is release with debug assertions and overflow checks (Cargo.toml).
cargo test --locked --profile ci
