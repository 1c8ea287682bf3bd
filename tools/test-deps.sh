#!/usr/bin/env bash
# System packages the test suite needs beyond the Python ones: Debian's Chromium for the live
# app's browser test (tests/app/test_browser.py drives it through Playwright; nothing is
# downloaded at test time). Run by `make test` before pytest.
#
# Installs what is missing when it can (root, or passwordless sudo, and apt-get); otherwise
# prints one line saying what to install and exits 0, so the rest of the suite still runs: the
# browser test then fails in CI (CI set) and is skipped, with that line as its reason, elsewhere.
set -uo pipefail

# the executables tests/app/test_browser.py looks for, in its order
if [ -n "${VIRALSIM_CHROMIUM:-}" ] && [ -x "$VIRALSIM_CHROMIUM" ]; then
  exit 0
fi
for name in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$name" >/dev/null 2>&1; then
    exit 0
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    SUDO="none"
  fi
fi
if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: Chromium is missing and cannot be installed here (needs root or sudo, and apt-get):" \
       "install Debian's 'chromium' package, or set VIRALSIM_CHROMIUM to a Chromium/Chrome executable;" \
       "the browser test will not run until then" >&2
  exit 0
fi

echo "test-deps: installing Chromium for the browser test (apt-get install chromium, once)..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq </dev/null >/dev/null \
       && $SUDO apt-get install -y -qq chromium </dev/null >/dev/null; }; then
  echo "test-deps: apt-get could not install chromium; install it by hand (apt-get install chromium)" >&2
fi
exit 0
