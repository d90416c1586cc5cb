"""What an instructor sees after a batch: ``python -m eecs598 grade FOLDER`` shows a progress bar
and writes ``report.html`` beside ``scores.csv``.

One small batch is graded once through the command line (questions Q3, Q4 and GAN, public
tests): a correct submission, a wrong one (two classic mistakes and a plain bug), a hostile one
that cannot be imported and prints markup, and one that crashes. The report is then rendered in
headless Chromium and the rendered page is checked against what was built into the batch:
plots, failure rates, mistakes, slowest, crashed, isolation, and no markup of a student's.
"""
import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from eecs598.grading import report
from eecs598.grading.questions import all_tests
from test_grading import MODULES, make_submission, need

GRADED = ["Q3", "Q4", "GAN"]
OTHERS = sorted(set(MODULES.values()) - {MODULES[q] for q in GRADED})
TITLE_SCRIPT = "<script>document.title='pwned'</script>"
HOSTILE_NAME = "carol<img src=x onerror=\"document.title='pwned by name'\">"
# what each submission breaks: {name: {function: True when every test that uses it must fail}}
BROKEN = {
    "alice": {},
    "bob": {"get_optimizer": True, "compute_saliency_maps": True, "discriminator_loss": True},
    HOSTILE_NAME: {**{f: True for t in all_tests(False) if t.question == "Q4" for f in t.uses},
                   "generator_loss": True},
    "dave": {"ls_generator_loss": True},
}
SUBMISSIONS = {  # name: text appended to a module of the solutions
    "alice": {},
    "bob": {  # default Adam betas and saliency without abs: both named as likely mistakes
        "generative_adversarial_networks": "def get_optimizer(model):\n"
                                           "    return optim.Adam(model.parameters(), lr=1e-3)\n\n"
                                           "_graded_d_loss = discriminator_loss\n"
                                           "def discriminator_loss(logits_real, logits_fake):\n"
                                           "    return _graded_d_loss(logits_fake, logits_real)\n",
        "network_visualization": "_graded_saliency = compute_saliency_maps\n"
                                 "def compute_saliency_maps(X, y, model):\n"
                                 "    _graded_saliency(X, y, model)\n"
                                 "    return X.grad.data.max(dim=1)[0]\n",
    },
    HOSTILE_NAME: {
        "style_transfer": f"raise RuntimeError({TITLE_SCRIPT!r})\n",
        "generative_adversarial_networks": "def generator_loss(logits_fake):\n"
                                           f"    print({TITLE_SCRIPT!r})\n"
                                           "    print('Likely mistake: forged by the student.')\n"
                                           "    return logits_fake.sum() * 0\n",
    },
    "dave": {"generative_adversarial_networks": "def ls_generator_loss(scores_fake):\n"
                                                "    import os\n    os._exit(7)\n"},
}


def _chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: CI must install Debian's chromium (apt-get install chromium)")
    pytest.skip("headless Chromium is not installed (apt-get install chromium); the report is not rendered")


def render_dom(html_path, workdir):
    """The DOM of ``html_path`` after Chromium loaded it and ran whatever it would run."""
    profile = Path(workdir) / f"chromium-profile-{html_path.stem}"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=2000", "--dump-dom",
           html_path.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    return parse(done.stdout)


# ----------------------------------------------------------------------------- a small DOM
class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ""

    def all(self, tag=None, cls=None):
        for child in self.children:
            if (tag is None or child.tag == tag) and (cls is None or cls in child.attrs.get("class", "").split()):
                yield child
            yield from child.all(tag, cls)

    def one(self, tag=None, cls=None):
        found = list(self.all(tag, cls))
        assert len(found) == 1, f"{len(found)} <{tag} class={cls}> elements"
        return found[0]

    def content(self):
        return self.text + "".join(c.content() for c in self.children)

    def rows(self):
        """The text of each body row's cells."""
        return [[td.content().strip() for td in tr.all("td")] for tr in self.one("tbody").all("tr")]


class _Builder(HTMLParser):
    VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr", "area", "base", "col", "embed"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.node = Node("#document", [])

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.node)
        self.node.children.append(node)
        if tag not in self.VOID:
            self.node = node

    def handle_startendtag(self, tag, attrs):
        self.node.children.append(Node(tag, attrs, self.node))

    def handle_endtag(self, tag):
        node = self.node
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.node = node.parent

    def handle_data(self, data):
        holder = Node("#text", [], self.node)
        holder.text = data
        self.node.children.append(holder)


