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

"""One running live migration: the libvirt call and its monitor loop."""

import collections
import threading

from oslo_log import log as logging

from server_migrations import exception
from server_migrations.virt import driver
from server_migrations.virt.libvirt import actions
from server_migrations.virt.libvirt import host as host_mod
from server_migrations.virt.libvirt import migration
from server_migrations.virt.libvirt import reconcile

LOG = logging.getLogger(__name__)

# How often the job is read. Actions and the end of the job are noticed
# within this time; progress is reported at the (longer) configured
# interval only.
POLL_SECONDS = 0.5
# How long to wait for the migration call to return once the job stats
# already show the job ended (libvirt finishes its bookkeeping first).
OPERATION_GRACE_SECONDS = 60


class MigrationJob(actions.JobActions):
    """Drives one ``migrateToURI3`` call and watches it until it ends.

    :meth:`run` blocks in the caller's (the manager's worker) thread; the
    libvirt call runs in a thread of its own. :meth:`force_complete` and
    :meth:`abort` come from other threads (RPC handlers).
    """

    def __init__(self, host, domain, instance_uuid, dest, flags,
                 timeout, libvirt_conf, monitor, clock, params=None,
                 memory_bytes=0, guest_paused=False, ladder=()):
        self._host = host
        self._lv = host.libvirt
        self._domain = domain
        self._uuid = instance_uuid
        self._dest = dest
        self._dest_uri = migration.destination_uri(
            libvirt_conf.live_migration_uri, dest)
        self._flags = flags
        self._params = params or {}
        self._memory_bytes = memory_bytes
        # Paused before the migration: force-complete has nothing to do
        # and nobody resumes it afterwards.
        self._guest_paused = guest_paused
        self._last_stats = None
        # The downtime ladder still to climb: (seconds, ms), in order.
        self._ladder = collections.deque(ladder)
        self._timeout = timeout
        self._conf = libvirt_conf
        self._monitor = monitor
        self._clock = clock
        self._lock = threading.Lock()
        self._tasks = collections.deque()
        self._wake = threading.Event()
        self._finished = False
        self._abort_requested = False
        self._op_started = False
        self._job_seen = False
        # Only the monitor thread changes these two.
        self._post_copy = False
        self._paused = False
        self._stats_supported = True
        self._op_done = threading.Event()
        self._op_error = None
        # Whether the migration call's own connection was still up when
        # the call failed: then the error is about the destination.
        self._op_conn_alive = False

    # -- the worker thread --------------------------------------------------

    def run(self):
        """Migrate and monitor; returns COMPLETED, FAILED or CANCELLED."""
        operation = threading.Thread(
            target=self._operation, daemon=True,
            name='libvirt-migrate-%s' % self._uuid)
        operation.start()
        try:
            return self._watch()
        finally:
            with self._lock:
                self._finished = True
                pending = list(self._tasks)
                self._tasks.clear()
            for future in pending:
                future.set_exception(exception.NoActiveMigrationForInstance(
                    instance_id=self._uuid))

    def _operation(self):
        """The migration call, on a connection of its own.

        On the shared connection, libvirt's client can hold back the
        monitor's calls (job stats, suspend, post-copy) until this long
        call returns; on its own connection nothing waits behind it.
        """
        with self._lock:
            self._op_started = not self._abort_requested
        conn = None
        try:
            if self._op_started:
                conn = self._host.open_connection()
                domain = self._host.lookup_domain(self._uuid, conn=conn)
                domain.migrateToURI3(self._dest_uri, self._params,
                                     self._flags)
        except Exception as e:
            self._op_error = e
            self._op_conn_alive = (conn is not None and
                                   self._host.is_alive(conn))
        finally:
            if conn is not None:
                self._host.close_quietly(conn)
            self._op_done.set()

    def _watch(self):
        start = self._clock.now()
        last_report = None
        timed_out = False
        lv = self._lv
        while True:
            # Cleared before the read: an action queued while this pass
            # runs keeps the next wait short.
            self._wake.clear()
            if self._op_done.is_set() and not self._op_started:
                return self._end(None)  # aborted before the call
            job_type, stats = self._read_job()
            if job_type == lv.VIR_DOMAIN_JOB_UNBOUNDED:
                self._job_seen = True
                self._run_tasks()
                if stats is not None:
                    if not stats['memory_total']:
                        # Still setting up: libvirt reports only zeros.
                        stats = migration.setup_stats(self._memory_bytes)
                    else:
                        self._last_stats = stats
                now = self._clock.now()
                self._climb(now - start)
                interval = self._conf.live_migration_monitor_interval
                if last_report is None or now - last_report >= interval:
                    self._monitor.progress(stats)
                    last_report = now
                if (not timed_out and self._timeout is not None and
                        not self._post_copy and
                        now - start > self._timeout):
                    timed_out = True
                    self._on_timeout(now - start)
            elif job_type == lv.VIR_DOMAIN_JOB_COMPLETED:
                return self._end(driver.COMPLETED)
            elif job_type == lv.VIR_DOMAIN_JOB_FAILED:
                return self._end(driver.FAILED)
            elif job_type == lv.VIR_DOMAIN_JOB_CANCELLED:
                return self._end(driver.CANCELLED)
            elif self._op_done.is_set():
                # No job (any more) and the call returned: the call's
                # outcome is the migration's.
                return self._end(None)
            self._clock.wait(self._wake, POLL_SECONDS)

    def _climb(self, elapsed):
        """Set the next downtime of the ladder once its time has come."""
        step = None
        while self._ladder and self._ladder[0][0] <= elapsed:
            step = self._ladder.popleft()
        if step is None or self._post_copy:
            return
        try:
            self.tune(max_downtime=step[1])
        except exception.ServerMigrationsException:
            pass  # logged; the copy goes on with the downtime it has

    def stop_ladder(self):
        """An operator set the downtime: the ladder no longer climbs."""
        self._ladder.clear()

    def _read_job(self):
        """(job type, the six counters) of the domain's current job."""
        if self._stats_supported:
            job = migration.read_job(self._lv, self._domain)
            if job is not None:
                return job
            LOG.info('libvirt at %s reports no job statistics; the migration '
                     'of instance %s is watched without progress.',
                     self._host.uri, self._uuid)
            self._stats_supported = False
        return self._lv.VIR_DOMAIN_JOB_NONE, None

    def _end(self, job_result):
        """The result: the job's end state, else the call's outcome."""
        if not self._op_done.wait(OPERATION_GRACE_SECONDS):
            LOG.warning('The libvirt migration call for instance %s has not '
                        'returned although its job ended.', self._uuid)
        error = self._op_error
        try:
            result = job_result or self._outcome_of_operation(error)
        except Exception:
            if self._paused:
                self._resume()
            raise
        if error is not None:
            log = LOG.info if result == driver.CANCELLED else LOG.error
            log('Live migration of instance %s to %s: %s', self._uuid,
                self._dest_uri, host_mod.error_message(error))
        if result != driver.COMPLETED and self._paused:
            self._resume()
        if result == driver.COMPLETED:
            self._monitor.progress(migration.final_stats(
                self._last_stats or
                migration.setup_stats(self._memory_bytes)))
        LOG.info('Live migration of instance %s ended: %s.', self._uuid,
                 result)
        return result

    def _outcome_of_operation(self, error):
        if error is None:
            # A call never made was aborted before it started.
            return driver.COMPLETED if self._op_started else driver.CANCELLED
        if not isinstance(error, self._lv.libvirtError):
            raise error
        with self._lock:
            aborted = self._abort_requested
        if aborted or (error.get_error_code() ==
                       self._lv.VIR_ERR_OPERATION_ABORTED):
            return driver.CANCELLED
        if self._host.is_connection_error(error) and self._op_conn_alive:
            # The source daemon still answers us: the connection that
            # failed is its own to the destination (down, unresolvable).
            LOG.warning('The destination of instance %s failed: %s',
                        self._uuid, host_mod.error_message(error))
        return reconcile.outcome_of_failed_call(
            self._host, self._conf, self._uuid, self._dest, error,
            self._clock, self._wake, self._timeout)

    def _resume(self):
        """Resume the guest we paused, unless libvirt already did.

        libvirt resumes a guest paused during its migration on the side
        where it ends up; a second resume would fail.
        """
        try:
            state = self._domain.state()[0]
        except self._lv.libvirtError as e:
            state = None
            LOG.debug('State of instance %s: %s', self._uuid,
                      host_mod.error_message(e))
        if state is not None and state != self._lv.VIR_DOMAIN_PAUSED:
            self._paused = False
            LOG.info('Instance %s already runs again on the source.',
                     self._uuid)
            return
        try:
            self._domain.resume()
        except self._lv.libvirtError as e:
            LOG.error('Could not resume instance %s after its live migration '
                      'ended: %s', self._uuid, host_mod.error_message(e))
            return
        self._paused = False
        LOG.info('Resumed instance %s on the source.', self._uuid)
