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

"""Queries the API, the agents and the operator commands need.

Every function takes a context (``server_migrations.context``) that carries
the database session, and returns plain dicts, never ORM objects, so results
can go over RPC or into a view as they are. Hot-path statements are built
once at import time with bind parameters; SQLAlchemy caches their compiled
form. The API's reads run on a Core connection (``reader.connection``), not
an ORM Session: nothing here maps objects, and a Session costs more than
the queries it runs.
"""

import re

from oslo_db.sqlalchemy import enginefacade
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from server_migrations.conf import database as database_conf
from server_migrations.db import models
from server_migrations.db import reads
from server_migrations.db import timeouts
from server_migrations import migration_states as states

_CTX = enginefacade.transaction_context()

INSTANCES = models.Instance.__table__
MIGRATIONS = models.Migration.__table__
SERVICES = models.Service.__table__
ACTIONS = models.InstanceAction.__table__
EVENTS = models.InstanceActionEvent.__table__

# Largest value of a 32-bit signed INTEGER primary key on every backend.
_MAX_DB_INT = 2 ** 31 - 1
_DECIMAL = re.compile(r'[0-9]+\Z')


_GET_INSTANCE = sa.select(INSTANCES).where(
    INSTANCES.c.uuid == sa.bindparam('uuid'), INSTANCES.c.deleted == 0)
_GET_PROJECT_INSTANCE = _GET_INSTANCE.where(
    INSTANCES.c.project_id == sa.bindparam('project_id'))
_IN_PROGRESS = sa.select(MIGRATIONS).where(
    MIGRATIONS.c.deleted == 0,
    MIGRATIONS.c.instance_uuid == sa.bindparam('instance_uuid'),
    MIGRATIONS.c.status.in_(states.IN_PROGRESS),
    MIGRATIONS.c.migration_type == sa.bindparam('migration_type'))
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
_ACTION_START = sa.insert(ACTIONS)
_PING = sa.select(sa.literal(1))


def facade_options(db_conf):
    """The engine facade's options for ``[database]``, deadlines included."""
    options = dict(db_conf.items())
    for opt in database_conf.OPTS:
        # Ours, not oslo.db's: they become driver arguments.
        options.pop(opt.name, None)
    options['connection_parameters'] = timeouts.connection_parameters(
        db_conf.connection, db_conf)
    # No process of ours runs eventlet greenthreads: the sleep(0) oslo.db
    # would add to every connection check-in only costs time.
    options['thread_checkin'] = False
    return options


def configure(conf):
    """Point the engine facade at ``[database]``; call once at start-up."""
    timeouts.install_postgresql_waiter(conf.database.connection,
                                       conf.database)
    _CTX.configure(**facade_options(conf.database))
    _CTX.append_on_engine_create(
        lambda engine: _pool_sqlite_file(engine, conf.database))


def _pool_sqlite_file(engine, db_conf):
    """Keep a SQLite file's connections open between transactions.

    oslo.db gives a SQLite file a NullPool: every transaction opens and
    sets up a new connection, which costs more CPU than the queries of a
    request. SQLAlchemy's own default for files is a QueuePool (and it
    already allows their connections to move between threads). The new pool
    keeps oslo.db's connect and checkout events (``_dispatch``), as
    SQLAlchemy's ``Pool.recreate()`` does.
    """
    old = engine.pool
    if engine.dialect.name != 'sqlite' or not isinstance(old,
                                                         sa.pool.NullPool):
        return
    kwargs = {}
    if db_conf.max_pool_size:
        kwargs['pool_size'] = db_conf.max_pool_size
    if db_conf.max_overflow is not None:
        kwargs['max_overflow'] = db_conf.max_overflow
    if db_conf.pool_timeout is not None:
        kwargs['timeout'] = db_conf.pool_timeout
    # No pre-ping: a file has no server that could drop the connection.
    engine.pool = sa.pool.QueuePool(
        old._creator, recycle=old._recycle, echo=old.echo,
        logging_name=old._orig_logging_name,
        reset_on_return=old._reset_on_return, pre_ping=False,
        _dispatch=old.dispatch, dialect=old._dialect, **kwargs)


def writer(context):
    """A write transaction; the calls made with ``context`` inside join it.

    For changes that must be atomic together, such as a migration's
    terminal status and the matching move of its server. A Core connection
    rather than an ORM Session: nothing here maps objects, and the calls
    inside that use a Session get one bound to this connection.
    """
    return _CTX.writer.connection.using(context)


