#!/usr/bin/env bash
# cluster/netns-rsh.sh HOST COMMAND...
#   Open MPI's rsh agent for the namespace "hosts" of cluster/netns-up.sh: mpirun calls it as
#   `agent HOST orted ...` (as it would call ssh) and it runs the command line in HOST's network
#   namespace with hostname HOST. Use: mpirun --mca plm_rsh_agent cluster/netns-rsh.sh ...
#   Unlike ssh, the environment of mpirun is inherited; still pass variables with -x as on a cluster.
host=$1; shift
exec nsenter --net="/run/netns/$host" unshare --uts /bin/sh -c 'hostname "$0" && eval "$1"' "$host" "$*"
