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

"""The RPC client: routing, context, version cap, unreachable brokers."""

import datetime
import socket
import threading
import time

import fixtures
import oslo_messaging as messaging
from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations import compute
from server_migrations.compute import cast_guard
from server_migrations.compute import rpcapi
from server_migrations import context as sm_context
from server_migrations.db import api as db_api
from server_migrations.db import models
from server_migrations import exception
from server_migrations import rpc
from server_migrations.tests import base


class Recorder:
    target = messaging.Target(version='1.0')

    def __init__(self):
        self.calls = []
        self.arrived = threading.Event()

    def _record(self, ctxt, name, **kwargs):
        self.calls.append((name, ctxt.request_id, ctxt.user_id, kwargs))
        self.arrived.set()

    def live_migration(self, ctxt, **kwargs):
        self._record(ctxt, 'live_migration', **kwargs)

    def live_migration_force_complete(self, ctxt, **kwargs):
        self._record(ctxt, 'live_migration_force_complete', **kwargs)

    def live_migration_abort(self, ctxt, **kwargs):
        self._record(ctxt, 'live_migration_abort', **kwargs)


class CastTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.api = rpcapi.ComputeAPI(self.conf)
        self.recorder = Recorder()
        self.host = 'host-%s' % id(self)
        server = rpc.get_server(
            self.conf, messaging.Target(topic='compute', server=self.host),
            [self.recorder])
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        self.ctx = sm_context.RequestContext(user_id='u1', project_id='p1')

    def _one(self):
        self.assertTrue(self.recorder.arrived.wait(30))
        self.recorder.arrived.clear()
        return self.recorder.calls.pop()

    def test_casts_carry_plain_ids_and_the_request_context(self):
        self.api.live_migration(self.ctx, self.host, 'uuid-1', 7, True)
        self.assertEqual(('live_migration', self.ctx.request_id, 'u1',
                          {'instance_uuid': 'uuid-1', 'migration_id': 7,
                           'block_migration': True}), self._one())
        self.api.live_migration_force_complete(self.ctx, self.host,
                                               'uuid-1', 7)
        self.assertEqual('live_migration_force_complete', self._one()[0])
        self.api.live_migration_abort(self.ctx, self.host, 'uuid-1', 7)
        self.assertEqual(('live_migration_abort',
                          {'instance_uuid': 'uuid-1', 'migration_id': 7}),
                         (lambda c: (c[0], c[3]))(self._one()))

    def test_in_process_transport_needs_no_warm_up(self):
        self.assertIsNone(self.api.warm(self.ctx))

    def test_a_forked_child_builds_its_own_client_and_transport(self):
        client = self.api._get_client(self.ctx)
        self.assertIs(client, self.api._get_client(self.ctx))
        transport = rpc.get_transport(self.conf)
        # What os.fork() runs in the child.
        rpc._after_fork_in_child()
        self.assertIsNot(transport, rpc.get_transport(self.conf))
        self.assertIsNot(client, self.api._get_client(self.ctx))

    def test_no_host(self):
        self.assertRaises(exception.ServerMigrationsException,
                          self.api.live_migration_abort, self.ctx, None,
                          'uuid-1', 7)


class VersionCapTest(base.TestCase):

    def _service(self, host, version, age=0):
        db_api.service_heartbeat(self.context, host, compute.BINARY,
                                 'compute', version)
        if age:
            services = models.Service.__table__
            seen = timeutils.utcnow() - datetime.timedelta(seconds=age)
            with db_api.get_engine().begin() as conn:
                conn.execute(sa.update(services).where(
                    services.c.host == host).values(last_seen_at=seen))

    def test_no_cap(self):
        api = rpcapi.ComputeAPI(self.conf)
        self.assertTrue(api.can_send_version(self.context, '1.5'))

    def test_explicit_cap(self):
        self.conf_fixture.config(compute='1.0', group='upgrade_levels')
        api = rpcapi.ComputeAPI(self.conf)
        self.assertTrue(api.can_send_version(self.context, '1.0'))
        self.assertFalse(api.can_send_version(self.context, '1.1'))

    def test_auto_uses_the_oldest_live_agent(self):
        self.conf_fixture.config(compute='auto', group='upgrade_levels')
        self._service('a', '1.3')
        self._service('b', '1.1')
        self._service('dead', '0.9', age=3600)
        api = rpcapi.ComputeAPI(self.conf)
        self.assertTrue(api.can_send_version(self.context, '1.1'))
        self.assertFalse(api.can_send_version(self.context, '1.2'))

    def test_auto_without_agents_is_not_cached(self):
        self.conf_fixture.config(compute='auto', group='upgrade_levels')
        api = rpcapi.ComputeAPI(self.conf)
        self.assertTrue(api.can_send_version(self.context, '1.0'))
        self.assertFalse(api.can_send_version(self.context, '1.1'))
        self._service('old', '0.5')
        self.assertFalse(api.can_send_version(self.context, '1.0'))


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class SilentBroker:
    """Accepts TCP connections and never says a word."""

    def __init__(self, test):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        test.addCleanup(self.sock.close)


