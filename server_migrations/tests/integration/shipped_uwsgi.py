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

"""uWSGI run with the shipped example's settings, on a free loopback port.

Every line of ``etc/server-migrations/server-migrations-uwsgi.ini`` is
kept but the address, so that what the tests prove holds for what
operators copy.
"""

import os
import re
import sys

from benchmarks import servers

SHIPPED_INI = os.path.join(servers.ROOT, 'etc', 'server-migrations',
                           'server-migrations-uwsgi.ini')


class ShippedUWSGI(servers.Server):

    def __init__(self, env, workdir):
        super().__init__('uwsgi', 'server_migrations.wsgi.api', None, env)
        self.ini = os.path.join(workdir, 'uwsgi.ini')

    def command(self):
        with open(SHIPPED_INI) as f:
            text = f.read()
        text, count = re.subn(r'(?m)^http-socket = .*$',
                              'http-socket = 127.0.0.1:%d' % self.port, text)
        if count != 1:
            raise AssertionError('the shipped uWSGI example has %d '
                                 'http-socket lines' % count)
        # The code of this checkout, whatever is installed.
        text += '\npythonpath = %s\ndisable-logging = true\n' % servers.ROOT
        with open(self.ini, 'w') as f:
            f.write(text)
        return [os.path.join(os.path.dirname(sys.executable), 'uwsgi'),
                '--ini', self.ini]
