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
from oslo_utils import uuidutils

from server_migrations import action_names as names
from server_migrations import compute
from server_migrations.compute import rpcapi
from server_migrations import context as sm_context
from server_migrations.db import agent_actions
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations import exception
from server_migrations import migration_states as states

LOG = logging.getLogger(__name__)


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


def _visible_project(context, server_id):
    """The project a caller's server lookups are limited to (None: all).

    :raises InstanceNotFound: ``server_id`` cannot name a server this
        caller may see: not a uuid, or a token without a project (system
        scope) that is not an admin's, whose "no project" must not read as
        "no filter".
    """
    if not uuidutils.is_uuid_like(server_id):
        raise exception.InstanceNotFound(instance_id=server_id)
    if context.is_admin:
        return None
    if not context.project_id:
        raise exception.InstanceNotFound(instance_id=server_id)
    return context.project_id


def check_migration_in_progress(migration, migration_id, server_id):
    """``migration`` if it is an in-progress live migration, else a 404.

    :param migration: the server's migration ``migration_id``, or None.
    """
    if migration is None:
        raise exception.LiveMigrationNotFoundForServer(
            migration_id=migration_id, server_id=server_id)
    if migration['migration_type'] != states.LIVE_MIGRATION:
        raise exception.MigrationNotLiveMigration(
            migration_id=migration_id, server_id=server_id)
    if migration['status'] not in states.IN_PROGRESS:
        raise exception.LiveMigrationNotInProgress(
            migration_id=migration_id, server_id=server_id)
    return migration


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
            context, server_id, project_id=_visible_project(context,
                                                            server_id))
        if instance is None:
            raise exception.InstanceNotFound(instance_id=server_id)
        return instance

    def get_instance_migrations_in_progress(self, context, server_id):
        """The server (as ``get_instance``: 404) and its migrations.

        One read: the server and its in-progress live migrations.
        """
        instance, rows = db_migrations.server_migrations_in_progress(
            context, server_id, project_id=_visible_project(context,
                                                            server_id))
        if instance is None:
            raise exception.InstanceNotFound(instance_id=server_id)
        return instance, rows

    def get_instance_migration(self, context, server_id, migration_id):
        """The server (as ``get_instance``: 404) and one migration.

        One read: the server and its migration ``migration_id``, or None;
        ``check_migration_in_progress`` says whether it may be shown.
        """
        instance, migration = db_migrations.server_migration(
            context, server_id, migration_id,
            project_id=_visible_project(context, server_id))
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

    def _get_migration(self, context, instance, migration_id):
        migration = db_migrations.migration_get_by_id_and_instance(
            context, migration_id, instance['uuid'])
        if migration is None:
            raise exception.MigrationNotFoundForInstance(
                migration_id=migration_id, instance_id=instance['uuid'])
        return migration

    # -- actions on a migration --------------------------------------------

    def live_migrate_force_complete(self, context, instance, migration_id):
        check_lock(context, instance)
        check_state(instance, 'force_complete', vm_states=('active',),
                    task_states=(names.MIGRATING,))
        migration = self._migration_in(context, instance, migration_id,
                                       states.FORCE_COMPLETABLE,
                                       'force complete')
        host = migration['source_compute'] or instance['host']
        with db_engine.writer(context):
            ident = self._record(context, instance['uuid'],
                                 names.LIVE_MIGRATION_FORCE_COMPLETE, host,
                                 migration['id'], names.FORCE_COMPLETE)
        self._wake(context, host, names.FORCE_COMPLETE, ident,
                   instance['uuid'], migration['id'])

    def live_migrate_abort(self, context, instance, migration_id,
                           support_abort_in_queue=False):
        check_lock(context, instance)
        check_state(instance, 'abort live migration',
                    task_states=(names.MIGRATING,))
        allowed = states.abortable(support_abort_in_queue)
        migration = self._migration_in(context, instance, migration_id,
                                       allowed, 'abort live migration')
        with db_engine.writer(context):
            ident = self._record(context, instance['uuid'],
                                 names.LIVE_MIGRATION_CANCEL, instance['host'],
                                 migration['id'], names.ABORT)
        self._wake(context, instance['host'], names.ABORT, ident,
                   instance['uuid'], migration['id'])

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
        check_lock(context, instance)
        check_state(instance, 'tune live migration',
                    task_states=(names.MIGRATING,))
        parameters = {k: v for k, v in (('max_downtime', max_downtime),
                                        ('bandwidth', bandwidth))
                      if v is not None}
        migration = self._migration_in(context, instance, migration_id,
                                       states.TUNABLE, 'tune live migration')
        host = migration['source_compute'] or instance['host']
        with db_engine.writer(context):
            ident = self._record(context, instance['uuid'],
                                 names.LIVE_MIGRATION_TUNE, host,
                                 migration['id'], names.TUNE,
                                 parameters=parameters)
        # A method newer than 1.0 names the version it needs.
        self._wake(context, host, names.TUNE, ident, instance['uuid'],
                   migration['id'], min_version='1.2')

    def _migration_in(self, context, instance, migration_id, statuses,
                      method):
        """The server's migration, if its status is one of ``statuses``.

        Read outside the write transaction that follows: on SQLite a
        transaction that reads first and then writes is refused ("database
        is locked") instead of waiting.
        """
        migration = self._get_migration(context, instance, migration_id)
        if migration['status'] not in statuses:
            raise exception.InvalidMigrationState(
                migration_id=migration_id, instance_uuid=instance['uuid'],
                state=migration['status'], method=method)
        return migration

    @staticmethod
    def _record(context, uuid, action, host, migration_id, method,
                block_migration=None, parameters=None):
        """Record the action and the agent's copy of it; joins the caller's
        transaction, which must commit before ``_wake``.

        Once it commits, the 202 is a promise the agent keeps even if the
        wake-up cast is lost (it polls the database). A database that does
        not take the transaction fails the request (503) with nothing
        changed.
        """
        action_id = db_actions.action_start(context, uuid, action)
        return agent_actions.create(context, action_id, uuid, migration_id,
                                    host, method,
                                    block_migration=block_migration,
                                    parameters=parameters)

    def _wake(self, context, host, method, ident, uuid, migration_id,
              **kwargs):
        """After the commit: wake the host's agent up (never fails)."""
        self.compute_rpcapi.wake(context, host, method, ident,
                                 instance_uuid=uuid,
                                 migration_id=migration_id, **kwargs)

    # -- starting a live migration -----------------------------------------

    def _check_source_is_up(self, context, instance):
        """Refuse, as the reference does (400), a source agent that is down.

        Its agent would never take the cast; a disabled agent that still
        heartbeats may migrate its servers away.
        """
        source = instance['host']
        if not any(s['host'] == source and db_services.service_is_up(
                s, self.conf.service_down_time)
                for s in db_services.service_get_all(context, compute.BINARY)):
            raise exception.ComputeServiceUnavailable(host=source)

    def _select_destination(self, context, instance, host):
        live = db_services.service_get_live(context, compute.BINARY,
                                            self.conf.service_down_time)
        live_hosts = sorted(s['host'] for s in live)
        if host is not None:
            if host == instance['host']:
                raise exception.UnableToMigrateToSelf(
                    instance_id=instance['uuid'], host=host)
            if host in live_hosts:
                return host
            known = {s['host'] for s in db_services.service_get_all(
                context, compute.BINARY)}
            if host in known:
                raise exception.ComputeServiceUnavailable(host=host)
            raise exception.ComputeHostNotFound(host=host)
        candidates = [h for h in live_hosts if h != instance['host']]
        if not candidates:
            raise exception.NoValidHost(
                reason='There are not enough hosts available.')
        load = db_migrations.host_load(context, candidates)
        return min(candidates, key=lambda h: (load[h], h))

    def live_migrate(self, context, instance, host, block_migration):
        """Record a live migration for the source host and wake it up.

        :returns: the migration record.
        """
        check_lock(context, instance)
        check_state(instance, 'os-migrateLive',
                    vm_states=('active', 'paused'), task_states=(None,))
        self._check_source_is_up(context, instance)
        dest = self._select_destination(context, instance, host)
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
            ident = self._record(context, uuid, names.LIVE_MIGRATION,
                                 instance['host'], migration['id'],
                                 names.START, block_migration=block_migration)
        self._wake(context, instance['host'], names.START, ident, uuid,
                   migration['id'], block_migration=block_migration)
        return migration
