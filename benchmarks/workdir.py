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

"""The work directory of one benchmark case: the API's configuration.

The API reads ``server-migrations.conf`` from it (noauth2, the case's
database and transport); the bare app reads the answer captured there.
"""

import json
import os
import tempfile
import urllib.request

from benchmarks import settings

CONF = 'server-migrations.conf'


class Workdir:
    """Config for the API (noauth2, a database URL) and the captures."""

    def __init__(self, url, transport_url='fake:/', extra=''):
        self.path = tempfile.mkdtemp(prefix='sm-bench-')
        self.url = url or 'sqlite:///%s' % os.path.join(self.path,
                                                        'bench.sqlite')
        self.conf = os.path.join(self.path, CONF)
        with open(self.conf, 'w') as f:
            f.write('[DEFAULT]\ntransport_url = %s\n'
                    'state_path = %s\n'
                    '[api]\nauth_strategy = noauth2\n'
                    '[database]\nconnection = %s\n'
                    '[oslo_policy]\npolicy_file = %s\n'
                    % (transport_url, self.path, self.url,
                       os.path.join(self.path, 'policy.yaml')))
            f.write(extra)
        self.env = {'OS_SERVER_MIGRATIONS_CONFIG_DIR': self.path,
                    'OS_SERVER_MIGRATIONS_CONFIG_FILES': CONF}

    def add_conf(self, name, text):
        """Another config file, read after the first one; the API's env."""
        with open(os.path.join(self.path, name), 'w') as f:
            f.write(text)
        return dict(self.env, OS_SERVER_MIGRATIONS_CONFIG_FILES='%s;%s'
                    % (CONF, name))

    def capture(self, port, path):
        """Save the real API's answer to ``path`` for the bare app."""
        request = urllib.request.Request(
            'http://127.0.0.1:%d%s' % (port, path), headers=settings.HEADERS)
        with urllib.request.urlopen(request) as response:
            captured = {
                'status': '%d %s' % (response.status, response.reason),
                'headers': [(k, v) for k, v in response.getheaders()
                            if k.lower() not in ('date', 'server',
                                                 'connection')],
                'body': response.read().decode('utf-8')}
        out = os.path.join(self.path, 'bare-%s.json' % abs(hash(path)))
        with open(out, 'w') as f:
            json.dump(captured, f)
        return out
