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

"""Tests of the queries of server_migrations.db's table modules (SQLite).

``QueriesTestMixin`` is reused by the integration suite on PostgreSQL and
MariaDB, so every query is proven on every backend.
"""

import datetime
import os
import threading

import fixtures
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import engines
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from server_migrations import context as sm_context
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations.tests import base
from server_migrations.tests import fixtures as sm_fixtures


# The shared factories, under the names these tests (and the integration
# suite's database tests) call them by.
make_instance = sm_fixtures.make_instance
make_migration = sm_fixtures.make_migration


class QueriesTestMixin:

    def test_instance_get_scoped_and_soft_deleted(self):
        inst = make_instance(self.context)
        self.assertEqual(inst, db_instances.instance_get(self.context,
                                                         inst['uuid']))
        self.assertEqual(inst['uuid'], db_instances.instance_get(
            self.context, inst['uuid'], project_id='p1')['uuid'])
        self.assertIsNone(db_instances.instance_get(
            self.context, inst['uuid'], project_id='p2'))
        db_instances.instance_destroy(self.context, inst['uuid'])
        self.assertIsNone(db_instances.instance_get(
            self.context, inst['uuid']))
        self.assertIsNone(db_instances.instance_get(
            self.context, uuidutils.generate_uuid()))

    def test_instance_fields_round_trip(self):
        launched = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901)
        inst = make_instance(self.context, launched_at=launched, locked=True,
                             locked_by='admin')
        self.assertEqual(launched, inst['launched_at'])
        self.assertTrue(inst['locked'])
        self.assertEqual('admin', inst['locked_by'])
        self.assertEqual(0, inst['deleted'])

    def test_instance_update_expected_task_state(self):
        inst = make_instance(self.context, task_state=None)
        self.assertFalse(db_instances.instance_update(
            self.context, inst['uuid'], {'task_state': None},
            expected_task_state='migrating'))
        self.assertTrue(db_instances.instance_update(
            self.context, inst['uuid'], {'task_state': 'migrating'},
            expected_task_state=None))
        self.assertTrue(db_instances.instance_update(
            self.context, inst['uuid'], {'host': 'h2', 'task_state': None},
            expected_task_state='migrating'))
        got = db_instances.instance_get(self.context, inst['uuid'])
        self.assertEqual(('h2', None), (got['host'], got['task_state']))
        self.assertIsNotNone(got['updated_at'])

    def test_in_progress_filters(self):
        inst = make_instance(self.context)
        other = make_instance(self.context)
        listed = set()
        for status in ('queued', 'preparing', 'running', 'post-migrating'):
            listed.add(make_migration(self.context, inst['uuid'],
                                      status=status)['id'])
        for status in ('accepted', 'running (post-copy)', 'completed',
                       'failed', 'error', 'cancelled'):
            make_migration(self.context, inst['uuid'], status=status)
        make_migration(self.context, inst['uuid'], migration_type='resize')
        make_migration(self.context, other['uuid'])
        deleted = make_migration(self.context, inst['uuid'])
        db_migrations.migration_update(
            self.context, deleted['id'], {'deleted': 1})
        _server, found = db_migrations.server_migrations_in_progress(
            self.context, inst['uuid'])
        self.assertEqual(listed, {m['id'] for m in found})
        self.assertEqual((None, []),
                         db_migrations.server_migrations_in_progress(
                             self.context, uuidutils.generate_uuid()))

    def test_migration_fields(self):
        inst = make_instance(self.context)
        mig = make_migration(self.context, inst['uuid'])
        self.assertTrue(uuidutils.is_uuid_like(mig['uuid']))
        self.assertIsNone(mig['memory_total'])
        self.assertIsNone(mig['updated_at'])
        self.assertIsNotNone(mig['created_at'])
        self.assertFalse(mig['hidden'])
        self.assertEqual('live-migration', mig['migration_type'])

    def test_get_by_id_and_instance(self):
        inst = make_instance(self.context)
        other = make_instance(self.context)
        mig = make_migration(self.context, inst['uuid'])
        get = db_migrations.migration_get_by_id_and_instance
        self.assertEqual(mig['id'], get(self.context, mig['id'],
                                        inst['uuid'])['id'])
        self.assertEqual(mig['id'], get(self.context, str(mig['id']),
                                        inst['uuid'])['id'])
        self.assertIsNone(get(self.context, mig['id'], other['uuid']))
        # Not an integer, or not one the column can hold: simply absent.
        for bad in ('abc', '%sabc' % mig['id'], '1.0', '-1', '0', '',
                    ' 1', '1 ', '99999999999999999999', '2147483648',
                    '\u0661', mig['uuid'], None, True, 1.0):
            self.assertIsNone(get(self.context, bad, inst['uuid']), bad)
            self.assertIsNone(
                db_migrations.migration_get(self.context, bad), bad)
        db_migrations.migration_update(self.context, mig['id'], {'deleted': 1})
        self.assertIsNone(get(self.context, mig['id'], inst['uuid']))

    def test_compare_and_swap(self):
        inst = make_instance(self.context)
        mig = make_migration(self.context, inst['uuid'], status='running')
        won, status = db_migrations.migration_update(
            self.context, mig['id'], {'status': 'cancelled'},
            expected_status='running')
        self.assertEqual((True, 'cancelled'), (won, status))
        won, status = db_migrations.migration_update(
            self.context, mig['id'], {'status': 'completed'},
            expected_status='running')
        self.assertEqual((False, 'cancelled'), (won, status))
        # An ended migration is never moved on, even when the caller lists
        # its status: the swap matches only the transitions allowed.
        won, status = db_migrations.migration_update(
            self.context, mig['id'], {'status': 'error'},
            expected_status=('queued', 'cancelled'))
        self.assertEqual((False, 'cancelled'), (won, status))
        self.assertRaises(ValueError, db_migrations.migration_update,
                          self.context, mig['id'], {'status': 'running'},
                          expected_status='cancelled')
        won, status = db_migrations.migration_update(
            self.context, mig['id'], {'status': 'cancelled'},
            expected_status=None)
        self.assertEqual((True, 'cancelled'), (won, status))
        self.assertEqual((False, None), db_migrations.migration_update(
            self.context, 'nope', {'status': 'x'}))
        self.assertEqual((False, None), db_migrations.migration_update(
            self.context, 2 ** 30, {'status': 'x'}))

    def test_concurrent_compare_and_swap_has_one_winner(self):
        inst = make_instance(self.context)
        mig = make_migration(self.context, inst['uuid'], status='running')
        results = []
        barrier = threading.Barrier(4)

        def swap(new_status):
            # One context per thread, as each request or RPC call has.
            context = sm_context.get_admin_context()
            barrier.wait()
            results.append((new_status, db_migrations.migration_update(
                context, mig['id'], {'status': new_status},
                expected_status='running')[0]))

        threads = [threading.Thread(target=swap, args=(s,)) for s in
                   ('cancelled', 'completed', 'failed', 'error')]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [s for s, won in results if won]
        self.assertEqual(1, len(winners), results)
        self.assertEqual(winners[0], db_migrations.migration_get(
            self.context, mig['id'])['status'])

    def test_progress_only_while_running(self):
        inst = make_instance(self.context)
        mig = make_migration(self.context, inst['uuid'], status='running')
        progress = {'memory_total': 8 << 30, 'memory_processed': 1 << 30,
                    'memory_remaining': 7 << 30, 'disk_total': 0,
                    'disk_processed': 0, 'disk_remaining': 0,
                    'status': 'ignored'}
        self.assertTrue(db_migrations.migration_update_progress(
            self.context, mig['id'], progress))
        got = db_migrations.migration_get(self.context, mig['id'])
        self.assertEqual(8 << 30, got['memory_total'])
        self.assertEqual(0, got['disk_total'])
        self.assertEqual('running', got['status'])
        db_migrations.migration_update(self.context, mig['id'],
                                       {'status': 'completed'})
        self.assertFalse(db_migrations.migration_update_progress(
            self.context, mig['id'], {'memory_remaining': 5}))
        self.assertEqual(7 << 30, db_migrations.migration_get(
            self.context, mig['id'])['memory_remaining'])

    def test_in_flight_by_host_and_load(self):
        inst = make_instance(self.context)
        make_migration(self.context, inst['uuid'], source_compute='a',
                       dest_compute='b', status='running')
        make_migration(self.context, inst['uuid'], source_compute='b',
                       dest_compute='c', status='queued')
        make_migration(self.context, inst['uuid'], source_compute='a',
                       dest_compute='c', status='completed')
        self.assertEqual(1, len(db_migrations.migrations_in_flight_by_host(
            self.context, 'a')))
        self.assertEqual(2, len(db_migrations.migrations_in_flight_by_host(
            self.context, 'b')))
        self.assertEqual(
            {'a': 1, 'b': 2, 'c': 1, 'd': 0},
            db_migrations.host_load(self.context, ['a', 'b', 'c', 'd']))
        self.assertEqual({}, db_migrations.host_load(self.context, []))

    def test_migration_get_all_filters(self):
        inst = make_instance(self.context)
        m1 = make_migration(self.context, inst['uuid'], status='running')
        m2 = make_migration(self.context, inst['uuid'], status='completed',
                            source_compute='x', dest_compute='y')
        self.assertEqual([m2['id'], m1['id']], [
            m['id'] for m in db_migrations.migration_get_all(self.context)])
        running = db_migrations.migration_get_all(self.context,
                                                  statuses=['running'])
        self.assertEqual([m1['id']], [m['id'] for m in running])
        on_y = db_migrations.migration_get_all(self.context, host='y')
        self.assertEqual([m2['id']], [m['id'] for m in on_y])

    def test_actions_and_events(self):
        inst = make_instance(self.context)
        self.context.user_id = 'u9'
        self.context.project_id = 'p9'
        action_id = db_actions.action_start(self.context, inst['uuid'],
                                            'live_migration_cancel')
        action = db_actions.action_get_by_request_id(
            self.context, inst['uuid'], self.context.request_id)
        self.assertEqual(('live_migration_cancel', 'u9', 'p9'),
                         (action['action'], action['user_id'],
                          action['project_id']))
        self.assertIsNone(action['finish_time'])
        event_id = db_actions.action_event_start(
            self.context, action_id, 'compute_live_migration_abort', 'h1')
        db_actions.action_event_finish(self.context, event_id, 'Error',
                                       'Traceback: boom')
        db_actions.action_finish(self.context, action_id)
        (event,) = db_actions.action_events_get(self.context, action_id)
        self.assertEqual(('Error', 'Traceback: boom', 'h1'),
                         (event['result'], event['traceback'],
                          event['host']))
        self.assertIsNotNone(db_actions.actions_get(
            self.context, inst['uuid'])[0]['finish_time'])

    def test_services_heartbeat_and_liveness(self):
        first = db_services.service_heartbeat(self.context, 'h1', 'bin',
                                              'compute', '1.0')
        again = db_services.service_heartbeat(self.context, 'h1', 'bin',
                                              'compute', '1.1')
        self.assertEqual(first['id'], again['id'])
        self.assertEqual('1.1', again['rpc_version'])
        db_services.service_heartbeat(
            self.context, 'h2', 'bin', 'compute', '1.0')
        self.assertEqual(['h1', 'h2'], [
            s['host']
            for s in db_services.service_get_live(self.context, 'bin', 60)])
        later = timeutils.utcnow() + datetime.timedelta(seconds=120)
        self.assertFalse(db_services.service_is_up(again, 60, now=later))
        self.assertTrue(db_services.service_is_up(again, 600, now=later))
        self.assertFalse(db_services.service_is_up({'last_seen_at': None}, 60))


