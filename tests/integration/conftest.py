"""Fabric integration tests run only where a Fabric network can be built and started.

The Go module proxy reachable from this project's machines refuses github.com/hyperledger/fabric
(403 "This module version is not available", checked 2026-11-27), so CI cannot build the peer and
orderer here. With BLOCKTRADE_FABRIC=1 (after `fabric/network.sh up`) they are collected and must
pass; without it they are not collected at all, rather than skipped into a pass.
"""

import os

collect_ignore = [] if os.environ.get("BLOCKTRADE_FABRIC") == "1" else ["test_fabric_network.py"]
