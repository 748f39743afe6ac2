#!/usr/bin/env python3
"""A cmd program steered by its inputs, to exercise every way a program can behave.

inputs: `stdout` (text written verbatim), `stdout_hex` (bytes written verbatim),
`stderr` (text written to stderr), `exit` (exit code), `sleep` (seconds to sleep before
answering). Without either stdout input it answers with
`{"outputs": {"request": <the request it read>}}`.
"""

import json
import sys
import time


def main() -> int:
    request = json.load(sys.stdin)
    inputs = request["inputs"]
    time.sleep(inputs.get("sleep", 0))
    sys.stderr.write(inputs.get("stderr", ""))
    if "stdout" in inputs:
        sys.stdout.write(inputs["stdout"])
    elif "stdout_hex" in inputs:
        sys.stdout.flush()
        sys.stdout.buffer.write(bytes.fromhex(inputs["stdout_hex"]))
    else:
        json.dump({"outputs": {"request": request}}, sys.stdout)
    return int(inputs.get("exit", 0))


if __name__ == "__main__":
    sys.exit(main())
