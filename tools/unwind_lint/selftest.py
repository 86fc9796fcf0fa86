#!/usr/bin/env python3
"""selftest.py CXX [CXXFLAGS...]: the unwind lint finds exactly the sites that
testdata/runtime/hazards.cpp marks "expect: A" / "expect: B"."""
import json, os, re, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, 'testdata')
src = os.path.join(data, 'runtime', 'hazards.cpp')
expected = set()
for n, line in enumerate(open(src), 1):
    m = re.search(r'// expect: ([AB])$', line)
    if m:
        expected.add((n, m.group(1)))
with tempfile.TemporaryDirectory() as tmp:
    dump = os.path.join(tmp, 'hazards.opt')
    subprocess.run(sys.argv[1:2] + ['-std=c++20', '-O0', '-c', '-o', '/dev/null', src,
                    '-fdump-tree-optimized-eh-lineno=' + dump] + sys.argv[2:], check=True)
    out = os.path.join(tmp, 'res.json')
    r = subprocess.run([sys.executable, os.path.join(here, 'unwind_lint.py'), '--source', data,
                        '--dump', dump, '--json', out], capture_output=True, text=True)
    res = json.load(open(out))
found = {(s['line'], s['cls']) for s in res['sites'] if s['file'] == 'runtime/hazards.cpp'}
ok = True
for n, c in sorted(expected - found):
    print(f'missed: hazards.cpp:{n} (class {c})'); ok = False
for n, c in sorted(found - expected):
    print(f'false report: hazards.cpp:{n} (class {c})'); ok = False
if r.returncode != 1:
    print(f'exit status {r.returncode}, expected 1 (sites left)'); ok = False
print(f'{len(found & expected)} of {len(expected)} expected sites found')
sys.exit(0 if ok else 1)