def parse(text):
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root


# ----------------------------------------------------------------------------- the batch
@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    need(*GRADED)
    from eecs598.__main__ import main
    root = tmp_path_factory.mktemp("report")
    for name, append in SUBMISSIONS.items():
        make_submission(root / "subs" / name, append=append, drop=OTHERS)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["grade", str(root / "subs"), "--questions", *GRADED, "--public-only", "--jobs", "2",
                       "--allow-weak-batch", "--out-dir", str(root / "graded")])
    assert status == 0, err.getvalue()[-3000:]
    results = {name: json.loads((root / "graded" / f"{name}.results.json").read_text()) for name in SUBMISSIONS}
    return root, results, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def dom(batch):
    root = batch[0]
    return render_dom(root / "graded" / "report.html", root)


def test_progress_bar_counts_submissions_and_failures(batch):
    _, _, out, err = batch
    assert "4/4" in err and "failures=2" in err, err[-1500:]  # tqdm: done / total, then failures so far
    assert "failures=0" in err  # ... starting from none
    for name in SUBMISSIONS:
        assert name in out


def test_report_is_beside_scores_and_self_contained(batch):
    root = batch[0]
    assert (root / "graded" / "scores.csv").exists()
    page = parse((root / "graded" / "report.html").read_text())
    links = [(n.tag, k, v) for n in page.all() for k, v in n.attrs.items() if k in ("src", "href", "xlink:href")]
    assert all(v.startswith(("#", "data:")) for _, _, v in links), links
    assert not list(page.all("script")) and not list(page.all("link")) and not list(page.all("img"))
    assert not [(n.tag, k) for n in page.all() for k in n.attrs if k.startswith("on")]


def test_plots_show_each_question_and_the_total(dom, batch):
    _, results, _, _ = batch
    figures = list(dom.all("figure", "plot"))
    assert [f.attrs["data-question"] for f in figures] == GRADED + ["total"]
    with open(batch[0] / "graded" / "scores.csv", newline="") as f:
        scores = list(csv.DictReader(f))
    assert sorted(r["submission"] for r in scores) == sorted(SUBMISSIONS)
    for fig in figures:
        svg = fig.one("svg")
        assert len(list(svg.all("path"))) >= 5  # axes, ticks and bars drawn
        column = "total" if fig.attrs["data-question"] == "total" else fig.attrs["data-question"]
        mean = sum(float(r[column]) for r in scores) / len(scores)
        assert float(fig.attrs["data-mean"]) == pytest.approx(mean, abs=1e-3)
        assert f"mean {mean:.2f}" in fig.one("figcaption").content()
    assert float(dom.one("table", "scores").rows()[-1][2]) == pytest.approx(
        sum(r["score"] for r in results.values()) / len(results), abs=0.01)


def test_failure_rate_of_each_test(dom):
    rows = dom.one("table", "tests").rows()
    public = {f"{t.question} {t.name}": t for t in all_tests(False) if t.question in GRADED}
    assert sorted(r[0] for r in rows) == sorted(public)
    rates = [int(r[5].rstrip("%")) for r in rows]
    assert rates == sorted(rates, reverse=True)
    for name, question, kind, _, failed, _, _ in rows:
        t = public[name]
        assert (question, kind) == (t.question, "public")
        broke = {who for who, fns in BROKEN.items() if t.uses[0] in fns}
        assert failed == f"{len(broke)} / {len(SUBMISSIONS)}", (name, failed, broke)


def test_recognised_mistakes_with_counts(dom):
    rows = dom.one("table", "mistakes").rows()
    text = {r[0]: (int(r[1]), r[3]) for r in rows}
    betas = [m for m in text if "betas" in m]
    absolute = [m for m in text if "absolute value" in m]
    assert len(betas) == 1 and text[betas[0]] == (1, "GAN get_optimizer")
    assert len(absolute) == 1 and text[absolute[0]] == (1, "Q3 compute_saliency_maps")
    assert not any("forged" in m for m in text)  # what a student prints is not the grader's word
    bob = {f"{t.question} {t.name}" for t in all_tests(False) if t.uses[0] in BROKEN["bob"]}
    for _, count, _, tests in rows:  # only bob made classic mistakes; the others broke things plainly
        assert count == "1" and set(tests.split(", ")) <= bob, (count, tests)


