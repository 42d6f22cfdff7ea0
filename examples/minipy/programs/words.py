# words: dict-heavy: strings built with + and str(), counted in dicts with get(), in, not in.
# bench: N=400000
import sys
import threading


def work(n):
    base = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
            "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
            "sierra", "tango"]
    counts = {}
    firsts = {}
    by_suffix = {"none": 0}
    distinct = 0
    x = 7
    for i in range(n):
        x = (x * 1103515245 + 12345) % 2147483648
        suffix = i % 37
        w = base[x // 65536 % len(base)] + "-" + str(suffix)
        if w not in counts:
            distinct += 1
            firsts[w] = i
        counts[w] = counts.get(w, 0) + 1
        if suffix in by_suffix:
            by_suffix[suffix] += 1
        else:
            by_suffix[suffix] = 1
    if distinct != len(counts):
        return "mismatch"
    chosen = "echo-" + str(11)
    return (distinct * 1000 + counts.get(chosen, 0) + firsts.get(chosen, -1) * 1000000
            + by_suffix.get(5, 0) * 1000000000)

def run(i, n, results):
    results[i] = work(n)


n = 400
threads = 2
if len(sys.argv) > 1:
    n = int(sys.argv[1])
if len(sys.argv) > 2:
    threads = int(sys.argv[2])
results = []
for i in range(threads):
    results.append(None)
ts = []
for i in range(threads):
    t = threading.Thread(target=run, args=(i, n, results))
    t.start()
    ts.append(t)
for t in ts:
    t.join()
for r in results:
    print(r)
