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

"""Two libvirtd hosts on one machine, each in its own network namespace.

Each daemon runs under ``ip netns exec NS unshare -u`` (a private network,
mount and host name) with private directories bind-mounted over libvirt's
own, its own host UUID and an ``/etc/hosts`` naming both hosts. A veth pair
joins the namespaces; nothing is reachable from outside them. Clients (the
agents, the tests) stay in the root namespace and use each daemon's unix
socket; the daemons migrate to each other over TCP.

Everything is stopped by process id and the namespaces are deleted.
"""

import glob
import os
import random
import shutil
import subprocess
import uuid as uuid_mod

import fixtures

from server_migrations.tests import libvirtd

libvirt = libvirtd.libvirt

START_SECONDS = 60
# Survives between runs: QEMU's capabilities, probed on a daemon's first
# start (several seconds), are kept here.
CACHE_ROOT = '/var/tmp/server-migrations-libvirt-cache'
PRIVATE = {'etc': '/etc/libvirt', 'run': '/run/libvirt',
           'lib': '/var/lib/libvirt', 'log': '/var/log/libvirt'}
TOOLS = ('ip', 'unshare', 'libvirtd', 'qemu-system-x86_64', 'mount')


def unavailable():
    """Why this machine cannot run two libvirtd hosts, or None."""
    if libvirt is None:
        return 'the libvirt Python bindings are not installed'
    if os.geteuid() != 0:
        return ('needs root (network namespaces, bind mounts, libvirtd with '
                'QEMU as root for post-copy)')
    missing = [t for t in TOOLS if shutil.which(t, path=libvirtd.PATH) is None]
    if missing:
        return ('%s not installed (.ci/install-libvirt installs them)' %
                ', '.join(missing))
    for db, name in (('passwd', 'libvirt-qemu'), ('group', 'libvirt-qemu')):
        if subprocess.run(['getent', db, name],
                          stdout=subprocess.DEVNULL).returncode:
            return ('libvirtd refuses to start without a %s %s '
                    '(.ci/install-libvirt creates it)' % (name, db))
    probe = 'sm-probe-%d' % os.getpid()
    result = subprocess.run(['ip', 'netns', 'add', probe],
                            capture_output=True, text=True)
    if result.returncode:
        return 'cannot create a network namespace: %s' % result.stderr.strip()
    subprocess.run(['ip', 'netns', 'del', probe])
    return None


def run(*cmd):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if result.returncode:
        raise RuntimeError('%s failed: %s' % (' '.join(cmd),
                                              result.stderr.strip()))
    return result.stdout


