#!/usr/bin/env python3
"""Judges qemu.011_power_cut's runs (power-cut.py's runs.json of each chain).

usage: check.py MIN_KILLS INSTALLED NAME=CHECKSUM... -- RUN_DIR...

INSTALLED is the image's deployment (<commit>.<serial>), the one a normal boot may start
before anything booted good; a deployment that starts as a normal boot without having
booted good before came from an update that was not on a GRUB trial. NAME=CHECKSUM are
the commits a boot may start (v1 as installed, v1 as published, v2).
Prints an ok/FAIL line per fact and the kill-point table (Markdown, for docs/UPDATES.md);
exits 1 when anything failed: a boot of another commit, a kernel panic, a marker that
changed or went missing, a run stuck before its step, a chain that does not boot to a
good state at the end, fewer than MIN_KILLS cuts, or a kind of step no cut landed in.
"""
import json
import os
import re
import sys

ROOT = re.compile(r"info keel-init: starting in the real root \(/sysroot/ostree/deploy/\w+/deploy/([0-9a-f]{64})\.(\d+)\)")
BOOT = re.compile(r"info keel-init: boot: deployment \S+ \(version [0-9.]+\): ([^\r\n]*)")
# The events that tell which deployments booted good, and how each boot started.
EVENTS = re.compile(r"info keel-init: boot: deployment (\S+) \(version [0-9.]+\): normal boot"
                    r"|info keel-init: boot: good: deployment (\S+) passed"
                    r"|info observer: observer: power cut: booted (\S+) version \S+ kind \S+ state good")
OBSERVER = re.compile(r"info observer: observer: power cut: booted (\S*) version (\S*) kind (\S*) state (\S*) marker (\S+)")
BAD = ["Kernel panic", "avc:  denied", "observer: power cut: update apply failed",
       "observer: power cut: rollback failed", "error keel-runtime"]
# Each kind of step must have had cuts in it (the phases of power-cut.py).
COVER = {
    "download": ["download"],
    "deploy": ["verify", "deploy"],
    "boot loader switch": ["boot loader switch", "trial arming", "reboot"],
    "trial boot": ["trial boot: GRUB", "trial boot: kernel, keel-init", "trial boot: gates"],
}
failed = False


def fail(msg):
    global failed
    failed = True
    print(f"FAIL: {msg}")


def next_boot(text, names):
    roots = ROOT.findall(text)
    if not roots:
        return "cut again before the kernel started"
    csum, serial = roots[0]
    boot = BOOT.search(text)
    kind = boot.group(1) if boot else "cut again before keel-init's boot check"
    kind = re.sub(r"deployment [0-9a-f]{64}\.\d+", lambda m: m.group(0)[11:23] + "…", kind)
    return f"{names.get(csum, 'UNKNOWN ' + csum[:12])} ({csum[:12]}.{serial}): {kind}"


def main():
    sep = sys.argv.index("--")
    min_kills = int(sys.argv[1])
    installed = sys.argv[2]
    names = {}
    for arg in sys.argv[3:sep]:
        name, csum = arg.split("=")
        names[csum] = name
    rows, kills, phases = [], 0, []
    for run_dir in sys.argv[sep + 1:]:
        chain = os.path.basename(run_dir.rstrip("/"))
        runs = json.load(open(os.path.join(run_dir, "runs.json")))
        texts = [open(r["log"], errors="replace").read() for r in runs]
        reference = None
        good = {installed}
        for i, (r, text) in enumerate(zip(runs, texts)):
            for m in EVENTS.finditer(text):
                if m.group(1) and m.group(1) not in good:
                    fail(f"{chain} run {i:02d}: deployment {m.group(1)} started as a normal "
                         "boot before it ever booted good: its update was not on a GRUB trial")
                good.update(d for d in m.groups()[1:] if d)
            for csum, serial in ROOT.findall(text):
                if csum not in names:
                    fail(f"{chain} run {i:02d} booted {csum}.{serial}, neither v1 nor v2")
            for bad in BAD:
                if bad in text:
                    line = next(l for l in text.splitlines() if bad in l)
                    fail(f"{chain} run {i:02d}: {line.strip()}")
            for dep, version, kind, state, marker in OBSERVER.findall(text):
                if reference is None:
                    if i != 0 or "observer: power cut: marker written" not in text:
                        fail(f"{chain}: the first report is not the one that wrote the marker")
                    reference = marker
                elif marker != reference:
                    fail(f"{chain} run {i:02d}: the /var marker's hash is {marker}, "
                         f"not {reference} as written before the first cut")
            if r["seen_s"] is None:
                fail(f"{chain} run {i:02d}: the '{r['step']}' line never came ({r['log']})")
        if reference is None:
            fail(f"{chain}: the observer never reported the /var marker")
        last = OBSERVER.findall(texts[-1])
        if runs[-1]["step"] != "check" or not last or last[0][3] != "good":
            fail(f"{chain}: the last run did not boot to a good state and report")
        else:
            print(f"ok:   {chain}: after the last cut, {last[0][1]} ({last[0][0]}) booted "
                  f"good; marker {last[0][4][:16]}… intact")
        for i, r in enumerate(runs[:-1]):
            if r["seen_s"] is None or r["killed_s"] is None:
                continue
            kills += 1
            phases.append(r["phase"])
            rows.append(f"| {kills} | {chain} | {r['step']} + {r['delay']:g} s | {r['seen_s']:.1f} | "
                        f"{r['killed_s']:.1f} | {r['phase']} | {next_boot(texts[i + 1], names)} |")
    print("| # | chain | planned cut | line seen (s) | killed (s) | where the guest was | next boot |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    if kills < min_kills:
        fail(f"only {kills} power cuts landed, at least {min_kills} wanted")
    else:
        print(f"ok:   {kills} power cuts, every next boot a valid deployment")
    for kind, names_ in COVER.items():
        n = sum(p in names_ for p in phases)
        if n == 0:
            fail(f"no cut landed in the {kind}")
        else:
            print(f"ok:   {n} cut(s) in the {kind}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
