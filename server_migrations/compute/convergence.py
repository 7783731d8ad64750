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

"""Whether a running live migration converges, judged per copy iteration.

Remaining memory rises and falls within every pass over the guest's memory
(a saw-tooth), so a reading taken at a random moment says little. What
tells is the memory left at the *start* of each iteration (pass): a
migration converges when that shrinks from one iteration to the next and
the guest dirties memory more slowly than the link sends it. When it
converges the time left is estimated from the net rate; when it does not,
the time since it last made progress is counted (the stall policy acts on
that).

Drivers report these statistics with the six progress counters (libvirt's
``jobStats`` names; the simulated hypervisor produces the same):
``memory_iteration``, ``memory_dirty_rate`` and ``memory_bps`` (bytes per
second) and ``downtime`` (expected downtime, ms); and, not from libvirt's
job statistics, ``downtime_limit`` (ms): the pause the final stop-and-copy
may take, which makes the estimate sharper. A driver that reports no
iteration gets no verdict (``converging`` is None).
"""

import collections
import time

ITERATION = 'memory_iteration'
DIRTY_RATE = 'memory_dirty_rate'
TRANSFER_RATE = 'memory_bps'
EXPECTED_DOWNTIME = 'downtime'
DOWNTIME_LIMIT = 'downtime_limit'
# What a driver may add to the six counters (libvirt's words but the last).
KEYS = (ITERATION, DIRTY_RATE, TRANSFER_RATE, EXPECTED_DOWNTIME,
        DOWNTIME_LIMIT)

Verdict = collections.namedtuple('Verdict', (
    'converging',   # True, False, or None while it cannot be told yet
    'eta',          # seconds left when converging, else None
    'stalled_for',  # seconds without progress when not converging, else 0
    'iteration', 'dirty_rate', 'transfer_rate', 'expected_downtime'))


def _rate(stats, key):
    value = stats.get(key)
    return float(value) if value is not None else None


def _eta(stats, remaining, dirty, bps):
    """Seconds left: the disk, then memory down to the final pause.

    Memory shrinks by the net rate (sent minus dirtied) until what is left
    fits in the allowed pause, which then sends it.
    """
    pause = (stats.get(DOWNTIME_LIMIT) or 0) / 1000.0
    final = min(remaining, bps * pause)
    return (int(stats.get('disk_remaining') or 0) / bps +
            (remaining - final) / (bps - dirty) + final / bps)


class Tracker:
    """Follows one migration's statistics; ``update`` gives the verdict.

    :param clock: seconds, monotonic (tests pass their own).
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._iteration = None
        self._start = None            # memory left when this pass began
        self._previous_start = None   # ... and when the pass before began
        self._lowest_start = None
        self._disk_remaining = None
        self._last_progress = clock()
        self.verdict = Verdict(None, None, 0.0, None, None, None, None)

    def update(self, stats):
        """Take one reading; return (and keep) the new ``Verdict``."""
        now = self._clock()
        iteration = stats.get(ITERATION)
        remaining = int(stats.get('memory_remaining') or 0)
        if self._progressed(stats, iteration, remaining):
            self._last_progress = now
        dirty = _rate(stats, DIRTY_RATE)
        bps = _rate(stats, TRANSFER_RATE)
        converging = self._judge(iteration, dirty, bps)
        eta = None
        if converging and bps:
            eta = _eta(stats, remaining, dirty or 0.0, bps)
        stalled_for = (0.0 if converging is not False
                       else max(0.0, now - self._last_progress))
        self.verdict = Verdict(converging, eta, stalled_for, iteration,
                               dirty, bps, stats.get(EXPECTED_DOWNTIME))
        return self.verdict

    def _progressed(self, stats, iteration, remaining):
        """Whether this reading moved the migration forward.

        The first pass sends memory for the first time and a disk copy
        shrinks steadily: both are progress. After that, only a pass that
        starts with less memory left than any pass before it is.
        """
        progressed = False
        disk = stats.get('disk_remaining')
        if (disk is not None and self._disk_remaining is not None and
                disk < self._disk_remaining):
            progressed = True
        self._disk_remaining = disk
        if iteration is not None and iteration != self._iteration:
            self._iteration = iteration
            self._previous_start, self._start = self._start, remaining
            if self._lowest_start is None or remaining < self._lowest_start:
                self._lowest_start = remaining
                progressed = True
        return progressed or iteration is None or iteration <= 1

    def _judge(self, iteration, dirty, bps):
        if iteration is None:
            return None
        if bps and dirty is not None and dirty >= bps:
            return False
        if self._previous_start is None:
            return None  # one pass seen: too early to tell
        return self._start < self._previous_start
