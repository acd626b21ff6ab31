#!/usr/bin/env python3
"""Prints every import circle between the files of the workspace's crates; exits 1 if any.

A file imports another when it names one of its items through `crate::`, `super::`, `self::`
or a child module, in a `use` (re-exports included) or inline in code, tests included. A
mod.rs (or lib.rs) declaring its children is not an import; a child using its parent's items
is. Usage: deploy/import-cycles.py [--graph] [--within FOLDER] [CRATE_DIR ...] (default: the
workspace members of the Cargo.toml next to deploy/); --within keeps only the files under FOLDER.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def strip_code(text):
    """Blanks comments, strings and char literals, keeping line breaks and braces honest."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif (m := re.compile(r'b?r(#*)"').match(text, i)) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find('"' + m.group(1), m.end())
            i = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and (m := re.compile(r"'(\\.[^']*|[^\\'])'").match(text, i)):
            i = m.end()
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use_tree(tree):
    """`a::{b, c::{d, e as f}, self}` -> [[a, b], [a, c, d], [a, c, e], [a]]."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    paths = []

    def walk(prefix, part):
        if "{" in part:
            head, rest = part.split("{", 1)
            inner = rest[: rest.rfind("}")]
            head_segments = [s for s in head.split("::") if s]
            depth, start = 0, 0
            for k, ch in enumerate(inner + ","):
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                elif ch == "," and depth == 0:
                    piece = inner[start:k]
                    start = k + 1
                    if piece:
                        walk(prefix + head_segments, piece)
        else:
            segments = [s for s in part.split("::") if s]
            while segments and segments[-1] in ("self", "*"):
                segments = segments[:-1]
            paths.append(prefix + segments)

    walk([], tree)
    return paths


class Crate:
    def __init__(self, root_file):
        self.root_file = root_file
        self.modules = {}  # module path tuple -> file
        self.children = {}  # module path tuple -> set of child names
        self.edges = {}  # file -> set of files
        self.sources = {}
        self._load((), root_file)
        for file, text in self.sources.items():
            self._scan_uses(file, text)

    def _child_file(self, file, inline_path, name):
        base = file.parent if file.name in ("mod.rs", "lib.rs", "main.rs") or file == self.root_file else file.with_suffix("")
        base = base.joinpath(*inline_path)
        for candidate in (base / f"{name}.rs", base / name / "mod.rs"):
            if candidate.exists():
                return candidate
        return None

    def _load(self, module, file):
        self.modules[module] = file
        self.children.setdefault(module, set())
        text = strip_code(file.read_text(encoding="utf-8"))
        self.sources[file] = text
        stack = []  # (inline module path relative to file, brace depth at open)
        depth = 0
        for m in re.finditer(r"\bmod\s+(\w+)\s*([;{])|[{}]", text):
            token = m.group(0)
            if token == "{":
                depth += 1
                continue
            if token == "}":
                depth -= 1
                if stack and stack[-1][1] == depth:
                    stack.pop()
                continue
            inline = stack[-1][0] if stack else ()
            name, kind = m.group(1), m.group(2)
            parent = module + inline
            self.children.setdefault(parent, set()).add(name)
            child = parent + (name,)
            if kind == "{":
                self.modules[child] = file
                self.children.setdefault(child, set())
                stack.append((inline + (name,), depth))
                depth += 1
            else:
                child_file = self._child_file(file, inline, name)
                if child_file is not None:
                    self._load(child, child_file)

    def _module_at(self, file, text, offset):
        """The module path of the code at `offset` of `file` (inline modules included)."""
        base = next(m for m, f in self.modules.items() if f == file and all(
            self.modules.get(m[:k]) != file for k in range(len(m))))
        stack, depth = [], 0
        for m in re.finditer(r"\bmod\s+(\w+)\s*\{|[{}]", text[:offset]):
            token = m.group(0)
            if token == "{":
                depth += 1
            elif token == "}":
                depth -= 1
                if stack and stack[-1][1] == depth:
                    stack.pop()
            else:
                stack.append((m.group(1), depth))
                depth += 1
        return base + tuple(name for name, _ in stack)

    def resolve(self, module, segments):
        if not segments:
            return None
        current = list(module)
        first = segments[0]
        if first == "crate":
            current, segments = [], segments[1:]
        elif first in ("super", "self"):
            while segments and segments[0] in ("super", "self"):
                if segments[0] == "super":
                    current = current[:-1]
                segments = segments[1:]
        elif first in self.children.get(tuple(current), ()):
            pass
        else:
            return None  # another crate, the prelude or a name brought in by `use`
        for segment in segments:
            if segment in self.children.get(tuple(current), ()):
                current.append(segment)
            else:
                break
        return self.modules.get(tuple(current))

    def _scan_uses(self, file, text):
        targets = self.edges.setdefault(file, set())
        spans = []
        for m in re.finditer(r"\buse\s+([^;]+);", text):
            module = self._module_at(file, text, m.start())
            spans.append((m.start(), m.end()))
            for path in expand_use_tree(m.group(1)):
                target = self.resolve(module, path)
                if target is not None and target != file:
                    targets.add(target)
        for m in re.finditer(r"(?<![\w:])(\w+)((?:\s*::\s*\w+)+)", text):
            if any(start <= m.start() < end for start, end in spans):
                continue
            segments = [m.group(1)] + [s for s in re.split(r"\s*::\s*", m.group(2)) if s]
            module = self._module_at(file, text, m.start())
            if segments[0] not in ("crate", "super", "self") and segments[0] not in self.children.get(module, ()):
                continue
            target = self.resolve(module, segments)
            if target is not None and target != file:
                targets.add(target)


def strongly_connected(edges):
    index, low, on_stack, stack, result, counter = {}, {}, set(), [], [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            result.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [c for c in result if len(c) > 1]


def one_cycle(edges, component):
    members = set(component)
    start = min(component)
    previous, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges.get(v, ())):
                if w == start:
                    path = [v]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])
                    return [start] + list(reversed(path))[1:] + [start] if len(path) > 1 else [start, v, start]
                if w in members and w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    return component


def crate_roots(crate_dir):
    roots = []
    for name in ("src/lib.rs", "src/main.rs"):
        if (crate_dir / name).exists():
            roots.append(crate_dir / name)
    roots += sorted((crate_dir / "src/bin").glob("*.rs")) if (crate_dir / "src/bin").is_dir() else []
    roots += sorted((crate_dir / "src/bin").glob("*/main.rs")) if (crate_dir / "src/bin").is_dir() else []
    for folder in ("tests", "benches", "examples"):
        if (crate_dir / folder).is_dir():
            roots += sorted((crate_dir / folder).glob("*.rs")) + sorted((crate_dir / folder).glob("*/main.rs"))
    return roots


def workspace_members():
    text = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    members = re.search(r"members\s*=\s*\[([^\]]*)\]", text)
    return [ROOT / m for m in re.findall(r'"([^"]+)"', members.group(1))] if members else [ROOT]


def main(argv):
    show_graph = "--graph" in argv
    within = None
    if "--within" in argv:
        at = argv.index("--within")
        within = Path(argv[at + 1]).resolve()
        argv = argv[:at] + argv[at + 2:]
    dirs = [Path(a) for a in argv if a != "--graph"] or workspace_members()
    found = 0
    for crate_dir in dirs:
        crate_dir = crate_dir.resolve()
        roots = crate_roots(crate_dir) if (crate_dir / "Cargo.toml").exists() else [
            p for p in (crate_dir / "lib.rs", crate_dir / "main.rs", crate_dir / "mod.rs") if p.exists()]
        for root in roots:
            crate = Crate(root)
            if within is not None:
                inside = lambda path: path.is_relative_to(within)
                crate.edges = {f: {t for t in ts if inside(t)} for f, ts in crate.edges.items() if inside(f)}
            if show_graph:
                for file in sorted(crate.edges):
                    for target in sorted(crate.edges[file]):
                        print(f"{file.relative_to(ROOT)} -> {target.relative_to(ROOT)}")
            for component in strongly_connected(crate.edges):
                found += 1
                cycle = one_cycle(crate.edges, component)
                print(f"import circle in {root.relative_to(ROOT)} ({len(component)} files): "
                      + " -> ".join(str(p.relative_to(ROOT)) for p in cycle))
                others = sorted(set(component) - set(cycle))
                if others:
                    print("  also in it: " + ", ".join(str(p.relative_to(ROOT)) for p in others))
    if found:
        print(f"{found} import circle(s)", file=sys.stderr)
        return 1
    print("no import circles")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
