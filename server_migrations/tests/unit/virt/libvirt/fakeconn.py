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

from server_migrations.tests.unit.virt.libvirt import fakelibvirt

LIB_VERSION = 9000000


class FakeConnection:
    """A connection to the fake daemon; broken once the daemon restarts.

    As with a real remote connection, a restart is not noticed until a call
    goes through the connection: ``isAlive`` says True, the call fails
    with an RPC error, and ``isAlive`` says False from then on.
    """

    def __init__(self, bindings):
        self._bindings = bindings
        self.generation = bindings.generation
        self.noticed_broken = False
        self.closed = False

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
            return self._bindings.domains[uuid]
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
        self.daemon_running = True
        self.generation = 0
        self.opened = []

    def open(self, uri):
        if not self.daemon_running:
            raise self.libvirtError(
                "Failed to connect socket to '/var/run/libvirt/libvirt-sock'"
                ": No such file or directory",
                fakelibvirt.VIR_ERR_SYSTEM_ERROR, fakelibvirt.VIR_FROM_RPC)
        conn = FakeConnection(self)
        self.opened.append((uri, conn))
        return conn

    def restart_daemon(self):
        """Every open connection breaks; new ones work."""
        self.generation += 1
