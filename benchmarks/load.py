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

"""Load generation with wrk, its report parsed, and medians of rounds."""

import re
import statistics
import subprocess

_UNITS = {'us': 1e-3, 'ms': 1.0, 's': 1e3, 'm': 60e3}


def _ms(text):
    number, unit = re.match(r'([\d.]+)(us|ms|s|m)$', text).groups()
    return float(number) * _UNITS[unit]


def wrk(url, headers, seconds, connections=8, threads=2, method='GET',
        script=None):
    """Run wrk; return req/s, p50/p99 in ms, requests and non-2xx count."""
    cmd = ['wrk', '-t%d' % threads, '-c%d' % connections,
           '-d%ds' % seconds, '--latency', '--timeout', '5s']
    for name, value in headers.items():
        cmd += ['-H', '%s: %s' % (name, value)]
    if script:
        cmd += ['-s', script]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         timeout=seconds + 60).stdout
    result = {
        'rps': float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1)),
        'requests': int(re.search(r'(\d+) requests in', out).group(1)),
        'non_2xx': 0,
    }
    for pct in ('50', '99'):
        result['p%s_ms' % pct] = _ms(re.search(
            r'\s%s(?:\.0+)?%%\s+([\d.]+(?:us|ms|s|m))' % pct, out).group(1))
    bad = re.search(r'Non-2xx or 3xx responses:\s+(\d+)', out)
    if bad:
        result['non_2xx'] = int(bad.group(1))
    errors = re.search(r'Socket errors: (.*)', out)
    result['socket_errors'] = errors.group(1) if errors else ''
    return result


def measure(server, path, headers, seconds, script=None):
    """wrk against ``server``, with its CPU per completed request (µs)."""
    before = server.cpu()
    result = wrk('http://127.0.0.1:%d%s' % (server.port, path), headers,
                 seconds, script=script)
    result['cpu_us_per_request'] = (
        (server.cpu() - before) / max(result['requests'], 1) * 1e6)
    return result


def medians(runs, keys=('rps', 'p50_ms', 'p99_ms', 'cpu_us_per_request')):
    """The median of each of ``keys`` over rounds, with the non-2xx sum."""
    summary = {key: statistics.median(r[key] for r in runs) for key in keys}
    summary['non_2xx'] = sum(r.get('non_2xx', 0) for r in runs)
    summary['rounds'] = len(runs)
    return summary
