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

"""server-migrations-manage metrics: live migrations for Prometheus.

A textfile exporter (see doc/convergence.rst): run from a timer, it writes
the Prometheus text format to a file that node_exporter's textfile
collector serves, atomically (prometheus-client writes a temporary file
and renames it). No listener is opened and the API answers nothing new.
"""

from prometheus_client import core
from prometheus_client import exposition
import sqlalchemy as sa

from server_migrations import context as sm_context
from server_migrations.db import engine as db_engine
from server_migrations.db import models
from server_migrations import migration_states as states

MIGRATIONS = models.Migration.__table__
CONVERGENCE = models.MigrationConvergence.__table__
# Seconds: the usual spread of live migrations, from small guests to big.
DURATION_BUCKETS = (30, 60, 120, 300, 600, 1800, 3600, 7200)


def add_parsers(subparsers):
    parser = subparsers.add_parser(
        'metrics', help='live migrations in the Prometheus text format')
    actions = parser.add_subparsers(dest='action', metavar='{write}')
    actions.required = True
    write = actions.add_parser(
        'write', help='write the metrics to a file (node_exporter textfile '
                      'collector), or print them with "-"')
    write.add_argument('path', help='a .prom file, or - for stdout')


def _rows(context):
    statement = (sa.select(MIGRATIONS.c.status, MIGRATIONS.c.source_compute,
                           MIGRATIONS.c.created_at, MIGRATIONS.c.updated_at,
                           CONVERGENCE.c.converging)
                 .outerjoin(CONVERGENCE, CONVERGENCE.c.migration_id ==
                            MIGRATIONS.c.id)
                 .where(MIGRATIONS.c.deleted == 0,
                        MIGRATIONS.c.migration_type == states.LIVE_MIGRATION))
    with db_engine.reading(context) as conn:
        return [dict(r) for r in conn.execute(statement).mappings()]


class MigrationCollector:
    """The metrics, read from the database at each collection."""

    def __init__(self, context):
        self.context = context

    def collect(self):
        rows = _rows(self.context)
        in_flight = core.GaugeMetricFamily(
            'server_migrations_in_flight',
            'Live migrations not ended yet, by status and source host.',
            labels=['status', 'host'])
        counts = {}
        for row in rows:
            if row['status'] in states.IN_FLIGHT:
                key = row['status'], row['source_compute'] or ''
                counts[key] = counts.get(key, 0) + 1
        for (status, host), count in sorted(counts.items()):
            in_flight.add_metric([status, host], count)
        yield in_flight
        yield core.GaugeMetricFamily(
            'server_migrations_stalled',
            'Running live migrations their agent judges not converging.',
            value=sum(1 for r in rows if r['status'] == states.RUNNING and
                      r['converging'] is False))
        outcomes = core.CounterMetricFamily(
            'server_migrations_outcomes',
            'Ended live migrations, by final status.', labels=['status'])
        for status in states.ENDED:
            outcomes.add_metric([status], sum(
                1 for r in rows if r['status'] == status))
        yield outcomes
        yield self._durations(rows)

    @staticmethod
    def _durations(rows):
        seconds = [(r['updated_at'] - r['created_at']).total_seconds()
                   for r in rows if r['status'] in states.ENDED and
                   r['created_at'] and r['updated_at']]
        buckets = [(str(le), sum(1 for s in seconds if s <= le))
                   for le in DURATION_BUCKETS]
        buckets.append(('+Inf', len(seconds)))
        return core.HistogramMetricFamily(
            'server_migrations_duration_seconds',
            'Time from request to end of ended live migrations.',
            buckets=buckets, sum_value=sum(seconds))


class MetricsCommands:

    def __init__(self, conf):
        self.conf = conf
        self.context = sm_context.get_admin_context()

    def registry(self):
        registry = core.CollectorRegistry(auto_describe=False)
        registry.register(MigrationCollector(self.context))
        return registry

    def write(self, args):
        if args.path == '-':
            print(exposition.generate_latest(self.registry()).decode(),
                  end='')
        else:
            exposition.write_to_textfile(args.path, self.registry())
        return 0
