"""POST /verify and POST /search (issue #12) on the real models: a photo against stored embeddings from
/extract-embedding, in every accepted encoding, on /compare's scale; malformed embeddings and galleries refused."""

from __future__ import annotations

import base64
import dataclasses
import json

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import Settings
from function.engine import FaceEngine
from tests.support import encode, read
from tests.support.apigw import rest_event
from tests.support.photos import wheel_photo

ONE_FACE = wheel_photo("yaoming.jpg")
LAMBDA_REQUEST_LIMIT = 6 * 1024 * 1024


def b64f32(vector: np.ndarray | list[float]) -> str:
    """What Node's Buffer.from(new Float32Array(v).buffer).toString('base64') gives: little-endian float32."""
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()


def jpeg(image: np.ndarray) -> bytes:
    return encode(image, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 92])


@pytest.fixture(scope="module")
def probe() -> bytes:
    """Yao Ming again, as another photo: mirrored, scaled down and darkened a little (a real, different image)."""
    image = cv2.flip(read(ONE_FACE), 1)
    image = cv2.resize(image, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    return jpeg(cv2.convertScaleAbs(image, alpha=0.85, beta=5))


@pytest.fixture(scope="module")
def stored(client: TestClient) -> list[float]:
    r = client.post("/extract-embedding", files={"image": ("y.jpg", ONE_FACE.read_bytes(), "image/jpeg")})
    return r.json()["embedding"]


@pytest.fixture(scope="module")
def others(client: TestClient) -> list[list[float]]:
    """The five players of gdp.jpg: other people."""
    r = client.post("/extract-embedding?all=true", files={"image": ("g.jpg", wheel_photo("gdp.jpg").read_bytes(), "image/jpeg")})
    return [f["embedding"] for f in r.json()["faces"]]


def verify_json(client: TestClient, image: bytes, embedding: object, query: str = ""):
    return client.post(f"/verify{query}", json={"image": base64.b64encode(image).decode(), "embedding": embedding})


# -- /verify --------------------------------------------------------------------------------------------------------
def test_verify_matches_compare(client: TestClient, probe: bytes, stored: list[float]) -> None:
    body = verify_json(client, probe, stored).json()
    compare = client.post("/compare", files={"image1": ("a.jpg", ONE_FACE.read_bytes(), "image/jpeg"),
                                             "image2": ("b.jpg", probe, "image/jpeg")}).json()
    assert body["success"] is True and body["same_person"] is True
    assert body["similarity"] == pytest.approx(compare["similarity"], abs=1e-5)
    assert body["confidence"] == pytest.approx(50 * (1 + body["similarity"]), abs=1e-3)
    assert body["threshold"] == compare["threshold"] and body["similarity"] >= body["threshold"]
    assert body["face"]["box"] == compare["face2"]["box"] and body["face"]["quality"]["usable"] is True


def test_verify_every_encoding_gives_one_answer(client: TestClient, probe: bytes, stored: list[float]) -> None:
    vec = np.asarray(stored, dtype=np.float32)
    answers = [
        verify_json(client, probe, stored),  # JSON list
        verify_json(client, probe, b64f32(vec)),  # JSON, base64 float32
        verify_json(client, probe, (vec * 7.5).tolist()),  # not unit length: normalised
        client.post("/verify", files={"image": ("p.jpg", probe, "image/jpeg")}, data={"embedding": b64f32(vec)}),
        client.post("/verify", files={"image": ("p.jpg", probe, "image/jpeg")}, data={"embedding": json.dumps(stored)}),
    ]
    sims = []
    for r in answers:
        assert r.status_code == 200, r.text
        sims.append(r.json()["similarity"])
    assert max(sims) - min(sims) < 1e-5, sims


def test_verify_another_person(client: TestClient, probe: bytes, others: list[list[float]]) -> None:
    for embedding in others:
        body = verify_json(client, probe, b64f32(embedding)).json()
        assert body["same_person"] is False and body["similarity"] < body["threshold"]


def test_verify_face_choice(client: TestClient, others: list[list[float]]) -> None:
    gdp = wheel_photo("gdp.jpg").read_bytes()
    r = verify_json(client, gdp, others[0])
    assert r.status_code == 422 and r.json()["code"] == "MULTIPLE_FACES"
    r = verify_json(client, gdp, others[0], "?face=largest")
    assert r.status_code == 200 and r.json()["face"]["box"]


def _nan_b64() -> str:
    v = np.full(512, 0.04, dtype="<f4")
    v[3] = np.nan
    return base64.b64encode(v.tobytes()).decode()


@pytest.mark.parametrize("embedding,words", [
    ([0.04] * 511, "511 values"),
    ([0.04] * 513, "513 values"),
    ([0.0] * 512, "all zeros"),
    (base64.b64encode(np.zeros(512, "<f4").tobytes()).decode(), "all zeros"),
    (_nan_b64(), "NaN"),
    ([1e39] + [0.04] * 511, "infinite"),
    (["0.1"] * 512, "numbers only"),
    ([True] * 512, "numbers only"),
    ("not base64!", "valid base64"),
    (base64.b64encode(b"\x00" * 2047).decode(), "2047 bytes"),
    ({"x": 1}, "list of 512"),
    ("[0.1, 0.2", "JSON list"),
    ("[" * 100_000, "JSON list"),  # nesting deeper than the JSON reader's recursion: a 400, not a 500
])
def test_verify_refuses_bad_embeddings(client: TestClient, embedding: object, words: str) -> None:
    r = verify_json(client, ONE_FACE.read_bytes(), embedding)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "INVALID_EMBEDDING" and body["field"] == "embedding" and words in body["error"]


def test_verify_nan_in_json(client: TestClient) -> None:
    """Python's JSON reader accepts the non-standard NaN literal: it must still be refused."""
    image = base64.b64encode(ONE_FACE.read_bytes()).decode()
    body = f'{{"image": "{image}", "embedding": [NaN{", 0.1" * 511}]}}'
    r = client.post("/verify", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_EMBEDDING"


def test_verify_missing_embedding(client: TestClient) -> None:
    r = client.post("/verify", files={"image": ("y.jpg", ONE_FACE.read_bytes(), "image/jpeg")})
    assert r.status_code == 422 and r.json()["code"] == "MISSING_FIELD" and r.json()["field"] == "embedding"


# -- /search --------------------------------------------------------------------------------------------------------
def gallery(stored: list[float], others: list[list[float]]) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = [{"id": f"player-{i}", "embedding": b64f32(e)} for i, e in enumerate(others)]
    entries.insert(2, {"id": "yao", "embedding": b64f32(stored)})
    return entries


def test_search_finds_the_person(client: TestClient, probe: bytes, stored: list[float], others: list[list[float]]) -> None:
    r = client.post("/search", json={"image": base64.b64encode(probe).decode(), "gallery": gallery(stored, others)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["gallery_size"] == 6 and body["top_k"] == 5
    assert [m["id"] for m in body["matches"]] == ["yao"]  # the five players are below the threshold
    match = body["matches"][0]
    single = verify_json(client, probe, stored).json()
    assert match["similarity"] == pytest.approx(single["similarity"], abs=1e-5)
    assert match["confidence"] == pytest.approx(50 * (1 + match["similarity"]), abs=1e-3)


def test_search_ranks_and_dedupes(client: TestClient, others: list[list[float]]) -> None:
    """The probe is one of gdp's players; the gallery holds his own embedding, a second entry under his id, and
    the others. Ranked best first, each id once, at most top_k."""
    gdp = wheel_photo("gdp.jpg").read_bytes()
    face = client.post("/extract-embedding?face=largest", files={"image": ("g.jpg", gdp, "image/jpeg")}).json()
    me = np.asarray(face["embedding"], dtype=np.float32)
    rest = [e for e in others if float(np.dot(e, me)) < 0.99]  # the four other players
    assert len(rest) == 4
    near = me + 0.02 * np.asarray(rest[0], dtype=np.float32)  # a slightly different photo of him
    entries = [{"id": f"p{i}", "embedding": e} for i, e in enumerate(rest)]
    entries += [{"id": "him", "embedding": b64f32(near)}, {"id": "him", "embedding": me.tolist()}]
    r = client.post("/search?face=largest&top_k=3", json={"image": base64.b64encode(gdp).decode(), "gallery": entries})
    body = r.json()
    ids = [m["id"] for m in body["matches"]]
    assert ids[0] == "him" and ids.count("him") == 1 and len(ids) <= 3
    assert body["matches"][0]["similarity"] == pytest.approx(1.0, abs=1e-4)
    sims = [m["similarity"] for m in body["matches"]]
    assert sims == sorted(sims, reverse=True) and all(s >= body["threshold"] for s in sims)


def test_search_multipart(client: TestClient, probe: bytes, stored: list[float], others: list[list[float]]) -> None:
    r = client.post("/search?top_k=1", files={"image": ("p.jpg", probe, "image/jpeg")},
                    data={"gallery": json.dumps(gallery(stored, others))})
    assert r.status_code == 200 and [m["id"] for m in r.json()["matches"]] == ["yao"]


@pytest.mark.parametrize("value,code,field", [
    ([], "INVALID_GALLERY", "gallery"),
    ({"id": "a"}, "INVALID_GALLERY", "gallery"),
    ("{not json", "INVALID_GALLERY", "gallery"),
    ("[" * 100_000, "INVALID_GALLERY", "gallery"),
    ([{"embedding": [0.1] * 512}], "INVALID_GALLERY", "gallery[0].id"),
    ([{"id": "", "embedding": [0.1] * 512}], "INVALID_GALLERY", "gallery[0].id"),
    ([{"id": "a" * 257, "embedding": [0.1] * 512}], "INVALID_GALLERY", "gallery[0].id"),
    ([{"id": "a"}], "INVALID_GALLERY", "gallery[0]"),
    ([{"id": "a", "embedding": [0.1] * 512}, {"id": "b", "embedding": [0.1] * 100}], "INVALID_EMBEDDING",
     "gallery[1].embedding"),
])
def test_search_refuses_bad_galleries(client: TestClient, value: object, code: str, field: str) -> None:
    r = client.post("/search", json={"image": base64.b64encode(ONE_FACE.read_bytes()).decode(), "gallery": value})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == code and r.json()["field"] == field


def test_search_top_k_bounds(client: TestClient) -> None:
    for k in (0, 101):
        r = client.post(f"/search?top_k={k}", json={"image": "x", "gallery": []})
        assert r.status_code == 400 and r.json()["code"] == "INVALID_REQUEST"


def test_gallery_limit(settings: Settings, engine: FaceEngine, stored: list[float]) -> None:
    app = create_app(dataclasses.replace(settings, max_gallery_size=3), engine=engine)
    entries = [{"id": str(i), "embedding": b64f32(stored)} for i in range(4)]
    with TestClient(app) as c:
        r = c.post("/search", json={"image": base64.b64encode(ONE_FACE.read_bytes()).decode(), "gallery": entries})
        assert r.status_code == 413 and r.json()["code"] == "GALLERY_TOO_LARGE"
        r = c.post("/search", json={"image": base64.b64encode(ONE_FACE.read_bytes()).decode(), "gallery": entries[:3]})
        assert r.status_code == 200 and r.json()["gallery_size"] == 3


def test_max_gallery_fits_a_lambda_request(stored: list[float]) -> None:
    """At MAX_GALLERY_SIZE (1,000) with 36-character ids and base64 embeddings, plus a 1 MB photo, the API Gateway
    event Lambda receives stays under its 6 MB request limit: as JSON, and as multipart (which API Gateway
    base64-encodes whole)."""
    limit = Settings().max_gallery_size
    photo = bytes(1_000_000)
    entries = [{"id": f"{i:036d}", "embedding": b64f32(stored)} for i in range(limit)]
    body = json.dumps({"image": base64.b64encode(photo).decode(), "gallery": entries})
    as_json = len(json.dumps(rest_event("POST", "/search", body=body, content_type="application/json")))
    boundary = "b" * 32
    multipart = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\n"
                 f"Content-Type: image/jpeg\r\n\r\n").encode() + photo + (
                 f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"gallery\"\r\n\r\n"
                 f"{json.dumps(entries)}\r\n--{boundary}--\r\n").encode()
    as_multipart = len(json.dumps(rest_event("POST", "/search", body=multipart,
                                             content_type=f"multipart/form-data; boundary={boundary}")))
    assert as_json < LAMBDA_REQUEST_LIMIT and as_multipart < LAMBDA_REQUEST_LIMIT, (as_json, as_multipart)
    per_face = len(json.dumps(entries[0])) + 2
    assert 2_700 < per_face < 2_850  # the ~2.7 kB per face of the issue


def test_openapi_documents_the_new_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, codes in (("/verify", ("INVALID_EMBEDDING", "NO_FACE", "MISSING_FIELD")),
                        ("/search", ("INVALID_EMBEDDING", "INVALID_GALLERY", "GALLERY_TOO_LARGE"))):
        op = spec["paths"][path]["post"]
        described = " ".join(r.get("description", "") for r in op["responses"].values())
        assert all(c in described for c in codes), path
        assert op["requestBody"]["content"]["application/json"]["example"]
        assert "multipart/form-data" in op["requestBody"]["content"]
    schemas = spec["components"]["schemas"]
    assert {"VerifyResponse", "SearchResponse", "SearchMatch", "FaceQuality", "Pose"} <= set(schemas)
    assert schemas["FaceQuality"]["properties"]["reasons"]["items"]["enum"]
    extract = spec["paths"]["/extract-embedding"]["post"]
    assert any(p["name"] == "min_quality" for p in extract["parameters"])
    assert "FACE_QUALITY" in " ".join(r.get("description", "") for r in extract["responses"].values())
