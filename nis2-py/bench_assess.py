"""Time of nis2.assess / nis2.evaluate from Python, per call (dict in, Assessment out).

    python nis2-py/bench_assess.py            # after installing the module
"""

import json
import timeit

import nis2

NOW = "2026-06-27T10:00:00Z"


def per_call(stmt, number: int) -> float:
    best = min(timeit.repeat(stmt, number=number, repeat=5))
    return best / number * 1e6


def main() -> None:
    for kind in ("weak", "flawless"):
        obs = nis2.sample_observations(kind, f"{kind}.example", now=NOW)
        text = json.dumps(obs)
        a = nis2.assess(obs, now=NOW)
        print(f"{kind:>8} ({len(text)} bytes of JSON, {len(a.findings)} findings, grade {a.grade}):")
        print(f"  assess(dict)          {per_call(lambda: nis2.assess(obs, now=NOW), 2000):8.1f} µs/call")
        print(f"  assess(json str)      {per_call(lambda: nis2.assess(text, now=NOW), 2000):8.1f} µs/call")
        print(f"  evaluate(dict)        {per_call(lambda: nis2.evaluate(obs, now=NOW), 2000):8.1f} µs/call")
        print(f"  assess(...).to_dict() {per_call(lambda: nis2.assess(obs, now=NOW).to_dict(), 1000):8.1f} µs/call")


if __name__ == "__main__":
    main()
