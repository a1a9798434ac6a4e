#!/usr/bin/env bash
# Instructions per call of each version of the chain, counted by callgrind: exact and
# repeatable, whatever else the machine is doing. For each version and path, the
# benchmark binary runs N calls and 0 calls; the difference over N is one call's cost
# (start-up cancels out).
#
#   scripts/instructions.sh            # N = 200000
#   N=1000000 scripts/instructions.sh
#   FEATURES=tracing scripts/instructions.sh   # the cost of the `tracing` feature, no subscriber
#   FEATURES=tokio scripts/instructions.sh     # and the timed chain against its twin
#   FEATURES=tokio,stream scripts/instructions.sh  # and a stream chain's cost per item
#
# Needs valgrind (`apt-get install valgrind`).
set -euo pipefail
export LC_NUMERIC=C # printf's decimal point
cd "$(dirname "$0")/.."

N="${N:-200000}"
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }

build() { # the benchmark binary's path (extra environment for cargo: "$@")
  env "$@" cargo bench --bench instructions --no-run ${FEATURES:+--features "$FEATURES"} --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])'
}
binary=$(build)

count() { # version scenario calls -> instructions executed
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" "$1" "$2" "$3" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

per_call() { # version scenario -> instructions per call (2 decimals)
  local base full
  base=$(count "$1" "$2" 0)
  full=$(count "$1" "$2" "$N")
  python3 -c "print(f'{($full - $base) / $N:.2f}')"
}

printf '%-13s %11s %11s %11s %11s %11s %11s %11s %11s %12s %12s %12s\n' path '#[fallback]' 'nested' \
  'flat' 'chain!' 'block' try_each 'loop' boxed 'attr-nested' 'attr-flat' 'chain-block'
for scenario in success one_fallback all_fail; do
  g=$(per_call generated "$scenario")
  h=$(per_call hand_written "$scenario")
  f=$(per_call flat_twin "$scenario")
  i=$(per_call inline "$scenario")
  t=$(per_call inline_twin "$scenario")
  e=$(per_call try_each "$scenario")
  l=$(per_call try_each_twin "$scenario")
  b=$(per_call boxed "$scenario")
  python3 - "$scenario" "$g" "$h" "$f" "$i" "$t" "$e" "$l" "$b" <<'PY'
import sys
name, g, h, f, i, t, e, l, b = sys.argv[1], *map(float, sys.argv[2:])
print(f"{name:<13} {g:>11.2f} {h:>11.2f} {f:>11.2f} {i:>11.2f} {t:>11.2f} {e:>11.2f} {l:>11.2f} {b:>11.2f}"
      f" {g - h:>+12.2f} {g - f:>+12.2f} {i - t:>+12.2f}   boxed = {b / g:.1f}x #[fallback]")
PY
done
if [[ ",${FEATURES:-}," == *,tokio,* ]]; then
  printf '\n%-13s %11s %11s %11s %9s\n' path 'timeout' 'from expr' 'twin' ratio
  for scenario in success one_fallback all_fail; do
    g=$(per_call timed "$scenario")
    x=$(per_call timed_expr "$scenario")
    h=$(per_call timed_twin "$scenario")
    python3 -c "import sys; n, g, x, h = sys.argv[1], *map(float, sys.argv[2:]); print(f'{n:<13} {g:>11.2f} {x:>11.2f} {h:>11.2f} {g / h:>9.2f}')" "$scenario" "$g" "$x" "$h"
  done
  echo "(timeout = \"1s\" on every attempt; from expr: timeout = limit(), read at run time;"
  echo " twin: the same chain by hand with tokio::time::timeout)"
fi
if [[ ",${FEATURES:-}," == *,stream,* ]]; then
  # Twice: as built by default (16 codegen units), and in one unit. In 16 units
  # `futures`' `next()` (`Next::poll`, not `#[inline]`) is compiled in another unit than
  # the reader, and inlined into it only if ThinLTO imports it (under 100 instructions,
  # `-import-instr-limit`) and its cost is under LLVM's inlining threshold: a chain's
  # `poll_next` is kept small enough for both. In one unit it is always inlined.
  default_binary=$binary
  # One row: a chain's whole / value counts, and their difference with the raw stream's.
  row() {
    python3 -c "import sys; k, cw, rw, cv, rv = sys.argv[1], *map(float, sys.argv[2:]); print(f'{k:<36} {cw:>9.2f} {cw - rw:>+8.2f} {cv:>9.2f} {cv - rv:>+8.2f}')" "$@"
  }
  for units in "${CARGO_PROFILE_BENCH_CODEGEN_UNITS:-16}" 1; do
    if [[ $units == 1 ]]; then binary=$(build CARGO_PROFILE_BENCH_CODEGEN_UNITS=1); else binary=$default_binary; fi
    printf '\n%-36s %9s %8s %9s %8s\n' "per item ($units codegen units)" 'whole' '' 'values' ''
    # Each form over the stream the compiler sees never fails, then over one that may
    # (`_fallible`), each against that stream read raw.
    for stream in "" _fallible; do
      rw=$(per_call "stream_raw$stream" items)
      rv=$(per_call "stream_raw$stream" values)
      printf '%-36s %9.2f %8s %9.2f\n' "raw stream${stream:+ (fallible)}" "$rw" '' "$rv"
      for kind in chain chain_e macro restart; do
        cw=$(per_call "stream_$kind$stream" items)
        cv=$(per_call "stream_$kind$stream" values)
        row "stream chain ($kind$stream)" "$cw" "$rw" "$cv" "$rv"
      done
    done
    # A stream whose poll is out of line, as a real provider's is: raw, and `chain_e`.
    ow=$(per_call stream_raw_opaque items)
    ov=$(per_call stream_raw_opaque values)
    printf '%-36s %9.2f %8s %9.2f\n' 'opaque stream (poll out of line)' "$ow" '' "$ov"
    cw=$(per_call stream_opaque items)
    cv=$(per_call stream_opaque values)
    row "stream chain (chain_e, opaque)" "$cw" "$ow" "$cv" "$ov"
  done
  binary=$default_binary
  echo "(one stream of N items, read raw or through a chain after a failed open: chain ="
  echo " try_each(..).stream(), items Result<T, TryEachError<E>>; chain_e = with when_empty,"
  echo " items Result<T, E> as raw; macro = fallback_chain!(a | b, stream), its operands'"
  echo " streams of two types; restart = .when_empty(..).stream_restart(), items"
  echo " Result<Streamed<T, E>, E>; _fallible = over an inline stream that may fail as far"
  echo " as the compiler knows; opaque = a stream"
  echo " whose poll_next is out of line, as a provider's decoder is, raw and through chain_e;"
  echo " whole = a reader that hands each whole item on, values = one that matches it and"
  echo " uses its value)"
fi
echo "(instructions per call; N = $N calls per measurement; twins: nested = the nested match"
echo " in an async fn, flat = the flat matches the macro writes, block = the match in an"
echo " awaited async block; loop = try_each's twin, the loop over the same list by hand)"
