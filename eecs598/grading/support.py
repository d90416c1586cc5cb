"""What the sandboxed code may read: a copy of the helper package without the grader's secret
files, and the check of whether other users could still reach a secret in place.
"""
import os
import shutil
import stat
from pathlib import Path

# Files of eecs598/grading that never leave the grader (not copied into the sandbox, not released).
SECRET_FILES = ("hidden.py", "mistakes.py")


def build_support(dest, repo_root):
    """Copy what student modules may import (a4_helper.py, eecs598/ minus secrets) to ``dest``."""
    dest = Path(dest)
    src_pkg = Path(repo_root) / "eecs598"
    for path in src_pkg.rglob("*.py"):
        rel = path.relative_to(src_pkg)
        if rel.parts[0] == "grading" and rel.name in SECRET_FILES:
            continue
        target = dest / "eecs598" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    helper = Path(repo_root) / "a4_helper.py"
    if helper.exists():
        shutil.copyfile(helper, dest / "a4_helper.py")
    for root, _, files in os.walk(dest):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)



def others_can_reach(path):
    """True when a user other than the owner could read ``path`` (every ancestor traversable)."""
    path = Path(path)
    if not path.exists():
        return False
    for anc in list(reversed(path.parents))[1:] + [path]:
        mode = os.stat(anc).st_mode
        if not mode & stat.S_IXOTH and anc != path:
            return False
    return bool(path.stat().st_mode & stat.S_IROTH)

