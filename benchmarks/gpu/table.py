"""Joins the GPU benchmark's CSVs (ours_*.csv from gpu_bench, torch_*.csv from
reference_step.py) into summary.csv and prints the table last:

    python3 benchmarks/gpu/table.py OUT
"""
import csv
import os
import sys

from run_context import COLUMNS as CONTEXT_COLUMNS

# The H200 predictions of the hot programs (benchmarks/gpu/program_predictions.ts).
PREDICTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "results", "gpu",
                           "predictions_h200.csv")


def read(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def first_line(path, default):
    try:
        with open(path) as f:
            return f.readline().strip() or default
    except OSError:
        return default


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else ""


def mib(v):
    return f"{v / 2**20:,.0f}" if v is not None else ""


def context_of(row):
    """The context columns of one of our rows (empty where it has none)."""
    return {c: row.get(c, "") for c in CONTEXT_COLUMNS}


def main(out):
    card = first_line(f"{out}/nvidia_smi.txt", "unknown card")
    ours_device = first_line(f"{out}/ours_device.txt", "ours: not run")
    torch_device = first_line(f"{out}/torch_device.txt", "torch: not run")
    parity = read(f"{out}/ours_parity.csv")
    summary = []
    for row in read(f"{out}/ours_steps.csv"):
        torch = next((t for t in read(f"{out}/torch_steps.csv") if t["method"] == row["method"]), {})
        ours_ms, torch_ms = number(row["median_ms"]), number(torch.get("median_ms"))
        summary.append(dict(context_of(row), measure="step", method=row["method"], submission=row.get("submission", ""),
                            k=row["k"], batch_size=row["batch_size"],
                            ours=row["median_ms"], torch=torch.get("median_ms", ""), ours_over_torch=ratio(ours_ms, torch_ms),
                            ours_buffers="", buffers_over_torch="",
                            ours_consecutive_total_ms=row["consecutive_total_ms"],
                            torch_consecutive_total_ms=torch.get("consecutive_total_ms", ""),
                            error=" / ".join(e for e in (row["error"], torch.get("error", "")) if e)))
    # The ImageNet search step (its own files: another network and image side).
    imagenet_torch = next(iter(read(f"{out}/torch_imagenet_steps.csv")), {})
    for row in read(f"{out}/ours_imagenet_steps.csv"):
        ours_ms, torch_ms = number(row["median_ms"]), number(imagenet_torch.get("median_ms"))
        summary.append(dict(context_of(row), measure="imagenet step", method=row["method"],
                            submission=row.get("submission", ""), k=row["k"], batch_size=row["batch_size"],
                            ours=row["median_ms"], torch=imagenet_torch.get("median_ms", ""),
                            ours_over_torch=ratio(ours_ms, torch_ms), ours_buffers="", buffers_over_torch="",
                            ours_consecutive_total_ms=row["consecutive_total_ms"],
                            torch_consecutive_total_ms=imagenet_torch.get("consecutive_total_ms", ""),
                            error=" / ".join(e for e in (row["error"], imagenet_torch.get("error", "")) if e)))
    torch_memory = read(f"{out}/torch_memory.csv")
    for row in read(f"{out}/ours_memory.csv"):
        torch = next((t for t in torch_memory if t["k"] == row["k"] and t["batch_size"] == row["batch_size"]), {})
        ours_b, torch_b = number(row["peak_bytes"]), number(torch.get("max_memory_allocated"))
        # Each buffer once (tfjs' peak_bytes counts views and saved clones again);
        # absent in results from before the column existed.
        buffers = row.get("peak_buffer_bytes", "")
        summary.append(dict(context_of(row), measure="memory", method="pcdarts", submission="", k=row["k"],
                            batch_size=row["batch_size"], ours=row["peak_bytes"],
                            torch=torch.get("max_memory_allocated", ""), ours_over_torch=ratio(ours_b, torch_b),
                            ours_buffers=buffers, buffers_over_torch=ratio(number(buffers), torch_b),
                            ours_consecutive_total_ms="", torch_consecutive_total_ms="",
                            error=" / ".join(e for e in (row["error"], torch.get("error", "")) if e)))
    if summary:
        with open(f"{out}/summary.csv.tmp", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(summary[0].keys()))
            writer.writeheader()
            writer.writerows(summary)
        os.replace(f"{out}/summary.csv.tmp", f"{out}/summary.csv")

    print()
    print(f"card: {card}")
    print(f"ours: {ours_device}")
    print(f"torch: {torch_device}")
    ok = sum(1 for p in parity if p["ok"] == "true")
    worst = max((number(p["max_gradient_error"]) or 0 for p in parity), default=0)
    print(f"parity on the GPU: {ok}/{len(parity)} fixtures ok, worst gradient error {worst:.2e}")
    ours_steps = read(f"{out}/ours_steps.csv")
    steps = next((r["consecutive_steps"] for r in ours_steps), "N")
    print(f"{'method':8} {'submits':9} {'K':>2} {'batch':>5} {'ours ms/step':>12} {'torch ms/step':>13} {'ratio':>6} "
          f"{'ours ' + steps + ' steps s':>15} {'torch ' + steps + ' steps s':>16}")
    for s, row in zip((s for s in summary if s["measure"] == "step"), ours_steps):
        # Rows timed over fewer steps (tfjs' own submission) show no total.
        whole = row["consecutive_steps"] == steps
        o = number(s["ours_consecutive_total_ms"]) if whole else None
        t = number(s["torch_consecutive_total_ms"]) if whole else None
        print(f"{s['method']:8} {s['submission'].split(' ')[0]:9} {s['k']:>2} {s['batch_size']:>5} {s['ours']:>12} "
              f"{s['torch']:>13} {s['ours_over_torch']:>6} {(f'{o / 1000:.1f}' if o else ''):>15} "
              f"{(f'{t / 1000:.1f}' if t else ''):>16}{'  ' + s['error'] if s['error'] else ''}")
    for s in (s for s in summary if s["measure"] == "imagenet step"):
        side = s.get("image_size", "")
        print(f"ImageNet search step ({side}x{side}, K={s['k']}, batch {s['batch_size']}): ours {s['ours']} ms, "
              f"torch {s['torch']} ms, ratio {s['ours_over_torch']}{'  ' + s['error'] if s['error'] else ''}")
    gpu_time = read(f"{out}/ours_gpu_time.csv")
    for reductions in dict.fromkeys(r.get("reductions", "") for r in gpu_time):
        rows = [r for r in gpu_time if r.get("reductions", "") == reductions]
        total = sum(number(r["gpu_ms"]) or 0 for r in rows)
        dispatches = sum(int(r["dispatches"]) for r in rows)
        print(f"ours, one weight-step gradient (batch {rows[0]['batch_size']}, {reductions} reductions): "
              f"{total:.1f} GPU ms in {dispatches} dispatches; largest: " + ", ".join(
                  f"{r['program']} {number(r['gpu_ms']) or 0:.1f} ms/{r['dispatches']}" for r in rows[:4]))
    predictions = read(PREDICTIONS)
    # Only a run at the predicted batch (the paper's) checks the predictions.
    measured = [r for r in gpu_time if r.get("reductions", "").startswith("two-level")
                and predictions and r["batch_size"] == predictions[0]["batch_size"]]
    if measured:
        # The predictions name programs by their shader keys' common prefix.
        print(f"{'program (weight-step gradient)':34} {'predicted ms':>12} {'measured ms':>11} {'ratio':>6} "
              f"{'dispatches':>10}")
        for p in predictions:
            same = [r for r in measured if r["program"].startswith(p["program"])]
            ms = sum(number(r["gpu_ms"]) or 0 for r in same)
            count = sum(int(r["dispatches"]) for r in same)
            print(f"{p['program']:34} {p['predicted_ms']:>12} {ms:>11.1f} "
                  f"{ratio(ms, number(p['predicted_ms'])):>6} {count:>5}/{p['dispatches']:<5}")
    print(f"{'K':>2} {'batch':>5} {'ours peak MiB':>13} {'ours buffers MiB':>16} {'torch max MiB':>13} "
          f"{'ratio':>6} {'buffers ratio':>13}")
    for s in (s for s in summary if s["measure"] == "memory"):
        print(f"{s['k']:>2} {s['batch_size']:>5} {mib(number(s['ours'])):>13} {mib(number(s['ours_buffers'])):>16} "
              f"{mib(number(s['torch'])):>13} {s['ours_over_torch']:>6} {s['buffers_over_torch']:>13}"
              f"{'  ' + s['error'][:80] if s['error'] else ''}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/gpu")
