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

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import fixtures
import testtools

from server_migrations.tests import base
from server_migrations.tests import utils

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


# Connections held open at once by the embedded server's test.
CONNECTIONS = 500


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class _CommandBase(base.BaseTestCase):
    """A config file (noauth2, SQLite file, fake:/) and a synced database."""

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


class APICommandTestCase(_CommandBase):

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
            server_header = resp.headers['Server']
        self.assertEqual('v2.1', document['version']['id'])
        self.assertEqual('server-migrations', server_header)
        second = self._start(port)
        _out, err = second.communicate(timeout=120)
        self.assertEqual(1, second.returncode)
        lines = [ln for ln in err.splitlines() if ln.startswith('ERROR')]
        self.assertEqual(['ERROR: Port %d on 127.0.0.1 is already in use; '
                          'choose another with --port or [api] bind_port.'
                          % port], lines)
        self.assertNotIn('Traceback', err)

    def _serving(self):
        """The API with its output in a file (it logs a line per request,
        more than a pipe nobody reads holds); returns (process, port, path).
        """
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'api.out')
        with open(path, 'w') as out:
            # Port 0: the kernel's choice, which no other test can take.
            proc = subprocess.Popen(
                self._python('api', '--config-file', self.config, '--host',
                             '127.0.0.1', '--port', '0'),
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.addCleanup(self._stop, proc)
        banner = re.compile(r'listening on http://127\.0\.0\.1:(\d+)/')
        utils.wait_for(lambda: banner.search(self._read(path)) or
                       proc.poll() is not None,
                       timeout=120, interval=0.2, what='the banner')
        found = banner.search(self._read(path))
        self.assertIsNotNone(found, self._read(path))
        return proc, int(found.group(1)), path

    @staticmethod
    def _read(path):
        with open(path) as f:
            return f.read()

    def test_holds_500_connections_with_keep_alive(self):
        proc, port, _path = self._serving()
        # Bounded: 500 loopback connections, two requests on each.
        conns = [http.client.HTTPConnection('127.0.0.1', port, timeout=120)
                 for _ in range(CONNECTIONS)]
        self.addCleanup(lambda: [c.close() for c in conns])
        for conn in conns:
            conn.connect()
        # All connected at once; now a request on each, then the answers.
        for round_ in range(2):
            for conn in conns:
                conn.request('GET', '/v2.1')
            statuses = []
            for conn in conns:
                resp = conn.getresponse()
                body = resp.read()
                statuses.append(resp.status)
                self.assertEqual('v2.1', json.loads(body)['version']['id'])
                # Kept open for the next request (HTTP/1.1 keep-alive).
                self.assertFalse(resp.will_close, round_)
            self.assertEqual([200] * CONNECTIONS, statuses)
        self.assertIsNone(proc.poll())

    def test_sigterm_stops_it(self):
        proc, _port, path = self._serving()
        proc.terminate()
        proc.wait(timeout=30)
        self.assertEqual(0, proc.returncode, self._read(path))
        self.assertNotIn('Traceback', self._read(path))

    def test_logs_what_a_dev_token_looks_like(self):
        proc, port, path = self._serving()
        req = urllib.request.Request(
            'http://127.0.0.1:%d/v2.1/servers/x/migrations' % port,
            headers={'X-Auth-Token': 'not-a-token'})
        for _ in range(2):
            with testtools.ExpectedException(urllib.error.HTTPError,
                                             'HTTP Error 401'):
                urllib.request.urlopen(req, timeout=30)
        proc.terminate()
        proc.wait(timeout=30)
        logged = self._read(path)
        # Once at start-up and once at the first refused token only.
        self.assertEqual(2, logged.count('X-Auth-Token: <user_id>:'
                                         '<project_id>'), logged)
        self.assertEqual(1, logged.count('Refused a malformed token'))

    def test_chunked_request_bodies_are_read(self):
        _proc, port, _path = self._serving()
        path = '/v2.1/servers/%s/migrations/1/action' % ('0' * 8 + '-0000' *
                                                         3 + '-' + '0' * 12)
        # Read and understood: the action is known, the server is not.
        status, body = utils.post_chunked(port, path,
                                          b'{"force_complete": null}')
        self.assertEqual(404, status, body)
        self.assertIn('itemNotFound', body)
        status, body = utils.post_chunked(
            port, path, b'{"force_complete": "' + b'x' * 300000 + b'"}',
            chunk_size=65536)
        self.assertEqual(413, status, body)
        self.assertEqual(413, body['overLimit']['code'])


class WSGIModuleTestCase(_CommandBase):
    """server_migrations.wsgi.api:application, as uWSGI loads it."""

    def test_application_reads_the_environment(self):
        code = (
            'import webob\n'
            'from server_migrations.wsgi import api\n'
            'for path, token in (("/v2.1", None), ("/v2.1/servers", '
            '"admin:p1"), ("/v2.1/servers", None)):\n'
            '    req = webob.Request.blank(path)\n'
            '    if token:\n'
            '        req.headers["X-Auth-Token"] = token\n'
            '    print(req.get_response(api.application).status_code)\n')
        env = dict(self.env,
                   OS_SERVER_MIGRATIONS_CONFIG_DIR=self.state,
                   OS_SERVER_MIGRATIONS_CONFIG_FILES='server-migrations.conf')
        result = subprocess.run([sys.executable, '-c', code], env=env,
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(0, result.returncode, result.stderr)
        codes = [ln for ln in result.stdout.splitlines() if ln.isdigit()]
        self.assertEqual(['200', '200', '401'], codes)

    def test_absent_files_are_not_passed(self):
        # oslo.config would refuse a --config-file that does not exist.
        env = dict(self.env,
                   OS_SERVER_MIGRATIONS_CONFIG_DIR=os.path.join(
                       self.state, 'absent'))
        code = ('from server_migrations import startup\n'
                'print(startup.config_files())\n')
        result = subprocess.run([sys.executable, '-c', code], env=env,
                                capture_output=True, text=True, timeout=120)
        self.assertEqual('[]', result.stdout.strip().splitlines()[-1])
