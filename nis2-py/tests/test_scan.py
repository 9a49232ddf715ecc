"""The scanner from Python against the local lab (127.0.0.x, its own DNS server)."""

import asyncio
import threading
import time
from typing import Any

import pytest

import nis2

# What the Rust lab tests (nis2-scanner/tests/lab_tls.rs) expect of each target.
EXPECTED_FAILING = {
    "good": [],
    "expired": ["cert.expired"],
    "selfsigned": ["cert.untrusted"],
    "wronghost": ["cert.hostname_mismatch"],
}


TIMES = {"assessed_at", "scanned_at", "due", "elapsed", "elapsed_ms"}


def without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def comparable(a: nis2.Assessment) -> dict[str, Any]:
    """An assessment with its observations, without what depends on the moment
    of the scan (times, and the random path the HTTP group asks for to learn
    the site's "not found" answer)."""
    d: dict[str, Any] = without_times(a.to_dict())
    http = (d.get("observations") or {}).get("http") or {}
    if http.get("not_found_baseline"):
        http["not_found_baseline"].pop("path")
    return d


@pytest.mark.parametrize("kind", sorted(EXPECTED_FAILING))
def test_lab_target_same_as_rust_api(lab: Any, lab_opts: dict[str, Any], kind: str) -> None:
    name, port = lab.target(kind)
    from_python = nis2.scan(name, https_port=port, **lab_opts)
    from_rust = lab.rust_scan(kind)
    assert from_python.domain == name
    assert sorted(from_python.failing) == EXPECTED_FAILING[kind]
    assert comparable(from_python) == comparable(from_rust)
    obs = from_python.observations
    assert obs is not None and obs["tls"]["address"] == f"{lab.targets[[t['kind'] for t in lab.targets].index(kind)]['address']}:{port}"
    if kind == "good":
        assert from_python.grade == "A" and from_python.score >= 90
    else:
        assert from_python.grade in ("D", "F")


def test_without_the_lab_root_the_good_target_is_untrusted(lab: Any, lab_opts: dict[str, Any]) -> None:
    # extra_roots really reaches the scanner: without it the chain does not verify.
    name, port = lab.target("good")
    opts = dict(lab_opts)
    del opts["extra_roots"]
    a = nis2.scan(name, https_port=port, **opts)
    assert "cert.untrusted" in a.failing


def test_target_policy_refuses_loopback_by_default(lab: Any, lab_opts: dict[str, Any]) -> None:
    name, port = lab.target("good")
    with pytest.raises(nis2.TargetRefused, match="loopback"):
        nis2.scan(name, https_port=port, checks=["tls"], resolver=lab.dns, extra_roots=lab.root_ca_pem)
    with pytest.raises(nis2.TargetRefused, match="private"):
        nis2.scan("private10.lab.nis2.test", resolver=lab.dns)


