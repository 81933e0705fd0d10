#!/usr/bin/env python3
"""Self instructions per wasm function: a callgrind profile (taken with --dump-instr=yes) of
kwhost with KWHOST_PERFMAP=1, whose JIT code valgrind cannot name, attributed through the perf
map wasmtime wrote (/tmp/perf-<pid>.map). Host code (wasmtime, libc) keeps callgrind's names.

usage: wasm_profile.py CALLGRIND_OUT PERF_MAP [EVALUATIONS] [TOP]
Prints the TOP entries (default 40), in instructions per evaluation.
"""
import bisect
import re
import sys
from collections import defaultdict


def read_perf_map(path):
    """Sorted (start, end, name) of every compiled function."""
    ranges = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) == 3:
                start, size = int(parts[0], 16), int(parts[1], 16)
                ranges.append((start, start + size, parts[2]))
    ranges.sort()
    return ranges


def self_costs(path):
    """(address, function name) -> self Ir, from a callgrind file with instruction positions."""
    costs = defaultdict(int)
    names = {}
    fn = "?"
    pos = 0
    skip_next = False  # the line after `calls=` is a call's inclusive cost, not self cost
    name_re = re.compile(r"^c?fn=\((\d+)\)(?: (.*))?$")
    npos = 1  # position columns before the cost: `instr`, or `instr line`
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if line.startswith("positions:"):
                npos = len(line.split()) - 1
                continue
            if c.isdigit() or c in "+-*" or line.startswith("0x"):
                fields = line.split()
                p = fields[0]
                if p == "*":
                    pass
                elif p[0] in "+-":
                    pos += int(p, 0)
                else:
                    pos = int(p, 0)
                if skip_next:
                    skip_next = False
                    continue
                if len(fields) > npos:
                    costs[(pos, fn)] += int(fields[npos])
                continue
            m = name_re.match(line)
            if m:
                ident, name = m.group(1), m.group(2)
                if name is not None:
                    names[ident] = name
                if line.startswith("fn="):
                    fn = names.get(ident, ident)
                continue
            if line.startswith("calls="):
                skip_next = True
    return costs


def main():
    out, perf = sys.argv[1], sys.argv[2]
    evaluations = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    ranges = read_perf_map(perf)
    starts = [r[0] for r in ranges]
    totals = defaultdict(int)
    for (addr, fn), ir in self_costs(out).items():
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and ranges[i][0] <= addr < ranges[i][1]:
            totals["wasm  " + ranges[i][2]] += ir
        else:
            totals["host  " + fn] += ir
    grand = sum(totals.values())
    wasm = sum(v for k, v in totals.items() if k.startswith("wasm"))
    print(f"per evaluation: {grand // evaluations:,} instructions, "
          f"{wasm // evaluations:,} in wasm functions")
    for name, ir in sorted(totals.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{ir // evaluations:>10,}  {100 * ir / grand:5.1f} %  {name[:150]}")


if __name__ == "__main__":
    main()
