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

"""Rendering of operator command results, in the formats cliff offers.

``table`` for people; ``json``, ``yaml`` and ``value`` (values only,
space-separated, one record per line) for scripts.
"""

import datetime
import json

import prettytable
import yaml

FORMATS = ('table', 'json', 'value', 'yaml')


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.strftime('%Y-%m-%dT%H:%M:%S.%f')
    return value


def render(rows, columns, fmt='table', single=False):
    """Render ``rows`` (dicts) keeping ``columns`` [(key, title)] in order.

    :param single: one record, shown as Field/Value pairs.
    :returns: the text to print.
    """
    keys = [key for key, _title in columns]
    records = [{k: _plain(r.get(k)) for k in keys} for r in rows]
    payload = records[0] if single else records
    if fmt == 'json':
        return json.dumps(payload, indent=2, sort_keys=False)
    if fmt == 'yaml':
        return yaml.safe_dump(payload, default_flow_style=False,
                              sort_keys=False).rstrip('\n')
    if fmt == 'value':
        lines = ([str(v) for v in payload.values()] if single else
                 [' '.join(str(v) for v in r.values()) for r in records])
        return '\n'.join(lines)
    if single:
        table = prettytable.PrettyTable(['Field', 'Value'])
        table.align = 'l'
        for key, title in columns:
            value = records[0][key]
            table.add_row([title, '-' if value is None else value])
        return table.get_string()
    table = prettytable.PrettyTable([title for _key, title in columns])
    table.align = 'l'
    for record in records:
        table.add_row(['-' if record[k] is None else record[k]
                       for k in keys])
    return table.get_string()
