#!/usr/bin/env bash
# Reproduce static/vendor/ from the npm registry at pinned versions.
#
# Why: the app must work offline and from a wheel, so the browser assets are
# vendored rather than fetched from a CDN. Each package is taken with
# `npm pack` (the registry tarball, checked against its integrity hash by
# npm) and only the dist files plus the package's licence are copied.
# Run from anywhere: bash dev/vendor_assets.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

LEAFLET=1.9.4
MARKERCLUSTER=1.5.3
SOCKETIO=4.8.4   # Socket.IO protocol v5, served by python-socketio 5.x

unpack() {  # unpack NAME VERSION -> prints the unpacked directory
    local name="$1" version="$2" dir="$WORK/$1"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$name@$version" >/dev/null && tar -xzf ./*.tgz)
    echo "$dir/package"
}

licence_of() {  # licence_of PKGDIR -> the package's licence file
    local f
    for f in LICENSE LICENSE.md LICENSE.txt LICENCE MIT-LICENCE.txt license; do
        [ -f "$1/$f" ] && { echo "$1/$f"; return; }
    done
    echo "no licence file in $1" >&2
    exit 1
}

rm -rf "$DEST/leaflet" "$DEST/leaflet.markercluster" "$DEST/socket.io"
mkdir -p "$DEST/leaflet" "$DEST/leaflet.markercluster" "$DEST/socket.io"

pkg="$(unpack leaflet "$LEAFLET")"
cp "$pkg/dist/leaflet.js" "$pkg/dist/leaflet.js.map" "$pkg/dist/leaflet.css" "$DEST/leaflet/"
cp -r "$pkg/dist/images" "$DEST/leaflet/"
lic="$(licence_of "$pkg")"
cp "$lic" "$DEST/leaflet/LICENSE"

pkg="$(unpack leaflet.markercluster "$MARKERCLUSTER")"
cp "$pkg/dist/leaflet.markercluster.js" "$pkg/dist/leaflet.markercluster.js.map" \
   "$pkg/dist/MarkerCluster.css" "$pkg/dist/MarkerCluster.Default.css" "$DEST/leaflet.markercluster/"
lic="$(licence_of "$pkg")"
cp "$lic" "$DEST/leaflet.markercluster/LICENSE"

pkg="$(unpack socket.io-client "$SOCKETIO")"
cp "$pkg/dist/socket.io.min.js" "$pkg/dist/socket.io.min.js.map" "$DEST/socket.io/"
lic="$(licence_of "$pkg")"
cp "$lic" "$DEST/socket.io/LICENSE"

echo "vendored into $DEST:"
(cd "$DEST" && find . -type f ! -name README.md | sort)
