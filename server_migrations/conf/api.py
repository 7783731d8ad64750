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

"""Options of the [api] group: how the HTTP API is served."""

from oslo_config import cfg

GROUP = cfg.OptGroup('api', title='API options',
                     help='Options for the server-migrations HTTP API.')

opts = [
    cfg.StrOpt(
        'auth_strategy',
        default='keystone',
        choices=[
            ('keystone', 'Validate tokens with keystonemiddleware '
                         '([keystone_authtoken]).'),
            ('noauth2', 'Development and tests only: the token is '
                        '"<user_id>:<project_id>[:<role>,...]" and is '
                        'trusted as given. Never use it in production.'),
        ],
        help='How requests are authenticated by server-migrations-api and '
             'the uWSGI application.'),
    cfg.HostAddressOpt(
        'bind_host',
        default='127.0.0.1',
        help='Address server-migrations-api listens on (the --host flag '
             'overrides it). Production deployments run the WSGI '
             'application under uWSGI instead.'),
    cfg.PortOpt(
        'bind_port',
        default=8774,
        help='TCP port server-migrations-api listens on (the --port flag '
             'overrides it).'),
    cfg.StrOpt(
        'max_microversion',
        default='2.104',
        regex=r'^2\.([1-9]\d*)$',
        help='Highest compute API microversion answered, normally the host '
             'compute API\'s maximum. The plugin answers every version from '
             '2.1 up to it with the behaviour of the newest change at or '
             'below it, and 406 above it. Set it to the maximum of the '
             'compute API this plugin is deployed beside.'),
    cfg.FloatOpt(
        'cast_timeout',
        default=10.0,
        min=0.1,
        deprecated_for_removal=True,
        deprecated_since='0.2.0',
        deprecated_reason='The API no longer waits for the broker: an '
                          'accepted action is committed to the database and '
                          'the cast that follows only wakes the agent up '
                          '(see [compute] action_poll_interval).',
        help='Unused. The API used to wait this long for the broker to '
             'accept a cast.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
