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

"""What the watch bars say about a migration, frame by frame."""

import datetime
import io

from rich import console as rich_console

from server_migrations.cmd import progress
from server_migrations.tests import base

GiB = 1 << 30
MiB = 1 << 20
T0 = datetime.datetime(2026, 12, 6, 3, 0, 0)


def record(second, remaining, processed, status='running', total=4 * GiB,
           disk_total=0, disk_remaining=0, disk_processed=0):
    return {'id': 7, 'status': status, 'memory_total': total,
            'memory_remaining': remaining, 'memory_processed': processed,
            'disk_total': disk_total, 'disk_remaining': disk_remaining,
            'disk_processed': disk_processed,
            'updated_at': T0 + datetime.timedelta(seconds=second)}


def stuck(second):
    # 128 MiB/s copied, as fast re-dirtied: remaining stays at the total.
    return record(second, 4 * GiB, second * 128 * MiB)


def converging(second):
    return record(second, 4 * GiB - second * 32 * MiB, second * 128 * MiB)


class TrendTest(base.BaseTestCase):

    def trend(self, records):
        trend = progress.Trend()
        for r in records:
            trend.add(r)
        return trend

    def test_stuck_is_not_converging(self):
        rate, verdict = self.trend(
            [stuck(s) for s in range(5)]).describe('running')
        self.assertEqual('128.0 MiB/s copied', rate)
        self.assertTrue(verdict.startswith('not converging'), verdict)

    def test_converging_has_an_estimate(self):
        rate, verdict = self.trend(
            [converging(s) for s in range(5)]).describe('running')
        self.assertEqual('128.0 MiB/s copied', rate)
        # 4 GiB - 128 MiB left, shrinking 32 MiB/s: 124 s, about 2 min.
        self.assertEqual('converging, about 2 min left', verdict)

    def test_forced_stuck_one_converges(self):
        # Force-complete switched it to post-copy: nothing re-dirtied.
        records = [stuck(s) for s in range(5)] + [
            record(5 + s, 4 * GiB - (s + 1) * 128 * MiB,
                   (5 + s) * 128 * MiB + (s + 1) * 128 * MiB,
                   status='running (post-copy)') for s in range(12)]
        rate, verdict = self.trend(records).describe('running (post-copy)')
        self.assertRegex(verdict, r'^converging, about \d+ s left$')

    def test_one_record_is_not_enough_to_judge(self):
        self.assertEqual(('', 'measuring...'),
                         self.trend([stuck(0)]).describe('running'))

    def test_the_same_record_twice_counts_once(self):
        trend = progress.Trend()
        self.assertTrue(trend.add(stuck(1)))
        self.assertFalse(trend.add(stuck(1)))
        self.assertEqual(1, len(trend.samples))

    def test_old_records_leave_the_window(self):
        trend = self.trend([converging(s) for s in range(60)])
        self.assertLessEqual(trend.samples[-1][0] - trend.samples[0][0],
                             progress.WINDOW_SECONDS + 1)

    def test_not_running_says_why(self):
        trend = self.trend([stuck(0), stuck(1)])
        self.assertEqual(('', 'queued: waits for a free slot'),
                         trend.describe('queued'))
        self.assertEqual(('', 'completed'), trend.describe('completed'))


class BarFieldsTest(base.BaseTestCase):

    def test_bar_is_what_is_left_not_what_was_processed(self):
        # Processed 6 GiB of a 4 GiB guest, and all of it still to send.
        total, completed, label = progress.bar_fields(
            record(50, 4 * GiB, 6 * GiB + 400 * MiB), 'memory')
        self.assertEqual((4 * GiB, 0), (total, completed))
        self.assertEqual('4.0 GiB of 4.0 GiB left', label)

    def test_no_disk_bar_without_a_disk_copy(self):
        self.assertIsNone(progress.bar_fields(stuck(1), 'disk'))

    def test_disk_bar_of_a_block_migration(self):
        total, completed, label = progress.bar_fields(record(
            1, 4 * GiB, 0, disk_total=10 * GiB, disk_remaining=6 * GiB,
            disk_processed=4 * GiB), 'disk')
        self.assertEqual((10 * GiB, 4 * GiB), (total, completed))
        self.assertEqual('6.0 GiB of 10.0 GiB left', label)

    def test_memory_size_not_known_yet(self):
        self.assertEqual((None, 0, 'memory: size not known yet'),
                         progress.bar_fields(record(0, None, None, total=0),
                                             'memory'))


