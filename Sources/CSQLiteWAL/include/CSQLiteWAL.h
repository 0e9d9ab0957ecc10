#ifndef PAYSANDBOX_CSQLITEWAL_H
#define PAYSANDBOX_CSQLITEWAL_H

/// Makes the "paysandbox" VFS the default: the system's own (unix), except that the frames
/// a transaction appends to a WAL file reach the kernel in one write at its commit instead
/// of two per page. Call once, before the first connection opens. SQLITE_OK or an error.
int paysandbox_wal_vfs_register(void);

#endif
