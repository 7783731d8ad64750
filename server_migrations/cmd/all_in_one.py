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

"""server-migrations-all-in-one: the API, simulated agents and demo data.

One process on the embedded defaults (SQLite under the state directory,
oslo.messaging's in-process transport, the simulated hypervisor, noauth2),
seeded with servers whose live migrations are in progress, and the
commands to talk to it. Ctrl-C stops everything it started.
"""

import argparse
import os
import signal
import sys
import threading
import time

from oslo_log import log as logging

from server_migrations.api import deploy
from server_migrations.cmd import api as api_cmd
from server_migrations.cmd.commands import db as db_commands
from server_migrations.cmd import common
from server_migrations.cmd import demo_data
from server_migrations.compute import api as compute_api
from server_migrations.compute import service
from server_migrations.conf import default as default_opts
from server_migrations import context as sm_context
from server_migrations.db import api as db_api
from server_migrations.db import migration
from server_migrations import rpc

LOG = logging.getLogger(__name__)

DEFAULTS = {
    ('api', 'auth_strategy'): 'noauth2',
    (None, 'transport_url'): 'fake:/',
    # Slow enough to watch: a 2 GiB guest takes about half a minute.
    ('fake_driver', 'bandwidth_mbps'): 128.0,
    ('fake_driver', 'step_seconds'): 1.0,
    ('compute', 'heartbeat_interval'): 5,
}


def parse_flags(argv):
    parser = argparse.ArgumentParser(
        prog='server-migrations-all-in-one', description=__doc__.split(
            '\n')[0], epilog='Other arguments (--config-file ...) are '
                             'read by oslo.config.')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address the API listens on (127.0.0.1)')
    parser.add_argument('--port', type=int, default=8774,
                        help='port the API listens on (8774)')
    parser.add_argument('--state-dir',
                        help='directory of the SQLite database, logs and '
                             'demo files (default [DEFAULT] state_path)')
    parser.add_argument('--agents', type=int, default=3,
                        help='simulated compute agents, at least 2 (3)')
    parser.add_argument('--transport-url',
                        help='a real oslo.messaging transport, e.g. '
                             'rabbit://guest:guest@127.0.0.1:5672/')
    parser.add_argument('--database-connection',
                        help='a real database URL instead of SQLite')
    flags, rest = parser.parse_known_args(argv)
    if flags.agents < 2:
        parser.error('--agents must be at least 2 (a migration needs a '
                     'destination)')
    return flags, rest


def _configure(flags, rest):
    # The terminal is for the instructions; logs go to a file in the state
    # directory (a config file may still choose otherwise).
    state = os.path.abspath(os.path.expanduser(
        flags.state_dir or default_opts.DEFAULT_STATE_PATH))
    os.makedirs(state, exist_ok=True)
    defaults = dict(DEFAULTS)
    defaults[None, 'state_path'] = state
    defaults[None, 'log_file'] = os.path.join(state, 'all-in-one.log')
    conf = common.setup(rest, defaults=defaults)
    if flags.transport_url:
        conf.set_override('transport_url', flags.transport_url)
    if flags.database_connection:
        conf.set_override('connection', flags.database_connection,
                          group='database')
    os.makedirs(conf.state_path, exist_ok=True)
    conf.set_override('guests_file',
                      os.path.join(conf.state_path, 'demo-guests.json'),
                      group='fake_driver')
    return conf


def _wait_status(context, migration_id, statuses, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = db_api.migration_get(context, migration_id)
        if current and current['status'] in statuses:
            return current
        time.sleep(0.2)
    return db_api.migration_get(context, migration_id)


def _start_demo(conf, hosts):
    admin = sm_context.get_admin_context()
    demo_data.reset(admin)
    servers = demo_data.seed(admin, hosts, conf.fake_driver.guests_file)
    requester = sm_context.RequestContext(
        user_id='admin', project_id=demo_data.PROJECT, roles=['admin'],
        is_admin=True)
    api = compute_api.API(conf)
    migrations = {}
    # demo-stuck first: demo-queued, on the same source host, then waits
    # for the agent's only live-migration slot.
    for name in ('demo-converging', 'demo-stuck', 'demo-queued'):
        migrations[name] = api.live_migrate(requester, servers[name], None,
                                            False)
        if name == 'demo-stuck':
            _wait_status(admin, migrations[name]['id'], ('running',))
    return servers, migrations


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    flags, rest = parse_flags(argv)
    conf = _configure(flags, rest)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    db_commands.ensure_sqlite_dir(conf.database.connection)
    db_api.configure(conf)
    migration.upgrade(db_api.get_engine())
    deploy.use_conf(conf)
    app = deploy.loadapp(conf)
    server = api_cmd.make_server(conf, app, flags.host, flags.port)

    hosts = ['compute%d' % (i + 1) for i in range(flags.agents)]
    agents = [service.ComputeService(conf, host=h) for h in hosts]
    for agent in agents:
        agent.start()
    web = threading.Thread(target=server.serve_forever, name='api',
                           daemon=True)
    web.start()
    try:
        servers, migrations = _start_demo(conf, hosts)
        conf_file = demo_data.write_conf(
            os.path.join(conf.state_path, 'server-migrations.conf'), conf)
        host, port = server.server_address[:2]
        print('server-migrations all-in-one: API on http://%s:%s/ with %d '
              'simulated agents (%s); state in %s, logs in %s.\n'
              % (host, port, len(agents), ', '.join(hosts),
                 conf.state_path, conf.log_file))
        print(demo_data.instructions('http://%s:%s' % (host, port),
                                     servers, migrations, conf_file))
        print('\nPress Ctrl-C to stop.', flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        print('Stopping...', flush=True)
        server.shutdown()
        server.server_close()
        stoppers = [threading.Thread(target=a.stop, args=(10.0,))
                    for a in agents]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        rpc.reset()
    return 0


if __name__ == '__main__':
    sys.exit(main())
