"""Gradescope ``results.json``: build, validate, write atomically, and print a summary.

Format (https://gradescope-autograders.readthedocs.io/en/latest/specs/): top level ``score``,
``execution_time``, ``output``, ``visibility``, ``stdout_visibility``, ``extra_data``, ``tests``;
each test ``name``, ``score``, ``max_score``, ``output``, ``visibility`` (+ ``tags``, ``status``).
"""
import json

from .questions import QUESTIONS

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def build_results(entries, per_question, seconds, sandbox_note, reference_sources):
    """The results dict. ``extra_data`` lists each question and each part of the grade (original
    A4 questions, GAN, extensions) separately, public and hidden points apart."""
    from .questions import PARTS, PART_OF
    for e in entries:
        if e["max_score"] > 0:
            e["status"] = "passed" if e["score"] >= e["max_score"] else "failed"
    total = round(sum(e["score"] for e in entries), 4)
    max_total = round(sum(e["max_score"] for e in entries), 4)
    per_question = {q: (round(s, 4), round(m, 4)) for q, (s, m) in per_question.items()}
    per_part = {}
    for q, (s, m) in per_question.items():
        part = PART_OF[q]
        got = per_part.setdefault(part, {"title": PARTS[part][0], "score": 0.0, "max_score": 0.0, "questions": []})
        got["score"], got["max_score"] = round(got["score"] + s, 4), round(got["max_score"] + m, 4)
        got["questions"].append(q)
    visibility = {q: {"public": 0.0, "hidden": 0.0} for q in per_question}
    for e in entries:
        q = e.get("tags", [None])[0]
        if q in visibility:
            kind = "hidden" if "hidden" in e["tags"] else "public"
            visibility[q][kind] = round(visibility[q][kind] + e["max_score"], 4)
    lines = []
    for part, v in per_part.items():
        lines.append(f"{v['title']}: {v['score']:g} / {v['max_score']:g}")
        lines += [f"  {q} {QUESTIONS[q][0]}: {per_question[q][0]:g} / {per_question[q][1]:g}" for q in v["questions"]]
    return {
        "score": total,
        "max_score": max_total,
        "execution_time": round(seconds, 2),
        "output": "Autograded points per part and question:\n" + "\n".join(lines)
                  + "\nHidden tests (same behaviour on other inputs) are shown after grades are published.",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"per_question": {q: {"score": s, "max_score": m, "part": PART_OF[q],
                                            "public_max": visibility[q]["public"],
                                            "hidden_max": visibility[q]["hidden"]}
                                        for q, (s, m) in per_question.items()},
                       "per_part": per_part,
                       "sandbox": sandbox_note, "reference": reference_sources},
        "tests": entries,
    }


def validate(results):
    """Raise ValueError unless ``results`` follows the Gradescope results.json format."""
    def need(cond, msg):
        if not cond:
            raise ValueError(msg)

    need(isinstance(results, dict), "results must be an object")
    need(isinstance(results.get("tests"), list), "tests must be a list")
    if "score" in results:
        need(isinstance(results["score"], (int, float)), "score must be a number")
    for key in ("visibility", "stdout_visibility"):
        if key in results:
            need(results[key] in VISIBILITIES, f"{key} must be one of {sorted(VISIBILITIES)}")
    if "execution_time" in results:
        need(isinstance(results["execution_time"], (int, float)), "execution_time must be a number")
    if "output" in results:
        need(isinstance(results["output"], str), "output must be a string")
    total = 0.0
    for i, t in enumerate(results["tests"]):
        need(isinstance(t, dict), f"tests[{i}] must be an object")
        need(isinstance(t.get("name"), str) and t["name"], f"tests[{i}].name must be a non-empty string")
        for key in ("score", "max_score"):
            need(isinstance(t.get(key), (int, float)) and not isinstance(t.get(key), bool),
                 f"tests[{i}].{key} must be a number")
        need(0 <= t["score"] <= t["max_score"] + 1e-9, f"tests[{i}] score outside [0, max_score]")
        need(isinstance(t.get("output", ""), str), f"tests[{i}].output must be a string")
        need(t.get("visibility", "visible") in VISIBILITIES, f"tests[{i}].visibility invalid")
        if "status" in t:
            need(t["status"] in ("passed", "failed"), f"tests[{i}].status invalid")
        if "tags" in t:
            need(isinstance(t["tags"], list) and all(isinstance(x, str) for x in t["tags"]), f"tests[{i}].tags invalid")
        total += t["score"]
    if "score" in results:
        need(abs(results["score"] - total) < 1e-6, "score must equal the sum of the test scores")
    json.dumps(results, allow_nan=False)  # must be strict JSON
    return True


def write_results(results, path):
    """Validate, then write atomically into a folder no other user can write (see :mod:`.output`)."""
    from .output import write_atomic
    validate(results)
    return write_atomic(path, json.dumps(results, indent=1, allow_nan=False).encode("utf-8"))


def summary(results, title=""):
    """Readable terminal summary: one line per test, then totals per question."""
    lines = [title] if title else []
    for t in results["tests"]:
        if t["max_score"] == 0:
            continue
        mark = "ok " if t["score"] >= t["max_score"] else "XX "
        first = t["output"].splitlines()[0] if t["output"] else ""
        lines.append(f"  {mark}{t['score']:>4g}/{t['max_score']:<3g} {t['name']}" + ("" if mark == "ok " else f"  -- {first[:110]}"))
    for q, v in results["extra_data"]["per_question"].items():
        lines.append(f"{q:>4} {QUESTIONS[q][0]:<34} {v['score']:>6g} / {v['max_score']:g}")
    lines.append(f"TOTAL {results['score']:g} / {results['max_score']:g}   ({results['execution_time']:.1f} s; "
                 f"{results['extra_data']['sandbox']})")
    return "\n".join(lines)
