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

"""No accepted action is lost: thousands of them through a bad day.

wrk sends force-completes through uWSGI (the shipped example, PostgreSQL,
RabbitMQ) at live migrations that never converge, on two source agents,
while RabbitMQ is restarted twice (its queues and the messages in them are
lost) and one agent is SIGKILLed and started again. Then every action the
API accepted must have ended with exactly one final event (Success, or an
Error that says why), no action may have been carried out twice, and every
migration must end in one terminal status with its server agreeing.

``SERVER_MIGRATIONS_DELIVERY_ACTIONS`` sets how many accepted actions the
run aims for (default 20,000); the run is bounded by ``MAX_ROUNDS`` rounds
of ``ROUND_SECONDS`` whatever the machine's speed.
"""

import collections
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request

import fixtures
from oslo_utils import uuidutils
import sqlalchemy as sa
from testtools import content

from server_migrations.db import agent_actions
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack
from server_migrations.tests.integration import agents
from server_migrations.tests.integration import backends
from server_migrations.tests.integration import shipped_uwsgi
from server_migrations.tests.integration import wrk

TARGET = int(os.environ.get('SERVER_MIGRATIONS_DELIVERY_ACTIONS', '20000'))
CONNECTIONS = 32
ROUND_SECONDS = 8
MAX_ROUNDS = 80
# The whole test, whatever the machine's speed.
TIME_LIMIT = 1500
SERVERS_PER_AGENT = 6
# A guest that never converges, even paused: 10 TB at 1 MiB/s.
STUCK = {'memory_mb': 10 * 1024 * 1024, 'dirty_rate_mbps': 100000}
TERMINAL = ('completed', 'failed', 'error', 'cancelled')

LUA = '''
    function init(args)
      local hdr = {["X-Auth-Token"] = "admin:p1",
                   ["OpenStack-API-Version"] = "compute 2.80",
                   ["Content-Type"] = "application/json"}
      codes = {}
      reqs = {}
      for _, path in ipairs(args) do
        table.insert(reqs, wrk.format("POST", path, hdr,
                                      '{"force_complete": null}'))
      end
      i = math.random(#reqs)
    end
    function request()
      i = i + 1
      return reqs[(i % #reqs) + 1]
    end
'''


def restart_rabbitmq():
    """Stop and start the broker's application: its queues are lost."""
    for command in ('stop_app', 'start_app'):
        subprocess.run(['rabbitmqctl', '-q', command], check=True,
                       capture_output=True, timeout=120)


