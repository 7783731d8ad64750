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

"""What ``migration watch`` draws: is a live migration getting there?

The bar of a live migration is what is left to copy against the total,
not what has been copied: a guest that dirties memory as fast as the link
copies has copied more than its size and is no nearer the end. From the
last few progress records the watcher tells the copy rate (bytes
processed per second), whether what is left shrinks (converging) and, when
it does, when it should be done. A disk that is not being copied (not a
block migration) gets no bar.
"""

import collections
import time

from rich import progress as rich_progress

from server_migrations import migration_states as states

# Seconds of progress records the rates are computed over.
WINDOW_SECONDS = 10.0
KINDS = ('memory', 'disk')


def _binary(n):
    for unit, size in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
        if n >= size:
            return '%.1f %s' % (n / size, unit)
    return '%d bytes' % n


def _duration(seconds):
    seconds = int(round(seconds))
    if seconds < 90:
        return '%d s' % max(1, seconds)
    if seconds < 5400:
        return '%d min' % round(seconds / 60.0)
    return '%.1f h' % (seconds / 3600.0)


class Trend:
    """The recent progress records of one migration and what they say."""

    def __init__(self, window=WINDOW_SECONDS, clock=time.monotonic):
        self.window = window
        self.clock = clock
        # (seconds, remaining bytes, processed bytes), oldest first.
        self.samples = collections.deque()
        self._last_update = None

    def add(self, migration):
        """Record a progress record if it is new; return whether it was.

        New means another updated_at or status: the agent writes one
        record per step of the copy.
        """
        stamp = migration.get('updated_at')
        status = migration.get('status')
        if (stamp, status) == self._last_update:
            return False
        self._last_update = stamp, status
        when = stamp.timestamp() if stamp is not None else self.clock()
        remaining = sum(migration.get('%s_remaining' % k) or 0
                        for k in KINDS)
        processed = sum(migration.get('%s_processed' % k) or 0
                        for k in KINDS)
        self.samples.append((when, remaining, processed))
        while (len(self.samples) > 2 and
               when - self.samples[1][0] >= self.window):
            self.samples.popleft()
        return True

    def describe(self, status):
        """(rate text, verdict text) for a migration in ``status``."""
        if status not in states.COPYING:
            verdict = {states.QUEUED: 'queued: waits for a free slot',
                       states.ACCEPTED: 'accepted: not started yet',
                       states.PREPARING: 'preparing: not copying yet'}
            return '', verdict.get(status, status)
        if len(self.samples) < 2:
            return '', 'measuring...'
        (t0, left0, done0), (t1, left1, done1) = (self.samples[0],
                                                  self.samples[-1])
        elapsed = max(t1 - t0, 1e-6)
        rate = '%s/s copied' % _binary(max(0, done1 - done0) / elapsed)
        shrink = (left0 - left1) / elapsed
        if shrink <= 0:
            return rate, ('not converging: the guest dirties memory as '
                          'fast as it is copied; force-complete it?')
        return rate, 'converging, about %s left' % _duration(left1 / shrink)


def verdict_texts(verdict):
    """(state, ETA, dirty rate, transfer rate) texts of an agent verdict.

    ``verdict``: a ``migration_convergence`` row (the agent judges per copy
    iteration, which the records' saw-tooth cannot tell).
    """
    def rate(value):
        return '%s/s' % _binary(value) if value is not None else ''
    converging = verdict.get('converging')
    if converging:
        state = 'converging'
    elif converging is None:
        state = 'measuring'
    else:
        state = 'stalled %s' % _duration(verdict.get('stalled_for') or 0)
    eta = verdict.get('eta')
    return (state, _duration(eta) if converging and eta is not None else '',
            rate(verdict.get('dirty_rate')),
            rate(verdict.get('transfer_rate')))


def describe_verdict(verdict):
    """(rate text, verdict text) for a bar, from the agent's verdict."""
    state, eta, dirty, sent = verdict_texts(verdict)
    rates = ', '.join(t for t in ('%s sent' % sent if sent else '',
                                  '%s dirtied' % dirty if dirty else '')
                      if t)
    if verdict.get('converging'):
        return rates, 'converging, about %s left' % eta
    if verdict.get('converging') is None:
        return rates, 'measuring...'
    return rates, ('not converging (%s): the guest dirties memory as fast '
                   'as it is sent; tune --bandwidth or force-complete it?'
                   % state)


def bar_fields(migration, kind):
    """Total and completed (copied, net of re-dirtied) of one bar.

    :returns: (total, completed, label), or None for a disk that is not
        being copied.
    """
    total = migration.get('%s_total' % kind) or 0
    remaining = migration.get('%s_remaining' % kind)
    if total <= 0:
        if kind == 'disk':
            return None
        return None, 0, '%s: size not known yet' % kind
    remaining = total if remaining is None else min(max(remaining, 0),
                                                    total)
    return total, total - remaining, '%s of %s left' % (
        _binary(remaining), _binary(total))


class Bars:
    """rich progress bars of the watched migrations, one row per copy."""

    COLUMNS = (rich_progress.TextColumn('{task.description}'),
               rich_progress.BarColumn(bar_width=30),
               rich_progress.TextColumn('{task.fields[left]}', markup=False),
               rich_progress.TextColumn('{task.fields[rate]}', markup=False),
               rich_progress.TextColumn('{task.fields[verdict]}',
                                        markup=False))

    def __init__(self, console=None, window=WINDOW_SECONDS):
        self.progress = rich_progress.Progress(*self.COLUMNS,
                                               console=console,
                                               auto_refresh=False)
        # Not a terminal (a pipe, a log file): a plain line per change
        # instead of bars redrawn in place.
        self.plain = not self.progress.console.is_terminal
        if self.plain:
            self.progress.disable = True
        self.window = window
        self.tasks = {}
        self.trends = {}

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        if not self.plain:
            self.progress.refresh()
        self.progress.stop()

    def update(self, migration, verdict=None):
        """Redraw the rows of one migration from its latest record.

        :param verdict: the agent's latest ``migration_convergence`` row,
            if any: preferred to the trend of the records while it runs.
        """
        ident = migration['id']
        trend = self.trends.setdefault(ident, Trend(self.window))
        if not trend.add(migration) and self.plain:
            return
        if verdict is not None and migration['status'] == states.RUNNING:
            rate, verdict = describe_verdict(verdict)
        else:
            rate, verdict = trend.describe(migration['status'])
        if verdict != migration['status']:
            verdict = '%s | %s' % (verdict, migration['status'])
        first = True
        for kind in KINDS:
            fields = bar_fields(migration, kind)
            key = ident, kind
            if fields is None:
                if key in self.tasks:
                    self.progress.update(self.tasks[key], visible=False)
                continue
            total, completed, left = fields
            # The rate and verdict are for the whole migration: shown once.
            extra = dict(left=left, rate=rate if first else '',
                         verdict=verdict if first else '')
            first = False
            if self.plain:
                self.progress.console.print(
                    'migration %s %s: %s' % (ident, kind, ', '.join(
                        v for v in (left, extra['rate'], extra['verdict'])
                        if v)), markup=False, highlight=False,
                    soft_wrap=True)
                continue
            if key not in self.tasks:
                self.tasks[key] = self.progress.add_task(
                    'migration %s %s' % (ident, kind), total=total,
                    completed=completed, **extra)
            else:
                self.progress.update(self.tasks[key], total=total,
                                     completed=completed, visible=True,
                                     **extra)
        self.progress.refresh()
