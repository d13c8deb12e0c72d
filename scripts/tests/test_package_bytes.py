"""Every output byte unchanged: packages compared with SHA-256s recorded from the code
before the speed work (scripts/tests/data/baseline-packages.json).

Round BASE04 is the 400-household extract (seed 7), rebuilt here (fast); round BASEDF is
the default extract, compared by test_round.py's default-round test (CI runs the full
default round once). The round name is written into every record, so the rounds keep
exactly these names. manifest.json's ``basis`` records the dbt project checksum and node
counts, which change with the models and tests: the manifest is compared without it (and
the other files byte for byte).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import drop_round_schemas, make_extract, run_cli

BASELINE = json.loads((Path(__file__).parent / "data" / "baseline-packages.json")
                      .read_text(encoding="utf-8"))


def package_hashes(out: Path) -> dict[str, str]:
    """SHA-256 of every file of a package, and of manifest.json without ``basis``."""
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted(out.iterdir()) if p.is_file()}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("basis")
    hashes["manifest.json without basis"] = hashlib.sha256(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()).hexdigest()
    return hashes


def assert_package_matches_baseline(out: Path, round_id: str) -> None:
    expected = dict(BASELINE["packages"][round_id]["files"])
    expected.pop("manifest.json")  # holds basis: compared without it below
    found = package_hashes(out)
    found.pop("manifest.json")
    differing = sorted(name for name in expected.keys() | found.keys()
                       if expected.get(name) != found.get(name))
    assert differing == [], f"{round_id}: files differ from the recorded baseline: {differing}"


def run_baseline_round(extract: Path, round_id: str, out: Path):
    households = BASELINE["packages"][round_id]["households"]
    return run_cli("run", "--input", str(extract), "--round", round_id,
                   "--as-of", BASELINE["as_of"], "--expected-households", str(households),
                   "--out", str(out))


def test_the_400_household_package_is_byte_identical_to_the_baseline(server, tmp_path):
    spec = BASELINE["packages"]["BASE04"]
    extract = make_extract(tmp_path / "extract", households=spec["households"],
                           seed=spec["seed"])
    out = tmp_path / "BASE04"
    try:
        result = run_baseline_round(extract, "BASE04", out)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        assert_package_matches_baseline(out, "BASE04")
    finally:
        drop_round_schemas("BASE04")


def test_the_comparison_can_fail(tmp_path):
    """One changed byte in one file is named (the comparison is not vacuous)."""
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"basis": {}, "round": "BASE04"}),
                                       encoding="utf-8")
    (out / "KT010.dat").write_bytes(b"x")
    try:
        assert_package_matches_baseline(out, "BASE04")
    except AssertionError as exc:
        assert "KT010.dat" in str(exc) and "manifest.json without basis" in str(exc)
    else:
        raise AssertionError("a changed package passed the comparison")


# --- the export's binary COPY path (export.py) -----------------------------------------
def _copy_stream(records: list[bytes | None]) -> bytes:
    """What COPY … TO STDOUT (FORMAT binary) sends for one bytea column."""
    data = bytearray(b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00")
    for record in records:
        data += b"\x00\x01"
        if record is None:
            data += b"\xff\xff\xff\xff"
        else:
            data += len(record).to_bytes(4, "big") + record
    return bytes(data + b"\xff\xff")


def _through_sink(stream: bytes, length: int, piece: int = 7) -> bytes:
    from nhi_migration import export

    written: list[bytes] = []
    sink = export._BinaryCopySink(length, written.append)
    for start in range(0, len(stream), piece):  # COPY hands over a row at a time, or less
        sink.write(stream[start:start + piece])
    sink.finish()
    return b"".join(written)


def test_the_binary_copy_path_passes_good_records_through_unchanged():
    records = [b"ABCDE\r\n", "髙﨑".encode("cp932") + b"X\r\n", b"12345\r\n"]
    assert _through_sink(_copy_stream(records), 5) == b"".join(records)


def test_the_binary_copy_path_gives_way_on_a_null_or_misfit_record():
    """A NULL record (a value that does not fit) or one of another length is not passed
    on: the export then writes the file record by record and refuses naming it."""
    from nhi_migration import export

    for bad in ([b"ABCDE\r\n", None, b"12345\r\n"], [b"ABCDE\r\n", b"ABCD\r\n"],
                [b"ABCDE\r\n", b"ABCDEF\r\n"]):
        try:
            _through_sink(_copy_stream(bad), 5)
        except export._NotFastPath:
            continue
        raise AssertionError(f"a bad stream passed: {bad}")
