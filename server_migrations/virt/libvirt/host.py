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

"""The connection to the local libvirt daemon: lazy, shared, re-opened."""

from concurrent import futures
import threading

from oslo_log import log as logging
from oslo_utils import importutils

from server_migrations import exception
from server_migrations.virt.libvirt import errors

LOG = logging.getLogger(__name__)

# A connection whose daemon stops answering is closed after
# KEEPALIVE_SECONDS * (KEEPALIVE_COUNT + 1): every call waiting on it then
# fails instead of blocking for good.
KEEPALIVE_SECONDS = 5
KEEPALIVE_COUNT = 3
# The longest any caller (a monitor, an RPC handler, a lock holder) waits
# for one libvirt call whose connection stays up but does not answer.
CALL_DEADLINE_SECONDS = 30

_event_loop_lock = threading.Lock()
_event_loop_started = False


def start_event_loop(lv):
    """Run libvirt's default event loop in a thread, once per process.

    Keepalive needs it: without an event loop the client neither sends
    nor answers keepalive messages, and a call on a connection whose peer
    vanished can wait for ever.
    """
    global _event_loop_started
    register = getattr(lv, 'virEventRegisterDefaultImpl', None)
    if register is None:
        return False
    with _event_loop_lock:
        if not _event_loop_started:
            register()

            def loop():
                while True:
                    lv.virEventRunDefaultImpl()

            threading.Thread(target=loop, daemon=True,
                             name='libvirt-event-loop').start()
            _event_loop_started = True
    return True


class CallTimedOut(Exception):
    """A libvirt call did not return within its deadline."""


def bounded(func, seconds=None, what='libvirt call'):
    """``func()`` in a thread of its own; wait at most ``seconds``.

    The caller gets an answer in time; a call that never returns is left
    to its (daemon) thread.
    """
    future = futures.Future()

    def run():
        try:
            future.set_result(func())
        except BaseException as e:
            future.set_exception(e)

    if seconds is None:
        seconds = CALL_DEADLINE_SECONDS
    threading.Thread(target=run, daemon=True, name=what).start()
    try:
        return future.result(timeout=seconds)
    except futures.TimeoutError:
        raise CallTimedOut('%s did not return within %s s' % (what, seconds))


def import_libvirt():
    """The libvirt bindings module, or None when they are not installed."""
    return importutils.try_import('libvirt')


def error_message(error):
    """libvirt's own words for a libvirtError; str() of anything else."""
    get_message = getattr(error, 'get_error_message', None)
    return (get_message and get_message()) or str(error)


def _quiet(_ctx, _err):
    """Swallow libvirt's default printing of every error on stderr.

    Every error also arrives as a libvirtError, which we log or raise.
    """


