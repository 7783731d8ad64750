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

"""oslo.messaging plumbing: one transport per process, context serializer.

The transport is created on first use and shared by every client, server
and notifier of the process, so an API worker holds one broker connection
pool, never one per request; the in-process ``fake://`` transport only
connects parties that share it. A forked child (a WSGI worker forked from
a master that built the app) forgets its parent's transports, whose
sockets belong to the parent, and builds its own on first use.
"""

import os
import threading

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_messaging._metrics import client as metrics_client
from oslo_messaging import opts as messaging_opts

from server_migrations import context as sm_context

LOG = logging.getLogger(__name__)

CONTROL_EXCHANGE = 'server_migrations'
TOPIC = 'compute'

_LOCK = threading.Lock()
_TRANSPORTS = {}
_NOTIFICATION_TRANSPORTS = {}
# Bumped in a forked child: clients built before it must be built again.
_GENERATION = 0


def register_opts(conf):
    """Register oslo.messaging's options on ``conf`` (idempotent).

    Done before parsing so config files may set them; the metrics group is
    not in oslo.messaging's list_opts() and is registered only on the global
    cfg.CONF by oslo.messaging itself, so it is added here too.
    """
    messaging.set_transport_defaults(control_exchange=CONTROL_EXCHANGE)
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    if 'oslo_messaging_metrics' not in conf:
        conf.register_opts(metrics_client.oslo_messaging_metrics,
                           group='oslo_messaging_metrics')


def _once(cache, conf, make):
    with _LOCK:
        transport = cache.get(id(conf))
        if transport is None:
            register_opts(conf)
            transport = cache[id(conf)] = make(conf)
        return transport


def get_transport(conf):
    """The process-wide RPC transport for ``conf`` (created once)."""
    return _once(_TRANSPORTS, conf, messaging.get_rpc_transport)


def get_notification_transport(conf):
    """The process-wide notification transport for ``conf`` (created once)."""
    return _once(_NOTIFICATION_TRANSPORTS, conf,
                 messaging.get_notification_transport)


def generation():
    """Changes when this process's transports are forgotten (fork, reset)."""
    return _GENERATION


def _after_fork_in_child():
    """Forget the parent's transports without closing them (not ours)."""
    global _LOCK, _GENERATION
    # The lock may have been held by another thread at the fork.
    _LOCK = threading.Lock()
    _TRANSPORTS.clear()
    _NOTIFICATION_TRANSPORTS.clear()
    _GENERATION += 1


os.register_at_fork(after_in_child=_after_fork_in_child)


def reset():
    """Close and forget every transport (tests)."""
    global _GENERATION
    with _LOCK:
        for transport in (list(_TRANSPORTS.values()) +
                          list(_NOTIFICATION_TRANSPORTS.values())):
            try:
                transport.cleanup()
            except Exception:  # a broken transport must not block a reset
                LOG.debug('Ignoring error closing a transport',
                          exc_info=True)
        _TRANSPORTS.clear()
        _NOTIFICATION_TRANSPORTS.clear()
        _GENERATION += 1


class RequestContextSerializer(messaging.NoOpSerializer):
    """Carries the request context (user, project, request id) over RPC.

    Never the token: see ``serialize_context``.

    Entities are plain JSON-able values and pass through unchanged.
    """

    def serialize_context(self, context):
        values = context.to_dict()
        # The user's token stays in the API: agents never call another
        # service with it, and messages are logged and stored by brokers.
        values.pop('auth_token', None)
        return values

    def deserialize_context(self, context):
        return sm_context.RequestContext.from_dict(context)


def get_client(conf, target, version_cap=None):
    return messaging.get_rpc_client(
        get_transport(conf), target, version_cap=version_cap,
        serializer=RequestContextSerializer())


def get_server(conf, target, endpoints):
    return messaging.get_rpc_server(
        get_transport(conf), target, endpoints,
        serializer=RequestContextSerializer(),
        access_policy=messaging.DefaultRPCAccessPolicy)


def get_notifier(conf, publisher_id):
    return messaging.Notifier(
        get_notification_transport(conf), publisher_id=publisher_id,
        serializer=RequestContextSerializer())
