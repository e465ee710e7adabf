#!/bin/sh
# syncserver's prerm: a removed package stops and disables its service.
# An upgrade leaves it running; the new postinst restarts it.
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl disable --now syncserver.service >/dev/null 2>&1 || true
fi
exit 0
