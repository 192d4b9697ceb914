#!/usr/bin/env bash
# Prepare a machine to run or test stoat-ferret: system packages it needs
# (ffmpeg, chromium for the browser tests, and python3-venv where the system
# Python lacks venv), then a
# virtualenv in .venv with the package and its test tools installed.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v ffprobe >/dev/null 2>&1 || ! command -v ffmpeg >/dev/null 2>&1; then
    echo "bootstrap: installing ffmpeg"
    apt_install ffmpeg
fi

# The web GUI's browser tests (tests/web/) drive Debian's Chromium through Playwright.
if [ ! -x /usr/bin/chromium ]; then
    echo "bootstrap: installing chromium"
    apt_install chromium
fi

if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c "import ensurepip" 2>/dev/null; then
        echo "bootstrap: installing python3-venv"
        apt_install python3-venv
    fi
    "$PYTHON" -m venv .venv
fi

echo "bootstrap: installing stoat-ferret into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test,libav]"
