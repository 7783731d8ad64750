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

"""The benchmarks' data, the one place that writes it.

* ``create_database``: an empty database on a server backend (the one the
  URL names, dropped first).
* ``seed``: one server with two in-progress live migrations, and noise (the
  read and action benchmarks).
* ``servers_on_host``: servers on one host, ready to live-migrate (the
  agent benchmark).
"""

import contextlib
import uuid

from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.db import migration
from server_migrations.db import models
from server_migrations import migration_states as states

SERVER = '5e1d5a4e-7c1b-4c07-9b57-5a0a7b3d1e01'
# Host names no agent uses: casts to them are dropped by the broker (no
# queue is bound to their routing keys), never queued for a real agent.
SOURCE = 'bench-compute1'
PROJECT = '6f70656e737461636b20726f636b7321'
USER = 'bench'
BATCH = 20000
_INSTANCES = models.Instance.__table__
_MIGRATIONS = models.Migration.__table__


def create_database(url):
    """Drop and create the database ``url`` names, on its server."""
    url = sa.engine.make_url(url)
    admin_db = 'postgres' if url.get_backend_name() == 'postgresql' else ''
    engine = sa.create_engine(url.set(database=admin_db),
                              isolation_level='AUTOCOMMIT')
    try:
        name = engine.dialect.identifier_preparer.quote(url.database)
        with engine.connect() as conn:
            conn.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))
            conn.execute(sa.text('CREATE DATABASE %s' % name))
    finally:
        engine.dispose()


@contextlib.contextmanager
def _schema(url):
    """An engine on ``url`` with the schema at its head revision."""
    engine = sa.create_engine(url)
    try:
        migration.upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def _server(host, **values):
    row = dict(uuid=str(uuid.uuid4()), project_id=PROJECT, user_id=USER,
               host=host, node=host, vm_state='active',
               launched_at=timeutils.utcnow(), locked=False, deleted=0)
    row.update(values)
    return row


def seed(url, other_rows):
    """Create the schema and the rows; return the running migration's id.

    ``SERVER`` on ``SOURCE`` has a running and a queued live migration;
    100 other servers share ``other_rows`` more migrations, in progress or
    ended.
    """
    with _schema(url) as engine:
        now = timeutils.utcnow()
        with engine.begin() as conn:
            conn.execute(sa.delete(_MIGRATIONS))
            conn.execute(sa.delete(_INSTANCES))
            conn.execute(sa.insert(_INSTANCES), [_server(
                SOURCE, uuid=SERVER, task_state='migrating', memory_mb=4096,
                root_gb=20)])
            others = [_server('bench-compute%d' % (i % 50))
                      for i in range(100)]
            conn.execute(sa.insert(_INSTANCES), others)
        base = dict(source_compute=SOURCE, source_node=SOURCE,
                    dest_compute='bench-compute2', dest_node='bench-compute2',
                    dest_host='192.0.2.2',
                    migration_type=states.LIVE_MIGRATION, hidden=False,
                    deleted=0, user_id=USER, project_id=PROJECT,
                    created_at=now, updated_at=now,
                    memory_total=4 << 30, memory_processed=1 << 30,
                    memory_remaining=3 << 30, disk_total=20 << 30,
                    disk_processed=5 << 30, disk_remaining=15 << 30)
        with engine.begin() as conn:
            ids = []
            for status in (states.RUNNING, states.QUEUED):
                result = conn.execute(sa.insert(_MIGRATIONS).values(
                    dict(base, uuid=str(uuid.uuid4()),
                         instance_uuid=SERVER, status=status)))
                ids.append(result.inserted_primary_key[0])
            statuses = (states.COMPLETED, states.RUNNING, states.FAILED,
                        states.CANCELLED)
            done = 0
            while done < other_rows:
                n = min(BATCH, other_rows - done)
                conn.execute(sa.insert(_MIGRATIONS), [
                    dict(base, uuid=str(uuid.uuid4()),
                         instance_uuid=others[(done + i) % 100]['uuid'],
                         status=statuses[(done + i) % 4])
                    for i in range(n)])
                done += n
        return ids[0]


def servers_on_host(url, count, host, project=PROJECT):
    """Add ``count`` servers on ``host`` (4 GiB, no disk); their UUIDs."""
    rows = [_server(host, project_id=project, memory_mb=4096, root_gb=0)
            for _ in range(count)]
    with _schema(url) as engine:
        with engine.begin() as conn:
            conn.execute(sa.insert(_INSTANCES), rows)
    return [r['uuid'] for r in rows]
