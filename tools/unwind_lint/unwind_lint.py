#!/usr/bin/env python3
"""unwind_lint: C++ objects that a Lua error or yield (a longjmp) would skip.

With Lua's C build, an error (lua_error, luaL_error, a failed luaL_check*, an
error inside lua_call, a metamethod behind lua_getfield...) and every
lua_yield(k) from C longjmp to the nearest lua_pcall / lua_resume. A C++ frame
in between that still holds an object with a destructor (a std::string, a
vector, a guard that restores state) never runs that destructor: a leak, or
state left half-changed. docs/internals.md states the discipline.

The lint reads GCC's own exception tables rather than guessing from the
source. Every project source (runtime/, interpreter/, learn/) is recompiled
from BUILD/compile_commands.json at -O0 with -fdump-tree-optimized-eh-lineno
(dumps are cached in BUILD/unwind-lint/ and redone only when the object file
is newer). A *site* is a call to a function that can raise a Lua error (a Lua
API function, or a project function that reaches one) whose exception
landing pad runs real cleanup code: something would be skipped.

  class A  the call raises in ordinary use (arguments, metamethods, user
           code, yields): always a failure;
  class B  the call raises only on out-of-memory: a failure unless the
           reviewed allowlist (tools/unwind_lint/allowlist.txt) names it
           with a reason.

Only sites in functions reachable from code Lua calls (lua_CFunctions,
continuation functions, callbacks whose address is taken, the loop's
on_events handlers) count. Blind spots: calls through virtual functions,
function pointers and std::function are not followed.

  unwind_lint.py --build BUILD [--source ROOT] [--allowlist FILE]
                 [--known FILE] [--write-known FILE] [--jobs N] [--json OUT]
                 [--dump FILE.opt ...]

--known FILE: sites not fixed yet, counted per (class, function, callee);
a site beyond those counts still fails. This is a ratchet for the migration to
Lua's C build: the file only ever shrinks, to empty.
Exit status: 0 clean, 1 sites left, 2 usage or compilation errors.
"""
import argparse
import collections
import concurrent.futures as cf
import json
import os
import re
import shlex
import subprocess
import sys

PROJECT_DIRS = ('runtime/', 'interpreter/', 'learn/')

# Lua API functions that raise in ordinary use (class A) ...
A_EXACT = {
    'lua_error', 'luaL_error', 'luaL_argerror', 'luaL_typeerror', 'lua_callk',
    'lua_yieldk', 'luaL_tolstring', 'lua_gettable', 'lua_getfield', 'lua_geti',
    'lua_settable', 'lua_setfield', 'lua_seti', 'lua_getglobal', 'lua_setglobal',
    'lua_concat', 'lua_len', 'luaL_len', 'lua_compare', 'lua_arith', 'lua_next',
    'lua_toclose', 'luaL_checkudata', 'luaL_checkstack', 'luaL_checkversion_',
    'luaL_callmeta', 'luaL_requiref', 'luaL_gsub', 'luaL_execresult',
    'luaL_fileresult', 'lua_closeslot',
}
A_PREFIX = ('luaL_check', 'luaL_opt')
# ... and those that raise only when memory runs out (class B).
B_EXACT = {
    'lua_pushstring', 'lua_pushlstring', 'lua_pushfstring', 'lua_pushvfstring',
    'lua_createtable', 'lua_newuserdatauv', 'lua_rawset', 'lua_rawseti',
    'lua_rawsetp', 'luaL_ref', 'lua_pushcclosure', 'lua_newthread',
    'lua_tolstring', 'luaL_traceback', 'luaL_newmetatable', 'luaL_setfuncs',
    'luaL_getmetatable', 'luaL_getsubtable', 'luaL_buffinit', 'luaL_prepbuffsize',
    'luaL_addlstring', 'luaL_addstring', 'luaL_addvalue', 'luaL_pushresult',
    'luaL_pushresultsize', 'luaL_buffinitsize', 'luaL_addgsub', 'lua_settop',
    'lua_setiuservalue', 'luaL_where', 'lua_pushglobaltable', 'lua_xmove',
    'luaL_loadbufferx', 'luaL_loadstring', 'luaL_loadfilex', 'lua_load',
}


def api_class(name):
    if name in A_EXACT or name.startswith(A_PREFIX):
        return 'A'
    if name in B_EXACT:
        return 'B'
    return None


