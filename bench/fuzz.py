"""The long fuzzing run: the strategies and properties of tests/test_fuzz.py, many more examples.

    python bench/fuzz.py [--examples 20000] [--only articles|feeds] [--seed N]

Without --seed the run is random (new inputs each time); with it, reproducible.  A failure
prints Hypothesis's shrunk example and exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_fuzz


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20_000)
    parser.add_argument("--only", choices=("articles", "feeds"), default=None)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    config = settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    runs = {
        "articles": given(test_fuzz.ARTICLE_FOLDERS)(test_fuzz.articles_give_entries_or_errors),
        "feeds": given(test_fuzz.FEED_BYTES)(test_fuzz.feed_gives_entries_or_feed_format_error),
    }
    failed = False
    for name, run in runs.items():
        if args.only and name != args.only:
            continue
        test = config(run)
        if args.seed is not None:
            test = seed(args.seed)(test)
        started = time.monotonic()
        try:
            test()
        except Exception as exc:
            failed = True
            traceback.print_exc()  # with Hypothesis's notes: the shrunk, falsifying example
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        else:
            print(f"{name}: {args.examples} examples ok in {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