class DeliveryTestCase(backends.ProvisionedDatabase, stack.APITestCase):

    FIXTURE = sm_fixtures.PostgresqlDatabase

    def setUp(self):
        super().setUp()
        # Longer than OS_TEST_TIMEOUT: thousands of actions and their
        # agents' backlog, on a small machine; still bounded.
        self.useFixture(fixtures.Timeout(TIME_LIMIT, gentle=True))
        if subprocess.run(['rabbitmqctl', '-q', 'status'],
                          capture_output=True).returncode != 0:
            self.skipTest('rabbitmqctl cannot restart the local broker')
        self.tmp = self.useFixture(fixtures.TempDir()).path
        suffix = uuidutils.generate_uuid()[:8]
        self.sources = ['deliver-a-' + suffix, 'deliver-c-' + suffix]
        self.dest = 'deliver-b-' + suffix
        self.guests_file = os.path.join(self.tmp, 'guests.json')
        self.database_url = db_engine.get_engine().url.render_as_string(
            hide_password=False)
        self.guests = {}
        self.servers = {host: [] for host in self.sources}
        for host in self.sources:
            for _ in range(SERVERS_PER_AGENT):
                uuid = sm_fixtures.make_instance(
                    self.context, host=host, node=host, memory_mb=64,
                    task_state=None, project_id='p1')['uuid']
                self.guests[uuid] = STUCK
                self.servers[host].append(uuid)
        agents.write_guests(self.guests_file, self.guests)
        self.agents = {host: self._agent(host)
                       for host in self.sources + [self.dest]}
        self.env = backends.api_config(self.tmp, self.database_url,
                                       agents.RABBIT_URL, name='api.conf')
        self.script = wrk.write_script(os.path.join(self.tmp, 'force.lua'),
                                       LUA)

    def _agent(self, host):
        proc = agents.AgentProcess(self.tmp, host, self.database_url,
                                   self.guests_file, max_concurrent=50,
                                   bandwidth_mbps=1, step_seconds=0.5,
                                   permit_post_copy=False)
        self.addCleanup(proc.kill)
        self.addOnException(lambda _exc: self.addDetail(
            'log-' + host, content.text_content(proc.log())))
        proc.start(self.context)
        return proc

    # -- driving -------------------------------------------------------------

    def _wrk(self, port, paths):
        codes, errors, _out = wrk.run(self.script, port, CONNECTIONS,
                                      ROUND_SECONDS, paths)
        return codes, errors

    def _start_migrations(self, port):
        for host in self.sources:
            for uuid in self.servers[host]:
                req = urllib.request.Request(
                    'http://127.0.0.1:%d/v2.1/servers/%s/action'
                    % (port, uuid), method='POST',
                    data=json.dumps({'os-migrateLive': {
                        'host': self.dest,
                        'block_migration': False}}).encode(),
                    headers={'X-Auth-Token': 'admin:p1',
                             'OpenStack-API-Version': 'compute 2.80',
                             'Content-Type': 'application/json'})
                with urllib.request.urlopen(req, timeout=30) as resp:
                    self.assertEqual(202, resp.status)
        mids = {}
        for host in self.sources:
            for uuid in self.servers[host]:
                mids[uuid] = agents.wait_for(
                    lambda: self._running(uuid), 120,
                    'the migration of %s to run' % uuid)
        return mids

    def _running(self, uuid):
        rows = db_migrations.migration_get_all(
            self.context, instance_uuid=uuid)
        return rows and rows[0]['status'] == 'running' and rows[0]['id']

    def _disrupt(self, round_number, log):
        """What happens 3 s into some rounds: the bad day."""
        time.sleep(3)
        if round_number in (1, 5):
            log.append('round %d: RabbitMQ restarted' % round_number)
            restart_rabbitmq()
        elif round_number == 3:
            victim = self.agents[self.sources[1]]
            log.append('round %d: agent %s SIGKILLed'
                       % (round_number, victim.host))
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait(30)
            time.sleep(2)
            victim.start(self.context, timeout=120)
            log.append('round %d: agent %s started again'
                       % (round_number, victim.host))

    def test_no_accepted_action_is_lost(self):
        env = self.env
        totals = collections.Counter()
        socket_errors = collections.Counter()
        log = []
        # The shipped uWSGI example, as operators run it.
        with shipped_uwsgi.ShippedUWSGI(env, self.tmp) as server:
            mids = self._start_migrations(server.port)
            paths = ['/v2.1/servers/%s/migrations/%d/action' % (uuid, mid)
                     for uuid, mid in mids.items()]
            for round_number in range(MAX_ROUNDS):
                if totals[202] >= TARGET and round_number > 5:
                    break
                disruptor = threading.Thread(
                    target=self._disrupt, args=(round_number, log))
                disruptor.start()
                codes, errors = self._wrk(server.port, paths)
                disruptor.join(180)
                totals.update(codes)
                socket_errors.update(errors)
            log.append('load done in %d rounds of %d s: %s, socket errors %s'
                       % (round_number + 1, ROUND_SECONDS, dict(totals),
                          dict(socket_errors)))
            self.addDetail('delivery', content.text_content('\n'.join(log)))
            print('\n'.join(log))
            self._drain()
            self._abort_the_rest(server.port, mids)
        self._check(mids, totals[202], round_number)

    # -- checking ------------------------------------------------------------

    def _open_actions(self, starts):
        table = agent_actions.AGENT_ACTIONS
        query = sa.select(sa.func.count()).select_from(table).where(
            table.c.state != agent_actions.DONE)
        if not starts:
            # A start stays claimed while its migration runs.
            query = query.where(table.c.method != 'live_migration')
        with db_engine.get_engine().connect() as conn:
            return conn.execute(query).scalar()

    def _drain(self, starts=False):
        # Bounded: the agents work off their backlog, from casts or polls.
        try:
            agents.wait_for(lambda: self._open_actions(starts) == 0, 600,
                            'every accepted action to be carried out')
        except AssertionError:
            table = agent_actions.AGENT_ACTIONS
            with db_engine.get_engine().connect() as conn:
                left = conn.execute(sa.select(
                    table.c.host, table.c.method, table.c.state,
                    sa.func.count()).where(
                        table.c.state != agent_actions.DONE).group_by(
                        table.c.host, table.c.method, table.c.state)).all()
            self.addDetail('open-actions', content.text_content(
                '\n'.join(str(tuple(r)) for r in left)))
            raise

    def _abort_the_rest(self, port, mids):
        for uuid, mid in mids.items():
            migration = db_migrations.migration_get(self.context, mid)
            if migration['status'] != 'running':
                continue
            resp = self.request(
                'DELETE', '/v2.1/servers/%s/migrations/%d' % (uuid, mid))
            self.assertEqual(202, resp.status_code, resp.body)
        self._drain(starts=True)
        for mid in mids.values():
            agents.wait_for(
                lambda: db_migrations.migration_get(
                    self.context, mid)['status']
                in TERMINAL, 120, 'migration %s to end' % mid)

    def _check(self, mids, accepted, rounds):
        actions = db_actions.ACTIONS
        events = db_actions.EVENTS
        table = agent_actions.AGENT_ACTIONS
        uuids = list(mids)
        with db_engine.get_engine().connect() as conn:
            forced = conn.execute(sa.select(actions.c.id).where(
                actions.c.instance_uuid.in_(uuids),
                actions.c.action == 'live_migration_force_complete')
            ).scalars().all()
            rows = {r.action_id: r for r in conn.execute(
                sa.select(table).where(table.c.instance_uuid.in_(uuids)))}
            event_rows = collections.defaultdict(list)
            for e in conn.execute(sa.select(events).where(
                    events.c.action_id.in_(list(rows)))):
                event_rows[e.action_id].append(e)
        # Every 202 was recorded; wrk stops counting with at most one
        # request in flight per connection, which the server finishes.
        self.assertGreaterEqual(len(forced), accepted)
        self.assertLessEqual(len(forced), accepted + CONNECTIONS * (
            rounds + 1))
        self.assertGreaterEqual(accepted, min(TARGET, 1000))
        results = collections.Counter()
        for action_id, row in rows.items():
            # One action for the agent per instance action, closed.
            self.assertEqual(agent_actions.DONE, row.state, row)
            # Exactly one final event: carried out once.
            [event] = event_rows[action_id]
            self.assertIsNotNone(event.finish_time, event)
            self.assertEqual(row.result, event.result, (row, event))
            if event.result == 'Error':
                # An Error says why.
                self.assertTrue(event.traceback, event)
            results[(row.method, row.result)] += 1
        self.assertEqual(set(forced) | set(rows), set(rows))
        summary = {'%s %s' % k: v for k, v in results.items()}
        self.addDetail('results', content.text_content(
            '%d accepted, %d recorded\n%s' % (accepted, len(forced),
                                              json.dumps(summary))))
        # Every migration ended once, and its server agrees with it.
        for uuid, mid in mids.items():
            migration = db_migrations.migration_get(self.context, mid)
            server = db_instances.instance_get(self.context, uuid)
            self.assertIn(migration['status'], TERMINAL)
            self.assertIsNone(server['task_state'], server)
            expected = (self.dest if migration['status'] == 'completed'
                        else migration['source_compute'])
            self.assertEqual(expected, server['host'], (migration, server))
        # The agent that was killed ended its migrations as "error" at its
        # restart; the other's were aborted at the end.
        for uuid in self.servers[self.sources[0]]:
            self.assertEqual('cancelled', db_migrations.migration_get(
                self.context, mids[uuid])['status'])
        for uuid in self.servers[self.sources[1]]:
            self.assertEqual('error', db_migrations.migration_get(
                self.context, mids[uuid])['status'])
