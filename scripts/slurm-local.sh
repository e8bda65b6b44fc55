#!/usr/bin/env bash
# A throw-away single-node Slurm on this machine, for tests and trying out job arrays:
#   source scripts/slurm-local.sh; slurm_local_start DIR; sbatch ...; slurm_local_stop
# Everything (config, munge key and socket, state, logs, pid files) lives under DIR; the daemons
# run as root without systemd, on free ports of 127.0.0.1; slurm_local_stop ends exactly the
# daemons it started (by their pid files) and is safe to call twice. SLURM_CONF is exported so
# sbatch/squeue/scancel talk to this cluster.

slurm_local_free_port() {
  "$(command -v /usr/bin/python3 || command -v python3)" - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

slurm_local_start() {
  local dir=$1 cpus=${2:-2}
  SLURM_LOCAL_DIR=$dir
  mkdir -p "$dir"/{state,spool,log,run,munge}
  chmod 700 "$dir/munge"
  # munge: its own key and socket, so a munged already running on the machine is not touched.
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1 count=1024 status=none
  chmod 400 "$dir/munge/munge.key"
  munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
         --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" \
         --force || { echo "slurm-local: munged did not start: $(tail -3 "$dir/log/munged.log" 2>/dev/null)" >&2; return 1; }
  local host ctl_port d_port
  host=$(hostname -s)
  ctl_port=$(slurm_local_free_port); d_port=$(slurm_local_free_port)
  local mem
  mem=$(awk '/MemTotal/ {print int($2/1024/2)}' /proc/meminfo)
  cat > "$dir/slurm.conf" <<CONF
ClusterName=aslsh-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$SLURM_CONF" || { echo "slurm-local: slurmctld did not start: $(tail -5 "$dir/log/slurmctld.log")" >&2; return 1; }
  slurmd -f "$SLURM_CONF" || { echo "slurm-local: slurmd did not start: $(tail -5 "$dir/log/slurmd.log")" >&2; return 1; }
  # Up when the node is idle (slurmd registered with slurmctld).
  local i
  for i in $(seq 1 100); do
    if sinfo -h -N -o '%t' 2>/dev/null | grep -q '^idle'; then return 0; fi
    sleep 0.2
  done
  echo "slurm-local: the node did not come up: $(sinfo -N 2>&1 | tail -2); $(tail -3 "$dir/log/slurmd.log")" >&2
  return 1
}

slurm_local_stop() {
  local dir=${SLURM_LOCAL_DIR:-}
  [ -n "$dir" ] || return 0
  local name pid
  for name in slurmd slurmctld munged; do
    if [ -f "$dir/run/$name.pid" ]; then
      pid=$(cat "$dir/run/$name.pid")
      # Every command may fail (the daemon already gone): `|| true` keeps a caller's `set -e`
      # from ending the clean-up half-way.
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -f "$dir/run/$name.pid"
    fi
  done
  SLURM_LOCAL_DIR=
}
