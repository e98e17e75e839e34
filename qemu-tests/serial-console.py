#!/usr/bin/env python3
"""A QEMU serial console for boot tests that must press keys (qemu-tests/lib.sh
keel_boot_uefi): connects to QEMU's socket chardev, appends everything to LOG, and each
time the text so far matches the next WHEN regex, sends its KEYS (Python escapes, e.g.
'v\\r' for Down and Enter). Exits when QEMU closes the socket.

usage: serial-console.py SOCKET LOG [WHEN KEYS]...
"""
import re
import select
import socket
import sys
import time


def main():
    sock_path, log_path = sys.argv[1], sys.argv[2]
    steps = [(re.compile(sys.argv[i].encode()), sys.argv[i + 1].encode().decode("unicode_escape"))
             for i in range(3, len(sys.argv) - 1, 2)]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(200):  # QEMU creates the socket just after it starts
        try:
            s.connect(sock_path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            time.sleep(0.05)
    else:
        sys.exit(f"serial-console: cannot connect to {sock_path}")
    seen = b""
    matched_at = 0
    # Each step's keys go one at a time, a second apart, as a person types, and the socket
    # is read all the while, so none of the guest's output is dropped. OVMF's terminal
    # driver polls the same UART as GRUB and now and then takes a key first, so a step
    # that gets no reaction within 3 s is typed again (up to 5 times). The reaction is the
    # next step's text; for the last step, any output at all.
    typing, next_key, current, sent_at, retries, sent_len = [], 0.0, None, 0.0, 0, 0
    with open(log_path, "ab", buffering=0) as log:
        while True:
            readable, _, _ = select.select([s], [], [], 0.1)
            now = time.monotonic()
            if readable:
                data = s.recv(65536)
                if not data:
                    return
                log.write(data)
                seen += data
            if steps and steps[0][0].search(seen, matched_at):
                _, keys = steps.pop(0)
                matched_at = len(seen)
                log.write(f"\n[serial-console: sending {keys!r}]\n".encode())
                typing.extend(keys)
                current, retries = keys, 0
            if current is not None and not typing:
                reacted = (steps and steps[0][0].search(seen, matched_at)) or \
                          (not steps and len(seen) > sent_len)
                if reacted:
                    current = None
                elif now - sent_at > 3.0 and retries < 5:
                    log.write(f"\n[serial-console: no reaction, again {current!r}]\n".encode())
                    typing.extend(current)
                    retries += 1
            if typing and now >= next_key:
                s.sendall(typing.pop(0).encode())
                sent_at, next_key, sent_len = now, now + 1.0, len(seen)


if __name__ == "__main__":
    main()
