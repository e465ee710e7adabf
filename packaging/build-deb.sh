#!/usr/bin/env bash
# Builds the scannerd and syncserver .deb packages for amd64, arm64 and
# armhf into OUTDIR (default dist/deb): each program cross-compiled with
# CGO_ENABLED=0, its systemd unit and default configuration, packed by nfpm
# from packaging/nfpm.yaml (scannerd) and packaging/syncserver-nfpm.yaml.
# Run from anywhere: bash packaging/build-deb.sh [OUTDIR]
#
# nfpm is built pinned with "go install ...@version" into a temporary
# folder rather than kept as a go.mod tool: it brings some seventy modules
# (git, rpm, apk, signing) that no AdmitOne program links, and go.mod
# would carry them all. NFPM names another nfpm binary to use instead. VERSION sets the package
# version (default 0.0.0+git<commit>).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/dist/deb}" && cd "${1:-$root/dist/deb}" && pwd)"
cd "$root"
nfpm_version=v2.48.0
export VERSION="${VERSION:-0.0.0+git$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
nfpm="${NFPM:-}"
if [ -z "$nfpm" ]; then
	GOBIN="$bin" go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$nfpm_version"
	nfpm="$bin/nfpm"
fi

# GOARCH[/GOARM]=nfpm's architecture name (Debian's: amd64, arm64, armhf).
for target in amd64=amd64 arm64=arm64 arm/7=arm7; do
	goarch=${target%%=*} arch=${target#*=} goarm=
	if [[ $goarch == */* ]]; then goarm=${goarch#*/} goarch=${goarch%/*}; fi
	export SCANNERD_BIN="$bin/scannerd-$arch" SYNCSERVER_BIN="$bin/syncserver-$arch"
	CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=${goarm:-7} \
		go build -ldflags '-s -w' -o "$SCANNERD_BIN" ./cmd/scannerd
	CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=${goarm:-7} \
		go build -ldflags '-s -w' -o "$SYNCSERVER_BIN" ./cmd/syncserver
	NFPM_ARCH=$arch "$nfpm" package --config packaging/nfpm.yaml --packager deb --target "$out/"
	NFPM_ARCH=$arch "$nfpm" package --config packaging/syncserver-nfpm.yaml --packager deb --target "$out/"
done
ls -l "$out"/*.deb
