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

It is started as a process on a free port. Its printed commands are run in
order, with a pause between two (``SERVER_MIGRATIONS_DEMO_PAUSE`` seconds,
default 2; a person takes longer, and the demo holds for minutes), and each
must work as printed while the demo migrations stay in the situation their
names promise. SIGINT and SIGTERM must stop it within seconds, also when
its stdout is a pipe nobody reads any more.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import fixtures

from server_migrations.tests import base
from server_migrations.tests import utils

PAUSE = float(os.environ.get('SERVER_MIGRATIONS_DEMO_PAUSE', '2'))
# How long a stop may take (the all-in-one's own watchdog is at 10 s).
STOP_SECONDS = 20


class _AllInOneBase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.port = None

    def spawn(self, *extra):
        # Port 0: the kernel's choice, which no other test can take; the
        # banner and the printed commands carry the real one.
        proc = subprocess.Popen(
            [sys.executable, '-m', 'server_migrations.cmd.all_in_one',
             '--state-dir', self.state, '--port', '0'] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        self.addCleanup(self._kill, proc)
        return proc

    def start(self, *extra):
        proc = self.spawn(*extra)
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                self.fail('all-in-one exited: %s' % proc.stderr.read())
            lines.append(line.rstrip('\n'))
            if self.port is None:
                found = re.search(r'API on http://127\.0\.0\.1:(\d+)/',
                                  line)
                self.port = found and int(found.group(1))
            if line.startswith('Press Ctrl-C'):
                return proc, lines
        self.fail('all-in-one did not come up: %s' % lines)

    @staticmethod
    def _kill(proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def assertStops(self, proc):
        """It exits 0 within STOP_SECONDS, no traceback, port released."""
        try:
            _out, err = proc.communicate(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            self.fail('still running %d s after the signal' % STOP_SECONDS)
        self.assertEqual(0, proc.returncode, err)
        self.assertNotIn('Traceback', err)
        if self.port is None:
            return
        with socket.socket() as s:
            # Nothing listens there any more.
            self.assertNotEqual(0, s.connect_ex(('127.0.0.1', self.port)))


class TestPrintedCommands(_AllInOneBase):
    """The printout, followed step by step as a person would."""

    def run_shell(self, command):
        time.sleep(PAUSE)
        out = subprocess.run(['bash', '-c', command], capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(0, out.returncode, '%s\n%s' % (command, out.stderr))
        return out.stdout

    def watch(self, command, until):
        """Run a printed watch command until ``until`` shows, then Ctrl-C."""
        time.sleep(PAUSE)
        log = os.path.join(self.state, 'watch-%d.out' % time.monotonic_ns())
        with open(log, 'w') as out:
            proc = subprocess.Popen(['bash', '-c', 'exec ' + command],
                                    stdout=out, stderr=subprocess.STDOUT,
                                    text=True, start_new_session=True,
                                    env=dict(os.environ, COLUMNS='200'))
        self.addCleanup(self._kill, proc)
        # Polls the output, bounded; no assertion on how long it took.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            if self._seen(log, until):
                proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        with open(log) as f:
            return f.read()

    @staticmethod
    def _seen(path, text):
        with open(path) as f:
            return text in f.read()

    def assertNoneInProgress(self, api, uuid):
        # Actions are cast: the agent settles them a moment later.
        utils.wait_for(lambda: self.migrations_of(api, uuid) == [],
                       timeout=60, interval=0.5,
                       what='no migration in progress of %s' % uuid)

    def migrations_of(self, api, uuid):
        out = subprocess.run(
            ['curl', '-s', '-H', 'X-Auth-Token: admin:demo', '-H',
             'OpenStack-API-Version: compute 2.80',
             '%s/servers/%s/migrations' % (api, uuid)],
            capture_output=True, text=True, timeout=60)
        return json.loads(out.stdout)['migrations']

    def test_every_printed_command_works_in_order(self):
        if not (shutil.which('curl') and shutil.which('openstack')):
            self.skipTest('needs curl and the openstack CLI')
        proc, lines = self.start()
        printout = '\n'.join(lines)
        servers = dict(re.findall(r'^  (demo-\S+)\s+([0-9a-f-]{36})\s',
                                  printout, re.M))
        self.assertEqual(8, len(servers), printout)
        self.assertIn('Restarting with the same --state-dir replaces them',
                      printout)
        start = lines.index('Try these in order, one at a time:')
        commands = [ln for ln in lines[start + 1:-1]
                    if ln and not ln.startswith('#')]
        kinds = [c.split()[0] for c in commands]
        self.assertEqual(['server-migrations-manage'] * 2 + ['curl'] * 2 +
                         ['server-migrations-manage', 'curl'] +
                         ['python3'] * 3 + ['openstack'] * 3 +
                         ['OS_IDENTITY_API_VERSION=3'] * 2 +
                         ['server-migrations-manage'], kinds)
        (watch_conv, watch_stuck, listing, force, watch_forced, abort,
         sdk_list, sdk_force, sdk_abort, cli_show, cli_force,
         cli_abort, history, events, reason) = commands
        api = 'http://127.0.0.1:%d/v2.1' % self.port
        stuck, queued = servers['demo-stuck'], servers['demo-queued']

        out = self.watch(watch_conv, 'converging, about')
        self.assertRegex(out, r'converging, about \d+ (s|min) left')
        self.assertRegex(out, r'GiB left')
        self.assertNotIn('migration 1 disk', out)
        out = self.watch(watch_stuck, 'not converging')
        self.assertIn('4.0 GiB of 4.0 GiB left', out)
        self.assertNotIn('100%', out)

        listed = json.loads(self.run_shell(listing))['migrations']
        self.assertEqual(['running'], [m['status'] for m in listed])
        self.assertEqual(listed[0]['memory_total_bytes'],
                         listed[0]['memory_remaining_bytes'])
        self.assertEqual('202', self.run_shell(force).strip())
        out = self.watch(watch_forced, 'ended with status completed')
        self.assertIn('running (post-copy)', out)
        self.assertIn('converging, about', out)

        # Still queued behind demo-busy, whatever happened to demo-stuck.
        self.assertEqual(['queued'], [m['status'] for m in
                                      self.migrations_of(api, queued)])
        self.assertEqual('202', self.run_shell(abort).strip())
        self.assertNoneInProgress(api, queued)
        self.assertNoneInProgress(api, stuck)

        self.assertRegex(self.run_shell(sdk_list),
                         r'^\d+ running 4294967296$')
        self.assertEqual('accepted', self.run_shell(sdk_force).strip())
        self.assertEqual('accepted', self.run_shell(sdk_abort).strip())
        self.assertNoneInProgress(api, servers['demo-queued-sdk'])

        self.assertIn('Memory Total Bytes', self.run_shell(cli_show))
        self.assertEqual('accepted', self.run_shell(cli_force).strip())
        self.assertEqual('accepted', self.run_shell(cli_abort).strip())
        self.assertNoneInProgress(api, servers['demo-queued-cli'])

        # The untouched ones are where they were: converging still going,
        # demo-busy still holding its slot, not converging.
        self.assertEqual(['running'], [m['status'] for m in
                                       self.migrations_of(
                                           api, servers['demo-converging'])])
        busy = self.migrations_of(api, servers['demo-busy'])
        self.assertEqual(['running'], [m['status'] for m in busy])
        self.assertEqual(busy[0]['memory_total_bytes'],
                         busy[0]['memory_remaining_bytes'])

        # How demo-stuck's migration ended, three ways.
        ended = json.loads(self.run_shell(history + ' -f json'))
        self.assertEqual([('live-migration', 'completed')],
                         [(m['Type'], m['Status']) for m in ended])
        actions = json.loads(self.run_shell(events + ' -f json'))
        self.assertEqual({'live-migration', 'live_migration_force_complete'},
                         {a['Action'] for a in actions})
        self.assertIn('Reason', self.run_shell(reason))

        proc.send_signal(signal.SIGINT)
        self.assertStops(proc)
        self.assertTrue(os.path.exists(
            os.path.join(self.state, 'all-in-one.log')))


class TestConvergingStartsAgain(_AllInOneBase):

    def test_a_new_migration_starts_when_it_ends(self):
        # A link fast enough for demo-converging to end in seconds.
        conf = os.path.join(self.state, 'fast.conf')
        with open(conf, 'w') as f:
            f.write('[fake_driver]\nbandwidth_mbps = 3000\n')
        proc, lines = self.start('--config-file', conf)
        row = [ln.split() for ln in lines if ln.startswith(
            '  demo-converging ')][0]
        uuid, first = row[1], int(row[2])
        url = ('http://127.0.0.1:%d/v2.1/servers/%s/migrations'
               % (self.port, uuid))

        def another():
            req = urllib.request.Request(url, headers={
                'X-Auth-Token': 'admin:demo',
                'OpenStack-API-Version': 'compute 2.80'})
            with urllib.request.urlopen(req, timeout=30) as resp:
                ids = [m['id'] for m in json.loads(resp.read())['migrations']]
            return [i for i in ids if i > first]

        utils.wait_for(another, timeout=90, interval=1,
                       what='a new migration of demo-converging')
        proc.send_signal(signal.SIGINT)
        self.assertStops(proc)


class TestStopping(_AllInOneBase):
    """Signals stop everything, whatever became of stdout."""

    def test_sigint_after_the_pipe_reader_is_gone(self):
        # As with "... | tee log" and Ctrl-C: tee dies first.
        proc, _lines = self.start()
        proc.stdout.close()
        proc.send_signal(signal.SIGINT)
        self.assertStops(proc)

    def test_sigterm_after_the_pipe_reader_is_gone(self):
        proc, _lines = self.start()
        proc.stdout.close()
        proc.send_signal(signal.SIGTERM)
        self.assertStops(proc)

    def test_a_second_signal_exits_at_once(self):
        proc, _lines = self.start()
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.fail('still running %d s after two signals' % STOP_SECONDS)
        # Stopped cleanly before the second one arrived, or cut short by
        # whichever of the two its handler ran second for (Python does not
        # promise to run two pending handlers in the order they were sent).
        self.assertIn(proc.returncode,
                      (0, 128 + signal.SIGTERM, 128 + signal.SIGINT))

    def test_sigterm_during_start_up(self):
        proc = self.spawn()
        # The agents are up, the demo migrations are being started.
        log = os.path.join(self.state, 'all-in-one.log')
        utils.wait_for(lambda: os.path.exists(log) and
                       'Compute agent compute1 started' in open(log).read(),
                       timeout=120, interval=0.1, what='an agent started')
        proc.send_signal(signal.SIGTERM)
        self.assertStops(proc)


class TestFlags(_AllInOneBase):

    def test_port_taken_is_one_clear_line(self):
        with socket.socket() as busy:
            busy.bind(('127.0.0.1', 0))
            busy.listen(1)
            out = subprocess.run(
                [sys.executable, '-m', 'server_migrations.cmd.all_in_one',
                 '--state-dir', self.state, '--port',
                 str(busy.getsockname()[1])],
                capture_output=True, text=True, timeout=60)
        self.assertEqual(1, out.returncode)
        self.assertIn('already in use', out.stderr)
        self.assertNotIn('Traceback', out.stderr)

    def test_needs_three_agents(self):
        out = subprocess.run(
            [sys.executable, '-m', 'server_migrations.cmd.all_in_one',
             '--state-dir', self.state, '--agents', '2'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(2, out.returncode)
        self.assertIn('at least 3', out.stderr)
