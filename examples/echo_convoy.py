#!/usr/bin/env python3
"""The echo server of examples/echo_convoy.rs, under CPython: the convoy effect (bpo-7946).

The server thread handles one connection on 127.0.0.1 with a blocking socket: recv and sendall
each release the GIL once, as a plain threaded server's do. The client is another process (this
script with --client), so it does not compete for this process's GIL; it sends 64-byte messages,
waits for each echo, and counts round trips per second. Three cells a round: the server alone;
beside a CPU-bound thread (pure-Python slices of work, under the GIL); and a control, beside a
CPU-bound process (not under this GIL), for what sharing the cores costs without the GIL.

Run by `cargo run --release --example echo_convoy`; by hand:
    python3 examples/echo_convoy.py [--seconds 1] [--rounds 3] [--switch-interval-us 5000]
It prints one line, requests per second per round (rounds alternate: the cells in one order,
then backwards):
    echo_convoy.py: python=3.11.7 alone=r1,r2,r3 with_cpu=r1,r2,r3 no_gil=r1,r2,r3
"""

import argparse
import platform
import socket
import subprocess
import sys
import threading
import time

MESSAGE = 64
HOST = "127.0.0.1"
# No socket call of the client, nor the accept, waits longer than this.
TIMEOUT = 5.0


def serve(conn, served):
    """Echoes until the client closes; any socket error ends it too."""
    with conn:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                break
            if not data:
                break
            served[0] += 1
            reply = bytes(data)
            try:
                conn.sendall(reply)
            except OSError:
                break


def cpu_bound(stop, slices):
    """Slices of pure-Python work until stop is set."""
    x = 1
    n = 0
    while not stop.is_set():
        for _ in range(100):
            x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        n += 1
        slices[0] = n


# The control's CPU-bound process: it ends by itself, also if nobody kills it.
BUSY = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end: pass"


def cell(kind, seconds):
    """One cell ("alone", "with_cpu" or "no_gil"): returns round trips per second."""
    with_cpu = kind == "with_cpu"
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stop = threading.Event()
    slices = [0]
    cpu = None
    busy = None
    client = None
    server = None
    try:
        if kind == "no_gil":
            busy = subprocess.Popen([sys.executable, "-c", BUSY, str(seconds + 30)])
        listener.bind((HOST, 0))
        listener.listen(1)
        listener.settimeout(TIMEOUT)
        port = listener.getsockname()[1]
        if with_cpu:
            cpu = threading.Thread(target=cpu_bound, args=(stop, slices), daemon=True)
            cpu.start()
            deadline = time.monotonic() + TIMEOUT
            while slices[0] == 0 and time.monotonic() < deadline:
                time.sleep(0.001)
        client = subprocess.Popen(
            [sys.executable, __file__, "--client", str(port), str(seconds)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        conn, _ = listener.accept()
        # Blocking, no timeout: one GIL release per recv and per sendall, no poll before them.
        conn.settimeout(None)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        served = [0]
        server = threading.Thread(target=serve, args=(conn, served), daemon=True)
        server.start()
        out, _ = client.communicate(timeout=seconds + 30)
        if client.returncode != 0:
            raise RuntimeError(f"the client exited with {client.returncode}")
        done, elapsed = out.split()
        return int(done) / float(elapsed)
    finally:
        stop.set()
        if busy is not None:
            busy.kill()
            busy.wait()
        if client is not None and client.poll() is None:
            client.kill()
            client.wait()
        if server is not None:
            server.join(timeout=TIMEOUT)
        if cpu is not None:
            cpu.join(timeout=TIMEOUT)
        listener.close()


def run_client(port, seconds):
    """The client process: round trips for `seconds` after a short warm-up; prints count, time."""
    sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = bytearray(MESSAGE)

    def one(seq):
        request[:8] = seq.to_bytes(8, "little")
        sock.sendall(request)
        got = b""
        while len(got) < MESSAGE:
            chunk = sock.recv(MESSAGE - len(got))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            got += chunk
        if got != request:
            raise ValueError("the echo differs from the request")

    with sock:
        seq = 0
        warm_up = time.perf_counter()
        while time.perf_counter() - warm_up < min(seconds / 10, 0.1):
            seq += 1
            one(seq)
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            seq += 1
            one(seq)
            done += 1
        elapsed = time.perf_counter() - start
    print(done, elapsed)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        run_client(int(sys.argv[2]), float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--switch-interval-us", type=int, default=5000)
    args = parser.parse_args()
    sys.setswitchinterval(args.switch_interval_us / 1e6)
    kinds = ["alone", "with_cpu", "no_gil"]
    results = {kind: [] for kind in kinds}
    for r in range(args.rounds):
        for kind in kinds if r % 2 == 0 else reversed(kinds):
            results[kind].append(cell(kind, args.seconds))
    figures = " ".join(f"{k}={','.join(f'{x:.1f}' for x in results[k])}" for k in kinds)
    print(f"echo_convoy.py: python={platform.python_version()} {figures}")


if __name__ == "__main__":
    main()
