"""The Gradescope autograder: ``python -m eecs598 autograder OUT.zip`` builds it here; inside
Gradescope's container its ``setup.sh`` and ``run_autograder`` call :func:`setup` and :func:`run`.

What the zip holds (Gradescope unpacks it into ``/autograder/source``)::

    setup.sh, run_autograder   the two scripts Gradescope requires at the zip's root
    requirements.txt           the pinned packages grading imports (a subset of the repository's)
    repo/                      a4_helper.py and the eecs598 package: no solution region, no
                               hidden.py, no mistakes.py -- the same files the sandbox shows
                               student code anyway
    secret/expected.json       the expected outputs, computed here with the reference solution:
                               every public test and every hidden test, whose inputs are drawn
                               from a secret seed chosen at build time (stored in the same file)

``setup.sh`` makes ``source/`` readable by root only and proves it with an unprivileged uid;
``run_autograder`` grades ``/autograder/submission`` with :func:`eecs598.grading.grade.grade`
(sandbox per question) against ``secret/expected.json`` and writes
``/autograder/results/results.json``. Every submission therefore gets the same hidden inputs
(Gradescope regrades give the same score); build a new zip, with a new secret, every term.

Settings (environment; the command-line flags of ``setup``/``run`` win):
``EECS598_AUTOGRADER_ROOT`` the ``/autograder`` folder; ``EECS598_ISOLATION`` auto|strong|weak;
``EECS598_QUESTIONS`` grade only these questions (space-separated); ``EECS598_MEM_MB`` the memory
all processes of a question may add (default 1536; ``--mem-mb`` of the build sets it in
``run_autograder``); ``EECS598_SANDBOX_USER`` the unprivileged user setup creates (empty: none,
the check then uses a bare sandbox uid).
``EECS598_INSTALL`` and ``EECS598_TORCH_INDEX`` are read by ``setup.sh`` (see there).
"""
import argparse
import json
import os
import shutil
import stat
import sys
import time
from pathlib import Path

from .autograder_build import EXPECTED, REPO, AutograderError, build

ROOT_ENV = "EECS598_AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
DEFAULT_SANDBOX_USER = "eecs598-sandbox"
# Gradescope's documented top-level keys; anything else the grader adds goes to extra_data.
TOP_LEVEL_KEYS = ("score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests")


def autograder_root(root=None):
    """The autograder folder: ``root``, else ``$EECS598_AUTOGRADER_ROOT``, else ``/autograder``."""
    return Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT).absolute()


# ------------------------------------------------------------------------------------- setup
def _make_private(top):
    """Root-only: ``top`` and everything below it (owner root, no group/other access)."""
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
            st = os.lstat(name)
            if stat.S_ISLNK(st.st_mode):
                os.unlink(name)  # nothing in the zip is a link; one here could lead elsewhere
                continue
            os.chown(name, 0, 0)
            os.chmod(name, stat.S_IMODE(st.st_mode) & 0o700 | (0o700 if stat.S_ISDIR(st.st_mode) else 0o600))


def _sandbox_user(name):
    """The uid of the unprivileged user ``name``, created (system user, no home, no shell) if needed."""
    import pwd
    import subprocess
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if not useradd:
        raise AutograderError("useradd is not available: cannot create the sandbox user")
    subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, stdout=subprocess.DEVNULL)
    return pwd.getpwnam(name).pw_uid


