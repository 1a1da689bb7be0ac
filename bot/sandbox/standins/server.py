"""The HTTP server the stand-ins run on."""

from http.server import ThreadingHTTPServer


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-request is ordinary here (faults, killed bots): no traceback on stderr."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass
