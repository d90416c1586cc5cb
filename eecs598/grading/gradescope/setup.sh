#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image (the zip is unpacked
# in /autograder/source). Made by `python -m eecs598 autograder OUT.zip`.
#
# Settings (environment):
#   EECS598_AUTOGRADER_ROOT  the autograder folder (default: the folder above this script's, /autograder)
#   EECS598_INSTALL          auto (default): install only what is missing; always; never
#   EECS598_TORCH_INDEX      extra pip index for torch's CPU-only wheels (grading uses no GPU)
#   EECS598_PYTHON           the interpreter (default python3)
#   EECS598_SANDBOX_USER     the unprivileged user to create (default eecs598-sandbox; empty: none)
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${EECS598_AUTOGRADER_ROOT:-$(dirname "$SRC")}"
INSTALL="${EECS598_INSTALL:-auto}"
PY="${EECS598_PYTHON:-python3}"
TORCH_INDEX="${EECS598_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
export DEBIAN_FRONTEND=noninteractive PYTHONDONTWRITEBYTECODE=1

case "$INSTALL" in auto|always|never) ;; *) echo "EECS598_INSTALL must be auto, always or never" >&2; exit 2;; esac

apt_install() {  # apt-get install "$@", once the package lists are fresh; false when impossible
  command -v apt-get >/dev/null || return 1
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq || return 1; APT_UPDATED=1; fi
  apt-get install -y -qq --no-install-recommends "$@"
}

requirements_met() {  # every line of requirements.txt installed, at its pinned version if pinned
  "$PY" - "$SRC/requirements.txt" <<'PY'
import re, sys
from importlib import metadata
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, pin = re.match(r"([A-Za-z0-9_.\-]+)\s*(?:==\s*(\S+))?", line).groups()
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        sys.exit(f"missing: {name}")
    if pin and have.split("+")[0] != pin:
        sys.exit(f"{name} {have} is not the pinned {pin}")
PY
}

# Python itself (Gradescope's Ubuntu images usually have it)
if ! command -v "$PY" >/dev/null; then
  [ "$INSTALL" = never ] && { echo "no $PY and EECS598_INSTALL=never" >&2; exit 1; }
  apt_install python3 python3-pip python3-dev
fi

# The pinned packages grading imports
if [ "$INSTALL" = always ] || { [ "$INSTALL" = auto ] && ! requirements_met; }; then
  "$PY" -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  # PIP_BREAK_SYSTEM_PACKAGES: the image is this autograder's alone (Ubuntu 24.04 marks its Python as managed)
  PIP_BREAK_SYSTEM_PACKAGES=1 "$PY" -m pip install --no-cache-dir --extra-index-url "$TORCH_INDEX" \
    -r "$SRC/requirements.txt"
  requirements_met
else
  echo "setup: requirements present (EECS598_INSTALL=$INSTALL): nothing installed"
fi

# bubblewrap: the per-question sandbox (used only where the container lets it make namespaces)
if ! command -v bwrap >/dev/null; then
  if [ "$INSTALL" != never ] && apt_install bubblewrap; then :; else
    echo "setup: bubblewrap not installed: grading will run in weak isolation"
  fi
fi

# Root-only source and expected values, the unprivileged user, and a check as that user
cd "$SRC/repo"
exec "$PY" -m eecs598.grading.autograder setup --root "$ROOT"
