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

"""Force-complete and abort of a running live migration.

Requests come from RPC threads; force-complete is queued for the monitor
loop, which alone talks to the job, and waited for with a deadline. Abort
goes to libvirt at once, bounded too.
"""

from concurrent import futures

from oslo_log import log as logging

from server_migrations import exception
from server_migrations.virt import driver
from server_migrations.virt.libvirt import errors
from server_migrations.virt.libvirt import host as host_mod

LOG = logging.getLogger(__name__)

# An abort that comes while libvirt is still setting the job up is refused
# ("no job is active"); it is tried again this often, this far apart.
ABORT_RETRIES = 20
ABORT_RETRY_SECONDS = 0.1
# How long a force-complete waits for the monitor to act on it.
ACTION_SECONDS = 60
POST_COPY_REFUSAL = ('post-copy has started: the guest already runs on the '
                     'destination, so the migration can only complete')


class JobActions:
    """Mixed into MigrationJob, whose state these methods share."""

    # -- from RPC threads ---------------------------------------------------

    def force_complete(self):
        """Queue a force-complete for the monitor; wait for its outcome.

        :returns: driver.POST_COPY or driver.PAUSED.
        :raises NoActiveMigrationForInstance: the migration ended first.
        :raises LiveMigrationForceCompleteFailed: libvirt refused.
        """
        future = futures.Future()
        with self._lock:
            if self._finished:
                raise exception.NoActiveMigrationForInstance(
                    instance_id=self._uuid)
            self._tasks.append(future)
        self._wake.set()
        try:
            return future.result(timeout=ACTION_SECONDS)
        except futures.TimeoutError:
            with self._lock:
                if future in self._tasks:
                    self._tasks.remove(future)
            raise errors.LiveMigrationForceCompleteFailed(
                instance_id=self._uuid,
                reason='the migration monitor did not act within %d s' %
                ACTION_SECONDS)

    def abort(self):
        """Cancel the libvirt job; the monitor then sees it cancelled.

        :raises NoActiveMigrationForInstance: the migration already ended.
        :raises LiveMigrationAbortFailed: libvirt refused, with its message,
            or post-copy has started.
        """
        if self._post_copy:
            raise exception.LiveMigrationAbortFailed(
                instance_id=self._uuid, reason=POST_COPY_REFUSAL)
        with self._lock:
            if self._finished:
                raise exception.NoActiveMigrationForInstance(
                    instance_id=self._uuid)
            previous, self._abort_requested = self._abort_requested, True
            started = self._op_started
        if not started:
            # The migration call sees the request and is never made.
            LOG.info('Cancelled the live migration of instance %s before '
                     'it started.', self._uuid)
            self._wake.set()
            return
        for attempt in range(ABORT_RETRIES + 1):
            try:
                host_mod.bounded(self._domain.abortJob, what='abortJob')
                break
            except (self._lv.libvirtError, host_mod.CallTimedOut) as e:
                if (attempt < ABORT_RETRIES and
                        isinstance(e, self._lv.libvirtError) and
                        self._job_not_ready(e) and
                        not self._op_done.wait(ABORT_RETRY_SECONDS)):
                    continue
                with self._lock:
                    self._abort_requested = previous
                reason = (POST_COPY_REFUSAL if self._post_copy or
                          'post-copy' in host_mod.error_message(e)
                          else host_mod.error_message(e))
                LOG.error('Failed to cancel the live migration of instance '
                          '%s: %s', self._uuid, reason)
                raise exception.LiveMigrationAbortFailed(
                    instance_id=self._uuid, reason=reason)
        LOG.info('Cancelled the live migration job of instance %s.',
                 self._uuid)
        self._wake.set()

    def tune(self, max_downtime=None, bandwidth=None):
        """Set the job's maximum downtime (ms) and bandwidth (MiB/s).

        Straight to libvirt, each call bounded; they act on the running
        job without waiting for the monitor.
        :raises NoActiveMigrationForInstance: the migration already ended.
        :raises ServerMigrationsException: libvirt refused, with its message.
        """
        with self._lock:
            if self._finished:
                raise exception.NoActiveMigrationForInstance(
                    instance_id=self._uuid)
        calls = []
        if max_downtime is not None:
            calls.append(('migrateSetMaxDowntime', int(max_downtime)))
        if bandwidth is not None:
            calls.append(('migrateSetMaxSpeed', int(bandwidth)))
        for name, value in calls:
            call = getattr(self._domain, name)
            try:
                host_mod.bounded(lambda: call(value, 0), what=name)
            except (self._lv.libvirtError, host_mod.CallTimedOut) as e:
                reason = host_mod.error_message(e)
                LOG.error('%s(%s) for instance %s failed: %s', name, value,
                          self._uuid, reason)
                raise exception.ServerMigrationsException(
                    'Could not tune the live migration of instance %s: %s'
                    % (self._uuid, reason))
            LOG.info('%s(%s) for the live migration of instance %s.', name,
                     value, self._uuid)

    def _job_not_ready(self, error):
        """Whether libvirt refused only because the job is not set up yet."""
        return (not self._job_seen and not self._op_done.is_set() and
                error.get_error_code() == self._lv.VIR_ERR_OPERATION_INVALID)

    def _run_tasks(self):
        while True:
            with self._lock:
                if not self._tasks:
                    return
                future = self._tasks.popleft()
            try:
                result = self._force_complete_now()
            except Exception as e:
                future.set_exception(e)
            else:
                future.set_result(result)

    def _force_complete_now(self):
        """Switch to post-copy if permitted, else pause the guest."""
        if self._post_copy:
            LOG.warning('The live migration of instance %s already runs in '
                        'post-copy mode.', self._uuid)
            return driver.POST_COPY
        if self._paused or self._guest_paused:
            return driver.PAUSED
        try:
            if self._flags & self._lv.VIR_MIGRATE_POSTCOPY:
                self._domain.migrateStartPostCopy()
                self._post_copy = True
                LOG.info('Switched the live migration of instance %s to '
                         'post-copy.', self._uuid)
                return driver.POST_COPY
            self._domain.suspend()
        except self._lv.libvirtError as e:
            reason = host_mod.error_message(e)
            LOG.warning('Could not force the live migration of instance %s '
                        'to complete: %s', self._uuid, reason)
            raise errors.LiveMigrationForceCompleteFailed(
                instance_id=self._uuid, reason=reason)
        self._paused = True
        LOG.info('Paused instance %s so that its live migration converges; '
                 'it is resumed if the migration fails.', self._uuid)
        return driver.PAUSED

    def _on_timeout(self, elapsed):
        action = self._conf.live_migration_timeout_action
        LOG.warning('The live migration of instance %s has run %.1f s, '
                    'more than its completion timeout of %.1f s; action: '
                    '%s.', self._uuid, elapsed, self._timeout, action)
        self._monitor.timed_out(elapsed, action)
        if action == 'force_complete':
            try:
                if self._force_complete_now() == driver.POST_COPY:
                    self._monitor.post_copy_started()
            except errors.LiveMigrationForceCompleteFailed:
                pass  # logged; the migration goes on as it was
            return
        try:
            self.abort()
        except exception.ServerMigrationsException:
            pass  # logged; the migration goes on as it was
