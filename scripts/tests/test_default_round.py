"""The README's main job at the default size: one whole round of the default extract
(46,565 households), its package byte for byte. A file of its own, so that pytest-xdist
runs it on one worker while the other takes the rest of the slow tier."""

from __future__ import annotations

from test_package_bytes import assert_package_matches_baseline

from conftest import drop_round_schemas
from test_round import run_round


def test_the_default_round_exports_exactly_46565_households(default_extract, tmp_path):
    """The README's main job on the default extract (46,565 households), as round BASEDF:
    every byte of its package equals the SHA-256s recorded from the code before the
    speed work (scripts/tests/data/baseline-packages.json; see test_package_bytes.py)."""
    out = tmp_path / "BASEDF"
    try:
        result = run_round(default_extract, "BASEDF", out, 46_565)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        data = (out / "KT010.dat").read_bytes().split(b"\r\n")
        assert data[-1] == b"" and len(data[1:-2]) == 46_565
        assert data[-2].startswith(b"9000046565")
        control = (out / "KT000_CONTROL.csv").read_bytes().decode("cp932").splitlines()
        assert control[1].startswith("KT010,46565,")
        assert_package_matches_baseline(out, "BASEDF")
    finally:
        drop_round_schemas("BASEDF")
