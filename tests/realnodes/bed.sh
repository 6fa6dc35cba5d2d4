#!/usr/bin/env bash
# The real-node test bed: N storage nodes on a private bridge (10.213.7.0/24), each with
# sshd, glusterd, LVM thin pools and two empty disks.
#
#   bed.sh up N     start nodes 1..N (10.213.7.11, .12, …); prints the env file to source
#   bed.sh down     stop everything the bed started and remove what it created
#   bed.sh status   what is running
#
# Nodes are User-Mode-Linux guests (real dm-thin inside; the host kernel needs no
# device-mapper), booted over the host's root file system through a copy-on-write
# overlay, plugged into the bridge with a tap device. Everything lives in $BYD_DIR
# (root-owned, 0700, not under /tmp: sshd's StrictModes checks every parent).
# Needs root and: user-mode-linux kmod openssh-server glusterfs-server lvm2 xfsprogs
# thin-provisioning-tools iproute2 (make deps-real-nodes installs them).
set -euo pipefail

BYD_DIR=${BYD_DIR:-/var/lib/brickyard-bed}
NET=10.213.7
BRIDGE=byd-br0
MEM=${BYD_MEM:-768M}
DISK_SIZE=${BYD_DISK_SIZE:-8G}
HERE=$(cd "$(dirname "$0")" && pwd)

