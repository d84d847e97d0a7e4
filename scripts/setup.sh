#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building and testing the task:
# the Docker engine, the reference registry, htpasswd, the tinyproxy binary,
# unzip and openssl from Debian, then the npm packages from package-lock.json
# (Node 24 among them). Node.js 20 itself must be on the machine already. Safe
# to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# The end-to-end tests run the task under the Node20_1 handler's Node 20 as well
# as Node 24, and npm brings only Node 24.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none)
if [ "$node_major" != 20 ]; then
    echo "Node.js 20 is required on PATH (found: $node_major). Install Node.js 20, for example from NodeSource, and run this script again." >&2
    exit 1
fi

missing=()
for entry in dockerd:docker.io docker-registry:docker-registry htpasswd:apache2-utils tinyproxy:tinyproxy-bin unzip:unzip openssl:openssl; do
    command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing Debian packages: ${missing[*]}. Run this script as root, or install them with apt-get." >&2
        exit 1
    fi
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/jest ] || [ ! -x node_modules/node/bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "Installing npm packages"
    npm ci --no-audit --no-fund
fi
