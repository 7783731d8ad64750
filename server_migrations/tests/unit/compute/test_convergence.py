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

"""Convergence judged per copy iteration, from the simulated hypervisor's
statistics and from libvirt's job statistics."""

import testtools

from server_migrations.compute import convergence
from server_migrations.virt import fake
from server_migrations.virt.libvirt import migration

MiB = fake.MiB


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def simulate(memory_mb, bandwidth, dirty, step=1.0, max_steps=400):
    """Run a simulated copy step by step on a clock of its own.

    :returns: (verdicts as (time, Verdict), the time it ended or None).
    """
    sim = fake._Simulation(fake._Guest(memory_mb, 0, dirty), False,
                           bandwidth, step)
    clock = Clock()
    tracker = convergence.Tracker(clock=clock)
    verdicts = [(0.0, tracker.update(sim.stats()))]
    for _ in range(max_steps):
        done = sim.advance()
        clock.now += step
        verdicts.append((clock.now, tracker.update(sim.stats())))
        if done:
            return verdicts, clock.now
    return verdicts, None


class SimulatedTest(testtools.TestCase):

    def test_dirtying_faster_than_the_link_is_not_converging_by_pass_two(self):
        verdicts, end = simulate(1024, 100.0, 150.0)
        self.assertIsNone(end)
        judged = [(v.iteration, v.converging) for _t, v in verdicts
                  if v.iteration <= 2]
        self.assertIn((2, False), judged)
        self.assertNotIn(True, [c for _i, c in judged])
        last = verdicts[-1][1]
        self.assertIsNone(last.eta)
        self.assertEqual((150.0 * MiB, 100.0 * MiB),
                         (last.dirty_rate, last.transfer_rate))

    def test_not_converging_counts_the_time_since_the_first_pass(self):
        verdicts, _end = simulate(1024, 100.0, 150.0, max_steps=60)
        first_pass_end = max(t for t, v in verdicts if v.iteration == 1)
        time, last = verdicts[-1]
        # The first pass was progress; nothing since.
        self.assertEqual(time - first_pass_end, last.stalled_for)

    def test_converging_eta_within_a_fifth_of_the_real_time_left(self):
        for memory, bandwidth, dirty in ((1024, 100.0, 30.0),
                                         (4096, 100.0, 70.0),
                                         (2048, 50.0, 10.0)):
            verdicts, end = simulate(memory, bandwidth, dirty)
            self.assertIsNotNone(end)
            judged = [(t, v) for t, v in verdicts if v.converging is not None]
            self.assertTrue(judged)
            self.assertTrue(all(v.converging for _t, v in judged))
            self.assertEqual(2, judged[0][1].iteration)
            for time, verdict in judged:
                left = end - time
                # The simulation ends on a step boundary: its own
                # resolution is one step.
                self.assertLessEqual(abs(verdict.eta - left),
                                     max(left / 5, 1.0),
                                     (memory, dirty, time))
                self.assertEqual(0, verdict.stalled_for)
            # Where the copy has most to do, the 20% hold by themselves.
            time, verdict = judged[0]
            self.assertLessEqual(abs(verdict.eta - (end - time)),
                                 (end - time) / 5)

    def test_first_pass_is_too_early_to_tell(self):
        verdicts, _end = simulate(1024, 100.0, 30.0)
        first = [v for _t, v in verdicts if v.iteration == 1]
        self.assertTrue(first)
        self.assertEqual({None}, {v.converging for v in first})

    def test_a_paused_guest_converges(self):
        sim = fake._Simulation(fake._Guest(256, 0, 500.0), False, 100.0, 1.0)
        tracker = convergence.Tracker(clock=Clock())
        for _ in range(10):
            sim.advance()
            verdict = tracker.update(sim.stats())
        self.assertFalse(verdict.converging)
        sim.paused = True
        self.assertEqual(0, sim.stats()['memory_dirty_rate'])
        # 256 MiB left at 100 MiB a step, nothing dirtied any more: the
        # last 56 MiB fit in the final pause.
        self.assertEqual([False, True], [sim.advance() for _ in range(2)])


