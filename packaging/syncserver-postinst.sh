#!/bin/sh
# syncserver's postinst: the system user the service runs as, its data
# directory, and systemd told about the new unit. The service is not
# enabled here: configure /etc/default/syncserver first, then
#   sudo systemctl enable --now syncserver
set -e

if [ "$1" = configure ]; then
	if ! getent passwd syncserver >/dev/null; then
		useradd --system --user-group --home-dir /var/lib/syncserver --no-create-home \
			--shell /usr/sbin/nologin --comment "AdmitOne server" syncserver
	fi
	# So that "sudo -u syncserver syncserver admin create" works before
	# the first start (systemd's StateDirectory= would make it then).
	install -d -o syncserver -g syncserver -m 0700 /var/lib/syncserver
fi

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
	# An upgrade restarts a server that was running, on the new binary.
	if [ "$1" = configure ] && [ -n "$2" ]; then
		systemctl try-restart syncserver.service >/dev/null || true
	fi
fi
exit 0
