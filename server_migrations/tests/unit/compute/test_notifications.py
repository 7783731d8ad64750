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

"""The agent's notifications through a real oslo.messaging Notifier."""

import datetime
import threading

import oslo_messaging as messaging

from server_migrations.compute import notifications
from server_migrations import context as sm_context
from server_migrations import rpc
from server_migrations.tests import base


class Listener:
    def __init__(self):
        self.received = []
        self.arrived = threading.Event()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.received.append((publisher_id, event_type, payload))
        self.arrived.set()


class NotifierTest(base.TestCase):

    def test_sent_on_the_notifications_topic(self):
        self.conf_fixture.config(driver=['messagingv2'],
                                 group='oslo_messaging_notifications')
        listener = Listener()
        server = messaging.get_notification_listener(
            rpc.get_notification_transport(self.conf),
            [messaging.Target(topic='notifications')], [listener])
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        notifier = notifications.Notifier(self.conf, 'h1')
        instance = {'uuid': 'u1', 'host': 'h1', 'task_state': 'migrating'}
        migration = {'id': 4, 'status': 'running',
                     'created_at': datetime.datetime(2026, 1, 2, 3, 4, 5)}
        notifier.notify(sm_context.RequestContext(),
                        notifications.ABORT, 'start', instance, migration)
        self.assertTrue(listener.arrived.wait(30))
        publisher, event_type, payload = listener.received[0]
        self.assertEqual('server-migrations-compute.h1', publisher)
        self.assertEqual('live_migration_abort.start', event_type)
        self.assertEqual('u1', payload['server']['uuid'])
        self.assertEqual('migrating', payload['server']['task_state'])
        self.assertEqual(4, payload['migration']['id'])
        self.assertEqual('2026-01-02T03:04:05',
                         payload['migration']['created_at'])

    def test_a_broken_notifier_does_not_break_the_operation(self):
        class Broken:
            def info(self, *args):
                raise RuntimeError('broker gone')
        notifier = notifications.Notifier(self.conf, 'h1', Broken())
        notifier.notify(sm_context.RequestContext(), notifications.ABORT,
                        'end', {'uuid': 'u1'}, {'id': 1})
