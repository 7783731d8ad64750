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

"""The compute agent under load: 202 to driver call, progress on time.

Two simulated agents (a source and a destination, named afresh for each run
so that no queue of an earlier run or of a test is involved) run in a
separate process (``python -m benchmarks.agent --config-file ... --record
FILE --hosts SRC,DST``) with the fake driver wrapped to record, with wall-clock
times, each force-complete reaching the driver and each progress report
of a migration. The benchmark starts 200 never-converging live migrations
through the API (uWSGI, RabbitMQ, PostgreSQL), watches their progress
reports for a while, then force-completes them at 100 per second and
pairs each 202 with its driver call.
"""

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid as uuidlib

import kombu
from oslo_utils import timeutils
import sqlalchemy as sa

from benchmarks import broker
from server_migrations.db import migration as db_migration
from server_migrations.db import models
from server_migrations.virt import fake


class RecordingDriver(fake.FakeDriver):
    """The fake driver, noting when it is called and reports progress."""

    def __init__(self, conf, host):
        super().__init__(conf, host)
        self.force_complete_at = {}
        self.progress_at = {}

    def live_migration(self, instance, migration, dest, block_migration,
                       monitor):
        times = self.progress_at.setdefault(migration['id'], [])

        class Timed:
            def progress(self, stats):
                times.append(time.time())
                monitor.progress(stats)

            def __getattr__(self, name):
                return getattr(monitor, name)

        return super().live_migration(instance, migration, dest,
                                      block_migration, Timed())

    def live_migration_force_complete(self, instance):
        self.force_complete_at.setdefault(instance['uuid'], time.time())
        return super().live_migration_force_complete(instance)


def agent_main(argv=None):
    """The agents' process: run until SIGTERM, then write the records."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--record', required=True)
    parser.add_argument('--hosts', required=True, help='source,destination')
    args = parser.parse_args(argv)
    source, dest = args.hosts.split(',')
    from server_migrations.compute import service
    from server_migrations.db import engine as db_engine
    from server_migrations import startup
    conf = startup.setup(['--config-file', args.config_file])
    db_engine.configure(conf)
    driver = RecordingDriver(conf, source)
    agents = [service.ComputeService(conf, source, driver=driver),
              service.ComputeService(conf, dest)]
    # When each cast reaches the agent (before it claims the action), to
    # split the 202 -> driver time.
    received_at = {}
    handler = agents[0].manager.take_cast

    def received(context, method, instance_uuid, *args, **kwargs):
        if method == 'live_migration_force_complete':
            received_at.setdefault(instance_uuid, time.time())
        return handler(context, method, instance_uuid, *args, **kwargs)

    agents[0].manager.take_cast = received
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for agent in agents:
        agent.start()
    stop.wait()
    with open(args.record, 'w') as f:
        json.dump({'force_complete_at': driver.force_complete_at,
                   'received_at': received_at,
                   'progress_at': {str(k): v for k, v in
                                   driver.progress_at.items()}}, f)
    for agent in agents:
        agent.stop(timeout=5)
    return 0


def _pct(values, pct):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * pct / 100.0))]


class _Client:
    """One connection per request: uWSGI's http-socket closes each one."""

    def __init__(self, port, headers):
        self.port = port
        self.headers = dict(headers, **{'Content-Type': 'application/json'})

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        try:
            conn.request(method, path,
                         json.dumps(body) if body is not None else None,
                         self.headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def post(self, path, body):
        return self.request('POST', path, body)[0]


def _seed(url, count, project, source):
    engine = sa.create_engine(url)
    try:
        db_migration.upgrade(engine)
        rows = [dict(uuid=str(uuidlib.uuid4()), project_id=project,
                     user_id='bench', host=source, node=source,
                     vm_state='active', launched_at=timeutils.utcnow(),
                     locked=False, deleted=0, memory_mb=4096, root_gb=0)
                for _ in range(count)]
        with engine.begin() as conn:
            conn.execute(sa.insert(models.Instance.__table__), rows)
        return [r['uuid'] for r in rows]
    finally:
        engine.dispose()


def _count(url, sql):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def _delete_queues(names):
    """Remove the agents' server queues (oslo.messaging leaves them)."""
    with kombu.Connection(broker.BROKER) as conn:
        for name in names:
            try:
                conn.channel().queue_delete(name, if_unused=True)
            except Exception:  # already gone, or still used: leave it
                pass


def _statuses(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text(
                'SELECT status, count(*) FROM migrations GROUP BY status'
            )).all())
    finally:
        engine.dispose()


