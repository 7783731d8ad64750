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

"""server-migrations-api as a process: flags, config and a taken port."""

import json
import os
import socket
import subprocess
import sys
import urllib.request

import fixtures
import testtools

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))
CONFIG = """
[DEFAULT]
transport_url = fake:/
state_path = %(state)s

[database]
connection = sqlite:///%(state)s/db.sqlite

[api]
auth_strategy = noauth2
bind_port = 1
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class APICommandTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.config = os.path.join(self.state, 'server-migrations.conf')
        with open(self.config, 'w') as f:
            f.write(CONFIG % {'state': self.state})
        self.env = dict(os.environ, PYTHONPATH=ROOT)
        subprocess.run(self._python('manage', '--config-file', self.config,
                                    'db', 'sync'),
                       env=self.env, check=True, capture_output=True,
                       timeout=120)

    def _python(self, command, *args):
        code = ('import sys; from server_migrations.cmd import %s as m; '
                'sys.exit(m.main(sys.argv[1:]))' % command)
        return [sys.executable, '-c', code] + list(args)

    def _start(self, port):
        proc = subprocess.Popen(
            self._python('api', '--config-file', self.config, '--host',
                         '127.0.0.1', '--port', str(port)),
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.addCleanup(self._stop, proc)
        return proc

    def _stop(self, proc):
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=30)

    def test_serves_on_the_flag_port_and_refuses_a_taken_one(self):
        port = _free_port()
        first = self._start(port)
        # Log lines may come first; the banner follows within a few lines.
        banner = 'listening on http://127.0.0.1:%d/' % port
        lines = []
        for _ in range(50):
            lines.append(first.stdout.readline())
            if banner in lines[-1] or not lines[-1]:
                break
        self.assertIn(banner, lines[-1], lines)
        with urllib.request.urlopen(
                'http://127.0.0.1:%d/v2.1' % port, timeout=30) as resp:
            document = json.loads(resp.read())
        self.assertEqual('v2.1', document['version']['id'])
        second = self._start(port)
        _out, err = second.communicate(timeout=120)
        self.assertEqual(1, second.returncode)
        lines = [ln for ln in err.splitlines() if ln.startswith('ERROR')]
        self.assertEqual(['ERROR: Port %d on 127.0.0.1 is already in use; '
                          'choose another with --port or [api] bind_port.'
                          % port], lines)
        self.assertNotIn('Traceback', err)
