#!/bin/sh
# Start, restart or stop the web server of a Molecule scenario, unprivileged on loopback ports,
# tracked by the PID in <work>/<server>/server.pid. Test helper: the roles' reload command in the
# scenarios, and the cleanup step.
#
#   server.sh start|restart|stop <nginx|apache|caddy|haproxy|traefik> <work dir> [PORT...]
#
# start and restart wait until every PORT answers HTTPS, and fail with the server's log otherwise.
set -eu
PATH="$PATH:/usr/sbin:/sbin"
action=$1
server=$2
work=$3
shift 3
dir="$work/$server"
pidfile="$dir/server.pid"

# True when $1 is our server (not a recycled PID) and still running (not a zombie).
ours() {
  [ -r "/proc/$1/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -q -- "$dir/main" || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
  [ "$state" != Z ]
}

stop() {
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if ours "$pid"; then
    kill "$pid"
    tries=0
    while ours "$pid" && [ "$tries" -lt 100 ]; do
      sleep 0.1
      tries=$((tries + 1))
    done
    if ours "$pid"; then
      kill -9 "$pid"
    fi
  fi
  rm -f "$pidfile"
}

start() {
  case $server in
    nginx) set -- nginx -c "$dir/main.conf" -g 'daemon off;' ;;
    # mod_proxy resolves the upstream name itself: a private mount namespace gives it its own /etc/hosts.
    apache) set -- unshare --mount --propagation private \
      sh -c "mount --bind \"\$1\" /etc/hosts && exec apache2 -f \"\$2\" -DFOREGROUND" apache "$dir/hosts" "$dir/main.conf" ;;
    caddy) set -- env HOME="$dir" XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" \
      caddy run --config "$dir/main.caddyfile" --adapter caddyfile ;;
    haproxy) set -- haproxy -f "$dir/main.cfg" -f "$work/conf" -db ;;
    traefik) set -- traefik --configFile="$dir/main.yml" ;;
    *) echo "unknown server $server" >&2; exit 2 ;;
  esac
  # The shell writes its PID, then becomes the server: the PID file names the server itself.
  setsid sh -c "echo \$\$ > \"\$0\"; exec \"\$@\"" "$pidfile" "$@" >"$dir/server.log" 2>&1 </dev/null &
  tries=0
  while [ "$tries" -lt 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
    [ -f "$pidfile" ] || continue
    if ! ours "$(cat "$pidfile")"; then
      echo "$server did not start:" >&2
      cat "$dir/server.log" "$dir"/error.log >&2 2>/dev/null || true
      exit 1
    fi
    # Listening is enough: curl fails with 7 (refused) until then; TLS errors (no such name) are fine.
    ready=yes
    for port in $ports; do
      rc=0
      curl -sk -o /dev/null --max-time 2 --connect-to "::127.0.0.1:$port" "https://example.com:$port/" || rc=$?
      if [ "$rc" = 7 ] || [ "$rc" = 28 ]; then
        ready=no
      fi
    done
    [ "$ready" = yes ] && return 0
  done
  echo "$server is not answering on ports $ports after 10 s:" >&2
  cat "$dir/server.log" >&2
  exit 1
}

ports="$*"
case $action in
  start) stop; start ;;
  restart) stop; start ;;
  stop) stop ;;
  *) echo "usage: $0 start|restart|stop SERVER WORKDIR [PORT...]" >&2; exit 2 ;;
esac
