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

"""The agent process: registration, restart reconciliation, shutdown."""

import os
import signal
import subprocess
import sys
import time

import fixtures

from server_migrations import compute
from server_migrations.db import engine as db_engine
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations.tests.unit.compute import agent_base

BUSY = agent_base.BUSY


class RegistrationTest(agent_base.AgentTestCase):

    def test_registers_and_heartbeats(self):
        row = [s for s in db_services.service_get_all(self.context,
                                                      compute.BINARY)
               if s['host'] == self.src][0]
        self.assertEqual(('compute', '1.2'), (row['topic'],
                                              row['rpc_version']))
        first = row['last_seen_at']
        self.assertTrue(self.agent.heartbeat())
        row = [s for s in db_services.service_get_all(self.context,
                                                      compute.BINARY)
               if s['host'] == self.src][0]
        self.assertGreater(row['last_seen_at'], first)

    def test_clean_stop_is_down_at_once(self):
        def live_hosts():
            return [s['host'] for s in db_services.service_get_live(
                self.context, compute.BINARY, 3600)]

        self.assertIn(self.src, live_hosts())
        self.agent.stop()
        self.assertNotIn(self.src, live_hosts())
        self.agent.start()
        self.assertIn(self.src, live_hosts())

    def test_unhealthy_hypervisor_stops_heartbeats(self):
        def last_seen():
            return [s for s in db_services.service_get_all(
                self.context, compute.BINARY)
                if s['host'] == self.src][0]['last_seen_at']

        driver = self.agent.manager.driver
        before = last_seen()
        self.patch(driver, 'is_healthy', lambda: False)
        self.assertFalse(self.agent.heartbeat())
        self.assertEqual(before, last_seen())
        self.patch(driver, 'is_healthy', lambda: True)
        self.assertTrue(self.agent.heartbeat())
        self.assertGreater(last_seen(), before)


class RestartTest(agent_base.AgentTestCase):
    START_AGENT = False

    def test_restart_settles_what_the_previous_run_left(self):
        left = {}
        for status in ('queued', 'preparing', 'running',
                       'running (post-copy)'):
            instance = self.make_server()
            left[status] = (instance['uuid'], self.make_migration(
                instance, status=status)['id'])
        # Someone else's migration, and one this host is destination of.
        foreign = self.make_server(host='elsewhere', node='elsewhere')
        foreign_mid = self.make_migration(
            foreign, status='running', source_compute='elsewhere')['id']
        inbound = self.make_server(host='elsewhere', node='elsewhere')
        inbound_mid = self.make_migration(
            inbound, status='running', source_compute='elsewhere',
            dest_compute=self.src)['id']
        done = self.make_server(task_state=None)
        done_mid = self.make_migration(done, status='completed')['id']
        self.start_agent()
        post_copy = left.pop('running (post-copy)')
        for uuid, mid in left.values():
            self.assertEqual('error', self.migration(mid)['status'])
            self.assert_on_source(uuid)
        # Post-copy had started: the guest runs on the destination.
        self.assertEqual('completed', self.migration(post_copy[1])['status'])
        self.assert_on_destination(post_copy[0])
        for mid in (foreign_mid, inbound_mid):
            self.assertEqual('running', self.migration(mid)['status'])
        self.assertEqual('migrating', self.server(foreign['uuid'])[
            'task_state'])
        self.assertEqual('completed', self.migration(done_mid)['status'])

    def test_restart_when_the_hypervisor_cannot_tell(self):
        post_copy = self.make_server()
        pc_mid = self.make_migration(post_copy,
                                     status='running (post-copy)')['id']
        pre_copy = self.make_server()
        mid = self.make_migration(pre_copy, status='running')['id']
        self.useFixture(fixtures.MockPatch(
            'server_migrations.virt.fake.FakeDriver.recover_migration',
            side_effect=RuntimeError('hypervisor unreachable')))
        self.start_agent()
        self.assertEqual('error', self.migration(pc_mid)['status'])
        self.assert_on_destination(post_copy['uuid'])
        self.assertEqual('error', self.migration(mid)['status'])
        self.assert_on_source(pre_copy['uuid'])

    def test_cast_sent_while_the_agent_was_down_is_handled(self):
        # The fake transport keeps the cast for the server until it
        # listens, as RabbitMQ keeps it in the agent's queue.
        uuid, mid = self.start_migration()
        self.assertEqual('accepted', self.migration(mid)['status'])
        self.start_agent()
        self.assertEqual('completed', self.wait_status(mid)['status'])
        self.assert_on_destination(uuid)
        self.assertEqual('Success', self.migration_event(uuid)['result'])

    def test_start_whose_cast_was_lost_is_taken_from_the_database(self):
        # Committed while the agent was down, and the cast never sent
        # (the API died, or the broker dropped it): the start-up poll
        # carries it out.
        uuid, mid = self.start_migration(cast=False)
        self.start_agent()
        self.assertEqual('completed', self.wait_status(mid)['status'])
        self.assert_on_destination(uuid)
        self.assertEqual('Success', self.migration_event(uuid)['result'])

    def test_accepted_migration_without_a_start_action(self):
        # Nothing will ever start it: it ends at once, saying why.
        instance = self.make_server()
        mid = self.make_migration(instance)['id']
        self.start_agent()
        self.assertEqual('error', self.migration(mid)['status'])
        self.assert_on_source(instance['uuid'])

    def test_stale_abort_after_restart_is_ignored(self):
        uuid, mid = self.start_migration(guest=BUSY)
        self.assertEqual('accepted', self.migration(mid)['status'])
        db_migrations.migration_update(
            self.context, mid, {'status': 'running'})
        action = self.act('abort', uuid, mid)
        self.start_agent()
        self.assertEqual('Error', self.event(action)['result'])
        self.assertEqual('error', self.migration(mid)['status'])
        self.assert_on_source(uuid)


