"""A deliberately plain per-prediction Python evaluator: the reference the vectorised one must equal.

Written straight from docs/evaluation.md, one prediction at a time, with Python sets
for the W-TALC snippet sets and the literal VOC envelope for interpolated AP. It shares
only the documented tie-breaking with `wstal.evaluate` (score desc, then video in
subset order, start, end; equal overlaps -> earlier GT / higher-ranked prediction).
"""

from __future__ import annotations

PROTOCOL_RULES = {
    # name: (unit, matching, ap, ambiguous, missing class)
    "activitynet": ("seconds", "best", "interpolated", "ignore", "zero-ap"),
    "snippet": ("snippets", "best", "interpolated", "delete", "zero-map"),
    "wtalc": ("snippets", "first", "non-interpolated", "delete", "zero-map"),
    "th14": ("seconds", "gt-driven", "non-interpolated", "drop", "zero-ap"),
    "th14-11pt": ("seconds", "gt-driven", "11-point", "drop", "zero-ap"),
    "th14-11pt-nearest": ("seconds", "gt-driven", "11-point-nearest", "drop", "zero-ap"),
    "th14-11pt-octave": ("seconds", "gt-driven", "11-point-octave", "drop", "zero-ap"),
}

# 0:0.1:1 as MATLAB builds it (left half k * 0.1, right half 1 - (10 - k) * 0.1, middle (0 + 1) / 2),
# as the nearest doubles to k/10, and as Octave builds it (k * 0.1 throughout).
RECALL_LEVELS = {
    "11-point": [k * 0.1 for k in range(5)] + [0.5] + [1 - (10 - k) * 0.1 for k in range(6, 11)],
    "11-point-nearest": [k / 10 for k in range(11)],
    "11-point-octave": [k * 0.1 for k in range(11)],
}


def grid(t: float) -> int:
    return round(t * 25 / 16)


def tiou(a, b) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


def set_iou(a: set, b: set) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def kit_overlap(a, b) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter / (max(a[1], b[1]) - min(a[0], b[0])) if inter > 0 else 0.0


def ap_interpolated(tp: list[bool], npos: int) -> float:
    """VOC 2011 all points, literally: envelope over [0, P..., 0], sum over recall changes."""
    if not tp:
        return 0.0
    cum, prec, rec = 0, [], []
    for k, hit in enumerate(tp, start=1):
        cum += hit
        prec.append(cum / k)
        rec.append(cum / npos)
    mprec = [0.0] + prec + [0.0]
    mrec = [0.0] + rec + [1.0]
    for i in range(len(mprec) - 2, -1, -1):
        mprec[i] = max(mprec[i], mprec[i + 1])
    return sum((mrec[i] - mrec[i - 1]) * mprec[i] for i in range(1, len(mrec)) if mrec[i] != mrec[i - 1])


def ap_non_interpolated(tp: list[bool], npos: int) -> float:
    total, cum = 0.0, 0
    for k, hit in enumerate(tp, start=1):
        if hit:
            cum += 1
            total += cum / k
    return total / npos


def ap_eleven_point(tp: list[bool], npos: int, levels: list[float]) -> float:
    cum, prec, rec = 0, [], []
    for k, hit in enumerate(tp, start=1):
        cum += hit
        prec.append(cum / k)
        rec.append(cum / npos)
    total = 0.0
    for r in levels:
        reached = [p for p, q in zip(prec, rec) if q >= r]
        total += max(reached) if reached else 0.0
    return total / 11


AP = {"interpolated": ap_interpolated, "non-interpolated": ap_non_interpolated,
      **{rule: (lambda tp, npos, levels=levels: ap_eleven_point(tp, npos, levels))
         for rule, levels in RECALL_LEVELS.items()}}


def rows_from_results(results: dict) -> list[tuple]:
    """(video, label name, score, start, end) per prediction of a predictions-JSON dict."""
    return [(video, row["label"], float(row["score"]), float(row["segment"][0]), float(row["segment"][1]))
            for video, rows in results["results"].items() for row in rows]


