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

"""Concurrent aborts and force-completes while the agent moves a migration.

Threads send both actions for the same migration through the API over the
real broker while the agents' copy runs (and finishes on its own in some
rounds). Every answer is 202 or a documented refusal (400, 409); every 202
has its action record and no refusal has one; every action is answered by
the agent; the migration ends in exactly one terminal status, consistent
with the server's host and task state. On SQLite, PostgreSQL and MariaDB.
"""

import os
import random
import threading
import time

import fixtures
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import test_fixtures
from oslo_utils import uuidutils
from testtools import content

from server_migrations.api import deploy
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import models
from server_migrations import rpc
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack
from server_migrations.tests.integration import agents
from server_migrations.tests.integration import backends

THREADS = 8
REQUESTS_PER_THREAD = 3
TERMINAL = ('completed', 'failed', 'error', 'cancelled')
ACTIONS = {'abort': 'live_migration_cancel',
           'force_complete': 'live_migration_force_complete'}
# Guests of the rounds: one the copy finishes on its own while the
# requests arrive, one that only a force-complete (post-copy) finishes.
ROUNDS = (
    {'memory_mb': 256, 'dirty_rate_mbps': 0},
    {'memory_mb': 64, 'dirty_rate_mbps': 100000},
    {'memory_mb': 1024, 'dirty_rate_mbps': 512},
)


