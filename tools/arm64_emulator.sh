#!/usr/bin/env bash
# Installs qemu-user and the arm64 C library (Debian or Ubuntu packages) when they are missing, so that
# `make e2e-arm64` can run the arm64 `bootstrap` on this machine. Needs root, or sudo.
# Usage: tools/arm64_emulator.sh QEMU_AARCH64 ARM64_SYSROOT
set -euo pipefail
qemu=$1 sysroot=$2
packages=(qemu-user libc6-arm64-cross libgcc-s1-arm64-cross)
if [ -x "$qemu" ] && [ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] && [ -e "$sysroot/lib/libgcc_s.so.1" ]; then
	exit 0
fi
if ! command -v apt-get >/dev/null; then
	echo "install ${packages[*]} (qemu-aarch64 and an arm64 glibc)" >&2
	exit 1
fi
apt=(env DEBIAN_FRONTEND=noninteractive timeout 600 apt-get)
[ "$(id -u)" = 0 ] || apt=(sudo "${apt[@]}")
"${apt[@]}" install -y --no-install-recommends "${packages[@]}" \
	|| { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${packages[@]}"; }
