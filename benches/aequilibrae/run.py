"""AequilibraE 1.7 vs jzplan on the same TNTP files, in the same run.

AequilibraE solves the user equilibrium with biconjugate Frank-Wolfe to --gap; jzplan with
--jz-algorithm (default bfw) to --jz-gap (default --gap). Times are the assignment only
(AequilibraE: TrafficAssignment.execute(); jzplan: the "elapsed_s" of `jzplan assign --json`,
which excludes reading the files), best of --repeat runs each. Flows are compared with the
best-known flow file (--flow) or, without one, with a jzplan Algorithm B run to
--reference-gap. The result goes under --key in the --out JSON (other keys are kept).
Not run in CI: see run.sh.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
LOAD_BEFORE = Path("/proc/loadavg").read_text().split()[:3]

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


def first_thru_node(path):
    """<FIRST THRU NODE> of a TNTP network (1 when absent: every node may be passed)."""
    for line in Path(path).read_text().splitlines():
        if line.strip().upper().startswith("<FIRST THRU NODE>"):
            return int(line.split(">", 1)[1].split("~")[0].strip())
        if "<END OF METADATA>" in line:
            break
    return 1


def zone_count(path):
    for line in Path(path).read_text().splitlines():
        if line.strip().upper().startswith("<NUMBER OF ZONES>"):
            return int(line.split(">", 1)[1].split("~")[0].strip())
    raise SystemExit(f"{path}: no <NUMBER OF ZONES>")


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


def aequilibrae_run(net, dem, gap, cores, blocked):
    zones = dem.shape[0]
    g = Graph()
    g.network = net.copy()
    # AequilibraE rejects links with a free-flow time of 0 (the generated grid's connectors):
    # they get 1e-9, which moves no path cost by more than 1e-9 per connector (paths cost ~10-100).
    g.network["free_flow_time"] = g.network["free_flow_time"].clip(lower=1e-9)
    g.prepare_graph(np.arange(1, zones + 1, dtype=np.int64))
    g.set_graph("free_flow_time")
    # TNTP <FIRST THRU NODE> 1: every node, centroids included, may be passed through;
    # above 1, the centroids (nodes 1..zones) are ends of paths only.
    g.set_blocked_centroid_flows(blocked)
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


def max_rel_diff(vol, ref, floor):
    """max |vol - ref| / ref over links whose reference volume is above floor."""
    big = ref > floor
    return float((np.abs(vol[big] - ref[big]) / ref[big]).max())


def jzplan_run(a, net_file, trips_file, algorithm, gap, extra=()):
    out = subprocess.run(
        [a.jzplan, "assign", "--tntp-net", str(net_file), "--trips", str(trips_file),
         "-a", algorithm, "--gap", str(gap), "--max-iter", "5000", "--json", *extra],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--net", required=True, help="TNTP network file")
    p.add_argument("--trips", required=True, help="TNTP trips file")
    p.add_argument("--flow", help="TNTP best-known flow file (optional)")
    p.add_argument("--name", required=True, help="network name in the results")
    p.add_argument("--key", help="key in the --out JSON (default: --name)")
    p.add_argument("--jzplan", required=True, help="release jzplan binary")
    p.add_argument("--gap", type=float, default=1e-4, help="AequilibraE's target gap")
    p.add_argument("--jz-algorithm", default="bfw")
    p.add_argument("--jz-gap", type=float, help="jzplan's target gap (default --gap)")
    p.add_argument("--reference-gap", type=float, default=1e-8,
                   help="without --flow: gap of the jzplan Algorithm B reference run")
    p.add_argument("--floor", type=float, default=1000.0,
                   help="compare flows on links whose reference volume is above this")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    jz_gap = a.jz_gap if a.jz_gap is not None else a.gap
    net = read_net(a.net)
    zones = zone_count(a.net)
    dem = read_trips(a.trips, zones)
    blocked = first_thru_node(a.net) > 1

    # Reference volumes in file order: the best-known file, or jzplan Algorithm B to a tight gap.
    with tempfile.TemporaryDirectory() as tmp:
        if a.flow:
            best = pd.read_csv(a.flow, sep=r"\s+")
            best.columns = [c.strip() for c in best.columns]
            ref = net.merge(best, left_on=["a_node", "b_node"], right_on=["From", "To"],
                            how="left")["Volume"].to_numpy()
            reference = f"best-known flows ({Path(a.flow).name})"
        else:
            csv = Path(tmp) / "reference.csv"
            r = jzplan_run(a, a.net, a.trips, "algb", a.reference_gap, ["--out", str(csv)])
            ref = pd.read_csv(csv)["volume"].to_numpy()
            reference = (f"jzplan algb to {a.reference_gap:g} ({r['iterations']} iterations, "
                         f"gap {r['relative_gap']:.3g})")

    aeq = [aequilibrae_run(net, dem, a.gap, a.cores, blocked) for _ in range(a.repeat)]
    aeq_best = min(aeq, key=lambda r: r[0])
    flows = aeq_best[3]
    vol_col = "matrix_ab" if "matrix_ab" in flows.columns else flows.columns[0]
    aeq_vol = net.set_index("link_id").join(flows[[vol_col]])[vol_col].to_numpy()

    jz = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.repeat):
            csv = Path(tmp) / f"jz{i}.csv"
            r = jzplan_run(a, a.net, a.trips, a.jz_algorithm, jz_gap, ["--out", str(csv)])
            r["volume"] = pd.read_csv(csv)["volume"].to_numpy()
            jz.append(r)
    jz_best = min(jz, key=lambda r: r["elapsed_s"])

    result = {
        "network": a.name,
        "links": int(len(net)),
        "zones": zones,
        "reference_flows": reference,
        "flow_floor": a.floor,
        "cores": a.cores,
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "loadavg_before": LOAD_BEFORE,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "aequilibrae": {
            "version": "1.7",
            "algorithm": "bfw",
            "target_gap": a.gap,
            "best_s": aeq_best[0],
            "all_s": [r[0] for r in aeq],
            "iterations": aeq_best[1],
            "gap": aeq_best[2],
            "max_rel_diff_vs_reference": max_rel_diff(aeq_vol, ref, a.floor),
        },
        "jzplan": {
            "algorithm": a.jz_algorithm,
            "target_gap": jz_gap,
            "best_s": jz_best["elapsed_s"],
            "all_s": [r["elapsed_s"] for r in jz],
            "iterations": jz_best["iterations"],
            "gap": jz_best["relative_gap"],
            "max_rel_diff_vs_reference": max_rel_diff(jz_best["volume"], ref, a.floor),
        },
    }
    result["ratio_aequilibrae_over_jzplan"] = result["aequilibrae"]["best_s"] / result["jzplan"]["best_s"]
    out = Path(a.out)
    try:
        all_results = json.loads(out.read_text())
    except (OSError, ValueError):
        all_results = {}
    if "network" in all_results:  # the one-network layout of earlier runs
        all_results = {all_results["network"]: all_results}
    all_results[a.key or a.name] = result
    out.write_text(json.dumps(all_results, indent=2) + "\n")
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
