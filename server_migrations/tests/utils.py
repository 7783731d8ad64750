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

"""Small helpers shared by the test suites."""

import http.client
import json
import time


def wait_for(predicate, timeout=30.0, what='condition', interval=0.02):
    """Poll ``predicate`` until it returns a true value; return that value.

    :raises AssertionError: after ``timeout`` seconds, naming ``what``.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('Timed out waiting for %s' % what)
        time.sleep(interval)


def post_chunked(port, path, body, token='admin:p1', chunk_size=1000):
    """POST ``body`` to a server on 127.0.0.1 as a chunked request.

    :returns: (status, decoded JSON body or None).
    """
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    try:
        conn.putrequest('POST', path)
        for name, value in (('Transfer-Encoding', 'chunked'),
                            ('Content-Type', 'application/json'),
                            ('X-Auth-Token', token),
                            ('OpenStack-API-Version', 'compute 2.80')):
            conn.putheader(name, value)
        conn.endheaders()
        try:
            for start in range(0, len(body), chunk_size):
                piece = body[start:start + chunk_size]
                conn.send(b'%x\r\n%s\r\n' % (len(piece), piece))
            conn.send(b'0\r\n\r\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end: the answer says why
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else None)
    finally:
        conn.close()
