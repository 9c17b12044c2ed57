"""Reliability: bad data and a failing environment in real runs (the sandbox's 1C on loopback, the real
flow, dbt and publish). Each case asserts the run's outcome, the one line that names the problem, and what
was published: nothing wrong, and nothing valid lost (docs/RELIABILITY.md lists every case).
"""

from __future__ import annotations

import copy
import subprocess
import sys

import duckdb
import pytest

from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.verify.customers import compare_with_truth
from tests.pipeline_harness import read_marts, snapshot_differences
from tests.reliability_harness import free_port

pytestmark = pytest.mark.integration

SHIPMENTS = "Document_РеализацияТоваровУслуг"
RETURNS = "Document_ВозвратТоваровОтКлиента"
COUNTERPARTIES = "Catalog_Контрагенты"


def _copy(record: dict, key: str, **changes) -> dict:
    """A copy of a real 1C record under a new key (its table parts follow the key)."""
    made = {**copy.deepcopy(record), "Ref_Key": key, **changes}
    for value in made.values():
        if isinstance(value, list):
            for line in value:
                line["Ref_Key"] = key
    return made


def _with_amount(shipment: dict, key: str, amount: float) -> dict:
    made = _copy(shipment, key, СуммаДокумента=amount)
    made["Товары"] = [{**made["Товары"][0], "Сумма": amount, "Цена": amount, "Количество": 1}]
    return made


# Each bad record: its key, what it is, and the words of the line that must name it.
BAD = {
    "bad00001-0000-4000-8000-000000000001": ("shipment of −5 000 000 RUB", "amount"),
    "bad00001-0000-4000-8000-000000000002": ("shipment of 9.99e17 RUB (beyond DECIMAL)", "amount"),
    "bad00001-0000-4000-8000-000000000003": ("shipment dated 1900", "doc_date"),
    "bad00001-0000-4000-8000-000000000004": ("shipment dated 2099", "doc_date"),
    "bad00001-0000-4000-8000-000000000005": ("return of −20 000 RUB", "amount"),
    "bad00001-0000-4000-8000-000000000006": ("customer named with U+FFFD", "names_garbled"),
    "bad00001-0000-4000-8000-000000000007": ("customer name in UTF-8 read as cp1251", "names_garbled"),
}


def _break(store: dict) -> dict:
    keys = iter(BAD)
    shipment, sale_return = store[SHIPMENTS][0], store[RETURNS][0]
    store[SHIPMENTS] += [
        _with_amount(shipment, next(keys), -5_000_000),
        _with_amount(shipment, next(keys), 9.99e17),
        _copy(shipment, next(keys), Date="1900-01-01T10:00:00"),
        _copy(shipment, next(keys), Date="2099-01-01T10:00:00"),
    ]
    store[RETURNS].append(_with_amount(sale_return, next(keys), -20_000))
    person = store[COUNTERPARTIES][0]
    store[COUNTERPARTIES] += [
        _copy(person, next(keys), Description="\ufffd\ufffd\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd\ufffd"),
        _copy(person, next(keys), Description="РњРµР»СЊРЅРёРєРѕРІ РђРЅР°РЅРёР№"),
    ]
    return store


