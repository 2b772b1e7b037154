"""Run every benchmark in benchmarks/ (or those named): python -m benchmarks [names...].

Each writes its JSON to benchmarks/results/. Arguments after ``--`` go to every benchmark.
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv):
    names, rest = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    here = Path(__file__).parent
    available = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [n if n.startswith("bench_") else f"bench_{n}" for n in names] or available
    unknown = [n for n in chosen if n not in available]
    if unknown:
        print(f"unknown benchmarks {unknown}; available: {available}")
        return 2
    for name in chosen:
        print(f"\n===== {name} =====", flush=True)
        importlib.import_module(f"benchmarks.{name}").main(rest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
