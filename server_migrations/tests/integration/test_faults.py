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

"""Outages of the broker and the database, and casts delivered twice.

The shared RabbitMQ and PostgreSQL are never stopped: each test puts a
proxy of its own (``proxy.FaultProxy``) between the processes under
test and the service, and cuts that.
"""

import json
import os
import threading
import time
import urllib.error
import urllib.request

import fixtures
from oslo_utils import uuidutils
import sqlalchemy as sa
from testtools import content

from benchmarks import servers
from server_migrations.api import deploy
from server_migrations import compute
from server_migrations.compute import rpcapi
from server_migrations import context as sm_context
from server_migrations.db import agent_actions
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations import rpc
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import snapshot
from server_migrations.tests.functional.fixtures import stack
from server_migrations.tests.integration import agents
from server_migrations.tests.integration import backends
from server_migrations.tests.integration import proxy

RABBIT_PORT = 5672
BUSY = {'dirty_rate_mbps': 100000}
TERMINAL = ('completed', 'failed', 'error', 'cancelled')
CAST_TIMEOUT = 3
# Bound on how long a refused request may take: the cast timeout plus
# the time to notice the connection is gone (no timing is asserted
# beyond "quickly", i.e. not hanging until a client gives up).
QUICKLY = CAST_TIMEOUT + 5


def _rabbit(port):
    return 'rabbit://guest:guest@127.0.0.1:%d/' % port


class _Base(backends.ProvisionedDatabase, stack.APITestCase):
    FIXTURE = sm_fixtures.PostgresqlDatabase

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        suffix = uuidutils.generate_uuid()[:8]
        self.a, self.b = 'fault-a-' + suffix, 'fault-b-' + suffix
        self.guests_file = os.path.join(self.tmp, 'guests.json')
        agents.write_guests(self.guests_file, {})
        self.database_url = db_engine.get_engine().url.render_as_string(
            hide_password=False)

    def agent(self, host, transport_url=agents.RABBIT_URL,
              database_url=None):
        """An agent process for ``host``, killed after the test."""
        proc = agents.AgentProcess(self.tmp, host,
                                   database_url or self.database_url,
                                   self.guests_file)
        with open(proc.config_path) as f:
            text = f.read()
        with open(proc.config_path, 'w') as f:
            f.write(text.replace(agents.RABBIT_URL, transport_url))
        self.addCleanup(proc.kill)
        self.addOnException(lambda _exc: self.addDetail(
            'log-' + host, content.text_content(
                proc.log())))
        proc.start(self.context)
        return proc

    def proxy(self, port):
        """A FaultProxy to ``port`` on loopback, closed after the test."""
        fault_proxy = proxy.FaultProxy(port)
        self.addCleanup(fault_proxy.close)
        return fault_proxy

    def database_proxy(self, port):
        """A proxy to the test's database, and its URL through the proxy."""
        engine = db_engine.get_engine()
        database = self.proxy(engine.url.port or port)
        proxied = engine.url.set(host='127.0.0.1', port=database.port)
        return database, proxied.render_as_string(hide_password=False)

    def api_over_broker(self, transport_url):
        """The in-process API, casting through ``transport_url``."""
        self.conf.set_override('transport_url', transport_url)
        self.conf.set_override('cast_timeout', CAST_TIMEOUT, group='api')
        rpc.reset()
        self.app = deploy.loadapp(self.conf)

    def recording_source(self):
        """Host a records the casts it gets; a and b are seen alive."""
        computes = self.useFixture(stack.RecordingComputes(self.conf,
                                                           [self.a]))
        for host in (self.a, self.b):
            db_services.service_heartbeat(self.context, host, compute.BINARY,
                                          'compute', '1.0')
        return computes

    def migrating_server(self):
        """A server on a with its migration to b running."""
        server = sm_fixtures.make_instance(self.context, host=self.a,
                                           node=self.a, project_id='p1')
        migration = sm_fixtures.make_migration(
            self.context, server['uuid'], source_compute=self.a,
            dest_compute=self.b)
        return server, migration

    def idle_server(self, host, **values):
        """The uuid of a server on ``host`` that no migration moves."""
        return sm_fixtures.make_instance(
            self.context, host=host, node=host, task_state=None,
            project_id='p1', **values)['uuid']

    def busy_server(self, host):
        uuid = self.idle_server(host, memory_mb=64)
        agents.write_guests(self.guests_file, {uuid: BUSY})
        return uuid

    def migration_of(self, uuid):
        rows = db_migrations.migration_get_all(
            self.context, instance_uuid=uuid)
        return max(rows, key=lambda m: m['id']) if rows else None

    def wait_running(self, uuid):
        def running():
            row = self.migration_of(uuid)
            return (row and row['status'] == 'running' and
                    row['memory_processed'] and row)
        return agents.wait_for(running, what='%s running' % uuid)

    def wait_terminal(self, mid):
        def terminal():
            status = db_migrations.migration_get(self.context, mid)['status']
            return status in TERMINAL and status
        return agents.wait_for(terminal, what='%s terminal' % mid)

    def where(self, uuid):
        server = db_instances.instance_get(self.context, uuid)
        return server['host'], server['node'], server['task_state']

    def timed(self, method, path, body=None):
        started = time.monotonic()
        resp = self.request(method, path, body=body)
        return resp, time.monotonic() - started


