#!/bin/sh
# Starts socketd with --replica_id taken from the pod's ordinal: a
# StatefulSet names its pods NAME-0, NAME-1, ..., so "socketd-2" is replica
# "2" and its handles are s2.… (docs/scaling.md). REPLICA_ID, if set, wins;
# else POD_NAME (downward API); else the host name, which a StatefulSet pod
# also gets from its name. Every argument goes to socketd unchanged.
set -eu
name="${POD_NAME:-$(hostname)}"
replica="${REPLICA_ID:-${name##*-}}"
case "${replica}" in
  '' | *[!0-9a-z]*)
    echo "socketd-entrypoint: cannot take a replica id from '${name}'" \
      "(set REPLICA_ID, or run as a StatefulSet pod NAME-N)" >&2
    exit 64
    ;;
esac
# exec: socketd is PID 1's child no more, so SIGTERM reaches it directly
# and its drain runs.
exec "${SOCKETD:-/usr/local/bin/socketd}" --replica_id="${replica}" "$@"
