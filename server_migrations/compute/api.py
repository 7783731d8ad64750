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

"""The compute API: the entry points behind the handlers and the CLI.

Each action checks its preconditions (``preconditions``, ``hosts``),
records itself in one transaction (``action_records``), then wakes the
source host's agent up.
"""

from oslo_log import log as logging

from server_migrations import action_names as names
from server_migrations.compute import action_records
from server_migrations.compute import hosts
from server_migrations.compute import preconditions
from server_migrations.compute import rpcapi
from server_migrations import context as sm_context
from server_migrations.db import engine as db_engine
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations import exception
from server_migrations import migration_states as states

LOG = logging.getLogger(__name__)


class API:
    """One per application: holds the single RPC client of the process."""

    def __init__(self, conf, compute_rpcapi=None):
        self.conf = conf
        self.compute_rpcapi = compute_rpcapi or rpcapi.ComputeAPI(conf)

    def warm(self):
        """Connect to the database and the broker at start-up.

        The first request would otherwise pay for both connections.
        """
        context = sm_context.get_admin_context()
        try:
            db_engine.ping(context)
        except Exception:  # a DB down at start must not kill us
            LOG.warning('Could not connect to the database yet; the first '
                        'request will', exc_info=True)
        try:
            self.compute_rpcapi.warm(context)
        except Exception:  # nor a broker that is down
            LOG.warning('Could not prepare the compute RPC client yet; it '
                        'will be created on first use', exc_info=True)

    # -- reads -------------------------------------------------------------

    def reading(self, context):
        """A block whose reads share one database transaction."""
        return db_engine.reading(context)

    def get_instance(self, context, server_id):
        """The live server ``server_id`` the caller may see, or 404.

        Non-admins only find their own project's servers, so another
        project's server is "not found" rather than "forbidden".
        """
        instance = db_instances.instance_get(
            context, server_id,
            project_id=preconditions.visible_project(context, server_id))
        if instance is None:
            raise exception.InstanceNotFound(instance_id=server_id)
        return instance

    def get_instance_migrations_in_progress(self, context, server_id):
        """The server (as ``get_instance``: 404) and its migrations.

        One read: the server and its in-progress live migrations.
        """
        instance, rows = db_migrations.server_migrations_in_progress(
            context, server_id,
            project_id=preconditions.visible_project(context, server_id))
        if instance is None:
            raise exception.InstanceNotFound(instance_id=server_id)
        return instance, rows

    def get_instance_migration(self, context, server_id, migration_id):
        """The server (as ``get_instance``: 404) and one migration.

        One read: the server and its migration ``migration_id``, or None;
        ``preconditions.check_migration_in_progress`` says whether it may
        be shown.
        """
        instance, migration = db_migrations.server_migration(
            context, server_id, migration_id,
            project_id=preconditions.visible_project(context, server_id))
        if instance is None:
            raise exception.InstanceNotFound(instance_id=server_id)
        return instance, migration

    def get_instances(self, context, all_projects=False):
        # Even an admin sees one project unless it asks for all of them.
        if all_projects and context.is_admin:
            return db_instances.instance_get_all(context)
        if not context.project_id:
            # A system-scoped token has no project of its own to list.
            return []
        return db_instances.instance_get_all(context,
                                             project_id=context.project_id)

    # -- actions on a migration --------------------------------------------

    def live_migrate_force_complete(self, context, instance, migration_id):
        self._act_on_migration(
            context, instance, migration_id, 'force_complete',
            'force complete', states.FORCE_COMPLETABLE,
            names.LIVE_MIGRATION_FORCE_COMPLETE, names.FORCE_COMPLETE,
            vm_states=('active',))

    def live_migrate_abort(self, context, instance, migration_id,
                           support_abort_in_queue=False):
        self._act_on_migration(
            context, instance, migration_id, 'abort live migration',
            'abort live migration', states.abortable(support_abort_in_queue),
            names.LIVE_MIGRATION_CANCEL, names.ABORT, on_server_host=True)

    def live_migrate_tune(self, context, instance, migration_id,
                          max_downtime=None, bandwidth=None):
        """Change a running copy's allowed pause (ms) or bandwidth (MiB/s).

        Not part of the reference API: ``server-migrations-manage migration
        tune``. Carried like force-complete: an instance action and an
        agent action with the parameters, then a wake-up of the source.
        """
        if max_downtime is None and bandwidth is None:
            raise exception.Invalid('Nothing to tune: give a maximum '
                                    'downtime or a bandwidth.')
        parameters = {k: v for k, v in (('max_downtime', max_downtime),
                                        ('bandwidth', bandwidth))
                      if v is not None}
        # A method newer than 1.0 names the version it needs.
        self._act_on_migration(
            context, instance, migration_id, 'tune live migration',
            'tune live migration', states.TUNABLE, names.LIVE_MIGRATION_TUNE,
            names.TUNE, parameters=parameters, min_version='1.2')

    def _act_on_migration(self, context, instance, migration_id,
                          server_method, migration_method, statuses, action,
                          method, vm_states=None, on_server_host=False,
                          parameters=None, **wake_kwargs):
        """Check, record and wake: an action on a running live migration.

        :param server_method, migration_method: how the refusals name the
            action (the reference words them differently).
        :param statuses: the migration statuses the action is allowed in.
        :param on_server_host: carried out by the server's host rather
            than the migration's source.
        """
        preconditions.check_lock(context, instance)
        preconditions.check_state(instance, server_method,
                                  vm_states=vm_states,
                                  task_states=(names.MIGRATING,))
        migration = preconditions.migration_in(
            context, instance, migration_id, statuses, migration_method)
        host = instance['host']
        if not on_server_host:
            host = migration['source_compute'] or host
        with db_engine.writer(context):
            ident = action_records.record(
                context, instance['uuid'], action, host, migration['id'],
                method, parameters=parameters)
        self._wake(context, host, method, ident, instance['uuid'],
                   migration['id'], **wake_kwargs)

    def _wake(self, context, host, method, ident, uuid, migration_id,
              **kwargs):
        """After the commit: wake the host's agent up (never fails)."""
        self.compute_rpcapi.wake(context, host, method, ident,
                                 instance_uuid=uuid,
                                 migration_id=migration_id, **kwargs)

    # -- starting a live migration -----------------------------------------

    def live_migrate(self, context, instance, host, block_migration):
        """Record a live migration for the source host and wake it up.

        :returns: the migration record.
        """
        preconditions.check_lock(context, instance)
        preconditions.check_state(instance, 'os-migrateLive',
                                  vm_states=('active', 'paused'),
                                  task_states=(None,))
        hosts.check_source_is_up(context, instance,
                                 self.conf.service_down_time)
        dest = hosts.select_destination(context, instance, host,
                                        self.conf.service_down_time)
        uuid = instance['uuid']
        with db_engine.writer(context):
            # Compare-and-swap on the task state: of two concurrent
            # requests only one moves the server to "migrating".
            if not db_instances.instance_update(
                    context, uuid, {'task_state': names.MIGRATING},
                    expected_task_state=None):
                current = db_instances.instance_get(context, uuid) or instance
                raise exception.InstanceInvalidState(
                    instance_uuid=uuid, attr='task_state',
                    state=current['task_state'], method='os-migrateLive')
            migration = db_migrations.migration_create(context, {
                'instance_uuid': uuid,
                'migration_type': states.LIVE_MIGRATION,
                'status': states.ACCEPTED,
                'source_compute': instance['host'],
                'source_node': instance['node'],
                'dest_compute': dest, 'dest_node': dest, 'dest_host': dest,
                'user_id': context.user_id,
                'project_id': context.project_id,
            })
            ident = action_records.record(
                context, uuid, names.LIVE_MIGRATION, instance['host'],
                migration['id'], names.START,
                block_migration=block_migration)
        self._wake(context, instance['host'], names.START, ident, uuid,
                   migration['id'], block_migration=block_migration)
        return migration
