"""Settings of the load run's app servers (`make load` only): production's, plus one trusted proxy.

Every simulated villager comes from 127.0.0.1, so the public intake's per-address limit (5 posts in 10
minutes, ledger.throttle) would refuse all but the first five. In a deployment a reverse proxy stands in
front and the address is its X-Forwarded-For entry (ECHELON_PUBLIC_PROXY_COUNT); the load run says the same
and each simulated villager sends its own address. The limits themselves are production's defaults.
"""

from echelon.settings import *  # noqa: F403

ECHELON_PUBLIC_PROXY_COUNT = 1
