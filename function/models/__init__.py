"""Model packs: declare (specs.py), find, verify and bake the folders of ONNX files the engine serves. No inference
here."""

from function.models.pack import (
    ModelFile,
    ModelPack,
    available_packs,
    load_pack,
    resolve_pack_name,
)
from function.models.specs import PACKS, ChosenThreshold, PackSpec, choose_threshold, pack_spec

__all__ = ["PACKS", "ChosenThreshold", "ModelFile", "ModelPack", "PackSpec", "available_packs", "choose_threshold",
           "load_pack", "pack_spec", "resolve_pack_name"]
