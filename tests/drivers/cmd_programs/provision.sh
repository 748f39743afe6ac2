#!/bin/sh
# Answers with the directory it runs in and its arguments; reads (and ignores) stdin.
cat >/dev/null
printf '{"outputs": {"cwd": "%s", "args": "%s"}}' "$(pwd -P)" "$*"
