"""moto's S3 server, applying one request at a time.

moto checks If-Match / If-None-Match and then writes, without a lock, on a threaded
server: under load two conditional writes with the same condition can both pass (seen
here: 8 x 50 compare-and-swap increments ended at 397). Real S3 and MinIO apply
conditional writes atomically; serialising moto's requests makes it do the same, so the
conformance suite tests our code against the semantics of a real store.
Usage: python moto_serial.py HOST PORT
"""
import os
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serial(environ, start_response):
    with lock:
        # Materialise the response inside the lock: the write happens in the app call.
        return list(app(environ, start_response))


run_simple(host, port, serial, threaded=True, request_handler=MotoRequestHandler)