# Cleanup calls that do nothing (empty destructors, the unwinder's own calls).
NOOP_CLEANUP = re.compile(
    r'(__builtin_eh_pointer|__builtin_unwind_resume|__builtin_eh_filter|'
    r'__builtin_eh_copy_values|~allocator|~__new_allocator|~_Alloc_hider|'
    r'~_Vector_impl|~_Tuple_impl|~_Head_base|~__allocated_ptr)\b')

FUNC_HDR = re.compile(r'^;; Function (.*) \((\S+), funcdef_no=')
SIG = re.compile(r'^[\w:<>,*&\s{}()\[\]~.-]+ \(.*\)$')
BB = re.compile(r'^  <bb (\d+)>')
LPLABEL = re.compile(r'^<L\d+>: \[LP (\d+)\]')
STMT_LOC = re.compile(r'^\s*\[([^\]:]+):(\d+):\d+\]\s*(?:\[LP (-?\d+)\]\s*)?(.*)$')
STMT_LP = re.compile(r'^\s*(?:\[[^\]]*\]\s*)?\[LP (-?\d+)\]\s*(.*)$')
CALL = re.compile(r'^(?:[\w.$*]+ = )?(.+?) \(')
GOTO = re.compile(r'goto <bb (\d+)>')
LOCAL_DECL = re.compile(r'^  [^\[\]=(){};]*?[\s*&]([A-Za-z_]\w*)(?:\[\d*\])?;$')
CFUNC_SIG = re.compile(r'^int .*\(struct lua_State \* [\w.]+\)$')
KFUNC_SIG = re.compile(r'^int .*\(struct lua_State \* [\w.]+, int [\w.]+, (lua_KContext|intptr_t|long int) [\w.]+\)$')


# ---------------------------------------------------------------- dumps ----

def dump_sources(build, source, out_dir, jobs, log):
    """Recompiles the project's sources at -O0 with the EH dump; returns the
    dump files. A dump is reused while it is newer than its object file."""
    os.makedirs(out_dir, exist_ok=True)
    entries = json.load(open(os.path.join(build, 'compile_commands.json')))
    todo, dumps = [], []
    for e in entries:
        rel = os.path.relpath(e['file'], source)
        if not rel.startswith(PROJECT_DIRS):
            continue
        dump = os.path.join(out_dir, rel.replace('/', '_') + '.opt')
        dumps.append(dump)
        args = shlex.split(e['command'])
        cmd, obj, skip = [], None, False
        for a in args:
            if skip:
                obj, skip = a, False
                continue
            if a == '-o':
                skip = True
                continue
            if a in ('-O1', '-O2', '-O3', '-Os', '-g') or a.startswith('-fsanitize'):
                continue
            cmd.append(a)
        obj = os.path.join(e['directory'], obj) if obj else None
        fresh = (os.path.exists(dump) and obj and os.path.exists(obj)
                 and os.path.getmtime(dump) >= os.path.getmtime(obj)
                 and os.path.getmtime(dump) >= os.path.getmtime(e['file']))
        if fresh:
            continue
        cmd += ['-O0', '-o', '/dev/null', '-fdump-tree-optimized-eh-lineno=' + dump]
        todo.append((e['directory'], cmd, rel))

    def run(job):
        r = subprocess.run(job[1], cwd=job[0], capture_output=True, text=True)
        return r.returncode, job[2], r.stderr[-2000:]

    failed = 0
    if todo:
        log(f'unwind_lint: compiling {len(todo)} of {len(dumps)} sources with -fdump-tree-optimized-eh-lineno')
    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        for rc, rel, err in ex.map(run, todo):
            if rc:
                failed += 1
                print(f'unwind_lint: could not compile {rel}:\n{err}', file=sys.stderr)
    if failed:
        sys.exit(2)
    return dumps


# -------------------------------------------------------------- parsing ----

class Func:
    def __init__(self, pretty, mangled):
        self.pretty = pretty
        self.mangled = mangled
        self.sig = ''
        self.bbs = {}        # bb -> [(file, line, lp, text)]
        self.order = []
        self.lp_entry = {}   # landing pad number -> bb
        self.files = set()
        self.locals = set()  # names of its local variables (declared before the first bb)


