"""The batch core: photos in, one PhotoLine each, within each photo's envelope and the run's time.

Each photo is read (sources.py: the size cap before any byte), then handed to the service's own use case
(FaceService.extract: header and pixel limits, detection, quality, pose, embeddings, the faces cap) under a
Deadline of REQUEST_DEADLINE_S, exactly as one API request. Any failure of a photo becomes its line; nothing a
photo does ends the run. Reads run ahead of the models on a small thread pool (S3 latency overlaps the compute;
the models themselves run one photo at a time on the engine's threads).

`time_left()` (seconds) is asked before each photo: a photo starts only when its whole deadline fits, so photos
are either finished or handed back untouched (`Outcome.unfinished`), never cut in the middle.
"""

from __future__ import annotations

import logging
import math
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from function.config import Settings
from function.deadline import Deadline
from function.errors import ServiceError
from function.schemas import FaceChoice, QualityMode
from function.service import FaceService

from .lines import PhotoLine
from .sources import Photo, PhotoRef, Reader

log = logging.getLogger("function")
PREFETCH = 2  # photos read ahead of the one in the models


@dataclass(frozen=True)
class Options:
    face: FaceChoice = "single"
    all_faces: bool = False
    min_quality: QualityMode = "none"

    @classmethod
    def from_settings(cls, settings: Settings) -> Options:
        return cls(face=settings.batch_face, all_faces=settings.batch_all_faces)

    def describe(self) -> dict[str, Any]:
        return {"face": self.face, "all": self.all_faces, "min_quality": self.min_quality}


@dataclass
class Outcome:
    lines: list[PhotoLine] = field(default_factory=list)
    unfinished: list[PhotoRef] = field(default_factory=list)

    @property
    def faces(self) -> int:
        return sum(len(line.faces or ()) for line in self.lines)

    @property
    def errors(self) -> int:
        return sum(1 for line in self.lines if not line.ok)


def never_late() -> float:
    return math.inf


class BatchJob:
    def __init__(self, service: FaceService, model: str, options: Options, deadline_s: float) -> None:
        self.service = service
        self.model = model
        self.options = options
        self.deadline_s = deadline_s

    def photo(self, ref: PhotoRef, read: Callable[[], Photo], deadline: Deadline) -> PhotoLine:
        """One photo's line; never raises for anything the photo does."""
        base: dict[str, Any] = {"key": ref.key, "bucket": ref.bucket, "size": ref.size, "etag": ref.etag,
                                "model": self.model}
        try:
            photo = read()
            base.update(size=photo.size, etag=photo.etag or ref.etag)
            response = self.service.extract(photo.data, self.options.face, self.options.all_faces,
                                            self.options.min_quality, deadline)
            return PhotoLine.answer(base, response)
        except ServiceError as exc:
            return PhotoLine.failed(base, exc)
        except Exception as exc:  # a bug, not the photo's fault: its line says so; the log has no key, no message
            log.error("batch photo failed with %s:\n%s", type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__)))
            return PhotoLine.failed(base, ServiceError("The photo could not be processed (internal error)."))

    def lines(self, refs: Sequence[PhotoRef], reader: Reader,
              time_left: Callable[[], float] = never_late) -> Iterator[PhotoLine | PhotoRef]:
        """Each ref's PhotoLine in order, while time_left() holds a whole photo deadline; then the refs not started
        (as PhotoRef) in order."""
        stop_at = [math.inf]

        def read(ref: PhotoRef) -> Photo:
            return reader.read(ref, stop_at[0])

        with ThreadPoolExecutor(max_workers=PREFETCH, thread_name_prefix="batch-read") as pool:
            pending: dict[int, Future[Photo]] = {}
            for i, ref in enumerate(refs):
                left = time_left()
                if left < self.deadline_s:
                    for fut in pending.values():
                        fut.cancel()
                    yield from refs[i:]
                    return
                stop_at[0] = time.monotonic() + left
                for j in range(i, min(i + 1 + PREFETCH, len(refs))):
                    if j not in pending:
                        pending[j] = pool.submit(read, refs[j])
                fut = pending.pop(i)
                yield self.photo(ref, fut.result, Deadline.after(self.deadline_s))

    def run(self, refs: Iterable[PhotoRef], reader: Reader, time_left: Callable[[], float] = never_late) -> Outcome:
        out = Outcome()
        for item in self.lines(list(refs), reader, time_left):
            if isinstance(item, PhotoLine):
                out.lines.append(item)
            else:
                out.unfinished.append(item)
        return out


def load_job(settings: Settings, options: Options | None = None) -> BatchJob:
    """The served model pack (start-up as every entry point: function/startup.py) behind a batch job."""
    from function.models import resolve_pack_name
    from function.startup import build_service, load_engine

    pack = resolve_pack_name(settings.model_dir, settings.model_pack)
    service = build_service(settings, load_engine(settings, pack), pack)
    return BatchJob(service, pack, options or Options.from_settings(settings), settings.request_deadline_s)