class UnreachableBrokerTest(base.TestCase):
    """No RabbitMQ needed: nobody, or a mute peer, answers the port."""

    def _api(self, port, timeout):
        self.conf_fixture.config(
            transport_url='rabbit://guest:guest@127.0.0.1:%d/' % port)
        self.conf_fixture.config(cast_timeout=timeout, group='api')
        return rpcapi.ComputeAPI(self.conf)

    def _assert_unavailable_within(self, api, timeout):
        ctx = sm_context.RequestContext()
        started = time.monotonic()
        self.assertRaises(exception.MessagingUnavailable,
                          api.live_migration_abort, ctx, 'h1', 'u', 1)
        # The bound promised to the API (plus the guard's margin).
        self.assertLess(time.monotonic() - started, timeout + 1.5)

    def test_closed_port(self):
        self._assert_unavailable_within(self._api(free_port(), 10), 10)

    def test_peer_that_never_answers(self):
        broker = SilentBroker(self)
        self._assert_unavailable_within(self._api(broker.port, 1.5), 1.5)

    def test_cast_during_the_warm_up_waits_for_it_then_fails(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.compute'))
        broker = SilentBroker(self)
        api = self._api(broker.port, 1.0)
        thread = api.warm(sm_context.RequestContext())
        self.assertRaises(exception.MessagingUnavailable,
                          api.live_migration_abort,
                          sm_context.RequestContext(), 'h1', 'u', 1)
        # The cast waited for the warm-up rather than racing it with a
        # connection attempt of its own, and used up its time doing so.
        self.assertFalse(thread.is_alive())
        self.assertIn('the connection probe', logger.output)
        self.assertNotIn('live_migration_abort to h1', logger.output)

    def test_warm_up_with_a_mute_broker_gives_up_in_the_background(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.compute.rpcapi'))
        broker = SilentBroker(self)
        api = self._api(broker.port, 1.0)
        thread = api.warm(sm_context.RequestContext())
        # Start-up went on; the attempt ends on its own.
        thread.join(30)
        self.assertFalse(thread.is_alive())
        self.assertIn('Could not open the broker connection yet',
                      logger.output)


class GuardedCastTest(base.TestCase):
    """The guard itself, with callables standing in for the broker."""

    def test_probe_answering_after_the_deadline_sends_nothing(self):
        release, sent, finished = (threading.Event(), [],
                                   threading.Event())

        def probe():
            release.wait(30)

        def send():
            sent.append(True)
        guard = cast_guard.GuardedCast(probe, send, 0.2, 'test')
        original = guard._worker

        def worker():
            original()
            finished.set()
        guard._worker = worker
        self.assertRaises(exception.MessagingUnavailable, guard.run)
        release.set()
        self.assertTrue(finished.wait(30))
        self.assertEqual([], sent)

    def test_errors_of_the_probe_or_send_propagate(self):
        def broken():
            raise ValueError('boom')
        guard = cast_guard.GuardedCast(broken, lambda: None, 5, 'test')
        self.assertRaises(ValueError, guard.run)
        sent = []
        guard = cast_guard.GuardedCast(lambda: None,
                                       lambda: sent.append(1), 5, 'test')
        guard.run()
        self.assertEqual([1], sent)
