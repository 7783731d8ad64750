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
commands to talk to it. Ctrl-C or SIGTERM stops everything it started
within seconds, whatever became of stdout.
"""

import argparse
import os
import signal
import sys
import threading

from oslo_log import log as logging

from server_migrations.api import deploy
from server_migrations.cmd.commands import db as db_commands
from server_migrations.cmd import common
from server_migrations.cmd import demo_data as demo
from server_migrations.cmd import demo_printout
from server_migrations.cmd import wsgi_server
from server_migrations.compute import api as compute_api
from server_migrations.compute import service
from server_migrations.conf import default as default_opts
from server_migrations import context as sm_context
from server_migrations.db import engine as db_engine
from server_migrations.db import instances as db_instances
from server_migrations.db import migration
from server_migrations import migration_states as states
from server_migrations import rpc
from server_migrations import startup

LOG = logging.getLogger(__name__)

DEFAULTS = {
    ('api', 'auth_strategy'): 'noauth2',
    (None, 'transport_url'): 'fake:/',
    ('fake_driver', 'bandwidth_mbps'): demo.BANDWIDTH_MBPS,
    ('fake_driver', 'step_seconds'): 1.0,
    ('compute', 'heartbeat_interval'): 5,
}
# Seconds the agents get to stop (a migration still copying then, such as
# one in post-copy, ends as "error"); past GRACE the process exits anyway.
AGENT_STOP_SECONDS = 2.0
GRACE_SECONDS = 10.0


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
                        help='simulated compute agents, at least 3 (3)')
    parser.add_argument('--transport-url',
                        help='a real oslo.messaging transport, e.g. '
                             'rabbit://guest:guest@127.0.0.1:5672/')
    parser.add_argument('--database-connection',
                        help='a real database URL instead of SQLite')
    flags, rest = parser.parse_known_args(argv)
    if flags.agents < 3:
        parser.error('--agents must be at least 3 (two for the demo '
                     'migrations to move between, one whose only slot '
                     'demo-busy holds)')
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
    conf = startup.setup(rest, defaults=defaults)
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


class _Stop(BaseException):
    """Raised in the main thread by the first SIGINT or SIGTERM."""


class Signals:
    """The first SIGINT/SIGTERM stops the demo; a second one exits now.

    The first raises :class:`_Stop` wherever the main thread is, so a
    start-up in progress is abandoned too. Once stopping, a watchdog ends
    the process if stopping takes longer than ``grace`` seconds.
    """

    def __init__(self, grace=GRACE_SECONDS):
        self.grace = grace
        self.stopping = False
        # Once the demo runs, the main thread waits on this instead: a
        # handler that only sets it lets a second signal's handler run
        # (one that raises leaves the next pending signal unhandled).
        self.running = False
        self.stop_requested = threading.Event()

    def install(self):
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum, _frame):
        if self.stopping:
            os._exit(128 + signum)
        self.stopping = True
        if self.running:
            self.stop_requested.set()
            return
        raise _Stop()

    def wait(self):
        """Block the main thread until the first signal."""
        self.running = True
        while not self.stopping:
            self.stop_requested.wait(1.0)

    def begin_stop(self):
        """Called once stopping starts, whatever started it."""
        self.stopping = True
        watchdog = threading.Timer(self.grace, self._overdue)
        watchdog.daemon = True
        watchdog.start()

    def _overdue(self):
        LOG.error('Still stopping after %s s (threads: %s); exiting now.',
                  self.grace, [t.name for t in threading.enumerate()])
        os._exit(1)


def _start_agents(conf, hosts, slots):
    agents = []
    for host in hosts:
        # Read when the agent starts its executor: each agent its own.
        conf.set_override('max_concurrent_live_migrations', slots[host],
                          group='compute')
        agent = service.ComputeService(conf, host=host)
        agent.start()
        agents.append(agent)
    conf.clear_override('max_concurrent_live_migrations', group='compute')
    return agents


class Demo:
    """The demo servers' migrations, started and kept in their situation."""

    def __init__(self, conf, hosts):
        self.api = compute_api.API(conf)
        self.admin = sm_context.get_admin_context()
        self.requester = sm_context.RequestContext(
            user_id='admin', project_id=demo.PROJECT, roles=['admin'],
            is_admin=True)
        self.placement, self.slots = demo.layout(hosts)
        self.slot_host = hosts[-1]
        self.movers = hosts[:-1]
        self.servers, self.migrations = {}, {}

    def start(self, guests_file):
        demo.reset(self.admin)
        self.servers = demo.seed(self.admin, self.placement, guests_file)
        # demo-busy takes its host's only slot before the queued ones ask.
        for name, (role, *_rest) in demo.SERVERS.items():
            dest = self.placement[name][1]
            self.migrations[name] = self.api.live_migrate(
                self.requester, self.servers[name], dest, False)
            wanted = ((states.QUEUED,) if role == demo.QUEUED
                      else (states.RUNNING,))
            demo.wait_status(self.admin, self.migrations[name]['id'], wanted)

    def keep_converging(self, stop, interval=2.0):
        """Start a new migration of demo-converging each time one ends."""
        name = demo.named(demo.CONVERGING)
        uuid = self.servers[name]['uuid']
        while not stop.wait(interval):
            try:
                # Its task state is cleared when its migration has ended.
                server = db_instances.instance_get(self.admin, uuid)
                if server is None or server['task_state'] is not None:
                    continue
                dest = [h for h in self.movers if h != server['host']][0]
                self.migrations[name] = self.api.live_migrate(
                    self.requester, server, dest, False)
                LOG.info('Demo: started migration %s of %s to %s',
                         self.migrations[name]['id'], name, dest)
            except Exception:
                LOG.exception('Demo: could not restart %s', name)


