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

"""Bench data: one server with two in-progress live migrations, and noise."""

import uuid

from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.db import migration
from server_migrations.db import models

SERVER = '5e1d5a4e-7c1b-4c07-9b57-5a0a7b3d1e01'
# Host names no agent uses: casts to them are dropped by the broker (no
# queue is bound to their routing keys), never queued for a real agent.
SOURCE = 'bench-compute1'
PROJECT = '6f70656e737461636b20726f636b7321'
BATCH = 20000


def seed(url, other_rows):
    """Create the schema and the rows; return the running migration's id."""
    engine = sa.create_engine(url)
    try:
        migration.upgrade(engine)
        instances = models.Instance.__table__
        migrations = models.Migration.__table__
        now = timeutils.utcnow()
        with engine.begin() as conn:
            conn.execute(sa.delete(migrations))
            conn.execute(sa.delete(instances))
            conn.execute(sa.insert(instances), [
                dict(uuid=SERVER, project_id=PROJECT, user_id='bench',
                     host=SOURCE, node=SOURCE, vm_state='active',
                     task_state='migrating', launched_at=now, locked=False,
                     deleted=0, memory_mb=4096, root_gb=20)])
            others = [dict(uuid=str(uuid.uuid4()), project_id=PROJECT,
                           user_id='bench', host='bench-compute%d' % (i % 50),
                           node='bench-compute%d' % (i % 50),
                           vm_state='active',
                           launched_at=now, locked=False, deleted=0)
                      for i in range(100)]
            conn.execute(sa.insert(instances), others)
        base = dict(source_compute=SOURCE, source_node=SOURCE,
                    dest_compute='bench-compute2', dest_node='bench-compute2',
                    dest_host='192.0.2.2', migration_type='live-migration',
                    hidden=False, deleted=0, user_id='bench',
                    project_id=PROJECT, created_at=now, updated_at=now,
                    memory_total=4 << 30, memory_processed=1 << 30,
                    memory_remaining=3 << 30, disk_total=20 << 30,
                    disk_processed=5 << 30, disk_remaining=15 << 30)
        with engine.begin() as conn:
            ids = []
            for status in ('running', 'queued'):
                result = conn.execute(sa.insert(migrations).values(
                    dict(base, uuid=str(uuid.uuid4()),
                         instance_uuid=SERVER, status=status)))
                ids.append(result.inserted_primary_key[0])
            statuses = ('completed', 'running', 'failed', 'cancelled')
            done = 0
            while done < other_rows:
                n = min(BATCH, other_rows - done)
                conn.execute(sa.insert(migrations), [
                    dict(base, uuid=str(uuid.uuid4()),
                         instance_uuid=others[(done + i) % 100]['uuid'],
                         status=statuses[(done + i) % 4])
                    for i in range(n)])
                done += n
        return ids[0]
    finally:
        engine.dispose()