def _wait(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError('timed out waiting for %s' % what)
        time.sleep(0.2)


def agent_case(work, url, headers, project, server_factory, count=200,
               rate=100.0, observe=10.0, step=1.0):
    """200 migrations on one agent; force-complete them at ``rate``/s.

    ``server_factory`` may give the API a configuration whose casts reach
    no agent (another exchange): then every action, the starts included,
    is carried out from the agent's poll of the database.
    """
    suffix = uuidlib.uuid4().hex[:8]
    source, dest = 'bench-%s-src' % suffix, 'bench-%s-dst' % suffix
    servers = _seed(url, count, project, source)
    record = os.path.join(work.path, 'agent-record.json')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    log = open(os.path.join(work.path, 'agent.log'), 'w')
    agent = subprocess.Popen(
        [sys.executable, '-m', 'benchmarks.agent', '--config-file',
         os.path.join(work.path, 'server-migrations.conf'), '--record',
         record, '--hosts', '%s,%s' % (source, dest)], cwd=root,
        stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        _wait('agents', lambda: _count(
            url, "SELECT count(*) FROM services WHERE deleted = 0") == 2, 60)
        with server_factory() as api:
            client = _Client(api.port, headers)
            for uuid in servers:
                status = client.post(
                    '/v2.1/servers/%s/action' % uuid,
                    {'os-migrateLive': {'host': dest,
                                        'block_migration': 'auto'}})
                if status != 202:
                    raise RuntimeError('os-migrateLive answered %s' % status)
            try:
                _wait('running migrations', lambda: _count(
                    url, "SELECT count(*) FROM migrations WHERE "
                    "status = 'running'") == count, 120)
            except RuntimeError:
                raise RuntimeError('not all migrations run: %s' % _statuses(
                    url))
            watch_from = time.time()
            time.sleep(observe)
            watch_to = time.time()
            sent, answered = _paced_force_complete(api.port, headers,
                                                   servers, rate)
            time.sleep(3)
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(60)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
        _delete_queues(['compute.%s' % source, 'compute.%s' % dest])
    with open(record) as f:
        recorded = json.load(f)
    return _summary(recorded, servers, sent, answered, watch_from, watch_to,
                    step, rate, count)


def _paced_force_complete(port, headers, servers, rate, threads=4):
    """POST force_complete for each server's migration at ``rate`` per s."""
    sent, answered = {}, {}
    client = _Client(port, headers)
    ids = {}
    for uuid in servers:
        _status, body = client.request(
            'GET', '/v2.1/servers/%s/migrations' % uuid)
        ids[uuid] = json.loads(body)['migrations'][0]['id']
    start = time.time() + 0.5

    def worker(offset):
        client = _Client(port, headers)
        for i in range(offset, len(servers), threads):
            uuid = servers[i]
            due = start + i / rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            sent[uuid] = time.time()
            status = client.post('/v2.1/servers/%s/migrations/%d/action'
                                 % (uuid, ids[uuid]),
                                 {'force_complete': None})
            answered[uuid] = time.time() if status == 202 else None

    workers = [threading.Thread(target=worker, args=(n,))
               for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sent, answered


def _summary(recorded, servers, sent, answered, watch_from, watch_to, step,
             rate, count):
    calls = recorded['force_complete_at']
    after_202 = [(calls[u] - answered[u]) * 1e3 for u in servers
                 if answered.get(u) and u in calls]
    after_send = [(calls[u] - sent[u]) * 1e3 for u in servers
                  if u in calls and u in sent]
    received = recorded['received_at']
    to_agent = [(received[u] - answered[u]) * 1e3 for u in servers
                if answered.get(u) and u in received]
    in_agent = [(calls[u] - received[u]) * 1e3 for u in servers
                if u in calls and u in received]
    intervals = []
    for times in recorded['progress_at'].values():
        window = [t for t in times if watch_from <= t <= watch_to]
        intervals += [b - a for a, b in zip(window, window[1:])]
    late = [i for i in intervals if i > 1.5 * step]
    return {
        'actions': count, 'rate_per_s': rate,
        'answered_202': sum(1 for v in answered.values() if v),
        'driver_calls': len(after_202),
        'ms_from_202_to_driver': {
            'p50': _pct(after_202, 50), 'p99': _pct(after_202, 99),
            'max': max(after_202)} if after_202 else None,
        'ms_from_202_to_agent': {
            'p50': _pct(to_agent, 50), 'p99': _pct(to_agent, 99)}
        if to_agent else None,
        'ms_in_agent_before_driver': {
            'p50': _pct(in_agent, 50), 'p99': _pct(in_agent, 99)}
        if in_agent else None,
        'ms_from_request_to_driver': {
            'p50': _pct(after_send, 50), 'p99': _pct(after_send, 99)}
        if after_send else None,
        'progress': {
            'migrations': len(recorded['progress_at']),
            'step_s': step, 'reports': len(intervals),
            'interval_p50_s': statistics.median(intervals)
            if intervals else None,
            'interval_p99_s': _pct(intervals, 99) if intervals else None,
            'interval_max_s': max(intervals) if intervals else None,
            'late_over_1.5_steps': len(late)},
    }


if __name__ == '__main__':
    raise SystemExit(agent_main())
