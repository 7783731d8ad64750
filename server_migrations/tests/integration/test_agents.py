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

"""Agents as processes over RabbitMQ, on PostgreSQL and on MariaDB."""

import os
import signal
import time

import fixtures
import openstack
from oslo_utils import uuidutils
from testtools import content as testtools_content

from server_migrations.api import deploy
from server_migrations.compute import rpcapi
from server_migrations import context as sm_context
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import outcomes
from server_migrations.tests import base
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.integration import agents
from server_migrations.tests.integration import backends

BUSY = {'dirty_rate_mbps': 100000}
TERMINAL = ('completed', 'failed', 'error', 'cancelled')


class _AgentsMixin:
    """Two agents, A and B, each its own process; the test is the API."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.conf_fixture.config(transport_url=agents.RABBIT_URL)
        self.database_url = db_engine.get_engine().url.render_as_string(
            hide_password=False)
        suffix = uuidutils.generate_uuid()[:8]
        self.a, self.b = 'agent-a-' + suffix, 'agent-b-' + suffix
        self.guests_file = os.path.join(self.tmp, 'guests.json')
        self.guests = {}
        agents.write_guests(self.guests_file, self.guests)
        self.agents = {}
        self.rpcapi = rpcapi.ComputeAPI(self.conf)

    def agent(self, host, **options):
        proc = agents.AgentProcess(self.tmp, host, self.database_url,
                                   self.guests_file, **options)
        self.agents[host] = proc
        self.addCleanup(proc.kill)
        self.addOnException(lambda _exc: self.addDetail(
            'log-' + host, testtools_content.text_content(
                proc.log())))
        proc.start(self.context)
        return proc

    def ctx(self):
        return sm_context.RequestContext(user_id='admin', project_id='p1',
                                         roles=['admin'], is_admin=True)

    def start_migration(self, source, dest, guest=None, uuid=None):
        if uuid is None:
            uuid = sm_fixtures.make_instance(self.context, host=source,
                                             node=source, memory_mb=64)['uuid']
        else:
            db_instances.instance_update(self.context, uuid,
                                         {'task_state': 'migrating'})
        if guest:
            self.guests[uuid] = guest
            agents.write_guests(self.guests_file, self.guests)
        mid = sm_fixtures.make_migration(
            self.context, uuid, source_compute=source, source_node=source,
            dest_compute=dest, dest_node=dest, dest_host=dest,
            status='accepted')['id']
        sm_fixtures.accept_action(self.ctx(), self.rpcapi, uuid, mid,
                                  'live-migration', 'live_migration',
                                  source, block_migration=False)
        return uuid, mid

    def act(self, action, host, uuid, mid):
        name = {'abort': 'live_migration_cancel',
                'force_complete': 'live_migration_force_complete'}[action]
        action_id, _ident = sm_fixtures.accept_action(
            self.ctx(), self.rpcapi, uuid, mid, name,
            'live_migration_' + action, host)
        return action_id

    def status(self, mid):
        return db_migrations.migration_get(self.context, mid)['status']

    def wait_status(self, mid, *statuses):
        statuses = statuses or TERMINAL
        return agents.wait_for(lambda: self.status(mid) in statuses and
                               self.status(mid), what='%s in %s' % (
                                   mid, statuses))

    def wait_running(self, mid):
        def running():
            row = db_migrations.migration_get(self.context, mid)
            return row['status'] == 'running' and row['memory_processed']
        agents.wait_for(running, what='%s running' % mid)

    def event(self, action_id):
        def finished():
            events = db_actions.action_events_get(self.context, action_id)
            return events and events[0]['finish_time'] and events[0]
        return agents.wait_for(finished, what='event of %s' % action_id)

    def where(self, uuid):
        server = db_instances.instance_get(self.context, uuid)
        return server['host'], server['node'], server['task_state']

    # -- the tests ---------------------------------------------------------

    def test_lifecycle_between_two_agents(self):
        self.agent(self.a)
        self.agent(self.b)
        uuid, mid = self.start_migration(self.a, self.b)
        self.assertEqual('completed', self.wait_status(mid))
        self.assertEqual((self.b, self.b, None), self.where(uuid))
        # Back again, a busy guest this time: force-complete finishes it.
        _uuid, mid = self.start_migration(self.b, self.a, guest=BUSY,
                                          uuid=uuid)
        self.wait_running(mid)
        action = self.act('force_complete', self.b, uuid, mid)
        self.assertEqual('Success', self.event(action)['result'])
        self.assertEqual('completed', self.wait_status(mid))
        self.assertEqual((self.a, self.a, None), self.where(uuid))
        # And an abort: the server stays where it is.
        _uuid, mid = self.start_migration(self.a, self.b, uuid=uuid)
        self.wait_running(mid)
        action = self.act('abort', self.a, uuid, mid)
        self.assertEqual('Success', self.event(action)['result'])
        self.assertEqual('cancelled', self.wait_status(mid))
        self.assertEqual((self.a, self.a, None), self.where(uuid))
        for proc in self.agents.values():
            self.assertEqual(0, proc.stop(signal.SIGTERM))

    def test_killed_agent_restarts_and_settles(self):
        source = self.agent(self.a)
        self.agent(self.b)
        uuid1, mid1 = self.start_migration(self.a, self.b, guest=BUSY)
        self.wait_running(mid1)
        source.kill()
        # While it is down: an abort of the running migration and a new
        # migration are cast to it; the broker keeps them in its queue.
        abort = self.act('abort', self.a, uuid1, mid1)
        uuid2, mid2 = self.start_migration(self.a, self.b)
        self.assertEqual('accepted', self.status(mid2))
        source.start(self.context)
        self.assertEqual('error', self.wait_status(mid1))
        self.assertEqual((self.a, self.a, None), self.where(uuid1))
        self.assertEqual('Error', self.event(abort)['result'])
        self.assertEqual('completed', self.wait_status(mid2))
        self.assertEqual((self.b, self.b, None), self.where(uuid2))
        # Why each ended, on the final event of its live-migration action.
        self.assertEqual(
            'agent restarted while the migration was running; the '
            'hypervisor runs the server on the source',
            outcomes.migration_reason(
                self.context,
                db_migrations.migration_get(self.context, mid1)))
        self.assertEqual('completed', outcomes.migration_reason(
            self.context, db_migrations.migration_get(self.context, mid2)))

    def test_sigterm_cancels_queued_and_settles_running(self):
        source = self.agent(self.a)
        self.agent(self.b)
        uuid1, mid1 = self.start_migration(self.a, self.b, guest=BUSY)
        self.wait_running(mid1)
        uuid2, mid2 = self.start_migration(self.a, self.b, guest=BUSY)
        self.wait_status(mid2, 'queued')
        started = time.monotonic()
        self.assertEqual(0, source.stop(signal.SIGTERM))
        self.assertLess(time.monotonic() - started, 30)
        for uuid, mid in ((uuid1, mid1), (uuid2, mid2)):
            self.assertEqual('cancelled', self.status(mid))
            self.assertEqual((self.a, self.a, None), self.where(uuid))

    def test_openstacksdk_through_the_api(self):
        self.agent(self.a)
        self.agent(self.b)
        http = self.useFixture(sm_fixtures.HTTPServer(
            deploy.loadapp(self.conf)))
        sdk = openstack.connect(
            auth_type='admin_token',
            auth={'endpoint': http.url, 'token': 'admin:p1'},
            compute_api_version='2.80', load_yaml_config=False,
            load_envvars=False)
        uuid = sm_fixtures.make_instance(
            self.context, host=self.a, node=self.a, memory_mb=64,
            root_gb=1, task_state=None, project_id='p1')['uuid']
        self.guests[uuid] = BUSY
        agents.write_guests(self.guests_file, self.guests)

        def running():
            for item in sdk.compute.server_migrations(uuid):
                if item.status == 'running' and item.memory_processed_bytes:
                    return item
        sdk.compute.live_migrate_server(uuid, host=self.b,
                                        block_migration='auto')
        migration = agents.wait_for(running, what='a running migration')
        sdk.compute.force_complete_server_migration(migration.id, uuid)
        self.assertEqual('completed', self.wait_status(migration.id))
        self.assertEqual(self.b, sdk.compute.get_server(uuid).compute_host)
        sdk.compute.live_migrate_server(uuid, host=None,
                                        block_migration='auto')
        migration = agents.wait_for(running, what='a running migration')
        self.assertEqual(self.a, migration.dest_compute)
        sdk.compute.abort_server_migration(migration.id, uuid,
                                           ignore_missing=False)
        self.assertEqual('cancelled', self.wait_status(migration.id))
        self.assertEqual((self.b, self.b, None), self.where(uuid))


class _Backend(backends.ProvisionedDatabase, base.TestCase):
    """The mixed-in tests on a provisioned database."""


class TestAgentsMySQL(_AgentsMixin, _Backend):
    FIXTURE = sm_fixtures.MySQLDatabase


class TestAgentsPostgreSQL(_AgentsMixin, _Backend):
    FIXTURE = sm_fixtures.PostgresqlDatabase
