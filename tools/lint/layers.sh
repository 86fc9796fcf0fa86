#!/usr/bin/env bash
# layers.sh RUNTIME_DIR: the layering rule of runtime/ (docs/internals.md).
# Every `#include "..."` of a layer must name a header of that layer or of a
# layer below it, by its bare name:
#   bind/     nothing of the project
#   core/     core/, bind/
#   io/       io/, core/, bind/
#   observe/  observe/, core/, bind/
# The build enforces the same through include directories; this check also
# catches paths such as "../io/tcp.h" that include directories do not stop.
set -euo pipefail
rt=${1:?usage: layers.sh RUNTIME_DIR}
declare -A allowed=(
  [bind]="bind"
  [core]="core bind"
  [io]="io core bind"
  [observe]="observe core bind"
)
bad=0
for layer in "${!allowed[@]}"; do
  while IFS= read -r -d '' f; do
    while IFS= read -r inc; do
      ok=0
      if [[ $inc != */* ]]; then
        for d in ${allowed[$layer]}; do
          [ -f "$rt/$d/$inc" ] && ok=1
        done
      fi
      if [ $ok -eq 0 ]; then
        echo "${f#$rt/}: #include \"$inc\": not a header of ${allowed[$layer]// /, }" >&2
        bad=1
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done < <(find "$rt/$layer" -name '*.h' -print0 -o -name '*.cpp' -print0)
done
[ $bad -eq 0 ] && echo "layers: every include of runtime/{bind,core,io,observe} respects the layering"
exit $bad
