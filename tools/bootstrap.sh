#!/usr/bin/env bash
# Prepare a machine to run stoat-ferret, or (with --test) to run its whole test suite.
#
#   bash tools/bootstrap.sh          what running needs: ffmpeg, python3-venv where the
#                                    system Python lacks venv, and a virtualenv in .venv
#                                    with the package and its libav extra
#   bash tools/bootstrap.sh --test   the same, plus chromium (for the browser tests) and
#                                    the test tools in .venv
#
# System packages come from apt-get (Debian); it runs as root, or through sudo.
# PYTHON names the interpreter for .venv (default python3); CHROMIUM is where to
# look for an installed Chromium (default /usr/bin/chromium, where the tests use it).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

with_tests=""
for arg in "$@"; do
    case "$arg" in
        --test) with_tests=1 ;;
        -h | --help)
            sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bootstrap: unknown argument: $arg (usage: bash tools/bootstrap.sh [--test])" >&2
            exit 2
            ;;
    esac
done

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

# Only the web GUI's browser tests (tests/web/) need a browser: Debian's Chromium,
# driven through Playwright.
if [ -n "$with_tests" ] && [ ! -x "$CHROMIUM" ]; then
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

# libav: the in-process probing pool (PyAV). test: pytest, the linters, mypy, Playwright.
extras="libav"
if [ -n "$with_tests" ]; then
    extras="test,libav"
fi
echo "bootstrap: installing stoat-ferret[$extras] into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
