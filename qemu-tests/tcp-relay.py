#!/usr/bin/env python3
"""Relays one guest connection to a loopback port: QEMU's guestfwd=...-cmd: runs this
once per connection with the guest's socket on stdin. (A guestfwd to a chardev
connects once at startup and never tells the guest that the server closed.)"""
import selectors
import socket
import sys

guest = socket.socket(fileno=0)
host = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
host.settimeout(None)
sel = selectors.DefaultSelector()
sel.register(guest, selectors.EVENT_READ, host)
sel.register(host, selectors.EVENT_READ, guest)
open_sides = 2
while open_sides:
    for key, _ in sel.select(timeout=30) or [(None, None)]:
        if key is None:  # nothing for 30 s: give up rather than linger
            sys.exit(1)
        data = key.fileobj.recv(65536)
        if data:
            key.data.sendall(data)
            continue
        sel.unregister(key.fileobj)
        key.data.shutdown(socket.SHUT_WR)  # pass the end of the stream on
        open_sides -= 1
