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

"""The ``migration_convergence`` table: the agent's latest verdicts."""

from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.db import engine
from server_migrations.db import models

TABLE = models.MigrationConvergence.__table__
FIELDS = ('converging', 'eta', 'stalled_for', 'iteration', 'dirty_rate',
          'transfer_rate', 'expected_downtime')


def _int(value):
    return None if value is None else int(value)


def record(context, migration_id, verdict):
    """Write ``verdict`` (a ``compute.convergence.Verdict``) as the latest.

    Only the migration's source agent writes its row, so an update that
    finds none is followed by an insert without a race.
    """
    values = {'converging': verdict.converging, 'eta': verdict.eta,
              'stalled_for': verdict.stalled_for,
              'iteration': _int(verdict.iteration),
              'dirty_rate': _int(verdict.dirty_rate),
              'transfer_rate': _int(verdict.transfer_rate),
              'expected_downtime': _int(verdict.expected_downtime),
              'updated_at': timeutils.utcnow()}
    with engine.writer(context) as conn:
        updated = conn.execute(sa.update(TABLE).where(
            TABLE.c.migration_id == migration_id).values(values)).rowcount
        if not updated:
            conn.execute(sa.insert(TABLE).values(
                dict(values, migration_id=migration_id)))


def get(context, migration_id):
    """The latest verdict of a migration as a dict, or None."""
    with engine.reading(context) as conn:
        row = conn.execute(sa.select(TABLE).where(
            TABLE.c.migration_id == migration_id)).mappings().first()
        return dict(row) if row is not None else None
