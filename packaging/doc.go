// Package packaging holds what installs scannerd as a service on a gate
// and syncserver as a service on a server: each program's systemd unit
// (scannerd.service, syncserver.service), the default configuration the
// unit reads (scannerd.default and syncserver.default, installed in
// /etc/default/), the packages' maintainer scripts and the nfpm
// configurations (nfpm.yaml, syncserver-nfpm.yaml) that build-deb.sh
// turns into .deb packages for amd64, arm64 and armhf.
// It has no Go code; its tests check the unit with systemd-analyze and
// the packages with dpkg-deb.
//
// # Caveats
//
//   - The unit's ExecStart names /usr/bin/scannerd, which systemd-analyze
//     verify wants to exist: the test verifies a copy pointing at a
//     freshly built binary.
//   - The package test builds the packages itself (nfpm is installed by
//     build-deb.sh from the Go module proxy) unless ADMITONE_TEST_DEB_DIR
//     names a folder where .ci/run built them; under -short it skips.
//   - The postinsts do not enable the services: a gate must be enrolled,
//     or given a bundle, before it can scan, and a server configured
//     (/etc/default/syncserver) before it serves.
//   - syncserver's unit is Type=exec: syncserver does not send sd_notify
//     readiness (its /readyz tells a load balancer).
package packaging
