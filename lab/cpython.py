#!/usr/bin/env python3
"""The lab's workloads under CPython, for the figures the lab shows beside its own.

The lab (`cargo run --release -p gilkit-lab`) runs this script once per round and reads the JSON
it prints. Each cell is "workload:strategy:threads", named as the lab names its rows:

  cpu-disjoint:cpython:T           T threads, each adding pure-Python work (the lab's xorshift
                                   mix, `--work` rounds of it) to its own field: the GIL is held.
  cpu-disjoint:cpython-released:T  T threads, each hashing a 1 MiB buffer with hashlib.sha256,
                                   which releases the GIL, then adding 1 to its own field.
  io:cpython-released:T            T threads, each adding 1 to field 0, then time.sleep(block):
                                   the GIL is released while it sleeps.
  mixed:cpython:2                  one thread of pure-Python work beside one thread that sleeps
                                   `block` in a loop; the ops are the CPU thread's.

The I/O cells also record, for each sleep, how late it returned: its time minus `block`. CPython
cannot timestamp the end of a sleep before it takes the GIL back, so this lateness includes the
OS's timer overshoot (the io cells show it alone) as well as the wait for the GIL.

By hand:
    python3 lab/cpython.py [--duration-ms 150] [--switch-interval-us 5000]
Needs Python 3.3 or newer (sys.setswitchinterval, time.perf_counter); runs on 3.11, 3.12 and 3.13.
"""

import argparse
import hashlib
import json
import platform
import sys
import threading
import time

if sys.version_info < (3, 3):
    sys.exit("cpython.py needs Python 3.3 or newer (sys.setswitchinterval, time.perf_counter)")

FIELDS = 4
MASK = (1 << 64) - 1
# Large enough that hashlib releases the GIL (it does above 2 KiB) and the hash dominates the call.
BUFFER = bytes(1024 * 1024)
DEFAULT_CELLS = ",".join(
    [
        "cpu-disjoint:cpython:1",
        "cpu-disjoint:cpython:2",
        "cpu-disjoint:cpython-released:1",
        "cpu-disjoint:cpython-released:2",
        "io:cpython-released:1",
        "io:cpython-released:2",
        "mixed:cpython:2",
    ]
)


def work(seed, rounds):
    """The lab's CPU work: `rounds` rounds of a 64-bit xorshift mix."""
    x = seed | 1
    for _ in range(rounds):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
    return x


def timed(threads, seconds, worker):
    """Runs worker(i, stop, waits) on `threads` threads for `seconds`; returns the cell's figures."""
    stop = threading.Event()
    counts = [0] * threads
    waits = []

    def run(i):
        counts[i] = worker(i, stop, waits)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    return sum(counts), time.perf_counter() - start, waits


def cell(workload, strategy, threads, args):
    fields = [0] * FIELDS
    block = args.block_us / 1e6

    def cpu(i, stop, _waits):
        n = 0
        while not stop.is_set():
            fields[i % FIELDS] += work(i, args.work)
            n += 1
        return n

    def sha256(i, stop, _waits):
        n = 0
        while not stop.is_set():
            h = hashlib.sha256()
            h.update(BUFFER)
            h.digest()
            fields[i % FIELDS] += 1
            n += 1
        return n

    def sleeper(_i, stop, waits):
        n = 0
        mine = []
        while not stop.is_set():
            fields[0] += 1
            asked = time.perf_counter()
            time.sleep(block)
            mine.append(time.perf_counter() - asked - block)
            n += 1
        waits.extend(mine)
        return n

    def mixed(i, stop, waits):
        return cpu(i, stop, waits) if i == 0 else sleeper(i, stop, waits)

    workers = {
        ("cpu-disjoint", "cpython"): cpu,
        ("cpu-disjoint", "cpython-released"): sha256,
        ("io", "cpython-released"): sleeper,
        ("mixed", "cpython"): mixed,
    }
    worker = workers.get((workload, strategy))
    if worker is None or (workload == "mixed" and threads != 2):
        sys.exit("cpython.py: no such cell: {}:{}:{}".format(workload, strategy, threads))
    # The mixed workload runs four times as long, as in the lab.
    seconds = args.duration_ms / 1e3 * (4 if workload == "mixed" else 1)
    ops, elapsed, waits = timed(threads, seconds, worker)
    return {
        "workload": workload,
        "strategy": strategy,
        "threads": threads,
        "ops": ops,
        "seconds": elapsed,
        "waits_us": sorted(round(w * 1e6, 3) for w in waits),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default=DEFAULT_CELLS, help="workload:strategy:threads,...")
    parser.add_argument("--duration-ms", type=float, default=150.0)
    parser.add_argument("--work", type=int, default=1000)
    parser.add_argument("--block-us", type=float, default=200.0)
    parser.add_argument("--switch-interval-us", type=float, default=5000.0)
    args = parser.parse_args()
    sys.setswitchinterval(args.switch_interval_us / 1e6)
    gil_check = getattr(sys, "_is_gil_enabled", None)
    cells = []
    for spec in args.cells.split(","):
        workload, strategy, threads = spec.split(":")
        cells.append(cell(workload, strategy, int(threads), args))
    print(
        json.dumps(
            {
                "implementation": platform.python_implementation(),
                "version": platform.python_version(),
                "gil_enabled": gil_check() if gil_check else True,
                "switch_interval_us": sys.getswitchinterval() * 1e6,
                "cells": cells,
            }
        )
    )


if __name__ == "__main__":
    main()