def _readable_as(uid, paths):
    """The paths of ``paths`` that uid ``uid`` (no groups) can open or list; checked in a child."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover -- the child
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            found = []
            for p in paths:
                try:
                    if os.path.isdir(p):
                        os.listdir(p)
                    else:
                        with open(p, "rb") as f:
                            f.read(1)
                    found.append(str(p))
                except OSError:
                    pass
            os.write(w, json.dumps(found).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        data = f.read()
    os.waitpid(pid, 0)
    return json.loads(data) if data else [str(p) for p in paths]


def setup(root=None, user=None):
    """After the installs (``setup.sh``): make the unpacked zip root-only and prove that neither
    the sandbox user nor a sandbox uid can read the expected values or the grader's files.
    Returns a report dict; raises when the secrets stay readable."""
    from .isolation import strong_available, uid_block
    root = autograder_root(root)
    source = root / "source"
    if not (source / EXPECTED).is_file():
        raise AutograderError(f"{source / EXPECTED} is missing: unpack the autograder zip into {source}")
    report = {"root": str(root), "isolation": "strong" if strong_available() else "weak"}
    if os.geteuid() != 0:
        report["warning"] = ("not root: the expected values cannot be hidden from the sandbox (grading as "
                             "this user also runs student code as this user)")
        print(f"setup: WARNING: {report['warning']}", file=sys.stderr)
        return report
    _make_private(source)
    for folder in (root, root / "results"):  # results.json: written only where no one else can write
        folder.mkdir(mode=0o755, exist_ok=True)
        os.chown(folder, 0, 0)
        os.chmod(folder, 0o755)
    user = os.environ.get("EECS598_SANDBOX_USER", DEFAULT_SANDBOX_USER) if user is None else user
    uids = {"sandbox uid": uid_block()}
    if user:
        uids[f"user {user}"] = _sandbox_user(user)
    probe = [source, source / EXPECTED, source / REPO / "eecs598" / "grading" / "grade.py"]
    for who, uid in uids.items():
        leaked = _readable_as(uid, probe)
        if leaked:
            raise AutograderError(f"{who} (uid {uid}) can still read {leaked}")
    report["checked_uids"] = uids
    print(f"setup: {source} is root-only; checked unreadable by {', '.join(f'{k} ({v})' for k, v in uids.items())}; "
          f"isolation here: {report['isolation']}"
          + ("" if report["isolation"] == "strong" else " (bubblewrap cannot make namespaces in this container: "
             "each question still runs as its own uid with limits)"))
    return report


# --------------------------------------------------------------------------------------- run
def locate_submission(folder):
    """What to grade in Gradescope's submission folder: the folder itself when it holds a module,
    else the single zip in it, else the first sub-folder (depth <= 3, links not followed) that
    holds a module (a student who zipped a folder)."""
    from .grade import MODULES
    folder = Path(folder)
    wanted = {f"{m}.py" for m in MODULES}
    if not folder.is_dir():
        return folder
    names = set(os.listdir(folder))
    if names & wanted:
        return folder
    zips = sorted(n for n in names if n.endswith(".zip") and (folder / n).is_file())
    if len(zips) == 1:
        return folder / zips[0]
    for dirpath, dirnames, filenames in os.walk(folder):
        depth = len(Path(dirpath).relative_to(folder).parts)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and depth < 3)
        if set(filenames) & wanted:
            return Path(dirpath)
    return folder


class NoSandbox:
    """Stands in for the sandbox when a submission holds no module: nothing runs, nothing starts."""

    def __init__(self, mode):
        self.mode = mode

    def spawn(self, *args, **kwargs):
        raise RuntimeError("no sandbox was started: the submission holds no module")

    def describe(self):
        return f"sandbox: not started (no module to run; isolation available: {self.mode})"

    def isolation_report(self):
        return {"level": self.mode, "started": False}


def gradescope_results(results, isolation_note):
    """Gradescope's view of the grader's results: documented top-level keys only (the rest moves
    to ``extra_data``), students' stdout hidden, and the per-question summary -- which would tell
    the hidden tests' outcome before grades are published -- moved into an ``after_published`` entry."""
    extra = dict(results.get("extra_data", {}))
    for key in list(results):
        if key not in TOP_LEVEL_KEYS:
            extra[key] = results[key]
    tests = list(results["tests"])
    if results.get("output"):
        tests.append({"name": "Points per part and question", "score": 0.0, "max_score": 0.0,
                      "output": results["output"], "visibility": "after_published", "tags": ["summary"]})
    return {"score": results["score"], "execution_time": results.get("execution_time", 0),
            "output": isolation_note + "\nPublic tests are shown now; hidden tests (the same functions on "
                      "other inputs) and your total appear when grades are published.",
            "stdout_visibility": "hidden", "extra_data": extra, "tests": tests}


def isolation_note(report):
    """One line for students: which isolation their code ran under."""
    if report.get("started") is False:
        return "None of your code was run: the submission holds none of the graded modules."
    if report.get("level") == "strong":
        return ("Isolation: strong (each question in its own bubblewrap sandbox: own namespaces, read-only "
                "whitelisted filesystem, own unprivileged uid, no network).")
    own_uid = report.get("distinct_uid_per_question")
    private = own_uid and not report.get("expected_values_readable_by_others")
    return ("Isolation: WEAK (bubblewrap cannot create namespaces in this container): each question runs "
            + ("as its own unprivileged uid" if own_uid else "in its own process, as the grader's user")
            + " with memory, process and time limits"
            + (", without network" if report.get("network_isolated") else "")
            + ("; the grader's files are unreadable to it." if private else
               "; WARNING: the grader's files are readable to it (not graded as root)."))


def _failed(err, started):
    import traceback
    return {"score": 0.0, "execution_time": round(time.time() - started, 2), "stdout_visibility": "hidden",
            "output": "The autograder failed on this submission; tell the instructors.",
            "tests": [{"name": "Autograder error", "score": 0.0, "max_score": 0.0, "visibility": "visible",
                       "output": f"{type(err).__name__}: {str(err)[:2000]}"},
                      {"name": "Autograder traceback", "score": 0.0, "max_score": 0.0, "visibility": "hidden",
                       "output": traceback.format_exc()[-5000:]}]}


