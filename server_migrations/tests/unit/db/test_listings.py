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

"""The paged lists and the end-of-migration record (SQLite here).

``ListingsTestMixin`` runs again on PostgreSQL and MariaDB in the
integration suite.
"""

import datetime

import sqlalchemy as sa

from server_migrations import context as sm_context
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import listings
from server_migrations.db import migrations as db_migrations
from server_migrations.db import outcomes
from server_migrations import exception
from server_migrations.tests import base
from server_migrations.tests import fixtures as sm_fixtures


def _at(minute):
    return datetime.datetime(2026, 11, 25, 10, minute, 0, 123456)


class ListingsTestMixin:

    def _migrations(self, count, **values):
        inst = sm_fixtures.make_instance(self.context)
        rows = []
        for index in range(count):
            row = sm_fixtures.make_migration(
                self.context, inst['uuid'], created_at=_at(index),
                **values)
            db_migrations.migration_update(self.context, row['id'],
                                           {'status': 'completed'})
            rows.append(row)
        return inst, rows

    def test_migrations_newest_first_paged(self):
        _inst, rows = self._migrations(5, source_compute='pager')
        filters = {'source_compute': 'pager'}
        page = listings.migrations_get(self.context, filters, paged=True,
                                       limit=2)
        self.assertEqual([rows[4]['id'], rows[3]['id']],
                         [m['id'] for m in page])
        page = listings.migrations_get(self.context, filters, paged=True,
                                       limit=2, marker=page[-1]['uuid'])
        self.assertEqual([rows[2]['id'], rows[1]['id']],
                         [m['id'] for m in page])
        self.assertEqual([], listings.migrations_get(
            self.context, filters, paged=True, limit=0))
        self.assertRaises(exception.MarkerNotFound, listings.migrations_get,
                          self.context, filters, paged=True, limit=1,
                          marker='nope')
        # Unpaged: id order.
        self.assertEqual([r['id'] for r in rows], [
            m['id'] for m in listings.migrations_get(self.context, filters)])

    def test_migration_filters(self):
        inst, rows = self._migrations(2, source_compute='a',
                                      dest_compute='b', hidden=False)
        other = sm_fixtures.make_migration(
            self.context, inst['uuid'], source_compute='b',
            dest_compute='c', migration_type='resize', hidden=True,
            user_id='u9', project_id='p9')

        def ids(**filters):
            return sorted(m['id'] for m in listings.migrations_get(
                self.context, filters))
        self.assertEqual(sorted([r['id'] for r in rows] + [other['id']]),
                         ids(host='b'))
        self.assertEqual([other['id']], ids(host='b', source_compute='a',
                                            migration_type='resize'))
        self.assertEqual([other['id']], ids(instance_uuid=inst['uuid'],
                                            hidden=True))
        self.assertEqual([other['id']], ids(user_id='u9', project_id='p9'))
        self.assertEqual([other['id']], ids(uuid=other['uuid']))
        self.assertEqual([], ids(host='b', status='running',
                                 node='nowhere'))

    def test_changes_window_on_updated_at(self):
        inst, rows = self._migrations(1, source_compute='window')
        row = db_migrations.migration_get(self.context, rows[0]['id'])
        stamp = row['updated_at']
        filters = {'source_compute': 'window'}
        for since, before, found in ((stamp, None, 1), (None, stamp, 1),
                                     (stamp, stamp, 1),
                                     (stamp + datetime.timedelta(
                                         seconds=1), None, 0)):
            self.assertEqual(found, len(listings.migrations_get(
                self.context, filters, paged=True, limit=10, since=since,
                before=before)))

    def _action(self, inst, request_id, minute):
        ctx = sm_context.RequestContext(user_id='u1', project_id='p1',
                                        request_id=request_id)
        action_id = db_actions.action_start(
            ctx, inst['uuid'], 'live-migration')
        with db_engine.writer(self.context) as conn:
            conn.execute(sa.update(db_actions.ACTIONS).where(
                db_actions.ACTIONS.c.id == action_id).values(
                    created_at=_at(minute), start_time=_at(minute)))
        return action_id

    def test_actions_paged_and_marker(self):
        inst = sm_fixtures.make_instance(self.context)
        for minute, request_id in enumerate(('req-a', 'req-b', 'req-c')):
            self._action(inst, request_id, minute)
        page = listings.actions_get(self.context, inst['uuid'], limit=2)
        self.assertEqual(['req-c', 'req-b'],
                         [a['request_id'] for a in page])
        page = listings.actions_get(self.context, inst['uuid'], limit=2,
                                    marker='req-b')
        self.assertEqual(['req-a'], [a['request_id'] for a in page])
        error = self.assertRaises(exception.MarkerNotFound,
                                  listings.actions_get, self.context,
                                  inst['uuid'], limit=2, marker='req-x')
        self.assertEqual('Marker None could not be found.', str(error))

    def test_record_end_closes_the_open_event_once(self):
        inst = sm_fixtures.make_instance(self.context)
        migration = sm_fixtures.make_migration(self.context, inst['uuid'],
                                               created_at=_at(0))
        action_id = self._action(inst, 'req-m', 1)
        event_id = db_actions.action_event_start(
            self.context, action_id, outcomes.LIVE_MIGRATION_EVENT, 'h1')
        db_migrations.migration_update(self.context, migration['id'],
                                       {'status': 'cancelled'})
        with db_engine.writer(self.context):
            self.assertTrue(outcomes.record_end(
                self.context, migration['id'], 'h1', False,
                'aborted by request req-x'))
        events = db_actions.action_events_get(self.context, action_id)
        self.assertEqual([event_id], [e['id'] for e in events])
        self.assertEqual(('Error', 'aborted by request req-x',
                          'aborted by request req-x'),
                         (events[0]['result'], events[0]['details'],
                          events[0]['traceback']))
        action = listings.action_get(self.context, inst['uuid'], 'req-m')
        self.assertEqual('Error', action['message'])
        self.assertEqual(events[0]['finish_time'], action['updated_at'])
        # A second close changes nothing.
        self.assertFalse(db_actions.action_event_finish(
            self.context, event_id, 'Success', details='completed'))
        self.assertEqual('aborted by request req-x', outcomes.migration_reason(
            self.context, db_migrations.migration_get(self.context,
                                                      migration['id'])))

    def test_record_end_adds_an_event_when_none_is_open(self):
        inst = sm_fixtures.make_instance(self.context)
        migration = sm_fixtures.make_migration(self.context, inst['uuid'],
                                               created_at=_at(0))
        action_id = self._action(inst, 'req-n', 1)
        self.assertTrue(outcomes.record_end(
            self.context, migration['id'], 'h1', True, 'completed'))
        events = db_actions.action_events_get(self.context, action_id)
        self.assertEqual([('compute_live_migration', 'Success', 'completed',
                           None, 'h1')],
                         [(e['event'], e['result'], e['details'],
                           e['traceback'], e['host']) for e in events])

    def test_record_end_without_an_action(self):
        inst = sm_fixtures.make_instance(self.context)
        migration = sm_fixtures.make_migration(self.context, inst['uuid'])
        self.assertFalse(outcomes.record_end(
            self.context, migration['id'], 'h1', True, 'completed'))


class TestListingsSQLite(ListingsTestMixin, base.TestCase):
    pass