def parse(path):
    funcs, f, cur, in_eh, sig_next = [], None, None, False, False
    with open(path, errors='replace') as fh:
        for raw in fh:
            line = raw.rstrip('\n')
            m = FUNC_HDR.match(line)
            if m:
                f = Func(m.group(1), m.group(2))
                funcs.append(f)
                cur, sig_next, in_eh = None, True, False
                continue
            if f is None:
                continue
            if sig_next and line.strip():
                t = line.strip()
                if SIG.match(t) and not t.startswith(('Merging', 'Before', 'After', 'Eh tree', 'Removing', ';;')) \
                        and ' land:' not in t:
                    f.sig, sig_next = t, False
                    continue
            if line.startswith('Eh tree:'):
                in_eh = True
                continue
            if in_eh:
                if line.startswith('{'):
                    in_eh = False
                continue
            if cur is None and not f.bbs:
                m = LOCAL_DECL.match(line)
                if m:
                    f.locals.add(m.group(1))
                    continue
            m = BB.match(line)
            if m:
                cur = int(m.group(1))
                f.bbs[cur] = []
                f.order.append(cur)
                continue
            if cur is None:
                continue
            m = LPLABEL.match(line)
            if m:
                f.lp_entry[m.group(1)] = cur
                continue
            if line.startswith('}'):
                cur = None
                continue
            s = line.strip()
            if not s or s.startswith(('<L', '//')):
                continue
            m = STMT_LOC.match(line)
            if m:
                fn, ln, lp, text = m.group(1), int(m.group(2)), m.group(3), m.group(4)
            else:
                m2 = STMT_LP.match(line)
                fn, ln = None, None
                lp, text = (m2.group(1), m2.group(2)) if m2 else (None, s)
            if fn:
                f.files.add(fn)
            f.bbs[cur].append((fn, ln, lp, text))
    return funcs


# lua_pushcclosure with no upvalue pushes a light C function: no allocation.
LIGHT_CFUNCTION = re.compile(r'lua_pushcclosure \(.*, 0\);$')
# Placement delete (void*, void*): what a throwing constructor under a
# placement new runs; it does nothing. (Sized delete has a number second.)
PLACEMENT_DELETE = re.compile(r'operator delete \([\w.$]+, (?!\d)[\w.$&>-]+\);$')


def callee_of(text):
    t = re.sub(r'\[[^\]]*\]\s*', '', text)
    m = CALL.match(t)
    if not m:
        return None
    c = m.group(1).strip()
    if c in ('if', 'switch') or c.startswith(('if ', 'goto', 'return', 'switch', '#', 'MEM')) or '=' in c:
        return None
    if c == 'lua_pushcclosure' and LIGHT_CFUNCTION.search(t):
        return None
    return c


def successors(f, bb):
    stmts = f.bbs.get(bb, [])
    succ = [int(g) for st in stmts for g in GOTO.findall(st[3])]
    last = stmts[-1][3] if stmts else ''
    terminal = (last.startswith(('goto', 'return', 'resx', '__builtin_eh_dispatch')) or
                '__builtin_unwind_resume' in last or ' else goto ' in last)
    if not terminal and not succ:
        i = f.order.index(bb)
        if i + 1 < len(f.order):
            succ.append(f.order[i + 1])
    return succ


def cleanup_of(f, lp):
    """What landing pad lp runs before unwinding resumes: ('cleanup'|'catch', calls)."""
    start = f.lp_entry.get(lp)
    if start is None:
        return None, []
    seen, todo, calls, kind = set(), [start], [], 'cleanup'
    while todo:
        b = todo.pop()
        if b in seen:
            continue
        seen.add(b)
        for fn, ln, _, text in f.bbs.get(b, []):
            if '__builtin_eh_dispatch' in text or '__cxa_begin_catch' in text:
                kind = 'catch'
            c = callee_of(text)
            if c and PLACEMENT_DELETE.search(re.sub(r'\[[^\]]*\]\s*', '', text)):
                continue
            if c and not NOOP_CLEANUP.search(c):
                calls.append(c)
            elif not c and 'CLOBBER' not in text \
                    and not text.startswith(('goto', 'return', 'if ', 'else', 'resx')) \
                    and '__builtin' not in text and not re.match(r'^_\d+ = ', text):
                calls.append('<store>')  # e.g. an inlined guard resetting a flag
        todo.extend(successors(f, b))
    return kind, calls


# ------------------------------------------------------------- analysis ----

