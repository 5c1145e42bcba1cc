#!/bin/sh
# The rxmgmt command (the package's bin; scripts/build-cli.mjs installs it as dist/src/cli/rxmgmt).
# Starts Node from a startup snapshot that the build made beside this file (rxmgmt.blob or
# rxmgmt-etcd.blob: the command line's modules already loaded, docs/cli.md), or, when that cannot
# be used, from the plain bundle (main.js), which does the same more slowly.
#
# A blob works only in the Node binary that made it (another one refuses it, or worse): the build
# writes that binary's path beside each blob (BLOB.node), and a blob is used only when the `node`
# found here is that very file (same device and inode) and has not changed since (not newer than the
# blob). The blob is code, as trusted as the JavaScript beside it: it lives in the package's own
# directory, written only by the build. The tests are the shell's own (no process per start but
# readlink's, through a link). The V8 flag is the one of main.js's launcher line (src/cli/main.ts).
self=$0
if [ -L "$self" ]; then self=$(readlink -f -- "$self") || self=$0; fi
case $self in /*) ;; *) self=$PWD/$self ;; esac
here=${self%/*}
node=$(command -v node) || { echo 'rxmgmt: node is not on the PATH' >&2; exit 127; }
# Two blobs, each running any command line: rxmgmt-etcd.blob also has the etcd World's client
# loaded, which a start that joins etcd would otherwise load (~0.1 s), and costs the others the
# deserialising of a bigger heap. A command line that names etcd (--seeds, --etcd-*) gets it.
blob=$here/rxmgmt.blob
for arg; do
  case $arg in --seeds | --seeds=* | --etcd-*) blob=$here/rxmgmt-etcd.blob; break ;; esac
done
if [ -f "$blob" ] && read -r maker < "$blob.node" 2>/dev/null && [ "$node" -ef "$maker" ] && [ ! "$node" -nt "$blob" ]; then
  exec "$node" --max-semi-space-size=16 --snapshot-blob "$blob" -- "$@"
fi
exec "$node" --max-semi-space-size=16 "$here/main.js" "$@"
