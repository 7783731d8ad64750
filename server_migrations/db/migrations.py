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

"""Queries of the ``migrations`` table, and the API's reads of a server's.

Hot-path statements are built once at import time with bind parameters;
SQLAlchemy caches their compiled form. The API's reads of a server with
its migrations are one statement each, run without a transaction
(``reads.Read``). The status compare-and-swap (``migration_update``)
matches only the transitions ``migration_states`` allows.
"""

from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.db import engine
from server_migrations.db import models
from server_migrations.db import reads
from server_migrations import migration_states as states

INSTANCES = models.Instance.__table__
MIGRATIONS = models.Migration.__table__

_GET_MIGRATION_OF_INSTANCE = sa.select(MIGRATIONS).where(
    MIGRATIONS.c.id == sa.bindparam('id'),
    MIGRATIONS.c.instance_uuid == sa.bindparam('instance_uuid'),
    MIGRATIONS.c.deleted == 0)
_GET_MIGRATION = sa.select(MIGRATIONS).where(
    MIGRATIONS.c.id == sa.bindparam('id'), MIGRATIONS.c.deleted == 0)
# The API's reads of a server's migrations: the server (labelled
# ``server_*``) and its matching migrations in one statement, a row per
# migration, or one row of NULL migration columns when none matches.
_SERVER_COLUMNS = (INSTANCES.c.uuid.label('server_uuid'),
                   INSTANCES.c.project_id.label('server_project_id'))


def _server_with(on):
    """Reads of the live server ``uuid`` with its migrations matching ``on``.

    Two: any project's server, and only if of ``project_id``.
    """
    statement = sa.select(*_SERVER_COLUMNS, *MIGRATIONS.c).select_from(
        INSTANCES.outerjoin(MIGRATIONS, sa.and_(
            MIGRATIONS.c.deleted == 0,
            MIGRATIONS.c.instance_uuid == INSTANCES.c.uuid, *on))).where(
        INSTANCES.c.uuid == sa.bindparam('uuid'), INSTANCES.c.deleted == 0)
    return (reads.Read(statement), reads.Read(statement.where(
        INSTANCES.c.project_id == sa.bindparam('project_id'))))


_SERVER_IN_PROGRESS = _server_with((
    # Bound values one by one: an expanding IN is compiled per execution.
    MIGRATIONS.c.status.in_([sa.literal(status) for status
                             in states.IN_PROGRESS]),
    MIGRATIONS.c.migration_type == sa.bindparam('migration_type')))
_SERVER_MIGRATION = _server_with((MIGRATIONS.c.id == sa.bindparam('id'),))
_SERVER_ONLY = _server_with((sa.false(),))


def _server_and_migrations(reads_, project_id, **params):
    if project_id is None:
        rows = reads_[0].all(engine.reader_engine(), **params)
    else:
        rows = reads_[1].all(engine.reader_engine(),
                             project_id=project_id, **params)
    if not rows:
        return None, []
    server = {'uuid': rows[0]['server_uuid'],
              'project_id': rows[0]['server_project_id']}
    return server, [{c.key: row[c.key] for c in MIGRATIONS.c}
                    for row in rows if row['id'] is not None]


def server_migrations_in_progress(context, uuid, project_id=None,
                                  migration_type=states.LIVE_MIGRATION):
    """A live server and its in-progress migrations, in one statement.

    :param project_id: when given, only a server of that project is found
        (non-admin callers must not learn of other projects' servers).
    :returns: (server, migrations): the server's ``uuid`` and
        ``project_id``, or (None, []) when there is no such server.
    """
    return _server_and_migrations(_SERVER_IN_PROGRESS, project_id,
                                  uuid=uuid, migration_type=migration_type)


def server_migration(context, uuid, migration_id, project_id=None):
    """A live server and its migration ``migration_id``, in one statement.

    :returns: (server, migration): as ``server_migrations_in_progress``;
        the migration is None when the server has no such migration.
    """
    ident = engine.db_id(migration_id)
    if ident is None:
        server, _ = _server_and_migrations(_SERVER_ONLY, project_id,
                                           uuid=uuid)
        return server, None
    server, found = _server_and_migrations(_SERVER_MIGRATION, project_id,
                                           uuid=uuid, id=ident)
    return server, (found[0] if found else None)


def migration_create(context, values):
    values = engine.new_row(values, hidden=False)
    with engine.writer(context) as conn:
        result = conn.execute(sa.insert(MIGRATIONS).values(**values))
        new_id = result.inserted_primary_key[0]
        return engine.first(conn, _GET_MIGRATION, id=new_id)


