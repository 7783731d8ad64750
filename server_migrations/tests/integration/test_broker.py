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

"""Casts when RabbitMQ is away, mute, or answers too late."""

import socket
import threading
import time

import fixtures
import oslo_messaging as messaging
from oslo_utils import uuidutils

from server_migrations.compute import rpcapi
from server_migrations import context as sm_context
from server_migrations import exception
from server_migrations import rpc
from server_migrations.tests import base
from server_migrations.tests.integration import agents
from server_migrations.tests.integration import proxy


class Recorder:
    target = messaging.Target(version='1.0')

    def __init__(self):
        self.received = []
        self.arrived = threading.Event()

    def live_migration_abort(self, ctxt, instance_uuid, migration_id):
        self.received.append((ctxt.request_id, migration_id))
        self.arrived.set()


def rabbit_url(port):
    return 'rabbit://guest:guest@127.0.0.1:%d/' % port


class BrokerTest(base.TestCase):
    # No database: only the broker is under test.
    DATABASE = None

    def setUp(self):
        super().setUp()
        self.host = 'broker-test-' + uuidutils.generate_uuid()[:8]
        self.ctx = sm_context.RequestContext(user_id='u', project_id='p')
        self.log = self.useFixture(fixtures.FakeLogger(level='INFO'))

    def _consumer(self):
        """An agent stand-in, connected to RabbitMQ directly."""
        transport = messaging.get_rpc_transport(self.conf,
                                                url=agents.RABBIT_URL)
        self.addCleanup(transport.cleanup)
        recorder = Recorder()
        server = messaging.get_rpc_server(
            transport, messaging.Target(topic='compute', server=self.host),
            [recorder], serializer=rpc.RequestContextSerializer())
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        return recorder

    def _api(self, url, timeout):
        rpc.reset()
        self.conf_fixture.config(transport_url=url)
        self.conf_fixture.config(cast_timeout=timeout, group='api')
        return rpcapi.ComputeAPI(self.conf)

    def _abort(self, api, migration_id):
        started = time.monotonic()
        try:
            api.live_migration_abort(self.ctx, self.host, 'u', migration_id)
            return True, time.monotonic() - started
        except exception.MessagingUnavailable:
            return False, time.monotonic() - started

    def test_reachable_broker_delivers(self):
        recorder = self._consumer()
        api = self._api(agents.RABBIT_URL, 10)
        self.assertEqual(True, self._abort(api, 1)[0])
        self.assertTrue(recorder.arrived.wait(30))
        self.assertEqual([(self.ctx.request_id, 1)], recorder.received)

    def test_broker_down_fails_fast(self):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        api = self._api(rabbit_url(port), 10)
        sent, elapsed = self._abort(api, 1)
        self.assertFalse(sent)
        self.assertLess(elapsed, 10 + 1.5)

    def test_mute_broker_fails_within_the_timeout(self):
        mute = socket.socket()
        mute.bind(('127.0.0.1', 0))
        mute.listen(8)
        self.addCleanup(mute.close)
        api = self._api(rabbit_url(mute.getsockname()[1]), 2)
        sent, elapsed = self._abort(api, 1)
        self.assertFalse(sent)
        self.assertLess(elapsed, 2 + 1.5)

    def test_broker_answering_too_late_never_gets_the_cast(self):
        recorder = self._consumer()
        port = int(agents.RABBIT_URL.rsplit(':', 1)[1].strip('/'))
        late = proxy.FaultProxy(port, hold=4)
        self.addCleanup(late.close)
        api = self._api(rabbit_url(late.port), 1.5)
        sent, elapsed = self._abort(api, 1)
        self.assertFalse(sent)
        self.assertLess(elapsed, 1.5 + 1.5)
        # The broker does answer later, on the connection the cast opened.
        agents.wait_for(lambda: late.relayed >= 1, what='the late answer')
        time.sleep(2)
        self.assertEqual([], recorder.received)
        self.assertIn('answered too late', self.log.output)
        # That connection is healthy now: a new cast goes through it, and
        # it is the only one delivered.
        self.assertEqual(True, self._abort(api, 2)[0])
        self.assertTrue(recorder.arrived.wait(30))
        time.sleep(1)
        self.assertEqual([(self.ctx.request_id, 2)], recorder.received)
