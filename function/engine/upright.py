"""Which way up an image is, when EXIF does not say (a photo turned 90, 180 or 270 degrees): the orientation search
behind FaceEngine's read. It reads the image as given (DetectorPasses), judges from the faces' own evidence whether that
read is upright (an upside-down face still fires SCRFD, at a lower score and with its eye line level), and when it
is not sure, checks the strongest faces on small turned crops or reads the turned copies, keeping the turn with the
strongest evidence. Every face says its turn (`orientation`) and whether the evidence settled it
(`orientation_settled`); docs/orientation.md has the measurements behind each rule.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

import cv2
import numpy as np

from function.deadline import Deadline
from function.engine.config import EngineConfig
from function.engine.detector import iou
from function.engine.orientation import TURNS, Turn, face_back, roll_of, turn_for_roll, turn_image
from function.engine.passes import DetectorPasses, Purpose
from function.engine.types import Face

# How the read settled the orientation: "upright" = the upright read's evidence sufficed (no extra pass);
# "checked" = the small-crop check of the best face settled it upright; "off" = the evidence asked but
# ORIENTATION_SEARCH is off; "searched" = turned copies were read; "cut" = the search stopped for the deadline.
OrientationTrace = Literal["upright", "checked", "off", "searched", "cut"]


class OrientationSearch:
    def __init__(self, passes: DetectorPasses, config: EngineConfig) -> None:
        self.passes = passes
        self.config = config

    def read(self, image: np.ndarray, purpose: Purpose = "all",
             deadline: Deadline | None = None) -> tuple[list[Face], OrientationTrace]:
        """DetectorPasses.read() on the image as given; when that read's faces do not vote "upright" (_upright_vote), and
        orientation_search is on, the image turned 90, 180 and 270 degrees clockwise too, keeping the turn whose read
        has the strongest evidence (_read_evidence). Each face says the turn (`orientation`) and whether the evidence
        settled it for that face (`orientation_settled`: the image's decision and the face's own evidence,
        _own_evidence); boxes and landmarks are mapped back to `image`'s frame.

        Cost: nothing extra when the upright read votes upright (the common case) and has no weak face large enough
        to need its own check. Below that, the strongest level faces (up to orientation_check_faces) are checked on a
        small crop turned four ways (_crop_lead: ~1/6 of a full pass each), which settles most upright photos.
        Otherwise each turn is one more DetectorPasses.read(), tried in the likeliest order (the turn the eye line points
        to, then 180) and stopping at the first turn whose read votes upright; when the upright read found no face
        at all, each turn is first glanced at with one pass at coarse_det_size on a padded copy (a quarter of a full
        pass): the turns where the glance sees a face are read first, then the others (a crowd's small faces vanish
        in the glance). `deadline` (the request's) stops the search before a pass it would
        not leave time for; the answer then says unsettled."""
        cfg = self.config
        t0 = time.perf_counter()
        faces, _ = self.passes.read(image, purpose)
        pass_s = time.perf_counter() - t0

        def in_time(cost_s: float) -> bool:
            return deadline is None or deadline.remaining() > cost_s

        def check_in_time() -> bool:  # one face's check: 2 runs at orientation_check_size, ~1/12 of a full pass
            return in_time(pass_s / 6)

        if self._upright_vote(faces):
            if not cfg.orientation_search:  # search off: no face's own check either
                return faces, "upright"
            return self._own_evidence(image, 0, {0: faces}, True, {}, check_in_time), "upright"
        if not cfg.orientation_search:
            return [replace(f, orientation_settled=False) for f in faces], "off"
        leads = self._check_leads(image, faces)
        if (leads and min(leads.values()) >= cfg.orientation_margin and not self._may_hide_a_crowd(image, faces)
                and not self._dissent(image, faces, leads)):
            return self._own_evidence(image, 0, {0: faces}, True, leads, check_in_time), "checked"
        reads: dict[int, list[Face]] = {0: faces}  # each turn's faces, in that turned copy's frame
        evidence: dict[int, float] = {0: self._read_evidence(faces)}
        cut = False
        if faces:
            best = max(faces, key=lambda f: f.score)
            first = turn_for_roll(roll_of(best))
            order: list[Turn] = [first] if first else []
            order += [t for t in (180, 90, 270) if t not in order]
        else:
            glances: dict[Turn, float] = {}
            small = self._glance_copy(image)
            for turn in TURNS[1:]:
                if not in_time(pass_s / 2):
                    cut = True
                    break
                glances[turn] = self._glance(turn_image(small, turn))
            seen = sorted((t for t in glances if glances[t] > 0), key=lambda t: -glances[t])
            rest: list[Turn] = [] if cut else [t for t in (90, 270, 180) if t not in seen]
            order = [*seen, *rest]
        for turn in order:
            if not in_time(1.5 * pass_s):
                cut = True
                break
            read, _ = self.passes.read(turn_image(image, turn), purpose)
            reads[turn] = read
            evidence[turn] = self._read_evidence(read)
            if self._crowd_vote(read) or (self._upright_vote(read) and not self._may_hide_a_crowd(image, read, True)):
                break
        # A turn whose several faces vote upright outranks one of a single face (the odd face of a crowd turned
        # away); otherwise, and between such turns, the strongest evidence wins (ties: the earlier turn, 0 first).
        voted = {t for t in reads if self._crowd_vote(reads[t])}
        chosen = max(evidence, key=lambda t: (t in voted, evidence[t]))
        lead = evidence[chosen] - max((v for t, v in evidence.items() if t != chosen), default=0.0)
        if evidence[chosen] <= 0.0:  # no turn shows an upright face: the upright read's faces, unsettled
            chosen, settled = 0, False
        else:
            settled = (lead >= cfg.orientation_margin or voted == {chosen}) and not (
                cut and evidence[chosen] < cfg.orientation_min_score)
        return self._own_evidence(image, chosen, reads, settled, {}, check_in_time), "cut" if cut else "searched"

    def _level(self, face: Face) -> bool:
        return abs(roll_of(face)) <= self.config.orientation_max_roll

    def _evidence(self, faces: Sequence[Face]) -> float:
        """How strongly a read says "this face is upright": the best score among its faces whose eye line is
        within orientation_max_roll of level (0 when none). An upside-down face still fires SCRFD, with its
        landmarks placed as if upright, but at a lower score (docs/orientation.md)."""
        return max((f.score for f in faces if self._level(f)), default=0.0)

    def _read_evidence(self, faces: Sequence[Face]) -> float:
        """How strongly a read of the whole image says "upright", to compare the turns: the best level score
        (_evidence) for a read of one or two level faces, the mean of the three best for more (a crowd: one
        upside-down face scoring high does not outweigh a turn where many faces read upright)."""
        level = sorted((f.score for f in faces if self._level(f)), reverse=True)
        return float(np.mean(level[:3])) if len(level) >= 3 else max(level, default=0.0)

    def _upright_vote(self, faces: Sequence[Face]) -> bool:
        """The read is upright without a check: its one face is level and upright-typical (>= orientation_min_score),
        or its upright-typical level faces number at least 2 and orientation_vote_fraction of its level faces."""
        cfg = self.config
        level = [f for f in faces if self._level(f)]
        strong = sum(f.score >= cfg.orientation_min_score for f in level)
        if len(faces) == 1:
            return strong == 1
        return strong >= max(2, math.ceil(cfg.orientation_vote_fraction * len(level)))

    def _crowd_vote(self, faces: Sequence[Face]) -> bool:
        """Several faces, voting upright (_upright_vote)."""
        return len(faces) > 1 and self._upright_vote(faces)

    def _may_hide_a_crowd(self, image: np.ndarray, faces: Sequence[Face], strong_too: bool = False) -> bool:
        """Only weak faces (none upright-typical; with `strong_too`, any), each small against the frame (box long
        side under orientation_small_face_fraction of the image's long side): the check settles those faces, but
        the photo may be a crowd turned away whose faces this read cannot see (a crowd upside down with one face
        upright in it, read as that one face), so the turns are read too."""
        cfg = self.config
        limit = cfg.orientation_small_face_fraction * max(image.shape[0], image.shape[1])
        return all((strong_too or f.score < cfg.orientation_min_score)
                   and max(f.box[2] - f.box[0], f.box[3] - f.box[1]) < limit for f in faces)

    def _check_leads(self, image: np.ndarray, faces: Sequence[Face]) -> dict[int, float]:
        """The crop check (_crop_lead) on up to orientation_check_faces of the strongest level faces that are
        evidence at all (score and box side past the floor): {index in `faces`: lead}, stopping at the first face
        that does not lead by orientation_margin (the read is then searched anyway)."""
        cfg = self.config
        candidates = sorted((i for i, f in enumerate(faces) if self._level(f) and f.score >= cfg.orientation_check_min_score
                             and _side(f) >= cfg.orientation_check_min_side), key=lambda i: -faces[i].score)
        leads: dict[int, float] = {}
        for i in candidates[: cfg.orientation_check_faces]:
            leads[i] = self._crop_lead(image, faces[i])
            if leads[i] < cfg.orientation_margin:
                break
        return leads

    def _dissent(self, image: np.ndarray, faces: Sequence[Face], leads: dict[int, float]) -> bool:
        """Whether a level face that the check passed over (below its score floor), up to orientation_check_faces of
        them, at least orientation_check_min_side px, reads better upside down by orientation_margin (its crop
        against the crop turned 180 degrees): a group turned away whose one upright-typical face is another
        person's. The turns are then read."""
        cfg = self.config
        rest = sorted((i for i, f in enumerate(faces) if i not in leads and self._level(f)
                       and _side(f) >= cfg.orientation_check_min_side), key=lambda i: -faces[i].score)
        return any(self._crop_lead(image, faces[i], (180,)) <= -cfg.orientation_margin
                   for i in rest[: cfg.orientation_check_faces])

    def _own_evidence(self, image: np.ndarray, turn: int, reads: dict[int, list[Face]], settled: bool,
                      leads: dict[int, float], check_in_time: Callable[[], bool]) -> list[Face]:
        """The chosen read's faces (reads[turn], in the frame of `image` turned `turn`) mapped back to `image`, each
        settled only when the image's turn is settled and the face's own evidence agrees. A level face agrees when it
        is upright-typical itself (>= orientation_min_score) or its score settled the turn (the chosen read's best
        level face, after a search); any other level face of at least orientation_face_check_min_side px disagrees
        when another turn's read shows it (overlapping, level) more strongly by orientation_margin, and otherwise
        gets the crop check at this turn (its lead from `leads` when checked already), the lowest score first (an
        upside-down face scores lower), at most orientation_face_checks and within the time left: not leading is
        unsettled. Faces left unchecked past the cap or the deadline, smaller faces (not usable at the default
        sizes) and faces not level (roll_too_large) keep the image's verdict."""
        cfg = self.config
        height, width = image.shape[:2]
        read = reads[turn]
        out = [replace(f, orientation_settled=settled) for f in read]
        if settled and read:
            searched = len(reads) > 1
            deciding = int(np.argmax([f.score if self._level(f) else -1.0 for f in read])) if searched else -1
            weak = [i for i, f in enumerate(read) if self._level(f) and f.score < cfg.orientation_min_score
                    and i != deciding and _side(f) >= cfg.orientation_face_check_min_side]
            others = [face_back(g, u, width, height) for u, faces in reads.items() if u != turn
                      for g in faces if self._level(g)]
            turned: np.ndarray | None = None
            checks = 0
            for i in sorted(weak, key=lambda i: read[i].score):  # the likeliest upside down first
                face = read[i]
                back = face_back(face, turn, width, height)
                if any(g.score >= face.score + cfg.orientation_margin and iou(g.box, back.box) >= 0.3 for g in others):
                    lead = -1.0  # another turn reads this face more strongly
                elif i in leads:
                    lead = leads[i]
                elif checks < cfg.orientation_face_checks and check_in_time():
                    if turned is None:
                        turned = turn_image(image, turn)
                    lead = self._crop_lead(turned, face, (180,))
                    checks += 1
                else:
                    continue  # left unchecked (the cap, the deadline): no evidence against the image's verdict
                if lead < cfg.orientation_margin:
                    out[i] = replace(out[i], orientation_settled=False)
        return [replace(face_back(f, turn, width, height), orientation=turn) for f in out]

    def _crop_lead(self, image: np.ndarray, face: Face, turns: Sequence[int] = (90, 180, 270)) -> float:
        """How far the face's crop (a square twice the box's long side, at orientation_check_size px) read as is
        out-scores the same crop turned 90, 180 and 270 degrees (or only `turns`: a level face of a read is upright
        or upside down, so its own check compares 180 alone, at half the cost). An upright face leads by ~0.8
        (median on LFW); an upside-down one read as upright trails its turned crop (docs/orientation.md)."""
        size = self.config.orientation_check_size
        x1, y1, x2, y2 = (float(v) for v in face.box)
        scale = size / max(2.0 * max(x2 - x1, y2 - y1), 1.0)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        matrix = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]], dtype=np.float32)
        crop = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                              borderValue=(0, 0, 0))
        scores = [self._evidence(self.passes.run(turn_image(crop, turn), size)) for turn in (0, *turns)]
        return scores[0] - max(scores[1:])

    def _glance_size(self) -> int:
        return self.config.coarse_det_size or self.config.det_size // 2

    def _glance_copy(self, image: np.ndarray) -> np.ndarray:
        """`image` shrunk (INTER_AREA) to the glance's size on its long side: the glance's detector run sees no more
        than that, and turning and padding a full-size frame would cost its pixels three times over."""
        size = self._glance_size()
        long_side = max(image.shape[0], image.shape[1])
        if long_side <= size:
            return image
        shrink = size / long_side
        dims = (max(1, round(image.shape[1] * shrink)), max(1, round(image.shape[0] * shrink)))
        return cv2.resize(image, dims, interpolation=cv2.INTER_AREA)

    def _glance(self, image: np.ndarray) -> float:
        """The best level face score of one cheap pass: `image` (a _glance_copy) padded by half its long side on
        every edge, as for the close-up pass, at the glance size (coarse_det_size): a close-up and a portrait both
        fit; 0 when nothing level is seen."""
        pad = max(image.shape[0], image.shape[1]) // 2
        padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        return self._evidence(self.passes.run(padded, self._glance_size()))


def _side(face: Face) -> float:
    """The shorter side of the face's box, px."""
    return float(min(face.box[2] - face.box[0], face.box[3] - face.box[1]))
