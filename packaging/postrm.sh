#!/bin/sh
# scannerd's postrm: systemd forgets the removed unit. The scannerd user
# and /var/lib/scannerd stay, even on purge: the store holds check-ins
# the server may not have yet.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
exit 0
