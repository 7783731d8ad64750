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

import fixtures
import oslo_messaging as messaging
from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations import compute
from server_migrations.compute import rpcapi
from server_migrations.compute import waker
from server_migrations import context as sm_context
from server_migrations.db import engine as db_engine
from server_migrations.db import models
from server_migrations.db import services as db_services
from server_migrations import rpc
from server_migrations.tests import base


class Recorder:
    target = messaging.Target(version='1.2')

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

    def live_migration_tune(self, ctxt, **kwargs):
        self._record(ctxt, 'live_migration_tune', **kwargs)


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

    def test_casts_carry_plain_ids_the_action_and_the_request_context(self):
        self.api.wake(self.ctx, self.host, 'live_migration', 3,
                      instance_uuid='uuid-1', migration_id=7,
                      block_migration=True)
        self.assertEqual(('live_migration', self.ctx.request_id, 'u1',
                          {'instance_uuid': 'uuid-1', 'migration_id': 7,
                           'block_migration': True, 'action_id': 3}),
                         self._one())
        self.api.wake(self.ctx, self.host, 'live_migration_force_complete',
                      4, instance_uuid='uuid-1', migration_id=7)
        self.assertEqual('live_migration_force_complete', self._one()[0])
        self.api.wake(self.ctx, self.host, 'live_migration_abort', 5,
                      instance_uuid='uuid-1', migration_id=7)
        self.assertEqual(('live_migration_abort',
                          {'instance_uuid': 'uuid-1', 'migration_id': 7,
                           'action_id': 5}),
                         (lambda c: (c[0], c[3]))(self._one()))

    def test_capped_at_1_0_the_cast_has_no_action_id(self):
        self.conf_fixture.config(compute='1.0', group='upgrade_levels')
        api = rpcapi.ComputeAPI(self.conf)
        api.wake(self.ctx, self.host, 'live_migration_abort', 5,
                 instance_uuid='uuid-1', migration_id=7)
        self.assertEqual({'instance_uuid': 'uuid-1', 'migration_id': 7},
                         self._one()[3])

    def test_tune_is_cast_at_1_2_with_its_action(self):
        self.api.wake(self.ctx, self.host, 'live_migration_tune', 6,
                      min_version='1.2', instance_uuid='uuid-1',
                      migration_id=7)
        self.assertEqual(('live_migration_tune',
                          {'instance_uuid': 'uuid-1', 'migration_id': 7,
                           'action_id': 6}),
                         (lambda c: (c[0], c[3]))(self._one()))

    def test_capped_below_1_2_tune_is_left_to_the_poll(self):
        self.conf_fixture.config(compute='1.1', group='upgrade_levels')
        logger = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.compute.rpcapi'))
        api = rpcapi.ComputeAPI(self.conf)
        api.wake(self.ctx, self.host, 'live_migration_tune', 6,
                 min_version='1.2', instance_uuid='uuid-1', migration_id=7)
        self.assertIn('needs RPC 1.2', logger.output)
        # The next cast is the first to arrive.
        api.wake(self.ctx, self.host, 'live_migration_abort', 8,
                 instance_uuid='uuid-1', migration_id=7)
        self.assertEqual('live_migration_abort', self._one()[0])
        self.assertEqual([], self.recorder.calls)

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

    def test_a_cast_that_fails_is_logged_not_raised(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.compute.rpcapi'))
        # No host: oslo.messaging refuses the target; the request that
        # committed the action must still be answered 202.
        self.api.wake(self.ctx, None, 'live_migration_abort', 9,
                      instance_uuid='uuid-1', migration_id=7)
        self.assertIn('find action 9 by polling', logger.output)


class VersionCapTest(base.TestCase):

    def _service(self, host, version, age=0):
        db_services.service_heartbeat(self.context, host, compute.BINARY,
                                      'compute', version)
        if age:
            services = models.Service.__table__
            seen = timeutils.utcnow() - datetime.timedelta(seconds=age)
            with db_engine.get_engine().begin() as conn:
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
        self.assertTrue(api.can_send_version(self.context, '1.2'))
        self.assertFalse(api.can_send_version(self.context, '1.3'))
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
    """No RabbitMQ needed: nobody, or a mute peer, answers the port.

    A wake-up never fails or holds the request that committed its action:
    the sender thread gives up on its own and says so.
    """

    def _api(self, port):
        self.conf_fixture.config(
            transport_url='rabbit://guest:guest@127.0.0.1:%d/' % port)
        self.conf_fixture.config(rabbit_retry_interval=1,
                                 group='oslo_messaging_rabbit')
        return rpcapi.ComputeAPI(self.conf)

    def _assert_dropped(self, api):
        logger = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.compute.waker'))
        api.wake(sm_context.RequestContext(), 'h1', 'live_migration_abort',
                 1, instance_uuid='u', migration_id=1)
        self.assertTrue(api._waker.join(60))
        self.assertIn('live_migration_abort to h1', logger.output)
        self.assertIn('the agent will find the action by polling',
                      logger.output)

    def test_closed_port(self):
        self._assert_dropped(self._api(free_port()))

    def test_peer_that_never_answers(self):
        self._assert_dropped(self._api(SilentBroker(self).port))


class WakerTest(base.TestCase):
    """The sender thread itself, with callables standing in for casts."""

    def test_runs_in_order_and_survives_a_failure(self):
        done = []

        def broken():
            raise ValueError('boom')
        w = waker.Waker()
        w.submit(done.append, 1)
        w.submit(broken, what='the broken one')
        w.submit(done.append, 2)
        self.assertTrue(w.join(30))
        self.assertEqual([1, 2], done)

    def test_a_full_queue_drops_and_says_so(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.compute.waker'))
        release = threading.Event()
        w = waker.Waker(maxsize=1)
        w.submit(release.wait, 30)
        # The first call may still be in the queue or already running.
        results = [w.submit(lambda: None) for _ in range(3)]
        self.assertIn(False, results)
        self.assertIn('dropped', logger.output)
        release.set()
        self.assertTrue(w.join(30))

    def test_a_forked_child_starts_its_own_thread(self):
        w = waker.Waker()
        w.submit(lambda: None)
        thread = w._thread
        self.assertTrue(w.join(30))
        w._pid = -1  # what a fork looks like to the child
        w.submit(lambda: None)
        self.assertIsNot(thread, w._thread)
        self.assertTrue(w.join(30))
