// Package purchase will hold holds, orders, inventory that never
// oversells, payment providers, refunds and ticket issuance. It is not
// built yet; see ../shared/DESIGN.md ("The server") and the open
// purchasing issue. catalog.Inventory is the interface through which it
// will report taken quantities to the catalog's availability.
package purchase
