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

The embedded server is cheroot (see ``wsgi_server``); production
deployments may also run ``server_migrations.wsgi.api:application`` under
uWSGI (etc/server-migrations/server-migrations-uwsgi.ini).
"""

import argparse
import signal
import sys
import threading

from oslo_log import log as logging

from server_migrations.api import deploy
from server_migrations.cmd import common
from server_migrations.cmd import wsgi_server
from server_migrations.db import engine as db_engine
from server_migrations import startup

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


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    flags, rest = parse_flags(argv)
    conf = startup.setup(rest)
    db_engine.configure(conf)
    app = deploy.loadapp(conf)
    server = wsgi_server.make_server(
        app, flags.host or conf.api.bind_host,
        conf.api.bind_port if flags.port is None else flags.port)
    # Serve in a thread so that the main thread is free to take signals.
    web = threading.Thread(target=server.serve_forever, name='http',
                           daemon=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    web.start()
    host, port = server.address
    LOG.info('server-migrations-api listening on http://%s:%s/', host, port)
    common.log_dev_token(conf)
    common.say('server-migrations-api listening on http://%s:%s/'
               % (host, port))
    while not stop.wait(0.5) and web.is_alive():
        pass
    server.stop()
    # Stopped by a signal: 0; the server thread died on its own: 1.
    return 0 if stop.is_set() else 1