class Libvirtd:
    """One host: a libvirtd in namespace ``netns`` with address ``addr``."""

    def __init__(self, base, name, netns, addr, hosts_file):
        self.name = name
        self.netns = netns
        self.addr = addr
        self.dir = os.path.join(base, name)
        self.hosts_file = hosts_file
        self.cache = os.path.join(CACHE_ROOT, name.rsplit('-', 1)[-1])
        for sub in PRIVATE:
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.makedirs(self.cache, exist_ok=True)
        self.socket = os.path.join(self.dir, 'run', 'libvirt-sock')
        self.uri = 'qemu+unix:///system?socket=%s' % self.socket
        self.log_path = os.path.join(self.dir, 'libvirtd.log')
        self.process = None
        self._write_config()

    def _write_config(self):
        etc = os.path.join(self.dir, 'etc')
        with open(os.path.join(etc, 'libvirtd.conf'), 'w') as f:
            f.write('listen_tls = 0\nlisten_tcp = 1\nlisten_addr = "%s"\n'
                    'auth_tcp = "none"\nauth_unix_rw = "none"\n'
                    'auth_unix_ro = "none"\nhost_uuid = "%s"\n'
                    'log_outputs = "3:stderr"\n'
                    % (self.addr, uuid_mod.uuid4()))
        with open(os.path.join(etc, 'qemu.conf'), 'w') as f:
            # QEMU as root: post-copy needs userfaultfd, which unprivileged
            # processes may not use.
            f.write('user = "root"\ngroup = "root"\n'
                    'security_driver = "none"\ndynamic_ownership = 0\n'
                    'remember_owner = 0\ncgroup_controllers = [ ]\n'
                    'namespaces = [ ]\nstdio_handler = "file"\n'
                    'migration_address = "%s"\n' % self.addr)

    def start(self):
        mounts = ''.join('mkdir -p %s && mount --bind %s %s\n' % (
            target, os.path.join(self.dir, sub), target)
            for sub, target in PRIVATE.items())
        script = ('set -e\n%smount --bind %s /var/cache/libvirt\n'
                  'mount --bind %s /etc/hosts\nhostname %s\n'
                  'exec libvirtd --listen -f %s -p %s\n' % (
                      mounts, self.cache, self.hosts_file, self.name,
                      os.path.join(self.dir, 'etc', 'libvirtd.conf'),
                      os.path.join(self.dir, 'libvirtd.pid')))
        os.makedirs('/var/cache/libvirt', exist_ok=True)
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        # exec all the way down: the process id is libvirtd's own.
        self.process = libvirtd.start(
            ['ip', 'netns', 'exec', self.netns, 'unshare', '-u', '--',
             'sh', '-c', script], self.uri, self.log_path, START_SECONDS,
            env=dict(os.environ, PATH=libvirtd.PATH))

    def stop(self, kill=False):
        """Stop the daemon by pid (guests keep running, as on a host)."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
        libvirtd.stop_pid(self.process.pid)
        self.process.wait(5)
        self.process = None

    def qemu_pids(self):
        pids = []
        for path in glob.glob(os.path.join(self.dir, 'run', 'qemu',
                                           '*.pid')):
            try:
                with open(path) as f:
                    pids.append(int(f.read().strip()))
            except (OSError, ValueError):
                continue
        return [pid for pid in pids if libvirtd.pid_alive(pid)]

    def log(self):
        return libvirtd.log_tail(self.log_path)


class HypervisorPair(fixtures.Fixture):
    """Hosts ``a`` and ``b`` (``Libvirtd``), joined by a veth pair."""

    def _setUp(self):
        tag = '%04x' % random.getrandbits(16)
        subnet = '10.99.%d' % random.randint(1, 250)
        self.base = self.useFixture(fixtures.TempDir()).path
        names = ('kvm-%s-a' % tag, 'kvm-%s-b' % tag)
        netns = ('sm-%s-a' % tag, 'sm-%s-b' % tag)
        veths = ('sm%sa' % tag, 'sm%sb' % tag)
        addrs = ('%s.1' % subnet, '%s.2' % subnet)
        hosts_file = os.path.join(self.base, 'hosts')
        with open(hosts_file, 'w') as f:
            f.write('127.0.0.1 localhost\n')
            for name, addr in zip(names, addrs):
                f.write('%s %s\n' % (addr, name))
        for ns in netns:
            run('ip', 'netns', 'add', ns)
            self.addCleanup(run, 'ip', 'netns', 'del', ns)
        run('ip', 'link', 'add', veths[0], 'type', 'veth', 'peer', 'name',
            veths[1])
        for ns, veth, addr in zip(netns, veths, addrs):
            run('ip', 'link', 'set', veth, 'netns', ns)
            run('ip', '-n', ns, 'addr', 'add', addr + '/24', 'dev', veth)
            run('ip', '-n', ns, 'link', 'set', veth, 'up')
            run('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        self.a, self.b = (Libvirtd(self.base, name, ns, addr, hosts_file)
                          for name, ns, addr in zip(names, netns, addrs))
        for host in (self.a, self.b):
            self.addCleanup(self._stop_host, host)
            host.start()

    @staticmethod
    def _stop_host(host):
        """Destroy the guests, stop the daemon, kill any QEMU left."""
        if host.process is not None:
            try:
                conn = libvirt.open(host.uri)
                for dom in conn.listAllDomains():
                    if dom.isActive():
                        dom.destroy()
                conn.close()
            except libvirt.libvirtError:
                pass
        host.stop()
        for pid in host.qemu_pids():
            libvirtd.stop_pid(pid, 5)
