#!/usr/bin/env bash
# What `#[fallback]` costs at compile time: writes a crate with COUNT annotated
# functions and a crate with their COUNT hand-written twins (the nested `match`), then
# times a rebuild of each crate alone (dependencies built beforehand), debug and release.
#
#   scripts/compile_time.sh            # COUNT = 500
#   COUNT=100 scripts/compile_time.sh
#   OPT_MACROS=1 scripts/compile_time.sh   # with the macros optimized in debug builds
#                                          # ([profile.dev.build-override] opt-level = 3)
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT="${COUNT:-500}"
root="$PWD/target/compile-time"
if [ "${OPT_MACROS:-0}" = 1 ]; then root="$root-opt"; fi
mkdir -p "$root"

common='
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Error { pub transient: bool }
pub fn is_transient(error: &Error) -> bool { error.transient }
pub async fn a(prompt: &str, n: u32) -> Result<u32, Error> { if prompt.len() as u32 > n { Ok(n) } else { Err(Error { transient: true }) } }
pub async fn b(_prompt: &str, n: u32) -> Result<u32, Error> { if n > 1 { Ok(n - 1) } else { Err(Error { transient: true }) } }
pub async fn c(prompt: &str, n: u32) -> Result<u32, Error> { Ok(prompt.len() as u32 + n) }
'

write_crate() { # name body-generator imports
  local dir="$root/$1"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "compile-time-$1"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
fallbacks = { path = "$PWD" }

[workspace]
TOML
  if [ "${OPT_MACROS:-0}" = 1 ]; then
    printf '\n[profile.dev.build-override]\nopt-level = 3\n' >> "$dir/Cargo.toml"
  fi
  {
    echo "#![allow(dead_code)]"
    echo "$3"
    echo "$common"
    for i in $(seq 1 "$COUNT"); do "$2" "$i"; done
  } > "$dir/src/lib.rs"
}

annotated() {
  echo "#[fallback(primary = a, then = [b, c], on = is_transient)]"
  echo "pub async fn chain_$1(prompt: &str, n: u32) -> Result<u32, Error>;"
}

hand_written() {
  cat <<RUST
pub async fn chain_$1(prompt: &str, n: u32) -> Result<u32, Error> {
    match a(prompt, n).await {
        Ok(value) => Ok(value),
        Err(error) => {
            if !is_transient(&error) { return Err(error); }
            match b(prompt, n).await {
                Ok(value) => Ok(value),
                Err(error) => {
                    if !is_transient(&error) { return Err(error); }
                    c(prompt, n).await
                }
            }
        }
    }
}
RUST
}

write_crate annotated annotated "use fallbacks::fallback;"
write_crate hand_written hand_written ""

seconds() { # dir profile-flag -> seconds to rebuild the crate alone (fastest of 3)
  local dir="$1" flag="$2" runs=()
  (cd "$dir" && CARGO_TARGET_DIR="$root/target" cargo build -q $flag >/dev/null 2>&1)
  for _ in 1 2 3; do
    touch "$dir/src/lib.rs"
    local start end
    start=$(date +%s.%N)
    (cd "$dir" && CARGO_TARGET_DIR="$root/target" cargo build -q $flag)
    end=$(date +%s.%N)
    runs+=("$(python3 -c "print($end - $start)")")
  done
  python3 -c "print(f'{min(${runs[0]}, ${runs[1]}, ${runs[2]}):.2f}')"
}

printf '%-8s %14s %14s %8s\n' profile '#[fallback]' 'hand-written' ratio
for profile in debug release; do
  flag=""; [ "$profile" = release ] && flag="--release"
  m=$(seconds "$root/annotated" "$flag")
  h=$(seconds "$root/hand_written" "$flag")
  python3 -c "print(f'{\"$profile\":<8} {$m:>13.2f}s {$h:>13.2f}s {$m / $h:>7.2f}x')"
done
echo "($COUNT functions each; the fastest of 3 rebuilds of the crate alone, dependencies built)"
