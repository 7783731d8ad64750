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

"""The operator API's lists: migrations and instance actions, paged.

Both page as the reference does: newest first (``created_at``, then
``id``, descending), ``limit`` items after the ``marker`` (a migration
uuid, an action request id), ``changes-since``/``changes-before`` on
``updated_at`` (inclusive).
"""

from oslo_db.sqlalchemy import utils as sqlalchemyutils
import sqlalchemy as sa
from sqlalchemy import orm

from server_migrations.db import engine
from server_migrations.db import models
from server_migrations import exception

_NEWEST_FIRST = (['created_at', 'id'], ['desc', 'desc'])


def _query(model, *criteria):
    """A query of ``model``'s rows, built without a Session.

    It only composes the statement (with oslo.db's paging); its
    ``.statement`` runs on a Core connection, which returns the columns.
    """
    return orm.Query(model).filter(*criteria)


def _rows(context, query):
    with engine.reading(context) as conn:
        return engine.all_rows(conn, query.statement)


def _changes(query, column, since=None, before=None):
    if since is not None:
        query = query.filter(column >= since)
    if before is not None:
        query = query.filter(column <= before)
    return query


def _page(query, model, limit, marker_row):
    keys, dirs = _NEWEST_FIRST
    marker = model(**marker_row) if marker_row is not None else None
    return sqlalchemyutils.paginate_query(query, model, limit, keys,
                                          marker=marker, sort_dirs=dirs)


# Filters of GET /os-migrations: query parameter -> how it filters.
_MIGRATION_EQUALS = ('migration_type', 'instance_uuid', 'user_id',
                     'project_id')


def migrations_get(context, filters, paged=False, limit=None, marker=None,
                   since=None, before=None):
    """Migrations matching ``filters`` (query parameter -> string).

    ``host`` matches either end and wins over ``source_compute``; ``node``
    matches either node; ``status`` and ``uuid`` are one value each;
    ``hidden`` is a boolean. Unpaged lists are in id order.

    :raises MarkerNotFound: no migration has the uuid ``marker``.
    """
    if paged and limit == 0:
        return []
    model = models.Migration
    query = _query(model, model.deleted == 0)
    query = _changes(query, model.updated_at, since, before)
    if 'status' in filters:
        query = query.filter(model.status == filters['status'])
    if 'uuid' in filters:
        query = query.filter(model.uuid == filters['uuid'])
    if 'host' in filters:
        query = query.filter(sa.or_(
            model.source_compute == filters['host'],
            model.dest_compute == filters['host']))
    elif 'source_compute' in filters:
        query = query.filter(
            model.source_compute == filters['source_compute'])
    if 'node' in filters:
        query = query.filter(sa.or_(model.source_node == filters['node'],
                                    model.dest_node == filters['node']))
    if 'hidden' in filters:
        query = query.filter(model.hidden == filters['hidden'])
    for name in _MIGRATION_EQUALS:
        if name in filters:
            query = query.filter(getattr(model, name) == filters[name])
    if not paged:
        return _rows(context, query.order_by(model.id))
    # The marker and the page in one read transaction.
    with engine.reading(context):
        marker_row = None
        if marker is not None:
            found = _rows(context, _query(
                model, model.uuid == marker, model.deleted == 0).limit(1))
            if not found:
                raise exception.MarkerNotFound(marker=marker)
            marker_row = found[0]
        return _rows(context, _page(query, model, limit, marker_row))


def actions_get(context, instance_uuid, limit=None, marker=None, since=None,
                before=None):
    """A server's actions, newest first.

    :raises MarkerNotFound: the server has no action with request id
        ``marker``; the reference's message names "None" (sic), which
        clients may match, so it is kept.
    """
    if limit == 0:
        return []
    model = models.InstanceAction
    query = _query(model, model.instance_uuid == instance_uuid,
                   model.deleted == 0)
    query = _changes(query, model.updated_at, since, before)
    # The marker and the page in one read transaction.
    with engine.reading(context):
        marker_row = None
        if marker is not None:
            marker_row = action_get(context, instance_uuid, marker)
            if marker_row is None:
                raise exception.MarkerNotFound(marker=None)
        return _rows(context, _page(query, model, limit, marker_row))


def action_get(context, instance_uuid, request_id):
    """The newest action of a server with ``request_id``, or None."""
    model = models.InstanceAction
    found = _rows(context, _query(
        model, model.instance_uuid == instance_uuid,
        model.request_id == request_id, model.deleted == 0).order_by(
        model.created_at.desc(), model.id.desc()).limit(1))
    return found[0] if found else None


def action_events_get(context, action_id):
    """The events of an action, newest first."""
    model = models.InstanceActionEvent
    return _rows(context, _query(
        model, model.action_id == action_id, model.deleted == 0).order_by(
        model.created_at.desc(), model.id.desc()))


def instance_get_any(context, uuid, project_id=None):
    """An instance whether or not it is (soft-)deleted, or None."""
    model = models.Instance
    query = _query(model, model.uuid == uuid)
    if project_id is not None:
        query = query.filter(model.project_id == project_id)
    found = _rows(context, query.limit(1))
    return found[0] if found else None
