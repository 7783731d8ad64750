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

"""Tests of the simulated hypervisor (server_migrations.virt.fake)."""

import json
import os
import threading

import fixtures

from server_migrations import exception
from server_migrations.tests import base as sm_base
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.virt import driver
from server_migrations.virt import fake

MiB = fake.MiB


class RecordingMonitor(driver.MigrationMonitor):
    def __init__(self):
        self.stats = []
        self.post_copy = 0
        self.ticked = threading.Condition()

    def progress(self, stats):
        with self.ticked:
            self.stats.append(stats)
            self.ticked.notify_all()

    def post_copy_started(self):
        self.post_copy += 1

    def wait_ticks(self, count, timeout=30):
        with self.ticked:
            ok = self.ticked.wait_for(lambda: len(self.stats) >= count,
                                      timeout)
        assert ok, 'only %d progress reports' % len(self.stats)


class SimulationTest(sm_base.BaseTestCase):
    """The arithmetic of one step, without threads or clocks."""

    def _sim(self, memory_mb=100, disk_gb=0, dirty=5.0, bandwidth=10.0,
             block=False):
        return fake._Simulation(fake._Guest(memory_mb, disk_gb, dirty),
                                block, bandwidth, 1.0)

    def test_converges_when_the_rest_fits_in_one_step(self):
        sim = self._sim()
        remaining = [sim.memory_remaining]
        done = False
        while not done:
            done = sim.advance()
            remaining.append(sim.memory_remaining)
        # 100 - 10 + 5 = 95, then 5 MiB less per step until under 10 MiB.
        self.assertEqual(95 * MiB, remaining[1])
        self.assertEqual(90 * MiB, remaining[2])
        self.assertEqual(0, remaining[-1])
        # The last pre-copy step left 10 MiB: not yet under one step.
        self.assertEqual(10 * MiB, remaining[-2])
        self.assertEqual(sim.stats()['memory_total'], 100 * MiB)
        # Everything re-sent counts as processed: more than the total.
        self.assertGreater(sim.memory_processed, 100 * MiB)

    def test_never_converges_when_dirtying_as_fast_as_copying(self):
        sim = self._sim(dirty=10.0)
        for _ in range(1000):
            self.assertFalse(sim.advance())
        self.assertEqual(100 * MiB, sim.memory_remaining)

    def test_pause_stops_dirtying(self):
        sim = self._sim(dirty=50.0)
        for _ in range(5):
            self.assertFalse(sim.advance())
        sim.paused = True
        steps = 0
        while not sim.advance():
            steps += 1
        self.assertLessEqual(steps, 10)
        self.assertEqual(0, sim.memory_remaining)

    def test_post_copy_pulls_the_remaining_pages(self):
        sim = self._sim(dirty=50.0)
        sim.advance()
        sim.post_copy = True
        before = sim.memory_remaining
        self.assertFalse(sim.advance())
        self.assertEqual(before - 10 * MiB, sim.memory_remaining)
        while not sim.advance():
            pass
        self.assertEqual(0, sim.memory_remaining)

    def test_block_migration_copies_disk_first(self):
        sim = self._sim(memory_mb=10, disk_gb=1, bandwidth=512.0, dirty=0,
                        block=True)
        self.assertEqual(1024 * MiB, sim.stats()['disk_total'])
        self.assertFalse(sim.advance())
        self.assertEqual(512 * MiB, sim.stats()['disk_processed'])
        self.assertEqual(10 * MiB, sim.memory_remaining)
        # The disk is done and the 10 MiB left fit in the final pause.
        self.assertTrue(sim.advance())
        self.assertEqual(0, sim.stats()['disk_remaining'])
        self.assertEqual(0, sim.memory_remaining)

    def test_no_disk_without_block_migration(self):
        stats = self._sim(disk_gb=20).stats()
        self.assertEqual(0, stats['disk_total'])
        self.assertEqual(0, stats['disk_remaining'])


