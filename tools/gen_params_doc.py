#!/usr/bin/env python3
"""Write the parameter tables of docs/model.md §3.4 from the schema's parameter registry.

Each table sits between marker comments naming its section::

    <!-- params:begin trust -->
    | Config path | Default | ... |
    <!-- params:end -->

and is replaced by :func:`viralsim.config.registry.markdown_table` of that section; the text
around the markers is left as it is. Every section of the registry must have its markers once.

usage: python tools/gen_params_doc.py [--check] [FILE]     (FILE: default docs/model.md)

Without --check the file is rewritten in place when it differs. With --check nothing is
written and the exit status is 1 when the file differs from what would be written. Exit
status 2 for markers that are missing, repeated, unclosed or name an unknown section.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from viralsim.config.registry import SECTIONS, markdown_table  # noqa: E402

DOC = ROOT / "docs" / "model.md"
COMMAND = "python tools/gen_params_doc.py"
_BLOCK = re.compile(r"(<!-- params:begin (?P<section>[\w-]+) -->\n)(?P<body>.*?)(<!-- params:end -->)", re.DOTALL)


class MarkerError(ValueError):
    """Markers that cannot be filled; the message says which and why."""


def generate(text: str) -> str:
    """``text`` with every marked table replaced by the registry's table of its section."""
    seen: list[str] = []

    def fill(match: re.Match) -> str:
        section = match["section"]
        if section not in SECTIONS:
            raise MarkerError(f"unknown section {section!r} in a params:begin marker; sections: {', '.join(SECTIONS)}")
        seen.append(section)
        return f"{match[1]}{markdown_table(section)}\n{match[4]}"

    out = _BLOCK.sub(fill, text)
    if text.count("<!-- params:begin ") != len(seen):
        raise MarkerError("a params:begin marker has no params:end marker after it")
    repeated = sorted({s for s in seen if seen.count(s) > 1})
    if repeated:
        raise MarkerError(f"sections marked more than once: {', '.join(repeated)}")
    missing = [s for s in SECTIONS if s not in seen]
    if missing:
        raise MarkerError(f"no params:begin marker for the sections {', '.join(missing)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DOC, help="Markdown file (default: docs/model.md)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date; write nothing")
    args = parser.parse_args(argv)
    try:
        text = args.file.read_text(encoding="utf-8")
        new = generate(text)
    except (OSError, MarkerError) as exc:
        print(f"gen_params_doc: error: {args.file}: {exc}", file=sys.stderr)
        return 2
    if new == text:
        return 0
    if args.check:
        print(f"{args.file}: the parameter tables differ from the schema; run: {COMMAND}", file=sys.stderr)
        return 1
    args.file.write_text(new, encoding="utf-8")
    print(f"{args.file}: parameter tables rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
