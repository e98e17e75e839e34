#!/usr/bin/env python3
"""Cuts the power of one QEMU machine at planned moments (qemu.011_power_cut).

usage: power-cut.py RUN_DIR PLAN -- QEMU_COMMAND...

PLAN is a comma-separated list of STEP+SECONDS (download+0.5, grub+0): for each, QEMU is
started on the same disk (QEMU_COMMAND, where {log} is replaced by this run's serial log
RUN_DIR/run-NN.log), the log is watched until STEP's line appears (STEPS below; it may
come after reboots inside the same QEMU), and SECONDS later QEMU gets SIGKILL: the
guest's RAM and whatever it had not yet written to its disk are lost, as in a power cut.
One more run after the last kill boots without a cut until the observer reports
("check"). Each run's facts go to RUN_DIR/runs.json for check.py; the kill points are
printed as they happen.
"""
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import time

# The lines that start each step, as the serial console shows them.
STEPS = {
    "download": r"info observer: Update: downloading ",
    "deploy": r"info observer: Update: deploying ",
    "switch": r"info observer: Update: switching the boot loader",
    "arm": r"info observer: Update: arming the boot trial",
    "reboot": r"info observer: Rebooting\.",
    "grub": r"Keel: trying deployment",  # GRUB takes an attempt of a trial
    "root": r"info keel-init: starting in the real root",
    "gates": r"info keel-init: boot: deployment \S+ \(version [0-9.]+\): ",
    "trial": r"info keel-init: boot: deployment \S+ \(version [0-9.]+\): trial boot",
    "check": r"info observer: observer: power cut: booted ",
}
# Where a machine is when the power goes: the last of these lines before the kill.
PHASES = [
    (r"info observer: Update: downloading ", "download"),
    (r"info observer: (Downloaded |Release \S+ is downloaded already)", "verify"),
    (r"info observer: Update: deploying ", "deploy"),
    (r"info observer: Update: switching the boot loader", "boot loader switch"),
    (r"info observer: Update: arming the boot trial", "trial arming"),
    (r"info observer: Rebooting\.", "reboot"),
    (r"Welcome to GRUB!", "GRUB"),
    (r"info keel-init: starting in the real root", "kernel, keel-init"),
    (r"info keel-init: boot: deployment ", "gates"),
    (r"info keel-init: boot: good", "booted, good"),
    (r"info observer: observer: power cut: booted ", "booted, observer"),
]
BOOT_PHASES = {"GRUB", "kernel, keel-init", "gates"}
RUN_LIMIT = 300  # seconds from QEMU's start to the step's line: more means a stuck boot


def phase_at(text):
    best, where = "firmware, before any step", -1
    for pattern, name in PHASES:
        for m in re.finditer(pattern, text):
            if m.start() > where:
                best, where = name, m.start()
    if best in BOOT_PHASES:
        # Which boot: GRUB says so when it takes a trial attempt or falls back.
        this_boot = text[text.rfind("Welcome to GRUB!"):]
        if "Keel: trying deployment" in this_boot:
            best = "trial boot: " + best
        elif re.search(r"Keel: deployment\s+\S+\s+used\s+up", this_boot):
            best = "fallback boot: " + best
        else:
            best = "normal boot: " + best
    return best


def die_with_parent():
    # QEMU must not outlive this script (a test stopped by CTest's timeout).
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_once(cmd, log, step, delay):
    """Starts QEMU, kills it `delay` s after `step`'s line. Returns the run's facts."""
    if os.path.exists(log):
        os.unlink(log)
    start = time.monotonic()
    proc = subprocess.Popen([a.replace("{log}", log) for a in cmd], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=die_with_parent)
    pattern = re.compile(STEPS[step])
    facts = {"step": step, "delay": delay, "seen_s": None, "killed_s": None,
             "phase": None, "exited": None}
    while True:
        time.sleep(0.02)
        text = open(log, errors="replace").read() if os.path.exists(log) else ""
        if pattern.search(text):
            facts["seen_s"] = round(time.monotonic() - start, 2)
            break
        if proc.poll() is not None:
            facts["exited"] = proc.returncode
            break
        if time.monotonic() - start > RUN_LIMIT:
            break
    if facts["seen_s"] is not None:
        time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        facts["killed_s"] = round(time.monotonic() - start, 2)
        # What the guest had printed when it lost power.
        facts["phase"] = phase_at(open(log, errors="replace").read())
    elif facts["exited"] is None:
        facts["exited"] = proc.returncode
    proc.wait()
    return facts


def main():
    run_dir, plan = sys.argv[1], sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    name = os.path.basename(run_dir.rstrip("/"))
    points = []
    for item in plan.split(","):
        step, delay = item.split("+")
        if step not in STEPS:
            sys.exit(f"FAIL: power-cut.py: unknown step {step} (one of {', '.join(STEPS)})")
        points.append((step, float(delay)))
    points.append(("check", 0.0))  # the last run: boot, report, then power off the hard way
    runs = []
    for i, (step, delay) in enumerate(points):
        log = os.path.join(run_dir, f"run-{i:02d}.log")
        facts = run_once(cmd, log, step, delay)
        facts["log"] = log
        runs.append(facts)
        print(f"{name} run {i:02d}: {step}+{delay:g} s: line seen at {facts['seen_s']} s, "
              f"killed at {facts['killed_s']} s, in phase '{facts['phase']}'"
              + (f", QEMU exited by itself ({facts['exited']})" if facts["exited"] is not None else ""),
              flush=True)
        with open(os.path.join(run_dir, "runs.json"), "w") as f:
            json.dump(runs, f, indent=1)
        if facts["seen_s"] is None:
            print(f"FAIL: {name} run {i:02d}: no '{step}' line within {RUN_LIMIT} s "
                  f"(stuck or powered off: see {log}); the chain stops here", flush=True)
            break


if __name__ == "__main__":
    main()
