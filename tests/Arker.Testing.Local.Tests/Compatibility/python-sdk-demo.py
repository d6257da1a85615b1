"""Runs the official Arker Python SDK 0.1.0's own demo (tests/demo.py) against a local server.

The SDK sends `list` and fork-by-name to a fixed host (LIST_BASE_URL); this points it at the
server given in ARKER_BASE_URL, which serves the regional and the global routes alike. Nothing
else of the SDK or its demo changes.

Usage: python3 python-sdk-demo.py <the SDK's folder: arker-py-0.1.0>
"""
import os
import runpy
import sys

sdk = sys.argv[1]
sys.path.insert(0, os.path.join(sdk, "src"))

import arker.computer  # noqa: E402

arker.computer.LIST_BASE_URL = os.environ["ARKER_BASE_URL"]
sys.argv = [os.path.join(sdk, "tests", "demo.py")]
runpy.run_path(sys.argv[0], run_name="__main__")