class BarsRenderingTest(base.BaseTestCase):
    """The frames an operator sees, on a terminal and in a log."""

    def render(self, records, terminal):
        out = io.StringIO()
        console = rich_console.Console(file=out, width=200,
                                       force_terminal=terminal,
                                       color_system=None)
        with progress.Bars(console=console) as bars:
            for r in records:
                bars.update(r)
        return out.getvalue()

    def test_terminal_frame_of_a_stuck_migration(self):
        frame = self.render([stuck(s) for s in range(4)], terminal=True)
        last = frame.rsplit('migration 7 memory', 1)[-1]
        self.assertIn('migration 7 memory', frame)
        self.assertIn('4.0 GiB of 4.0 GiB left', last)
        self.assertIn('not converging', last)
        self.assertIn('| running', last)
        self.assertNotIn('migration 7 disk', frame)
        self.assertNotIn('100%', frame)

    def test_log_lines_of_a_converging_migration(self):
        lines = self.render([converging(s) for s in range(3)],
                            terminal=False).splitlines()
        self.assertEqual(3, len(lines), lines)
        self.assertEqual('migration 7 memory: 4.0 GiB of 4.0 GiB left, '
                         'measuring... | running', lines[0])
        self.assertEqual('migration 7 memory: 3.9 GiB of 4.0 GiB left, '
                         '128.0 MiB/s copied, converging, about 2 min left '
                         '| running', lines[2])

    def test_an_ended_migration_says_so_once(self):
        lines = self.render([stuck(0), record(1, 0, 0, status='completed')],
                            terminal=False).splitlines()
        self.assertEqual('migration 7 memory: 0 bytes of 4.0 GiB left, '
                         'completed', lines[-1])

    def test_block_migration_has_two_rows_verdict_once(self):
        records = [record(s, 4 * GiB, 0, disk_total=10 * GiB,
                          disk_remaining=10 * GiB - s * 128 * MiB,
                          disk_processed=s * 128 * MiB) for s in range(3)]
        lines = self.render(records, terminal=False).splitlines()
        self.assertEqual(6, len(lines), lines)
        self.assertIn('converging', lines[-2])
        self.assertEqual('migration 7 disk: 9.8 GiB of 10.0 GiB left',
                         lines[-1])


class AgentVerdictTest(base.BaseTestCase):
    """With the agent's per-iteration verdict, the bar shows that."""

    def line(self, verdict, record_=None):
        out = io.StringIO()
        console = rich_console.Console(file=out, width=200,
                                       force_terminal=False,
                                       color_system=None)
        with progress.Bars(console=console) as bars:
            bars.update(record_ or stuck(0), verdict)
        return out.getvalue().strip()

    def test_stalled(self):
        verdict = {'converging': False, 'eta': None, 'stalled_for': 95,
                   'dirty_rate': 200 * MiB, 'transfer_rate': 128 * MiB}
        self.assertEqual(
            'migration 7 memory: 4.0 GiB of 4.0 GiB left, 128.0 MiB/s sent, '
            '200.0 MiB/s dirtied, not converging (stalled 2 min): the guest '
            'dirties memory as fast as it is sent; tune --bandwidth or '
            'force-complete it? | running', self.line(verdict))
        self.assertEqual(('stalled 2 min', '', '200.0 MiB/s', '128.0 MiB/s'),
                         progress.verdict_texts(verdict))

    def test_converging_with_the_agents_eta(self):
        verdict = {'converging': True, 'eta': 42.4, 'stalled_for': 0,
                   'dirty_rate': 0, 'transfer_rate': 128 * MiB}
        self.assertIn('converging, about 42 s left', self.line(verdict))
        self.assertEqual(('converging', '42 s', '0 bytes/s', '128.0 MiB/s'),
                         progress.verdict_texts(verdict))

    def test_first_pass(self):
        verdict = {'converging': None, 'eta': None, 'stalled_for': 0,
                   'dirty_rate': None, 'transfer_rate': None}
        self.assertIn('measuring...', self.line(verdict))

    def test_ended_ignores_it(self):
        verdict = {'converging': False, 'stalled_for': 3}
        self.assertEqual('migration 7 memory: 0 bytes of 4.0 GiB left, '
                         'completed',
                         self.line(verdict, record(1, 0, 0,
                                                   status='completed')))
