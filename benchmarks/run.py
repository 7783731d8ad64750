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

"""Benchmark of the server-migrations API beside a bare WSGI app.

Usage: ``tox -e bench`` or ``python -m benchmarks.run [--quick]``.

Every figure is measured in the same run on this machine: each case runs
the real API and a bare app returning the same bytes under the same server
settings, interleaved, several rounds, and the medians are reported with
the ratio real/bare. Writes ``benchmarks/results.json`` and prints a table.
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
import urllib.request

from benchmarks import agent
from benchmarks import broker
from benchmarks import load
from benchmarks import seed
from benchmarks import servers

MICROVERSION = '2.80'
HEADERS = {'X-Auth-Token': 'admin:%s' % seed.PROJECT,
           'OpenStack-API-Version': 'compute %s' % MICROVERSION}
DATABASES = {
    'sqlite': None,  # a file in the work directory
    'postgresql': 'postgresql+psycopg2://postgres@127.0.0.1/sm_bench',
    'mariadb': 'mysql+pymysql://root@127.0.0.1/sm_bench',
}


def _machine():
    cpu = ''
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f
                       if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return {'cpu': cpu, 'cores': os.cpu_count(),
            'python': platform.python_version(),
            'kernel': platform.release()}


def _create_database(name, url):
    """Create an empty bench database on a server backend."""
    import sqlalchemy as sa
    suffix = '/postgres' if name == 'postgresql' else '/'
    admin = url.rsplit('/', 1)[0] + suffix
    engine = sa.create_engine(admin, isolation_level='AUTOCOMMIT')
    with engine.connect() as conn:
        conn.execute(sa.text('DROP DATABASE IF EXISTS sm_bench'))
        conn.execute(sa.text('CREATE DATABASE sm_bench'))
    engine.dispose()


class Workdir:
    """Config for the API (noauth2, a database URL) and the captures."""

    def __init__(self, url, transport_url='fake:/', extra=''):
        self.path = tempfile.mkdtemp(prefix='sm-bench-')
        self.url = url or 'sqlite:///%s' % os.path.join(self.path,
                                                        'bench.sqlite')
        with open(os.path.join(self.path, 'server-migrations.conf'),
                  'w') as f:
            f.write('[DEFAULT]\ntransport_url = %s\n'
                    'state_path = %s\n'
                    '[api]\nauth_strategy = noauth2\n'
                    '[database]\nconnection = %s\n'
                    '[oslo_policy]\npolicy_file = %s\n'
                    % (transport_url, self.path, self.url,
                       os.path.join(self.path, 'policy.yaml')))
            f.write(extra)
        self.env = {'OS_SERVER_MIGRATIONS_CONFIG_DIR': self.path,
                    'OS_SERVER_MIGRATIONS_CONFIG_FILES':
                        'server-migrations.conf'}

    def capture(self, port, path):
        """Save the real API's answer to ``path`` for the bare app."""
        request = urllib.request.Request(
            'http://127.0.0.1:%d%s' % (port, path), headers=HEADERS)
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


def _measure(server, path, seconds):
    before = server.cpu()
    result = load.wrk('http://127.0.0.1:%d%s' % (server.port, path),
                      HEADERS, seconds)
    result['cpu_us_per_request'] = (
        (server.cpu() - before) / max(result['requests'], 1) * 1e6)
    return result


def _median(runs):
    return {key: statistics.median(r[key] for r in runs)
            for key in ('rps', 'p50_ms', 'p99_ms', 'cpu_us_per_request')} | {
        'non_2xx': sum(r['non_2xx'] for r in runs),
        'rounds': len(runs)}


def http_case(work, kind, processes, path, seconds, rounds):
    """The real app and the bare app, interleaved; medians and ratios."""
    real_env = work.env
    with servers.Server(kind, 'server_migrations.wsgi.api', processes,
                        real_env) as real:
        capture = work.capture(real.port, path)
        with servers.Server(kind, 'benchmarks.bare_app', processes,
                            {'BENCH_BARE_RESPONSE': capture}) as bare:
            # Warm both (imports, first queries, lazy app build).
            load.wrk('http://127.0.0.1:%d%s' % (real.port, path), HEADERS, 1)
            load.wrk('http://127.0.0.1:%d%s' % (bare.port, path), HEADERS, 1)
            real_runs, bare_runs = [], []
            for _ in range(rounds):
                real_runs.append(_measure(real, path, seconds))
                bare_runs.append(_measure(bare, path, seconds))
    real_m, bare_m = _median(real_runs), _median(bare_runs)
    return {'server': kind, 'processes': processes, 'path': path,
            'real': real_m, 'bare': bare_m,
            'rps_ratio': real_m['rps'] / bare_m['rps'] if bare_m['rps']
            else None}


