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

"""Starting and stopping a private libvirtd for the tests that need one.

Shared by the functional test of a restarting daemon (one libvirtd on the
test driver) and the integration suite's pair of hypervisor hosts
(``tests/integration/hypervisors.py``): where the daemon is found, how it
is started and waited for, and how it is stopped by process id.
"""

import os
import shutil
import signal
import subprocess
import time

from oslo_utils import importutils

libvirt = importutils.try_import('libvirt')

# libvirtd and ip live in sbin, which a user's PATH may not name.
PATH = os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])
LIBVIRTD = shutil.which('libvirtd', path=PATH)
STOP_SECONDS = 15


def log_tail(path, size=8000):
    """The last ``size`` characters of the daemon's log ('' if none)."""
    try:
        with open(path, errors='replace') as f:
            return f.read()[-size:]
    except OSError:
        return ''


def start(argv, uri, log_path, timeout, env=None):
    """Run ``argv`` (a libvirtd) until a client can open ``uri``.

    Its output goes to ``log_path``.

    :returns: the ``subprocess.Popen`` of the daemon.
    :raises RuntimeError: with the log's end, if the daemon exits or does
        not answer within ``timeout`` seconds; it is stopped first.
    """
    with open(log_path, 'ab') as log:
        process = subprocess.Popen(argv, stdout=log,
                                   stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            conn = libvirt.open(uri)
        except libvirt.libvirtError:
            time.sleep(0.1)
            continue
        conn.close()
        return process
    stop_pid(process.pid)
    process.wait(5)
    raise RuntimeError('libvirtd did not start within %d s (%s):\n%s' % (
        timeout, ' '.join(argv), log_tail(log_path)))


def pid_alive(pid):
    """Whether ``pid`` runs (a zombie left to a lazy init does not)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


def stop_pid(pid, timeout=STOP_SECONDS):
    """SIGTERM, then SIGKILL after ``timeout``; True if it had to kill."""
    for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                done, _status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = 0 if pid_alive(pid) else pid
            if done:
                return signum == signal.SIGKILL
            time.sleep(0.05)
    return True
