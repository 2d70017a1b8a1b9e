"""The SimPy reference of the holding model: M/M/c+M written the way SimPy's own examples
write a queue with reneging (a `Resource` of c agents, each customer a process that
requests an agent or gives up when its patience runs out), for benches/simpy_ratio.sh.

    python3 benches/simpy_mmc.py C RATE_PER_HOUR MEAN_HOLDING_S MEAN_PATIENCE_S HORIZON_S [SEED]

Prints `customers served abandoned cpu_s customers_per_cpu_s` (CPU time of the simulation
only, from time.process_time). Needs `pip install simpy` (measured with SimPy 4.1.2).
"""

import random
import sys
import time

import simpy


def main():
    args = [float(a) for a in sys.argv[1:]]
    if len(args) < 5:
        sys.exit("usage: simpy_mmc.py C RATE_PER_HOUR MEAN_HOLDING_S MEAN_PATIENCE_S HORIZON_S [SEED]")
    c, rate_per_s, holding_s, patience_s, horizon = (
        int(args[0]), args[1] / 3600.0, args[2], args[3], args[4])
    rng = random.Random(int(args[5]) if len(args) > 5 else 1)
    counts = {"customers": 0, "served": 0, "abandoned": 0}
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=c)

    def customer():
        with agents.request() as req:
            got = yield req | env.timeout(rng.expovariate(1.0 / patience_s))
            if req in got:
                counts["served"] += 1
                yield env.timeout(rng.expovariate(1.0 / holding_s))
            else:
                counts["abandoned"] += 1

    def source():
        while True:
            yield env.timeout(rng.expovariate(rate_per_s))
            if env.now >= horizon:
                return
            counts["customers"] += 1
            env.process(customer())

    started = time.process_time()
    env.process(source())
    env.run()
    cpu = time.process_time() - started
    n = counts["customers"]
    print(f'{n} {counts["served"]} {counts["abandoned"]} {cpu:.6f} {n / cpu:.0f}')


if __name__ == "__main__":
    main()
