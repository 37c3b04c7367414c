"""Model packs: find, verify and bake the folders of ONNX files the engine serves. No inference here."""

from function.models.pack import (
    ModelFile,
    ModelPack,
    available_packs,
    load_pack,
    resolve_pack_name,
)

__all__ = ["ModelFile", "ModelPack", "available_packs", "load_pack", "resolve_pack_name"]
