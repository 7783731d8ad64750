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

"""Stand-ins for the libvirt module and connection around FakeDomain."""

import threading

from server_migrations.tests.unit.virt.libvirt import fakelibvirt

LIB_VERSION = 9000000


class DomainHandle:
    """A FakeDomain as seen through one connection.

    Like libvirt's client without an event loop, a connection busy with a
    migration call holds back every other call made through it until that
    call returns.
    """

    def __init__(self, domain, conn):
        self._domain = domain
        self._conn = conn

    def __getattr__(self, name):
        attr = getattr(self._domain, name)
        if not callable(attr):
            return attr
        conn = self._conn

        def call(*args, **kwargs):
            with conn.cond:
                if name == 'migrateToURI3':
                    conn.migrating += 1
                elif not conn.cond.wait_for(lambda: not conn.migrating,
                                            fakelibvirt.WAIT_SECONDS):
                    conn.held_back.append(name)
                    raise self._conn._bindings.libvirtError(
                        '%s was held back behind the migration call on the '
                        'same connection' % name)
            try:
                return attr(*args, **kwargs)
            except self._conn._bindings.libvirtError:
                # An error through a connection whose daemon restarted:
                # the client has noticed, as libvirt's does.
                if conn.generation != conn._bindings.generation:
                    conn.noticed_broken = True
                raise
            finally:
                if name == 'migrateToURI3':
                    with conn.cond:
                        conn.migrating -= 1
                        conn.cond.notify_all()

        return call


class FakeConnection:
    """A connection to the fake daemon; broken once the daemon restarts.

    As with a real remote connection, a restart is not noticed until a call
    goes through the connection: ``isAlive`` says True, the call fails
    with an RPC error, and ``isAlive`` says False from then on.
    """

    def __init__(self, bindings, domains):
        self._bindings = bindings
        self._domains = domains
        self.generation = bindings.generation
        self.noticed_broken = False
        self.closed = False
        self.cond = threading.Condition()
        self.migrating = 0
        self.held_back = []

    def _check(self):
        if self.closed:
            raise self._bindings.libvirtError(
                'invalid connection pointer in virConnectGetLibVersion',
                fakelibvirt.VIR_ERR_INVALID_CONN, fakelibvirt.VIR_FROM_RPC)
        if self.generation != self._bindings.generation:
            self.noticed_broken = True
            raise self._bindings.libvirtError(
                'Cannot recv data: Connection reset by peer',
                fakelibvirt.VIR_ERR_SYSTEM_ERROR, fakelibvirt.VIR_FROM_RPC)

    def isAlive(self):
        return 0 if self.closed or self.noticed_broken else 1

    def getLibVersion(self):
        self._check()
        return LIB_VERSION

    def lookupByUUIDString(self, uuid):
        self._check()
        try:
            return DomainHandle(self._domains[uuid], self)
        except KeyError:
            raise self._bindings.libvirtError(
                'Domain not found: no domain with matching uuid %r' % uuid,
                fakelibvirt.VIR_ERR_NO_DOMAIN)

    def close(self):
        self.closed = True
        return 0


class FakeBindings:
    """What the driver uses of the ``libvirt`` module."""

    def __init__(self, domains=(), errors=fakelibvirt.libvirtError):
        for name, value in fakelibvirt.CONSTANTS.items():
            setattr(self, name, value)
        self.libvirtError = errors
        self.domains = {domain.uuid: domain for domain in domains}
        # What the destination's daemon holds (live_migration_uri's host
        # is "dest" in these tests).
        self.peer_domains = {}
        self.daemon_running = True
        self.generation = 0
        self.opened = []

    def openReadOnly(self, uri):
        return self.open(uri)

    def open(self, uri):
        if not self.daemon_running:
            raise self.libvirtError(
                "Failed to connect socket to '/var/run/libvirt/libvirt-sock'"
                ": No such file or directory",
                fakelibvirt.VIR_ERR_SYSTEM_ERROR, fakelibvirt.VIR_FROM_RPC)
        conn = FakeConnection(
            self, self.peer_domains if '//dest/' in uri else self.domains)
        self.opened.append((uri, conn))
        return conn

    def restart_daemon(self):
        """Every open connection breaks; new ones work."""
        self.generation += 1
