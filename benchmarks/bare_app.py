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

"""A bare WSGI app answering every request with the same captured bytes.

It is the ceiling the real API is compared with: same server, same
settings, same response size and headers, no work at all.
"""

import json
import os

with open(os.environ['BENCH_BARE_RESPONSE'], 'rb') as _f:
    _CAPTURED = json.load(_f)
_STATUS = _CAPTURED['status']
_HEADERS = [tuple(h) for h in _CAPTURED['headers']]
_BODY = _CAPTURED['body'].encode('utf-8')


def application(environ, start_response):
    start_response(_STATUS, list(_HEADERS))
    return [_BODY]
