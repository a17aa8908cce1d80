"""A process and its descendants, and their memory, from /proc (bench/run.py's sampler and bench/memtrace.py)."""

from __future__ import annotations

import os


def process_tree(root: int) -> set[int]:
    """``root`` and every process descended from it, now (from each process's parent in /proc/<pid>/stat)."""
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:  # the process ended meanwhile
                continue
            parent[int(entry.name)] = int(stat[stat.rfind(b")") + 2 :].split()[1])  # after "pid (comm) state"
    tree, grown = {root}, True
    while grown:
        children = {pid for pid, ppid in parent.items() if ppid in tree} - tree
        tree |= children
        grown = bool(children)
    return tree


def process_memory(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of a process in bytes; None when it ended, or is a zombie without memory."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            status = dict(line.split(b":", 1) for line in handle.read().splitlines() if b":" in line)
        return int(status[b"VmRSS"].split()[0]) * 1024, int(status[b"VmHWM"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return None
