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
so that no queue of an earlier run or of a test is involved) run in their
own process (``benchmarks.agent``), the fake driver recording when it is
called. The benchmark starts 200 never-converging live migrations through
the API (uWSGI, RabbitMQ, PostgreSQL), watches their progress reports for a
while, then force-completes them at 100 per second and pairs each 202 with
the agent's claim of the action (``agent_actions.claimed_at``) and with its
driver call.
"""

import datetime
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid as uuidlib

import kombu
import sqlalchemy as sa

from benchmarks import seed
from benchmarks import servers
from benchmarks import settings
from benchmarks import workdir
from server_migrations import action_names as names
from server_migrations.db import models
from server_migrations import migration_states as states

ROOT = servers.ROOT
AGENT_CONF = ('[compute]\nmax_concurrent_live_migrations = 250\n'
              '[fake_driver]\nstep_seconds = 1.0\nbandwidth_mbps = 100\n'
              # Dirtier than the copy is fast: never converges unforced.
              'default_dirty_rate_mbps = 1000\ndefault_memory_mb = 4096\n'
              'permit_post_copy = true\n')
# Casts go to an exchange no agent listens on: every one is lost.
DROPPED_CONF = '[DEFAULT]\ncontrol_exchange = sm-bench-dropped\n'
_SERVICES = models.Service.__table__
_MIGRATIONS = models.Migration.__table__
_AGENT_ACTIONS = models.AgentAction.__table__


def _pct(values, pct):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * pct / 100.0))]


def _spread(values, with_max=False):
    """p50 and p99 (and the max) of ``values``, or None without any."""
    if not values:
        return None
    spread = {'p50': _pct(values, 50), 'p99': _pct(values, 99)}
    if with_max:
        spread['max'] = max(values)
    return spread


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


class _Database:
    """What the benchmark reads of the database while the agents work."""

    def __init__(self, url):
        self.engine = sa.create_engine(url)

    def _scalar(self, statement):
        with self.engine.connect() as conn:
            return conn.execute(statement).scalar()

    def agents_up(self, hosts):
        return self._scalar(
            sa.select(sa.func.count()).select_from(_SERVICES).where(
                _SERVICES.c.host.in_(hosts), _SERVICES.c.deleted == 0))

    def running(self):
        return self._scalar(
            sa.select(sa.func.count()).select_from(_MIGRATIONS).where(
                _MIGRATIONS.c.status == states.RUNNING))

    def statuses(self):
        with self.engine.connect() as conn:
            return dict(conn.execute(
                sa.select(_MIGRATIONS.c.status, sa.func.count())
                .group_by(_MIGRATIONS.c.status)).all())

    def claimed_at(self, method):
        """{server: when its agent claimed its ``method``} (epoch s)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(_AGENT_ACTIONS.c.instance_uuid,
                          _AGENT_ACTIONS.c.claimed_at)
                .where(_AGENT_ACTIONS.c.method == method,
                       _AGENT_ACTIONS.c.claimed_at.isnot(None))).all()
        utc = datetime.timezone.utc
        return {uuid: at.replace(tzinfo=utc).timestamp()
                for uuid, at in rows}

    def dispose(self):
        self.engine.dispose()


def _delete_queues(names):
    """Remove the agents' server queues (oslo.messaging leaves them)."""
    with kombu.Connection(settings.BROKER_URL) as conn:
        for name in names:
            try:
                conn.channel().queue_delete(name, if_unused=True)
            except Exception:  # already gone, or still used: leave it
                pass


