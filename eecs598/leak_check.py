"""Does a student release give a solution away? Two checks on meaning, not text.

(a) **AST comparison** (:func:`ast_leaks`). Every statement inside a solution region (solution
    modules and notebooks of the repository) is normalised -- names renamed in order of first use
    (``v0, v1, ...``; variables, arguments, function names), numbers to ``0``, strings to ``''``;
    attribute and keyword names stay, they carry the API calls -- and compared with every statement
    (at every nesting depth) of every released ``.py`` file and notebook code cell. Trivial
    statements are not secrets: those with fewer than :data:`MIN_NODES` AST nodes (``pass``,
    ``x = 0``, ``return loss``, ``loss.backward()``), and "plumbing" whatever its size: imports,
    ``global``, bare/name/constant returns, and assignments or expressions whose value is only
    names, constants and attributes of names (``N, C, H, W = x.shape``) or one call of a bare name
    with such arguments (``acc = check_accuracy(model, loader)``). A region statement that its own
    file also has outside the regions is provided code (the stub ships it), no secret; released
    statements reviewed and accepted as harmless overlaps are listed in :data:`ACCEPTED`.

(b) **Behaviour** (:mod:`eecs598.leak_behaviour`, in a subprocess with a timeout): every released
    callable that accepts a graded function's public-test arguments runs in its place; one that
    passes the grader's own comparison is a leak (details and what cannot be run: that module).

Either finding refuses the release; when (a) finds something, (b) is not run.
"""
import ast
from dataclasses import dataclass, field
from pathlib import Path

from .leak_behaviour import behaviour_leaks, code_cells

BEGIN, END = "# BEGIN " + "SOLUTION", "# END " + "SOLUTION"
MIN_NODES = 8            # statements with fewer AST nodes say nothing about a solution


def region_spans(text):
    """``[(begin_line, end_line)]`` of the regions of ``text`` (1-based marker lines)."""
    spans, begin = [], None
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip() == BEGIN:
            begin = lineno
        elif line.strip() == END and begin is not None:
            spans.append((begin, lineno))
            begin = None
    return spans


@dataclass
class Report:
    leaks: list = field(default_factory=list)       # one line per finding
    unchecked: list = field(default_factory=list)   # what could not be run, and why
    summary: str = ""


# ------------------------------------------------------------------------------- (a) AST check
def _dump(node, names):
    if isinstance(node, list):
        return "[" + ",".join(_dump(n, names) for n in node) + "]"
    if not isinstance(node, ast.AST):
        return repr(node)
    if isinstance(node, ast.Name):
        return names.setdefault(node.id, f"v{len(names)}")
    if isinstance(node, ast.arg):
        return "arg:" + names.setdefault(node.arg, f"v{len(names)}")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (int, float, complex)) and not isinstance(value, bool):
            return "0"
        return "''" if isinstance(value, (str, bytes)) else repr(value)
    fields = []
    for name, value in ast.iter_fields(node):
        if name in ("ctx", "type_comment", "returns", "annotation", "type_params"):
            continue
        if name == "name" and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            value = ast.Name(id=value)
        fields.append(_dump(value, names))
    return f"{type(node).__name__}(" + ",".join(fields) + ")"


def normalise(stmt):
    """The statement's AST as text with names and constants normalised (see the module doc)."""
    return _dump(stmt, {})


def _size(node):
    return sum(1 for n in ast.walk(node) if not isinstance(n, ast.expr_context))


_PLAIN = (ast.Name, ast.Constant, ast.Attribute, ast.Tuple, ast.List, ast.expr_context, ast.keyword)


