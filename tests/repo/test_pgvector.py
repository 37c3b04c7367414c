"""docs/pgvector.md's recipe against a real PostgreSQL with pgvector: a throwaway cluster (initdb in a temporary
folder, a Unix socket, no TCP), the documented table, HNSW index and cosine-distance query, on embeddings of real
photos; it must answer what POST /search answers for the same gallery. Skips with one line where the server or
the extension is not installed (.ci/run installs both)."""

from __future__ import annotations

import base64
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.photos import wheel_photo

psycopg = pytest.importorskip("psycopg", reason="psycopg not installed (requirements-dev.txt)")

DOCS = Path(__file__).resolve().parents[2] / "docs" / "pgvector.md"


def _server_bin() -> Path | None:
    """The folder with initdb/pg_ctl/postgres: pg_config's bindir, else Debian's /usr/lib/postgresql/<v>/bin."""
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        candidates.append(Path(out))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for d in candidates:
        if (d / "initdb").exists() and (d / "pg_ctl").exists() and (d / "postgres").exists():
            return d
    return None


def _has_pgvector(bindir: Path) -> bool:
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        share = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True, check=False).stdout.strip()
        return (Path(share) / "extension" / "vector.control").exists()
    return any(Path("/usr/share/postgresql").glob(f"{bindir.parent.name}/extension/vector.control"))


BINDIR = _server_bin()
pytestmark = [
    pytest.mark.skipif(BINDIR is None, reason="PostgreSQL server not installed (apt-get install postgresql; see .ci/run)"),
    pytest.mark.skipif(BINDIR is not None and not _has_pgvector(BINDIR),
                       reason="pgvector not installed for this PostgreSQL (see .ci/run)"),
]


