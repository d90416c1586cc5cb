"""``report.html``: what an instructor looks at after a batch, built from the per-submission
``results.json`` files (Gradescope format, see :mod:`.results`).

One self-contained page (inline CSS, plots as inline SVG, no script, no external URL): the score
distribution of every question, each test's failure rate, the recognised mistakes with counts,
the slowest and the crashed submissions, and the isolation the run had.

A submission controls its file name and much of its feedback (error messages, what it printed),
so every string from a results file is HTML-escaped: markup is only ever built here, from
:class:`Html` pieces. The page's Content-Security-Policy forbids scripts and remote loads on top.

Run alone: ``python -m eecs598.grading.report RESULTS_DIR [--out report.html]``.
"""
import argparse
import html
import io
import json
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from .questions import QUESTIONS

# A test's outcome is the label its feedback starts with (see grade.py); these mean that the
# student's code did not finish: it raised, died, hung, or could not even be imported.
CRASH_KINDS = ("CANNOT IMPORT", "CRASHED", "EXITED", "TIMED OUT", "OUT OF MEMORY", "ERROR")
OUTCOMES = CRASH_KINDS + ("PASSED", "FAILED", "NOT IMPLEMENTED", "NOT RUN", "NOT GRADED", "MISSING FILE")
_OUTCOME = re.compile(r"^(%s)\b" % "|".join(OUTCOMES), re.M)
_MISTAKE = re.compile(r"^\s*Likely mistake: (.+?)\.?\s*$", re.M)
_STUDENT_PART = "\n--- "  # grade.py appends what the student's code printed after this
SLOWEST = 10


# ------------------------------------------------------------------------------ reading results
def result_files(folder):
    """The results files of a batch folder: ``<name>.results.json`` (and ``*/results.json``)."""
    folder = Path(folder)
    return sorted(folder.glob("*.results.json")) + sorted(folder.glob("*/results.json"))


def submission_name(path):
    path = Path(path)
    return path.parent.name if path.name == "results.json" else path.name[:-len(".results.json")]


def load(paths):
    """``(submissions, unreadable)``: ``[(name, results)]`` and ``[(name, why)]``."""
    subs, unreadable = [], []
    for path in paths:
        try:
            results = json.loads(Path(path).read_text(encoding="utf-8"))
            if not isinstance(results, dict) or not isinstance(results.get("tests"), list):
                raise ValueError("not a results.json (no list of tests)")
            subs.append((submission_name(path), results))
        except (OSError, ValueError) as err:
            unreadable.append((submission_name(path), f"{type(err).__name__}: {err}"))
    return subs, unreadable


def outcome(test):
    """PASSED, FAILED, CRASHED, ... for one test entry of a results.json."""
    if test.get("score", 0) >= test.get("max_score", 0):
        return "PASSED"
    found = _OUTCOME.search(test.get("output", "").split(_STUDENT_PART, 1)[0])
    return found.group(1) if found else "FAILED"


def mistake(test):
    """The recognised mistake named in a failed test's feedback (``compare.judge``), or None.
    Only the grader's own message is read, never the student's printed output below it."""
    found = _MISTAKE.findall(test.get("output", "").split(_STUDENT_PART, 1)[0])
    return found[-1] if found and test.get("score", 0) < test.get("max_score", 0) else None


def crashes(results):
    """``[(question, kind, message)]``: tests the student's code did not finish, and the grader's
    own failure (``extra_data.error``) if it could not grade the submission at all."""
    found = []
    error = results.get("extra_data", {}).get("error")
    if error:
        found.append(("", "GRADER ERROR", str(error)))
    for t in graded_tests(results):
        kind = outcome(t)
        if kind in CRASH_KINDS:
            found.append((_question(t), kind, t.get("output", "")))
    return found


def graded_tests(results):
    return [t for t in results.get("tests", []) if isinstance(t, dict) and t.get("max_score", 0) > 0]


def _question(test):
    tags = test.get("tags") or [str(test.get("name", "")).split(" ")[0]]
    return tags[0]


def _hidden(test):
    return "hidden" in (test.get("tags") or []) or test.get("visibility") == "after_published"


# ------------------------------------------------------------------------------------ markup
class Html(str):
    """Markup built by this module (trusted); any other string is escaped when inserted."""


