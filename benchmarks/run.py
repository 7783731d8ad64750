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

The sections are measured by ``http_cases`` (http, rows), ``broker``
(actions) and ``agent_load`` (agent, agent-dropped), which return numbers;
``report`` prints them. The services' URLs come from the environment
(``settings``).
"""

import argparse
import itertools
import json
import os
import platform

from benchmarks import agent_load
from benchmarks import broker
from benchmarks import http_cases
from benchmarks import report


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
    cases = []
    if 'http' in sections:
        cases.append(http_cases.databases(args.databases.split(','),
                                          other_rows, seconds, rounds))
    if 'rows' in sections:
        cases.append(http_cases.table_sizes(
            (1000, 100000) if args.quick else (1000, 100000, 1000000),
            seconds, rounds))
    if cases:
        report.http_header()
    for name, case in itertools.chain(*cases):
        case['name'] = name
        results['cases'].append(case)
        report.http_case(name, case)

    # The broker parts last, each on its own: a failure there is reported
    # and does not lose the figures above.
    failed = False
    for name, measure, show in (
            ('actions', lambda: broker.section(seconds, rounds, other_rows),
             report.actions),
            ('agent', agent_load.section, report.agent),
            ('agent-dropped', lambda: agent_load.section(drop_casts=True),
             report.agent_dropped)):
        if name not in sections:
            continue
        try:
            results[name] = measure()
        except Exception as exc:
            failed = True
            results[name] = {'error': repr(exc)}
            report.failed(name, exc)
        else:
            show(results[name])

    with open(args.output, 'w') as f:
        json.dump(results, f, indent=2)
    report.wrote(args.output)
    return 1 if failed else 0


if __name__ == '__main__':
    raise SystemExit(main())
