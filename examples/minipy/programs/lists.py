# lists: list-heavy: append, pop(), index reads/writes, nested lists, insertion sort, a sieve.
# bench: N=4000
import sys
import threading


def random_list(count, seed):
    # Pseudo-random numbers from a linear congruential generator.
    xs = []
    x = seed
    for i in range(count):
        x = (x * 1103515245 + 12345) % 2147483648
        xs.append(x // 65536 % 1000)
    return xs


def insertion_sort(xs):
    for i in range(1, len(xs)):
        v = xs[i]
        j = i - 1
        while j >= 0 and xs[j] > v:
            xs[j + 1] = xs[j]
            j -= 1
        xs[j + 1] = v


def sieve(limit):
    flags = []
    for i in range(limit + 1):
        flags.append(True)
    flags[0] = False
    flags[1] = False
    i = 2
    while i * i <= limit:
        if flags[i]:
            for k in range(i * i, limit + 1, i):
                flags[k] = False
        i += 1
    primes = []
    for i in range(limit + 1):
        if flags[i]:
            primes.append(i)
    return primes


def work(n):
    xs = random_list(n, 42)
    insertion_sort(xs)
    check = 0
    for i in range(len(xs)):
        if i > 0 and xs[i - 1] > xs[i]:
            return -1
        check = (check * 31 + xs[i] * (i + 1)) % 1000000007
    # A multiplication table as nested lists, read back along its diagonals.
    table = []
    for r in range(12):
        row = []
        for c in range(12):
            row.append(r * c)
        table.append(row)
    for d in range(11, -1, -1):
        check = (check + table[d][11 - d] * table[d][d]) % 1000000007
    # Pop the primes off the end, largest first.
    primes = sieve(n * 4 + 10)
    total = 0
    count = 0
    while len(primes) > 0:
        p = primes.pop()
        total += p * (count % 7 + 1)
        count += 1
    return check * 1000 + total % 1000 + count * 1000000000000


def run(i, n, results):
    results[i] = work(n)


n = 150
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
