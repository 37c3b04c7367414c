"""make lfw (bench/lfw_fetch.py) on a tiny LFW-shaped archive and pairs file built here, read through file:// URLs
and local paths (no network): checksums enforced, the FACES_DIR layout written, hostile archive members skipped."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from bench import lfw_fetch
from bench.lfw_fetch import FetchError, Source, fetch, parse_pairs
from tests.support import encode
from tests.support.photos import FaceSet

PEOPLE = {"Ann_Lee": 2, "Bo_Chen": 1, "Cy_Diaz": 2}
# view 2's format: "<folds> <pairs per class>", then per fold the same-person lines, then the different-person ones
PAIRS_TXT = "2\t1\nAnn_Lee\t1\t2\nAnn_Lee\t1\tBo_Chen\t1\nCy_Diaz\t1\t2\nBo_Chen\t1\tCy_Diaz\t2\n"


def tiny_archive(top: str = "lfw", extra: list[tarfile.TarInfo] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for k, (name, count) in enumerate(PEOPLE.items()):
            for n in range(1, count + 1):
                data = encode(np.full((8, 8, 3), 40 * k + n, np.uint8))
                info = tarfile.TarInfo(f"{top}/{name}/{name}_{n:04d}.jpg")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return out.getvalue()


def source(path: Path, data: bytes, *, sha256: str | None = None, as_url: bool = True) -> Source:
    path.write_bytes(data)
    return Source(path.as_uri() if as_url else str(path), sha256 or hashlib.sha256(data).hexdigest(), 1 << 20)


def test_lays_out_lfw_as_faces_dir_expects(tmp_path: Path) -> None:
    escape = tarfile.TarInfo("lfw/../../escape.jpg")
    escape.size = 3
    link = tarfile.TarInfo("lfw/Ann_Lee/Ann_Lee_0009.jpg")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    archive = source(tmp_path / "lfw.tgz", tiny_archive("lfw-deepfunneled", [escape, link]))
    pairs = source(tmp_path / "pairs.txt", PAIRS_TXT.encode(), as_url=False)
    dest = tmp_path / "faces"

    done = fetch(dest, archive, pairs)

    assert (done["images"], done["pairs"], done["same"]) == (5, 4, 2)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "lfw/Ann_Lee/Ann_Lee_0001.jpg", "lfw/Ann_Lee/Ann_Lee_0002.jpg", "lfw/Bo_Chen/Bo_Chen_0001.jpg",
        "lfw/Cy_Diaz/Cy_Diaz_0001.jpg", "lfw/Cy_Diaz/Cy_Diaz_0002.jpg", "lfw/pairs.tsv"]
    assert not (tmp_path / "escape.jpg").exists()
    faces = FaceSet(dest)  # what the tests and make accuracy read
    assert [(p.fold, p.image1.name, p.image2.name, p.same) for p in faces.lfw_pairs] == [
        (1, "Ann_Lee_0001.jpg", "Ann_Lee_0002.jpg", True), (1, "Ann_Lee_0001.jpg", "Bo_Chen_0001.jpg", False),
        (2, "Cy_Diaz_0001.jpg", "Cy_Diaz_0002.jpg", True), (2, "Bo_Chen_0001.jpg", "Cy_Diaz_0002.jpg", False)]
    assert all(p.is_file() for p in faces.lfw_images)


def test_a_file_that_fails_its_checksum_leaves_nothing(tmp_path: Path) -> None:
    archive = source(tmp_path / "lfw.tgz", tiny_archive(), sha256="0" * 64)
    pairs = source(tmp_path / "pairs.txt", PAIRS_TXT.encode())
    dest = tmp_path / "faces"
    with pytest.raises(FetchError, match="sha256"):
        fetch(dest, archive, pairs)
    assert [p.name for p in dest.rglob("*")] == []


def test_a_download_over_its_size_is_refused(tmp_path: Path) -> None:
    data = tiny_archive()
    archive = Source((tmp_path / "lfw.tgz").as_uri(), hashlib.sha256(data).hexdigest(), len(data) - 1)
    (tmp_path / "lfw.tgz").write_bytes(data)
    with pytest.raises(FetchError, match="larger than"):
        fetch(tmp_path / "faces", archive, source(tmp_path / "pairs.txt", PAIRS_TXT.encode()))


def test_kept_downloads_serve_a_rerun(tmp_path: Path) -> None:
    archive = source(tmp_path / "lfw.tgz", tiny_archive())
    pairs = source(tmp_path / "pairs.txt", PAIRS_TXT.encode())
    kept = tmp_path / "downloads"
    fetch(tmp_path / "a", archive, pairs, downloads=kept)
    (tmp_path / "lfw.tgz").unlink()  # the source is gone: the rerun must use the kept, verified copy
    assert fetch(tmp_path / "b", archive, pairs, downloads=kept)["images"] == 5


def test_pairs_naming_images_the_archive_lacks_are_refused(tmp_path: Path) -> None:
    archive = source(tmp_path / "lfw.tgz", tiny_archive())
    pairs = source(tmp_path / "pairs.txt", PAIRS_TXT.replace("Cy_Diaz\t1\t2", "Cy_Diaz\t1\t3").encode())
    with pytest.raises(FetchError, match=r"1 images named by pairs\.txt"):
        fetch(tmp_path / "faces", archive, pairs)
    assert not (tmp_path / "faces" / "lfw" / "pairs.tsv").exists()


@pytest.mark.parametrize("text", ["", "2\t1\nAnn_Lee\t1\t2\n", "1\t1\nAnn_Lee\t1\tBo_Chen\t1\nAnn_Lee\t1\t2\n"])
def test_malformed_pairs_file(text: str) -> None:
    with pytest.raises(FetchError):
        parse_pairs(text)


def test_cli_keeps_the_pins_for_a_mirror(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--archive-url / --pairs-url change where the files come from, never what they must hash to."""
    (tmp_path / "lfw.tgz").write_bytes(tiny_archive())
    (tmp_path / "pairs.txt").write_text(PAIRS_TXT)
    rc = lfw_fetch.main(["--dest", str(tmp_path / "faces"), "--archive-url", str(tmp_path / "lfw.tgz"),
                         "--pairs-url", (tmp_path / "pairs.txt").as_uri()])
    assert rc == 1
    assert f"expected {lfw_fetch.PAIRS.sha256}" in capsys.readouterr().err


def test_an_unreachable_source_names_its_url(tmp_path: Path) -> None:
    missing = Source((tmp_path / "nowhere" / "pairs.txt").as_uri(), "0" * 64, 1 << 20)
    with pytest.raises(FetchError, match=r"nowhere/pairs\.txt"):
        fetch(tmp_path / "faces", lfw_fetch.ARCHIVE, missing)
