#!/usr/bin/python3
"""Linked-flash report for the Cortex-M size example, from the GNU ld map file.

Usage: pd_size.py MAP ELF NM LABEL [BUDGET]
Sums the input sections that survived --gc-sections into flash (.text*, .rodata*, .data*
initialisers) and RAM (.data*, .bss*), grouped as library (libparley_device.a), newlib
(libc*.a), libgcc (libgcc.a) and the example itself. Fails (exit 1) when the library's linked
flash is above BUDGET, or when soft-float helpers (__aeabi_f*, __aeabi_d*) or libc functions
other than mem*/str* were linked."""
import re
import subprocess
import sys


def parse_map(path):
    """Yield (section, size, origin) for each input section in the memory map part."""
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    except StopIteration:
        sys.exit("no memory map in " + path)
    pending = None
    rx = re.compile(r"^\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$")
    for line in lines[start:]:
        m = re.match(r"^ (\.\S+)\s*$", line)
        if m:  # long section name; address, size and origin on the next line
            pending = m.group(1)
            continue
        m = re.match(r"^ (\.\S+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if m:
            yield m.group(1), int(m.group(2), 16), m.group(3)
            pending = None
            continue
        m = rx.match(line)
        if m and pending:
            yield pending, int(m.group(1), 16), m.group(2)
        pending = None


def group(origin):
    if "libparley_device.a" in origin:
        return "library"
    if "libgcc.a" in origin:
        return "libgcc"
    if re.search(r"lib(c|c_nano|nosys|g_nano|m)\.a", origin):
        return "newlib"
    return "example"


def main():
    map_path, elf, nm, label = sys.argv[1:5]
    budget = int(sys.argv[5]) if len(sys.argv) > 5 else None
    flash = {}
    ram = {}
    lib = {"text": 0, "data": 0, "bss": 0}
    for sec, size, origin in parse_map(map_path):
        g = group(origin)
        if sec.startswith((".text", ".rodata")):
            flash[g] = flash.get(g, 0) + size
            if g == "library":
                lib["text"] += size
        elif sec.startswith(".data"):
            flash[g] = flash.get(g, 0) + size
            ram[g] = ram.get(g, 0) + size
            if g == "library":
                lib["data"] += size
        elif sec.startswith((".bss", "COMMON")):
            ram[g] = ram.get(g, 0) + size
            if g == "library":
                lib["bss"] += size
    syms = subprocess.run([nm, "-S", "--defined-only", elf], capture_output=True, text=True,
                          check=True).stdout
    ctx = 0
    names = set()
    for line in syms.splitlines():
        parts = line.split()
        names.add(parts[-1])
        if parts[-1] == "client" and len(parts) == 4:
            ctx = int(parts[1], 16)
    soft = sorted(n for n in names if re.match(r"__aeabi_[fd]", n))
    libflash = flash.get("library", 0)
    print(f"{label}: library linked flash {libflash} B "
          f"(text+rodata {lib['text']}, data {lib['data']}, bss {lib['bss']}); "
          f"newlib {flash.get('newlib', 0)} B, libgcc {flash.get('libgcc', 0)} B, "
          f"example+startup {flash.get('example', 0)} B; context {ctx} B "
          f"(+ txbuf 256 B + rxbuf 128 B in the example)")
    bad = 0
    if soft:
        print(f"{label}: soft-float helpers linked: {' '.join(soft)}")
        bad = 1
    if ctx == 0 or ctx > 96:
        print(f"{label}: context size {ctx} B is not within 1..96")
        bad = 1
    if budget is not None and libflash > budget:
        print(f"{label}: library linked flash {libflash} B is above the budget of {budget} B")
        bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
