#!/usr/bin/env bash
# Install the Debian packages the tests run for real: the four web servers, dnsmasq
# (SRV records for the checker tests), openssl, curl, shellcheck (for ansible-test sanity), strace (the crash tests
# hold the module inside a system call with it, to kill it there), jq (the serving guide's CloudFront merge, run by
# tests/functional/test_cloudfront_merge.py) and Chromium (make docs opens the documentation site in it, headless).
# apt-get does not start them on these machines; the tests start and stop each one themselves.
set -euo pipefail
packages=(nginx-light apache2 haproxy caddy dnsmasq-base openssl curl shellcheck strace jq chromium)
commands=(nginx apache2 haproxy caddy dnsmasq openssl curl shellcheck strace jq chromium)
missing=0
for command in "${commands[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$command" >/dev/null 2>&1 || missing=1
done
[ "$missing" = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: missing test programs; run as root or: apt-get install ${packages[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