log() { echo "bed: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

node_ip() { echo "$NET.$((10 + $1))"; }

ssh_node() { # node, command...   (the node's sshd, port 22)
    local i=$1; shift
    ssh -i "$BYD_DIR/client_ed25519" -o BatchMode=yes -o ConnectTimeout=5 \
        -o UserKnownHostsFile="$BYD_DIR/known_hosts" -o StrictHostKeyChecking=yes \
        "root@$(node_ip "$i")" "$@"
}

ctl_node() { # node, command...   (the bed's control sshd, port 2222)
    local i=$1; shift
    ssh -i "$BYD_DIR/client_ed25519" -o BatchMode=yes -o ConnectTimeout=3 -p 2222 \
        -o UserKnownHostsFile="$BYD_DIR/known_hosts" -o StrictHostKeyChecking=yes \
        "root@$(node_ip "$i")" "$@"
}

host_dm_thin() {
    [ -c /dev/mapper/control ] && command -v dmsetup >/dev/null &&
        dmsetup targets 2>/dev/null | grep -q '^thin-pool'
}

preflight() {
    [ "$(id -u)" = 0 ] || die "must run as root"
    local missing=""
    for b in linux.uml /usr/sbin/sshd glusterd /usr/sbin/lvm mkfs.xfs ip ssh ssh-keygen insmod setsid; do
        command -v "$b" >/dev/null || missing="$missing $b"
    done
    [ -z "$missing" ] || die "missing programs:$missing (run make deps-real-nodes)"
    [ -d "/usr/lib/uml/modules/$(ls /usr/lib/uml/modules 2>/dev/null | head -1)/kernel/drivers/md" ] ||
        die "no UML kernel modules under /usr/lib/uml/modules"
    [ -c /dev/net/tun ] || die "/dev/net/tun missing: tap devices are impossible"
    [ -e /dev/fuse ] || log "warning: /dev/fuse missing, FUSE mounts from the host will fail"
    if host_dm_thin; then
        log "host kernel has dm-thin; nodes still run as UML guests (one code path)"
    else
        log "host kernel has no usable dm-thin (/dev/mapper/control or thin-pool target missing): nodes run as UML guests"
    fi
    ! ip link show "$BRIDGE" >/dev/null 2>&1 || die "$BRIDGE exists: run '$0 down' first"
}

up() {
    local n=${1:-3}
    [[ $n =~ ^[1-9]$ ]] || die "node count must be 1..9"
    preflight
    [ ! -e "$BYD_DIR" ] || die "$BYD_DIR exists: run '$0 down' first"
    trap 'log "start failed, tearing down"; down >&2 || true' ERR
    install -d -m 0700 "$BYD_DIR" "$BYD_DIR/mnt"
    install -m 0755 "$HERE/guest-init.sh" "$BYD_DIR/guest-init.sh"
    echo "$n" > "$BYD_DIR/nodes"
    ssh-keygen -q -t ed25519 -N '' -C brickyard-bed -f "$BYD_DIR/client_ed25519"
    install -m 0600 "$BYD_DIR/client_ed25519.pub" "$BYD_DIR/authorized_keys"
    : > "$BYD_DIR/known_hosts"
    mkdir -p -m 0755 /run/sshd

    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    local t0=$SECONDS
    for i in $(seq 1 "$n"); do
        local d="$BYD_DIR/node$i" ip; ip=$(node_ip "$i")
        install -d -m 0700 "$d"
        ssh-keygen -q -t ed25519 -N '' -C "byd-node$i" -f "$d/host_ed25519"
        echo "$ip $(cut -d' ' -f1,2 "$d/host_ed25519.pub")" >> "$BYD_DIR/known_hosts"
        cat > "$d/sshd_config" <<CFG
Port 22
ListenAddress $ip
HostKey $d/host_ed25519
PidFile /run/sshd.pid
AuthorizedKeysFile $BYD_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
UseDNS no
LogLevel VERBOSE
MaxSessions 16
MaxStartups 64
CFG
        # The bed's control sshd (port 2222): kept running while tests kill the one on 22.
        sed -e 's/^Port 22$/Port 2222/' -e 's|^PidFile .*|PidFile /run/sshd-ctl.pid|' \
            "$d/sshd_config" > "$d/sshd_ctl_config"
        echo "[$ip]:2222 $(cut -d' ' -f1,2 "$d/host_ed25519.pub")" >> "$BYD_DIR/known_hosts"
        truncate -s "$DISK_SIZE" "$d/disk-b.img" "$d/disk-c.img"
        ip tuntap add dev "byd-tap$i" mode tap
        ip link set "byd-tap$i" master "$BRIDGE" up
        # setsid: the guest and its helper processes form a process group we can kill.
        TMPDIR=/dev/shm setsid linux.uml umid="byd$i" uml_dir="$BYD_DIR/uml" mem="$MEM" \
            root=/dev/root rootfstype=hostfs rootflags=/ rw init="$BYD_DIR/guest-init.sh" \
            con=null con0=fd:0,fd:1 ubd1="$d/disk-b.img" ubd2="$d/disk-c.img" \
            "vec0:transport=tap,ifname=byd-tap$i,gro=1" \
            byd_dir="$BYD_DIR" byd_node="$i" byd_ip="$ip" \
            </dev/null >"$d/console.log" 2>&1 &
        echo $! > "$d/uml.pid"
    done
    for i in $(seq 1 "$n"); do
        wait_node "$i" 180
    done
    trap - ERR
    log "$n nodes up in $((SECONDS - t0)) s"
    env_file
}

wait_node() { # node, seconds
    local i=$1 limit=$2 start=$SECONDS d="$BYD_DIR/node$1"
    while :; do
        kill -0 "$(cat "$d/uml.pid")" 2>/dev/null ||
            die "node $i exited during boot; console: $(tail -20 "$d/console.log" | tr '\n' '|')"
        grep -q "byd-node$i: FAILED" "$d/console.log" &&
            die "node $i: $(grep "byd-node$i: FAILED" "$d/console.log")"
        if ssh_node "$i" 'gluster --mode=script pool list' >/dev/null 2>&1 &&
            ctl_node "$i" true >/dev/null 2>&1; then
            log "node $i ($(node_ip "$i")) ready after $((SECONDS - start)) s"
            return 0
        fi
        [ $((SECONDS - start)) -lt "$limit" ] ||
            die "node $i not ready (ssh + glusterd) after $limit s; console: $(tail -20 "$d/console.log" | tr '\n' '|')"
        sleep 2
    done
}

env_file() {
    cat > "$BYD_DIR/env" <<ENV
BYD_DIR=$BYD_DIR
BYD_NODES=$(cat "$BYD_DIR/nodes")
BYD_KEY=$BYD_DIR/client_ed25519
BYD_KNOWN_HOSTS=$BYD_DIR/known_hosts
BYD_HOSTS=$(for i in $(seq 1 "$(cat "$BYD_DIR/nodes")"); do printf '%s ' "$(node_ip "$i")"; done)
ENV
    echo "$BYD_DIR/env"
}

down() {
    local rc=0 t0=$SECONDS
    # FUSE mounts a test left behind on the host.
    local m
    for m in $(grep -o " $BYD_DIR/mnt/[^ ]*" /proc/mounts 2>/dev/null || true); do
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done
    local d i pid
    # Power every guest off at once, through the control sshd (a test may have left the
    # one on port 22 killed). The poweroff is detached so that the ssh returns at once.
    for d in "$BYD_DIR"/node*; do
        [ -f "$d/uml.pid" ] || continue
        i=${d##*node}; pid=$(cat "$d/uml.pid")
        kill -0 "$pid" 2>/dev/null || continue
        timeout 8 bash -c "$(declare -f ctl_node node_ip); BYD_DIR='$BYD_DIR'; NET='$NET'; \
            ctl_node $i '(sleep 0.3; echo o > /proc/sysrq-trigger) </dev/null >/dev/null 2>&1 &'" \
            >/dev/null 2>&1 &
    done
    for d in "$BYD_DIR"/node*; do
        [ -d "$d" ] || continue
        i=${d##*node}; pid=""
        [ -f "$d/uml.pid" ] && pid=$(cat "$d/uml.pid")
        if [ -n "$pid" ]; then
            for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -0 "$pid" 2>/dev/null || log "node $i powered off ($((SECONDS - t0)) s)"
            if kill -0 "$pid" 2>/dev/null; then
                log "node $i did not power off: killing its process group $pid"
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
                for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            fi
            if kill -0 "$pid" 2>/dev/null; then log "node $i (pid $pid) still running"; rc=1; fi
            # Helper processes of the guest share its process group.
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        ip link del "byd-tap$i" 2>/dev/null || true
    done
    wait || true
    ip link del "$BRIDGE" 2>/dev/null || true
    if [ -d "$BYD_DIR" ]; then rm -rf "$BYD_DIR"; log "down in $((SECONDS - t0)) s"; fi
    return $rc
}

status() {
    [ -d "$BYD_DIR" ] || { echo "no bed"; return 0; }
    for d in "$BYD_DIR"/node*; do
        local pid; pid=$(cat "$d/uml.pid" 2>/dev/null || echo "")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "${d##*/}: running (pid $pid)"; else echo "${d##*/}: stopped"; fi
    done
}

case "${1:-}" in
    up) up "${2:-3}" ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up N | down | status" >&2; exit 2 ;;
esac