class _RacesMixin:

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.conf.set_override('transport_url', agents.RABBIT_URL)
        self.conf.set_override('cast_timeout', 10, group='api')
        rpc.reset()
        self.app = deploy.loadapp(self.conf)
        suffix = uuidutils.generate_uuid()[:8]
        self.hosts = ('race-a-' + suffix, 'race-b-' + suffix)
        self.guests_file = os.path.join(self.tmp, 'guests.json')
        agents.write_guests(self.guests_file, {})
        url = db_engine.get_engine().url.render_as_string(hide_password=False)
        for host in self.hosts:
            proc = agents.AgentProcess(self.tmp, host, url,
                                       self.guests_file)
            self.addCleanup(proc.kill)
            self.addOnException(self._log_detail(host, proc))
            proc.start(self.context)

    def _log_detail(self, host, proc):
        return lambda _exc: self.addDetail(
            'log-' + host, content.text_content(
                proc.log()))

    def _actions(self, uuid):
        return [a for a in db_actions.actions_get(self.context, uuid)
                if a['action'] in ACTIONS.values()]

    def _send(self, rng, path, results):
        for _ in range(REQUESTS_PER_THREAD):
            time.sleep(rng.uniform(0, 0.25))
            kind = rng.choice(sorted(ACTIONS))
            if kind == 'abort':
                resp = self.request('DELETE', path)
            else:
                resp = self.request('POST', path + '/action',
                                    body={'force_complete': None})
            results.append((kind, resp.status_code,
                            resp.headers.get('x-compute-request-id'),
                            resp.body))

    def test_concurrent_actions_settle_once(self):
        uuid = sm_fixtures.make_instance(
            self.context, user_id='owner', host=self.hosts[0],
            node=self.hosts[0], task_state=None, memory_mb=64,
            display_name='raced')['uuid']
        self.outcomes = []
        self.addDetail('outcomes', content.Content(
            content.UTF8_TEXT, lambda: [repr(self.outcomes).encode()]))
        for index, guest in enumerate(ROUNDS):
            agents.write_guests(self.guests_file, {uuid: guest})
            self._round(uuid, random.Random(index))

    def _round(self, uuid, rng):
        source = db_instances.instance_get(self.context, uuid)['host']
        dest = [h for h in self.hosts if h != source][0]
        before = {a['request_id'] for a in self._actions(uuid)}
        resp = self.request('POST', '/v2.1/servers/%s/action' % uuid,
                            body={'os-migrateLive': {
                                'host': dest, 'block_migration': 'auto'}})
        self.assertEqual(202, resp.status_code, resp.body)
        migration = max(db_migrations.migration_get_all(self.context,
                                                        instance_uuid=uuid),
                        key=lambda m: m['id'])
        path = '/v2.1/servers/%s/migrations/%d' % (uuid, migration['id'])
        results = []
        threads = [threading.Thread(
            target=self._send,
            args=(random.Random(rng.random()), path, results))
            for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(THREADS * REQUESTS_PER_THREAD, len(results))
        for kind, status, _rid, body in results:
            self.assertIn(status, (202, 400, 409), (kind, body))
        accepted = sorted(rid for _k, status, rid, _b in results
                          if status == 202)
        # Every 202 has its action record; no refusal has one.
        recorded = [a for a in self._actions(uuid)
                    if a['request_id'] not in before]
        self.assertEqual(accepted, sorted(a['request_id']
                                          for a in recorded))
        for action in recorded:
            kind = [k for k, _s, rid, _b in results
                    if rid == action['request_id']][0]
            self.assertEqual(ACTIONS[kind], action['action'])
        # A busy guest is only finished by the actions: the round must
        # have had at least one accepted.
        final = agents.wait_for(lambda: self._terminal(migration['id']),
                                what='migration %s to end' %
                                migration['id'])
        # The agent answered every accepted action (Success or Error).
        try:
            agents.wait_for(lambda: self._all_answered(recorded),
                            what='every action to be answered')
        except AssertionError:
            raise AssertionError('unanswered: %s; migration %s' % (
                [(a['action'], a['request_id'], db_actions.action_events_get(
                    self.context, a['id'])) for a in recorded
                 if not self._all_answered([a])],
                db_migrations.migration_get(self.context, migration['id'])))
        self.outcomes.append({
            'final': final,
            'answers': sorted('%s %s' % (k, st) for k, st, _r, _b in results),
        })
        # Terminal means terminal: nothing moves it afterwards.
        self.assertEqual(final, self._terminal(migration['id']))
        server = db_instances.instance_get(self.context, uuid)
        expected_host = dest if final == 'completed' else source
        self.assertEqual((expected_host, expected_host, None, 'active'),
                         (server['host'], server['node'],
                          server['task_state'], server['vm_state']),
                         final)
        self.assertEqual([], [m for m in db_migrations.migration_get_all(
            self.context, instance_uuid=uuid)
            if m['status'] not in TERMINAL])

    def _terminal(self, migration_id):
        status = db_migrations.migration_get(
            self.context, migration_id)['status']
        return status if status in TERMINAL else None

    def _all_answered(self, actions):
        for action in actions:
            events = db_actions.action_events_get(self.context, action['id'])
            if not events or not all(e['finish_time'] for e in events):
                return False
        return True


class _SQLiteFile(fixtures.Fixture):
    """A SQLite file for the API and the agent processes to share.

    Not the Database fixture: with the opportunistic MySQL/PostgreSQL
    cases in the same process, oslo.db's per-driver resource cache marks
    SQLite unavailable for it.
    """

    def _setUp(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'races.sqlite')
        facade = enginefacade.transaction_context()
        facade.configure(connection='sqlite:///%s' % path)
        engine = facade.writer.get_engine()
        self.addCleanup(engine.dispose)
        models.BASE.metadata.create_all(engine)
        self.useFixture(test_fixtures.ReplaceEngineFacadeFixture(
            db_engine._CTX, facade))


class TestRacesSQLite(_RacesMixin, stack.APITestCase):
    """One SQLite file shared by the API and the agent processes."""

    DATABASE = _SQLiteFile


class _Backend(backends.ProvisionedDatabase, stack.APITestCase):
    """The mixed-in tests on a provisioned database."""


class TestRacesMySQL(_RacesMixin, _Backend):
    FIXTURE = sm_fixtures.MySQLDatabase


class TestRacesPostgreSQL(_RacesMixin, _Backend):
    FIXTURE = sm_fixtures.PostgresqlDatabase
