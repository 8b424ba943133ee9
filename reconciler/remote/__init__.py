"""Remote: the apps a target's schedules go to, behind one seam.

    protocol.py    ScheduleProvider (and RemoteSchedule, Run, ScheduleMissing): what
                   plan, apply, import, history and drift need of a remote; Provider
    registry.py    the providers a target may name, and open_provider(target, now);
                   how to add a provider
    approval.py    a real target's credentials go only to the approved connection
                   (RECONCILER_ENDPOINT), checked before a client opens
    engagelab/     the EngageLab v4 Schedules API client, its settings and provider
    local.py       the embedded EngageLab emulator of `endpoint: local`, on its state
                   file (a snapshot for readers), and what is wrong with that file
    history.py     one schedule's runs, found by name or id

The remote sits below config (config reads a provider's default credential
names) and beside policy; the planner and everything above read it only
through the protocol.
"""

__all__: list[str] = []
