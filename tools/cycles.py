"""Pairs of files under src/ that import each other (use paths and crate:: paths in code)."""
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else 'src'
files = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.join(d, f); rel = os.path.relpath(p, root)[:-3].split(os.sep)
            if rel[-1] in ('mod', 'lib', 'main'): rel = rel[:-1]
            files[tuple(rel)] = p
def resolve(mod, path):
    parts = path.split('::')
    if parts[0] == 'crate': cur = []; parts = parts[1:]
    elif parts[0] == 'super':
        cur = list(mod)
        # a mod.rs file's module is its folder; non-mod file's module is itself
        while parts and parts[0] == 'super': cur = cur[:-1]; parts = parts[1:]
    elif parts[0] == 'self': cur = list(mod); parts = parts[1:]
    else:
        cur = list(mod)
        if tuple(cur + [parts[0]]) not in files: return None
    best = tuple(cur) if tuple(cur) in files else None
    for p in parts:
        cur = cur + [p]
        if tuple(cur) in files: best = tuple(cur)
        else: break
    return best
def expand(prefix, body):
    # body of a use tree inside braces
    out = []; depth = 0; cur = ''
    for ch in body:
        if ch == '{': depth += 1
        if ch == '}': depth -= 1
        if ch == ',' and depth == 0: out.append(cur.strip()); cur = ''
        else: cur += ch
    if cur.strip(): out.append(cur.strip())
    res = []
    for o in out:
        m = re.match(r'^([\w:]*?)::?\{(.*)\}$', o, re.S)
        if m: res += expand(prefix + '::' + m.group(1) if m.group(1) else prefix, m.group(2))
        else: res.append(prefix + '::' + o.split(' as ')[0])
    return res
edges = set()
for mod, p in files.items():
    src = open(p).read()
    src = re.sub(r'//[^\n]*', '', src)
    paths = []
    for m in re.finditer(r'\buse\s+([^;]+);', src):
        t = m.group(1).strip().replace('\n', ' ')
        mm = re.match(r'^([\w:]+?)::\{(.*)\}$', t, re.S)
        paths += expand(mm.group(1), mm.group(2)) if mm else [t.split(' as ')[0]]
    paths += re.findall(r'\b((?:crate|super)(?:::\w+)+)', src)
    for path in paths:
        t = resolve(mod, path.strip())
        if t and t != mod and not (len(t) < len(mod) and mod[:len(t)] == t and path.startswith('super')  and False):
            edges.add((mod, t))
pairs = sorted({tuple(sorted((a, b))) for a, b in edges if (b, a) in edges})
for a, b in pairs: print(files[a], '<->', files[b])
print(len(pairs), 'pairs')
