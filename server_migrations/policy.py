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

"""The policy enforcer: init, get_enforcer, authorize and reset."""

from oslo_config import cfg
from oslo_log import log as logging
from oslo_policy import policy

from server_migrations import exception
from server_migrations import policies

LOG = logging.getLogger(__name__)
_ENFORCER = None


def init(conf, rules=None, suppress_deprecation_warnings=False):
    """Build the enforcer once, with the defaults of ``policies``.

    :param rules: rule defaults to register instead of the project's (tests
        pass a deep copy, since oslo.policy mutates what it is given).
    """
    global _ENFORCER
    if _ENFORCER is None:
        enforcer = policy.Enforcer(conf)
        if suppress_deprecation_warnings:
            enforcer.suppress_deprecation_warnings = True
        enforcer.register_defaults(
            policies.list_rules() if rules is None else rules)
        # Read the policy file now, not on the first request.
        enforcer.load_rules()
        _ENFORCER = enforcer
    return _ENFORCER


def get_enforcer():
    """The oslo.policy.enforcer entry point, for oslopolicy-* tools.

    Those tools parse the global config; nothing else here reads it.
    """
    from server_migrations import conf as sm_conf
    conf = cfg.CONF
    sm_conf.register_opts(conf)
    conf([], project='server-migrations')
    return init(conf, suppress_deprecation_warnings=True)


def reset():
    """Forget the enforcer (tests)."""
    global _ENFORCER
    if _ENFORCER is not None:
        _ENFORCER.clear()
    _ENFORCER = None


def authorize(context, rule, target, fatal=True):
    """Check ``rule`` for ``context`` against ``target``.

    :raises exception.PolicyNotAuthorized: when denied and ``fatal``; a
        token of the wrong scope counts as denied.
    :returns: True if allowed, False if denied and not ``fatal``.
    """
    if _ENFORCER is None:
        raise RuntimeError('policy.init() has not been called')
    try:
        return _ENFORCER.authorize(
            rule, target, context, do_raise=fatal,
            exc=exception.PolicyNotAuthorized, action=rule)
    except policy.InvalidScope:
        if not fatal:
            return False
        raise exception.PolicyNotAuthorized(action=rule)
    except policy.PolicyNotRegistered:
        LOG.exception('Policy rule %s is not registered', rule)
        raise