class BrokerOutageTestCase(_Base):
    """The API and the source agent reach RabbitMQ through a proxy."""

    def test_cut_then_restored_without_restarts(self):
        broker = self.proxy(RABBIT_PORT)
        url = _rabbit(broker.port)
        self.api_over_broker(url)
        self.agent(self.a, transport_url=url)
        self.agent(self.b)
        uuid = self.busy_server(self.a)
        idle = self.idle_server(self.a)
        start = {'os-migrateLive': {'host': self.b,
                                    'block_migration': 'auto'}}
        resp = self.request('POST', '/v2.1/servers/%s/action' % uuid,
                            body=start)
        self.assertEqual(202, resp.status_code, resp.body)
        mid = self.wait_running(uuid)['id']
        path = '/v2.1/servers/%s/migrations/%d' % (uuid, mid)

        broker.cut()
        # Accepted at once, and carried out from the database by the
        # agent's poll while both still have no broker.
        resp, elapsed = self.timed('DELETE', path)
        self.assertEqual(202, resp.status_code, resp.body)
        self.assertLess(elapsed, QUICKLY)
        self.assertEqual('cancelled', self.wait_terminal(mid))
        self.assertEqual((self.a, self.a, None), self.where(uuid))
        resp, elapsed = self.timed('POST', '/v2.1/servers/%s/action' % idle,
                                   start)
        self.assertEqual(202, resp.status_code, resp.body)
        self.assertLess(elapsed, QUICKLY)
        idle_mid = agents.wait_for(lambda: self.migration_of(idle),
                                   what='the idle server\'s migration')['id']
        self.assertEqual('completed', self.wait_terminal(idle_mid))
        self.assertEqual((self.b, self.b, None), self.where(idle))

        broker.restore()
        # The same API process and agent, reconnected on their own.
        uuid2 = self.busy_server(self.a)
        resp = self.request('POST', '/v2.1/servers/%s/action' % uuid2,
                            body=start)
        self.assertEqual(202, resp.status_code, resp.body)
        mid2 = self.wait_running(uuid2)['id']
        resp = self.request('DELETE', '/v2.1/servers/%s/migrations/%d'
                            % (uuid2, mid2))
        self.assertEqual(202, resp.status_code, resp.body)
        self.assertEqual('cancelled', self.wait_terminal(mid2))
        self.assertEqual(['live-migration', 'live_migration_cancel'],
                         [a['action'] for a in db_actions.actions_get(
                             self.context, uuid)])


class BrokerCutMidStreamTestCase(_Base):
    """Requests keep coming while the broker goes away and comes back."""

    def test_every_answer_is_kept(self):
        broker = self.proxy(RABBIT_PORT)
        self.api_over_broker(_rabbit(broker.port))
        # The agent stand-in reaches the broker through the proxy too.
        computes = self.recording_source()
        server, migration = self.migrating_server()
        path = '/v2.1/servers/%s/migrations/%d/action' % (server['uuid'],
                                                          migration['id'])
        answers = []
        stop = threading.Event()

        def send():
            while not stop.is_set():
                resp = self.request('POST', path,
                                    body={'force_complete': None})
                answers.append((resp.status_code,
                                resp.headers['x-compute-request-id']))

        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            agents.wait_for(lambda: len(answers) >= 8, what='casts flowing')
            broker.cut()
            cut_at = len(answers)
            agents.wait_for(lambda: len(answers) >= cut_at + 20,
                            what='answers during the outage')
            broker.restore()
            restored = len(answers)
            agents.wait_for(lambda: len(answers) >= restored + 8,
                            timeout=60, what='answers after the outage')
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
        self.assertEqual({202}, {s for s, _r in answers})
        accepted = sorted(r for s, r in answers if s == 202)
        # Every 202 is recorded with its action for the agent, and only
        # those.
        actions = db_actions.actions_get(self.context, server['uuid'])
        self.assertEqual(accepted, sorted(a['request_id'] for a in actions))
        for action in actions:
            [row] = sm_fixtures.agent_actions_of(self.context,
                                                 action['id'])
            self.assertEqual(self.a, row['host'])
        # Casts during the cut may be lost (the agent's poll covers them);
        # none arrives for a request that was not accepted.
        endpoint = computes.endpoints[self.a]

        def delivered():
            return {c.request_id for _m, _kw, c in endpoint.casts}
        # Once the broker is back, wake-ups flow again.
        after = {r for _s, r in answers[restored:]}
        agents.wait_for(lambda: delivered() & after, timeout=60,
                        what='a cast delivered after the outage')
        self.assertLessEqual(delivered(), set(accepted))


