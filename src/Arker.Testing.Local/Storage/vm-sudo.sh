#!/bin/bash
# sudo for the VM user, in a VM whose image has no sudo of its own (the official Debian and Ubuntu
# images have none): the Arker local server added this and let the VM user (uid 1000) alone use
# su without a password (/etc/pam.d/su). It runs the command as root of the VM, or as -u USER,
# through su and runuser, with sudo's everyday options; others are refused, saying so.
user=root group="" login=""
while [ $# -gt 0 ]; do
  case "$1" in
    -u|--user) user=$2; shift 2 ;;
    -u*) user=${1#-u}; shift ;;
    --user=*) user=${1#*=}; shift ;;
    -g|--group) group=$2; shift 2 ;;
    --group=*) group=${1#*=}; shift ;;
    -i|--login|-s|--shell) login=1; shift ;;
    -E|--preserve-env|--preserve-env=*|-H|--set-home|-n|--non-interactive|-S|--stdin|-k|--reset-timestamp) shift ;;
    --) shift; break ;;
    -*) echo "sudo: $1 is not supported by this VM's sudo (the image has none; the Arker local server's stands in for it)" >&2; exit 1 ;;
    *) break ;;
  esac
done
assignments=()
while [ $# -gt 0 ] && [[ "$1" == [A-Za-z_]*([A-Za-z0-9_])=* ]]; do assignments+=("$1"); shift; done
if [ $# -eq 0 ]; then
  [ -n "$login" ] || { echo "usage: sudo [-u user] [-g group] [-i|-s] [--] [VAR=value...] command [argument...]" >&2; exit 1; }
  set -- /bin/bash -l
elif [ -n "$login" ]; then
  set -- /bin/bash -l -c "$*"
fi
printf -v command '%q ' env "${assignments[@]}" "$@"
if [ "$user" != root ] || [ -n "$group" ]; then
  printf -v as '%q ' runuser ${group:+-g "$group"} -u "$user" --
  command="$as$command"
fi
exec su -s /bin/bash -c "exec $command" root
