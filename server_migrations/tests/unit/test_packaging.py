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

"""What a newcomer installs and reads first: pins, metadata, README."""

import configparser
import os
import re

import server_migrations
from server_migrations.tests import base

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(
    server_migrations.__file__)))


def _names(path):
    with open(os.path.join(ROOT, path)) as f:
        return {re.split(r'[<>=!~;\[ #]', line.strip(), 1)[0].lower()
                .replace('_', '-').replace('.', '-')
                for line in f if line.strip() and not line.startswith('#')}


class PackagingTest(base.BaseTestCase):

    def test_every_requirement_is_pinned(self):
        pinned = _names('constraints.txt')
        for path in ('requirements.txt', 'test-requirements.txt'):
            self.assertEqual(set(), _names(path) - pinned, path)

    def test_the_embedded_server_and_its_dependencies_are_pinned(self):
        self.assertIn('cheroot', _names('requirements.txt'))
        self.assertLessEqual({'cheroot', 'jaraco-functools',
                              'more-itertools'}, _names('constraints.txt'))

    def test_no_placeholder_url(self):
        parser = configparser.ConfigParser()
        parser.read(os.path.join(ROOT, 'setup.cfg'))
        url = parser.get('metadata', 'url', fallback=None)
        self.assertNotIn(url, ('https://opendev.org/', 'https://opendev.org'))


class ReadmeTest(base.BaseTestCase):
    """The landing page: short, with pictures, and nothing it cannot do."""

    def setUp(self):
        super().setUp()
        with open(os.path.join(ROOT, 'README.rst')) as f:
            self.text = f.read()

    def test_short_with_long_prose_in_doc(self):
        self.assertLess(len(self.text.splitlines()), 230)
        for page in ('reliability', 'performance', 'configuration'):
            self.assertIn('doc/%s.rst' % page, self.text)
            self.assertTrue(os.path.exists(
                os.path.join(ROOT, 'doc', '%s.rst' % page)))

    def test_shows_flow_lifecycle_printout_and_times(self):
        for picture in ('How a request flows::',
                        'The life of a live migration',
                        'Try these in order, one at a time:',
                        'python3 -m venv'):
            self.assertIn(picture, self.text)
        self.assertRegex(self.text, r'about \w+ minutes? on two')

    def test_tox_is_not_assumed(self):
        # Neither install command installs tox: say how before naming it.
        install = self.text.index('pip install tox')
        mentions = [m.start() for m in re.finditer('tox -e', self.text)]
        self.assertEqual([], [m for m in mentions if m < install])