def _esc(value):
    return value if isinstance(value, Html) else Html(html.escape(str(value), quote=True))


def _tag(name, *children, cls=None, **attrs):
    attrs = dict(attrs, **({"class": cls} if cls else {}))
    opening = name + "".join(f' {k.replace("_", "-")}="{html.escape(str(v), quote=True)}"'
                             for k, v in attrs.items())
    return Html(f"<{opening}>" + "".join(_esc(c) for c in children) + f"</{name}>")


def _table(header, rows, cls=None, empty="none"):
    if not rows:
        return _tag("p", empty, cls="empty")
    head = _tag("tr", *[_tag("th", h) for h in header])
    body = "".join(_tag("tr", *[_tag("td", c) for c in row]) for row in rows)
    return _tag("table", _tag("thead", head), _tag("tbody", Html(body)), cls=cls)


def _num(x):
    return f"{x:.3g}" if isinstance(x, float) and x != int(x) else f"{x:g}"


def _counts(counter):
    """``Counter({'FAILED': 2})`` -> ``'FAILED ×2'``, most common first."""
    return ", ".join(f"{k} \u00d7{c}" for k, c in counter.most_common())


def _order(question):
    return list(QUESTIONS).index(question) if question in QUESTIONS else len(QUESTIONS)


def _clip(text, n=400):
    text = str(text)
    return text if len(text) <= n else text[:n] + " [...]"


# ------------------------------------------------------------------------------------- plots
def histogram_svg(scores, max_score, xlabel, uid):
    """An inline SVG histogram of ``scores`` on ``[0, max_score]``; the mean as a dashed line.
    ``uid`` prefixes the SVG's ids, so that several plots can share one page."""
    import matplotlib
    import numpy as np
    from matplotlib.figure import Figure

    top = max_score if max_score > 0 else max(scores + [1])
    edges = np.linspace(0, top, int(min(15, max(5, np.ceil(top)))) + 1)
    fig = Figure(figsize=(4.2, 2.3))
    ax = fig.subplots()
    ax.hist(np.clip(scores, 0, top), bins=edges, color="#3b6ea8", edgecolor="white")
    if scores:
        ax.axvline(statistics.fmean(scores), color="#c0392b", linestyle="--", linewidth=1.2)
    ax.set_xlim(0, top)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout(pad=0.4)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": uid}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg[svg.index("<svg"):], flags=re.S)
    for old in ('id="', "url(#", 'href="#'):
        svg = svg.replace(old, f"{old}{uid}-")
    return Html(svg)


# ----------------------------------------------------------------------------------- sections
def _score_section(subs):
    questions = [q for q in QUESTIONS if any(q in r.get("extra_data", {}).get("per_question", {}) for _, r in subs)]
    figures, rows = [], []
    columns = [(q, f"{q} {QUESTIONS[q][0]}") for q in questions] + [("total", "Total")]
    for key, label in columns:
        if key == "total":
            pairs = [(r.get("score", 0), r.get("max_score", 0)) for _, r in subs]
        else:
            got = [r.get("extra_data", {}).get("per_question", {}).get(key) for _, r in subs]
            pairs = [(g.get("score", 0), g.get("max_score", 0)) for g in got if isinstance(g, dict)]
        scores = [float(s) for s, _ in pairs]
        top = max([float(m) for _, m in pairs] + [0.0])
        if not scores:
            continue
        mean, median = statistics.fmean(scores), statistics.median(scores)
        full = sum(s >= top for s in scores) if top > 0 else 0
        stats = f"n={len(scores)}, mean {mean:.2f}, median {median:.2f} of {top:g}"
        figures.append(_tag("figure", histogram_svg(scores, top, f"{label} (points)", f"h-{key}"),
                            _tag("figcaption", _tag("b", label), f": {stats}"),
                            cls="plot", data_question=key, data_mean=f"{mean:.4f}"))
        rows.append([label, _num(top), f"{mean:.2f}", f"{median:.2f}", _num(min(scores)), _num(max(scores)),
                     full, sum(s == 0 for s in scores)])
    table = _table(["Question", "Max", "Mean", "Median", "Min", "Max reached", "Full marks", "Zero"],
                   rows, cls="scores")
    return _section("scores", "Score distribution per question",
                    _tag("p", "Histograms of the points per question and in total; the dashed line is the mean.",
                         cls="note"),
                    _tag("div", *figures, cls="plots"), table)


