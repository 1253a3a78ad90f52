#!/usr/bin/env bash
# A root shell in a real Xen dom0 with two guests, g1 and g2 (each with a
# shell on its console and the Java runtime and vchan.jar in /opt): for
# debugging by hand. Run from the repository after
# `mvn -B -q -DskipTests package`; needs what .ci/run installs.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../../.." && pwd)
root=$repo/samples/target/xenvm
bash "$repo/samples/src/test/xenvm/images.sh" "$root/images" "$repo/samples/target/vchan.jar" \
    "$repo/native-bridge/target/test-bin/vchan-driver"
work=$root/run-shell
rm -rf "$work"
mkdir -p "$work/cmd"
echo "$root/images/root" > "$work/xen-root"
echo "JDK for dom0: $(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" > "$work/java-home"
exec bash "$repo/samples/src/test/xenvm/boot.sh" "$work" shell
