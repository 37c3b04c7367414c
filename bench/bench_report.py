"""The tables bench/bench.py prints, and its targets, from the results dict it writes as JSON."""

from __future__ import annotations

from typing import Any

from bench.client import PACK


def report(res: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    add = lines.append
    add(f"machine: {res['machine']}; {res['date']}; pack {PACK}")
    cs = res["cold_start"]
    add("\ncold start (spawn -> first 200 from /extract-embedding 1face), fresh processes, interleaved")
    add(f"{'server':<10} {'n':>3} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s (median)':>15} {'peak RSS MB':>12}")
    for k, v in cs.items():
        add(f"{k:<10} {len(v['s']):>3} {v['median_s']:>9.3f} {v['min_s']:>7.3f} {v['max_s']:>7.3f} "
            f"{v['median_cpu_s']:>15.3f} {max(v['peak_rss_mb']):>12.0f}")
    add(f"ratio reference/ours: {cs['reference']['median_s'] / cs['ours']['median_s']:.2f}x wall, "
        f"{cs['reference']['median_cpu_s'] / cs['ours']['median_cpu_s']:.2f}x CPU")
    add(f"\nwarm latency over HTTP, {res['rounds']} calls each, interleaved (ms)")
    add(f"{'route photo':<32} {'ours med':>8} {'p90':>6} {'ref med':>8} {'p90':>7} {'ref/ours':>8} "
        f"{'CPU ours':>8} {'CPU ref':>8} {'ref/ours':>8}  status o/r")
    for label, v in res["warm"].items():
        o, r = v["ours"], v["reference"]
        add(f"{label:<32} {o['median_ms']:>8.1f} {o['p90_ms']:>6.1f} {r['median_ms']:>8.1f} {r['p90_ms']:>7.1f} "
            f"{v['ratio']:>7.1f}x {o['cpu_ms']:>8.1f} {r['cpu_ms']:>8.1f} {v['cpu_ratio']:>7.1f}x  "
            f"{','.join(map(str, o['status']))}/{','.join(map(str, r['status']))}")
    fl = res["floor"]
    add(f"\nfloor: raw ONNX Runtime ({fl['threads']} intra-op threads) in the bench process, sampled once per warm "
        f"round between the HTTP calls ({fl['samples']} samples): median wall ms / mean CPU ms")
    add(f"classic det 640x640 + rec 1 face: {fl['det640_ms'] + fl['rec1_ms']:.1f} ms wall "
        f"({fl['det640_ms']:.1f} + {fl['rec1_ms']:.1f}), {fl['det640_cpu_ms'] + fl['rec1_cpu_ms']:.1f} ms CPU")
    add(f"{'route photo':<28} {'decode':>7} {'floor':>7} {'HTTP':>7} {'wall x':>7}   {'CPU: floor+dec':>14} "
        f"{'server':>7} {'CPU x':>6}  session calls")
    for key, v in fl["photos"].items():
        for route in ("extract", "detect"):
            label = f"/{'extract-embedding' if route == 'extract' else 'detect'} {key}"
            http = res["warm"][label]["ours"]
            floor_w = v[f"{route}_floor_ms"] + v["decode_ms"]
            floor_c = v[f"{route}_floor_cpu_ms"] + v["decode_cpu_ms"]
            add(f"{label:<28} {v['decode_ms']:>7.1f} {v[f'{route}_floor_ms']:>7.1f} {http['median_ms']:>7.1f} "
                f"{http['median_ms'] / floor_w:>6.2f}x   {floor_c:>14.1f} {http['cpu_ms']:>7.1f} "
                f"{http['cpu_ms'] / floor_c:>5.2f}x  {v['extract_calls'] if route == 'extract' else ''}")
    add(f"\nthroughput, /extract-embedding 1face, ceiling = {res['cpus']} CPUs / server CPU per request")
    add(f"{'server':<10} {'CPU ms/req':>10} {'ceiling r/s':>11} {'clients':>7} {'req':>5} {'r/s':>7} "
        f"{'of ceiling':>10} {'errors':>6} {'med ms':>7} {'p90 ms':>7} {'cores got':>9}")
    for name, v in res["throughput"].items():
        ceiling = res["cpus"] / v["cpu_s_per_request"]
        for t in v["runs"]:
            add(f"{name:<10} {1e3 * v['cpu_s_per_request']:>10.1f} {ceiling:>11.1f} {t['clients']:>7} "
                f"{t['requests']:>5} {t['rps']:>7.1f} {100 * t['rps'] / ceiling:>9.0f}% {t['errors']:>6} "
                f"{t['median_ms']:>7.1f} {t['p90_ms']:>7.1f} {t['server_cores_used']:>9.2f}")
    add("\npeak RSS of the warm servers (after every route, photo and the throughput runs): " +
        ", ".join(f"{k} {v:.0f} MB" for k, v in res["peak_rss_mb"].items()))
    add("\ntargets")
    for t in res["targets"]:
        add(f"  [{'PASS' if t['ok'] else 'MISS'}] {t['name']}: {t['value']}")
    return lines


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    w, fl, cs = res["warm"], res["floor"], res["cold_start"]
    e1 = w["/extract-embedding 1face"]
    f1 = fl["photos"]["1face"]
    classic = fl["det640_ms"] + fl["rec1_ms"] + f1["decode_ms"]
    own = f1["extract_floor_ms"] + f1["decode_ms"]
    own_cpu = f1["extract_floor_cpu_ms"] + f1["decode_cpu_ms"]
    dp = w["/detect players22"]
    co, cr = cs["ours"]["median_s"], cs["reference"]["median_s"]
    rss = res["peak_rss_mb"]["ours"]
    tp = res["throughput"]["ours"]
    ceiling = res["cpus"] / tp["cpu_s_per_request"]
    t4 = next(t for t in tp["runs"] if t["clients"] == 4)
    eff = 100 * t4["rps"] * tp["cpu_s_per_request"] / max(t4["server_cores_used"], 1e-9)
    return [
        {"name": "/extract-embedding 1face >= 2x faster than reference", "ok": e1["ratio"] >= 2,
         "value": f"{e1['ratio']:.2f}x wall (CPU {e1['cpu_ratio']:.2f}x)"},
        {"name": "/extract-embedding 1face <= 1.15x (det640 + rec floor + decode)",
         "ok": e1["ours"]["median_ms"] <= 1.15 * classic,
         "value": f"{e1['ours']['median_ms']:.1f} ms vs {classic:.1f} ms = {e1['ours']['median_ms'] / classic:.2f}x "
                  f"(vs the floor of the calls we actually make, {own:.1f} ms: {e1['ours']['median_ms'] / own:.2f}x; "
                  f"server CPU {e1['ours']['cpu_ms']:.1f} ms vs floor CPU {own_cpu:.1f} ms: "
                  f"{e1['ours']['cpu_ms'] / own_cpu:.2f}x)"},
        {"name": "/detect players22 >= 25x faster than reference", "ok": dp["ratio"] >= 25,
         "value": f"{dp['ratio']:.1f}x wall (CPU {dp['cpu_ratio']:.1f}x)"},
        {"name": "cold start median <= 0.5 s", "ok": co <= 0.5, "value": f"{co:.3f} s"},
        {"name": "cold start >= 1.5x faster than reference", "ok": cr / co >= 1.5,
         "value": f"{cr / co:.2f}x wall (CPU {cs['reference']['median_cpu_s'] / cs['ours']['median_cpu_s']:.2f}x)"},
        {"name": "peak RSS <= 230 MB", "ok": rss <= 230, "value": f"{rss:.0f} MB"},
        {"name": "4 clients >= 90% of the 2-core ceiling, 0 errors", "ok": t4["rps"] >= 0.9 * ceiling and t4["errors"] == 0,
         "value": f"{t4['rps']:.1f} r/s of {ceiling:.1f} ({100 * t4['rps'] / ceiling:.0f}%), {t4['errors']} errors; "
                  f"the server got {t4['server_cores_used']:.2f} of {res['cpus']} cores, and spent {eff:.0f}% of "
                  f"the CPU it got on requests at the single-request cost"},
    ]
