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

"""server-migrations-manage migration/service commands, run as operators do."""

import datetime
import getpass
import json
import os
import subprocess
import sys

import fixtures
from oslo_utils import timeutils
import sqlalchemy as sa
import yaml

from server_migrations.db import agent_actions
from server_migrations.db import migration
from server_migrations.db import models
from server_migrations.tests import base as sm_base

SERVER = '8f1f7c1e-0d6f-4a47-9a52-2d0c6f5b1a01'


class TestManageOperatorCommands(sm_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.db_path = os.path.join(tmp, 'sm.sqlite')
        self.conf_path = os.path.join(tmp, 'sm.conf')
        with open(self.conf_path, 'w') as f:
            f.write('[DEFAULT]\nservice_down_time = 60\n'
                    'transport_url = fake:/\n'
                    '[database]\nconnection = sqlite:///%s\n' % self.db_path)
        engine = sa.create_engine('sqlite:///%s' % self.db_path)
        self.addCleanup(engine.dispose)
        migration.upgrade(engine)
        now = timeutils.utcnow()
        with engine.begin() as conn:
            conn.execute(sa.insert(models.Instance.__table__).values(
                uuid=SERVER, project_id='p1', user_id='u1', host='src',
                node='src', vm_state='active', task_state='migrating',
                locked=False, deleted=0, memory_mb=1024, launched_at=now))
            for status, source, done in (('running', 'src', 512 << 20),
                                         ('completed', 'old', 0)):
                conn.execute(sa.insert(models.Migration.__table__).values(
                    uuid='0000000%d-0000-0000-0000-000000000000' % (
                        len(status) % 10),
                    instance_uuid=SERVER, source_compute=source,
                    dest_compute='dst', migration_type='live-migration',
                    status=status, hidden=False, deleted=0,
                    memory_total=1024 << 20, memory_processed=done,
                    memory_remaining=(1024 << 20) - done,
                    created_at=now - datetime.timedelta(
                        hours=0 if done else 1)))
            # The ended one's action, and the agent's final event.
            started = now - datetime.timedelta(minutes=59)
            action_id = conn.execute(sa.insert(
                models.InstanceAction.__table__).values(
                    instance_uuid=SERVER, action='live-migration',
                    request_id='req-1', start_time=started,
                    created_at=started, updated_at=started,
                    deleted=0)).inserted_primary_key[0]
            conn.execute(sa.insert(models.InstanceActionEvent.__table__)
                         .values(action_id=action_id,
                                 event='compute_live_migration',
                                 start_time=started, finish_time=started,
                                 result='Error', deleted=0,
                                 details='aborted by request req-2'))
            conn.execute(sa.insert(models.Service.__table__).values(
                host='src', binary='server-migrations-compute',
                topic='compute', rpc_version='1.0', disabled=False,
                deleted=0, last_seen_at=now))
            conn.execute(sa.insert(models.Service.__table__).values(
                host='gone', binary='server-migrations-compute',
                topic='compute', rpc_version='1.0', disabled=False,
                deleted=0,
                last_seen_at=now - datetime.timedelta(seconds=600)))

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, '-m', 'server_migrations.cmd.manage',
             '--config-file', self.conf_path] + list(args),
            capture_output=True, text=True, timeout=120)

    def manage_json(self, *args):
        out = self.manage(*(args + ('-f', 'json')))
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertEqual('', out.stderr)
        return json.loads(out.stdout)

    def test_migration_list_filters(self):
        rows = self.manage_json('migration', 'list')
        self.assertEqual(['completed', 'running'],
                         [r['status'] for r in rows])
        rows = self.manage_json('migration', 'list', '--status', 'running',
                                '--server', SERVER)
        self.assertEqual(['src'], [r['source_compute'] for r in rows])
        self.assertEqual([], self.manage_json('migration', 'list',
                                              '--host', 'nowhere'))
        rows = self.manage_json('migration', 'list', '--host', 'old')
        self.assertEqual(['completed'], [r['status'] for r in rows])

    def test_migration_list_formats(self):
        out = self.manage('migration', 'list', '-f', 'value')
        self.assertEqual(0, out.returncode, out.stderr)
        first = out.stdout.splitlines()[0].split(' ')
        self.assertEqual((SERVER, 'live-migration', 'completed'),
                         tuple(first[2:5]))
        out = self.manage('migration', 'list', '-f', 'yaml')
        self.assertEqual(0, out.returncode, out.stderr)
        rows = yaml.safe_load(out.stdout)
        self.assertEqual(['completed', 'running'],
                         [r['status'] for r in rows])
        self.assertEqual(SERVER, rows[0]['server_uuid'])

    def test_migration_list_table(self):
        out = self.manage('migration', 'list')
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertIn('Server UUID', out.stdout)
        self.assertIn(SERVER, out.stdout)

    def test_migration_show(self):
        running = self.manage_json('migration', 'list', '--status',
                                   'running')[0]
        shown = self.manage_json('migration', 'show', str(running['id']))
        self.assertEqual(512 << 20, shown['memory_processed_bytes'])
        self.assertEqual(SERVER, shown['server_uuid'])
        self.assertIsNone(shown['reason'])
        self.assertIsNone(shown['convergence'])
        # What the agent judged of it, per copy iteration.
        engine = sa.create_engine('sqlite:///%s' % self.db_path)
        self.addCleanup(engine.dispose)
        with engine.begin() as conn:
            conn.execute(sa.insert(
                models.MigrationConvergence.__table__).values(
                    migration_id=running['id'], converging=False,
                    stalled_for=75, iteration=4, dirty_rate=300 << 20,
                    transfer_rate=100 << 20))
        shown = self.manage_json('migration', 'show', str(running['id']))
        self.assertEqual(('stalled 75 s', '', '300.0 MiB/s', '100.0 MiB/s'),
                         (shown['convergence'], shown['eta'],
                          shown['dirty_rate'], shown['transfer_rate']))
        self.assertEqual('dst', shown['dest_compute'])
        done = self.manage_json('migration', 'list', '--status',
                                'completed')[0]
        shown = self.manage_json('migration', 'show', str(done['id']))
        self.assertEqual('aborted by request req-2', shown['reason'])
        out = self.manage('migration', 'show', str(done['id']), '-f',
                          'value')
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertEqual('aborted by request req-2',
                         out.stdout.splitlines()[-1])
        out = self.manage('migration', 'show', 'abc')
        self.assertEqual(1, out.returncode)
        self.assertEqual('ERROR: Migration abc not found.',
                         out.stderr.strip())

    def test_metrics_for_prometheus(self):
        running = self.manage_json('migration', 'list', '--status',
                                   'running')[0]
        engine = sa.create_engine('sqlite:///%s' % self.db_path)
        self.addCleanup(engine.dispose)
        with engine.begin() as conn:
            conn.execute(sa.insert(
                models.MigrationConvergence.__table__).values(
                    migration_id=running['id'], converging=False))
            # The ended one took 90 s.
            table = models.Migration.__table__
            done = table.c.status == 'completed'
            created = conn.execute(sa.select(table.c.created_at).where(
                done)).scalar_one()
            conn.execute(sa.update(table).where(done).values(
                updated_at=created + datetime.timedelta(seconds=90)))
        out = self.manage('metrics', 'write', '-')
        self.assertEqual(0, out.returncode, out.stderr)
        lines = set(out.stdout.splitlines())
        for line in (
                'server_migrations_in_flight{host="src",status="running"} '
                '1.0',
                'server_migrations_stalled 1.0',
                'server_migrations_outcomes_total{status="completed"} 1.0',
                'server_migrations_outcomes_total{status="failed"} 0.0',
                'server_migrations_duration_seconds_count 1.0',
                'server_migrations_duration_seconds_bucket{le="60"} 0.0',
                'server_migrations_duration_seconds_bucket{le="120"} 1.0',
                'server_migrations_duration_seconds_sum 90.0'):
            self.assertIn(line, lines)
        path = os.path.join(os.path.dirname(self.db_path), 'sm.prom')
        out = self.manage('metrics', 'write', path)
        self.assertEqual(0, out.returncode, out.stderr)
        with open(path) as stream:
            self.assertIn('server_migrations_stalled 1.0',
                          stream.read().splitlines())

    def test_service_list_up_and_down(self):
        rows = self.manage_json('service', 'list')
        self.assertEqual({'src': 'up', 'gone': 'down'},
                         {r['host']: r['state'] for r in rows})
        self.assertEqual({'1.0'}, {r['rpc_version'] for r in rows})

    def test_watch_unknown_server_and_nothing_in_progress(self):
        out = self.manage('migration', 'watch', 'nope')
        self.assertEqual(1, out.returncode)
        self.assertIn('Server nope not found', out.stderr)

    def test_policy_check(self):
        out = self.manage('policy', 'check')
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertIn('No policy file (policy.yaml): the defaults are in '
                      'force.', out.stdout)
        path = os.path.join(os.path.dirname(self.conf_path), 'policy.yaml')
        with open(self.conf_path, 'a') as f:
            f.write('[oslo_policy]\npolicy_file = %s\n' % path)
        with open(path, 'w') as f:
            f.write('"context_is_admin": "role:admin"\n')
        out = self.manage('policy', 'check')
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertIn('readable, 1 rule(s) in force', out.stdout)
        with open(path, 'wb') as f:
            f.write(b'"context_is_admin": "\xff"\n')
        out = self.manage('policy', 'check')
        self.assertEqual(1, out.returncode)
        self.assertIn('ERROR: policy file %s: UnicodeDecodeError' % path,
                      out.stdout)

    def _source_gone(self):
        """The agent of "src" stops heartbeating; an abort waits on it."""
        engine = sa.create_engine('sqlite:///%s' % self.db_path)
        self.addCleanup(engine.dispose)
        with engine.begin() as conn:
            conn.execute(sa.update(models.Service.__table__).where(
                models.Service.__table__.c.host == 'src').values(
                    last_seen_at=timeutils.utcnow() -
                    datetime.timedelta(seconds=600)))
            waiting = conn.execute(sa.insert(
                models.InstanceAction.__table__).values(
                action='live_migration_cancel', instance_uuid=SERVER,
                request_id='req-waiting', user_id='u1', project_id='p1',
                start_time=timeutils.utcnow())).inserted_primary_key[0]
            running = conn.execute(sa.select(
                models.Migration.__table__.c.id).where(
                models.Migration.__table__.c.status == 'running')).scalar()
            # The abort's request for the agent that will never take it.
            conn.execute(sa.insert(models.AgentAction.__table__).values(
                action_id=waiting, instance_uuid=SERVER,
                migration_id=running, host='src',
                method='live_migration_abort', request_id='req-waiting',
                state='pending', created_at=timeutils.utcnow()))
        return engine

    def _settled(self, engine, running):
        reason = ('Settled by the operator: compute host src is gone; the '
                  'migration did not finish')
        with engine.connect() as conn:
            row = conn.execute(sa.select(models.Migration.__table__).where(
                models.Migration.__table__.c.id == running['id'])).one()
            server = conn.execute(sa.select(
                models.Instance.__table__)).one()
            events = {e.action_id: e for e in conn.execute(sa.select(
                models.InstanceActionEvent.__table__))}
        self.assertEqual('error', row.status)
        self.assertEqual(('src', None), (server.host, server.task_state))
        actions = {a['action']: a for a in self._actions()}
        waiting = actions['live_migration_cancel']
        self.assertIsNotNone(waiting['finish_time'])
        self.assertEqual(reason, waiting['message'])
        self.assertEqual(('settled_by_operator', 'Error', reason), (
            events[waiting['id']].event, events[waiting['id']].result,
            events[waiting['id']].traceback))
        settle = actions['live_migration_settle']
        self.assertEqual((reason, getpass.getuser()),
                         (settle['message'], settle['user_id']))
        # Closed, so no agent expires it again later.
        with engine.connect() as conn:
            left = conn.execute(sa.select(models.AgentAction.__table__)).one()
        self.assertEqual(('done', 'Error', reason),
                         (left.state, left.result, left.detail))
        return reason

    def test_evacuate_records_refused_while_the_agent_is_up(self):
        out = self.manage('host', 'evacuate-records', 'src')
        self.assertEqual(1, out.returncode)
        self.assertIn('ERROR: The compute agent of src is up', out.stderr)
        self.assertEqual(['completed', 'running'], [
            r['status'] for r in self.manage_json('migration', 'list')])

    def test_evacuate_records_settles_and_says_so(self):
        running = self.manage_json('migration', 'list', '--status',
                                   'running')[0]
        engine = self._source_gone()
        out = self.manage('host', 'evacuate-records', 'src')
        self.assertEqual(0, out.returncode, out.stderr)
        reason = self._settled(engine, running)
        self.assertEqual('Migration %s of server %s: running -> error (%s).'
                         % (running['id'], SERVER, reason),
                         out.stdout.strip())
        out = self.manage('host', 'evacuate-records', 'src')
        self.assertEqual('No unfinished migration from or to src.',
                         out.stdout.strip())

    def test_abort_force(self):
        running = self.manage_json('migration', 'list', '--status',
                                   'running')[0]
        out = self.manage('migration', 'abort', '--force', SERVER,
                          str(running['id']))
        self.assertEqual(1, out.returncode)
        self.assertIn('ERROR: The compute agent of src is up', out.stderr)
        engine = self._source_gone()
        out = self.manage('migration', 'abort', '--force', SERVER,
                          str(running['id']))
        self.assertEqual(0, out.returncode, out.stderr)
        self._settled(engine, running)
        out = self.manage('migration', 'abort', '--force', SERVER,
                          str(running['id']))
        self.assertEqual(1, out.returncode)
        self.assertEqual('ERROR: Migration %s is error: nothing to abort.'
                         % running['id'], out.stderr.strip())
        out = self.manage('migration', 'abort', '--force', SERVER, '999')
        self.assertEqual('ERROR: Migration 999 of server %s not found.'
                         % SERVER, out.stderr.strip())

    def _actions(self):
        engine = sa.create_engine('sqlite:///%s' % self.db_path)
        self.addCleanup(engine.dispose)
        with engine.connect() as conn:
            # Those the commands recorded (not the one of setUp).
            table = models.InstanceAction.__table__
            return [dict(r) for r in conn.execute(sa.select(table).where(
                table.c.request_id != 'req-1')).mappings()]

    def test_force_complete_and_abort_record_and_cast(self):
        running = self.manage_json('migration', 'list', '--status',
                                   'running')[0]
        for verb, action in (('force-complete',
                              'live_migration_force_complete'),
                             ('abort', 'live_migration_cancel')):
            out = self.manage('migration', verb, SERVER, str(running['id']))
            self.assertEqual(0, out.returncode, out.stderr)
            self.assertIn('Requested %s of migration %s' % (
                verb, running['id']), out.stdout)
            self.assertEqual(action, self._actions()[-1]['action'])
        self.assertEqual({getpass.getuser()},
                         {a['user_id'] for a in self._actions()})

    def test_tune_records_the_action_and_its_values(self):
        running = self.manage_json('migration', 'list', '--status',
                                   'running')[0]
        out = self.manage('migration', 'tune', str(running['id']),
                          '--bandwidth', '300', '--max-downtime', '500')
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertIn('Requested tune of migration %s of server %s' % (
            running['id'], SERVER), out.stdout)
        action = self._actions()[-1]
        self.assertEqual('live_migration_tune', action['action'])
        engine = sa.create_engine('sqlite:///%s' % self.db_path)
        self.addCleanup(engine.dispose)
        table = models.AgentAction.__table__
        with engine.connect() as conn:
            row, = conn.execute(sa.select(table).where(
                table.c.action_id == action['id'])).mappings()
        self.assertEqual(('live_migration_tune', 'src',
                          {'bandwidth': 300, 'max_downtime': 500}),
                         (row['method'], row['host'],
                          agent_actions.parameters_of(row)))

    def test_tune_refusals(self):
        done = self.manage_json('migration', 'list', '--status',
                                'completed')[0]
        out = self.manage('migration', 'tune', str(done['id']),
                          '--bandwidth', '300')
        self.assertEqual(1, out.returncode)
        self.assertIn('Cannot tune live migration while the migration is '
                      'in this state.', out.stderr)
        out = self.manage('migration', 'tune', '999', '--bandwidth', '1')
        self.assertEqual('ERROR: Migration 999 not found.',
                         out.stderr.strip())
        running = self.manage_json('migration', 'list', '--status',
                                   'running')[0]
        out = self.manage('migration', 'tune', str(running['id']))
        self.assertIn('Nothing to tune', out.stderr)
        out = self.manage('migration', 'tune', str(running['id']),
                          '--bandwidth', '0')
        self.assertEqual(2, out.returncode)
        self.assertEqual([], self._actions())

    def test_force_complete_and_abort_refusals(self):
        done = self.manage_json('migration', 'list', '--status',
                                'completed')[0]
        out = self.manage('migration', 'abort', SERVER, str(done['id']))
        self.assertEqual(1, out.returncode)
        self.assertEqual(
            'ERROR: Migration %s state of instance %s is completed. Cannot '
            'abort live migration while the migration is in this state.'
            % (done['id'], SERVER), out.stderr.strip())
        out = self.manage('migration', 'force-complete', 'nope', '1')
        self.assertEqual('ERROR: Instance nope could not be found.',
                         out.stderr.strip())
        out = self.manage('migration', 'force-complete', SERVER, '999')
        self.assertEqual(1, out.returncode)
        self.assertIn('Migration 999 not found for instance', out.stderr)
        self.assertEqual([], self._actions())

    def test_watch_ends_with_the_migration(self):
        proc = subprocess.Popen(
            [sys.executable, '-m', 'server_migrations.cmd.manage',
             '--config-file', self.conf_path, 'migration', 'watch', SERVER,
             '--interval', '0.1', '--timeout', '60'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.kill)
        # Once it says it is watching, the migration ends under its eyes.
        self.assertIn('Watching 1 live migration', proc.stdout.readline())
        engine = sa.create_engine('sqlite:///%s' % self.db_path)
        self.addCleanup(engine.dispose)
        table = models.Migration.__table__
        with engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.status == 'running')
                         .values(status='completed'))
        stdout, stderr = proc.communicate(timeout=60)
        self.assertEqual(0, proc.returncode, stderr)
        self.assertIn('ended with status completed', stdout)

    def test_watch_shows_bars_until_timeout(self):
        out = self.manage('migration', 'watch', SERVER, '--interval',
                          '0.1', '--timeout', '0.3')
        # Still running when the timeout hits: exit status 1, bars shown.
        self.assertEqual(1, out.returncode, out.stderr)
        self.assertIn('migration 1 memory: 512.0 MiB of 1.0 GiB left',
                      out.stdout)
        self.assertNotIn('disk', out.stdout)
