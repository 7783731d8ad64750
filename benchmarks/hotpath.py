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

"""Profile the API's hot path in-process, without a server or a socket.

Usage: ``python -m benchmarks.hotpath [--profile] [--requests N]``.

Builds the application exactly as ``server_migrations.wsgi.api`` does (the
noauth2 pipeline, a seeded SQLite file), calls it directly with list and
show requests and prints the CPU time per request; with ``--profile`` it
also prints pyinstrument's call tree of the same calls.
"""

import argparse
import io
import os
import sys
import time

from benchmarks import report
from benchmarks import seed
from benchmarks import settings
from benchmarks import workdir

HEADERS = settings.HEADERS


def _environ(path):
    return {
        'REQUEST_METHOD': 'GET', 'SCRIPT_NAME': '', 'PATH_INFO': path,
        'QUERY_STRING': '', 'SERVER_NAME': '127.0.0.1',
        'SERVER_PORT': '8774', 'SERVER_PROTOCOL': 'HTTP/1.1',
        'REMOTE_ADDR': '127.0.0.1',
        'HTTP_HOST': '127.0.0.1:8774',
        'HTTP_X_AUTH_TOKEN': HEADERS['X-Auth-Token'],
        'HTTP_OPENSTACK_API_VERSION': HEADERS['OpenStack-API-Version'],
        'wsgi.version': (1, 0), 'wsgi.url_scheme': 'http',
        'wsgi.input': io.BytesIO(b''), 'wsgi.errors': sys.stderr,
        'wsgi.multithread': False, 'wsgi.multiprocess': True,
        'wsgi.run_once': False,
    }


def _call(app, path):
    status = []

    def start_response(s, headers, exc_info=None):
        status.append(s)

    body = b''.join(app(_environ(path), start_response))
    if not status[0].startswith('200'):
        raise RuntimeError('%s answered %s: %s' % (path, status[0], body))
    return body


def _cpu_per_request(app, path, n, rounds=10):
    """The least CPU per request of a few rounds (the machine is shared)."""
    best = None
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(n // rounds):
            _call(app, path)
        took = (time.process_time() - start) / (n // rounds) * 1e6
        best = took if best is None else min(best, took)
    return best


def _profile(app, path, n):
    """pyinstrument's call tree of ``n`` calls, as text."""
    import pyinstrument
    profiler = pyinstrument.Profiler(interval=0.0001)
    with profiler:
        for _ in range(n):
            _call(app, path)
    return profiler.output_text(unicode=False, color=False, show_all=False)


def _application(rows):
    """The API on a seeded SQLite file; the show path's migration id."""
    work = workdir.Workdir(None)
    mid = seed.seed(work.url, rows)
    os.environ.update(work.env)
    from server_migrations import wsgi
    return wsgi.init_application(), mid


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=2000)
    parser.add_argument('--rows', type=int, default=1000)
    parser.add_argument('--profile', action='store_true',
                        help='print pyinstrument call trees')
    args = parser.parse_args(argv)
    app, mid = _application(args.rows)
    list_path = '/v2.1/servers/%s/migrations' % seed.SERVER
    paths = {'list': list_path, 'show': '%s/%d' % (list_path, mid)}
    for name, path in paths.items():
        for _ in range(50):  # warm: first queries, lazy caches
            _call(app, path)
        report.hotpath_cpu(name, _cpu_per_request(app, path, args.requests),
                           args.requests)
    if args.profile:
        for name, path in paths.items():
            report.profile(name, _profile(app, path, args.requests))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