def run(root=None, isolation=None, questions=None, verbose=True):
    """Grade ``ROOT/submission`` into ``ROOT/results/results.json``; returns the results dict.

    A valid ``results.json`` is written even when grading itself fails (0 points and the error).
    """
    import torch

    from .grade import Reference, grade, read_submission
    from .isolation import detect
    from .output import safe_folder
    from .results import summary, write_results
    from .sandbox import DEFAULT_MEM_MB, Sandbox
    from .support import others_can_reach
    started = time.time()
    root = autograder_root(root)
    source, out = root / "source", root / "results" / "results.json"
    isolation = isolation or os.environ.get("EECS598_ISOLATION") or "auto"
    if questions is None and os.environ.get("EECS598_QUESTIONS"):
        questions = os.environ["EECS598_QUESTIONS"].split()
    if os.geteuid() == 0:  # whatever the harness made: root's alone, before any student code runs
        for folder in (root, out.parent):
            if folder.is_dir() and not folder.is_symlink():
                os.chown(folder, 0, 0)
                os.chmod(folder, stat.S_IMODE(folder.stat().st_mode) & ~0o022)
    safe_folder(out.parent)  # made (or checked) before any student code runs
    try:
        torch.set_num_threads(1)
        reference = Reference(source / REPO, stored=source / EXPECTED)
        submission = locate_submission(root / "submission")
        mem_mb = int(os.environ.get("EECS598_MEM_MB") or DEFAULT_MEM_MB)
        mode = detect(isolation)
        try:
            anything = bool(read_submission(submission)[0])
        except Exception:  # noqa: BLE001 -- grade() reports an unreadable submission
            anything = False
        if not anything:  # no module to run: feedback at once, without starting a sandbox
            raw = grade(submission, NoSandbox(mode), reference, questions)
        else:
            with Sandbox(repo_root=source / REPO, mem_mb=mem_mb, hide=[root / "submission", source],
                         isolation=mode) as sandbox:
                raw = grade(submission, sandbox, reference, questions)
        report = raw.get("extra_data", {}).get("isolation", {})
        report["expected_values_readable_by_others"] = others_can_reach(source / EXPECTED)
        results = gradescope_results(raw, isolation_note(report))
        if verbose:
            print(summary(raw, f"== {submission}"))
    except Exception as err:  # Gradescope needs a results.json whatever happened
        results = _failed(err, started)
        print(results["tests"][1]["output"], file=sys.stderr)
    write_results(results, out)
    if verbose:
        print(f"results written to {out}")
    return results


# -------------------------------------------------------------------------------------- CLI
def add_parser(commands):
    p = commands.add_parser(
        "autograder", help="write the Gradescope autograder zip (expected values included)",
        description="Write the zip to upload as a Gradescope autograder: setup.sh, run_autograder, the grader "
                    "without solutions, and the expected outputs of every public and hidden test (hidden inputs "
                    "from a new secret seed). Needs the solutions and hidden.py. See the README's Gradescope section.")
    p.add_argument("out", metavar="OUT.zip", help="the zip to upload to Gradescope")
    p.add_argument("--force", action="store_true", help="replace an existing OUT.zip")
    p.add_argument("--mem-mb", type=int, default=None,
                   help="memory all processes of a question may add (MB; default 1536): keep it under the "
                        "container's memory (Gradescope's Autograder Settings) minus about 1 GB for the grader")
    return p


def run_cli(args):
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"error: {out} exists (use --force to replace it)", file=sys.stderr)
        return 1
    try:
        build(out, mem_mb=args.mem_mb)
    except AutograderError as err:
        print(f"autograder not written: {err}", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    """``python -m eecs598.grading.autograder setup|run [--root ROOT]``: what the two scripts call."""
    parser = argparse.ArgumentParser(prog="python -m eecs598.grading.autograder", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("setup", "run"):
        p = sub.add_parser(name)
        p.add_argument("--root", default=None, help=f"the autograder folder (default ${ROOT_ENV} or {DEFAULT_ROOT})")
    sub.choices["run"].add_argument("--isolation", choices=("auto", "strong", "weak"), default=None)
    sub.choices["run"].add_argument("--questions", nargs="*", default=None)
    args = parser.parse_args(argv)
    if args.command == "setup":
        try:
            setup(args.root)
        except AutograderError as err:
            print(f"setup failed: {err}", file=sys.stderr)
            return 1
        return 0
    run(args.root, args.isolation, args.questions)
    return 0  # a results.json exists in every case; Gradescope shows it


if __name__ == "__main__":
    sys.exit(main())
