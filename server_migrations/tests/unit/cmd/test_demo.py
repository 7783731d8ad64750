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

"""The all-in-one demo's design: each migration keeps its promise.

The simulated hypervisor is stepped by hand here (no clock): the demo's
sizes and rates at the demo's bandwidth must make the converging one take
minutes and the stuck and busy ones never end until forced.
"""

from server_migrations.cmd import demo_data as demo
from server_migrations.cmd import demo_printout
from server_migrations.tests import base
from server_migrations.virt import fake

STEP_SECONDS = 1.0


def steps_to_converge(name, limit):
    _role, _client, memory_mb, dirty, _why = demo.SERVERS[name]
    sim = fake._Simulation(fake._Guest(memory_mb, 0, dirty), False,
                           demo.BANDWIDTH_MBPS, STEP_SECONDS)
    for step in range(1, limit + 1):
        if sim.advance():
            return step
    return None


class DemoDesignTest(base.BaseTestCase):

    def test_converging_takes_minutes(self):
        steps = steps_to_converge('demo-converging', 3600)
        self.assertIsNotNone(steps)
        self.assertGreaterEqual(steps * STEP_SECONDS, 5 * 60)
        self.assertLessEqual(steps * STEP_SECONDS, 7 * 60)
        self.assertIn('about 6 minutes', demo.SERVERS['demo-converging'][4])

    def test_stuck_and_busy_never_converge(self):
        for name, (role, *_rest) in demo.SERVERS.items():
            if role in (demo.STUCK, demo.BUSY):
                # A day of simulated copying.
                self.assertIsNone(steps_to_converge(name, 86400), name)

    def test_layout_keeps_the_queued_ones_behind_demo_busy(self):
        for hosts in (['c1', 'c2', 'c3'], ['c1', 'c2', 'c3', 'c4']):
            placement, slots = demo.layout(hosts)
            self.assertEqual(1, slots[hosts[-1]])
            on_slot_host = sorted(n for n, (src, _d) in placement.items()
                                  if src == hosts[-1])
            self.assertEqual(['demo-busy', 'demo-queued', 'demo-queued-cli',
                              'demo-queued-sdk'], on_slot_host)
            for name, (source, dest) in placement.items():
                self.assertNotEqual(source, dest, name)
                self.assertNotEqual(hosts[-1], dest, name)
            for host in hosts[:-1]:
                running = [n for n, (src, _d) in placement.items()
                           if src == host]
                self.assertGreaterEqual(slots[host], len(running) + 1)

    def test_one_stuck_and_one_queued_per_client(self):
        for role in (demo.STUCK, demo.QUEUED):
            self.assertEqual(
                ['demo-%s' % role, 'demo-%s-sdk' % role,
                 'demo-%s-cli' % role],
                [demo.named(role, c) for c in ('curl', 'sdk', 'cli')])


class PrintoutTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.servers = {name: {'uuid': '%08d-0000-0000-0000-000000000000' % i}
                        for i, name in enumerate(demo.SERVERS)}
        self.migrations = {name: {'id': i + 1, 'uuid': 'u%d' % i}
                           for i, name in enumerate(demo.SERVERS)}
        self.text = demo_printout.instructions(
            'http://127.0.0.1:8774', self.servers, self.migrations,
            '/s/server-migrations.conf', 'compute3')

    def test_says_what_each_is_for(self):
        for name in demo.SERVERS:
            row = [ln for ln in self.text.splitlines()
                   if ln.startswith('  %s ' % name)]
            self.assertEqual(1, len(row), name)
        self.assertIn("holds compute3's only slot", self.text)

    def test_rescues_with_every_client(self):
        lines = self.text.splitlines()
        for client in ('curl ', 'python3 ', 'openstack '):
            users = [ln for ln in lines if ln.startswith(client)]
            self.assertTrue(any('force' in ln for ln in users), client)
            self.assertTrue(any('DELETE' in ln or 'abort' in ln
                                for ln in users), client)
        # No unexplained environment tricks.
        self.assertNotIn('env -i', self.text)