def _wait(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError('timed out waiting for %s' % what)
        time.sleep(0.2)


def _start_agents(work, record, hosts):
    log = open(os.path.join(work.path, 'agent.log'), 'w')
    try:
        return subprocess.Popen(
            [sys.executable, '-m', 'benchmarks.agent', '--config-file',
             work.conf, '--record', record, '--hosts', ','.join(hosts)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


def _stop_agents(agent, hosts):
    agent.terminate()
    try:
        agent.wait(60)
    except subprocess.TimeoutExpired:
        agent.kill()
        agent.wait()
    _delete_queues(['compute.%s' % host for host in hosts])


def agent_case(work, api_env, count=200, rate=100.0, observe=10.0,
               step=1.0):
    """``count`` migrations on one agent; force-complete them at ``rate``/s.

    ``api_env`` may give the API a configuration whose casts reach no agent
    (another exchange): then every action, the starts included, is carried
    out from the agent's poll of the database.
    """
    suffix = uuidlib.uuid4().hex[:8]
    hosts = source, dest = 'bench-%s-src' % suffix, 'bench-%s-dst' % suffix
    uuids = seed.servers_on_host(work.url, count, source)
    record = os.path.join(work.path, 'agent-record.json')
    db = _Database(work.url)
    agent = _start_agents(work, record, hosts)
    try:
        _wait('agents', lambda: db.agents_up(hosts) == 2, 60)
        with servers.Server('uwsgi', servers.API, 2, api_env) as api:
            client = _Client(api.port, settings.HEADERS)
            for uuid in uuids:
                status = client.post(
                    '/v2.1/servers/%s/action' % uuid,
                    {'os-migrateLive': {'host': dest,
                                        'block_migration': 'auto'}})
                if status != 202:
                    raise RuntimeError('os-migrateLive answered %s' % status)
            try:
                _wait('running migrations', lambda: db.running() == count,
                      120)
            except RuntimeError:
                raise RuntimeError('not all migrations run: %s'
                                   % db.statuses())
            watch_from = time.time()
            time.sleep(observe)
            watch = (watch_from, time.time())
            sent, answered = _paced_force_complete(api.port, uuids, rate)
            time.sleep(3)
        claimed = db.claimed_at(names.FORCE_COMPLETE)
    finally:
        _stop_agents(agent, hosts)
        db.dispose()
    with open(record) as f:
        recorded = json.load(f)
    return _summary(recorded, claimed, uuids, sent, answered, watch, step,
                    rate, count)


def _paced_force_complete(port, uuids, rate, threads=4):
    """POST force_complete for each server's migration at ``rate`` per s."""
    sent, answered = {}, {}
    client = _Client(port, settings.HEADERS)
    ids = {}
    for uuid in uuids:
        _status, body = client.request(
            'GET', '/v2.1/servers/%s/migrations' % uuid)
        ids[uuid] = json.loads(body)['migrations'][0]['id']
    start = time.time() + 0.5

    def worker(offset):
        client = _Client(port, settings.HEADERS)
        for i in range(offset, len(uuids), threads):
            uuid = uuids[i]
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


def _summary(recorded, claimed, uuids, sent, answered, watch, step, rate,
             count):
    calls = recorded['force_complete_at']
    after_202 = [(calls[u] - answered[u]) * 1e3 for u in uuids
                 if answered.get(u) and u in calls]
    after_send = [(calls[u] - sent[u]) * 1e3 for u in uuids
                  if u in calls and u in sent]
    to_claim = [(claimed[u] - answered[u]) * 1e3 for u in uuids
                if answered.get(u) and u in claimed]
    claim_to_driver = [(calls[u] - claimed[u]) * 1e3 for u in uuids
                       if u in calls and u in claimed]
    intervals = []
    for times in recorded['progress_at'].values():
        window = [t for t in times if watch[0] <= t <= watch[1]]
        intervals += [b - a for a, b in zip(window, window[1:])]
    late = [i for i in intervals if i > 1.5 * step]
    return {
        'actions': count, 'rate_per_s': rate,
        'answered_202': sum(1 for v in answered.values() if v),
        'driver_calls': len(after_202),
        'ms_from_202_to_driver': _spread(after_202, with_max=True),
        'ms_from_202_to_claim': _spread(to_claim),
        'ms_from_claim_to_driver': _spread(claim_to_driver),
        'ms_from_request_to_driver': _spread(after_send),
        'progress': {
            'migrations': len(recorded['progress_at']),
            'step_s': step, 'reports': len(intervals),
            'interval_p50_s': statistics.median(intervals)
            if intervals else None,
            'interval_p99_s': _pct(intervals, 99) if intervals else None,
            'interval_max_s': max(intervals) if intervals else None,
            'late_over_1.5_steps': len(late)},
    }


def section(drop_casts=False, count=None, rate=None, observe=10.0):
    """200 migrations on one agent; 202 -> driver call at 100 actions/s.

    With ``drop_casts`` (50 migrations at 10 actions/s) the API casts to an
    exchange no agent listens on: the cast is lost, and the agent's poll
    of the database carries every action out (``[compute]
    action_poll_interval``, 2 s).
    """
    url = settings.DATABASES['postgresql']
    seed.create_database(url)
    work = workdir.Workdir(url, settings.TRANSPORT_URL, AGENT_CONF)
    api_env = (work.add_conf('dropped.conf', DROPPED_CONF) if drop_casts
               else work.env)
    return agent_case(
        work, api_env,
        count=count or (50 if drop_casts else 200),
        rate=rate or (10.0 if drop_casts else 100.0), observe=observe)
