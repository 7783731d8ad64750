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

"""Queries of the ``instances`` table: the servers the migrations move.

Rows come back as plain dicts, never ORM objects, so they can go over RPC
or into a view as they are. An instance is soft-deleted (``deleted`` = 1);
only live ones are found, except by ``listings.instance_get_any``.
"""

from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.db import engine
from server_migrations.db import models

INSTANCES = models.Instance.__table__

_GET_INSTANCE = sa.select(INSTANCES).where(
    INSTANCES.c.uuid == sa.bindparam('uuid'), INSTANCES.c.deleted == 0)
_GET_PROJECT_INSTANCE = _GET_INSTANCE.where(
    INSTANCES.c.project_id == sa.bindparam('project_id'))


def instance_get(context, uuid, project_id=None):
    """A live (not soft-deleted) instance, or None.

    :param project_id: when given, only an instance of that project is found
        (non-admin callers must not learn of other projects' servers).
    """
    with engine.reading(context) as conn:
        if project_id is None:
            return engine.first(conn, _GET_INSTANCE, uuid=uuid)
        return engine.first(conn, _GET_PROJECT_INSTANCE, uuid=uuid,
                            project_id=project_id)


def instance_create(context, values):
    values = engine.new_row(values, locked=False)
    with engine.writer(context) as conn:
        conn.execute(sa.insert(INSTANCES).values(**values))
    return instance_get(context, values['uuid'])


def instance_update(context, uuid, values, expected_task_state=Ellipsis):
    """Update an instance; with ``expected_task_state``, only if it matches.

    :returns: True if the row was updated.
    """
    values = dict(values, updated_at=timeutils.utcnow())
    statement = sa.update(INSTANCES).where(INSTANCES.c.uuid == uuid,
                                           INSTANCES.c.deleted == 0)
    if expected_task_state is not Ellipsis:
        statement = statement.where(
            INSTANCES.c.task_state.is_(None) if expected_task_state is None
            else INSTANCES.c.task_state == expected_task_state)
    with engine.writer(context) as conn:
        return conn.execute(statement.values(**values)).rowcount == 1


def instance_get_all(context, project_id=None, host=None):
    statement = sa.select(INSTANCES).where(INSTANCES.c.deleted == 0)
    if project_id is not None:
        statement = statement.where(INSTANCES.c.project_id == project_id)
    if host is not None:
        statement = statement.where(INSTANCES.c.host == host)
    statement = statement.order_by(INSTANCES.c.created_at, INSTANCES.c.uuid)
    with engine.reading(context) as conn:
        return engine.all_rows(conn, statement)


def instance_destroy(context, uuid):
    """Soft-delete an instance (``deleted`` = 1)."""
    now = timeutils.utcnow()
    with engine.writer(context) as conn:
        conn.execute(
            sa.update(INSTANCES).where(INSTANCES.c.uuid == uuid,
                                       INSTANCES.c.deleted == 0)
            .values(deleted=1, deleted_at=now, updated_at=now))