def analyze(dump_paths, source):
    prefixes = tuple(os.path.join(source, d) for d in PROJECT_DIRS) + PROJECT_DIRS
    funcs = [f for d in dump_paths for f in parse(d)]
    ours = {}
    for f in funcs:  # inline functions of headers appear in several units
        if any(x and x.startswith(prefixes) for x in f.files):
            ours.setdefault(f.mangled, f)
    ours = list(ours.values())
    by_pretty, by_last = collections.defaultdict(list), collections.defaultdict(set)
    for f in ours:
        by_pretty[f.pretty].append(f)
        by_last[f.pretty.split('::')[-1]].add(f.pretty)
    callees = {f.mangled: {c for b in f.order for st in f.bbs[b] for c in [callee_of(st[3])] if c}
               for f in ours}

    # Which project functions raise, transitively (A beats B).
    raises = {}
    for f in ours:
        ks = {api_class(c) for c in callees[f.mangled]}
        raises[f.mangled] = 'A' if 'A' in ks else 'B' if 'B' in ks else None
    changed = True
    while changed:
        changed = False
        for f in ours:
            cur = raises[f.mangled]
            if cur == 'A':
                continue
            for c in callees[f.mangled]:
                for g in by_pretty.get(c, []):
                    k = raises[g.mangled]
                    if k == 'A' or (k == 'B' and cur is None):
                        raises[f.mangled] = cur = k
                        changed = True

    def raise_class(c):
        k = api_class(c)
        if k:
            return k
        ks = {raises[g.mangled] for g in by_pretty.get(c, [])}
        return 'A' if 'A' in ks else 'B' if 'B' in ks else None

    # Roots: what Lua (or the loop) calls.
    cfun = [f for f in ours if CFUNC_SIG.match(f.sig)]
    kfun = [f for f in ours if KFUNC_SIG.match(f.sig)]
    addr = set()
    for f in ours:
        for b in f.order:
            for st in f.bbs[b]:
                m = re.search(r' \((.*)\);$', st[3])
                if not m:
                    continue
                for tok in re.sub(r'\[[^\]]*\]\s*', '', m.group(1)).split(', '):
                    tok = tok.strip().lstrip('&')
                    if tok in by_pretty:
                        addr.add(tok)
                    elif re.match(r'^[A-Za-z_]\w*$', tok) and tok in by_last and tok not in f.locals:
                        # (a local variable of the same name is not the function)
                        addr.update(by_last[tok])
    roots = {f.mangled for f in cfun + kfun}
    roots |= {f.mangled for f in ours if f.pretty.endswith('::on_events')}
    roots |= {g.mangled for n in addr for g in by_pretty[n]}
    reach, todo = set(roots), list(roots)
    while todo:
        for c in callees[todo.pop()]:
            for g in by_pretty.get(c, []):
                if g.mangled not in reach:
                    reach.add(g.mangled)
                    todo.append(g.mangled)

    sites, catches = [], []
    for f in ours:
        if f.mangled not in reach:
            continue
        for b in f.order:
            for fn, ln, lp, text in f.bbs[b]:
                if not lp or lp.startswith('-') or lp == '0':
                    continue
                c = callee_of(text)
                k = raise_class(c) if c else None
                if not k:
                    continue
                kind, cl = cleanup_of(f, lp)
                if kind == 'catch':
                    catches.append(dict(func=f.pretty, file=rel(fn, source), line=ln, callee=c, cls=k))
                elif cl:
                    sites.append(dict(func=f.pretty, file=rel(fn, source), line=ln, callee=c, cls=k,
                                      cleanup=sorted(set(cl))))
    # One site per (function, line, callee): a call is listed once per landing pad otherwise.
    uniq = {}
    for s in sites:
        uniq.setdefault((s['file'], s['line'], s['func'], s['callee']), s)
    return dict(functions=len(ours), cfunctions=len(cfun), kfunctions=len(kfun),
                reachable=len(reach), sites=sorted(uniq.values(), key=lambda s: (s['file'], s['line'])),
                catches=catches)


def rel(path, source):
    if path and os.path.isabs(path):
        return os.path.relpath(path, source)
    return path or '?'


# -------------------------------------------------------------- report ----

def key(s):
    # No file or line: a site keeps its key when code moves between files.
    return f"{s['func']} -> {s['callee']}"


def read_allowlist(path):
    """Lines: `FUNCTION -> CALLEE  # reason`. Returns {key: reason}, errors."""
    allowed, errors = {}, []
    if not path:
        return allowed, errors
    for n, line in enumerate(open(path), 1):
        body, _, reason = line.partition('#')
        body, reason = body.strip(), reason.strip()
        if not body:
            continue
        if not reason:
            errors.append(f'{path}:{n}: an allowlist entry needs a reason after "#": {body}')
        allowed[body] = reason
    return allowed, errors


def read_known(path):
    known = collections.Counter()
    if path and os.path.exists(path):
        for line in open(path):
            line = line.split('#', 1)[0].strip()
            if line:
                cls, rest = line.split(' ', 1)
                count = 1
                m = re.match(r'^(.*) x(\d+)$', rest)
                if m:
                    rest, count = m.group(1), int(m.group(2))
                known[(cls, rest)] += count
    return known


