#!/usr/bin/env bash
# Runs the lab several times in a row and prints the verdict of every claim in every run, for the
# lab and for CPython, and whether any claim flipped (held in one run, failed in another;
# "inconclusive" is not a flip).
#
#   bash scripts/lab-stability.sh [--runs N] [lab flags...]
#
# --runs defaults to 5; every other flag goes to the lab as it is (e.g. --background-load, or
# --quick for a fast check of this script). Each run's output and JSON stay in
# target/lab-stability/run<i>/.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
lab_args=()
while (($#)); do
    case "$1" in
        --runs)
            runs=${2:?--runs needs a number}
            shift 2
            ;;
        *)
            lab_args+=("$1")
            shift
            ;;
    esac
done

cargo build --quiet --release -p gilkit-lab
out=target/lab-stability
rm -rf "$out"
mkdir -p "$out"
for ((i = 1; i <= runs; i++)); do
    start=$SECONDS
    ./target/release/lab ${lab_args[@]+"${lab_args[@]}"} --out "$out/run$i" >"$out/run$i.txt"
    echo "run $i of $runs: $((SECONDS - start)) s"
done

# One claim per line of the lab's summary: "- <claim> (<threshold>): <figures> -> <verdict>",
# then, where CPython has a counterpart, " | CPython: <figures> -> <verdict>".
for ((i = 1; i <= runs; i++)); do
    sed -n '/^Claims/,/^$/p' "$out/run$i.txt" | grep '^- ' | sed "s/^/$i\t/"
done | awk -F'\t' -v runs="$runs" '
    function verdict(part) {
        if (part ~ /not measured in this run$/) return "n/a"
        if (part ~ /-> holds$/) return "holds"
        if (part ~ /-> does NOT hold$/) return "FAILS"
        if (part ~ /-> inconclusive$/) return "inconcl."
        return "?"
    }
    {
        run = $1
        line = substr($2, 3)
        n[run]++
        k = n[run]
        if (run == 1) {
            name = line
            sub(/ \(.*/, "", name)
            sub(/:.*/, "", name)
            names[k] = name
        }
        split(line, parts, / \| CPython: /)
        ours[k, run] = verdict(parts[1])
        py[k, run] = (2 in parts) ? verdict(parts[2]) : "-"
        if (k > claims) claims = k
    }
    function table(title, v,    k, r, row, seen, flip) {
        printf "\n%s\n%-4s", title, "#"
        for (r = 1; r <= runs; r++) printf " %-9s", "run " r
        printf " %s\n", "stable?"
        for (k = 1; k <= claims; k++) {
            row = sprintf("%-4s", k)
            delete seen
            for (r = 1; r <= runs; r++) {
                row = row sprintf(" %-9s", v[k, r])
                seen[v[k, r]] = 1
            }
            flip = ("holds" in seen) && ("FAILS" in seen)
            printf "%s %s\n", row, flip ? "FLIPS" : "yes"
        }
    }
    END {
        table("the lab", ours)
        table("CPython (- where the claim has no CPython counterpart)", py)
        printf "\nclaims:\n"
        for (k = 1; k <= claims; k++) printf "%-4s%s\n", k, names[k]
    }
'
