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

"""What the benchmarks run against, and how they call the API.

The services' URLs are read from the environment (see README.rst,
"Services"), with the loopback services of a development machine as
defaults. The database a URL names is dropped and created by the run.
"""

import os
from urllib import parse

from benchmarks import seed

ENV_PREFIX = 'SERVER_MIGRATIONS_BENCH_'
DEFAULTS = {
    'POSTGRESQL_URL': 'postgresql+psycopg2://postgres@127.0.0.1/sm_bench',
    'MYSQL_URL': 'mysql+pymysql://root@127.0.0.1/sm_bench',
    'TRANSPORT_URL': 'rabbit://guest:guest@127.0.0.1:5672/',
}


def _setting(name):
    return os.environ.get(ENV_PREFIX + name) or DEFAULTS[name]


# Database URLs by the name --databases uses; sqlite is a file in the run's
# work directory.
DATABASES = {
    'sqlite': None,
    'postgresql': _setting('POSTGRESQL_URL'),
    'mariadb': _setting('MYSQL_URL'),
}
# oslo.messaging's URL of the broker (the API's casts, the agents).
TRANSPORT_URL = _setting('TRANSPORT_URL')
# The same broker for kombu (raw publishes, the probe queue, clean-up).
_BROKER = parse.urlsplit(TRANSPORT_URL)
BROKER_URL = parse.urlunsplit(('amqp',) + _BROKER[1:])
BROKER_PORT = _BROKER.port or 5672

MICROVERSION = '2.80'
HEADERS = {'X-Auth-Token': 'admin:%s' % seed.PROJECT,
           'OpenStack-API-Version': 'compute %s' % MICROVERSION}