def test_scan_errors(lab: Any, lab_opts: dict[str, Any]) -> None:
    with pytest.raises(nis2.InvalidTarget):
        nis2.scan("not a domain!", **lab_opts)
    with pytest.raises(nis2.ResolutionError, match="nothere.lab.nis2.test"):
        nis2.scan("nothere.lab.nis2.test", **lab_opts)
    with pytest.raises(nis2.ConfigError, match="resolver"):
        nis2.scan("good.lab.nis2.test", resolver="nowhere")
    with pytest.raises(nis2.ConfigError, match="extra_roots"):
        nis2.scan("good.lab.nis2.test", extra_roots="not pem")
    with pytest.raises(nis2.ConfigError, match="unknown check group"):
        nis2.scan("good.lab.nis2.test", checks=["tlz"])
    with pytest.raises(nis2.ConfigError, match="positive"):
        nis2.scan("good.lab.nis2.test", group_timeout=0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        nis2.scan("good.lab.nis2.test", colour="blue")
    assert issubclass(nis2.ResolutionError, nis2.ScanError)


def test_scan_releases_the_gil(lab: Any, lab_opts: dict[str, Any]) -> None:
    # The silent target accepts and never answers: the scan waits out its handshake timeout.
    name, port = lab.target("silent")
    ticks: list[float] = []
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    opts = dict(lab_opts, handshake_timeout=1.0)
    t = threading.Thread(target=count)
    t.start()
    try:
        start = time.monotonic()
        a = nis2.scan(name, https_port=port, **opts)
        end = time.monotonic()
    finally:
        stop.set()
        t.join()
    assert a.failing == ["https.unavailable"]
    assert end - start >= 0.9
    during = [x for x in ticks if start <= x <= end]
    # A thread blocked by the GIL would not tick at all while the scan runs
    # (about 200 ticks of 5 ms fit in it; a busy machine gives fewer).
    assert len(during) > 20, len(during)
    gaps = [b - a for a, b in zip([start, *during], [*during, end])]
    assert max(gaps) < (end - start) / 2, (max(gaps), end - start)


def test_scan_many_yields_results_as_they_finish(lab: Any, lab_opts: dict[str, Any]) -> None:
    # On the silent target's port, good.lab.nis2.test (another address) refuses
    # at once while the silent target waits out the handshake timeout: the
    # second domain finishes first.
    silent, port = lab.target("silent")
    opts = dict(lab_opts, https_port=port, handshake_timeout=1.5)
    targets = [silent, "good.lab.nis2.test", "bad domain!", "nothere.lab.nis2.test"]
    it = nis2.scan_many(targets, concurrency=4, **opts)
    assert len(it) == 4
    results = list(it)
    assert sorted(r.index for r in results) == [0, 1, 2, 3]
    by_index = {r.index: r for r in results}
    assert results[-1].index == 0 and by_index[0].elapsed >= 1.0
    assert by_index[1].elapsed < by_index[0].elapsed
    assert by_index[0].unwrap().failing == ["https.unavailable"]
    assert by_index[1].ok and by_index[1].assessment is not None
    assert isinstance(by_index[2].error, nis2.InvalidTarget) and not by_index[2].ok
    assert isinstance(by_index[3].error, nis2.ResolutionError)
    with pytest.raises(nis2.InvalidTarget):
        by_index[2].unwrap()
    rows = nis2.to_rows(results)
    assert {r["domain"] for r in rows} >= {"bad domain!", "good.lab.nis2.test"}
    assert sum("error" in r for r in rows) == 2
    with pytest.raises(TypeError):
        nis2.scan_many([42])
    with pytest.raises(nis2.ConfigError):
        nis2.scan_many(["a.example"], concurrency=0)


def test_scan_async(lab: Any, lab_opts: dict[str, Any]) -> None:
    good, expired, silent = lab.target("good"), lab.target("expired"), lab.target("silent")

    async def main() -> tuple[list[nis2.Assessment], int, BaseException]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        tick = asyncio.create_task(ticker())
        done = await asyncio.gather(
            nis2.scan_async(good[0], https_port=good[1], **lab_opts),
            nis2.scan_async(expired[0], https_port=expired[1], **lab_opts),
            nis2.scan_async(silent[0], https_port=silent[1], **dict(lab_opts, handshake_timeout=1.0)),
        )
        try:
            await nis2.scan_async(good[0], https_port=good[1], checks=["tls"], resolver=lab.dns)
        except nis2.Nis2Error as e:
            err: BaseException = e
        tick.cancel()
        return list(done), ticks, err

    done, ticks, err = asyncio.run(main())
    assert [a.failing for a in done] == [[], ["cert.expired"], ["https.unavailable"]]
    assert comparable(done[1]) == comparable(lab.rust_scan("expired"))
    assert ticks > 20  # the loop kept running while the scans were under way (~100 at rest)
    assert isinstance(err, nis2.TargetRefused)
    with pytest.raises(RuntimeError):
        nis2.scan_async("good.lab.nis2.test")  # no running event loop


def test_lab_module(lab: Any) -> None:
    from nis2 import _lab  # type: ignore[attr-defined]

    assert "good" in _lab.TARGETS
    assert {t["kind"] for t in lab.targets} == {"good", "expired", "selfsigned", "wronghost", "silent"}
    assert lab.root_ca_pem.startswith("-----BEGIN CERTIFICATE-----")
    with pytest.raises(ValueError, match="unknown lab target"):
        _lab.start(["nope"])
    with pytest.raises(nis2.LabError, match="not started"):
        lab.target("legacy")
    with _lab.start(["good"]) as small:
        assert len(small.targets) == 1
    with pytest.raises(nis2.LabError, match="stopped"):
        small.dns


# What nis2-scanner/tests/full_lab.rs expects of the whole-domain lab vendors.
VENDOR_FAILING = {
    "good": set(),
    "exposed": {"exposure.database", "exposure.remote_admin", "http.sensitive_path_exposed"},
}


def test_full_scans_of_lab_vendors_same_as_rust_api(vendors: Any) -> None:
    from nis2 import _lab  # type: ignore[attr-defined]

    kinds = list(_lab.VENDORS)
    assert {"good", "weakmail", "baresite", "exposed"} <= set(kinds)
    assert [v["kind"] for v in vendors.vendors] == kinds
    opts = vendors.scan_options()
    # The lab's zones are signed: its key reaches the scanner as a trust anchor.
    assert "DNSKEY" in opts["dnssec_trust_anchors"]
    results = list(nis2.scan_many([vendors.domain(k) for k in kinds], concurrency=4, **opts))
    assert sorted(r.index for r in results) == list(range(len(kinds)))
    for r in results:
        kind = kinds[r.index]
        a = r.unwrap()
        reference = vendors.rust_scan(kind)
        assert comparable(a) == comparable(reference), kind
        obs = a.observations
        assert obs is not None and all(obs[g] is not None for g in ("tls", "http", "dns", "email", "ports"))
        if kind in VENDOR_FAILING:
            assert VENDOR_FAILING[kind] <= set(a.failing), (kind, a.failing)
        if kind == "good":
            assert a.grade == "A" and a.failing == []
            assert "bonus.dnssec_signed" in [b["check_id"] for b in a.bonuses]
        else:
            assert a.failing
    one = nis2.scan(vendors.domain("weakmail"), checks=["email", "dns"], **opts)
    obs = one.observations
    assert obs is not None and obs.get("tls") is None and obs["email"] is not None
    assert one.failing and not [c for c in one.failing if c.split(".")[0] in ("tls", "cert", "http", "https", "exposure")]
    # Without the lab's trust anchor the signed zone does not validate.
    opts_no_key = {k: v for k, v in opts.items() if k != "dnssec_trust_anchors"}
    bare = nis2.scan(vendors.domain("good"), checks=["dns"], **opts_no_key)
    assert "dns.dnssec_missing" in bare.failing
    with pytest.raises(nis2.ConfigError, match="dnssec_trust_anchors"):
        nis2.scan(vendors.domain("good"), **dict(opts, dnssec_trust_anchors="  "))
    with pytest.raises(nis2.ConfigError, match="trust anchors"):
        nis2.scan(vendors.domain("good"), **dict(opts, dnssec_trust_anchors="not a DNSKEY"))


class Interrupted(Exception):
    pass


def test_a_signal_interrupts_a_blocking_scan(lab: Any, lab_opts: dict[str, Any]) -> None:
    # Ctrl-C in a terminal or "interrupt kernel" in Jupyter is SIGINT; its
    # handler runs within ~100 ms, not when the scan ends (here 10 s away).
    import os
    import signal

    def handler(signum: int, frame: object) -> None:
        raise Interrupted()

    name, port = lab.target("silent")
    opts = dict(lab_opts, handshake_timeout=10.0, group_timeout=30.0)
    previous = signal.signal(signal.SIGINT, handler)
    try:
        for call in (
            lambda: nis2.scan(name, https_port=port, **opts),
            lambda: next(nis2.scan_many([name], https_port=port, **opts)),
        ):
            timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
            start = time.monotonic()
            timer.start()
            with pytest.raises(Interrupted):
                call()
            took = time.monotonic() - start
            timer.join()
            assert took < 5.0, took
    finally:
        signal.signal(signal.SIGINT, previous)
