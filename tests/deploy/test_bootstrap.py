"""The `bootstrap` that `sam build` made (`make lint` runs `sam build` first): an arm64 Linux executable
that Lambda's provided.al2023 runtime can start, built so that panics unwind."""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from pathlib import Path

import pytest

from cfn import ROOT

BOOTSTRAP = Path(os.environ.get("MRK_SAM_BOOTSTRAP", ROOT / ".aws-sam" / "build" / "MrkProviderFunction" / "bootstrap"))
EM_AARCH64 = 0xB7
ET_EXEC, ET_DYN = 2, 3
# The C library of Lambda's provided.al2023 runtime is glibc 2.34.
AL2023_GLIBC = (2, 34)
# Lambda takes a zipped deployment package of at most 50 MB when it is uploaded directly.
LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def elf() -> bytes:
    if not BOOTSTRAP.is_file():
        pytest.fail(f"{BOOTSTRAP} is missing: run `make sam-build` (make lint does) first")
    return BOOTSTRAP.read_bytes()


def test_bootstrap_is_a_64_bit_little_endian_aarch64_linux_executable(elf):
    assert elf[:4] == b"\x7fELF", "not an ELF file"
    assert elf[4] == 2, "not 64-bit (ELFCLASS64)"
    assert elf[5] == 1, "not little-endian"
    e_type, e_machine = struct.unpack_from("<HH", elf, 0x10)
    assert e_machine == EM_AARCH64, f"e_machine is {e_machine:#x}, not AArch64 ({EM_AARCH64:#x})"
    assert e_type in (ET_EXEC, ET_DYN)


def test_bootstrap_is_linked_at_a_fixed_address(elf):
    # build.rs links it with -no-pie: no pointers for the dynamic loader to patch at each cold start.
    e_type, = struct.unpack_from("<H", elf, 0x10)
    assert e_type == ET_EXEC, f"e_type is {e_type}, not ET_EXEC: build.rs's -no-pie did not reach the linker"


def test_bootstrap_needs_no_newer_glibc_than_provided_al2023_has(elf):
    # The version names the binary's imports need, from its dynamic string table: GLIBC_2.17, ...
    names = re.findall(rb"\0GLIBC_(2\.[0-9.]+)\0", elf)
    needed = {tuple(int(part) for part in name.split(b".")) for name in names}
    assert needed, "no GLIBC_ version names found: not linked against glibc?"
    assert max(needed) <= AL2023_GLIBC, f"needs glibc {max(needed)}; provided.al2023 has {AL2023_GLIBC}"


def test_bootstrap_is_executable(elf):
    assert os.access(BOOTSTRAP, os.X_OK)


def test_panics_unwind_so_that_the_protocol_layer_still_answers(elf):
    # The unwinder is linked statically (zig), so look for the panic runtime itself: std's panic_unwind,
    # linked only when panic = "unwind", carries this message; with "abort" (cargo-lambda's default
    # release setting, which `make build` turns off) it is absent.
    assert b"Rust cannot catch foreign exceptions" in elf, "built with panic = \"abort\""


def test_bootstrap_is_stripped_and_the_zipped_package_fits_lambda(elf):
    names = {
        elf[name_offset:elf.index(b"\0", name_offset)]
        for name_offset in _section_name_offsets(elf)
    }
    assert b".symtab" not in names, "not stripped"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.write(BOOTSTRAP, "bootstrap")
    zipped = buffer.tell()
    print(f"\nbootstrap: {len(elf):,} bytes, zipped {zipped:,} bytes")
    assert zipped < LAMBDA_ZIP_LIMIT


def _section_name_offsets(data: bytes) -> list[int]:
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    names_section = struct.unpack_from("<IIQQQQIIQQ", data, shoff + shstrndx * shentsize)
    base = names_section[4]
    return [base + struct.unpack_from("<I", data, shoff + i * shentsize)[0] for i in range(shnum)]
