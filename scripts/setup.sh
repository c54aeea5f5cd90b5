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
mkdir -p "$(dirname "$CALICO_DATASTORE_PATH")"  # a named store's directory must exist
unset DATASTORE_TYPE ETCD_ENDPOINTS CALICO_DATASTORE_TYPE CALICO_ETCD_ENDPOINTS
run() { echo "\$ calicoctl $*"; "$bin/calicoctl" "$@"; }
run create -f testdata/demo/nodes.yaml
run label node node-1 rack=0
run label node node-2 rack=1
run create -f testdata/demo/rack-pools.yaml
run get ippool -o wide
run get node --output custom-columns=NAME
# A pod on each node, assigned by calico-ipam as a runtime would call it: each address comes
# from the pool that selects its node's rack.
for n in 1 2; do
  echo "\$ CNI_COMMAND=ADD ... calico-ipam   # pod web-$n on node-$n"
  echo "{\"cniVersion\":\"1.0.0\",\"name\":\"k8s-pod-network\",\"type\":\"calico\",\"nodename\":\"node-$n\",\"ipam\":{\"type\":\"calico-ipam\"}}" |
    CNI_COMMAND=ADD CNI_CONTAINERID="demo-$n" CNI_NETNS="/var/run/netns/demo-$n" CNI_IFNAME=eth0 \
    CNI_PATH=/opt/cni/bin CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-$n" "$bin/calico-ipam"
done
run get workloadendpoints
run ipam show --show-blocks
