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

"""The compute API: preconditions, records and casts behind the handlers."""

from oslo_log import log as logging
from oslo_utils import excutils
from oslo_utils import uuidutils

from server_migrations import compute
from server_migrations.compute import rpcapi
from server_migrations import context as sm_context
from server_migrations.db import api as db_api
from server_migrations.db import models
from server_migrations import exception

LOG = logging.getLogger(__name__)

MIGRATING = 'migrating'
# Instance action names (the instance_actions.action column).
LIVE_MIGRATION = 'live-migration'
LIVE_MIGRATION_FORCE_COMPLETE = 'live_migration_force_complete'
LIVE_MIGRATION_CANCEL = 'live_migration_cancel'

FORCE_COMPLETE_STATUSES = ('running',)
ABORT_STATUSES = ('running',)
ABORT_IN_QUEUE_STATUSES = ('queued', 'preparing', 'running')


def check_lock(context, instance):
    """A locked server accepts actions from admins only."""
    if instance['locked'] and not context.is_admin:
        raise exception.InstanceIsLocked(instance_uuid=instance['uuid'])


def check_state(instance, method, vm_states=None, task_states=None):
    """Raise InstanceInvalidState naming the first attribute that is off.

    The server must also have been launched (``launched_at`` set).
    """
    for attr, allowed in (('vm_state', vm_states),
                          ('task_state', task_states)):
        if allowed is not None and instance[attr] not in allowed:
            raise exception.InstanceInvalidState(
                instance_uuid=instance['uuid'], attr=attr,
                state=instance[attr], method=method)
    if instance['launched_at'] is None:
        raise exception.InstanceInvalidState(
            instance_uuid=instance['uuid'], attr='launched_at', state=None,
            method=method)


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
            db_api.ping(context)
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
        return db_api.reading(context)

    def get_instance(self, context, server_id):
        """The live server ``server_id`` the caller may see, or 404.

        Non-admins only find their own project's servers, so another
        project's server is "not found" rather than "forbidden".
        """
        if not uuidutils.is_uuid_like(server_id):
            raise exception.InstanceNotFound(instance_id=server_id)
        if not context.is_admin and not context.project_id:
            # A token without a project (system scope) owns no server;
            # "no project" must not read as "no filter".
            raise exception.InstanceNotFound(instance_id=server_id)
        project_id = None if context.is_admin else context.project_id
        instance = db_api.instance_get(context, server_id,
                                       project_id=project_id)
        if instance is None:
            raise exception.InstanceNotFound(instance_id=server_id)
        return instance

    def get_instances(self, context, all_projects=False):
        # Even an admin sees one project unless it asks for all of them.
        if all_projects and context.is_admin:
            return db_api.instance_get_all(context)
        if not context.project_id:
            # A system-scoped token has no project of its own to list.
            return []
        return db_api.instance_get_all(context, project_id=context.project_id)

    def get_migrations_in_progress(self, context, instance):
        return db_api.migration_get_in_progress_by_instance(
            context, instance['uuid'])

    def get_migration_in_progress(self, context, instance, migration_id,
                                  server_id):
        """One in-progress live migration of the server, or a 404."""
        migration = db_api.migration_get_by_id_and_instance(
            context, migration_id, instance['uuid'])
        if migration is None:
            raise exception.LiveMigrationNotFoundForServer(
                migration_id=migration_id, server_id=server_id)
        if migration['migration_type'] != models.LIVE_MIGRATION:
            raise exception.MigrationNotLiveMigration(
                migration_id=migration_id, server_id=server_id)
        if migration['status'] not in models.IN_PROGRESS_STATUSES:
            raise exception.LiveMigrationNotInProgress(
                migration_id=migration_id, server_id=server_id)
        return migration

    def _get_migration(self, context, instance, migration_id):
        migration = db_api.migration_get_by_id_and_instance(
            context, migration_id, instance['uuid'])
        if migration is None:
            raise exception.MigrationNotFoundForInstance(
                migration_id=migration_id, instance_id=instance['uuid'])
        return migration

    # -- actions on a migration --------------------------------------------

    def live_migrate_force_complete(self, context, instance, migration_id):
        check_lock(context, instance)
        check_state(instance, 'force_complete', vm_states=('active',),
                    task_states=(MIGRATING,))
        migration = self._get_migration(context, instance, migration_id)
        if migration['status'] not in FORCE_COMPLETE_STATUSES:
            raise exception.InvalidMigrationState(
                migration_id=migration_id, instance_uuid=instance['uuid'],
                state=migration['status'], method='force complete')
        host = migration['source_compute'] or instance['host']
        self._record_and_cast(
            context, instance['uuid'], LIVE_MIGRATION_FORCE_COMPLETE,
            lambda: self.compute_rpcapi.live_migration_force_complete(
                context, host, instance['uuid'], migration['id']))

    def live_migrate_abort(self, context, instance, migration_id,
                           support_abort_in_queue=False):
        check_lock(context, instance)
        check_state(instance, 'abort live migration',
                    task_states=(MIGRATING,))
        migration = self._get_migration(context, instance, migration_id)
        allowed = (ABORT_IN_QUEUE_STATUSES if support_abort_in_queue
                   else ABORT_STATUSES)
        if migration['status'] not in allowed:
            raise exception.InvalidMigrationState(
                migration_id=migration_id, instance_uuid=instance['uuid'],
                state=migration['status'], method='abort live migration')
        self._record_and_cast(
            context, instance['uuid'], LIVE_MIGRATION_CANCEL,
            lambda: self.compute_rpcapi.live_migration_abort(
                context, instance['host'], instance['uuid'],
                migration['id']))

    def _record_and_cast(self, context, uuid, action, cast):
        """Commit the action record, then cast; a refused cast undoes it.

        The record is committed first because the agent looks it up by
        request id to write its event: a cast sent from inside the
        transaction can be acted on before the commit, and the agent would
        find no record (seen on MariaDB under concurrent requests). If the
        broker refuses, the record is deleted before the 503, so a refused
        request still leaves nothing behind.
        """
        action_id = db_api.action_start(context, uuid, action)
        try:
            cast()
        except Exception:
            with excutils.save_and_reraise_exception():
                self._forget_action(context, action_id)

    def _forget_action(self, context, action_id):
        try:
            db_api.action_purge(context, action_id)
        except Exception:
            # The database failed right after it worked: the record stays,
            # without events, for a request that was answered 503.
            LOG.exception('Could not delete action %s of a refused request',
                          action_id)

    # -- starting a live migration -----------------------------------------

    def _check_source_is_up(self, context, instance):
        """Refuse, as the reference does (400), a source agent that is down.

        Its agent would never take the cast; a disabled agent that still
        heartbeats may migrate its servers away.
        """
        source = instance['host']
        if not any(s['host'] == source and db_api.service_is_up(
                s, self.conf.service_down_time)
                for s in db_api.service_get_all(context, compute.BINARY)):
            raise exception.ComputeServiceUnavailable(host=source)

    def _select_destination(self, context, instance, host):
        live = db_api.service_get_live(context, compute.BINARY,
                                       self.conf.service_down_time)
        live_hosts = sorted(s['host'] for s in live)
        if host is not None:
            if host == instance['host']:
                raise exception.UnableToMigrateToSelf(
                    instance_id=instance['uuid'], host=host)
            if host in live_hosts:
                return host
            known = {s['host'] for s in db_api.service_get_all(
                context, compute.BINARY)}
            if host in known:
                raise exception.ComputeServiceUnavailable(host=host)
            raise exception.ComputeHostNotFound(host=host)
        candidates = [h for h in live_hosts if h != instance['host']]
        if not candidates:
            raise exception.NoValidHost(
                reason='There are not enough hosts available.')
        load = db_api.host_load(context, candidates)
        return min(candidates, key=lambda h: (load[h], h))

    def live_migrate(self, context, instance, host, block_migration):
        """Record a live migration and cast it to the source host.

        :returns: the migration record.
        """
        check_lock(context, instance)
        check_state(instance, 'os-migrateLive',
                    vm_states=('active', 'paused'), task_states=(None,))
        self._check_source_is_up(context, instance)
        dest = self._select_destination(context, instance, host)
        uuid = instance['uuid']
        with db_api.writer(context):
            # Compare-and-swap on the task state: of two concurrent
            # requests only one moves the server to "migrating".
            if not db_api.instance_update(context, uuid,
                                          {'task_state': MIGRATING},
                                          expected_task_state=None):
                current = db_api.instance_get(context, uuid) or instance
                raise exception.InstanceInvalidState(
                    instance_uuid=uuid, attr='task_state',
                    state=current['task_state'], method='os-migrateLive')
            migration = db_api.migration_create(context, {
                'instance_uuid': uuid,
                'migration_type': models.LIVE_MIGRATION,
                'status': 'accepted',
                'source_compute': instance['host'],
                'source_node': instance['node'],
                'dest_compute': dest, 'dest_node': dest, 'dest_host': dest,
                'user_id': context.user_id,
                'project_id': context.project_id,
            })
            action_id = db_api.action_start(context, uuid, LIVE_MIGRATION)
        # Committed before the cast: the agent re-reads the migration.
        try:
            self.compute_rpcapi.live_migration(
                context, instance['host'], uuid, migration['id'],
                block_migration)
        except Exception:
            with excutils.save_and_reraise_exception():
                self._undo_live_migrate(context, uuid, migration['id'],
                                        action_id)
        return migration

    def _undo_live_migrate(self, context, uuid, migration_id, action_id):
        """Forget a live migration whose cast never left (nothing changed)."""
        with db_api.writer(context):
            db_api.migration_purge(context, migration_id)
            db_api.action_purge(context, action_id)
            db_api.instance_update(context, uuid, {'task_state': None},
                                   expected_task_state=MIGRATING)
