#!/usr/bin/env bash
# Re-fetches the files that /docs (Swagger UI) and /redoc (ReDoc) load from the npm registry
# at the pinned versions below, checks each tarball against the registry's integrity and each
# file against the lock (src/openvias/api/docs_assets/assets.lock.json), and writes the files
# and the lock. Needs npm, python3, openssl and tar; only maintainers run it (the server needs
# no JavaScript toolchain). A changed tarball or file is an error unless --update is given
# (after changing a version here).
set -euo pipefail

# package@version, then "vendored-name=path-in-the-tarball" for each file taken from it.
SWAGGER_UI="swagger-ui-dist@5.36.0"
SWAGGER_UI_FILES=(
  "swagger-ui-bundle.js=package/swagger-ui-bundle.js"
  "swagger-ui-bundle.js.LICENSE.txt=package/swagger-ui-bundle.js.LICENSE.txt"
  "swagger-ui.css=package/swagger-ui.css"
  "favicon-32x32.png=package/favicon-32x32.png"
  "LICENSE-swagger-ui=package/LICENSE"
  "NOTICE-swagger-ui=package/NOTICE"
)
# ReDoc 2: the major version FastAPI's get_redoc_html is written for.
REDOC="redoc@2.5.4"
REDOC_FILES=(
  "redoc.standalone.js=package/bundles/redoc.standalone.js"
  "LICENSE-redoc=package/LICENSE"
)

REPO="$(cd "$(dirname "$0")/.." && pwd)"
ASSETS="$REPO/src/openvias/api/docs_assets"
LOCK="$ASSETS/assets.lock.json"
UPDATE=0
[ "${1:-}" = "--update" ] && UPDATE=1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
entries="$work/entries.tsv"
: >"$entries"

fetch() {  # fetch PACKAGE@VERSION FILE...: unpack into $work/NAME, one entries line a file
  local spec="$1" name="${1%@*}" version="${1##*@}"
  shift
  mkdir -p "$work/$name"
  (cd "$work/$name" && npm pack --silent "$spec" >/dev/null)
  local tarball="$work/$name/$name-$version.tgz"
  local integrity url actual license
  integrity="$(npm view "$spec" dist.integrity)"
  url="$(npm view "$spec" dist.tarball)"
  license="$(npm view "$spec" license)"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "$spec: tarball integrity $actual differs from the registry's $integrity" >&2
    exit 1
  fi
  tar xzf "$tarball" -C "$work/$name"
  local pair
  for pair in "$@"; do
    local target="${pair%%=*}" source="${pair#*=}"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$version" "$license" "$url" "$integrity" \
      "$target" "$source" >>"$entries"
  done
}

fetch "$SWAGGER_UI" "${SWAGGER_UI_FILES[@]}"
fetch "$REDOC" "${REDOC_FILES[@]}"

python3 - "$work" "$entries" "$ASSETS" "$LOCK" "$UPDATE" <<'PY'
import hashlib
import json
import shutil
import sys
from pathlib import Path

work, entries, assets, lock, update = sys.argv[1:]
packages: dict[str, dict] = {}
for line in Path(entries).read_text().splitlines():
    name, version, license_, url, integrity, target, source = line.split("\t")
    package = packages.setdefault(name, {
        "package": name, "version": version, "license": license_,
        "tarball": url, "integrity": integrity, "files": {},
    })
    unpacked = Path(work, name, source)
    package["files"][target] = {
        "source": source, "sha256": hashlib.sha256(unpacked.read_bytes()).hexdigest(),
    }
fresh = {"packages": list(packages.values())}
lock_path = Path(lock)
if update == "0" and lock_path.exists() and json.loads(lock_path.read_text()) != fresh:
    sys.exit(f"{lock_path.name} differs from the registry's packages (run with --update to accept)")
for package in fresh["packages"]:
    for target, file in package["files"].items():
        shutil.copyfile(Path(work, package["package"], file["source"]), Path(assets, target))
lock_path.write_text(json.dumps(fresh, indent=2) + "\n")
for package in fresh["packages"]:
    print(f"vendored {package['package']}@{package['version']}: {', '.join(package['files'])}")
PY
