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

"""Accepted actions are carried out once, whether or not a cast came."""

import datetime

import fixtures
from oslo_db import exception as db_exc
from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.compute import jobs
from server_migrations.compute import outbox
from server_migrations.db import agent_actions
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import migrations as db_migrations
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.unit.compute import agent_base

BUSY = agent_base.BUSY


class ActionTestCase(agent_base.AgentTestCase):

    START_AGENT = False

    def setUp(self):
        super().setUp()
        self.conf.set_override('action_poll_interval', 0.2, group='compute')
        self.start_agent()

    def agent_action(self, action_id):
        [row] = sm_fixtures.agent_actions_of(self.context, action_id)
        return row

    def events(self, action_id):
        return db_actions.action_events_get(self.context, action_id)


class LostCastTest(ActionTestCase):

    def test_abort_whose_cast_was_lost_is_carried_out_by_the_poll(self):
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid)
        action = self.act('abort', uuid, mid, cast=False)
        self.assertEqual('cancelled', self.wait_status(mid)['status'])
        self.assert_on_source(uuid)
        event = self.event(action)
        self.assertEqual(('compute_live_migration_abort', 'Success'),
                         (event['event'], event['result']))
        row = self.agent_action(action)
        self.assertEqual(('done', 'Success'), (row['state'], row['result']))

    def test_force_complete_whose_cast_was_lost(self):
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid)
        action = self.act('force_complete', uuid, mid, cast=False)
        self.assertEqual('completed', self.wait_status(mid)['status'])
        self.assert_on_destination(uuid)
        self.assertEqual('Success', self.event(action)['result'])

    def test_a_cast_and_the_poll_carry_an_action_out_once(self):
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid)
        action = self.act('abort', uuid, mid, cast=False)
        row = self.agent_action(action)
        manager = self.agent.manager
        ctx = self.request_context()
        # The cast, a duplicate of it and the poll race for the claim.
        results = [manager.take_action(ctx, row['id']) for _ in range(3)]
        self.assertLessEqual(results.count(True), 1)
        self.assertEqual('cancelled', self.wait_status(mid)['status'])
        self.event(action)
        self.assertEqual(1, len(self.events(action)))

    def test_an_action_on_an_ended_migration_ends_with_a_stated_error(self):
        uuid, mid = self.start_migration()
        self.assertEqual('completed', self.wait_status(mid)['status'])
        action = self.act('abort', uuid, mid, cast=False)
        event = self.event(action)
        self.assertEqual('Error', event['result'])
        self.assertIn('is completed; cannot abort it', event['traceback'])
        row = self.agent_action(action)
        self.assertEqual(('done', 'Error'), (row['state'], row['result']))


class RestartTest(ActionTestCase):

    def test_an_action_claimed_by_a_run_that_died_is_taken_again(self):
        self.stop_agent()
        uuid, mid = self.start_migration(cast=False)
        [row] = agent_actions.pending_for_host(self.context, self.src)
        # The previous run claimed it, then died before acting.
        self.assertIsNotNone(agent_actions.claim(self.context, row['id'],
                                                 self.src))
        self.start_agent()
        self.assertEqual('completed', self.wait_status(mid)['status'])
        self.assert_on_destination(uuid)
        self.assertEqual('Success', self.migration_event(uuid)['result'])
        self.assertEqual('done', agent_actions.get(self.context,
                                                   row['id'])['state'])


