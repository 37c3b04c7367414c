"""Shared fixtures: one real buffalo_sc engine per test session, the app on it, and an HTTP test client."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import DEFAULT_MODEL_DIR, Settings
from function.engine import FaceEngine
from function.models import load_pack
from function.models.bake import bake_buffalo_sc, is_baked

PACK = "buffalo_sc"
pytest_plugins = ("tests.support.s3fixtures",)  # the moto S3 fixtures (s3, monkeypatch_module), by name


@pytest.fixture(scope="session")
def model_dir() -> Path:
    if not is_baked(DEFAULT_MODEL_DIR, PACK):
        bake_buffalo_sc(DEFAULT_MODEL_DIR)
    return DEFAULT_MODEL_DIR


@pytest.fixture(scope="session")
def settings(model_dir: Path) -> Settings:
    return Settings(model_pack=PACK, model_dir=model_dir)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> FaceEngine:
    return FaceEngine.from_pack(load_pack(settings.model_dir, PACK), settings.engine_config())


@pytest.fixture(scope="session")
def app(settings: Settings, engine: FaceEngine):
    return create_app(settings, engine=engine)


@pytest.fixture(scope="session")
def client(app) -> TestClient:
    with TestClient(app) as c:
        yield c
