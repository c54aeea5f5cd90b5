#!/usr/bin/env bash
# One command on a fresh Debian machine: install what is missing, build, and run the
# rack-pool demo on the embedded datastore (the default when nothing is configured).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --locked
bin=target/release
# The demo uses its own store file so that it can run again from scratch; without
# CALICO_DATASTORE_PATH the store lives in ~/.local/share/calico/datastore.db.
export CALICO_DATASTORE_PATH="$PWD/target/demo/datastore.db"
rm -f "$CALICO_DATASTORE_PATH"*
unset DATASTORE_TYPE ETCD_ENDPOINTS CALICO_DATASTORE_TYPE CALICO_ETCD_ENDPOINTS
run() { echo "\$ calicoctl $*"; "$bin/calicoctl" "$@"; }
run create -f testdata/demo/nodes.yaml
run label node node-1 rack=0
run label node node-2 rack=1
run create -f testdata/demo/rack-pools.yaml
run get ippool -o wide
run get node --output custom-columns=NAME
