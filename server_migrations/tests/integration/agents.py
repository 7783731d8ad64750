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

"""Compute agents as real processes, and the guests their fake driver runs."""

import json
import os
import subprocess
import sys
import time

from server_migrations.db import services as db_services
from server_migrations.tests import utils

RABBIT_URL = os.environ.get('SERVER_MIGRATIONS_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')


class AgentProcess:
    """``server-migrations-compute`` for one host, with its own config."""

    def __init__(self, tmp, host, database_url, guests_file, extra=None,
                 **options):
        self.host = host
        self.log_path = os.path.join(tmp, '%s.log' % host)
        self.config_path = os.path.join(tmp, '%s.conf' % host)
        compute = {'heartbeat_interval': 1,
                   'max_concurrent_live_migrations':
                       options.pop('max_concurrent', 1)}
        fake = {'step_seconds': 0.02, 'bandwidth_mbps': 1024,
                'guests_file': guests_file}
        fake.update(options)
        sections = {
            'DEFAULT': {'host': host, 'transport_url': RABBIT_URL,
                        'state_path': tmp, 'debug': True},
            'database': {'connection': database_url},
            'compute': compute, 'fake_driver': fake,
        }
        for name, values in (extra or {}).items():
            sections.setdefault(name, {}).update(values)
        with open(self.config_path, 'w') as stream:
            for name, values in sections.items():
                stream.write('[%s]\n' % name)
                for key, value in values.items():
                    stream.write('%s = %s\n' % (key, value))
        self.proc = None

    def start(self, context, timeout=60):
        before = self.last_seen(context)
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen(
                [sys.executable, '-m', 'server_migrations.cmd.compute',
                 '--config-file', self.config_path],
                stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.last_seen(context) != before or
                 self.proc.poll() is not None, timeout,
                 'agent %s to start' % self.host)
        if self.proc.poll() is not None:
            raise AssertionError('agent %s died:\n%s' % (self.host,
                                                         self.log()))
        # The RPC server starts right after the first heartbeat.
        time.sleep(0.5)

    def last_seen(self, context):
        rows = [s for s in db_services.service_get_all(context)
                if s['host'] == self.host]
        return rows[0]['last_seen_at'] if rows else None

    def stop(self, signum, timeout=60):
        self.proc.send_signal(signum)
        return self.proc.wait(timeout)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def log(self):
        try:
            with open(self.log_path, errors='replace') as stream:
                return stream.read()[-20000:]
        except OSError:
            return ''


def write_guests(path, guests):
    with open(path, 'w') as stream:
        json.dump(guests, stream)


def wait_for(predicate, timeout=60, what='condition'):
    return utils.wait_for(predicate, timeout, what, 0.05)
