"""The HTTP contract existing clients rely on, field for field, on the real buffalo_sc models and real photos."""

from __future__ import annotations

import base64
import dataclasses
import math

import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.models.specs import Measured, pack_spec
from tests.support import iou, read
from tests.support.photos import DATA, EXIF_ROTATED, EXIF_ROTATED_SOURCE, wheel_photo

ONE_FACE = wheel_photo("yaoming.jpg")
MANY_FACES = wheel_photo("players.jpg")
NO_FACE = DATA.noface_photos[0]
SAME_PAIR = next(p for p in DATA.lfw_pairs if p.same)  # LFW view-2 pairs in tests/data/lfw/pairs.tsv
DIFFERENT_PAIR = next(p for p in DATA.lfw_pairs if not p.same)


def files(**named):
    return {field: (path.name, path.read_bytes(), "image/jpeg") for field, path in named.items()}


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == code
    assert isinstance(body["error"], str) and len(body["error"]) > 10
    if field is not None:
        assert body["field"] == field
    return body


def test_health_reports_pack_files_and_providers(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy" and body["model"] == "buffalo_sc" and body["model_loaded"] is True
    assert {m["role"] for m in body["models"]} == {"detector", "recognizer"}
    assert all(len(m["sha256"]) == 12 for m in body["models"])
    assert "CPUExecutionProvider" in body["providers"]
    assert body["threads"] >= 1 and isinstance(body["version"], str)


def test_health_says_where_the_threshold_comes_from(client, settings, engine):
    source = client.get("/health").json()["similarity_threshold_source"]
    declared = pack_spec("buffalo_sc").threshold("fp32")
    assert isinstance(declared.provenance, Measured)
    assert (source["origin"], source["precision"], source["measured"]) == ("pack", "fp32", True)
    assert source["pack_threshold"] == declared.value == client.get("/health").json()["similarity_threshold"]
    assert (source["measured_on"], source["command"], source["far"], source["tar"]) == (
        declared.provenance.date, declared.provenance.command, declared.provenance.far, declared.provenance.tar)
    # SIMILARITY_THRESHOLD wins, and /health says so next to the pack's own value
    with TestClient(create_app(dataclasses.replace(settings, similarity_threshold=0.5), engine=engine)) as own:
        body = own.get("/health").json()
    assert body["similarity_threshold"] == 0.5 and body["similarity_threshold_source"]["origin"] == "setting"
    assert body["similarity_threshold_source"]["pack_threshold"] == declared.value
    assert "SIMILARITY_THRESHOLD=0.5" in body["similarity_threshold_source"]["source"]


def test_detect_single_face(client):
    r = client.post("/detect", files=files(image=ONE_FACE))
    assert r.status_code == 200
    body = r.json()
    assert body["detected"] is True and body["face_count"] == 1
    assert body["message"] == "Single face detected successfully"
    assert 0.5 <= body["confidence"] <= 1.0
    face = body["faces"][0]
    assert face["score"] == body["confidence"]
    x1, y1, x2, y2 = face["box"]
    assert 0 <= x1 < x2 <= body["image_width"] and 0 <= y1 < y2 <= body["image_height"]
    assert len(face["landmarks"]) == 5 and all(len(p) == 2 for p in face["landmarks"])
    # landmarks inside the face box: eyes above the mouth
    assert face["landmarks"][0][1] < face["landmarks"][3][1]


def test_detect_many_faces_message_and_boxes(client):
    r = client.post("/detect", files=files(image=MANY_FACES))
    body = r.json()
    assert body["face_count"] == len(body["faces"]) >= 22
    assert body["message"] == f"Multiple faces detected ({body['face_count']})"
    assert body["confidence"] == max(f["score"] for f in body["faces"])


@pytest.mark.parametrize("photo", DATA.noface_photos, ids=lambda p: p.name)
def test_detect_no_face_is_a_normal_answer(client, photo):
    r = client.post("/detect", files=files(image=photo))
    assert r.status_code == 200
    height, width = read(photo).shape[:2]
    assert r.json() == {"detected": False, "face_count": 0, "confidence": 0.0, "message": "No face detected",
                        "faces": [], "image_width": width, "image_height": height}


def test_detect_exif_rotated_photo_answers_in_the_upright_view(client):
    """tests/data/exif holds a group photo stored sideways with EXIF Orientation 6: sizes and boxes are those of the
    upright photo a viewer shows."""
    rotated = client.post("/detect", files=files(image=EXIF_ROTATED)).json()
    upright = client.post("/detect", files=files(image=EXIF_ROTATED_SOURCE)).json()
    height, width = read(EXIF_ROTATED_SOURCE).shape[:2]
    assert height != width and (rotated["image_width"], rotated["image_height"]) == (width, height)
    assert rotated["face_count"] == upright["face_count"] >= DATA.group_counts[EXIF_ROTATED_SOURCE.name]
    for face in upright["faces"]:
        assert max(iou(face["box"], f["box"]) for f in rotated["faces"]) >= 0.8


def test_extract_embedding_contract(client):
    r = client.post("/extract-embedding", files=files(image=ONE_FACE))
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True and body["embedding_size"] == 512 == len(body["embedding"])
    assert all(isinstance(v, float) for v in body["embedding"])
    assert math.isclose(float(np.linalg.norm(body["embedding"])), 1.0, abs_tol=1e-4)
    assert 0.5 <= body["confidence"] <= 1.0 and len(body["box"]) == 4
    assert "faces" not in body


def test_extract_embedding_refuses_several_faces_unless_asked(client):
    assert_error(client.post("/extract-embedding", files=files(image=MANY_FACES)), 422, "MULTIPLE_FACES", "image")
    r = client.post("/extract-embedding?face=largest", files=files(image=MANY_FACES))
    assert r.status_code == 200
    detect = client.post("/detect", files=files(image=MANY_FACES)).json()
    largest = max(detect["faces"], key=lambda f: (f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]))
    assert r.json()["box"] == largest["box"]


