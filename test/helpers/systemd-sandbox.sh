#!/usr/bin/env bash
# rxmgmt's own systemd sandbox for tests: a REAL systemd runs as PID 1 of fresh namespaces on a
# throw-away copy-on-write view of /, and nothing on the host can change because of it.
#
#   systemd-sandbox.sh start        boot $SYSD_TARGET (basic.target) until systemd says running
#   systemd-sandbox.sh exec CMD...  run CMD inside, in the current directory (under $SYSD_BIND)
#   systemd-sandbox.sh stop         power off, kill what is left, remove the cgroup
#
# Environment: SYSD_STATE (state dir, default /var/tmp/rxmgmt-systemd-sandbox; its base name
# also names the cgroup, so one state dir = one sandbox), SYSD_BIND (space-separated host dirs
# shown inside at the same path; default $PWD), SYSD_TARGET.
# From the host, the sandbox's system bus is unix:path=$SYSD_STATE/run-dbus/system_bus_socket and
# its file system /proc/$(cat $SYSD_STATE/pid1)/root.
#
# Why each safety rule is here (a systemd booted carelessly on a shared machine once wiped the
# machine's /tmp; none of these may be relaxed):
#  1. Own cgroup FIRST, then a cgroup namespace. systemd as PID 1 takes over the cgroup tree it
#     sees and moves or kills whatever it finds there. Entering a new empty cgroup before
#     unsharing makes that cgroup the namespace's root, so systemd only ever sees its own children.
#  2. / is an overlay whose upper layer is a tmpfs: every write inside (package installs, unit
#     files, /etc edits) lands in memory and disappears at stop; the host's / is only read.
#  3. /tmp, /run and /dev are private tmpfs: systemd-tmpfiles cleans /tmp and /run at boot and
#     udev-ish units populate /dev; they must find empty private ones, never the host's. /dev
#     gets only a few harmless device nodes bound in, and /proc/sys is read-only (no sysctls).
#  4. Private pid, mount, uts, ipc and net namespaces: systemd's PID 1 is not the host's, its
#     mounts do not propagate back (propagation private), hostnamectl and IPC stay inside, and
#     its network is an empty namespace (no traffic can leave, no host interface can change).
#  5. A reduced capability bounding set (no module loading, clock setting, kernel log or raw
#     I/O), so nothing inside can load a kernel module, set the host's clock or poke hardware.
#  6. Stop asks systemd to power off (units stop cleanly), and if it has not ended in time
#     SIGKILLs PID 1, which ends the whole pid namespace at once; then the cgroup is removed so
#     no empty directories pile up in the host's hierarchy.
set -euo pipefail

state=${SYSD_STATE:-/var/tmp/rxmgmt-systemd-sandbox}
target=${SYSD_TARGET:-basic.target}
binds=${SYSD_BIND:-$PWD}

# On a hybrid host the cgroup2 tree sits at /sys/fs/cgroup/unified; on a pure cgroup2 host at
# /sys/fs/cgroup itself. (Rule 1)
if [ -d /sys/fs/cgroup/unified ]; then cg_root=/sys/fs/cgroup/unified; else cg_root=/sys/fs/cgroup; fi
cgroup="$cg_root/$(basename "$state")-rxsysd"

