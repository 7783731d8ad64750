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

"""wrk driven by a Lua script, counting its answers by status code.

A test gives the Lua ``init(args)`` and ``request()`` functions; this
module adds the counting and the report, runs wrk for a bounded time
against a loopback port and reads the counts back.
"""

import json
import re
import subprocess
import textwrap

REPORT = textwrap.dedent('''
    local threads = {}
    function setup(thread)
      table.insert(threads, thread)
    end
    function response(status, headers, body)
      codes[status] = (codes[status] or 0) + 1
    end
    function done(summary, latency, requests)
      local total = {}
      for _, t in ipairs(threads) do
        for k, v in pairs(t:get("codes")) do
          total[k] = (total[k] or 0) + v
        end
      end
      local parts = {}
      for k, v in pairs(total) do
        table.insert(parts, string.format('"%d": %d', k, v))
      end
      io.write("CODES {" .. table.concat(parts, ", ") .. "}\\n")
      local e = summary.errors
      io.write(string.format('ERRORS {"connect": %d, "read": %d, ' ..
        '"write": %d, "timeout": %d}\\n', e.connect, e.read, e.write,
        e.timeout))
    end
''')


def write_script(path, requests_lua):
    """Write ``requests_lua`` (``init`` and ``request``) with the report.

    ``init`` must set the global ``codes = {}``.
    """
    with open(path, 'w') as f:
        f.write(REPORT + textwrap.dedent(requests_lua))
    return path


def run(script, port, connections, seconds, args=()):
    """Run wrk; :returns: ``(codes by status, socket errors, output)``."""
    cmd = ['wrk', '-t2', '-c%d' % connections, '-d%ds' % seconds,
           '--timeout', '10s', '-s', script, 'http://127.0.0.1:%d' % port,
           '--'] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         timeout=seconds + 60).stdout
    codes = json.loads(re.search(r'CODES (\{.*\})', out).group(1))
    errors = json.loads(re.search(r'ERRORS (\{.*\})', out).group(1))
    return {int(k): v for k, v in codes.items()}, errors, out
