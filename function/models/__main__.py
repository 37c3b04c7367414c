"""python -m function.models {bake,bake-proxy,fetch,quantize,verify,list} — manage model packs (see docs/architecture.md, Model packs)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from function.config import DEFAULT_MODEL_DIR
from function.errors import PackError
from function.models.bake import PROXY_PACK, bake, bake_timing_proxy, fetch_archive, is_baked
from function.models.pack import available_packs, load_pack, pack_precisions
from function.models.roles import QUANTIZE_METHODS, QUANTIZE_ROLES, ROLES
from function.models.specs import PACKS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m function.models", description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR, help="where packs live (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_bake = sub.add_parser("bake", help="create a pack from its official source and pinned sha256 sums")
    p_bake.add_argument("name", choices=sorted(PACKS))
    p_bake.add_argument("--source", default="", help="URL, local .zip, local folder or s3://bucket/key (default: official release)")
    p_bake.add_argument("--if-missing", action="store_true", help="do nothing when the pack is already baked")
    p_bake.add_argument("--int8", action="store_true", help="also make its int8 variants (as `quantize` does)")
    p_proxy = sub.add_parser("bake-proxy", help="pack buffalo_l-scale timing proxies (random weights; benchmarks only, "
                                                "never served)")
    p_proxy.add_argument("--from", dest="source", type=Path, required=True,
                         help="folder with det_10g.onnx and w600k_r50.onnx from ../shared/tools/make_timing_proxies.py")
    p_proxy.add_argument("--name", default=PROXY_PACK, help="pack name (default: %(default)s)")
    p_fetch = sub.add_parser("fetch", help="download an https:// or s3:// pack archive to a local file (e.g. into "
                                           "model_sources/ before docker build)")
    p_fetch.add_argument("source", help="https://... or s3://bucket/key (AWS credentials from the usual places)")
    p_fetch.add_argument("dest", type=Path, help="the file to write, e.g. model_sources/buffalo_l.zip")
    p_quant = sub.add_parser("quantize", help="add int8 variants of a baked pack's models (needs the onnx package; "
                                              "docs/int8.md)")
    p_quant.add_argument("name")
    p_quant.add_argument("--roles", default=",".join(QUANTIZE_ROLES), help="comma-separated (default: %(default)s)")
    p_quant.add_argument("--method", choices=QUANTIZE_METHODS, default="static", help="default: %(default)s")
    p_quant.add_argument("--calibration", type=Path, default=None,
                         help="folder of extra calibration photos (static; default: the wheel's three photos)")
    p_verify = sub.add_parser("verify", help="check a pack's files against its manifest")
    p_verify.add_argument("name")
    sub.add_parser("list", help="list baked packs")
    args = parser.parse_args(argv)
    try:
        if args.command == "bake":
            if args.if_missing and is_baked(args.model_dir, args.name):
                print(f"{args.name} already baked in {args.model_dir}", file=sys.stderr)
                return 0
            path = bake(args.name, args.model_dir, args.source)
            print(f"baked {args.name} into {path}", file=sys.stderr)
            if args.int8:
                _quantize(args.model_dir, args.name, QUANTIZE_ROLES, "static", None)
        elif args.command == "bake-proxy":
            path = bake_timing_proxy(args.source, args.model_dir, args.name)
            print(f"baked timing proxy {args.name} into {path} (refused by the service; for bench/scale.py)",
                  file=sys.stderr)
        elif args.command == "fetch":
            path = fetch_archive(args.source, args.dest)
            print(f"fetched {args.source} to {path}", file=sys.stderr)
        elif args.command == "quantize":
            roles = tuple(r.strip() for r in args.roles.split(",") if r.strip())
            _quantize(args.model_dir, args.name, roles, args.method, args.calibration)
        elif args.command == "verify":
            for precision in pack_precisions(args.model_dir / args.name):
                pack = load_pack(args.model_dir, args.name, allow_timing_proxy=True, precision=precision)
                for role in ROLES:
                    getattr(pack, role).read_verified()
                files = ", ".join(f"{d['file']} {d['sha256']}" for d in pack.describe())
                label = args.name if precision == "fp32" else f"{args.name} {precision}"
                print(f"{label}: OK ({files})")
        else:
            for name in available_packs(args.model_dir):
                print(name)
    except PackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _quantize(model_dir: Path, name: str, roles: tuple[str, ...], method: str, calibration: Path | None) -> None:
    # Bake-time only. This command is an entry point: it hands the engine's calibration (inference over photos) to
    # the quantizer, so that function/models/ itself never imports the engine.
    from function.engine.quantize_inputs import calibration_inputs
    from function.models.quantize import quantize_pack

    entries = quantize_pack(model_dir, name, roles=roles, method=method, calibrate=calibration_inputs,
                            calibration=calibration,
                            progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    print(f"int8 variants of {name}: " + ", ".join(f"{r} {e['file']} {str(e['sha256'])[:12]}" for r, e in entries.items()),
          file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
