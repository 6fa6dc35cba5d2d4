#!/usr/bin/env bash
# Builds and runs the fuzz targets of fuzz/ (libFuzzer through libfuzzer-sys).
#
#   scripts/fuzz.sh build                 # stable: sanitizer coverage, no ASAN
#   scripts/fuzz.sh run [SECONDS] [TARGET...]
#       each target SECONDS (default 10) from its committed seeds (fuzz/corpus/<t>)
#       only, in a fresh working corpus (so the time does not grow with earlier runs);
#       a crash, hang or oversized allocation fails with the input saved in
#       fuzz/artifacts/<target>/, and the command to reproduce it printed.
#   FUZZ_KEEP_CORPUS=1 scripts/fuzz.sh run ...   # campaign: go on from the inputs
#       earlier campaigns found (target/fuzz*/corpus/<target>)
#   FUZZ_ASAN=1 scripts/fuzz.sh ...       # nightly + AddressSanitizer (`make fuzz`)
#
# No cargo-fuzz and no nightly are needed: stable rustc has the sanitizer-coverage pass
# (`-Cpasses=sancov-module`) and libfuzzer-sys builds libFuzzer with the C++ compiler.
# The flags are cargo-fuzz's for `--sanitizer none`. The build has its own target dir
# (target/fuzz, or target/fuzz-asan): the workspace build is never rebuilt by it.
# New inputs found by a run go to target/fuzz*/corpus/<target>, never into the
# committed seeds (minimise and copy good ones by hand).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cargo="${CARGO:-cargo}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
targets_all=(topology_json heketi_json rest_bodies gluster_xml lvm_output db_import)

flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
flags+=" -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares"
flags+=" --cfg fuzzing -Cdebug-assertions -Coverflow-checks -Cforce-frame-pointers"
toolchain=()
kind=fuzz
rss_limit_mb=1024
if [[ "${FUZZ_ASAN:-}" == 1 ]]; then
    toolchain=(+nightly)
    flags+=" -Zsanitizer=address"
    kind=fuzz-asan
    # ASAN's shadow memory and quarantine (up to 450 MB after 5 s of gluster_xml).
    rss_limit_mb=3072
fi
target_dir="${CARGO_TARGET_DIR:-$root/target}/$kind"

build() {
    # An explicit --target keeps the flags off build scripts and proc macros.
    RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" \
        "$cargo" "${toolchain[@]}" build --locked --release \
        --manifest-path "$root/fuzz/Cargo.toml" --target "$triple" --bins
}

run() {
    local seconds="${1:-10}"
    shift || true
    local targets=("$@")
    [[ ${#targets[@]} -gt 0 ]] || targets=("${targets_all[@]}")
    local failed=()
    for t in "${targets[@]}"; do
        local bin="$target_dir/$triple/release/$t"
        local work="$target_dir/corpus/$t"
        local log="$target_dir/$t.campaign.log"
        if [[ "${FUZZ_KEEP_CORPUS:-}" != 1 ]]; then
            work="$target_dir/corpus-run/$t"
            log="$target_dir/$t.log"
            rm -rf "$work"
        fi
        local artifacts="$root/fuzz/artifacts/$t/"
        mkdir -p "$work" "$artifacts"
        echo "fuzz: $t for ${seconds}s"
        # -timeout: one input over 5 s is a hang; -rss_limit_mb/-malloc_limit_mb: a
        # process over 1 GiB (3 GiB with ASAN) or one allocation over 256 MiB is a finding.
        if ! "$bin" "$work" "$root/fuzz/corpus/$t" \
            -max_total_time="$seconds" -timeout=5 -rss_limit_mb="$rss_limit_mb" \
            -malloc_limit_mb=256 -max_len=16384 -print_final_stats=1 \
            -artifact_prefix="$artifacts" 2>"$log"; then
            tail -n 40 "$log" | cat -v >&2
            local saved
            saved="$(grep -a -o 'written to [^ ]*' "$log" | tail -n 1 | cut -d' ' -f3)"
            echo "fuzz: $t FAILED; input saved in ${saved:-$artifacts}; reproduce with:" >&2
            echo "  $bin ${saved:-$artifacts<file>}" >&2
            failed+=("$t")
        else
            grep -aE '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$log" |
                sed "s/^/fuzz: $t /" || true
        fi
    done
    if [[ ${#failed[@]} -gt 0 ]]; then
        echo "fuzz: findings in: ${failed[*]}" >&2
        return 1
    fi
}

case "${1:-}" in
    build) build ;;
    run) shift; run "$@" ;;
    *) echo "usage: $0 build | run [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