class TestQueriesSQLite(QueriesTestMixin, base.TestCase):
    """The queries on an in-memory SQLite database."""


class TestDbId(base.TestCase):

    def test_db_id(self):
        self.assertEqual(5, db_engine.db_id('5'))
        self.assertEqual(7, db_engine.db_id('007'))
        self.assertEqual(5, db_engine.db_id(5))
        for bad in ('5a', '', '-5', '0', 0, 2 ** 31, True, None, '५'):
            self.assertIsNone(db_engine.db_id(bad), bad)


class TestConfigure(base.TestCase):
    """What configure() sets up for a SQLite file (a real engine)."""

    DATABASE = None

    def setUp(self):
        super().setUp()
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'pool.sqlite')
        self.conf.set_override('connection', 'sqlite:///%s' % path,
                               group='database')
        # A private facade, configured as the services configure theirs.
        self.useFixture(fixtures.MockPatchObject(
            db_engine, '_CTX', enginefacade.transaction_context()))
        db_engine.configure(self.conf)
        self.engine = db_engine.get_engine()
        self.addCleanup(self.engine.dispose)

    def test_sqlite_file_connections_are_pooled(self):
        self.assertIsInstance(self.engine.pool, sa.pool.QueuePool)
        # Sized by [database] (oslo.db's defaults), by public configuration
        # (db.engine.PooledSQLiteFile), whose URL parameters are consumed.
        self.assertEqual(5, self.engine.pool.size())
        self.assertEqual({'timeout': '5.0'}, dict(self.engine.url.query))
        seen = set()
        for _ in range(3):
            with db_engine.reading(self.context) as conn:
                seen.add(id(conn.connection.dbapi_connection))
        # One DBAPI connection, reused by each transaction.
        self.assertEqual(1, len(seen))

    def test_oslo_db_connection_setup_is_kept(self):
        with db_engine.writer(self.context) as conn:
            # oslo.db's connect event adds REGEXP to SQLite...
            self.assertEqual(1, conn.execute(
                sa.text("SELECT 'abc' REGEXP 'b'")).scalar())
            # ...and its checkout event records the owner process.
            self.assertEqual(os.getpid(), conn.connection._connection_record
                             .info['pid'])

    def test_no_yield_on_checkin(self):
        self.assertNotIn(engines._thread_yield,
                         list(self.engine.pool.dispatch.checkin))
        # oslo.db's other check-in listener is still there.
        self.assertTrue(list(self.engine.pool.dispatch.checkin))
