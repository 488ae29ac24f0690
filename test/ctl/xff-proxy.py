#!/usr/bin/env python3
# A reverse proxy on 127.0.0.1 (random port, printed on stdout) that forwards
# every request to the registry URL argv[1] with "X-Forwarded-For: 192.0.2.7",
# so that the registry sees a client outside --authorized-origin.
import http.server
import sys
import urllib.error
import urllib.request

TARGET = sys.argv[1]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        req = urllib.request.Request(TARGET + self.path,
                                     headers={'X-Forwarded-For': '192.0.2.7'})
        try:
            with OPENER.open(req, timeout=10) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
