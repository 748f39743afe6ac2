#!/bin/sh
# Starts a grandchild that would outlive a careless kill, records its pid in $1, hangs.
sleep 300 &
echo $! > "$1"
wait