def reading(context):
    """One read-only transaction for the reads inside it (one connection).

    The reads of a request share its connection (and, on PostgreSQL and
    MySQL, the pool's liveness ping) instead of each taking one.
    """
    return _CTX.reader.connection.using(context)


def ping(context):
    """Open a pooled connection now (start-up) with a trivial query."""
    with _CTX.reader.connection.using(context) as conn:
        conn.execute(_PING)


def get_engine(context=None):
    """The writer engine (for schema migrations and tests)."""
    return _CTX.writer.get_engine()


def db_id(value):
    """Return ``value`` as a database id, or None if it cannot be one.

    The API hands path segments here as strings. Anything that is not a
    plain decimal integer in the column's range is simply not found, on
    every backend (PostgreSQL would otherwise raise on the type mismatch
    and MySQL would cast '5abc' to 5).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DECIMAL.match(value):
        number = int(value)
    else:
        return None
    return number if 0 < number <= _MAX_DB_INT else None


def _one(conn, statement, **params):
    """The first row as a dict, or None; ``conn``: a Session or Connection."""
    row = conn.execute(statement, params).mappings().first()
    return dict(row) if row is not None else None


# Instances -----------------------------------------------------------------

def instance_get(context, uuid, project_id=None):
    """A live (not soft-deleted) instance, or None.

    :param project_id: when given, only an instance of that project is found
        (non-admin callers must not learn of other projects' servers).
    """
    with _CTX.reader.connection.using(context) as conn:
        if project_id is None:
            return _one(conn, _GET_INSTANCE, uuid=uuid)
        return _one(conn, _GET_PROJECT_INSTANCE, uuid=uuid,
                    project_id=project_id)


def _server_and_migrations(reads_, project_id, **params):
    if project_id is None:
        rows = reads_[0].all(_CTX.reader.get_engine(), **params)
    else:
        rows = reads_[1].all(_CTX.reader.get_engine(),
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

    :param project_id: as for ``instance_get``.
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
    ident = db_id(migration_id)
    if ident is None:
        server, _ = _server_and_migrations(_SERVER_ONLY, project_id,
                                           uuid=uuid)
        return server, None
    server, found = _server_and_migrations(_SERVER_MIGRATION, project_id,
                                           uuid=uuid, id=ident)
    return server, (found[0] if found else None)


def instance_create(context, values):
    values = dict(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    values.setdefault('created_at', timeutils.utcnow())
    values.setdefault('deleted', 0)
    values.setdefault('locked', False)
    with _CTX.writer.using(context) as session:
        session.execute(sa.insert(INSTANCES).values(**values))
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
    with _CTX.writer.using(context) as session:
        return session.execute(statement.values(**values)).rowcount == 1


def instance_get_all(context, project_id=None, host=None):
    statement = sa.select(INSTANCES).where(INSTANCES.c.deleted == 0)
    if project_id is not None:
        statement = statement.where(INSTANCES.c.project_id == project_id)
    if host is not None:
        statement = statement.where(INSTANCES.c.host == host)
    statement = statement.order_by(INSTANCES.c.created_at, INSTANCES.c.uuid)
    with _CTX.reader.using(context) as session:
        return [dict(r) for r in session.execute(statement).mappings()]


def instance_destroy(context, uuid):
    """Soft-delete an instance (``deleted`` = 1)."""
    now = timeutils.utcnow()
    with _CTX.writer.using(context) as session:
        session.execute(
            sa.update(INSTANCES).where(INSTANCES.c.uuid == uuid,
                                       INSTANCES.c.deleted == 0)
            .values(deleted=1, deleted_at=now, updated_at=now))


# Migrations ----------------------------------------------------------------

def migration_create(context, values):
    values = dict(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    values.setdefault('created_at', timeutils.utcnow())
    values.setdefault('deleted', 0)
    values.setdefault('hidden', False)
    with _CTX.writer.using(context) as session:
        result = session.execute(sa.insert(MIGRATIONS).values(**values))
        new_id = result.inserted_primary_key[0]
        return _one(session, _GET_MIGRATION, id=new_id)


def migration_get(context, migration_id):
    """A live migration record by id, or None (non-integer ids included)."""
    ident = db_id(migration_id)
    if ident is None:
        return None
    with _CTX.reader.connection.using(context) as conn:
        return _one(conn, _GET_MIGRATION, id=ident)


def migration_get_by_id_and_instance(context, migration_id, instance_uuid):
    """The migration ``migration_id`` of ``instance_uuid``, or None."""
    ident = db_id(migration_id)
    if ident is None:
        return None
    with _CTX.reader.connection.using(context) as conn:
        return _one(conn, _GET_MIGRATION_OF_INSTANCE, id=ident,
                    instance_uuid=instance_uuid)


def migration_get_in_progress_by_instance(
        context, instance_uuid, migration_type=states.LIVE_MIGRATION):
    """Migrations of an instance that are queued, preparing or running."""
    with _CTX.reader.connection.using(context) as conn:
        rows = conn.execute(
            _IN_PROGRESS, {'instance_uuid': instance_uuid,
                           'migration_type': migration_type}).mappings()
        return [dict(r) for r in rows]


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
    with _CTX.reader.using(context) as session:
        return [dict(r) for r in session.execute(statement).mappings()]


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
    ident = db_id(migration_id)
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
    with _CTX.writer.using(context) as session:
        won = session.execute(statement.values(**values)).rowcount == 1
        row = _one(session, _GET_MIGRATION, id=ident)
    return won, (row['status'] if row else None)


def migration_purge(context, migration_id):
    """Delete a migration row outright (one whose cast never left)."""
    with _CTX.writer.using(context) as session:
        session.execute(sa.delete(MIGRATIONS).where(
            MIGRATIONS.c.id == migration_id))


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


def migrations_in_flight_by_host(context, host):
    """Unfinished migrations with ``host`` as source or destination."""
    statement = sa.select(MIGRATIONS).where(
        MIGRATIONS.c.deleted == 0,
        MIGRATIONS.c.status.in_(states.IN_FLIGHT),
        sa.or_(MIGRATIONS.c.source_compute == host,
               MIGRATIONS.c.dest_compute == host))
    with _CTX.reader.using(context) as session:
        return [dict(r) for r in session.execute(statement).mappings()]


# Instance actions ----------------------------------------------------------

def action_start(context, instance_uuid, action, message=None):
    """Record that ``action`` was requested on an instance; return its id."""
    now = timeutils.utcnow()
    # updated_at starts as start_time: the API's changes-since reads it.
    values = {'instance_uuid': instance_uuid, 'action': action,
              'request_id': context.request_id, 'user_id': context.user_id,
              'project_id': context.project_id, 'start_time': now,
              'created_at': now, 'updated_at': now, 'deleted': 0,
              'message': message}
    with _CTX.writer.connection.using(context) as conn:
        result = conn.execute(_ACTION_START, values)
        return result.inserted_primary_key[0]


def action_purge(context, action_id):
    """Delete an action and its events (a request that never happened)."""
    with _CTX.writer.using(context) as session:
        session.execute(sa.delete(EVENTS).where(EVENTS.c.action_id ==
                                                action_id))
        session.execute(sa.delete(ACTIONS).where(ACTIONS.c.id == action_id))


def action_finish(context, action_id, message=None):
    with _CTX.writer.using(context) as session:
        session.execute(sa.update(ACTIONS).where(ACTIONS.c.id == action_id)
                        .values(finish_time=timeutils.utcnow(),
                                message=message))


def action_get_by_request_id(context, instance_uuid, request_id):
    statement = sa.select(ACTIONS).where(
        ACTIONS.c.instance_uuid == instance_uuid,
        ACTIONS.c.request_id == request_id).order_by(ACTIONS.c.id.desc())
    with _CTX.reader.using(context) as session:
        return _one(session, statement)


def actions_get(context, instance_uuid):
    statement = sa.select(ACTIONS).where(
        ACTIONS.c.instance_uuid == instance_uuid).order_by(ACTIONS.c.id)
    with _CTX.reader.using(context) as session:
        return [dict(r) for r in session.execute(statement).mappings()]


def action_event_start(context, action_id, event, host, start_time=None):
    """Open an event under an action (whose ``updated_at`` follows).

    ``start_time``: when the agent began acting, if it records after.
    """
    now = timeutils.utcnow()
    values = {'action_id': action_id, 'event': event, 'host': host,
              'start_time': start_time or now, 'created_at': now,
              'deleted': 0}
    with _CTX.writer.using(context) as session:
        result = session.execute(sa.insert(EVENTS).values(**values))
        session.execute(sa.update(ACTIONS).where(ACTIONS.c.id == action_id)
                        .values(updated_at=now))
        return result.inserted_primary_key[0]


def action_event_finish(context, event_id, result, traceback=None,
                        details=None):
    """Close an open event with ``Success`` or ``Error``.

    :param traceback: what went wrong, for admins.
    :param details: why it ended, in words (microversion 2.84).
    :returns: False if the event was already closed (it is left as it is:
        the first to close an event says why it ended).
    """
    now = timeutils.utcnow()
    with _CTX.writer.using(context) as session:
        closed = session.execute(
            sa.update(EVENTS).where(EVENTS.c.id == event_id,
                                    EVENTS.c.finish_time.is_(None))
            .values(finish_time=now, updated_at=now, result=result,
                    traceback=traceback, details=details)).rowcount == 1
        if closed:
            action = {'updated_at': now}
            if result == 'Error':
                # As the reference: an action with a failed event says so.
                action['message'] = 'Error'
            session.execute(sa.update(ACTIONS).where(
                ACTIONS.c.id == sa.select(EVENTS.c.action_id).where(
                    EVENTS.c.id == event_id).scalar_subquery())
                .values(**action))
        return closed


def action_events_get(context, action_id):
    statement = sa.select(EVENTS).where(
        EVENTS.c.action_id == action_id).order_by(EVENTS.c.id)
    with _CTX.reader.using(context) as session:
        return [dict(r) for r in session.execute(statement).mappings()]


# Services ------------------------------------------------------------------

def service_heartbeat(context, host, binary, topic, rpc_version):
    """Create or refresh an agent's row; return it."""
    now = timeutils.utcnow()
    where = (SERVICES.c.host == host, SERVICES.c.binary == binary,
             SERVICES.c.deleted == 0)
    with _CTX.writer.using(context) as session:
        updated = session.execute(
            sa.update(SERVICES).where(*where).values(
                topic=topic, rpc_version=rpc_version, last_seen_at=now,
                updated_at=now)).rowcount
        if not updated:
            session.execute(sa.insert(SERVICES).values(
                host=host, binary=binary, topic=topic,
                rpc_version=rpc_version, last_seen_at=now, created_at=now,
                disabled=False, deleted=0))
        return _one(session, sa.select(SERVICES).where(*where))


def service_mark_down(context, host, binary):
    """Forget an agent's last heartbeat: it counts as down at once."""
    now = timeutils.utcnow()
    with _CTX.writer.using(context) as session:
        session.execute(sa.update(SERVICES).where(
            SERVICES.c.host == host, SERVICES.c.binary == binary,
            SERVICES.c.deleted == 0).values(last_seen_at=None,
                                            updated_at=now))


def service_get_all(context, binary=None):
    statement = sa.select(SERVICES).where(SERVICES.c.deleted == 0)
    if binary is not None:
        statement = statement.where(SERVICES.c.binary == binary)
    with _CTX.reader.using(context) as session:
        return [dict(r) for r in session.execute(
            statement.order_by(SERVICES.c.host)).mappings()]


def service_is_up(service, down_time, now=None):
    """Whether an agent's last heartbeat is within ``down_time`` seconds."""
    seen = service.get('last_seen_at')
    if seen is None:
        return False
    now = now or timeutils.utcnow()
    return (now - seen).total_seconds() <= down_time


def service_get_live(context, binary, down_time):
    """Enabled agents that heartbeated within ``down_time`` seconds."""
    now = timeutils.utcnow()
    return [s for s in service_get_all(context, binary)
            if not s['disabled'] and service_is_up(s, down_time, now)]


def host_load(context, hosts):
    """In-flight migrations per host (as source or destination)."""
    load = {h: 0 for h in hosts}
    if not hosts:
        return load
    statement = sa.select(MIGRATIONS.c.source_compute,
                          MIGRATIONS.c.dest_compute).where(
        MIGRATIONS.c.deleted == 0,
        MIGRATIONS.c.status.in_(states.IN_FLIGHT),
        sa.or_(MIGRATIONS.c.source_compute.in_(hosts),
               MIGRATIONS.c.dest_compute.in_(hosts)))
    with _CTX.reader.using(context) as session:
        for source, dest in session.execute(statement):
            for host in {source, dest}:
                if host in load:
                    load[host] += 1
    return load
