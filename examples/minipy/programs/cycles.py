# cycles: lists and dicts that hold themselves. Reference counting alone never frees them;
# the cycle collector (gc.collect()) finds them. Under minipy's `atomic` strategy it frees them
# all; under `gil` and `biased` minipy has no collector, and they leak (see `--live`).
import gc
import sys

def churn(n):
    i = 0
    while i < n:
        a = []
        a.append(a)
        d = {}
        d["self"] = d
        i += 1

gc.disable()  # CPython would otherwise collect some on its own, at its thresholds
n = 1000
if len(sys.argv) > 1:
    n = int(sys.argv[1])
churn(n)
kept = [0]
kept.append(kept)  # a cycle still reachable: never collected
print("unreachable containers found:", gc.collect())
print("found by a second run:", gc.collect())
print("the reachable cycle is whole:", len(kept) == 2 and kept[1][1][0] == 0)