def _banner(server, conf, hosts, dev):
    host, port = server.address
    endpoint = 'http://%s:%s' % (host, port)
    common.say('server-migrations all-in-one: API on %s/ with %d simulated '
               'agents (%s); state in %s, log in %s.' % (
                   endpoint, len(hosts), ', '.join(hosts), conf.state_path,
                   conf.log_file))
    common.say('Development auth (noauth2): the token "%s" is user "admin" '
               '(an administrator) in project "%s".\n'
               % (demo.TOKEN, demo.PROJECT))
    conf_file = demo.write_conf(
        os.path.join(conf.state_path, 'server-migrations.conf'), conf)
    common.say(demo_printout.instructions(endpoint, dev.servers,
                                          dev.migrations, conf_file,
                                          dev.slot_host))
    common.say('\nPress Ctrl-C to stop.')


def _stop_all(server, agents):
    common.say('Stopping...')
    if server is not None:
        server.stop()
    stoppers = [threading.Thread(target=a.stop, args=(AGENT_STOP_SECONDS,),
                                 name='stop-%s' % a.host, daemon=True)
                for a in agents]
    for t in stoppers:
        t.start()
    for t in stoppers:
        t.join()
    rpc.reset()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    flags, rest = parse_flags(argv)
    conf = _configure(flags, rest)
    db_commands.ensure_sqlite_dir(conf.database.connection)
    db_engine.configure(conf)
    migration.upgrade(db_engine.get_engine())
    app = deploy.loadapp(conf)
    server = wsgi_server.make_server(app, flags.host, flags.port)
    common.log_dev_token(conf)

    signals = Signals()
    stop = threading.Event()
    hosts = ['compute%d' % (i + 1) for i in range(flags.agents)]
    agents = []
    try:
        signals.install()
        dev = Demo(conf, hosts)
        agents = _start_agents(conf, hosts, dev.slots)
        threading.Thread(target=server.serve_forever, name='api',
                         daemon=True).start()
        dev.start(conf.fake_driver.guests_file)
        threading.Thread(target=dev.keep_converging, args=(stop,),
                         name='demo', daemon=True).start()
        _banner(server, conf, hosts, dev)
        signals.wait()
    except _Stop:
        pass
    finally:
        signals.begin_stop()
        stop.set()
        _stop_all(server, agents)
    return 0


if __name__ == '__main__':
    sys.exit(main())