def job_stats(iteration, remaining, dirty_pages=None, bps=None, page=4096,
              total=1 << 30):
    stats = {'type': 2, 'memory_total': total,
             'memory_processed': total - remaining,
             'memory_remaining': remaining, 'memory_iteration': iteration,
             'memory_page_size': page}
    if dirty_pages is not None:
        stats['memory_dirty_rate'] = dirty_pages
    if bps is not None:
        stats['memory_bps'] = bps
    return stats


class LibvirtStatsTest(testtools.TestCase):
    """libvirt reports the dirty rate in pages and only from pass two."""

    def judge(self, readings, clock=None):
        tracker = convergence.Tracker(clock=clock or Clock())
        return [tracker.update(migration.stats_from_job_stats(r))
                for r in readings]

    def test_dirty_rate_turned_into_bytes(self):
        stats = migration.stats_from_job_stats(
            job_stats(2, 10, dirty_pages=25, bps=1000, page=8192))
        self.assertEqual((25 * 8192, 1000, 2),
                         (stats['memory_dirty_rate'], stats['memory_bps'],
                          stats['memory_iteration']))

    def test_without_page_size_pages_are_4_kib(self):
        stats = job_stats(2, 10, dirty_pages=3)
        del stats['memory_page_size']
        self.assertEqual(3 * 4096, migration.stats_from_job_stats(
            stats)['memory_dirty_rate'])

    def test_older_libvirt_gives_no_verdict(self):
        readings = [{'type': 2, 'memory_total': 10, 'memory_remaining': r}
                    for r in (10, 5, 8, 3)]
        verdicts = self.judge(readings)
        self.assertEqual({None}, {v.converging for v in verdicts})
        self.assertNotIn('memory_iteration',
                         migration.stats_from_job_stats(readings[0]))

    def test_not_converging_within_two_iterations(self):
        gib = 1 << 30
        verdicts = self.judge([
            job_stats(1, gib, bps=100 * MiB),
            job_stats(1, gib // 2, bps=100 * MiB),
            # Pass two: QEMU measured the dirty rate, above the link's.
            job_stats(2, gib, dirty_pages=150 * MiB // 4096, bps=100 * MiB),
        ])
        self.assertEqual([None, None, False],
                         [v.converging for v in verdicts])

    def test_shrinking_passes_converge_with_an_eta(self):
        verdicts = self.judge([
            job_stats(1, 1000 * MiB, bps=100 * MiB),
            job_stats(2, 300 * MiB, dirty_pages=30 * MiB // 4096,
                      bps=100 * MiB),
            job_stats(2, 200 * MiB, dirty_pages=30 * MiB // 4096,
                      bps=100 * MiB)])
        self.assertEqual([None, True, True],
                         [v.converging for v in verdicts])
        self.assertAlmostEqual(200 / 70.0, verdicts[-1].eta)

    def test_a_pass_that_starts_higher_does_not_converge(self):
        clock = Clock()
        readings = [job_stats(1, 1000 * MiB, bps=100 * MiB),
                    job_stats(2, 600 * MiB, dirty_pages=10, bps=100 * MiB),
                    job_stats(3, 700 * MiB, dirty_pages=10, bps=100 * MiB),
                    job_stats(4, 650 * MiB, dirty_pages=10, bps=100 * MiB)]
        tracker = convergence.Tracker(clock=clock)
        verdicts = []
        for reading in readings:
            clock.now += 5
            verdicts.append(tracker.update(
                migration.stats_from_job_stats(reading)))
        self.assertEqual([None, True, False, True],
                         [v.converging for v in verdicts])
        # Pass three made no progress: stalled since pass two began.
        self.assertEqual(5, verdicts[2].stalled_for)
