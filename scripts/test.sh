#!/usr/bin/env bash
# Runs every test: formatting, lints, unit, golden and integration tests, including the ones
# that start a real etcd and, as root, the CNI and NAT tests in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo fmt --check
# The release build comes before clippy: on a fresh clone, with cargo 1.95 here, a release
# build started right after clippy's dev build failed at once ("failed to run `rustc` to learn
# about target-specific information"); built first, both pass.
cargo test --locked --release --no-run
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --release
