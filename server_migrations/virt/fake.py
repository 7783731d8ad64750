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

"""The simulated hypervisor: live migrations that copy, dirty and converge.

Every ``[fake_driver] step_seconds`` a migration copies ``bandwidth * step``
MiB (disk first when it is a block migration, then memory) while a running
guest dirties ``dirty_rate * step`` MiB of memory already sent. The final
stop-and-copy happens once the memory still to send is less than one step's
worth, so a guest that dirties as fast as the link copies never converges
until it is paused or switched to post-copy (force-complete). In post-copy
the guest runs on the destination and pulls its remaining pages; it cannot
be aborted any more.

``guests_file`` entries may also carry ``fail_after_steps`` or
``error_after_steps`` (a migration that fails, or that breaks with an
exception, after that many steps) so the failure paths can be exercised.
"""

import threading

from oslo_log import log as logging
import yaml

from server_migrations import exception
from server_migrations import migration_states as states
from server_migrations.virt import driver

LOG = logging.getLogger(__name__)

MiB = 1024 * 1024
GiB = 1024 * MiB


class _Guest:
    """Size, dirty rate and simulated faults of one server."""

    def __init__(self, memory_mb, disk_gb, dirty_rate_mbps,
                 fail_after_steps=None, error_after_steps=None):
        self.memory = int(memory_mb) * MiB
        self.disk = int(disk_gb) * GiB
        self.dirty_rate = float(dirty_rate_mbps) * MiB
        self.fail_after_steps = fail_after_steps
        self.error_after_steps = error_after_steps


class _Simulation:
    """The state of one live migration, advanced one step at a time."""

    def __init__(self, guest, block_migration, bandwidth, step):
        self.guest = guest
        self.step = step
        # Whole bytes, so the counters add up exactly.
        self.budget = max(1, int(bandwidth * MiB * step))
        self.dirtied = int(guest.dirty_rate * step)
        self.memory_processed = 0
        self.memory_remaining = guest.memory
        # "auto": no shared storage is simulated, so the disk is copied.
        self.disk_total = guest.disk if block_migration else 0
        self.disk_processed = 0
        self.disk_remaining = self.disk_total
        self.steps = 0
        # Passes over the memory: the first sends all of it, each next one
        # what the guest dirtied meanwhile. It ends once memory_processed
        # reaches pass_end.
        self.iteration = 1
        self.pass_end = guest.memory
        # The longest final pause (s); None: one step (the default).
        self.pause = None
        self.paused = False
        self.post_copy = False
        self.cancel_requested = False
        # Wakes the copy loop as soon as an operator acts.
        self.wake = threading.Event()

    def stats(self):
        """The six counters and the rates, as libvirt's jobStats names them."""
        bps = self.budget / self.step
        dirtying = not (self.paused or self.post_copy)
        return {'memory_total': self.guest.memory,
                'memory_processed': self.memory_processed,
                'memory_remaining': self.memory_remaining,
                'disk_total': self.disk_total,
                'disk_processed': self.disk_processed,
                'disk_remaining': self.disk_remaining,
                'memory_iteration': self.iteration,
                'memory_dirty_rate': self.dirtied / self.step if dirtying
                else 0,
                'memory_bps': bps,
                # Were it switched to stop-and-copy now (ms).
                'downtime': int(self.memory_remaining * 1000 / bps),
                # It stops and copies once the rest fits in the pause.
                'downtime_limit': int((self.pause or self.step) * 1000)}

    def threshold(self):
        """Memory that fits in the final pause (bytes)."""
        if self.pause is None:
            return self.budget
        return int(self.budget * self.pause / self.step)

    def tune(self, max_downtime=None, bandwidth=None):
        if bandwidth is not None:
            self.budget = max(1, int(bandwidth * MiB * self.step))
        if max_downtime is not None:
            self.pause = max_downtime / 1000.0

    def advance(self):
        """Copy one step's worth; return True when the migration is done."""
        self.steps += 1
        budget = self.budget
        disk = min(budget, self.disk_remaining)
        self.disk_remaining -= disk
        self.disk_processed += disk
        budget -= disk
        memory = min(budget, self.memory_remaining)
        self.memory_remaining -= memory
        self.memory_processed += memory
        if self.post_copy:
            # Pages are pulled by the destination; nothing is re-sent.
            return self.memory_remaining == 0 and self.disk_remaining == 0
        if not self.paused:
            self.memory_remaining = min(self.guest.memory,
                                        self.memory_remaining + self.dirtied)
        if (self.disk_remaining == 0 and
                self.memory_remaining < self.threshold()):
            # Stop-and-copy: the rest fits in the final pause.
            self.memory_processed += self.memory_remaining
            self.memory_remaining = 0
            return True
        if self.memory_processed >= self.pass_end:
            self.iteration += 1
            self.pass_end = self.memory_processed + self.memory_remaining
        return False