class Host:
    """One connection to ``uri`` shared by the driver's threads.

    libvirt connections are thread-safe. The connection is opened on first
    use, so an agent starts even while libvirtd is down; a connection that
    died (libvirtd restarted) is replaced on the next call.
    """

    def __init__(self, uri, libvirt_module):
        self.uri = uri
        self.libvirt = libvirt_module
        self._conn = None
        self._lock = threading.Lock()
        self.keepalive = start_event_loop(libvirt_module)
        register = getattr(libvirt_module, 'registerErrorHandler', None)
        if register is not None:
            register(_quiet, None)

    def is_connection_error(self, error):
        """Whether ``error`` means the connection itself is unusable."""
        lv = self.libvirt
        code = error.get_error_code()
        if code in (lv.VIR_ERR_NO_CONNECT, lv.VIR_ERR_INVALID_CONN):
            return True
        return (code in (lv.VIR_ERR_SYSTEM_ERROR, lv.VIR_ERR_INTERNAL_ERROR,
                         lv.VIR_ERR_RPC) and
                error.get_error_domain() in (lv.VIR_FROM_REMOTE,
                                             lv.VIR_FROM_RPC))

    def get_connection(self):
        """The live connection, opened (again) if needed.

        :raises HypervisorUnavailable: libvirt cannot be reached.
        """
        with self._lock:
            conn = self._conn
            if conn is not None and not self._is_alive(conn):
                LOG.warning('The connection to libvirt at %s was lost; '
                            'reconnecting.', self.uri)
                self._conn = None
                self._close_quietly(conn)
                conn = None
            if conn is None:
                conn = self._open()
                self._conn = conn
            return conn

    def call(self, func):
        """Run ``func(conn)``; retry once on a fresh connection.

        A libvirtd restart shows up as a connection error on the first call
        made through the old connection; the retry makes that invisible.
        """
        for attempt in (1, 2):
            conn = self.get_connection()
            try:
                return func(conn)
            except self.libvirt.libvirtError as e:
                if not self.is_connection_error(e):
                    raise
                self.forget(conn)
                if attempt == 2:
                    raise errors.HypervisorUnavailable(
                        uri=self.uri, reason=error_message(e))
                LOG.warning('libvirt at %s dropped the connection (%s); '
                            'reconnecting.', self.uri, error_message(e))

    def forget(self, conn):
        """Drop ``conn`` if it is still the shared connection."""
        with self._lock:
            if self._conn is conn:
                self._conn = None
        self._close_quietly(conn)

    def ping(self):
        """Whether libvirt answers now; the reason is logged when not."""
        try:
            bounded(lambda: self.call(lambda conn: conn.getLibVersion()),
                    what='getLibVersion')
        except errors.HypervisorUnavailable as e:
            LOG.warning('%s', e.format_message())
            return False
        except CallTimedOut as e:
            LOG.warning('libvirt at %s does not answer: %s', self.uri, e)
            return False
        except self.libvirt.libvirtError as e:
            LOG.warning('libvirt at %s does not answer: %s', self.uri,
                        error_message(e))
            return False
        return True

    def lookup_domain(self, instance_uuid, conn=None):
        """The domain of the instance, looked up by its UUID.

        :param conn: a connection of the caller's own (default: the shared
            one, re-opened if needed).
        :raises InstanceNotFound: libvirt has no such domain here.
        :raises HypervisorUnavailable: libvirt cannot be reached.
        """
        try:
            if conn is not None:
                return conn.lookupByUUIDString(instance_uuid)
            return self.call(
                lambda conn: conn.lookupByUUIDString(instance_uuid))
        except self.libvirt.libvirtError as e:
            if e.get_error_code() == self.libvirt.VIR_ERR_NO_DOMAIN:
                raise exception.InstanceNotFound(instance_id=instance_uuid)
            raise

    def close(self):
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            self._close_quietly(conn)
            LOG.info('Closed the connection to libvirt at %s.', self.uri)

    def open_connection(self, uri=None, read_only=False):
        """A new connection of the caller's own (it closes it).

        Keepalive is on when the event loop runs. Opening is bounded:
        connecting to a host that does not answer can take minutes.
        :raises HypervisorUnavailable: libvirt cannot be reached.
        """
        uri = uri or self.uri
        lv = self.libvirt
        opener = lv.openReadOnly if read_only else lv.open
        try:
            conn = bounded(lambda: opener(uri), what='open %s' % uri)
        except (lv.libvirtError, CallTimedOut) as e:
            raise errors.HypervisorUnavailable(uri=uri,
                                               reason=error_message(e))
        if self.keepalive:
            try:
                conn.setKeepAlive(KEEPALIVE_SECONDS, KEEPALIVE_COUNT)
            except lv.libvirtError as e:
                LOG.debug('No keepalive on %s: %s', uri, error_message(e))
        return conn

    def _open(self):
        conn = self.open_connection()
        LOG.info('Connected to libvirt at %s.', self.uri)
        return conn

    def is_alive(self, conn):
        """Whether ``conn`` (this host's daemon) still answers."""
        return self._is_alive(conn)

    def _is_alive(self, conn):
        try:
            return bool(conn.isAlive())
        except self.libvirt.libvirtError:
            return False

    def close_quietly(self, conn):
        self._close_quietly(conn)

    def _close_quietly(self, conn):
        try:
            conn.close()
        except self.libvirt.libvirtError as e:
            # A dead connection often refuses to close; nothing to do.
            LOG.debug('Closing the libvirt connection: %s',
                      error_message(e))
