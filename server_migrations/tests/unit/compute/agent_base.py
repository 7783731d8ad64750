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

"""Agents in-process over the fake transport, and helpers to drive them."""

import json
import os
import threading

import fixtures
import oslo_messaging as messaging
from oslo_utils import uuidutils

from server_migrations import compute
from server_migrations.compute import rpcapi
from server_migrations.compute import service
from server_migrations import context as sm_context
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations import rpc
from server_migrations.tests import base
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests import utils

TERMINAL = ('completed', 'failed', 'error', 'cancelled')
BUSY = {'dirty_rate_mbps': 100000}


class FakeNotifier:
    """Collects what the agent's oslo.messaging Notifier would send."""

    def __init__(self):
        self.sent = []
        self._lock = threading.Lock()

    def info(self, context, event_type, payload):
        with self._lock:
            self.sent.append((event_type, payload))

    def types(self, migration_id=None):
        with self._lock:
            return [t for t, p in self.sent if migration_id is None or
                    p['migration']['id'] == migration_id]


wait_for = utils.wait_for


class AgentTestCase(base.TestCase):
    """A source agent running in-process; its destination registered."""

    START_AGENT = True

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        # The fake transport's queues outlive a test: unique host names
        # keep a test's casts from reaching another test's agents.
        suffix = uuidutils.generate_uuid()[:8]
        self.src = 'src-' + suffix
        self.dst = 'dst-' + suffix
        self.guests = {}
        self.conf_fixture.config(guests_file=self._guests_path(),
                                 group='fake_driver')
        self.notifier = FakeNotifier()
        self.rpcapi = rpcapi.ComputeAPI(self.conf)
        db_services.service_heartbeat(self.context, self.dst, compute.BINARY,
                                      'compute', '1.0')
        self.agent = None
        if self.START_AGENT:
            self.start_agent()

    def _guests_path(self):
        path = os.path.join(self.tmp, 'guests.json')
        with open(path, 'w') as stream:
            json.dump(self.guests, stream)
        return path

    def set_guest(self, uuid, **entry):
        self.guests[uuid] = entry
        self._guests_path()

    def start_agent(self):
        self.agent = service.ComputeService(self.conf, host=self.src,
                                            notifier=self.notifier)
        self.agent.start()
        self.addCleanup(self.stop_agent)
        return self.agent

    def stop_agent(self, timeout=25.0):
        if self.agent is not None:
            agent, self.agent = self.agent, None
            agent.stop(timeout)

    # -- records -----------------------------------------------------------

    def request_context(self):
        return sm_context.RequestContext(user_id='admin', project_id='p1',
                                         roles=['admin'], is_admin=True)

    def make_server(self, guest=None, **values):
        values.setdefault('host', self.src)
        values.setdefault('node', self.src)
        values.setdefault('memory_mb', 64)
        instance = sm_fixtures.make_instance(self.context, **values)
        if guest is not None:
            self.set_guest(instance['uuid'], **guest)
        return instance

    def make_migration(self, instance, **values):
        values.setdefault('status', 'accepted')
        values.setdefault('source_compute', self.src)
        values.setdefault('source_node', self.src)
        values.setdefault('dest_compute', self.dst)
        values.setdefault('dest_node', self.dst)
        values.setdefault('dest_host', self.dst)
        return sm_fixtures.make_migration(self.context, instance['uuid'],
                                          **values)

    def start_migration(self, guest=None, block_migration=False,
                        cast=True, **values):
        """What the API does: records, action, cast; returns the ids."""
        instance = self.make_server(guest=guest, **values)
        migration = self.make_migration(instance)
        self.accept(instance['uuid'], migration['id'], 'live-migration',
                    'live_migration', cast=cast,
                    block_migration=block_migration)
        return instance['uuid'], migration['id']

    def accept(self, uuid, migration_id, name, method, host=None, cast=True,
               block_migration=None):
        """Commit an action as the API does, then cast (unless told not).

        :returns: the instance action's id.
        """
        action_id, _ident = sm_fixtures.accept_action(
            self.request_context(), self.rpcapi, uuid, migration_id, name,
            method, host or self.src, cast=cast,
            block_migration=block_migration)
        return action_id

    def bare_cast(self, method, uuid, migration_id, **kwargs):
        """A 1.0 cast with no committed action, as a tool could send."""
        client = rpc.get_client(self.conf, messaging.Target(
            topic=rpc.TOPIC, version='1.0'))
        client.prepare(server=self.src).cast(
            self.request_context(), method, instance_uuid=uuid,
            migration_id=migration_id, **kwargs)

    def act(self, action, uuid, migration_id, host=None, cast=True):
        """Force-complete or abort as the API does (with an action)."""
        name = {'abort': 'live_migration_cancel',
                'force_complete': 'live_migration_force_complete'}[action]
        return self.accept(uuid, migration_id, name,
                           'live_migration_' + action, host=host, cast=cast)

    def migration(self, migration_id):
        return db_migrations.migration_get(self.context, migration_id)

    def server(self, uuid):
        return db_instances.instance_get(self.context, uuid)

    def wait_status(self, migration_id, *statuses):
        statuses = statuses or TERMINAL
        return wait_for(
            lambda: (self.migration(migration_id)['status'] in statuses and
                     self.migration(migration_id)),
            what='migration %s to be %s' % (migration_id, statuses))

    def wait_running_with_progress(self, migration_id):
        def progressing():
            migration = self.migration(migration_id)
            return (migration['status'] == 'running' and
                    (migration['memory_processed'] or 0) > 0 and migration)
        return wait_for(progressing,
                        what='migration %s to make progress' % migration_id)

    def event(self, action_id):
        """The agent's finished event under an action (waits for it)."""
        def finished():
            events = db_actions.action_events_get(self.context, action_id)
            return events and events[0]['finish_time'] and events[0]
        return wait_for(finished, what='event of action %s' % action_id)

    def migration_event(self, uuid):
        action = db_actions.actions_get(self.context, uuid)[0]
        return self.event(action['id'])

    def assert_on_source(self, uuid):
        server = self.server(uuid)
        self.assertEqual((self.src, self.src, None),
                         (server['host'], server['node'],
                          server['task_state']))

    def assert_on_destination(self, uuid):
        server = self.server(uuid)
        self.assertEqual((self.dst, self.dst, None),
                         (server['host'], server['node'],
                          server['task_state']))
