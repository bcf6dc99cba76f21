#!/bin/sh
# Records each VRRP transition; replace the echo with `mail` or a pager call.
echo "$(date '+%F %T') $(hostname) keepalived: became $1" >> /var/log/keepalived-notify.log
