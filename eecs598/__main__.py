"""Command line: ``python -m eecs598 run [NOTEBOOK ...] [--fast] [--out DIR]``,
``python -m eecs598 grade SUBMISSION [--out results.json]``, ``python -m eecs598 release OUT/`` and
``python -m eecs598 autograder OUT.zip`` (the Gradescope autograder)."""
import argparse
import sys

from . import run_notebooks


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m eecs598", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute the notebooks and write their artifacts")
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                     help=f"notebook names (default: all present): {', '.join(run_notebooks.NOTEBOOKS)}")
    run.add_argument("--fast", action="store_true", help="smallest sizes (EECS598_FAST=1), for smoke tests")
    run.add_argument("--out", default="outputs", help="folder for executed notebooks and artifacts")
    run.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell")

    from .grading import cli as grading_cli
    grading_cli.add_parser(commands)
    rel = commands.add_parser("release", help="write the student release (solutions stripped) to OUT")
    rel.add_argument("out", metavar="OUT", help="folder for the release (must be empty unless --force)")
    rel.add_argument("--force", action="store_true", help="replace a non-empty OUT")

    from .grading import autograder
    autograder.add_parser(commands)

    args = parser.parse_args(argv)
    if args.command == "run":
        return run_notebooks.run(args.notebooks, args.out, args.fast, args.timeout)
    if args.command == "grade":
        return grading_cli.run(args)
    if args.command == "release":
        from .release import ReleaseError, release
        try:
            release(args.out, force=args.force)
        except ReleaseError as err:
            print(f"release failed: {err}", file=sys.stderr)
            return 1
        return 0
    if args.command == "autograder":
        return autograder.run_cli(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