# Runs inside the new namespaces (already in our own cgroup): build the root, then exec systemd.
boot_inside() {
  set -e
  local root=$state/root
  mount -t tmpfs tmpfs "$state/ovl"                                          # rule 2
  mkdir "$state/ovl/upper" "$state/ovl/work"
  mount -t overlay overlay -o "lowerdir=/,upperdir=$state/ovl/upper,workdir=$state/ovl/work" "$root"
  mount -t proc proc "$root/proc"
  mount --bind "$root/proc/sys" "$root/proc/sys"; mount -o remount,bind,ro "$root/proc/sys"   # rule 3
  mount -t sysfs -o ro sysfs "$root/sys"
  mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup"                             # our namespace's root only
  mount -t tmpfs -o mode=755 tmpfs "$root/dev"                               # rule 3
  local node
  for node in null zero full random urandom tty; do
    touch "$root/dev/$node"; mount --bind "/dev/$node" "$root/dev/$node"
  done
  touch "$root/dev/console"; mount --bind "$state/console.log" "$root/dev/console"
  mkdir "$root/dev/pts" "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"; ln -s /proc/self/fd "$root/dev/fd"
  mount -t tmpfs -o mode=755 tmpfs "$root/run"                               # rule 3
  mkdir -p "$root/run/dbus"; mount --bind "$state/run-dbus" "$root/run/dbus" # the bus socket, for the host
  mount -t tmpfs tmpfs "$root/tmp"                                           # rule 3
  local dir
  for dir in $binds; do mkdir -p "$root$dir"; mount --bind "$dir" "$root$dir"; done
  cd "$root"
  exec chroot . /usr/bin/env -i container=rxmgmt-test TERM=dumb \
    setpriv --bounding-set=-sys_module,-sys_time,-syslog,-sys_rawio \
    /lib/systemd/systemd --unit="$target"                                   # rule 5
}

system_state() {
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=$state/run-dbus/system_bus_socket \
    busctl --system get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 \
    org.freedesktop.systemd1.Manager SystemState 2>/dev/null || true
}

start() {
  mkdir -p "$state/root" "$state/ovl" "$state/run-dbus"
  : > "$state/console.log"
  rm -f "$state/run-dbus/system_bus_socket" "$state/pid1"
  (
    mkdir -p "$cgroup"
    echo "$BASHPID" > "$cgroup/cgroup.procs"                                 # rule 1: own cgroup first...
    echo "$BASHPID" > "$state/launcher.pid"
    export state target binds
    export -f boot_inside
    # ...then the namespaces (rule 4); --kill-child ends systemd if this launcher dies.
    exec setsid unshare --mount --pid --fork --uts --ipc --net --cgroup --propagation private --kill-child \
      bash -c boot_inside
  ) > "$state/launcher.log" 2>&1 < /dev/null &

  local st='' i
  for i in $(seq 300); do
    st=$(system_state)
    case "$st" in *running*|*degraded*) break ;; esac
    sleep 0.1
  done
  pgrep -P "$(cat "$state/launcher.pid")" > "$state/pid1" || true
  case "$st" in
    *running*|*degraded*) echo "systemd sandbox up: host pid $(head -n1 "$state/pid1"), $st" ;;
    *) echo "systemd sandbox did not come up (state: ${st:-none})" >&2; cat "$state/launcher.log" >&2; exit 1 ;;
  esac
}

enter() {
  local pid1
  pid1=$(head -n1 "$state/pid1")
  # -a: every namespace of PID 1; -r/-w: its root and our cwd (the same path inside, a bind).
  exec nsenter -t "$pid1" -a -r -w env -u DBUS_SYSTEM_BUS_ADDRESS bash -c 'cd "$0" && exec "$@"' "$PWD" "$@"
}

stop() {
  local pid1 launcher i
  pid1=$(head -n1 "$state/pid1" 2>/dev/null || true)
  launcher=$(cat "$state/launcher.pid" 2>/dev/null || true)
  if [ -n "$pid1" ]; then nsenter -t "$pid1" -a -r -w systemctl poweroff 2>/dev/null || true; fi   # rule 6
  for i in $(seq 100); do
    if [ -z "$launcher" ] || ! kill -0 "$launcher" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ -n "$launcher" ] && kill -0 "$launcher" 2>/dev/null && [ -n "$pid1" ]; then
    kill -KILL "$pid1" 2>/dev/null || true                                   # the namespace's init: all of it ends
  fi
  sleep 0.2
  if [ -d "$cgroup" ]; then find "$cgroup" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  echo stopped
}

case "${1:-}" in
  start) start ;;
  exec) shift; enter "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start | exec CMD... | stop" >&2; exit 2 ;;
esac
