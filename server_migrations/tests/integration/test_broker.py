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

import fixtures
import oslo_messaging as messaging
from oslo_utils import uuidutils

from server_migrations.compute import rpcapi
from server_migrations import context as sm_context
from server_migrations import rpc
from server_migrations.tests import base
from server_migrations.tests.integration import agents
from server_migrations.tests.integration import proxy


class Recorder:
    target = messaging.Target(version='1.1')

    def __init__(self):
        self.received = []
        self.arrived = threading.Event()

    def live_migration_abort(self, ctxt, instance_uuid, migration_id,
                             action_id=None):
        self.received.append((ctxt.request_id, migration_id, action_id))
        self.arrived.set()


def rabbit_url(port):
    return 'rabbit://guest:guest@127.0.0.1:%d/' % port


class BrokerTest(base.TestCase):
    """Wake-up casts through RabbitMQ, or a broker that is not there.

    A wake-up never fails the request that committed its action, and never
    holds it: the sender thread publishes, or gives up and says so.
    """

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

    def _api(self, url):
        rpc.reset()
        self.conf_fixture.config(transport_url=url)
        return rpcapi.ComputeAPI(self.conf)

    def _abort(self, api, action_id):
        api.wake(self.ctx, self.host, 'live_migration_abort', action_id,
                 instance_uuid='u', migration_id=1)

    def test_reachable_broker_delivers(self):
        recorder = self._consumer()
        api = self._api(agents.RABBIT_URL)
        api.warm(self.ctx)
        self._abort(api, 5)
        self.assertTrue(recorder.arrived.wait(30))
        self.assertEqual([(self.ctx.request_id, 1, 5)], recorder.received)

    def _assert_dropped(self, api):
        self._abort(api, 6)
        self.assertTrue(api._waker.join(120))
        self.assertIn('live_migration_abort to %s' % self.host,
                      self.log.output)
        self.assertIn('the agent will find the action by polling',
                      self.log.output)

    def test_broker_down_drops_the_wake_up(self):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        self._assert_dropped(self._api(rabbit_url(port)))

    def test_mute_broker_drops_the_wake_up(self):
        mute = socket.socket()
        mute.bind(('127.0.0.1', 0))
        mute.listen(8)
        self.addCleanup(mute.close)
        self._assert_dropped(self._api(rabbit_url(mute.getsockname()[1])))

    def test_broker_answering_late_gets_the_wake_up_late(self):
        # A late cast is harmless now: the action was committed first, and
        # the agent claims it once, from this cast or from its poll.
        recorder = self._consumer()
        port = int(agents.RABBIT_URL.rsplit(':', 1)[1].strip('/'))
        late = proxy.FaultProxy(port, hold=4)
        self.addCleanup(late.close)
        api = self._api(rabbit_url(late.port))
        self._abort(api, 7)
        self.assertTrue(recorder.arrived.wait(60))
        self.assertEqual([(self.ctx.request_id, 1, 7)], recorder.received)
