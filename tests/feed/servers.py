# SPDX-License-Identifier: GPL-2.0-or-later
# Misbehaving HTTP servers for the fetch test: "hang" accepts and never answers,
# "stream" sends a body with no length and never ends it. Usage: servers.py MODE PORT
import socket, sys, threading, time

mode, port = sys.argv[1], int(sys.argv[2])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)

def serve(c):
    try:
        if mode == "hang":
            time.sleep(120)
        else:
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            chunk = b"x" * 65536
            end = time.time() + 60
            while time.time() < end:
                c.sendall(chunk)
    except OSError:
        pass
    finally:
        c.close()

while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
