# nbody: float arithmetic: bodies as lists of floats, index reads and writes, ** 0.5, nested loops.
# bench: N=40000
import sys
import threading


def make_bodies():
    # [x, y, z, vx, vy, vz, mass]: the sun and four planets
    # (units: AU, AU/day * 365.24, solar masses * 4 pi^2).
    pi = 3.141592653589793
    solar_mass = 4.0 * pi * pi
    days = 365.24
    bodies = []
    bodies.append([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, solar_mass])
    bodies.append([4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
                   1.66007664274403694e-03 * days, 7.69901118419740425e-03 * days,
                   -6.90460016972063023e-05 * days, 9.54791938424326609e-04 * solar_mass])
    bodies.append([8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
                   -2.76742510726862411e-03 * days, 4.99852801234917238e-03 * days,
                   2.30417297573763929e-05 * days, 2.85885980666130812e-04 * solar_mass])
    bodies.append([1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
                   2.96460137564761618e-03 * days, 2.37847173959480950e-03 * days,
                   -2.96589568540237556e-05 * days, 4.36624404335156298e-05 * solar_mass])
    bodies.append([1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
                   2.68067772490389322e-03 * days, 1.62824170038242295e-03 * days,
                   -9.51592254519715870e-05 * days, 5.15138902046611451e-05 * solar_mass])
    # Offset the sun's momentum so that the system's total momentum is zero.
    px = 0.0
    py = 0.0
    pz = 0.0
    for b in bodies:
        px += b[3] * b[6]
        py += b[4] * b[6]
        pz += b[5] * b[6]
    sun = bodies[0]
    sun[3] = -px / solar_mass
    sun[4] = -py / solar_mass
    sun[5] = -pz / solar_mass
    return bodies


def energy(bodies):
    e = 0.0
    nb = len(bodies)
    for i in range(nb):
        b = bodies[i]
        e += 0.5 * b[6] * (b[3] * b[3] + b[4] * b[4] + b[5] * b[5])
        for j in range(i + 1, nb):
            c = bodies[j]
            dx = b[0] - c[0]
            dy = b[1] - c[1]
            dz = b[2] - c[2]
            e -= b[6] * c[6] / (dx * dx + dy * dy + dz * dz) ** 0.5
    return e


def advance(bodies, dt):
    nb = len(bodies)
    for i in range(nb):
        b = bodies[i]
        for j in range(i + 1, nb):
            c = bodies[j]
            dx = b[0] - c[0]
            dy = b[1] - c[1]
            dz = b[2] - c[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * d2 ** 0.5)
            bm = b[6] * mag
            cm = c[6] * mag
            b[3] -= dx * cm
            b[4] -= dy * cm
            b[5] -= dz * cm
            c[3] += dx * bm
            c[4] += dy * bm
            c[5] += dz * bm
    for b in bodies:
        b[0] += dt * b[3]
        b[1] += dt * b[4]
        b[2] += dt * b[5]


def work(n):
    bodies = make_bodies()
    step = 0
    while step < n:
        advance(bodies, 0.01)
        step += 1
    return int(energy(bodies) * 1000000000)


def run(i, n, results):
    results[i] = work(n)


n = 100
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
