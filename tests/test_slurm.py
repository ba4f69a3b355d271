"""A real single-node SLURM cluster (Debian's slurm-wlm + munge) runs a reduced smoke DAG
through `--profile profiles/slurm`; the fixture tears the daemons down afterwards.

Needs root (daemons, /etc/slurm). When slurm-wlm/munge are missing and we are root, they are
installed with apt-get (CI); otherwise the test is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_workflow import workflow_copy

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

SLURM_CONF = Path("/etc/slurm/slurm.conf")
GRES_CONF = Path("/etc/slurm/gres.conf")
MUNGE_KEY = Path("/etc/munge/munge.key")


def _run(*cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check, timeout=600, **kw)


def _ensure_packages() -> None:
    if shutil.which("slurmctld") and shutil.which("munged"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("slurm-wlm/munge not installed and not root with apt-get to install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run("apt-get", "update", env=env)
    _run("apt-get", "install", "-y", "slurm-wlm", "munge", env=env)


def _slurm_conf(host: str, cpus: int, memory_mb: int) -> str:
    return f"""# written by tests/test_slurm.py (single-node test cluster)
ClusterName=wstaltest
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
GresTypes=gpu
NodeName={host} CPUs={cpus} RealMemory={memory_mb} Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture(scope="module")
def slurm_cluster():
    if os.geteuid() != 0:
        pytest.skip("starting slurmctld/slurmd needs root")
    _ensure_packages()
    if SLURM_CONF.exists():
        pytest.skip(f"{SLURM_CONF} already exists: not overwriting a real cluster's config")
    host = socket.gethostname().split(".")[0]
    cpus = os.cpu_count() or 1
    memory_mb = max(1000, int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20) - 1000)
    started: list[subprocess.Popen] = []
    created_key = not MUNGE_KEY.exists()
    try:
        for d in ("/etc/slurm", "/var/spool/slurmctld", "/var/spool/slurmd", "/var/log/slurm", "/run/munge"):
            Path(d).mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(_slurm_conf(host, cpus, memory_mb))
        GRES_CONF.write_text(f"NodeName={host} Name=gpu Count=1 File=/dev/null\n")
        if created_key:
            MUNGE_KEY.parent.mkdir(parents=True, exist_ok=True)
            MUNGE_KEY.write_bytes(os.urandom(1024))
            MUNGE_KEY.chmod(0o400)
        started.append(subprocess.Popen(["munged", "--foreground", "--force"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        time.sleep(1)
        started.append(subprocess.Popen(["slurmctld", "-D", "-i"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        time.sleep(2)
        started.append(subprocess.Popen(["slurmd", "-D"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.time() + 60
        while time.time() < deadline:
            state = _run("sinfo", "-h", "-o", "%t", check=False).stdout.strip()
            if state in ("idle", "mix", "alloc"):
                break
            time.sleep(1)
        else:
            log = Path("/var/log/slurm/slurmctld.log")
            tail = log.read_text()[-1500:] if log.exists() else ""
            pytest.fail(f"SLURM node never became idle (state {state!r}); {tail}")
        yield host
    finally:
        subprocess.run(["scancel", "--user", "root"], capture_output=True)
        for proc in reversed(started):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        SLURM_CONF.unlink(missing_ok=True)
        GRES_CONF.unlink(missing_ok=True)
        if created_key:
            MUNGE_KEY.unlink(missing_ok=True)


def test_reduced_smoke_dag_through_the_slurm_profile(slurm_cluster, tmp_path):
    work = workflow_copy(tmp_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # no accounting daemon in the test cluster: job states come from squeue instead of sacct
    cmd = [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "--slurm-status-command", "squeue",
           "--config", "scale=smoke",
           "--jobs", "2", "tables/table3.tex"]
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=1500, env=env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    assert (work / "tables" / "table3.tex").is_file()
    assert "slurm" in (done.stdout + done.stderr).lower()