class ShutdownTest(agent_base.AgentTestCase):

    def test_stop_cancels_queued_and_settles_running(self):
        uuid1, mid1 = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid1)
        uuid2, mid2 = self.start_migration(guest=BUSY)
        self.wait_status(mid2, 'queued')
        self.stop_agent()
        self.assertEqual('cancelled', self.migration(mid1)['status'])
        self.assertEqual('cancelled', self.migration(mid2)['status'])
        self.assert_on_source(uuid1)
        self.assert_on_source(uuid2)
        self.assertEqual('Error', self.migration_event(uuid2)['result'])

    def test_restart_in_process(self):
        self.stop_agent()
        self.start_agent()
        uuid, mid = self.start_migration()
        self.assertEqual('completed', self.wait_status(mid)['status'])


class CommandTest(agent_base.AgentTestCase):
    """server-migrations-compute as a real process."""

    START_AGENT = False

    def _config(self):
        path = os.path.join(self.tmp, 'compute.conf')
        with open(path, 'w') as stream:
            stream.write('[DEFAULT]\nhost = %s\ntransport_url = fake:/\n'
                         'state_path = %s\n[database]\nconnection = %s\n'
                         % (self.src, self.tmp,
                            db_engine.get_engine().url.render_as_string()))
        return path

    def _spawn(self):
        # A file, not a pipe: a full pipe would block the agent's logging.
        self.log_path = os.path.join(self.tmp, 'agent.log')
        with open(self.log_path, 'ab') as log:
            proc = subprocess.Popen(
                [sys.executable, '-m', 'server_migrations.cmd.compute',
                 '--config-file', self._config()],
                stdout=subprocess.DEVNULL, stderr=log)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc

    def _seen_at(self):
        rows = [s for s in db_services.service_get_all(self.context)
                if s['host'] == self.src]
        return rows[0]['last_seen_at'] if rows else None

    def test_sigterm_exits_zero_within_30_seconds(self):
        instance = self.make_server()
        mid = self.make_migration(instance, status='running')['id']
        for signum in (signal.SIGTERM, signal.SIGINT):
            before = self._seen_at()
            proc = self._spawn()
            agent_base.wait_for(lambda: self._seen_at() != before,
                                what='the agent to start')
            # Its start-up settled the migration a previous run left.
            self.assertEqual('error', self.migration(mid)['status'])
            started = time.monotonic()
            proc.send_signal(signum)
            code = proc.wait(60)
            with open(self.log_path) as log:
                self.assertEqual(0, code, log.read())
            self.assertLess(time.monotonic() - started, 30)

    def test_bad_config_fails_clearly(self):
        proc = subprocess.Popen(
            [sys.executable, '-m', 'server_migrations.cmd.compute',
             '--config-file', os.path.join(self.tmp, 'missing.conf')],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.assertEqual(1, proc.wait(60))
        self.assertIn(b'ERROR:', proc.stderr.read())
