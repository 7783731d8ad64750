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

"""What a server and its migration must be for an action to be accepted.

Each check raises the error the API answers (404, 400 or 409); the compute
API runs them before it records anything.
"""

from oslo_utils import uuidutils

from server_migrations.db import migrations as db_migrations
from server_migrations import exception
from server_migrations import migration_states as states


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


def visible_project(context, server_id):
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


def migration_in(context, instance, migration_id, statuses, method):
    """The server's migration, if its status is one of ``statuses``.

    Read outside the write transaction that follows: on SQLite a
    transaction that reads first and then writes is refused ("database
    is locked") instead of waiting.

    :raises MigrationNotFoundForInstance: the server has no such migration.
    :raises InvalidMigrationState: its status is not one of ``statuses``.
    """
    migration = db_migrations.migration_get_by_id_and_instance(
        context, migration_id, instance['uuid'])
    if migration is None:
        raise exception.MigrationNotFoundForInstance(
            migration_id=migration_id, instance_id=instance['uuid'])
    if migration['status'] not in statuses:
        raise exception.InvalidMigrationState(
            migration_id=migration_id, instance_uuid=instance['uuid'],
            state=migration['status'], method=method)
    return migration
