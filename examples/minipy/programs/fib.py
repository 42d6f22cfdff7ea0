# fib: call-heavy: recursive function calls, int arithmetic and comparisons, one thread per worker.
# bench: N=31
import sys
import threading


def fib(k):
    if k < 2:
        return k
    return fib(k - 1) + fib(k - 2)


def work(n):
    return fib(n)


def run(i, n, results):
    results[i] = work(n)


n = 15
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
