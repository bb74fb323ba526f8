"""Time and peak memory of the rubric spreadsheet import: a real export, and hostile files.

Usage: ``python bench/import_bounds.py [--students 1000] [--criteria 10]
[--database-url postgres://user:pass@host:5432/portal]``

Seeds a course as ``bench/export.py`` does (a scratch SQLite file, or a ``<name>_bench``
PostgreSQL database created and dropped), exports the assignment's spreadsheet, and runs
``import_check`` on: that export unchanged, the export with one edited cell, and the hostile
files of ``tests/gradebook/hostile.py`` (a cell at row 1,048,576 with and without a dimension
saying so, a cell at column XFD, shared strings that unpack to 95 MB). Each line gives the
upload size, the inflated size, the outcome, the wall time and how far the check raised the
process's resident memory above what it held before (Linux: the peak is reset through
``/proc/self/clear_refs`` before each case; freed memory is reused, so it can stay 0) and the
peak of Python allocations during a second, traced run. Figures only; nothing is asserted.
Before the bounds, the row-1,048,576 file took ~75 s and over 3 GB.
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.export import in_scratch_database, seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--criteria", type=int, default=10)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to use")
    args = parser.parse_args()

    in_scratch_database(run, args, prefix="bench-import-")


def inflated(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def memory_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    import openpyxl
    from django.core.management import call_command

    from portal.gradebook import export as spreadsheet
    from portal.gradebook import services as spreadsheet_import
    from tests.gradebook.hostile import (
        GRADES_XML,
        LAST_ROW,
        both,
        cell_at,
        declared,
        rewritten,
        with_shared_strings,
    )

    call_command("migrate", verbosity=0)
    _course, assignment, _instructor, _student = seed(args.students, args.criteria)
    print(f"seeded {args.students} students x {args.criteria} criteria")
    export = spreadsheet.workbook_bytes(spreadsheet.assignment_workbook(assignment))

    def edited() -> bytes:
        wb = openpyxl.load_workbook(io.BytesIO(export))
        wb["Notas"]["H2"], wb["Notas"]["I2"] = 1, "Revisto pelo instrutor."
        return spreadsheet.workbook_bytes(wb)

    far_row = cell_at(f"A{LAST_ROW}")
    cases = {
        "real export, unchanged": lambda: export,
        "real export, one cell edited": edited,
        "cell at row 1048576, declared": lambda: rewritten(
            export, {GRADES_XML: both(far_row, declared(f"A1:XFD{LAST_ROW}"))}
        ),
        "cell at row 1048576, undeclared": lambda: rewritten(export, {GRADES_XML: far_row}),
        "cell at column XFD, undeclared": lambda: rewritten(export, {GRADES_XML: cell_at("XFD2")}),
        "shared strings of 95 MB": lambda: with_shared_strings(export, 95 * 2**20),
    }
    for name, build in cases.items():
        data = build()
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
        before = memory_kb("VmRSS")
        started = time.perf_counter()
        check = spreadsheet_import.import_check(assignment=assignment, data=data)
        seconds = time.perf_counter() - started
        peak = memory_kb("VmHWM") - before
        tracemalloc.start()  # again, traced: the Python objects the check held at its peak
        spreadsheet_import.import_check(assignment=assignment, data=data)
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        outcome = (
            ", ".join(error.id for error in check.errors)
            if check.errors
            else f"accepted, {len(check.changes)} change(s)"
        )
        print(
            f"{name}: {len(data) / 1024:.0f} KB ({inflated(data) / 2**20:.1f} MB inflated); "
            f"{outcome}; {seconds:.2f} s; resident memory +{peak / 1024:.1f} MB, "
            f"Python allocations peak {traced / 2**20:.1f} MB"
        )


if __name__ == "__main__":
    main()
