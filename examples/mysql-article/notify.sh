#!/bin/sh
# State notifications. The article mails from here (echo ... | mail -s ...);
# this one records each call in notify.log next to the script: the time (ms)
# and the arguments keepalived gave, '|'-separated. notify_master/backup/fault
# give the one word configured; the generic `notify` gets keepalived's four:
# INSTANCE|GROUP <name> <state> <priority>.
{ date +%s%3N | tr -d '\n'; for a in "$@"; do printf '|%s' "$a"; done; echo; } >> "$(dirname "$0")/notify.log"