def test_extract_embedding_no_face(client):
    assert_error(client.post("/extract-embedding", files=files(image=NO_FACE)), 422, "NO_FACE", "image")


def test_extract_embedding_all_faces(client):
    r = client.post("/extract-embedding?all=true", files=files(image=wheel_photo("gdp.jpg")))
    body = r.json()
    assert r.status_code == 200 and len(body["faces"]) == 5
    vectors = np.array([f["embedding"] for f in body["faces"]])
    assert vectors.shape == (5, 512)
    sims = vectors @ vectors.T
    assert np.allclose(np.diag(sims), 1.0, atol=1e-4)
    assert (sims[~np.eye(5, dtype=bool)] < 0.6).all()  # five different people


def test_compare_same_person_lfw(client):
    r = client.post("/compare", files=files(image1=SAME_PAIR.image1, image2=SAME_PAIR.image2))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["same_person"] is True
    assert body["similarity"] >= body["threshold"]
    assert math.isclose(body["confidence"], 50 * (1 + body["similarity"]), abs_tol=1e-3)
    assert set(body["face1"]) == {"box", "score", "landmarks", "quality", "pose", "orientation"}  # #12: quality, pose; #16: orientation


def test_compare_different_people_lfw(client):
    r = client.post("/compare", files=files(image1=DIFFERENT_PAIR.image1, image2=DIFFERENT_PAIR.image2))
    body = r.json()
    assert r.status_code == 200 and body["same_person"] is False and body["similarity"] < body["threshold"]


def test_compare_same_image_is_identical(client):
    body = client.post("/compare", files=files(image1=ONE_FACE, image2=ONE_FACE)).json()
    assert body["similarity"] > 0.999 and body["confidence"] > 99.9 and body["same_person"] is True


def test_compare_names_the_failing_image(client):
    assert_error(client.post("/compare", files=files(image1=ONE_FACE, image2=NO_FACE)), 422, "NO_FACE", "image2")
    assert_error(client.post("/compare", files=files(image1=MANY_FACES, image2=ONE_FACE)), 422, "MULTIPLE_FACES", "image1")
    r = client.post("/compare?face=largest", files=files(image1=MANY_FACES, image2=ONE_FACE))
    assert r.status_code == 200 and r.json()["same_person"] is False


def test_compare_missing_second_image(client):
    assert_error(client.post("/compare", files=files(image1=ONE_FACE)), 422, "MISSING_FIELD", "image2")


def test_missing_and_misnamed_field(client):
    assert_error(client.post("/detect", files=files(photo=ONE_FACE)), 422, "MISSING_FIELD", "image")


def test_not_an_image(client):
    r = client.post("/detect", files={"image": ("x.jpg", b"this is plain text, not a JPEG", "image/jpeg")})
    assert_error(r, 400, "INVALID_IMAGE", "image")


def test_wrong_content_type(client):
    assert_error(client.post("/detect", content=b"abc", headers={"content-type": "text/plain"}), 415, "UNSUPPORTED_MEDIA_TYPE")


def test_payload_too_large(client, app):
    limit = app.state.settings.max_upload_bytes
    r = client.post("/detect", files={"image": ("big.jpg", b"\xff\xd8\xff" + b"\0" * limit, "image/jpeg")})
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


def test_bad_query_value_uses_the_error_shape(client):
    assert_error(client.post("/extract-embedding?face=smallest", files=files(image=ONE_FACE)), 400, "INVALID_REQUEST", "face")


def test_unknown_route_and_method(client):
    assert_error(client.get("/nope"), 404, "NOT_FOUND")
    assert_error(client.get("/detect"), 405, "METHOD_NOT_ALLOWED")


def test_json_base64_input_matches_multipart(client):
    raw = ONE_FACE.read_bytes()
    via_form = client.post("/extract-embedding", files=files(image=ONE_FACE)).json()
    via_json = client.post("/extract-embedding", json={"image": base64.b64encode(raw).decode()}).json()
    data_url = client.post("/extract-embedding", json={"image": "data:image/jpeg;base64," + base64.b64encode(raw).decode()}).json()
    assert via_json == via_form == data_url


def test_openapi_documents_routes_bodies_and_errors(client):
    spec = client.get("/openapi.json").json()
    for path in ("/health", "/detect", "/extract-embedding", "/compare"):
        assert path in spec["paths"]
    compare = spec["paths"]["/compare"]["post"]
    form = compare["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["image1", "image2"]
    assert {"400", "413", "415", "422", "503"} <= set(compare["responses"])
    assert client.get("/docs").status_code == 200


def test_group_photos_over_http(client):
    for photo in DATA.group_photos:
        body = client.post("/detect", files=files(image=photo)).json()
        assert body["face_count"] >= DATA.group_counts[photo.name], photo.name
