#!/usr/bin/env bash
# dev.sh: set up, build, run and test luasync on Debian 12.
#
#   ./dev.sh run [ARGS...]   install what is missing, build, start build/luasync ARGS
#                            (no ARGS: the REPL)
#   ./dev.sh test            install what is missing, build, run every test (the
#                            browser tests' npm packages too: tests/browser); then
#                            build again with AddressSanitizer + UndefinedBehaviorSanitizer
#                            (LeakSanitizer on) and run every test again
#   ./dev.sh build           install what is missing and build only
#
# Everything comes from Debian's packages; nothing is downloaded at build time.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake pkg-config
  liblua5.4-dev lua5.4          # Lua 5.4 (the C build: pkg-config lua5.4, liblua5.4.a)
  libuv1-dev                    # the event loop
  libreadline-dev               # REPL line editing
  libcurl4-openssl-dev          # HTTP client
  libh2o-dev libssl-dev         # HTTP server (h2o's libuv build; its headers include OpenSSL's)
  libjansson-dev                # JSON (asyncio.json, response:json())
  libwslay-dev                  # websockets (http.ws_connect, request:upgrade_websocket)
  python3                       # the unwind lint (tools/unwind_lint)
  openssl python3-websockets    # TLS and websocket tests: openssl s_server/s_client, an independent websocket peer
  libseccomp-dev                # the lesson sandbox's system-call filter
  libgtest-dev                  # C++ unit tests
  tmux                          # REPL tests drive a pseudo-terminal
  jq libxml2-utils              # grading tests check the JSON and JUnit reports (jq, xmllint)
  libcmark-dev                  # luasync tour: lesson Markdown to HTML
  libjs-codemirror              # luasync tour: the editor (compiled into the binary)
  chromium                      # browser tests of luasync tour (driven by playwright-core)
)
# Node.js and npm run the browser tests (tests/browser, playwright-core from
# npm, pinned in its package-lock.json). A machine that has them from
# elsewhere (NodeSource) keeps them: Debian's packages would conflict.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "dev.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

jobs() { nproc 2>/dev/null || echo 2; }

build() {  # build DIR [cmake args...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$(jobs)"
}

run_tests() {  # run_tests DIR
  (cd "$1" && ctest --output-on-failure -j"$(jobs)" --timeout 300)
}

# The browser tests' own dependencies (test-only: never at build time),
# exactly as package-lock.json pins them.
browser_test_deps() {
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case $cmd in
  run)
    install_missing
    build build
    exec build/luasync "$@"
    ;;
  build)
    install_missing
    build build
    ;;
  test)
    install_missing
    build build
    browser_test_deps
    run_tests build
    echo "dev.sh: again under AddressSanitizer + UndefinedBehaviorSanitizer" >&2
    build build-asan -DLUASYNC_SANITIZE=ON
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
      run_tests build-asan
    ;;
  *)
    echo "usage: ./dev.sh run [ARGS...] | test | build" >&2
    exit 2
    ;;
esac
