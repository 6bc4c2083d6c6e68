"""moto_server that applies one request at a time, as DynamoDB applies each write atomically.

moto's DynamoDB handlers read, change and write an item in Python without a lock, so two
concurrent ``UpdateItem ... ADD`` calls on one item can lose a count, which DynamoDB never
does. The project's store tests check exactly that kind of concurrency, so the endpoint they
run against must not lose writes. This wrapper runs moto's own server with the same flags
(``-H HOST -p PORT``) and puts one lock around each DynamoDB request (``X-Amz-Target:
DynamoDB_...``): the body is read first (a slow client does not hold the lock), then moto
handles the request and its answer is collected under the lock. DynamoDB requests are
small; S3 and SQS requests (model downloads among them) are not serialised.

Usage (scripts/moto.sh): ``$TOOLS_VENV/bin/python scripts/moto_server.py -H 127.0.0.1 -p PORT``
"""

import io
import sys
import threading

from moto import server
from werkzeug.serving import run_simple


class OneAtATime:
    """WSGI middleware: the wrapped app handles one DynamoDB request at a time."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self.app(environ, start_response)
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            body = stream.read(int(length))
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        chunks, answer = [], []

        def capture(status, headers, exc_info=None):
            answer[:] = [status, headers, exc_info]
            return chunks.append

        with self.lock:
            result = self.app(environ, capture)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        start_response(*answer)
        return chunks


def main(argv):
    server.run_simple = lambda host, port, app, **kw: run_simple(host, port, OneAtATime(app), **kw)
    server.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