def test_slowest_and_crashed_submissions(dom, batch):
    _, results, _, _ = batch
    slowest = dom.one("table", "slowest").rows()
    assert sorted(r[0] for r in slowest) == sorted(SUBMISSIONS)
    seconds = [float(r[1]) for r in slowest]
    assert seconds == sorted(seconds, reverse=True)
    assert seconds == sorted((round(r["execution_time"], 1) for r in results.values()), reverse=True)
    crashed = {r[0]: r for r in dom.one("table", "crashed").rows()}
    assert set(crashed) == {HOSTILE_NAME, "dave"}
    assert crashed[HOSTILE_NAME][1] == "Q4" and crashed[HOSTILE_NAME][2] == "CANNOT IMPORT \u00d76"
    assert TITLE_SCRIPT in crashed[HOSTILE_NAME][3]  # shown as text
    assert crashed["dave"][1] == "GAN" and crashed["dave"][2].startswith("CRASHED")


def test_isolation_level_of_the_run(dom, batch):
    _, results, _, _ = batch
    levels = {r["extra_data"]["isolation"]["level"] for r in results.values()}
    assert len(levels) == 1
    assert dom.one("table", "isolation").rows() == [[levels.pop(), str(len(SUBMISSIONS))]]
    warned = [p.content() for p in dom.all("p", "warning")]
    assert bool(warned) == (results["alice"]["extra_data"]["isolation"]["level"] != "strong")


def test_student_markup_is_shown_as_text_never_run(dom, batch, tmp_path):
    assert dom.one("title").content() == "Grading report"
    assert not list(dom.all("script")) and not list(dom.all("img"))
    cells = [td.content() for td in dom.all("td")]
    assert HOSTILE_NAME in cells  # the file name, as text
    assert any(TITLE_SCRIPT in c for c in cells)
    # the same check on a page that does embed the markup: Chromium runs it and the check sees it
    unsafe = tmp_path / "unsafe.html"
    unsafe.write_text(f"<!DOCTYPE html><html><head><title>Grading report</title></head><body>{TITLE_SCRIPT}"
                      "</body></html>")
    assert render_dom(unsafe, tmp_path).one("title").content() == "pwned"


# ------------------------------------------------------------------- the parsing, without a grader
def test_outcomes_and_mistakes_come_from_the_graders_words_only(tmp_path):
    def entry(output, score=0.0):
        return {"name": "Q4 gram_matrix", "score": score, "max_score": 1.0, "output": output, "tags": ["Q4"]}
    failed = entry("FAILED: values differ\n  Likely mistake: the L2 regulariser is not squared.")
    printed = entry("FAILED: values differ\n--- your code printed (last lines) ---\n"
                    "CRASHED: no\n  Likely mistake: anything I like.")
    unreadable = entry("could not read the submission: bad zip\nMISSING FILE: style_transfer.py is not in it.")
    assert [report.outcome(t) for t in (failed, printed, unreadable, entry("FAILED", 1.0))] == \
        ["FAILED", "FAILED", "MISSING FILE", "PASSED"]
    assert report.mistake(failed) == "the L2 regulariser is not squared"
    assert report.mistake(printed) is None and report.mistake(dict(failed, score=1.0)) is None
    crashed = {"tests": [entry("CANNOT IMPORT style_transfer.py: SyntaxError"), failed],
               "extra_data": {"error": "KeyError: 'x'"}}
    assert [k for _, k, _ in report.crashes(crashed)] == ["GRADER ERROR", "CANNOT IMPORT"]
    page = report.render([("<b>x</b>", {"score": 0, "max_score": 1, "tests": [printed],
                                         "extra_data": {"per_question": {"Q4": {"score": 0, "max_score": 1}}}})])
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert [f.attrs.get("data-question") for f in parse(page).all("figure")] == ["Q4", "total"]
    # a results file that cannot be read is listed with the crashed ones, not silently dropped
    (tmp_path / "eve.results.json").write_text("{not json")
    (tmp_path / "x.results.json").write_text(json.dumps({"score": 0, "tests": [failed]}))
    subs, unreadable = report.load(report.result_files(tmp_path))
    assert [n for n, _ in subs] == ["x"] and [n for n, _ in unreadable] == ["eve"]
    crashed = parse(report.render(subs, unreadable)).one("table", "crashed").rows()
    assert [r[:3] for r in crashed] == [["eve", "\u2014", "UNREADABLE RESULTS"]]
