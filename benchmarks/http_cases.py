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

"""The read path over HTTP, beside a bare WSGI app (sections http, rows).

Each case runs the real API and, under the same server and settings, a bare
app answering the bytes the real API answered; wrk runs them interleaved
for a few rounds and the medians are kept. The generators yield
``(name, case)`` as each case is measured.
"""

from benchmarks import load
from benchmarks import seed
from benchmarks import servers
from benchmarks import settings
from benchmarks import workdir

BARE = 'benchmarks.bare_app'
LIST = '/v2.1/servers/%s/migrations' % seed.SERVER


def http_case(work, kind, processes, path, seconds, rounds):
    """The real app and the bare app, interleaved; medians and ratios."""
    headers = settings.HEADERS
    with servers.Server(kind, servers.API, processes, work.env) as real:
        capture = work.capture(real.port, path)
        with servers.Server(kind, BARE, processes,
                            {'BENCH_BARE_RESPONSE': capture}) as bare:
            # Warm both (imports, first queries, lazy app build).
            load.wrk('http://127.0.0.1:%d%s' % (real.port, path), headers, 1)
            load.wrk('http://127.0.0.1:%d%s' % (bare.port, path), headers, 1)
            real_runs, bare_runs = [], []
            for _ in range(rounds):
                real_runs.append(load.measure(real, path, headers, seconds))
                bare_runs.append(load.measure(bare, path, headers, seconds))
    real_m, bare_m = load.medians(real_runs), load.medians(bare_runs)
    return {'server': kind, 'processes': processes, 'path': path,
            'real': real_m, 'bare': bare_m,
            'rps_ratio': real_m['rps'] / bare_m['rps'] if bare_m['rps']
            else None}


def databases(names, other_rows, seconds, rounds):
    """List (and show, on SQLite) under each server layout, per database."""
    for db in names:
        url = settings.DATABASES[db]
        if url:
            seed.create_database(url)
        work = workdir.Workdir(url)
        mid = seed.seed(work.url, other_rows)
        show = '%s/%d' % (LIST, mid)
        layouts = [('uwsgi', 2)] if db != 'sqlite' else [
            ('uwsgi', 1), ('uwsgi', 2), ('gunicorn', 1)]
        for kind, procs in layouts:
            yield ('%s list %s x%d' % (db, kind, procs),
                   http_case(work, kind, procs, LIST, seconds, rounds))
            if db == 'sqlite':
                yield ('%s show %s x%d' % (db, kind, procs),
                       http_case(work, kind, procs, show, seconds, rounds))


def table_sizes(sizes, seconds, rounds):
    """The list on SQLite under uWSGI x2 with ``sizes`` migration rows.

    Its cost must not grow with the size of the table.
    """
    for rows in sizes:
        work = workdir.Workdir(None)
        seed.seed(work.url, rows)
        yield ('sqlite list rows=%d uwsgi x2' % rows,
               http_case(work, 'uwsgi', 2, LIST, seconds, rounds))