def _tests_section(subs):
    stats = defaultdict(lambda: {"n": 0, "failed": 0, "kinds": Counter(), "points": 0.0, "q": "", "hidden": False})
    for _, r in subs:
        for t in graded_tests(r):
            s = stats[str(t.get("name"))]
            s["n"] += 1
            s["points"] = max(s["points"], float(t.get("max_score", 0)))
            s["q"], s["hidden"] = _question(t), _hidden(t)
            kind = outcome(t)
            if kind != "PASSED":
                s["failed"] += 1
                s["kinds"][kind] += 1
    ranked = sorted(stats.items(), key=lambda kv: (-kv[1]["failed"] / kv[1]["n"], _order(kv[1]["q"]), kv[0]))
    rows = []
    for name, s in ranked:
        rate = s["failed"] / s["n"]
        bar = _tag("span", _tag("span", "", cls="fill", style=f"width:{100 * rate:.0f}%"), cls="bar")
        kinds = _counts(s["kinds"])
        rows.append([name, s["q"], "hidden" if s["hidden"] else "public", _num(s["points"]),
                     f"{s['failed']} / {s['n']}", Html(f"{bar} {100 * rate:.0f}%"), kinds or "\u2014"])
    return _section("tests", "Failure rate of each test",
                    _tag("p", "Most failed first. A test fails when its points are not all earned.", cls="note"),
                    _table(["Test", "Question", "Kind", "Points", "Failed", "Rate", "How it failed"], rows,
                           cls="tests", empty="no graded tests"))


def _mistakes_section(subs):
    who, where = defaultdict(set), defaultdict(Counter)
    for name, r in subs:
        for t in graded_tests(r):
            m = mistake(t)
            if m:
                who[m].add(name)
                where[m][str(t.get("name"))] += 1
    ranked = sorted(who, key=lambda m: (-len(who[m]), -sum(where[m].values()), m))
    rows = [[m, len(who[m]), sum(where[m].values()), ", ".join(t for t, _ in where[m].most_common(4))
             + (" ..." if len(where[m]) > 4 else "")] for m in ranked]
    return _section("mistakes", "Most common recognised mistakes",
                    _tag("p", "Failed tests whose feedback names a classic mistake (\u201cLikely mistake\u201d).",
                         cls="note"),
                    _table(["Mistake", "Submissions", "Failed tests", "Tests"], rows, cls="mistakes",
                           empty="no recognised mistake in this batch"))


def _slowest_section(subs):
    ranked = sorted(subs, key=lambda s: -float(s[1].get("execution_time", 0) or 0))[:SLOWEST]
    rows = [[name, f"{float(r.get('execution_time', 0) or 0):.1f}",
             f"{_num(r.get('score', 0))} / {_num(r.get('max_score', 0))}",
             _counts(Counter(outcome(t) for t in graded_tests(r) if outcome(t) != "PASSED")) or "all passed"]
            for name, r in ranked]
    return _section("slowest", f"Slowest submissions (top {SLOWEST})",
                    _table(["Submission", "Seconds", "Score", "Tests not passed"], rows, cls="slowest"))


def _crashed_section(subs, unreadable):
    rows = []
    for name, r in subs:
        found = crashes(r)
        if not found:
            continue
        questions = sorted({q for q, _, _ in found if q}, key=_order)
        rows.append([name, ", ".join(questions) or "\u2014", _counts(Counter(k for _, k, _ in found)),
                     _tag("pre", _clip(found[0][2]))])
    rows += [[name, "\u2014", "UNREADABLE RESULTS", _tag("pre", _clip(why))] for name, why in unreadable]
    return _section("crashed", "Crashed submissions",
                    _tag("p", "Code that raised, died, hung or could not be imported (first message shown), and "
                              "submissions the grader itself could not grade.", cls="note"),
                    _table(["Submission", "Questions", "What happened", "First message"], rows, cls="crashed",
                           empty="no submission crashed"))


