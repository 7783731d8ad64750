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

"""The standalone API under uWSGI with hundreds of connections.

wrk drives a mix of list, show, force-complete, abort and refused requests
against uWSGI workers on PostgreSQL and RabbitMQ. Every answer must be one
of the mix's expected codes, with no socket error; every action record must
have its cast and its committed agent action; the workers' memory is read
before and after the main run.

``SERVER_MIGRATIONS_LOAD_SECONDS`` lengthens the main run (default 60 s).
"""

import datetime
import json
import os
import time

import fixtures
from oslo_utils import uuidutils
import sqlalchemy as sa
from testtools import content

from benchmarks import servers
from server_migrations import compute
from server_migrations.db import agent_actions
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import services as db_services
from server_migrations import rpc
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack
from server_migrations.tests.integration import backends
from server_migrations.tests.integration import shipped_uwsgi
from server_migrations.tests.integration import wrk

RABBIT = 'rabbit://guest:guest@127.0.0.1:5672/'
CONNECTIONS = 300
WARM_SECONDS = 10
MAIN_SECONDS = int(os.environ.get('SERVER_MIGRATIONS_LOAD_SECONDS', '60'))
EXPECTED_CODES = {200, 202, 404, 409}
LAUNCHED = datetime.datetime(2020, 1, 1)

# Cycles through the mix (wrk.REPORT counts the answers).
LUA = '''
    function init(args)
      local base = "/v2.1/servers/" .. args[1]
      local mig = base .. "/migrations/" .. args[2]
      local hdr = {["X-Auth-Token"] = args[3],
                   ["OpenStack-API-Version"] = "compute 2.80",
                   ["Content-Type"] = "application/json"}
      codes = {}
      i = 0
      reqs = {
        wrk.format("GET", "/v2.1/servers", hdr),
        wrk.format("GET", "/v2.1/servers/detail", hdr),
        wrk.format("GET", base, hdr),
        wrk.format("GET", base .. "/migrations", hdr),
        wrk.format("GET", mig, hdr),
        wrk.format("POST", mig .. "/action", hdr, '{"force_complete": null}'),
        wrk.format("DELETE", mig, hdr),
        wrk.format("GET", base .. "/migrations/2147483647", hdr),
        wrk.format("POST", base .. "/action", hdr,
                   '{"os-migrateLive": {"host": null, ' ..
                   '"block_migration": "auto"}}'),
      }
    end
    function request()
      i = i + 1
      return reqs[(i % #reqs) + 1]
    end
'''


def _status(pid):
    """VmRSS and VmHWM (peak) of a process, in KiB."""
    values = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            name, _sep, rest = line.partition(':')
            if name in ('VmRSS', 'VmHWM'):
                values[name] = int(rest.split()[0])
    return values


def _memory(master_pid):
    workers = [p for p in servers.descendants(master_pid)
               if p != master_pid]
    return {pid: _status(pid) for pid in sorted(workers)}


class LoadTestCase(backends.ProvisionedDatabase, stack.APITestCase):

    FIXTURE = sm_fixtures.PostgresqlDatabase

    def setUp(self):
        super().setUp()
        self.conf.set_override('transport_url', RABBIT)
        rpc.reset()
        # Host names of this run only: no other consumer shares them.
        self.src = 'load-src-%s' % uuidutils.generate_uuid()
        self.dst = 'load-dst-%s' % uuidutils.generate_uuid()
        self.computes = self.useFixture(stack.RecordingComputes(
            self.conf, [self.src]))
        for host in (self.src, self.dst):
            db_services.service_heartbeat(self.context, host, compute.BINARY,
                                          'compute', '1.0')
        values = {'user_id': 'owner', 'host': self.src, 'node': self.src,
                  'launched_at': LAUNCHED}
        self.server = sm_fixtures.make_instance(self.context, **values)
        for n in range(20):
            sm_fixtures.make_instance(self.context, task_state=None,
                                      display_name='vm-%d' % n, **values)
        self.migration = sm_fixtures.make_migration(
            self.context, self.server['uuid'], source_compute=self.src,
            dest_compute=self.dst)
        self.work = self.useFixture(fixtures.TempDir()).path
        url = db_engine.get_engine().url.render_as_string(hide_password=False)
        self.env = backends.api_config(self.work, url, RABBIT)
        self.script = wrk.write_script(
            os.path.join(self.work, 'mix.lua'), LUA)

    def _wrk(self, port, seconds):
        return wrk.run(self.script, port, CONNECTIONS, seconds, [
            self.server['uuid'], str(self.migration['id']), 'admin:p1'])

    def test_hundreds_of_connections(self):
        env = self.env
        # The shipped example as it is (its listen backlog included).
        with shipped_uwsgi.ShippedUWSGI(env, self.work) as server:
            warm_codes, warm_errors, _out = self._wrk(server.port,
                                                      WARM_SECONDS)
            start = _memory(server.proc.pid)
            codes, errors, out = self._wrk(server.port, MAIN_SECONDS)
            end = _memory(server.proc.pid)
            # wrk stops counting with requests still in flight (at most
            # one per connection); the server finishes them, records,
            # casts and all: compare once records and casts have settled,
            # while the workers still run.
            recorded, cast = self._settled()
        report = {'warm-up': {'codes': warm_codes, 'errors': warm_errors},
                  'main': {'codes': codes, 'errors': errors,
                           'seconds': MAIN_SECONDS},
                  'rss_kib_start': start, 'rss_kib_end': end}
        self.addDetail('load', content.json_content(report))
        self.addDetail('wrk', content.text_content(out))
        print(json.dumps(report))
        for run in (warm_codes, codes):
            self.assertEqual(set(), set(run) - EXPECTED_CODES, run)
            # Every part of the mix was answered, not only one kind.
            self.assertEqual(EXPECTED_CODES, set(run))
        for run in (warm_errors, errors):
            self.assertEqual({'connect': 0, 'read': 0, 'write': 0,
                              'timeout': 0}, run)
        accepted = warm_codes[202] + codes[202]
        self.assertGreaterEqual(len(recorded), accepted)
        self.assertLessEqual(len(recorded), accepted + CONNECTIONS)
        # Each cast has its record, and each record its cast.
        self.assertEqual(set(), set(cast) - set(recorded))
        self.assertEqual(set(), set(recorded) - set(cast))
        self.assertEqual(len(recorded), len(set(recorded)))
        # Each record was committed with its action for the agent.
        table = agent_actions.AGENT_ACTIONS
        with db_engine.get_engine().connect() as conn:
            pending = conn.execute(sa.select(sa.func.count()).select_from(
                table).where(table.c.instance_uuid ==
                             self.server['uuid'])).scalar()
        self.assertEqual(len(recorded), pending)
        # Memory stays flat: same workers, no worker grew by more than a
        # quarter (plus slack for allocator noise) over the main run.
        self.assertEqual(sorted(start), sorted(end))
        for pid in start:
            self.assertLessEqual(
                end[pid]['VmRSS'],
                start[pid]['VmRSS'] * 1.25 + 16 * 1024, report)

    def _settled(self, timeout=120):
        """Action request ids and cast request ids, once they agree.

        Gives up after ``timeout`` seconds and returns them as they are.
        """
        endpoint = self.computes.endpoints[self.src]
        deadline = time.monotonic() + timeout
        while True:
            recorded = sorted(a['request_id'] for a in db_actions.actions_get(
                self.context, self.server['uuid']))
            cast = sorted(c.request_id for _m, _kw, c in
                          list(endpoint.casts))
            if recorded == cast or time.monotonic() > deadline:
                return recorded, cast
            time.sleep(0.5)
