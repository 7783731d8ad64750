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

"""The benchmarks' printed report, plain text, one line per figure.

The measuring modules return numbers (dicts); only this module prints
them, each line as soon as its figures are known (``flush``).
"""

HTTP_HEADER = ('%-34s %9s %7s %7s %8s | %9s %7s %8s | %5s'
               % ('case', 'req/s', 'p50ms', 'p99ms', 'cpu us', 'bare r/s',
                  'p99ms', 'cpu us', 'ratio'))
ACTIONS_HEADER = ('%-34s %9s %7s %7s %8s'
                  % ('actions (RabbitMQ, PostgreSQL)', 'req/s', 'p50ms',
                     'p99ms', 'cpu us'))
_KOMBU_LABELS = {'kombu': 'raw kombu publish (%d B)',
                 'kombu-confirm': 'raw kombu, confirms (%d B)'}
_NONE = {'p50': -1, 'p99': -1, 'max': -1}


def _line(text):
    print(text, flush=True)


def http_header():
    _line(HTTP_HEADER)


def http_case(name, case):
    """One row: the real API, the bare app, and their ratio."""
    real, bare = case['real'], case['bare']
    _line('%-34s %9.0f %7.2f %7.2f %8.0f | %9.0f %7.2f %8.0f | %5.2f'
          % (name, real['rps'], real['p50_ms'], real['p99_ms'],
             real['cpu_us_per_request'], bare['rps'], bare['p99_ms'],
             bare['cpu_us_per_request'], case['rps_ratio'] or 0))


def actions(result):
    """The actions' rows, raw kombu beside them, the broker connections."""
    _line(ACTIONS_HEADER)
    for name in ('force-complete', 'abort', 'kombu', 'kombu-confirm'):
        r = result[name]
        label = (_KOMBU_LABELS[name] % result['message_bytes']
                 if name in _KOMBU_LABELS else name)
        cpu = ('%.0f' % r['cpu_us_per_request']
               if 'cpu_us_per_request' in r else '-')
        _line('%-34s %9.0f %7.2f %7.2f %8s'
              % (label, r['rps'], r['p50_ms'], r['p99_ms'], cpu))
    _line('broker connections: uWSGI master %(master)d, workers '
          '%(workers)s' % result['broker_connections'])


def agent(result):
    """202 -> claim -> driver call, and the progress reports' intervals."""
    latency = result['ms_from_202_to_driver'] or _NONE
    progress = result['progress']
    _line('agent: 202 -> action claimed p50 %(p50).2f ms p99 %(p99).2f ms'
          % (result['ms_from_202_to_claim'] or _NONE))
    _line('agent: claimed -> driver call p50 %(p50).2f ms p99 %(p99).2f ms'
          % (result['ms_from_claim_to_driver'] or _NONE))
    _line('agent: %d force-completes at %.0f/s: 202 -> driver call p50 '
          '%.2f ms, p99 %.2f ms (request sent -> driver p50 %.2f ms); '
          '%d migrations, progress interval p50 %.3f s, p99 %.3f s, '
          'max %.3f s (step %.1f s), %d late'
          % (result['driver_calls'], result['rate_per_s'],
             latency['p50'], latency['p99'],
             (result['ms_from_request_to_driver'] or _NONE)['p50'],
             progress['migrations'], progress['interval_p50_s'] or -1,
             progress['interval_p99_s'] or -1,
             progress['interval_max_s'] or -1, progress['step_s'],
             progress['late_over_1.5_steps']))


def agent_dropped(result):
    """202 -> driver call when every cast is lost (the poll acts)."""
    latency = result['ms_from_202_to_driver'] or _NONE
    _line('agent, casts dropped: %d force-completes at %.0f/s carried '
          'out by the poll: 202 -> driver call p50 %.0f ms, p99 %.0f '
          'ms, max %.0f ms' % (
              result['driver_calls'], result['rate_per_s'],
              latency['p50'], latency['p99'], latency['max']))


def failed(section, exc):
    _line('%s: FAILED: %r' % (section, exc))


def wrote(path):
    _line('wrote %s' % path)


def hotpath_cpu(name, us, requests):
    """In-process CPU per request of one path (benchmarks.hotpath)."""
    _line('%-5s %8.0f us CPU per request (in-process, %d requests)'
          % (name, us, requests))


def profile(name, text):
    """pyinstrument's call tree of one path."""
    _line('==== %s ====' % name)
    _line(text)
