"""The context columns that every benchmark row starts with (the names and
order of CONTEXT_COLUMNS in src/bench/csv_schema.ts), for the PyTorch side of
the GPU benchmark: where, when and from which commit a row was measured.

The commit comes from git where the checkout has it, else from
PCDARTS_GIT_COMMIT and PCDARTS_GIT_DIRTY (run.sh sets them from the
.gpu/commit.txt that prepare.sh writes, for machines that get the files
without the repository).
"""
import datetime
import os
import subprocess

COLUMNS = ["run_id", "time_utc", "git_commit", "git_dirty", "deno", "tfjs", "backend",
           "device", "cpu", "cores", "memory_gib", "execution", "dataset", "image_size",
           "channels", "layers", "seed"]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def git(*args):
    try:
        out = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def commit():
    """(commit, dirty) of the checkout, else of the environment, else ("unknown", "false")."""
    head = git("rev-parse", "HEAD")
    if head:
        return head, "true" if git("status", "--porcelain", "--untracked-files=no") else "false"
    return os.environ.get("PCDARTS_GIT_COMMIT", "unknown"), os.environ.get("PCDARTS_GIT_DIRTY", "false")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) * 1024 / 2**30, 1)
    except OSError:
        pass
    return 0


def context(run_id, backend, device, execution, image_size, channels, layers, seed=0):
    """One row's context part, in COLUMNS order (deno and tfjs empty: not used)."""
    head, dirty = commit()
    now = datetime.datetime.now(datetime.timezone.utc)
    return dict(run_id=run_id, time_utc=now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                git_commit=head, git_dirty=dirty, deno="", tfjs="", backend=backend, device=device,
                cpu=cpu_model(), cores=os.cpu_count() or 0, memory_gib=memory_gib(), execution=execution,
                dataset="cifar10", image_size=image_size, channels=channels, layers=layers, seed=seed)


def stamp():
    """A run id's time part, as the Deno side writes it (20261130-154610)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
