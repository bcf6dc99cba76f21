#!/bin/bash
# vrrp_script chk_mysql: when MySQL on this host does not answer, stop
# keepalived so that the other host takes the VIP.
if ! mysql -h127.0.0.1 -uchk --connect-timeout=1 -e 'select 1' >/dev/null 2>&1; then
    /etc/keepalived/kill_keepalived.sh
    exit 1
fi
