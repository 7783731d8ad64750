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

"""The compute API layer: preconditions, records, routing of casts."""

import datetime

import fixtures
from oslo_db import exception as db_exc

from server_migrations import compute
from server_migrations.compute import api as compute_api
from server_migrations import context as sm_context
from server_migrations.db import agent_actions
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations import exception
from server_migrations.tests import base
from server_migrations.tests import fixtures as sm_fixtures

LAUNCHED = datetime.datetime(2020, 1, 1)


class FakeComputeRPC:
    """Records the wake-up casts; ``lose`` drops them, as a broker could."""

    def __init__(self):
        self.casts = []
        self.action_ids = []
        self.lose = False

    def warm(self, context):
        pass

    def wake(self, ctx, host, method, action_id, instance_uuid,
             migration_id, **kwargs):
        if self.lose:
            return
        self.action_ids.append(action_id)
        self._cast(method, host, instance_uuid, migration_id,
                   *kwargs.values())

    def _cast(self, method, *args):
        self.casts.append((method,) + args)


class ComputeAPITestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.rpc = FakeComputeRPC()
        self.api = compute_api.API(self.conf, compute_rpcapi=self.rpc)
        self.user = sm_context.RequestContext(user_id='u', project_id='p1',
                                              roles=['manager'])

    def _instance(self, **values):
        return sm_fixtures.make_instance(self.context, **dict(
            {'host': 'src', 'node': 'src-n', 'launched_at': LAUNCHED},
            **values))

    def _migration(self, instance, **values):
        return sm_fixtures.make_migration(
            self.context, instance['uuid'],
            **dict({'source_compute': 'src', 'dest_compute': 'dst'},
                   **values))

    def _actions(self, instance):
        return [a['action'] for a in db_actions.actions_get(self.context,
                                                            instance['uuid'])]

    # lookups --------------------------------------------------------------

    def test_get_instance_is_project_scoped_for_non_admins(self):
        mine = self._instance()
        theirs = self._instance(project_id='p2')
        self.assertEqual(mine['uuid'], self.api.get_instance(
            self.user, mine['uuid'])['uuid'])
        self.assertRaises(exception.InstanceNotFound,
                          self.api.get_instance, self.user, theirs['uuid'])
        self.assertEqual(theirs['uuid'], self.api.get_instance(
            self.context, theirs['uuid'])['uuid'])

    def test_a_token_without_project_owns_no_server(self):
        # A system-scoped reader: no project, not an admin.
        system = sm_context.RequestContext(user_id='u', system_scope='all',
                                           roles=['reader'])
        server = self._instance()
        self.assertRaises(exception.InstanceNotFound,
                          self.api.get_instance, system, server['uuid'])
        self.assertEqual([], self.api.get_instances(system))
        self.assertEqual([], self.api.get_instances(system,
                                                    all_projects=True))

    def test_admin_without_project_lists_all_projects_only_when_asked(self):
        system = sm_context.RequestContext(user_id='u', system_scope='all',
                                           roles=['admin'], is_admin=True)
        server = self._instance()
        self.assertEqual([], self.api.get_instances(system))
        self.assertEqual([server['uuid']], [
            i['uuid'] for i in self.api.get_instances(system,
                                                      all_projects=True)])
        self.assertEqual(server['uuid'], self.api.get_instance(
            system, server['uuid'])['uuid'])

    def test_get_instance_rejects_non_uuids_without_a_query(self):
        exc = self.assertRaises(exception.InstanceNotFound,
                                self.api.get_instance, self.context, 'x y')
        self.assertEqual('Instance x y could not be found.',
                         exc.format_message())

    def _show(self, context, server_id, migration_id):
        _, migration = self.api.get_instance_migration(
            context, server_id, migration_id)
        return compute_api.check_migration_in_progress(
            migration, migration_id, 's')

    def test_in_progress_checks_in_order(self):
        instance = self._instance()
        resize = self._migration(instance, migration_type='resize',
                                 status='accepted')
        accepted = self._migration(instance, status='accepted')
        running = self._migration(instance, status='running')
        for migration_id, error in (
                (str(resize['id']), exception.MigrationNotLiveMigration),
                (str(accepted['id']), exception.LiveMigrationNotInProgress),
                ('1e3', exception.LiveMigrationNotFoundForServer),
                ('999999', exception.LiveMigrationNotFoundForServer)):
            self.assertRaises(error, self._show, self.context,
                              instance['uuid'], migration_id)
        self.assertEqual(running['id'], self._show(
            self.context, instance['uuid'], str(running['id']))['id'])

    def test_server_and_migrations_read_together(self):
        instance = self._instance()
        other = self._instance()
        self._migration(instance, migration_type='resize', status='running')
        self._migration(instance, status='completed')
        running = self._migration(instance, status='running')
        self._migration(other, status='running')
        server, rows = self.api.get_instance_migrations_in_progress(
            self.context, instance['uuid'])
        self.assertEqual({'uuid': instance['uuid'],
                          'project_id': instance['project_id']}, server)
        self.assertEqual([running], rows)
        # A server without migrations in progress is still found.
        _, rows = self.api.get_instance_migrations_in_progress(
            self.context, self._instance()['uuid'])
        self.assertEqual([], rows)
        # Another project's migration of the same id is not this server's.
        server, migration = self.api.get_instance_migration(
            self.context, other['uuid'], str(running['id']))
        self.assertEqual(other['uuid'], server['uuid'])
        self.assertIsNone(migration)

    def test_reads_hide_other_projects_servers(self):
        instance = self._instance()
        stranger = sm_context.RequestContext(user_id='u', project_id='p9',
                                             roles=['member'])
        system = sm_context.RequestContext(user_id='u', system_scope='all',
                                           roles=['admin'])
        for context in (stranger, system):
            self.assertRaises(exception.InstanceNotFound,
                              self.api.get_instance_migrations_in_progress,
                              context, instance['uuid'])
            self.assertRaises(exception.InstanceNotFound,
                              self.api.get_instance_migration,
                              context, instance['uuid'], '1')
        self.assertRaises(exception.InstanceNotFound,
                          self.api.get_instance_migrations_in_progress,
                          self.context, 'x y')

    # force complete -------------------------------------------------------

    def test_force_complete_routes_to_source_and_records(self):
        instance = self._instance(host='elsewhere')
        migration = self._migration(instance)
        self.api.live_migrate_force_complete(self.context, instance,
                                             str(migration['id']))
        self.assertEqual([('live_migration_force_complete', 'src',
                           instance['uuid'], migration['id'])],
                         self.rpc.casts)
        self.assertEqual(['live_migration_force_complete'],
                         self._actions(instance))

    def test_force_complete_lock_before_state(self):
        instance = self._instance(locked=True, vm_state='stopped')
        self.assertRaises(exception.InstanceIsLocked,
                          self.api.live_migrate_force_complete, self.user,
                          instance, '1')
        exc = self.assertRaises(exception.InstanceInvalidState,
                                self.api.live_migrate_force_complete,
                                self.context, instance, '1')
        self.assertEqual(('vm_state', 'stopped'),
                         (exc.kwargs['attr'], exc.kwargs['state']))

    def test_force_complete_not_launched(self):
        instance = self._instance(launched_at=None)
        exc = self.assertRaises(exception.InstanceInvalidState,
                                self.api.live_migrate_force_complete,
                                self.context, instance, '1')
        self.assertEqual(('launched_at', None),
                         (exc.kwargs['attr'], exc.kwargs['state']))

    def test_lost_cast_leaves_the_action_for_the_agent(self):
        instance = self._instance()
        migration = self._migration(instance)
        self.rpc.lose = True
        self.api.live_migrate_force_complete(self.context, instance,
                                             migration['id'])
        self.assertEqual(['live_migration_force_complete'],
                         self._actions(instance))
        [row] = agent_actions.pending_for_host(self.context, 'src')
        self.assertEqual(
            ('live_migration_force_complete', migration['id'],
             instance['uuid'], self.context.request_id),
            (row['method'], row['migration_id'], row['instance_uuid'],
             row['request_id']))

    def test_database_refusing_the_action_changes_nothing(self):
        instance = self._instance()
        migration = self._migration(instance)

        def refuse(*args, **kwargs):
            raise db_exc.DBConnectionError('database went away')
        self.useFixture(fixtures.MonkeyPatch(
            'server_migrations.db.agent_actions.create', refuse))
        for call in (self.api.live_migrate_force_complete,
                     self.api.live_migrate_abort):
            self.assertRaises(db_exc.DBConnectionError, call, self.context,
                              instance, migration['id'])
        # The instance action of the same transaction was rolled back.
        self.assertEqual([], self._actions(instance))
        self.assertEqual([], self.rpc.casts)

    def test_action_is_committed_before_the_cast(self):
        # The agent looks the action up by request id as soon as the cast
        # arrives, from its own connection.
        instance = self._instance()
        migration = self._migration(instance)
        seen = []

        def cast(method, *args):
            fresh = sm_context.get_admin_context()
            seen.append((method, [a['action'] for a in db_actions.actions_get(
                fresh, instance['uuid'])]))
        self.rpc._cast = cast
        self.api.live_migrate_force_complete(self.context, instance,
                                             migration['id'])
        self.api.live_migrate_abort(self.context, instance, migration['id'])
        self.assertEqual([
            ('live_migration_force_complete',
             ['live_migration_force_complete']),
            ('live_migration_abort',
             ['live_migration_force_complete', 'live_migration_cancel'])],
            seen)

    # abort ----------------------------------------------------------------

    def test_abort_statuses(self):
        instance = self._instance()
        queued = self._migration(instance, status='queued')
        self.assertRaises(exception.InvalidMigrationState,
                          self.api.live_migrate_abort, self.context,
                          instance, queued['id'])
        self.api.live_migrate_abort(self.context, instance, queued['id'],
                                    support_abort_in_queue=True)
        self.assertEqual([('live_migration_abort', 'src', instance['uuid'],
                           queued['id'])], self.rpc.casts)
        self.assertEqual(['live_migration_cancel'], self._actions(instance))

    def test_abort_unknown_migration(self):
        instance = self._instance()
        exc = self.assertRaises(exception.MigrationNotFoundForInstance,
                                self.api.live_migrate_abort, self.context,
                                instance, 'abc')
        self.assertEqual('Migration abc not found for instance %s'
                         % instance['uuid'], exc.format_message())
        self.assertEqual(404, exc.code)

    # live migrate ---------------------------------------------------------

    def _agents(self, *hosts):
        for host in hosts:
            db_services.service_heartbeat(self.context, host, compute.BINARY,
                                          'compute', '1.0')

    def test_live_migrate_destination_rules(self):
        self._agents('src', 'dst')
        instance = self._instance(task_state=None)
        self.assertRaises(exception.UnableToMigrateToSelf,
                          self.api.live_migrate, self.context, instance,
                          'src', False)
        self.assertRaises(exception.ComputeHostNotFound,
                          self.api.live_migrate, self.context, instance,
                          'nowhere', False)
        db_services.service_heartbeat(self.context, 'down', compute.BINARY,
                                      'compute', '1.0')
        self.conf.set_override('service_down_time', 1)
        with db_engine.writer(self.context) as conn:
            conn.execute(db_services.SERVICES.update().where(
                db_services.SERVICES.c.host == 'down').values(
                    last_seen_at=LAUNCHED))
        self.assertRaises(exception.ComputeServiceUnavailable,
                          self.api.live_migrate, self.context, instance,
                          'down', False)
        self.assertEqual([], self.rpc.casts)

    def test_live_migrate_no_valid_host(self):
        self._agents('src')
        instance = self._instance(task_state=None)
        exc = self.assertRaises(exception.NoValidHost,
                                self.api.live_migrate, self.context,
                                instance, None, 'auto')
        self.assertEqual(400, exc.code)

    def test_live_migrate_records_and_casts(self):
        self._agents('src', 'b-host', 'a-host')
        instance = self._instance(task_state=None)
        migration = self.api.live_migrate(self.user, instance, None, 'auto')
        # Equal load: the first host by name.
        self.assertEqual('a-host', migration['dest_compute'])
        self.assertEqual(('u', 'p1'), (migration['user_id'],
                                       migration['project_id']))
        self.assertEqual([('live_migration', 'src', instance['uuid'],
                           migration['id'], 'auto')], self.rpc.casts)
        row = agent_actions.get(self.context, self.rpc.action_ids[0])
        self.assertEqual(('live_migration', 'src', 'auto', 'pending'),
                         (row['method'], row['host'],
                          row['block_migration'], row['state']))
        self.assertEqual('migrating', db_instances.instance_get(
            self.context, instance['uuid'])['task_state'])
        # The second request sees the claim and loses.
        exc = self.assertRaises(exception.InstanceInvalidState,
                                self.api.live_migrate, self.user, instance,
                                None, 'auto')
        self.assertEqual('migrating', exc.kwargs['state'])

    def test_live_migrate_claim_lost_to_a_concurrent_request(self):
        self._agents('src', 'dst')
        instance = self._instance(task_state=None)
        # Another request claimed the server after this one read it.
        db_instances.instance_update(self.context, instance['uuid'],
                                     {'task_state': 'migrating'})
        exc = self.assertRaises(exception.InstanceInvalidState,
                                self.api.live_migrate, self.context,
                                instance, 'dst', False)
        self.assertEqual(('task_state', 'migrating'),
                         (exc.kwargs['attr'], exc.kwargs['state']))
        self.assertEqual([], db_migrations.migration_get_all(
            self.context, instance_uuid=instance['uuid']))

    def test_live_migrate_with_the_cast_lost_stays_accepted(self):
        # The agent takes the start from the database; nothing is undone.
        self._agents('src', 'dst')
        instance = self._instance(task_state=None)
        self.rpc.lose = True
        migration = self.api.live_migrate(self.context, instance, 'dst',
                                          False)
        self.assertEqual('accepted', migration['status'])
        self.assertEqual('migrating', db_instances.instance_get(
            self.context, instance['uuid'])['task_state'])
        self.assertEqual(['live-migration'], self._actions(instance))
        [row] = agent_actions.pending_for_host(self.context, 'src')
        self.assertEqual(('live_migration', migration['id'], 'False'),
                         (row['method'], row['migration_id'],
                          row['block_migration']))
