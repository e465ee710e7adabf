#!/bin/sh
# syncserver's postrm: systemd forgets the removed unit. The syncserver
# user and /var/lib/syncserver stay, even on purge: the store holds the
# orders and tickets, and seal.key the keys that open its secrets.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
exit 0
