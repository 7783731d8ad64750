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

"""Start and stop WSGI servers (uWSGI, gunicorn) and measure their CPU."""

import os
import signal
import socket
import subprocess
import sys
import time

CLK_TCK = os.sysconf('SC_CLK_TCK')
# The API's WSGI module (server-migrations-api under a server).
API = 'server_migrations.wsgi.api'
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _wait_port(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('server exited with %s' % proc.returncode)
        try:
            with socket.create_connection(('127.0.0.1', port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError('server did not listen on %d' % port)


def descendants(pid):
    """pid and every process below it (uWSGI master and workers)."""
    found = [pid]
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.extend(descendants(int(entry)))
    return found


def cpu_seconds(pid):
    """User + system CPU of a server process tree, in seconds."""
    total = 0
    for p in descendants(pid):
        try:
            with open('/proc/%d/stat' % p) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


class Server:
    """A WSGI server running ``module:application`` on a loopback port."""

    def __init__(self, kind, module, processes, env):
        self.kind = kind
        self.module = module
        self.processes = processes
        self.env = dict(os.environ, **env)
        self.port = free_port()
        self.proc = None

    def command(self):
        bindir = os.path.dirname(sys.executable)
        if self.kind == 'uwsgi':
            return [os.path.join(bindir, 'uwsgi'),
                    # The code of this checkout, whatever is installed.
                    '--pythonpath', ROOT,
                    '--http-socket', '127.0.0.1:%d' % self.port,
                    '--module', '%s:application' % self.module,
                    '--master', '--processes', str(self.processes),
                    # As etc/server-migrations/server-migrations-uwsgi.ini:
                    # oslo.messaging's heartbeat thread must be able to run.
                    '--lazy-apps', '--enable-threads', '--need-app',
                    '--die-on-term',
                    '--thunder-lock', '--disable-logging',
                    '--buffer-size', '65535', '--listen', '128']
        if self.kind == 'gunicorn':
            return [os.path.join(bindir, 'gunicorn'), '-k', 'sync',
                    '--pythonpath', ROOT,
                    '-w', str(self.processes),
                    '-b', '127.0.0.1:%d' % self.port,
                    '--log-level', 'warning',
                    '%s:application' % self.module]
        raise ValueError(self.kind)

    def __enter__(self):
        self.proc = subprocess.Popen(
            self.command(), env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)
        try:
            _wait_port(self.port, self.proc)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def cpu(self):
        return cpu_seconds(self.proc.pid)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