class DatabaseOutageTestCase(_Base):
    """The API (under uWSGI) reaches PostgreSQL through a proxy."""

    DEFAULT_PORT = 5432

    def _api(self, database_url, database_options=''):
        work = self.useFixture(fixtures.TempDir()).path
        env = backends.api_config(
            work, database_url, agents.RABBIT_URL,
            database='max_retries = 0\n' + database_options,
            api='cast_timeout = %d' % CAST_TIMEOUT)
        server = servers.Server('uwsgi', 'server_migrations.wsgi.api', 1,
                                env)
        server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)
        return 'http://127.0.0.1:%d' % server.port

    def _call(self, base, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            base + path, data=data, method=method,
            headers={'X-Auth-Token': 'admin:p1',
                     'OpenStack-API-Version': 'compute 2.80',
                     'Content-Type': 'application/json'})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        return status, raw, time.monotonic() - started

    def _proxied_api(self, database_options=''):
        database, url = self.database_proxy(self.DEFAULT_PORT)
        base = self._api(url, database_options)
        return database, base

    def _assert_unavailable(self, status, raw):
        self.assertEqual(503, status, raw)
        self.assertEqual(
            {'serviceUnavailable': {
                'code': 503,
                'message': 'The database is unavailable; try again '
                           'later.'}}, json.loads(raw))

    def test_black_hole_answers_503_in_bounded_time(self):
        # Packets go nowhere (a partition, a failover): every request
        # that needs the database is a 503 within connect_timeout +
        # read_timeout, the version documents answer as ever, and the
        # same API serves again once the database is back.
        database, base = self._proxied_api(
            'connect_timeout = 2\nread_timeout = 3\nstatement_timeout = 2')
        bound = 2 + 3 + 3
        server, migration = self.migrating_server()
        path = '/v2.1/servers/%s/migrations/%d' % (server['uuid'],
                                                   migration['id'])
        self.assertEqual(200, self._call(base, 'GET', path)[0])

        database.black_hole()
        for method, url_path, body in (
                ('GET', path, None),
                ('GET', '/v2.1/servers', None),
                ('DELETE', path, None)):
            status, raw, elapsed = self._call(base, method, url_path, body)
            self._assert_unavailable(status, raw)
            self.assertLess(elapsed, bound)
        for url_path in ('/', '/v2.1/'):
            status, raw, _elapsed = self._call(base, 'GET', url_path)
            self.assertEqual(200, status, raw)

        database.restore()
        self.assertEqual(200, self._call(base, 'GET', path)[0])

    def test_cut_then_restored(self):
        database, base = self._proxied_api()
        self.conf.set_override('transport_url', agents.RABBIT_URL)
        rpc.reset()
        computes = self.recording_source()
        server, migration = self.migrating_server()
        idle = self.idle_server(self.a)
        path = '/v2.1/servers/%s/migrations/%d' % (server['uuid'],
                                                   migration['id'])
        requests = [
            ('GET', '/v2.1/servers', None),
            ('GET', path, None),
            ('POST', path + '/action', {'force_complete': None}),
            ('DELETE', path, None),
            ('POST', '/v2.1/servers/%s/action' % idle,
             {'os-migrateLive': {'host': self.b,
                                 'block_migration': 'auto'}}),
        ]
        self.assertEqual(200, self._call(base, 'GET', path)[0])

        database.cut()
        before = snapshot.database()
        for method, url_path, body in requests:
            status, raw, elapsed = self._call(base, method, url_path, body)
            self._assert_unavailable(status, raw)
            self.assertLess(elapsed, QUICKLY)
        # No half-written rows, and no cast for what was refused.
        self.assertEqual(before, snapshot.database())
        self.assertEqual([], computes.endpoints[self.a].casts)

        database.restore()
        for (method, url_path, body), expected in zip(
                requests, (200, 200, 202, 202, 202)):
            status, raw, _elapsed = self._call(base, method, url_path, body)
            self.assertEqual(expected, status, (url_path, raw))
        agents.wait_for(lambda: len(computes.endpoints[self.a].casts) >= 3,
                        what='three casts')
        self.assertEqual(
            ['live_migration', 'live_migration_abort',
             'live_migration_force_complete'],
            sorted(m for m, _kw, _c in computes.endpoints[self.a].casts))
        self.assertEqual(1, len(db_migrations.migration_get_all(
            self.context, instance_uuid=idle)))


