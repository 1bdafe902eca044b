#!/usr/bin/env python3
"""Module dependency listing of a Rust crate's top-level modules, with cycle detection.

Usage: scripts/module-deps.py [--src harness/src] [--check] [--bottom results ...]

Reads every `.rs` file under SRC, assigns it to its top-level module (`src/foo.rs` and
`src/foo/**` belong to `foo`), and records every `crate::<module>` path it names: `use`
lines, `use crate::{a, b::c}` groups, and inline paths in code (`crate::verify::X`), with
comments and string literals removed first. Prints one line per module with what it imports,
then the strongly connected components of more than one module (the cycles).

`--check` exits 1 when there is a cycle, or when a module named with `--bottom` (the data
model layer) imports anything from the crate. CI runs it.
"""

import argparse
import pathlib
import re
import sys

COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
STRING = re.compile(r'r#*"(?:.|\n)*?"#*|"(?:\\.|[^"\\])*"')
CHAR = re.compile(r"'(?:\\.|[^'\\])'")
CRATE_PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
CRATE_GROUP = re.compile(r"\bcrate::\{([^}]*(?:\{[^}]*\}[^}]*)*)\}", re.S)


def top_module(src: pathlib.Path, file: pathlib.Path) -> str:
    rel = file.relative_to(src)
    first = rel.parts[0]
    return first[:-3] if first.endswith(".rs") else first


def strip(text: str) -> str:
    text = COMMENT.sub("", text)
    text = STRING.sub('""', text)
    return CHAR.sub("' '", text)


def imports_of(text: str) -> set[str]:
    found = set(CRATE_PATH.findall(text))
    for group in CRATE_GROUP.findall(text):
        depth = 0
        item = ""
        for ch in group + ",":
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                name = item.strip().split("::")[0].strip()
                if re.fullmatch(r"[a-z_][a-z0-9_]*", name) and name != "self":
                    found.add(name)
                item = ""
            else:
                item += ch
    return found


def graph(src: pathlib.Path) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for file in sorted(src.rglob("*.rs")):
        module = top_module(src, file)
        if module in ("lib", "main"):
            continue
        deps = imports_of(strip(file.read_text()))
        edges.setdefault(module, set()).update(d for d in deps if d != module)
    known = set(edges)
    return {m: {d for d in deps if d in known} for m, deps in edges.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components; returns those with more than one member."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default="harness/src")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--bottom", nargs="*", default=["results"])
    args = parser.parse_args()
    src = pathlib.Path(args.src)
    edges = graph(src)
    width = max(len(m) for m in edges)
    for module in sorted(edges):
        deps = ", ".join(sorted(edges[module])) or "-"
        print(f"{module:<{width}}  -> {deps}")
    found = cycles(edges)
    failed = False
    if found:
        failed = True
        for comp in found:
            print(f"cycle: {' <-> '.join(comp)}")
    else:
        print(f"no cycles among {len(edges)} modules")
    for bottom in args.bottom:
        if edges.get(bottom):
            failed = True
            print(f"layering: `{bottom}` is the data model and must import nothing from the "
                  f"crate, but imports {', '.join(sorted(edges[bottom]))}")
    return 1 if (failed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