def reference_evaluate(truth, rows: list[tuple], protocol: str, tious) -> dict:
    """mAP (%) per θ and per-class AP (%) for prediction rows (see `rows_from_results`), one at a time."""
    unit, matching, ap_rule, ambiguous, missing = PROTOCOL_RULES[protocol]
    assert abs(truth.snippet_seconds - 0.64) < 1e-12
    videos = {name: i for i, name in enumerate(truth.videos)}
    class_id = {name: i for i, name in enumerate(truth.classes)}
    gts = [(int(v), int(c), float(s), float(e)) for v, c, (s, e)
           in zip(truth.segment_video, truth.segment_label, truth.segments)]
    ambs = [(int(v), float(s), float(e)) for v, (s, e) in zip(truth.ambiguous_video, truth.ambiguous)]
    npos = {}
    for _, c, _, _ in gts:
        npos[c] = npos.get(c, 0) + 1

    preds = []
    for video, label, score, start, end in rows:
        if video in videos and class_id[label] in npos:
            preds.append((-score, videos[video], start, end, class_id[label]))
    preds.sort(key=lambda p: p[:4])

    amb_by_video = {}
    for v, s, e in ambs:
        amb_by_video.setdefault(v, []).append((s, e))
    if ambiguous == "delete":
        kept = []
        for p in preds:
            span = set(range(grid(p[2]), grid(p[3])))
            if not any(span & set(range(grid(s), grid(e))) for s, e in amb_by_video.get(p[1], [])):
                kept.append(p)
        preds = kept

    per_class = {}
    for c in sorted(npos):
        mine = [p for p in preds if p[4] == c]
        class_gts = [(i, g) for i, g in enumerate(gts) if g[1] == c]
        if matching == "gt-driven":
            flags = _gt_driven(mine, class_gts, amb_by_video, tious)
        else:
            flags = _prediction_driven(mine, class_gts, matching, unit, tious)
        per_class[c] = [AP[ap_rule](flags[k], npos[c]) for k in range(len(tious))]
    maps = [sum(per_class[c][k] for c in per_class) / len(per_class) for k in range(len(tious))]
    if missing == "zero-map" and any(not any(p[4] == c for p in preds) for c in npos):
        maps = [0.0] * len(tious)
    return {"map": [100 * m for m in maps],
            "per_class": {truth.classes[c]: [100 * a for a in v] for c, v in per_class.items()}}


def _prediction_driven(preds, class_gts, matching, unit, tious) -> list[list[bool]]:
    """TP flags per threshold: each prediction (ranked) takes the best (or first) free GT of its video."""
    by_video = {}
    for i, g in class_gts:
        by_video.setdefault(g[0], []).append((i, g))
    locked = [set() for _ in tious]
    flags = [[] for _ in tious]
    for p in preds:
        if unit == "snippets":
            p_set = set(range(grid(p[2]), grid(p[3])))
            overlaps = [(set_iou(p_set, set(range(grid(g[2]), grid(g[3])))), i) for i, g in by_video.get(p[1], [])]
        else:
            overlaps = [(tiou((p[2], p[3]), (g[2], g[3])), i) for i, g in by_video.get(p[1], [])]
        if matching == "best":
            overlaps.sort(key=lambda x: (-x[0], x[1]))  # walk GTs by decreasing overlap
        for k, theta in enumerate(tious):
            hit = False
            for value, i in overlaps:
                if matching == "best" and value < theta:
                    break  # the first GT below θ ends the walk
                if i in locked[k] or value < theta:
                    continue
                locked[k].add(i)
                hit = True
                break
            flags[k].append(hit)
    return flags


def _gt_driven(preds, class_gts, amb_by_video, tious) -> list[list[bool]]:
    """THUMOS kit: per video, each GT (file order) takes the free detection of largest overlap if > θ."""
    by_video = {}
    for rank, p in enumerate(preds):
        by_video.setdefault(p[1], []).append(rank)
    # overlap of every GT with every detection of its video, computed once for all thresholds
    overlaps = [[(r, kit_overlap((preds[r][2], preds[r][3]), (g[2], g[3]))) for r in by_video.get(g[0], [])]
                for _, g in class_gts]
    flags = []
    for theta in tious:
        matched = set()
        for candidates in overlaps:
            best, best_rank = -1.0, None
            for r, value in candidates:
                if r not in matched and value > best:
                    best, best_rank = value, r
            if best_rank is not None and best > theta:
                matched.add(best_rank)
        column = []
        for rank, p in enumerate(preds):
            if rank in matched:
                column.append(True)
            elif any(kit_overlap((p[2], p[3]), a) > 0 for a in amb_by_video.get(p[1], [])):
                continue  # unmatched and touching Ambiguous: neither TP nor FP
            else:
                column.append(False)
        flags.append(column)
    return flags
