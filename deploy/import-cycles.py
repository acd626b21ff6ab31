#!/usr/bin/env python3
"""Import cycles between the files of one crate: draws the `use` graph and prints every cycle.

An edge a -> b means a.rs names an item or a module that lives in b.rs through a `crate::`,
`super::` or `self::` path, in a `use` tree or inline in an expression (comments and string
literals are skipped; inline `mod x { ... }` blocks such as tests resolve `super::` from
themselves). A path resolves to the file of its longest prefix that is a module. A parent
mod.rs declaring its children (`mod x;`) is not an edge; a child using its parent's items is.
Paths through another crate (`hq_server::...`) and through `pub use` re-exports are taken at
face value: an edge to the re-exporting file, which itself has an edge to the original.

Usage: deploy/import-cycles.py SRC_DIR [--ignore PREFIX]...
Exits 1 when a cycle has a file outside every ignored prefix (relative to SRC_DIR).
Example: deploy/import-cycles.py hq-server/src --ignore store/
"""
import os, re, sys

def strip(text):
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i); i = n if j < 0 else j
        elif text.startswith('/*', i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith('/*', i): depth += 1; i += 2
                elif text.startswith('*/', i): depth -= 1; i += 2
                else: i += 1
        elif c == 'r' and re.match(r'r#*"', text[i:i+10]) and (i == 0 or not (text[i-1].isalnum() or text[i-1] == '_')):
            m = re.match(r'r(#*)"', text[i:]); end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0))); i = n if j < 0 else j + len(end); out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == '\\' else 1
            i += 1; out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i+4]) or (c == "'" and re.match(r"'\\u\{[0-9a-fA-F]+\}'", text[i:i+12])):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:]); i += len(m.group(0)); out.append("' '")
        else:
            out.append(c); i += 1
    return ''.join(out)

TOKEN = re.compile(r'[A-Za-z_][A-Za-z0-9_]*|::|[{}(),;*]|\S')

def modules(src):
    """file path -> module path (list of segments)."""
    files = {}
    for root, _, names in os.walk(src):
        for name in names:
            if not name.endswith('.rs'): continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel in (['lib'], ['main']): mod = []
            elif rel[-1] == 'mod': mod = rel[:-1]
            else: mod = rel
            files[path] = mod
    return files

def parse_use_tree(toks, i, prefix, out):
    """Parses a use tree at toks[i]; appends full paths to out; returns the index after it."""
    path = list(prefix)
    while i < len(toks):
        t = toks[i]
        if t == '{':
            i += 1
            while toks[i] != '}':
                i = parse_use_tree(toks, i, path, out)
                if toks[i] == ',': i += 1
            return i + 1
        if t == '*':
            out.append(path + ['*']); return i + 1
        if re.match(r'[A-Za-z_]', t):
            if t == 'as':
                i += 2; continue
            path.append(t); i += 1
            if i < len(toks) and toks[i] == '::': i += 1; continue
            out.append(path); return i
        out.append(path); return i
    out.append(path); return i

def paths_in(text):
    """(inline-module path, path segments) for every crate/super/self path in a file."""
    toks = TOKEN.findall(strip(text))
    found, stack, depth, i = [], [], 0, 0
    while i < len(toks):
        t = toks[i]
        if t == 'mod' and i + 2 < len(toks) and toks[i + 2] == '{':
            stack.append((toks[i + 1], depth + 1)); depth += 1; i += 3; continue
        if t == '{': depth += 1
        elif t == '}':
            if stack and stack[-1][1] == depth: stack.pop()
            depth -= 1
        inner = [name for name, _ in stack]
        if t == 'use':
            out = []; i = parse_use_tree(toks, i + 1, [], out)
            for p in out:
                if p and p[0] in ('crate', 'super', 'self'): found.append((inner, p))
            continue
        if t in ('crate', 'super', 'self') and i + 1 < len(toks) and toks[i + 1] == '::' and (i == 0 or toks[i - 1] != '::'):
            p, j = [t], i + 1
            while j + 1 < len(toks) and toks[j] == '::' and re.match(r'[A-Za-z_]', toks[j + 1]):
                p.append(toks[j + 1]); j += 2
            if j < len(toks) and toks[j] == '::' and j + 1 < len(toks) and toks[j + 1] == '{':
                out = []; parse_use_tree(toks, j + 1, p, out)
                found.extend((inner, q) for q in out)
            else:
                found.append((inner, p))
            i = j; continue
        i += 1
    return found

def resolve(mod, inner, p):
    here = mod + inner
    segs = list(p)
    if segs[0] == 'crate': base, segs = [], segs[1:]
    else:
        base = list(here)
        while segs and segs[0] in ('super', 'self'):
            if segs[0] == 'super': base = base[:-1]
            segs = segs[1:]
    return base + [s for s in segs if s != '*']

def main():
    args = sys.argv[1:]
    src = args[0]; ignore = [args[k + 1] for k, a in enumerate(args) if a == '--ignore']
    files = modules(src)
    by_mod = {tuple(m): f for f, m in files.items()}
    graph = {f: set() for f in files}
    for f, mod in files.items():
        for inner, p in paths_in(open(f).read()):
            full = resolve(mod, inner, p)
            for k in range(len(full), -1, -1):
                target = by_mod.get(tuple(full[:k]))
                if target is not None: break
            if target and target != f:
                graph[f].add(target)
    # Strongly connected components (Tarjan).
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
        for w in graph[v]:
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: comps.append(sorted(comp))
    for v in sorted(graph):
        if v not in index: visit(v)
    rel = lambda f: os.path.relpath(f, src)
    bad = 0
    for comp in comps:
        outside = [f for f in comp if not any(rel(f).startswith(ig) for ig in ignore)]
        tag = 'CYCLE' if outside else 'cycle (ignored)'
        if outside: bad += 1
        print(f'{tag}: ' + ', '.join(rel(f) for f in comp))
        for f in comp:
            for w in sorted(graph[f] & set(comp)):
                print(f'    {rel(f)} -> {rel(w)}')
    print(f'{len(files)} files, {sum(len(e) for e in graph.values())} edges, {len(comps)} cycles, {bad} outside ignored prefixes')
    sys.exit(1 if bad else 0)

main()