def _as_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run the server as `nobody` when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--", *cmd]
    return cmd


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    assert BINDIR is not None
    root = Path(tempfile.mkdtemp(prefix="pgvector-test-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for p in (root, sock):
            os.chown(p, nobody.pw_uid, nobody.pw_gid)
        root.chmod(0o755)
    env = {**os.environ, "LC_ALL": "C"}
    subprocess.run(_as_user([str(BINDIR / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync",
                             "-E", "UTF8"]), check=True, capture_output=True, env=env, timeout=120)
    port = "55432"
    opts = f"-c listen_addresses='' -k {sock} -p {port} -c fsync=off -c shared_buffers=16MB"
    subprocess.run(_as_user([str(BINDIR / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w",
                             "-t", "60", "start"]), check=True, capture_output=True, env=env, timeout=90)
    try:
        yield f"host={sock} port={port} user=postgres dbname=postgres"
    finally:
        subprocess.run(_as_user([str(BINDIR / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True, env=env, timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)


def _vector(values: list[float]) -> str:
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def _sql_blocks() -> dict[str, str]:
    """The ```sql blocks of docs/pgvector.md, by the name in their first comment line (-- name: ...)."""
    blocks: dict[str, str] = {}
    for chunk in DOCS.read_text().split("```sql")[1:]:
        body = chunk.split("```", 1)[0].strip()
        first = body.splitlines()[0]
        assert first.startswith("-- name: "), first
        blocks[first.removeprefix("-- name: ").strip()] = body
    return blocks


@pytest.fixture(scope="module")
def gallery(client: TestClient) -> list[tuple[str, list[float]]]:
    """Embeddings of 28 real faces: the 22 players, the 5 of gdp.jpg and Yao Ming, as /extract-embedding gives."""
    entries: list[tuple[str, list[float]]] = []
    for photo in ("players.jpg", "gdp.jpg"):
        r = client.post("/extract-embedding?all=true",
                        files={"image": (photo, wheel_photo(photo).read_bytes(), "image/jpeg")})
        entries += [(f"{photo}-{i}", f["embedding"]) for i, f in enumerate(r.json()["faces"])]
    r = client.post("/extract-embedding", files={"image": ("y.jpg", wheel_photo("yaoming.jpg").read_bytes(), "image/jpeg")})
    entries.append(("yao", r.json()["embedding"]))
    return entries


def test_recipe_matches_search(dsn: str, client: TestClient, gallery: list[tuple[str, list[float]]]) -> None:
    sql = _sql_blocks()
    health = client.get("/health").json()
    calibration = health["calibration"]
    probe_photo = wheel_photo("gdp.jpg").read_bytes()
    probe = client.post("/extract-embedding?face=largest",
                        files={"image": ("g.jpg", probe_photo, "image/jpeg")}).json()["embedding"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql["schema"])
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO faces (person_id, embedding) VALUES (%s, %s::vector)",
                            [(pid, _vector(e)) for pid, e in gallery])
        conn.execute(sql["index"])
        conn.execute(sql["curve"])
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO score_curve (far, threshold) VALUES (%s, %s)", calibration["curve"])
        threshold = conn.execute(sql["threshold"], {"fpir": calibration["search_fpir"],
                                                    "floor": health["similarity_threshold"]}).fetchone()[0]
        params = {"probe": _vector(probe), "threshold": threshold, "k": 5}
        rows = conn.execute(sql["search"], params).fetchall()
        conn.execute("SET enable_seqscan = off")  # 28 rows: the planner would rightly scan; show the index serves
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql["search"], params).fetchall())
        assert conn.execute(sql["search"], params).fetchall() == rows
    assert rows, "the probe's own face is in the gallery"
    assert "faces_embedding_hnsw" in plan, plan

    body = {"image": base64.b64encode(probe_photo).decode(),
            "gallery": [{"id": pid, "embedding": e} for pid, e in gallery]}
    answer = client.post("/search?face=largest&top_k=5", json=body).json()
    assert threshold == answer["threshold"] and answer["threshold_rule"] == "fpir"  # the same rule, in SQL
    assert [r[0] for r in rows] == [m["id"] for m in answer["matches"]]
    for (person, similarity), match in zip(rows, answer["matches"], strict=True):
        assert similarity == pytest.approx(match["similarity"], abs=1e-5), person
        assert similarity >= threshold


def test_threshold_is_the_distance_bound(dsn: str, gallery: list[tuple[str, list[float]]]) -> None:
    """cosine distance <= 1 - threshold is exactly similarity >= threshold: a threshold just above a pair's
    similarity excludes it, just below includes it."""
    sql = _sql_blocks()
    (_, va), (b, vb) = gallery[-1], gallery[0]
    with psycopg.connect(dsn, autocommit=True) as conn:
        sim = conn.execute("SELECT 1 - (%s::vector <=> %s::vector)", (_vector(va), _vector(vb))).fetchone()[0]
        conn.execute("CREATE SCHEMA pair; SET search_path TO pair, public")
        conn.execute(sql["schema"])
        conn.execute("INSERT INTO faces (person_id, embedding) VALUES (%s, %s::vector)", (b, _vector(vb)))
        hit = conn.execute(sql["search"], {"probe": _vector(va), "threshold": sim - 1e-6, "k": 5}).fetchall()
        miss = conn.execute(sql["search"], {"probe": _vector(va), "threshold": sim + 1e-6, "k": 5}).fetchall()
    assert [r[0] for r in hit] == [b] and miss == []


def test_batch_lines_load_into_pgvector_bit_for_bit(dsn: str, settings, engine, tmp_path: Path) -> None:
    """Bulk enrolment (issue #20): a folder of photos -> python -m function.batch's JSON lines -> python -m
    function.batch.pgvector's CSV -> COPY into the documented table: every face stored exactly (float32 for
    float32), and the documented query finds each person by their own photo first."""
    import json

    import numpy as np

    from function.batch.core import BatchJob, Options
    from function.batch.lines import decode_embedding
    from function.batch.pgvector import main as to_csv
    from function.batch.sources import LocalReader
    from function.startup import build_service
    from tests.support.photos import DATA

    job = BatchJob(build_service(settings, engine, "buffalo_sc"), "buffalo_sc", Options(face="largest"), 10.0)
    reader = LocalReader(DATA.root / "lfw", settings.max_s3_bytes)
    lines = job.run(reader.list(), reader).lines
    faces = [(line.key.split("/")[0], f.embedding) for line in lines for f in line.faces or ()]
    assert len(faces) == sum(1 for line in lines if line.ok) >= 25
    (tmp_path / "lines.jsonl").write_text("".join(line.json_line() for line in lines))
    assert to_csv([str(tmp_path / "lines.jsonl"), "--id", "parent", "-o", str(tmp_path / "rows.csv")]) == 0
    sql = _sql_blocks()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA bulk; SET search_path TO bulk, public")
        conn.execute(sql["schema"])
        with conn.cursor() as cur, cur.copy("COPY faces (person_id, embedding) FROM STDIN WITH (FORMAT csv, HEADER)") as cp:
            cp.write((tmp_path / "rows.csv").read_text())
        stored = conn.execute("SELECT person_id, embedding::text FROM faces ORDER BY id").fetchall()
        assert [p for p, _ in stored] == [p for p, _ in faces]
        for (_, text), (_, b64) in zip(stored, faces, strict=True):
            assert np.array_equal(np.asarray(json.loads(text), dtype=np.float32), decode_embedding(b64))
        for person, b64 in faces:
            probe = "[" + ",".join(repr(float(x)) for x in decode_embedding(b64)) + "]"
            rows = conn.execute(sql["search"], {"probe": probe, "threshold": 0.27, "k": 3}).fetchall()
            assert rows[0][0] == person and rows[0][1] == pytest.approx(1.0, abs=1e-5)
