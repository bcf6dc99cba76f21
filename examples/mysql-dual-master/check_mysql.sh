#!/bin/sh
# Exit 0 when something accepts TCP connections on HOST:PORT (MySQL is up).
host=${1:-127.0.0.1}; port=${2:-3306}
exec timeout 1 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
