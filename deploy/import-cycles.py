#!/usr/bin/env python3
"""Print the import circles between the files of one Rust crate.

Usage: import-cycles.py CRATE/src [--graph]

Every `use crate::..`, `use super::..`, `use self::..`, `use child::..` (braces and nesting
included) and every inline path `crate::a::b`, `super::a` or `child::f` (a declared child
module) in code is resolved to the file that defines the module
it names; a path through a `pub use` re-export is followed to the file the item comes from.
A parent declaring its children (`mod x;`) is not an import; a child using its parent's items
is. Inline `mod tests { use super::*; }` resolves to the file itself and is ignored.

Prints each circle as `a.rs -> b.rs -> a.rs` and exits 1 when there is one (0 otherwise);
`--graph` also prints every file's imports.
"""
import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """Blank out comments, string and char literals, keeping line structure."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    out.append("\n" if text[i] == "\n" else "")
                    i += 1
        elif re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not re.match(r"[A-Za-z0-9_]", text[i - 1])):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            end = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x..'", text[i:i + 12]):
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x..'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_files(src):
    """Map module path (tuple) -> file path, following `mod x;` declarations from lib/main."""
    files = {}

    def visit(path, mod):
        files[mod] = path
        text = strip_comments_and_strings(open(path, encoding="utf-8").read())
        base = os.path.dirname(path)
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem not in ("lib", "main", "mod"):
            base = os.path.join(base, stem)
        for m in re.finditer(r"(?m)^\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", text):
            name = m.group(1)
            for cand in (os.path.join(base, name + ".rs"), os.path.join(base, name, "mod.rs")):
                if os.path.exists(cand):
                    visit(cand, mod + (name,))
                    break

    for root in ("lib.rs", "main.rs"):
        p = os.path.join(src, root)
        if os.path.exists(p) and () not in files:
            visit(p, ())
    return files


def split_top(s):
    """Split a use-tree list on commas that are not inside braces."""
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def expand_use_tree(tree, prefix=()):
    """Yield (path tuple, alias) for each leaf of a use tree."""
    tree = re.sub(r"\s+", " ", tree).strip()
    if not tree:
        return
    if tree.startswith("::"):
        tree = tree[2:]
    brace = tree.find("{")
    if brace >= 0 and tree.endswith("}"):
        head = [p for p in tree[:brace].strip().rstrip(":").split("::") if p.strip()]
        for part in split_top(tree[brace + 1:-1]):
            yield from expand_use_tree(part, prefix + tuple(x.strip() for x in head))
        return
    alias = None
    m = re.match(r"(.*)\s+as\s+(" + IDENT + r")$", tree)
    if m:
        tree, alias = m.group(1), m.group(2)
    segs = tuple(x.strip() for x in tree.split("::") if x.strip())
    full = prefix + segs
    if full and full[-1] == "self":
        full = full[:-1]
    if full:
        yield full, alias or full[-1]


def inline_mod_scopes(text):
    """Return a list of (start, end, name) for inline `mod name { .. }` blocks."""
    scopes = []
    for m in re.finditer(r"\bmod\s+(" + IDENT + r")\s*\{", text):
        depth, j = 1, m.end()
        while j < len(text) and depth:
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
            j += 1
        scopes.append((m.start(), j, m.group(1)))
    return scopes


def module_at(mod, scopes, pos):
    inner = tuple(name for start, end, name in sorted(scopes) if start <= pos < end)
    return mod + inner


def absolute(path, cur):
    """Resolve crate::/super::/self:: to an absolute module path; None for other crates."""
    if path[0] == "crate":
        return path[1:]
    if path[0] in ("super", "self"):
        base = list(cur)
        i = 0
        while i < len(path) and path[i] in ("super", "self"):
            if path[i] == "super":
                if not base:
                    return None
                base.pop()
            i += 1
        return tuple(base) + path[i:]
    return None


def parse(files):
    """Per module: list of (absolute path, position) it references, and its re-exports."""
    refs, reexports = {}, {}
    for mod, path in files.items():
        text = strip_comments_and_strings(open(path, encoding="utf-8").read())
        scopes = inline_mod_scopes(text)
        found = []
        use_spans = []
        for m in re.finditer(r"(?s)\b((?:pub(?:\s*\([^)]*\))?\s+)?)use\s+([^;]*);", text):
            use_spans.append((m.start(), m.end()))
            cur = module_at(mod, scopes, m.start())
            for leaf, alias in expand_use_tree(m.group(2)):
                if leaf[-1] == "*":
                    target = absolute(leaf[:-1], cur)
                    if target is not None:
                        found.append((target, m.start(), cur))
                    continue
                target = absolute(leaf, cur)
                if target is None:
                    # `use x::y` where x is a child module of the current one
                    if leaf[0] in {k[len(cur)] for k in files if len(k) > len(cur) and k[:len(cur)] == cur}:
                        target = cur + leaf
                    else:
                        continue
                found.append((target, m.start(), cur))
                if m.group(1).strip() and cur == mod:
                    reexports.setdefault(mod, {})[alias] = target
        for m in re.finditer(r"(?<![A-Za-z0-9_:])(" + IDENT + r")((?:::" + IDENT + r")+)", text):
            if any(s <= m.start() < e for s, e in use_spans):
                continue
            cur = module_at(mod, scopes, m.start())
            path = tuple(m.group(0).split("::"))
            if path[0] in ("crate", "super", "self"):
                target = absolute(path, cur)
            elif cur + (path[0],) in files:
                # `child::item` in a parent names its child module
                target = cur + path
            else:
                continue
            if target is not None:
                found.append((target, m.start(), cur))
        refs[mod] = found
    return refs, reexports


def resolve(target, files, reexports, seen=()):
    """The file (module path) that defines what `target` names, following re-exports."""
    for k in range(len(target), -1, -1):
        mod = target[:k]
        if mod in files:
            rest = target[k:]
            if rest and mod in reexports and rest[0] in reexports[mod] and (mod, rest[0]) not in seen:
                via = reexports[mod][rest[0]] + rest[1:]
                return resolve(via, files, reexports, seen + ((mod, rest[0]),))
            return mod
    return ()


def graph(src):
    files = module_files(src)
    refs, reexports = parse(files)
    edges = {}
    for mod, found in refs.items():
        for target, _pos, cur in found:
            dest = resolve(target, files, reexports)
            # a file's own inline modules (tests) using it are not an edge
            if dest == mod:
                continue
            edges.setdefault(mod, set()).add(dest)
    rel = {m: os.path.relpath(p, src) for m, p in files.items()}
    return {rel[m]: {rel[d] for d in ds} for m, ds in edges.items()}, sorted(rel.values())


def cycles(edges):
    """Strongly connected components with more than one file, then one circle through each."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
    nodes = set(edges) | {d for ds in edges.values() for d in ds}
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            strong(v)
    circles = []
    for comp in comps:
        members = set(comp)
        for start in comp:
            for nxt in sorted(edges.get(start, ())):
                if nxt in members:
                    path = shortest(edges, nxt, start, members)
                    if path:
                        circles.append([start] + path)
    unique, seen = [], set()
    for c in circles:
        key = frozenset(zip(c, c[1:]))
        if key not in seen:
            seen.add(key)
            unique.append(c)
    return comps, unique


def shortest(edges, a, b, members):
    from collections import deque
    prev, q = {a: None}, deque([a])
    while q:
        v = q.popleft()
        if v == b:
            path = []
            while v is not None:
                path.append(v)
                v = prev[v]
            return path[::-1]
        for w in sorted(edges.get(v, ())):
            if w in members and w not in prev:
                prev[w] = v
                q.append(w)
    return None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    edges, all_files = graph(args[0])
    if "--graph" in sys.argv:
        for f in all_files:
            print(f"{f}: {' '.join(sorted(edges.get(f, ()))) or '-'}")
    comps, circles = cycles(edges)
    for comp in comps:
        print(f"circle among {len(comp)} files: {' '.join(comp)}")
    for c in circles:
        print("  " + " -> ".join(c))
    if not comps:
        print(f"no import circles among {len(all_files)} files")
    return 1 if comps else 0


if __name__ == "__main__":
    sys.exit(main())
