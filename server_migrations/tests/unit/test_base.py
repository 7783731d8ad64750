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

"""A passing test is quiet without tox's variables; a failing one shows all.

The README's ``stestr run`` sets none of OS_STDOUT_CAPTURE,
OS_STDERR_CAPTURE or OS_LOG_CAPTURE: the base classes capture anyway.
"""

import os
import subprocess
import sys

import fixtures

import server_migrations
from server_migrations.tests import base

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(
    server_migrations.__file__)))
NOISY = '''
import logging
import os
import sys

from server_migrations.tests import base


class Noisy(base.BaseTestCase):

    def test_it(self):
        print('MARK-stdout')
        sys.stderr.write('MARK-stderr\\n')
        logging.getLogger('stevedore.extension').debug('MARK-debug')
        logging.getLogger('server_migrations').warning('MARK-warning')
        if os.environ.get('NOISY_FAILS'):
            self.fail('asked to')
'''


class QuietByDefaultTest(base.BaseTestCase):

    def run_noisy(self, **env):
        tmp = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(tmp, 'noisy_case.py'), 'w') as f:
            f.write(NOISY)
        environ = {k: v for k, v in os.environ.items()
                   if not k.startswith('OS_')}
        environ.update(env, PYTHONPATH=os.pathsep.join([tmp, ROOT]))
        return subprocess.run(
            [sys.executable, '-m', 'testtools.run', 'noisy_case'],
            env=environ, capture_output=True, text=True, timeout=120)

    def test_passing_test_prints_nothing_of_its_own(self):
        out = self.run_noisy()
        self.assertEqual(0, out.returncode, out.stdout + out.stderr)
        self.assertNotIn('MARK', out.stdout + out.stderr)

    def test_failing_test_shows_output_and_logs(self):
        out = self.run_noisy(NOISY_FAILS='1')
        self.assertEqual(1, out.returncode, out.stdout + out.stderr)
        for mark in ('stdout', 'stderr', 'warning'):
            self.assertIn('MARK-%s' % mark, out.stdout + out.stderr)
        # DEBUG records too when asked for (oslotest's OS_DEBUG).
        out = self.run_noisy(NOISY_FAILS='1', OS_DEBUG='1')
        self.assertIn('MARK-debug', out.stdout + out.stderr)

    def test_capture_can_be_turned_off_for_debugging(self):
        out = self.run_noisy(OS_STDOUT_CAPTURE='0')
        self.assertIn('MARK-stdout', out.stdout)
        self.assertNotIn('MARK-debug', out.stdout + out.stderr)

    def test_importing_the_tests_warns_of_nothing(self):
        # Third-party import-time deprecation warnings were printed by every
        # test worker.
        out = subprocess.run(
            [sys.executable, '-W', 'default', '-c',
             'import server_migrations.tests.functional.test_clients'],
            env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
            text=True, timeout=120)
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertNotIn('DSA is deprecated', out.stderr)