TRAMPOLINES = ('luasync::trampoline<', 'luasync::ktrampoline<')


def report(res, allowlist, known_path, write_known):
    allowed, errors = read_allowlist(allowlist)
    used = set()
    left = []
    for s in res['sites']:
        k = key(s)
        if k in allowed:
            used.add(k)
            if s['cls'] == 'A':
                errors.append(f"{allowlist}: {k}: raises in ordinary use (class A): "
                              f"it must be fixed, an allowlist cannot excuse it")
            continue
        left.append(s)
    for k in sorted(set(allowed) - used):
        errors.append(f'{allowlist}: stale entry (no such site any more, remove it): {k}')

    counts = collections.Counter((s['cls'], key(s)) for s in left)
    if write_known:
        with open(write_known, 'w') as out:
            out.write('# Unwind-lint sites not fixed yet (tools/unwind_lint/unwind_lint.py --write-known).\n'
                      '# A ratchet: the lint fails on any site beyond these counts. Only ever remove lines.\n')
            for (cls, k), n in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
                out.write(f'{cls} {k}' + (f' x{n}' if n > 1 else '') + '\n')
    known = read_known(known_path)
    new = []
    budget = collections.Counter(known)
    for s in left:
        kk = (s['cls'], key(s))
        if budget[kk] > 0:
            budget[kk] -= 1
        else:
            new.append(s)
    fixed = sum(budget.values())

    by_func = collections.defaultdict(list)
    for s in left:
        by_func[(s['file'], s['func'])].append(s)
    for (file, func), ss in sorted(by_func.items()):
        cleanup = sorted({c for s in ss for c in s['cleanup']})
        print(f'{file}: {func}: {len(ss)} raising call(s) while these are live: {", ".join(cleanup)}')
        for s in ss:
            mark = '  NEW' if s in new else ''
            print(f"  {s['file']}:{s['line']}: {s['callee']} (class {s['cls']}){mark}")
    for c in res['catches']:
        if c['func'].startswith(TRAMPOLINES):
            continue  # by design: the catch is for C++ exceptions only
        print(f"note: {c['file']}:{c['line']}: {c['func']}: a catch around {c['callee']} "
              f"never runs when Lua longjmps", file=sys.stderr)
    for e in errors:
        print('error: ' + e, file=sys.stderr)
    na = sum(1 for s in left if s['cls'] == 'A')
    print(f"unwind_lint: {len(left)} site(s) ({na} class A, {len(left) - na} class B) in "
          f"{len(by_func)} function(s), {len(used)} allowlisted; "
          f"{res['cfunctions']} lua_CFunctions, {res['kfunctions']} continuation functions, "
          f"{res['reachable']} functions reachable from Lua", file=sys.stderr)
    if known_path:
        print(f'unwind_lint: {len(new)} site(s) not in {os.path.basename(known_path)} (marked NEW); '
              f'{fixed} of its entries are fixed now (remove them with --write-known)', file=sys.stderr)
        if new:
            print('unwind_lint: fix the NEW sites (docs/internals.md, the error discipline): end the '
                  'objects\' scope before the call, or keep the state in a to-be-closed userdata; '
                  'an out-of-memory-only (class B) site that cannot be fixed goes in the allowlist '
                  'with its reason', file=sys.stderr)
        return 1 if new or errors else 0
    return 1 if left or errors else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', help='build directory with compile_commands.json')
    ap.add_argument('--source', default=os.getcwd(), help='project root (default: .)')
    ap.add_argument('--allowlist')
    ap.add_argument('--known', help='ratchet file of sites not fixed yet')
    ap.add_argument('--write-known', help='write the sites left to this file')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--json', help='write the analysis here')
    ap.add_argument('--dump', nargs='*', default=[], help='analyze these .opt dumps instead of --build')
    a = ap.parse_args()
    source = os.path.abspath(a.source)
    if a.dump:
        dumps = a.dump
    elif a.build:
        dumps = dump_sources(a.build, source, os.path.abspath(os.path.join(a.build, 'unwind-lint')), a.jobs,
                             lambda m: print(m, file=sys.stderr))
    else:
        ap.error('--build or --dump is required')
    res = analyze(dumps, source)
    if a.json:
        with open(a.json, 'w') as out:
            json.dump(res, out, indent=1)
    sys.exit(report(res, a.allowlist, a.known, a.write_known))


if __name__ == '__main__':
    main()