class FakeDriver(driver.ComputeDriver):
    """A hypervisor simulated in memory; see the module docstring."""

    def __init__(self, conf, host):
        super().__init__(conf, host)
        self._lock = threading.Lock()
        self._active = {}
        self._paused = set()
        self._stopping = threading.Event()

    def cleanup_host(self):
        self._stopping.set()

    # -- guests ------------------------------------------------------------

    def _guests_file(self):
        path = self.conf.fake_driver.guests_file
        if not path:
            return {}
        # yaml.safe_load reads JSON too; re-read at each migration so an
        # operator (or a test) can change a guest without a restart.
        with open(path) as stream:
            return yaml.safe_load(stream) or {}

    def guest(self, instance):
        """The simulated guest of an instance record."""
        opts = self.conf.fake_driver
        entry = self._guests_file().get(instance['uuid']) or {}
        memory = (entry.get('memory_mb') or instance.get('memory_mb') or
                  opts.default_memory_mb)
        disk = entry.get('disk_gb', instance.get('root_gb') or 0)
        dirty = entry.get('dirty_rate_mbps', opts.default_dirty_rate_mbps)
        return _Guest(memory, disk, dirty,
                      fail_after_steps=entry.get('fail_after_steps'),
                      error_after_steps=entry.get('error_after_steps'))

    def is_paused(self, instance_uuid):
        """Whether the guest is paused (by a force-complete)."""
        with self._lock:
            return instance_uuid in self._paused

    # -- migrations --------------------------------------------------------

    def live_migration(self, instance, migration, dest, block_migration,
                       monitor):
        uuid = instance['uuid']
        if instance.get('host') != self.host:
            raise exception.ServerMigrationsException(
                'Instance %s is not on host %s.' % (uuid, self.host))
        if dest == self.host:
            raise exception.ServerMigrationsException(
                'Destination %s is the source host.' % dest)
        opts = self.conf.fake_driver
        sim = _Simulation(self.guest(instance), block_migration,
                          opts.bandwidth_mbps, opts.step_seconds)
        with self._lock:
            if uuid in self._active:
                raise exception.ServerMigrationsException(
                    'Instance %s is already migrating.' % uuid)
            self._active[uuid] = sim
        try:
            return self._run(uuid, sim, monitor, opts.step_seconds)
        finally:
            with self._lock:
                self._active.pop(uuid, None)
                # A paused guest runs again, here or on the destination.
                self._paused.discard(uuid)

    def _run(self, uuid, sim, monitor, step):
        monitor.progress(sim.stats())
        while True:
            sim.wake.wait(step)
            with self._lock:
                sim.wake.clear()
                if self._stopping.is_set():
                    if sim.post_copy:
                        # The guest already runs on the destination, which
                        # pulls the rest without us.
                        return driver.COMPLETED
                    sim.cancel_requested = True
                if sim.cancel_requested:
                    LOG.info('Migration of %s cancelled', uuid)
                    return driver.CANCELLED
                done = sim.advance()
                stats = sim.stats()
                fault = sim.guest
            monitor.progress(stats)
            if done:
                return driver.COMPLETED
            if fault.error_after_steps and sim.steps >= \
                    fault.error_after_steps:
                raise exception.ServerMigrationsException(
                    'Simulated hypervisor error migrating %s.' % uuid)
            if fault.fail_after_steps and sim.steps >= fault.fail_after_steps:
                return driver.FAILED

    def _get_active(self, instance):
        sim = self._active.get(instance['uuid'])
        if sim is None:
            raise exception.NoActiveMigrationForInstance(
                instance_id=instance['uuid'])
        return sim

    def live_migration_force_complete(self, instance):
        with self._lock:
            sim = self._get_active(instance)
            if sim.cancel_requested:
                # An abort got here first: as on a real hypervisor, the job
                # is being torn down and there is nothing left to speed up.
                raise exception.NoActiveMigrationForInstance(
                    instance_id=instance['uuid'])
            if sim.post_copy:
                return driver.POST_COPY
            if self.conf.fake_driver.permit_post_copy:
                sim.post_copy = True
                result = driver.POST_COPY
            else:
                sim.paused = True
                self._paused.add(instance['uuid'])
                result = driver.PAUSED
        sim.wake.set()
        return result

    def live_migration_tune(self, instance, max_downtime=None,
                            bandwidth=None):
        """Change the simulated link's bandwidth or the allowed pause."""
        with self._lock:
            self._get_active(instance).tune(max_downtime, bandwidth)

    def recover_migration(self, instance, migration, timeout=None):
        """Where the simulated guest is once its migration is lost.

        A simulation still in this process is cancelled (before post-copy)
        or left to finish; one that died with a previous process left the
        guest where post-copy had put it: on the destination once post-copy
        started (it pulls the rest itself), else on the source.
        """
        with self._lock:
            sim = self._active.get(instance['uuid'])
            if sim is not None and not sim.post_copy:
                sim.cancel_requested = True
                sim.wake.set()
            post_copy = sim.post_copy if sim is not None else (
                migration.get('status') == states.RUNNING_POST_COPY)
        return driver.ON_DESTINATION if post_copy else driver.ON_SOURCE

    def live_migration_abort(self, instance):
        with self._lock:
            sim = self._get_active(instance)
            if sim.post_copy:
                raise exception.LiveMigrationAbortFailed(
                    instance_id=instance['uuid'],
                    reason='the guest already runs on the destination '
                           '(post-copy)')
            sim.cancel_requested = True
        sim.wake.set()
