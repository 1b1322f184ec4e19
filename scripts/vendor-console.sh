#!/usr/bin/env bash
# Re-fetches the console's one front-end library (htm 3.1.1 with its bundled Preact) from the
# npm registry, checks the tarball against the registry's integrity and the lock file
# (src/openvias/web/console/vendor/VENDOR.json), and writes the vendored file and licences.
# Needs npm, python3, openssl and tar; only maintainers run it (the console itself needs no
# JavaScript toolchain). A changed file is an error unless --update is given.
set -euo pipefail

PACKAGE=htm
VERSION=3.1.1
ENTRY=preact/standalone.module.js
REPO="$(cd "$(dirname "$0")/.." && pwd)"
VENDOR="$REPO/src/openvias/web/console/vendor"
UPDATE=0
[ "${1:-}" = "--update" ] && UPDATE=1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "$PACKAGE@$VERSION" >/dev/null
tarball="$PACKAGE-$VERSION.tgz"
registry_integrity="$(npm view "$PACKAGE@$VERSION" dist.integrity)"
tarball_url="$(npm view "$PACKAGE@$VERSION" dist.tarball)"
actual_integrity="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual_integrity" != "$registry_integrity" ]; then
  echo "tarball integrity $actual_integrity differs from the registry's $registry_integrity" >&2
  exit 1
fi
tar xzf "$tarball"
file_sha256="$(sha256sum "package/$ENTRY" | cut -d' ' -f1)"

lock_value() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$VENDOR/VENDOR.json" "$1"; }
if [ "$UPDATE" -eq 0 ] && [ -f "$VENDOR/VENDOR.json" ]; then
  for pair in "integrity:$registry_integrity" "sha256:$file_sha256"; do
    key="${pair%%:*}"
    if [ "$(lock_value "$key")" != "${pair#*:}" ]; then
      echo "VENDOR.json $key differs from the registry's package (run with --update to accept)" >&2
      exit 1
    fi
  done
fi

cp "package/$ENTRY" "$VENDOR/htm-preact-standalone.module.js"
cp package/LICENSE "$VENDOR/LICENSE-htm"
cat >"$VENDOR/VENDOR.json" <<JSON
{
  "package": "$PACKAGE",
  "version": "$VERSION",
  "license": "Apache-2.0 (htm); MIT (the Preact it bundles, see LICENSE-preact)",
  "tarball": "$tarball_url",
  "integrity": "$registry_integrity",
  "file": "htm-preact-standalone.module.js",
  "source_path": "package/$ENTRY",
  "sha256": "$file_sha256"
}
JSON
echo "vendored $PACKAGE@$VERSION $ENTRY (sha256 $file_sha256)"