def migration_get(context, migration_id):
    """A live migration record by id, or None (non-integer ids included)."""
    ident = engine.db_id(migration_id)
    if ident is None:
        return None
    with engine.reading(context) as conn:
        return engine.first(conn, _GET_MIGRATION, id=ident)


def migration_get_by_id_and_instance(context, migration_id, instance_uuid):
    """The migration ``migration_id`` of ``instance_uuid``, or None."""
    ident = engine.db_id(migration_id)
    if ident is None:
        return None
    with engine.reading(context) as conn:
        return engine.first(conn, _GET_MIGRATION_OF_INSTANCE, id=ident,
                            instance_uuid=instance_uuid)


def migration_get_all(context, instance_uuid=None, statuses=None,
                      host=None):
    """Live migration records, newest first, for operator listings."""
    statement = sa.select(MIGRATIONS).where(MIGRATIONS.c.deleted == 0)
    if instance_uuid is not None:
        statement = statement.where(
            MIGRATIONS.c.instance_uuid == instance_uuid)
    if statuses:
        statement = statement.where(MIGRATIONS.c.status.in_(statuses))
    if host is not None:
        statement = statement.where(sa.or_(
            MIGRATIONS.c.source_compute == host,
            MIGRATIONS.c.dest_compute == host))
    statement = statement.order_by(MIGRATIONS.c.id.desc())
    with engine.reading(context) as conn:
        return engine.all_rows(conn, statement)


def migration_update(context, migration_id, values, expected_status=None):
    """Update a migration, as a compare-and-swap when asked.

    :param expected_status: a status, or a tuple of statuses; the update
        happens only if the row's status is still (one of) it, so two
        concurrent writers cannot both win. When ``values`` sets a status,
        only expected statuses that ``migration_states.TRANSITIONS`` lets
        become it are matched.
    :returns: ``(won, status)``: whether this call changed the row, and the
        row's status after the call (None if the migration does not exist).
    """
    ident = engine.db_id(migration_id)
    if ident is None:
        return False, None
    values = dict(values, updated_at=timeutils.utcnow())
    statement = sa.update(MIGRATIONS).where(MIGRATIONS.c.id == ident,
                                            MIGRATIONS.c.deleted == 0)
    if expected_status is not None:
        if isinstance(expected_status, str):
            expected_status = (expected_status,)
        if 'status' in values:
            expected_status = states.sources(expected_status,
                                             values['status'])
        statement = statement.where(
            MIGRATIONS.c.status.in_(tuple(expected_status)))
    with engine.writer(context) as conn:
        won = conn.execute(statement.values(**values)).rowcount == 1
        row = engine.first(conn, _GET_MIGRATION, id=ident)
    return won, (row['status'] if row else None)


def migration_update_progress(context, migration_id, progress,
                              statuses=states.COPYING):
    """Write the six progress counters while the migration is running.

    A migration that has meanwhile ended keeps its last counters: the write
    is conditional on the status, so a late monitor tick cannot touch it.
    :returns: True if written.
    """
    values = {k: progress[k] for k in states.PROGRESS_FIELDS if k in progress}
    won, _status = migration_update(context, migration_id, values,
                                    expected_status=statuses)
    return won


def _in_flight_on(*hosts_match):
    return sa.and_(MIGRATIONS.c.deleted == 0,
                   MIGRATIONS.c.status.in_(states.IN_FLIGHT),
                   sa.or_(*hosts_match))


def migrations_in_flight_by_host(context, host):
    """Unfinished migrations with ``host`` as source or destination."""
    statement = sa.select(MIGRATIONS).where(_in_flight_on(
        MIGRATIONS.c.source_compute == host,
        MIGRATIONS.c.dest_compute == host))
    with engine.reading(context) as conn:
        return engine.all_rows(conn, statement)


def host_load(context, hosts):
    """In-flight migrations per host (as source or destination)."""
    load = {h: 0 for h in hosts}
    if not hosts:
        return load
    statement = sa.select(MIGRATIONS.c.source_compute,
                          MIGRATIONS.c.dest_compute).where(_in_flight_on(
                              MIGRATIONS.c.source_compute.in_(hosts),
                              MIGRATIONS.c.dest_compute.in_(hosts)))
    with engine.reading(context) as conn:
        for source, dest in conn.execute(statement):
            for host in {source, dest}:
                if host in load:
                    load[host] += 1
    return load