class MariaDBOutageTestCase(DatabaseOutageTestCase):
    """The same outages with the API on MariaDB."""

    FIXTURE = sm_fixtures.MySQLDatabase
    DEFAULT_PORT = 3306


class AgentDatabaseOutageTestCase(_Base):
    """The copy ends while the source agent cannot reach its database."""

    def test_outcome_is_written_when_the_database_is_back(self):
        database, url = self.database_proxy(5432)
        source = self.agent(self.a, database_url=url)
        self.agent(self.b)
        # A guest whose copy ends on its own a few seconds after it starts.
        uuid = self.idle_server(self.a, memory_mb=4096)
        agents.write_guests(self.guests_file, {uuid: {'dirty_rate_mbps': 0}})
        resp = self.request('POST', '/v2.1/servers/%s/action' % uuid,
                            body={'os-migrateLive': {
                                'host': self.b, 'block_migration': False}})
        self.assertEqual(202, resp.status_code, resp.body)
        mid = self.wait_running(uuid)['id']

        database.cut()
        # The copy ends meanwhile; the agent cannot say so yet.
        agents.wait_for(lambda: 'will be retried' in source.log(),
                        what='the outcome kept for a retry')
        self.assertEqual('running', db_migrations.migration_get(
            self.context, mid)['status'])
        database.restore()
        # Written by the agent's next poll, on the destination.
        self.assertEqual('completed', self.wait_terminal(mid))
        self.assertEqual((self.b, self.b, None), self.where(uuid))


class ReplayedCastTestCase(_Base):
    """A cast delivered twice is carried out once."""

    def test_replays_are_ignored(self):
        self.conf.set_override('transport_url', agents.RABBIT_URL)
        rpc.reset()
        source = self.agent(self.a)
        self.agent(self.b)
        cast = rpcapi.ComputeAPI(self.conf)
        ctx = sm_context.RequestContext(user_id='admin', project_id='p1',
                                        roles=['admin'], is_admin=True)
        uuid = sm_fixtures.make_instance(self.context, host=self.a,
                                         node=self.a, memory_mb=64,
                                         project_id='p1')['uuid']
        mid = sm_fixtures.make_migration(
            self.context, uuid, source_compute=self.a, source_node=self.a,
            dest_compute=self.b, dest_node=self.b, dest_host=self.b,
            status='accepted')['id']
        action, ident = sm_fixtures.accept_action(
            ctx, cast, uuid, mid, 'live-migration', 'live_migration', self.a,
            cast=False, block_migration=False)
        # The same message twice, as a redelivery would bring it.
        for _ in range(2):
            cast.wake(ctx, self.a, 'live_migration', ident,
                      instance_uuid=uuid, migration_id=mid,
                      block_migration=False)
        self.assertEqual('completed', self.wait_terminal(mid))
        self.assertEqual((self.b, self.b, None), self.where(uuid))
        agents.wait_for(lambda: 'taken already' in source.log(),
                        what='the replay to be ignored')
        events = agents.wait_for(lambda: [
            e for e in db_actions.action_events_get(self.context, action)
            if e['finish_time']], what='the start\'s event')
        self.assertEqual(['compute_live_migration'],
                         [e['event'] for e in events])
        # A replayed abort of a finished migration changes nothing and is
        # answered once.
        before = self._rows(uuid, mid)
        abort_ctx = sm_context.RequestContext(
            user_id='admin', project_id='p1', roles=['admin'],
            is_admin=True)
        abort, ident = sm_fixtures.accept_action(
            abort_ctx, cast, uuid, mid, 'live_migration_cancel',
            'live_migration_abort', self.a, cast=False)
        for _ in range(2):
            cast.wake(abort_ctx, self.a, 'live_migration_abort', ident,
                      instance_uuid=uuid, migration_id=mid)
        agents.wait_for(lambda: [
            e for e in db_actions.action_events_get(self.context, abort)
            if e['finish_time']], what='the abort answered')
        agents.wait_for(lambda: agent_actions.get(
            self.context, ident)['state'] == 'done', what='the abort closed')
        self.assertEqual(1, len(db_actions.action_events_get(self.context,
                                                             abort)))
        self.assertEqual(before, self._rows(uuid, mid))
        self.assertEqual((self.b, self.b, None), self.where(uuid))

    def _rows(self, uuid, mid):
        with db_engine.get_engine().connect() as conn:
            server = conn.execute(sa.select(db_instances.INSTANCES).where(
                db_instances.INSTANCES.c.uuid == uuid)).one()
            migration = conn.execute(sa.select(db_migrations.MIGRATIONS).where(
                db_migrations.MIGRATIONS.c.id == mid)).one()
        return tuple(server), tuple(migration)
