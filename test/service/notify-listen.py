#!/usr/bin/python3
# A stand-in for systemd's side of sd_notify(3): binds a unix datagram
# socket (abstract, "@..." as systemd may use), runs COMMAND with
# NOTIFY_SOCKET and WATCHDOG_USEC set, and writes every datagram it gets to
# LOG as "SECONDS PID STATE" lines (PID from SCM_CREDENTIALS, as systemd's
# NotifyAccess=main checks it). SIGTERM/SIGINT are passed on to the child;
# exits with the child's status.
# Usage: notify-listen.py LOG WATCHDOG_USEC -- COMMAND [ARGS...]
import os, signal, socket, struct, subprocess, sys, threading, time

log_path, watchdog_usec = sys.argv[1], sys.argv[2]
cmd = sys.argv[sys.argv.index("--") + 1:]
name = "re6st-notify-test-%d" % os.getpid()
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind("\0" + name)
env = dict(os.environ, NOTIFY_SOCKET="@" + name, WATCHDOG_USEC=watchdog_usec)
t0 = time.monotonic()
log = open(log_path, "w", buffering=1)


def listen():
    while True:
        msg, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = -1
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iii", data[:12])[0]
        for line in msg.decode(errors="replace").split("\n"):
            log.write("%.3f %d %s\n" % (time.monotonic() - t0, pid, line))


threading.Thread(target=listen, daemon=True).start()
child = subprocess.Popen(cmd, env=env)
with open(log_path + ".pid", "w") as f:
    f.write("%d\n" % child.pid)
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, lambda signo, _: child.send_signal(signo))
while True:
    try:
        rc = child.wait()
        break
    except InterruptedError:
        continue
time.sleep(0.2)  # the last datagrams
sys.exit(rc if rc >= 0 else 128 - rc)