def _plumbing(value):
    """Only names, constants and attributes of names -- or one call of a bare name with such
    arguments (``acc = check_accuracy(model, loader)``): passing values around, no computation."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return all(_plumbing(a) for a in value.args + [k.value for k in value.keywords])
    return all(isinstance(n, _PLAIN) for n in ast.walk(value))


def trivial(stmt):
    """True for statements that are no secret (the rule in the module docstring)."""
    if _size(stmt) < MIN_NODES:
        return True
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Pass, ast.Break, ast.Continue)):
        return True
    if isinstance(stmt, (ast.Return, ast.Expr)):
        return stmt.value is None or _plumbing(stmt.value)
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        return stmt.value is None or _plumbing(stmt.value)
    return False


def _statements(tree):
    return [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]


def solution_statements(root):
    """``{normalised statement: 'file:line'}`` of the non-trivial statements in solution regions,
    less those that the same file also has outside its regions (provided code: the student's
    stub ships it anyway)."""
    secrets = {}
    for path in sorted(Path(root).glob("*.py")) + sorted(Path(root).glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        if BEGIN not in text:
            continue
        sources = [text] if path.suffix == ".py" else [c for c in code_cells(text) if BEGIN in c]
        found, provided = {}, set()
        for src in sources:
            spans = region_spans(src)
            for stmt in _statements(ast.parse(src)):
                if any(b < stmt.lineno and stmt.end_lineno < e for b, e in spans):
                    if not trivial(stmt):
                        found.setdefault(normalise(stmt), f"{path.name}:{stmt.lineno}")
                elif not any(b < stmt.end_lineno and stmt.lineno < e for b, e in spans):
                    provided.add(normalise(stmt))  # wholly outside the regions
        for key, where in found.items():
            if key not in provided:
                secrets.setdefault(key, where)
    return secrets


# Released statements that do equal a solution statement, reviewed and accepted (file, the
# statement as ``ast.unparse`` writes it, why). Matched exactly: a renamed copy is not accepted.
ACCEPTED = (
    ("eecs598/scene_rendering.py", "x = cos * dx + sin * dy",
     "a rotation of the synthetic scenes; only its shape a*b + c*d matches the LSTM cell update"),
    ("eecs598/grading/probes_captioning.py", "feat = feat.mean(dim=(2, 3))",
     "the grader's stand-in feature extractor pools its map (global average pooling, a standard idiom)"),
    ("pytorch_autograd_and_nn.ipynb",
     "optimizer = optim.SGD(model.parameters(), lr=learning_rate, weight_decay=weight_decay)",
     "the original notebook's own Part III example, which the students are meant to follow"),
    ("pytorch_autograd_and_nn.ipynb",
     "optimizer = optim.SGD(model.parameters(), lr=learning_rate, weight_decay=weight_decay, momentum=momentum, "
     "nesterov=True)",
     "the original notebook's own Part IV example, which the students are meant to follow"),
)


def released_trees(out_dir):
    """``[(label, module AST)]`` of every released ``.py`` file and notebook code cell, and
    ``[(label, reason)]`` for those that do not parse."""
    trees, broken = [], []
    for path in sorted(Path(out_dir).rglob("*")):
        rel = path.relative_to(out_dir).as_posix()
        if path.suffix == ".py":
            sources = [(rel, path.read_text(encoding="utf-8"))]
        elif path.suffix == ".ipynb":
            sources = [(f"{rel} cell {i + 1}", c) for i, c in enumerate(code_cells(path.read_text(encoding="utf-8")))]
        else:
            continue
        for label, src in sources:
            try:
                trees.append((label, ast.parse(src)))
            except SyntaxError as err:
                broken.append((label, f"does not parse: {err}"))
    return trees, broken


def ast_leaks(out_dir, root):
    """``(findings, unparsable)``: released statements equal to a solution statement."""
    secrets = solution_statements(root)
    trees, broken = released_trees(out_dir)
    findings = []
    for label, tree in trees:
        for stmt in _statements(tree):
            if trivial(stmt):
                continue
            where = secrets.get(normalise(stmt))
            if where and not any(label.split(" cell ")[0] == f and ast.unparse(stmt) == s for f, s, _ in ACCEPTED):
                findings.append(f"AST: {label}:{stmt.lineno} is the solution statement of {where}: "
                                f"{ast.unparse(stmt).splitlines()[0][:100]}")
    return findings, broken, len(secrets)


def check(out_dir, root, timeout=600, only=None):
    """Both checks on the release in ``out_dir`` of the repository ``root``."""
    findings, broken, n_secrets = ast_leaks(out_dir, root)
    if findings:  # refused already; the behavioural check would only add time
        b_leaks, unchecked, b_summary = [], [], "not run (the AST comparison refused the release)"
    else:
        b_leaks, unchecked, b_summary = behaviour_leaks(out_dir, root, timeout, only)
    unchecked = [f"{label}: {why}" for label, why in broken] + unchecked
    summary = (f"AST: {n_secrets} solution statements compared with every released statement; "
               f"behaviour: {b_summary}")
    return Report(leaks=findings + b_leaks, unchecked=unchecked, summary=summary)
