# Helpers for the scenarios the harness runs in dom0 (sourced by each command).
# A guest's job is a shell script dom0 leaves in XenStore at
# /local/domain/0/xenvm/jobs/NAME (readable by every domain); the guest runs it
# at boot, writes its exit status to its own data/xenvm-exit and powers off.

images=$XENVM_WORK/../images
consoles=$XENVM_WORK/consoles

# the machine's sanity check, built with the images
regcheck() { "$images/regcheck" "$@"; }

# guest_start NAME KIND MEM_MIB JOB   KIND: base (C tools) or java (runtime and jar too)
# Prints the new domain's id. XENVM_VCPUS (default 1): for a guest that runs
# several JVMs at once; otherwise a second vCPU costs dom0 more than it gains.
guest_start() {
    local name=$1 kind=$2 mem=$3 job=$4 cfg
    cfg=$XENVM_WORK/guest-$name.cfg
    local ramdisk=$images/guest-base.cpio.gz
    [[ $kind == java ]] && ramdisk=$images/guest-java.img
    cat > "$cfg" <<CFG
name = "$name"
type = "pv"
kernel = "$images/vmlinuz"
ramdisk = "$ramdisk"
extra = "console=hvc0 quiet"
memory = $mem
vcpus = ${XENVM_VCPUS:-1}
on_poweroff = "preserve"
on_crash = "preserve"
CFG
    xenstore-write "/local/domain/0/xenvm/jobs/$name" "$job" || return 1
    xenstore-chmod "/local/domain/0/xenvm/jobs/$name" r0 || return 1
    rm -f "$consoles/guest-$name.log"
    xl create "$cfg" > "$XENVM_WORK/xl-create-$name.log" 2>&1 < /dev/null || {
        cat "$XENVM_WORK/xl-create-$name.log" >&2; return 1; }
    xl domid "$name"
}

# wait_key PATH TIMEOUT_S: waits (on a XenStore watch) until PATH exists; prints its value.
wait_key() {
    local path=$1 deadline=$((SECONDS + $2)) value left
    coproc WATCH { exec xenstore-watch "$path" 2>/dev/null; }
    local watch_pid=$WATCH_PID
    while left=$((deadline - SECONDS)); ((left > 0)) && read -t "$left" -r _ <&"${WATCH[0]}"; do
        if value=$(xenstore-read "$path" 2>/dev/null); then
            kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null
            echo "$value"; return 0
        fi
    done
    kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null
    echo "wait_key: $path did not appear in $2 s" >&2
    return 1
}

# guest_wait NAME TIMEOUT_S: waits for the guest's job to end; prints its exit status.
# Its console log is complete once the last line is there.
guest_wait() {
    local name=$1 domid status
    domid=$(xl domid "$name") || return 1
    status=$(wait_key "/local/domain/$domid/data/xenvm-exit" "$2") || return 1
    timeout 10 grep -q -m1 '^xenvm-exit' <(tail -F -n +1 "$consoles/guest-$name.log" 2>/dev/null) || true
    echo "$status"
}

# guest_destroy NAME: destroys it if it is there.
guest_destroy() {
    xl destroy "$1" >/dev/null 2>&1 || true
}

# guest_console NAME: what the guest printed.
guest_console() {
    tr -d '\r' < "$consoles/guest-$1.log"
}

# jvm ARGS...: the test's own Java in dom0, with what a JVM needs there (the
# host's /tmp is not writable through 9p) and its crash log in the work folder.
jvm() {
    "$XENVM_JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:-UsePerfData -XX:+UseSerialGC \
        -Djava.io.tmpdir=/var/tmp -Djna.tmpdir=/var/tmp -XX:ErrorFile="$XENVM_WORK/hs_err_%p.log" "$@"
}

# prefix TAG: each line of stdin as "TAG: line"
prefix() {
    sed -u "s/^/$1: /"
}


# with_guest NAME KIND MEM JOB DOM0-COMMAND: starts the guest, runs DOM0-COMMAND
# (evaluated once $domid is the guest's) with its lines as "dom0: ...", then
# prints "guest: exit STATUS" and the guest's console as "guest: ..." and
# destroys the guest.
with_guest() {
    local name=$1 kind=$2 mem=$3 job=$4 command=$5
    domid=$(guest_start "$name" "$kind" "$mem" "$job") || return 1
    eval "$command" | prefix dom0
    echo "guest: exit $(guest_wait "$name" 150)"
    guest_console "$name" | prefix guest
    guest_destroy "$name"
}

# digest WHAT FILE: "WHAT SIZE sha256=HEX", for checking every byte of a file
digest() {
    echo "$1 $(stat -c %s "$2") sha256=$(sha256sum < "$2" | cut -c1-64)"
}
