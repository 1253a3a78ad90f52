#!/usr/bin/env bash
# Raw vchan throughput on xensim, two processes, one-way, ring orders 20/20,
# 64 KiB writes: Debian's libxenvchan (our C driver) beside our Java protocol
# code (native-bridge, no Pekko), in alternating rounds; prints medians.
# Run after `mvn -B -q -DskipTests package test-compile`.
# Usage: scripts/throughput.sh [MiB per run] [rounds]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=$root/native-bridge/target
mib=${1:-2048}
rounds=${2:-5}
bytes=$((mib << 20))
driver=$target/test-bin/vchan-driver
cp_file=$target/test-classpath.txt
if [[ ! -x $driver || ! -d $target/test-classes ]]; then
    echo "throughput: build first: mvn -B -q -DskipTests package test-compile" >&2
    exit 1
fi
if [[ ! -s $cp_file ]]; then
    mvn -B -q -f "$root/native-bridge/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
fi
classpath=$target/test-classes:$target/classes:$(cat "$cp_file")
export LD_LIBRARY_PATH=$target/xensim:$(cat "$target/xen/libdir")
export XENSIM_LINGER_MS=200
size=1048576

# one run: prints the receiver's MB/s
run() {
    local kind=$1 host path out
    host=$(mktemp -d "${TMPDIR:-/tmp}/xensim-tp.XXXXXX")
    path=/local/domain/0/data/vchan/1/tp
    local server_args=(server --peer 1 --path $path --read-size $size --write-size $size --send $bytes --no-verify)
    local client_args=(client --peer 0 --path $path --expect $bytes --no-verify)
    if [[ $kind == c ]]; then
        XENSIM_DIR=$host XENSIM_DOMID=0 "$driver" "${server_args[@]}" >/dev/null &
        out=$(XENSIM_DIR=$host XENSIM_DOMID=1 "$driver" "${client_args[@]}")
    else
        local java=(java -XX:+UseSerialGC -cp "$classpath" -Dvchan.xensim.libdir=$target/xensim
                    io.vchan.bridge.interop.JavaVchanDriver)
        XENSIM_DIR=$host XENSIM_DOMID=0 "${java[@]}" "${server_args[@]}" >/dev/null &
        out=$(XENSIM_DIR=$host XENSIM_DOMID=1 "${java[@]}" "${client_args[@]}")
    fi
    wait
    rm -rf "$host"
    local ms
    ms=$(sed -n 's/^elapsed_ms=//p' <<<"$out")
    echo $(( bytes / 1000 / (ms > 0 ? ms : 1) ))
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

c_runs=() j_runs=()
for ((i = 1; i <= rounds; i++)); do
    c_runs+=("$(run c)")
    j_runs+=("$(run java)")
    echo "round $i: libxenvchan ${c_runs[-1]} MB/s, Java ${j_runs[-1]} MB/s" >&2
done
c=$(printf '%s\n' "${c_runs[@]}" | median)
j=$(printf '%s\n' "${j_runs[@]}" | median)
printf '%-28s %10s %10s %10s\n' "one-way, orders 20/20" median min max
printf '%-28s %10s %10s %10s\n' "libxenvchan (C) MB/s" "$c" \
    "$(printf '%s\n' "${c_runs[@]}" | sort -n | head -n1)" "$(printf '%s\n' "${c_runs[@]}" | sort -n | tail -n1)"
printf '%-28s %10s %10s %10s\n' "native-bridge (Java) MB/s" "$j" \
    "$(printf '%s\n' "${j_runs[@]}" | sort -n | head -n1)" "$(printf '%s\n' "${j_runs[@]}" | sort -n | tail -n1)"
echo "Java / C = $(awk -v j="$j" -v c="$c" 'BEGIN {printf "%.2f", j / c}')"