class ExpiryTest(ActionTestCase):

    def _age(self, action_id, seconds):
        table = agent_actions.AGENT_ACTIONS
        old = timeutils.utcnow() - datetime.timedelta(seconds=seconds)
        with db_engine.get_engine().begin() as conn:
            conn.execute(sa.update(table).where(
                table.c.action_id == action_id).values(created_at=old))

    def test_actions_of_a_dead_host_expire_with_a_stated_error(self):
        self.conf.set_override('action_timeout', 60, group='compute')
        gone = 'gone-' + self.src
        instance = self.make_server(host=gone, node=gone)
        mid = self.make_migration(instance, source_compute=gone)['id']
        start = self.accept(instance['uuid'], mid, 'live-migration',
                            'live_migration', host=gone, cast=False)
        abort = self.act('abort', instance['uuid'], mid, host=gone,
                         cast=False)
        self._age(abort, 120)
        event = self.event(abort)
        self.assertEqual('Error', event['result'])
        self.assertIn('Expired: the compute agent of host %s did not take '
                      'this action within 60 s' % gone, event['traceback'])
        # The start is younger than the timeout: still pending.
        self.assertEqual('pending', self.agent_action(start)['state'])
        self._age(start, 120)
        self.assertIn('Expired', self.event(start)['traceback'])
        # It never started: the server is no longer "migrating".
        self.assertEqual('error', self.wait_status(mid)['status'])
        self.assertIsNone(self.server(instance['uuid'])['task_state'])

    def test_actions_of_a_live_host_do_not_expire(self):
        self.conf.set_override('action_timeout', 1, group='compute')
        # The destination is alive (heartbeat in setUp) but runs no agent
        # here: its action waits for it, however old.
        instance = self.make_server(host=self.dst, node=self.dst)
        mid = self.make_migration(instance, source_compute=self.dst)['id']
        action = self.act('abort', instance['uuid'], mid, host=self.dst,
                          cast=False)
        self._age(action, 3600)
        self.assertEqual(0, self.agent.poller.expire(self.context))
        self.assertEqual('pending', self.agent_action(action)['state'])


class AgentDatabaseOutageTest(ActionTestCase):
    """The copy ends while the agent's database is away (issue 14.1)."""

    def test_outcome_is_written_when_the_database_is_back(self):
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid)
        real_update = db_migrations.migration_update
        down = {'on': True, 'refused': 0}

        def update(context, migration_id, values, expected_status=None):
            if down['on'] and values.get('status') == 'completed':
                down['refused'] += 1
                raise db_exc.DBConnectionError('database went away')
            return real_update(context, migration_id, values,
                               expected_status)
        self.useFixture(fixtures.MonkeyPatch(
            'server_migrations.db.migrations.migration_update', update))
        action = self.act('force_complete', uuid, mid)
        self.assertEqual('Success', self.event(action)['result'])
        agent_base.wait_for(lambda: down['refused'] >= 2,
                            what='the outcome to be retried')
        self.assertIn(self.migration(mid)['status'],
                      ('running', 'running (post-copy)'))
        down['on'] = False
        self.assertEqual('completed', self.wait_status(mid)['status'])
        self.assert_on_destination(uuid)
        self.assertEqual('Success', self.migration_event(uuid)['result'])
        self.assertEqual(0, len(self.agent.manager.outbox))


class OutboxTest(agent_base.AgentTestCase):
    """A refused event write is kept, retried in order, written once."""

    START_AGENT = False

    def test_event_written_once_after_a_refused_commit(self):
        instance = self.make_server()
        ctx = self.request_context()
        action_id = db_actions.action_start(ctx, instance['uuid'],
                                            'live_migration_cancel')
        real_finish = db_actions.action_event_finish
        refused = []

        def finish(*args, **kwargs):
            if not refused:
                refused.append(True)
                raise db_exc.DBConnectionError('database went away')
            return real_finish(*args, **kwargs)
        self.useFixture(fixtures.MonkeyPatch(
            'server_migrations.db.instance_actions.action_event_finish',
            finish))
        box = outbox.Outbox()
        event = jobs.Event(ctx, instance['uuid'],
                           'compute_live_migration_abort', self.src,
                           outbox=box, action_id=action_id)
        event.finish(True)
        # The transaction that opened the event was rolled back with it.
        self.assertEqual(1, len(box))
        self.assertEqual([], db_actions.action_events_get(self.context,
                                                          action_id))
        self.assertEqual(0, box.flush())
        [written] = db_actions.action_events_get(self.context, action_id)
        self.assertEqual(('Success', 'compute_live_migration_abort'),
                         (written['result'], written['event']))

    def test_a_bug_is_logged_not_retried_for_ever(self):
        box = outbox.Outbox()

        def broken():
            raise ValueError('a bug')
        self.assertFalse(box.put(broken, 'something'))
        self.assertEqual(0, len(box))
