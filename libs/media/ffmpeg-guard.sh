#!/bin/sh
# Runs ffmpeg so that it gets SIGINT (and closes its segment cleanly) when the process that started it dies.
exec setpriv --pdeathsig INT ffmpeg "$@"
