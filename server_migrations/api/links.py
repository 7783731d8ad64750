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

"""Links in responses: an item's self/bookmark, a page's "next".

The self and "next" links carry the /v2.1 segment, the bookmark does not;
either carries the project segment only when the request URL had one.
"""

import collections
from urllib import parse

_VERSION = '/v2.1'


def base_url(req):
    """The service root without the /v2.1 and project segments."""
    url = req.application_url
    return url[:-len(_VERSION)] if url.endswith(_VERSION) else url


def _project(req):
    project_id = (getattr(req, 'urlvars', None) or {}).get('project_id')
    return '/' + project_id if project_id else ''


def item_links(req, collection, identifier):
    """``self`` and ``bookmark`` of ``collection/identifier``."""
    path = '%s/%s/%s' % (_project(req), collection, identifier)
    base = base_url(req)
    return [{'rel': 'self', 'href': base + _VERSION + path},
            {'rel': 'bookmark', 'href': base + path}]


def collection_links(req, items, collection, id_key, max_limit):
    """A "next" link when the page is full, else nothing.

    Full: as many items as the requested ``limit`` (at most
    ``max_limit``), or ``max_limit`` items without a ``limit``. The link
    repeats the request's query parameters (sorted, one value each) with
    the last item's ``id_key`` as the marker.
    """
    try:
        wanted = min(int(req.GET.get('limit', max_limit)), max_limit)
    except ValueError:
        wanted = max_limit
    if not wanted or wanted != len(items):
        return []
    params = collections.OrderedDict(sorted(req.GET.items()))
    params['marker'] = items[-1][id_key]
    href = '%s%s%s/%s?%s' % (base_url(req), _VERSION, _project(req),
                             collection, parse.urlencode(params))
    return [{'rel': 'next', 'href': href}]
