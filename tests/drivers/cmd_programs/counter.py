#!/usr/bin/env python3
"""A cmd program that keeps a counter in its state and answers in every result field."""

import json
import sys


def main() -> None:
    request = json.load(sys.stdin)
    count = request["state"].get("count", 0) + 1
    json.dump(
        {
            "outputs": {"count": count, "action": request["action"]},
            "secrets": {"token": f"token-{count}"},
            "state": {"count": count},
            "manifests": [{"kind": "ConfigMap", "metadata": {"name": request["guid"]}}],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
