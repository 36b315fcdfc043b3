"""How long reading an inbound body takes: the pydantic contract against the old Reader.

What it measures
    µs per parse of a ``POST /api/v1/inbound`` body of 1, 12 and 200 lines (distinct
    SKUs, a note), in one process, with ``timeit`` (best of 5 repeats):
    old  ``json.loads`` (as ``request.get_json`` did) then the hand-written ``Reader``
         (``lines()``, ``integer()`` per line, ``text("note")``, ``finish()``), taken
         from the last commit that had it (``git show READER_COMMIT:…``);
    new  ``Inbound.model_validate_json`` (one pass over the bytes) then the check the
         contract leaves to the second pass (a SKU listed twice).
    Neither touches the database. Exits 0 once it has measured; 1 if git cannot give
    the old module.

Usage
    .venv/bin/python bench/contracts.py [--number 2000]
"""

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stockapp.api.reading import Refusal, unique_skus  # noqa: E402
from stockapp.contracts.stock import Inbound  # noqa: E402

READER_COMMIT = "d9e3b2a"  # the parent of the commit that replaced the Reader by contracts
SIZES = (1, 12, 200)


def old_reader():
    """The Reader module as it was, loaded from git into a temporary file."""
    source = subprocess.run(
        ["git", "show", f"{READER_COMMIT}:stockapp/api/schemas.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_schemas.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("stockapp.api.old_schemas", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def body(lines: int) -> bytes:
    return json.dumps(
        {
            "lines": [{"sku": f"A1024-Black-{i}", "qty": i + 1} for i in range(lines)],
            "note": "van 7",
        }
    ).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000)
    number = parser.parse_args().number
    try:
        schemas = old_reader()
    except (subprocess.CalledProcessError, FileNotFoundError) as error:
        print(f"cannot load the old Reader: {error}", file=sys.stderr)
        return 1

    def old(raw: bytes):
        reader = schemas.Reader(json.loads(raw))
        lines = [
            (path, line, reader.integer(line.get("qty"), f"{path}.qty", minimum=1))
            for path, line in reader.lines()
        ]
        note = reader.text("note", max_length=schemas.MAX_NOTE, required=False)
        reader.finish()
        return lines, note

    def new(raw: bytes):
        found = Inbound.model_validate_json(raw)
        refusal = Refusal({})
        unique_skus(refusal, found.lines)
        refusal.finish()
        return found

    print(f"{'lines':>6} {'old µs':>10} {'new µs':>10} {'new/old':>8}")
    for size in SIZES:
        raw = body(size)
        assert len(old(raw)[0]) == len(new(raw).lines) == size
        figures = []
        for parse in (old, new):
            n = max(number // size, 50)
            best = min(timeit.repeat(lambda p=parse, r=raw: p(r), number=n, repeat=5))
            figures.append(best / n * 1e6)
        print(f"{size:>6} {figures[0]:>10.1f} {figures[1]:>10.1f} {figures[1] / figures[0]:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
