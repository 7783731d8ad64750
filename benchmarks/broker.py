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

"""Force-complete and abort over the real RabbitMQ, beside raw kombu.

The API runs under uWSGI with the rabbit transport; wrk posts the actions
(each one records an instance action and casts to the source host). Beside
it, kombu publishes messages of the size of the API's casts (measured from
a cast caught on a probe queue) to the same exchange, on one connection.
The API's broker connections are counted per process from /proc.
"""

import os
import time
import urllib.request

import kombu

from benchmarks import load
from benchmarks import seed
from benchmarks import servers
from benchmarks import settings
from benchmarks import workdir

EXCHANGE = 'server_migrations'  # server_migrations.rpc.CONTROL_EXCHANGE
ROUTING_KEY = 'compute.%s' % seed.SOURCE  # topic "compute", source host
# Raw publishes go to a key nothing is bound to (dropped by the broker).
KOMBU_ROUTING_KEY = 'compute.bench-kombu'


def _lua(workdir, name, method, body=None):
    path = os.path.join(workdir, '%s.lua' % name)
    with open(path, 'w') as f:
        f.write('wrk.method = "%s"\n' % method)
        if body is not None:
            f.write("wrk.body = '%s'\n" % body)
            f.write('wrk.headers["Content-Type"] = "application/json"\n')
    return path


def _socket_inodes(pid):
    inodes = set()
    try:
        for fd in os.listdir('/proc/%d/fd' % pid):
            try:
                target = os.readlink('/proc/%d/fd/%s' % (pid, fd))
            except OSError:
                continue
            if target.startswith('socket:['):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _amqp_socket_inodes():
    """Inodes of established TCP connections to the broker's port."""
    found = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    remote_port = int(fields[2].rsplit(':', 1)[1], 16)
                    if (remote_port == settings.BROKER_PORT and
                            fields[3] == '01'):
                        found.add(fields[9])
        except OSError:
            continue
    return found


def broker_connections(server):
    """{pid: broker connections} for a server's master and workers."""
    amqp = _amqp_socket_inodes()
    return {pid: len(_socket_inodes(pid) & amqp)
            for pid in servers.descendants(server.proc.pid)}


def cast_size(port, method, path, body, headers):
    """Bytes of the message one API action casts (caught on a probe queue).

    Also proves the action reached RabbitMQ with the expected routing key.
    """
    with kombu.Connection(settings.BROKER_URL) as conn:
        exchange = kombu.Exchange(EXCHANGE, type='topic', durable=False)
        queue = kombu.Queue('sm-bench-probe', exchange,
                            routing_key=ROUTING_KEY, auto_delete=False)
        bound = queue(conn.default_channel)
        bound.declare()
        try:
            bound.purge()
            request = urllib.request.Request(
                'http://127.0.0.1:%d%s' % (port, path), method=method,
                data=body.encode() if body else None,
                headers=dict(headers, **{'Content-Type':
                                         'application/json'}))
            with urllib.request.urlopen(request) as response:
                if response.status != 202:
                    raise RuntimeError('action answered %s'
                                       % response.status)
            deadline = time.monotonic() + 10
            message = None
            while message is None and time.monotonic() < deadline:
                message = bound.get(no_ack=True)
                if message is None:
                    time.sleep(0.05)
            if message is None:
                raise RuntimeError('no cast reached the probe queue')
            return len(message.body)
        finally:
            bound.delete()


def kombu_publish(size, seconds, confirm):
    """Publish ``size``-byte messages on one connection for ``seconds``.

    Same exchange as the API's casts, a routing key no queue is bound to
    (as the API's casts to a host without an agent), transient: the
    broker's ceiling per connection. oslo.messaging's rabbit driver
    publishes with confirms (one broker round trip per cast); ``confirm``
    does the same, for a like-for-like figure.
    """
    body = b'x' * size
    latencies = []
    with kombu.Connection(settings.BROKER_URL, transport_options={
            'confirm_publish': confirm}) as conn:
        exchange = kombu.Exchange(EXCHANGE, type='topic', durable=False)
        producer = kombu.Producer(conn.default_channel, exchange=exchange)
        start = time.monotonic()
        end = start + seconds
        while True:
            t0 = time.perf_counter()
            producer.publish(body, routing_key=KOMBU_ROUTING_KEY,
                             content_type='application/json',
                             delivery_mode=1)
            latencies.append(time.perf_counter() - t0)
            if time.monotonic() >= end:
                break
        elapsed = time.monotonic() - start
    latencies.sort()
    return {'rps': len(latencies) / elapsed,
            'p50_ms': latencies[len(latencies) // 2] * 1e3,
            'p99_ms': latencies[int(len(latencies) * 0.99)] * 1e3,
            'requests': len(latencies)}


def actions_case(work, run_headers, mid, server_uuid, seconds, rounds,
                 processes=2):
    """Both actions under uWSGI, beside kombu; medians of ``rounds``."""
    base = '/v2.1/servers/%s/migrations/%d' % (server_uuid, mid)
    actions = {
        'force-complete': ('POST', base + '/action',
                           '{"force_complete": null}'),
        'abort': ('DELETE', base, None),
    }
    scripts = {name: _lua(work.path, name.replace('-', '_'), method, body)
               for name, (method, path, body) in actions.items()}
    results = {}
    with servers.Server('uwsgi', servers.API, processes, work.env) as api:
        size = cast_size(api.port, *actions['force-complete'],
                         headers=run_headers)
        runs = {name: [] for name in actions}
        runs['kombu'] = []
        runs['kombu-confirm'] = []
        for name, (method, path, body) in actions.items():
            load.wrk('http://127.0.0.1:%d%s' % (api.port, path),
                     run_headers, 1, script=scripts[name])
        for _ in range(rounds):
            for name, (method, path, body) in actions.items():
                runs[name].append(load.measure(api, path, run_headers,
                                               seconds, script=scripts[name]))
            runs['kombu'].append(kombu_publish(size, seconds, False))
            runs['kombu-confirm'].append(kombu_publish(size, seconds, True))
        connections = broker_connections(api)
    for name, name_runs in runs.items():
        keys = ('rps', 'p50_ms', 'p99_ms') + (
            ('cpu_us_per_request',) if name in actions else ())
        results[name] = load.medians(name_runs, keys)
    master = api.proc.pid
    results['message_bytes'] = size
    results['broker_connections'] = {
        'master': connections.get(master, 0),
        'workers': sorted(n for pid, n in connections.items()
                          if pid != master)}
    return results


def section(seconds, rounds, other_rows):
    """The actions section: PostgreSQL, RabbitMQ, uWSGI x2."""
    url = settings.DATABASES['postgresql']
    seed.create_database(url)
    work = workdir.Workdir(url, settings.TRANSPORT_URL)
    mid = seed.seed(work.url, other_rows)
    return actions_case(work, settings.HEADERS, mid, seed.SERVER, seconds,
                        rounds)
