#!/bin/sh
# keepalived-ts notify_master hook for AWS: the new holder takes the address over with the AWS CLI.
#
#   notify_master "/etc/keepalived/notify-aws-eip.sh eip eipalloc-0123456789abcdef0 i-0123456789abcdef0"
#       an Elastic IP (its allocation id) to this instance
#   notify_master "/etc/keepalived/notify-aws-eip.sh private 10.0.1.50 eni-0123456789abcdef0"
#       a secondary private IP to this instance's network interface (keep it in virtual_ipaddress too,
#       so the kernel answers for it)
#
# Both calls move the address from wherever it is (--allow-reassociation / --allow-reassignment): the
# old holder has nothing to undo, which is what a crashed or cut-off holder can't do. The etcd election
# guarantees the old holder dropped its VIPs before this runs (see README, "When to use etcd election").
# Credentials: the instance profile (IAM: ec2:AssociateAddress, ec2:AssignPrivateIpAddresses).
# AWS_EC2_ENDPOINT: another EC2 endpoint (the tests use a fake one).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 eip ALLOCATION_ID INSTANCE_ID | private ADDRESS ENI_ID" >&2; exit 2; }
kind=$1 what=$2 target=$3
set -- ec2
[ -n "${AWS_EC2_ENDPOINT:-}" ] && set -- "$@" --endpoint-url "$AWS_EC2_ENDPOINT"
case $kind in
  eip) set -- "$@" associate-address --allocation-id "$what" --instance-id "$target" --allow-reassociation ;;
  private) set -- "$@" assign-private-ip-addresses --network-interface-id "$target" --private-ip-addresses "$what" --allow-reassignment ;;
  *) echo "$0: unknown kind '$kind' (eip or private)" >&2; exit 2 ;;
esac
# A few tries: the API can be slow or throttled right when a zone has trouble.
for try in 1 2 3; do
  if aws "$@" >/dev/null; then
    logger -t keepalived-ts "notify-aws-eip: $kind $what -> $target" 2>/dev/null || true
    exit 0
  fi
  sleep "$try"
done
exit 1
