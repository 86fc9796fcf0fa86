#!/usr/bin/env bash
# repl_startup.sh - how fast each REPL is ready: the time from starting it in
# a pseudo-terminal until its prompt appears, and until it has exited after
# Ctrl-D (EOF) is typed at that prompt. Medians over RUNS runs (after WARMUP
# untimed runs), in milliseconds, for luasync, `python3 -m asyncio`, `node`
# and `lua5.4 -i`. Goal (issue 4): luasync under 10 ms, and the fastest.
#
# usage:  bench/repl_startup.sh
# env:    RUNS=20 WARMUP=3  LUASYNC=<repo>/build/luasync  PY=/usr/bin/python3
#         NODE=node  LUA=lua5.4
#
# Each REPL runs in its own pty (80x24, TERM=xterm) with HOME pointing at an
# empty temporary directory, so no history file or rc file of the user is
# read (luasync: LUASYNC_HISTORY in that directory). The prompt is recognized
# at the end of the output once terminal escape sequences are removed:
# "> " (luasync, node, lua5.4) or ">>> " (python). The pty driver is a small
# Python program (the standard pty module); a REPL that does not show its
# prompt within 10 s counts as failed. The CPU column (the child's user+sys
# time for the whole run, from wait4) is less sensitive to a busy machine
# than the wall times.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
LUASYNC=${LUASYNC:-$ROOT/build/luasync}
PY=${PY:-/usr/bin/python3}
NODE=${NODE:-node}
LUA=${LUA:-lua5.4}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
DRIVER_PY=${DRIVER_PY:-$(command -v python3 || echo "$PY")}

HOME_DIR=$(mktemp -d)
trap 'rm -rf "$HOME_DIR"' EXIT

# name|prompt regex|command...
repls=(
  "luasync|> \$|$LUASYNC"
  "python3 -m asyncio|>>> \$|$PY -m asyncio"
  "node|> \$|$NODE"
  "lua5.4 -i|> \$|$LUA -i"
)

"$DRIVER_PY" - "$RUNS" "$WARMUP" "$HOME_DIR" "${repls[@]}" <<'PY'
import os, pty, re, select, shlex, shutil, statistics, struct, sys, termios, fcntl, time

runs, warmup, home = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
specs = [s.split("|", 2) for s in sys.argv[4:]]
ESC = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\r")

def once(argv, prompt):
    env = dict(os.environ, HOME=home, TERM="xterm", LUASYNC_HISTORY=os.path.join(home, "luasync_history"),
               NODE_REPL_HISTORY="", PYTHONSTARTUP="")
    env.pop("INPUTRC", None)
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    buf, t_prompt = b"", None
    deadline = t0 + 10
    while t_prompt is None:
        left = deadline - time.perf_counter()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        buf += data
        if prompt.search(ESC.sub(b"", buf)):
            t_prompt = time.perf_counter()
    if t_prompt is not None:
        os.write(fd, b"\x04")
    while True:  # drain until the child has gone
        if not select.select([fd], [], [], 10)[0]:
            os.kill(pid, 9)
            break
        try:
            if not os.read(fd, 65536):
                break
        except OSError:
            break
    _, _, ru = os.wait4(pid, 0)
    t_end = time.perf_counter()
    os.close(fd)
    if t_prompt is None:
        return None
    return (t_prompt - t0) * 1000, (t_end - t0) * 1000, (ru.ru_utime + ru.ru_stime) * 1000

rows = []
for name, prompt, cmd in specs:
    argv = shlex.split(cmd)
    if not shutil.which(argv[0]):
        rows.append((name, None, None, "not installed"))
        continue
    rx = re.compile(prompt.encode())
    results = []
    for i in range(warmup + runs):
        r = once(argv, rx)
        if r is None:
            results = None
            break
        if i >= warmup:
            results.append(r)
    if not results:
        rows.append((name, None, None, "no prompt"))
        continue
    rows.append((name, statistics.median(r[0] for r in results),
                 statistics.median(r[1] for r in results), statistics.median(r[2] for r in results)))
    print(f"{name}: done", file=sys.stderr)

ok = [r for r in rows if r[1] is not None]
fastest = min(ok, key=lambda r: r[1])[0] if ok else None
print(f"REPL start-up in a pty, median of {runs} runs (ms)\n")
print("| REPL | first prompt | exit after Ctrl-D | CPU (user+sys) | prompt vs fastest |")
print("|---|---:|---:|---:|---:|")
for name, first, total, cpu in rows:
    if first is None:
        print(f"| {name} | {cpu} | | | |")
    else:
        best = min(r[1] for r in ok)
        print(f"| {name} | {first:.1f} | {total:.1f} | {cpu:.1f} | {first / best:.2f}x |")
lu = next((r for r in rows if r[0] == "luasync"), None)
if lu and lu[1] is not None:
    verdict = "PASS" if lu[1] < 10 and fastest == "luasync" else "MISS"
    print(f"\nluasync: {lu[1]:.1f} ms to the prompt (goal: < 10 ms and the fastest): {verdict}")
PY
