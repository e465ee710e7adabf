#!/bin/sh
# scannerd's postinst: the system user the service runs as, its data
# directory, and systemd told about the new unit. The service is not
# enabled here: a gate must be enrolled (or given a bundle) first, then
#   sudo systemctl enable --now scannerd
set -e

if [ "$1" = configure ]; then
	if ! getent passwd scannerd >/dev/null; then
		useradd --system --user-group --home-dir /var/lib/scannerd --no-create-home \
			--shell /usr/sbin/nologin --comment "AdmitOne gate scanner" scannerd
	fi
	# For "sudo -u scannerd scannerd doctor" with a camera or a serial
	# scanner; the service itself gets them from SupplementaryGroups=.
	for group in video dialout; do
		if getent group "$group" >/dev/null; then
			usermod -a -G "$group" scannerd
		fi
	done
	# So that "sudo -u scannerd scannerd enroll" works before the first
	# start (systemd's StateDirectory= would make it then).
	install -d -o scannerd -g scannerd -m 0700 /var/lib/scannerd
fi

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
	# An upgrade restarts a gate that was running, on the new binary.
	if [ "$1" = configure ] && [ -n "$2" ]; then
		systemctl try-restart scannerd.service >/dev/null || true
	fi
fi
exit 0
