#!/usr/bin/env bash
# vchan throughput on xensim, two processes, one-way, ring orders 20/20,
# 64 KiB writes/elements: Debian's libxenvchan (our C driver), our Java
# protocol code (native-bridge, no Pekko) and connector Flow to Flow (vchan.jar),
# in alternating rounds; prints medians.
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
jar=$root/samples/target/vchan.jar
if [[ ! -x $driver || ! -d $target/test-classes || ! -f $jar ]]; then
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
    elif [[ $kind == flow ]]; then
        local peer=(java -XX:+UseSerialGC -Dvchan.xensim.libdir=$target/xensim -jar "$jar" demo-peer
                    --port tp --bytes $bytes --ring-size $size --one-way --no-verify)
        XENSIM_DIR=$host XENSIM_DOMID=0 "${peer[@]}" --role server --peer 1 >/dev/null &
        out=$(XENSIM_DIR=$host XENSIM_DOMID=1 "${peer[@]}" --role client --peer 0)
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

c_runs=() j_runs=() f_runs=()
for ((i = 1; i <= rounds; i++)); do
    c_runs+=("$(run c)")
    j_runs+=("$(run java)")
    f_runs+=("$(run flow)")
    echo "round $i: libxenvchan ${c_runs[-1]}, native-bridge ${j_runs[-1]}, Flow ${f_runs[-1]} MB/s" >&2
done
row() {
    local name=$1; shift
    printf '%-30s %8s %8s %8s\n' "$name" "$(printf '%s\n' "$@" | median)" \
        "$(printf '%s\n' "$@" | sort -n | head -n1)" "$(printf '%s\n' "$@" | sort -n | tail -n1)"
}
c=$(printf '%s\n' "${c_runs[@]}" | median)
printf '%-30s %8s %8s %8s\n' "one-way MB/s, orders 20/20" median min max
row "libxenvchan (C)" "${c_runs[@]}"
row "native-bridge (Java, raw)" "${j_runs[@]}"
row "connector Flow <-> Flow" "${f_runs[@]}"
ratio() { printf '%s\n' "$@" | median | awk -v c="$c" '{printf "%.2f", $1 / c}'; }
echo "ratios to C: native-bridge $(ratio "${j_runs[@]}"), Flow $(ratio "${f_runs[@]}")"
