"""EngineConfig and QualityThresholds: the engine's tunables and their defaults (written here once;
function/config.py exposes them as settings). Imports nothing heavy, so that the settings can be read before
onnxruntime and OpenCV load."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# Why a face is not usable (function/engine/quality.py), in the order they are checked and reported.
Reason = Literal["face_too_small", "too_blurry", "too_dark", "too_bright", "yaw_too_large", "pitch_too_large",
                 "roll_too_large", "orientation_uncertain"]
REASONS: tuple[Reason, ...] = get_args(Reason)


@dataclass(frozen=True)
class QualityThresholds:
    """A face is usable when every measure is within these (docs/quality.md: how they were chosen)."""

    min_face_size: float = 64.0  # px, the box's shorter side in the image as sent
    min_sharpness: float = 40.0  # variance of the Laplacian over the aligned 112x112 crop's inner face
    min_brightness: float = 50.0  # mean grey 0..255 over the same region
    max_brightness: float = 215.0
    max_yaw: float = 35.0  # degrees
    max_pitch: float = 30.0
    max_roll: float = 45.0

# cuDNN's convolution algorithm choice, per new input shape (ONNX Runtime's CUDA provider option). EXHAUSTIVE (ONNX
# Runtime's own default) benchmarks every algorithm the first time a shape is seen: ~1.4-1.6 s per new recognizer
# batch size on an H100, paid again for every detector canvas. HEURISTIC asks cuDNN's heuristics, with no benchmark
# run. Our default is HEURISTIC: it bounds the first call of any shape, including one that the shape buckets did not
# foresee; EXHAUSTIVE may buy faster kernels for the few shapes the warm-up sees (bench/gpu.py measures both;
# docs/gpu.md).
CudnnSearch = Literal["heuristic", "exhaustive", "default"]
CUDNN_CONV_ALGO_SEARCH: tuple[CudnnSearch, ...] = get_args(CudnnSearch)
DEFAULT_CUDNN_SEARCH: CudnnSearch = "heuristic"

# Recognizer batch sizes under stable shapes (CUDA): each is one cuDNN set-up, paid at warm-up; a batch pads to the
# next one (none for 1 face, the common case; at most 2x the rows for 5-32 faces). The largest is the recognizer
# batch under stable shapes.
RECOGNIZER_BUCKETS = (1, 4, 8, 16, 32)

CloseupCanvas = Literal["fit", "full"]


@dataclass(frozen=True)
class EngineConfig:
    threads: int = 1
    execution_provider: str = "cpu"
    det_size: int = 640
    det_score_threshold: float = 0.5
    nms_threshold: float = 0.4
    coarse_det_size: int = 320  # 0 = off
    coarse_min_score: float = 0.75
    # A coarse face whose box comes closer than this fraction of the long side to the frame is cut by the frame:
    # its box and landmarks are truncated, so it is never accepted as is. When it is also large (side >= half the
    # short side: a close-up) the unpadded full pass is skipped, since it finds nothing there (all but a handful of
    # the 7,286 LFW crops), and the padded close-up pass answers, as the full path's own fallback would.
    coarse_edge_margin: float = 0.03
    coarse_closeup_min_fraction: float = 0.5
    coarse_min_face_fraction: float = 0.08  # face side / image long side, for the coarse pass to be trusted
    closeup_fallback: bool = True
    closeup_min_face_fraction: float = 0.3  # a face found only in the padded image must be this large (long sides)
    closeup_redetect_fraction: float = 0.75  # a lone face this large (box long side / image short side) fills the
    # frame: its landmarks come from the padded pass, as for a face not found at all
    # The close-up pass's canvas, as a fraction of det_size, at the reference's scale (DetectorPasses.read_padded):
    # 1.0 = the whole padded image, as insightface sees it (the default: parity); 0.9 (576 of 640) costs 19% less
    # detector work per close-up, but its landmarks move enough that 1 of the repo's LFW crops falls below the
    # parity test's cosine 0.99 against insightface (0.9887)
    closeup_window: float = 1.0
    # The close-up pass's canvas: "full" = det_size, insightface's det 640 on the padded photo (the default); "fit" =
    # the padded image's long side rounded up to a whole stride, at most det_size (a 250x250 crop, padded to 500, is
    # read at 512 instead of scaled up to 640: ~0.6 of the detector work), measured at 98.80% LFW 10-fold against
    # 98.91% with "full", and a FAR-1e-3 threshold of 0.28 instead of 0.27 (docs/benchmarks.md). Stable shapes
    # (CUDA) always use det_size.
    closeup_canvas: CloseupCanvas = "full"
    # A small image (long side at most this, px) is the likeliest to be a tight crop, whose face the full pass (at
    # det_size, 2.5x up for a 250 px crop) can miss for its size while it finds a partial face beside it. So it is
    # read padded too: a one-face request tries the padded pass first (at closeup_canvas) and keeps its answer when
    # it finds exactly one face, a close-up that the coarse pass would have sent to the padded pass (cut by the frame
    # or filling it): one read instead of the coarse pass and then the padded one; anything else goes on as before,
    # the padded read kept for the close-up step. A full read (/detect, ?face=largest) adds the close-up faces only
    # the padded read found. 0 = off.
    closeup_small_side: int = 256
    fit_canvas: bool = True
    max_concurrent_runs: int = 0  # model runs in flight at once per process; 0 = `threads`
    # Faces per recognizer run. Activations grow by ~2.4 MB per face of a run (buffalo_sc's MobileFaceNet), held by
    # ONNX Runtime's arena afterwards: 32 faces kept ~80 MB per run in flight, 4 keep ~10 MB at the same throughput
    # on CPU (docs/benchmarks.md; embeddings are identical whatever the batch). Stable shapes (CUDA) use the largest of
    # RECOGNIZER_BUCKETS instead (Settings.engine_config).
    recognizer_batch: int = 4
    # Stable input shapes (STABLE_SHAPES; on with EXECUTION_PROVIDER=cuda, where every new input shape costs cuDNN
    # set-up): fit_canvas off (square canvases: the coarse and the full pass each always feed one size),
    # recognizer runs padded to these batch sizes (() = unpadded), and warm_all_shapes runs every canvas and bucket
    # once at start. Settings.engine_config() sets the three together.
    recognizer_buckets: tuple[int, ...] = ()
    warm_all_shapes: bool = False
    cudnn_conv_algo_search: CudnnSearch = DEFAULT_CUDNN_SEARCH  # CUDA only
    # Orientation (docs/orientation.md, "The search"): a read whose level faces (eye line within
    # orientation_max_roll of level) vote upright (scores at least orientation_min_score: its one face, or 2 and a
    # quarter of several) is upright, with no extra work. Below that, the strongest level faces are checked on a
    # small crop (orientation_check_size px) turned four ways: upright when the unturned crops lead every turn by
    # orientation_margin. Otherwise (or with no level face, or no face) the image is read turned 90, 180 and 270
    # degrees too, the turn with the strongest evidence kept, settled when it leads by the margin. Then each face's
    # own evidence (below) can unsettle it.
    orientation_search: bool = True
    orientation_min_score: float = 0.78  # upright LFW crops: 25% of reads below; upside down: none of 300 above 0.75
    orientation_max_roll: float = 45.0
    orientation_margin: float = 0.05  # upright LFW crops: the upright read leads every turn by >= 0.063
    orientation_check_size: int = 128  # 4 detector runs at 128 px: ~1/6 of one 640 px pass
    # The check is only trusted on a face that is evidence at all: score and box side (px) at least these. A 12 px
    # level "face" scoring 0.59 in a group photo turned 90 degrees passed the check while its seven real faces
    # went unread (docs/orientation.md).
    orientation_check_min_score: float = 0.65
    orientation_check_min_side: float = 24.0
    # Group photos. One face does not settle a read of several: the read is upright at once only when
    # its faces scoring >= orientation_min_score (level) number at least 2 and orientation_vote_fraction of its level
    # faces (a read of one face: that face). An upside-down crowd's best face scored 0.81 while its other 14 were
    # read upside down. Otherwise the crop check runs on up to orientation_check_faces of the strongest level faces
    # (those past the floor above), all of which must lead.
    orientation_vote_fraction: float = 0.25
    orientation_check_faces: int = 3
    # A read of only weak faces, each smaller than this fraction of the image's long side, is searched even when the
    # check settles it: a turned crowd's upright read may show one odd face and none of the rest.
    orientation_small_face_fraction: float = 0.15
    # Each face's own evidence: a level face of the chosen read that is not upright-typical itself (score below
    # orientation_min_score, and not the face whose score settled the turn), at least this many px on its box's
    # shorter side (QualityThresholds' min_face_size: smaller faces are not usable), gets the crop check at the
    # chosen turn against its crop upside down (2 runs at orientation_check_size), at most orientation_face_checks
    # of them (lowest score first, within the deadline; each ~1/12 of a full pass, more under load). A face whose
    # crop does not lead, or that another turn's read shows more strongly, is unsettled (orientation_uncertain),
    # whatever the image's turn; one left unchecked keeps the image's verdict.
    # Sides are in the detector's pixels: under a reduced decode (a JPEG over 1920 px) a face usable as sent can be
    # smaller there, and goes unchecked (docs/orientation.md, known limits).
    orientation_face_check_min_side: float = QualityThresholds.min_face_size
    orientation_face_checks: int = 4
