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

"""The libvirt driver hands libvirt's convergence statistics to the agent."""

from server_migrations.compute import convergence
from server_migrations import exception
from server_migrations.tests.unit.virt.libvirt import fakelibvirt as fake
from server_migrations.tests.unit.virt.libvirt import helpers
from server_migrations.virt import driver as driver_mod
from server_migrations.virt.libvirt import migration

GIB = fake.GIB
MIB = 1024 * 1024


def reading(iteration, remaining, dirty_mib=None, bps_mib=100):
    stats = fake.running(memory_processed=4 * GIB - remaining)
    stats.update(memory_iteration=iteration, memory_bps=bps_mib * MIB,
                 memory_page_size=4096, downtime=remaining * 1000 //
                 (bps_mib * MIB))
    if dirty_mib is not None:
        stats['memory_dirty_rate'] = dirty_mib * MIB // 4096  # pages/s
    return stats


class JobStatsConvergenceTest(helpers.LibvirtTestCase):

    def judge(self, readings):
        # Read every 0.5 s, reported every 1 s: each reading twice.
        script = [r for r in readings for _twice in (1, 2)]
        domain = fake.FakeDomain(helpers.UUID, script + [fake.CANCELLED])
        self.assertEqual(driver_mod.CANCELLED,
                         self.result(self.start(self.make_driver(domain))))
        tracker = convergence.Tracker(clock=lambda: 0.0)
        return [tracker.update(stats) for stats in self.monitor.reports]

    def test_dirtier_than_the_link_is_reported_by_pass_two(self):
        verdicts = self.judge([reading(1, 4 * GIB), reading(1, 3 * GIB),
                               reading(2, 4 * GIB, dirty_mib=150)])
        self.assertEqual([None, None, False],
                         [v.converging for v in verdicts])
        self.assertEqual((150 * MIB, 100 * MIB),
                         (verdicts[-1].dirty_rate,
                          verdicts[-1].transfer_rate))

    def test_shrinking_passes_converge_with_an_eta(self):
        verdicts = self.judge([reading(1, 4 * GIB),
                               reading(2, GIB, dirty_mib=20),
                               reading(3, 256 * MIB, dirty_mib=20)])
        self.assertEqual([None, True, True],
                         [v.converging for v in verdicts])
        self.assertAlmostEqual(256 / 80.0, verdicts[-1].eta)
        self.assertEqual(2560, verdicts[-1].expected_downtime)


class TuneTest(helpers.LibvirtTestCase):

    def test_downtime_and_bandwidth_go_to_the_job(self):
        domain = fake.FakeDomain(helpers.UUID, [reading(1, 4 * GIB)])
        driver = self.make_driver(domain)
        future = self.start(driver)
        self.wait_holding(domain)
        driver.live_migration_tune(helpers.INSTANCE, max_downtime=700,
                                   bandwidth=4096)
        self.assertEqual((700, 4096), (domain.max_downtime, domain.max_speed))
        domain.finish(fake.COMPLETED)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))

    def test_no_job_no_tune(self):
        driver = self.make_driver(fake.FakeDomain(helpers.UUID, []))
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          driver.live_migration_tune, helpers.INSTANCE,
                          bandwidth=1)


class DowntimeLadderTest(helpers.LibvirtTestCase):

    def test_steps(self):
        self.assertEqual([(75, 95), (150, 140), (225, 185), (300, 230),
                          (375, 275), (450, 320), (525, 365), (600, 410),
                          (675, 455), (750, 500)],
                         migration.downtime_steps(500, 10, 75, 0.5))
        self.assertEqual([(60, 555), (120, 777), (180, 1000)],
                         migration.downtime_steps(1000, 3, 20, 3))

    def ladder_flags(self):
        # Readings every 0.5 s on the test clock; the guest counts as
        # 2 GiB, so the 3 steps come every 6 s: at 6, 12 and 18 s.
        self.flags(live_migration_downtime=900,
                   live_migration_downtime_steps=3,
                   live_migration_downtime_delay=3)

    def test_the_monitor_climbs_it(self):
        self.ladder_flags()
        # 30 readings: 0 to 14.5 s. Two steps climbed (900 ms in 3 steps).
        domain = fake.FakeDomain(
            helpers.UUID, [reading(1, GIB) for _ in range(30)] +
            [fake.COMPLETED])
        driver = self.make_driver(domain)
        self.assertEqual(driver_mod.COMPLETED,
                         self.result(self.start(driver)))
        self.assertEqual(['migrateToURI3', 'migrateSetMaxDowntime',
                          'migrateSetMaxDowntime'], domain.calls)
        self.assertEqual(700, domain.max_downtime)

    def test_an_operators_downtime_stops_the_ladder(self):
        self.ladder_flags()
        self.clock.frozen = True  # at 0 s until tuned
        domain = fake.FakeDomain(helpers.UUID, [reading(1, GIB)])
        driver = self.make_driver(domain)
        future = self.start(driver)
        self.wait_holding(domain)
        driver.live_migration_tune(helpers.INSTANCE, max_downtime=2000)
        self.clock.frozen = False
        # 50 more readings: 25 s, past every step of the ladder.
        self.assertTrue(domain.wait_reads(domain.reads + 50))
        domain.finish(fake.COMPLETED)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertEqual((2000, 1),
                         (domain.max_downtime,
                          domain.calls.count('migrateSetMaxDowntime')))
