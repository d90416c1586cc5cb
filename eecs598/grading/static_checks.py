"""Checks on a submitted module's source text, run in the trusted grader (the code is parsed,
never run here).

``no_loop:FN`` -- "FN has no Python loop" (the TODO of ``tv_loss``: "Your implementation should be
vectorized and not require any loops!"). Reading FN's own text is not enough: a one-line FN that
calls a looping helper loops too. So the check follows everything FN can reach inside the module
-- module-level functions, lambdas, classes and their methods (``self.helper``), nested
definitions, aliases (``g = f``, ``h = functools.partial(f, ...)``) and names merely passed
around (``torch.vmap(helper)``) -- and counts as a loop:

* ``for`` / ``while`` statements and every comprehension or generator expression;
* ``map``, ``filter`` and ``functools.reduce`` / ``reduce``, which loop in Python;
* recursion (a reachable function that can reach itself).

Code the grader cannot read statically fails with its own message: ``exec``, ``eval``,
``compile``, ``__import__``, ``importlib``, ``globals()`` / ``locals()`` / ``vars()`` and
``getattr`` / ``setattr`` with a name that is not a string literal. The check is deliberately
conservative: anything reachable counts, even a branch that never runs.
"""
import ast

LOOP_CALLS = {"map": "map()", "filter": "filter()", "reduce": "functools.reduce()"}
DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars"}
DYNAMIC_MODULES = {"importlib"}
DYNAMIC_ATTRS = {"__globals__", "__dict__", "__builtins__", "__code__", "__closure__"}
_LOOP_NODES = {ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop",
               ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
               ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression"}


def static_check(check, source):
    """Run the static check named ``check`` (e.g. ``"no_loop:tv_loss"``) on ``source``.

    Returns None when it passes, else a message for the student.
    """
    kind, _, fn = check.partition(":")
    if kind == "no_loop":
        return no_loop(source, fn)
    raise ValueError(f"unknown static check {check!r}")


def no_loop(source, fn):
    """None when ``fn`` (and everything it reaches in the module) runs no Python loop."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return f"the file does not parse (line {err.lineno}): {err.msg}"
    defs = _module_bindings(tree)
    if fn not in defs:
        return f"{fn} not found"
    seen, order = set(), []
    stack = [(fn, None)]
    edges = {}
    while stack:  # breadth of everything reachable from fn, remembering who reached whom
        name, parent = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        order.append((name, parent))
        refs = edges.setdefault(name, set())
        for node in defs[name]:
            problem = _own_problem(node, defs, refs)
            if problem:
                return _message(fn, name, parent, problem, order)
        for ref in sorted(refs):
            stack.append((ref, name))
    cycle = _find_cycle(edges)
    if cycle:
        path = " -> ".join(cycle)
        return f"{fn} uses recursion ({path}), which is a Python loop; vectorise it"
    return None


# ----------------------------------------------------------------------------------- internals
def _module_bindings(tree):
    """name -> AST nodes that define it at module level (defs, classes, assigned expressions).

    Class methods are also bound as ``Class.method``. A name bound several times keeps every
    binding (the check is conservative: any of them may be the one that runs).
    """
    defs = {}

    def bind(name, node):
        defs.setdefault(name, []).append(node)

    for node in tree.body:
        for stmt in _flatten_blocks(node):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bind(stmt.name, stmt)
            elif isinstance(stmt, ast.ClassDef):
                bind(stmt.name, stmt)
                for item in stmt.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        bind(f"{stmt.name}.{item.name}", item)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    for name_node in ast.walk(target):
                        if isinstance(name_node, ast.Name) and stmt.value is not None:
                            bind(name_node.id, stmt.value)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    bind((alias.asname or alias.name).split(".")[0], stmt)
    return defs


def _flatten_blocks(node):
    """Module-level statements, looking inside if/try/with blocks (``if TORCH2: def f ...``)."""
    if isinstance(node, (ast.If, ast.Try, ast.With)):
        for field in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, field, []) or []:
                if isinstance(child, ast.ExceptHandler):
                    for c in child.body:
                        yield from _flatten_blocks(c)
                else:
                    yield from _flatten_blocks(child)
    else:
        yield node


def _own_problem(node, defs, refs):
    """First loop or dynamic construct inside ``node`` (str), collecting module names it uses."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        modules = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        if any(m.split(".")[0] in DYNAMIC_MODULES for m in modules):
            return f"imports importlib (line {node.lineno}): the grader cannot follow dynamic imports"
        if isinstance(node, ast.ImportFrom) and node.module == "functools" and any(a.name == "reduce" for a in node.names):
            return f"functools.reduce (line {node.lineno}), which loops in Python"
        return None
    class_name = node.name if isinstance(node, ast.ClassDef) else None
    body = [node] if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
        else node.body  # skip decorators and default values: they run when the module is imported
    for top in body:
        for sub in ast.walk(top):
            kind = _LOOP_NODES.get(type(sub))
            if kind:
                return f"{kind} (line {sub.lineno})"
            if isinstance(sub, ast.Call):
                problem = _call_problem(sub)
                if problem:
                    return problem
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id in defs:
                refs.add(sub.id)
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                owner = sub.value.id
                if owner == "functools" and sub.attr == "reduce":
                    return f"functools.reduce (line {sub.lineno}), which loops in Python"
                if owner in DYNAMIC_MODULES:
                    return f"importlib (line {sub.lineno}): the grader cannot follow dynamic imports"
                if owner in ("self", "cls"):
                    owner = class_name or _enclosing_class(node, defs)
                if owner and f"{owner}.{sub.attr}" in defs:
                    refs.add(f"{owner}.{sub.attr}")
            if isinstance(sub, ast.Attribute):
                if sub.attr in DYNAMIC_ATTRS:
                    return (f"{sub.attr} (line {sub.lineno}): the grader cannot check code reached "
                            f"through it; call the function directly")
                if sub.attr in defs:  # e.g. sys.modules[__name__].helper: follow it all the same
                    refs.add(sub.attr)
    return None


def _enclosing_class(method, defs):
    for name, nodes in defs.items():
        for node in nodes:
            if isinstance(node, ast.ClassDef) and method in node.body:
                return name
    return None


def _call_problem(call):
    func = call.func
    name = func.id if isinstance(func, ast.Name) else None
    if name in LOOP_CALLS:
        return f"{LOOP_CALLS[name]} (line {call.lineno}), which loops in Python"
    if name in DYNAMIC_CALLS:
        return (f"{name}() (line {call.lineno}): the grader cannot check code built at run time; "
                f"write it out")
    if name in ("getattr", "setattr", "delattr", "hasattr") and len(call.args) >= 2:
        attr = call.args[1]
        if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
            return (f"{name}() with a computed name (line {call.lineno}): the grader cannot see "
                    f"which function runs; call it directly")
    return None


def _find_cycle(edges):
    """A list of names forming a cycle in the reference graph, or None."""
    state, path = {}, []

    def visit(name):
        state[name] = "open"
        path.append(name)
        for nxt in sorted(edges.get(name, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[name] = "done"
        return None

    for name in list(edges):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def _message(fn, name, parent, problem, order):
    where = ""
    if name != fn:
        chain = [name]
        parents = dict(order)
        while parents.get(chain[-1]):
            chain.append(parents[chain[-1]])
        where = f" in {name} (reached via {' <- '.join(chain)})"
    if "grader cannot" in problem:
        head, _, why = problem.partition(": ")
        return f"{fn} uses {head}{where}: {why}"
    return f"{fn} uses {problem}{where}; vectorise it (no Python loops)"
