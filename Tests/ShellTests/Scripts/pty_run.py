"""Runs a program on a pseudo-terminal (stdin and stdout both a TTY), types INPUT, and prints
everything the program wrote to the terminal, base64-encoded (escape codes included).

usage: pty_run.py WORKDIR INPUT PROGRAM [ARGS...]   (extra environment from the caller)
"""
import base64, os, pty, select, subprocess, sys, time

workdir, typed, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = pty.openpty()
process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=workdir, close_fds=True)
os.close(slave)
output = b""
os.write(master, typed.encode())
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([master], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    elif process.poll() is not None:
        break
process.wait(timeout=10)
print(base64.b64encode(output).decode())
