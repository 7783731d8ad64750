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

"""server-migrations-api: serve the standalone API (development server).

Production deployments run ``server_migrations.wsgi.api:application`` under
uWSGI (etc/server-migrations/server-migrations-uwsgi.ini); this threaded
stdlib server is for development, demos and tests.
"""

import argparse
import errno
import socketserver
import sys
from wsgiref import simple_server

from oslo_log import log as logging

from server_migrations.api import deploy
from server_migrations.cmd import common
from server_migrations.db import api as db_api

LOG = logging.getLogger(__name__)


def parse_flags(argv):
    """Split off --host/--port; "host" is already [DEFAULT] host (the agent
    name) in oslo.config, so these two are read before it.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--host', help='Address to listen on (overrides '
                                       '[api] bind_host).')
    parser.add_argument('--port', type=int, help='TCP port to listen on '
                                                 '(overrides [api] '
                                                 'bind_port).')
    return parser.parse_known_args(argv)


class _Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(simple_server.WSGIRequestHandler):

    def log_message(self, fmt, *args):
        LOG.info('%s %s', self.address_string(), fmt % args)


def make_server(conf, app, host=None, port=None):
    """Bind the server; a taken port is one clear line, not a traceback."""
    host = host or conf.api.bind_host
    port = conf.api.bind_port if port is None else port
    try:
        server = simple_server.make_server(host, port, app,
                                           server_class=_Server,
                                           handler_class=_Handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            common.fail('Port %s on %s is already in use; choose another '
                        'with --port or [api] bind_port.' % (port, host))
        common.fail('Cannot listen on %s:%s: %s' % (host, port,
                                                    exc.strerror))
    return server


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    flags, rest = parse_flags(argv)
    conf = common.setup(rest)
    db_api.configure(conf)
    deploy.use_conf(conf)
    app = deploy.loadapp(conf)
    server = make_server(conf, app, flags.host, flags.port)
    host, port = server.server_address[:2]
    LOG.info('server-migrations-api listening on http://%s:%s/', host, port)
    print('server-migrations-api listening on http://%s:%s/' % (host, port),
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
