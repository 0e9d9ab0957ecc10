#include <sqlite3.h>

/// Process-wide settings, before the first connection opens (sqlite3_config is variadic,
/// which Swift cannot call). Memory statistics off: with them on, every allocation SQLite
/// makes takes one global mutex, which the connections of concurrent threads fought over.
static inline int paysandbox_sqlite3_configure(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
