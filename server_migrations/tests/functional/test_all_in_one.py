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

"""server-migrations-all-in-one as a new user meets it.

It is started as a process on a free port; every command it prints must
work as printed, and Ctrl-C must stop it cleanly with exit status 0.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import fixtures
from oslotest import base


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class TestAllInOne(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.port = _free_port()

    def start(self, *extra):
        proc = subprocess.Popen(
            [sys.executable, '-m', 'server_migrations.cmd.all_in_one',
             '--state-dir', self.state, '--port', str(self.port)] +
            list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True)
        self.addCleanup(self._kill, proc)
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                self.fail('all-in-one exited: %s' % proc.stderr.read())
            lines.append(line.rstrip('\n'))
            if line.startswith('Press Ctrl-C'):
                return proc, lines
        self.fail('all-in-one did not come up: %s' % lines)

    @staticmethod
    def _kill(proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def run_shell(self, command):
        return subprocess.run(['bash', '-c', command], capture_output=True,
                              text=True, timeout=120)

    def test_printed_commands_work_and_ctrl_c_exits_zero(self):
        proc, lines = self.start('--agents', '2')
        commands = [line for line in lines
                    if line.startswith(('curl ', 'python3 ', 'env ',
                                        'server-migrations-manage '))]
        self.assertEqual(9, len(commands), lines)
        (listing, force, abort, sdk, osc, osc_list, osc_events, show,
         watch) = commands
        if shutil.which('curl'):
            out = self.run_shell(listing)
            self.assertEqual(0, out.returncode, out.stderr)
            migrations = json.loads(out.stdout)['migrations']
            self.assertEqual(['running'],
                             [m['status'] for m in migrations])
            self.assertIn('user_id', migrations[0])
            for command in (force, abort):
                out = self.run_shell(command)
                self.assertEqual('202', out.stdout.strip(), out.stderr)
        out = self.run_shell(sdk)
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertRegex(out.stdout, r'^\d+ (queued|preparing|running) ')
        if shutil.which('openstack'):
            out = self.run_shell(osc)
            self.assertEqual(0, out.returncode, out.stderr)
            self.assertIn('Memory Total Bytes', out.stdout)
        watcher = subprocess.Popen(['bash', '-c', watch],
                                   stdout=subprocess.PIPE, text=True,
                                   start_new_session=True)
        self.addCleanup(self._kill, watcher)
        self.assertIn('Watching', watcher.stdout.readline())
        self._kill(watcher)
        # The history: it does not need a migration in progress.
        if shutil.which('openstack'):
            out = self.run_shell(osc_list + ' -f json')
            self.assertEqual(0, out.returncode, out.stderr)
            self.assertEqual(['live-migration'],
                             [m['Type'] for m in json.loads(out.stdout)])
            out = self.run_shell(osc_events + ' -f json')
            self.assertEqual(0, out.returncode, out.stderr)
            self.assertIn('live-migration',
                          [a['Action'] for a in json.loads(out.stdout)])
        out = self.run_shell(show)
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertIn('Reason', out.stdout)

        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        self.assertEqual(0, proc.returncode, stderr)
        self.assertNotIn('Traceback', stdout + stderr)
        self.assertTrue(os.path.exists(
            os.path.join(self.state, 'all-in-one.log')))

    def test_port_taken_is_one_clear_line(self):
        with socket.socket() as busy:
            busy.bind(('127.0.0.1', self.port))
            busy.listen(1)
            out = subprocess.run(
                [sys.executable, '-m', 'server_migrations.cmd.all_in_one',
                 '--state-dir', self.state, '--port', str(self.port)],
                capture_output=True, text=True, timeout=60)
        self.assertEqual(1, out.returncode)
        self.assertIn('already in use', out.stderr)
        self.assertNotIn('Traceback', out.stderr)

    def test_needs_two_agents(self):
        out = subprocess.run(
            [sys.executable, '-m', 'server_migrations.cmd.all_in_one',
             '--state-dir', self.state, '--agents', '1'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(2, out.returncode)
        self.assertIn('at least 2', out.stderr)
