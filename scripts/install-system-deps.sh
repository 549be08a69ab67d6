#!/usr/bin/env bash
# Installs the Debian components the lab tests start on loopback, and makes sure none of them is left running as a
# system service (the tests start their own copies, on their own ports). Idempotent and non-interactive.
set -euo pipefail

PACKAGES=(
  bind9 unbound nginx-light squid-openssl mitmproxy nftables libxml2-utils prometheus-blackbox-exporter
  iproute2 ca-certificates
  # The tests make their certificates with the openssl command (ca-certificates depends on it; named for clarity).
  openssl
  # The HTML report's browser test drives Debian's chromium headless (playwright-core downloads no browser).
  chromium
  # promtool (in Debian's prometheus package) parses the --prometheus output and checks the example alert rules;
  # ansible-playbook --syntax-check checks the example playbook (test/prometheus.test.ts, test/examples.test.ts).
  prometheus ansible-core
)
# Services these packages' postinst scripts may start or enable.
SERVICES=(named unbound nginx squid prometheus-blackbox-exporter prometheus)

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo DEBIAN_FRONTEND=noninteractive bash "$0" "$@"
  fi
  echo "install-system-deps: must run as root, and sudo is not available" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

missing_packages() {
  local package
  for package in "${PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)" != installed ]; then
      echo "$package"
    fi
  done
}

install_packages() {
  # Keep postinst scripts from starting services where the machine allows us to (the Docker convention); a
  # policy the machine already has is left as it is.
  local own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=/usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local apt_options=(-q -y -o Acquire::Retries=3 -o DPkg::Lock::Timeout=600
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  apt-get "${apt_options[@]}" update
  apt-get "${apt_options[@]}" install --no-install-recommends "$@"
  if [ -n "$own_policy" ]; then
    rm -f "$own_policy"
    trap - EXIT
  fi
}

# systemd ignores policy-rc.d for enabling, and a machine may have started a service before we ran: stop and
# disable each one, whichever init system there is. Nothing here may fail the install.
stop_services() {
  local service
  for service in "${SERVICES[@]}"; do
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      if systemctl is-enabled --quiet "$service" 2>/dev/null || systemctl is-active --quiet "$service" 2>/dev/null; then
        echo "install-system-deps: stopping and disabling $service (systemd)"
        systemctl disable --now "$service" >/dev/null 2>&1 || true
      fi
    elif [ -x "/etc/init.d/$service" ]; then
      if "/etc/init.d/$service" status >/dev/null 2>&1; then
        echo "install-system-deps: stopping $service (init script)"
        "/etc/init.d/$service" stop >/dev/null 2>&1 || true
      fi
      if command -v update-rc.d >/dev/null 2>&1; then
        update-rc.d "$service" disable >/dev/null 2>&1 || true
      fi
    fi
  done
}

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-system-deps: all packages present, skipping apt"
else
  echo "install-system-deps: installing ${missing[*]}"
  install_packages "${missing[@]}"
fi
stop_services
