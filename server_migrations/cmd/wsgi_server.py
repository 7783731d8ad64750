# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The embedded HTTP server of server-migrations-api and the all-in-one.

Cheroot (the CherryPy project's WSGI server): a pool of worker threads for
requests, while connections waiting between two keep-alive requests sit in
an epoll selector and cost no thread, so hundreds of clients can stay
connected to a handful of threads. It binds in ``prepare()`` (a taken port
is reported before anything else starts) and ``stop()`` may be called from
any thread, which is how the all-in-one stops it on a signal.
"""

import errno
import logging as std_logging

from cheroot import wsgi
from oslo_log import log as logging

from server_migrations import startup

LOG = logging.getLogger(__name__)

# Worker threads running the application; more clients than this queue on
# their connection, they are not refused.
THREADS = 16
# Connections the kernel accepts for us before cheroot picks them up
# (socket.listen backlog; Linux caps it at net.core.somaxconn).
BACKLOG = 1024
# Idle keep-alive connections kept open; past this a response says
# "Connection: close" instead.
KEEP_ALIVE_LIMIT = 2048
# Seconds an idle connection is kept, and a stop waits for busy workers.
IDLE_TIMEOUT = 30
STOP_TIMEOUT = 5


class _Server(wsgi.Server):
    """cheroot's server, with its messages in our log, not on stderr."""

    keep_alive_conn_limit = KEEP_ALIVE_LIMIT

    def error_log(self, msg='', level=std_logging.INFO, traceback=False):
        LOG.log(level, 'HTTP server: %s', msg, exc_info=traceback)


def _access_logged(app):
    """Log one line per answered request, as the old stdlib server did."""
    def logged(environ, start_response):
        def start(status, headers, exc_info=None):
            LOG.info('%s "%s %s" %s', environ.get('REMOTE_ADDR'),
                     environ.get('REQUEST_METHOD'),
                     environ.get('PATH_INFO'), status.split(' ', 1)[0])
            return start_response(status, headers, exc_info)
        return app(environ, start)
    return logged


class HTTPServer:
    """A bound server: ``address``, ``serve_forever()`` and ``stop()``."""

    def __init__(self, server):
        self._server = server
        # prepare() resolved port 0 to the port the kernel chose.
        self.address = server.socket.getsockname()[:2]

    def serve_forever(self):
        self._server.serve()

    def stop(self):
        """Close the listening socket and the connections; idempotent."""
        self._server.stop()


def make_server(app, host, port):
    """Bind ``host:port``; a taken port is one clear line, not a traceback.

    :returns: an :class:`HTTPServer`, listening but not yet serving.
    """
    server = _Server((host, port), _access_logged(app), numthreads=THREADS,
                     request_queue_size=BACKLOG, timeout=IDLE_TIMEOUT,
                     shutdown_timeout=STOP_TIMEOUT,
                     server_name='server-migrations')
    try:
        server.prepare()
    except OSError as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
        if cause.errno == errno.EADDRINUSE or 'in use' in str(exc):
            startup.fail('Port %s on %s is already in use; choose another '
                         'with --port or [api] bind_port.' % (port, host))
        startup.fail('Cannot listen on %s:%s: %s' % (
            host, port, cause.strerror or cause))
    return HTTPServer(server)