class FakeDriverTest(sm_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(sm_fixtures.ConfFixture()).conf
        self.conf.set_override('step_seconds', 0.005, group='fake_driver')
        self.driver = fake.FakeDriver(self.conf, 'h1')
        self.instance = {'uuid': 'u-1', 'host': 'h1', 'memory_mb': 64,
                         'root_gb': 1}

    def _guests(self, entries, name='guests.json', dump=json.dumps):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, name)
        with open(path, 'w') as stream:
            stream.write(dump(entries))
        self.conf.set_override('guests_file', path, group='fake_driver')

    def _start(self, block=False, dest='h2'):
        monitor = RecordingMonitor()
        outcome = {}

        def run():
            try:
                outcome['result'] = self.driver.live_migration(
                    self.instance, {'id': 1}, dest, block, monitor)
            except Exception as exc:
                outcome['error'] = exc
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 30)
        return monitor, outcome, thread

    def _finish(self, thread, outcome):
        thread.join(30)
        self.assertFalse(thread.is_alive())
        return outcome

    def _busy_guest(self, memory_mb=64):
        self._guests({'u-1': {'memory_mb': memory_mb,
                              'dirty_rate_mbps': 4096}})

    def test_converging_migration_completes_with_progress(self):
        monitor, outcome, thread = self._start()
        self.assertEqual({'result': driver.COMPLETED},
                         self._finish(thread, outcome))
        first, last = monitor.stats[0], monitor.stats[-1]
        self.assertEqual(64 * MiB, first['memory_total'])
        self.assertEqual(0, first['memory_processed'])
        self.assertEqual(0, last['memory_remaining'])
        self.assertGreaterEqual(last['memory_processed'], 64 * MiB)
        processed = [s['memory_processed'] for s in monitor.stats]
        self.assertEqual(sorted(processed), processed)

    def test_block_migration_reports_disk(self):
        self.conf.set_override('bandwidth_mbps', 200000, group='fake_driver')
        monitor, outcome, thread = self._start(block=True)
        self._finish(thread, outcome)
        self.assertEqual(driver.COMPLETED, outcome['result'])
        self.assertEqual(1024 * MiB, monitor.stats[-1]['disk_total'])
        self.assertEqual(1024 * MiB, monitor.stats[-1]['disk_processed'])

    def test_busy_guest_runs_until_aborted(self):
        self._busy_guest()
        monitor, outcome, thread = self._start()
        monitor.wait_ticks(20)
        self.assertTrue(thread.is_alive())
        self.assertGreater(monitor.stats[-1]['memory_remaining'], 0)
        self.driver.live_migration_abort(self.instance)
        self.assertEqual({'result': driver.CANCELLED},
                         self._finish(thread, outcome))
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          self.driver.live_migration_abort, self.instance)

    def test_force_complete_with_post_copy(self):
        self._busy_guest()
        monitor, outcome, thread = self._start()
        monitor.wait_ticks(3)
        self.assertEqual(driver.POST_COPY,
                         self.driver.live_migration_force_complete(
                             self.instance))
        try:
            self.driver.live_migration_abort(self.instance)
        except exception.LiveMigrationAbortFailed:
            pass  # post-copy cannot be undone
        except exception.NoActiveMigrationForInstance:
            pass  # it had already finished
        self.assertEqual({'result': driver.COMPLETED},
                         self._finish(thread, outcome))

    def test_abort_refused_in_post_copy(self):
        self._busy_guest(memory_mb=100000)
        self.conf.set_override('bandwidth_mbps', 1, group='fake_driver')
        monitor, outcome, thread = self._start()
        monitor.wait_ticks(2)
        self.driver.live_migration_force_complete(self.instance)
        self.assertRaises(exception.LiveMigrationAbortFailed,
                          self.driver.live_migration_abort, self.instance)
        # Repeated force-complete is harmless.
        self.assertEqual(driver.POST_COPY,
                         self.driver.live_migration_force_complete(
                             self.instance))
        # Stopping the agent lets the destination finish on its own.
        self.driver.cleanup_host()
        self.assertEqual({'result': driver.COMPLETED},
                         self._finish(thread, outcome))

    def test_force_complete_after_an_abort_finds_nothing(self):
        # Abort then force-complete before the copy loop notices the abort:
        # the guest stays on the source, so post-copy must not start.
        self._busy_guest(memory_mb=100000)
        self.conf.set_override('bandwidth_mbps', 1, group='fake_driver')
        monitor, outcome, thread = self._start()
        monitor.wait_ticks(2)
        self.driver.live_migration_abort(self.instance)
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          self.driver.live_migration_force_complete,
                          self.instance)
        self.assertEqual({'result': driver.CANCELLED},
                         self._finish(thread, outcome))

    def test_force_complete_pauses_without_post_copy(self):
        self.conf.set_override('permit_post_copy', False,
                               group='fake_driver')
        self._busy_guest()
        monitor, outcome, thread = self._start()
        monitor.wait_ticks(3)
        self.assertEqual(driver.PAUSED,
                         self.driver.live_migration_force_complete(
                             self.instance))
        self.assertEqual({'result': driver.COMPLETED},
                         self._finish(thread, outcome))
        self.assertFalse(self.driver.is_paused('u-1'))

    def test_paused_guest_is_resumed_when_aborted(self):
        self.conf.set_override('permit_post_copy', False,
                               group='fake_driver')
        self.conf.set_override('bandwidth_mbps', 0.01, group='fake_driver')
        monitor, outcome, thread = self._start()
        monitor.wait_ticks(2)
        self.driver.live_migration_force_complete(self.instance)
        self.assertTrue(self.driver.is_paused('u-1'))
        self.driver.live_migration_abort(self.instance)
        self.assertEqual({'result': driver.CANCELLED},
                         self._finish(thread, outcome))
        self.assertFalse(self.driver.is_paused('u-1'))

    def test_actions_without_a_migration(self):
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          self.driver.live_migration_force_complete,
                          self.instance)
        self.assertRaises(exception.NoActiveMigrationForInstance,
                          self.driver.live_migration_abort, self.instance)

    def test_simulated_failure_and_error(self):
        self._guests({'u-1': {'dirty_rate_mbps': 4096,
                              'fail_after_steps': 3}})
        _monitor, outcome, thread = self._start()
        self.assertEqual({'result': driver.FAILED},
                         self._finish(thread, outcome))
        self._guests({'u-1': {'dirty_rate_mbps': 4096,
                              'error_after_steps': 2}})
        _monitor, outcome, thread = self._start()
        self.assertIsInstance(self._finish(thread, outcome)['error'],
                              exception.ServerMigrationsException)

    def test_refuses_a_guest_of_another_host_or_itself(self):
        self.instance['host'] = 'other'
        _m, outcome, thread = self._start()
        self.assertIn('error', self._finish(thread, outcome))
        self.instance['host'] = 'h1'
        _m, outcome, thread = self._start(dest='h1')
        self.assertIn('error', self._finish(thread, outcome))

    def test_guest_sizes_from_file_record_and_defaults(self):
        self.conf.set_override('default_memory_mb', 333,
                               group='fake_driver')
        self.conf.set_override('default_dirty_rate_mbps', 7,
                               group='fake_driver')
        self._guests('u-1:\n  memory_mb: 512\n  disk_gb: 3\n'
                     '  dirty_rate_mbps: 99\n', name='guests.yaml',
                     dump=str)
        guest = self.driver.guest(self.instance)
        self.assertEqual((512 * MiB, 3 * 1024 * MiB, 99 * MiB),
                         (guest.memory, guest.disk, guest.dirty_rate))
        guest = self.driver.guest({'uuid': 'u-2', 'memory_mb': 128,
                                   'root_gb': 5})
        self.assertEqual((128 * MiB, 5 * 1024 * MiB, 7 * MiB),
                         (guest.memory, guest.disk, guest.dirty_rate))
        guest = self.driver.guest({'uuid': 'u-3'})
        self.assertEqual((333 * MiB, 0), (guest.memory, guest.disk))

    def test_loaded_by_stevedore(self):
        loaded = driver.load_driver(self.conf, 'h9')
        self.assertIsInstance(loaded, fake.FakeDriver)
        self.assertEqual('h9', loaded.host)
