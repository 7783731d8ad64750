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

"""The checked-in config and policy samples match what the generators write."""

import difflib
import os
import subprocess
import sys

import fixtures

import server_migrations
from server_migrations.tests import base

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(
    server_migrations.__file__)))
ETC = os.path.join(ROOT, 'etc', 'server-migrations')

# kind -> (generator entry point, generator config, checked-in sample, tox
# env that regenerates it). The entry points are the console scripts'
# (oslo-config-generator, oslopolicy-sample-generator).
SAMPLES = {
    'config': ('from oslo_config import generator; generator.main()',
               'config-generator.conf', 'server-migrations.conf.sample',
               'genconfig'),
    'policy': ('from oslo_policy import generator; '
               'generator.generate_sample()',
               'policy-generator.conf', 'policy.yaml.sample', 'genpolicy'),
}


def generate(kind, output):
    """Run the generator of ``kind`` as tox does, writing to ``output``."""
    code, generator_conf, _sample, _env = SAMPLES[kind]
    # A child process: the generators load every library's options and
    # set library defaults on global objects, which must not leak into
    # the other tests of this worker. The source tree goes first on the
    # path so that this tree's rules and options are the ones rendered,
    # whatever copy of the package is installed.
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT] + [p for p in [env.get('PYTHONPATH')] if p])
    result = subprocess.run(
        [sys.executable, '-c', code,
         '--config-file', os.path.join(ETC, generator_conf),
         '--output-file', output],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError('%s generator failed (%d):\n%s' % (
            kind, result.returncode, result.stderr))


def assert_current(kind, sample_path, generated_path):
    """Fail with a diff when ``sample_path`` differs from the generated."""
    with open(sample_path) as f:
        checked_in = f.read().splitlines(keepends=True)
    with open(generated_path) as f:
        generated = f.read().splitlines(keepends=True)
    if checked_in == generated:
        return
    diff = ''.join(difflib.unified_diff(
        checked_in, generated, fromfile=sample_path,
        tofile='generated', n=1))
    raise AssertionError(
        '%s is out of date; run "tox -e %s" and commit the result:\n%s' % (
            os.path.relpath(sample_path, ROOT), SAMPLES[kind][3], diff))


class TestSamples(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        if not os.path.isdir(ETC):
            # An installed package without its source tree: no samples.
            self.skipTest('no source tree with etc/server-migrations')
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def _check(self, kind, sample_path=None):
        if sample_path is None:
            sample_path = os.path.join(ETC, SAMPLES[kind][2])
        generated = os.path.join(self.tmp, kind + '.generated')
        generate(kind, generated)
        assert_current(kind, sample_path, generated)

    def test_config_sample_is_current(self):
        self._check('config')

    def test_policy_sample_is_current(self):
        self._check('policy')

    def _stale_copy(self, kind, old, new):
        with open(os.path.join(ETC, SAMPLES[kind][2])) as f:
            text = f.read()
        self.assertIn(old, text)
        stale = os.path.join(self.tmp, kind + '.stale')
        with open(stale, 'w') as f:
            f.write(text.replace(old, new, 1))
        return stale

    def test_stale_config_sample_fails(self):
        # A default changed in the code but not in the sample.
        stale = self._stale_copy('config', '#bind_port = 8774',
                                 '#bind_port = 8775')
        error = self.assertRaises(AssertionError, self._check, 'config',
                                  stale)
        self.assertIn('tox -e genconfig', str(error))
        self.assertIn('-#bind_port = 8775', str(error))
        self.assertIn('+#bind_port = 8774', str(error))

    def test_stale_policy_sample_fails(self):
        # A rule added to the code but missing from the sample.
        with open(os.path.join(ETC, SAMPLES['policy'][2])) as f:
            rule = next(line for line in f if line.startswith('#"'))
        stale = self._stale_copy('policy', rule, '')
        error = self.assertRaises(AssertionError, self._check, 'policy',
                                  stale)
        self.assertIn('tox -e genpolicy', str(error))
        self.assertIn('+' + rule.strip(), str(error))

    def test_generator_failure_is_reported(self):
        self.assertRaises(AssertionError, generate, 'config',
                          os.path.join(self.tmp, 'no', 'such', 'dir', 'x'))
