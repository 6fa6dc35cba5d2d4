#!/bin/sh
# PID 1 of a bed node: a User-Mode-Linux guest whose root file system is the host's own
# (hostfs), seen through a copy-on-write overlay so that nothing the node does reaches the
# host. Kernel command line parameters arrive as environment variables:
#   byd_dir   the bed directory on the host (keys, sshd config)
#   byd_node  the node number
#   byd_ip    the node's address on the bed bridge
# Everything printed here goes to the node's console log on the host.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "byd-node$byd_node: $*"; }

if [ "$1" != stage2 ]; then
    mount -t proc proc /proc
    M=/usr/lib/uml/modules/$(uname -r)/kernel
    insmod $M/fs/overlayfs/overlay.ko || { say "FAILED: overlay module"; echo o > /proc/sysrq-trigger; }
    # /mnt is the host's directory, but mounting over it happens in the guest only.
    mount -t tmpfs -o mode=0755 byd-cow /mnt
    mkdir /mnt/upper /mnt/work /mnt/root
    if ! mount -t overlay overlay -o lowerdir=/,upperdir=/mnt/upper,workdir=/mnt/work /mnt/root; then
        say "FAILED: overlay root"; echo o > /proc/sysrq-trigger
    fi
    umount /proc
    exec chroot /mnt/root /bin/sh "$byd_dir/guest-init.sh" stage2
fi

# Stage 2, inside the overlay. First hide the host's /proc, /sys and /dev (hostfs shows
# them) behind the guest's own, before anything else looks at devices.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
echo 1 > /proc/sys/kernel/sysrq
off() { say "FAILED: $*"; echo o > /proc/sysrq-trigger; sleep 60; }

# Package files glusterd needs, kept before its state directory is replaced.
mkdir -p /mnt/seed && cp -a /var/lib/glusterd/groups /var/lib/glusterd/hooks /mnt/seed/ 2>/dev/null
# Fresh, guest-only state (an empty /root also keeps the host's ~/.bashrc out of every ssh
# command: forks are slow in UML).
for d in /run /tmp /root /var/log /var/lib/glusterd /var/lib/heketi /etc/lvm/archive /etc/lvm/backup; do
    mkdir -p $d && mount -t tmpfs -o mode=0755 byd-state $d || off "tmpfs on $d"
done
chmod 1777 /tmp; chmod 0700 /root
cp -a /mnt/seed/. /var/lib/glusterd/
mkdir -p /run/sshd /run/gluster /run/lock /run/lvm /var/log/glusterfs
hostname "byd-node$byd_node"

M=/usr/lib/uml/modules/$(uname -r)/kernel
for m in drivers/md/dm-mod drivers/md/dm-bufio drivers/md/dm-bio-prison \
         drivers/md/persistent-data/dm-persistent-data drivers/md/dm-thin-pool fs/fuse/fuse; do
    insmod $M/$m.ko || off "insmod $m"
done
# No udevd here: LVM must create its device nodes itself and not wait for udev.
cat > /etc/lvm/lvmlocal.conf <<'LVM'
activation { udev_sync = 0  udev_rules = 0 }
devices { obtain_device_list_from_udev = 0 }
LVM

ip link set lo up
ip addr add "$byd_ip/24" dev vec0 || off "address $byd_ip"
ip link set vec0 up

# No systemd in the guest: the executor's `systemctl status glusterd` fails with "not
# booted with systemd" and it falls back to `pidof glusterd`, as on any systemd-less node.

# The bed's own way in (port 2222, `Bed::ctl`), independent of the sshd on port 22 that
# the executor uses: fault tests kill that one and start it again from here.
mkdir -p /usr/local/sbin
cat > /usr/local/sbin/byd-sshd <<HELPER
#!/bin/sh
# byd-sshd pid|kill|start: the node's sshd on port 22 (the executor's way in)
cfg="$byd_dir/node$byd_node/sshd_config"
HELPER
cat >> /usr/local/sbin/byd-sshd <<'HELPER'
case "$1" in
pid) cat /run/sshd.pid ;;
kill)
    root=$(cat /run/sshd.pid) || exit 1
    # The listener and every sshd below it (one per connection), so live connections drop
    # too; the commands they ran are left alone.
    pids=$(ps -e -o pid=,ppid=,comm= | awk -v root="$root" '
        { pid[NR] = $1; ppid[NR] = $2; comm[NR] = $3 }
        END {
            keep[root] = 1; more = 1
            while (more) {
                more = 0
                for (i = 1; i <= NR; i++)
                    if (!(pid[i] in keep) && (ppid[i] in keep) && comm[i] == "sshd") { keep[pid[i]] = 1; more = 1 }
            }
            for (k in keep) print k
        }')
    kill -KILL $pids
    for _ in $(seq 1 50); do
        alive=""; for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
        [ -z "$alive" ] && break; sleep 0.1
    done
    [ -z "$alive" ] || { echo "sshd processes still alive:$alive" >&2; exit 1; }
    rm -f /run/sshd.pid
    echo $pids ;;
start)
    /usr/sbin/sshd -f "$cfg" -E /var/log/sshd.log || exit 1
    # The daemon writes its pid file (after binding port 22) a moment after the parent exits.
    for _ in $(seq 1 50); do [ -s /run/sshd.pid ] && break; sleep 0.1; done
    cat /run/sshd.pid ;;
*) echo "usage: byd-sshd pid|kill|start" >&2; exit 2 ;;
esac
HELPER
chmod 755 /usr/local/sbin/byd-sshd

/usr/sbin/sshd -f "$byd_dir/node$byd_node/sshd_ctl_config" -E /var/log/sshd-ctl.log || off "control sshd"
/usr/sbin/sshd -f "$byd_dir/node$byd_node/sshd_config" -E /var/log/sshd.log || off "sshd"
glusterd -p /run/glusterd.pid || off "glusterd"
say "booted"
while :; do sleep 3600; done
