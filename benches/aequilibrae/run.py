"""AequilibraE 1.7 vs jzplan on the same SiouxFalls TNTP files, in the same run.

Both solve the user equilibrium with biconjugate Frank-Wolfe to the same relative gap. Times
are the assignment only (AequilibraE: TrafficAssignment.execute(); jzplan: the "elapsed_s"
of `jzplan assign --json`, which excludes reading the files), best of --repeat runs each.
Not run in CI: see run.sh.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from aequilibrae.matrix import AequilibraeMatrix  # noqa: E402
from aequilibrae.paths import Graph, TrafficAssignment, TrafficClass  # noqa: E402


def data_lines(path):
    """Lines after <END OF METADATA>, without ~ comments and ;."""
    text = Path(path).read_text().splitlines()
    start = next((i + 1 for i, l in enumerate(text) if "<END OF METADATA>" in l), 0)
    for line in text[start:]:
        line = line.split("~")[0].strip().rstrip(";").strip()
        if line:
            yield line


def read_net(path):
    rows = [l.split() for l in data_lines(path)]
    df = pd.DataFrame(
        [[int(r[0]), int(r[1]), float(r[2]), float(r[4]), float(r[5]), float(r[6])] for r in rows],
        columns=["a_node", "b_node", "capacity", "free_flow_time", "b", "power"],
    )
    df.insert(0, "link_id", np.arange(1, len(df) + 1))
    df["direction"] = 1
    return df


def read_trips(path, zones):
    dem = np.zeros((zones, zones))
    o = None
    for line in data_lines(path):
        if line.lower().startswith("origin"):
            o = int(line.split()[1]) - 1
            continue
        for e in line.split(";"):
            if ":" in e:
                d, v = e.split(":")
                dem[o, int(d) - 1] += float(v)
    return dem


def aequilibrae_run(net, dem, gap, cores):
    zones = dem.shape[0]
    g = Graph()
    g.network = net.copy()
    g.prepare_graph(np.arange(1, zones + 1, dtype=np.int64))
    g.set_graph("free_flow_time")
    # TNTP <FIRST THRU NODE> 1: every node, centroids included, may be passed through.
    g.set_blocked_centroid_flows(False)
    m = AequilibraeMatrix()
    m.create_empty(zones=zones, matrix_names=["demand"], memory_only=True)
    m.index[:] = np.arange(1, zones + 1)
    m.matrices[:, :, 0] = dem
    m.computational_view(["demand"])
    a = TrafficAssignment()
    a.set_classes([TrafficClass("car", g, m)])
    a.set_vdf("BPR")
    a.set_vdf_parameters({"alpha": "b", "beta": "power"})
    a.set_capacity_field("capacity")
    a.set_time_field("free_flow_time")
    a.set_algorithm("bfw")
    a.max_iter = 5000
    a.rgap_target = gap
    a.set_cores(cores)
    t = time.perf_counter()
    a.execute()
    elapsed = time.perf_counter() - t
    rep = a.report()
    res = a.results()
    return elapsed, int(rep["iteration"].max()), float(rep["rgap"].iloc[-1]), res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tntp", required=True, help="folder with SiouxFalls_*.tntp")
    p.add_argument("--jzplan", required=True, help="release jzplan binary")
    p.add_argument("--gap", type=float, default=1e-4)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    d = Path(a.tntp)
    net = read_net(d / "SiouxFalls_net.tntp")
    dem = read_trips(d / "SiouxFalls_trips.tntp", 24)
    best = pd.read_csv(d / "SiouxFalls_flow.tntp", sep=r"\s+")
    best.columns = [c.strip() for c in best.columns]

    aeq = [aequilibrae_run(net, dem, a.gap, a.cores) for _ in range(a.repeat)]
    aeq_best = min(aeq, key=lambda r: r[0])
    flows = aeq_best[3]
    vol_col = "matrix_ab" if "matrix_ab" in flows.columns else flows.columns[0]
    merged = net.set_index("link_id").join(flows[[vol_col]])
    merged = merged.merge(best, left_on=["a_node", "b_node"], right_on=["From", "To"])
    big = merged[merged["Volume"] > 1000]
    aeq_max_rel = float(((big[vol_col] - big["Volume"]).abs() / big["Volume"]).max())

    jz = []
    for _ in range(a.repeat):
        out = subprocess.run(
            [a.jzplan, "assign", "--tntp-net", str(d / "SiouxFalls_net.tntp"), "-a", "bfw",
             "--gap", str(a.gap), "--max-iter", "5000", "--json",
             "--best-known", str(d / "SiouxFalls_flow.tntp")],
            check=True, capture_output=True, text=True,
        )
        jz.append(json.loads(out.stdout))
    jz_best = min(jz, key=lambda r: r["elapsed_s"])

    result = {
        "network": "SiouxFalls",
        "target_gap": a.gap,
        "cores": a.cores,
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "aequilibrae": {
            "version": "1.7",
            "best_s": aeq_best[0],
            "all_s": [r[0] for r in aeq],
            "iterations": aeq_best[1],
            "gap": aeq_best[2],
            "max_rel_diff_links_over_1000": aeq_max_rel,
        },
        "jzplan": {
            "best_s": jz_best["elapsed_s"],
            "all_s": [r["elapsed_s"] for r in jz],
            "iterations": jz_best["iterations"],
            "gap": jz_best["relative_gap"],
            "max_rel_diff_links_over_1000": jz_best["best_known"]["max_rel_diff_links_over_1000"],
        },
    }
    result["ratio_aequilibrae_over_jzplan"] = result["aequilibrae"]["best_s"] / result["jzplan"]["best_s"]
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