def _row(name, case):
    real, bare = case['real'], case['bare']
    return ('%-34s %9.0f %7.2f %7.2f %8.0f | %9.0f %7.2f %8.0f | %5.2f'
            % (name, real['rps'], real['p50_ms'], real['p99_ms'],
               real['cpu_us_per_request'], bare['rps'], bare['p99_ms'],
               bare['cpu_us_per_request'], case['rps_ratio'] or 0))


HEADER = ('%-34s %9s %7s %7s %8s | %9s %7s %8s | %5s'
          % ('case', 'req/s', 'p50ms', 'p99ms', 'cpu us', 'bare r/s',
             'p99ms', 'cpu us', 'ratio'))


ACTIONS_HEADER = ('%-34s %9s %7s %7s %8s'
                  % ('actions (RabbitMQ, PostgreSQL)', 'req/s', 'p50ms',
                     'p99ms', 'cpu us'))


def actions(seconds, rounds, other_rows):
    """Force-complete and abort casting to RabbitMQ, beside raw kombu."""
    _create_database('postgresql', DATABASES['postgresql'])
    work = Workdir(DATABASES['postgresql'], broker.TRANSPORT_URL)
    mid = seed.seed(work.url, other_rows)
    result = broker.actions_case(work, HEADERS, mid, seed.SERVER, seconds,
                                 rounds)
    print(ACTIONS_HEADER)
    labels = {'kombu': 'raw kombu publish (%d B)',
              'kombu-confirm': 'raw kombu, confirms (%d B)'}
    for name in ('force-complete', 'abort', 'kombu', 'kombu-confirm'):
        r = result[name]
        print('%-34s %9.0f %7.2f %7.2f %8s' % (
            labels[name] % result['message_bytes'] if name in labels
            else name,
            r['rps'], r['p50_ms'], r['p99_ms'],
            '%.0f' % r['cpu_us_per_request'] if 'cpu_us_per_request' in r
            else '-'))
    print('broker connections: uWSGI master %(master)d, workers '
          '%(workers)s' % result['broker_connections'], flush=True)
    return result


AGENT_CONF = ('[compute]\nmax_concurrent_live_migrations = 250\n'
              '[fake_driver]\nstep_seconds = 1.0\nbandwidth_mbps = 100\n'
              # Dirtier than the copy is fast: never converges unforced.
              'default_dirty_rate_mbps = 1000\ndefault_memory_mb = 4096\n'
              'permit_post_copy = true\n')


