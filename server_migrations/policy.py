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

import os

from oslo_config import cfg
from oslo_log import log as logging
from oslo_policy import policy

from server_migrations import exception
from server_migrations import policies

LOG = logging.getLogger(__name__)
_ENFORCER = None


class Enforcer(policy.Enforcer):
    """An Enforcer that looks at its policy files once per request.

    oslo.policy looks for changed policy files (a search of the config
    directories and a stat of each file) on every rule check, and a request
    checks two or three rules. Here the files are looked at on the first
    check after ``new_request()``; the other checks of that request use the
    rules as loaded, so a changed file still applies from the next request
    on, without a restart.

    Decisions are kept too (``decide``): a rule's verdict depends only on
    the rules in force, the caller's credentials and the target, so each
    (rule, credentials, target) is decided once and reused until the rules
    change (a changed file, a registered default, ``set_rules``,
    ``clear``), which forgets every decision.
    """

    #: Decisions kept at most; past it they are all forgotten (a cloud's
    #: users times projects times targets must not grow a process forever).
    max_decisions = 10000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A counter rather than a flag: a request that begins while another
        # thread is loading still gets a load of its own.
        self._generation = 0
        self._loaded_generation = None
        # (path, mtime, size) and error of a policy file that cannot be
        # read, while it is the file in place.
        self.bad_file = None
        self._logged = None
        self._decisions = {}
        # Bumped whenever the rules may have changed: a decision made while
        # they changed is not kept.
        self._rules_epoch = 0

    def new_request(self):
        self._generation += 1

    def _stale(self):
        self._loaded_generation = None
        self._forget()

    def _forget(self):
        self._rules_epoch += 1
        self._decisions = {}

    def decide(self, rule, target, context):
        """True if ``context`` may do ``rule`` on ``target``, else False.

        A token of the wrong scope is denied. The policy files are looked
        at as ``load_rules`` does (once per request); a decision is then
        looked up by everything it depends on: the rule, every credential
        oslo.policy sees (``to_policy_values()``: user, project, roles,
        system scope, domains, service credentials), ``is_admin`` and the
        target.

        :raises PolicyNotRegistered: ``rule`` is not registered.
        """
        self.load_rules()
        key = _decision_key(rule, target, context)
        decisions = self._decisions
        if key is not None:
            found = decisions.get(key)
            if found is not None:
                return found
        epoch = self._rules_epoch
        try:
            allowed = bool(super().authorize(rule, target, context))
        except policy.InvalidScope:
            allowed = False
        if key is not None and epoch == self._rules_epoch:
            if len(decisions) >= self.max_decisions:
                decisions.clear()
            decisions[key] = allowed
        return allowed

    def load_rules(self, force_reload=False):
        generation = self._generation
        if force_reload or generation != self._loaded_generation:
            epoch = self._rules_epoch
            try:
                super().load_rules(force_reload)
            except Exception as exc:  # a file an operator is editing
                self._keep_last_good(exc)
            else:
                if (self.bad_file is not None and
                        _signature(self.policy_path) != self.bad_file[0]):
                    LOG.info('Policy file %s is readable again; its rules '
                             'apply', self.policy_path)
                    self.bad_file = None
            if epoch != self._rules_epoch:
                # Rules set while loading were completed after set_rules
                # (the registered defaults): forget what was decided
                # meanwhile.
                self._forget()
            self._loaded_generation = generation

    def _keep_last_good(self, exc):
        """Go on with the rules in force; say so once per change."""
        signature = _signature(self.policy_path)
        # One line, whatever the parser's message looks like.
        self.bad_file = (signature, ' '.join(
            ('%s: %s' % (type(exc).__name__, exc)).split()))
        if signature != self._logged:
            self._logged = signature
            LOG.error('Policy file %(path)s cannot be read, the rules in '
                      'force stay (the defaults if none was read yet): '
                      '%(error)s', {'path': self.policy_path,
                                    'error': self.bad_file[1]})
        if not self.rules:
            # Never read: the defaults, as without a file.
            self.set_rules(policy.Rules(
                {name: default.check
                 for name, default in self.registered_rules.items()},
                self.default_rule), use_conf=True)

    def file_problem(self):
        """What is wrong with the policy file in place, or None."""
        self.load_rules(force_reload=True)
        return self.bad_file and '%s: %s' % (self.policy_path,
                                             self.bad_file[1])

    # Anything that changes the registered or loaded rules reloads them.
    def register_default(self, default):
        self._stale()
        return super().register_default(default)

    def set_rules(self, *args, **kwargs):
        self._stale()
        return super().set_rules(*args, **kwargs)

    def clear(self):
        self._stale()
        return super().clear()


def _decision_key(rule, target, context):
    """What a decision depends on, hashable; None if it cannot be."""
    try:
        key = (rule, tuple(sorted(target.items())), tuple(
            (name, tuple(value) if isinstance(value, list) else value)
            for name, value in context.to_policy_values().items()),
            bool(getattr(context, 'is_admin', False)))
        hash(key)
    except (TypeError, AttributeError):
        # Not a mapping, or unorderable or unhashable values: not kept.
        return None
    return key


def _signature(path):
    try:
        stat = os.stat(path)
    except (OSError, TypeError):
        return (path, None, None)
    return (path, stat.st_mtime, stat.st_size)


def init(conf, rules=None, suppress_deprecation_warnings=False):
    """Build the enforcer once, with the defaults of ``policies``.

    :param rules: rule defaults to register instead of the project's (tests
        pass a deep copy, since oslo.policy mutates what it is given).
    """
    global _ENFORCER
    if _ENFORCER is None:
        enforcer = Enforcer(conf)
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


def new_request():
    """A request begins: its first rule check looks at the policy files."""
    if _ENFORCER is not None:
        _ENFORCER.new_request()


def authorize(context, rule, target, fatal=True):
    """Check ``rule`` for ``context`` against ``target``.

    :raises exception.PolicyNotAuthorized: when denied and ``fatal``; a
        token of the wrong scope counts as denied.
    :returns: True if allowed, False if denied and not ``fatal``.
    """
    if _ENFORCER is None:
        raise RuntimeError('policy.init() has not been called')
    try:
        allowed = _ENFORCER.decide(rule, target, context)
    except policy.PolicyNotRegistered:
        LOG.exception('Policy rule %s is not registered', rule)
        raise
    if not allowed and fatal:
        raise exception.PolicyNotAuthorized(action=rule)
    return allowed