def test_wrong_values_stop_publish_each_named_and_the_good_snapshot_stays(company, pipeline_factory):
    as_of = company.as_of_date.isoformat()
    pipeline = pipeline_factory(store_of(company, "onec"))
    # Night 1: the catalog of customers comes as cp1251 bytes under a UTF-8 header (a proxy's doing).
    pipeline.simulator.faults.add(entity_set=COUNTERPARTIES, kind="cp1251", times=None)
    ok, summary = pipeline.run(as_of)
    assert ok, summary.get("problem")
    serving = pipeline.serving_file
    assert compare_with_truth(serving, truth_for(company, ("onec",))) == []  # every name read right
    good = read_marts(serving)
    pipeline.simulator.faults.clear()
    big_day = _with_amount(
        store_of(company, "onec")[SHIPMENTS][0], "b1900001-0000-4000-8000-000000000001", 3e6
    )
    revenue_before = _revenue(serving, big_day["Date"][:7])

    # Night 2: seven wrong records arrive with the good ones.
    pipeline.replace_store(_break(store_of(company, "onec")))
    ok, summary = pipeline.run(as_of)
    assert not ok
    problem = summary["problem"]
    assert problem.startswith("quality errors, publish stopped: ")
    for key, (what, column) in BAD.items():
        named = [part for part in problem.split(" | ") if key in part]
        assert named and column in named[0], f"{what}: not named in {problem}"
    assert snapshot_differences(good, read_marts(serving)) == []  # yesterday's snapshot, untouched

    # Night 3: 1C fixed them; a day of one very large sale is real and publishes with a warning. The
    # shop's server is down tonight: the site is stale, 1C publishes.
    store = store_of(company, "onec")
    store[SHIPMENTS].append(big_day)
    pipeline.replace_store(store)
    shop = f"http://127.0.0.1:{free_port()}/"
    ok, summary = pipeline.run(
        as_of, SALESPIPE_WEBSITE_URL=shop, SALESPIPE_WEBSITE_KEY="ck_1", SALESPIPE_WEBSITE_SECRET="cs_1"
    )
    assert not ok and summary["stale_sources"] == ["website"]
    stale = f"published with stale sources: website: host unreachable: {shop.rstrip('/')} (Connection"
    assert summary["problem"].startswith(stale)
    warnings = summary["quality"]["warnings"]
    assert any("daily_sales" in line and big_day["Date"][:10] in line for line in warnings), warnings
    assert _revenue(serving, big_day["Date"][:7]) == pytest.approx(revenue_before + 3_000_000)


def _revenue(serving, month: str) -> float:
    with duckdb.connect(str(serving), read_only=True) as con:
        return float(
            con.execute(
                "select revenue from marts.repeat_sales where strftime(month, '%Y-%m') = ?", [month]
            ).fetchone()[0]
        )


def test_an_unreachable_host_gives_up_once_for_the_source_within_seconds(company, pipeline_factory):
    pipeline = pipeline_factory(store_of(company, "onec"))
    dead = f"http://127.0.0.1:{free_port()}/base/odata/standard.odata/"
    ok, summary = pipeline.run(company.as_of_date.isoformat(), SALESPIPE_ONEC_URL=dead)
    onec = summary["extract"]["sources"][0]
    assert not ok
    line = onec["error"]
    assert line.startswith(f"1C: host unreachable: {dead.rsplit('/base', 1)[0]} (Connection refused)")
    assert "check SALESPIPE_ONEC_URL" in line and "\n" not in line
    # One failure per source, not per stream: finding the configuration is the first request, and it stops 1C.
    assert onec["streams"] == [] and onec["seconds"] < 15
    assert summary["problem"] == line  # every configured source failed: nothing to publish
    assert not pipeline.serving_file.exists()


def test_a_full_disk_is_one_line_and_the_next_run_loses_nothing(company, pipeline_factory, small_filesystem):
    pipeline = pipeline_factory(store_of(company, "onec"))
    pipeline.home = small_filesystem / "home"
    pipeline.env["SALESPIPE_HOME"] = str(pipeline.home)
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert not ok
    assert "no space left on the device holding" in summary["problem"]
    assert "\n" not in summary["problem"]
    assert not pipeline.serving_file.exists()
    subprocess.run(["mount", "-o", "remount,size=400m", str(small_filesystem)], check=True)
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert ok, summary.get("problem")
    assert compare_with_truth(pipeline.serving_file, truth_for(company, ("onec",))) == []


def test_a_warehouse_open_in_another_process_is_named(company, pipeline_factory):
    pipeline = pipeline_factory(store_of(company, "onec"))
    warehouse = pipeline.home / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(warehouse)!r}); "
         "print('open', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        ok, summary = pipeline.run(company.as_of_date.isoformat())
    finally:
        holder.kill()
        holder.wait()
    assert not ok
    assert summary["problem"] == (
        f"the warehouse {warehouse} is open in another process (pid {holder.pid}): wait for it or stop it"
    )
    assert not pipeline.serving_file.exists()


@pytest.fixture
def small_filesystem(tmp_path):
    """A 6 MiB tmpfs (needs the right to mount: root, as in CI's container)."""
    mount = tmp_path / "fs"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {made.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)