def agent_section(drop_casts=False):
    """200 migrations on one agent; 202 -> driver call at 100 actions/s.

    With ``drop_casts`` the API casts to an exchange no agent listens on:
    the cast is lost, and the agent's poll of the database carries every
    action out (``[compute] action_poll_interval``, 2 s).
    """
    url = DATABASES['postgresql']
    _create_database('postgresql', url)
    work = Workdir(url, broker.TRANSPORT_URL, AGENT_CONF)
    env = dict(work.env)
    if drop_casts:
        with open(os.path.join(work.path, 'dropped.conf'), 'w') as f:
            f.write('[DEFAULT]\ncontrol_exchange = sm-bench-dropped\n')
        env['OS_SERVER_MIGRATIONS_CONFIG_FILES'] = (
            'server-migrations.conf;dropped.conf')
    result = agent.agent_case(
        work, url, HEADERS, seed.PROJECT,
        lambda: servers.Server('uwsgi', 'server_migrations.wsgi.api', 2,
                               env),
        count=50 if drop_casts else 200,
        rate=10.0 if drop_casts else 100.0)
    if drop_casts:
        latency = result['ms_from_202_to_driver'] or {}
        print('agent, casts dropped: %d force-completes at %.0f/s carried '
              'out by the poll: 202 -> driver call p50 %.0f ms, p99 %.0f '
              'ms, max %.0f ms' % (
                  result['driver_calls'], result['rate_per_s'],
                  latency.get('p50', -1), latency.get('p99', -1),
                  latency.get('max', -1)), flush=True)
        return result
    latency = result['ms_from_202_to_driver'] or {}
    progress = result['progress']
    print('agent: 202 -> cast received p50 %(p50).2f ms p99 %(p99).2f ms'
          % (result['ms_from_202_to_agent'] or {'p50': -1, 'p99': -1}))
    print('agent: received -> driver call p50 %(p50).2f ms p99 %(p99).2f ms'
          % (result['ms_in_agent_before_driver'] or {'p50': -1, 'p99': -1}))
    print('agent: %d force-completes at %.0f/s: 202 -> driver call p50 '
          '%.2f ms, p99 %.2f ms (request sent -> driver p50 %.2f ms); '
          '%d migrations, progress interval p50 %.3f s, p99 %.3f s, '
          'max %.3f s (step %.1f s), %d late'
          % (result['driver_calls'], result['rate_per_s'],
             latency.get('p50', -1), latency.get('p99', -1),
             (result['ms_from_request_to_driver'] or {}).get('p50', -1),
             progress['migrations'], progress['interval_p50_s'] or -1,
             progress['interval_p99_s'] or -1,
             progress['interval_max_s'] or -1, progress['step_s'],
             progress['late_over_1.5_steps']), flush=True)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='short runs, fewer rows (a smoke check)')
    parser.add_argument('--output', default=os.path.join(
        os.path.dirname(__file__), 'results.json'))
    parser.add_argument('--databases', default='sqlite,postgresql,mariadb')
    parser.add_argument('--sections',
                        default='http,rows,actions,agent,agent-dropped',
                        help='any of http (servers and databases), rows '
                        '(table size), actions (RabbitMQ), agent (202 to '
                        'driver call, 200 migrations on one agent), '
                        'agent-dropped (the same with every cast lost)')
    args = parser.parse_args(argv)
    sections = args.sections.split(',')
    seconds, rounds = (2, 1) if args.quick else (5, 3)
    other_rows = 1000 if args.quick else 100000
    results = {'machine': _machine(), 'cases': []}
    if 'http' in sections or 'rows' in sections:
        print(HEADER)

    def record(name, case):
        case['name'] = name
        results['cases'].append(case)
        print(_row(name, case), flush=True)

    for db in (args.databases.split(',') if 'http' in sections else ()):
        url = DATABASES[db]
        if url:
            _create_database(db, url)
        work = Workdir(url)
        mid = seed.seed(work.url, other_rows)
        list_path = '/v2.1/servers/%s/migrations' % seed.SERVER
        show_path = '%s/%d' % (list_path, mid)
        layouts = [('uwsgi', 2)] if db != 'sqlite' else [
            ('uwsgi', 1), ('uwsgi', 2), ('gunicorn', 1)]
        for kind, procs in layouts:
            record('%s list %s x%d' % (db, kind, procs),
                   http_case(work, kind, procs, list_path, seconds, rounds))
            if db == 'sqlite':
                record('%s show %s x%d' % (db, kind, procs),
                       http_case(work, kind, procs, show_path, seconds,
                                 rounds))

    # The list's cost must not grow with the size of the table.
    for rows in (() if 'rows' not in sections else
                 (1000, 100000) if args.quick else (1000, 100000, 1000000)):
        work = Workdir(None)
        seed.seed(work.url, rows)
        record('sqlite list rows=%d uwsgi x2' % rows,
               http_case(work, 'uwsgi', 2,
                         '/v2.1/servers/%s/migrations' % seed.SERVER,
                         seconds, rounds))

    # The broker parts last, each on its own: a failure there is reported
    # and does not lose the figures above.
    failed = False
    for name, run_section in (
            ('actions', lambda: actions(seconds, rounds, other_rows)),
            ('agent', agent_section),
            ('agent-dropped', lambda: agent_section(drop_casts=True))):
        if name not in sections:
            continue
        try:
            results[name] = run_section()
        except Exception as exc:
            failed = True
            results[name] = {'error': repr(exc)}
            print('%s: FAILED: %r' % (name, exc), flush=True)

    with open(args.output, 'w') as f:
        json.dump(results, f, indent=2)
    print('wrote %s' % args.output)
    return 1 if failed else 0


if __name__ == '__main__':
    raise SystemExit(main())