def _isolation_section(subs):
    levels = Counter()
    details, notes = {}, Counter()
    for _, r in subs:
        extra = r.get("extra_data", {})
        iso = extra.get("isolation") if isinstance(extra.get("isolation"), dict) else {}
        level = str(iso.get("level", "unknown"))
        levels[level] += 1
        details.setdefault(level, iso)
        if extra.get("sandbox"):
            notes[str(extra["sandbox"])] += 1
    parts = [_table(["Level", "Submissions"], [[_tag("b", lv, cls=f"level-{lv}"), c] for lv, c in levels.most_common()],
                    cls="isolation")]
    if set(levels) - {"strong"}:
        parts.append(_tag("p", "Not every submission had strong isolation: students graded in the same run may "
                               "have been able to see or disturb each other (see the README).", cls="warning"))
    if any(iso.get("solutions_exposed") for iso in details.values()):
        parts.append(_tag("p", "Student code could read the solutions and hidden tests in this run.", cls="warning"))
    for level, iso in details.items():
        if iso:
            rows = [[k, v if isinstance(v, str) else json.dumps(v)] for k, v in iso.items()]
            parts.append(_table([f"{level}: setting", "value"], rows, cls="isolation-detail"))
    parts += [_tag("p", f"{note} ({c} submission{'s' if c != 1 else ''})", cls="note") for note, c in notes.items()]
    return _section("isolation", "Isolation of this run", *parts)


def _section(sid, title, *children):
    return _tag("section", _tag("h2", title), *children, id=sid)


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0} th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;
vertical-align:top} th{background:#f3f5f8} tbody tr:nth-child(even){background:#fafbfc}
.plots{display:flex;flex-wrap:wrap;gap:1em} figure{margin:0;border:1px solid #e3e3e3;padding:.4em}
figure svg{display:block;max-width:100%;height:auto} figcaption{font-size:12px;color:#444}
.bar{display:inline-block;width:80px;height:.7em;background:#eee;vertical-align:middle}
.fill{display:block;height:100%;background:#c0392b}
pre{white-space:pre-wrap;word-break:break-word;max-width:560px;margin:0;font-size:12px}
.note{color:#555} .warning{color:#a40000;font-weight:bold} .empty{color:#777;font-style:italic}
.level-strong{color:#1e7b34} .level-weak{color:#a40000}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render(subs, unreadable=(), title="Grading report"):
    """The report page (a string) for ``subs`` = ``[(name, results)]``."""
    totals = [float(r.get("score", 0)) for _, r in subs]
    summary = (f"{len(subs)} submission{'s' if len(subs) != 1 else ''} graded"
               + (f", mean total {statistics.fmean(totals):.2f}" if totals else "")
               + (f"; {len(unreadable)} results file(s) unreadable" if unreadable else "")
               + f"; generated {time.strftime('%Y-%m-%d %H:%M:%S')}")
    nav = _tag("p", *[Html(_tag("a", t, href=f"#{s}") + " ") for s, t in
                      [("scores", "Scores"), ("tests", "Tests"), ("mistakes", "Mistakes"), ("slowest", "Slowest"),
                       ("crashed", "Crashed"), ("isolation", "Isolation")]])
    body = (_tag("h1", title) + _tag("p", summary, cls="note") + nav
            + (_score_section(subs) if subs else _tag("p", "No results to report.", cls="empty"))
            + _tests_section(subs) + _mistakes_section(subs) + _slowest_section(subs)
            + _crashed_section(subs, unreadable) + _isolation_section(subs))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            f"<title>{_esc(title)}</title><style>{CSS}</style></head>\n<body>{body}</body></html>\n")


def write_report(paths, out, title="Grading report"):
    """Render the report of the results files ``paths`` into ``out`` (atomically); returns its path."""
    from .output import write_atomic
    subs, unreadable = load(paths)
    return write_atomic(out, render(subs, unreadable, title).encode("utf-8"))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m eecs598.grading.report", description=__doc__.split("\n\n")[0])
    p.add_argument("results_dir", help="folder of <name>.results.json files (a batch's --out-dir)")
    p.add_argument("--out", default=None, help="report path (default: RESULTS_DIR/report.html)")
    args = p.parse_args(argv)
    paths = result_files(args.results_dir)
    if not paths:
        print(f"error: no *.results.json in {args.results_dir}", file=sys.stderr)
        return 2
    out = write_report(paths, args.out or Path(args.results_dir) / "report.html")
    print(f"report of {len(paths)} submissions written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
